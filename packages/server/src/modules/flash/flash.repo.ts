import { and, desc, eq, gte, inArray, isNull, lte, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import {
  couponClaims,
  flashBuyers,
  flashOffers,
  liveCoupons,
  products,
} from '../../db/schema/index.ts';
import { ordersQueries, type OrdersQueries } from '../orders/orders.repo.ts';

export type OfferRow = typeof flashOffers.$inferSelect;
export type CouponRow = typeof liveCoupons.$inferSelect;

function flashQueries(db: Db) {
  return {
    /**
     * Takes the offer's units out of the product's stock, in one conditional statement (see
     * ADR 0007): the offer then races only for its own counter.
     */
    async takeProductUnits(productId: string, shopId: string, quantity: number) {
      const rows = await db
        .update(products)
        .set({ stock: sql`${products.stock} - ${quantity}`, updatedAt: sql`now()` })
        .where(
          and(
            eq(products.id, productId),
            eq(products.shopId, shopId),
            eq(products.status, 'active'),
            gte(products.stock, quantity),
          ),
        )
        .returning({ stock: products.stock });
      return rows[0] ?? null;
    },
    async productOf(productId: string) {
      const rows = await db
        .select({ shopId: products.shopId, stock: products.stock, status: products.status })
        .from(products)
        .where(eq(products.id, productId))
        .limit(1);
      return rows[0] ?? null;
    },
    async giveBackToProduct(productId: string, quantity: number): Promise<number | null> {
      const rows = await db
        .update(products)
        .set({ stock: sql`${products.stock} + ${quantity}`, updatedAt: sql`now()` })
        .where(eq(products.id, productId))
        .returning({ stock: products.stock });
      return rows[0]?.stock ?? null;
    },
    async insertOffer(values: typeof flashOffers.$inferInsert): Promise<OfferRow> {
      const [row] = await db.insert(flashOffers).values(values).returning();
      return row!;
    },
    async findOffer(id: string): Promise<OfferRow | null> {
      const rows = await db.select().from(flashOffers).where(eq(flashOffers.id, id)).limit(1);
      return rows[0] ?? null;
    },
    async listOffers(liveId: string, limit: number): Promise<OfferRow[]> {
      return db
        .select()
        .from(flashOffers)
        .where(eq(flashOffers.liveId, liveId))
        .orderBy(desc(flashOffers.createdAt))
        .limit(limit);
    },
    /**
     * What a batch of claims needs to know, in one round trip: the offer's row locked until the
     * transaction ends (one batch at a time; its `taken` and `closed_at`, the only columns that
     * change after it is created), the Idempotency-Keys already used among the batch's, and the
     * units its buyers hold. The keys and units are read in the statement's snapshot, which
     * can predate the commit of a batch that held the lock in another process: the write's
     * own conditions (unique keys, the per-buyer sum) catch that, and the batch is retried.
     * Null when there is no such offer.
     */
    async lockForClaims(
      offerId: string,
      pairs: Array<{ userId: string; key: string }>,
      buyerIds: string[],
    ): Promise<{
      offer: { taken: number; closedAt: Date | null };
      keys: Array<{ userId: string; key: string; orderId: string; requestHash: string }>;
      units: Map<string, number>;
    } | null> {
      const result = await db.execute(sql`
        with o as materialized (
          select taken, closed_at from flash_offers where id = ${offerId} for update
        )
        select 'offer' as kind, o.taken::text as a,
          (extract(epoch from o.closed_at) * 1000)::bigint::text as b, null as c, '' as d
        from o
        union all
        select 'key' as kind, k.user_id::text as a, k.key as b, k.order_id::text as c,
          k.request_hash as d
        from idempotency_keys k
        join json_to_recordset(${JSON.stringify(pairs)}::json) as q("userId" uuid, key text)
          on k.user_id = q."userId" and k.key = q.key
        union all
        select 'units', b.buyer_id::text, null, null, b.units::text
        from flash_buyers b
        where b.offer_id = ${offerId}
          and b.buyer_id in (select value::uuid from json_array_elements_text(${JSON.stringify(buyerIds)}::json))
      `);
      const rows = (
        result as unknown as {
          rows: Array<{ kind: string; a: string; b: string | null; c: string | null; d: string }>;
        }
      ).rows;
      const keys: Array<{ userId: string; key: string; orderId: string; requestHash: string }> = [];
      const units = new Map<string, number>();
      let offer: { taken: number; closedAt: Date | null } | null = null;
      for (const r of rows) {
        if (r.kind === 'offer')
          offer = { taken: Number(r.a), closedAt: r.b ? new Date(Number(r.b)) : null };
        else if (r.kind === 'key')
          keys.push({ userId: r.a, key: r.b!, orderId: r.c!, requestHash: r.d });
        else units.set(r.a, Number(r.d));
      }
      return offer && { offer, keys, units };
    },
    /**
     * Adds units to each buyer's count only where the sum stays within `limit`: a CTE for
     * `insertOrdersBatch`, one row `v` per buyer whose row took its units.
     */
    addBuyerUnitsCte(
      offerId: string,
      added: Array<{ buyerId: string; units: number }>,
      limit: number,
    ): SQL {
      return sql`
        insert into flash_buyers (offer_id, buyer_id, units)
        select ${offerId}::uuid, "buyerId", units
        from json_to_recordset(${JSON.stringify(added)}::json) as r("buyerId" uuid, units int)
        on conflict (offer_id, buyer_id) do update set units = flash_buyers.units + excluded.units
        where flash_buyers.units + excluded.units <= ${limit}
        returning buyer_id as v`;
    },
    /**
     * Takes `n` units of the offer only if they are there: a CTE for `insertOrdersBatch`, one
     * row `v` (the new `taken`) or none.
     */
    addTakenCte(offerId: string, n: number): SQL {
      return sql`
        update flash_offers set taken = taken + ${n}
        where id = ${offerId} and closed_at is null and taken + ${n} <= quantity
        returning taken as v`;
    },
    /** Closes the offer once; returns it as closed (its untaken units to give back), or null. */
    async closeOffer(id: string, at: Date): Promise<OfferRow | null> {
      const rows = await db
        .update(flashOffers)
        .set({ closedAt: at })
        .where(and(eq(flashOffers.id, id), isNull(flashOffers.closedAt)))
        .returning();
      return rows[0] ?? null;
    },
    /** Offers not closed yet: those that should be, and those whose close job is pending. */
    async unclosedOffers(limit: number) {
      return db
        .select({ id: flashOffers.id, endsAt: flashOffers.endsAt, startsAt: flashOffers.startsAt })
        .from(flashOffers)
        .where(isNull(flashOffers.closedAt))
        .limit(limit);
    },
    /** Buyers holding or having bought units of the offer. */
    async holders(offerId: string): Promise<Set<string>> {
      const rows = await db
        .select({ buyerId: flashBuyers.buyerId })
        .from(flashBuyers)
        .where(and(eq(flashBuyers.offerId, offerId), sql`${flashBuyers.units} > 0`));
      return new Set(rows.map((r) => r.buyerId));
    },
    async mine(offerIds: string[], buyerId: string): Promise<Map<string, number>> {
      if (offerIds.length === 0) return new Map();
      const rows = await db
        .select({ offerId: flashBuyers.offerId, units: flashBuyers.units })
        .from(flashBuyers)
        .where(and(inArray(flashBuyers.offerId, offerIds), eq(flashBuyers.buyerId, buyerId)));
      return new Map(rows.map((r) => [r.offerId, r.units]));
    },

    async insertCoupon(values: typeof liveCoupons.$inferInsert): Promise<CouponRow> {
      const [row] = await db.insert(liveCoupons).values(values).returning();
      return row!;
    },
    async findCoupon(id: string): Promise<CouponRow | null> {
      const rows = await db.select().from(liveCoupons).where(eq(liveCoupons.id, id)).limit(1);
      return rows[0] ?? null;
    },
    async listCoupons(liveId: string, limit: number): Promise<CouponRow[]> {
      return db
        .select()
        .from(liveCoupons)
        .where(eq(liveCoupons.liveId, liveId))
        .orderBy(desc(liveCoupons.createdAt))
        .limit(limit);
    },
    /** False when the buyer already has this coupon. */
    async insertClaim(couponId: string, userId: string): Promise<boolean> {
      const rows = await db
        .insert(couponClaims)
        .values({ couponId, userId })
        .onConflictDoNothing()
        .returning({ couponId: couponClaims.couponId });
      return rows.length === 1;
    },
    /** One more of the quota, only if some are left and the coupon is being handed out. */
    async countClaim(couponId: string, now: Date): Promise<CouponRow | null> {
      const rows = await db
        .update(liveCoupons)
        .set({ claimed: sql`${liveCoupons.claimed} + 1` })
        .where(
          and(
            eq(liveCoupons.id, couponId),
            sql`${liveCoupons.claimed} < ${liveCoupons.quota}`,
            lte(liveCoupons.startsAt, now),
            sql`${liveCoupons.endsAt} > ${now.toISOString()}`,
          ),
        )
        .returning();
      return rows[0] ?? null;
    },
    async claimedOf(couponIds: string[], userId: string): Promise<Set<string>> {
      if (couponIds.length === 0) return new Set();
      const rows = await db
        .select({ couponId: couponClaims.couponId })
        .from(couponClaims)
        .where(and(inArray(couponClaims.couponId, couponIds), eq(couponClaims.userId, userId)));
      return new Set(rows.map((r) => r.couponId));
    },
    async myCoupons(userId: string, limit: number) {
      return db
        .select({ coupon: liveCoupons, orderId: couponClaims.orderId })
        .from(couponClaims)
        .innerJoin(liveCoupons, eq(liveCoupons.id, couponClaims.couponId))
        .where(eq(couponClaims.userId, userId))
        .orderBy(desc(couponClaims.createdAt))
        .limit(limit);
    },
  };
}

export type FlashQueries = ReturnType<typeof flashQueries> & { orders: OrdersQueries };

export function flashRepo(db: Db) {
  const make = (d: Db): FlashQueries => ({ ...flashQueries(d), orders: ordersQueries(d) });
  return {
    ...make(db),
    /** Offer, buyers and orders in one transaction: a batch commits whole or not at all. */
    inTransaction<T>(work: (tx: FlashQueries) => Promise<T>): Promise<T> {
      return db.transaction((tx) => work(make(tx as unknown as Db)));
    },
  };
}

export type FlashRepo = ReturnType<typeof flashRepo>;
