import { describe, expect, it } from 'vitest';
import { localInputToIso, timeAgo, toLocalInput } from './time.ts';

describe('time helpers', () => {
  it('says how long ago', () => {
    const now = Date.parse('2025-06-01T12:00:00Z');
    expect(timeAgo('2025-06-01T11:57:00Z', 'en', now)).toBe('3 minutes ago');
    expect(timeAgo('2025-06-01T10:00:00Z', 'en', now)).toBe('2 hours ago');
  });
  it('round-trips datetime-local values', () => {
    const d = new Date(2025, 5, 12, 19, 30);
    expect(toLocalInput(d)).toBe('2025-06-12T19:30');
    expect(localInputToIso('2025-06-12T19:30')).toBe(d.toISOString());
    expect(localInputToIso('nope')).toBeNull();
  });
});
