import type { WebSocket } from 'ws';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RoomBroker } from './broker.ts';
import { createMemoryBroker } from './broker.memory.ts';
import { LiveRoom, type RoomClient, type RoomDelivery } from './live-room.ts';

const TICK = 100;
const OPEN = 1;

/** Just what LiveRoom uses of a `ws` socket, recording what was sent. */
function fakeSocket() {
  const socket = {
    OPEN,
    readyState: OPEN,
    bufferedAmount: 0,
    sent: [] as Array<Buffer | string>,
    send(data: Buffer | string) {
      socket.sent.push(data);
    },
    terminate: vi.fn(() => {
      socket.readyState = 3;
    }),
  };
  return socket;
}
type FakeSocket = ReturnType<typeof fakeSocket>;

function client(
  opts: { isHost?: boolean; joining?: boolean } = {},
): RoomClient & { socket: FakeSocket } {
  return {
    socket: fakeSocket() as FakeSocket & WebSocket,
    userId: null,
    displayName: '',
    isHost: opts.isHost ?? false,
    pending: opts.joining ? [] : null,
    seenSeq: 0,
  } as RoomClient & { socket: FakeSocket };
}

/** The events a socket received, batches unpacked. */
const received = (socket: FakeSocket) =>
  socket.sent.flatMap((frame) => {
    const event = JSON.parse(frame.toString()) as { type: string; events?: unknown[] };
    return event.type === 'batch' ? (event.events as Array<{ type: string }>) : [event];
  });
const withoutViewers = (socket: FakeSocket) => received(socket).filter((e) => e.type !== 'viewers');

