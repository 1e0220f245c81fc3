import type { Transitions } from '../../lib/state-machine.ts';

export const ORDER_STATUSES = [
  'placed',
  'paid',
  'cod_confirmed',
  'packed',
  'handed_to_hub',
  'in_transit',
  'delivered',
  'cancelled',
  'refunded',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/**
 * An order's whole life. `placed` waits for an online payment; cash on delivery is confirmed
 * at once. Stock goes back on sale when an order leaves through `cancelled` or `refunded`
 * before it reaches the hub.
 */
export const ORDER_TRANSITIONS: Transitions<OrderStatus> = {
  placed: ['paid', 'cancelled'],
  paid: ['packed', 'refunded'],
  cod_confirmed: ['packed', 'cancelled'],
  packed: ['handed_to_hub', 'cancelled', 'refunded'],
  handed_to_hub: ['in_transit'],
  in_transit: ['delivered'],
  delivered: ['refunded'],
  cancelled: [],
  refunded: [],
};

/** States from which leaving gives the units back to the shop's stock. */
export const RESTOCK_FROM: ReadonlySet<OrderStatus> = new Set([
  'placed',
  'paid',
  'cod_confirmed',
  'packed',
]);
