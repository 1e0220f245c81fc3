import {
  PictureLossIndication,
  RtcpPayloadSpecificFeedback,
  type RtpHeader,
  type RtpPacket,
  type RTCDtlsTransport,
  type RTCPeerConnection,
  type RTCRtpReceiver,
  type RTCRtpSender,
  type RtcpPacket,
} from 'werift';
import { startMediaWhenReady } from './peer.ts';
import { startsKeyframe } from './codecs.ts';
import type { MediaKind, NegotiatedCodec } from './sdp.ts';
import { TwccRecorder } from './twcc.ts';
import { ntpNow, ViewerSender } from './viewer-sender.ts';

/**
 * The selective forwarding unit of one live: one publisher's audio and video fanned out to
 * every viewer, without decoding.
 *
 * - **A copy per viewer.** werift's `RTCRtpSender.sendRtp` rewrites the packet it is given
 *   (SSRC, payload type, sequence number, header extensions) and keeps that same object as
 *   its NACK history. Fed one shared packet, every sender rewrites the others' history and
 *   retransmissions find the wrong sequence number and are silently dropped. So each viewer's
 *   outlet gets its own header (a few fields, no parsing) around the shared payload buffer,
 *   which werift never writes to.
 * - **Sequence numbers and timestamps per viewer.** Each outlet maps the publisher's numbers
 *   onto its own space with an offset, rebased when the publisher is replaced, so a host who
 *   reconnects after a blip continues every viewer's stream without a jump.
 * - **Keyframes.** A viewer's video starts at a keyframe; joining sends the publisher a PLI.
 *   Viewers' PLI/FIR are forwarded. All of it at most once per `pliIntervalMs`.
 * - **Feedback.** The publisher gets transport-wide congestion feedback (`twcc.ts`) and
 *   werift's NACKs; each viewer's NACKs are answered by its own sender from its own history.
 */

export type StreamState = 'live' | 'reconnecting' | 'offline';

export interface PublisherRtp {
  kind: MediaKind;
  codec: NegotiatedCodec;
  /** Shared with the relay: read it, copy it, never change it. */
  packet: RtpPacket;
  isKeyframe: boolean;
}

export interface RelayOptions {
  /** Least time between two keyframe requests (PLI) to the publisher. */
  pliIntervalMs: number;
  /** No RTP from the publisher for this long: the stream is `reconnecting`. */
  mediaTimeoutMs: number;
  /** A publisher without RTP for this long (since it connected) is dropped: `offline`. */
  giveUpMs: number;
  /** A viewer whose connection does not come up in this time is dropped. */
  viewerConnectTimeoutMs: number;
  /** How often the publisher gets congestion feedback. */
  twccIntervalMs: number;
}

export const DEFAULT_RELAY_OPTIONS: RelayOptions = {
  pliIntervalMs: 500,
  mediaTimeoutMs: 3000,
  giveUpMs: 30_000,
  viewerConnectTimeoutMs: 20_000,
  twccIntervalMs: 50,
};

export interface RelayHooks {
  onState(state: StreamState): void;
  /** Undefined when nobody listens, so the relay skips building the event. */
  tap(): ((rtp: PublisherRtp) => void) | undefined;
  /** A peer left by itself (failed, timed out, replaced): its WHIP/WHEP session is over. */
  onPeerGone(id: string): void;
  log: { warn(obj: object, msg: string): void; debug(obj: object, msg: string): void };
}

/**
 * Viewers whose peer connections live in worker threads (`workers/viewer-pool.ts`): the relay
 * posts them the publisher's packets and tells them who leaves; keyframes, codecs, state and
 * the cached GOP stay decided here.
 */
export interface RemoteViewers {
  forward(liveId: string, kind: MediaKind, packet: RtpPacket, isKeyframe: boolean): void;
  replay(id: string, packets: Array<[RtpPacket, boolean]>): void;
  removeViewer(id: string, liveId: string): void;
  closeLive(liveId: string, ids: Iterable<string>): void;
}

