/**
 * Every realtime event of a live room, declared once. Server to client events carry `seq`,
 * a number that grows by one per room event, so a client that reconnects with `?since=seq`
 * gets what it missed.
 */
export const SERVER_EVENT_TYPES = [
  'hello',
  'chat',
  'like',
  'viewers',
  'pin',
  'purchase',
  'order',
  'stock',
  'soldout',
  'live',
  'stream',
  'offer',
  'coupon',
  'batch',
  'pong',
  'error',
] as const;
export type ServerEventType = (typeof SERVER_EVENT_TYPES)[number];

export const CLIENT_EVENT_TYPES = ['chat', 'like', 'ping'] as const;
export type ClientEventType = (typeof CLIENT_EVENT_TYPES)[number];

export type LiveStatus = 'scheduled' | 'live' | 'ended';

export interface ChatAuthor {
  id: string;
  displayName: string;
  isHost: boolean;
}

export interface PinnedProductCard {
  id: string;
  title: string;
  unit: string;
  /** Minor units (fen). */
  price: number;
  currency: string;
  traditionalPrice: number | null;
  stock: number;
  photoUrl: string | null;
}

/** A flash offer as everyone sees it (`GET /offers/:id` adds `mine` for the signed-in buyer). */
export interface OfferView {
  id: string;
  liveId: string;
  shopId: string;
  product: { id: string; title: string; unit: string; photoUrl: string | null };
  /** Offer price, fen. */
  price: number;
  /** The product's ordinary price, fen. */
  regularPrice: number;
  currency: string;
  quantity: number;
  /** Units nobody holds or bought yet. Goes up again when an unpaid hold expires. */
  left: number;
  perBuyerLimit: number;
  holdSeconds: number;
  startsAt: string;
  endsAt: string;
  status: 'scheduled' | 'open' | 'sold_out' | 'ended';
  /** Units the signed-in viewer holds or bought (HTTP only). */
  mine?: number;
}

/** A live coupon: `quota` of them, one per buyer, usable on the shop's orders. */
export interface CouponView {
  id: string;
  liveId: string;
  shopId: string;
  /** Fen off the order. */
  discount: number;
  /** The order's lines must reach this (fen). */
  minSpend: number;
  currency: string;
  quota: number;
  left: number;
  startsAt: string;
  endsAt: string;
  usableUntil: string;
  status: 'scheduled' | 'open' | 'gone' | 'ended';
  /** The signed-in viewer has one (HTTP only). */
  claimed?: boolean;
}

/** Payloads of room events, by type. */
export interface RoomEventPayloads {
  chat: { id: string; text: string; author: ChatAuthor; at: string };
  /** Likes are summed per room tick: `count` new since the last event, `total` so far. */
  like: { count: number; total: number };
  viewers: { count: number };
  pin: { product: PinnedProductCard | null };
  /** Public: "someone from <county> just bought 2 kg". */
  purchase: {
    productId: string;
    quantity: number;
    unit: string;
    countyName: { zh: string; en: string; it: string } | null;
  };
  stock: { productId: string; stock: number };
  soldout: { productId: string };
  live: { status: LiveStatus };
  /** The host's video: on air, dropped and awaited, or gone. */
  stream: { state: 'live' | 'reconnecting' | 'offline' };
  /**
   * A flash offer was made, started, closed, or its `left` changed: its latest state, at
   * most one per offer per room tick.
   */
  offer: { offer: Omit<OfferView, 'mine'> };
  /** A live coupon was made, started, ended, or its `left` changed. */
  coupon: { coupon: Omit<CouponView, 'claimed'> };
}

export type RoomEventType = keyof RoomEventPayloads;

export type RoomEvent = {
  [K in RoomEventType]: { type: K; seq: number; liveId: string } & RoomEventPayloads[K];
}[RoomEventType];

/**
 * Only for the host's connections: the whole order (as `GET /orders/:id` gives it), when it
 * arrives and each time its status changes.
 */
export interface OrderEvent {
  type: 'order';
  liveId: string;
  order: {
    id: string;
    status: string;
    total: number;
    currency: string;
    items: unknown[];
    createdAt: string;
  };
}

export interface HelloEvent {
  type: 'hello';
  liveId: string;
  seq: number;
  status: LiveStatus;
  viewers: number;
  likes: number;
  pinned: PinnedProductCard | null;
  canChat: boolean;
  /** True when events between the client's `since` and now were too old to replay. */
  missedTooMany: boolean;
  /** The host's video as last announced (`stream` event), null when nothing was said yet. */
  stream: 'live' | 'reconnecting' | 'offline' | null;
  /** On a first join: the last chat lines, oldest first (their `seq` is at most `seq`). */
  recentChat: Array<Extract<RoomEvent, { type: 'chat' }>>;
  /** The show's flash offers that are open or not started yet. */
  offers: Array<Omit<OfferView, 'mine'>>;
  /** The show's live coupons that are open or not started yet. */
  coupons: Array<Omit<CouponView, 'claimed'>>;
}

export type ClientEvent =
  { type: 'chat'; text: string } | { type: 'like'; count?: number } | { type: 'ping' };
