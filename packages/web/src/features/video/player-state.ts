/**
 * The viewer's video as a pure state machine, and what the live room says about it.
 *
 * The player's own view: connecting (offer/answer, ICE) → waiting (connected, no picture
 * yet) → playing (frames advance). A dropped connection is `reconnecting`; when WebRTC cannot
 * connect at all and there is no HLS to fall back to, `retrying` ("can't connect, retrying").
 * The room's `stream` events (the host's side) explain a connected player without a picture.
 */

export type Transport = 'webrtc' | 'hls';
export type PlayerPhase =
  'idle' | 'connecting' | 'waiting' | 'playing' | 'reconnecting' | 'retrying';
export type HostStream = 'live' | 'reconnecting' | 'offline';

export interface PlayerState {
  phase: PlayerPhase;
  transport: Transport | null;
  attempt: number;
  /** When the next attempt starts (epoch ms), while waiting for it. */
  retryAt: number | null;
  /** Connected a while and still no picture: probably nobody is sending. */
  quiet: boolean;
  /** When the player was asked to play (epoch ms), for the first-frame time. */
  startedAt: number | null;
  /** Milliseconds from start to the first decoded frame, once. */
  firstFrameMs: number | null;
}

export const initialPlayerState: PlayerState = {
  phase: 'idle',
  transport: null,
  attempt: 0,
  retryAt: null,
  quiet: false,
  startedAt: null,
  firstFrameMs: null,
};

export type PlayerAction =
  /** A (re)connection attempt begins on this transport. */
  | { type: 'start'; transport: Transport; at: number }
  /** The media path is up (ICE/DTLS connected, or the HLS playlist loaded). */
  | { type: 'connected' }
  /** Frames are advancing. */
  | { type: 'frames'; at: number }
  /** Frames stopped advancing while connected. */
  | { type: 'stalled' }
  /** Connected this long without a picture. */
  | { type: 'quiet' }
  /** The connection dropped. */
  | { type: 'lost' }
  /**
   * Watching over HLS, a WebRTC session got through and plays now: same show, less delay.
   * The picture does not go away for it.
   */
  | { type: 'upgraded' }
  /** Waiting before attempt `attempt`; `cannotConnect` when WebRTC never got through. */
  | { type: 'retry'; attempt: number; at: number | null; cannotConnect: boolean }
  | { type: 'stop' };

export function playerReducer(s: PlayerState, a: PlayerAction): PlayerState {
  switch (a.type) {
    case 'start':
      return {
        ...s,
        phase: s.phase === 'reconnecting' || s.phase === 'retrying' ? s.phase : 'connecting',
        transport: a.transport,
        retryAt: null,
        quiet: false,
        startedAt: s.startedAt ?? a.at,
      };
    case 'connected':
      if (s.phase === 'idle' || s.phase === 'playing') return s;
      return { ...s, phase: 'waiting' };
    case 'frames':
      return {
        ...s,
        phase: 'playing',
        attempt: 0,
        retryAt: null,
        quiet: false,
        firstFrameMs:
          s.firstFrameMs ?? (s.startedAt !== null ? Math.max(0, a.at - s.startedAt) : null),
      };
    case 'upgraded':
      return s.transport === 'hls' ? { ...s, transport: 'webrtc', attempt: 0, retryAt: null } : s;
    case 'stalled':
      return s.phase === 'playing' ? { ...s, phase: 'waiting' } : s;
    case 'quiet':
      return s.phase === 'waiting' ? { ...s, quiet: true } : s;
    case 'lost':
      if (s.phase === 'idle') return s;
      return { ...s, phase: 'reconnecting', quiet: false };
    case 'retry':
      if (s.phase === 'idle') return s;
      return {
        ...s,
        phase: a.cannotConnect ? 'retrying' : 'reconnecting',
        attempt: a.attempt,
        retryAt: a.at,
        quiet: false,
      };
    case 'stop':
      return { ...initialPlayerState, firstFrameMs: s.firstFrameMs };
  }
}

/** What the video area says, from the show's status, the host's stream and the player. */
export type VideoView =
  | 'hidden'
  | 'connecting'
  | 'live'
  | 'reconnecting'
  | 'retrying'
  | 'host-reconnecting'
  | 'host-offline'
  | 'ended';

export function videoView(
  show: 'scheduled' | 'live' | 'ended' | null,
  host: HostStream | null,
  player: PlayerState,
): VideoView {
  if (show === 'ended') return 'ended';
  if (show !== 'live') return 'hidden';
  switch (player.phase) {
    case 'playing':
      return 'live';
    case 'waiting':
      if (host === 'reconnecting') return 'host-reconnecting';
      if (host === 'offline') return 'host-offline';
      // No word from the room (it only speaks on changes): silence means nobody is sending.
      if (host === null && player.quiet) return 'host-offline';
      return 'connecting';
    case 'reconnecting':
      return 'reconnecting';
    case 'retrying':
      return 'retrying';
    case 'idle':
    case 'connecting':
      return 'connecting';
  }
}
