import { DEFAULT_COMMERCE, type Config } from './config.ts';
import type { Database } from './db/client.ts';
import type { Clock } from './lib/clock.ts';
import type { DomainEventBus } from './lib/domain-events.ts';
import type { Jobs } from './lib/jobs.ts';
import { accountsRepo } from './modules/accounts/accounts.repo.ts';
import { createAccountsService } from './modules/accounts/accounts.service.ts';
import { catalogRepo } from './modules/catalog/catalog.repo.ts';
import { createCatalogService } from './modules/catalog/catalog.service.ts';
import { createPhotoStore } from './modules/catalog/photo-store.ts';
import type { CarrierProvider } from './modules/carriers/carrier-provider.ts';
import { createSandboxCarrier } from './modules/carriers/sandbox-carrier.ts';
import { fulfilmentRepo } from './modules/fulfilment/fulfilment.repo.ts';
import { createFulfilmentService } from './modules/fulfilment/fulfilment.service.ts';
import { flashRepo } from './modules/flash/flash.repo.ts';
import { createFlashService } from './modules/flash/flash.service.ts';
import { livesRepo } from './modules/lives/lives.repo.ts';
import { createLivesService } from './modules/lives/lives.service.ts';
import { ordersRepo } from './modules/orders/orders.repo.ts';
import { createOrdersService } from './modules/orders/orders.service.ts';
import type { PaymentProvider } from './modules/payments/payment-provider.ts';
import { createSandboxProvider } from './modules/payments/sandbox-provider.ts';
import { socialRepo } from './modules/social/social.repo.ts';
import { createSocialService } from './modules/social/social.service.ts';
import { webhooksRepo } from './modules/webhooks/webhooks.repo.ts';
import { createWebhooksService } from './modules/webhooks/webhooks.service.ts';

/** Wires every service to its repo and its neighbours. The only place that knows them all. */
export function createServices(deps: {
  config: Config;
  database: Database;
  clock: Clock;
  events: DomainEventBus;
  jobs: Jobs;
}) {
  const { config, database, clock, events, jobs } = deps;
  const db = database.db;
  const accounts = createAccountsService({
    repo: accountsRepo(db),
    clock,
    sessionTtlDays: config.sessionTtlDays,
  });
  const catalog = createCatalogService({
    repo: catalogRepo(db),
    photos: createPhotoStore(config.dataDir),
  });
  const lives = createLivesService({ repo: livesRepo(db), catalog, events, clock });
  const social = createSocialService({ repo: socialRepo(db), catalog, events });
  const sandbox = createSandboxProvider({ secret: config.secrets.paymentSandbox });
  const providers: ReadonlyMap<string, PaymentProvider> = new Map([[sandbox.id, sandbox]]);
  const commerce = config.commerce ?? DEFAULT_COMMERCE;
  const orders = createOrdersService({
    repo: ordersRepo(db),
    catalog,
    lives,
    events,
    providers,
    clock,
    jobs,
    holdMinutes: commerce.paymentHoldMinutes,
  });
  const flash = createFlashService({
    repo: flashRepo(db),
    orders,
    catalog,
    lives,
    events,
    clock,
    jobs,
    providers,
    pipelineBatches: database.kind === 'postgres',
  });
  const sandboxCarrier = createSandboxCarrier({
    secret: config.secrets.carrierSandbox,
    jobs,
    callbackUrl: `${config.publicUrl}/api/v1/carriers/sandbox/callback`,
    stepSeconds: commerce.carrierSandboxStepSeconds,
    timeoutMs: commerce.webhookTimeoutMs,
  });
  const carriers: ReadonlyMap<string, CarrierProvider> = new Map([
    [sandboxCarrier.id, sandboxCarrier],
  ]);
  const fulfilment = createFulfilmentService({
    repo: fulfilmentRepo(db),
    orders: ordersRepo(db),
    events,
    carriers,
    publicUrl: config.publicUrl,
  });
  const webhooks = createWebhooksService({
    repo: webhooksRepo(db),
    catalog,
    jobs,
    events,
    config,
  });
  return {
    accounts,
    catalog,
    lives,
    social,
    orders,
    flash,
    fulfilment,
    carriers,
    providers,
    sandbox,
    events,
    clock,
    jobs,
    webhooks,
  };
}

export type Services = ReturnType<typeof createServices>;
