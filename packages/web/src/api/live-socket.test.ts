import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LiveEvent } from '../lib/event-sequencer.ts';
import { LiveSocket, type ConnectionInfo, type WebSocketLike } from './live-socket.ts';

class FakeSocket implements WebSocketLike {
  readyState = 0;
  sent: string[] = [];
  closed: { code?: number } | null = null;
  onopen: WebSocketLike['onopen'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;
  constructor(readonly url: string) {}
  send(data: string) {
    this.sent.push(data);
  }
  close(code?: number) {
    this.closed = { code };
    this.readyState = 3;
  }
  // Test helpers: what the server does.
  serverOpens() {
    this.readyState = 1;
    this.onopen?.({});
  }
  serverSends(event: unknown) {
    this.onmessage?.({ data: JSON.stringify(event) });
  }
  serverDrops(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

const hello = (seq: number) => ({
  type: 'hello',
  liveId: 'L',
  seq,
  status: 'live',
  viewers: 1,
  likes: 0,
  pinned: null,
  canChat: true,
  missedTooMany: false,
});
const chat = (seq: number) => ({
  type: 'chat',
  seq,
  liveId: 'L',
  id: `c${seq}`,
  text: `t${seq}`,
  author: { id: 'u', displayName: 'A', isHost: false },
  at: '',
});

let sockets: FakeSocket[];
let events: LiveEvent[];
let states: ConnectionInfo[];

function make() {
  const live = new LiveSocket({
    liveId: 'L',
    origin: 'ws://test',
    onEvent: (e) => events.push(e),
    onState: (s) => states.push(s),
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    random: () => 1,
    pingMs: 1000,
    staleMs: 2500,
  });
  return live;
}

beforeEach(() => {
  vi.useFakeTimers();
  sockets = [];
  events = [];
  states = [];
});
afterEach(() => vi.useRealTimers());

describe('LiveSocket', () => {
  it('connects, becomes open on hello and sends client events', () => {
    const live = make();
    live.connect();
    expect(sockets[0]!.url).toBe('ws://test/api/v1/lives/L/ws');
    expect(live.connection.state).toBe('connecting');
    expect(live.send({ type: 'like', count: 3 })).toBe(false);
    sockets[0]!.serverOpens();
    sockets[0]!.serverSends(hello(5));
    expect(live.connection.state).toBe('open');
    expect(live.send({ type: 'like', count: 3 })).toBe(true);
    expect(sockets[0]!.sent).toEqual(['{"type":"like","count":3}']);
  });

  it('reconnects with backoff and resumes after the last seq, without duplicates', () => {
    const live = make();
    live.connect();
    sockets[0]!.serverOpens();
    sockets[0]!.serverSends(hello(2));
    sockets[0]!.serverSends({ type: 'batch', events: [chat(3), chat(4)] });
    sockets[0]!.serverDrops();
    expect(live.connection).toMatchObject({ state: 'reconnecting', attempt: 1, retryInMs: 500 });

    vi.advanceTimersByTime(499);
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets[1]!.url).toBe('ws://test/api/v1/lives/L/ws?since=4');

    // The server is down: the next attempt waits longer.
    sockets[1]!.serverDrops();
    expect(live.connection).toMatchObject({ state: 'reconnecting', attempt: 2, retryInMs: 1000 });
    vi.advanceTimersByTime(1000);

    const s = sockets[2]!;
    s.serverOpens();
    s.serverSends(hello(6));
    s.serverSends({ type: 'batch', events: [chat(4), chat(5), chat(6)] });
    s.serverSends(chat(6));
    const chats = events.filter((e) => e.type === 'chat').map((e) => (e as { seq: number }).seq);
    expect(chats).toEqual([3, 4, 5, 6]);
    expect(live.connection).toMatchObject({ state: 'open', attempt: 0 });
  });

  it('pings, and drops a link that went silent', () => {
    const live = make();
    live.connect();
    const s = sockets[0]!;
    s.serverOpens();
    s.serverSends(hello(0));
    vi.advanceTimersByTime(1000);
    expect(s.sent).toContain('{"type":"ping"}');
    vi.advanceTimersByTime(2000);
    expect(s.closed).not.toBeNull();
    expect(live.connection.state).toBe('reconnecting');
    vi.advanceTimersByTime(500);
    expect(sockets).toHaveLength(2);
  });

  it('stops for good when the show does not exist', () => {
    const live = make();
    live.connect();
    sockets[0]!.serverOpens();
    sockets[0]!.serverSends({
      type: 'error',
      error: { code: 'NOT_FOUND', message: 'Live show not found' },
    });
    sockets[0]!.serverDrops(4404);
    expect(live.connection).toMatchObject({ state: 'closed', reason: 'not_found' });
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(1);
    expect(events.map((e) => e.type)).toEqual(['error']);
  });

  it('closes without reconnecting when the page leaves', () => {
    const live = make();
    live.connect();
    sockets[0]!.serverOpens();
    live.close();
    expect(sockets[0]!.closed).toEqual({ code: 1000 });
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(1);
    expect(live.connection.state).toBe('closed');
  });

  it('reconnects at once when asked while waiting', () => {
    const live = make();
    live.connect();
    sockets[0]!.serverDrops();
    live.reconnectNow();
    expect(sockets).toHaveLength(2);
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(2);
    expect(states.at(-1)!.state).toBe('reconnecting');
  });
});
