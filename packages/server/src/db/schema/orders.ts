import { sql } from 'drizzle-orm';
import {
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import { users } from './accounts.ts';
import { products, shops } from './catalog.ts';
import { flashOffers, liveCoupons } from './flash.ts';
import { lives } from './lives.ts';

export interface ShippingAddress {
  name: string;
  phone: string;
  regionCode: string;
  line1: string;
}

export const orders = pgTable(
  'orders',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    buyerId: uuid('buyer_id')
      .notNull()
      .references(() => users.id),
    shopId: uuid('shop_id')
      .notNull()
      .references(() => shops.id),
    liveId: uuid('live_id').references(() => lives.id, { onDelete: 'set null' }),
    status: text('status').notNull(),
    paymentMethod: text('payment_method').notNull(),
    /** What the buyer pays: the lines' sum less `discountFen`. */
    totalFen: integer('total_fen').notNull(),
    discountFen: integer('discount_fen').notNull().default(0),
    /** Bought in a flash offer: its units go back to the offer while it is open. */
    offerId: uuid('offer_id').references(() => flashOffers.id, { onDelete: 'set null' }),
    couponId: uuid('coupon_id').references(() => liveCoupons.id, { onDelete: 'set null' }),
    /** An unpaid online order gives its units back at this time; null: nothing held. */
    holdExpiresAt: timestamp('hold_expires_at', { withTimezone: true }),
    currency: text('currency').notNull().default('CNY'),
    shippingAddress: jsonb('shipping_address').$type<ShippingAddress>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('orders_total_positive', sql`${t.totalFen} > 0`),
    index('orders_buyer_idx').on(t.buyerId, t.createdAt),
    index('orders_shop_idx').on(t.shopId, t.createdAt),
    index('orders_live_idx').on(t.liveId),
    index('orders_offer_idx').on(t.offerId),
    index('orders_hold_idx')
      .on(t.holdExpiresAt)
      .where(sql`${t.status} = 'placed' and ${t.holdExpiresAt} is not null`),
    check('orders_discount_nonnegative', sql`${t.discountFen} >= 0`),
  ],
);

export const orderItems = pgTable(
  'order_items',
  {
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    productId: uuid('product_id')
      .notNull()
      .references(() => products.id),
    title: text('title').notNull(),
    unit: text('unit').notNull(),
    quantity: integer('quantity').notNull(),
    priceFen: integer('price_fen').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orderId, t.productId] }),
    check('order_items_quantity_positive', sql`${t.quantity} > 0`),
  ],
);

/** One row per (user, Idempotency-Key): a retry finds the order it already made. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.key] })],
);

export const payments = pgTable(
  'payments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    status: text('status', { enum: ['pending', 'succeeded', 'failed', 'refunded'] }).notNull(),
    amountFen: integer('amount_fen').notNull(),
    currency: text('currency').notNull().default('CNY'),
    providerRef: text('provider_ref'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('payments_order_idx').on(t.orderId)],
);
