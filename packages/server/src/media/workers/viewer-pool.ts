import { Worker } from 'node:worker_threads';
import { AppError, type ErrorCode } from '@cunbo/shared';
import type { RtpPacket } from 'werift';
import {
  isStaleFragment,
  startsIceRestart,
  withIceCredentials,
  type MediaKind,
  type SdpFragment,
} from '../sdp.ts';
import type {
  Codecs,
  FromWorker,
  ToWorker,
  WorkerError,
  WorkerInit,
  WorkerStats,
} from './protocol.ts';
import { encodeBatch, type BatchEntry } from './rtp-batch.ts';

/**
 * The main thread's side of the viewer workers (decision 0015): which worker holds which
 * viewer, requests to them, and the publisher's RTP posted to the workers that have viewers
 * of its live, one transferred buffer per worker and event-loop turn.
 */

const ENTRY = new URL('./viewer-worker.mjs', import.meta.url);
/** A batch names its lives by a one-byte index. */
const MAX_LIVES_PER_BATCH = 255;
/** How long a worker gets to close its peers on shutdown before it is terminated. */
const CLOSE_TIMEOUT_MS = 3000;

export interface ViewerPoolHooks {
  /** A viewer's connection is up and it waits for video: replay a cached GOP or ask for a keyframe. */
  onStarted(id: string, liveId: string): void;
  onKeyframeRequest(liveId: string): void;
  /** A viewer left by itself, or with its crashed worker. */
  onGone(id: string, reason: string): void;
  log: {
    error(obj: object, msg: string): void;
    warn(obj: object, msg: string): void;
  };
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

class Slot {
  worker!: Worker;
  readonly viewers = new Set<string>();
  /** Viewers per live on this worker. */
  readonly lives = new Map<string, number>();
  readonly pending = new Map<number, Pending>();
  batch: BatchEntry[] = [];
  batchLives: string[] = [];
  batchLiveIndex = new Map<string, number>();
  constructor(readonly index: number) {}
}

const toError = (e: WorkerError): Error =>
  e.code && e.status
    ? new AppError(e.code as ErrorCode, e.message, e.status, e.details)
    : new Error(e.message);

export class ViewerPool {
  private readonly slots: Slot[] = [];
  private readonly owner = new Map<string, Slot>();
  private rid = 0;
  private flushScheduled = false;
  private closing = false;
  /** Workers restarted after a crash, since the start. */
  restarts = 0;

  constructor(
    size: number,
    private readonly init: Omit<WorkerInit, 'threadName'>,
    private readonly hooks: ViewerPoolHooks,
  ) {
    for (let i = 0; i < size; i++) {
      const slot = new Slot(i);
      this.slots.push(slot);
      this.spawn(slot);
    }
  }

  get size(): number {
    return this.slots.length;
  }

  /** Viewers on each worker, in worker order. */
  load(): number[] {
    return this.slots.map((s) => s.viewers.size);
  }

  workerOf(id: string): number | undefined {
    return this.owner.get(id)?.index;
  }

  /** Thread ids of the running workers (for the bench's CPU per thread). */
  threadIds(): number[] {
    return this.slots.map((s) => s.worker.threadId);
  }

  /** Negotiates a viewer on the least-loaded worker; returns the SDP answer. */
  async addViewer(id: string, liveId: string, offer: string, codecs: Codecs): Promise<string> {
    if (this.closing) throw new AppError('CONFLICT', 'The stream was closed meanwhile', 409);
    const slot = this.slots.reduce((a, b) => (b.viewers.size < a.viewers.size ? b : a));
    slot.viewers.add(id);
    slot.lives.set(liveId, (slot.lives.get(liveId) ?? 0) + 1);
    this.owner.set(id, slot);
    try {
      return (await this.request(slot, { t: 'add', rid: 0, id, liveId, offer, codecs })) as string;
    } catch (err) {
      this.forget(id, liveId);
      throw err;
    }
  }

  async addCandidates(id: string, fragment: SdpFragment): Promise<void> {
    await this.request(this.slotOf(id), { t: 'candidates', rid: 0, id, fragment });
  }

