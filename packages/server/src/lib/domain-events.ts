import type { CouponView, OfferView, PinnedProductCard } from '@cunbo/shared';
import type { OrderView } from '../modules/orders/orders.service.ts';

/**
 * Things that happened, emitted by services after their transaction commits. Realtime rooms,
 * notifications and (later) webhooks listen here; services never call them directly.
 */
export interface DomainEvents {
  'live.started': { liveId: string; shopId: string; shopName: string; title: string };
  'live.ended': { liveId: string; shopId: string };
  /** The host deleted a show that was not on air; its recording goes too. */
  'live.deleted': { liveId: string; shopId: string };
  'live.pinned': { liveId: string; product: PinnedProductCard | null };
  /**
   * The host's video stream (WHIP publisher) went on air, dropped and is being waited for,
   * or is gone. Independent of the show's status: a host may publish before "Go live".
   */
  'live.stream': { liveId: string; state: 'live' | 'reconnecting' | 'offline' };
  'order.created': {
    order: OrderView;
    buyerRegionCode: string;
    stock: Array<{ productId: string; stock: number }>;
  };
  /** Paid, cancelled, refunded…: the order as it is now. */
  'order.updated': { order: OrderView; from: string };
  'product.stock': { productId: string; stock: number };
  /** A flash offer was made, started, closed, or units were taken or given back. */
  'offer.changed': { offer: Omit<OfferView, 'mine'> };
  /** A live coupon was made, started, ended, or claimed. */
  'coupon.changed': { coupon: Omit<CouponView, 'claimed'> };
}

export type DomainEventName = keyof DomainEvents;
type Handler<K extends DomainEventName> = (payload: DomainEvents[K]) => void | Promise<void>;

export interface DomainEventBus {
  on<K extends DomainEventName>(name: K, handler: Handler<K>): () => void;
  emit<K extends DomainEventName>(name: K, payload: DomainEvents[K]): void;
  /** Resolves when every handler started so far has finished (tests, graceful shutdown). */
  idle(): Promise<void>;
}

export function createDomainEventBus(
  onError: (err: unknown, name: string) => void,
): DomainEventBus {
  const handlers = new Map<DomainEventName, Set<Handler<never>>>();
  const running = new Set<Promise<void>>();
  return {
    on(name, handler) {
      let set = handlers.get(name);
      if (!set) handlers.set(name, (set = new Set()));
      set.add(handler as Handler<never>);
      return () => set.delete(handler as Handler<never>);
    },
    emit(name, payload) {
      for (const handler of handlers.get(name) ?? []) {
        const run = (async () => {
          try {
            await (handler as Handler<typeof name>)(payload);
          } catch (err) {
            onError(err, name);
          }
        })();
        running.add(run);
        void run.finally(() => running.delete(run));
      }
    },
    async idle() {
      while (running.size > 0) await Promise.all([...running]);
    },
  };
}
