/**
 * The studio's broadcast: the camera and microphone, and their WHIP session. Browser only.
 * Its state is `publisher-state.ts`; this class does what the states describe:
 *
 * - one layer (no simulcast), ~700 kbit/s at 640×360, 24–30 fps, H.264 before VP8, Opus;
 *   the browser's congestion control (TWCC, negotiated by the server) adapts from there;
 * - on a blip (ICE disconnected for a moment, or failed) it restarts ICE on the same session,
 *   and if that does not bring it back, opens a new WHIP session (the server lets it replace
 *   the old one), with backoff, until it is on air again or the host stops;
 * - uplink numbers from getStats() once a second.
 */
import { reconnectDelay } from './backoff.ts';
import { preferredCodecs } from './codecs.ts';
import { mediaConstraints, type DeviceChoice } from './devices.ts';
import { SignalledPeer } from './peer.ts';
import {
  cameraErrorKind,
  initialPublisherState,
  publisherReducer,
  replacedBySomeoneElse,
  whipErrorKind,
  type PublisherAction,
  type PublisherState,
} from './publisher-state.ts';
import {
  heardFromServer,
  UNKNOWN_HEALTH,
  uplinkHealth,
  uplinkSample,
  type UplinkHealth,
  type UplinkSample,
} from './uplink-health.ts';
import { MediaSessionError, type Endpoint } from './whip-http.ts';

/** Video encoder ceiling: watchable 360p that leaves room on a 1 Mbit/s uplink. */
export const VIDEO_MAX_BITRATE = 700_000;
export const VIDEO_MAX_FRAMERATE = 30;
export const AUDIO_MAX_BITRATE = 40_000;
/** A disconnected ICE often comes back by itself within a second or two. */
const DISCONNECTED_GRACE_MS = 2500;
/** A new session that is not connected by then is given up and tried again. */
const CONNECT_TIMEOUT_MS = 10_000;
const RESTART_TIMEOUT_MS = 5000;
const STATS_EVERY_MS = 1000;
/** How long a `live` from the room may precede our own reconnection before it is not ours. */
const REPLACED_CHECK_MS = 1500;
/** Nothing from the server for this long (after a second without): the session is gone. */
const SERVER_SILENCE_MS = 2000;

export interface PublisherHooks {
  onState(state: PublisherState): void;
  onHealth(health: UplinkHealth): void;
  /** The camera's stream for the preview (null when the camera is off). */
  onStream(stream: MediaStream | null): void;
}

export class Publisher {
  private state: PublisherState = initialPublisherState;
  private stream: MediaStream | null = null;
  private peer: SignalledPeer | null = null;
  private wanted = false;
  /** Bumped whenever the current attempt is superseded; stale callbacks check it. */
  private generation = 0;
  private attempt = 0;
  private troubled: number | null = null;
  private cameraRequest = 0;
  private timers = {
    connect: undefined as ReturnType<typeof setTimeout> | undefined,
    grace: undefined as ReturnType<typeof setTimeout> | undefined,
    retry: undefined as ReturnType<typeof setTimeout> | undefined,
    stats: undefined as ReturnType<typeof setInterval> | undefined,
  };
  private abort: AbortController | null = null;
  private lastSample: UplinkSample | null = null;
  /** When the room last said the stream is live, and when our session last connected. */
  private hostLiveAt: number | null = null;
  private connectedAt: number | null = null;

  constructor(
    private readonly endpoint: Endpoint,
    private readonly hooks: PublisherHooks,
  ) {}

  get current(): PublisherState {
    return this.state;
  }

  get mediaStream(): MediaStream | null {
    return this.stream;
  }

  private dispatch(action: PublisherAction): void {
    const next = publisherReducer(this.state, action);
    if (next === this.state) return;
    this.state = next;
    this.hooks.onState(next);
  }

  // ---- camera ------------------------------------------------------------------------

