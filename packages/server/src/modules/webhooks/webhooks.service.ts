import { randomBytes, randomUUID } from 'node:crypto';
import { AppError, type WebhookEventType } from '@cunbo/shared';
import type { Config } from '../../config.ts';
import { DEFAULT_COMMERCE } from '../../config.ts';
import type { DomainEventBus } from '../../lib/domain-events.ts';
import type { JobContext, Jobs } from '../../lib/jobs.ts';
import type { Actor } from '../accounts/accounts.service.ts';
import type { CatalogService } from '../catalog/catalog.service.ts';
import { sendWebhook, urlProblem } from './webhook-sender.ts';
import type {
  AttemptRow,
  DeliveryListRow,
  DeliveryRow,
  DeliveryStats,
  DeliveryStatus,
  SubscriptionRow,
  WebhooksRepo,
} from './webhooks.repo.ts';

/** At most this many endpoints per shop. */
export const SUBSCRIPTIONS_PER_SHOP = 10;
/** The pg-boss queue with one job per delivery. */
export const DELIVER_QUEUE = 'webhook-deliver';
/** The type of the ping sent by "Send a test"; not something one subscribes to. */
export const TEST_EVENT_TYPE = 'webhook.test';
const DISPATCH_BATCH = 100;
/**
 * A pending delivery with no job for this long is queued again (see `recover`). Far longer
 * than the dispatcher ever takes between committing deliveries and queueing their jobs, so
 * recovery does not race it.
 */
const ORPHAN_AFTER_SECONDS = 120;
const RECOVER_EVERY_SECONDS = 30;
/** Old events (and their delivery log) are deleted at start and then once an hour. */
const PRUNE_EVERY_SECONDS = 3_600;
const PRUNE_BATCH = 1_000;
const ATTEMPTS_SHOWN = 50;

export interface SubscriptionView {
  id: string;
  url: string;
  events: WebhookEventType[];
  description: string;
  active: boolean;
  createdAt: string;
  stats: DeliveryStats;
}

