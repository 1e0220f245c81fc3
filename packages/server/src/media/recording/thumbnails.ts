import { spawn } from 'node:child_process';

/**
 * A JPEG of the first frame of an fMP4 segment (init + segment: it starts with a keyframe),
 * decoded by ffmpeg: decoding H.264 is the one thing the platform cannot do in TypeScript
 * cheaply. Scaled down to `width` for lists. Rejects if ffmpeg is missing, fails, or takes
 * longer than `timeoutMs`.
 */
export function grabJpeg(
  ffmpeg: string,
  mp4: Buffer,
  opts: { width?: number; timeoutMs?: number } = {},
): Promise<Buffer> {
  const width = opts.width ?? 480;
  return new Promise((resolve, reject) => {
    const child = spawn(
      ffmpeg,
      [
        ...['-hide_banner', '-loglevel', 'error', '-nostdin'],
        ...['-f', 'mp4', '-i', 'pipe:0'],
        ...['-frames:v', '1', '-an'],
        ...['-vf', `scale='min(${width},iw)':-2`],
        ...['-q:v', '5', '-f', 'image2pipe', '-c:v', 'mjpeg', 'pipe:1'],
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const out: Buffer[] = [];
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 10_000);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // ffmpeg may stop reading once it has its frame.
    child.stdin.on('error', () => undefined);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const jpeg = Buffer.concat(out);
      if (code === 0 && jpeg.length > 2 && jpeg[0] === 0xff && jpeg[1] === 0xd8) resolve(jpeg);
      else reject(new Error(`ffmpeg ${signal ?? `exit ${code}`}: ${stderr.trim().slice(0, 500)}`));
    });
    child.stdin.end(mp4);
  });
}
