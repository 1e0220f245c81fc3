import { describe, expect, it } from 'vitest';
import { backoffDelay, EventSequencer } from './event-sequencer.ts';

const hello = (seq: number) => ({
  type: 'hello',
  liveId: 'L',
  seq,
  status: 'live',
  viewers: 1,
  likes: 0,
  pinned: null,
  canChat: true,
  missedTooMany: false,
});
const chat = (seq: number, text = `line ${seq}`) => ({
  type: 'chat',
  seq,
  liveId: 'L',
  id: `c${seq}`,
  text,
  author: { id: 'u', displayName: 'A', isHost: false },
  at: '',
});
const types = (events: { type: string }[]) => events.map((e) => e.type);
const seqs = (events: unknown[]) => events.map((e) => (e as { seq?: number }).seq);

describe('EventSequencer', () => {
  it('starts after the hello of a first connection and has no since before it', () => {
    const s = new EventSequencer();
    expect(s.since).toBeUndefined();
    expect(types(s.accept(JSON.stringify(hello(7))))).toEqual(['hello']);
    expect(s.since).toBe(7);
    // Frames queued before the hello may repeat what the hello already covers.
    expect(s.accept(JSON.stringify(chat(6)))).toEqual([]);
    expect(seqs(s.accept(JSON.stringify(chat(8))))).toEqual([8]);
    expect(s.lastSeq).toBe(8);
  });

  it('unwraps batches and keeps their order', () => {
    const s = new EventSequencer();
    s.accept(hello(0));
    const out = s.accept(
      JSON.stringify({
        type: 'batch',
        events: [chat(1), { type: 'viewers', liveId: 'L', count: 3 }, chat(2)],
      }),
    );
    expect(types(out)).toEqual(['chat', 'viewers', 'chat']);
    expect(s.lastSeq).toBe(2);
  });

  it('drops events at or below the last seq seen', () => {
    const s = new EventSequencer();
    s.accept(hello(0));
    s.accept(chat(1));
    s.accept(chat(2));
    expect(s.accept(chat(2))).toEqual([]);
    expect(s.accept(chat(1))).toEqual([]);
    expect(seqs(s.accept({ type: 'batch', events: [chat(2), chat(3), chat(3), chat(4)] }))).toEqual(
      [3, 4],
    );
  });

  it('applies the replay that follows the hello of a resumed connection', () => {
    const s = new EventSequencer();
    s.accept(hello(4));
    s.accept(chat(5));
    // Reconnect with ?since=5: the room is at 8 now and replays 6..8, then pending frames repeat 8.
    expect(s.since).toBe(5);
    expect(types(s.accept(hello(8)))).toEqual(['hello']);
    expect(seqs(s.accept({ type: 'batch', events: [chat(6), chat(7), chat(8)] }))).toEqual([
      6, 7, 8,
    ]);
    expect(s.accept(chat(8))).toEqual([]);
  });

  it('starts over when the room was restarted and its counter went back', () => {
    const s = new EventSequencer();
    s.accept(hello(40));
    s.accept(hello(2));
    expect(s.lastSeq).toBe(2);
    expect(seqs(s.accept(chat(3)))).toEqual([3]);
  });

  it('always passes events without a seq', () => {
    const s = new EventSequencer();
    s.accept(hello(10));
    const out = s.accept({
      type: 'batch',
      events: [{ type: 'viewers', count: 5 }, { type: 'order', order: {} }, { type: 'pong' }],
    });
    expect(types(out)).toEqual(['viewers', 'order', 'pong']);
    expect(
      types(s.accept({ type: 'error', error: { code: 'RATE_LIMITED', message: 'slow' } })),
    ).toEqual(['error']);
    expect(s.lastSeq).toBe(10);
  });

  it('ignores what is not an event', () => {
    const s = new EventSequencer();
    expect(s.accept('not json')).toEqual([]);
    expect(s.accept('null')).toEqual([]);
    expect(s.accept({ nope: 1 })).toEqual([]);
    expect(s.accept({ type: 'batch', events: 'x' })).toEqual([]);
  });
});

describe('backoffDelay', () => {
  it('grows exponentially up to a ceiling', () => {
    const max = (a: number) => backoffDelay(a, () => 1);
    expect(max(0)).toBe(500);
    expect(max(1)).toBe(1000);
    expect(max(3)).toBe(4000);
    expect(max(10)).toBe(15_000);
    expect(max(1000)).toBe(15_000);
  });
  it('keeps at least half of the delay when jittering', () => {
    expect(backoffDelay(2, () => 0)).toBe(1000);
    expect(backoffDelay(2, () => 0.5)).toBe(1500);
  });
});
