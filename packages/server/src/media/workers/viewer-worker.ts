import { writeFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { AppError } from '@cunbo/shared';
import type { RTCPeerConnection } from 'werift';
import { createPeerConnection, PeerSession, startMediaWhenReady } from '../peer.ts';
import { isKeyframeRequest, Outlet } from '../relay.ts';
import { ntpNow } from '../viewer-sender.ts';
import type { MediaKind } from '../sdp.ts';
import type {
  Codecs,
  FromWorker,
  ToWorker,
  WorkerError,
  WorkerInit,
  WorkerStats,
} from './protocol.ts';
import { decodeBatch } from './rtp-batch.ts';

/**
 * A viewer worker: the WebRTC peer connections of WHEP viewers (ICE, DTLS, SRTP, RTCP, the
 * relay's send path and werift's NACK answers from each viewer's own history), fed with the
 * publisher's RTP that the main thread posts in batches. The main thread keeps signalling,
 * the publisher, the counts and limits (decision 0015); it asks, this thread answers.
 */

const port = parentPort!;
const init = workerData as WorkerInit;

// The thread's name in /proc (Linux; a sync write runs on this thread), so top, perf and the
// bench's CPU per thread tell the viewer workers from Node's own threads, all named `node`.
try {
  writeFileSync('/proc/thread-self/comm', init.threadName.slice(0, 15));
} catch {
  // Not Linux, or /proc not mounted: the name is cosmetic.
}
const post = (message: FromWorker) => port.postMessage(message);

class WorkerViewer {
  readonly outlets: Partial<Record<MediaKind, Outlet>> = {};
  connectTimer: NodeJS.Timeout | undefined;
  constructor(
    readonly id: string,
    readonly liveId: string,
    readonly peer: PeerSession,
  ) {}
  get pc(): RTCPeerConnection {
    return this.peer.pc;
  }
}

const viewers = new Map<string, WorkerViewer>();
/** Viewers per live, for the fan-out of a batch. */
const byLive = new Map<string, Set<WorkerViewer>>();
let packetsIn = 0;

async function addViewer(id: string, liveId: string, offer: string, codecs: Codecs) {
  const pc = createPeerConnection('viewer', init.webrtc);
  for (const kind of ['audio', 'video'] as const)
    if (codecs[kind]) pc.addTransceiver(kind, { direction: 'sendonly' });
  const viewer = new WorkerViewer(id, liveId, new PeerSession(pc, 'server'));
  let sdp: string;
  try {
    sdp = await viewer.peer.answer(offer);
  } catch (err) {
    await viewer.peer.close();
    throw err;
  }
  for (const transceiver of pc.getTransceivers()) {
    const kind = transceiver.kind as MediaKind;
    const codec = codecs[kind];
    if (!codec || viewer.outlets[kind] || !transceiver.sender.codec) continue;
    viewer.outlets[kind] = new Outlet(kind, transceiver.sender, codec);
    transceiver.sender.onRtcp.subscribe((rtcp) => {
      if (kind === 'video' && isKeyframeRequest(rtcp)) post({ t: 'keyframe', liveId });
    });
  }
  viewers.set(id, viewer);
  let live = byLive.get(liveId);
  if (!live) byLive.set(liveId, (live = new Set()));
  live.add(viewer);
  viewer.connectTimer = setTimeout(() => {
    if (pc.connectionState !== 'connected') gone(id, 'no connection');
  }, init.viewerConnectTimeoutMs);
  const start = () => {
    if (viewers.get(id) !== viewer || pc.connectionState !== 'connected') return;
    for (const outlet of Object.values(viewer.outlets)) outlet.activate();
    post({ t: 'started', id, liveId });
  };
  pc.connectionStateChange.subscribe((state) => {
    if (state === 'connected') {
      clearTimeout(viewer.connectTimer);
      startMediaWhenReady(pc, start);
    } else if (state === 'failed' || state === 'closed') {
      gone(id, state);
    }
  });
  return sdp;
}

function removeViewer(id: string): boolean {
  const viewer = viewers.get(id);
  if (!viewer) return false;
  viewers.delete(id);
  const live = byLive.get(viewer.liveId);
  live?.delete(viewer);
  if (live?.size === 0) byLive.delete(viewer.liveId);
  clearTimeout(viewer.connectTimer);
  void viewer.peer.close();
  return true;
}

function gone(id: string, reason: string): void {
  if (removeViewer(id)) post({ t: 'gone', id, reason });
}

function onRtp(lives: string[], buffer: ArrayBuffer): void {
  const now = Date.now();
  // One clock read per batch, as the in-thread relay reads one per publisher packet: the
  // packets of a batch arrived within one event-loop turn of the main thread.
  const ntp = ntpNow();
  const targets = lives.map((liveId) => byLive.get(liveId));
  decodeBatch(buffer, (live, kind, packet, isKeyframe) => {
    packetsIn++;
    const set = targets[live];
    if (set) for (const viewer of set) viewer.outlets[kind]?.forward(packet, isKeyframe, now, ntp);
  });
}

/**
 * Packets wait here for the check phase instead of being sent from the message handler.
 * Node drains a port's messages in one go (at least 1,000 of them per callback), so a worker
 * that fell behind, e.g. while the machine was busy, would send seconds of backlog without
 * reading its sockets or running its timers: STUN consent answers, DTLS retransmissions and
 * NACKs would wait, and viewers would drop. Found with bench/viewers (decision 0015).
 */
const backlog: Array<{ at: number; message: ToWorker & { t: 'rtp' | 'replay' } }> = [];
let draining = false;
/** Work per turn of the event loop before sockets and timers get their turn. */
const DRAIN_BUDGET_MS = 10;
/**
 * A worker that cannot keep up (too many viewers for its core) drops packets older than this
 * rather than fall further and further behind: a viewer asks again (NACK, PLI) for what it
 * misses, but nobody watches a live show a minute late.
 */
const MAX_LAG_MS = 1000;
let lagDrops = 0;

function enqueue(message: ToWorker & { t: 'rtp' | 'replay' }): void {
  backlog.push({ at: performance.now(), message });
  if (!draining) {
    draining = true;
    setImmediate(drain);
  }
}

function drain(): void {
  const now = performance.now();
  const until = now + DRAIN_BUDGET_MS;
  let done = 0;
  while (done < backlog.length && performance.now() < until) {
    const { at, message } = backlog[done++]!;
    if (message.t === 'rtp' && now - at > MAX_LAG_MS) lagDrops++;
    else if (message.t === 'rtp') onRtp(message.lives, message.buffer);
    else replay(message.id, message.buffer);
  }
  backlog.splice(0, done);
  if (backlog.length > 0) setImmediate(drain);
  else draining = false;
}

function replay(id: string, buffer: ArrayBuffer): void {
  const outlet = viewers.get(id)?.outlets.video;
  if (!outlet) return;
  const packets: Parameters<Outlet['replay']>[0] = [];
  decodeBatch(buffer, (_live, _kind, packet, isKeyframe) => packets.push([packet, isKeyframe]));
  outlet.replay(packets);
}

function stats(): WorkerStats {
  let connectedViewers = 0;
  let slowSends = 0;
  let addressedSends = 0;
  for (const viewer of viewers.values()) {
    if (viewer.pc.connectionState === 'connected') connectedViewers++;
    for (const outlet of Object.values(viewer.outlets)) {
      slowSends += outlet.slowSends;
      addressedSends += outlet.addressedSends;
    }
  }
  return {
    viewers: viewers.size,
    connectedViewers,
    slowSends,
    addressedSends,
    packetsIn,
    lagDrops,
  };
}

async function close(): Promise<void> {
  clearInterval(keyframeRetry);
  const all = [...viewers.values()];
  viewers.clear();
  byLive.clear();
  for (const viewer of all) clearTimeout(viewer.connectTimer);
  await Promise.allSettled(all.map((v) => v.peer.close()));
}

function errorOf(err: unknown): WorkerError {
  if (err instanceof AppError)
    return { code: err.code, message: err.message, status: err.status, details: err.details };
  return { message: err instanceof Error ? err.message : String(err) };
}

async function answer(rid: number, run: () => Promise<unknown> | unknown): Promise<void> {
  try {
    post({ t: 'reply', rid, ok: true, value: await run() });
  } catch (err) {
    post({ t: 'reply', rid, ok: false, error: errorOf(err) });
  }
}

function peerOf(id: string): PeerSession {
  const viewer = viewers.get(id);
  if (!viewer) throw new AppError('NOT_FOUND', 'No such session', 404);
  return viewer.peer;
}

// The keyframe asked for on a join may have been lost (or the publisher was not there yet):
// ask again rather than leave a viewer black until the next periodic one.
const keyframeRetry = setInterval(() => {
  for (const [liveId, set] of byLive) {
    for (const viewer of set) {
      if (viewer.outlets.video?.isWaitingForKeyframe) {
        post({ t: 'keyframe', liveId });
        break;
      }
    }
  }
}, init.keyframeRetryMs);
keyframeRetry.unref();

port.on('message', (message: ToWorker) => {
  switch (message.t) {
    case 'rtp':
      return enqueue(message);
    case 'add':
      return void answer(message.rid, () =>
        addViewer(message.id, message.liveId, message.offer, message.codecs),
      );
    case 'candidates':
      return void answer(message.rid, () => peerOf(message.id).addCandidates(message.fragment));
    case 'restart':
      return void answer(message.rid, () => peerOf(message.id).restartIce(message.fragment));
    case 'remove':
      return void removeViewer(message.id);
    case 'closeLive':
      for (const viewer of byLive.get(message.liveId) ?? []) removeViewer(viewer.id);
      return;
    case 'replay':
      return enqueue(message);
    case 'stats':
      return void answer(message.rid, stats);
    case 'close':
      return void answer(message.rid, close);
    case 'crash':
      throw new Error('crash asked for by a test');
  }
});
post({ t: 'ready' });
