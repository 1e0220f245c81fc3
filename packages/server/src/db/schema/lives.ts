import {
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import type { ReplayTimeline } from '../../modules/lives/lives.replay.ts';
import { products, shops } from './catalog.ts';

export const lives = pgTable(
  'lives',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    shopId: uuid('shop_id')
      .notNull()
      .references(() => shops.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    status: text('status', { enum: ['scheduled', 'live', 'ended'] })
      .notNull()
      .default('scheduled'),
    scheduledAt: timestamp('scheduled_at', { withTimezone: true }),
    startedAt: timestamp('started_at', { withTimezone: true }),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    pinnedProductId: uuid('pinned_product_id').references(() => products.id, {
      onDelete: 'set null',
    }),
    streamKey: text('stream_key').notNull(),
    peakViewers: integer('peak_viewers').notNull().default(0),
    likes: integer('likes').notNull().default(0),
    chatLines: integer('chat_lines').notNull().default(0),
    /** When the stream's latest thumbnail was grabbed; null: none yet. */
    thumbnailAt: timestamp('thumbnail_at', { withTimezone: true }),
    /** The recording's length and wall-clock runs, written when the show ends; null: none. */
    replay: jsonb('replay').$type<ReplayTimeline>(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('lives_status_idx').on(t.status), index('lives_shop_idx').on(t.shopId)],
);

export const liveProducts = pgTable(
  'live_products',
  {
    liveId: uuid('live_id')
      .notNull()
      .references(() => lives.id, { onDelete: 'cascade' }),
    productId: uuid('product_id')
      .notNull()
      .references(() => products.id, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
  },
  (t) => [primaryKey({ columns: [t.liveId, t.productId] })],
);

/** Every pin, so the replay can put a chapter at each product. */
export const livePins = pgTable(
  'live_pins',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    liveId: uuid('live_id')
      .notNull()
      .references(() => lives.id, { onDelete: 'cascade' }),
    productId: uuid('product_id').references(() => products.id, { onDelete: 'cascade' }),
    pinnedAt: timestamp('pinned_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('live_pins_live_idx').on(t.liveId)],
);
