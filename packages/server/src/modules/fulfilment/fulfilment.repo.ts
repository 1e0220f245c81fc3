import { and, asc, desc, eq, inArray, isNotNull, isNull, ne, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import {
  hubOperators,
  hubs,
  notifications,
  orderEvents,
  orderItems,
  orders,
  parcels,
  pickups,
  shops,
  trackingReceipts,
  users,
  type ShippingAddress,
} from '../../db/schema/index.ts';
import { ordersRepo, type OrdersQueries } from '../orders/orders.repo.ts';

export type HubRow = typeof hubs.$inferSelect;
export type ParcelRow = typeof parcels.$inferSelect;
export type PickupRow = typeof pickups.$inferSelect;
export type ShopRow = typeof shops.$inferSelect;

/** Order statuses whose goods wait to be packed. */
export const TO_PACK_STATUSES = ['paid', 'cod_confirmed'] as const;

/** A parcel with what every view of it needs: its order, shop, hub and pickup. */
const parcelColumns = {
  parcel: parcels,
  shopName: shops.name,
  shopRegionCode: shops.regionCode,
  orderStatus: orders.status,
  buyerId: orders.buyerId,
  paymentMethod: orders.paymentMethod,
  totalFen: orders.totalFen,
  shippingAddress: orders.shippingAddress,
  pickupStatus: pickups.status,
  carrier: pickups.carrier,
  hubName: hubs.name,
  hubAddress: hubs.address,
};

export interface ParcelDetail {
  parcel: ParcelRow;
  shopName: string;
  shopRegionCode: string;
  orderStatus: string;
  buyerId: string;
  paymentMethod: string;
  totalFen: number;
  shippingAddress: ShippingAddress;
  pickupStatus: PickupRow['status'] | null;
  carrier: string | null;
  hubName: string | null;
  hubAddress: string | null;
}

function fulfilmentQueries(db: Db) {
  const parcelQuery = (where: SQL | undefined, limit: number): Promise<ParcelDetail[]> =>
    db
      .select(parcelColumns)
      .from(parcels)
      .innerJoin(orders, eq(orders.id, parcels.orderId))
      .innerJoin(shops, eq(shops.id, parcels.shopId))
      .leftJoin(pickups, eq(pickups.id, parcels.pickupId))
      .leftJoin(hubs, eq(hubs.id, parcels.hubId))
      .where(where)
      .orderBy(asc(parcels.packedAt), asc(parcels.code))
      .limit(limit);

  return {
    async findShop(id: string): Promise<ShopRow | null> {
      const rows = await db.select().from(shops).where(eq(shops.id, id)).limit(1);
      return rows[0] ?? null;
    },

    // Hubs and their operators.
    async createHub(values: typeof hubs.$inferInsert): Promise<HubRow | null> {
      const rows = await db.insert(hubs).values(values).onConflictDoNothing().returning();
      return rows[0] ?? null;
    },
    async hubById(id: string): Promise<HubRow | null> {
      const rows = await db.select().from(hubs).where(eq(hubs.id, id)).limit(1);
      return rows[0] ?? null;
    },
    async hubByRegion(regionCode: string): Promise<HubRow | null> {
      const rows = await db.select().from(hubs).where(eq(hubs.regionCode, regionCode)).limit(1);
      return rows[0] ?? null;
    },
    async addOperator(hubId: string, userId: string): Promise<void> {
      await db.insert(hubOperators).values({ hubId, userId }).onConflictDoNothing();
    },
    async hubsOfOperator(userId: string): Promise<HubRow[]> {
      return db
        .select({ hub: hubs })
        .from(hubOperators)
        .innerJoin(hubs, eq(hubs.id, hubOperators.hubId))
        .where(eq(hubOperators.userId, userId))
        .orderBy(asc(hubs.regionCode))
        .then((rows) => rows.map((r) => r.hub));
    },
    async isOperatorOf(hubId: string, userId: string): Promise<boolean> {
      const rows = await db
        .select({ hubId: hubOperators.hubId })
        .from(hubOperators)
        .where(and(eq(hubOperators.hubId, hubId), eq(hubOperators.userId, userId)))
        .limit(1);
      return rows.length === 1;
    },

    // Parcels.
    async insertParcel(values: typeof parcels.$inferInsert): Promise<ParcelRow> {
      const rows = await db.insert(parcels).values(values).returning();
      return rows[0]!;
    },
    parcels(where: SQL | undefined, limit = 1000) {
      return parcelQuery(where, limit);
    },
    async parcelOfOrder(orderId: string): Promise<ParcelDetail | null> {
      return (await parcelQuery(eq(parcels.orderId, orderId), 1))[0] ?? null;
    },
    async parcelByCode(code: string): Promise<ParcelDetail | null> {
      return (await parcelQuery(eq(parcels.code, code), 1))[0] ?? null;
    },
    async parcelByTracking(trackingNumber: string): Promise<ParcelDetail | null> {
      return (await parcelQuery(eq(parcels.trackingNumber, trackingNumber), 1))[0] ?? null;
    },
    /** The shop's parcels still waiting for the hub to scan them in. */
    shopPacked(shopId: string, limit: number) {
      return parcelQuery(
        and(eq(parcels.shopId, shopId), eq(orders.status, 'packed'), isNull(parcels.scannedInAt)),
        limit,
      );
    },
    /** Parcels of the hub's township not yet handed to a carrier; with the township's sellers. */
    hubParcels(hub: HubRow, limit: number) {
      return parcelQuery(
        and(
          sql`(${parcels.hubId} = ${hub.id} or (${parcels.hubId} is null and left(${shops.regionCode}, 9) = ${hub.regionCode}))`,
          inArray(orders.status, ['packed', 'handed_to_hub']),
          sql`(${pickups.status} is null or ${pickups.status} = 'open')`,
        ),
        limit,
      );
    },
    /** Labels to print: the shop's packed parcels not yet handed to a carrier. */
    shopLabels(shopId: string, limit: number) {
      return parcelQuery(
        and(
          eq(parcels.shopId, shopId),
          inArray(orders.status, ['packed', 'handed_to_hub']),
          sql`(${pickups.status} is null or ${pickups.status} = 'open')`,
        ),
        limit,
      );
    },
    async markScanned(parcelId: string, hubId: string): Promise<ParcelRow | null> {
      const rows = await db
        .update(parcels)
        .set({ scannedInAt: sql`now()`, hubId })
        .where(and(eq(parcels.id, parcelId), isNull(parcels.scannedInAt)))
        .returning();
      return rows[0] ?? null;
    },
    async setTrackingNumber(parcelId: string, trackingNumber: string): Promise<void> {
      await db.update(parcels).set({ trackingNumber }).where(eq(parcels.id, parcelId));
    },

    // Pickups.
    async insertPickup(hubId: string, carrier: string): Promise<PickupRow> {
      const rows = await db.insert(pickups).values({ hubId, carrier }).returning();
      return rows[0]!;
    },
    /** Puts every scanned-in parcel of the hub that is in no pickup yet into this one. */
    async gatherParcels(pickupId: string, hubId: string): Promise<number> {
      const rows = await db
        .update(parcels)
        .set({ pickupId })
        .where(
          and(
            eq(parcels.hubId, hubId),
            isNotNull(parcels.scannedInAt),
            isNull(parcels.pickupId),
            // Spelled out: inside a subquery Drizzle would write the columns unqualified.
            sql`exists (select 1 from orders o where o.id = parcels.order_id and o.status = 'handed_to_hub')`,
          ),
        )
        .returning({ id: parcels.id });
      return rows.length;
    },
    async pickupById(id: string): Promise<PickupRow | null> {
      const rows = await db.select().from(pickups).where(eq(pickups.id, id)).limit(1);
      return rows[0] ?? null;
    },
    async pickupsOfHub(hubId: string, limit: number) {
      return db
        .select({
          pickup: pickups,
          // Spelled out: inside a subquery Drizzle would write both columns unqualified.
          parcels: sql<number>`(select count(*)::int from parcels p where p.pickup_id = pickups.id)`,
        })
        .from(pickups)
        .where(eq(pickups.hubId, hubId))
        .orderBy(desc(pickups.createdAt))
        .limit(limit);
    },
    async countPickupParcels(pickupId: string): Promise<number> {
      const rows = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(parcels)
        .where(eq(parcels.pickupId, pickupId));
      return rows[0]?.n ?? 0;
    },
    /** The pickup's parcels, cancelled orders left out: the carrier must not carry those. */
    pickupParcels(pickupId: string, limit: number) {
      return parcelQuery(
        and(
          eq(parcels.pickupId, pickupId),
          ne(orders.status, 'cancelled'),
          ne(orders.status, 'refunded'),
        ),
        limit,
      );
    },
    async markHandedOver(pickupId: string, carrierRef: string): Promise<PickupRow | null> {
      const rows = await db
        .update(pickups)
        .set({ status: 'handed_over', carrierRef, handedOverAt: sql`now()` })
        .where(and(eq(pickups.id, pickupId), eq(pickups.status, 'open')))
        .returning();
      return rows[0] ?? null;
    },

    // The seller's board.
    async ordersToPack(shopId: string, limit: number) {
      return db
        .select({ order: orders, buyerName: users.displayName })
        .from(orders)
        .innerJoin(users, eq(users.id, orders.buyerId))
        .where(and(eq(orders.shopId, shopId), inArray(orders.status, [...TO_PACK_STATUSES])))
        .orderBy(asc(orders.createdAt))
        .limit(limit);
    },
    async itemsOf(orderIds: string[]) {
      if (orderIds.length === 0) return [];
      return db
        .select()
        .from(orderItems)
        .where(inArray(orderItems.orderId, orderIds))
        .orderBy(asc(orderItems.title));
    },
    async countByStatus(shopId: string): Promise<Record<string, number>> {
      const rows = await db
        .select({ status: orders.status, n: sql<number>`count(*)::int` })
        .from(orders)
        .where(eq(orders.shopId, shopId))
        .groupBy(orders.status);
      return Object.fromEntries(rows.map((r) => [r.status, r.n]));
    },

    // Tracking.
    /** Locks the order's row until commit: callbacks about one order apply one after another. */
    async lockOrder(id: string) {
      const rows = await db.select().from(orders).where(eq(orders.id, id)).for('update').limit(1);
      return rows[0] ?? null;
    },
    /** False when this carrier event was applied before. */
    async recordReceipt(carrier: string, eventId: string): Promise<boolean> {
      const rows = await db
        .insert(trackingReceipts)
        .values({ carrier, eventId })
        .onConflictDoNothing()
        .returning({ eventId: trackingReceipts.eventId });
      return rows.length === 1;
    },
    async insertTrackingEvent(
      orderId: string,
      code: string,
      at: Date,
      data: Record<string, unknown>,
    ) {
      await db.insert(orderEvents).values({ orderId, kind: 'tracking', code, at, data });
    },
    async notify(userId: string, type: string, data: Record<string, unknown>): Promise<void> {
      await db.insert(notifications).values({ userId, type, data });
    },
  };
}

export type FulfilmentQueries = ReturnType<typeof fulfilmentQueries>;

export function fulfilmentRepo(db: Db) {
  return {
    ...fulfilmentQueries(db),
    /** One transaction over the parcels and the orders: both commit together or neither. */
    inTransaction<T>(
      work: (tx: FulfilmentQueries & { orders: OrdersQueries }) => Promise<T>,
    ): Promise<T> {
      return db.transaction((t) => {
        const txDb = t as unknown as Db;
        return work({ ...fulfilmentQueries(txDb), orders: ordersRepo(txDb) });
      });
    },
  };
}

export type FulfilmentRepo = ReturnType<typeof fulfilmentRepo>;
