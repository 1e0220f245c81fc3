import { describe, expect, it } from 'vitest';
import { startsKeyframe } from './codecs.ts';

const h264 = { name: 'H264' };
const vp8 = { name: 'VP8' };
const b = (...bytes: number[]) => Buffer.from(bytes);

describe('keyframe detection', () => {
  it('finds H.264 keyframes in single NAL units, STAP-A and the first FU-A fragment', () => {
    expect(startsKeyframe(h264, b(0x65, 0x88))).toBe(true); // IDR slice
    expect(startsKeyframe(h264, b(0x67, 0x42))).toBe(true); // SPS
    expect(startsKeyframe(h264, b(0x41, 0x9a))).toBe(false); // non-IDR slice
    // STAP-A carrying SPS and PPS, as browsers send right before the IDR.
    expect(startsKeyframe(h264, b(0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce))).toBe(
      true,
    );
    expect(startsKeyframe(h264, b(0x78, 0x00, 0x02, 0x06, 0x05))).toBe(false); // SEI only
    expect(startsKeyframe(h264, b(0x7c, 0x85, 0x88))).toBe(true); // FU-A start of an IDR
    expect(startsKeyframe(h264, b(0x7c, 0x05, 0x88))).toBe(false); // FU-A middle of an IDR
    expect(startsKeyframe(h264, b(0x7c, 0x81, 0x9a))).toBe(false); // FU-A start of a non-IDR
  });

  it('finds VP8 keyframes behind the optional payload descriptor fields', () => {
    expect(startsKeyframe(vp8, b(0x10, 0x00))).toBe(true);
    expect(startsKeyframe(vp8, b(0x10, 0x01))).toBe(false); // inter frame
    expect(startsKeyframe(vp8, b(0x00, 0x00))).toBe(false); // not the start of a partition
    // X, then I with a 15-bit picture id, L (TL0PICIDX) and T/K.
    expect(startsKeyframe(vp8, b(0x90, 0xe0, 0x81, 0x23, 0x05, 0x40, 0x10))).toBe(true);
    expect(startsKeyframe(vp8, b(0x90, 0x80, 0x12, 0x01))).toBe(false); // 7-bit picture id, inter frame
    expect(startsKeyframe(vp8, b(0x90, 0x80, 0x12, 0x00))).toBe(true);
  });

  it('never claims a keyframe for codecs it does not parse', () => {
    expect(startsKeyframe({ name: 'opus' }, b(0x65))).toBe(false);
  });
});
