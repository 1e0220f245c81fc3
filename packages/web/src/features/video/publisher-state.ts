/**
 * The studio's broadcast as a pure state machine. What the host sees at all times:
 *
 *   offline ──camera on──▶ preview ──publish──▶ connecting ──connected──▶ live
 *                            ▲                      │                      │ lost
 *                            │ stop / fatal         ▼ failed attempt       ▼
 *                            └──────────────── reconnecting ◀──────────────┘
 *
 * `reconnecting` retries by itself (ICE restart, then a new WHIP session, with backoff)
 * until it is connected again or the host stops.
 */

export type PublisherPhase = 'offline' | 'preview' | 'connecting' | 'live' | 'reconnecting';

export type CameraStatus = 'off' | 'starting' | 'on';

/** What went wrong, in words the panel can translate. */
export type PublisherErrorKind =
  /** The browser or the person refused the camera/microphone. */
  | 'camera-denied'
  /** No camera or microphone (or not the chosen one). */
  | 'camera-missing'
  /** Another app holds the camera. */
  | 'camera-busy'
  /** getUserMedia needs https (or localhost). */
  | 'camera-insecure'
  | 'camera-other'
  /** The server refused the stream key. */
  | 'unauthorized'
  /** The show has ended (or does not exist). */
  | 'not-live'
  /** The server cannot take what this browser sends. */
  | 'rejected'
  /** Could not reach the server / the connection dropped. */
  | 'network'
  /** Another publisher (OBS, another phone) took over the show's video. */
  | 'replaced';

export interface PublisherError {
  kind: PublisherErrorKind;
  detail?: string;
}

export interface PublisherState {
  camera: CameraStatus;
  /** Whether the host asked to be on air, and how that is going. */
  broadcast: 'idle' | 'connecting' | 'live' | 'reconnecting';
  /** Reconnection attempts since the connection was lost (0 while fine). */
  attempt: number;
  /** When the next attempt starts (epoch ms), while waiting for it. */
  retryAt: number | null;
  /** Since when we are on air this time (epoch ms). */
  liveSince: number | null;
  error: PublisherError | null;
}

export const initialPublisherState: PublisherState = {
  camera: 'off',
  broadcast: 'idle',
  attempt: 0,
  retryAt: null,
  liveSince: null,
  error: null,
};

export type PublisherAction =
  | { type: 'camera'; status: CameraStatus }
  /** `stillOn`: switching devices failed, the previous camera keeps going. */
  | { type: 'camera-failed'; error: PublisherError; stillOn?: boolean }
  | { type: 'publish' }
  | { type: 'connected'; at: number }
  | { type: 'lost'; error?: PublisherError }
  | { type: 'retry'; attempt: number; at: number | null }
  | { type: 'failed'; error: PublisherError }
  | { type: 'stopped' };

export function phaseOf(s: PublisherState): PublisherPhase {
  if (s.broadcast !== 'idle') return s.broadcast;
  return s.camera === 'on' ? 'preview' : 'offline';
}

export function publisherReducer(s: PublisherState, a: PublisherAction): PublisherState {
  switch (a.type) {
    case 'camera':
      return {
        ...s,
        camera: a.status,
        error: a.status === 'on' && s.error?.kind.startsWith('camera-') ? null : s.error,
      };
    case 'camera-failed':
      return { ...s, camera: a.stillOn ? s.camera : 'off', error: a.error };
    case 'publish':
      if (s.broadcast !== 'idle') return s;
      return { ...s, broadcast: 'connecting', attempt: 0, retryAt: null, error: null };
    case 'connected':
      if (s.broadcast === 'idle') return s;
      return {
        ...s,
        broadcast: 'live',
        attempt: 0,
        retryAt: null,
        liveSince: s.broadcast === 'live' ? s.liveSince : a.at,
        error: null,
      };
    case 'lost':
      if (s.broadcast === 'idle') return s;
      return { ...s, broadcast: 'reconnecting', error: a.error ?? s.error };
    case 'retry':
      if (s.broadcast === 'idle') return s;
      return { ...s, broadcast: 'reconnecting', attempt: a.attempt, retryAt: a.at };
    case 'failed':
      return {
        ...s,
        broadcast: 'idle',
        attempt: 0,
        retryAt: null,
        liveSince: null,
        error: a.error,
      };
    case 'stopped':
      return { ...s, broadcast: 'idle', attempt: 0, retryAt: null, liveSince: null };
  }
}

/** getUserMedia's DOMException names, as the panel explains them. */
export function cameraErrorKind(err: unknown): PublisherErrorKind {
  const name = typeof err === 'object' && err !== null && 'name' in err ? String(err.name) : '';
  switch (name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
      return 'camera-denied';
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return 'camera-missing';
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return 'camera-busy';
    case 'SecurityError':
      return 'camera-insecure';
    default:
      return 'camera-other';
  }
}

/** A WHIP error (status, code) as the panel explains it. */
export function whipErrorKind(status: number, code: string): PublisherErrorKind {
  if (status === 0) return 'network';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404 || status === 409 || code === 'LIVE_NOT_LIVE') return 'not-live';
  if (status >= 400 && status < 500 && status !== 429) return 'rejected';
  return 'network';
}

/**
 * The server lets a new publisher replace the current one (the host's reconnection always
 * wins). So when our connection dies just after the room said the stream went (back) on air
 * although ours had been up for a while, someone else (OBS, the host's other phone) took
 * over: we must not take it back.
 */
export function replacedBySomeoneElse(opts: {
  /** When the room last said the stream is `live`. */
  hostLiveAt: number | null;
  /** When our current session connected. */
  connectedAt: number | null;
  /** When we lost it. */
  lostAt: number;
}): boolean {
  const { hostLiveAt, connectedAt, lostAt } = opts;
  if (hostLiveAt === null || connectedAt === null) return false;
  // Our own going on air is announced within a moment of connecting: that one is ours.
  const notOurs = hostLiveAt > connectedAt + 1500;
  // The server's silence is noticed within a few seconds of the takeover.
  const justBefore = hostLiveAt <= lostAt && lostAt - hostLiveAt < 8000;
  return notOurs && justBefore;
}
