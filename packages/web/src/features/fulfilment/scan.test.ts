import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/errors.ts';
import type { Order, ParcelView } from '../../api/types.ts';
import { bySeller, isParcelCode, normalizeCode, scanFailed, scanSucceeded } from './scan.ts';

const parcel = (id: string, shopId: string, shopName: string) =>
  ({ id, shopId, shopName, code: `CB${id}` }) as ParcelView;

describe('the hub scan box', () => {
  it('cleans what a scanner or a person typed into a parcel code', () => {
    expect(normalizeCode(' cb12-34 56ab\n')).toBe('CB123456AB');
    // A Chinese keyboard in full-width mode.
    expect(normalizeCode('ＣＢ１２３４５６７８')).toBe('CB12345678');
    expect(isParcelCode('CB12345678')).toBe(true);
    expect(isParcelCode('CB12')).toBe(false);
    expect(isParcelCode('CB1234567É')).toBe(false);
  });

  it('tells a first scan from a repeated one', () => {
    const p = parcel('1', 's', '王家大棚');
    const order = {} as Order;
    expect(scanSucceeded('CB1', { parcel: p, order })).toMatchObject({ kind: 'scanned' });
    expect(scanSucceeded('CB1', { parcel: p, order, alreadyScanned: true })).toMatchObject({
      kind: 'already',
    });
  });

  it('says unknown and wrong hub plainly, anything else as an error', () => {
    expect(scanFailed('X', new ApiError('PARCEL_NOT_FOUND', 'no', 404)).kind).toBe('unknown');
    expect(scanFailed('X', new ApiError('WRONG_HUB', 'no', 409)).kind).toBe('wrong_hub');
    expect(scanFailed('X', new ApiError('NETWORK', 'down', 0)).kind).toBe('error');
    expect(scanFailed('X', new Error('boom')).kind).toBe('error');
  });

  it('groups expected parcels by seller, the biggest pile first', () => {
    const groups = bySeller([
      parcel('1', 'a', '李家果园'),
      parcel('2', 'b', '王家大棚'),
      parcel('3', 'b', '王家大棚'),
    ]);
    expect(groups.map((g) => [g.shopName, g.parcels.length])).toEqual([
      ['王家大棚', 2],
      ['李家果园', 1],
    ]);
  });
});
