import { constants } from 'node:fs';
import {
  access,
  appendFile,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { initName, segmentName, vodPlaylist } from '../hls/playlist.ts';

/**
 * A show's recording on disk, `DATA_DIR/media/<liveId>/`:
 *
 *   init-<n>.mp4      init segment of each publisher/encoder configuration
 *   seg-<msn>.m4s     the HLS segments as served live (no transcode)
 *   segments.jsonl    one line per segment, appended as it is written
 *   replay.m3u8       the VOD playlist, written when the show ends
 *   thumbnail.jpg     the latest frame grabbed for lists
 *
 * The segments the live audience got are the replay: nothing is re-encoded or re-muxed at
 * the end. Append-only, so a crash loses at most the segment being written.
 */

export interface RecordedSegment {
  msn: number;
  /** Seconds. */
  duration: number;
  /** Position on the show's media timeline, seconds. */
  start: number;
  initId: number;
  discontinuity: boolean;
  /** Wall clock of its first frame, ms since the epoch. */
  programDateTime: number;
}

export interface Recording {
  segments: RecordedSegment[];
  initIds: number[];
  /** replay.m3u8 exists. */
  finished: boolean;
}

export const REPLAY_PLAYLIST = 'replay.m3u8';
export const THUMBNAIL = 'thumbnail.jpg';
const INDEX = 'segments.jsonl';

const exists = (file: string) =>
  access(file, constants.F_OK).then(
    () => true,
    () => false,
  );

export interface RecordingWriter {
  init(id: number, data: Buffer): void;
  segment(segment: RecordedSegment, data: Buffer): void;
  /** Resolves when everything queued so far is on disk. */
  idle(): Promise<void>;
}

export function createRecordingStore(
  dataDir: string,
  log: { warn(obj: object, msg: string): void },
) {
  const root = path.join(dataDir, 'media');
  const dirOf = (liveId: string) => path.join(root, liveId);

  async function load(liveId: string): Promise<Recording | null> {
    const dir = dirOf(liveId);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return null;
    }
    const segments: RecordedSegment[] = [];
    if (names.includes(INDEX)) {
      for (const line of (await readFile(path.join(dir, INDEX), 'utf8')).split('\n')) {
        if (!line.trim()) continue;
        try {
          segments.push(JSON.parse(line) as RecordedSegment);
        } catch {
          // a line cut short by a crash
        }
      }
    }
    const initIds = names
      .map((n) => /^init-(\d+)\.mp4$/.exec(n)?.[1])
      .filter((id): id is string => id !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    return {
      // Only segments whose file made it to disk.
      segments: segments.filter((s) => names.includes(segmentName(s.msn))),
      initIds,
      finished: names.includes(REPLAY_PLAYLIST),
    };
  }

  return {
    dirOf,
    load,

    /** Writes files for one live in order, one at a time. */
    writer(liveId: string): RecordingWriter {
      const dir = dirOf(liveId);
      let chain: Promise<void> = mkdir(dir, { recursive: true }).then(() => undefined);
      const queue = (what: string, job: () => Promise<void>) => {
        chain = chain.then(job).catch((err: unknown) => {
          log.warn({ err, liveId, what }, 'recording write failed');
        });
      };
      return {
        init(id, data) {
          queue(initName(id), () => writeFile(path.join(dir, initName(id)), data));
        },
        segment(segment, data) {
          queue(segmentName(segment.msn), async () => {
            await writeFile(path.join(dir, segmentName(segment.msn)), data);
            await appendFile(path.join(dir, INDEX), JSON.stringify(segment) + '\n');
          });
        },
        idle: () => chain,
      };
    },

    /** Writes the VOD playlist of everything recorded; false when there is nothing. */
    async finish(liveId: string, segmentSeconds: number): Promise<Recording | null> {
      const recording = await load(liveId);
      if (!recording || recording.segments.length === 0) return recording;
      const dir = dirOf(liveId);
      const tmp = path.join(dir, `${REPLAY_PLAYLIST}.tmp`);
      await writeFile(tmp, vodPlaylist(segmentSeconds, recording.segments));
      await rename(tmp, path.join(dir, REPLAY_PLAYLIST));
      return { ...recording, finished: true };
    },

    /** A file of the recording, or null. `name` must have been validated by the caller. */
    async read(liveId: string, name: string): Promise<Buffer | null> {
      try {
        return await readFile(path.join(dirOf(liveId), name));
      } catch {
        return null;
      }
    },

    async writeThumbnail(liveId: string, jpeg: Buffer): Promise<void> {
      const dir = dirOf(liveId);
      await mkdir(dir, { recursive: true });
      const tmp = path.join(dir, `${THUMBNAIL}.tmp`);
      await writeFile(tmp, jpeg);
      await rename(tmp, path.join(dir, THUMBNAIL));
    },

    hasThumbnail: (liveId: string) => exists(path.join(dirOf(liveId), THUMBNAIL)),

    async remove(liveId: string): Promise<void> {
      await rm(dirOf(liveId), { recursive: true, force: true });
    },
  };
}

export type RecordingStore = ReturnType<typeof createRecordingStore>;
