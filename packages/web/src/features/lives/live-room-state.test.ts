import { describe, expect, it } from 'vitest';
import type { CouponView, OfferView, Order } from '../../api/types.ts';
import type { LiveEvent } from '../../lib/event-sequencer.ts';
import {
  CHAT_KEEP,
  initialRoomState,
  roomReducer,
  TOASTS_KEEP,
  type RoomState,
} from './live-room-state.ts';

const card = {
  id: 'p1',
  title: '玉米',
  unit: 'kg',
  price: 350,
  currency: 'CNY',
  traditionalPrice: 200,
  stock: 10,
  photoUrl: null,
};
const ev = (event: unknown) => ({ type: 'event' as const, event: event as LiveEvent, now: 1000 });
const run = (...events: unknown[]) =>
  events.reduce<RoomState>((s, e) => roomReducer(s, ev(e)), initialRoomState);
const hello = {
  type: 'hello',
  liveId: 'L',
  seq: 3,
  status: 'live',
  viewers: 4,
  likes: 20,
  pinned: card,
  canChat: true,
  missedTooMany: false,
};
const chat = (i: number) => ({
  type: 'chat',
  seq: i,
  liveId: 'L',
  id: `c${i}`,
  text: `hi ${i}`,
  author: { id: 'u', displayName: 'A', isHost: false },
  at: '',
});

