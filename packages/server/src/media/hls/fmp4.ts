/**
 * Fragmented MP4 (ISO/IEC 14496-12, CMAF-style) for HLS: an init segment (`ftyp` + `moov`)
 * and fragments (`moof` + `mdat`) that are LL-HLS parts and, concatenated, segments. Only
 * what H.264 + Opus in HLS need.
 */
import { parseSps } from './h264.ts';

export const VIDEO_TIMESCALE = 90_000;
export const AUDIO_TIMESCALE = 48_000;
export const VIDEO_TRACK = 1;
export const AUDIO_TRACK = 2;

export interface VideoConfig {
  sps: Buffer;
  pps: Buffer;
}

export interface AudioConfig {
  channels: number;
}

export interface Sample {
  /** Decode time in the track's timescale. */
  dts: number;
  duration: number;
  data: Buffer;
  keyframe: boolean;
  /** Presentation minus decode time (B-frames only; never from WebRTC). */
  cts?: number;
}

const u8 = (n: number) => Buffer.of(n & 0xff);
const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n & 0xffff);
  return b;
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
const i32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n | 0);
  return b;
};
const u64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(n))));
  return b;
};
const zeros = (n: number) => Buffer.alloc(n);
const ascii = (s: string) => Buffer.from(s, 'latin1');

function box(type: string, ...parts: Buffer[]): Buffer {
  const size = 8 + parts.reduce((n, p) => n + p.length, 0);
  return Buffer.concat([u32(size), ascii(type), ...parts]);
}

const fullBox = (type: string, version: number, flags: number, ...parts: Buffer[]) =>
  box(type, u8(version), u8(flags >> 16), u16(flags), ...parts);

const MATRIX = Buffer.concat(
  [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000].map((n) => u32(n)),
);

function avc1(video: VideoConfig): Buffer {
  const { width, height } = parseSps(video.sps);
  const avcC = box(
    'avcC',
    u8(1),
    video.sps.subarray(1, 4),
    u8(0xff), // 6 reserved bits + 4-byte NAL lengths
    u8(0xe1), // 3 reserved bits + one SPS
    u16(video.sps.length),
    video.sps,
    u8(1),
    u16(video.pps.length),
    video.pps,
  );
  return box(
    'avc1',
    zeros(6),
    u16(1), // data_reference_index
    zeros(16),
    u16(width),
    u16(height),
    u32(0x00480000), // 72 dpi
    u32(0x00480000),
    zeros(4),
    u16(1), // frame_count
    zeros(32), // compressorname
    u16(0x0018),
    u16(0xffff),
    avcC,
  );
}

function opus(audio: AudioConfig): Buffer {
  // RFC 7845 in ISO BMFF ("Encapsulation of Opus in ISO Base Media File Format"): big-endian.
  const dOps = box(
    'dOps',
    u8(0), // version
    u8(audio.channels),
    u16(0), // pre-skip: unknown for an RTP stream; the decoder starts clean anyway
    u32(AUDIO_TIMESCALE),
    u16(0), // output gain
    u8(0), // channel mapping family 0: mono or stereo
  );
  return box(
    'Opus',
    zeros(6),
    u16(1),
    zeros(8),
    u16(audio.channels),
    u16(16),
    zeros(4),
    u32(AUDIO_TIMESCALE * 65536), // 16.16 fixed point
    dOps,
  );
}

function trak(
  id: number,
  kind: 'video' | 'audio',
  sampleEntry: Buffer,
  width = 0,
  height = 0,
): Buffer {
  const timescale = kind === 'video' ? VIDEO_TIMESCALE : AUDIO_TIMESCALE;
  const tkhd = fullBox(
    'tkhd',
    0,
    0x000003,
    zeros(8), // creation, modification
    u32(id),
    zeros(4),
    u32(0), // duration
    zeros(8),
    u16(0), // layer
    u16(0), // alternate group
    u16(kind === 'audio' ? 0x0100 : 0),
    zeros(2),
    MATRIX,
    u32(width * 65536),
    u32(height * 65536),
  );
  const mdhd = fullBox('mdhd', 0, 0, zeros(8), u32(timescale), u32(0), u16(0x55c4), zeros(2));
  const hdlr = fullBox(
    'hdlr',
    0,
    0,
    zeros(4),
    ascii(kind === 'video' ? 'vide' : 'soun'),
    zeros(12),
    ascii(kind === 'video' ? 'VideoHandler\0' : 'SoundHandler\0'),
  );
  const mediaHeader =
    kind === 'video' ? fullBox('vmhd', 0, 1, zeros(8)) : fullBox('smhd', 0, 0, zeros(4));
  const dinf = box('dinf', fullBox('dref', 0, 0, u32(1), fullBox('url ', 0, 1)));
  const stbl = box(
    'stbl',
    fullBox('stsd', 0, 0, u32(1), sampleEntry),
    fullBox('stts', 0, 0, u32(0)),
    fullBox('stsc', 0, 0, u32(0)),
    fullBox('stsz', 0, 0, u32(0), u32(0)),
    fullBox('stco', 0, 0, u32(0)),
  );
  return box('trak', tkhd, box('mdia', mdhd, hdlr, box('minf', mediaHeader, dinf, stbl)));
}

