/**
 * H.264 from RTP (RFC 6184, packetization-mode 1) to the access units an MP4 holds: NAL units
 * without start codes, parameter sets taken aside for the `avcC` box. No decoding.
 */

export const NAL = {
  slice: 1,
  idr: 5,
  sei: 6,
  sps: 7,
  pps: 8,
  aud: 9,
  stapA: 24,
  fuA: 28,
} as const;

export const nalType = (nal: Buffer) => nal[0]! & 0x1f;

/**
 * Reassembles NAL units from RTP payloads given in sequence order. A lost packet in the middle
 * of a fragmented unit drops that unit: `reset()` is called on every gap.
 */
export class H264Depacketizer {
  private fu: Buffer[] | null = null;

  reset(): void {
    this.fu = null;
  }

  /** The complete NAL units this payload ends. */
  push(payload: Buffer): Buffer[] {
    if (payload.length < 1) return [];
    const type = payload[0]! & 0x1f;
    if (type >= 1 && type <= 23) return [payload];
    if (type === NAL.stapA) {
      const out: Buffer[] = [];
      for (let i = 1; i + 2 <= payload.length;) {
        const size = payload.readUInt16BE(i);
        i += 2;
        if (size === 0 || i + size > payload.length) break;
        out.push(payload.subarray(i, i + size));
        i += size;
      }
      return out;
    }
    if (type === NAL.fuA) {
      if (payload.length < 3) return [];
      const fuHeader = payload[1]!;
      const start = (fuHeader & 0x80) !== 0;
      const end = (fuHeader & 0x40) !== 0;
      if (start) {
        const header = Buffer.of((payload[0]! & 0xe0) | (fuHeader & 0x1f));
        this.fu = [header, payload.subarray(2)];
      } else if (this.fu) {
        this.fu.push(payload.subarray(2));
      } else {
        return []; // the start was lost
      }
      if (end) {
        const nal = Buffer.concat(this.fu);
        this.fu = null;
        return [nal];
      }
      return [];
    }
    return []; // STAP-B, MTAP, FU-B: interleaved mode, never negotiated
  }
}

/** One picture: its slices (and SEI) as MP4 sample data, plus any parameter sets it came with. */
export interface AccessUnit {
  /** RTP timestamp (90 kHz), extended past 32 bits. */
  timestamp: number;
  keyframe: boolean;
  /** Length-prefixed (4 bytes) NAL units: the MP4 sample. */
  data: Buffer;
  sps?: Buffer;
  pps?: Buffer;
}

/** Builds an access unit from its NAL units; null when it holds no picture. */
export function accessUnit(timestamp: number, nals: Buffer[]): AccessUnit | null {
  let keyframe = false;
  let sps: Buffer | undefined;
  let pps: Buffer | undefined;
  const kept: Buffer[] = [];
  let hasSlice = false;
  for (const nal of nals) {
    const type = nalType(nal);
    if (type === NAL.sps) sps = nal;
    else if (type === NAL.pps) pps = nal;
    else if (type === NAL.aud) continue;
    else {
      if (type === NAL.idr) keyframe = true;
      if (type >= 1 && type <= 5) hasSlice = true;
      kept.push(nal);
    }
  }
  if (!hasSlice) return null;
  const data = Buffer.allocUnsafe(kept.reduce((n, nal) => n + 4 + nal.length, 0));
  let o = 0;
  for (const nal of kept) {
    data.writeUInt32BE(nal.length, o);
    nal.copy(data, o + 4);
    o += 4 + nal.length;
  }
  return { timestamp, keyframe, data, ...(sps && { sps }), ...(pps && { pps }) };
}

/** `sprop-parameter-sets` of an SDP fmtp line (OBS and others announce SPS and PPS there). */
export function spropParameterSets(fmtp: string): { sps?: Buffer; pps?: Buffer } {
  const m = /sprop-parameter-sets=([^;\s]+)/i.exec(fmtp);
  if (!m) return {};
  const out: { sps?: Buffer; pps?: Buffer } = {};
  for (const b64 of m[1]!.split(',')) {
    const nal = Buffer.from(b64, 'base64');
    if (nal.length < 2) continue;
    if (nalType(nal) === NAL.sps) out.sps ??= nal;
    if (nalType(nal) === NAL.pps) out.pps ??= nal;
  }
  return out;
}

