import { describe, expect, it } from 'vitest';
import type { CouponView, MyCoupon, OfferView } from '../../api/types.ts';
import {
  AttemptKey,
  claimable,
  claimedOffer,
  claimRefusal,
  clockSkewFromDate,
  couponMoment,
  currentCoupon,
  currentOffer,
  formatCountdown,
  offerMoment,
  seedCoupons,
  seedOffers,
  takenShare,
  totalWithCoupon,
  upsertCoupon,
  upsertOffer,
  usableCoupons,
} from './flash-state.ts';

const T0 = Date.parse('2026-06-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

const offer = (over: Partial<OfferView> = {}): OfferView => ({
  id: 'o1',
  liveId: 'L',
  shopId: 'S',
  product: { id: 'p1', title: '玉米', unit: '斤', photoUrl: null },
  price: 990,
  regularPrice: 1500,
  currency: 'CNY',
  quantity: 10,
  left: 10,
  perBuyerLimit: 2,
  holdSeconds: 300,
  startsAt: iso(T0),
  endsAt: iso(T0 + 60_000),
  status: 'open',
  ...over,
});

const coupon = (over: Partial<CouponView> = {}): CouponView => ({
  id: 'c1',
  liveId: 'L',
  shopId: 'S',
  discount: 500,
  minSpend: 3000,
  currency: 'CNY',
  quota: 100,
  left: 100,
  startsAt: iso(T0),
  endsAt: iso(T0 + 600_000),
  usableUntil: iso(T0 + 72 * 3600_000),
  status: 'open',
  ...over,
});

describe('offerMoment', () => {
  it('counts down to the start while scheduled, then to the end once open', () => {
    const o = offer({ status: 'scheduled', startsAt: iso(T0 + 30_000), endsAt: iso(T0 + 90_000) });
    expect(offerMoment(o, T0)).toEqual({ phase: 'scheduled', remainingMs: 30_000 });
    // The start event may lag: at the start time the card opens on its own.
    expect(offerMoment(o, T0 + 30_000)).toEqual({ phase: 'open', remainingMs: 60_000 });
  });

  it('is sold out when nothing is left, and open again when a hold gives units back', () => {
    expect(offerMoment(offer({ left: 0 }), T0 + 1000).phase).toBe('sold_out');
    expect(offerMoment(offer({ status: 'sold_out', left: 0 }), T0 + 1000).phase).toBe('sold_out');
    expect(offerMoment(offer({ status: 'open', left: 1 }), T0 + 1000).phase).toBe('open');
  });

  it('is ended at endsAt even before the server says so, and whenever the server says so', () => {
    expect(offerMoment(offer(), T0 + 60_000)).toEqual({ phase: 'ended', remainingMs: 0 });
    expect(offerMoment(offer({ status: 'ended' }), T0).phase).toBe('ended');
  });
});

describe('formatCountdown', () => {
  it('shows minutes and seconds, hours when needed, rounding up, never negative', () => {
    expect(formatCountdown(65_000)).toBe('01:05');
    expect(formatCountdown(64_001)).toBe('01:05');
    expect(formatCountdown(1)).toBe('00:01');
    expect(formatCountdown(0)).toBe('00:00');
    expect(formatCountdown(-5000)).toBe('00:00');
    expect(formatCountdown(3_725_000)).toBe('1:02:05');
  });
});

describe('takenShare', () => {
  it('is the part already taken, within 0..1', () => {
    expect(takenShare({ quantity: 10, left: 10 })).toBe(0);
    expect(takenShare({ quantity: 10, left: 4 })).toBeCloseTo(0.6);
    expect(takenShare({ quantity: 10, left: 0 })).toBe(1);
    expect(takenShare({ quantity: 0, left: 0 })).toBe(1);
  });
});

describe('clockSkewFromDate', () => {
  it('finds a server clock several seconds ahead', () => {
    const sent = T0;
    const received = T0 + 200;
    // The server said 12:00:07 while our clock read 12:00:00.1.
    const skew = clockSkewFromDate(new Date(T0 + 7000).toUTCString(), sent, received);
    expect(skew).toBeGreaterThanOrEqual(6900);
    expect(skew).toBeLessThanOrEqual(7500);
  });

  it('finds a server clock behind ours', () => {
    const skew = clockSkewFromDate(new Date(T0 - 5000).toUTCString(), T0, T0 + 100);
    expect(skew).toBeLessThan(-4000);
  });

  it('ignores sub-second differences (the header has whole seconds) and bad headers', () => {
    expect(clockSkewFromDate(new Date(T0).toUTCString(), T0 + 100, T0 + 300)).toBe(0);
    expect(clockSkewFromDate(null, T0, T0)).toBe(0);
    expect(clockSkewFromDate('not a date', T0, T0)).toBe(0);
  });
});

describe('offer lists', () => {
  it('keeps the viewer’s own units when a room event (without mine) updates the offer', () => {
    let list = seedOffers([], [offer({ mine: 1, left: 8 })]);
    list = upsertOffer(list, offer({ left: 5 }));
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ left: 5, mine: 1 });
  });

  it('does not let an older read overwrite what the room said, but takes its mine', () => {
    let list = upsertOffer([], offer({ left: 3 }));
    list = seedOffers(list, [
      offer({ left: 9, mine: 2 }),
      offer({ id: 'o2', startsAt: iso(T0 + 5) }),
    ]);
    expect(list.map((o) => o.id)).toEqual(['o2', 'o1']);
    expect(list.find((o) => o.id === 'o1')).toMatchObject({ left: 3, mine: 2 });
  });

  it('applies our own claim: units left then and the units we now hold', () => {
    const list = claimedOffer([offer({ mine: 0 })], { id: 'o1', left: 0, status: 'sold_out' }, 2);
    expect(list[0]).toMatchObject({ left: 0, status: 'sold_out', mine: 2 });
  });

  it('shows the open offer first, else the next to start, else a sold-out one, else a just-ended one', () => {
    const open = offer({ id: 'open' });
    const next = offer({
      id: 'next',
      status: 'scheduled',
      startsAt: iso(T0 + 120_000),
      endsAt: iso(T0 + 180_000),
    });
    const later = offer({
      id: 'later',
      status: 'scheduled',
      startsAt: iso(T0 + 300_000),
      endsAt: iso(T0 + 400_000),
    });
    const sold = offer({ id: 'sold', status: 'sold_out', left: 0 });
    expect(currentOffer([later, next, open, sold], T0 + 1000)?.id).toBe('open');
    expect(currentOffer([later, next, sold], T0 + 1000)?.id).toBe('next');
    expect(currentOffer([sold], T0 + 1000)?.id).toBe('sold');
    expect(currentOffer([open], T0 + 65_000)?.id).toBe('open');
    expect(currentOffer([open], T0 + 60_000 + 16_000)).toBeNull();
  });

  it('lets a buyer ask for the limit less what they hold, no more than what is left', () => {
    expect(claimable(offer({ perBuyerLimit: 3, mine: 1, left: 10 }))).toBe(2);
    expect(claimable(offer({ perBuyerLimit: 3, left: 1 }))).toBe(1);
    expect(claimable(offer({ perBuyerLimit: 2, mine: 2 }))).toBe(0);
  });
});

