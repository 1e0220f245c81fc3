import type { LiveStatus, PinnedProductCard } from '@cunbo/shared';
import type { CouponView, OfferStatus, OfferView, Order, OrderStatus } from '../../api/types.ts';
import {
  claimedOffer,
  seedCoupons,
  seedOffers,
  upsertCoupon,
  upsertOffer,
} from '../flash/flash-state.ts';
import type { HostOrderSummary, LiveEvent } from '../../lib/event-sequencer.ts';
import { nextLikeTotal } from '../../lib/like-batcher.ts';

export interface ChatLine {
  id: string;
  text: string;
  author: { id: string; displayName: string; isHost: boolean };
  at: string;
}

export interface PurchaseToast {
  id: string;
  productId: string;
  quantity: number;
  unit: string;
  countyName: { zh: string; en: string; it: string } | null;
}

/**
 * An order in the host's list: full when it came from `GET /orders?liveId=`, a summary (no
 * address, no time) when it arrived live; then the time it arrived stands in.
 */
export interface LiveOrder {
  id: string;
  status: OrderStatus | string;
  total: number;
  currency: string;
  items: Array<{ productId: string; title: string; unit: string; quantity: number }>;
  createdAt: string;
  shippingAddress?: Order['shippingAddress'];
}

export interface RoomState {
  /** False until the first hello: the numbers below are not the room's yet. */
  joined: boolean;
  status: LiveStatus | null;
  viewers: number;
  likes: number;
  pinned: PinnedProductCard | null;
  /** Latest stock per product, from `stock`/`soldout` events (for cards other than the pinned one). */
  stock: Record<string, number>;
  canChat: boolean;
  chat: ChatLine[];
  toasts: PurchaseToast[];
  /** Host only: orders placed during the show, newest first. */
  orders: LiveOrder[];
  /** The last error the room sent us (rate limits, chat refused). */
  lastError: { code: string; message: string; at: number } | null;
  /** The room could not replay everything we missed while away. */
  missedSome: boolean;
  /**
   * The host's video as the server sees it (`stream` events): on air, dropped and awaited, or
   * gone. Null until the first event: the room only speaks when it changes.
   */
  stream: 'live' | 'reconnecting' | 'offline' | null;
  /** When the last `stream` event arrived (a drop and a return may come in one batch). */
  streamAt: number | null;
  /** The show's flash offers, newest start first (hello, `offer` events, REST reads). */
  offers: OfferView[];
  /** The show's live coupons, newest first (hello, `coupon` events, REST reads). */
  coupons: CouponView[];
}

export const CHAT_KEEP = 150;
export const TOASTS_KEEP = 3;

export const initialRoomState: RoomState = {
  joined: false,
  status: null,
  viewers: 0,
  likes: 0,
  pinned: null,
  stock: {},
  canChat: false,
  chat: [],
  toasts: [],
  orders: [],
  lastError: null,
  missedSome: false,
  stream: null,
  streamAt: null,
  offers: [],
  coupons: [],
};

export type RoomAction =
  | { type: 'event'; event: LiveEvent; now: number }
  | { type: 'liked'; count: number }
  | { type: 'toast-expired'; id: string }
  | { type: 'seed-orders'; orders: Order[]; now: number }
  | { type: 'status'; status: LiveStatus }
  | { type: 'pinned'; product: PinnedProductCard | null }
  /** Clears the error that arrived at `at` (a newer one stays). */
  | { type: 'clear-error'; at?: number }
  /** What `GET /lives/:id/offers` and `/coupons` said (with the viewer's own figures). */
  | { type: 'seed-flash'; offers?: OfferView[]; coupons?: CouponView[] }
  /** Our claim went through: the units left then, and what we now hold. */
  | {
      type: 'offer-claimed';
      offer: { id: string; left: number; status: OfferStatus };
      quantity: number;
    }
  /** A coupon we claimed (or were told we had already claimed). */
  | { type: 'coupon-claimed'; coupon: CouponView }
  /** The seller's own write (made, closed): fresher than anything the room said before. */
  | { type: 'offer-updated'; offer: OfferView }
  | { type: 'coupon-updated'; coupon: CouponView };

function withStock(
  card: PinnedProductCard | null,
  productId: string,
  stock: number,
): PinnedProductCard | null {
  return card && card.id === productId ? { ...card, stock } : card;
}

function liveOrder(o: Order | HostOrderSummary, now: number): LiveOrder {
  return {
    id: o.id,
    status: o.status,
    total: o.total,
    currency: o.currency,
    items: o.items.map((i) => ({
      productId: i.productId,
      title: i.title,
      unit: i.unit,
      quantity: i.quantity,
    })),
    createdAt: o.createdAt ?? new Date(now).toISOString(),
    ...('shippingAddress' in o && { shippingAddress: o.shippingAddress }),
  };
}

function addOrders(existing: LiveOrder[], incoming: LiveOrder[]): LiveOrder[] {
  const byId = new Map(existing.map((o) => [o.id, o]));
  // What we knew in full (address, placing time) is kept; the newer status wins.
  for (const o of incoming) {
    const known = byId.get(o.id);
    byId.set(o.id, known ? { ...o, ...known, status: o.status } : o);
  }
  return [...byId.values()].sort((a, b) =>
    a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0,
  );
}