/**
 * A publisher that is not a WebRTC peer (an RTMP encoder, through `rtmp/`): it pushes its RTP
 * with the function `setExternalPublisher` returns and hears from the relay here.
 */
export interface ExternalSource {
  /** The relay wants a keyframe (a viewer joined or lost the picture). */
  requestKeyframe?(): void;
  /**
   * Video packets from the last keyframe on, for a viewer who starts now: an encoder that
   * cannot be asked for a keyframe would otherwise leave the viewer black until the next one.
   */
  keyframeCache?(): RtpPacket[];
  /** The relay let go of it: replaced by a newer publisher, silent too long, or closed. */
  close(reason: string): void;
}

export interface RelayStats {
  viewers: number;
  connectedViewers: number;
  hasPublisher: boolean;
  state: StreamState;
  keyframeRequests: number;
  packetsIn: number;
  /** Packets to viewers that took werift's slower `sendRtp` (see viewer-sender.ts). */
  slowSends: number;
  /** Fast-path packets sent to an address, on a socket not (yet) pinned (udp-path.ts). */
  addressedSends: number;
}

interface Inbound {
  receiver: RTCRtpReceiver;
  ssrc: number;
}

class Publisher {
  readonly inbound: Partial<Record<MediaKind, Inbound>> = {};
  lastRtpAt: number;
  twccTimer: NodeJS.Timeout | undefined;
  constructor(
    readonly id: string,
    /** Null for an external (non-WebRTC) publisher, which has a `source` instead. */
    readonly pc: RTCPeerConnection | null,
    readonly codecs: Partial<Record<MediaKind, NegotiatedCodec>>,
    readonly source: ExternalSource | null = null,
  ) {
    this.lastRtpAt = Date.now();
  }
}

const seqNewer = (a: number, b: number) => a !== b && ((a - b) & 0xffff) < 0x8000;

/**
 * How fast a cached GOP is replayed to a viewer who starts (`Outlet.replay`): 10 Mbit/s, so
 * a second of a 1.5 Mbit/s stream takes about 150 ms instead of landing as one burst.
 */
const REPLAY_BYTES_PER_MS = 1250;

/** One viewer's audio or video: its sender and its own numbering. */
export class Outlet {
  active = false;
  private waitingKeyframe: boolean;
  private sourceSsrc: number | undefined;
  private needsRebase = true;
  private seqOffset = 0;
  private tsOffset = 0;
  private lastSeq: number | undefined;
  private lastTs: number | undefined;
  private lastSentAt = 0;
  /** Live packets waiting behind a replay, which go out in order once it is done. */
  private queue: Array<[RtpPacket, boolean]> | undefined;
  private readonly out: ViewerSender;

  constructor(
    readonly kind: MediaKind,
    readonly sender: RTCRtpSender,
    readonly codec: NegotiatedCodec,
  ) {
    this.waitingKeyframe = kind === 'video';
    this.out = new ViewerSender(sender);
  }

  /** Packets that went through werift's `sendRtp` rather than the fast path. */
  get slowSends(): number {
    return this.out.fallbacks;
  }

  /** Fast-path packets that went to an address rather than on a pinned socket. */
  get addressedSends(): number {
    return this.out.addressedSends;
  }

  get isWaitingForKeyframe(): boolean {
    return this.active && this.waitingKeyframe;
  }

  /** (Re)starts at the next keyframe, e.g. once the viewer's connection is up. */
  activate(): void {
    this.active = true;
    this.waitingKeyframe = this.kind === 'video';
    this.queue = undefined;
  }