export interface DeliveryView {
  id: string;
  eventId: string;
  type: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  lastAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

export interface AttemptView {
  at: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  responseBody: string | null;
}

interface Log {
  error(obj: object, msg: string): void;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function presentSubscription(row: SubscriptionRow, stats: DeliveryStats): SubscriptionView {
  return {
    id: row.id,
    url: row.url,
    events: row.events as WebhookEventType[],
    description: row.description,
    active: row.active,
    createdAt: row.createdAt.toISOString(),
    stats,
  };
}

function presentDelivery(row: DeliveryRow, type: string): DeliveryView {
  return {
    id: row.id,
    eventId: row.eventId,
    type,
    status: row.status,
    attempts: row.attempts,
    lastStatusCode: row.lastStatusCode,
    lastError: row.lastError,
    lastAttemptAt: iso(row.lastAttemptAt),
    deliveredAt: iso(row.deliveredAt),
    createdAt: row.createdAt.toISOString(),
  };
}

function presentAttempt(row: AttemptRow): AttemptView {
  return {
    at: row.at.toISOString(),
    statusCode: row.statusCode,
    error: row.error,
    durationMs: row.durationMs,
    responseBody: row.responseBody,
  };
}

/** Standard Webhooks secrets: `whsec_` + base64 of 32 random bytes. */
const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/**
 * Webhooks for integrators: shops' subscriptions, and the delivery of the outbox
 * (`webhook_events`, written by the modules in the transaction of each change). The
 * dispatcher turns outbox rows into deliveries; a pg-boss job per delivery makes the HTTP
 * attempts with retries; everything lands in the delivery log.
 */
export function createWebhooksService(deps: {
  repo: WebhooksRepo;
  catalog: CatalogService;
  jobs: Jobs;
  events: DomainEventBus;
  config: Pick<Config, 'env' | 'commerce'>;
}) {
  const { repo, catalog, jobs, events } = deps;
  const commerce = deps.config.commerce ?? DEFAULT_COMMERCE;
  const allowPrivate = commerce.webhookAllowPrivateTargets ?? deps.config.env !== 'production';
  const retries = commerce.webhookRetries ?? { limit: 12, delaySeconds: 5 };
  const timeoutMs = commerce.webhookTimeoutMs;

  function checkUrl(url: string): void {
    const problem = urlProblem(url, allowPrivate);
    if (problem) {
      throw new AppError('WEBHOOK_TARGET_NOT_ALLOWED', problem, 422, { field: 'body.url' });
    }
  }

  /** A subscription of the actor's shop; any other is a 404, as if it did not exist. */
  async function ownedSubscription(actor: Actor, id: string): Promise<SubscriptionRow> {
    const shop = await catalog.ownedShop(actor);
    const sub = await repo.findSubscription(id);
    if (!sub || sub.shopId !== shop.id) {
      throw new AppError('NOT_FOUND', 'Webhook subscription not found', 404);
    }
    return sub;
  }

  async function view(row: SubscriptionRow): Promise<SubscriptionView> {
    const stats = await repo.statsOf([row.id]);
    return presentSubscription(row, stats.get(row.id)!);
  }

  async function ownedDelivery(actor: Actor, id: string) {
    const shop = await catalog.ownedShop(actor);
    const found = await repo.findDelivery(id);
    if (!found || found.subscription.shopId !== shop.id) {
      throw new AppError('NOT_FOUND', 'Delivery not found', 404);
    }
    return found;
  }

  // ---- Delivery -------------------------------------------------------------------------

  /** Deliveries this process is sending right now (jobs run in batches, side by side). */
  const inFlight = new Set<string>();

  /**
   * The job's handler. Safe to run twice: a delivery no longer pending is left alone, and a
   * second job for a delivery being sent here right now does nothing.
   */
  async function deliver(data: { deliveryId: string }, job: JobContext): Promise<void> {
    if (inFlight.has(data.deliveryId)) return;
    inFlight.add(data.deliveryId);
    try {
      await attempt(data.deliveryId, job);
    } finally {
      inFlight.delete(data.deliveryId);
    }
  }

  async function attempt(deliveryId: string, job: JobContext): Promise<void> {
    const found = await repo.findDelivery(deliveryId);
    // Delivered, given up, or deleted with its subscription: nothing to do.
    if (!found || found.delivery.status !== 'pending') return;
    const { subscription, event } = found;
    if (!subscription.active) {
      await repo.failDelivery(found.delivery.id, 'The subscription is paused');
      return;
    }
    const outcome = await sendWebhook({
      url: subscription.url,
      secret: subscription.secret,
      id: event.id,
      body: JSON.stringify(event.payload),
      timeoutMs,
      allowPrivate,
    });
    const ok = outcome.statusCode !== null && outcome.statusCode >= 200 && outcome.statusCode < 300;
    const last = job.retryCount >= retries.limit;
    await repo.recordAttempt(
      found.delivery.id,
      outcome,
      ok ? 'succeeded' : last ? 'failed' : 'pending',
    );
    // Thrown so pg-boss retries it later, with backoff.
    if (!ok && !last)
      throw new Error(`Webhook attempt failed: ${outcome.error ?? outcome.statusCode}`);
  }

  jobs.define<{ deliveryId: string }>(DELIVER_QUEUE, deliver, {
    retryLimit: retries.limit,
    retryDelaySeconds: retries.delaySeconds,
    retryBackoff: true,
    expireInSeconds: Math.max(60, Math.ceil(timeoutMs / 1000) + 30),
  });

  const queue = (deliveryId: string) => jobs.send(DELIVER_QUEUE, { deliveryId });

  /** Turns waiting outbox rows into deliveries and queues their jobs, until none is left. */
  async function dispatch(): Promise<number> {
    let total = 0;
    for (;;) {
      const { events: n, deliveries } = await repo.dispatchEvents(DISPATCH_BATCH);
      // A crash here leaves these deliveries pending without a job: `recover` queues them.
      for (const d of deliveries) await queue(d.id);
      total += deliveries.length;
      if (n < DISPATCH_BATCH) return total;
    }
  }

  /**
   * Deletes the events older than the retention (`webhookKeepDays`, 30 by default) that are
   * fully delivered or given up, with their deliveries and attempts, a thousand at a time.
   */
  async function prune(): Promise<number> {
    const days = commerce.webhookKeepDays ?? 30;
    let total = 0;
    for (;;) {
      const n = await repo.pruneEvents(days, PRUNE_BATCH);
      total += n;
      if (n < PRUNE_BATCH) return total;
    }
  }

  /** Queues a job again for each delivery that should have one and has none. */
  async function recover(olderThanSeconds = ORPHAN_AFTER_SECONDS): Promise<number> {
    const ids = await repo.orphanedDeliveries(DELIVER_QUEUE, olderThanSeconds, 500);
    for (const id of ids) await queue(id);
    return ids.length;
  }

  let running: Promise<void> | null = null;
  let again = false;
  let stopped = true;
  let log: Log = { error: () => {} };
  const timers: NodeJS.Timeout[] = [];
  const unsubscribe: Array<() => void> = [];

  /** Recovery and pruning in flight: `stop` waits for them. */
  const chores = new Set<Promise<void>>();
  function inBackground(what: string, chore: () => Promise<unknown>): void {
    if (stopped) return;
    const done: Promise<void> = chore()
      .then(() => undefined)
      .catch((err: unknown) => log.error({ err }, `webhook ${what} failed`))
      .finally(() => chores.delete(done));
    chores.add(done);
  }

  /** Runs the dispatcher now, or once more right after the run in progress. */
  function nudge(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        await dispatch();
      } while (again && !stopped);
    })()
      .catch((err: unknown) => log.error({ err }, 'webhook dispatch failed'))
      .finally(() => {
        running = null;
      });
  }

  return {
    // ---- Subscriptions ------------------------------------------------------------------
    async createSubscription(
      actor: Actor,
      input: { url: string; events: WebhookEventType[]; description?: string },
    ): Promise<{ subscription: SubscriptionView; secret: string }> {
      const shop = await catalog.ownedShop(actor);
      checkUrl(input.url);
      const secret = newSecret();
      const row = await repo.insertSubscription(
        {
          shopId: shop.id,
          url: input.url,
          events: [...new Set(input.events)],
          description: input.description?.trim() ?? '',
          secret,
        },
        SUBSCRIPTIONS_PER_SHOP,
      );
      if (!row) {
        throw new AppError(
          'WEBHOOK_LIMIT_REACHED',
          `A shop has at most ${SUBSCRIPTIONS_PER_SHOP} webhook endpoints; delete one first`,
          409,
          { max: SUBSCRIPTIONS_PER_SHOP },
        );
      }
      return { subscription: await view(row), secret };
    },

    async listSubscriptions(actor: Actor): Promise<SubscriptionView[]> {
      const shop = await catalog.ownedShop(actor);
      const rows = await repo.listSubscriptions(shop.id);
      const stats = await repo.statsOf(rows.map((r) => r.id));
      return rows.map((r) => presentSubscription(r, stats.get(r.id)!));
    },

    async updateSubscription(
      actor: Actor,
      id: string,
      input: { url?: string; events?: WebhookEventType[]; active?: boolean; description?: string },
    ): Promise<SubscriptionView> {
      await ownedSubscription(actor, id);
      if (input.url !== undefined) checkUrl(input.url);
      const row = await repo.updateSubscription(id, {
        ...(input.url !== undefined && { url: input.url }),
        ...(input.events !== undefined && { events: [...new Set(input.events)] }),
        ...(input.active !== undefined && { active: input.active }),
        ...(input.description !== undefined && { description: input.description.trim() }),
      });
      if (!row) throw new AppError('NOT_FOUND', 'Webhook subscription not found', 404);
      return view(row);
    },

    async deleteSubscription(actor: Actor, id: string): Promise<void> {
      await ownedSubscription(actor, id);
      await repo.deleteSubscription(id);
    },

    /** A new secret, shown once; the old one stops signing at once. */
    async rotateSecret(
      actor: Actor,
      id: string,
    ): Promise<{ subscription: SubscriptionView; secret: string }> {
      await ownedSubscription(actor, id);
      const secret = newSecret();
      const row = await repo.updateSubscription(id, { secret });
      if (!row) throw new AppError('NOT_FOUND', 'Webhook subscription not found', 404);
      return { subscription: await view(row), secret };
    },

    /** Sends a `webhook.test` ping to this endpoint only, through the usual delivery. */
    async sendTest(actor: Actor, id: string): Promise<DeliveryView> {
      const sub = await ownedSubscription(actor, id);
      const eventId = `msg_${randomUUID().replaceAll('-', '')}`;
      const delivery = await repo.insertTestDelivery(sub, {
        id: eventId,
        type: TEST_EVENT_TYPE,
        payload: {
          type: TEST_EVENT_TYPE,
          timestamp: new Date().toISOString(),
          data: { subscriptionId: sub.id, shopId: sub.shopId },
        },
      });
      await queue(delivery.id);
      return presentDelivery(delivery, TEST_EVENT_TYPE);
    },

    // ---- Delivery log -------------------------------------------------------------------
    async listDeliveries(
      actor: Actor,
      subscriptionId: string,
      filter: { status?: DeliveryStatus; before?: string; limit: number },
    ): Promise<DeliveryView[]> {
      await ownedSubscription(actor, subscriptionId);
      const rows: DeliveryListRow[] = await repo.listDeliveries({
        subscriptionId,
        status: filter.status,
        before: filter.before ? new Date(filter.before) : undefined,
        limit: filter.limit,
      });
      return rows.map((r) => presentDelivery(r, r.type));
    },

    async getDelivery(actor: Actor, id: string) {
      const { delivery, event } = await ownedDelivery(actor, id);
      const attempts = await repo.attemptsOf(id, ATTEMPTS_SHOWN);
      return {
        delivery: presentDelivery(delivery, event.type),
        event: { id: event.id, type: event.type, payload: event.payload },
        attempts: attempts.map(presentAttempt),
      };
    },

    /** A new cycle of attempts (with retries) for the same event and `webhook-id`. */
    async resend(actor: Actor, id: string): Promise<DeliveryView> {
      const { delivery, event } = await ownedDelivery(actor, id);
      const reopened = await repo.reopenDelivery(delivery.id);
      if (!reopened) {
        throw new AppError('CONFLICT', 'This delivery is being attempted already', 409, {
          status: delivery.status,
        });
      }
      await queue(reopened.id);
      return presentDelivery(reopened, event.type);
    },

    // ---- Running ------------------------------------------------------------------------
    /** Dispatches the outbox now (tests; the running dispatcher does it by itself). */
    dispatch,
    recover,
    prune,

    /**
     * Starts the dispatcher: right after every committed change that writes the outbox, and
     * every poll interval for the rest (other processes' changes, a missed nudge). Call once
     * the job queue has started.
     */
    start(logger: Log): void {
      if (!stopped) return;
      stopped = false;
      log = logger;
      for (const name of ['order.created', 'order.updated', 'live.started', 'live.ended'] as const)
        unsubscribe.push(events.on(name, nudge));
      timers.push(setInterval(nudge, commerce.jobsPollSeconds * 1000));
      timers.push(
        setInterval(() => inBackground('recovery', recover), RECOVER_EVERY_SECONDS * 1000),
      );
      timers.push(setInterval(() => inBackground('pruning', prune), PRUNE_EVERY_SECONDS * 1000));
      nudge();
      inBackground('recovery', recover);
      inBackground('pruning', prune);
    },

    async stop(): Promise<void> {
      stopped = true;
      timers.splice(0).forEach(clearInterval);
      unsubscribe.splice(0).forEach((off) => off());
      await Promise.all([running, ...chores]);
    },
  };
}

export type WebhooksService = ReturnType<typeof createWebhooksService>;
