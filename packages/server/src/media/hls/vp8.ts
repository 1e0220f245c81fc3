import { spawn, type ChildProcess } from 'node:child_process';
import { NAL, nalType } from './h264.ts';
import { TimestampUnwrapper } from './reorder.ts';

/**
 * VP8 publishers (browsers that offer no H.264, e.g. phones without an H.264 encoder): HLS
 * players here take H.264, so their video is transcoded, by ffmpeg, and only theirs. Frames
 * go in as IVF with their RTP timestamps; H.264 comes out as FLV, whose timestamps map each
 * picture back to the RTP timestamp it came from, so the packager keeps one clock and lip
 * sync with the untouched Opus.
 */

export interface Vp8Frame {
  /** RTP timestamp (32 bits, as sent). */
  timestamp: number;
  data: Buffer;
  keyframe: boolean;
  width?: number;
  height?: number;
}

/** RFC 7741: VP8 frames from RTP payloads in sequence order. */
export class Vp8Depacketizer {
  private parts: Buffer[] = [];
  private timestamp = -1;
  private broken = false;

  reset(): void {
    this.parts = [];
    this.broken = true;
  }

  /** The frame this packet completes (marker bit), if any. */
  push(payload: Buffer, timestamp: number, marker: boolean): Vp8Frame | null {
    if (payload.length < 1) return null;
    const first = payload[0]!;
    let i = 1;
    if (first & 0x80) {
      const x = payload[i++] ?? 0;
      if (x & 0x80) i += (payload[i] ?? 0) & 0x80 ? 2 : 1; // PictureID
      if (x & 0x40) i += 1; // TL0PICIDX
      if (x & 0x30) i += 1; // TID / KEYIDX
    }
    if (i > payload.length) return null;
    const start = (first & 0x10) !== 0 && (first & 0x07) === 0;
    if (start) {
      this.parts = [];
      this.broken = false;
      this.timestamp = timestamp;
    } else if (timestamp !== this.timestamp) {
      this.broken = true; // its start was lost
    }
    this.parts.push(payload.subarray(i));
    if (!marker) return null;
    const data = Buffer.concat(this.parts);
    this.parts = [];
    if (this.broken || data.length < 3) return null;
    const keyframe = (data[0]! & 0x01) === 0;
    const frame: Vp8Frame = { timestamp: this.timestamp, data, keyframe };
    if (keyframe && data.length >= 10 && data[3] === 0x9d && data[4] === 0x01 && data[5] === 0x2a) {
      frame.width = data.readUInt16LE(6) & 0x3fff;
      frame.height = data.readUInt16LE(8) & 0x3fff;
    }
    return frame;
  }
}

export interface TranscodedUnit {
  /** The RTP timestamp of the VP8 frame it was made from. */
  timestamp: number;
  keyframe: boolean;
  /** Length-prefixed NAL units: an MP4 sample. */
  data: Buffer;
  sps?: Buffer;
  pps?: Buffer;
}

/** Reads FLV tags as ffmpeg writes them, H.264 only. */
class FlvReader {
  private buf: Buffer = Buffer.alloc(0);
  private headerDone = false;
  sps?: Buffer;
  pps?: Buffer;

  constructor(private readonly onVideo: (ms: number, keyframe: boolean, data: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    if (!this.headerDone) {
      if (this.buf.length < 13) return;
      const headerSize = this.buf.readUInt32BE(5);
      this.buf = this.buf.subarray(headerSize + 4);
      this.headerDone = true;
    }
    while (this.buf.length >= 11) {
      const size = this.buf.readUIntBE(1, 3);
      if (this.buf.length < 11 + size + 4) return;
      const type = this.buf[0]! & 0x1f;
      const ms = this.buf.readUIntBE(4, 3) + this.buf[7]! * 0x1000000;
      const body = this.buf.subarray(11, 11 + size);
      this.buf = this.buf.subarray(11 + size + 4);
      if (type !== 9 || body.length < 5 || (body[0]! & 0x0f) !== 7) continue;
      const keyframe = body[0]! >> 4 === 1;
      if (body[1] === 0) this.readAvcC(body.subarray(5));
      else if (body[1] === 1) this.onVideo(ms, keyframe, body.subarray(5));
    }
  }

  private readAvcC(avcC: Buffer): void {
    let i = 5;
    const sps = avcC[i++]! & 0x1f;
    for (let n = 0; n < sps && i + 2 <= avcC.length; n++) {
      const len = avcC.readUInt16BE(i);
      this.sps = avcC.subarray(i + 2, i + 2 + len);
      i += 2 + len;
    }
    const pps = avcC[i++] ?? 0;
    for (let n = 0; n < pps && i + 2 <= avcC.length; n++) {
      const len = avcC.readUInt16BE(i);
      this.pps = avcC.subarray(i + 2, i + 2 + len);
      i += 2 + len;
    }
  }
}

function ivfHeader(width: number, height: number): Buffer {
  const h = Buffer.alloc(32);
  h.write('DKIF', 0, 'latin1');
  h.writeUInt16LE(0, 4);
  h.writeUInt16LE(32, 6);
  h.write('VP80', 8, 'latin1');
  h.writeUInt16LE(width, 12);
  h.writeUInt16LE(height, 14);
  h.writeUInt32LE(90_000, 16); // time base 1/90000: RTP ticks
  h.writeUInt32LE(1, 20);
  return h;
}

/**
 * One ffmpeg turning a VP8 stream into H.264 (constrained baseline, what every phone decodes
 * in hardware), a keyframe every `keyframeSeconds` so segments can be cut there.
 */
export class Vp8ToH264 {
  private readonly child: ChildProcess;
  private readonly reader: FlvReader;
  /** Frames sent (RTP timestamp, and extended past 32 bits), oldest first. */
  private readonly inFlight: Array<{ rtp: number; ext: number }> = [];
  private readonly unwrap = new TimestampUnwrapper();
  private base = -1;
  private exited: Promise<void>;

