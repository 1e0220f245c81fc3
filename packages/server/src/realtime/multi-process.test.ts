import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  helloOf,
  openRoom,
  startServerProcess,
  waitUntil,
  type RoomSocket,
  type ServerProcess,
} from '../test/process-harness.ts';
import { createTestDatabase } from '../test/test-app.ts';

/**
 * Two real server processes on one PostgreSQL database and one Redis: a live room is one
 * room whichever process a viewer's connection lands on (behind a load balancer, on any).
 */
const redisUrl = process.env.TEST_REDIS_URL;
const databaseUrl = process.env.TEST_DATABASE_URL;

describe.runIf(redisUrl && databaseUrl)('a live room shared by two server processes', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let a: ServerProcess;
  let b: ServerProcess;
  let host: { token: string; id: string };
  let viewer: { token: string; id: string };
  let liveId: string;
  let productId: string;
  const sockets: RoomSocket[] = [];

  async function call(
    server: ServerProcess,
    method: string,
    url: string,
    body?: unknown,
    token?: string,
  ) {
    const res = await fetch(`${server.url}/api/v1${url}`, {
      method,
      headers: {
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...(token && { authorization: `Bearer ${token}` }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }
  const register = async (server: ServerProcess, role: 'buyer' | 'seller', displayName: string) => {
    const body = await call(server, 'POST', '/auth/register', {
      email: `${displayName.toLowerCase()}-${Date.now()}@two.test`,
      password: 'correct horse battery',
      displayName,
      role,
    });
    return { token: body.token as string, id: body.user.id as string };
  };
  const join = async (server: ServerProcess, opts: { token?: string; since?: number } = {}) => {
    const socket = await openRoom(server.url, liveId, opts);
    sockets.push(socket);
    expect(helloOf(socket).type).toBe('hello');
    return socket;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    const env = { DATABASE_URL: database!.url, REDIS_URL: redisUrl, RATE_LIMIT_MULTIPLIER: '100' };
    // One after the other: the first applies the migrations to the fresh database.
    a = await startServerProcess({ env });
    b = await startServerProcess({ env });

    host = await register(a, 'seller', 'Farmer');
    await call(a, 'PUT', '/shop', { name: 'Two Farms', regionCode: '370783' }, host.token);
    productId = (
      await call(
        a,
        'POST',
        '/products',
        { title: 'Leeks', unit: 'kg', price: 600, stock: 40 },
        host.token,
      )
    ).product.id;
    liveId = (
      await call(
        a,
        'POST',
        '/lives',
        { title: 'Leek harvest', productIds: [productId] },
        host.token,
      )
    ).live.id;
    await call(a, 'POST', `/lives/${liveId}/start`, undefined, host.token);
    viewer = await register(b, 'buyer', 'Viewer');
  });
  afterEach(({ task }) => {
    if (task.result?.state === 'fail') {
      console.error(
        `--- process A output ---\n${a?.output()}\n--- process B output ---\n${b?.output()}`,
      );
    }
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await Promise.all([a?.stop(), b?.stop()]);
    await database?.drop();
  });

  it('carries the host’s pin and chat from process A to a viewer on process B', async () => {
    const hostSocket = await join(a, { token: host.token });
    const viewerSocket = await join(b, { token: viewer.token });
    expect(helloOf(hostSocket).canChat).toBe(true);

    await call(a, 'POST', `/lives/${liveId}/pin`, { productId }, host.token);
    hostSocket.send({ type: 'chat', text: 'Leeks are on the screen now' });

    const pin = await viewerSocket.waitFor('pin');
    expect(pin.product).toMatchObject({ id: productId, title: 'Leeks', price: 600 });
    const line = await viewerSocket.waitFor('chat');
    expect(line).toMatchObject({
      text: 'Leeks are on the screen now',
      author: { id: host.id, isHost: true },
    });
    // One room: both processes number its events alike.
    await hostSocket.waitFor('chat');
    expect(viewerSocket.sequenced()).toEqual(hostSocket.sequenced());
  });

  it('carries a viewer’s chat from process B to the host on process A', async () => {
    const hostSocket = await join(a, { token: host.token });
    const viewerSocket = await join(b, { token: viewer.token });
    viewerSocket.send({ type: 'chat', text: 'How much for 5 kg?' });
    const line = await hostSocket.waitFor('chat', (e) => e.text === 'How much for 5 kg?');
    expect(line.author).toMatchObject({ id: viewer.id, displayName: 'Viewer', isHost: false });
  });

  it('sums likes and viewers over both processes', async () => {
    await Promise.all(sockets.splice(0).map((s) => s.close()));
    const onA = [await join(a, { token: host.token }), await join(a)];
    const onB = [await join(b), await join(b), await join(b)];
    for (const socket of [...onA, ...onB]) {
      await socket.waitFor('viewers', (e) => e.count === 5, 10_000);
    }

    const before = helloOf(onA[1]!).likes as number;
    onA[1]!.send({ type: 'like', count: 3 });
    onB[0]!.send({ type: 'like', count: 4 });
    for (const socket of [onA[0]!, onB[2]!]) {
      await waitUntil(() => socket.ofType('like').at(-1)?.total === before + 7, {
        what: 'the like total',
      });
    }
  });

  it('replays from the shared history on whichever process a viewer comes back to', async () => {
    const hostSocket = await join(a, { token: host.token });
    const leaver = await join(b);
    hostSocket.send({ type: 'chat', text: 'before you left' });
    await leaver.waitFor('chat', (e) => e.text === 'before you left');
    const lastSeen = leaver.sequenced().at(-1)!.seq!;
    await leaver.close();

    hostSocket.send({ type: 'chat', text: 'while you were away' });
    await hostSocket.waitFor('chat', (e) => e.text === 'while you were away');
    const missed = hostSocket.sequenced().filter((e) => e.seq! > lastSeen);

    const back = await join(a, { since: lastSeen });
    await waitUntil(() => back.sequenced().length >= missed.length, { what: 'the replay' });
    expect(back.sequenced()).toEqual(missed);
  });
  // Last: it ends the show.
  it('stops chat on the other process within a second of the show ending', async () => {
    const viewerSocket = await join(b, { token: viewer.token });
    viewerSocket.send({ type: 'chat', text: 'one more question' });
    await viewerSocket.waitFor('chat', (e) => e.text === 'one more question');
    await call(a, 'POST', `/lives/${liveId}/end`, undefined, host.token);
    await viewerSocket.waitFor('live', (e) => e.status === 'ended');
    const endedAt = Date.now();
    const error = await waitUntil(
      () => {
        viewerSocket.send({ type: 'chat', text: 'are you still there?' });
        return viewerSocket.ofType('error').find((e) => e.error.code === 'LIVE_NOT_LIVE');
      },
      { intervalMs: 100, timeoutMs: 3_000, what: 'LIVE_NOT_LIVE' },
    );
    expect(error).toBeDefined();
    expect(Date.now() - endedAt).toBeLessThan(2_000);
  });
});