describe('LiveRoom', () => {
  let broker: RoomBroker;
  let room: LiveRoom;
  const liveId = 'live-1';

  async function openRoom(delivery: RoomDelivery = 'batched') {
    room = new LiveRoom(liveId, broker, {
      tickMs: TICK,
      delivery,
      onStats: async () => undefined,
      onError: (err) => {
        throw err;
      },
    });
    await room.open();
  }
  const tick = () => vi.advanceTimersByTimeAsync(TICK);
  const chat = (text: string) => broker.publish(liveId, { type: 'chat', text });

  beforeEach(() => {
    vi.useFakeTimers();
    broker = createMemoryBroker();
  });
  afterEach(async () => {
    await room.close();
    vi.useRealTimers();
  });

  it('sends the events of one tick as one frame, the same buffer to every viewer', async () => {
    await openRoom();
    const viewers = [client(), client(), client()];
    viewers.forEach((c) => room.add(c));
    await tick(); // counts the viewers
    await tick(); // sends the count
    viewers.forEach((c) => (c.socket.sent = []));

    await chat('one');
    await chat('two');
    await chat('three');
    expect(viewers[0]!.socket.sent).toEqual([]);
    await tick();

    const frame = viewers[0]!.socket.sent[0]!;
    expect(JSON.parse(frame.toString())).toEqual({
      type: 'batch',
      events: [
        { seq: 1, type: 'chat', text: 'one' },
        { seq: 2, type: 'chat', text: 'two' },
        { seq: 3, type: 'chat', text: 'three' },
      ],
    });
    for (const viewer of viewers) {
      expect(viewer.socket.sent).toHaveLength(1);
      expect(viewer.socket.sent[0]).toBe(frame);
    }
  });

  it('sends a lone event as itself', async () => {
    await openRoom();
    const viewer = client();
    room.add(viewer);
    await tick();
    await tick();
    viewer.socket.sent = [];
    await chat('alone');
    await tick();
    expect(viewer.socket.sent.map(String)).toEqual(['{"seq":1,"type":"chat","text":"alone"}']);
  });

  it('sends host-only events to hosts only', async () => {
    await openRoom();
    const [host, viewer] = [client({ isHost: true }), client()];
    room.add(host);
    room.add(viewer);
    await broker.publish(liveId, { type: 'order', id: 'o1' }, { audience: 'host' });
    await tick();
    expect(withoutViewers(host.socket)).toEqual([{ type: 'order', id: 'o1' }]);
    expect(withoutViewers(viewer.socket)).toEqual([]);
  });

  it('holds events for a joining client until its hello, minus what the hello covered', async () => {
    await openRoom();
    const joining = client({ joining: true });
    room.add(joining);
    await chat('before hello');
    await tick();
    await chat('after hello');
    await tick();
    expect(joining.socket.sent).toEqual([]);

    // Its hello said seq 1: it has line 1 (its replay), it needs line 2.
    room.markReady(joining, 1);
    expect(withoutViewers(joining.socket)).toEqual([{ seq: 2, type: 'chat', text: 'after hello' }]);
  });

  it('does not repeat queued events a client got in its replay', async () => {
    await openRoom();
    const joining = client({ joining: true });
    await chat('queued 1');
    await chat('queued 2');
    room.add(joining);
    room.markReady(joining, 2);
    await chat('new');
    await tick();
    expect(withoutViewers(joining.socket)).toEqual([{ seq: 3, type: 'chat', text: 'new' }]);
    expect(joining.seenSeq).toBe(0);
  });

  it('cuts off a viewer that has fallen far behind', async () => {
    await openRoom();
    const [slow, fine] = [client(), client()];
    slow.socket.bufferedAmount = 5 * 1024 * 1024;
    room.add(slow);
    room.add(fine);
    await chat('hi');
    await tick();
    expect(slow.socket.terminate).toHaveBeenCalled();
    expect(slow.socket.sent).toEqual([]);
    expect(withoutViewers(fine.socket)).toHaveLength(1);
  });

  it('sums the likes of a tick into one like event', async () => {
    await openRoom();
    const viewer = client();
    room.add(viewer);
    room.addLikes(3);
    room.addLikes(4);
    await tick(); // published
    await tick(); // delivered
    room.addLikes(1);
    await tick();
    await tick();
    expect(received(viewer.socket).filter((e) => e.type === 'like')).toEqual([
      { seq: 1, type: 'like', liveId, count: 7, total: 7 },
      { seq: 2, type: 'like', liveId, count: 1, total: 8 },
    ]);
  });

  it('tells viewers how many they are, when it changes', async () => {
    await openRoom();
    const first = client();
    room.add(first);
    await tick();
    room.add(client());
    await vi.advanceTimersByTimeAsync(TICK * 20);
    expect(received(first.socket).filter((e) => e.type === 'viewers')).toEqual([
      { type: 'viewers', liveId, count: 1 },
      { type: 'viewers', liveId, count: 2 },
    ]);
  });

  it('writes plain connections the whole WebSocket frame, the same bytes to each', async () => {
    await openRoom();
    const writes: Buffer[][] = [];
    const viewers = [client(), client()].map((c, i) => {
      writes.push([]);
      Object.assign(c.socket, {
        extensions: '',
        _socket: { write: (b: Buffer) => writes[i]!.push(b) },
      });
      room.add(c);
      return c;
    });
    await tick();
    await tick();
    writes.forEach((w) => w.splice(0));

    await chat('short');
    await tick();
    for (let i = 0; i < 300; i++)
      await chat(`a longer line to make a frame over 64 KB, number ${i} `.repeat(4));
    await tick();

    const [small, large] = writes[0]!;
    expect(writes[1]![0]).toBe(small);
    expect(writes[1]![1]).toBe(large);
    expect(viewers.every((v) => v.socket.sent.length === 0)).toBe(true);
    // FIN + text, then a 7-bit, or a 64-bit length.
    expect([small![0], small![1]]).toEqual([0x81, small!.length - 2]);
    expect(JSON.parse(small!.subarray(2).toString())).toEqual({
      seq: 1,
      type: 'chat',
      text: 'short',
    });
    expect([large![0], large![1]]).toEqual([0x81, 127]);
    expect(Number(large!.readBigUInt64BE(2))).toBe(large!.length - 10);
    expect(JSON.parse(large!.subarray(10).toString()).events).toHaveLength(300);
  });

  it('in immediate delivery, encodes and sends every event to every socket at once', async () => {
    await openRoom('immediate');
    const [a, b] = [client(), client()];
    room.add(a);
    room.add(b);
    await chat('one');
    await chat('two');
    for (const viewer of [a, b]) {
      expect(viewer.socket.sent).toEqual([
        '{"seq":1,"type":"chat","text":"one"}',
        '{"seq":2,"type":"chat","text":"two"}',
      ]);
    }
  });
});
