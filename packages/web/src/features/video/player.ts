/**
 * The live room's player: WebRTC over WHEP first (sub-second delay), HLS when WebRTC cannot
 * connect or the node is full. Browser only; its states are `player-state.ts`.
 *
 * - WHEP: recvonly audio + video, the offer POSTed at once (the server answers even before
 *   the host publishes and starts us at the next keyframe), DELETE on leave.
 * - Not connected within CONNECT_TIMEOUT_MS, or a 503 with `details.fallback: "hls"` (or a
 *   codec this browser cannot take): HLS if the show has an HLS URL — hls.js, or Safari's own
 *   player on iPhone/iPad — else "can't connect, retrying" with backoff.
 * - A connection that drops: ICE restart on the same session, then a new session, with
 *   backoff. A picture that stays frozen while the host is on air: a new session.
 * - Watching over HLS (seconds behind), WebRTC is tried again on the side: after the
 *   Retry-After of a full node, later after a timeout, less often after each miss. Once the new
 *   session delivers video, the player switches to it and HLS stops.
 */
import type Hls from 'hls.js';
import { reconnectDelay } from './backoff.ts';
import { hlsEngine } from './fit.ts';
import { SignalledPeer } from './peer.ts';
import {
  initialPlayerState,
  playerReducer,
  type HostStream,
  type PlayerAction,
  type PlayerState,
} from './player-state.ts';
import { MediaSessionError } from './whip-http.ts';

export const CONNECT_TIMEOUT_MS = 5000;
const DISCONNECTED_GRACE_MS = 2000;
const RESTART_TIMEOUT_MS = 4000;
const FRAME_CHECK_MS = 500;
/** Frames not advancing for this long while playing: stalled. */
const STALL_MS = 2500;
/** Connected without a picture for this long: nobody seems to be sending. */
const QUIET_MS = 4000;
/** Frozen this long although the room says the host is on air: a new session. */
const FROZEN_WHILE_LIVE_MS = 5000;
/** The longest wait between two attempts, whatever Retry-After says. */
const MAX_WAIT_MS = 15_000;
/** On HLS: the first WebRTC try after a timeout (after a full node: its Retry-After). */
const UPGRADE_FIRST_MS = 60_000;
const UPGRADE_MIN_MS = 3_000;
const UPGRADE_MAX_MS = 300_000;
/** A WebRTC try from HLS must deliver video within this, or it is dropped. */
const UPGRADE_TIMEOUT_MS = 8_000;

export interface PlayerSources {
  whep: string;
  hls: string | null;
}

type Timer = ReturnType<typeof setTimeout> | undefined;

export class Player {
  private state: PlayerState = initialPlayerState;
  private peer: SignalledPeer | null = null;
  private hls: Hls | null = null;
  private nativeHls = false;
  private generation = 0;
  private attempt = 0;
  private running = false;
  private troubled: number | null = null;
  private everConnected = false;
  private host: HostStream | null = null;
  private abort: AbortController | null = null;
  private timers: { connect: Timer; grace: Timer; retry: Timer; upgrade: Timer } = {
    connect: undefined,
    grace: undefined,
    retry: undefined,
    upgrade: undefined,
  };
  /** A WebRTC session tried while on HLS, until it plays or is dropped. */
  private upgrade: { abort: AbortController; peer: SignalledPeer | null } | null = null;
  private frameTimer: ReturnType<typeof setInterval> | undefined;
  private lastFrames = -1;
  private lastTime = -1;
  private lastAdvanceAt = 0;
  private waitingSince = 0;

  constructor(
    private readonly video: HTMLVideoElement,
    private sources: PlayerSources,
    private readonly onState: (state: PlayerState) => void,
  ) {}

  get current(): PlayerState {
    return this.state;
  }

  private dispatch(action: PlayerAction): void {
    const next = playerReducer(this.state, action);
    if (next === this.state) return;
    this.state = next;
    this.onState(next);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.attempt = 0;
    this.everConnected = false;
    this.frameTimer = setInterval(() => this.checkFrames(), FRAME_CHECK_MS);
    void this.connectWebRtc();
  }