/** Everything the live room shows, as a pure function of the events received. */
export function roomReducer(state: RoomState, action: RoomAction): RoomState {
  switch (action.type) {
    case 'liked':
      return { ...state, likes: state.likes + action.count };
    case 'toast-expired':
      return { ...state, toasts: state.toasts.filter((t) => t.id !== action.id) };
    case 'seed-orders':
      return {
        ...state,
        orders: addOrders(
          state.orders,
          action.orders.map((o) => liveOrder(o, action.now)),
        ),
      };
    case 'status':
      return {
        ...state,
        status: action.status,
        canChat: action.status === 'ended' ? false : state.canChat,
      };
    case 'pinned':
      return { ...state, pinned: action.product };
    case 'clear-error':
      if (action.at !== undefined && state.lastError?.at !== action.at) return state;
      return { ...state, lastError: null };
    case 'seed-flash':
      return {
        ...state,
        offers: action.offers ? seedOffers(state.offers, action.offers) : state.offers,
        coupons: action.coupons ? seedCoupons(state.coupons, action.coupons) : state.coupons,
      };
    case 'offer-claimed':
      return { ...state, offers: claimedOffer(state.offers, action.offer, action.quantity) };
    case 'coupon-claimed':
      return {
        ...state,
        coupons: upsertCoupon(state.coupons, { ...action.coupon, claimed: true }),
      };
    case 'offer-updated':
      return { ...state, offers: upsertOffer(state.offers, action.offer) };
    case 'coupon-updated':
      return { ...state, coupons: upsertCoupon(state.coupons, action.coupon) };
    case 'event':
      return applyFlashEvent(applyEvent(state, action.event, action.now), action.event);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isOffer = (v: unknown): v is OfferView =>
  isRecord(v) && typeof v.id === 'string' && typeof v.left === 'number' && isRecord(v.product);
const isCoupon = (v: unknown): v is CouponView =>
  isRecord(v) && typeof v.id === 'string' && typeof v.left === 'number' && 'discount' in v;

/**
 * Flash offers and coupons: `offer` / `coupon` events carry the whole latest state, and the
 * hello lists the open and scheduled ones. Read defensively: a room server older than the
 * web app simply sends none.
 */
function applyFlashEvent(state: RoomState, event: LiveEvent): RoomState {
  const e = event as unknown as Record<string, unknown>;
  switch (e.type) {
    case 'hello': {
      const offers = Array.isArray(e.offers) ? e.offers.filter(isOffer) : [];
      const coupons = Array.isArray(e.coupons) ? e.coupons.filter(isCoupon) : [];
      return {
        ...state,
        offers: offers.reduce(upsertOffer, state.offers),
        coupons: coupons.reduce(upsertCoupon, state.coupons),
      };
    }
    case 'offer':
      return isOffer(e.offer) ? { ...state, offers: upsertOffer(state.offers, e.offer) } : state;
    case 'coupon':
      return isCoupon(e.coupon)
        ? { ...state, coupons: upsertCoupon(state.coupons, e.coupon) }
        : state;
    default:
      return state;
  }
}

function mergeChat(chat: ChatLine[], earlier: ChatLine[]): ChatLine[] {
  if (earlier.length === 0) return chat;
  const seen = new Set(chat.map((c) => c.id));
  const merged = [...earlier.filter((c) => !seen.has(c.id)), ...chat];
  return merged.length > CHAT_KEEP ? merged.slice(merged.length - CHAT_KEEP) : merged;
}

function applyEvent(state: RoomState, e: LiveEvent, now: number): RoomState {
  switch (e.type) {
    case 'hello':
      return {
        ...state,
        joined: true,
        status: e.status,
        viewers: e.viewers,
        likes: nextLikeTotal(state.likes, e.likes),
        pinned: e.pinned,
        canChat: e.canChat,
        missedSome: state.missedSome || e.missedTooMany,
        // A first join brings the last lines said; a reconnect keeps what is on screen.
        chat: mergeChat(
          state.chat,
          (e.recentChat ?? []).map((c) => ({ id: c.id, text: c.text, author: c.author, at: c.at })),
        ),
        ...(e.stream && { stream: e.stream, streamAt: now }),
      };
    case 'chat': {
      if (state.chat.some((c) => c.id === e.id)) return state;
      const line: ChatLine = { id: e.id, text: e.text, author: e.author, at: e.at };
      const chat = [...state.chat, line];
      return {
        ...state,
        chat: chat.length > CHAT_KEEP ? chat.slice(chat.length - CHAT_KEEP) : chat,
      };
    }
    case 'like':
      return { ...state, likes: nextLikeTotal(state.likes, e.total) };
    case 'viewers':
      return { ...state, viewers: e.count };
    case 'pin':
      return { ...state, pinned: e.product };
    case 'purchase': {
      const toast: PurchaseToast = {
        id: `${e.seq}`,
        productId: e.productId,
        quantity: e.quantity,
        unit: e.unit,
        countyName: e.countyName,
      };
      const toasts = [...state.toasts, toast];
      return {
        ...state,
        toasts: toasts.length > TOASTS_KEEP ? toasts.slice(toasts.length - TOASTS_KEEP) : toasts,
      };
    }
    case 'stock':
      return {
        ...state,
        stock: { ...state.stock, [e.productId]: e.stock },
        pinned: withStock(state.pinned, e.productId, e.stock),
      };
    case 'soldout':
      return {
        ...state,
        stock: { ...state.stock, [e.productId]: 0 },
        pinned: withStock(state.pinned, e.productId, 0),
      };
    case 'live':
      return {
        ...state,
        status: e.status,
        canChat: e.status === 'ended' ? false : state.canChat,
        stream: e.status === 'ended' ? 'offline' : state.stream,
      };
    case 'stream':
      return { ...state, stream: e.state, streamAt: now };
    case 'order':
      return { ...state, orders: addOrders(state.orders, [liveOrder(e.order, now)]) };
    case 'error':
      return { ...state, lastError: { code: e.error.code, message: e.error.message, at: now } };
    case 'pong':
      return state;
    default:
      return state;
  }
}
