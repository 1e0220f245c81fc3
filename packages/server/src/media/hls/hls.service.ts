import { AppError } from '@cunbo/shared';
import { DEFAULT_HLS, type Config, type HlsConfig } from '../../config.ts';
import type { DomainEventBus } from '../../lib/domain-events.ts';
import type { LivesService } from '../../modules/lives/lives.service.ts';
import { timelineOf } from '../../modules/lives/lives.replay.ts';
import {
  createRecordingStore,
  REPLAY_PLAYLIST,
  THUMBNAIL,
  type RecordingWriter,
} from '../recording/recording-store.ts';
import { grabJpeg } from '../recording/thumbnails.ts';
import type { PublisherRtp } from '../relay.ts';
import {
  HlsPackager,
  type OpenSegmentInfo,
  type PackagedPart,
  type PackagerStart,
} from './packager.ts';
import {
  initName,
  livePlaylist,
  parseMediaName,
  segmentName,
  type PlaylistSegment,
} from './playlist.ts';

/**
 * HLS of every live show, made in process from the publisher's RTP (`media.onPublisherRtp`):
 * a low-latency live playlist served from memory, and the same segments written to
 * `DATA_DIR/media/<liveId>/` as the recording, whose VOD playlist is the replay.
 */

/** Completed segments kept in memory and listed in the live playlist. */
const WINDOW_SEGMENTS = 8;
/** Of those, the last ones whose parts are listed too (RFC 8216bis: three target durations). */
const SEGMENTS_WITH_PARTS = 3;
/** An ended show's live playlist (with ENDLIST) stays this long for players still on it. */
const LINGER_MS = 60_000;

interface WindowSegment extends PlaylistSegment {
  start: number;
  /** In memory while recent; otherwise read from the recording. */
  data?: Buffer;
  partData?: PackagedPart[];
}

interface LiveState {
  liveId: string;
  packager: HlsPackager;
  unsubscribe: () => void;
  writer: RecordingWriter;
  inits: Map<number, Buffer>;
  window: WindowSegment[];
  /** Discontinuities among segments that left the window. */
  discontinuitiesBefore: number;
  open: (OpenSegmentInfo & { parts: PackagedPart[] }) | null;
  ended: boolean;
  /** The relay says the publisher is on air (not reconnecting or offline). */
  streaming: boolean;
  waiters: Set<() => void>;
  lastThumbnailAt: number;
  thumbnailBusy: boolean;
  thumbnailJob: Promise<void>;
}

interface Logger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface RtpSource {
  onPublisherRtp(liveId: string, handler: (rtp: PublisherRtp) => void): () => void;
  requestKeyframe(liveId: string): void;
}

