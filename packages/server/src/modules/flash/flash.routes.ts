import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Config } from '../../config.ts';
import { requireActor } from '../../http/auth.ts';
import { errorResponses, IdParams } from '../../http/schema-helpers.ts';
import { idempotencyKeyOf } from '../orders/orders.routes.ts';
import { OrderHeaders, OrderSchema } from '../orders/orders.schemas.ts';
import {
  ClaimBody,
  ClaimOfferState,
  CouponBody,
  CouponSchema,
  MyCouponSchema,
  OfferBody,
  OfferSchema,
} from './flash.schemas.ts';
import type { FlashService } from './flash.service.ts';

const OfferResponse = Type.Object({ offer: OfferSchema });
const CouponResponse = Type.Object({ coupon: CouponSchema });

export function flashRoutes(app: FastifyInstance, deps: { flash: FlashService; config: Config }) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { flash, config } = deps;
  const tags = ['flash sales'];
  const writes = { rateLimit: { max: config.rateLimits.ordersPerMinute, timeWindow: 60_000 } };
  // Offers whose end passed while the server was down close now; the others get their job.
  app.addHook('onReady', async () => {
    await flash.resume();
  });

  api.post(
    '/lives/:id/offers',
    {
      config: writes,
      schema: {
        tags,
        summary: 'Open a flash offer in the show (its host); the units leave the product’s stock',
        params: IdParams,
        body: OfferBody,
        response: { 201: OfferResponse, ...errorResponses(400, 401, 403, 404, 409, 422, 429) },
      },
    },
    async (request, reply) => {
      const offer = await flash.createOffer(requireActor(request), request.params.id, request.body);
      return reply.status(201).send({ offer });
    },
  );

  api.get(
    '/lives/:id/offers',
    {
      schema: {
        tags,
        summary: 'The show’s flash offers, newest first (`mine` when signed in)',
        params: IdParams,
        response: {
          200: Type.Object({ offers: Type.Array(OfferSchema) }),
          ...errorResponses(400),
        },
      },
    },
    async (request) => ({ offers: await flash.listOffers(request.params.id, request.actor) }),
  );

  api.get(
    '/offers/:id',
    {
      schema: {
        tags,
        summary: 'A flash offer: units left, status, and `mine` when signed in',
        params: IdParams,
        response: { 200: OfferResponse, ...errorResponses(400, 404) },
      },
    },
    async (request) => ({ offer: await flash.getOffer(request.params.id, request.actor) }),
  );

  api.post(
    '/offers/:id/close',
    {
      config: writes,
      schema: {
        tags,
        summary: 'Close a flash offer early (its seller); units not taken go back to stock',
        params: IdParams,
        response: { 200: OfferResponse, ...errorResponses(400, 401, 404, 429) },
      },
    },
    async (request) => ({
      offer: await flash.closeOfferBySeller(requireActor(request), request.params.id),
    }),
  );

  api.post(
    '/offers/:id/claims',
    {
      config: writes,
      schema: {
        tags,
        summary:
          'Grab units of a flash offer (needs the Idempotency-Key header): 201 only once the order is on disk',
        description:
          'Refusals: 409 SOLD_OUT (details.left), LIMIT_REACHED (details.limit, details.mine), OFFER_NOT_STARTED (details.startsAt), OFFER_ENDED (details.endsAt). Cash on delivery is confirmed at once; an online payment holds the units for the offer’s holdSeconds.',
        params: IdParams,
        headers: OrderHeaders,
        body: ClaimBody,
        response: {
          201: Type.Object({ order: OrderSchema, offer: ClaimOfferState }),
          ...errorResponses(400, 401, 403, 404, 409, 422, 429),
        },
      },
    },
    async (request, reply) => {
      const actor = requireActor(request);
      const key = idempotencyKeyOf(request.headers);
      const { order, offer, replayed } = await flash.claim(
        actor,
        key,
        request.params.id,
        request.body,
      );
      if (replayed) void reply.header('idempotent-replayed', 'true');
      return reply.status(201).send({ order, offer });
    },
  );

  api.post(
    '/lives/:id/coupons',
    {
      config: writes,
      schema: {
        tags,
        summary: 'Hand out live coupons in the show (its host)',
        params: IdParams,
        body: CouponBody,
        response: { 201: CouponResponse, ...errorResponses(400, 401, 403, 404, 409, 422, 429) },
      },
    },
    async (request, reply) => {
      const coupon = await flash.createCoupon(
        requireActor(request),
        request.params.id,
        request.body,
      );
      return reply.status(201).send({ coupon });
    },
  );

  api.get(
    '/lives/:id/coupons',
    {
      schema: {
        tags,
        summary: 'The show’s live coupons, newest first (`claimed` when signed in)',
        params: IdParams,
        response: {
          200: Type.Object({ coupons: Type.Array(CouponSchema) }),
          ...errorResponses(400),
        },
      },
    },
    async (request) => ({ coupons: await flash.listCoupons(request.params.id, request.actor) }),
  );

  api.post(
    '/coupons/:id/claim',
    {
      config: writes,
      schema: {
        tags,
        summary: 'Take one live coupon (one per buyer)',
        description:
          'Refusals: 409 COUPONS_GONE, ALREADY_CLAIMED, COUPON_NOT_STARTED (details.startsAt), COUPON_ENDED (details.endsAt).',
        params: IdParams,
        response: { 201: CouponResponse, ...errorResponses(400, 401, 403, 404, 409, 429) },
      },
    },
    async (request, reply) => {
      const coupon = await flash.claimCoupon(requireActor(request), request.params.id);
      return reply.status(201).send({ coupon });
    },
  );

  api.get(
    '/me/coupons',
    {
      schema: {
        tags,
        summary: 'My live coupons, newest first, and the order using each',
        response: {
          200: Type.Object({ coupons: Type.Array(MyCouponSchema) }),
          ...errorResponses(401),
        },
      },
    },
    async (request) => ({ coupons: await flash.myCoupons(requireActor(request)) }),
  );
}
