import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, primaryKey, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from './accounts.ts';
import { products, shops } from './catalog.ts';
import { lives } from './lives.ts';

/**
 * A flash offer in a live show: `quantity` units of a product at `priceFen`, from `startsAt`
 * to `endsAt`, at most `perBuyerLimit` units per buyer. The units are taken from the
 * product's stock when the offer is made and what is left goes back when it closes, so the
 * offer's own counter is the only thing buyers race for. `taken` counts units held (unpaid,
 * within their hold) and sold; `taken <= quantity` is enforced by the database.
 */
export const flashOffers = pgTable(
  'flash_offers',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    liveId: uuid('live_id')
      .notNull()
      .references(() => lives.id, { onDelete: 'cascade' }),
    shopId: uuid('shop_id')
      .notNull()
      .references(() => shops.id, { onDelete: 'cascade' }),
    productId: uuid('product_id')
      .notNull()
      .references(() => products.id, { onDelete: 'cascade' }),
    priceFen: integer('price_fen').notNull(),
    quantity: integer('quantity').notNull(),
    taken: integer('taken').notNull().default(0),
    perBuyerLimit: integer('per_buyer_limit').notNull(),
    /** How long an unpaid online order keeps its units. */
    holdSeconds: integer('hold_seconds').notNull(),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
    endsAt: timestamp('ends_at', { withTimezone: true }).notNull(),
    /** When the units not taken went back to the product's stock; null while open. */
    closedAt: timestamp('closed_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('flash_offers_taken_range', sql`${t.taken} >= 0 and ${t.taken} <= ${t.quantity}`),
    check('flash_offers_quantity_positive', sql`${t.quantity} > 0`),
    check('flash_offers_limit_positive', sql`${t.perBuyerLimit} > 0`),
    check('flash_offers_price_positive', sql`${t.priceFen} > 0`),
    check('flash_offers_window', sql`${t.endsAt} > ${t.startsAt}`),
    index('flash_offers_live_idx').on(t.liveId),
  ],
);

/** Units of an offer each buyer holds or bought: the per-buyer limit is a check on this row. */
export const flashBuyers = pgTable(
  'flash_buyers',
  {
    offerId: uuid('offer_id')
      .notNull()
      .references(() => flashOffers.id, { onDelete: 'cascade' }),
    buyerId: uuid('buyer_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    units: integer('units').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.offerId, t.buyerId] }),
    check('flash_buyers_units_nonnegative', sql`${t.units} >= 0`),
  ],
);

/** A coupon handed out in a live show: `quota` of them, one per buyer, for the shop's orders. */
export const liveCoupons = pgTable(
  'live_coupons',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    liveId: uuid('live_id')
      .notNull()
      .references(() => lives.id, { onDelete: 'cascade' }),
    shopId: uuid('shop_id')
      .notNull()
      .references(() => shops.id, { onDelete: 'cascade' }),
    discountFen: integer('discount_fen').notNull(),
    /** The order total (before the discount) must reach this. */
    minSpendFen: integer('min_spend_fen').notNull().default(0),
    quota: integer('quota').notNull(),
    claimed: integer('claimed').notNull().default(0),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
    endsAt: timestamp('ends_at', { withTimezone: true }).notNull(),
    /** A claimed coupon can be used on an order until then. */
    usableUntil: timestamp('usable_until', { withTimezone: true }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('live_coupons_claimed_range', sql`${t.claimed} >= 0 and ${t.claimed} <= ${t.quota}`),
    check('live_coupons_discount_positive', sql`${t.discountFen} > 0`),
    check('live_coupons_window', sql`${t.endsAt} > ${t.startsAt}`),
    index('live_coupons_live_idx').on(t.liveId),
  ],
);

/** A buyer's coupon; `orderId` is set while an order uses it and cleared if that order leaves. */
export const couponClaims = pgTable(
  'coupon_claims',
  {
    couponId: uuid('coupon_id')
      .notNull()
      .references(() => liveCoupons.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    orderId: uuid('order_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.couponId, t.userId] }),
    index('coupon_claims_user_idx').on(t.userId),
  ],
);
