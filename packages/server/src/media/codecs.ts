import type { NegotiatedCodec } from './sdp.ts';

/**
 * Does this RTP payload start a keyframe? A viewer who joins, or whose publisher was
 * replaced, is held until one arrives: delta frames without their keyframe only make the
 * browser's decoder stall and ask again.
 */
export function startsKeyframe(codec: Pick<NegotiatedCodec, 'name'>, payload: Buffer): boolean {
  switch (codec.name.toLowerCase()) {
    case 'h264':
      return h264StartsKeyframe(payload);
    case 'vp8':
      return vp8StartsKeyframe(payload);
    default:
      return false;
  }
}

const H264_IDR = 5;
const H264_SPS = 7;
const H264_STAP_A = 24;
const H264_FU_A = 28;

/** RFC 6184: an SPS (what encoders send right before an IDR) or the start of an IDR. */
function h264StartsKeyframe(payload: Buffer): boolean {
  if (payload.length < 2) return false;
  const type = payload[0]! & 0x1f;
  if (type === H264_IDR || type === H264_SPS) return true;
  if (type === H264_STAP_A) {
    for (let i = 1; i + 2 < payload.length;) {
      const size = payload.readUInt16BE(i);
      const nal = payload[i + 2]! & 0x1f;
      if (nal === H264_IDR || nal === H264_SPS) return true;
      i += 2 + size;
    }
    return false;
  }
  if (type === H264_FU_A) {
    const isStart = (payload[1]! & 0x80) !== 0;
    return isStart && (payload[1]! & 0x1f) === H264_IDR;
  }
  return false;
}

/** RFC 7741: the first packet of partition 0 whose VP8 header has the inverse key-frame bit clear. */
function vp8StartsKeyframe(payload: Buffer): boolean {
  if (payload.length < 1) return false;
  const first = payload[0]!;
  const isStart = (first & 0x10) !== 0;
  const partition = first & 0x07;
  if (!isStart || partition !== 0) return false;
  let i = 1;
  if (first & 0x80) {
    const ext = payload[i++];
    if (ext === undefined) return false;
    if (ext & 0x80) i += (payload[i] ?? 0) & 0x80 ? 2 : 1; // PictureID, 7 or 15 bits
    if (ext & 0x40) i += 1; // TL0PICIDX
    if (ext & 0x30) i += 1; // TID / KEYIDX
  }
  const header = payload[i];
  return header !== undefined && (header & 0x01) === 0;
}
