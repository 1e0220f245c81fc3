/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * Publisher page: the studio's own `Publisher` (packages/web), so the stream is encoded and
 * sent exactly as a host's: its codec preference, 700 kbit/s ceiling, degradation preference
 * and reconnection. With `source=clock` the "camera" is a canvas showing the clock code
 * (`clock-code.ts`), captured with captureStream(); the microphone stays Chromium's fake one.
 */
import { Publisher } from '../../../packages/web/src/features/video/publisher.ts';
import type { PublisherState } from '../../../packages/web/src/features/video/publisher-state.ts';
import { cellRect, encodeClock } from '../clock-code.ts';
import type { PublisherPageApi, PublisherPageParams } from '../page-api.ts';
import { currentPeerConnection, publisherStats, recordPeerConnections } from './rtc-stats.ts';

const WIDTH = 640;
const HEIGHT = 360;
const FPS = 30;

const query = new URLSearchParams(location.search);
const params: PublisherPageParams = {
  whip: query.get('whip') ?? '',
  token: query.get('token') ?? '',
  source: query.get('source') === 'camera' ? 'camera' : 'clock',
};

/** A canvas redrawn FPS times a second with the time it is drawn, as a video track. */
function clockTrack(): MediaStreamTrack {
  const canvas = document.createElement('canvas');
  canvas.width = WIDTH;
  canvas.height = HEIGHT;
  document.body.append(canvas);
  const ctx = canvas.getContext('2d')!;
  let frame = 0;
  const draw = () => {
    const now = Date.now();
    ctx.fillStyle = '#808080';
    ctx.fillRect(0, 0, WIDTH, HEIGHT);
    encodeClock(now).forEach((white, i) => {
      const r = cellRect(i, WIDTH, HEIGHT);
      ctx.fillStyle = white ? '#ffffff' : '#000000';
      ctx.fillRect(r.x, r.y, r.w, r.h);
    });
    // For a person looking at the stream, and some motion for the encoder.
    ctx.fillStyle = '#000000';
    ctx.font = '36px monospace';
    ctx.fillText(`${new Date(now).toISOString().slice(11, 23)}  #${frame}`, 24, HEIGHT - 40);
    ctx.fillStyle = '#d03030';
    ctx.fillRect((frame * 8) % WIDTH, HEIGHT - 24, 40, 16);
    frame += 1;
  };
  draw();
  setInterval(draw, 1000 / FPS);
  return canvas.captureStream(FPS).getVideoTracks()[0]!;
}

recordPeerConnections();
if (params.source === 'clock') {
  const video = clockTrack();
  const getUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  // The studio asks for camera and microphone: it gets the canvas and the fake microphone.
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const audio = constraints?.audio ? await getUserMedia({ audio: constraints.audio }) : null;
    return new MediaStream([video, ...(audio?.getAudioTracks() ?? [])]);
  };
}

let state: PublisherState | null = null;
const publisher = new Publisher(
  { url: params.whip, token: params.token },
  {
    onState: (s) => (state = s),
    onHealth: () => undefined,
    onStream: () => undefined,
  },
);

const api: PublisherPageApi = {
  state: () => ({
    broadcast: state?.broadcast ?? 'idle',
    camera: state?.camera ?? 'off',
    error: state?.error
      ? `${state.error.kind}${state.error.detail ? `: ${state.error.detail}` : ''}`
      : null,
  }),
  async stats() {
    const pc = currentPeerConnection();
    return pc ? publisherStats(pc) : null;
  },
  stop: () => publisher.dispose(),
};
(window as unknown as { bench: PublisherPageApi }).bench = api;

void (async () => {
  await publisher.startCamera({ cameraId: null, micId: null });
  if (!publisher.publish()) console.error('bench publisher: no camera stream to publish');
})();
