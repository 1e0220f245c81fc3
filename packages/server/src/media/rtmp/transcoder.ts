import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { RtpPacket } from 'werift';
import type { MediaKind } from '../sdp.ts';

/** RTP payload types ffmpeg is told to use; the relay's senders rewrite them per viewer. */
export const VIDEO_PAYLOAD_TYPE = 96;
export const AUDIO_PAYLOAD_TYPE = 111;

/** What ffmpeg buffers from us before we call it stuck: about 20 s of a 1.5 Mbit/s stream. */
const MAX_STDIN_BACKLOG = 4 * 1024 * 1024;

export interface TranscoderOptions {
  ffmpegPath: string;
  /** Whether the FLV carries audio (turned into Opus) besides its H.264 video. */
  audio: boolean;
  onRtp(kind: MediaKind, packet: RtpPacket): void;
  /** ffmpeg ended or failed by itself (not after `close`); `why` ends with its last words. */
  onExit(why: string): void;
}

interface Output {
  kind: MediaKind;
  socket: dgram.Socket;
  ssrc: number;
}

/**
 * One ffmpeg per RTMP publish: FLV in on stdin, out as RTP on two loopback UDP ports that
 * this process reads. Video is copied (H.264 stays H.264, only repacketised into RTP with its
 * SPS/PPS in band); audio is the only transcode, AAC (or MP3) to Opus, because WebRTC
 * players have no AAC decoder.
 */
export class Transcoder {
  private child: ChildProcessByStdio<Writable, null, Readable> | undefined;
  private readonly outputs: Output[] = [];
  private stderrTail: string[] = [];
  private closed = false;
  readonly packetsOut: Record<MediaKind, number> = { audio: 0, video: 0 };

  private constructor(private readonly options: TranscoderOptions) {}

  static async start(options: TranscoderOptions): Promise<Transcoder> {
    const t = new Transcoder(options);
    try {
      await t.bind('video');
      if (options.audio) await t.bind('audio');
      t.spawn();
    } catch (err) {
      t.close();
      throw err;
    }
    return t;
  }

  /** Writes FLV (the header first, then whole tags). False when ffmpeg is gone or stuck. */
  write(flv: Buffer): boolean {
    const stdin = this.child?.stdin;
    if (this.closed || !stdin || stdin.destroyed) return false;
    if (stdin.writableLength > MAX_STDIN_BACKLOG) return false;
    stdin.write(flv);
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const o of this.outputs) o.socket.close();
    if (this.child && this.child.exitCode === null) {
      this.child.stdin.destroy();
      this.child.kill('SIGKILL');
    }
  }

  private async bind(kind: MediaKind): Promise<void> {
    const socket = dgram.createSocket('udp4');
    // Each output gets an SSRC of our choosing: packets with another one (anything else on
    // this machine writing to the port) are not taken for the encoder's.
    const output: Output = { kind, socket, ssrc: randomInt(1, 0xffff_ffff) };
    this.outputs.push(output);
    socket.on('message', (msg) => this.onMessage(output, msg));
    socket.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
  }

  private onMessage(output: Output, msg: Buffer): void {
    // RTCP (sender reports, sent to the same port) has payload types 200-204 in byte 1.
    if (this.closed || msg.length < 12 || (msg[1]! >= 192 && msg[1]! <= 223)) return;
    let packet: RtpPacket;
    try {
      packet = RtpPacket.deSerialize(msg);
    } catch {
      return;
    }
    if (packet.header.ssrc !== output.ssrc) return;
    this.packetsOut[output.kind]++;
    this.options.onRtp(output.kind, packet);
  }

  private target(kind: MediaKind): string[] {
    const o = this.outputs.find((x) => x.kind === kind)!;
    const port = (o.socket.address() as AddressInfo).port;
    const pt = kind === 'video' ? VIDEO_PAYLOAD_TYPE : AUDIO_PAYLOAD_TYPE;
    return [
      '-f',
      'rtp',
      '-payload_type',
      String(pt),
      '-ssrc',
      String(o.ssrc | 0),
      // RTCP to the same port (we drop it) rather than to port + 1, which is not ours.
      `rtp://127.0.0.1:${port}?rtcpport=${port}&pkt_size=1200`,
    ];
  }

  private spawn(): void {
    const args = [
      '-hide_banner',
      '-loglevel',
      'warning',
      '-nostdin',
      // Start at once: the FLV header says which streams come and their sequence headers
      // come first, so a few KB tell all (32 bytes do not: no picture size, no video).
      // Not `-fflags nobuffer`: with it ffmpeg 5.1 drops all but the first video packets.
      '-probesize',
      '4096',
      '-analyzeduration',
      '0',
      '-f',
      'flv',
      '-i',
      'pipe:0',
      '-map',
      '0:v:0',
      '-c:v',
      'copy',
      // Length-prefixed NAL units to Annex B, with SPS/PPS before every IDR: browsers need
      // them in band (the relay's SDP carries no sprop-parameter-sets).
      '-bsf:v',
      'h264_mp4toannexb',
      ...this.target('video'),
    ];
    if (this.options.audio) {
      args.push(
        '-map',
        '0:a:0',
        '-c:a',
        'libopus',
        '-b:a',
        '64k',
        '-ar',
        '48000',
        '-ac',
        '2',
        '-frame_duration',
        '20',
        ...this.target('audio'),
      );
    }
    const child = spawn(this.options.ffmpegPath, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    this.child = child;
    child.stdin.on('error', () => undefined);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      this.stderrTail.push(...chunk.split('\n').filter(Boolean));
      if (this.stderrTail.length > 10) this.stderrTail = this.stderrTail.slice(-10);
    });
    child.on('error', (err) => this.exited(`ffmpeg could not run: ${err.message}`));
    child.on('exit', (code, signal) =>
      this.exited(`ffmpeg exited (${signal ?? code}): ${this.stderrTail.join(' | ')}`),
    );
  }

  private exited(why: string): void {
    if (this.closed) return;
    this.close();
    this.options.onExit(why);
  }
}
