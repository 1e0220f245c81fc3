import { useEffect } from 'react';
import type { BoardOrder, ParcelView, ShopBoard } from '../../api/types.ts';
import { apiUrl } from '../../api/client.ts';

/** How often the board and the hub desk read again while on screen (new orders, new parcels). */
export const REFRESH_MS = 30_000;

/** Calls `reload` every REFRESH_MS while the page is visible, and when it becomes visible. */
export function useRefreshWhileVisible(reload: () => void): void {
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') reload();
    }, REFRESH_MS);
    const onVisible = () => document.visibilityState === 'visible' && reload();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [reload]);
}

/** The order of the tiles at the top of the board: the road from the shed to the buyer. */
export const BOARD_COUNTS = ['toPack', 'packed', 'atHub', 'inTransit', 'delivered'] as const;
export type BoardCount = (typeof BOARD_COUNTS)[number];

export function isCod(order: Pick<BoardOrder, 'paymentMethod'>): boolean {
  return order.paymentMethod === 'cod';
}

/** Cash the courier collects from this buyer, in fen: the cash-on-delivery orders' totals. */
export function codToCollect(
  orders: readonly Pick<BoardOrder, 'paymentMethod' | 'total'>[],
): number {
  return orders.reduce((sum, o) => sum + (isCod(o) ? o.total : 0), 0);
}

/** "寿光甜玉米 × 2 斤，黄瓜 × 1 箱" */
export function itemsLine(items: BoardOrder['items'], separator = '，'): string {
  return items.map((i) => `${i.title} × ${i.quantity} ${i.unit}`).join(separator);
}

/** Units to pack in all, per unit ("12 斤 · 3 箱"), so the seller knows what to fetch. */
export function unitsToPack(byProduct: ShopBoard['toPack']['byProduct']): string {
  const perUnit = new Map<string, number>();
  for (const p of byProduct) perUnit.set(p.unit, (perUnit.get(p.unit) ?? 0) + p.quantity);
  return [...perUnit].map(([unit, n]) => `${n} ${unit}`).join(' · ');
}

/** Packed parcels, the ones still in the shed first, then at the hub, then gone. */
export function parcelsByStage(
  parcels: readonly ParcelView[],
): Record<ParcelView['status'], ParcelView[]> {
  const out: Record<ParcelView['status'], ParcelView[]> = {
    packed: [],
    at_hub: [],
    handed_over: [],
  };
  for (const p of parcels) out[p.status].push(p);
  return out;
}

/** Downloads are plain links: the session cookie goes with a GET, the browser shows the PDF. */
export const downloads = {
  label: (orderId: string) => apiUrl(`/orders/${orderId}/label.pdf`),
  labels: (orderIds?: readonly string[]) =>
    apiUrl('/shop/labels.pdf', orderIds?.length ? { orderIds: orderIds.join(',') } : undefined),
  packingListPdf: () => apiUrl('/shop/packing-list.pdf'),
  packingListCsv: () => apiUrl('/shop/packing-list.csv'),
  manifestPdf: (pickupId: string) => apiUrl(`/pickups/${pickupId}/manifest.pdf`),
  manifestCsv: (pickupId: string) => apiUrl(`/pickups/${pickupId}/manifest.csv`),
};
