import { describe, expect, it } from 'vitest';
import {
  emptyAddress,
  loadLastAddress,
  missingAddressFields,
  saveLastAddress,
} from './address-memory.ts';

function memoryStorage() {
  const map = new Map<string, string>();
  return {
    map,
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => void map.set(k, v),
  };
}

const home = {
  name: '王大姐',
  phone: '138 0000 1234',
  regionCode: '370781104',
  line1: '东村 3 号',
};

describe('address memory', () => {
  it('remembers the last address per user', () => {
    const s = memoryStorage();
    saveLastAddress(s, { ...home, name: ' 王大姐 ' }, 'u1');
    expect(loadLastAddress(s, 'u1')).toEqual(home);
    expect(loadLastAddress(s, 'u2')).toBeNull();
  });

  it('survives corrupt or foreign data', () => {
    const s = memoryStorage();
    s.setItem('cunbo.lastAddress.u1', '{nope');
    expect(loadLastAddress(s, 'u1')).toBeNull();
    s.setItem('cunbo.lastAddress.u1', JSON.stringify({ ...home, regionCode: 'abc' }));
    expect(loadLastAddress(s, 'u1')).toBeNull();
    s.setItem('cunbo.lastAddress.u1', JSON.stringify({ ...home, extra: 1 }));
    expect(loadLastAddress(s, 'u1')).toEqual(home);
  });

  it('never throws when storage is missing or full', () => {
    expect(loadLastAddress(null)).toBeNull();
    const full = {
      setItem: () => {
        throw new Error('QuotaExceeded');
      },
    };
    expect(() => saveLastAddress(full, home)).not.toThrow();
    const broken = {
      getItem: () => {
        throw new Error('SecurityError');
      },
    };
    expect(loadLastAddress(broken)).toBeNull();
  });

  it('names the missing fields', () => {
    expect(missingAddressFields(home)).toEqual([]);
    expect(missingAddressFields(emptyAddress())).toEqual(['name', 'phone', 'regionCode', 'line1']);
    expect(missingAddressFields({ ...home, phone: '12' })).toEqual(['phone']);
  });
});
