import { describe, expect, it } from 'vitest';
import type { ParcelView } from '../../api/types.ts';
import { codToCollect, downloads, itemsLine, parcelsByStage, unitsToPack } from './board-view.ts';

const parcel = (id: string, status: ParcelView['status']): ParcelView => ({
  id,
  code: `CB${id.padStart(10, '0')}`,
  orderId: `order-${id}`,
  shopId: 'shop',
  shopName: '王家大棚',
  hubId: 'hub',
  status,
  pickupId: null,
  trackingNumber: null,
  carrier: null,
  recipient: { name: '李四', regionCode: '370783101', regionName: '化龙镇' },
  packedAt: '2026-11-25T08:00:00.000Z',
  scannedInAt: null,
});

describe('the seller board', () => {
  it('counts only cash-on-delivery orders in what the courier collects', () => {
    expect(
      codToCollect([
        { paymentMethod: 'cod', total: 1050 },
        { paymentMethod: 'sandbox', total: 9999 },
        { paymentMethod: 'cod', total: 680 },
      ]),
    ).toBe(1730);
    expect(codToCollect([{ paymentMethod: 'sandbox', total: 500 }])).toBe(0);
  });

  it('adds units up per unit, not across different units', () => {
    expect(
      unitsToPack([
        { productId: 'a', title: '甜玉米', unit: '斤', quantity: 12, orders: 4 },
        { productId: 'b', title: '黄瓜', unit: '箱', quantity: 3, orders: 2 },
        { productId: 'c', title: '番茄', unit: '斤', quantity: 5, orders: 1 },
      ]),
    ).toBe('17 斤 · 3 箱');
    expect(unitsToPack([])).toBe('');
  });

  it('writes an order as one line of items', () => {
    expect(
      itemsLine([
        { title: '甜玉米', unit: '斤', quantity: 2 },
        { title: '黄瓜', unit: '箱', quantity: 1 },
      ]),
    ).toBe('甜玉米 × 2 斤，黄瓜 × 1 箱');
  });

  it('sorts parcels by where they are', () => {
    const stages = parcelsByStage([
      parcel('1', 'at_hub'),
      parcel('2', 'packed'),
      parcel('3', 'handed_over'),
      parcel('4', 'packed'),
    ]);
    expect(stages.packed.map((p) => p.id)).toEqual(['2', '4']);
    expect(stages.at_hub.map((p) => p.id)).toEqual(['1']);
    expect(stages.handed_over.map((p) => p.id)).toEqual(['3']);
  });

  it('links to the API downloads, with the chosen orders when there are some', () => {
    expect(downloads.label('o1')).toBe('/api/v1/orders/o1/label.pdf');
    expect(downloads.labels()).toBe('/api/v1/shop/labels.pdf');
    expect(downloads.labels(['a', 'b'])).toBe('/api/v1/shop/labels.pdf?orderIds=a%2Cb');
    expect(downloads.manifestCsv('p1')).toBe('/api/v1/pickups/p1/manifest.csv');
  });
});