  /** Turns the camera and microphone on (or switches both). Resolves to the devices in use. */
  async startCamera(choice: DeviceChoice, exact = false): Promise<DeviceChoice | null> {
    const request = ++this.cameraRequest;
    if (!navigator.mediaDevices?.getUserMedia) {
      this.dispatch({ type: 'camera-failed', error: { kind: 'camera-insecure' } });
      return null;
    }
    if (!this.stream) this.dispatch({ type: 'camera', status: 'starting' });
    try {
      const next = await navigator.mediaDevices.getUserMedia(mediaConstraints(choice, exact));
      if (request !== this.cameraRequest) {
        for (const t of next.getTracks()) t.stop();
        return null;
      }
      const previous = this.stream;
      this.stream = next;
      await this.useTracks(next);
      for (const t of previous?.getTracks() ?? []) t.stop();
      this.hooks.onStream(next);
      this.dispatch({ type: 'camera', status: 'on' });
      return inUse(next);
    } catch (err) {
      if (request !== this.cameraRequest) return null;
      if (this.stream) {
        // Switching failed: keep what we had, say why.
        this.dispatch({
          type: 'camera-failed',
          error: { kind: cameraErrorKind(err) },
          stillOn: true,
        });
      } else {
        this.dispatch({
          type: 'camera-failed',
          error: { kind: cameraErrorKind(err), detail: String(err) },
        });
      }
      return null;
    }
  }

  /** Switches one device, keeping the other track (phones cannot open two cameras at once). */
  async switchDevice(kind: 'video' | 'audio', deviceId: string): Promise<DeviceChoice | null> {
    const stream = this.stream;
    if (!stream) return null;
    const request = ++this.cameraRequest;
    const old = stream.getTracks().find((t) => t.kind === kind);
    const choice =
      kind === 'video' ? { cameraId: deviceId, micId: null } : { cameraId: null, micId: deviceId };
    const constraints = mediaConstraints(choice, true);
    old?.stop();
    try {
      const got = await navigator.mediaDevices.getUserMedia({ [kind]: constraints[kind] });
      const track = got.getTracks()[0];
      if (!track || request !== this.cameraRequest || this.stream !== stream) {
        for (const t of got.getTracks()) t.stop();
        return null;
      }
      if (old) stream.removeTrack(old);
      stream.addTrack(track);
      await this.useTracks(stream);
      // A new MediaStream object makes the preview element pick the change up.
      const fresh = new MediaStream(stream.getTracks());
      this.stream = fresh;
      this.hooks.onStream(fresh);
      return inUse(fresh);
    } catch (err) {
      if (request !== this.cameraRequest) return null;
      this.dispatch({ type: 'camera-failed', error: { kind: cameraErrorKind(err) } });
      // The old track was stopped to free the device: try the remembered one again.
      if (this.stream === stream) await this.startCamera({ cameraId: null, micId: null });
      return null;
    }
  }

  stopCamera(): void {
    this.cameraRequest++;
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    this.stream = null;
    this.hooks.onStream(null);
    this.dispatch({ type: 'camera', status: 'off' });
  }

  /** On air: the senders take the new tracks without renegotiation. */
  private async useTracks(stream: MediaStream): Promise<void> {
    const pc = this.peer?.pc;
    if (!pc) return;
    for (const transceiver of pc.getTransceivers()) {
      const kind = transceiver.sender.track?.kind ?? transceiver.receiver.track.kind;
      const track = stream.getTracks().find((t) => t.kind === kind) ?? null;
      if (transceiver.sender.track !== track)
        await transceiver.sender.replaceTrack(track).catch(() => undefined);
    }
  }

  // ---- broadcast ---------------------------------------------------------------------

  /** Goes on air (the camera must be on). Returns false when there is nothing to send. */
  publish(): boolean {
    if (!this.stream || this.stream.getVideoTracks().length === 0) return false;
    if (this.wanted) return true;
    this.wanted = true;
    this.attempt = 0;
    this.dispatch({ type: 'publish' });
    void this.connect();
    return true;
  }

  /** Leaves the air: DELETE the session (the stream goes offline for viewers). */
  async stop(opts: { keepalive?: boolean } = {}): Promise<void> {
    this.wanted = false;
    this.generation++;
    this.clearTimers();
    this.abort?.abort();
    const peer = this.peer;
    this.peer = null;
    this.lastSample = null;
    this.hooks.onHealth(UNKNOWN_HEALTH);
    this.dispatch({ type: 'stopped' });
    await peer?.close({ sendDelete: true, keepalive: opts.keepalive ?? false });
  }

