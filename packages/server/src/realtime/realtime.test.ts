import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { LIMITS } from '@cunbo/shared';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLive,
  createProduct,
  orderInput,
  registerUser,
  sellerWithShop,
  type TestUser,
} from '../test/factories.ts';
import { delay, helloOf, openRoom, waitUntil, type RoomSocket } from '../test/process-harness.ts';
import { createTestApp, testConfig, type TestApp } from '../test/test-app.ts';

/**
 * The live room end to end: a listening app (PGlite, or PostgreSQL and Redis when
 * TEST_DATABASE_URL / TEST_REDIS_URL are set) and real `ws` clients.
 */

async function listen(t: TestApp): Promise<string> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
}

/** Every socket a test opens; closed after it. */
const opened: RoomSocket[] = [];
async function closeAll() {
  await Promise.all(opened.splice(0).map((s) => s.close()));
}

describe('live room', () => {
  let t: TestApp;
  let base: string;
  let seller: TestUser;
  let buyer: TestUser;
  let product: { id: string; stock: number; price: number };
  let liveId: string;

  const join = async (opts: { token?: string; since?: number; live?: string } = {}) => {
    const room = await openRoom(base, opts.live ?? liveId, opts);
    opened.push(room);
    return room;
  };
  const chat = (room: RoomSocket, text: string) => room.send({ type: 'chat', text });
  /** A chat line only `room` sees arriving proves everything sent before it has arrived. */
  const marker = async (from: RoomSocket, to: RoomSocket) => {
    const text = `marker ${randomUUID()}`;
    chat(from, text);
    await to.waitFor('chat', (e) => e.text === text);
  };

  beforeAll(async () => {
    t = await createTestApp();
    base = await listen(t);
    ({ seller } = await sellerWithShop(t.app));
    buyer = await registerUser(t.app, 'buyer', 'Chen');
    product = await createProduct(t.app, seller);
    liveId = (await createLive(t.app, seller, [product.id])).id;
  });
  afterAll(async () => {
    await closeAll();
    await t.close();
  });

  describe('joining', () => {
    it('greets an anonymous viewer with the show state, and no chat', async () => {
      const viewer = await join();
      expect(helloOf(viewer)).toEqual({
        type: 'hello',
        liveId,
        seq: expect.any(Number),
        status: 'live',
        viewers: expect.any(Number),
        likes: expect.any(Number),
        pinned: null,
        canChat: false,
        missedTooMany: false,
        recentChat: [],
        stream: null,
        offers: [],
        coupons: [],
      });
      expect(helloOf(viewer).viewers).toBeGreaterThanOrEqual(1);
      await closeAll();
    });

    it('lets a signed-in viewer chat', async () => {
      const viewer = await join({ token: buyer.token });
      expect(helloOf(viewer)).toMatchObject({ status: 'live', canChat: true });
      await closeAll();
    });

    it('greets viewers of a show not started yet with its status', async () => {
      const scheduled = await createLive(t.app, seller, [product.id], false);
      const viewer = await join({ live: scheduled.id, token: buyer.token });
      expect(helloOf(viewer)).toMatchObject({ status: 'scheduled', canChat: true });
      await closeAll();
    });

    it('sends a newcomer what changed while it was joining', async () => {
      const live = await createLive(t.app, seller, [product.id]);
      const watcher = await join({ live: live.id });
      // The host pins just after the newcomer's lookup of the show read "nothing pinned".
      const lives = t.app.services.lives;
      const roomInfo = lives.roomInfo;
      lives.roomInfo = async (id) => {
        lives.roomInfo = roomInfo;
        const info = await roomInfo(id);
        await t.app.inject({
          method: 'POST',
          url: `/api/v1/lives/${live.id}/pin`,
          headers: seller.auth,
          payload: { productId: product.id },
        });
        await watcher.waitFor('pin');
        return info;
      };
      try {
        const newcomer = await join({ live: live.id });
        expect(helloOf(newcomer).pinned).toBeNull();
        const pin = await newcomer.waitFor('pin');
        expect(pin.product).toMatchObject({ id: product.id });
        // After the hello's seq, so a client that drops what it has already seen keeps it.
        expect(pin.seq).toBeGreaterThan(helloOf(newcomer).seq as number);
      } finally {
        lives.roomInfo = roomInfo;
      }
      await closeAll();
    });

    it('answers an unknown show with an error and closes', async () => {
      const viewer = await join({ live: randomUUID() });
      expect(viewer.events[0]).toEqual({
        type: 'error',
        error: { code: 'NOT_FOUND', message: expect.any(String), details: {} },
      });
      await waitUntil(() => viewer.closed, { what: 'close' });
      expect(viewer.closed!.code).toBe(4404);
    });
  });

  describe('chat', () => {
    it('refuses chat from an anonymous viewer and keeps the connection', async () => {
      const viewer = await join();
      chat(viewer, 'hello');
      const error = await viewer.waitFor('error');
      expect(error.error).toMatchObject({ code: 'UNAUTHENTICATED' });
      await viewer.ping();
      expect(viewer.isOpen).toBe(true);
      expect(viewer.ofType('chat')).toEqual([]);
      await closeAll();
    });

    it('reaches every viewer of the room and no one in another room', async () => {
      const other = await createLive(t.app, seller, [product.id]);
      const author = await join({ token: buyer.token });
      const viewers = [await join(), await join()];
      const elsewhere = await join({ live: other.id, token: buyer.token });

      chat(author, 'Are they organic?');
      for (const viewer of [author, ...viewers]) {
        const line = await viewer.waitFor('chat', (e) => e.text === 'Are they organic?');
        expect(line).toEqual({
          type: 'chat',
          seq: expect.any(Number),
          liveId,
          id: expect.any(String),
          text: 'Are they organic?',
          author: { id: buyer.id, displayName: 'Chen', isHost: false },
          at: expect.any(String),
        });
      }
      // A line in the other room arriving proves nothing else is still on its way there.
      await marker(elsewhere, elsewhere);
      expect(elsewhere.ofType('chat').map((e) => e.text)).toEqual([
        expect.stringMatching(/^marker /),
      ]);
      await closeAll();
    });

    it('shows a newcomer the last lines said, in its hello', async () => {
      const own = (await createLive(t.app, seller, [product.id])).id;
      const author = await join({ token: buyer.token, live: own });
      for (let i = 1; i <= 25; i++) chat(author, `line ${i}`);
      await author.waitFor('chat', (e) => e.text === 'line 25');
      const late = await join({ live: own });
      const recent = helloOf(late).recentChat as Array<{ text: string; seq: number }>;
      expect(recent.map((e) => e.text)).toEqual(
        Array.from({ length: 20 }, (_, i) => `line ${i + 6}`),
      );
      expect(recent.at(-1)!.seq).toBeLessThanOrEqual(helloOf(late).seq as number);
      await closeAll();
    });

    it('marks the host’s lines', async () => {
      const host = await join({ token: seller.token });
      expect(helloOf(host).canChat).toBe(true);
      chat(host, 'Fresh this morning');
      const line = await host.waitFor('chat');
      expect(line.author).toMatchObject({ id: seller.id, isHost: true });
      await closeAll();
    });

    it('carries text as text: HTML arrives exactly as typed', async () => {
      const author = await join({ token: buyer.token });
      const viewer = await join();
      const html = '<img src=x onerror="alert(1)"><script>steal()</script> &amp; <b>bold</b>';
      chat(author, html);
      expect((await viewer.waitFor('chat')).text).toBe(html);
      await closeAll();
    });

    it('refuses a line over 200 characters and accepts one of exactly 200', async () => {
      const author = await join({ token: buyer.token });
      chat(author, '番'.repeat(LIMITS.chatTextMax + 1));
      const error = await author.waitFor('error');
      expect(error.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'text' } });
      chat(author, '番'.repeat(LIMITS.chatTextMax));
      const line = await author.waitFor('chat');
      expect([...line.text].length).toBe(LIMITS.chatTextMax);
      expect(author.ofType('chat')).toHaveLength(1);
      await closeAll();
    });

    it('refuses an empty line', async () => {
      const author = await join({ token: buyer.token });
      chat(author, '   ');
      expect((await author.waitFor('error')).error.code).toBe('VALIDATION_FAILED');
      await closeAll();
    });

    it('refuses chat once the show has ended', async () => {
      const ended = await createLive(t.app, seller, [product.id]);
      const author = await join({ live: ended.id, token: buyer.token });
      await t.app.inject({
        method: 'POST',
        url: `/api/v1/lives/${ended.id}/end`,
        headers: seller.auth,
      });
      await author.waitFor('live', (e) => e.status === 'ended');
      chat(author, 'still there?');
      expect((await author.waitFor('error')).error.code).toBe('LIVE_NOT_LIVE');
      expect(author.ofType('chat')).toEqual([]);
      await closeAll();
    });
  });

  describe('likes and viewers', () => {
    it('sums many likes into few like events with the right total', async () => {
      const live = await createLive(t.app, seller, [product.id]);
      const likers = [await join({ live: live.id }), await join({ live: live.id })];
      const watcher = await join({ live: live.id });
      let sent = 0;
      for (let i = 0; i < 60; i++) {
        for (const liker of likers) {
          const count = (i % 3) + 1;
          liker.send(i % 2 === 0 ? { type: 'like', count } : { type: 'like' });
          sent += i % 2 === 0 ? count : 1;
        }
      }
      await waitUntil(() => watcher.ofType('like').at(-1)?.total === sent, {
        what: () => `like total ${sent}; got ${JSON.stringify(watcher.ofType('like'))}`,
      });
      const likes = watcher.ofType('like');
      expect(likes.reduce((sum, e) => sum + e.count, 0)).toBe(sent);
      // 120 messages, a handful of ticks.
      expect(likes.length).toBeLessThan(20);
      expect(likes.map((e) => e.total)).toEqual(
        [...likes.map((e) => e.total)].sort((a, b) => a - b),
      );
      expect(watcher.ofType('error')).toEqual([]);
      // A newcomer is told the total.
      expect(helloOf(await join({ live: live.id })).likes).toBe(sent);
      await closeAll();
    });

    it('caps one like message and refuses a bad count', async () => {
      const live = await createLive(t.app, seller, [product.id]);
      const liker = await join({ live: live.id });
      liker.send({ type: 'like', count: 1_000_000 });
      const like = await liker.waitFor('like');
      expect(like).toMatchObject({ count: 50, total: 50 });
      liker.send({ type: 'like', count: -3 });
      expect((await liker.waitFor('error')).error).toMatchObject({
        code: 'VALIDATION_FAILED',
        details: { field: 'count' },
      });
      await closeAll();
    });

    it('counts viewers as they come and go', async () => {
      const live = await createLive(t.app, seller, [product.id]);
      const first = await join({ live: live.id });
      const others = [await join({ live: live.id }), await join({ live: live.id })];
      await first.waitFor('viewers', (e) => e.count === 3);
      await Promise.all(others.map((s) => s.close()));
      await first.waitFor('viewers', (e) => e.count === 1);
      const counts = first.ofType('viewers').map((e) => e.count);
      expect(counts.at(-1)).toBe(1);
      await closeAll();
    });

    it('forgets viewers who hang up while still joining', async () => {
      const live = await createLive(t.app, seller, [product.id]);
      const watcher = await join({ live: live.id });
      // A slow database: the ghosts are gone before the server has looked the show up.
      const lives = t.app.services.lives;
      const roomInfo = lives.roomInfo;
      let lookups = 0;
      let answered = 0;
      lives.roomInfo = async (id) => {
        lookups += 1;
        await delay(300);
        const info = await roomInfo(id);
        answered += 1;
        return info;
      };
      try {
        await Promise.all(
          Array.from({ length: 5 }, async () => {
            const socket = new WebSocket(
              `${base.replace('http', 'ws')}/api/v1/lives/${live.id}/ws`,
            );
            socket.on('error', () => undefined);
            await new Promise((resolve) => socket.once('upgrade', resolve));
            socket.terminate();
          }),
        );
        // Newcomers who ask together share a lookup: one to five of them, all answered.
        await waitUntil(() => lookups > 0 && answered === lookups, { what: 'the lookups' });
        const stayer = await join({ live: live.id });
        expect(helloOf(stayer).viewers).toBe(2);
      } finally {
        lives.roomInfo = roomInfo;
      }
      await waitUntil(() => watcher.ofType('viewers').at(-1)?.count === 2, {
        timeoutMs: 3_000,
        what: () => `2 viewers; got ${JSON.stringify(watcher.ofType('viewers'))}`,
      });
      await closeAll();
    });
  });

  describe('the host’s actions reach viewers', () => {
    it('shows a pinned product card to viewers, and to newcomers in their hello', async () => {
      const live = await createLive(t.app, seller, [product.id]);
      const viewer = await join({ live: live.id });
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/v1/lives/${live.id}/pin`,
        headers: seller.auth,
        payload: { productId: product.id },
      });
      expect(res.statusCode).toBe(200);
      const pin = await viewer.waitFor('pin');
      expect(pin).toEqual({
        type: 'pin',
        seq: expect.any(Number),
        liveId: live.id,
        product: {
          id: product.id,
          title: 'Greenhouse tomatoes',
          unit: 'kg',
          price: 1280,
          currency: 'CNY',
          traditionalPrice: 700,
          stock: product.stock,
          photoUrl: null,
        },
      });
      expect(helloOf(await join({ live: live.id })).pinned).toEqual(pin.product);

      await t.app.inject({
        method: 'POST',
        url: `/api/v1/lives/${live.id}/pin`,
        headers: seller.auth,
        payload: { productId: null },
      });
      await viewer.waitFor('pin', (e) => e.product === null);
      await closeAll();
    });

    it('tells viewers when the show starts and ends', async () => {
      const live = await createLive(t.app, seller, [product.id], false);
      const viewer = await join({ live: live.id });
      expect(helloOf(viewer).status).toBe('scheduled');
      await t.app.inject({
        method: 'POST',
        url: `/api/v1/lives/${live.id}/start`,
        headers: seller.auth,
      });
      await viewer.waitFor('live', (e) => e.status === 'live');
      await t.app.inject({
        method: 'POST',
        url: `/api/v1/lives/${live.id}/end`,
        headers: seller.auth,
      });
      await viewer.waitFor('live', (e) => e.status === 'ended');
      expect(viewer.ofType('live').map((e) => e.status)).toEqual(['live', 'ended']);
      await closeAll();
    });

    it('announces a purchase to all, the order to the host alone, and stock down to sold out', async () => {
      const scarce = await createProduct(t.app, seller, { title: 'Last melons', stock: 3 });
      const live = await createLive(t.app, seller, [scarce.id]);
      const host = await join({ live: live.id, token: seller.token });
      const viewer = await join({ live: live.id });
      const order = async (quantity: number) => {
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/v1/orders',
          headers: { ...buyer.auth, 'idempotency-key': randomUUID() },
          payload: orderInput(scarce.id, quantity, { liveId: live.id }),
        });
        expect(res.statusCode, res.body).toBe(201);
        return res.json().order as { id: string };
      };

      const first = await order(1);
      for (const room of [host, viewer]) {
        const purchase = await room.waitFor('purchase');
        expect(purchase).toEqual({
          type: 'purchase',
          seq: expect.any(Number),
          liveId: live.id,
          productId: scarce.id,
          quantity: 1,
          unit: 'kg',
          countyName: expect.objectContaining({ zh: '寿光市' }),
        });
        await room.waitFor('stock', (e) => e.stock === 2);
      }
      const hostOrder = await host.waitFor('order');
      expect(hostOrder).toMatchObject({ type: 'order', liveId: live.id, order: { id: first.id } });

      await order(2);
      for (const room of [host, viewer]) {
        await room.waitFor('stock', (e) => e.productId === scarce.id && e.stock === 0);
        await room.waitFor('soldout', (e) => e.productId === scarce.id);
      }
      await host.waitFor('order', (e) => e.order.id !== first.id);
      // Whatever the host got, the viewer got too, except the orders.
      await marker(host, viewer);
      expect(viewer.ofType('order')).toEqual([]);
      expect(viewer.sequenced().map((e) => e.seq)).toEqual(host.sequenced().map((e) => e.seq));
      await closeAll();
    });
  });

  describe('bad input', () => {
    it('answers garbage with an error and keeps the connection and the room working', async () => {
      const author = await join({ token: buyer.token });
      const viewer = await join();
      const garbage: Array<[string | Buffer, string]> = [
        ['not json {', 'MALFORMED_JSON'],
        [Buffer.from([0xff, 0x00, 0xfe, 0x9c, 0x01]), 'MALFORMED_JSON'],
        ['42', 'VALIDATION_FAILED'],
        ['{"type":"dance"}', 'VALIDATION_FAILED'],
        [JSON.stringify({ type: 'chat', text: 'x'.repeat(10 * 1024) }), 'PAYLOAD_TOO_LARGE'],
      ];
      for (const [data, code] of garbage) {
        const before = viewer.ofType('error').length;
        viewer.send(data);
        await waitUntil(() => viewer.ofType('error').length > before, { what: `error ${code}` });
        expect(viewer.ofType('error').at(-1)!.error.code).toBe(code);
        expect(viewer.isOpen).toBe(true);
      }
      await viewer.ping();
      chat(author, 'still here');
      await viewer.waitFor('chat', (e) => e.text === 'still here');
      expect(viewer.closed).toBeNull();
      await closeAll();
    });
  });

  describe('reconnecting', () => {
    it('replays exactly the events missed while away', async () => {
      const live = await createLive(t.app, seller, [product.id]);
      const author = await join({ live: live.id, token: buyer.token });
      const leaver = await join({ live: live.id });
      chat(author, 'before');
      await leaver.waitFor('chat', (e) => e.text === 'before');
      const lastSeen = leaver.sequenced().at(-1)!.seq!;
      await leaver.close();

      for (const text of ['one', 'two', 'three']) chat(author, text);
      await t.app.inject({
        method: 'POST',
        url: `/api/v1/lives/${live.id}/pin`,
        headers: seller.auth,
        payload: { productId: product.id },
      });
      await author.waitFor('pin');
      const missed = author.sequenced().filter((e) => e.seq! > lastSeen);
      expect(missed.map((e) => e.type)).toEqual(['chat', 'chat', 'chat', 'pin']);

      const back = await join({ live: live.id, since: lastSeen });
      const hello = helloOf(back);
      expect(hello).toMatchObject({ missedTooMany: false, seq: missed.at(-1)!.seq });
      await waitUntil(() => back.sequenced().length >= missed.length, { what: 'the replay' });
      expect(back.sequenced()).toEqual(missed);

      // From then on, new events only, once each.
      chat(author, 'after');
      await back.waitFor('chat', (e) => e.text === 'after');
      const seqs = back.sequenced().map((e) => e.seq!);
      expect(seqs).toEqual(seqs.map((_, i) => lastSeen + 1 + i));
      await closeAll();
    });

    it('replays nothing to a client that is up to date', async () => {
      const live = await createLive(t.app, seller, [product.id]);
      const author = await join({ live: live.id, token: buyer.token });
      chat(author, 'hi');
      const line = await author.waitFor('chat');
      const back = await join({ live: live.id, since: line.seq });
      expect(helloOf(back)).toMatchObject({ seq: line.seq, missedTooMany: false });
      await marker(author, back);
      expect(back.sequenced().map((e) => e.text)).toEqual([expect.stringMatching(/^marker /)]);
      await closeAll();
    });
  });
});

describe('live room with a slow tick', () => {
  // One flush every 2 s: events queued in this process are still waiting while a client joins.
  let t: TestApp;
  let base: string;
  let seller: TestUser;
  let liveId: string;

  beforeAll(async () => {
    t = await createTestApp({ roomTickMs: 2_000 });
    base = await listen(t);
    ({ seller } = await sellerWithShop(t.app));
    const product = await createProduct(t.app, seller);
    liveId = (await createLive(t.app, seller, [product.id])).id;
  });
  afterAll(async () => {
    await closeAll();
    await t.close();
  });

  it('delivers a tick of over 64 KB as one frame a browser can read', async () => {
    const author = await registerUser(t.app, 'buyer');
    const talker = await openRoom(base, liveId, { token: author.token });
    const viewer = await openRoom(base, liveId);
    opened.push(talker, viewer);
    const lines = Array.from({ length: 350 }, (_, i) => `${i} ${'稻'.repeat(190)}`);
    for (const text of lines) talker.send({ type: 'chat', text });
    await waitUntil(() => viewer.ofType('chat').length === lines.length, {
      timeoutMs: 10_000,
      what: () => `${lines.length} lines; got ${viewer.ofType('chat').length}`,
    });
    expect(viewer.ofType('chat').map((e) => e.text)).toEqual(lines);
    expect(viewer.ofType('error')).toEqual([]);
    await closeAll();
  });

  it('never sends a joining client an event twice, nor one older than its hello', async () => {
    const first = await openRoom(base, liveId);
    opened.push(first);
    const seqBefore = helloOf(first).seq as number;
    // Queued, not yet flushed: the pin is in the replay and in the next tick's frame.
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/lives/${liveId}/pin`,
      headers: seller.auth,
      payload: { productId: null },
    });
    expect(res.statusCode).toBe(200);
    const replayed = await openRoom(base, liveId, { since: seqBefore });
    const fresh = await openRoom(base, liveId);
    opened.push(replayed, fresh);
    await first.waitFor('pin');
    await replayed.ping();
    await fresh.ping();

    expect(replayed.ofType('pin')).toHaveLength(1);
    const helloSeq = helloOf(fresh).seq as number;
    expect(fresh.sequenced().filter((e) => e.seq! <= helloSeq)).toEqual([]);
    await closeAll();
  });
});