/** Bit reader over an RBSP (emulation prevention bytes removed). */
class Bits {
  private bit = 0;
  constructor(private readonly buf: Buffer) {}
  u(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) {
      const byte = this.buf[this.bit >> 3];
      if (byte === undefined) throw new Error('SPS too short');
      v = v * 2 + ((byte >> (7 - (this.bit & 7))) & 1);
      this.bit++;
    }
    return v;
  }
  ue(): number {
    let zeros = 0;
    while (this.u(1) === 0) if (++zeros > 31) throw new Error('bad exp-Golomb code');
    return 2 ** zeros - 1 + this.u(zeros);
  }
  se(): number {
    const k = this.ue();
    return k % 2 ? (k + 1) / 2 : -k / 2;
  }
}

function rbsp(nal: Buffer): Buffer {
  const out = Buffer.allocUnsafe(nal.length);
  let n = 0;
  let zeros = 0;
  for (const byte of nal) {
    // 00 00 03 -> 00 00: the 03 only keeps a start code from appearing
    if (zeros >= 2 && byte === 3) {
      zeros = 0;
      continue;
    }
    zeros = byte === 0 ? zeros + 1 : 0;
    out[n++] = byte;
  }
  return out.subarray(0, n);
}

export interface SpsInfo {
  profile: number;
  constraints: number;
  level: number;
  width: number;
  height: number;
}

/** Picture size and profile from a sequence parameter set (ITU-T H.264 §7.3.2.1.1). */
export function parseSps(sps: Buffer): SpsInfo {
  const b = new Bits(rbsp(sps.subarray(1)));
  const profile = b.u(8);
  const constraints = b.u(8);
  const level = b.u(8);
  b.ue(); // seq_parameter_set_id
  let chromaFormat = 1;
  if ([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135].includes(profile)) {
    chromaFormat = b.ue();
    if (chromaFormat === 3) b.u(1);
    b.ue(); // bit_depth_luma
    b.ue(); // bit_depth_chroma
    b.u(1);
    if (b.u(1)) {
      for (let i = 0; i < (chromaFormat !== 3 ? 8 : 12); i++) {
        if (!b.u(1)) continue;
        let last = 8;
        let next = 8;
        for (let j = 0; j < (i < 6 ? 16 : 64); j++) {
          if (next !== 0) next = (last + b.se() + 256) % 256;
          last = next === 0 ? last : next;
        }
      }
    }
  }
  b.ue(); // log2_max_frame_num
  const pocType = b.ue();
  if (pocType === 0) b.ue();
  else if (pocType === 1) {
    b.u(1);
    b.se();
    b.se();
    const n = b.ue();
    for (let i = 0; i < n; i++) b.se();
  }
  b.ue(); // max_num_ref_frames
  b.u(1);
  const widthMbs = b.ue() + 1;
  const heightMapUnits = b.ue() + 1;
  const frameMbsOnly = b.u(1);
  if (!frameMbsOnly) b.u(1);
  b.u(1); // direct_8x8_inference
  let crop = { left: 0, right: 0, top: 0, bottom: 0 };
  if (b.u(1)) crop = { left: b.ue(), right: b.ue(), top: b.ue(), bottom: b.ue() };
  const subW = chromaFormat === 1 || chromaFormat === 2 ? 2 : 1;
  const subH = chromaFormat === 1 ? 2 : 1;
  const cropX = chromaFormat === 0 ? 1 : subW;
  const cropY = (chromaFormat === 0 ? 1 : subH) * (2 - frameMbsOnly);
  return {
    profile,
    constraints,
    level,
    width: widthMbs * 16 - cropX * (crop.left + crop.right),
    height: (2 - frameMbsOnly) * heightMapUnits * 16 - cropY * (crop.top + crop.bottom),
  };
}

/** The RFC 6381 codecs string, e.g. `avc1.42e01f`. */
export function avcCodecString(sps: Buffer): string {
  return `avc1.${sps.subarray(1, 4).toString('hex')}`;
}