export function createHls(deps: {
  config: Config;
  lives: LivesService;
  events: DomainEventBus;
  log: Logger;
  source: RtpSource;
}) {
  const { lives, events, log, source } = deps;
  const hls: HlsConfig = deps.config.hls ?? DEFAULT_HLS;
  const store = createRecordingStore(deps.config.dataDir, log);
  const states = new Map<string, LiveState>();
  const starting = new Map<string, Promise<void>>();
  const deleted = new Set<string>();
  let ffmpeg = hls.ffmpegPath;
  let closed = false;
  const packagerOptions = {
    segmentSeconds: hls.segmentSeconds,
    partSeconds: hls.partSeconds,
    reorderWaitMs: 250,
    ffmpegPath: hls.ffmpegPath,
  };
  const targetMs = Math.ceil(hls.segmentSeconds) * 1000;

  function notify(state: LiveState): void {
    for (const waiter of [...state.waiters]) waiter();
  }

  /** Resolves true once `check()` holds, false after `timeoutMs` (or on shutdown). */
  function waitUntil(state: LiveState, check: () => boolean, timeoutMs: number): Promise<boolean> {
    if (check()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        state.waiters.delete(waiter);
        resolve(ok);
      };
      const waiter = () => {
        if (closed) done(false);
        else if (check()) done(true);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      state.waiters.add(waiter);
    });
  }

  async function ensure(liveId: string): Promise<void> {
    if (closed || states.has(liveId) || deleted.has(liveId)) return;
    let run = starting.get(liveId);
    if (!run) {
      run = start(liveId).finally(() => starting.delete(liveId));
      starting.set(liveId, run);
    }
    await run;
  }

  async function start(liveId: string): Promise<void> {
    const info = await lives.roomInfo(liveId);
    if (!info || info.live.status !== 'live' || closed || states.has(liveId)) return;
    // A show already recorded in part (the server restarted mid-show) continues its recording.
    const recording = await store.load(liveId);
    const previous = recording?.segments ?? [];
    const last = previous.at(-1);
    const begin: PackagerStart = last
      ? {
          nextMsn: last.msn + 1,
          nextInitId: Math.max(-1, ...(recording?.initIds ?? [])) + 1,
          endSeconds: last.start + last.duration,
          continued: true,
        }
      : {
          nextMsn: 0,
          nextInitId: Math.max(-1, ...(recording?.initIds ?? [])) + 1,
          endSeconds: 0,
          continued: false,
        };
    const window = previous.slice(-WINDOW_SEGMENTS);
    const state: LiveState = {
      liveId,
      packager: undefined as unknown as HlsPackager,
      unsubscribe: () => undefined,
      writer: store.writer(liveId),
      inits: new Map(),
      window: window.map((s) => ({ ...s })),
      discontinuitiesBefore: previous
        .slice(0, previous.length - window.length)
        .filter((s) => s.discontinuity).length,
      open: null,
      ended: false,
      streaming: true,
      waiters: new Set(),
      lastThumbnailAt: 0,
      thumbnailBusy: false,
      thumbnailJob: Promise.resolve(),
    };
    state.packager = new HlsPackager(
      packagerOptions,
      {
        init: (init) => {
          state.inits.set(init.id, init.data);
          state.writer.init(init.id, init.data);
        },
        part: (part, segment) => {
          if (state.open?.msn !== segment.msn) state.open = { ...segment, parts: [] };
          state.open.parts.push(part);
          notify(state);
        },
        segment: (segment) => {
          if (state.open?.msn === segment.msn) state.open = null;
          const { data, parts, ...meta } = segment;
          state.window.push({ ...meta, data, partData: parts });
          while (state.window.length > WINDOW_SEGMENTS) {
            if (state.window.shift()!.discontinuity) state.discontinuitiesBefore++;
          }
          state.writer.segment(meta, data);
          notify(state);
          maybeThumbnail(state, segment.initId, data);
        },
        keyframeWanted: () => source.requestKeyframe(liveId),
        unsupported: (reason) => log.warn({ liveId }, `HLS: ${reason}`),
      },
      begin,
    );
    state.unsubscribe = source.onPublisherRtp(liveId, (rtp) => state.packager.push(rtp));
    states.set(liveId, state);
    log.info({ liveId, continued: begin.continued }, 'HLS packaging and recording started');
  }

  /** Grabs the first frame of `mp4` (init + segment) as the show's thumbnail. */
  async function takeThumbnail(liveId: string, mp4: Buffer): Promise<void> {
    if (!ffmpeg) return;
    try {
      const jpeg = await grabJpeg(ffmpeg, mp4);
      if (deleted.has(liveId)) return;
      await store.writeThumbnail(liveId, jpeg);
      await lives.recordThumbnail(liveId, new Date());
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        log.warn({ ffmpeg }, 'ffmpeg not found: live shows get no thumbnails');
        ffmpeg = null;
      } else {
        log.warn({ err, liveId }, 'thumbnail failed');
      }
    }
  }

  /** The first segment, then one every `thumbnailSeconds`, one at a time. */
  function maybeThumbnail(state: LiveState, initId: number, segment: Buffer): void {
    const now = Date.now();
    if (!ffmpeg || state.thumbnailBusy) return;
    if (state.lastThumbnailAt && now - state.lastThumbnailAt < hls.thumbnailSeconds * 1000) return;
    const init = state.inits.get(initId);
    if (!init) return;
    state.thumbnailBusy = true;
    state.lastThumbnailAt = now;
    state.thumbnailJob = takeThumbnail(state.liveId, Buffer.concat([init, segment])).finally(() => {
      state.thumbnailBusy = false;
    });
  }

  /** Stops packaging, flushing the segment being made to the recording. */
  async function stop(state: LiveState): Promise<void> {
    state.unsubscribe();
    await state.packager.drain();
    state.packager.close();
    state.ended = true;
    notify(state);
    await state.writer.idle();
  }

  async function finish(liveId: string): Promise<void> {
    await starting.get(liveId);
    const state = states.get(liveId);
    if (state) {
      await stop(state);
      setTimeout(() => {
        if (states.get(liveId) === state) states.delete(liveId);
      }, LINGER_MS).unref();
    }
    if (deleted.has(liveId)) return;
    const recording = await store.finish(liveId, hls.segmentSeconds);
    if (!recording || recording.segments.length === 0) return;
    await lives.recordReplay(liveId, timelineOf(recording.segments));
    await state?.thumbnailJob;
    if (ffmpeg && !(await store.hasThumbnail(liveId))) {
      const first = recording.segments[0]!;
      const [init, data] = await Promise.all([
        store.read(liveId, initName(first.initId)),
        store.read(liveId, segmentName(first.msn)),
      ]);
      if (init && data) await takeThumbnail(liveId, Buffer.concat([init, data]));
    }
    log.info({ liveId, segments: recording.segments.length }, 'replay ready');
  }

  events.on('live.started', ({ liveId }) => ensure(liveId));
  events.on('live.stream', async ({ liveId, state }) => {
    if (state === 'live') await ensure(liveId);
    const live = states.get(liveId);
    if (live) live.streaming = state === 'live';
  });
  events.on('live.ended', ({ liveId }) => finish(liveId));
  events.on('live.deleted', async ({ liveId }) => {
    deleted.add(liveId);
    await starting.get(liveId);
    const state = states.get(liveId);
    states.delete(liveId);
    if (state) {
      state.unsubscribe();
      state.ended = true;
      notify(state);
      await state.writer.idle();
    }
    await store.remove(liveId);
  });

  /** A complete segment exists: players (hls.js) take a playlist of parts only for empty. */
  function isReady(state: LiveState | undefined): state is LiveState {
    return !!state && state.window.length > 0;
  }

  function render(state: LiveState): string {
    const cutoff = state.window.length - SEGMENTS_WITH_PARTS;
    return livePlaylist({
      segmentSeconds: hls.segmentSeconds,
      partSeconds: hls.partSeconds,
      segments: state.window.map((s, i) => {
        const { data: _data, partData, ...meta } = s;
        return { ...meta, parts: i >= cutoff && partData ? partData : [] };
      }),
      open: state.open,
      discontinuitySequence: state.discontinuitiesBefore,
      ended: state.ended,
    });
  }

  const lastDone = (state: LiveState) => state.window.at(-1)?.msn ?? -1;
  const currentMsn = (state: LiveState) => state.open?.msn ?? lastDone(state) + 1;

  function findPart(state: LiveState, msn: number, index: number): PackagedPart | undefined {
    if (state.open?.msn === msn) return state.open.parts[index];
    return state.window.find((s) => s.msn === msn)?.partData?.[index];
  }

  return {
    /** Whether players can get this show over HLS now (for `playback.hls`). */
    isLive(liveId: string): boolean {
      const state = states.get(liveId);
      return isReady(state) && !state.ended && state.streaming;
    },

    /**
     * The live playlist. With `msn` (and `part`), a blocking reload: answered once that
     * segment (part) exists, or 503 after three target durations.
     */
    async livePlaylist(
      liveId: string,
      block: { msn?: number; part?: number } = {},
    ): Promise<{ body: string; blocked: boolean } | null> {
      await starting.get(liveId);
      const state = states.get(liveId);
      if (!isReady(state)) return null;
      const { msn, part } = block;
      if (msn === undefined) {
        if (part !== undefined)
          throw new AppError('VALIDATION_FAILED', '_HLS_part needs _HLS_msn', 400);
        return { body: render(state), blocked: false };
      }
      if (msn > currentMsn(state) + 2) {
        throw new AppError('VALIDATION_FAILED', '_HLS_msn is too far in the future', 400, {
          field: 'querystring._HLS_msn',
          current: currentMsn(state),
        });
      }
      const ready = () =>
        state.ended ||
        lastDone(state) >= msn ||
        (state.open !== null && state.open.msn > msn) ||
        (part !== undefined && state.open?.msn === msn && state.open.parts.length > part);
      if (!(await waitUntil(state, ready, 3 * targetMs))) {
        throw new AppError('SERVICE_UNAVAILABLE', 'That segment did not come in time', 503, {
          retryAfterSeconds: 1,
        });
      }
      return { body: render(state), blocked: true };
    },

    /**
     * An init segment, segment or part: from memory while recent, else from the recording. A
     * part announced by the preload hint is waited for.
     */
    async mediaFile(liveId: string, name: string): Promise<Buffer | null> {
      const parsed = parseMediaName(name);
      if (!parsed) return null;
      const state = states.get(liveId);
      if (parsed.type === 'init') {
        return state?.inits.get(parsed.id) ?? store.read(liveId, name);
      }
      if (parsed.type === 'segment') {
        const inWindow = state?.window.find((s) => s.msn === parsed.msn)?.data;
        return inWindow ?? store.read(liveId, name);
      }
      if (!state) return null;
      const { msn, index } = parsed;
      const found = findPart(state, msn, index);
      if (found) return found.data;
      const soon = !state.ended && msn >= currentMsn(state) && msn <= currentMsn(state) + 1;
      if (!soon) return null;
      await waitUntil(
        state,
        () => !!findPart(state, msn, index) || state.ended || lastDone(state) >= msn,
        3 * hls.partSeconds * 1000 + targetMs,
      );
      return findPart(state, msn, index)?.data ?? null;
    },

    replayPlaylist: (liveId: string) => store.read(liveId, REPLAY_PLAYLIST),
    thumbnail: (liveId: string) => store.read(liveId, THUMBNAIL),

    /** Flushes every recording (shutdown); a restart continues them. */
    async close(): Promise<void> {
      closed = true;
      await Promise.allSettled([...starting.values()]);
      const all = [...states.values()];
      states.clear();
      await Promise.allSettled(all.map((s) => (s.ended ? s.writer.idle() : stop(s))));
    },

    /** Tests: every recording write queued so far is on disk. */
    async idle(): Promise<void> {
      await Promise.allSettled([...starting.values()]);
      await Promise.all([...states.values()].map((s) => s.writer.idle()));
    },

    options: hls,
  };
}

export type Hls = ReturnType<typeof createHls>;
