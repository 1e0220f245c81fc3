import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError } from '@cunbo/shared';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { requireActor } from '../../http/auth.ts';
import { errorResponses, IdParams, Uuid } from '../../http/schema-helpers.ts';
import { OrderSchema } from '../orders/orders.schemas.ts';
import type { OrdersService } from '../orders/orders.service.ts';
import type { PaymentProvider } from './payment-provider.ts';
import type { SandboxProvider } from './sandbox-provider.ts';

export async function paymentsRoutes(
  app: FastifyInstance,
  deps: {
    orders: OrdersService;
    providers: ReadonlyMap<string, PaymentProvider>;
    sandbox: SandboxProvider;
  },
) {
  const { orders, providers, sandbox } = deps;

  // Providers sign the exact bytes they send: keep the raw body for verification.
  await app.register(async (callbacks) => {
    callbacks.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) =>
      done(null, body),
    );
    callbacks.withTypeProvider<TypeBoxTypeProvider>().post(
      '/payments/:provider/callback',
      {
        config: { csrf: false },
        schema: {
          tags: ['payments'],
          summary: 'Where a payment provider posts its signed notification',
          params: Type.Object({ provider: Type.String({ maxLength: 40 }) }),
          response: {
            200: Type.Object({ ok: Type.Boolean() }),
            ...errorResponses(400, 401, 404, 422),
          },
        },
      },
      async (request) => {
        const provider = providers.get(request.params.provider);
        if (!provider) throw new AppError('NOT_FOUND', 'No such payment provider', 404);
        const notification = provider.verifyCallback(request.headers, String(request.body ?? ''));
        await orders.applyPaymentNotification(provider.id, notification);
        return { ok: true };
      },
    );
  });

  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const PaymentPage = Type.Object({
    payment: Type.Object({
      id: Uuid(),
      provider: Type.String(),
      status: Type.String(),
      amount: Type.Integer(),
      currency: Type.String(),
    }),
    order: OrderSchema,
  });

  api.get(
    '/payments/sandbox/:id',
    {
      schema: {
        tags: ['payments'],
        summary: 'The sandbox provider’s pay page data (the buyer of the order only)',
        params: IdParams,
        response: { 200: PaymentPage, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const { payment, order } = await orders.paymentForBuyer(
        requireActor(request),
        request.params.id,
      );
      return {
        payment: {
          id: payment.id,
          provider: payment.provider,
          status: payment.status,
          amount: payment.amountFen,
          currency: payment.currency,
        },
        order,
      };
    },
  );

  api.post(
    '/payments/sandbox/:id/complete',
    {
      schema: {
        tags: ['payments'],
        summary:
          'The buyer presses Pay (or Fail) on the sandbox page; the sandbox then notifies Cunbo, signed',
        params: IdParams,
        body: Type.Object(
          { outcome: Type.Union([Type.Literal('succeeded'), Type.Literal('failed')]) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ order: OrderSchema }),
          ...errorResponses(400, 401, 404, 409, 422),
        },
      },
    },
    async (request) => {
      const { payment } = await orders.paymentForBuyer(requireActor(request), request.params.id);
      if (payment.status !== 'pending' || !payment.providerRef) {
        throw new AppError('CONFLICT', 'This payment is already settled', 409, {
          status: payment.status,
        });
      }
      // The same path a real provider's notification takes: signed, then verified.
      const note = sandbox.notification(
        payment.providerRef,
        request.body.outcome,
        payment.amountFen,
      );
      const verified = sandbox.verifyCallback(note.headers, note.body);
      return { order: await orders.applyPaymentNotification('sandbox', verified) };
    },
  );
}