  /** The URLs changed (HLS became available): used from the next attempt on. */
  setSources(sources: PlayerSources): void {
    this.sources = sources;
  }

  /** What the room says about the host's stream. */
  setHostStream(host: HostStream | null): void {
    const was = this.host;
    this.host = host;
    // The host is back: a player waiting out a backoff tries at once.
    if (host === 'live' && was !== 'live') this.retryNow();
  }

  /** The network came back, or the page became visible again. */
  retryNow(): void {
    if (!this.running || !this.timers.retry) return;
    clearTimeout(this.timers.retry);
    this.timers.retry = undefined;
    void this.connectWebRtc();
  }

  async stop(opts: { keepalive?: boolean } = {}): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.generation++;
    clearInterval(this.frameTimer);
    this.clearTimers();
    this.abort?.abort();
    this.dispatch({ type: 'stop' });
    const closing = this.teardown(opts.keepalive ?? false);
    this.video.srcObject = null;
    await closing;
  }

  private clearTimers(): void {
    clearTimeout(this.timers.connect);
    clearTimeout(this.timers.grace);
    clearTimeout(this.timers.retry);
    clearTimeout(this.timers.upgrade);
    this.timers = { connect: undefined, grace: undefined, retry: undefined, upgrade: undefined };
  }

  /** Closes whatever plays now (DELETE the WHEP session; stop HLS). */
  private teardown(keepalive = false): Promise<void> {
    const peer = this.peer;
    this.peer = null;
    const trying = this.dropUpgrade(keepalive);
    if (this.hls) {
      this.hls.destroy();
      this.hls = null;
    }
    if (this.nativeHls) {
      this.nativeHls = false;
      this.video.removeAttribute('src');
      this.video.load();
    }
    return Promise.all([trying, peer?.close({ sendDelete: true, keepalive })]).then(
      () => undefined,
    );
  }

  /**
   * Starts playback. Unmuted autoplay is refused until the viewer has tapped the page: then
   * it plays muted, and the unmute button says so.
   */
  private play(): void {
    const video = this.video;
    video.play().catch(() => {
      if (video.muted) return;
      video.muted = true;
      video.play().catch(() => undefined);
    });
  }

  // ---- WebRTC ------------------------------------------------------------------------

  private async connectWebRtc(): Promise<void> {
    const gen = ++this.generation;
    this.troubled = null;
    this.clearTimers();
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    // The old session is deleted on the side; the new one does not wait for that.
    void this.teardown();
    this.dispatch({ type: 'start', transport: 'webrtc', at: Date.now() });
    this.watchFirstFrame(gen);
    this.timers.connect = setTimeout(() => this.cannotConnect(gen), CONNECT_TIMEOUT_MS);
    const stream = new MediaStream();
    try {
      const peer = await openWhep(this.sources.whep, stream, abort.signal);
      if (gen !== this.generation) {
        await peer.close({ sendDelete: true });
        return;
      }
      this.peer = peer;
      this.video.srcObject = stream;
      this.play();
      this.watch(peer, gen);
    } catch (err) {
      if (gen !== this.generation) return;
      clearTimeout(this.timers.connect);
      const e = err instanceof MediaSessionError ? err : null;
      // A full node, or a codec this browser cannot decode: HLS is the way in.
      if (e && (e.fallback === 'hls' || e.status === 422 || e.status === 503) && this.sources.hls) {
        // A codec this browser cannot take will not change: no WebRTC tries from HLS then.
        void this.startHls(gen, e.status === 422 ? null : (e.retryAfterMs ?? UPGRADE_FIRST_MS));
        return;
      }
      // A full node asks for patience (Retry-After); without HLS to watch meanwhile, not more
      // than the longest backoff.
      const retryAfter = e?.retryAfterMs ?? null;
      this.scheduleRetry(gen, retryAfter === null ? null : Math.min(retryAfter, MAX_WAIT_MS));
    }
  }

  private watch(peer: SignalledPeer, gen: number): void {
    const pc = peer.pc;
    const onChange = () => {
      if (gen !== this.generation) {
        pc.removeEventListener('connectionstatechange', onChange);
        return;
      }
      switch (pc.connectionState) {
        case 'connected':
          clearTimeout(this.timers.connect);
          clearTimeout(this.timers.grace);
          this.timers.grace = undefined;
          this.everConnected = true;
          this.troubled = null;
          this.waitingSince = Date.now();
          this.dispatch({ type: 'connected' });
          break;
        case 'disconnected':
          this.dispatch({ type: 'lost' });
          this.timers.grace ??= setTimeout(() => {
            this.timers.grace = undefined;
            if (pc.connectionState !== 'connected') this.trouble(gen);
          }, DISCONNECTED_GRACE_MS);
          break;
        case 'failed':
        case 'closed':
          this.trouble(gen);
          break;
        default:
          break;
      }
    };
    pc.addEventListener('connectionstatechange', onChange);
    peer.watchTransport(() => this.trouble(gen));
    onChange();
  }

  /** WebRTC did not connect in time: HLS if there is one, else keep trying. */
  private cannotConnect(gen: number): void {
    if (gen !== this.generation || !this.running) return;
    if (this.sources.hls) {
      void this.startHls(gen, UPGRADE_FIRST_MS);
      return;
    }
    // Let the attempt go on, but tell the viewer; the next attempt starts afresh.
    this.dispatch({ type: 'retry', attempt: this.attempt, at: null, cannotConnect: true });
    this.timers.connect = setTimeout(() => this.trouble(gen), CONNECT_TIMEOUT_MS);
  }

  private trouble(gen: number): void {
    if (gen !== this.generation || !this.running || this.troubled === gen) return;
    this.troubled = gen;
    clearTimeout(this.timers.connect);
    clearTimeout(this.timers.grace);
    this.timers.grace = undefined;
    if (this.everConnected) this.dispatch({ type: 'lost' });
    void this.recover(gen);
  }

  private async recover(gen: number): Promise<void> {
    const peer = this.peer;
    if (this.attempt === 0 && peer?.restartable) {
      this.attempt = 1;
      try {
        await peer.restartIce();
        if (gen !== this.generation) return;
        this.troubled = null;
        this.timers.connect = setTimeout(() => this.trouble(gen), RESTART_TIMEOUT_MS);
        return;
      } catch (err) {
        if (gen !== this.generation) return;
        if (err instanceof MediaSessionError && err.status === 404) {
          void this.connectWebRtc();
          return;
        }
      }
    }
    this.scheduleRetry(gen, null);
  }

  private scheduleRetry(gen: number, retryAfterMs: number | null): void {
    if (gen !== this.generation || !this.running) return;
    this.attempt += 1;
    const delay = retryAfterMs ?? reconnectDelay(this.attempt);
    this.dispatch({
      type: 'retry',
      attempt: this.attempt,
      at: Date.now() + delay,
      // Nothing ever connected, or it keeps failing: say so plainly.
      cannotConnect: !this.everConnected || this.attempt > 3,
    });
    clearTimeout(this.timers.retry);
    this.timers.retry = setTimeout(() => {
      this.timers.retry = undefined;
      void this.connectWebRtc();
    }, delay);
  }

  // ---- HLS ---------------------------------------------------------------------------

  /** Plays HLS; `upgradeAfterMs`: when to try WebRTC again on the side (null: never). */
  private async startHls(gen: number, upgradeAfterMs: number | null): Promise<void> {
    const url = this.sources.hls;
    if (!url || gen !== this.generation) return;
    this.clearTimers();
    void this.teardown();
    this.video.srcObject = null;
    if (upgradeAfterMs !== null) this.planUpgrade(gen, upgradeAfterMs);
    this.dispatch({ type: 'start', transport: 'hls', at: Date.now() });
    this.watchFirstFrame(gen);
    const native = this.video.canPlayType('application/vnd.apple.mpegurl') !== '';
    const appleTouch =
      /iPad|iPhone|iPod/.test(navigator.userAgent) ||
      (navigator.userAgent.includes('Macintosh') && navigator.maxTouchPoints > 1);
    let HlsClass: typeof Hls | null = null;
    if (!(native && appleTouch)) {
      try {
        HlsClass = (await import('hls.js/light')).default;
      } catch {
        HlsClass = null;
      }
      if (gen !== this.generation) return;
    }
    const engine = hlsEngine({ native, mse: HlsClass?.isSupported() ?? false, appleTouch });
    if (engine === 'native') {
      this.nativeHls = true;
      this.video.src = url;
      this.video.addEventListener(
        'loadedmetadata',
        () => gen === this.generation && this.dispatch({ type: 'connected' }),
        { once: true },
      );
      this.video.addEventListener('error', () => this.hlsFailed(gen), { once: true });
      this.play();
      return;
    }
    if (engine !== 'hlsjs' || !HlsClass) {
      this.scheduleRetry(gen, null);
      return;
    }
    const hls = new HlsClass({
      lowLatencyMode: true,
      backBufferLength: 30,
      // Catch up gently after a stall instead of staying behind.
      maxLiveSyncPlaybackRate: 1.5,
      manifestLoadingMaxRetry: 4,
      levelLoadingMaxRetry: 4,
      fragLoadingMaxRetry: 6,
    });
    this.hls = hls;
    let mediaRecoveries = 0;
    hls.on(HlsClass.Events.MANIFEST_PARSED, () => {
      if (gen !== this.generation) return;
      this.dispatch({ type: 'connected' });
      this.play();
    });
    hls.on(HlsClass.Events.ERROR, (_event, data) => {
      if (gen !== this.generation || !data.fatal) return;
      if (data.type === HlsClass.ErrorTypes.MEDIA_ERROR && mediaRecoveries < 2) {
        mediaRecoveries++;
        hls.recoverMediaError();
        return;
      }
      this.hlsFailed(gen);
    });
    hls.loadSource(url);
    hls.attachMedia(this.video);
  }

  /** HLS failed for good: back to WebRTC attempts, with backoff. */
  private hlsFailed(gen: number): void {
    if (gen !== this.generation || !this.running) return;
    this.dispatch({ type: 'lost' });
    void this.teardown();
    this.scheduleRetry(gen, null);
  }

  // ---- back from HLS to WebRTC ---------------------------------------------------------

  private planUpgrade(gen: number, afterMs: number): void {
    const delay = Math.min(Math.max(afterMs, UPGRADE_MIN_MS), UPGRADE_MAX_MS);
    clearTimeout(this.timers.upgrade);
    this.timers.upgrade = setTimeout(() => {
      this.timers.upgrade = undefined;
      void this.tryUpgrade(gen, delay);
    }, delay);
  }

  /**
   * Opens a WebRTC session beside the HLS playback; switches to it once its video track gets
   * media. Otherwise drops it and plans the next try, twice as late.
   */
  private async tryUpgrade(gen: number, lastDelayMs: number): Promise<void> {
    if (gen !== this.generation || !this.running || this.state.transport !== 'hls') return;
    const abort = new AbortController();
    const trying: { abort: AbortController; peer: SignalledPeer | null } = { abort, peer: null };
    this.upgrade = trying;
    const stream = new MediaStream();
    let later = lastDelayMs * 2;
    try {
      const peer = await openWhep(this.sources.whep, stream, abort.signal);
      trying.peer = peer;
      if (gen !== this.generation || this.upgrade !== trying) return;
      if (await videoArrives(peer.pc, stream, UPGRADE_TIMEOUT_MS, abort.signal)) {
        if (gen !== this.generation || this.upgrade !== trying) return;
        this.switchTo(peer, stream);
        return;
      }
    } catch (err) {
      // Still full: the server says when to ask again.
      if (err instanceof MediaSessionError && err.retryAfterMs !== null) later = err.retryAfterMs;
    }
    if (this.upgrade === trying) void this.dropUpgrade();
    if (gen === this.generation && this.running) this.planUpgrade(gen, later);
  }

  /** HLS out, the WebRTC session that just delivered video in: a new generation. */
  private switchTo(peer: SignalledPeer, stream: MediaStream): void {
    this.upgrade = null;
    const gen = ++this.generation;
    this.clearTimers();
    void this.teardown();
    this.peer = peer;
    this.attempt = 0;
    this.lastFrames = -1;
    this.lastTime = -1;
    this.lastAdvanceAt = Date.now();
    this.video.srcObject = stream;
    this.play();
    this.dispatch({ type: 'upgraded' });
    this.watchFirstFrame(gen);
    this.watch(peer, gen);
  }

  private dropUpgrade(keepalive = false): Promise<void> {
    const trying = this.upgrade;
    if (!trying) return Promise.resolve();
    this.upgrade = null;
    trying.abort.abort();
    return trying.peer?.close({ sendDelete: true, keepalive }) ?? Promise.resolve();
  }

  // ---- frames ------------------------------------------------------------------------

  /** The first decoded frame of this attempt, as soon as it is painted. */
  private watchFirstFrame(gen: number): void {
    const video = this.video as HTMLVideoElement & {
      requestVideoFrameCallback?: (cb: () => void) => number;
    };
    if (typeof video.requestVideoFrameCallback === 'function') {
      video.requestVideoFrameCallback(() => {
        if (gen === this.generation && this.running) this.sawFrames();
      });
    }
  }

  private sawFrames(): void {
    this.lastAdvanceAt = Date.now();
    if (this.state.phase !== 'playing') this.dispatch({ type: 'frames', at: Date.now() });
  }

  private checkFrames(): void {
    if (!this.running) return;
    const video = this.video;
    const now = Date.now();
    const frames = video.getVideoPlaybackQuality?.().totalVideoFrames;
    // A MediaStream's currentTime runs on even without frames: count frames where we can.
    const advanced =
      frames !== undefined
        ? frames > this.lastFrames && this.lastFrames >= 0
        : video.currentTime > this.lastTime && this.lastTime >= 0;
    if (frames !== undefined) this.lastFrames = frames;
    this.lastTime = video.currentTime;
    if (advanced && video.readyState >= 2) {
      this.sawFrames();
      return;
    }
    if (this.state.phase === 'playing' && now - this.lastAdvanceAt > STALL_MS) {
      this.waitingSince = now;
      this.dispatch({ type: 'stalled' });
    }
    if (this.state.phase === 'waiting') {
      if (now - this.waitingSince > QUIET_MS) this.dispatch({ type: 'quiet' });
      // The host is on air but our picture is frozen: something between us is stuck.
      if (
        this.host === 'live' &&
        this.state.transport === 'webrtc' &&
        now - Math.max(this.waitingSince, this.lastAdvanceAt) > FROZEN_WHILE_LIVE_MS
      ) {
        this.waitingSince = now;
        this.attempt = Math.max(this.attempt, 1);
        this.trouble(this.generation);
      }
    }
  }
}

