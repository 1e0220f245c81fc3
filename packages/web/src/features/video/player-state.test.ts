import { describe, expect, it } from 'vitest';
import {
  initialPlayerState,
  playerReducer,
  videoView,
  type PlayerAction,
  type PlayerState,
} from './player-state.ts';

const run = (actions: PlayerAction[], from: PlayerState = initialPlayerState) =>
  actions.reduce(playerReducer, from);

describe('player state', () => {
  it('connects, waits for a picture, plays, and times the first frame', () => {
    const s = run([
      { type: 'start', transport: 'webrtc', at: 1000 },
      { type: 'connected' },
      { type: 'frames', at: 1420 },
    ]);
    expect(s).toMatchObject({ phase: 'playing', transport: 'webrtc', firstFrameMs: 420 });
    // The first frame is timed once, from the first start.
    const later = run(
      [
        { type: 'lost' },
        { type: 'start', transport: 'webrtc', at: 9000 },
        { type: 'frames', at: 9500 },
      ],
      s,
    );
    expect(later.firstFrameMs).toBe(420);
  });

  it('stays "reconnecting" while it reconnects, until frames come back', () => {
    const playing = run([
      { type: 'start', transport: 'webrtc', at: 0 },
      { type: 'frames', at: 10 },
    ]);
    const lost = run([{ type: 'lost' }], playing);
    expect(lost.phase).toBe('reconnecting');
    expect(
      run([{ type: 'retry', attempt: 1, at: 2000, cannotConnect: false }], lost),
    ).toMatchObject({ phase: 'reconnecting', attempt: 1, retryAt: 2000 });
    const again = run(
      [
        { type: 'retry', attempt: 1, at: 2000, cannotConnect: false },
        { type: 'start', transport: 'webrtc', at: 2000 },
        { type: 'connected' },
      ],
      lost,
    );
    expect(again.phase).toBe('waiting');
    expect(run([{ type: 'frames', at: 2300 }], again)).toMatchObject({
      phase: 'playing',
      attempt: 0,
    });
  });

  it('says it cannot connect when WebRTC never got through', () => {
    const s = run([
      { type: 'start', transport: 'webrtc', at: 0 },
      { type: 'retry', attempt: 1, at: 1000, cannotConnect: true },
    ]);
    expect(s.phase).toBe('retrying');
    // A new attempt keeps saying so until something works.
    expect(run([{ type: 'start', transport: 'webrtc', at: 1000 }], s).phase).toBe('retrying');
  });

  it('falls back to HLS on the same timeline', () => {
    const s = run([
      { type: 'start', transport: 'webrtc', at: 0 },
      { type: 'start', transport: 'hls', at: 5000 },
      { type: 'connected' },
      { type: 'frames', at: 6500 },
    ]);
    expect(s).toMatchObject({ transport: 'hls', phase: 'playing', firstFrameMs: 6500 });
  });

  it('moves from HLS back to WebRTC without leaving the picture', () => {
    const onHls = run([
      { type: 'start', transport: 'webrtc', at: 0 },
      { type: 'start', transport: 'hls', at: 100 },
      { type: 'connected' },
      { type: 'frames', at: 2000 },
    ]);
    const s = run([{ type: 'upgraded' }, { type: 'connected' }], onHls);
    expect(s).toMatchObject({ transport: 'webrtc', phase: 'playing', firstFrameMs: 2000 });
    // Only from HLS: a WebRTC player has nothing to upgrade.
    expect(playerReducer(s, { type: 'upgraded' })).toBe(s);
  });

  it('notices stalls and silence only where they mean something', () => {
    const playing = run([
      { type: 'start', transport: 'webrtc', at: 0 },
      { type: 'frames', at: 1 },
    ]);
    expect(run([{ type: 'quiet' }], playing)).toBe(playing);
    const stalled = run([{ type: 'stalled' }], playing);
    expect(stalled.phase).toBe('waiting');
    expect(run([{ type: 'quiet' }], stalled).quiet).toBe(true);
    expect(run([{ type: 'stalled' }], initialPlayerState)).toBe(initialPlayerState);
  });

  it('stop forgets everything but the first-frame time', () => {
    const s = run([
      { type: 'start', transport: 'webrtc', at: 0 },
      { type: 'frames', at: 300 },
      { type: 'stop' },
    ]);
    expect(s).toEqual({ ...initialPlayerState, firstFrameMs: 300 });
    expect(run([{ type: 'lost' }], s)).toBe(s);
  });
});

describe('videoView', () => {
  const at = (actions: PlayerAction[]) => run(actions);
  const playing = at([
    { type: 'start', transport: 'webrtc', at: 0 },
    { type: 'frames', at: 1 },
  ]);
  const waiting = at([{ type: 'start', transport: 'webrtc', at: 0 }, { type: 'connected' }]);
  const quiet = run([{ type: 'quiet' }], waiting);

  it('follows the show first', () => {
    expect(videoView('ended', 'live', playing)).toBe('ended');
    expect(videoView('scheduled', null, waiting)).toBe('hidden');
    expect(videoView(null, null, waiting)).toBe('hidden');
  });

  it('is live whenever frames advance', () => {
    expect(videoView('live', 'live', playing)).toBe('live');
    expect(videoView('live', null, playing)).toBe('live');
    expect(videoView('live', 'reconnecting', playing)).toBe('live');
  });

  it('explains a connected player without a picture by the host', () => {
    expect(videoView('live', 'reconnecting', waiting)).toBe('host-reconnecting');
    expect(videoView('live', 'offline', waiting)).toBe('host-offline');
    expect(videoView('live', 'live', waiting)).toBe('connecting');
    expect(videoView('live', null, waiting)).toBe('connecting');
    expect(videoView('live', null, quiet)).toBe('host-offline');
    expect(videoView('live', 'live', quiet)).toBe('connecting');
  });

  it('shows our own connection trouble', () => {
    expect(videoView('live', 'live', run([{ type: 'lost' }], playing))).toBe('reconnecting');
    expect(
      videoView(
        'live',
        'live',
        run([{ type: 'retry', attempt: 2, at: 0, cannotConnect: true }], waiting),
      ),
    ).toBe('retrying');
    expect(videoView('live', null, initialPlayerState)).toBe('connecting');
  });
});
