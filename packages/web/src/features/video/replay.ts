/** A show's recording, as `GET /api/v1/lives/:id` gives it once the show has ended. */
export interface ReplayChapter {
  /** Seconds from the start of the replay. */
  at: number;
  productId: string;
  title: string;
}

export interface Replay {
  hls: string;
  chapters: ReplayChapter[];
  duration: number;
}

/**
 * The chapter playing at `time` (seconds): the last one that starts at or before it, or -1
 * before the first. Chapters come in order; a small tolerance lets a seek to a chapter's
 * start (which may land a few milliseconds early, on a keyframe) count as that chapter.
 */
export function currentChapter(chapters: readonly ReplayChapter[], time: number): number {
  if (!Number.isFinite(time)) return -1;
  let found = -1;
  for (let i = 0; i < chapters.length; i++) {
    if (chapters[i]!.at <= time + 0.25) found = i;
    else break;
  }
  return found;
}

/** Seconds as m:ss (h:mm:ss from an hour on); negative or non-finite counts as 0. */
export function formatClock(seconds: number): string {
  const total = Number.isFinite(seconds) && seconds > 0 ? Math.floor(seconds) : 0;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}
