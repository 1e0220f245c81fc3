import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Config } from './config.ts';
import { accountsRoutes } from './modules/accounts/accounts.routes.ts';
import { carriersRoutes } from './modules/carriers/carriers.routes.ts';
import { catalogRoutes } from './modules/catalog/catalog.routes.ts';
import { fulfilmentRoutes } from './modules/fulfilment/fulfilment.routes.ts';
import type { Media } from './media/media.service.ts';
import { mediaRoutes } from './media/media.routes.ts';
import { flashRoutes } from './modules/flash/flash.routes.ts';
import { livesRoutes } from './modules/lives/lives.routes.ts';
import { ordersRoutes } from './modules/orders/orders.routes.ts';
import { paymentsRoutes } from './modules/payments/payments.routes.ts';
import { regionsRoutes } from './modules/regions/regions.routes.ts';
import { socialRoutes } from './modules/social/social.routes.ts';
import { webhooksRoutes } from './modules/webhooks/webhooks.routes.ts';
import type { Realtime } from './realtime/realtime.ts';
import type { Services } from './services.ts';

/** Everything under /api/v1. */
export async function registerRoutes(
  api: FastifyInstance,
  deps: { services: Services; realtime: Realtime; media: Media; config: Config },
) {
  const { services, config } = deps;
  api.get(
    '/health',
    {
      config: { rateLimit: false },
      schema: {
        tags: ['health'],
        summary: 'Is the server up',
        response: {
          200: Type.Object({ ok: Type.Boolean(), database: Type.String(), redis: Type.Boolean() }),
        },
      },
    },
    async () => ({ ok: true, database: api.database.kind, redis: Boolean(config.redisUrl) }),
  );
  accountsRoutes(api, { accounts: services.accounts, config });
  regionsRoutes(api);
  await catalogRoutes(api, { catalog: services.catalog, config });
  livesRoutes(api, { lives: services.lives });
  await api.register(mediaRoutes, { media: deps.media });
  socialRoutes(api, { social: services.social });
  ordersRoutes(api, { orders: services.orders, config });
  flashRoutes(api, { flash: services.flash, config });
  fulfilmentRoutes(api, { fulfilment: services.fulfilment, config, clock: services.clock });
  await carriersRoutes(api, { carriers: services.carriers, fulfilment: services.fulfilment });
  await paymentsRoutes(api, {
    orders: services.orders,
    providers: services.providers,
    sandbox: services.sandbox,
  });
  webhooksRoutes(api, { webhooks: services.webhooks, config });
  deps.realtime.registerRoutes(api);
}
