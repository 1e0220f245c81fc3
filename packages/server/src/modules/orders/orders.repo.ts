import { randomUUID } from 'node:crypto';
import {
  and,
  asc,
  desc,
  eq,
  gte,
  inArray,
  isNotNull,
  isNull,
  lte,
  sql,
  type SQL,
} from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import type { WebhookEventType } from '@cunbo/shared';
import {
  couponClaims,
  flashBuyers,
  flashOffers,
  idempotencyKeys,
  liveCoupons,
  orderEvents,
  orderItems,
  orders,
  payments,
  products,
  type ShippingAddress,
} from '../../db/schema/index.ts';
import { recordWebhookEvent, webhookOutboxRows } from '../webhooks/webhook-outbox.ts';
import type { OrderStatus } from './orders.state.ts';

/** Order statuses integrators hear about, and the webhook event each one is. */
const WEBHOOK_FOR_STATUS: Partial<Record<OrderStatus, WebhookEventType>> = {
  paid: 'order.paid',
  packed: 'order.packed',
  in_transit: 'order.shipped',
  delivered: 'order.delivered',
};

/** What a webhook says about an order: enough to act on, the rest is one GET away. */
export function orderSummary(order: OrderRow, from: OrderStatus | null) {
  return {
    orderId: order.id,
    shopId: order.shopId,
    liveId: order.liveId,
    status: order.status,
    from,
    total: order.totalFen,
    currency: order.currency,
    paymentMethod: order.paymentMethod,
  };
}

export type OrderRow = typeof orders.$inferSelect;
export type OrderItemRow = typeof orderItems.$inferSelect;
export type PaymentRow = typeof payments.$inferSelect;

export interface TakenStock {
  productId: string;
  shopId: string;
  title: string;
  unit: string;
  priceFen: number;
  currency: string;
  stockAfter: number;
}