  /**
   * Sends packets from before now (an external publisher's cached GOP) ahead of the live
   * ones, paced at {@link REPLAY_BYTES_PER_MS} rather than as one burst that the viewer's
   * link (or its UDP receive buffer) would partly drop; live packets wait behind them.
   */
  replay(packets: Array<[RtpPacket, boolean]>): void {
    if (!this.active || packets.length === 0) return;
    const queue: Array<[RtpPacket, boolean]> = [...packets];
    this.queue = queue;
    let sent = 0;
    let last = Date.now();
    const drain = () => {
      if (this.queue !== queue) return;
      const now = Date.now();
      let budget = Math.max(1200, (now - last) * REPLAY_BYTES_PER_MS);
      last = now;
      // A stream faster than the replay would never let it end: then the rest goes at once.
      if (queue.length - sent > 5000) budget = Infinity;
      const ntp = ntpNow();
      while (budget > 0 && sent < queue.length) {
        const [packet, isKeyframe] = queue[sent++]!;
        budget -= packet.payload.length;
        this.send(packet, isKeyframe, now, ntp);
      }
      if (sent < queue.length) setTimeout(drain, 2);
      else this.queue = undefined;
    };
    drain();
  }

  /** `ntp`: `ntpNow()` at `now`, read once per packet for all viewers. */
  forward(packet: RtpPacket, isKeyframe: boolean, now: number, ntp: bigint): void {
    if (this.queue) this.queue.push([packet, isKeyframe]);
    else this.send(packet, isKeyframe, now, ntp);
  }

  private send(packet: RtpPacket, isKeyframe: boolean, now: number, ntp: bigint): void {
    if (!this.active) return;
    const h = packet.header;
    if (h.ssrc !== this.sourceSsrc) {
      // A new publisher (or its first packet): continue our numbering from where we were.
      this.sourceSsrc = h.ssrc;
      this.needsRebase = true;
      this.waitingKeyframe = this.kind === 'video';
    }
    if (this.waitingKeyframe) {
      if (!isKeyframe) return;
      this.waitingKeyframe = false;
    }
    if (this.needsRebase) {
      this.rebase(h, now);
      this.needsRebase = false;
    }
    const seq = (h.sequenceNumber + this.seqOffset) & 0xffff;
    const ts = (h.timestamp + this.tsOffset) >>> 0;
    if (this.lastSeq === undefined || seqNewer(seq, this.lastSeq)) {
      this.lastSeq = seq;
      this.lastTs = ts;
      this.lastSentAt = now;
    }
    this.out.send(packet, seq, ts, ntp);
  }

  private rebase(h: RtpHeader, now: number): void {
    const seq =
      this.lastSeq === undefined
        ? Math.floor(Math.random() * 0x10000)
        : (this.lastSeq + 1) & 0xffff;
    this.seqOffset = (seq - h.sequenceNumber) & 0xffff;
    const ts =
      this.lastTs === undefined
        ? Math.floor(Math.random() * 0x1_0000_0000)
        : this.lastTs +
          Math.max(1, Math.round(((now - this.lastSentAt) * this.codec.clockRate) / 1000));
    this.tsOffset = (ts - h.timestamp) >>> 0;
  }
}

export { copyPacket } from './viewer-sender.ts';

class Viewer {
  readonly outlets: Partial<Record<MediaKind, Outlet>> = {};
  connectTimer: NodeJS.Timeout | undefined;
  constructor(
    readonly id: string,
    readonly pc: RTCPeerConnection,
  ) {}
}

/** RFC 5104 FIR's feedback message type (werift parses it but does not export the class). */
const FIR_FMT = 4;

export const isKeyframeRequest = (rtcp: RtcpPacket) =>
  rtcp.type === RtcpPayloadSpecificFeedback.type &&
  [PictureLossIndication.count, FIR_FMT].includes(
    (rtcp as RtcpPayloadSpecificFeedback).feedback?.count,
  );

export class LiveRelay {
  private publisher: Publisher | null = null;
  private readonly viewers = new Map<string, Viewer>();
  private state: StreamState = 'offline';
  /** The last publisher's codecs, so viewers who join while the host reconnects match them. */
  private lastCodecs: Partial<Record<MediaKind, NegotiatedCodec>> = {};
  private lastKeyframeRequestAt = -Infinity;
  private keyframeTimer: NodeJS.Timeout | undefined;
  private keyframeForced = false;
  private watchdog: NodeJS.Timeout | undefined;
  private keyframeRequests = 0;
  private packetsIn = 0;
  private closed = false;
  /** Viewers in worker threads, with the codecs they negotiated. */
  private readonly remoteViewers = new Map<string, Partial<Record<MediaKind, NegotiatedCodec>>>();
  /** Worker viewers that are connected; those waiting for their first keyframe. */
  private readonly remoteConnected = new Set<string>();
  private readonly remoteWaiting = new Set<string>();

