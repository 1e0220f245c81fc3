import type { Order, OrderStatus } from '../../api/types.ts';

/** The parcel's road, as the buyer sees it. */
export const ORDER_STEPS = [
  'ordered',
  'packed',
  'handed_to_hub',
  'in_transit',
  'delivered',
] as const;
export type OrderStep = (typeof ORDER_STEPS)[number];

export function stepOf(status: OrderStatus): number {
  switch (status) {
    case 'placed':
    case 'paid':
    case 'cod_confirmed':
      return 0;
    case 'packed':
      return 1;
    case 'handed_to_hub':
      return 2;
    case 'in_transit':
      return 3;
    case 'delivered':
      return 4;
    default:
      return -1;
  }
}

/** Whether to offer "Cancel": the buyer before packing, the seller until the hub takes it. */
export function canCancel(order: Pick<Order, 'status'>, as: 'buyer' | 'seller'): boolean {
  if (order.status === 'placed' || order.status === 'cod_confirmed') return true;
  return as === 'seller' && order.status === 'packed';
}

/** Whether to offer "Pay": an online order still waiting for its money. */
export function payAction(
  order: Pick<Order, 'status' | 'payment' | 'paymentMethod'>,
): 'pay' | 'retry' | null {
  if (order.status !== 'placed' || order.paymentMethod === 'cod') return null;
  if (order.payment?.status === 'pending' && order.payment.payUrl) return 'pay';
  return 'retry';
}