describe('coupons', () => {
  it('says open, gone and ended from the server’s times and counts', () => {
    expect(couponMoment(coupon(), T0 + 1).phase).toBe('open');
    expect(couponMoment(coupon({ left: 0 }), T0 + 1).phase).toBe('gone');
    expect(couponMoment(coupon({ status: 'gone', left: 0 }), T0 + 1).phase).toBe('gone');
    expect(couponMoment(coupon(), T0 + 600_000).phase).toBe('ended');
    expect(couponMoment(coupon({ status: 'scheduled', startsAt: iso(T0 + 10_000) }), T0)).toEqual({
      phase: 'scheduled',
      remainingMs: 10_000,
    });
  });

  it('keeps "claimed" across room events and prefers a coupon still to claim', () => {
    let list = seedCoupons([], [coupon({ claimed: true })]);
    list = upsertCoupon(list, coupon({ left: 50 }));
    expect(list[0]).toMatchObject({ left: 50, claimed: true });
    const fresh = coupon({ id: 'c2', startsAt: iso(T0 - 1000) });
    expect(currentCoupon([...list, fresh], T0 + 1)?.id).toBe('c2');
    expect(currentCoupon(list, T0 + 1)?.id).toBe('c1');
    expect(currentCoupon(list, T0 + 700_000)).toBeNull();
  });

  it('offers on an order only the buyer’s unused, unexpired coupons of that shop whose minimum is met', () => {
    const mine = (over: Partial<MyCoupon>): MyCoupon => ({
      ...coupon(),
      usedByOrderId: null,
      claimed: true,
      ...over,
    });
    const list = [
      mine({ id: 'small', discount: 200, minSpend: 0 }),
      mine({ id: 'big', discount: 800, minSpend: 3000 }),
      mine({ id: 'other-shop', shopId: 'S2', minSpend: 0 }),
      mine({ id: 'used', usedByOrderId: 'ord', minSpend: 0 }),
      mine({ id: 'expired', usableUntil: iso(T0 - 1), minSpend: 0 }),
    ];
    expect(usableCoupons(list, 'S', 3000, T0).map((c) => c.id)).toEqual(['big', 'small']);
    expect(usableCoupons(list, 'S', 2999, T0).map((c) => c.id)).toEqual(['small']);
  });

  it('takes the discount off the total, never below one fen, only when the minimum is met', () => {
    expect(totalWithCoupon(3500, { discount: 500, minSpend: 3000 })).toBe(3000);
    expect(totalWithCoupon(2500, { discount: 500, minSpend: 3000 })).toBe(2500);
    expect(totalWithCoupon(300, { discount: 500, minSpend: 0 })).toBe(1);
    expect(totalWithCoupon(300, null)).toBe(300);
  });
});