/** A WHEP session receiving audio and video into `stream`. */
function openWhep(url: string, stream: MediaStream, signal: AbortSignal): Promise<SignalledPeer> {
  return SignalledPeer.open(
    { url },
    (pc) => {
      pc.addTransceiver('audio', { direction: 'recvonly' });
      pc.addTransceiver('video', { direction: 'recvonly' });
      pc.addEventListener('track', (e) => {
        if (!stream.getTracks().includes(e.track)) stream.addTrack(e.track);
      });
    },
    signal,
  );
}

/** True once the stream's video track gets media over a connected peer, within `timeoutMs`. */
function videoArrives(
  pc: RTCPeerConnection,
  stream: MediaStream,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<boolean> {
  return new Promise((resolve) => {
    const check = () => {
      const video = stream.getVideoTracks()[0];
      if (pc.connectionState === 'connected' && video && !video.muted) finish(true);
      else if (pc.connectionState === 'failed' || pc.connectionState === 'closed') finish(false);
    };
    const timer = setInterval(check, 100);
    const deadline = setTimeout(() => finish(false), timeoutMs);
    const onAbort = () => finish(false);
    signal.addEventListener('abort', onAbort, { once: true });
    function finish(ok: boolean) {
      clearInterval(timer);
      clearTimeout(deadline);
      signal.removeEventListener('abort', onAbort);
      resolve(ok);
    }
    check();
  });
}