  async restartIce(id: string, fragment: SdpFragment): Promise<string> {
    return (await this.request(this.slotOf(id), { t: 'restart', rid: 0, id, fragment })) as string;
  }

  /** Closes a viewer's peer connection in its worker. */
  removeViewer(id: string, liveId: string): void {
    const slot = this.owner.get(id);
    if (!slot) return;
    this.forget(id, liveId);
    slot.worker.postMessage({ t: 'remove', id } satisfies ToWorker);
  }

  /** Closes every viewer of a live (the show ended). */
  closeLive(liveId: string, ids: Iterable<string>): void {
    for (const id of ids) this.forget(id, liveId);
    for (const slot of this.slots)
      slot.worker.postMessage({ t: 'closeLive', liveId } satisfies ToWorker);
  }

  /** Queues a publisher packet for the workers with viewers of the live; sent at the end of the turn. */
  forward(liveId: string, kind: MediaKind, packet: RtpPacket, isKeyframe: boolean): void {
    for (const slot of this.slots) {
      if (!slot.lives.has(liveId)) continue;
      let live = slot.batchLiveIndex.get(liveId);
      if (live === undefined) {
        if (slot.batchLives.length === MAX_LIVES_PER_BATCH) this.flushSlot(slot);
        live = slot.batchLives.push(liveId) - 1;
        slot.batchLiveIndex.set(liveId, live);
      }
      slot.batch.push({ live, kind, packet, isKeyframe });
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // After the I/O callbacks of this turn: the packets that arrived together go together.
      setImmediate(() => this.flush());
    }
  }

  /** Sends one viewer the packets of a cached GOP ahead of the live ones. */
  replay(id: string, packets: Array<[RtpPacket, boolean]>): void {
    const slot = this.owner.get(id);
    if (!slot || packets.length === 0) return;
    const buffer = encodeBatch(
      packets.map(([packet, isKeyframe]) => ({ live: 0, kind: 'video', packet, isKeyframe })),
    );
    slot.worker.postMessage({ t: 'replay', id, buffer } satisfies ToWorker, [buffer]);
  }

  async stats(): Promise<WorkerStats> {
    const all = (await Promise.all(
      this.slots.map((slot) => this.request(slot, { t: 'stats', rid: 0 })),
    )) as WorkerStats[];
    return all.reduce(
      (a, b) => ({
        viewers: a.viewers + b.viewers,
        connectedViewers: a.connectedViewers + b.connectedViewers,
        slowSends: a.slowSends + b.slowSends,
        addressedSends: a.addressedSends + b.addressedSends,
        packetsIn: a.packetsIn + b.packetsIn,
        lagDrops: a.lagDrops + b.lagDrops,
      }),
      {
        viewers: 0,
        connectedViewers: 0,
        slowSends: 0,
        addressedSends: 0,
        packetsIn: 0,
        lagDrops: 0,
      },
    );
  }

  /** Tests only: makes a worker die as a crash would. */
  crashForTest(index: number): void {
    this.slots[index]!.worker.postMessage({ t: 'crash' } satisfies ToWorker);
  }

