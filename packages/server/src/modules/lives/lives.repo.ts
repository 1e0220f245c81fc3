import { and, asc, desc, eq, inArray, ne, sql, type SQL } from 'drizzle-orm';
import type { WebhookEventType } from '@cunbo/shared';
import type { Db } from '../../db/client.ts';
import { follows, liveProducts, livePins, lives, products, shops } from '../../db/schema/index.ts';
import { recordWebhookEvent } from '../webhooks/webhook-outbox.ts';
import type { ReplayTimeline } from './lives.replay.ts';

export type LiveRow = typeof lives.$inferSelect;

export interface LiveListFilter {
  status?: LiveRow['status'];
  regionPrefix?: string;
  category?: string;
  shopId?: string;
  followedBy?: string;
  limit: number;
}

export function livesRepo(db: Db) {
  return {
    async insertLive(values: typeof lives.$inferInsert, productIds: string[]): Promise<LiveRow> {
      return db.transaction(async (tx) => {
        const [live] = await tx.insert(lives).values(values).returning();
        if (productIds.length > 0) {
          await tx
            .insert(liveProducts)
            .values(
              productIds.map((productId, position) => ({ liveId: live!.id, productId, position })),
            );
        }
        return live!;
      });
    },
    async findLive(id: string): Promise<LiveRow | null> {
      const rows = await db.select().from(lives).where(eq(lives.id, id)).limit(1);
      return rows[0] ?? null;
    },
    /** The live an encoder (RTMP) publishes to; its URL carries the stream key, not the id. */
    async findLiveByStreamKey(streamKey: string): Promise<LiveRow | null> {
      const rows = await db.select().from(lives).where(eq(lives.streamKey, streamKey)).limit(1);
      return rows[0] ?? null;
    },
    /**
     * Moves the status only if it is still `from`: two clicks on "Go live" start it once.
     * With `webhook`, the integrators' event (live.started, live.ended) is written to the
     * outbox in the same transaction: it exists if and only if the change committed.
     */
    async transition(
      id: string,
      from: LiveRow['status'],
      values: Partial<typeof lives.$inferInsert>,
      webhook?: Extract<WebhookEventType, `live.${string}`>,
    ): Promise<LiveRow | null> {
      return db.transaction(async (tx) => {
        const rows = await tx
          .update(lives)
          .set(values)
          .where(and(eq(lives.id, id), eq(lives.status, from)))
          .returning();
        const live = rows[0];
        if (!live) return null;
        if (webhook) {
          await recordWebhookEvent(tx as unknown as Db, {
            shopId: live.shopId,
            type: webhook,
            at: (webhook === 'live.started' ? live.startedAt : live.endedAt) ?? undefined,
            data: {
              liveId: live.id,
              shopId: live.shopId,
              title: live.title,
              status: live.status,
              from,
              startedAt: live.startedAt?.toISOString() ?? null,
              endedAt: live.endedAt?.toISOString() ?? null,
            },
          });
        }
        return live;
      });
    },
    async productIdsOf(liveId: string): Promise<string[]> {
      const rows = await db
        .select({ id: liveProducts.productId })
        .from(liveProducts)
        .where(eq(liveProducts.liveId, liveId))
        .orderBy(asc(liveProducts.position));
      return rows.map((r) => r.id);
    },
    async productIdsOfMany(liveIds: string[]): Promise<Map<string, string[]>> {
      const out = new Map<string, string[]>();
      if (liveIds.length === 0) return out;
      const rows = await db
        .select()
        .from(liveProducts)
        .where(inArray(liveProducts.liveId, liveIds))
        .orderBy(asc(liveProducts.position));
      for (const r of rows) out.set(r.liveId, [...(out.get(r.liveId) ?? []), r.productId]);
      return out;
    },
    async pin(liveId: string, productId: string | null): Promise<void> {
      await db.transaction(async (tx) => {
        await tx.update(lives).set({ pinnedProductId: productId }).where(eq(lives.id, liveId));
        if (productId) {
          await tx
            .insert(liveProducts)
            .values({
              liveId,
              productId,
              position: sql`(select coalesce(max(${liveProducts.position}), -1) + 1 from ${liveProducts} where ${liveProducts.liveId} = ${liveId})`,
            })
            .onConflictDoNothing();
        }
        await tx.insert(livePins).values({ liveId, productId });
      });
    },
    async pinsOf(liveId: string) {
      return db
        .select()
        .from(livePins)
        .where(eq(livePins.liveId, liveId))
        .orderBy(asc(livePins.pinnedAt));
    },
    /** Every pin of these lives, in pin order (chapters of their replays). */
    async pinsOfMany(liveIds: string[]): Promise<Map<string, Array<typeof livePins.$inferSelect>>> {
      const out = new Map<string, Array<typeof livePins.$inferSelect>>();
      if (liveIds.length === 0) return out;
      const rows = await db
        .select()
        .from(livePins)
        .where(inArray(livePins.liveId, liveIds))
        .orderBy(asc(livePins.pinnedAt), asc(livePins.id));
      for (const r of rows) out.set(r.liveId, [...(out.get(r.liveId) ?? []), r]);
      return out;
    },
    async setReplay(liveId: string, replay: ReplayTimeline | null): Promise<void> {
      await db.update(lives).set({ replay }).where(eq(lives.id, liveId));
    },
    async setThumbnailAt(liveId: string, at: Date): Promise<void> {
      await db.update(lives).set({ thumbnailAt: at }).where(eq(lives.id, liveId));
    },
    /** Deletes a show that is not on air (pins and products go with it; orders keep a null live). */
    async deleteLive(id: string): Promise<LiveRow | null> {
      const rows = await db
        .delete(lives)
        .where(and(eq(lives.id, id), ne(lives.status, 'live')))
        .returning();
      return rows[0] ?? null;
    },
    async list(filter: LiveListFilter): Promise<LiveRow[]> {
      const where: SQL[] = [];
      if (filter.status) where.push(eq(lives.status, filter.status));
      if (filter.shopId) where.push(eq(lives.shopId, filter.shopId));
      if (filter.regionPrefix) {
        where.push(
          sql`${lives.shopId} in (select ${shops.id} from ${shops} where ${shops.regionCode} like ${filter.regionPrefix + '%'})`,
        );
      }
      if (filter.category) {
        where.push(
          sql`${lives.id} in (select ${liveProducts.liveId} from ${liveProducts} join ${products} on ${products.id} = ${liveProducts.productId} where ${products.category} = ${filter.category})`,
        );
      }
      if (filter.followedBy) {
        where.push(
          sql`${lives.shopId} in (select ${follows.shopId} from ${follows} where ${follows.userId} = ${filter.followedBy})`,
        );
      }
      const order =
        filter.status === 'scheduled'
          ? [asc(lives.scheduledAt), asc(lives.createdAt)]
          : filter.status === 'ended'
            ? [desc(lives.endedAt)]
            : [desc(lives.startedAt), desc(lives.createdAt)];
      return db
        .select()
        .from(lives)
        .where(where.length ? and(...where) : undefined)
        .orderBy(...order)
        .limit(filter.limit);
    },
    /** Shows not yet ended that feature a product: where its stock changes are announced. */
    async openLivesWithProduct(productId: string): Promise<string[]> {
      const rows = await db
        .select({ id: lives.id })
        .from(lives)
        .innerJoin(liveProducts, eq(liveProducts.liveId, lives.id))
        .where(
          and(eq(liveProducts.productId, productId), inArray(lives.status, ['scheduled', 'live'])),
        );
      return rows.map((r) => r.id);
    },
    async recordStats(
      liveId: string,
      stats: { peakViewers?: number; likes?: number; chatLines?: number },
    ) {
      await db
        .update(lives)
        .set({
          ...(stats.peakViewers !== undefined && {
            peakViewers: sql`greatest(${lives.peakViewers}, ${stats.peakViewers})`,
          }),
          ...(stats.likes !== undefined && {
            likes: sql`greatest(${lives.likes}, ${stats.likes})`,
          }),
          ...(stats.chatLines !== undefined && {
            chatLines: sql`${lives.chatLines} + ${stats.chatLines}`,
          }),
        })
        .where(eq(lives.id, liveId));
    },
  };
}

export type LivesRepo = ReturnType<typeof livesRepo>;
