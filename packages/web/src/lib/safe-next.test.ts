import { describe, expect, it } from 'vitest';
import { safeNext } from './safe-next.ts';

describe('safeNext', () => {
  it('keeps paths of this site', () => {
    expect(safeNext('/lives/abc')).toBe('/lives/abc');
    expect(safeNext('/orders?x=1')).toBe('/orders?x=1');
  });
  it('refuses other sites and loops', () => {
    expect(safeNext('https://evil.example')).toBeNull();
    expect(safeNext('//evil.example')).toBeNull();
    expect(safeNext('/\\evil.example')).toBeNull();
    expect(safeNext('/signin?next=/x')).toBeNull();
    expect(safeNext(null)).toBeNull();
  });
});
