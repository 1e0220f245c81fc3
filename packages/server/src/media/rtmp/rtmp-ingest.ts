import net from 'node:net';
import type AVPacket from 'node-media-server/src/core/avpacket.js';
import Flv from 'node-media-server/src/protocol/flv.js';
import Rtmp from 'node-media-server/src/protocol/rtmp.js';
import nmsLogger from 'node-media-server/src/core/logger.js';
import type { RtpPacket } from 'werift';
import { startsKeyframe } from '../codecs.ts';
import type { ExternalPublisher, Media } from '../media.service.ts';
import type { MediaKind, NegotiatedCodec } from '../sdp.ts';
import { KeyframeCache } from './keyframe-cache.ts';
import { AUDIO_PAYLOAD_TYPE, Transcoder, VIDEO_PAYLOAD_TYPE } from './transcoder.ts';

// Its protocol layer logs through a console logger of its own at debug level.
nmsLogger.level = 'error';

/** The RTMP application encoders publish to: rtmp://host:1935/live/<stream key>. */
export const RTMP_APP = 'live';

const FLV_AUDIO = 8;
const FLV_VIDEO = 9;
const FLV_CODEC_AVC = 7;
const AUDIO_HEADER = 0;
const VIDEO_HEADER = 2;
const VIDEO_KEYFRAME = 3;

export interface RtmpIngestOptions {
  port: number;
  host: string;
  ffmpegPath?: string;
  /** Open RTMP connections at once, publishing or not. */
  maxConnections?: number;
  /** From TCP connect to the first keyframe, and the longest a connection may stay silent. */
  timeoutMs?: number;
}

interface Logger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface RtmpIngestStats {
  connections: number;
  publishing: number;
  refused: number;
  /** Per live being published: ms from a video frame's arrival over RTMP to its RTP out of ffmpeg (median of the last 50). */
  lives: Record<string, { transcodeDelayMs: number | null }>;
}

/**
 * RTMP ingest, for OBS before 30 and phone encoder apps that do not speak WHIP. Uses
 * node-media-server's protocol layer (handshake, chunk stream, AMF commands, FLV tags) and
 * nothing else of it; each authorised publish gets an ffmpeg that turns its FLV into RTP
 * (`transcoder.ts`), which enters the live's relay as an external publisher. See
 * docs/decisions/0010-rtmp-ingest.md.
 */