  constructor(
    readonly liveId: string,
    private readonly hooks: RelayHooks,
    private readonly options: RelayOptions = DEFAULT_RELAY_OPTIONS,
    private readonly remote: RemoteViewers | null = null,
  ) {}

  /** Codecs a new viewer must receive: the publisher's, or the last one's. */
  get codecs(): Partial<Record<MediaKind, NegotiatedCodec>> {
    return this.publisher?.codecs ?? this.lastCodecs;
  }

  get isIdle(): boolean {
    return !this.publisher && this.viewers.size === 0 && this.remoteViewers.size === 0;
  }

  stats(): RelayStats {
    return {
      viewers: this.viewers.size + this.remoteViewers.size,
      connectedViewers:
        [...this.viewers.values()].filter((v) => v.pc.connectionState === 'connected').length +
        this.remoteConnected.size,
      hasPublisher: this.publisher !== null,
      state: this.state,
      keyframeRequests: this.keyframeRequests,
      packetsIn: this.packetsIn,
      slowSends: [...this.viewers.values()]
        .flatMap((v) => Object.values(v.outlets))
        .reduce((n, o) => n + o.slowSends, 0),
      addressedSends: [...this.viewers.values()]
        .flatMap((v) => Object.values(v.outlets))
        .reduce((n, o) => n + o.addressedSends, 0),
    };
  }

  /**
   * Makes a negotiated peer the publisher, replacing (and closing) the previous one: the host
   * who reconnects after a blip wins over their own stale connection.
   */
  setPublisher(
    id: string,
    pc: RTCPeerConnection,
    codecs: Partial<Record<MediaKind, NegotiatedCodec>>,
  ): void {
    if (this.closed) throw new Error('relay closed');
    const publisher = new Publisher(id, pc, codecs);
    this.replacePublisher(publisher);

    // One recorder per transport (one in all with BUNDLE): the sequence is transport-wide.
    const recorders = new Map<RTCDtlsTransport, TwccRecorder>();
    for (const transceiver of pc.getTransceivers()) {
      const kind = transceiver.kind as MediaKind;
      const track = transceiver.receiver.tracks[0];
      if (!codecs[kind] || !track?.ssrc) continue;
      publisher.inbound[kind] = { receiver: transceiver.receiver, ssrc: track.ssrc };
      track.onReceiveRtp.subscribe((packet) => this.onPublisherRtp(publisher, kind, packet));
      const dtls = transceiver.receiver.dtlsTransport;
      let recorder = recorders.get(dtls);
      if (!recorder)
        recorders.set(
          dtls,
          (recorder = new TwccRecorder(transceiver.receiver.rtcpSsrc, track.ssrc)),
        );
      // Replaces werift's per-track TWCC receiver (see twcc.ts); werift's receive path calls
      // `handleTWCC` for every packet with a transport-wide sequence number, padding included.
      const record = recorder;
      transceiver.receiver.receiverTWCC = {
        handleTWCC: (seq: number | undefined) => record.record(seq),
      } as unknown as RTCRtpReceiver['receiverTWCC'];
    }
    if (recorders.size > 0) {
      publisher.twccTimer = setInterval(() => {
        for (const [dtls, recorder] of recorders) {
          const feedback = recorder.build();
          if (feedback && dtls.state === 'connected') {
            dtls.sendRtcp([{ serialize: () => feedback } as never]).catch(() => undefined);
          }
        }
      }, this.options.twccIntervalMs);
    }

    pc.connectionStateChange.subscribe((state) => {
      if (this.publisher !== publisher) return;
      // Its silence is counted from when it could first send, not from the POST.
      if (state === 'connected') publisher.lastRtpAt = Math.max(publisher.lastRtpAt, Date.now());
      if (state === 'failed' && this.state === 'live') this.setState('reconnecting');
      if (state === 'closed') this.gonePublisher(id, 'closed');
    });
    this.startWatchdog();
  }

