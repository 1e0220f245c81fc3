import { createHash, randomUUID } from 'node:crypto';
import {
  AppError,
  type CouponView,
  type OfferView,
  type PaymentMethod,
  type PinnedProductCard,
} from '@cunbo/shared';
import DataLoader from 'dataloader';
import type { Clock } from '../../lib/clock.ts';
import type { DomainEventBus } from '../../lib/domain-events.ts';
import type { Jobs } from '../../lib/jobs.ts';
import type { Actor } from '../accounts/accounts.service.ts';
import type { CatalogService } from '../catalog/catalog.service.ts';
import type { LivesService } from '../lives/lives.service.ts';
import type { OrderItemRow, OrderRow, PaymentRow, ShippingAddress } from '../orders/orders.repo.ts';
import { presentOrder, type OrderView, type OrdersService } from '../orders/orders.service.ts';
import type { PaymentProvider } from '../payments/payment-provider.ts';
import { findRegion } from '../regions/regions.service.ts';
import { GroupCommit } from './flash.batcher.ts';
import type { CouponRow, FlashQueries, FlashRepo, OfferRow } from './flash.repo.ts';

export type PublicOffer = Omit<OfferView, 'mine'>;
export type PublicCoupon = Omit<CouponView, 'claimed'>;

export interface OfferInput {
  productId: string;
  price: number;
  quantity: number;
  perBuyerLimit: number;
  startsAt?: string;
  durationSeconds: number;
  holdSeconds?: number;
}

export interface ClaimInput {
  quantity: number;
  shippingAddress: ShippingAddress;
  paymentMethod: PaymentMethod;
  couponId?: string;
}

export interface CouponInput {
  discount: number;
  minSpend?: number;
  quota: number;
  startsAt?: string;
  durationSeconds: number;
  usableHours?: number;
}

export interface ClaimResult {
  order: OrderView;
  offer: { id: string; left: number; status: OfferView['status'] };
  replayed: boolean;
}

const OFFER_CLOSE_JOB = 'flash.offer-close';
const OFFER_START_JOB = 'flash.offer-start';
const COUPON_EDGE_JOB = 'flash.coupon-edge';
/** Claims committed together at most; the rest wait for the next transaction. */
const MAX_BATCH = 1000;
/** A sold-out offer answers 409 from memory for this long, then looks at the database again. */
const SOLD_OUT_RECHECK_MS = 250;
/** How long this process trusts what it read of an offer (window, limit, product). */
const META_TTL_MS = 1_000;
/** A batch that lost a race (a key or coupon used meanwhile on another path) is retried. */
const BATCH_ATTEMPTS = 3;
const LIST_MAX = 100;

class BatchRace extends Error {}

interface Claim {
  actor: Actor;
  key: string;
  hash: string;
  input: ClaimInput;
}

/** What a claim turned into inside the batch transaction. */
type Outcome =
  | { kind: 'new'; index: number }
  | { kind: 'replay'; orderId: string }
  | { kind: 'same-as'; claim: number }
  | { kind: 'error'; error: AppError };

function claimHash(offerId: string, input: ClaimInput): string {
  const a = input.shippingAddress;
  return createHash('sha256')
    .update(
      JSON.stringify({
        offerId,
        quantity: input.quantity,
        shippingAddress: [a.name, a.phone, a.regionCode, a.line1],
        paymentMethod: input.paymentMethod,
        couponId: input.couponId ?? null,
      }),
    )
    .digest('hex');
}

function offerStatus(row: OfferRow, now: Date): OfferView['status'] {
  if (row.closedAt || now.getTime() >= row.endsAt.getTime()) return 'ended';
  if (now.getTime() < row.startsAt.getTime()) return 'scheduled';
  return row.taken >= row.quantity ? 'sold_out' : 'open';
}

function couponStatus(row: CouponRow, now: Date): CouponView['status'] {
  if (now.getTime() >= row.endsAt.getTime()) return 'ended';
  if (now.getTime() < row.startsAt.getTime()) return 'scheduled';
  return row.claimed >= row.quota ? 'gone' : 'open';
}

