import type { RtpPacket } from 'werift';
import type { PublisherRtp } from '../relay.ts';
import type { MediaKind } from '../sdp.ts';
import {
  AUDIO_TIMESCALE,
  AUDIO_TRACK,
  fragment,
  initSegment,
  VIDEO_TIMESCALE,
  VIDEO_TRACK,
  type Sample,
} from './fmp4.ts';
import {
  accessUnit,
  avcCodecString,
  H264Depacketizer,
  spropParameterSets,
  type AccessUnit,
} from './h264.ts';
import { opusPacketSamples } from './opus.ts';
import { ReorderBuffer, TimestampUnwrapper } from './reorder.ts';
import { Vp8Depacketizer, Vp8ToH264 } from './vp8.ts';

/**
 * The publisher's RTP in, fMP4 HLS out, without decoding: H.264 access units and Opus packets
 * become samples; every `partSeconds` of video a `moof`+`mdat` (an LL-HLS part); at the first
 * keyframe after about `segmentSeconds`, a new segment (the parts so far, concatenated).
 *
 * Timeline: one media clock for the whole show. Each publisher (a "period": the host's
 * first connection, then every reconnect) is anchored on the wall clock at its first
 * packets, audio and video each by its own RTP timestamps from there, which keeps lip sync
 * within the arrival jitter of those first packets. A new period continues where the last
 * one ended, so the replay has no holes, and starts a segment with `discontinuity`.
 */

export interface PackagerOptions {
  segmentSeconds: number;
  partSeconds: number;
  /** How long a missing packet is waited for (a retransmission) before it counts as lost. */
  reorderWaitMs: number;
  /** ffmpeg, to transcode VP8 video to H.264; null or absent: VP8 is not packaged. */
  ffmpegPath?: string | null;
}

export interface PackagedInit {
  id: number;
  data: Buffer;
  /** RFC 6381, e.g. `avc1.42e01f,opus`. */
  codecs: string;
}

export interface PackagedPart {
  msn: number;
  index: number;
  /** Seconds. */
  duration: number;
  /** Starts with a keyframe. */
  independent: boolean;
  data: Buffer;
}

export interface PackagedSegment {
  msn: number;
  /** Seconds. */
  duration: number;
  /** Where it starts on the show's media timeline, in seconds. */
  start: number;
  initId: number;
  discontinuity: boolean;
  /** Wall clock (ms since the epoch) of its first frame. */
  programDateTime: number;
  parts: PackagedPart[];
  data: Buffer;
}

export interface OpenSegmentInfo {
  msn: number;
  initId: number;
  discontinuity: boolean;
  programDateTime: number;
}

export interface PackagerSink {
  init(init: PackagedInit): void;
  /** A part of the segment being made: `segment` says what the playlist shows before it. */
  part(part: PackagedPart, segment: OpenSegmentInfo): void;
  segment(segment: PackagedSegment): void;
  keyframeWanted(): void;
  /** Something the packager cannot use, once per kind of problem. */
  unsupported?(reason: string): void;
}

/** Where a packager continues (a recording that was interrupted by a restart). */
export interface PackagerStart {
  nextMsn: number;
  nextInitId: number;
  /** End of what was recorded, on the media timeline, in seconds. */
  endSeconds: number;
  /** Whether segments exist before this start (the next one is then a discontinuity). */
  continued: boolean;
}

interface Anchor {
  baseRtp: number;
  baseTicks: number;
  unwrap: TimestampUnwrapper;
}

/** A video sample; a keyframe carries the parameter sets it is decoded with. */
type VideoSample = Sample & { sps?: Buffer; pps?: Buffer };

interface OpenSegment {
  msn: number;
  start: number; // 90 kHz
  initId: number;
  discontinuity: boolean;
  programDateTime: number;
  parts: PackagedPart[];
}

interface OpenPart {
  start: number; // 90 kHz
  video: Sample[];
}

const KEYFRAME_RETRY_MS = 500;
/** A period waits this long for audio before it starts video-only. */
const AUDIO_GRACE_MS = 1000;
/** Audio kept while no segment is open yet (it may belong to the first one). */
const AUDIO_BACKLOG_TICKS = AUDIO_TIMESCALE;

export class HlsPackager {
  private nextMsn: number;
  private nextInitId: number;
  private fragmentSeq = 1;
  /** End of everything closed so far, 90 kHz. */
  private endTicks: number;
  private hasSegments: boolean;

