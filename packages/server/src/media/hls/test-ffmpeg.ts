/**
 * Test helpers: Debian's ffmpeg as the encoder a publisher would be (a moving test pattern
 * and a tone, H.264 constrained baseline + Opus over RTP, in real time), and ffprobe to check
 * what the packager wrote. Used by tests only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RtpPacket } from 'werift';
import type { NegotiatedCodec } from '../sdp.ts';

const run = promisify(execFile);

export const H264_CODEC: NegotiatedCodec = {
  kind: 'video',
  name: 'H264',
  payloadType: 96,
  clockRate: 90000,
  fmtp: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
};
export const VP8_CODEC: NegotiatedCodec = {
  kind: 'video',
  name: 'VP8',
  payloadType: 96,
  clockRate: 90000,
  fmtp: '',
};
export const OPUS_CODEC: NegotiatedCodec = {
  kind: 'audio',
  name: 'opus',
  payloadType: 111,
  clockRate: 48000,
  channels: 2,
  fmtp: 'minptime=10;useinbandfec=1',
};

export interface FfmpegRtpSource {
  /** Resolves when ffmpeg exits (after `seconds`, or when stopped). */
  done: Promise<void>;
  stop(): Promise<void>;
}

async function udpSocket(onPacket: (packet: RtpPacket) => void): Promise<Socket> {
  const socket = createSocket('udp4');
  socket.on('message', (msg) => {
    // RTCP (sender reports) shares nothing here: payload types 200-204 after the marker bit.
    const pt = msg[1]! & 0x7f;
    if (pt >= 72 && pt <= 76) return;
    onPacket(RtpPacket.deSerialize(msg));
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

/**
 * ffmpeg encodes `seconds` of test pattern and tone in real time and sends RTP to local UDP
 * ports; each packet is handed to `onRtp`. Keyframes every `gop` frames (30 fps).
 */
export async function ffmpegRtp(
  onRtp: (kind: 'audio' | 'video', packet: RtpPacket) => void,
  opts: { seconds: number; gop?: number; size?: string; vp8?: boolean } = { seconds: 5 },
): Promise<FfmpegRtpSource> {
  const video = await udpSocket((p) => onRtp('video', p));
  const audio = await udpSocket((p) => onRtp('audio', p));
  const vport = (video.address() as AddressInfo).port;
  const aport = (audio.address() as AddressInfo).port;
  const child: ChildProcess = spawn(
    'ffmpeg',
    [
      ...['-hide_banner', '-loglevel', 'error', '-nostdin'],
      ...['-re', '-t', String(opts.seconds), '-f', 'lavfi'],
      ...['-i', `testsrc2=size=${opts.size ?? '320x240'}:rate=30`],
      ...['-re', '-t', String(opts.seconds), '-f', 'lavfi'],
      ...['-i', 'sine=frequency=440:sample_rate=48000'],
      ...['-map', '0:v', '-g', String(opts.gop ?? 30), '-pix_fmt', 'yuv420p'],
      ...(opts.vp8
        ? ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '600k']
        : [
            '-c:v',
            'libx264',
            '-profile:v',
            'baseline',
            '-preset',
            'ultrafast',
            '-tune',
            'zerolatency',
          ]),
      ...['-f', 'rtp', '-payload_type', '96', `rtp://127.0.0.1:${vport}?pkt_size=1200`],
      ...['-map', '1:a', '-c:a', 'libopus', '-b:a', '32k', '-ac', '2'],
      ...['-f', 'rtp', '-payload_type', '111', `rtp://127.0.0.1:${aport}?pkt_size=1200`],
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      // Give the last packets a moment to be read off the sockets.
      setTimeout(() => {
        video.close();
        audio.close();
        if (code === 0 || signal) resolve();
        else reject(new Error(`ffmpeg exited with ${code}: ${stderr}`));
      }, 50);
    });
  });
  return {
    done,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await done.catch(() => undefined);
    },
  };
}

export interface ProbedStream {
  codec_name: string;
  codec_type: string;
  width?: number;
  height?: number;
}

/**
 * ffprobe's streams of an MP4 made of these buffers (init + segments), and how long it plays:
 * from the first packet to the end of the last (ffprobe's own duration of a fragmented MP4
 * counts from zero, not from the first fragment's decode time).
 */
export async function probe(
  file: string,
  ...buffers: Buffer[]
): Promise<{ streams: ProbedStream[]; duration: number }> {
  writeFileSync(file, Buffer.concat(buffers));
  const { stdout } = await run('ffprobe', [
    ...['-v', 'error', '-show_streams', '-show_entries', 'packet=pts_time,duration_time'],
    ...['-of', 'json', file],
  ]);
  const out = JSON.parse(stdout) as {
    streams: ProbedStream[];
    packets?: Array<{ pts_time?: string; duration_time?: string }>;
  };
  let start = Infinity;
  let end = -Infinity;
  for (const p of out.packets ?? []) {
    const pts = Number(p.pts_time);
    if (!Number.isFinite(pts)) continue;
    start = Math.min(start, pts);
    end = Math.max(end, pts + Number(p.duration_time ?? 0));
  }
  return { streams: out.streams, duration: end > start ? end - start : 0 };
}

/** Frames ffmpeg decodes from the file, and whether it complained. */
export async function decodeErrors(file: string): Promise<string> {
  const { stderr } = await run('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-']);
  return stderr;
}
