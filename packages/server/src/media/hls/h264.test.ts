import { describe, expect, it } from 'vitest';
import {
  accessUnit,
  avcCodecString,
  H264Depacketizer,
  parseSps,
  spropParameterSets,
} from './h264.ts';
import { opusPacketSamples } from './opus.ts';

// x264 high profile SPS (emulation prevention bytes included), 720p and 360p: both cropped.
const SPS_720 = Buffer.from('6764001facd9405005bb0110000003001000000303c0f1831960', 'hex');
const SPS_360 = Buffer.from('6764001eacd940a02ff970110000030001000003003c0f162d96', 'hex');
const PPS = Buffer.from('68ebe3cb22c0', 'hex');

describe('H.264 from RTP', () => {
  it('reads the picture size and profile from an SPS, cropping included', () => {
    expect(parseSps(SPS_720)).toMatchObject({ profile: 100, level: 31, width: 1280, height: 720 });
    expect(parseSps(SPS_360)).toMatchObject({ width: 640, height: 360 });
    expect(avcCodecString(SPS_720)).toBe('avc1.64001f');
  });

  it('reassembles single NAL units, STAP-A and FU-A, and drops a unit whose start was lost', () => {
    const d = new H264Depacketizer();
    // STAP-A: SPS + PPS, as browsers send them before a keyframe.
    const stap = Buffer.concat([
      Buffer.of(0x78),
      Buffer.of(0, SPS_720.length),
      SPS_720,
      Buffer.of(0, PPS.length),
      PPS,
    ]);
    expect(d.push(stap)).toEqual([SPS_720, PPS]);
    // An IDR in three fragments.
    const idr = Buffer.concat([Buffer.of(0x65), Buffer.alloc(3000, 7)]);
    const fu = (start: boolean, end: boolean, body: Buffer) =>
      Buffer.concat([Buffer.of(0x7c, (start ? 0x80 : 0) | (end ? 0x40 : 0) | 5), body]);
    expect(d.push(fu(true, false, idr.subarray(1, 1000)))).toEqual([]);
    expect(d.push(fu(false, false, idr.subarray(1000, 2000)))).toEqual([]);
    expect(d.push(fu(false, true, idr.subarray(2000)))).toEqual([idr]);
    // A middle and an end without their start: nothing.
    expect(d.push(fu(false, false, idr.subarray(1000, 2000)))).toEqual([]);
    expect(d.push(fu(false, true, idr.subarray(2000)))).toEqual([]);
    expect(d.push(Buffer.of(0x41, 1, 2, 3))).toEqual([Buffer.of(0x41, 1, 2, 3)]);
  });

  it('makes an MP4 sample of an access unit: parameter sets aside, 4-byte lengths', () => {
    const idr = Buffer.of(0x65, 0x88, 0x84);
    const aud = Buffer.of(0x09, 0xf0);
    const unit = accessUnit(90_000, [aud, SPS_720, PPS, idr]);
    expect(unit).toMatchObject({ timestamp: 90_000, keyframe: true, sps: SPS_720, pps: PPS });
    expect(unit!.data).toEqual(Buffer.concat([Buffer.of(0, 0, 0, 3), idr]));
    expect(accessUnit(0, [SPS_720, PPS])).toBeNull(); // no picture
    expect(accessUnit(0, [Buffer.of(0x41, 0x9a)])!.keyframe).toBe(false);
  });

  it('takes parameter sets from sprop-parameter-sets', () => {
    const fmtp = `packetization-mode=1;sprop-parameter-sets=${SPS_360.toString('base64')},${PPS.toString('base64')}`;
    expect(spropParameterSets(fmtp)).toEqual({ sps: SPS_360, pps: PPS });
    expect(spropParameterSets('packetization-mode=1')).toEqual({});
  });

  it('counts the samples in an Opus packet from its TOC byte', () => {
    expect(opusPacketSamples(Buffer.of(0xfc, 0))).toBe(960); // CELT FB 20 ms, one frame
    expect(opusPacketSamples(Buffer.of(0x78 | 1, 0))).toBe(1920); // CELT NB 20 ms, two frames
    expect(opusPacketSamples(Buffer.of(0x18, 0))).toBe(2880); // SILK NB 60 ms
    expect(opusPacketSamples(Buffer.of(0xfb, 0x03))).toBe(2880); // code 3: three 20 ms frames
  });
});
