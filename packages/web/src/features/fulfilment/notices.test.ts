import { describe, expect, it } from 'vitest';
import { trackingNotice } from './notices.ts';

describe('tracking notifications', () => {
  it('reads a carrier step told to the buyer', () => {
    expect(
      trackingNotice({
        type: 'order.tracking',
        data: { orderId: 'o1', step: 'out_for_delivery', shopName: '王家大棚', parcelCode: 'CB1' },
      }),
    ).toEqual({ orderId: 'o1', step: 'out_for_delivery', shopName: '王家大棚' });
  });

  it('leaves other notifications and unreadable ones alone', () => {
    expect(trackingNotice({ type: 'live.started', data: { orderId: 'o1' } })).toBeNull();
    expect(trackingNotice({ type: 'order.tracking', data: { step: 'delivered' } })).toBeNull();
    expect(
      trackingNotice({ type: 'order.tracking', data: { orderId: 'o1', step: 'teleported' } }),
    ).toBeNull();
  });
});
