import type { HelloEvent, LiveStatus, PinnedProductCard, RoomEvent } from '@cunbo/shared';
/** What the host's connection hears of each order placed during the show (no seq). */
export interface HostOrderSummary {
  id: string;
  shopId?: string;
  liveId?: string | null;
  status: string;
  total: number;
  currency: string;
  items: Array<{
    productId: string;
    title: string;
    unit: string;
    quantity: number;
    priceFen?: number;
  }>;
  createdAt?: string;
}

export interface HostOrderEvent {
  type: 'order';
  liveId: string;
  order: HostOrderSummary;
}
export interface PongEvent {
  type: 'pong';
}
export interface SocketErrorEvent {
  type: 'error';
  error: { code: string; message: string; details?: Record<string, unknown> };
}
/** `viewers` counts are sent without a seq: they are a gauge, not history. */
export type LiveEvent = RoomEvent | HelloEvent | HostOrderEvent | PongEvent | SocketErrorEvent;
export type { HelloEvent, LiveStatus, PinnedProductCard };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * Turns the frames of one live room into events to apply, in order, each at most once, across
 * reconnections. Sequenced events (`seq` > 0) at or below the last one seen are replays and are
 * dropped; events without a seq (viewer counts, host orders, pongs, errors) always pass.
 */
export class EventSequencer {
  private last: number | null = null;

  /** The last seq applied, or null before the first hello. */
  get lastSeq(): number | null {
    return this.last;
  }

  /** `?since=` for the next connection: resume after what was applied, if anything was. */
  get since(): number | undefined {
    return this.last ?? undefined;
  }

  /** Parses and filters one frame (JSON text or already parsed). Never throws. */
  accept(frame: unknown): LiveEvent[] {
    let parsed: unknown = frame;
    if (typeof frame === 'string') {
      try {
        parsed = JSON.parse(frame);
      } catch {
        return [];
      }
    }
    const out: LiveEvent[] = [];
    this.collect(parsed, out, 0);
    return out;
  }

  private collect(value: unknown, out: LiveEvent[], depth: number): void {
    if (!isObject(value) || typeof value.type !== 'string') return;
    if (value.type === 'batch') {
      if (depth > 2 || !Array.isArray(value.events)) return;
      for (const e of value.events) this.collect(e, out, depth + 1);
      return;
    }
    if (value.type === 'hello') {
      const seq = typeof value.seq === 'number' ? value.seq : 0;
      // First connection: start from now. Resumed: keep our position so the replay that
      // follows the hello applies. A room whose counter went backwards was restarted (its
      // history is gone), so start again from its current number.
      if (this.last === null || seq < this.last) this.last = seq;
      out.push(value as unknown as LiveEvent);
      return;
    }
    const seq = value.seq;
    if (typeof seq === 'number' && seq > 0) {
      if (this.last !== null && seq <= this.last) return;
      this.last = seq;
    }
    out.push(value as unknown as LiveEvent);
  }
}

/** Delay before reconnect attempt `attempt` (0-based): exponential, capped, with jitter. */
export function backoffDelay(
  attempt: number,
  random: () => number = Math.random,
  baseMs = 500,
  maxMs = 15_000,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 16));
  // Half fixed, half random: thousands of viewers dropped at once do not return at once.
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
