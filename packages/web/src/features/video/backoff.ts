/**
 * Waits between reconnection attempts: quick at first (a blip is usually over in a second or
 * two), then longer, never more than `maxMs`, with jitter so a room full of players that lost
 * the same network does not come back in one burst.
 */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** 0.2 → each delay is drawn from ±20 % around the nominal one. */
  jitter: number;
}

export const RECONNECT_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 15_000, jitter: 0.2 };

/**
 * The delay before attempt `attempt` (1 = the first retry): base · 2^(attempt−1), capped.
 * `random` is injectable for tests (defaults to Math.random).
 */
export function backoffDelay(
  attempt: number,
  opts: BackoffOptions = RECONNECT_BACKOFF,
  random: () => number = Math.random,
): number {
  const n = Math.max(1, Math.floor(attempt));
  const nominal = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(n - 1, 30));
  const spread = nominal * opts.jitter;
  const delay = nominal - spread + random() * 2 * spread;
  return Math.round(Math.min(opts.maxMs, Math.max(0, delay)));
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
