/**
 * Where the replay's seconds came from: runs of continuous recording (one per publisher
 * connection, or after a gap), each with the wall clock it started at. The recorder stores
 * it when the show ends; pins (wall clock) become chapters (seconds into the replay) here.
 */
export interface ReplayTimeline {
  /** Seconds: the replay's length. */
  duration: number;
  runs: Array<{
    /** Seconds into the replay where this run starts. */
    at: number;
    /** Wall clock of its first frame, ms since the epoch. */
    wallClock: number;
    duration: number;
  }>;
}

export interface Chapter {
  at: number;
  productId: string;
  title: string;
}

/** Seconds into the replay of a moment of the show (clamped to the replay). */
export function replayOffset(timeline: ReplayTimeline, wallClock: number): number {
  for (const run of timeline.runs) {
    const into = (wallClock - run.wallClock) / 1000;
    if (into < 0) return run.at; // before this run (or in the gap before it): its start
    if (into < run.duration) return run.at + into;
  }
  return timeline.duration;
}

/**
 * A chapter at each pin of a product, in pin order; repeated pins of the product already on
 * screen (and unpins) add none.
 */
export function chaptersOf(
  timeline: ReplayTimeline,
  pins: Array<{ productId: string | null; pinnedAt: Date }>,
  titleOf: (productId: string) => string | undefined,
): Chapter[] {
  const out: Chapter[] = [];
  let current: string | null = null;
  for (const pin of pins) {
    if (pin.productId === current) continue;
    current = pin.productId;
    if (!pin.productId) continue;
    const title = titleOf(pin.productId);
    if (title === undefined) continue;
    const at = Math.round(replayOffset(timeline, pin.pinnedAt.getTime()) * 1000) / 1000;
    out.push({ at, productId: pin.productId, title });
  }
  return out;
}

/** Runs from the recorded segments: a new run at each discontinuity or jump in wall clock. */
export function timelineOf(
  segments: Array<{ duration: number; discontinuity: boolean; programDateTime: number }>,
): ReplayTimeline {
  const runs: ReplayTimeline['runs'] = [];
  let at = 0;
  let expected = Number.NaN;
  for (const s of segments) {
    const last = runs.at(-1);
    if (!last || s.discontinuity || Math.abs(s.programDateTime - expected) > 1000) {
      runs.push({ at, wallClock: s.programDateTime, duration: s.duration });
    } else {
      last.duration += s.duration;
    }
    at += s.duration;
    expected = s.programDateTime + s.duration * 1000;
  }
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return {
    duration: round(at),
    runs: runs.map((r) => ({ ...r, at: round(r.at), duration: round(r.duration) })),
  };
}