export function presentCoupon(row: CouponRow, now: Date): PublicCoupon {
  return {
    id: row.id,
    liveId: row.liveId,
    shopId: row.shopId,
    discount: row.discountFen,
    minSpend: row.minSpendFen,
    currency: 'CNY',
    quota: row.quota,
    left: row.quota - row.claimed,
    startsAt: row.startsAt.toISOString(),
    endsAt: row.endsAt.toISOString(),
    usableUntil: row.usableUntil.toISOString(),
    status: couponStatus(row, now),
  };
}

/**
 * Flash offers and live coupons. A claim is exact under any concurrency and across processes:
 * the offer's `taken` moves only by a conditional UPDATE on its locked row, the per-buyer
 * limit is a condition on the buyer's row in the same transaction, and the answer is sent
 * after COMMIT. For throughput the claims of one offer are committed in batches (group
 * commit, see ADR 0011).
 */
export function createFlashService(deps: {
  repo: FlashRepo;
  orders: OrdersService;
  catalog: CatalogService;
  lives: LivesService;
  events: DomainEventBus;
  clock: Clock;
  jobs: Jobs;
  providers: ReadonlyMap<string, PaymentProvider>;
  /**
   * The next batch of an offer may start while one commits (see GroupCommit): true on
   * PostgreSQL, false on PGlite, whose one connection runs one transaction at a time.
   */
  pipelineBatches: boolean;
}) {
  const { repo, orders, catalog, lives, events, clock, jobs } = deps;
  const meta = new Map<string, { row: OfferRow; card: PinnedProductCard; at: number }>();
  /**
   * Offers this process saw sold out, when, and who holds units of them then: only those
   * buyers can be retrying a claim that won, so only they cost a database lookup.
   */
  const soldOut = new Map<string, { at: number; holders: ReadonlySet<string> }>();
  const batchers = new Map<string, GroupCommit<Claim, ClaimResult>>();

  function present(row: OfferRow, card: PinnedProductCard, now = clock.now()): PublicOffer {
    return {
      id: row.id,
      liveId: row.liveId,
      shopId: row.shopId,
      product: { id: card.id, title: card.title, unit: card.unit, photoUrl: card.photoUrl },
      price: row.priceFen,
      regularPrice: card.price,
      currency: card.currency,
      quantity: row.quantity,
      left: row.quantity - row.taken,
      perBuyerLimit: row.perBuyerLimit,
      holdSeconds: row.holdSeconds,
      startsAt: row.startsAt.toISOString(),
      endsAt: row.endsAt.toISOString(),
      status: offerStatus(row, now),
    };
  }

  async function cardOf(productId: string): Promise<PinnedProductCard> {
    const card = (await catalog.productCards([productId])).get(productId);
    if (!card) throw new AppError('NOT_FOUND', 'Product not found', 404);
    return card;
  }

  async function presentMany(rows: OfferRow[]): Promise<PublicOffer[]> {
    const cards = await catalog.productCards([...new Set(rows.map((r) => r.productId))]);
    const now = clock.now();
    return rows.flatMap((r) => {
      const card = cards.get(r.productId);
      return card ? [present(r, card, now)] : [];
    });
  }

  /** The offer as this process last read it (at most a second ago). */
  async function offerMeta(id: string, fresh = false) {
    const cached = meta.get(id);
    if (cached && !fresh && Date.now() - cached.at < META_TTL_MS) return cached;
    const row = await repo.findOffer(id);
    if (!row) {
      meta.delete(id);
      throw new AppError('NOT_FOUND', 'Offer not found', 404);
    }
    const entry = { row, card: cached?.card ?? (await cardOf(row.productId)), at: Date.now() };
    meta.set(id, entry);
    return entry;
  }

  function remember(row: OfferRow) {
    const cached = meta.get(row.id);
    if (cached) meta.set(row.id, { row, card: cached.card, at: Date.now() });
    if (row.taken < row.quantity) {
      soldOut.delete(row.id);
      return;
    }
    // Seen sold out in the database just now: answer from memory again for a while, with
    // the holders as they are now (another process may have sold a unit given back).
    const at = Date.now();
    void repo.holders(row.id).then(
      (holders) => soldOut.set(row.id, { at, holders }),
      () => undefined, // No flag: claims keep going to the database, which is always right.
    );
  }

  async function announceOffer(id: string): Promise<PublicOffer> {
    const { row, card } = await offerMeta(id, true);
    remember(row);
    const offer = present(row, card);
    events.emit('offer.changed', { offer });
    return offer;
  }

  /** The host's own live show, not ended. */
  async function hostedLive(actor: Actor, liveId: string) {
    const info = await lives.roomInfo(liveId);
    if (!info) throw new AppError('NOT_FOUND', 'Live show not found', 404);
    if (info.hostUserId !== actor.user.id || !actor.user.shopId)
      throw new AppError('FORBIDDEN', 'This live show is not yours', 403);
    if (info.live.status === 'ended')
      throw new AppError('LIVE_NOT_LIVE', 'This show has ended', 409, {
        status: info.live.status,
      });
    return info.live;
  }

  function windowOf(now: Date, startsAt: string | undefined, durationSeconds: number) {
    const start = startsAt ? new Date(startsAt) : now;
    if (start.getTime() < now.getTime() - 60_000) {
      throw new AppError('VALIDATION_FAILED', 'The start is in the past', 422, {
        field: 'body.startsAt',
      });
    }
    return { startsAt: start, endsAt: new Date(start.getTime() + durationSeconds * 1000) };
  }

  function validateClaim(input: ClaimInput) {
    const region = findRegion(input.shippingAddress.regionCode);
    if (!region || region.level === 'province' || region.level === 'prefecture') {
      throw new AppError(
        'UNKNOWN_REGION',
        'Choose the county, township or village to ship to',
        422,
        {
          field: 'body.shippingAddress.regionCode',
        },
      );
    }
    if (input.paymentMethod !== 'cod' && !deps.providers.has(input.paymentMethod)) {
      throw new AppError('VALIDATION_FAILED', 'This payment method is not available', 422, {
        field: 'body.paymentMethod',
      });
    }
  }

  /** A retry of a claim that was already answered: the same order, and the offer as it is now. */
  async function replay(orderId: string, offerId: string): Promise<ClaimResult> {
    const order = await orders.orderView(orderId);
    if (!order) throw new AppError('NOT_FOUND', 'Order not found', 404);
    const { row } = await offerMeta(offerId);
    return {
      order,
      offer: { id: offerId, left: row.quantity - row.taken, status: offerStatus(row, clock.now()) },
      replayed: true,
    };
  }

  /**
   * The orders of Idempotency-Keys, looked up together: the winners of a sale tapping again
   * after it sold out arrive hundreds at a time, and each needs its key checked.
   */
  const keyLoader = new DataLoader<
    { userId: string; key: string },
    { orderId: string; requestHash: string } | null
  >(
    async (pairs) => {
      const rows = await repo.orders.findIdempotencyKeys([...pairs]);
      const byPair = new Map(rows.map((r) => [`${r.userId} ${r.key}`, r]));
      return pairs.map((p) => byPair.get(`${p.userId} ${p.key}`) ?? null);
    },
    { cache: false, maxBatchSize: 500, batchScheduleFn: (run) => setImmediate(run) },
  );

  /** Looks the key up when the answer would otherwise come from memory (sold out, ended). */
  async function earlierClaim(claim: Claim, offerId: string): Promise<ClaimResult | null> {
    const found = await keyLoader.load({ userId: claim.actor.user.id, key: claim.key });
    if (!found) return null;
    if (found.requestHash !== claim.hash) throw keyReused(found.orderId);
    return replay(found.orderId, offerId);
  }

  const keyReused = (orderId: string) =>
    new AppError(
      'IDEMPOTENCY_KEY_REUSED',
      'This Idempotency-Key was used for a different order',
      422,
      {
        field: 'header.idempotency-key',
        orderId,
      },
    );

  /**
   * One transaction for a whole batch of claims on one offer: lock the offer row, read the
   * buyers' counts and the keys already used (one query each), allocate in arrival order,
   * write every order with a handful of multi-row INSERTs, move `taken` once.
   */
  async function commitBatch(
    offerId: string,
    claims: Claim[],
    handOver: () => void,
  ): Promise<Array<ClaimResult | Error>> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await tryBatch(offerId, claims, handOver);
      } catch (err) {
        if (!(err instanceof BatchRace) || attempt >= BATCH_ATTEMPTS) throw err;
      }
    }
  }

  async function tryBatch(
    offerId: string,
    claims: Claim[],
    handOver: () => void,
  ): Promise<Array<ClaimResult | Error>> {
    const now = clock.now();
    const { row, card } = await offerMeta(offerId);
    const done = await repo.inTransaction(async (tx: FlashQueries) => {
      const state = await tx.lockForClaims(
        offerId,
        claims.map((c) => ({ userId: c.actor.user.id, key: c.key })),
        [...new Set(claims.map((c) => c.actor.user.id))],
      );
      if (!state) throw new AppError('NOT_FOUND', 'Offer not found', 404);
      const offer: OfferRow = { ...row, ...state.offer };
      const used = new Map(state.keys.map((k) => [`${k.userId} ${k.key}`, k]));
      const units = state.units;
      const status = offerStatus(offer, now);
      let left = offer.quantity - offer.taken;
      const outcomes: Outcome[] = [];
      const inBatch = new Map<string, number>();
      const couponsUsed = new Set<string>();
      const fresh: Array<{
        claim: Claim;
        orderId: string;
        discountFen: number;
      }> = [];
      for (const [i, claim] of claims.entries()) {
        const buyer = claim.actor.user.id;
        const keyId = `${buyer} ${claim.key}`;
        const earlier = used.get(keyId);
        if (earlier) {
          outcomes.push(
            earlier.requestHash === claim.hash
              ? { kind: 'replay', orderId: earlier.orderId }
              : { kind: 'error', error: keyReused(earlier.orderId) },
          );
          continue;
        }
        const twin = inBatch.get(keyId);
        if (twin !== undefined) {
          outcomes.push(
            claims[twin]!.hash === claim.hash
              ? { kind: 'same-as', claim: twin }
              : { kind: 'error', error: keyReused('') },
          );
          continue;
        }
        inBatch.set(keyId, i);
        const refuse = (error: AppError) => outcomes.push({ kind: 'error', error });
        if (status === 'ended') {
          refuse(
            new AppError('OFFER_ENDED', 'This offer has ended', 409, {
              endsAt: (offer.closedAt ?? offer.endsAt).toISOString(),
            }),
          );
          continue;
        }
        if (status === 'scheduled') {
          refuse(
            new AppError('OFFER_NOT_STARTED', 'This offer has not started yet', 409, {
              startsAt: offer.startsAt.toISOString(),
            }),
          );
          continue;
        }
        const mine = units.get(buyer) ?? 0;
        const q = claim.input.quantity;
        if (mine + q > offer.perBuyerLimit) {
          refuse(
            new AppError('LIMIT_REACHED', `At most ${offer.perBuyerLimit} per buyer`, 409, {
              limit: offer.perBuyerLimit,
              mine,
            }),
          );
          continue;
        }
        if (q > left) {
          refuse(
            new AppError('SOLD_OUT', left === 0 ? 'Sold out' : `Only ${left} left`, 409, {
              left,
            }),
          );
          continue;
        }
        const orderId = randomUUID();
        let discountFen = 0;
        const couponId = claim.input.couponId;
        if (couponId) {
          try {
            if (couponsUsed.has(`${buyer} ${couponId}`))
              throw new AppError(
                'COUPON_UNUSABLE',
                'This coupon is already used on another order',
                422,
                {
                  field: 'body.couponId',
                  reason: 'used',
                },
              );
            discountFen = await orders.couponDiscount(
              tx.orders,
              buyer,
              couponId,
              offer.shopId,
              offer.priceFen * q,
            );
            couponsUsed.add(`${buyer} ${couponId}`);
          } catch (err) {
            if (err instanceof AppError) {
              refuse(err);
              continue;
            }
            throw err;
          }
        }
        left -= q;
        units.set(buyer, mine + q);
        outcomes.push({ kind: 'new', index: fresh.length });
        fresh.push({ claim, orderId, discountFen });
      }
      if (fresh.length === 0) return { offer, outcomes, created: null };

      const perBuyer = new Map<string, number>();
      for (const f of fresh)
        perBuyer.set(
          f.claim.actor.user.id,
          (perBuyer.get(f.claim.actor.user.id) ?? 0) + f.claim.input.quantity,
        );
      const added = [...perBuyer].map(([buyerId, n]) => ({ buyerId, units: n }));
      const total = fresh.reduce((n, f) => n + f.claim.input.quantity, 0);
      // This batch holds the row and sends its last statements: the next may line up for it.
      handOver();
      // Orders, lines, keys, timelines, outbox, buyers' counts and the offer's `taken`: one
      // statement, one round trip, while the offer's row is locked.
      const written = await tx.orders.insertOrdersBatch(
        fresh.map(({ claim, orderId, discountFen }) => {
          const q = claim.input.quantity;
          const isCod = claim.input.paymentMethod === 'cod';
          return {
            order: {
              id: orderId,
              buyerId: claim.actor.user.id,
              shopId: offer.shopId,
              liveId: offer.liveId,
              status: isCod ? 'cod_confirmed' : 'placed',
              paymentMethod: claim.input.paymentMethod,
              totalFen: offer.priceFen * q - discountFen,
              discountFen,
              offerId: offer.id,
              couponId: claim.input.couponId ?? null,
              holdExpiresAt: isCod ? null : new Date(now.getTime() + offer.holdSeconds * 1000),
              currency: card.currency,
              shippingAddress: claim.input.shippingAddress,
              createdAt: now,
            },
            item: {
              productId: offer.productId,
              title: card.title,
              unit: card.unit,
              quantity: q,
              priceFen: offer.priceFen,
            },
            key: { userId: claim.actor.user.id, key: claim.key, requestHash: claim.hash },
            payment: isCod ? null : { provider: claim.input.paymentMethod },
          };
        }),
        {
          buyers: tx.addBuyerUnitsCte(offerId, added, offer.perBuyerLimit),
          taken: tx.addTakenCte(offerId, total),
        },
      );
      if (!written) throw new BatchRace('an Idempotency-Key was used meanwhile');
      // The lock made `taken` current; the keys and the buyers' units were read in the
      // statement's snapshot (see lockForClaims), so the database's own conditions have the
      // last word: one changed by another process's batch meanwhile means read again.
      if (written.also.buyers.length !== added.length)
        throw new BatchRace('a buyer took units meanwhile');
      const taken = written.also.taken[0];
      if (typeof taken !== 'number')
        throw new Error('offer units check failed under the offer lock');
      const created = { orders: written.orders, items: written.items, payments: written.payments };
      for (const f of fresh) {
        const couponId = f.claim.input.couponId;
        if (couponId && !(await tx.orders.useCoupon(couponId, f.claim.actor.user.id, f.orderId)))
          throw new BatchRace('a coupon was used meanwhile');
      }
      return { offer: { ...offer, taken }, outcomes, created };
    });

    remember(done.offer);
    const after = present(done.offer, card, now);
    const answerOffer = { id: offerId, left: after.left, status: after.status };
    let views: OrderView[] = [];
    if (done.created) {
      const { orders: rows, items, payments } = done.created;
      const itemOf = new Map(items.map((i) => [i.orderId, i]));
      const paymentOf = new Map(payments.map((p) => [p.orderId, p]));
      const started = await orders.startPayments(
        rows.map((order) => ({
          order,
          item: itemOf.get(order.id)!,
          payment: paymentOf.get(order.id) ?? null,
        })),
      );
      views = rows.map((order: OrderRow, i) => {
        const payment = started[i] as PaymentRow | null;
        return presentOrder(
          order,
          [itemOf.get(order.id) as OrderItemRow],
          payment ? [payment] : [],
        );
      });
      await Promise.all(
        rows.filter((o) => o.holdExpiresAt).map((o) => orders.scheduleHold(o.id, o.holdExpiresAt!)),
      );
      events.emit('offer.changed', { offer: after });
      for (const [i, view] of views.entries()) {
        events.emit('order.created', {
          order: view,
          buyerRegionCode: rows[i]!.shippingAddress.regionCode,
          stock: [],
        });
      }
    }
    const byOrderId = new Map(views.map((v) => [v.id, v]));
    const results: Array<ClaimResult | Error> = [];
    for (const outcome of done.outcomes) {
      if (outcome.kind === 'new') {
        const order = views[outcome.index]!;
        results.push({ order, offer: answerOffer, replayed: false });
      } else if (outcome.kind === 'error') results.push(outcome.error);
      else if (outcome.kind === 'replay') {
        const view = byOrderId.get(outcome.orderId) ?? (await orders.orderView(outcome.orderId));
        results.push(
          view
            ? { order: view, offer: answerOffer, replayed: true }
            : new AppError('NOT_FOUND', 'Order not found', 404),
        );
      } else {
        const first = results[outcome.claim];
        results.push(first instanceof Error ? first : { ...first!, replayed: true });
      }
    }
    return results;
  }

  function batcherOf(offerId: string) {
    let b = batchers.get(offerId);
    if (!b) {
      b = new GroupCommit<Claim, ClaimResult>(
        (claims, handOver) => commitBatch(offerId, claims, handOver),
        MAX_BATCH,
        () => batchers.delete(offerId),
        deps.pipelineBatches,
      );
      batchers.set(offerId, b);
    }
    return b;
  }

  async function closeOffer(id: string): Promise<OfferRow | null> {
    const closed = await repo.inTransaction(async (tx) => {
      const row = await tx.closeOffer(id, clock.now());
      if (!row) return null;
      const rest = row.quantity - row.taken;
      const stock = rest > 0 ? await tx.giveBackToProduct(row.productId, rest) : null;
      return { row, stock };
    });
    if (!closed) return null;
    if (closed.stock !== null)
      events.emit('product.stock', { productId: closed.row.productId, stock: closed.stock });
    await announceOffer(id);
    return closed.row;
  }

  async function announceCoupon(id: string) {
    const row = await repo.findCoupon(id);
    if (row) events.emit('coupon.changed', { coupon: presentCoupon(row, clock.now()) });
  }

  jobs.define<{ offerId: string }>(
    OFFER_CLOSE_JOB,
    async ({ offerId }) => {
      const row = await repo.findOffer(offerId);
      if (!row || row.closedAt) return;
      // Sent for endsAt; a clock a little behind the database's runs it early: send it again.
      if (row.endsAt.getTime() > clock.now().getTime()) {
        await jobs.send(OFFER_CLOSE_JOB, { offerId }, { startAfter: row.endsAt });
        return;
      }
      await closeOffer(offerId);
    },
    { retryLimit: 10, retryDelaySeconds: 1, retryBackoff: true, expireInSeconds: 60 },
  );
  jobs.define<{ offerId: string }>(
    OFFER_START_JOB,
    async ({ offerId }) => void (await announceOffer(offerId)),
    { retryLimit: 3, retryDelaySeconds: 1, retryBackoff: true, expireInSeconds: 60 },
  );
  jobs.define<{ couponId: string }>(
    COUPON_EDGE_JOB,
    async ({ couponId }) => announceCoupon(couponId),
    { retryLimit: 3, retryDelaySeconds: 1, retryBackoff: true, expireInSeconds: 60 },
  );

  // Units given back to an offer (a hold expired, an order was cancelled): the room sees
  // `left` go up, and this process stops answering "sold out" from memory.
  events.on('order.updated', async ({ order }) => {
    if (order.offerId && (order.status === 'cancelled' || order.status === 'refunded'))
      await announceOffer(order.offerId);
  });

  return {
    /** After a start or a crash: offers past their end are closed, the others get their jobs. */
    async resume(): Promise<void> {
      const now = clock.now().getTime();
      for (const o of await repo.unclosedOffers(10_000)) {
        if (o.endsAt.getTime() <= now) await closeOffer(o.id);
        else await jobs.send(OFFER_CLOSE_JOB, { offerId: o.id }, { startAfter: o.endsAt });
      }
    },

    async createOffer(actor: Actor, liveId: string, input: OfferInput): Promise<PublicOffer> {
      const live = await hostedLive(actor, liveId);
      const now = clock.now();
      const { startsAt, endsAt } = windowOf(now, input.startsAt, input.durationSeconds);
      const row = await repo.inTransaction(async (tx) => {
        const taken = await tx.takeProductUnits(input.productId, live.shopId, input.quantity);
        if (!taken) {
          const product = await tx.productOf(input.productId);
          if (!product || product.shopId !== live.shopId)
            throw new AppError('NOT_FOUND', 'Product not found', 404, { field: 'body.productId' });
          if (product.status !== 'active')
            throw new AppError('PRODUCT_UNAVAILABLE', 'This product is no longer on sale', 409, {
              field: 'body.productId',
            });
          throw new AppError('OUT_OF_STOCK', `Only ${product.stock} in stock`, 409, {
            field: 'body.quantity',
            available: product.stock,
          });
        }
        return tx.insertOffer({
          liveId,
          shopId: live.shopId,
          productId: input.productId,
          priceFen: input.price,
          quantity: input.quantity,
          perBuyerLimit: input.perBuyerLimit,
          holdSeconds: input.holdSeconds ?? 300,
          startsAt,
          endsAt,
        });
      });
      await jobs.send(OFFER_CLOSE_JOB, { offerId: row.id }, { startAfter: endsAt });
      if (startsAt.getTime() > now.getTime())
        await jobs.send(OFFER_START_JOB, { offerId: row.id }, { startAfter: startsAt });
      const card = await cardOf(row.productId);
      meta.set(row.id, { row, card, at: Date.now() });
      const offer = present(row, card, now);
      events.emit('offer.changed', { offer });
      const stock = await catalog.productCards([row.productId]);
      events.emit('product.stock', {
        productId: row.productId,
        stock: stock.get(row.productId)?.stock ?? 0,
      });
      return offer;
    },

    async listOffers(liveId: string, actor: Actor | null): Promise<OfferView[]> {
      const rows = await repo.listOffers(liveId, LIST_MAX);
      const offers: OfferView[] = await presentMany(rows);
      if (!actor) return offers;
      const mine = await repo.mine(
        offers.map((o) => o.id),
        actor.user.id,
      );
      return offers.map((o) => ({ ...o, mine: mine.get(o.id) ?? 0 }));
    },

    /** Offers a newcomer to the room should see: open or not started yet. */
    async roomOffers(liveId: string): Promise<PublicOffer[]> {
      const offers = await presentMany(await repo.listOffers(liveId, LIST_MAX));
      return offers.filter((o) => o.status !== 'ended');
    },

    async getOffer(id: string, actor: Actor | null): Promise<OfferView> {
      const row = await repo.findOffer(id);
      if (!row) throw new AppError('NOT_FOUND', 'Offer not found', 404);
      const offer: OfferView = present(row, await cardOf(row.productId));
      if (!actor) return offer;
      return { ...offer, mine: (await repo.mine([id], actor.user.id)).get(id) ?? 0 };
    },

    async closeOfferBySeller(actor: Actor, id: string): Promise<OfferView> {
      const row = await repo.findOffer(id);
      if (!row || row.shopId !== actor.user.shopId)
        throw new AppError('NOT_FOUND', 'Offer not found', 404);
      await closeOffer(id);
      return present((await repo.findOffer(id))!, await cardOf(row.productId));
    },

    /**
     * A buyer's tap. Refusals that need no database (not started, ended, sold out a moment
     * ago) are answered from memory; the rest go into the offer's next batch and are answered
     * after its COMMIT.
     */
    async claim(
      actor: Actor,
      key: string,
      offerId: string,
      input: ClaimInput,
    ): Promise<ClaimResult> {
      const { row } = await offerMeta(offerId);
      if (actor.user.shopId === row.shopId)
        throw new AppError('FORBIDDEN', 'You cannot buy from your own shop', 403);
      validateClaim(input);
      const claim: Claim = { actor, key, hash: claimHash(offerId, input), input };
      if (input.quantity > row.perBuyerLimit) {
        throw new AppError('LIMIT_REACHED', `At most ${row.perBuyerLimit} per buyer`, 409, {
          limit: row.perBuyerLimit,
          mine: (await repo.mine([offerId], actor.user.id)).get(offerId) ?? 0,
        });
      }
      const now = clock.now().getTime();
      if (now < row.startsAt.getTime()) {
        throw new AppError('OFFER_NOT_STARTED', 'This offer has not started yet', 409, {
          startsAt: row.startsAt.toISOString(),
        });
      }
      const ended = row.closedAt !== null || now >= row.endsAt.getTime();
      if (ended) {
        // A retry of a claim that won must find its order, never a refusal.
        const earlier = await earlierClaim(claim, offerId);
        if (earlier) return earlier;
        throw new AppError('OFFER_ENDED', 'This offer has ended', 409, {
          endsAt: (row.closedAt ?? row.endsAt).toISOString(),
        });
      }
      const gone = soldOut.get(offerId);
      if (gone && Date.now() - gone.at < SOLD_OUT_RECHECK_MS) {
        if (gone.holders.has(actor.user.id)) {
          const earlier = await earlierClaim(claim, offerId);
          if (earlier) return earlier;
        }
        throw new AppError('SOLD_OUT', 'Sold out', 409, { left: 0 });
      }
      return batcherOf(offerId).submit(claim);
    },

    async createCoupon(actor: Actor, liveId: string, input: CouponInput): Promise<PublicCoupon> {
      const live = await hostedLive(actor, liveId);
      const now = clock.now();
      const { startsAt, endsAt } = windowOf(now, input.startsAt, input.durationSeconds);
      const usableUntil = new Date(endsAt.getTime() + (input.usableHours ?? 72) * 3_600_000);
      const row = await repo.insertCoupon({
        liveId,
        shopId: live.shopId,
        discountFen: input.discount,
        minSpendFen: input.minSpend ?? 0,
        quota: input.quota,
        startsAt,
        endsAt,
        usableUntil,
      });
      if (startsAt.getTime() > now.getTime())
        await jobs.send(COUPON_EDGE_JOB, { couponId: row.id }, { startAfter: startsAt });
      await jobs.send(COUPON_EDGE_JOB, { couponId: row.id }, { startAfter: endsAt });
      const coupon = presentCoupon(row, now);
      events.emit('coupon.changed', { coupon });
      return coupon;
    },

    async listCoupons(liveId: string, actor: Actor | null): Promise<CouponView[]> {
      const now = clock.now();
      const coupons: CouponView[] = (await repo.listCoupons(liveId, LIST_MAX)).map((r) =>
        presentCoupon(r, now),
      );
      if (!actor) return coupons;
      const mine = await repo.claimedOf(
        coupons.map((c) => c.id),
        actor.user.id,
      );
      return coupons.map((c) => ({ ...c, claimed: mine.has(c.id) }));
    },

    async roomCoupons(liveId: string): Promise<PublicCoupon[]> {
      const now = clock.now();
      return (await repo.listCoupons(liveId, LIST_MAX))
        .map((r) => presentCoupon(r, now))
        .filter((c) => c.status !== 'ended');
    },

    /** One per buyer, exactly `quota` in all: a unique claim row and a conditional counter. */
    async claimCoupon(actor: Actor, id: string): Promise<CouponView> {
      const found = await repo.findCoupon(id);
      if (!found) throw new AppError('NOT_FOUND', 'Coupon not found', 404);
      if (found.shopId === actor.user.shopId)
        throw new AppError('FORBIDDEN', 'You cannot claim your own shop’s coupon', 403);
      const now = clock.now();
      const row = await repo.inTransaction(async (tx) => {
        if (!(await tx.insertClaim(id, actor.user.id)))
          throw new AppError('ALREADY_CLAIMED', 'You already have this coupon', 409);
        const counted = await tx.countClaim(id, now);
        if (counted) return counted;
        const status = couponStatus(found, now);
        if (status === 'scheduled')
          throw new AppError('COUPON_NOT_STARTED', 'These coupons are not handed out yet', 409, {
            startsAt: found.startsAt.toISOString(),
          });
        if (status === 'ended')
          throw new AppError('COUPON_ENDED', 'These coupons are no longer handed out', 409, {
            endsAt: found.endsAt.toISOString(),
          });
        throw new AppError('COUPONS_GONE', 'All coupons are gone', 409, { left: 0 });
      });
      const coupon = presentCoupon(row, now);
      events.emit('coupon.changed', { coupon });
      return { ...coupon, claimed: true };
    },

    async myCoupons(actor: Actor) {
      const now = clock.now();
      return (await repo.myCoupons(actor.user.id, LIST_MAX)).map((r) => ({
        ...presentCoupon(r.coupon, now),
        claimed: true,
        usedByOrderId: r.orderId,
      }));
    },
  };
}

export type FlashService = ReturnType<typeof createFlashService>;
