import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError, LIMITS } from '@cunbo/shared';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Config } from '../../config.ts';
import { requireActor, requireRole } from '../../http/auth.ts';
import { localeOf } from '../../http/locale.ts';
import { errorResponses, IdParams, Uuid } from '../../http/schema-helpers.ts';
import type { CatalogService } from './catalog.service.ts';
import { PHOTO_WIDTHS, type PhotoWidth } from './photo-store.ts';
import {
  ProductBody,
  ProductList,
  ProductPatch,
  ProductQuery,
  ProductSchema,
  RegionCode,
  ShopBody,
  ShopSchema,
} from './catalog.schemas.ts';

export async function catalogRoutes(
  app: FastifyInstance,
  deps: { catalog: CatalogService; config: Config },
) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { catalog, config } = deps;

  api.put(
    '/shop',
    {
      schema: {
        tags: ['shops'],
        summary: 'Open or update my shop (seller)',
        body: ShopBody,
        response: { 200: Type.Object({ shop: ShopSchema }), ...errorResponses(400, 401, 403, 422) },
      },
    },
    async (request) => ({
      shop: await catalog.saveShop(requireActor(request), request.body, localeOf(request)),
    }),
  );

  api.get(
    '/shop',
    {
      schema: {
        tags: ['shops'],
        summary: 'My shop (seller)',
        response: { 200: Type.Object({ shop: ShopSchema }), ...errorResponses(401, 403, 409) },
      },
    },
    async (request) => ({
      shop: await catalog.getMyShop(requireActor(request), localeOf(request)),
    }),
  );

  api.get(
    '/shops',
    {
      schema: {
        tags: ['shops'],
        summary: 'Shops, optionally in a region',
        querystring: Type.Object({
          region: Type.Optional(RegionCode),
          limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
          lang: Type.Optional(Type.String()),
        }),
        response: { 200: Type.Object({ shops: Type.Array(ShopSchema) }), ...errorResponses(400) },
      },
    },
    async (request) => ({
      shops: await catalog.listShops(
        { regionCode: request.query.region, limit: request.query.limit },
        localeOf(request),
      ),
    }),
  );

  api.get(
    '/shops/:id',
    {
      schema: {
        tags: ['shops'],
        summary: 'A shop',
        params: IdParams,
        response: { 200: Type.Object({ shop: ShopSchema }), ...errorResponses(400, 404) },
      },
    },
    async (request) => ({ shop: await catalog.getShop(request.params.id, localeOf(request)) }),
  );

  api.post(
    '/products',
    {
      schema: {
        tags: ['products'],
        summary: 'List a product (seller)',
        body: ProductBody,
        response: {
          201: Type.Object({ product: ProductSchema }),
          ...errorResponses(400, 401, 403, 409),
        },
      },
    },
    async (request, reply) => {
      const product = await catalog.createProduct(requireActor(request), request.body);
      return reply.status(201).send({ product });
    },
  );

  api.get(
    '/products',
    {
      schema: {
        tags: ['products'],
        summary: 'Products of a shop or a category',
        querystring: ProductQuery,
        response: { 200: ProductList, ...errorResponses(400) },
      },
    },
    async (request) => ({ products: await catalog.listProducts(request.query, request.actor) }),
  );

  api.get(
    '/products/:id',
    {
      schema: {
        tags: ['products'],
        summary: 'A product with its current stock',
        params: IdParams,
        response: { 200: Type.Object({ product: ProductSchema }), ...errorResponses(400, 404) },
      },
    },
    async (request) => ({ product: await catalog.getProduct(request.params.id) }),
  );

  api.patch(
    '/products/:id',
    {
      schema: {
        tags: ['products'],
        summary: 'Change a product (its owner)',
        params: IdParams,
        body: ProductPatch,
        response: {
          200: Type.Object({ product: ProductSchema }),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => ({
      product: await catalog.updateProduct(requireActor(request), request.params.id, request.body),
    }),
  );

  await app.register(async (uploads) => {
    await uploads.register(multipart, {
      limits: { fileSize: LIMITS.photoBytesMax, files: 1, fields: 0, parts: 2 },
      throwFileSizeLimit: true,
    });
    const up = uploads.withTypeProvider<TypeBoxTypeProvider>();
    up.post(
      '/products/:id/photos',
      {
        config: { rateLimit: { max: config.rateLimits.uploadsPerMinute, timeWindow: 60_000 } },
        schema: {
          tags: ['products'],
          summary:
            'Add a photo (multipart field `file`; JPEG, PNG, WebP, HEIC or AVIF, at most 8 MiB)',
          consumes: ['multipart/form-data'],
          params: IdParams,
          response: {
            201: Type.Object({ product: ProductSchema }),
            ...errorResponses(400, 401, 403, 404, 413, 415, 422),
          },
        },
      },
      async (request, reply) => {
        const actor = requireRole(request, 'seller');
        const file = await request.file();
        if (!file)
          throw new AppError('VALIDATION_FAILED', 'Attach the photo as the field "file"', 400, {
            field: 'file',
          });
        const buffer = await file.toBuffer();
        const product = await catalog.addPhoto(actor, request.params.id, buffer);
        return reply.status(201).send({ product });
      },
    );
  });

  api.delete(
    '/products/:id/photos/:photoId',
    {
      schema: {
        tags: ['products'],
        summary: 'Remove a photo',
        params: Type.Object({ id: Uuid(), photoId: Uuid() }),
        response: {
          200: Type.Object({ product: ProductSchema }),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => ({
      product: await catalog.deletePhoto(
        requireActor(request),
        request.params.id,
        request.params.photoId,
      ),
    }),
  );

  api.get(
    '/photos/:id',
    {
      config: { rateLimit: false },
      schema: {
        tags: ['products'],
        summary: 'A product photo as WebP, resized to the width asked for',
        params: IdParams,
        querystring: Type.Object({
          w: Type.Integer({ enum: [...PHOTO_WIDTHS], default: 640 }),
        }),
      },
    },
    async (request, reply) => {
      const data = await catalog.readPhoto(request.params.id, request.query.w as PhotoWidth);
      if (!data) throw new AppError('NOT_FOUND', 'Photo not found', 404);
      // Photo ids never get new content: cache for a year anywhere.
      return reply
        .type('image/webp')
        .header('cache-control', 'public, max-age=31536000, immutable')
        .send(data);
    },
  );
}
