/**
 * How the picture fills the video area. A portrait phone showing a portrait stream fills the
 * screen (`cover`, a little cropped); a landscape stream on a portrait phone would lose three
 * quarters of its width to `cover`, so it is shown whole (`contain`), as it is on landscape
 * screens and desktops.
 */
export type Fit = 'cover' | 'contain';

/** Cover when at least this share of the picture stays visible. */
const KEEP_AT_LEAST = 0.7;

export function videoFit(videoW: number, videoH: number, boxW: number, boxH: number): Fit {
  if (boxW <= 0 || boxH <= 0) return 'cover';
  if (boxW > boxH) return 'contain';
  if (videoW <= 0 || videoH <= 0) return 'cover';
  const video = videoW / videoH;
  const box = boxW / boxH;
  const kept = Math.min(video, box) / Math.max(video, box);
  return kept >= KEEP_AT_LEAST ? 'cover' : 'contain';
}

/** Which HLS player to use: the browser's own (iOS Safari), hls.js (MSE), or none. */
export type HlsEngine = 'native' | 'hlsjs' | null;

export function hlsEngine(opts: {
  /** video.canPlayType('application/vnd.apple.mpegurl') !== '' */
  native: boolean;
  /** hls.js's Hls.isSupported() (MediaSource or ManagedMediaSource). */
  mse: boolean;
  /** iPhone/iPad Safari: its own player is the better one there. */
  appleTouch: boolean;
}): HlsEngine {
  if (opts.native && (opts.appleTouch || !opts.mse)) return 'native';
  if (opts.mse) return 'hlsjs';
  return opts.native ? 'native' : null;
}
