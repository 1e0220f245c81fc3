import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RtpPacket } from 'werift';
import { afterAll, describe, expect, it } from 'vitest';
import {
  HlsPackager,
  type PackagedInit,
  type PackagedPart,
  type PackagedSegment,
} from './packager.ts';
import {
  decodeErrors,
  ffmpegRtp,
  H264_CODEC,
  OPUS_CODEC,
  probe,
  VP8_CODEC,
} from './test-ffmpeg.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'cunbo-packager-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function collect() {
  const inits: PackagedInit[] = [];
  const parts: PackagedPart[] = [];
  const segments: PackagedSegment[] = [];
  let keyframeRequests = 0;
  const sink = {
    init: (i: PackagedInit) => void inits.push(i),
    part: (p: PackagedPart) => void parts.push(p),
    segment: (s: PackagedSegment) => void segments.push(s),
    keyframeWanted: () => void keyframeRequests++,
  };
  return { inits, parts, segments, sink, keyframeRequests: () => keyframeRequests };
}

describe('HLS packager', () => {
  it('turns ffmpeg H.264 + Opus RTP into fMP4 segments and parts that ffprobe and ffmpeg read', async () => {
    const out = collect();
    const packager = new HlsPackager(
      { segmentSeconds: 1, partSeconds: 0.25, reorderWaitMs: 100 },
      out.sink,
    );
    const source = await ffmpegRtp(
      (kind, packet) =>
        packager.push({
          kind,
          codec: kind === 'video' ? H264_CODEC : OPUS_CODEC,
          packet,
          isKeyframe: false,
        }),
      { seconds: 4.2, gop: 15 },
    );
    await source.done;
    packager.close();

    expect(out.inits).toHaveLength(1);
    expect(out.inits[0]!.codecs).toMatch(/^avc1\.42[0-9a-f]{4},opus$/);
    // 4.2 s at 1 s segments, keyframes every 0.5 s: four or five segments of about 1 s.
    expect(out.segments.length).toBeGreaterThanOrEqual(4);
    for (const s of out.segments.slice(0, -1)) expect(s.duration).toBeCloseTo(1, 1);
    expect(out.segments.map((s) => s.msn)).toEqual(out.segments.map((_, i) => i));
    const total = out.segments.reduce((n, s) => n + s.duration, 0);
    expect(total).toBeGreaterThan(3.5);
    expect(total).toBeLessThan(4.4);
    for (const p of out.parts) expect(p.duration).toBeLessThanOrEqual(0.25 + 1e-9);
    expect(out.parts.filter((p) => p.index === 0).every((p) => p.independent)).toBe(true);

    const file = path.join(dir, 'all.mp4');
    const probed = await probe(file, out.inits[0]!.data, ...out.segments.map((s) => s.data));
    expect(probed.streams.map((s) => s.codec_name).sort()).toEqual(['h264', 'opus']);
    expect(probed.streams.find((s) => s.codec_type === 'video')).toMatchObject({
      width: 320,
      height: 240,
    });
    expect(probed.duration).toBeGreaterThan(3.5);
    expect(await decodeErrors(file)).toBe('');

    // One segment alone (what a player fetches) is valid too.
    const one = await probe(path.join(dir, 'one.mp4'), out.inits[0]!.data, out.segments[1]!.data);
    expect(one.streams).toHaveLength(2);
    expect(one.duration).toBeGreaterThan(0.8);
  });

  it('starts a new period with a discontinuity when the publisher is replaced', async () => {
    const out = collect();
    const packager = new HlsPackager(
      { segmentSeconds: 1, partSeconds: 0.5, reorderWaitMs: 100 },
      out.sink,
    );
    for (const round of [0, 1]) {
      const ssrcShift = round * 1000;
      const source = await ffmpegRtp(
        (kind, packet) => {
          const copy = RtpPacket.deSerialize(packet.serialize());
          copy.header.ssrc = (copy.header.ssrc + ssrcShift) >>> 0;
          packager.push({
            kind,
            codec: kind === 'video' ? H264_CODEC : OPUS_CODEC,
            packet: copy,
            isKeyframe: false,
          });
        },
        { seconds: 2.1, gop: 15 },
      );
      await source.done;
    }
    packager.close();
    const firstOfSecond = out.segments.findIndex((s) => s.discontinuity);
    expect(firstOfSecond).toBeGreaterThan(0);
    expect(out.segments.filter((s) => s.discontinuity)).toHaveLength(1);
    const total = out.segments.reduce((n, s) => n + s.duration, 0);
    expect(total).toBeGreaterThan(3.5);
    expect(total).toBeLessThan(4.4);
    // The timeline goes on: the second publisher starts after the first ended.
    const second = out.segments[firstOfSecond]!;
    const before = out.segments[firstOfSecond - 1]!;
    expect(second.start).toBeGreaterThanOrEqual(before.start + before.duration - 1e-6);
  });

  it('transcodes VP8 to H.264 with ffmpeg, keeping Opus as it is and the timeline', async () => {
    const out = collect();
    const packager = new HlsPackager(
      { segmentSeconds: 1, partSeconds: 0.25, reorderWaitMs: 100, ffmpegPath: 'ffmpeg' },
      out.sink,
    );
    const source = await ffmpegRtp(
      (kind, packet) =>
        packager.push({
          kind,
          codec: kind === 'video' ? VP8_CODEC : OPUS_CODEC,
          packet,
          isKeyframe: false,
        }),
      { seconds: 4.2, gop: 15, vp8: true },
    );
    await source.done;
    await packager.drain();
    packager.close();

    expect(out.inits).toHaveLength(1);
    expect(out.inits[0]!.codecs).toMatch(/^avc1\.42[0-9a-f]{4},opus$/);
    // ffmpeg puts a keyframe every segment: segments of the configured length.
    for (const s of out.segments.slice(0, -1)) expect(s.duration).toBeCloseTo(1, 1);
    const total = out.segments.reduce((n, s) => n + s.duration, 0);
    expect(total).toBeGreaterThan(3.5);
    expect(total).toBeLessThan(4.4);
    // The encoder was never asked for keyframes beyond the one to start from.
    expect(out.keyframeRequests()).toBeLessThanOrEqual(1);
    const file = path.join(dir, 'vp8.mp4');
    const probed = await probe(file, out.inits[0]!.data, ...out.segments.map((s) => s.data));
    expect(probed.streams.map((s) => s.codec_name).sort()).toEqual(['h264', 'opus']);
    expect(probed.duration).toBeGreaterThan(3.5);
    expect(await decodeErrors(file)).toBe('');
  });
});