  // The current period (publisher).
  private ssrc: Partial<Record<MediaKind, number>> = {};
  private reorder: Partial<Record<MediaKind, ReorderBuffer>> = {};
  private anchors: Partial<Record<MediaKind, Anchor>> = {};
  private periodStartedAt = 0;
  /** media ms = wall ms - wallOffset. */
  private wallOffset = 0;
  private discontinuityNext: boolean;
  private sawAudio = false;
  private withAudio = false;

  // Video
  private readonly depacketizer = new H264Depacketizer();
  private au: { ts: number; nals: Buffer[]; broken: boolean } | null = null;
  private needKeyframe = true;
  /** This publisher sent a keyframe without parameter sets: asking for more will not help. */
  private keyframesUnusable = false;
  private pendingVideo: VideoSample | null = null;
  /** Video held while the period's first segment waits for audio. */
  private startBacklog: VideoSample[] = [];
  private lastVideoDuration = 3000;
  private params: { sps?: Buffer; pps?: Buffer } = {};
  private init: { id: number; sps: Buffer; pps: Buffer; withAudio: boolean } | null = null;

  // VP8, transcoded
  private vp8: Vp8Depacketizer | null = null;
  private transcoder: Vp8ToH264 | null = null;
  private transcoderDraining = false;

  // Audio
  private pendingAudio: Sample | null = null;
  /** Audio samples (48 kHz) not yet in a part: they go to the part their time belongs to. */
  private audioQueue: Sample[] = [];

  private segment: OpenSegment | null = null;
  private part: OpenPart | null = null;
  private lastKeyframeRequest = 0;
  private readonly warned = new Set<string>();
  private closed = false;

  constructor(
    private readonly options: PackagerOptions,
    private readonly sink: PackagerSink,
    start: PackagerStart = { nextMsn: 0, nextInitId: 0, endSeconds: 0, continued: false },
  ) {
    this.nextMsn = start.nextMsn;
    this.nextInitId = start.nextInitId;
    this.endTicks = Math.round(start.endSeconds * VIDEO_TIMESCALE);
    this.hasSegments = start.continued;
    this.discontinuityNext = start.continued;
  }

  /** The media sequence number the next segment will have. */
  get nextSequence(): number {
    return this.segment ? this.segment.msn + 1 : this.nextMsn;
  }

  push(rtp: PublisherRtp, now = Date.now()): void {
    if (this.closed) return;
    const { kind, codec, packet } = rtp;
    const name = codec.name.toLowerCase();
    const vp8 = kind === 'video' && name === 'vp8' && !!this.options.ffmpegPath;
    if ((kind === 'video' && name !== 'h264' && !vp8) || (kind === 'audio' && name !== 'opus')) {
      this.warn(`${codec.name} ${kind} is not packaged for HLS`);
      return;
    }
    const ssrc = packet.header.ssrc;
    if (this.ssrc[kind] !== undefined && this.ssrc[kind] !== ssrc) this.newPeriod(now);
    if (this.ssrc[kind] === undefined) {
      if (this.ssrc.audio === undefined && this.ssrc.video === undefined) {
        // The period's first packet: it continues the timeline.
        this.periodStartedAt = now;
        this.wallOffset = now - (this.endTicks / VIDEO_TIMESCALE) * 1000;
      }
      this.ssrc[kind] = ssrc;
      const scale = kind === 'video' ? VIDEO_TIMESCALE : AUDIO_TIMESCALE;
      const unwrap = new TimestampUnwrapper();
      this.anchors[kind] = {
        unwrap,
        baseRtp: unwrap.unwrap(packet.header.timestamp),
        baseTicks: Math.round(((now - this.wallOffset) / 1000) * scale),
      };
      this.reorder[kind] = new ReorderBuffer(this.options.reorderWaitMs);
      if (kind === 'video') {
        const sprop = spropParameterSets(codec.fmtp);
        this.params = { ...sprop };
      } else {
        this.sawAudio = true;
      }
    }
    for (const { packet: p, gap } of this.reorder[kind]!.push(packet, now)) {
      if (kind === 'audio') this.onAudio(p);
      else if (vp8) this.onVp8(p, gap, now);
      else this.onVideo(p, gap, now);
    }
  }

  /**
   * Like `close`, but first lets a VP8 transcoder put out the frames it still has (the show
   * ended: the replay keeps its last moment).
   */
  async drain(): Promise<void> {
    const transcoder = this.transcoder;
    if (!transcoder || this.closed) return;
    this.transcoderDraining = true;
    for (const { packet, gap } of this.reorder.video?.flush() ?? [])
      this.onVp8(packet, gap, Date.now());
    await transcoder.end();
  }