describe('claimRefusal', () => {
  const err = (code: string, details: Record<string, unknown> = {}, status = 409) => ({
    code,
    status,
    details,
  });
  it('turns each expected refusal into a reason with its figures', () => {
    expect(claimRefusal(err('SOLD_OUT', { left: 0 }))).toEqual({ reason: 'sold_out' });
    expect(claimRefusal(err('LIMIT_REACHED', { limit: 2, mine: 2 }))).toEqual({
      reason: 'limit',
      limit: 2,
      mine: 2,
    });
    expect(claimRefusal(err('OFFER_NOT_STARTED', { startsAt: iso(T0) }))).toEqual({
      reason: 'not_started',
      startsAt: iso(T0),
    });
    expect(claimRefusal(err('OFFER_ENDED'))).toEqual({ reason: 'ended' });
    expect(claimRefusal(err('FORBIDDEN', {}, 403))).toEqual({ reason: 'own_shop' });
  });
  it('leaves other errors to the generic message', () => {
    expect(claimRefusal(err('NETWORK', {}, 0))).toBeNull();
    expect(claimRefusal(err('VALIDATION_FAILED', {}, 400))).toBeNull();
    expect(claimRefusal(null)).toBeNull();
  });
});

describe('AttemptKey', () => {
  const keys = () => {
    let n = 0;
    return new AttemptKey(() => `k${++n}`);
  };
  it('sends the same key again after a network failure, a 5xx or a rate limit', () => {
    const key = keys();
    expect(key.take()).toBe('k1');
    key.settle({ ok: false, status: 0 });
    expect(key.take()).toBe('k1');
    key.settle({ ok: false, status: 503 });
    expect(key.take()).toBe('k1');
    key.settle({ ok: false, status: 429 });
    expect(key.take()).toBe('k1');
  });
  it('starts a new attempt after a definite answer', () => {
    const key = keys();
    key.take();
    key.settle({ ok: false, status: 409 });
    expect(key.take()).toBe('k2');
    key.settle({ ok: true });
    expect(key.take()).toBe('k3');
  });
});
