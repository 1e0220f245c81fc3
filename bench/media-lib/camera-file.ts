/**
 * A camera that needs bits: Chromium's own fake camera (a still pattern with a small moving
 * part) compresses to ~150 kbit/s, so a 1 Mbit/s uplink would never be the limit. This makes
 * a 640×360, 30 fps clip of ffmpeg's moving test pattern with sensor-like noise on every frame
 * (`noise=alls=10:allf=t+u`), as a phone held in a dim shed gives; Chromium loops it as its
 * fake camera (`--use-file-for-fake-video-capture`). Needs ffmpeg (Debian's).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const NOISY_CAMERA = 'testsrc2=size=640x360:rate=30,noise=alls=10:allf=t+u';

/** Writes the clip (y4m, about 100 MB for 10 s) and returns its path and a way to remove it. */
export function noisyCameraFile(seconds = 10): { file: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'cunbo-bench-camera-'));
  const file = path.join(dir, 'camera.y4m');
  execFileSync(
    process.env.FFMPEG_PATH ?? 'ffmpeg',
    [
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      NOISY_CAMERA,
      '-t',
      String(seconds),
      '-pix_fmt',
      'yuv420p',
      file,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