  /** Closes every viewer and ends the threads (app shutdown). */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await Promise.allSettled(
      this.slots.map(async (slot) => {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          this.request(slot, { t: 'close', rid: 0 }).catch(() => undefined),
          new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS))),
        ]);
        clearTimeout(timer);
        await slot.worker.terminate();
      }),
    );
    this.owner.clear();
  }

  private flush(): void {
    this.flushScheduled = false;
    for (const slot of this.slots) if (slot.batch.length > 0) this.flushSlot(slot);
  }

  private flushSlot(slot: Slot): void {
    const buffer = encodeBatch(slot.batch);
    const lives = slot.batchLives;
    slot.batch = [];
    slot.batchLives = [];
    slot.batchLiveIndex = new Map();
    slot.worker.postMessage({ t: 'rtp', lives, buffer } satisfies ToWorker, [buffer]);
  }

  private slotOf(id: string): Slot {
    const slot = this.owner.get(id);
    if (!slot) throw new AppError('NOT_FOUND', 'No such session', 404);
    return slot;
  }

  private forget(id: string, liveId: string): void {
    const slot = this.owner.get(id);
    if (!slot) return;
    this.owner.delete(id);
    slot.viewers.delete(id);
    const n = (slot.lives.get(liveId) ?? 1) - 1;
    if (n > 0) slot.lives.set(liveId, n);
    else slot.lives.delete(liveId);
  }

  private request(slot: Slot, message: ToWorker & { rid: number }): Promise<unknown> {
    const rid = ++this.rid;
    return new Promise((resolve, reject) => {
      slot.pending.set(rid, { resolve, reject });
      slot.worker.postMessage({ ...message, rid });
    });
  }

  private spawn(slot: Slot): void {
    const worker = new Worker(ENTRY, {
      workerData: { ...this.init, threadName: `viewers-${slot.index}` } satisfies WorkerInit,
      name: `cunbo-viewers-${slot.index}`,
    });
    slot.worker = worker;
    // The app's close ends the workers; a forgotten pool must not keep the process alive.
    worker.unref();
    worker.on('message', (message: FromWorker) => this.onMessage(slot, message));
    worker.on('error', (err) =>
      this.hooks.log.error({ err, worker: slot.index }, 'viewer worker failed'),
    );
    worker.on('exit', (code) => {
      if (slot.worker !== worker) return;
      this.onExit(slot, code);
    });
  }

  private onMessage(slot: Slot, message: FromWorker): void {
    switch (message.t) {
      case 'reply': {
        const pending = slot.pending.get(message.rid);
        if (!pending) return;
        slot.pending.delete(message.rid);
        if (message.ok) pending.resolve(message.value);
        else pending.reject(toError(message.error));
        return;
      }
      case 'started':
        if (slot.viewers.has(message.id)) this.hooks.onStarted(message.id, message.liveId);
        return;
      case 'keyframe':
        return this.hooks.onKeyframeRequest(message.liveId);
      case 'gone':
        if (this.owner.get(message.id) === slot) this.hooks.onGone(message.id, message.reason);
        return;
      case 'ready':
        return;
    }
  }

  /**
   * A worker ended without being asked: its viewers are gone (their players reconnect, to
   * another worker or to HLS), requests in flight fail, and a new worker takes its place.
   */
  private onExit(slot: Slot, code: number): void {
    const lost = [...slot.viewers];
    for (const pending of slot.pending.values())
      pending.reject(
        new AppError('SERVICE_UNAVAILABLE', 'The viewer worker stopped; try again', 503, {
          fallback: 'hls',
        }),
      );
    slot.pending.clear();
    slot.batch = [];
    slot.batchLives = [];
    slot.batchLiveIndex = new Map();
    if (this.closing) return;
    this.hooks.log.error(
      { worker: slot.index, exitCode: code, viewers: lost.length },
      'viewer worker stopped; its viewers are dropped and a new worker starts',
    );
    // The viewers stay owned by the slot until told gone, so `onGone` finds them there.
    for (const id of lost) this.hooks.onGone(id, 'worker crashed');
    slot.viewers.clear();
    slot.lives.clear();
    this.restarts++;
    this.spawn(slot);
  }
}

/**
 * A WHEP session whose peer connection lives in a worker, with the same face as
 * `PeerSession` for the service: the ICE credentials are tracked here, so telling a restart
 * from trickled candidates needs no round trip.
 */
export class RemotePeerSession {
  constructor(
    private readonly pool: ViewerPool,
    readonly id: string,
    readonly liveId: string,
    private remoteSdp: string,
  ) {}

  isRestart(fragment: SdpFragment): boolean {
    return startsIceRestart(this.remoteSdp, fragment);
  }

  async addCandidates(fragment: SdpFragment): Promise<void> {
    if (isStaleFragment(this.remoteSdp, fragment)) return;
    await this.pool.addCandidates(this.id, fragment);
  }

  async restartIce(fragment: SdpFragment): Promise<string> {
    const local = await this.pool.restartIce(this.id, fragment);
    this.remoteSdp = withIceCredentials(this.remoteSdp, fragment.ufrag!, fragment.pwd!);
    return local;
  }

  async close(): Promise<void> {
    this.pool.removeViewer(this.id, this.liveId);
  }
}
