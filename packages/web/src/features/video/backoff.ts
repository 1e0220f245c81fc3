import { backoffDelay } from '../../lib/event-sequencer.ts';

/**
 * Waits between media reconnection attempts: about 1 s, 2 s, 4 s, 8 s, then at most 15 s,
 * half of it random so a room full of players that lost the same network does not come back
 * in one burst (the room socket's backoff, with a larger base: a WebRTC session costs more).
 * `attempt` is 1 for the first retry.
 */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  return backoffDelay(Math.max(0, Math.floor(attempt) - 1), random, 2000, 15_000);
}

/**
 * Retry-After (RFC 9110): delay-seconds or an HTTP date. Returns milliseconds, or null when
 * absent or unreadable.
 */
export function retryAfterMs(header: string | null | undefined, now = Date.now()): number | null {
  if (!header) return null;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // An IMF-fixdate names its day and month; bare numbers of any other form are not dates.
  if (!/[a-z]/i.test(value)) return null;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}
