/**
 * Hearts are tapped fast; the room gets them summed. Taps pile up here and the live room
 * sends what piled up every flush interval, at most `maxPerMessage` at a time (the server
 * ignores more in one message).
 */
export class LikeBatcher {
  private pending = 0;

  constructor(
    private readonly maxPerMessage = 50,
    /** A phone left tapping offline should not flood the room when it comes back. */
    private readonly maxPending = 500,
  ) {}

  get pendingCount(): number {
    return this.pending;
  }

  tap(count = 1): void {
    if (!Number.isInteger(count) || count < 1) return;
    this.pending = Math.min(this.maxPending, this.pending + count);
  }

  /** How many likes to send now; 0 means send nothing. */
  take(): number {
    const n = Math.min(this.pending, this.maxPerMessage);
    this.pending -= n;
    return n;
  }
}

export const LIKE_FLUSH_MS = 300;

/**
 * A room `like` event sums everyone's taps, ours included. Hearts for our own taps already
 * floated when we tapped, so only the others' share floats again.
 */
export function othersLikes(
  eventCount: number,
  ownUnmatched: number,
): { others: number; ownLeft: number } {
  const own = Math.min(eventCount, ownUnmatched);
  return { others: eventCount - own, ownLeft: ownUnmatched - own };
}

/**
 * The like total shown: the room's total never goes down, and our own taps show at once
 * (they are part of a later room total anyway).
 */
export function nextLikeTotal(shown: number, roomTotal: number): number {
  return Math.max(shown, roomTotal);
}