  /** Closes the open part and segment (the show ended, or the recorder stops). */
  flush(now = Date.now()): void {
    for (const kind of ['video', 'audio'] as const) {
      for (const { packet, gap } of this.reorder[kind]?.flush() ?? []) {
        if (kind === 'audio') this.onAudio(packet);
        else if (this.transcoder) this.onVp8(packet, gap, now);
        else this.onVideo(packet, gap, now);
      }
    }
    this.transcoder?.kill();
    this.transcoder = null;
    this.transcoderDraining = false;
    if (this.au && !this.au.broken) this.finishAccessUnit(now);
    this.au = null;
    if (this.pendingVideo) {
      const last = this.pendingVideo;
      this.pendingVideo = null;
      last.duration = this.lastVideoDuration;
      this.addVideo(last, now);
    }
    // Video that waited for audio that never came: it goes out video-only.
    const backlog = this.startBacklog;
    this.startBacklog = [];
    for (const sample of backlog) this.placeVideo(sample, now);
    if (this.pendingAudio) {
      this.pendingAudio.duration = opusPacketSamples(this.pendingAudio.data);
      this.queueAudio(this.pendingAudio);
      this.pendingAudio = null;
    }
    if (this.segment && this.part) {
      const lastVideo = this.part.video.at(-1);
      const end = lastVideo
        ? lastVideo.dts + lastVideo.duration
        : Math.max(this.part.start, this.endTicks);
      this.closeSegment(end, true);
    }
    this.audioQueue = [];
  }

  close(now = Date.now()): void {
    if (this.closed) return;
    this.flush(now);
    this.closed = true;
  }

  private warn(reason: string): void {
    if (this.warned.has(reason)) return;
    this.warned.add(reason);
    this.sink.unsupported?.(reason);
  }

  private requestKeyframe(now: number): void {
    if (now - this.lastKeyframeRequest < KEYFRAME_RETRY_MS) return;
    this.lastKeyframeRequest = now;
    this.sink.keyframeWanted();
  }

  /** A new publisher: close what the last one sent; continue the timeline where it ended. */
  private newPeriod(now: number): void {
    this.flush(now);
    this.ssrc = {};
    this.reorder = {};
    this.anchors = {};
    this.depacketizer.reset();
    this.vp8 = null;
    this.needKeyframe = true;
    this.keyframesUnusable = false;
    this.pendingVideo = null;
    this.pendingAudio = null;
    this.startBacklog = [];
    this.sawAudio = false;
    this.params = {};
    if (this.hasSegments) this.discontinuityNext = true;
  }

  /** Media time of an RTP timestamp, in the track's timescale. */
  private ticks(kind: MediaKind, rtpTimestamp: number): number {
    const anchor = this.anchors[kind]!;
    return anchor.baseTicks + (anchor.unwrap.unwrap(rtpTimestamp) - anchor.baseRtp);
  }

  // ---- video ----

  private onVideo(packet: RtpPacket, gap: boolean, now: number): void {
    const ts = packet.header.timestamp;
    if (gap) {
      // A lost packet: this picture and those that refer to it are damaged until a keyframe.
      this.depacketizer.reset();
      if (this.au) this.au.broken = true;
      this.needKeyframe = true;
      if (!this.keyframesUnusable) this.requestKeyframe(now);
    }
    if (this.au && this.au.ts !== ts) this.finishAccessUnit(now);
    this.au ??= { ts, nals: [], broken: gap };
    for (const nal of this.depacketizer.push(packet.payload)) this.au.nals.push(nal);
    if (packet.header.marker) this.finishAccessUnit(now);
  }

  private finishAccessUnit(now: number): void {
    const au = this.au;
    this.au = null;
    if (!au) return;
    if (au.broken) {
      this.needKeyframe = true;
      return;
    }
    const unit = accessUnit(au.ts, au.nals);
    if (unit) this.acceptUnit(unit, now);
  }

