import type { ClientEvent } from '@cunbo/shared';
import { backoffDelay, EventSequencer, type LiveEvent } from '../lib/event-sequencer.ts';
import { API_BASE } from './client.ts';

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** What the live room page is told about its connection. */
export interface ConnectionInfo {
  state: ConnectionState;
  /** Reconnect attempts since the last good connection. */
  attempt: number;
  /** When reconnecting: how long until the next try. */
  retryInMs?: number;
  /** When closed for good: why. */
  reason?: 'not_found' | 'closed_by_client';
}

/** The part of the browser's WebSocket this client uses (a fake one in tests). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export interface LiveSocketOptions {
  liveId: string;
  onEvent: (event: LiveEvent) => void;
  onState?: (info: ConnectionInfo) => void;
  createSocket?: (url: string) => WebSocketLike;
  /** `ws://host` or `wss://host`; by default the page's own host. */
  origin?: string;
  /** Keep-alive ping interval; a link silent for `staleMs` is treated as dead. */
  pingMs?: number;
  staleMs?: number;
  random?: () => number;
}

const OPEN = 1;
const CLOSE_NOT_FOUND = 4404;

function pageOrigin(): string {
  const { protocol, host } = globalThis.location;
  return `${protocol === 'https:' ? 'wss:' : 'ws:'}//${host}`;
}

/**
 * The live room's WebSocket, kept alive over bad rural networks: it reconnects with backoff,
 * resumes with `?since=<last seq>` so nothing is missed or applied twice, unwraps batches, and
 * notices silently dead links (mobile networks) with pings.
 */
export class LiveSocket {
  private socket: WebSocketLike | null = null;
  private readonly sequencer = new EventSequencer();
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private lastMessageAt = 0;
  private stopped = false;
  private info: ConnectionInfo = { state: 'connecting', attempt: 0 };

  constructor(private readonly opts: LiveSocketOptions) {}

  get connection(): ConnectionInfo {
    return this.info;
  }

  get lastSeq(): number | null {
    return this.sequencer.lastSeq;
  }

  url(): string {
    const since = this.sequencer.since;
    const base = `${this.opts.origin ?? pageOrigin()}${API_BASE}/lives/${encodeURIComponent(this.opts.liveId)}/ws`;
    return since === undefined ? base : `${base}?since=${since}`;
  }

  connect(): void {
    this.stopped = false;
    this.clearRetry();
    this.open();
  }

  /** Sends if connected; false when the message could not go (the caller may keep it). */
  send(event: ClientEvent): boolean {
    if (!this.socket || this.socket.readyState !== OPEN || this.info.state !== 'open') return false;
    this.socket.send(JSON.stringify(event));
    return true;
  }

  /** Try again at once (the browser came back online, the page became visible). */
  reconnectNow(): void {
    if (this.stopped || this.info.state !== 'reconnecting') return;
    this.clearRetry();
    this.open();
  }

  close(): void {
    this.stopped = true;
    this.clearRetry();
    this.stopPing();
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.onclose = s.onmessage = s.onerror = s.onopen = null;
      s.close(1000, 'bye');
    }
    this.setState({ state: 'closed', attempt: this.attempt, reason: 'closed_by_client' });
  }

  private open(): void {
    this.setState({
      state: this.attempt === 0 && this.sequencer.lastSeq === null ? 'connecting' : 'reconnecting',
      attempt: this.attempt,
    });
    const create =
      this.opts.createSocket ?? ((url: string) => new WebSocket(url) as unknown as WebSocketLike);
    let socket: WebSocketLike;
    try {
      socket = create(this.url());
    } catch {
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    this.lastMessageAt = Date.now();
    socket.onmessage = (ev) => {
      if (this.socket !== socket) return;
      this.lastMessageAt = Date.now();
      if (typeof ev.data !== 'string') return;
      for (const event of this.sequencer.accept(ev.data)) {
        if (event.type === 'hello') {
          this.attempt = 0;
          this.setState({ state: 'open', attempt: 0 });
        }
        this.opts.onEvent(event);
      }
    };
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.startPing(socket);
    };
    socket.onerror = () => {
      // A close event always follows; reconnecting is decided there.
    };
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.stopPing();
      if (this.stopped) return;
      if (ev.code === CLOSE_NOT_FOUND) {
        this.stopped = true;
        this.setState({ state: 'closed', attempt: this.attempt, reason: 'not_found' });
        return;
      }
      this.scheduleRetry();
    };
  }

  private scheduleRetry(): void {
    const delay = backoffDelay(this.attempt, this.opts.random);
    this.attempt += 1;
    this.setState({ state: 'reconnecting', attempt: this.attempt, retryInMs: delay });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) this.open();
    }, delay);
  }

  private startPing(socket: WebSocketLike): void {
    this.stopPing();
    const pingMs = this.opts.pingMs ?? 20_000;
    const staleMs = this.opts.staleMs ?? 45_000;
    this.pingTimer = setInterval(() => {
      if (this.socket !== socket) return;
      if (Date.now() - this.lastMessageAt > staleMs) {
        // The link is dead without telling us (a phone changing cells): drop it and resume.
        socket.onclose = socket.onmessage = socket.onerror = socket.onopen = null;
        socket.close(4000, 'stale');
        this.socket = null;
        this.stopPing();
        this.scheduleRetry();
        return;
      }
      if (socket.readyState === OPEN) socket.send('{"type":"ping"}');
    }, pingMs);
  }

  private stopPing(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private setState(info: ConnectionInfo): void {
    this.info = info;
    this.opts.onState?.(info);
  }
}