  /**
   * Makes a non-WebRTC publisher (an RTMP encoder) the publisher, replacing the current one
   * as `setPublisher` does. Returns the function it pushes its RTP with; the relay then
   * treats it like a WHIP publisher (state, timeouts, viewers, taps).
   */
  setExternalPublisher(
    id: string,
    codecs: Partial<Record<MediaKind, NegotiatedCodec>>,
    source: ExternalSource,
  ): (kind: MediaKind, packet: RtpPacket) => void {
    if (this.closed) throw new Error('relay closed');
    const publisher = new Publisher(id, null, codecs, source);
    this.replacePublisher(publisher);
    this.startWatchdog();
    return (kind, packet) => this.onPublisherRtp(publisher, kind, packet);
  }

  private replacePublisher(publisher: Publisher): void {
    const previous = this.publisher;
    const { codecs } = publisher;
    this.publisher = publisher;
    this.lastCodecs = codecs;
    if (previous) {
      this.dropPublisher(previous, 'replaced');
      this.hooks.onPeerGone(previous.id);
      if (this.state === 'live') this.setState('reconnecting');
    }
    // Viewers who negotiated another video codec cannot decode this publisher: close them,
    // their players reconnect and negotiate again.
    for (const viewer of this.viewers.values()) {
      const outlet = viewer.outlets.video;
      if (
        outlet &&
        codecs.video &&
        outlet.codec.name.toLowerCase() !== codecs.video.name.toLowerCase()
      ) {
        this.removeViewer(viewer.id);
        this.hooks.onPeerGone(viewer.id);
      }
    }
    for (const [id, viewerCodecs] of this.remoteViewers) {
      const video = viewerCodecs.video;
      if (video && codecs.video && video.name.toLowerCase() !== codecs.video.name.toLowerCase()) {
        this.removeViewer(id);
        this.hooks.onPeerGone(id);
      }
    }
  }

