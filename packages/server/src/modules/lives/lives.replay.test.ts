import { describe, expect, it } from 'vitest';
import { chaptersOf, replayOffset, timelineOf } from './lives.replay.ts';

const T0 = Date.parse('2026-05-01T08:00:00.000Z');
const segment = (startMs: number, duration = 2, discontinuity = false) => ({
  programDateTime: T0 + startMs,
  duration,
  discontinuity,
});

describe('replay timeline and chapters', () => {
  // 6 s from the first connection, the host drops for 10 s, then 4 s more.
  const timeline = timelineOf([
    segment(0),
    segment(2000),
    segment(4000),
    segment(16_000, 2, true),
    segment(18_000),
  ]);

  it('joins segments into runs of continuous recording', () => {
    expect(timeline).toEqual({
      duration: 10,
      runs: [
        { at: 0, wallClock: T0, duration: 6 },
        { at: 6, wallClock: T0 + 16_000, duration: 4 },
      ],
    });
  });

  it('maps a moment of the show to seconds into the replay, gaps and ends clamped', () => {
    expect(replayOffset(timeline, T0 - 5000)).toBe(0); // pinned before the stream started
    expect(replayOffset(timeline, T0 + 2500)).toBe(2.5);
    expect(replayOffset(timeline, T0 + 9000)).toBe(6); // while the host was away
    expect(replayOffset(timeline, T0 + 17_000)).toBe(7);
    expect(replayOffset(timeline, T0 + 60_000)).toBe(10);
  });

  it('puts a chapter at each product pinned, skipping unpins and repeats', () => {
    const pins = [
      { productId: 'a', pinnedAt: new Date(T0 + 1000) },
      { productId: 'a', pinnedAt: new Date(T0 + 1500) },
      { productId: null, pinnedAt: new Date(T0 + 3000) },
      { productId: 'b', pinnedAt: new Date(T0 + 17_250) },
      { productId: 'gone', pinnedAt: new Date(T0 + 18_000) },
      { productId: 'a', pinnedAt: new Date(T0 + 19_000) },
    ];
    const titles: Record<string, string> = { a: 'Apples', b: 'Pears' };
    expect(chaptersOf(timeline, pins, (id) => titles[id])).toEqual([
      { at: 1, productId: 'a', title: 'Apples' },
      { at: 7.25, productId: 'b', title: 'Pears' },
      { at: 9, productId: 'a', title: 'Apples' },
    ]);
  });
});