export function ordersQueries(db: Db) {
  return {
    async findIdempotencyKey(userId: string, key: string) {
      const rows = await db
        .select()
        .from(idempotencyKeys)
        .where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key)))
        .limit(1);
      return rows[0] ?? null;
    },
    /** False when another request with the same key committed first. */
    async insertIdempotencyKey(values: typeof idempotencyKeys.$inferInsert): Promise<boolean> {
      const rows = await db
        .insert(idempotencyKeys)
        .values(values)
        .onConflictDoNothing()
        .returning({ key: idempotencyKeys.key });
      return rows.length === 1;
    },
    /**
     * Takes units only if they are there, in one statement: the row lock and the
     * `stock >= quantity` test together make overselling impossible under any concurrency.
     */
    async takeStock(productId: string, quantity: number): Promise<TakenStock | null> {
      const rows = await db
        .update(products)
        .set({ stock: sql`${products.stock} - ${quantity}`, updatedAt: sql`now()` })
        .where(
          and(
            eq(products.id, productId),
            eq(products.status, 'active'),
            gte(products.stock, quantity),
          ),
        )
        .returning({
          productId: products.id,
          shopId: products.shopId,
          title: products.title,
          unit: products.unit,
          priceFen: products.priceFen,
          currency: products.currency,
          stockAfter: products.stock,
        });
      return rows[0] ?? null;
    },
    /**
     * Units of a flash order go back to its offer while the offer is open (the room sees
     * `left` go up); returns false when the offer has closed, and the units go to the product.
     */
    async giveBackToOffer(offerId: string, buyerId: string, quantity: number): Promise<boolean> {
      const rows = await db
        .update(flashOffers)
        .set({ taken: sql`${flashOffers.taken} - ${quantity}` })
        .where(and(eq(flashOffers.id, offerId), isNull(flashOffers.closedAt)))
        .returning({ id: flashOffers.id });
      await db
        .update(flashBuyers)
        .set({ units: sql`greatest(${flashBuyers.units} - ${quantity}, 0)` })
        .where(and(eq(flashBuyers.offerId, offerId), eq(flashBuyers.buyerId, buyerId)));
      return rows.length === 1;
    },
    /** The buyer's claim of a coupon with the coupon, for an order to use it. */
    async couponClaimOf(couponId: string, userId: string) {
      const rows = await db
        .select({ coupon: liveCoupons, orderId: couponClaims.orderId })
        .from(couponClaims)
        .innerJoin(liveCoupons, eq(liveCoupons.id, couponClaims.couponId))
        .where(and(eq(couponClaims.couponId, couponId), eq(couponClaims.userId, userId)))
        .limit(1);
      return rows[0] ?? null;
    },
    /** Marks the claim used by the order, only if no other order uses it. */
    async useCoupon(couponId: string, userId: string, orderId: string): Promise<boolean> {
      const rows = await db
        .update(couponClaims)
        .set({ orderId })
        .where(
          and(
            eq(couponClaims.couponId, couponId),
            eq(couponClaims.userId, userId),
            isNull(couponClaims.orderId),
          ),
        )
        .returning({ couponId: couponClaims.couponId });
      return rows.length === 1;
    },
    /** The order left: its buyer may use the coupon again. */
    async releaseCoupon(couponId: string, orderId: string): Promise<void> {
      await db
        .update(couponClaims)
        .set({ orderId: null })
        .where(and(eq(couponClaims.couponId, couponId), eq(couponClaims.orderId, orderId)));
    },
    /** Unpaid orders whose hold ends before `until`, soonest first. */
    async heldOrders(until: Date, limit: number) {
      return db
        .select({ id: orders.id, holdExpiresAt: orders.holdExpiresAt })
        .from(orders)
        .where(
          and(
            eq(orders.status, 'placed'),
            isNotNull(orders.holdExpiresAt),
            lte(orders.holdExpiresAt, until),
          ),
        )
        .orderBy(asc(orders.holdExpiresAt))
        .limit(limit);
    },
    /** Idempotency keys already used, among these (user, key) pairs. */
    async findIdempotencyKeys(pairs: Array<{ userId: string; key: string }>) {
      if (pairs.length === 0) return [];
      return db
        .select()
        .from(idempotencyKeys)
        .where(
          sql`(${idempotencyKeys.userId}, ${idempotencyKeys.key}) in (select * from unnest(${sql.param(
            pairs.map((p) => p.userId),
          )}::uuid[], ${sql.param(pairs.map((p) => p.key))}::text[]))`,
        );
    },
    /**
     * Writes many single-line orders in one statement, however many there are: the orders,
     * their lines, timelines, `order.created` outbox events, idempotency keys and pending
     * payments, as data-modifying CTEs over `json_to_recordset` (one JSON parameter a table),
     * plus the caller's own CTEs (`also`, each returning a column `v`), which run in the same
     * statement and come back as arrays. One round trip: a flash sale's batch holds its offer's
     * lock for as short a time as possible. Returns null when one of the keys was taken
     * meanwhile (nothing is kept: the caller throws and its transaction rolls back).
     */
    async insertOrdersBatch<Also extends string = never>(
      batch: Array<{
        order: typeof orders.$inferInsert & { id: string; createdAt: Date };
        item: Omit<typeof orderItems.$inferInsert, 'orderId'>;
        key: { userId: string; key: string; requestHash: string };
        payment: { provider: string } | null;
      }>,
      also: Record<Also, SQL> = {} as Record<Also, SQL>,
    ): Promise<{
      orders: OrderRow[];
      items: OrderItemRow[];
      payments: PaymentRow[];
      also: Record<Also, unknown[]>;
    } | null> {
      const orderRows: OrderRow[] = batch.map(({ order: o }) => ({
        id: o.id,
        buyerId: o.buyerId,
        shopId: o.shopId,
        liveId: o.liveId ?? null,
        status: o.status,
        paymentMethod: o.paymentMethod,
        totalFen: o.totalFen,
        discountFen: o.discountFen ?? 0,
        offerId: o.offerId ?? null,
        couponId: o.couponId ?? null,
        holdExpiresAt: o.holdExpiresAt ?? null,
        currency: o.currency ?? 'CNY',
        shippingAddress: o.shippingAddress,
        createdAt: o.createdAt,
        updatedAt: o.createdAt,
      }));
      const itemRows: OrderItemRow[] = batch.map((b) => ({ ...b.item, orderId: b.order.id }));
      const paymentRows: PaymentRow[] = batch.flatMap((b, i) =>
        b.payment
          ? [
              {
                id: randomUUID(),
                orderId: b.order.id,
                provider: b.payment.provider,
                status: 'pending' as const,
                amountFen: orderRows[i]!.totalFen,
                currency: orderRows[i]!.currency,
                providerRef: null,
                createdAt: b.order.createdAt,
                updatedAt: b.order.createdAt,
              },
            ]
          : [],
      );
      const outbox = webhookOutboxRows(
        orderRows.map((o, i) => {
          const item = itemRows[i]!;
          return {
            shopId: o.shopId,
            type: 'order.created' as const,
            at: o.createdAt,
            data: {
              ...orderSummary(o, null),
              items: [
                {
                  productId: item.productId,
                  title: item.title,
                  unit: item.unit,
                  quantity: item.quantity,
                  price: item.priceFen,
                },
              ],
            },
          };
        }),
      );
      const json = (rows: unknown[]) => sql`${JSON.stringify(rows)}::json`;
      const extra = Object.entries<SQL>(also);
      const result = await db.execute(sql`
        with new_orders as (
          insert into orders (id, buyer_id, shop_id, live_id, status, payment_method, total_fen,
            discount_fen, offer_id, coupon_id, hold_expires_at, currency, shipping_address,
            created_at, updated_at)
          select id, "buyerId", "shopId", "liveId", status, "paymentMethod", "totalFen",
            "discountFen", "offerId", "couponId", "holdExpiresAt", currency, "shippingAddress",
            "createdAt", "updatedAt"
          from json_to_recordset(${json(orderRows)}) as r(id uuid, "buyerId" uuid,
            "shopId" uuid, "liveId" uuid, status text, "paymentMethod" text, "totalFen" int,
            "discountFen" int, "offerId" uuid, "couponId" uuid, "holdExpiresAt" timestamptz,
            currency text, "shippingAddress" jsonb, "createdAt" timestamptz,
            "updatedAt" timestamptz)
          returning id
        ), new_items as (
          insert into order_items (order_id, product_id, title, unit, quantity, price_fen)
          select "orderId", "productId", title, unit, quantity, "priceFen"
          from json_to_recordset(${json(itemRows)}) as r("orderId" uuid, "productId" uuid,
            title text, unit text, quantity int, "priceFen" int)
          where "orderId" in (select id from new_orders)
          returning 1
        ), new_keys as (
          insert into idempotency_keys (user_id, key, request_hash, order_id)
          select "userId", key, "requestHash", "orderId"
          from json_to_recordset(${json(batch.map((b) => ({ ...b.key, orderId: b.order.id })))})
            as r("userId" uuid, key text, "requestHash" text, "orderId" uuid)
          where "orderId" in (select id from new_orders)
          on conflict do nothing
          returning 1
        ), new_timeline as (
          insert into order_events (order_id, kind, code, at)
          select id, 'status', status, "createdAt"
          from json_to_recordset(${json(orderRows)}) as r(id uuid, status text,
            "createdAt" timestamptz)
          where id in (select id from new_orders)
          returning 1
        ), new_outbox as (
          insert into webhook_events (id, shop_id, type, payload)
          select id, "shopId", type, payload
          from json_to_recordset(${json(outbox)}) as r(id text, "shopId" uuid, type text,
            payload jsonb)
          returning 1
        ), new_payments as (
          insert into payments (id, order_id, provider, status, amount_fen, currency,
            created_at, updated_at)
          select id, "orderId", provider, status, "amountFen", currency, "createdAt",
            "updatedAt"
          from json_to_recordset(${json(paymentRows)}) as r(id uuid, "orderId" uuid,
            provider text, status text, "amountFen" int, currency text,
            "createdAt" timestamptz, "updatedAt" timestamptz)
          where "orderId" in (select id from new_orders)
          returning 1
        )${sql.join(
          extra.map(([name, cte]) => sql`, ${sql.identifier(name)} as (${cte})`),
          sql``,
        )}
        select (select count(*) from new_keys)::int as keys${sql.join(
          extra.map(
            ([name]) =>
              sql`, (select coalesce(json_agg(v), '[]'::json) from ${sql.identifier(name)}) as ${sql.identifier(name)}`,
          ),
          sql``,
        )}
      `);
      const row = (result as unknown as { rows: Array<Record<string, unknown>> }).rows[0]!;
      if (Number(row.keys) !== batch.length) return null;
      const returned = Object.fromEntries(
        extra.map(([name]) => {
          const v = row[name];
          return [name, (typeof v === 'string' ? JSON.parse(v) : v) as unknown[]];
        }),
      ) as Record<Also, unknown[]>;
      return { orders: orderRows, items: itemRows, payments: paymentRows, also: returned };
    },
    async giveBackStock(productId: string, quantity: number): Promise<number | null> {
      const rows = await db
        .update(products)
        .set({ stock: sql`${products.stock} + ${quantity}`, updatedAt: sql`now()` })
        .where(eq(products.id, productId))
        .returning({ stock: products.stock });
      return rows[0]?.stock ?? null;
    },
    async productState(productId: string) {
      const rows = await db
        .select({ stock: products.stock, status: products.status, shopId: products.shopId })
        .from(products)
        .where(eq(products.id, productId))
        .limit(1);
      return rows[0] ?? null;
    },
    async insertOrder(
      values: typeof orders.$inferInsert,
      items: Array<Omit<typeof orderItems.$inferInsert, 'orderId'>>,
    ) {
      const [order] = await db.insert(orders).values(values).returning();
      const rows = await db
        .insert(orderItems)
        .values(items.map((i) => ({ ...i, orderId: order!.id })))
        .returning();
      await db
        .insert(orderEvents)
        .values({ orderId: order!.id, kind: 'status', code: order!.status });
      await recordWebhookEvent(db, {
        shopId: order!.shopId,
        type: 'order.created',
        at: order!.createdAt,
        data: {
          ...orderSummary(order!, null),
          items: rows.map((r) => ({
            productId: r.productId,
            title: r.title,
            unit: r.unit,
            quantity: r.quantity,
            price: r.priceFen,
          })),
        },
      });
      return { order: order!, items: rows };
    },
    async insertPayment(values: typeof payments.$inferInsert): Promise<PaymentRow> {
      const rows = await db.insert(payments).values(values).returning();
      return rows[0]!;
    },
    async updatePayment(
      id: string,
      values: Partial<typeof payments.$inferInsert>,
    ): Promise<PaymentRow | null> {
      const rows = await db
        .update(payments)
        .set({ ...values, updatedAt: sql`now()` })
        .where(eq(payments.id, id))
        .returning();
      return rows[0] ?? null;
    },
    async findPayment(id: string): Promise<PaymentRow | null> {
      const rows = await db.select().from(payments).where(eq(payments.id, id)).limit(1);
      return rows[0] ?? null;
    },
    async findPaymentByRef(provider: string, providerRef: string): Promise<PaymentRow | null> {
      const rows = await db
        .select()
        .from(payments)
        .where(and(eq(payments.provider, provider), eq(payments.providerRef, providerRef)))
        .limit(1);
      return rows[0] ?? null;
    },
    async findOrder(id: string): Promise<OrderRow | null> {
      const rows = await db.select().from(orders).where(eq(orders.id, id)).limit(1);
      return rows[0] ?? null;
    },
    /**
     * Moves the status only if it is still `from`, so two racing transitions cannot both win.
     * Writes the timeline entry and the webhook event with it: call it inside a transaction.
     * `data` goes on the timeline (who, why, the parcel…).
     */
    async transition(
      id: string,
      from: OrderStatus,
      to: OrderStatus,
      data: Record<string, unknown> = {},
    ): Promise<OrderRow | null> {
      const rows = await db
        .update(orders)
        .set({ status: to, updatedAt: sql`now()` })
        .where(and(eq(orders.id, id), eq(orders.status, from)))
        .returning();
      const order = rows[0];
      if (!order) return null;
      await db.insert(orderEvents).values({ orderId: id, kind: 'status', code: to, data });
      const type = WEBHOOK_FOR_STATUS[to];
      if (type) {
        await recordWebhookEvent(db, {
          shopId: order.shopId,
          type,
          at: order.updatedAt,
          data: { ...orderSummary(order, from), ...data },
        });
      }
      return order;
    },
    /** The order's timeline, oldest first: status changes and tracking events. */
    async eventsOf(orderId: string) {
      return db
        .select()
        .from(orderEvents)
        .where(eq(orderEvents.orderId, orderId))
        .orderBy(orderEvents.at);
    },
    async itemsOf(orderIds: string[]): Promise<OrderItemRow[]> {
      if (orderIds.length === 0) return [];
      return db.select().from(orderItems).where(inArray(orderItems.orderId, orderIds));
    },
    async paymentsOf(orderIds: string[]): Promise<PaymentRow[]> {
      if (orderIds.length === 0) return [];
      return db
        .select()
        .from(payments)
        .where(inArray(payments.orderId, orderIds))
        .orderBy(desc(payments.createdAt));
    },
    async list(filter: {
      buyerId?: string;
      shopId?: string;
      liveId?: string;
      status?: string;
      limit: number;
      before?: Date;
    }) {
      return db
        .select()
        .from(orders)
        .where(
          and(
            filter.buyerId ? eq(orders.buyerId, filter.buyerId) : undefined,
            filter.shopId ? eq(orders.shopId, filter.shopId) : undefined,
            filter.liveId ? eq(orders.liveId, filter.liveId) : undefined,
            filter.status ? eq(orders.status, filter.status) : undefined,
            filter.before ? sql`${orders.createdAt} < ${filter.before.toISOString()}` : undefined,
          ),
        )
        .orderBy(desc(orders.createdAt))
        .limit(filter.limit);
    },
  };
}

export type OrdersQueries = ReturnType<typeof ordersQueries>;

export function ordersRepo(db: Db) {
  return {
    ...ordersQueries(db),
    /** Runs `work` in one transaction: everything it writes commits together or not at all. */
    inTransaction<T>(work: (tx: OrdersQueries) => Promise<T>): Promise<T> {
      return db.transaction((tx) => work(ordersQueries(tx as unknown as Db)));
    },
  };
}

export type OrdersRepo = ReturnType<typeof ordersRepo>;
export type { ShippingAddress };
