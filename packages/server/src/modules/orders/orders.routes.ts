import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError } from '@cunbo/shared';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Config } from '../../config.ts';
import { requireActor } from '../../http/auth.ts';
import { errorResponses, IdParams } from '../../http/schema-helpers.ts';
import type { OrdersService } from './orders.service.ts';
import { OrderBody, OrderHeaders, OrderQuery, OrderSchema } from './orders.schemas.ts';

const OrderResponse = Type.Object({ order: OrderSchema });

export function ordersRoutes(
  app: FastifyInstance,
  deps: { orders: OrdersService; config: Config },
) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { orders, config } = deps;
  const tags = ['orders'];
  // Holds that ended while the server was down end now; the others get their job again.
  app.addHook('onReady', async () => {
    await orders.resumeHolds();
  });

  api.post(
    '/orders',
    {
      config: { rateLimit: { max: config.rateLimits.ordersPerMinute, timeWindow: 60_000 } },
      schema: {
        tags,
        summary: 'Place an order (needs the Idempotency-Key header)',
        headers: OrderHeaders,
        body: OrderBody,
        response: { 201: OrderResponse, ...errorResponses(400, 401, 403, 404, 409, 422, 429) },
      },
    },
    async (request, reply) => {
      const actor = requireActor(request);
      const key = idempotencyKeyOf(request.headers);
      const { order, replayed } = await orders.placeOrder(actor, key, request.body);
      if (replayed) void reply.header('idempotent-replayed', 'true');
      return reply.status(201).send({ order });
    },
  );

  api.get(
    '/orders',
    {
      schema: {
        tags,
        summary: 'My orders (buyer) or my shop’s orders (seller), newest first',
        querystring: OrderQuery,
        response: {
          200: Type.Object({ orders: Type.Array(OrderSchema) }),
          ...errorResponses(400, 401, 409),
        },
      },
    },
    async (request) => ({ orders: await orders.listOrders(requireActor(request), request.query) }),
  );

  api.get(
    '/orders/:id',
    {
      schema: {
        tags,
        summary: 'An order (its buyer and its seller only)',
        params: IdParams,
        response: { 200: OrderResponse, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => ({ order: await orders.getOrder(requireActor(request), request.params.id) }),
  );

  api.post(
    '/orders/:id/cancel',
    {
      schema: {
        tags,
        summary: 'Cancel an order not yet packed; the units go back on sale',
        params: IdParams,
        response: { 200: OrderResponse, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => ({
      order: await orders.cancelOrder(requireActor(request), request.params.id),
    }),
  );

  api.post(
    '/orders/:id/pay',
    {
      schema: {
        tags,
        summary: 'Start a new payment after one failed (buyer)',
        params: IdParams,
        response: { 200: OrderResponse, ...errorResponses(400, 401, 404, 409) },
      },
    },
    async (request) => ({
      order: await orders.retryPayment(requireActor(request), request.params.id),
    }),
  );

  api.post(
    '/orders/:id/refund',
    {
      schema: {
        tags,
        summary: 'Refund a paid order (seller)',
        params: IdParams,
        body: Type.Object(
          { reason: Type.String({ minLength: 1, maxLength: 500 }) },
          { additionalProperties: false },
        ),
        response: { 200: OrderResponse, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => ({
      order: await orders.refundOrder(
        requireActor(request),
        request.params.id,
        request.body.reason,
      ),
    }),
  );
}

/** The Idempotency-Key header, required on every request that creates an order. */
export function idempotencyKeyOf(headers: Record<string, unknown>): string {
  const key = headers['idempotency-key'];
  if (typeof key !== 'string' || key.length === 0) {
    throw new AppError(
      'IDEMPOTENCY_KEY_REQUIRED',
      'Send an Idempotency-Key header so a retry never orders twice',
      400,
      { field: 'header.idempotency-key' },
    );
  }
  return key;
}
