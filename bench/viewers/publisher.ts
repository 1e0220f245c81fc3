/**
 * The stream of the bench: a test pattern encoded once by ffmpeg (H.264 + Opus, about
 * 1 Mbit/s), replayed in real time by ffmpeg as RTP over loopback, and published over WHIP by
 * a werift peer, as a browser or OBS would publish it.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  MediaStreamTrack,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RtpPacket,
  useNACK,
  usePLI,
  useSdesMid,
  useTransportWideCC,
  useTWCC,
} from 'werift';

export const VIDEO_KBPS = 936;
export const AUDIO_KBPS = 64;
const CLIP_SECONDS = 20;

export const benchCodecs = () => ({
  audio: [
    new RTCRtpCodecParameters({
      mimeType: 'audio/opus',
      clockRate: 48000,
      channels: 2,
      rtcpFeedback: [useTWCC()],
    }),
  ],
  video: [
    new RTCRtpCodecParameters({
      mimeType: 'video/H264',
      clockRate: 90000,
      parameters: 'profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1',
      rtcpFeedback: [useNACK(), usePLI(), useTWCC()],
    }),
  ],
});

/**
 * 20 s of 640×360 at 30 fps, constant bitrate, a keyframe every 2 s (SPS/PPS in band, as
 * MPEG-TS carries them), and a 440 Hz tone in Opus. Made once, kept in the temp folder.
 */
export function clip(): string {
  const file = path.join(os.tmpdir(), `cunbo-bench-${VIDEO_KBPS + AUDIO_KBPS}k.ts`);
  if (existsSync(file)) return file;
  const kbps = `${VIDEO_KBPS}k`;
  execFileSync(
    'ffmpeg',
    [
      ...['-hide_banner', '-loglevel', 'error', '-y'],
      ...['-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=30:duration=${CLIP_SECONDS}`],
      ...['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${CLIP_SECONDS}`],
      ...[
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-profile:v',
        'baseline',
        '-pix_fmt',
        'yuv420p',
      ],
      ...['-b:v', kbps, '-minrate', kbps, '-maxrate', kbps, '-bufsize', `${VIDEO_KBPS / 2}k`],
      ...['-x264-params', 'nal-hrd=cbr:force-cfr=1', '-g', '60', '-keyint_min', '60'],
      ...['-c:a', 'libopus', '-b:a', `${AUDIO_KBPS}k`, '-ac', '2'],
      ...['-f', 'mpegts', '-muxrate', `${(VIDEO_KBPS + AUDIO_KBPS) * 1.1}k`, file],
    ],
    { stdio: 'inherit' },
  );
  return file;
}

export interface Publisher {
  /** RTP packets and bytes (payload) handed to the WHIP peer so far. */
  packets(): { audio: number; video: number; bytes: number };
  ffmpegPid(): number;
  /** The WHIP peer's connection state: `connected` while all is well. */
  state(): string;
  close(): Promise<void>;
}

async function udpSocket(onPacket: (buf: Buffer) => void): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', onPacket);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

export async function publish(whipUrl: string, streamKey: string): Promise<Publisher> {
  const file = clip();
  const pc = new RTCPeerConnection({
    iceServers: [],
    codecs: benchCodecs(),
    headerExtensions: {
      audio: [useSdesMid(), useTransportWideCC()],
      video: [useSdesMid(), useTransportWideCC()],
    },
  });
  const tracks = {
    audio: new MediaStreamTrack({ kind: 'audio' }),
    video: new MediaStreamTrack({ kind: 'video' }),
  };
  pc.addTransceiver(tracks.audio, { direction: 'sendonly' });
  pc.addTransceiver(tracks.video, { direction: 'sendonly' });
  await pc.setLocalDescription(await pc.createOffer());
  const res = await fetch(whipUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/sdp', authorization: `Bearer ${streamKey}` },
    body: pc.localDescription!.sdp,
  });
  const answer = await res.text();
  if (res.status !== 201) throw new Error(`WHIP answered ${res.status}: ${answer}`);
  await pc.setRemoteDescription({ type: 'answer', sdp: answer });
  const started = Date.now();
  while (pc.connectionState !== 'connected') {
    if (Date.now() - started > 20_000) throw new Error('the publisher did not connect');
    await new Promise((r) => setTimeout(r, 20));
  }

  const count = { audio: 0, video: 0, bytes: 0 };
  const sockets = await Promise.all(
    (['audio', 'video'] as const).map((kind) =>
      udpSocket((buf) => {
        const packet = RtpPacket.deSerialize(buf);
        count[kind]++;
        count.bytes += packet.payload.length;
        tracks[kind].writeRtp(packet);
      }),
    ),
  );
  const [audioPort, videoPort] = sockets.map((s) => s.address().port);
  // -re: in real time; -stream_loop: for as long as the bench runs; copy: no encoding here.
  const ffmpeg: ChildProcess = spawn(
    'ffmpeg',
    [
      ...['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', file],
      ...['-map', '0:v', '-c', 'copy', '-f', 'rtp', '-payload_type', '96'],
      `rtp://127.0.0.1:${videoPort}?pkt_size=1200`,
      ...['-map', '0:a', '-c', 'copy', '-f', 'rtp', '-payload_type', '111'],
      `rtp://127.0.0.1:${audioPort}?pkt_size=1200`,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return {
    packets: () => ({ ...count }),
    ffmpegPid: () => ffmpeg.pid!,
    state: () => pc.connectionState,
    async close() {
      ffmpeg.kill('SIGTERM');
      for (const s of sockets) s.close();
      await pc.close();
    },
  };
}
