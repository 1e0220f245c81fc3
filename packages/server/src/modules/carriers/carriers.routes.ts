import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError } from '@cunbo/shared';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { errorResponses } from '../../http/schema-helpers.ts';
import type { FulfilmentService } from '../fulfilment/fulfilment.service.ts';
import type { CarrierProvider } from './carrier-provider.ts';

export async function carriersRoutes(
  app: FastifyInstance,
  deps: { carriers: ReadonlyMap<string, CarrierProvider>; fulfilment: FulfilmentService },
) {
  // Carriers sign the exact bytes they send: keep the raw body for verification.
  await app.register(async (callbacks) => {
    callbacks.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) =>
      done(null, body),
    );
    callbacks.withTypeProvider<TypeBoxTypeProvider>().post(
      '/carriers/:carrier/callback',
      {
        config: { csrf: false, rateLimit: false },
        schema: {
          tags: ['carriers'],
          summary: 'Where a carrier posts its signed tracking events (the sandbox carrier too)',
          params: Type.Object({ carrier: Type.String({ maxLength: 40 }) }),
          response: {
            200: Type.Object({
              ok: Type.Boolean(),
              orders: Type.Integer({ description: 'Orders whose timeline got a new event' }),
            }),
            ...errorResponses(400, 401, 404),
          },
        },
      },
      async (request) => {
        const carrier = deps.carriers.get(request.params.carrier);
        if (!carrier) throw new AppError('NOT_FOUND', 'No such carrier', 404);
        const events = carrier.verifyCallback(request.headers, String(request.body ?? ''));
        const { applied } = await deps.fulfilment.applyTracking(carrier.id, events);
        return { ok: true, orders: applied };
      },
    );
  });
}
