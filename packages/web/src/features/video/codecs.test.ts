import { describe, expect, it } from 'vitest';
import { codecName, preferredCodecs, type CodecCapability } from './codecs.ts';

const h264 = (profile: string, mode = '1'): CodecCapability => ({
  mimeType: 'video/H264',
  clockRate: 90000,
  sdpFmtpLine: `level-asymmetry-allowed=1;packetization-mode=${mode};profile-level-id=${profile}`,
});
const vp8: CodecCapability = { mimeType: 'video/VP8', clockRate: 90000 };
const vp9: CodecCapability = {
  mimeType: 'video/VP9',
  clockRate: 90000,
  sdpFmtpLine: 'profile-id=0',
};
const av1: CodecCapability = { mimeType: 'video/AV1', clockRate: 90000 };
const rtx: CodecCapability = { mimeType: 'video/rtx', clockRate: 90000 };
const red: CodecCapability = { mimeType: 'video/red', clockRate: 90000 };
const ulpfec: CodecCapability = { mimeType: 'video/ulpfec', clockRate: 90000 };

describe('preferredCodecs', () => {
  it('puts constrained-baseline H.264 first, then other H.264 in mode 1, then VP8, then RTX', () => {
    // The order Chromium lists them in.
    const caps = [
      vp8,
      rtx,
      vp9,
      h264('64001f'),
      h264('42001f', '0'),
      h264('42001f'),
      h264('42e01f'),
      av1,
      red,
      ulpfec,
    ];
    expect(preferredCodecs('video', caps)).toEqual([
      h264('42e01f'),
      h264('42001f'),
      h264('64001f'),
      vp8,
      rtx,
    ]);
  });

  it('falls back to VP8 where there is no H.264 encoder', () => {
    expect(preferredCodecs('video', [vp9, vp8, rtx, av1])).toEqual([vp8, rtx]);
  });

  it('leaves the default when nothing we can send is there', () => {
    expect(preferredCodecs('video', [vp9, av1, rtx])).toBeNull();
    expect(preferredCodecs('audio', [{ mimeType: 'audio/PCMU', clockRate: 8000 }])).toBeNull();
  });

  it('keeps only Opus for audio', () => {
    const opus = {
      mimeType: 'audio/opus',
      clockRate: 48000,
      channels: 2,
      sdpFmtpLine: 'minptime=10;useinbandfec=1',
    };
    const caps = [
      { mimeType: 'audio/red', clockRate: 48000, channels: 2 },
      opus,
      { mimeType: 'audio/G722', clockRate: 8000 },
      { mimeType: 'audio/CN', clockRate: 8000 },
      { mimeType: 'audio/telephone-event', clockRate: 48000 },
    ];
    expect(preferredCodecs('audio', caps)).toEqual([opus]);
  });
});

describe('codecName', () => {
  it('takes the part after the slash', () => {
    expect(codecName('video/H264')).toBe('H264');
    expect(codecName(undefined)).toBeNull();
  });
});
