import { and, asc, count, desc, eq, inArray, isNull, lt, ne, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import {
  shops,
  webhookAttempts,
  webhookDeliveries,
  webhookEvents,
  webhookSubscriptions,
} from '../../db/schema/index.ts';

export type SubscriptionRow = typeof webhookSubscriptions.$inferSelect;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;
export type EventRow = typeof webhookEvents.$inferSelect;
export type AttemptRow = typeof webhookAttempts.$inferSelect;
export type DeliveryStatus = DeliveryRow['status'];
export type DeliveryStats = Record<DeliveryStatus, number>;

/** A delivery with what its log shows: the event's type. */
export type DeliveryListRow = DeliveryRow & { type: string };

/** Everything the deliver job needs to make one attempt. */
export interface DeliveryToSend {
  delivery: DeliveryRow;
  subscription: SubscriptionRow;
  event: EventRow;
}

/** The outcome of one HTTP attempt, as the delivery log keeps it. */
export interface AttemptOutcome {
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  responseBody: string | null;
}

/** pg-boss's job table (lib/jobs.ts keeps pg-boss's default schema name). */
const JOB_TABLE = sql.raw('pgboss.job');

export function webhooksRepo(db: Db) {
  return {
    /**
     * Inserts a subscription unless the shop already has `max`. The shop row is locked for the
     * count, so two requests at once cannot both take the last place.
     */
    async insertSubscription(
      values: typeof webhookSubscriptions.$inferInsert,
      max: number,
    ): Promise<SubscriptionRow | null> {
      return db.transaction(async (tx) => {
        await tx
          .select({ id: shops.id })
          .from(shops)
          .where(eq(shops.id, values.shopId))
          .for('update');
        const [row] = await tx
          .select({ n: count() })
          .from(webhookSubscriptions)
          .where(eq(webhookSubscriptions.shopId, values.shopId));
        if ((row?.n ?? 0) >= max) return null;
        const [sub] = await tx.insert(webhookSubscriptions).values(values).returning();
        return sub!;
      });
    },

    async listSubscriptions(shopId: string): Promise<SubscriptionRow[]> {
      return db
        .select()
        .from(webhookSubscriptions)
        .where(eq(webhookSubscriptions.shopId, shopId))
        .orderBy(asc(webhookSubscriptions.createdAt));
    },

    async findSubscription(id: string): Promise<SubscriptionRow | null> {
      const rows = await db
        .select()
        .from(webhookSubscriptions)
        .where(eq(webhookSubscriptions.id, id))
        .limit(1);
      return rows[0] ?? null;
    },

    async updateSubscription(
      id: string,
      values: Partial<
        Pick<SubscriptionRow, 'url' | 'events' | 'active' | 'description' | 'secret'>
      >,
    ): Promise<SubscriptionRow | null> {
      const rows = await db
        .update(webhookSubscriptions)
        .set(values)
        .where(eq(webhookSubscriptions.id, id))
        .returning();
      return rows[0] ?? null;
    },

    async deleteSubscription(id: string): Promise<boolean> {
      const rows = await db
        .delete(webhookSubscriptions)
        .where(eq(webhookSubscriptions.id, id))
        .returning({ id: webhookSubscriptions.id });
      return rows.length === 1;
    },

    /** Deliveries per status for each subscription (zeros included). */
    async statsOf(subscriptionIds: string[]): Promise<Map<string, DeliveryStats>> {
      const out = new Map<string, DeliveryStats>(
        subscriptionIds.map((id) => [id, { pending: 0, succeeded: 0, failed: 0 }]),
      );
      if (subscriptionIds.length === 0) return out;
      const rows = await db
        .select({
          subscriptionId: webhookDeliveries.subscriptionId,
          status: webhookDeliveries.status,
          n: count(),
        })
        .from(webhookDeliveries)
        .where(inArray(webhookDeliveries.subscriptionId, subscriptionIds))
        .groupBy(webhookDeliveries.subscriptionId, webhookDeliveries.status);
      for (const r of rows) out.get(r.subscriptionId)![r.status] = Number(r.n);
      return out;
    },

    /** A subscription's delivery log, newest first. */
    async listDeliveries(filter: {
      subscriptionId: string;
      status?: DeliveryStatus;
      before?: Date;
      limit: number;
    }): Promise<DeliveryListRow[]> {
      const rows = await db
        .select({ delivery: webhookDeliveries, type: webhookEvents.type })
        .from(webhookDeliveries)
        .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.eventId))
        .where(
          and(
            eq(webhookDeliveries.subscriptionId, filter.subscriptionId),
            filter.status ? eq(webhookDeliveries.status, filter.status) : undefined,
            filter.before ? lt(webhookDeliveries.createdAt, filter.before) : undefined,
          ),
        )
        .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
        .limit(filter.limit);
      return rows.map((r) => ({ ...r.delivery, type: r.type }));
    },

    /** A delivery with its subscription and event (the deliver job, the detail view). */
    async findDelivery(id: string): Promise<DeliveryToSend | null> {
      const rows = await db
        .select({
          delivery: webhookDeliveries,
          subscription: webhookSubscriptions,
          event: webhookEvents,
        })
        .from(webhookDeliveries)
        .innerJoin(
          webhookSubscriptions,
          eq(webhookSubscriptions.id, webhookDeliveries.subscriptionId),
        )
        .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.eventId))
        .where(eq(webhookDeliveries.id, id))
        .limit(1);
      return rows[0] ?? null;
    },

    async attemptsOf(deliveryId: string, limit: number): Promise<AttemptRow[]> {
      return db
        .select()
        .from(webhookAttempts)
        .where(eq(webhookAttempts.deliveryId, deliveryId))
        .orderBy(desc(webhookAttempts.at))
        .limit(limit);
    },

    /**
     * The dispatcher's step: takes up to `limit` undispatched outbox events (rows another
     * process holds are skipped, not waited for), makes one delivery per matching active
     * subscription that existed when the event happened, and marks the events dispatched,
     * all in one transaction. A crash before commit leaves the events for the next round.
     */
    async dispatchEvents(limit: number): Promise<{ events: number; deliveries: DeliveryRow[] }> {
      return db.transaction(async (tx) => {
        const events = await tx
          .select({
            id: webhookEvents.id,
            shopId: webhookEvents.shopId,
            type: webhookEvents.type,
            createdAt: webhookEvents.createdAt,
          })
          .from(webhookEvents)
          .where(isNull(webhookEvents.dispatchedAt))
          .orderBy(asc(webhookEvents.createdAt))
          .limit(limit)
          .for('update', { skipLocked: true });
        if (events.length === 0) return { events: 0, deliveries: [] };
        const subs = await tx
          .select()
          .from(webhookSubscriptions)
          .where(
            and(
              inArray(webhookSubscriptions.shopId, [...new Set(events.map((e) => e.shopId))]),
              eq(webhookSubscriptions.active, true),
            ),
          );
        const wanted = events.flatMap((e) =>
          subs
            .filter(
              (s) =>
                s.shopId === e.shopId && s.events.includes(e.type) && s.createdAt <= e.createdAt,
            )
            .map((s) => ({ subscriptionId: s.id, eventId: e.id })),
        );
        const deliveries =
          wanted.length > 0 ? await tx.insert(webhookDeliveries).values(wanted).returning() : [];
        await tx
          .update(webhookEvents)
          .set({ dispatchedAt: sql`now()` })
          .where(
            inArray(
              webhookEvents.id,
              events.map((e) => e.id),
            ),
          );
        return { events: events.length, deliveries };
      });
    },

    /** A ping to one subscription: an event of its own, dispatched already, and its delivery. */
    async insertTestDelivery(
      subscription: SubscriptionRow,
      event: { id: string; type: string; payload: Record<string, unknown> },
    ): Promise<DeliveryRow> {
      return db.transaction(async (tx) => {
        await tx.insert(webhookEvents).values({
          ...event,
          shopId: subscription.shopId,
          dispatchedAt: sql`now()`,
        });
        const [delivery] = await tx
          .insert(webhookDeliveries)
          .values({ subscriptionId: subscription.id, eventId: event.id })
          .returning();
        return delivery!;
      });
    },

    /**
     * Logs an attempt and updates the delivery with it, unless the delivery is no longer
     * pending (another run already finished it). `status` is what the delivery becomes.
     */
    async recordAttempt(
      deliveryId: string,
      outcome: AttemptOutcome,
      status: DeliveryStatus,
    ): Promise<DeliveryRow | null> {
      return db.transaction(async (tx) => {
        const rows = await tx
          .update(webhookDeliveries)
          .set({
            status,
            attempts: sql`${webhookDeliveries.attempts} + 1`,
            lastStatusCode: outcome.statusCode,
            lastError: outcome.error,
            lastAttemptAt: sql`now()`,
            ...(status === 'succeeded' && { deliveredAt: sql`now()` }),
          })
          .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.status, 'pending')))
          .returning();
        if (!rows[0]) return null;
        await tx.insert(webhookAttempts).values({ deliveryId, ...outcome });
        return rows[0];
      });
    },

    /** Gives up on a delivery without an attempt (its subscription was paused). */
    async failDelivery(deliveryId: string, error: string): Promise<void> {
      await db
        .update(webhookDeliveries)
        .set({ status: 'failed', lastError: error })
        .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.status, 'pending')));
    },

    /** Back to pending for a new cycle of attempts; null when it is pending already. */
    async reopenDelivery(deliveryId: string): Promise<DeliveryRow | null> {
      const rows = await db
        .update(webhookDeliveries)
        .set({ status: 'pending', deliveredAt: null })
        .where(and(eq(webhookDeliveries.id, deliveryId), ne(webhookDeliveries.status, 'pending')))
        .returning();
      return rows[0] ?? null;
    },

    /**
     * Deletes up to `limit` events older than `olderThanDays` that were dispatched and have no
     * delivery still pending; their deliveries and attempts go with them (foreign keys cascade).
     * Returns how many events went.
     */
    async pruneEvents(olderThanDays: number, limit: number): Promise<number> {
      const rows = await db
        .delete(webhookEvents)
        .where(
          inArray(
            webhookEvents.id,
            db
              .select({ id: webhookEvents.id })
              .from(webhookEvents)
              .where(
                and(
                  sql`${webhookEvents.createdAt} < now() - make_interval(days => ${olderThanDays})`,
                  sql`${webhookEvents.dispatchedAt} is not null`,
                  sql`not exists (select 1 from ${webhookDeliveries} d where d.event_id = ${webhookEvents.id} and d.status = 'pending')`,
                ),
              )
              .limit(limit),
          ),
        )
        .returning({ id: webhookEvents.id });
      return rows.length;
    },

    /**
     * Pending deliveries older than `olderThanSeconds` with no job waiting or running for them
     * in `queue`: the process died between committing them and queueing their job, or while
     * running the last attempt. Reads pg-boss's job table, which lives in the same database.
     */
    async orphanedDeliveries(
      queue: string,
      olderThanSeconds: number,
      limit: number,
    ): Promise<string[]> {
      const rows = await db
        .select({ id: webhookDeliveries.id })
        .from(webhookDeliveries)
        .where(
          and(
            eq(webhookDeliveries.status, 'pending'),
            sql`coalesce(${webhookDeliveries.lastAttemptAt}, ${webhookDeliveries.createdAt}) < now() - make_interval(secs => ${olderThanSeconds})`,
            sql`not exists (select 1 from ${JOB_TABLE} j where j.name = ${queue} and j.state in ('created', 'retry', 'active') and j.data->>'deliveryId' = ${webhookDeliveries.id}::text)`,
          ),
        )
        .orderBy(asc(webhookDeliveries.createdAt))
        .limit(limit);
      return rows.map((r) => r.id);
    },
  };
}

export type WebhooksRepo = ReturnType<typeof webhooksRepo>;
