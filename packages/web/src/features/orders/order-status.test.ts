import { describe, expect, it } from 'vitest';
import type { Order } from '../../api/types.ts';
import { canCancel, payAction, stepOf } from './order-status.ts';

const pay = (status: 'pending' | 'failed', payUrl: string | null = '/pay/sandbox/p1') => ({
  id: 'p1',
  provider: 'sandbox',
  status,
  payUrl,
});

describe('order status helpers', () => {
  it('places each status on the parcel road', () => {
    expect(stepOf('placed')).toBe(0);
    expect(stepOf('cod_confirmed')).toBe(0);
    expect(stepOf('in_transit')).toBe(3);
    expect(stepOf('cancelled')).toBe(-1);
  });

  it('offers cancel only while allowed', () => {
    expect(canCancel({ status: 'placed' }, 'buyer')).toBe(true);
    expect(canCancel({ status: 'packed' }, 'buyer')).toBe(false);
    expect(canCancel({ status: 'packed' }, 'seller')).toBe(true);
    expect(canCancel({ status: 'paid' }, 'buyer')).toBe(false);
    expect(canCancel({ status: 'delivered' }, 'seller')).toBe(false);
  });

  it('offers pay for pending online payments and retry after a failure', () => {
    const base = { status: 'placed', paymentMethod: 'sandbox' } as Pick<
      Order,
      'status' | 'paymentMethod'
    >;
    expect(payAction({ ...base, payment: pay('pending') })).toBe('pay');
    expect(payAction({ ...base, payment: pay('failed', null) })).toBe('retry');
    expect(payAction({ ...base, payment: null })).toBe('retry');
    expect(payAction({ ...base, paymentMethod: 'cod', payment: null })).toBeNull();
    expect(payAction({ ...base, status: 'paid', payment: pay('pending') })).toBeNull();
  });
});
