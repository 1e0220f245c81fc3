import type { AppNotification, TrackingStep } from '../../api/types.ts';

const STEPS: readonly TrackingStep[] = ['picked_up', 'in_transit', 'out_for_delivery', 'delivered'];

/**
 * A carrier's step told to the buyer (`order.tracking`: `{ orderId, step, shopName, parcelCode,
 * trackingNumber, at }`), or null for any other notification or one this app cannot read.
 */
export function trackingNotice(
  n: Pick<AppNotification, 'type' | 'data'>,
): { orderId: string; step: TrackingStep; shopName: string } | null {
  if (n.type !== 'order.tracking') return null;
  const { orderId, step, shopName } = n.data;
  if (typeof orderId !== 'string' || !orderId) return null;
  if (!STEPS.includes(step as TrackingStep)) return null;
  return {
    orderId,
    step: step as TrackingStep,
    shopName: typeof shopName === 'string' ? shopName : '',
  };
}