  /** Stops everything: the broadcast and the camera. The object can be started again. */
  async dispose(opts: { keepalive?: boolean } = {}): Promise<void> {
    const stopping = this.stop(opts);
    this.stopCamera();
    await stopping;
  }

  /**
   * The room's `stream` state. The server lets a new publisher replace the current one, so
   * the stream coming back on air while we are still reconnecting means someone else (OBS,
   * the host's other phone) is sending: stop instead of taking it back from them.
   */
  hostStream(state: 'live' | 'reconnecting' | 'offline', at: number): void {
    if (state !== 'live') return;
    this.hostLiveAt = at;
    if (this.state.broadcast !== 'reconnecting') return;
    setTimeout(() => {
      if (!this.wanted || this.state.broadcast !== 'reconnecting') return;
      if (this.peer?.pc.connectionState === 'connected') return;
      this.giveWay();
    }, REPLACED_CHECK_MS);
  }

  /** Someone else is on air now: stop, and say so. */
  private giveWay(): void {
    const stopping = this.stop();
    this.dispatch({ type: 'failed', error: { kind: 'replaced' } });
    void stopping;
  }

  /** The network came back (the `online` event): try at once instead of waiting. */
  retryNow(): void {
    if (!this.wanted || this.state.broadcast !== 'reconnecting' || !this.timers.retry) return;
    clearTimeout(this.timers.retry);
    this.timers.retry = undefined;
    void this.connect();
  }

  private clearTimers(): void {
    clearTimeout(this.timers.connect);
    clearTimeout(this.timers.grace);
    clearTimeout(this.timers.retry);
    clearInterval(this.timers.stats);
    this.timers = { connect: undefined, grace: undefined, retry: undefined, stats: undefined };
  }

  private async connect(): Promise<void> {
    const gen = ++this.generation;
    this.troubled = null;
    this.clearTimers();
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    try {
      const peer = await SignalledPeer.open(
        this.endpoint,
        (pc) => this.addTracks(pc),
        abort.signal,
      );
      if (gen !== this.generation) {
        await peer.close({ sendDelete: true });
        return;
      }
      // The server replaced the old session with this one; only the local side is left.
      void this.peer?.close({ sendDelete: false });
      this.peer = peer;
      this.lastSample = null;
      this.watch(peer, gen);
      await this.tune(peer.pc);
      if (gen !== this.generation) return;
      if (peer.pc.connectionState !== 'connected') {
        this.timers.connect = setTimeout(() => this.trouble(gen), CONNECT_TIMEOUT_MS);
      }
    } catch (err) {
      if (gen !== this.generation || !this.wanted) return;
      if (err instanceof MediaSessionError && err.fatal) {
        this.wanted = false;
        this.dispatch({
          type: 'failed',
          error: { kind: whipErrorKind(err.status, err.code), detail: err.message },
        });
        return;
      }
      this.scheduleRetry(gen, err instanceof MediaSessionError ? err.retryAfterMs : null);
    }
  }

  private addTracks(pc: RTCPeerConnection): void {
    const stream = this.stream;
    if (!stream) throw new Error('The camera is off');
    for (const track of stream.getTracks()) {
      const kind = track.kind as 'audio' | 'video';
      const transceiver = pc.addTransceiver(track, {
        direction: 'sendonly',
        streams: [stream],
        sendEncodings: [
          kind === 'video'
            ? { maxBitrate: VIDEO_MAX_BITRATE, maxFramerate: VIDEO_MAX_FRAMERATE }
            : { maxBitrate: AUDIO_MAX_BITRATE },
        ],
      });
      const available = RTCRtpSender.getCapabilities?.(kind)?.codecs ?? [];
      const preferred = preferredCodecs(kind, available);
      if (preferred && 'setCodecPreferences' in transceiver) {
        try {
          transceiver.setCodecPreferences(preferred);
        } catch {
          // an older browser checks against receive codecs; its default order will do
        }
      }
    }
  }