  constructor(
    ffmpeg: string,
    opts: { width: number; height: number; keyframeSeconds: number },
    private readonly onUnit: (unit: TranscodedUnit) => void,
    onError: (err: Error) => void,
  ) {
    const { width, height } = opts;
    this.child = spawn(
      ffmpeg,
      [
        ...['-hide_banner', '-loglevel', 'error', '-nostdin'],
        ...['-probesize', '32', '-analyzeduration', '0'],
        ...['-f', 'ivf', '-i', 'pipe:0', '-an'],
        // A fixed size: the browser may change its resolution, the encoder cannot.
        ...['-vf', `scale=${width}:${height}`, '-pix_fmt', 'yuv420p', '-fps_mode', 'passthrough'],
        ...['-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency'],
        ...['-profile:v', 'baseline', '-bf', '0', '-crf', '23', '-maxrate', '2M', '-bufsize', '2M'],
        ...['-force_key_frames', `expr:gte(t,n_forced*${opts.keyframeSeconds})`],
        ...['-g', String(opts.keyframeSeconds * 60), '-flush_packets', '1', '-f', 'flv', 'pipe:1'],
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stderr = '';
    this.child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    this.child.stdin!.on('error', () => undefined);
    this.child.on('error', (err) => onError(err));
    this.exited = new Promise((resolve) =>
      this.child.on('close', (code, signal) => {
        if (code !== 0 && signal === null) onError(new Error(`ffmpeg exit ${code}: ${stderr}`));
        resolve();
      }),
    );
    this.reader = new FlvReader((ms, keyframe, data) => this.output(ms, keyframe, data));
    this.child.stdout!.on('data', (d: Buffer) => this.reader.push(d));
    this.child.stdin!.write(ivfHeader(width, height));
  }

  write(frame: Vp8Frame): void {
    const ext = this.unwrap.unwrap(frame.timestamp);
    if (this.base < 0) this.base = ext;
    const pts = ext - this.base;
    if (pts < 0 || (this.inFlight.length > 0 && ext <= this.inFlight.at(-1)!.ext)) return;
    const header = Buffer.alloc(12);
    header.writeUInt32LE(frame.data.length, 0);
    header.writeBigUInt64LE(BigInt(pts), 4);
    this.inFlight.push({ rtp: frame.timestamp, ext });
    if (this.inFlight.length > 300) this.inFlight.shift();
    this.child.stdin!.write(Buffer.concat([header, frame.data]));
  }

  private output(ms: number, keyframe: boolean, data: Buffer): void {
    // The frame whose time rounds to this output's millisecond; older ones were dropped.
    let timestamp = (this.base + ms * 90) >>> 0;
    while (this.inFlight.length > 0) {
      const sent = this.inFlight[0]!;
      const sentMs = Math.round((sent.ext - this.base) / 90);
      if (sentMs > ms) break;
      this.inFlight.shift();
      if (sentMs === ms) {
        timestamp = sent.rtp;
        break;
      }
    }
    const hasSlice = hasPicture(data);
    if (!hasSlice) return;
    this.onUnit({
      timestamp,
      keyframe,
      data,
      ...(keyframe &&
        this.reader.sps &&
        this.reader.pps && { sps: this.reader.sps, pps: this.reader.pps }),
    });
  }

  /** No more frames: resolves once ffmpeg has put out what it had (or after `timeoutMs`). */
  async end(timeoutMs = 3000): Promise<void> {
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

/** Whether length-prefixed NAL units hold a slice. */
function hasPicture(data: Buffer): boolean {
  for (let i = 0; i + 4 < data.length;) {
    const len = data.readUInt32BE(i);
    const type = nalType(data.subarray(i + 4, i + 5));
    if (type >= 1 && type <= NAL.idr) return true;
    i += 4 + len;
  }
  return false;
}