/** `ftyp` + `moov` for the tracks present. */
export function initSegment(tracks: { video?: VideoConfig; audio?: AudioConfig }): Buffer {
  const ftyp = box(
    'ftyp',
    ascii('iso6'),
    u32(0),
    ascii('iso6'),
    ascii('cmfc'),
    ascii('isom'),
    ascii('mp41'),
  );
  const traks: Buffer[] = [];
  const trexes: Buffer[] = [];
  if (tracks.video) {
    const { width, height } = parseSps(tracks.video.sps);
    traks.push(trak(VIDEO_TRACK, 'video', avc1(tracks.video), width, height));
    trexes.push(fullBox('trex', 0, 0, u32(VIDEO_TRACK), u32(1), u32(0), u32(0), u32(0)));
  }
  if (tracks.audio) {
    traks.push(trak(AUDIO_TRACK, 'audio', opus(tracks.audio)));
    trexes.push(fullBox('trex', 0, 0, u32(AUDIO_TRACK), u32(1), u32(0), u32(0), u32(0)));
  }
  const mvhd = fullBox(
    'mvhd',
    0,
    0,
    zeros(8),
    u32(1000),
    u32(0),
    u32(0x00010000), // rate
    u16(0x0100), // volume
    zeros(10),
    MATRIX,
    zeros(24),
    u32(AUDIO_TRACK + 1),
  );
  return Buffer.concat([ftyp, box('moov', mvhd, ...traks, box('mvex', ...trexes))]);
}

const SYNC = 0x02000000; // sample_depends_on = 2 (does not depend on others)
const NON_SYNC = 0x01010000; // depends on others, is_non_sync_sample

export interface TrackRun {
  track: number;
  samples: Sample[];
}

/**
 * One `moof` + `mdat`: an LL-HLS part. Each track's samples are contiguous in `mdat`, in the
 * order given.
 */
export function fragment(sequence: number, runs: TrackRun[]): Buffer {
  const present = runs.filter((r) => r.samples.length > 0);
  const build = (offsets: number[]) =>
    box(
      'moof',
      fullBox('mfhd', 0, 0, u32(sequence)),
      ...present.map((run, i) => {
        const withCts = run.samples.some((s) => s.cts);
        // data-offset, sample duration, size, flags (+ composition offsets, signed: version 1)
        const flags = 0x000001 | 0x000100 | 0x000200 | 0x000400 | (withCts ? 0x000800 : 0);
        const entries = run.samples.map((s) =>
          Buffer.concat([
            u32(s.duration),
            u32(s.data.length),
            u32(s.keyframe ? SYNC : NON_SYNC),
            ...(withCts ? [i32(s.cts ?? 0)] : []),
          ]),
        );
        return box(
          'traf',
          fullBox('tfhd', 0, 0x020000, u32(run.track)), // default-base-is-moof
          fullBox('tfdt', 1, 0, u64(run.samples[0]!.dts)),
          fullBox(
            'trun',
            withCts ? 1 : 0,
            flags,
            u32(run.samples.length),
            i32(offsets[i]!),
            ...entries,
          ),
        );
      }),
    );
  const sizes = present.map((r) => r.samples.reduce((n, s) => n + s.data.length, 0));
  const moofSize = build(present.map(() => 0)).length;
  const offsets: number[] = [];
  let at = moofSize + 8;
  for (const size of sizes) {
    offsets.push(at);
    at += size;
  }
  const moof = build(offsets);
  const payload = present.flatMap((r) => r.samples.map((s) => s.data));
  return Buffer.concat([
    moof,
    u32(8 + sizes.reduce((a, b) => a + b, 0)),
    ascii('mdat'),
    ...payload,
  ]);
}
