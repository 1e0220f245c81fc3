import { createHash } from 'node:crypto';
import { AppError, type PaymentMethod } from '@cunbo/shared';
import type { Clock } from '../../lib/clock.ts';
import type { DomainEventBus } from '../../lib/domain-events.ts';
import type { Jobs } from '../../lib/jobs.ts';
import { assertTransition } from '../../lib/state-machine.ts';
import type { Actor } from '../accounts/accounts.service.ts';
import type { CatalogService } from '../catalog/catalog.service.ts';
import type { LivesService } from '../lives/lives.service.ts';
import type { PaymentNotification, PaymentProvider } from '../payments/payment-provider.ts';
import { findRegion } from '../regions/regions.service.ts';
import type {
  OrderItemRow,
  OrderRow,
  OrdersQueries,
  OrdersRepo,
  PaymentRow,
  ShippingAddress,
  TakenStock,
} from './orders.repo.ts';
import { ORDER_TRANSITIONS, RESTOCK_FROM, type OrderStatus } from './orders.state.ts';

export interface PlaceOrderInput {
  items: Array<{ productId: string; quantity: number }>;
  shippingAddress: ShippingAddress;
  paymentMethod: PaymentMethod;
  liveId?: string;
  /** A live coupon the buyer claimed, for this shop. */
  couponId?: string;
}

/** The job that gives an unpaid order's units back when its hold ends. */
export const HOLD_EXPIRY_JOB = 'orders.hold-expiry';

export interface OrderView {
  id: string;
  status: OrderStatus;
  buyerId: string;
  shopId: string;
  liveId: string | null;
  items: Array<{
    productId: string;
    title: string;
    unit: string;
    quantity: number;
    price: number;
    subtotal: number;
  }>;
  /** Fen: the lines' sum less `discount`. */
  total: number;
  /** Fen taken off by a live coupon. */
  discount: number;
  currency: string;
  paymentMethod: PaymentMethod;
  /** Bought in this flash offer. */
  offerId: string | null;
  couponId: string | null;
  /** An unpaid online order is cancelled and its units go back on sale at this time. */
  holdExpiresAt: string | null;
  payment: {
    id: string;
    provider: string;
    status: PaymentRow['status'];
    payUrl: string | null;
  } | null;
  shippingAddress: ShippingAddress;
  createdAt: string;
  updatedAt: string;
}

/** Thrown inside the transaction when a concurrent retry with the same key won the race. */
class LostIdempotencyRace extends Error {}

