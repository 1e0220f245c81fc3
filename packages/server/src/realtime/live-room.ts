import type { Socket } from 'node:net';
import type { LiveStatus } from '@cunbo/shared';
import type { WebSocket } from 'ws';
import type { RoomBroker, BrokerMessage } from './broker.ts';

export interface RoomClient {
  socket: WebSocket;
  userId: string | null;
  displayName: string;
  isHost: boolean;
  /** Events that arrived before the client got its `hello`; sent right after it. */
  pending: QueuedEvent[] | null;
  /**
   * Sequenced events up to this one were in the client's hello or replay: never sent again.
   * 0 once the room has moved past it (the usual case).
   */
  seenSeq: number;
}

/** An event as JSON text; `seq` 0 for events that are not sequenced (viewers, host-only). */
interface QueuedEvent {
  json: string;
  seq: number;
}

/**
 * `batched`: one frame per room per tick, encoded once. `immediate`: the plain way, kept only
 * as the baseline of bench/chat: every event encoded and sent to every socket on arrival.
 */
export type RoomDelivery = 'batched' | 'immediate';

/** A viewer this far behind is cut off; its client reconnects and catches up with `since`. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const VIEWERS_EVERY_TICKS = 10;
const STATS_EVERY_MS = 10_000;

/**
 * One live room in this process. Events from the broker are queued and, every tick,
 * serialised once into a single frame that is sent to every socket: the cost of an event is
 * one JSON encoding plus one buffer copy per viewer, not an encoding per viewer.
 */
export class LiveRoom {
  readonly clients = new Set<RoomClient>();
  private queue: QueuedEvent[] = [];
  private hostQueue: QueuedEvent[] = [];
  private pendingLikes = 0;
  private chatLinesSinceStats = 0;
  private ticks = 0;
  private busy = false;
  private timer: NodeJS.Timeout | null = null;
  private lastViewers = -1;
  private lastStatsAt = Date.now();
  private status: { value: LiveStatus; at: number } | null = null;
  peakViewers = 0;
  viewers = 0;

  constructor(
    readonly liveId: string,
    private readonly broker: RoomBroker,
    private readonly opts: {
      tickMs: number;
      delivery?: RoomDelivery;
      onStats: (stats: { peakViewers: number; likes: number; chatLines: number }) => Promise<void>;
      onError: (err: unknown) => void;
    },
  ) {}