describe('roomReducer', () => {
  it('shows a newcomer the last lines said and the host’s video state from the hello', () => {
    let s = run({ ...hello, recentChat: [chat(1), chat(2)], stream: 'reconnecting' });
    expect(s.chat.map((c) => c.id)).toEqual(['c1', 'c2']);
    expect(s.stream).toBe('reconnecting');
    // A reconnect's hello repeats lines already shown: each stays once.
    s = roomReducer(s, ev({ ...hello, recentChat: [chat(2)], stream: null }));
    expect(s.chat.map((c) => c.id)).toEqual(['c1', 'c2']);
    expect(s.stream).toBe('reconnecting');
  });

  it('takes the room as the hello describes it', () => {
    const s = run(hello);
    expect(s).toMatchObject({
      joined: true,
      status: 'live',
      viewers: 4,
      likes: 20,
      pinned: card,
      canChat: true,
    });
  });

  it('appends chat once and keeps the last lines only', () => {
    let s = run(hello, chat(1), chat(1));
    expect(s.chat.map((c) => c.text)).toEqual(['hi 1']);
    for (let i = 2; i < CHAT_KEEP + 10; i++) s = roomReducer(s, ev(chat(i)));
    expect(s.chat).toHaveLength(CHAT_KEEP);
    expect(s.chat.at(-1)!.text).toBe(`hi ${CHAT_KEEP + 9}`);
  });

  it('counts likes without going back over our own taps', () => {
    let s = run(hello);
    s = roomReducer(s, { type: 'liked', count: 3 });
    expect(s.likes).toBe(23);
    s = roomReducer(s, ev({ type: 'like', seq: 4, count: 1, total: 21 }));
    expect(s.likes).toBe(23);
    s = roomReducer(s, ev({ type: 'like', seq: 5, count: 9, total: 30 }));
    expect(s.likes).toBe(30);
  });

  it('follows the pinned product, its stock and sold out', () => {
    let s = run(hello, { type: 'stock', seq: 4, productId: 'p1', stock: 7 });
    expect(s.pinned!.stock).toBe(7);
    s = roomReducer(s, ev({ type: 'soldout', seq: 5, productId: 'p1' }));
    expect(s.pinned!.stock).toBe(0);
    s = roomReducer(s, ev({ type: 'stock', seq: 6, productId: 'other', stock: 2 }));
    expect(s.pinned!.stock).toBe(0);
    expect(s.stock).toEqual({ p1: 0, other: 2 });
    s = roomReducer(s, ev({ type: 'pin', seq: 7, product: null }));
    expect(s.pinned).toBeNull();
  });

  it('shows the last few purchases', () => {
    let s = run(hello);
    for (let i = 0; i < 5; i++) {
      s = roomReducer(
        s,
        ev({
          type: 'purchase',
          seq: 10 + i,
          productId: 'p1',
          quantity: 2,
          unit: 'kg',
          countyName: { zh: '青州市', en: 'Qingzhou', it: 'Qingzhou' },
        }),
      );
    }
    expect(s.toasts).toHaveLength(TOASTS_KEEP);
    s = roomReducer(s, { type: 'toast-expired', id: '14' });
    expect(s.toasts.map((t) => t.id)).toEqual(['12', '13']);
  });

  it('stops chat when the show ends', () => {
    const s = run(hello, { type: 'live', seq: 9, status: 'ended' });
    expect(s).toMatchObject({ status: 'ended', canChat: false });
  });

  it('lists host orders newest first without duplicates', () => {
    const item = { productId: 'p1', title: '玉米', unit: 'kg', quantity: 2 };
    const address = { name: '李', phone: '138', regionCode: '370781', line1: 'x' };
    const full = {
      id: 'a',
      createdAt: '2025-01-01T10:00:00.000Z',
      status: 'placed',
      total: 700,
      currency: 'CNY',
      items: [item],
      shippingAddress: address,
    } as Order;
    let s = roomReducer(initialRoomState, { type: 'seed-orders', orders: [full], now: 0 });
    // Live summaries have no time nor address: the arrival time stands in.
    const at = Date.parse('2025-01-01T10:05:00Z');
    s = roomReducer(s, {
      type: 'event',
      now: at,
      event: {
        type: 'order',
        liveId: 'L',
        order: {
          id: 'b',
          status: 'cod_confirmed',
          total: 350,
          currency: 'CNY',
          items: [{ ...item, priceFen: 350 }],
        },
      },
    });
    s = roomReducer(s, {
      type: 'event',
      now: at,
      event: {
        type: 'order',
        liveId: 'L',
        order: { id: 'a', status: 'paid', total: 700, currency: 'CNY', items: [item] },
      },
    });
    expect(s.orders.map((o) => o.id)).toEqual(['b', 'a']);
    expect(s.orders[0]!.createdAt).toBe('2025-01-01T10:05:00.000Z');
    expect(s.orders[1]).toMatchObject({
      status: 'paid',
      shippingAddress: address,
      createdAt: '2025-01-01T10:00:00.000Z',
    });
  });

  it('remembers the last error the room sent', () => {
    const s = run(hello, { type: 'error', error: { code: 'RATE_LIMITED', message: 'slow down' } });
    expect(s.lastError).toEqual({ code: 'RATE_LIMITED', message: 'slow down', at: 1000 });
    expect(roomReducer(s, { type: 'clear-error' }).lastError).toBeNull();
  });

  it("follows the host's video from stream events", () => {
    const s = run(hello);
    expect(s.stream).toBeNull();
    const dropped = run(
      hello,
      { type: 'stream', seq: 4, liveId: 'L', state: 'live' },
      { type: 'stream', seq: 5, liveId: 'L', state: 'reconnecting' },
    );
    expect(dropped).toMatchObject({ stream: 'reconnecting', streamAt: 1000 });
    const back = roomReducer(dropped, ev({ type: 'stream', seq: 6, liveId: 'L', state: 'live' }));
    expect(back.stream).toBe('live');
    const ended = roomReducer(back, ev({ type: 'live', seq: 7, liveId: 'L', status: 'ended' }));
    expect(ended).toMatchObject({ status: 'ended', stream: 'offline' });
  });

  describe('flash offers and coupons', () => {
    const offer = (over: Record<string, unknown> = {}) => ({
      id: 'o1',
      liveId: 'L',
      shopId: 'S',
      product: { id: 'p1', title: '玉米', unit: '斤', photoUrl: null },
      price: 990,
      regularPrice: 1500,
      currency: 'CNY',
      quantity: 3,
      left: 3,
      perBuyerLimit: 1,
      holdSeconds: 300,
      startsAt: '2026-06-01T12:00:00.000Z',
      endsAt: '2026-06-01T12:01:00.000Z',
      status: 'open',
      ...over,
    });
    const coupon = (over: Record<string, unknown> = {}) => ({
      id: 'c1',
      liveId: 'L',
      shopId: 'S',
      discount: 500,
      minSpend: 0,
      currency: 'CNY',
      quota: 2,
      left: 2,
      startsAt: '2026-06-01T12:00:00.000Z',
      endsAt: '2026-06-01T12:10:00.000Z',
      usableUntil: '2026-06-04T12:00:00.000Z',
      status: 'open',
      ...over,
    });
    const offerEvent = (seq: number, over: Record<string, unknown>) => ({
      type: 'offer',
      seq,
      liveId: 'L',
      offer: offer(over),
    });

    it('takes the open offers and coupons from the hello', () => {
      const s = run({ ...hello, offers: [offer()], coupons: [coupon()] });
      expect(s.offers.map((o) => o.id)).toEqual(['o1']);
      expect(s.coupons.map((c) => c.id)).toEqual(['c1']);
    });

    it('follows units left down to sold out, and up again when a hold expires', () => {
      let s = run(
        hello,
        offerEvent(4, { left: 2 }),
        offerEvent(5, { left: 0, status: 'sold_out' }),
      );
      expect(s.offers[0]).toMatchObject({ left: 0, status: 'sold_out' });
      s = roomReducer(s, ev(offerEvent(6, { left: 1, status: 'open' })));
      expect(s.offers).toHaveLength(1);
      expect(s.offers[0]).toMatchObject({ left: 1, status: 'open' });
    });

    it('keeps our own units and claimed coupons across room events', () => {
      let s = run(hello);
      s = roomReducer(s, {
        type: 'seed-flash',
        offers: [offer({ mine: 0 }) as OfferView],
        coupons: [coupon() as CouponView],
      });
      s = roomReducer(s, {
        type: 'offer-claimed',
        offer: { id: 'o1', left: 2, status: 'open' },
        quantity: 1,
      });
      expect(s.offers[0]).toMatchObject({ left: 2, mine: 1 });
      s = roomReducer(s, { type: 'coupon-claimed', coupon: coupon({ left: 1 }) as CouponView });
      s = roomReducer(s, ev(offerEvent(7, { left: 1 })));
      s = roomReducer(s, ev({ type: 'coupon', seq: 8, liveId: 'L', coupon: coupon({ left: 0 }) }));
      expect(s.offers[0]).toMatchObject({ left: 1, mine: 1 });
      expect(s.coupons[0]).toMatchObject({ left: 0, claimed: true });
    });

    it('ignores malformed offer and coupon events', () => {
      const s = run(hello, { type: 'offer', seq: 4, liveId: 'L', offer: { id: 'x' } });
      expect(s.offers).toEqual([]);
      const t = run(hello, { type: 'coupon', seq: 4, liveId: 'L' });
      expect(t.coupons).toEqual([]);
    });
  });
});
