import type { CouponView, MyCoupon, OfferStatus, OfferView } from '../../api/types.ts';

/**
 * What a flash offer is at a given moment of the server's clock. The server's `status` is the
 * truth, but it arrives in events: between two of them the countdown still has to reach zero
 * and the button has to open on time, so the times it sent decide in between.
 */
export type OfferPhase = 'scheduled' | 'open' | 'sold_out' | 'ended';

export interface OfferMoment {
  phase: OfferPhase;
  /** Milliseconds to the next change we count down to (start, then end); 0 when ended. */
  remainingMs: number;
}

export function offerMoment(
  offer: Pick<OfferView, 'status' | 'left' | 'startsAt' | 'endsAt'>,
  serverNow: number,
): OfferMoment {
  const startsAt = Date.parse(offer.startsAt);
  const endsAt = Date.parse(offer.endsAt);
  if (offer.status === 'ended' || serverNow >= endsAt) return { phase: 'ended', remainingMs: 0 };
  if (offer.status === 'scheduled' && serverNow < startsAt)
    return { phase: 'scheduled', remainingMs: startsAt - serverNow };
  // Sold out is not the end: an unpaid hold that expires puts units back before endsAt.
  if (offer.status === 'sold_out' || offer.left <= 0)
    return { phase: 'sold_out', remainingMs: endsAt - serverNow };
  return { phase: 'open', remainingMs: endsAt - serverNow };
}

/** 65_000 → "01:05", 3_725_000 → "1:02:05". Rounds up: "00:01" until the very end. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const p = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${p(m)}:${p(s)}` : `${p(m)}:${p(s)}`;
}

/** Share of the offer already taken, 0..1, for the bar under the price. */
export function takenShare(offer: Pick<OfferView, 'quantity' | 'left'>): number {
  if (offer.quantity <= 0) return 1;
  return Math.min(1, Math.max(0, (offer.quantity - offer.left) / offer.quantity));
}

/**
 * How far the server's clock is ahead of ours (ms), from the `Date` header of an answer.
 * The header has whole seconds, so differences under a second are noise and count as none.
 */
export function clockSkewFromDate(
  dateHeader: string | null,
  sentAt: number,
  receivedAt: number,
): number {
  if (!dateHeader) return 0;
  const server = Date.parse(dateHeader);
  if (Number.isNaN(server)) return 0;
  // The header truncates to the second: the server's moment was somewhere in [server, +1s).
  const skew = server + 500 - (sentAt + receivedAt) / 2;
  return Math.abs(skew) < 1000 ? 0 : Math.round(skew);
}

/**
 * Keeps one entry per offer, newest start first. The room's events carry the latest state
 * but not `mine` (it is per viewer): what we knew of it is kept.
 */
export function upsertOffer(list: OfferView[], incoming: OfferView): OfferView[] {
  const known = list.find((o) => o.id === incoming.id);
  const merged: OfferView = {
    ...incoming,
    ...(incoming.mine === undefined && known?.mine !== undefined && { mine: known.mine }),
  };
  const rest = list.filter((o) => o.id !== incoming.id);
  return sortNewestFirst([merged, ...rest]);
}

/** REST reads may be older than the room's events: they only add what the room has not said. */
export function seedOffers(list: OfferView[], read: OfferView[]): OfferView[] {
  const byId = new Map(list.map((o) => [o.id, o]));
  for (const o of read) {
    const known = byId.get(o.id);
    byId.set(o.id, known ? { ...known, ...(o.mine !== undefined && { mine: o.mine }) } : o);
  }
  return sortNewestFirst([...byId.values()]);
}

/** Our own claim's answer: the units left then, and what we now hold. */
export function claimedOffer(
  list: OfferView[],
  result: { id: string; left: number; status: OfferStatus },
  quantity: number,
): OfferView[] {
  return list.map((o) =>
    o.id === result.id
      ? { ...o, left: result.left, status: result.status, mine: (o.mine ?? 0) + quantity }
      : o,
  );
}

function sortNewestFirst<T extends { startsAt: string; id: string }>(list: T[]): T[] {
  return [...list].sort((a, b) =>
    a.startsAt === b.startsAt ? (a.id < b.id ? 1 : -1) : a.startsAt < b.startsAt ? 1 : -1,
  );
}

/**
 * The offer the room's card shows: one open now (the latest started), else the next to start,
 * else one sold out that may still come back; an ended one only if nothing else is left and
 * it ended a moment ago (so "ended" is seen, then the card goes).
 */
export function currentOffer(
  offers: OfferView[],
  serverNow: number,
  keepEndedMs = 15_000,
): OfferView | null {
  const withPhase = offers.map((o) => ({ o, m: offerMoment(o, serverNow) }));
  const open = withPhase.filter((x) => x.m.phase === 'open');
  if (open.length > 0) return open[0]!.o;
  const next = withPhase
    .filter((x) => x.m.phase === 'scheduled')
    .sort((a, b) => a.m.remainingMs - b.m.remainingMs);
  if (next.length > 0) return next[0]!.o;
  const soldOut = withPhase.filter((x) => x.m.phase === 'sold_out');
  if (soldOut.length > 0) return soldOut[0]!.o;
  const justEnded = offers
    .filter((o) => serverNow - Date.parse(o.endsAt) < keepEndedMs)
    .sort((a, b) => (a.endsAt < b.endsAt ? 1 : -1));
  return justEnded[0] ?? null;
}