function requestHash(input: PlaceOrderInput): string {
  const canonical = {
    items: input.items.map((i) => [i.productId, i.quantity]),
    shippingAddress: [
      input.shippingAddress.name,
      input.shippingAddress.phone,
      input.shippingAddress.regionCode,
      input.shippingAddress.line1,
    ],
    paymentMethod: input.paymentMethod,
    liveId: input.liveId ?? null,
    couponId: input.couponId ?? null,
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

export function presentOrder(
  order: OrderRow,
  items: OrderItemRow[],
  payments: PaymentRow[],
): OrderView {
  const payment = payments.find((p) => p.orderId === order.id) ?? null;
  return {
    id: order.id,
    status: order.status as OrderStatus,
    buyerId: order.buyerId,
    shopId: order.shopId,
    liveId: order.liveId,
    items: items
      .filter((i) => i.orderId === order.id)
      .map((i) => ({
        productId: i.productId,
        title: i.title,
        unit: i.unit,
        quantity: i.quantity,
        price: i.priceFen,
        subtotal: i.priceFen * i.quantity,
      })),
    total: order.totalFen,
    discount: order.discountFen,
    currency: order.currency,
    paymentMethod: order.paymentMethod as PaymentMethod,
    offerId: order.offerId,
    couponId: order.couponId,
    holdExpiresAt:
      order.status === 'placed' && order.holdExpiresAt ? order.holdExpiresAt.toISOString() : null,
    payment: payment && {
      id: payment.id,
      provider: payment.provider,
      status: payment.status,
      payUrl: payment.status === 'pending' ? `/pay/${payment.provider}/${payment.id}` : null,
    },
    shippingAddress: order.shippingAddress,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}

export function createOrdersService(deps: {
  repo: OrdersRepo;
  catalog: CatalogService;
  lives: LivesService;
  events: DomainEventBus;
  providers: ReadonlyMap<string, PaymentProvider>;
  clock: Clock;
  jobs: Jobs;
  /** How long an ordinary unpaid online order keeps its units. */
  holdMinutes: number;
}) {
  const { repo, events, providers, clock, jobs } = deps;

  async function view(order: OrderRow): Promise<OrderView> {
    const [items, payments] = await Promise.all([
      repo.itemsOf([order.id]),
      repo.paymentsOf([order.id]),
    ]);
    return presentOrder(order, items, payments);
  }

  /**
   * Moves an order out to `cancelled` or `refunded` inside the caller's transaction and gives
   * its units back when they never left the shop. Returns the stock levels after.
   */
  async function leave(
    tx: OrdersQueries,
    order: OrderRow,
    to: 'cancelled' | 'refunded',
    data: Record<string, unknown> = {},
  ) {
    const from = order.status as OrderStatus;
    if (!(await tx.transition(order.id, from, to, data))) {
      throw new AppError('CONFLICT', 'The order changed meanwhile, reload it', 409);
    }
    const back: Array<{ productId: string; stock: number }> = [];
    if (RESTOCK_FROM.has(from)) {
      for (const item of await tx.itemsOf([order.id])) {
        // A flash order's units go back to its offer while the offer is open.
        if (
          order.offerId &&
          (await tx.giveBackToOffer(order.offerId, order.buyerId, item.quantity))
        )
          continue;
        const stock = await tx.giveBackStock(item.productId, item.quantity);
        if (stock !== null) back.push({ productId: item.productId, stock });
      }
    }
    if (order.couponId) await tx.releaseCoupon(order.couponId, order.id);
    return back;
  }

  /**
   * The discount a claimed coupon gives an order of `linesFen` from `shopId`, or why not.
   * Read inside the order's transaction; `useCoupon` then marks it used.
   */
  async function couponDiscount(
    tx: OrdersQueries,
    buyerId: string,
    couponId: string,
    shopId: string,
    linesFen: number,
  ): Promise<number> {
    const found = await tx.couponClaimOf(couponId, buyerId);
    const refuse = (reason: string, message: string) =>
      new AppError('COUPON_UNUSABLE', message, 422, { field: 'body.couponId', reason });
    if (!found || found.coupon.shopId !== shopId)
      throw refuse('not_claimed', 'You have no such coupon for this shop');
    if (found.orderId) throw refuse('used', 'This coupon is already used on another order');
    if (found.coupon.usableUntil.getTime() <= clock.now().getTime())
      throw refuse('expired', 'This coupon has expired');
    if (linesFen < found.coupon.minSpendFen) {
      throw new AppError('COUPON_UNUSABLE', 'Spend a little more to use this coupon', 422, {
        field: 'body.couponId',
        reason: 'min_spend',
        minSpend: found.coupon.minSpendFen,
      });
    }
    // The buyer always pays something: at least 1 fen.
    return Math.min(found.coupon.discountFen, linesFen - 1);
  }

  /** Queues the end of an unpaid order's hold; the startup sweep catches any lost on a crash. */
  async function scheduleHold(orderId: string, at: Date): Promise<void> {
    await jobs.send(HOLD_EXPIRY_JOB, { orderId }, { startAfter: at });
  }

  /**
   * The hold ended: an order still unpaid is cancelled and its units go back on sale.
   * Idempotent: a paid or cancelled order, or one whose hold is not over, is left alone.
   */
  async function expireHold(orderId: string): Promise<boolean> {
    const order = await repo.findOrder(orderId);
    if (!order || order.status !== 'placed' || !order.holdExpiresAt) return false;
    if (order.holdExpiresAt.getTime() > clock.now().getTime()) {
      await scheduleHold(order.id, order.holdExpiresAt);
      return false;
    }
    let stock: Array<{ productId: string; stock: number }>;
    try {
      stock = await repo.inTransaction((tx) =>
        leave(tx, order, 'cancelled', { reason: 'hold_expired' }),
      );
    } catch (err) {
      // Paid (or cancelled) in the same instant: nothing to do.
      if (err instanceof AppError && err.code === 'CONFLICT') return false;
      throw err;
    }
    for (const s of stock) events.emit('product.stock', s);
    await changed(order.status, order.id);
    return true;
  }

  jobs.define<{ orderId: string }>(
    HOLD_EXPIRY_JOB,
    async ({ orderId }) => void (await expireHold(orderId)),
    {
      retryLimit: 10,
      retryDelaySeconds: 1,
      retryBackoff: true,
      expireInSeconds: 60,
    },
  );

  /** Reads the order after a committed change and tells the listeners. */
  async function changed(from: string, id: string): Promise<OrderView> {
    const now = await view((await repo.findOrder(id))!);
    events.emit('order.updated', { order: now, from });
    return now;
  }

  /** Another user's order is a 404, never a 403: its existence is nobody else's business. */
  async function visibleOrder(actor: Actor, id: string): Promise<OrderRow> {
    const order = await repo.findOrder(id);
    const isBuyer = order?.buyerId === actor.user.id;
    const isSeller = order !== null && actor.user.shopId === order.shopId;
    if (!order || !(isBuyer || isSeller)) throw new AppError('NOT_FOUND', 'Order not found', 404);
    return order;
  }

  async function validate(actor: Actor, input: PlaceOrderInput): Promise<void> {
    const seen = new Set<string>();
    input.items.forEach((item, index) => {
      if (seen.has(item.productId)) {
        throw new AppError(
          'VALIDATION_FAILED',
          `body.items.${index}.productId is listed twice`,
          400,
          { field: `body.items.${index}.productId` },
        );
      }
      seen.add(item.productId);
    });
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
    if (!providers.has(input.paymentMethod) && input.paymentMethod !== 'cod') {
      throw new AppError('VALIDATION_FAILED', 'This payment method is not available', 422, {
        field: 'body.paymentMethod',
      });
    }
    if (input.liveId) {
      const info = await deps.lives.roomInfo(input.liveId);
      if (!info)
        throw new AppError('NOT_FOUND', 'Live show not found', 404, { field: 'body.liveId' });
    }
    void actor;
  }

  /** Explains why `takeStock` took nothing: no such product, not on sale, or too few left. */
  async function stockFailure(
    tx: OrdersQueries,
    productId: string,
    quantity: number,
    index: number,
  ): Promise<AppError> {
    const state = await tx.productState(productId);
    const field = `body.items.${index}`;
    if (!state)
      return new AppError('NOT_FOUND', 'Product not found', 404, {
        field: `${field}.productId`,
        productId,
      });
    if (state.status !== 'active') {
      return new AppError('PRODUCT_UNAVAILABLE', 'This product is no longer on sale', 409, {
        field: `${field}.productId`,
        productId,
      });
    }
    return new AppError(
      'OUT_OF_STOCK',
      state.stock === 0 ? 'Sold out' : `Only ${state.stock} left`,
      409,
      {
        field: `${field}.quantity`,
        productId,
        requested: quantity,
        available: state.stock,
      },
    );
  }

  async function existingForKey(
    actor: Actor,
    key: string,
    hash: string,
  ): Promise<OrderView | null> {
    const found = await repo.findIdempotencyKey(actor.user.id, key);
    if (!found) return null;
    if (found.requestHash !== hash) {
      throw new AppError(
        'IDEMPOTENCY_KEY_REUSED',
        'This Idempotency-Key was used for a different order',
        422,
        {
          field: 'header.idempotency-key',
          orderId: found.orderId,
        },
      );
    }
    const order = await repo.findOrder(found.orderId);
    return order ? view(order) : null;
  }

  return {
    presentOrder,
    couponDiscount,
    scheduleHold,
    expireHold,

    /**
     * After a start or a crash: holds that ended while nobody watched are ended now, and the
     * others get their job again (a job sent just before a crash may be missing).
     */
    async resumeHolds(): Promise<number> {
      const now = clock.now();
      let expired = 0;
      for (const held of await repo.heldOrders(new Date(now.getTime() + 7 * 86_400_000), 10_000)) {
        if (held.holdExpiresAt!.getTime() <= now.getTime()) {
          if (await expireHold(held.id)) expired += 1;
        } else await scheduleHold(held.id, held.holdExpiresAt!);
      }
      return expired;
    },

    /** For the flash-sale batcher: the same payments the one-order path makes, after commit. */
    async startPayments(
      created: Array<{ order: OrderRow; item: OrderItemRow; payment: PaymentRow | null }>,
    ) {
      return Promise.all(
        created.map(async ({ order, item, payment }) => {
          if (!payment) return null;
          const made = await providers.get(payment.provider)!.createPayment({
            paymentId: payment.id,
            orderId: order.id,
            amountFen: payment.amountFen,
            currency: payment.currency,
            description: `${item.title} × ${item.quantity}`,
          });
          return (
            (await repo.updatePayment(payment.id, { providerRef: made.providerRef })) ?? payment
          );
        }),
      );
    },

    /** Reads an order as its buyer sees it (the flash batcher answers replays with it). */
    async orderView(id: string): Promise<OrderView | null> {
      const order = await repo.findOrder(id);
      return order ? view(order) : null;
    },

    /**
     * Places an order in one transaction: take stock, write the order, its items, the
     * idempotency key and the payment. Nothing is half-written; a retry with the same key
     * returns the same order and takes nothing again.
     */
    async placeOrder(
      actor: Actor,
      key: string,
      input: PlaceOrderInput,
    ): Promise<{ order: OrderView; replayed: boolean }> {
      const hash = requestHash(input);
      const earlier = await existingForKey(actor, key, hash);
      if (earlier) return { order: earlier, replayed: true };
      await validate(actor, input);

      let created: {
        order: OrderRow;
        items: OrderItemRow[];
        payment: PaymentRow | null;
        taken: TakenStock[];
      };
      try {
        created = await repo.inTransaction(async (tx) => {
          // Same order of rows for everyone: two baskets never wait on each other in a cycle.
          const sorted = input.items
            .map((item, index) => ({ ...item, index }))
            .sort((a, b) => a.productId.localeCompare(b.productId));
          const taken: TakenStock[] = [];
          for (const item of sorted) {
            const got = await tx.takeStock(item.productId, item.quantity);
            if (!got) throw await stockFailure(tx, item.productId, item.quantity, item.index);
            taken.push(got);
          }
          const shopId = taken[0]!.shopId;
          if (taken.some((t) => t.shopId !== shopId)) {
            throw new AppError(
              'MIXED_SHOPS',
              'One order buys from one shop; place one order per shop',
              422,
              { field: 'body.items' },
            );
          }
          if (actor.user.shopId === shopId) {
            throw new AppError('FORBIDDEN', 'You cannot buy from your own shop', 403, {
              field: 'body.items',
            });
          }
          const byId = new Map(taken.map((t) => [t.productId, t]));
          const lines = input.items.map((i) => {
            const t = byId.get(i.productId)!;
            return {
              productId: i.productId,
              title: t.title,
              unit: t.unit,
              quantity: i.quantity,
              priceFen: t.priceFen,
            };
          });
          const linesFen = lines.reduce((sum, l) => sum + l.priceFen * l.quantity, 0);
          const discountFen = input.couponId
            ? await couponDiscount(tx, actor.user.id, input.couponId, shopId, linesFen)
            : 0;
          const totalFen = linesFen - discountFen;
          const status: OrderStatus = input.paymentMethod === 'cod' ? 'cod_confirmed' : 'placed';
          const { order, items } = await tx.insertOrder(
            {
              buyerId: actor.user.id,
              shopId,
              liveId: input.liveId ?? null,
              status,
              paymentMethod: input.paymentMethod,
              totalFen,
              discountFen,
              couponId: input.couponId ?? null,
              holdExpiresAt:
                status === 'placed'
                  ? new Date(clock.now().getTime() + deps.holdMinutes * 60_000)
                  : null,
              currency: taken[0]!.currency,
              shippingAddress: input.shippingAddress,
            },
            lines,
          );
          if (input.couponId && !(await tx.useCoupon(input.couponId, actor.user.id, order.id))) {
            throw new AppError(
              'COUPON_UNUSABLE',
              'This coupon is already used on another order',
              422,
              {
                field: 'body.couponId',
                reason: 'used',
              },
            );
          }
          if (
            !(await tx.insertIdempotencyKey({
              userId: actor.user.id,
              key,
              requestHash: hash,
              orderId: order.id,
            }))
          ) {
            throw new LostIdempotencyRace();
          }
          let payment: PaymentRow | null = null;
          if (input.paymentMethod !== 'cod') {
            payment = await tx.insertPayment({
              orderId: order.id,
              provider: input.paymentMethod,
              status: 'pending',
              amountFen: totalFen,
              currency: order.currency,
            });
          }
          return { order, items, payment, taken };
        });
      } catch (err) {
        if (err instanceof LostIdempotencyRace) {
          const winner = await existingForKey(actor, key, hash);
          if (winner) return { order: winner, replayed: true };
        }
        throw err;
      }

      if (created.order.holdExpiresAt)
        await scheduleHold(created.order.id, created.order.holdExpiresAt);
      let payment = created.payment;
      if (payment) {
        // Outside the transaction: a provider call must never hold the product's row lock.
        const provider = providers.get(payment.provider)!;
        const made = await provider.createPayment({
          paymentId: payment.id,
          orderId: created.order.id,
          amountFen: payment.amountFen,
          currency: payment.currency,
          description: created.items.map((i) => `${i.title} × ${i.quantity}`).join(', '),
        });
        payment =
          (await repo.updatePayment(payment.id, { providerRef: made.providerRef })) ?? payment;
      }
      const order = presentOrder(created.order, created.items, payment ? [payment] : []);
      events.emit('order.created', {
        order,
        buyerRegionCode: input.shippingAddress.regionCode,
        stock: created.taken.map((t) => ({ productId: t.productId, stock: t.stockAfter })),
      });
      return { order, replayed: false };
    },

    async getOrder(actor: Actor, id: string): Promise<OrderView> {
      return view(await visibleOrder(actor, id));
    },

    async listOrders(
      actor: Actor,
      filter: {
        as?: 'buyer' | 'seller';
        status?: OrderStatus;
        liveId?: string;
        limit: number;
        before?: string;
      },
    ) {
      const as = filter.as ?? (actor.user.role === 'seller' ? 'seller' : 'buyer');
      if (as === 'seller' && !actor.user.shopId)
        throw new AppError('SHOP_REQUIRED', 'Open your shop first', 409);
      const rows = await repo.list({
        ...(as === 'seller' ? { shopId: actor.user.shopId! } : { buyerId: actor.user.id }),
        status: filter.status,
        liveId: filter.liveId,
        limit: filter.limit,
        before: filter.before ? new Date(filter.before) : undefined,
      });
      const ids = rows.map((r) => r.id);
      const [items, payments] = await Promise.all([repo.itemsOf(ids), repo.paymentsOf(ids)]);
      return rows.map((r) => presentOrder(r, items, payments));
    },

    /** Cancels and gives the units back, in one transaction. Buyer or seller. */
    async cancelOrder(actor: Actor, id: string): Promise<OrderView> {
      const order = await visibleOrder(actor, id);
      assertTransition(ORDER_TRANSITIONS, order.status as OrderStatus, 'cancelled', 'order');
      const stock = await repo.inTransaction((tx) => leave(tx, order, 'cancelled'));
      for (const s of stock) events.emit('product.stock', s);
      return changed(order.status, id);
    },

    /** A payment's provider reported back: `placed` becomes `paid`, or the payment failed. */
    async applyPaymentNotification(providerId: string, n: PaymentNotification): Promise<OrderView> {
      const payment = await repo.findPaymentByRef(providerId, n.providerRef);
      if (!payment) throw new AppError('NOT_FOUND', 'Payment not found', 404);
      if (n.amountFen !== payment.amountFen) {
        throw new AppError('PAYMENT_FAILED', 'The amount paid does not match the order', 422, {
          expected: payment.amountFen,
          got: n.amountFen,
        });
      }
      const order = (await repo.findOrder(payment.orderId))!;
      if (payment.status !== 'pending') return view(order); // Providers repeat notifications; answer the same.
      await repo.inTransaction(async (tx) => {
        if (n.outcome === 'succeeded') {
          await tx.updatePayment(payment.id, { status: 'succeeded' });
          if (order.status === 'placed') await tx.transition(order.id, 'placed', 'paid');
        } else {
          await tx.updatePayment(payment.id, { status: 'failed' });
        }
      });
      return changed(order.status, order.id);
    },

    /** The buyer tries again after a failed payment. */
    async retryPayment(actor: Actor, id: string): Promise<OrderView> {
      const order = await visibleOrder(actor, id);
      if (order.buyerId !== actor.user.id) throw new AppError('NOT_FOUND', 'Order not found', 404);
      if (order.status !== 'placed')
        throw new AppError('INVALID_TRANSITION', 'This order needs no payment', 409, {
          status: order.status,
        });
      const provider = providers.get(order.paymentMethod);
      if (!provider) throw new AppError('PAYMENT_FAILED', 'This order is paid on delivery', 409);
      const payment = await repo.insertPayment({
        orderId: order.id,
        provider: provider.id,
        status: 'pending',
        amountFen: order.totalFen,
        currency: order.currency,
      });
      const made = await provider.createPayment({
        paymentId: payment.id,
        orderId: order.id,
        amountFen: order.totalFen,
        currency: order.currency,
        description: order.id,
      });
      await repo.updatePayment(payment.id, { providerRef: made.providerRef });
      return view(order);
    },

    /** The seller gives the money back; units not yet shipped go back on sale. */
    async refundOrder(actor: Actor, id: string, reason: string): Promise<OrderView> {
      const order = await visibleOrder(actor, id);
      if (actor.user.shopId !== order.shopId)
        throw new AppError('FORBIDDEN', 'Only the seller refunds', 403);
      assertTransition(ORDER_TRANSITIONS, order.status as OrderStatus, 'refunded', 'order');
      const payment = (await repo.paymentsOf([id])).find((p) => p.status === 'succeeded');
      if (!payment) throw new AppError('PAYMENT_FAILED', 'There is no payment to refund', 409);
      await providers
        .get(payment.provider)!
        .refund({ providerRef: payment.providerRef ?? '', amountFen: payment.amountFen, reason });
      const stock = await repo.inTransaction(async (tx) => {
        await tx.updatePayment(payment.id, { status: 'refunded' });
        return leave(tx, order, 'refunded');
      });
      for (const s of stock) events.emit('product.stock', s);
      return changed(order.status, id);
    },

    /** For the sandbox pay page: the payment and what it is for, shown to its buyer only. */
    async paymentForBuyer(actor: Actor, paymentId: string) {
      const payment = await repo.findPayment(paymentId);
      const order = payment ? await repo.findOrder(payment.orderId) : null;
      if (!payment || !order || order.buyerId !== actor.user.id)
        throw new AppError('NOT_FOUND', 'Payment not found', 404);
      return { payment, order: await view(order) };
    },
  };
}

export type OrdersService = ReturnType<typeof createOrdersService>;