  /** One layer, the bitrate ceiling, and keep the frame rate when bandwidth is short. */
  private async tune(pc: RTCPeerConnection): Promise<void> {
    for (const sender of pc.getSenders()) {
      if (sender.track?.kind !== 'video') continue;
      try {
        const params = sender.getParameters() as RTCRtpSendParameters & {
          degradationPreference?: string;
        };
        if (!params.encodings?.length) params.encodings = [{}];
        params.encodings[0]!.maxBitrate = VIDEO_MAX_BITRATE;
        params.encodings[0]!.maxFramerate = VIDEO_MAX_FRAMERATE;
        params.degradationPreference = 'balanced';
        await sender.setParameters(params);
      } catch {
        // not supported here: the encodings given at addTransceiver stand
      }
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
          this.attempt = 0;
          this.troubled = null;
          this.connectedAt = Date.now();
          this.dispatch({ type: 'connected', at: this.connectedAt });
          this.startStats(pc, gen);
          break;
        case 'disconnected':
          // Said at once; ICE often comes back by itself, so the repair waits a moment.
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

  private trouble(gen: number): void {
    if (gen !== this.generation || !this.wanted || this.troubled === gen) return;
    this.troubled = gen;
    clearTimeout(this.timers.connect);
    clearTimeout(this.timers.grace);
    this.timers.grace = undefined;
    const lostAt = Date.now();
    if (
      replacedBySomeoneElse({ hostLiveAt: this.hostLiveAt, connectedAt: this.connectedAt, lostAt })
    ) {
      this.giveWay();
      return;
    }
    this.dispatch({ type: 'lost' });
    void this.recover(gen);
  }

  private async recover(gen: number): Promise<void> {
    const peer = this.peer;
    // First an ICE restart on the same session: the server keeps the stream as it is.
    if (this.attempt === 0 && peer?.restartable) {
      this.attempt = 1;
      this.dispatch({ type: 'retry', attempt: 1, at: null });
      try {
        await peer.restartIce();
        if (gen !== this.generation) return;
        this.troubled = null;
        this.timers.connect = setTimeout(() => this.trouble(gen), RESTART_TIMEOUT_MS);
        return;
      } catch (err) {
        if (gen !== this.generation) return;
        // The server no longer has the session: a new one at once, no waiting.
        if (err instanceof MediaSessionError && err.status === 404) {
          void this.connect();
          return;
        }
      }
    }
    this.scheduleRetry(gen, null);
  }

  private scheduleRetry(gen: number, retryAfterMs: number | null): void {
    if (gen !== this.generation || !this.wanted) return;
    this.attempt += 1;
    const delay = retryAfterMs ?? reconnectDelay(this.attempt);
    this.dispatch({ type: 'retry', attempt: this.attempt, at: Date.now() + delay });
    clearTimeout(this.timers.retry);
    this.timers.retry = setTimeout(() => {
      this.timers.retry = undefined;
      void this.connect();
    }, delay);
  }

  private startStats(pc: RTCPeerConnection, gen: number): void {
    clearInterval(this.timers.stats);
    let silentSince: number | null = null;
    this.timers.stats = setInterval(() => {
      if (gen !== this.generation) return;
      pc.getStats()
        .then((report) => {
          if (gen !== this.generation) return;
          const sample = uplinkSample(
            report.values() as Iterable<Record<string, unknown>>,
            performance.now(),
          );
          this.hooks.onHealth(uplinkHealth(this.lastSample, sample));
          const heard = heardFromServer(this.lastSample, sample);
          this.lastSample = sample;
          // The server answers what we send many times a second; its silence means our
          // session is gone (or the path is), well before ICE gives up (7 s or more).
          if (heard !== false) silentSince = null;
          else if (silentSince === null) silentSince = Date.now();
          else if (Date.now() - silentSince >= SERVER_SILENCE_MS) {
            silentSince = null;
            this.trouble(gen);
          }
        })
        .catch(() => undefined);
    }, STATS_EVERY_MS);
  }
}

/** The devices a stream actually uses (getSettings), to remember. */
function inUse(stream: MediaStream): DeviceChoice {
  return {
    cameraId: stream.getVideoTracks()[0]?.getSettings().deviceId ?? null,
    micId: stream.getAudioTracks()[0]?.getSettings().deviceId ?? null,
  };
}