  /**
   * A picture, from the RTP or (`transcoded`) from the VP8 transcoder, whose output is one
   * unbroken H.264 stream: into the timeline.
   */
  private acceptUnit(unit: AccessUnit, now: number, transcoded = false): void {
    if (unit.sps) this.params.sps = unit.sps;
    if (unit.pps) this.params.pps = unit.pps;
    if (this.needKeyframe && !transcoded) {
      if (!unit.keyframe) {
        // Unless its keyframes are unusable anyway: a PLI makes the encoder spend bits.
        if (!this.keyframesUnusable) this.requestKeyframe(now);
        return;
      }
      if (!this.params.sps || !this.params.pps) {
        this.keyframesUnusable = true;
        this.warn('H.264 keyframes come without SPS/PPS (in band or in sprop-parameter-sets)');
        return;
      }
      this.needKeyframe = false;
    }
    let dts = this.ticks('video', unit.timestamp);
    const pending = this.pendingVideo;
    if (pending) {
      if (dts <= pending.dts) {
        this.warn('video timestamps that do not increase (B-frames?) are shifted');
        dts = pending.dts + 1;
      }
      pending.duration = dts - pending.dts;
      this.lastVideoDuration = pending.duration;
      this.pendingVideo = null;
      this.addVideo(pending, now);
    }
    this.pendingVideo = {
      dts,
      duration: 0,
      data: unit.data,
      keyframe: unit.keyframe,
      ...(unit.keyframe && { sps: this.params.sps, pps: this.params.pps }),
    };
  }

  /**
   * A video sample whose duration is known. The first segment of a period waits (up to
   * AUDIO_GRACE_MS, holding its video) for audio, so that its init has both tracks.
   */
  private addVideo(input: VideoSample, now: number): void {
    if (this.segment) return this.placeVideo(input, now);
    if (input.keyframe && input.sps && input.pps) this.startBacklog = [input];
    else if (this.startBacklog.length > 0) this.startBacklog.push(input);
    else return; // before the first keyframe
    if (!this.sawAudio && now - this.periodStartedAt < AUDIO_GRACE_MS) return;
    const backlog = this.startBacklog;
    this.startBacklog = [];
    for (const sample of backlog) this.placeVideo(sample, now);
  }

  /** Into the open part, cutting parts and segments. */
  private placeVideo(input: VideoSample, now: number): void {
    const { sps, pps, ...sample } = input;
    const segmentTicks = this.options.segmentSeconds * VIDEO_TIMESCALE;
    const partTicks = this.options.partSeconds * VIDEO_TIMESCALE;
    if (sample.keyframe && sps && pps) {
      const configChanged =
        !this.init ||
        !sps.equals(this.init.sps) ||
        !pps.equals(this.init.pps) ||
        this.init.withAudio !== this.sawAudio;
      if (!this.segment) {
        this.openSegment(sample.dts, { sps, pps }, configChanged);
      } else if (
        configChanged ||
        sample.dts - this.segment.start >= segmentTicks - cutEarlyTicks(this.options.segmentSeconds)
      ) {
        this.closeSegment(sample.dts, false);
        this.openSegment(sample.dts, { sps, pps }, configChanged);
      }
    }
    if (!this.segment || !this.part) return; // before the first keyframe
    if (this.part.video.length > 0 && sample.dts + sample.duration - this.part.start > partTicks) {
      this.closePart(sample.dts);
      this.part = { start: sample.dts, video: [] };
    }
    this.part.video.push(sample);
    const elapsed = sample.dts + sample.duration - this.segment.start;
    // A transcoded stream gets its keyframes from the encoder, on time.
    if (!this.transcoder && elapsed >= segmentTicks - requestLeadTicks(this.options.segmentSeconds))
      this.requestKeyframe(now);
  }

  private openSegment(start: number, params: { sps: Buffer; pps: Buffer }, newInit: boolean): void {
    if (newInit || !this.init) {
      const withAudio = this.sawAudio;
      const { sps, pps } = params;
      const init = {
        id: this.nextInitId++,
        data: initSegment({ video: { sps, pps }, ...(withAudio && { audio: { channels: 2 } }) }),
        codecs: [avcCodecString(sps), ...(withAudio ? ['opus'] : [])].join(','),
      };
      this.init = { id: init.id, sps, pps, withAudio };
      this.withAudio = withAudio;
      this.sink.init(init);
      // New parameters are a discontinuity for the player (RFC 8216bis §6.2.1).
      if (this.hasSegments) this.discontinuityNext = true;
    }
    this.segment = {
      msn: this.nextMsn++,
      start,
      initId: this.init.id,
      discontinuity: this.discontinuityNext,
      programDateTime: Math.round(this.wallOffset + (start / VIDEO_TIMESCALE) * 1000),
      parts: [],
    };
    this.discontinuityNext = false;
    this.part = { start, video: [] };
    // Audio that came before the segment opened but belongs to it.
    const startAudio = toAudioTicks(start);
    this.audioQueue = this.audioQueue.filter((s) => s.dts >= startAudio);
  }

