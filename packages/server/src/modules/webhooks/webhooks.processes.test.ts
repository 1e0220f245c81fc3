import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../../test/process-harness.ts';
import { createTestDatabase } from '../../test/test-app.ts';
import { startReceiver, waitFor, type Receiver } from './webhook-receiver.test-helper.ts';

/** Ports of this module's tests (3370–3379). */
const PORTS = { serverA: 3370, serverB: 3371, receiver: 3375, receiver2: 3376 };

interface Json {
  token: string;
  product: { id: string };
  order: { id: string };
  subscription: { id: string };
  secret: string;
  deliveries: Array<{ id: string; eventId: string; type: string; status: string }>;
}

async function call(
  server: ServerProcess,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${server.url}/api/v1${url}`, {
    method,
    headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as Json };
}

const address = { name: 'Chen', phone: '13800138000', regionCode: '370783100', line1: 'East 8' };

/** A seller with a shop, a product, a buyer, and a webhook endpoint for order.created. */
async function setUp(server: ServerProcess, hookUrl: string) {
  const password = 'correct horse battery';
  const register = async (role: string) =>
    (
      await call(server, 'POST', '/auth/register', {
        email: `${role}-${randomUUID().slice(0, 8)}@webhooks.test`,
        password,
        displayName: role,
        role,
      })
    ).body.token;
  const seller = { authorization: `Bearer ${await register('seller')}` };
  const buyer = { authorization: `Bearer ${await register('buyer')}` };
  await call(server, 'PUT', '/shop', { name: 'Farm', regionCode: '370783' }, seller);
  const product = (
    await call(
      server,
      'POST',
      '/products',
      { title: 'Corn', unit: 'box', price: 4500, stock: 500 },
      seller,
    )
  ).body.product;
  const sub = await call(
    server,
    'POST',
    '/shop/webhooks',
    { url: hookUrl, events: ['order.created'] },
    seller,
  );
  expect(sub.status).toBe(201);
  return { seller, buyer, product, subscription: sub.body.subscription, secret: sub.body.secret };
}

async function order(server: ServerProcess, buyer: Record<string, string>, productId: string) {
  const res = await call(
    server,
    'POST',
    '/orders',
    { items: [{ productId, quantity: 1 }], shippingAddress: address, paymentMethod: 'cod' },
    { ...buyer, 'idempotency-key': randomUUID() },
  );
  expect(res.status).toBe(201);
  return res.body.order.id;
}

const env = (dataDir: string, databaseUrl?: string) => ({
  DATA_DIR: dataDir,
  RATE_LIMIT_MULTIPLIER: '1000',
  JOBS_POLL_SECONDS: '0.5',
  WEBHOOK_RETRY_DELAY_SECONDS: '1',
  WEBHOOK_RETRY_LIMIT: '8',
  ...(databaseUrl && { DATABASE_URL: databaseUrl }),
});

describe('webhooks across processes', () => {
  const dirs: string[] = [];
  const servers: ServerProcess[] = [];
  const receivers: Receiver[] = [];
  const drops: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const s of servers) await s.kill();
    for (const r of receivers) await r.close();
    for (const d of drops) await d();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const dataDir = () => {
    const d = mkdtempSync(path.join(tmpdir(), 'cunbo-webhooks-'));
    dirs.push(d);
    return d;
  };

  it('delivers the webhook of an order committed just before kill -9, after the restart', async () => {
    const database = await createTestDatabase();
    if (database) drops.push(database.drop);
    const dir = dataDir();
    let server = await startServerProcess({ env: env(dir, database?.url), port: PORTS.serverA });
    servers.push(server);
    const hook = await startReceiver(null, PORTS.receiver);
    receivers.push(hook);
    const { seller, buyer, product, subscription, secret } = await setUp(server, hook.url);
    hook.setSecret(secret);

    // Orders keep coming; the process is killed the instant the last one is confirmed, so
    // its event (and maybe others) is still in the outbox or in flight.
    const confirmed: string[] = [];
    for (let i = 0; i < 15; i++) confirmed.push(await order(server, buyer, product.id));
    await server.kill();
    servers.splice(servers.indexOf(server), 1);

    server = await startServerProcess({ env: env(dir, database?.url), port: PORTS.serverA });
    servers.push(server);
    const orderIds = () =>
      new Set(
        hook
          .accepted()
          .filter((r) => r.verified)
          .map((r) => r.verified!.data.orderId),
      );
    await waitFor(
      'every confirmed order announced',
      () => orderIds(),
      (ids) => confirmed.every((id) => ids.has(id)),
      // A job that was running at the kill waits for its expiry (60 s) before its retry.
      150_000,
    );
    // One delivery per event, however the crash fell.
    const log = await call(
      server,
      'GET',
      `/shop/webhooks/${subscription.id}/deliveries?limit=100`,
      undefined,
      seller,
    );
    const forConfirmed = log.body.deliveries.filter((d) => d.type === 'order.created');
    expect(forConfirmed.length).toBeGreaterThanOrEqual(confirmed.length);
    expect(new Set(forConfirmed.map((d) => d.eventId)).size).toBe(forConfirmed.length);
    await server.stop();
    servers.splice(servers.indexOf(server), 1);
  }, 240_000);

  it.skipIf(!process.env.TEST_DATABASE_URL)(
    'two processes on one PostgreSQL make one delivery per event and send each once',
    async () => {
      const database = (await createTestDatabase())!;
      drops.push(database.drop);
      // One DATA_DIR (the same secrets) and one Redis, the way a region scales out.
      const dir = dataDir();
      const shared = { ...env(dir, database.url), REDIS_URL: process.env.TEST_REDIS_URL };
      const a = await startServerProcess({
        env: shared,
        port: PORTS.serverA,
      });
      servers.push(a);
      const b = await startServerProcess({
        env: shared,
        port: PORTS.serverB,
      });
      servers.push(b);
      const hook = await startReceiver(null, PORTS.receiver2);
      receivers.push(hook);
      const { seller, buyer, product, subscription, secret } = await setUp(a, hook.url);
      hook.setSecret(secret);
      const placed = await Promise.all(
        Array.from({ length: 60 }, (_, i) => order(i % 2 ? a : b, buyer, product.id)),
      );
      await waitFor(
        '60 deliveries',
        () => hook.accepted().length,
        (n) => n >= 60,
        60_000,
      );
      await new Promise((r) => setTimeout(r, 2000));
      const got = hook.accepted();
      expect(got).toHaveLength(60);
      expect(new Set(got.map((r) => r.id)).size).toBe(60);
      expect(new Set(got.map((r) => r.verified?.data.orderId))).toEqual(new Set(placed));
      const log = await call(
        b,
        'GET',
        `/shop/webhooks/${subscription.id}/deliveries?limit=100`,
        undefined,
        seller,
      );
      expect(log.body.deliveries).toHaveLength(60);
      expect(log.body.deliveries.every((d) => d.status === 'succeeded')).toBe(true);
    },
    120_000,
  );
});
