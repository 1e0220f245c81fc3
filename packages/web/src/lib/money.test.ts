import { describe, expect, it } from 'vitest';
import { fenToYuanInput, formatMoney, formatPercent, upliftPercent, yuanToFen } from './money.ts';

describe('formatMoney', () => {
  it('shows fen as yuan with two decimals', () => {
    expect(formatMoney(1280)).toBe('¥12.80');
    expect(formatMoney(5)).toBe('¥0.05');
    expect(formatMoney(0)).toBe('¥0.00');
  });
  it('groups thousands', () => {
    expect(formatMoney(175_000)).toBe('¥1,750.00');
  });
  it('keeps the sign of negative amounts', () => {
    expect(formatMoney(-250)).toBe('-¥2.50');
  });
  it('names other currencies by code', () => {
    expect(formatMoney(100, 'EUR')).toBe('EUR 1.00');
  });
});

describe('yuanToFen', () => {
  it('parses what a seller types', () => {
    expect(yuanToFen('12.8')).toBe(1280);
    expect(yuanToFen('12.80')).toBe(1280);
    expect(yuanToFen('12')).toBe(1200);
    expect(yuanToFen(' ¥1,280.5 ')).toBe(128050);
    expect(yuanToFen('0.07')).toBe(7);
    expect(yuanToFen('3.')).toBe(300);
  });
  it('never goes through floating point', () => {
    expect(yuanToFen('0.29')).toBe(29);
    expect(yuanToFen('1.15')).toBe(115);
  });
  it('rejects what is not a price', () => {
    expect(yuanToFen('')).toBeNull();
    expect(yuanToFen('abc')).toBeNull();
    expect(yuanToFen('-3')).toBeNull();
    expect(yuanToFen('1.234')).toBeNull();
    expect(yuanToFen('1e3')).toBeNull();
  });
});

describe('fenToYuanInput', () => {
  it('round-trips with yuanToFen', () => {
    for (const fen of [1, 10, 99, 100, 1280, 175000])
      expect(yuanToFen(fenToYuanInput(fen))).toBe(fen);
  });
});

describe('upliftPercent', () => {
  it('compares the live price with the traditional channel', () => {
    expect(upliftPercent(1750, 1000)).toBe(75);
    expect(upliftPercent(900, 1000)).toBe(-10);
    expect(upliftPercent(1000, 1000)).toBe(0);
  });
  it('is null without a traditional price', () => {
    expect(upliftPercent(1000, null)).toBeNull();
    expect(upliftPercent(1000, undefined)).toBeNull();
    expect(upliftPercent(1000, 0)).toBeNull();
  });
  it('formats with a sign', () => {
    expect(formatPercent(75)).toBe('+75%');
    expect(formatPercent(-10)).toBe('-10%');
    expect(formatPercent(0)).toBe('0%');
  });
});