  async open(): Promise<void> {
    await this.broker.subscribe(this.liveId, (m) => this.deliver(m));
    this.timer = setInterval(() => this.tick(), this.opts.tickMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.flush();
    await this.broker.unsubscribe(this.liveId);
    await this.saveStats();
  }

  add(client: RoomClient): void {
    this.clients.add(client);
  }

  remove(client: RoomClient): void {
    this.clients.delete(client);
  }

  addLikes(count: number): void {
    this.pendingLikes += count;
  }

  /** The show's status as last seen: at a join, a start or end in this process, a lookup. */
  noteStatus(status: LiveStatus): void {
    this.status = { value: status, at: Date.now() };
  }

  /** The status noted at most `maxAgeMs` ago, or null. */
  knownStatus(maxAgeMs: number): LiveStatus | null {
    return this.status && Date.now() - this.status.at <= maxAgeMs ? this.status.value : null;
  }

  countChatLine(): void {
    this.chatLinesSinceStats += 1;
  }

  /** Sends a frame now to one client, after anything it is still waiting for. */
  sendTo(client: RoomClient, frame: string | Buffer): void {
    send(client, frame);
  }

  /**
   * The client has its hello, which told it the room's `seq`: what piled up meanwhile follows,
   * except events it already has (they were in its replay, or happened before its hello).
   */
  markReady(client: RoomClient, helloSeq: number): void {
    const pending = client.pending ?? [];
    client.pending = null;
    client.seenSeq = helloSeq;
    const fresh = unseen(client, pending);
    if (fresh.length > 0) send(client, frameOf(fresh));
  }

  private deliver(message: BrokerMessage): void {
    if (this.opts.delivery === 'immediate') return this.sendNow(message);
    (message.audience === 'host' ? this.hostQueue : this.queue).push(message);
  }

  private flush(): void {
    if (this.queue.length > 0) {
      const events = this.queue;
      this.queue = [];
      const frame = frameOf(events);
      for (const client of this.clients) {
        if (client.pending) client.pending.push(...events);
        else if (client.seenSeq === 0) send(client, frame);
        else {
          // Joined a moment ago: the shared frame may repeat what its replay had.
          const fresh = unseen(client, events);
          if (fresh.length > 0)
            send(client, fresh.length === events.length ? frame : frameOf(fresh));
        }
      }
    }
    if (this.hostQueue.length > 0) {
      const events = this.hostQueue;
      this.hostQueue = [];
      const frame = frameOf(events);
      for (const client of this.clients) {
        if (!client.isHost) continue;
        if (client.pending) client.pending.push(...events);
        else send(client, frame);
      }
    }
  }

  /** The baseline: parse once, then JSON.stringify and send per socket, no batching. */
  private sendNow(message: BrokerMessage): void {
    const event: unknown = JSON.parse(message.json);
    for (const client of this.clients) {
      if (message.audience === 'host' && !client.isHost) continue;
      if (client.pending) client.pending.push(message);
      else if (unseen(client, [message]).length > 0) send(client, JSON.stringify(event));
    }
  }

  private tick(): void {
    this.flush();
    this.ticks += 1;
    if (this.busy) return;
    this.busy = true;
    void this.background()
      .catch((err) => this.opts.onError(err))
      .finally(() => (this.busy = false));
  }

  /** Work that needs the broker: summed likes, the viewer count across processes, stats. */
  private async background(): Promise<void> {
    if (this.pendingLikes > 0) {
      const count = this.pendingLikes;
      this.pendingLikes = 0;
      const total = await this.broker.addLikes(this.liveId, count);
      await this.broker.publish(this.liveId, { type: 'like', liveId: this.liveId, count, total });
    }
    if (this.ticks % VIEWERS_EVERY_TICKS === 0 || this.lastViewers < 0) {
      const total = await this.broker.reportViewers(this.liveId, this.clients.size);
      this.viewers = total;
      this.peakViewers = Math.max(this.peakViewers, total);
      if (total !== this.lastViewers) {
        this.lastViewers = total;
        this.queue.push({
          json: JSON.stringify({ type: 'viewers', liveId: this.liveId, count: total }),
          seq: 0,
        });
      }
    }
    if (Date.now() - this.lastStatsAt >= STATS_EVERY_MS) await this.saveStats();
  }

  private async saveStats(): Promise<void> {
    this.lastStatsAt = Date.now();
    const chatLines = this.chatLinesSinceStats;
    this.chatLinesSinceStats = 0;
    await this.opts.onStats({
      peakViewers: this.peakViewers,
      likes: await this.broker.likes(this.liveId),
      chatLines,
    });
  }
}

/**
 * The events a client does not have yet. Seqs arrive in order (the broker assigns them
 * atomically), so the first event past `seenSeq` means nothing older can follow.
 */
function unseen(client: RoomClient, events: QueuedEvent[]): QueuedEvent[] {
  if (client.seenSeq === 0) return events;
  const fresh = events.filter((e) => e.seq === 0 || e.seq > client.seenSeq);
  if (fresh.some((e) => e.seq > client.seenSeq)) client.seenSeq = 0;
  return fresh;
}

/** A frame of the room: the JSON, and the same bytes as a whole WebSocket text frame. */
interface Frame {
  wire: Buffer;
  payload: Buffer;
}

/**
 * One event goes out as itself; several as one `batch` event. Encoded once, with its
 * WebSocket header in front, for every socket of the room.
 */
function frameOf(events: QueuedEvent[]): Frame {
  const json =
    events.length === 1
      ? events[0]!.json
      : `{"type":"batch","events":[${events.map((e) => e.json).join(',')}]}`;
  const length = Buffer.byteLength(json);
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const wire = Buffer.allocUnsafe(headerLength + length);
  wire[0] = 0x81; // FIN, text
  if (headerLength === 2) wire[1] = length;
  else if (headerLength === 4) {
    wire[1] = 126;
    wire.writeUInt16BE(length, 2);
  } else {
    wire[1] = 127;
    wire.writeBigUInt64BE(BigInt(length), 2);
  }
  wire.write(json, headerLength, 'utf8');
  return { wire, payload: wire.subarray(headerLength) };
}

function send(client: RoomClient, frame: Frame | Buffer | string): void {
  const socket = client.socket;
  if (socket.readyState !== socket.OPEN) return;
  if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
    socket.terminate();
    return;
  }
  if (typeof frame === 'string' || Buffer.isBuffer(frame)) {
    socket.send(frame, { binary: false });
    return;
  }
  // With no extension (no compression) a frame is the same bytes on every socket: written
  // whole, it spares `ws` a header and a two-part write per socket, a fifth of a send's CPU
  // (bench/chat). `ws` writes its own frames synchronously, so the order is kept.
  const raw =
    socket.extensions === '' ? (socket as unknown as { _socket?: Socket })._socket : undefined;
  if (raw) raw.write(frame.wire);
  else socket.send(frame.payload, { binary: false });
}
