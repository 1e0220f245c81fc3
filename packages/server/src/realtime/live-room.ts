import type { WebSocket } from 'ws';
import type { RoomBroker, BrokerMessage } from './broker.ts';

export interface RoomClient {
  socket: WebSocket;
  userId: string | null;
  displayName: string;
  isHost: boolean;
  /** Frames that arrived before the client got its `hello`; sent right after it. */
  pending: Buffer[] | null;
}

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
  private queue: string[] = [];
  private hostQueue: string[] = [];
  private pendingLikes = 0;
  private chatLinesSinceStats = 0;
  private ticks = 0;
  private busy = false;
  private timer: NodeJS.Timeout | null = null;
  private lastViewers = -1;
  private lastStatsAt = Date.now();
  peakViewers = 0;
  viewers = 0;

  constructor(
    readonly liveId: string,
    private readonly broker: RoomBroker,
    private readonly opts: {
      tickMs: number;
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

  countChatLine(): void {
    this.chatLinesSinceStats += 1;
  }

  /** Sends a frame now to one client, after anything it is still waiting for. */
  sendTo(client: RoomClient, frame: string | Buffer): void {
    send(client, typeof frame === 'string' ? Buffer.from(frame) : frame);
  }

  /** The client has its hello: what piled up meanwhile follows it. */
  markReady(client: RoomClient): void {
    const pending = client.pending ?? [];
    client.pending = null;
    for (const frame of pending) send(client, frame);
  }

  private deliver(message: BrokerMessage): void {
    (message.audience === 'host' ? this.hostQueue : this.queue).push(message.json);
  }

  private flush(): void {
    if (this.queue.length > 0) {
      const frame = frameOf(this.queue);
      this.queue = [];
      for (const client of this.clients) {
        if (client.pending) client.pending.push(frame);
        else send(client, frame);
      }
    }
    if (this.hostQueue.length > 0) {
      const frame = frameOf(this.hostQueue);
      this.hostQueue = [];
      for (const client of this.clients) if (client.isHost) send(client, frame);
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
        this.queue.push(JSON.stringify({ type: 'viewers', liveId: this.liveId, count: total }));
      }
    }
    if (Date.now() - this.lastStatsAt >= STATS_EVERY_MS) await this.saveStats();
  }

  private async saveStats(): Promise<void> {
    this.lastStatsAt = Date.now();
    const chatLines = this.chatLinesSinceStats;
    this.chatLinesSinceStats = 0;
    await this.opts.onStats({ peakViewers: this.peakViewers, likes: await this.broker.likes(this.liveId), chatLines });
  }
}

/** One event goes out as itself; several as one `batch` event. */
function frameOf(events: string[]): Buffer {
  return Buffer.from(events.length === 1 ? events[0]! : `{"type":"batch","events":[${events.join(',')}]}`);
}

function send(client: RoomClient, frame: Buffer): void {
  const socket = client.socket;
  if (socket.readyState !== socket.OPEN) return;
  if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
    socket.terminate();
    return;
  }
  socket.send(frame, { binary: false });
}
