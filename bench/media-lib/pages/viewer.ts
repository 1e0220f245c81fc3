/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The web app's declaration of `hls.js/light` (a script, not a module, so it cannot be imported).
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="../../../packages/web/src/features/video/hls-light.d.ts" />
/**
 * Viewer page: the live room's own `Player` (packages/web): WHEP first, hls.js with the app's
 * settings when the server sends it to HLS. Every presented frame is noted
 * (requestVideoFrameCallback) and, with `decode=1`, the publisher's clock is read off it:
 * the frame is drawn into a canvas and the mean luma of each code cell sampled.
 */
import type Hls from 'hls.js';
import { Player } from '../../../packages/web/src/features/video/player.ts';
import type { PlayerState } from '../../../packages/web/src/features/video/player-state.ts';
import { CELLS, decodeClock, sampleRect } from '../clock-code.ts';
import type { FrameSample, ViewerPageApi, ViewerPageParams } from '../page-api.ts';
import { currentPeerConnection, recordPeerConnections, viewerStats } from './rtc-stats.ts';

/** The size frames are read at: cells stay 30 × 22 px, plenty to average. */
const READ_WIDTH = 320;
const READ_HEIGHT = 180;

const query = new URLSearchParams(location.search);
const params: ViewerPageParams = {
  whep: query.get('whep') ?? '',
  hls: query.get('hls') ?? '',
  decode: query.get('decode') === '1',
};

recordPeerConnections();
const video = document.createElement('video');
video.muted = true;
video.autoplay = true;
video.playsInline = true;
video.width = 640;
video.height = 360;
document.body.append(video);

const canvas = document.createElement('canvas');
canvas.width = READ_WIDTH;
canvas.height = READ_HEIGHT;
const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
const samples = Array.from({ length: CELLS }, (_, i) => sampleRect(i, READ_WIDTH, READ_HEIGHT));

function readClock(): number | null {
  ctx.drawImage(video, 0, 0, READ_WIDTH, READ_HEIGHT);
  const { data } = ctx.getImageData(0, 0, READ_WIDTH, READ_HEIGHT);
  const lumas = samples.map((r) => {
    let sum = 0;
    let n = 0;
    for (let y = Math.round(r.y); y < Math.round(r.y + r.h); y++) {
      for (let x = Math.round(r.x); x < Math.round(r.x + r.w); x++) {
        const p = (y * READ_WIDTH + x) * 4;
        sum += 0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]!;
        n += 1;
      }
    }
    return n ? sum / n : 0;
  });
  return decodeClock(lumas, Date.now());
}

let frames: FrameSample[] = [];
let count = 0;
const onFrame = (_now: number, meta: VideoFrameCallbackMetadata) => {
  // The wall-clock time at which the compositor expects this frame on the glass.
  const shownAt = Date.now() + (meta.expectedDisplayTime - performance.now());
  count += 1;
  frames.push({
    shownAt,
    drawnAt: params.decode ? readClock() : null,
    width: meta.width,
    height: meta.height,
  });
  video.requestVideoFrameCallback(onFrame);
};
video.requestVideoFrameCallback(onFrame);

let state: PlayerState | null = null;
const player = new Player(
  video,
  { whep: params.whep, hls: params.hls || null },
  (s) => (state = s),
);
player.start();

// hls.js stalls, counted as it does when it raises its target latency.
let stalls = 0;
video.addEventListener('waiting', () => {
  if (state?.transport === 'hls' && state.phase === 'playing') stalls += 1;
});

const api: ViewerPageApi = {
  hls() {
    // The player keeps its hls.js instance private; the bench reads it for the report only.
    const hls = (player as unknown as { hls: Hls | null }).hls;
    if (!hls) return null;
    const end = video.buffered.length ? video.buffered.end(video.buffered.length - 1) : 0;
    return {
      latency: hls.latency,
      targetLatency: hls.targetLatency,
      playbackRate: video.playbackRate,
      bufferedAhead: Math.max(0, end - video.currentTime),
      stalls,
    };
  },
  state: () => ({ phase: state?.phase ?? 'idle', transport: state?.transport ?? null }),
  takeFrames() {
    const taken = frames;
    frames = [];
    return taken;
  },
  frameCount: () => count,
  async stats() {
    const pc = currentPeerConnection();
    return pc ? viewerStats(pc) : null;
  },
  stop: () => player.stop(),
};
(window as unknown as { bench: ViewerPageApi }).bench = api;