export function createRtmpIngest(deps: { options: RtmpIngestOptions; media: Media; log: Logger }) {
  const { options, media, log } = deps;
  const connections = new Set<RtmpConnection>();
  const server = net.createServer((socket) => {
    if (connections.size >= (options.maxConnections ?? 50)) {
      socket.destroy();
      return;
    }
    const c = new RtmpConnection(socket, {
      media,
      log,
      ffmpegPath: options.ffmpegPath ?? 'ffmpeg',
      timeoutMs: options.timeoutMs ?? 10_000,
      onClosed: () => connections.delete(c),
      onRefused: () => void counters.refused++,
    });
    connections.add(c);
  });
  const counters = { refused: 0 };
  let listening = false;

  return {
    /**
     * Listens. A port already taken is logged, not thrown: WHIP still works, and a second
     * server process on the same machine (tests, a rolling restart) must not fail to start.
     */
    async start(): Promise<void> {
      await new Promise<void>((resolve) => {
        const onError = (err: NodeJS.ErrnoException) => {
          log.error(
            { err, port: options.port },
            `RTMP ingest is off: cannot listen on ${options.host}:${options.port}`,
          );
          resolve();
        };
        server.once('error', onError);
        server.listen(options.port, options.host, () => {
          server.off('error', onError);
          listening = true;
          log.info({ port: this.port }, 'RTMP ingest listening');
          resolve();
        });
      });
    },

    /** The port it listens on (the real one when asked for 0), or undefined. */
    get port(): number | undefined {
      return listening ? (server.address() as net.AddressInfo).port : undefined;
    },

    stats(): RtmpIngestStats {
      const lives: RtmpIngestStats['lives'] = {};
      for (const c of connections)
        if (c.isPublishing && c.live) lives[c.live] = { transcodeDelayMs: c.transcodeDelayMs };
      return {
        connections: connections.size,
        publishing: Object.keys(lives).length,
        refused: counters.refused,
        lives,
      };
    },

    async close(): Promise<void> {
      for (const c of connections) c.close('server closing', { offline: false });
      if (!listening) return;
      listening = false;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type RtmpIngest = ReturnType<typeof createRtmpIngest>;

interface ConnectionDeps {
  media: Media;
  log: Logger;
  ffmpegPath: string;
  timeoutMs: number;
  onClosed(): void;
  onRefused(): void;
}

/**
 * One encoder's TCP connection: publish to `live/<stream key>` → the key is checked → FLV is
 * held until the first keyframe (the codecs are known then) → ffmpeg and the relay.
 */
class RtmpConnection {
  private readonly rtmp = new Rtmp();
  private app = '';
  private streamKey = '';
  private state: 'connected' | 'authorising' | 'waiting' | 'starting' | 'publishing' | 'closed' =
    'connected';
  private liveId: string | undefined;
  /** The sequence headers, which ffmpeg must read first. */
  private readonly headers: Partial<Record<'audio' | 'video', Buffer>> = {};
  /** FLV tags from the first keyframe on, held until ffmpeg runs. */
  private held: Buffer[] = [];
  private heldBytes = 0;
  private hasAudio = false;
  private profileLevelId: string | undefined;
  private sawKeyframe = false;
  /** The encoder said it stops (deleteStream), rather than the connection dropping. */
  private unpublished = false;
  private transcoder: Transcoder | undefined;
  private publisher: ExternalPublisher | undefined;
  private readonly cache = new KeyframeCache();
  private readonly deadline: NodeJS.Timeout;
  /** When each recent video frame (by its presentation time, ms) came in over RTMP. */
  private readonly arrivals = new Map<number, number>();
  private firstKeyframePts: number | undefined;
  private rtpTimestampBase: number | undefined;
  /** The last frames' delays through ffmpeg, in ms. */
  private readonly delays: number[] = [];

  constructor(
    private readonly socket: net.Socket,
    private readonly deps: ConnectionDeps,
  ) {
    socket.setNoDelay(true);
    socket.setTimeout(deps.timeoutMs, () => this.close('connection silent', { offline: false }));
    socket.on('data', (data: Buffer) => this.onData(data));
    socket.on('close', () => this.close('connection closed', { offline: this.unpublished }));
    socket.on('error', () => undefined);
    this.deadline = setTimeout(() => {
      if (this.state !== 'publishing' && this.state !== 'starting')
        this.refuse('NetStream.Publish.Failed', 'No H.264 keyframe in time');
    }, deps.timeoutMs);

    const rtmp = this.rtmp;
    rtmp.onOutputCallback = (buffer) => {
      if (!socket.destroyed && socket.writable) socket.write(buffer);
    };
    rtmp.onConnectCallback = (req) => {
      this.app = req.app;
      this.streamKey = req.name;
    };
    rtmp.onPushCallback = () => void this.onPublish();
    rtmp.onPlayCallback = () => {
      rtmp.sendStatusMessage(
        rtmp.streamId,
        'error',
        'NetStream.Play.Failed',
        'Watch over WebRTC or HLS',
      );
      this.close('play refused', { offline: false });
    };
    rtmp.onPacketCallback = (packet) => this.onPacket(packet);
    // "Stop streaming": the stream goes offline now, not when the connection closes.
    rtmp.onDeleteStream = () => {
      this.unpublished = true;
      this.close('unpublished', { offline: true });
    };
  }

  get isPublishing(): boolean {
    return this.state === 'publishing';
  }

  get live(): string | undefined {
    return this.liveId;
  }

  /** Median delay of the last 50 frames through ffmpeg, in ms; null before the first. */
  get transcodeDelayMs(): number | null {
    if (this.delays.length === 0) return null;
    return [...this.delays].sort((a, b) => a - b)[this.delays.length >> 1]!;
  }

  /**
   * Ends the connection and its ffmpeg. `offline`: the encoder stopped on purpose, so the
   * stream goes offline now; otherwise (a dropped connection) the relay turns it
   * `reconnecting`, and `offline` only if the encoder is not back within its give-up time.
   */
  close(reason: string, opts: { offline: boolean; fromRelay?: boolean }): void {
    if (this.state === 'closed') return;
    const wasPublishing = this.state === 'publishing' || this.state === 'starting';
    this.state = 'closed';
    clearTimeout(this.deadline);
    this.transcoder?.close();
    this.held = [];
    this.cache.clear();
    if (this.publisher && !opts.fromRelay && opts.offline) this.publisher.stop();
    if (!this.socket.destroyed) this.socket.end(() => this.socket.destroy());
    // A half-open peer must not keep the socket: give it a moment to read our last words.
    setTimeout(() => this.socket.destroy(), 1000).unref();
    this.deps.onClosed();
    if (wasPublishing) this.deps.log.info({ liveId: this.liveId, reason }, 'RTMP publish ended');
    else this.deps.log.debug({ reason }, 'RTMP connection closed');
  }

  private onData(data: Buffer): void {
    if (this.state === 'closed') return;
    let err: string | null;
    try {
      err = this.rtmp.parserData(data);
    } catch (e) {
      err = (e as Error).message;
    }
    if (err) this.close(`protocol error: ${err}`, { offline: false });
  }

  private refuse(code: string, why: string): void {
    if (this.state === 'closed') return;
    this.deps.onRefused();
    this.deps.log.info({ liveId: this.liveId, why }, 'RTMP publish refused');
    // OBS and ffmpeg show the description.
    this.rtmp.sendStatusMessage(this.rtmp.streamId, 'error', code, why);
    this.close(why, { offline: false });
  }

  private async onPublish(): Promise<void> {
    if (this.state !== 'connected')
      return this.refuse('NetStream.Publish.BadName', 'One stream per connection');
    if (this.app !== RTMP_APP)
      return this.refuse(
        'NetStream.Publish.BadName',
        `Publish to rtmp://<host>/${RTMP_APP}/<stream key>`,
      );
    this.state = 'authorising';
    let liveId: string | null;
    try {
      liveId = await this.deps.media.liveForStreamKey(this.streamKey);
    } catch (err) {
      this.deps.log.warn({ err }, 'RTMP stream key lookup failed');
      liveId = null;
    }
    if (this.state !== 'authorising') return;
    if (!liveId)
      return this.refuse('NetStream.Publish.BadName', 'Unknown stream key, or the show has ended');
    this.liveId = liveId;
    this.state = 'waiting';
    void this.maybeStart();
  }

  private onPacket(packet: AVPacket): void {
    if (this.state === 'closed' || this.state === 'connected') return;
    const { codec_type: type, flags } = packet;
    if (type === FLV_VIDEO) {
      if (packet.codec_id !== FLV_CODEC_AVC)
        return this.refuse('NetStream.Publish.Failed', 'Send H.264 video (not HEVC or AV1)');
      if (flags === VIDEO_HEADER) {
        // AVCDecoderConfigurationRecord after the 5-byte FLV video header: profile, constraints, level.
        if (packet.size >= 9) this.profileLevelId = packet.data.subarray(6, 9).toString('hex');
      } else if (flags === VIDEO_KEYFRAME) {
        this.sawKeyframe = true;
        this.firstKeyframePts ??= packet.pts;
      } else if (!this.sawKeyframe) {
        return; // Nothing decodes before the first keyframe.
      }
      if (flags !== VIDEO_HEADER) {
        this.arrivals.set(packet.pts, Date.now());
        if (this.arrivals.size > 300) this.arrivals.delete(this.arrivals.keys().next().value!);
      }
    } else if (type === FLV_AUDIO) {
      this.hasAudio = true;
      if (flags !== AUDIO_HEADER && !this.sawKeyframe) return;
    } else {
      return; // Metadata: ffmpeg reads the codecs from the sequence headers.
    }
    const tag = Flv.createMessage(packet);
    if (this.state === 'publishing') {
      if (!this.transcoder?.write(tag)) this.close('ffmpeg is not keeping up', { offline: false });
      return;
    }
    if (flags === VIDEO_HEADER) this.headers.video = tag;
    else if (type === FLV_AUDIO && flags === AUDIO_HEADER) this.headers.audio = tag;
    else this.held.push(tag);
    this.heldBytes += tag.length;
    if (this.heldBytes > 8 * 1024 * 1024)
      return this.refuse('NetStream.Publish.Failed', 'No H.264 keyframe in time');
    void this.maybeStart();
  }

  /**
   * ffmpeg stamps video RTP with the frame's presentation time (90 kHz, from a random base);
   * its first frame is our first keyframe, which gives the base.
   */
  private measure(rtpTimestamp: number): void {
    if (this.firstKeyframePts === undefined) return;
    this.rtpTimestampBase ??= (rtpTimestamp - this.firstKeyframePts * 90) >>> 0;
    const pts = Math.round(((rtpTimestamp - this.rtpTimestampBase) >>> 0) / 90);
    const arrived = this.arrivals.get(pts);
    if (arrived === undefined) return;
    this.delays.push(Date.now() - arrived);
    if (this.delays.length > 50) this.delays.shift();
  }

  /** Once the key is good and the first keyframe is in: ffmpeg, then the relay. */
  private async maybeStart(): Promise<void> {
    if (this.state !== 'waiting' || !this.sawKeyframe || !this.profileLevelId) return;
    this.state = 'starting';
    clearTimeout(this.deadline);
    const codecs: Partial<Record<MediaKind, NegotiatedCodec>> = {
      video: {
        kind: 'video',
        name: 'H264',
        payloadType: VIDEO_PAYLOAD_TYPE,
        clockRate: 90000,
        fmtp: `profile-level-id=${this.profileLevelId};packetization-mode=1;level-asymmetry-allowed=1`,
      },
      ...(this.hasAudio && {
        audio: {
          kind: 'audio',
          name: 'opus',
          payloadType: AUDIO_PAYLOAD_TYPE,
          clockRate: 48000,
          channels: 2,
          fmtp: 'minptime=10;useinbandfec=1',
        },
      }),
    };
    const video = codecs.video!;
    let push: ((kind: MediaKind, packet: RtpPacket) => void) | undefined;
    try {
      this.transcoder = await Transcoder.start({
        ffmpegPath: this.deps.ffmpegPath,
        audio: this.hasAudio,
        onRtp: (kind, packet) => {
          if (kind === 'video') {
            this.cache.add(packet, startsKeyframe(video, packet.payload));
            if (packet.header.marker) this.measure(packet.header.timestamp);
          }
          push?.(kind, packet);
        },
        onExit: (why) => {
          this.deps.log.warn({ liveId: this.liveId, why }, 'RTMP transcoder stopped');
          this.close('transcoder stopped', { offline: false });
        },
      });
      if (this.state !== 'starting') return this.transcoder.close();
      const publisher = await this.deps.media.publishExternal(this.streamKey, codecs, {
        keyframeCache: () => this.cache.replay(),
        close: (reason) => this.close(`relay: ${reason}`, { offline: false, fromRelay: true }),
      });
      if (this.state !== 'starting') return publisher?.stop();
      if (!publisher)
        return this.refuse(
          'NetStream.Publish.BadName',
          'Unknown stream key, or the show has ended',
        );
      this.publisher = publisher;
      push = publisher.push;
    } catch (err) {
      this.deps.log.error({ err, liveId: this.liveId }, 'RTMP ingest could not start');
      return this.refuse('NetStream.Publish.Failed', 'The server could not take the stream');
    }
    const transcoder = this.transcoder;
    transcoder.write(Flv.createHeader(this.hasAudio, true));
    for (const tag of [this.headers.audio, this.headers.video, ...this.held])
      if (tag) transcoder.write(tag);
    // ffmpeg may run and send audio yet fail its video output (it then says why on stderr).
    setTimeout(() => {
      if (this.transcoder === transcoder && transcoder.packetsOut.video === 0)
        this.close('no video out of ffmpeg', { offline: false });
    }, this.deps.timeoutMs).unref();
    this.held = [];
    this.heldBytes = 0;
    this.state = 'publishing';
    this.deps.log.info(
      { liveId: this.liveId, video: video.fmtp, audio: this.hasAudio },
      'RTMP publish started',
    );
  }
}
