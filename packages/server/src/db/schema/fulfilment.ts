import { sql } from 'drizzle-orm';
import {
  check,
  index,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { users } from './accounts.ts';
import { shops } from './catalog.ts';
import { orders } from './orders.ts';

/** A township's logistics hub (its e-commerce park): gathers the parcels of its sellers. */
export const hubs = pgTable('hubs', {
  id: uuid('id').primaryKey().defaultRandom(),
  /** The township (GB/T 2260, 9 digits) whose sellers it serves; one hub per township. */
  regionCode: text('region_code').notNull().unique(),
  name: text('name').notNull(),
  address: text('address').notNull().default(''),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Operators who run a hub (users with role `operator`). */
export const hubOperators = pgTable(
  'hub_operators',
  {
    hubId: uuid('hub_id')
      .notNull()
      .references(() => hubs.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
  },
  (t) => [
    primaryKey({ columns: [t.hubId, t.userId] }),
    index('hub_operators_user_idx').on(t.userId),
  ],
);

/**
 * One consolidated pickup: the parcels a hub hands to one carrier at once.
 * open → handed_over (the carrier took them).
 */
export const pickups = pgTable(
  'pickups',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    hubId: uuid('hub_id')
      .notNull()
      .references(() => hubs.id, { onDelete: 'cascade' }),
    carrier: text('carrier').notNull(),
    status: text('status', { enum: ['open', 'handed_over'] })
      .notNull()
      .default('open'),
    /** The carrier's reference for the whole pickup, once handed over. */
    carrierRef: text('carrier_ref'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    handedOverAt: timestamp('handed_over_at', { withTimezone: true }),
  },
  (t) => [index('pickups_hub_idx').on(t.hubId, t.createdAt)],
);

/**
 * The parcel of one order, made when the seller packs it. Its `code` is what the label's
 * barcode and QR code carry and what the hub scans.
 */
export const parcels = pgTable(
  'parcels',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orderId: uuid('order_id')
      .notNull()
      .unique()
      .references(() => orders.id, { onDelete: 'cascade' }),
    shopId: uuid('shop_id')
      .notNull()
      .references(() => shops.id, { onDelete: 'cascade' }),
    hubId: uuid('hub_id').references(() => hubs.id, { onDelete: 'set null' }),
    code: text('code').notNull(),
    pickupId: uuid('pickup_id').references(() => pickups.id, { onDelete: 'set null' }),
    /** The carrier's tracking number, once the pickup is handed over. */
    trackingNumber: text('tracking_number'),
    packedAt: timestamp('packed_at', { withTimezone: true }).notNull().defaultNow(),
    scannedInAt: timestamp('scanned_in_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('parcels_code_idx').on(t.code),
    index('parcels_hub_idx').on(t.hubId),
    index('parcels_pickup_idx').on(t.pickupId),
    // Carriers' callbacks find parcels by their tracking number.
    index('parcels_tracking_idx').on(t.trackingNumber),
    check('parcels_code_format', sql`${t.code} ~ '^[A-Z0-9]{8,20}$'`),
  ],
);

/**
 * An order's timeline: every status change and every carrier tracking event, written in the
 * same transaction as the change. `kind` is `status` or `tracking`.
 */
export const orderEvents = pgTable(
  'order_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['status', 'tracking'] }).notNull(),
    /** The order status (kind `status`) or the tracking step (kind `tracking`). */
    code: text('code').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('order_events_order_idx').on(t.orderId, t.at)],
);

/** Tracking callbacks already applied, so a carrier repeating one changes nothing. */
export const trackingReceipts = pgTable(
  'tracking_receipts',
  {
    carrier: text('carrier').notNull(),
    eventId: text('event_id').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.carrier, t.eventId] })],
);