  private closePart(end: number, all = false): void {
    const part = this.part;
    const segment = this.segment;
    if (!part || !segment) return;
    const endAudio = toAudioTicks(end);
    const audio = this.withAudio ? this.audioQueue.filter((s) => all || s.dts < endAudio) : [];
    this.audioQueue = all ? [] : this.audioQueue.filter((s) => s.dts >= endAudio);
    if (part.video.length === 0 && audio.length === 0) return;
    const data = fragment(this.fragmentSeq++, [
      { track: VIDEO_TRACK, samples: part.video },
      { track: AUDIO_TRACK, samples: audio },
    ]);
    const packaged: PackagedPart = {
      msn: segment.msn,
      index: segment.parts.length,
      duration: Math.max(0, end - part.start) / VIDEO_TIMESCALE,
      independent: part.video[0]?.keyframe ?? false,
      data,
    };
    segment.parts.push(packaged);
    this.part = null;
    this.sink.part(packaged, {
      msn: segment.msn,
      initId: segment.initId,
      discontinuity: segment.discontinuity,
      programDateTime: segment.programDateTime,
    });
  }

  private closeSegment(end: number, all: boolean): void {
    const segment = this.segment;
    if (!segment) return;
    this.closePart(end, all);
    this.segment = null;
    this.part = null;
    this.endTicks = Math.max(this.endTicks, end);
    if (segment.parts.length === 0) {
      this.nextMsn = segment.msn; // nothing in it: reuse the number
      return;
    }
    this.hasSegments = true;
    this.sink.segment({
      msn: segment.msn,
      duration: (end - segment.start) / VIDEO_TIMESCALE,
      start: segment.start / VIDEO_TIMESCALE,
      initId: segment.initId,
      discontinuity: segment.discontinuity,
      programDateTime: segment.programDateTime,
      parts: segment.parts,
      data: Buffer.concat(segment.parts.map((p) => p.data)),
    });
  }

  // ---- VP8 ----

  private onVp8(packet: RtpPacket, gap: boolean, now: number): void {
    this.vp8 ??= new Vp8Depacketizer();
    if (gap) {
      this.vp8.reset();
      this.needKeyframe = true;
      this.requestKeyframe(now);
    }
    const h = packet.header;
    const frame = this.vp8.push(packet.payload, h.timestamp, h.marker);
    if (!frame) return;
    if (this.needKeyframe && !frame.keyframe) {
      this.requestKeyframe(now);
      return;
    }
    this.needKeyframe = false;
    if (!this.transcoder) {
      if (!frame.keyframe || !frame.width || !frame.height) return;
      const transcoder: Vp8ToH264 = new Vp8ToH264(
        this.options.ffmpegPath!,
        { width: frame.width, height: frame.height, keyframeSeconds: this.options.segmentSeconds },
        (unit) => {
          if (this.transcoder === transcoder && !this.closed) {
            this.acceptUnit(unit, Date.now(), true);
          }
        },
        (err) => {
          if (this.transcoder !== transcoder || this.transcoderDraining) return;
          this.warn(`VP8 transcoder failed: ${err.message}`);
        },
      );
      this.transcoder = transcoder;
    }
    if (!this.transcoderDraining) this.transcoder.write(frame);
  }

  // ---- audio ----

  private onAudio(packet: RtpPacket): void {
    if (packet.payload.length === 0) return;
    const dts = this.ticks('audio', packet.header.timestamp);
    const pending = this.pendingAudio;
    if (pending) {
      const delta = dts - pending.dts;
      if (delta <= 0) return; // duplicate or reordered beyond repair
      const nominal = opusPacketSamples(pending.data);
      // A long silence (DTX) or a loss: the packet lasts what it holds, the next one starts later.
      pending.duration = delta > 4 * nominal ? nominal : delta;
      this.queueAudio(pending);
    }
    this.pendingAudio = { dts, duration: 0, data: packet.payload, keyframe: true };
  }

  private queueAudio(sample: Sample): void {
    this.audioQueue.push(sample);
    if (!this.segment) {
      // Nothing to put it in yet: keep only the last moment.
      const newest = sample.dts;
      this.audioQueue = this.audioQueue.filter((s) => newest - s.dts < AUDIO_BACKLOG_TICKS);
    }
  }
}

const toAudioTicks = (videoTicks: number) =>
  Math.round((videoTicks * AUDIO_TIMESCALE) / VIDEO_TIMESCALE);

/** A keyframe this close before the target duration starts the next segment. */
const cutEarlyTicks = (segmentSeconds: number) =>
  Math.min(0.5, segmentSeconds / 4) * VIDEO_TIMESCALE;

/** When the publisher is asked for the keyframe that will start the next segment. */
const requestLeadTicks = (segmentSeconds: number) =>
  Math.min(0.35, segmentSeconds / 5) * VIDEO_TIMESCALE;
