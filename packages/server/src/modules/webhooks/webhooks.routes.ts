import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Config } from '../../config.ts';
import { requireActor } from '../../http/auth.ts';
import { errorResponses, IdParams } from '../../http/schema-helpers.ts';
import {
  CreateSubscriptionBody,
  DeliveryDetail,
  DeliveryQuery,
  DeliverySchema,
  SubscriptionSchema,
  SubscriptionWithSecret,
  UpdateSubscriptionBody,
} from './webhooks.schemas.ts';
import type { WebhooksService } from './webhooks.service.ts';

const SubscriptionResponse = Type.Object({ subscription: SubscriptionSchema });
const DeliveryResponse = Type.Object({ delivery: DeliverySchema });

export function webhooksRoutes(
  app: FastifyInstance,
  deps: { webhooks: WebhooksService; config: Config },
) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { webhooks, config } = deps;
  const tags = ['webhooks'];
  // Writes that make the server call out (or mint secrets) share the order-placing budget.
  const writes = { rateLimit: { max: config.rateLimits.ordersPerMinute, timeWindow: 60_000 } };

  api.post(
    '/shop/webhooks',
    {
      config: writes,
      schema: {
        tags,
        summary: 'Add a webhook endpoint to my shop (the signing secret is shown only now)',
        body: CreateSubscriptionBody,
        response: {
          201: SubscriptionWithSecret,
          ...errorResponses(400, 401, 403, 409, 422, 429),
        },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await webhooks.createSubscription(requireActor(request), request.body)),
  );

  api.get(
    '/shop/webhooks',
    {
      schema: {
        tags,
        summary: 'My shop’s webhook endpoints, with delivery counts',
        response: {
          200: Type.Object({ subscriptions: Type.Array(SubscriptionSchema) }),
          ...errorResponses(401, 403, 409),
        },
      },
    },
    async (request) => ({
      subscriptions: await webhooks.listSubscriptions(requireActor(request)),
    }),
  );

  api.patch(
    '/shop/webhooks/:id',
    {
      config: writes,
      schema: {
        tags,
        summary: 'Change a webhook endpoint: URL, events, description, pause or resume',
        params: IdParams,
        body: UpdateSubscriptionBody,
        response: {
          200: SubscriptionResponse,
          ...errorResponses(400, 401, 403, 404, 409, 422, 429),
        },
      },
    },
    async (request) => ({
      subscription: await webhooks.updateSubscription(
        requireActor(request),
        request.params.id,
        request.body,
      ),
    }),
  );

  api.delete(
    '/shop/webhooks/:id',
    {
      schema: {
        tags,
        summary: 'Delete a webhook endpoint and its delivery log',
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await webhooks.deleteSubscription(requireActor(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  api.post(
    '/shop/webhooks/:id/rotate-secret',
    {
      config: writes,
      schema: {
        tags,
        summary: 'Replace the signing secret (the new one is shown only now; the old one stops)',
        params: IdParams,
        response: { 200: SubscriptionWithSecret, ...errorResponses(400, 401, 403, 404, 409, 429) },
      },
    },
    async (request) => webhooks.rotateSecret(requireActor(request), request.params.id),
  );

  api.post(
    '/shop/webhooks/:id/test',
    {
      config: writes,
      schema: {
        tags,
        summary: 'Send a `webhook.test` ping to this endpoint',
        params: IdParams,
        response: { 202: DeliveryResponse, ...errorResponses(400, 401, 403, 404, 409, 429) },
      },
    },
    async (request, reply) =>
      reply
        .status(202)
        .send({ delivery: await webhooks.sendTest(requireActor(request), request.params.id) }),
  );

  api.get(
    '/shop/webhooks/:id/deliveries',
    {
      schema: {
        tags,
        summary: 'The delivery log of a webhook endpoint, newest first',
        params: IdParams,
        querystring: DeliveryQuery,
        response: {
          200: Type.Object({ deliveries: Type.Array(DeliverySchema) }),
          ...errorResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (request) => ({
      deliveries: await webhooks.listDeliveries(
        requireActor(request),
        request.params.id,
        request.query,
      ),
    }),
  );

  api.get(
    '/shop/webhook-deliveries/:id',
    {
      schema: {
        tags,
        summary: 'A delivery: the event sent and every attempt (status code, error, answer)',
        params: IdParams,
        response: { 200: DeliveryDetail, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => webhooks.getDelivery(requireActor(request), request.params.id),
  );

  api.post(
    '/shop/webhook-deliveries/:id/resend',
    {
      config: writes,
      schema: {
        tags,
        summary: 'Send a delivery again: a new cycle of attempts, same event and webhook-id',
        params: IdParams,
        response: { 202: DeliveryResponse, ...errorResponses(400, 401, 403, 404, 409, 429) },
      },
    },
    async (request, reply) =>
      reply
        .status(202)
        .send({ delivery: await webhooks.resend(requireActor(request), request.params.id) }),
  );
}
