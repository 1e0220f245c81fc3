import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { Config } from '../../config.ts';
import { requireActor } from '../../http/auth.ts';
import { localeOf } from '../../http/locale.ts';
import { errorResponses, IdParams } from '../../http/schema-helpers.ts';
import type { Clock } from '../../lib/clock.ts';
import type { FulfilmentService } from './fulfilment.service.ts';
import {
  BoardSchema,
  csvResponse,
  HubDetailSchema,
  HubSchema,
  LabelsQuery,
  PackResponse,
  pdfResponse,
  PickupBody,
  PickupSchema,
  ScanBody,
  ScanResponse,
  TimelineSchema,
} from './fulfilment.schemas.ts';

function sendFile(reply: FastifyReply, type: string, name: string, body: Buffer | string) {
  return reply
    .type(type)
    .header('content-disposition', `inline; filename="${name}"`)
    .header('cache-control', 'no-store')
    .send(body);
}

export function fulfilmentRoutes(
  app: FastifyInstance,
  deps: { fulfilment: FulfilmentService; config: Config; clock: Clock },
) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { fulfilment, config } = deps;
  const writes = { rateLimit: { max: config.rateLimits.ordersPerMinute, timeWindow: 60_000 } };
  // Drawing PDFs costs CPU: as many per minute as uploads.
  const prints = { rateLimit: { max: config.rateLimits.uploadsPerMinute, timeWindow: 60_000 } };
  const seller = ['fulfilment'];
  const hubTags = ['hubs'];

  api.get(
    '/shop/board',
    {
      schema: {
        tags: seller,
        summary:
          'The seller’s order board: what to pack per product and per buyer, packed parcels, counts',
        response: { 200: BoardSchema, ...errorResponses(401, 403, 409) },
      },
    },
    async (request) => fulfilment.board(requireActor(request), localeOf(request)),
  );

  api.post(
    '/orders/:id/pack',
    {
      config: writes,
      schema: {
        tags: seller,
        summary:
          'Mark a paid or cash-on-delivery order packed; makes its parcel (seller). Repeatable',
        params: IdParams,
        response: { 200: PackResponse, ...errorResponses(400, 401, 403, 404, 409, 429) },
      },
    },
    async (request) => fulfilment.pack(requireActor(request), request.params.id, localeOf(request)),
  );

  api.get(
    '/orders/:id/label.pdf',
    {
      config: prints,
      schema: {
        tags: seller,
        summary: 'The order’s shipping label, A6 PDF with barcode and QR code (seller)',
        params: IdParams,
        response: {
          ...pdfResponse('A6 label'),
          ...errorResponses(400, 401, 403, 404, 409, 429, 503),
        },
      },
    },
    async (request, reply) =>
      sendFile(
        reply,
        'application/pdf',
        `label-${request.params.id}.pdf`,
        await fulfilment.orderLabel(requireActor(request), request.params.id),
      ),
  );

  api.get(
    '/shop/labels.pdf',
    {
      config: prints,
      schema: {
        tags: seller,
        summary: 'Labels of several orders, one A6 page each (seller; at most 100)',
        querystring: LabelsQuery,
        response: {
          ...pdfResponse('A6 labels'),
          ...errorResponses(400, 401, 403, 404, 409, 429, 503),
        },
      },
    },
    async (request, reply) =>
      sendFile(
        reply,
        'application/pdf',
        'labels.pdf',
        await fulfilment.shopLabels(
          requireActor(request),
          request.query.orderIds?.split(',').map((id) => id.toLowerCase()),
        ),
      ),
  );

  for (const format of ['pdf', 'csv'] as const) {
    api.get(
      `/shop/packing-list.${format}`,
      {
        config: prints,
        schema: {
          tags: seller,
          summary: `What to pack, per product and per buyer (${format.toUpperCase()}, seller)`,
          response: {
            ...(format === 'pdf'
              ? pdfResponse('A4 packing list')
              : csvResponse('One row per order line')),
            ...errorResponses(401, 403, 409, 429, 503),
          },
        },
      },
      async (request, reply) =>
        sendFile(
          reply,
          format === 'pdf' ? 'application/pdf' : 'text/csv; charset=utf-8',
          `packing-list.${format}`,
          await fulfilment.packingList(requireActor(request), format, deps.clock.now()),
        ),
    );
  }

  api.get(
    '/orders/:id/timeline',
    {
      schema: {
        tags: ['orders'],
        summary:
          'The order’s timeline: status changes and the carrier’s tracking steps (buyer or seller)',
        params: IdParams,
        response: { 200: TimelineSchema, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) =>
      fulfilment.timeline(requireActor(request), request.params.id, localeOf(request)),
  );

  api.get(
    '/hubs/mine',
    {
      schema: {
        tags: hubTags,
        summary: 'The township hubs I operate (operator)',
        response: {
          200: Type.Object({ hubs: Type.Array(HubSchema) }),
          ...errorResponses(401, 403),
        },
      },
    },
    async (request) => ({
      hubs: await fulfilment.myHubs(requireActor(request), localeOf(request)),
    }),
  );

  api.get(
    '/hubs/:id',
    {
      schema: {
        tags: hubTags,
        summary: 'A hub: parcels expected and at the hub, and its pickups (its operators)',
        params: IdParams,
        response: { 200: HubDetailSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => fulfilment.hub(requireActor(request), request.params.id, localeOf(request)),
  );

  api.post(
    '/hubs/:id/scan',
    {
      config: writes,
      schema: {
        tags: hubTags,
        summary: 'Scan a parcel in as it arrives at the hub; its order becomes handed_to_hub',
        params: IdParams,
        body: ScanBody,
        response: { 200: ScanResponse, ...errorResponses(400, 401, 403, 404, 409, 429) },
      },
    },
    async (request) =>
      fulfilment.scan(
        requireActor(request),
        request.params.id,
        request.body.code,
        localeOf(request),
      ),
  );

  api.post(
    '/hubs/:id/pickups',
    {
      config: writes,
      schema: {
        tags: hubTags,
        summary: 'Gather every scanned-in parcel of every seller into one pickup for a carrier',
        params: IdParams,
        body: PickupBody,
        response: {
          201: Type.Object({ pickup: PickupSchema }),
          ...errorResponses(400, 401, 403, 404, 409, 422, 429),
        },
      },
    },
    async (request, reply) =>
      reply.status(201).send({
        pickup: await fulfilment.createPickup(
          requireActor(request),
          request.params.id,
          request.body.carrier,
        ),
      }),
  );

  for (const format of ['pdf', 'csv'] as const) {
    api.get(
      `/pickups/:id/manifest.${format}`,
      {
        config: prints,
        schema: {
          tags: hubTags,
          summary: `The pickup’s manifest for the carrier, one line per parcel, with totals (${format.toUpperCase()})`,
          params: IdParams,
          response: {
            ...(format === 'pdf'
              ? pdfResponse('A4 manifest')
              : csvResponse('One row per parcel, then TOTAL')),
            ...errorResponses(400, 401, 403, 404, 429, 503),
          },
        },
      },
      async (request, reply) =>
        sendFile(
          reply,
          format === 'pdf' ? 'application/pdf' : 'text/csv; charset=utf-8',
          `manifest-${request.params.id}.${format}`,
          await fulfilment.manifest(requireActor(request), request.params.id, format),
        ),
    );
  }

  api.post(
    '/pickups/:id/handover',
    {
      config: writes,
      schema: {
        tags: hubTags,
        summary: 'Hand the pickup to its carrier: books the parcels (tracking numbers). Repeatable',
        params: IdParams,
        response: {
          200: Type.Object({ pickup: PickupSchema }),
          ...errorResponses(400, 401, 403, 404, 409, 429, 503),
        },
      },
    },
    async (request) => ({
      pickup: await fulfilment.handover(requireActor(request), request.params.id),
    }),
  );
}
