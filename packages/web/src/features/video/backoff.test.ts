import { describe, expect, it } from 'vitest';
import { backoffDelay, RECONNECT_BACKOFF, retryAfterMs } from './backoff.ts';

const middle = () => 0.5;

describe('backoffDelay', () => {
  it('doubles from the base and stops at the cap', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, RECONNECT_BACKOFF, middle));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 15_000, 15_000, 15_000]);
  });

  it('spreads by the jitter, never beyond the cap', () => {
    expect(backoffDelay(1, RECONNECT_BACKOFF, () => 0)).toBe(800);
    expect(backoffDelay(1, RECONNECT_BACKOFF, () => 0.999999)).toBe(1200);
    expect(backoffDelay(10, RECONNECT_BACKOFF, () => 0.999999)).toBe(15_000);
    expect(backoffDelay(10, RECONNECT_BACKOFF, () => 0)).toBe(12_000);
  });

  it('treats nonsense attempts as the first and huge ones as the cap', () => {
    expect(backoffDelay(0, RECONNECT_BACKOFF, middle)).toBe(1000);
    expect(backoffDelay(-3, RECONNECT_BACKOFF, middle)).toBe(1000);
    expect(backoffDelay(5000, RECONNECT_BACKOFF, middle)).toBe(15_000);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds', () => {
    expect(retryAfterMs('30')).toBe(30_000);
    expect(retryAfterMs(' 0 ')).toBe(0);
  });

  it('reads an HTTP date relative to now', () => {
    const now = Date.parse('2026-05-01T08:00:00Z');
    expect(retryAfterMs('Fri, 01 May 2026 08:00:10 GMT', now)).toBe(10_000);
    expect(retryAfterMs('Fri, 01 May 2026 07:00:00 GMT', now)).toBe(0);
  });

  it('is null when missing or unreadable', () => {
    expect(retryAfterMs(null)).toBeNull();
    expect(retryAfterMs('')).toBeNull();
    expect(retryAfterMs('soon')).toBeNull();
    expect(retryAfterMs('-5')).toBeNull();
  });
});