  /** Adds a negotiated viewer; it receives from the next keyframe once connected. */
  addViewer(
    id: string,
    pc: RTCPeerConnection,
    codecs: Partial<Record<MediaKind, NegotiatedCodec>>,
  ): void {
    if (this.closed) throw new Error('relay closed');
    const viewer = new Viewer(id, pc);
    for (const transceiver of pc.getTransceivers()) {
      const kind = transceiver.kind as MediaKind;
      const codec = codecs[kind];
      if (!codec || viewer.outlets[kind] || !transceiver.sender.codec) continue;
      viewer.outlets[kind] = new Outlet(kind, transceiver.sender, codec);
      transceiver.sender.onRtcp.subscribe((rtcp) => {
        if (kind === 'video' && isKeyframeRequest(rtcp)) this.requestKeyframe(true);
      });
    }
    this.viewers.set(id, viewer);
    viewer.connectTimer = setTimeout(() => {
      if (viewer.pc.connectionState !== 'connected') this.goneViewer(id, 'no connection');
    }, this.options.viewerConnectTimeoutMs);
    const start = () => {
      if (this.viewers.get(id) !== viewer || pc.connectionState !== 'connected') return;
      for (const outlet of Object.values(viewer.outlets)) outlet.activate();
      this.startFromCache(viewer);
      this.requestKeyframe(false);
    };
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') {
        clearTimeout(viewer.connectTimer);
        startMediaWhenReady(pc, start);
      } else if (state === 'failed' || state === 'closed') {
        this.goneViewer(id, state);
      }
    });
  }

  /**
   * Adds a viewer negotiated in a worker: the relay posts it the publisher's packets from
   * now on; it starts at the next keyframe once connected (`remoteViewerStarted`).
   */
  addRemoteViewer(id: string, codecs: Partial<Record<MediaKind, NegotiatedCodec>>): void {
    if (this.closed || !this.remote) throw new Error('relay closed');
    this.remoteViewers.set(id, codecs);
  }

  /** A worker viewer's connection came up: the cached GOP, or a keyframe request. */
  remoteViewerStarted(id: string): void {
    if (!this.remoteViewers.has(id)) return;
    this.remoteConnected.add(id);
    if (!this.remoteViewers.get(id)!.video) return;
    this.remoteWaiting.add(id);
    const publisher = this.publisher;
    const codec = publisher?.codecs.video;
    if (codec && publisher.source?.keyframeCache) {
      const packets = publisher.source.keyframeCache();
      if (packets.length > 0) {
        this.remote!.replay(
          id,
          packets.map((p) => [p, startsKeyframe(codec, p.payload)]),
        );
        this.remoteWaiting.delete(id);
      }
    }
    this.requestKeyframe(false);
  }

  hasPeer(id: string): boolean {
    return this.publisher?.id === id || this.viewers.has(id) || this.remoteViewers.has(id);
  }

  /** Stops a publisher (WHIP DELETE or timeout): the stream goes offline. */
  removePublisher(id: string, reason = 'stopped'): void {
    const publisher = this.publisher;
    if (!publisher || publisher.id !== id) return;
    this.publisher = null;
    this.dropPublisher(publisher, reason);
    this.stopWatchdog();
    this.setState('offline');
  }

  removeViewer(id: string): void {
    if (this.remoteViewers.delete(id)) {
      this.remoteConnected.delete(id);
      this.remoteWaiting.delete(id);
      this.remote!.removeViewer(id, this.liveId);
      return;
    }
    const viewer = this.viewers.get(id);
    if (!viewer) return;
    this.viewers.delete(id);
    clearTimeout(viewer.connectTimer);
    void viewer.pc.close().catch(() => undefined);
  }

  /**
   * Asks the publisher for a keyframe, at most once per interval. A request inside the
   * interval is kept for its end, and then sent only if still needed: `force` (a viewer's
   * decoder asked) or a viewer still waiting to start.
   */
  requestKeyframe(force: boolean): void {
    const wait = this.lastKeyframeRequestAt + this.options.pliIntervalMs - Date.now();
    if (wait <= 0) {
      this.sendPli();
      return;
    }
    this.keyframeForced ||= force;
    this.keyframeTimer ??= setTimeout(() => {
      this.keyframeTimer = undefined;
      const needed =
        this.keyframeForced ||
        this.remoteWaiting.size > 0 ||
        [...this.viewers.values()].some((v) => v.outlets.video?.isWaitingForKeyframe);
      this.keyframeForced = false;
      if (needed) this.sendPli();
    }, wait);
  }

  /** Closes every peer. `silent` on shutdown: nobody is left to tell. */
  async close(silent = false): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.keyframeTimer);
    this.stopWatchdog();
    const pcs: RTCPeerConnection[] = [];
    if (this.publisher) {
      if (this.publisher.pc) pcs.push(this.publisher.pc);
      this.publisher.source?.close('relay closed');
      clearInterval(this.publisher.twccTimer);
      this.publisher = null;
    }
    for (const viewer of this.viewers.values()) {
      clearTimeout(viewer.connectTimer);
      pcs.push(viewer.pc);
    }
    this.viewers.clear();
    if (this.remoteViewers.size > 0) this.remote!.closeLive(this.liveId, this.remoteViewers.keys());
    this.remoteViewers.clear();
    this.remoteConnected.clear();
    this.remoteWaiting.clear();
    if (!silent) this.setState('offline');
    await Promise.allSettled(pcs.map((pc) => pc.close()));
  }

  private onPublisherRtp(publisher: Publisher, kind: MediaKind, packet: RtpPacket): void {
    if (this.publisher !== publisher) return;
    const now = Date.now();
    publisher.lastRtpAt = now;
    this.packetsIn++;
    if (this.state !== 'live') this.setState('live');
    const codec = publisher.codecs[kind]!;
    const isKeyframe = kind === 'video' && startsKeyframe(codec, packet.payload);
    const ntp = ntpNow();
    for (const viewer of this.viewers.values())
      viewer.outlets[kind]?.forward(packet, isKeyframe, now, ntp);
    if (this.remoteViewers.size > 0) {
      this.remote!.forward(this.liveId, kind, packet, isKeyframe);
      // Every worker viewer connected by now starts at this keyframe.
      if (isKeyframe) this.remoteWaiting.clear();
    }
    this.hooks.tap()?.({ kind, codec, packet, isKeyframe });
  }

  /** A viewer who starts while an external publisher's GOP is cached gets it at once. */
  private startFromCache(viewer: Viewer): void {
    const outlet = viewer.outlets.video;
    const publisher = this.publisher;
    const codec = publisher?.codecs.video;
    if (!outlet?.isWaitingForKeyframe || !codec || !publisher.source?.keyframeCache) return;
    outlet.replay(
      publisher.source.keyframeCache().map((p) => [p, startsKeyframe(codec, p.payload)]),
    );
  }

  private sendPli(): void {
    this.lastKeyframeRequestAt = Date.now();
    const source = this.publisher?.source;
    if (source) {
      if (source.requestKeyframe) {
        this.keyframeRequests++;
        source.requestKeyframe();
      }
      return;
    }
    const video = this.publisher?.inbound.video;
    if (!video || video.receiver.dtlsTransport?.state !== 'connected') return;
    this.keyframeRequests++;
    const pli = new RtcpPayloadSpecificFeedback({
      feedback: new PictureLossIndication({
        senderSsrc: video.receiver.rtcpSsrc,
        mediaSsrc: video.ssrc,
      }),
    });
    video.receiver.dtlsTransport.sendRtcp([pli]).catch(() => undefined);
  }

  private dropPublisher(publisher: Publisher, reason: string): void {
    clearInterval(publisher.twccTimer);
    void publisher.pc?.close().catch(() => undefined);
    publisher.source?.close(reason);
  }

  private gonePublisher(id: string, reason: string): void {
    if (this.publisher?.id !== id) return;
    this.hooks.log.warn({ liveId: this.liveId, publisher: id, reason }, 'publisher gone');
    this.removePublisher(id, reason);
    this.hooks.onPeerGone(id);
  }

  private goneViewer(id: string, reason: string): void {
    if (!this.viewers.has(id)) return;
    this.hooks.log.debug({ liveId: this.liveId, viewer: id, reason }, 'viewer gone');
    this.removeViewer(id);
    this.hooks.onPeerGone(id);
  }

  private setState(state: StreamState): void {
    if (state === this.state) return;
    this.state = state;
    this.hooks.onState(state);
  }

  private startWatchdog(): void {
    this.watchdog ??= setInterval(
      () => {
        const publisher = this.publisher;
        if (!publisher) return this.stopWatchdog();
        const silentFor = Date.now() - publisher.lastRtpAt;
        if (silentFor > this.options.giveUpMs) {
          this.gonePublisher(publisher.id, `silent for ${silentFor} ms`);
        } else if (silentFor > this.options.mediaTimeoutMs && this.state === 'live') {
          this.setState('reconnecting');
        }
        // The keyframe asked for on join may have been lost (or the publisher was not there
        // yet): ask again rather than leave a viewer black until the next periodic one.
        if (
          this.remoteWaiting.size > 0 ||
          [...this.viewers.values()].some((v) => v.outlets.video?.isWaitingForKeyframe)
        ) {
          this.requestKeyframe(false);
        }
      },
      Math.min(1000, this.options.mediaTimeoutMs / 2),
    );
    this.watchdog.unref();
  }

  private stopWatchdog(): void {
    clearInterval(this.watchdog);
    this.watchdog = undefined;
  }
}