/** How many units a buyer may still ask for: the limit less what they hold, capped by `left`. */
export function claimable(offer: Pick<OfferView, 'perBuyerLimit' | 'left' | 'mine'>): number {
  return Math.max(0, Math.min(offer.perBuyerLimit - (offer.mine ?? 0), offer.left));
}

// ---------- coupons ----------

export type CouponPhase = 'scheduled' | 'open' | 'gone' | 'ended';

export function couponMoment(
  coupon: Pick<CouponView, 'status' | 'left' | 'startsAt' | 'endsAt'>,
  serverNow: number,
): { phase: CouponPhase; remainingMs: number } {
  const startsAt = Date.parse(coupon.startsAt);
  const endsAt = Date.parse(coupon.endsAt);
  if (coupon.status === 'ended' || serverNow >= endsAt) return { phase: 'ended', remainingMs: 0 };
  if (coupon.status === 'scheduled' && serverNow < startsAt)
    return { phase: 'scheduled', remainingMs: startsAt - serverNow };
  if (coupon.status === 'gone' || coupon.left <= 0)
    return { phase: 'gone', remainingMs: endsAt - serverNow };
  return { phase: 'open', remainingMs: endsAt - serverNow };
}

/** Like offers: events carry the latest state, but `claimed` is the viewer's own and is kept. */
export function upsertCoupon(list: CouponView[], incoming: CouponView): CouponView[] {
  const known = list.find((c) => c.id === incoming.id);
  const merged: CouponView = {
    ...incoming,
    ...(incoming.claimed === undefined &&
      known?.claimed !== undefined && {
        claimed: known.claimed,
      }),
  };
  return sortNewestFirst([merged, ...list.filter((c) => c.id !== incoming.id)]);
}

export function seedCoupons(list: CouponView[], read: CouponView[]): CouponView[] {
  const byId = new Map(list.map((c) => [c.id, c]));
  for (const c of read) {
    const known = byId.get(c.id);
    byId.set(
      c.id,
      known ? { ...known, ...(c.claimed !== undefined && { claimed: c.claimed }) } : c,
    );
  }
  return sortNewestFirst([...byId.values()]);
}

/** The coupon the room's card shows: an open one not yet claimed first, then the others. */
export function currentCoupon(coupons: CouponView[], serverNow: number): CouponView | null {
  const live = coupons
    .map((c) => ({ c, m: couponMoment(c, serverNow) }))
    .filter((x) => x.m.phase !== 'ended');
  const rank = (x: { c: CouponView; m: { phase: CouponPhase } }) =>
    x.m.phase === 'open' ? (x.c.claimed ? 1 : 0) : x.m.phase === 'scheduled' ? 2 : 3;
  return [...live].sort((a, b) => rank(a) - rank(b))[0]?.c ?? null;
}

/**
 * The buyer's coupons that can go on an order of `subtotal` fen from `shopId` now, the biggest
 * discount first.
 */
export function usableCoupons(
  mine: MyCoupon[],
  shopId: string,
  subtotal: number,
  now: number,
): MyCoupon[] {
  return mine
    .filter(
      (c) =>
        c.shopId === shopId &&
        c.usedByOrderId === null &&
        Date.parse(c.usableUntil) > now &&
        subtotal >= c.minSpend,
    )
    .sort((a, b) => b.discount - a.discount);
}

/** What the buyer pays with a coupon: never below one fen (the server keeps the same floor). */
export function totalWithCoupon(
  subtotal: number,
  coupon: Pick<CouponView, 'discount' | 'minSpend'> | null,
): number {
  if (!coupon || subtotal < coupon.minSpend) return subtotal;
  return Math.max(1, subtotal - coupon.discount);
}

// ---------- claim refusals ----------

export type ClaimRefusal =
  | { reason: 'sold_out' }
  | { reason: 'limit'; limit: number; mine: number }
  | { reason: 'not_started'; startsAt: string | null }
  | { reason: 'ended' }
  | { reason: 'own_shop' };

/** The refusals a flash claim expects, as values the sheet says plainly; null for others. */
export function claimRefusal(
  err: { code: string; status: number; details: Record<string, unknown> } | null,
): ClaimRefusal | null {
  if (!err) return null;
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  switch (err.code) {
    case 'SOLD_OUT':
      return { reason: 'sold_out' };
    case 'LIMIT_REACHED':
      return { reason: 'limit', limit: num(err.details.limit), mine: num(err.details.mine) };
    case 'OFFER_NOT_STARTED':
      return {
        reason: 'not_started',
        startsAt: typeof err.details.startsAt === 'string' ? err.details.startsAt : null,
      };
    case 'OFFER_ENDED':
      return { reason: 'ended' };
    case 'FORBIDDEN':
      return err.status === 403 ? { reason: 'own_shop' } : null;
    default:
      return null;
  }
}

// ---------- one key per attempt ----------

/**
 * The Idempotency-Key of a claim attempt. The same key goes with every retry of the attempt
 * (a double tap, a tap after a timeout), so the server answers it once; a new attempt begins
 * only after the server gave a definite answer (created or refused), never after a network
 * failure, a 5xx or a rate limit, where the first request may still have gone through.
 */
export class AttemptKey {
  private current: string | null = null;

  constructor(private readonly make: () => string) {}

  /** The key to send now. */
  take(): string {
    this.current ??= this.make();
    return this.current;
  }

  /** The server answered: success, or an error with `status`. */
  settle(outcome: { ok: true } | { ok: false; status: number }): void {
    if (outcome.ok) this.current = null;
    else if (outcome.status >= 400 && outcome.status < 500 && outcome.status !== 429)
      this.current = null;
  }
}
