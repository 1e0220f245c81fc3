import { describe, expect, it } from 'vitest';
import { ancestorCodes, isPlaceable } from './region-codes.ts';

describe('ancestorCodes', () => {
  it('walks down from the province', () => {
    expect(ancestorCodes('370781001024')).toEqual([
      '370000',
      '370700',
      '370781',
      '370781001',
      '370781001024',
    ]);
    expect(ancestorCodes('370781')).toEqual(['370000', '370700', '370781']);
  });
  it('keeps placeholder prefectures the lists nest through', () => {
    expect(ancestorCodes('110101')).toEqual(['110000', '110100', '110101']);
  });
  it('lists a city without counties once', () => {
    expect(ancestorCodes('441900003')).toEqual(['440000', '441900', '441900003']);
  });
  it('handles provinces and rejects what is not a code', () => {
    expect(ancestorCodes('370000')).toEqual(['370000']);
    expect(ancestorCodes('3707')).toEqual([]);
    expect(ancestorCodes('')).toEqual([]);
  });
});

describe('isPlaceable', () => {
  it('accepts county and below', () => {
    expect(isPlaceable('county')).toBe(true);
    expect(isPlaceable('village')).toBe(true);
    expect(isPlaceable('prefecture')).toBe(false);
    expect(isPlaceable(null)).toBe(false);
  });
});