describe('chat rate limit', () => {
  let t: TestApp;
  let base: string;
  let liveId: string;

  beforeAll(async () => {
    t = await createTestApp({ rateLimits: { ...testConfig().rateLimits, chatLinesPer10s: 3 } });
    base = await listen(t);
    const { seller } = await sellerWithShop(t.app);
    const product = await createProduct(t.app, seller);
    liveId = (await createLive(t.app, seller, [product.id])).id;
  });
  afterAll(async () => {
    await closeAll();
    await t.close();
  });

  it('lets a user say a few lines, then asks them to wait, on every connection of theirs', async () => {
    const buyer = await registerUser(t.app, 'buyer');
    const other = await registerUser(t.app, 'buyer');
    const tab1 = await openRoom(base, liveId, { token: buyer.token });
    const tab2 = await openRoom(base, liveId, { token: buyer.token });
    const bystander = await openRoom(base, liveId, { token: other.token });
    opened.push(tab1, tab2, bystander);

    for (let i = 0; i < 3; i++) tab1.send({ type: 'chat', text: `line ${i}` });
    await waitUntil(() => bystander.ofType('chat').length === 3, { what: '3 lines' });
    tab1.send({ type: 'chat', text: 'one too many' });
    tab2.send({ type: 'chat', text: 'from the other tab' });
    for (const tab of [tab1, tab2]) {
      const error = await tab.waitFor('error');
      expect(error.error).toMatchObject({
        code: 'RATE_LIMITED',
        details: { retryAfterMs: expect.any(Number) },
      });
      expect(tab.isOpen).toBe(true);
    }
    // Someone else still chats.
    bystander.send({ type: 'chat', text: 'my turn' });
    await tab1.waitFor('chat', (e) => e.text === 'my turn');
    expect(bystander.ofType('chat').map((e) => e.text)).toEqual([
      'line 0',
      'line 1',
      'line 2',
      'my turn',
    ]);
  });
});
