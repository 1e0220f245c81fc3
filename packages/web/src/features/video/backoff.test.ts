import { describe, expect, it } from 'vitest';
import { reconnectDelay, retryAfterMs } from './backoff.ts';

describe('reconnectDelay', () => {
  it('starts around a second and doubles up to 15 s', () => {
    const low = [1, 2, 3, 4, 5, 9].map((n) => reconnectDelay(n, () => 0));
    const high = [1, 2, 3, 4, 5, 9].map((n) => reconnectDelay(n, () => 1));
    expect(low).toEqual([1000, 2000, 4000, 7500, 7500, 7500]);
    expect(high).toEqual([2000, 4000, 8000, 15_000, 15_000, 15_000]);
  });

  it('treats nonsense attempts as the first', () => {
    expect(reconnectDelay(0, () => 1)).toBe(2000);
    expect(reconnectDelay(-3, () => 1)).toBe(2000);
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
