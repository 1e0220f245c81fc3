import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import {
  callApi,
  startCrashableServer,
  startServerProcess,
  type CrashableServer,
  type ServerProcess,
} from '../../test/process-harness.ts';
import { createTestDatabase } from '../../test/test-app.ts';

/** Only the fields this test reads, of whichever answer it is. */
interface Json {
  token: string;
  product: { id: string; stock: number };
  live: { id: string };
  offer: { id: string; left: number; status: string };
  order: { id: string; offerId: string };
  orders: Array<{ id: string; offerId: string | null }>;
  error: { code: string };
}

const call = callApi<Json>;

const password = 'correct horse battery';
const address = { name: 'Chen', phone: '13800138000', regionCode: '370783100', line1: 'East 8' };

async function register(server: ServerProcess, role: 'buyer' | 'seller') {
  const res = await call(server, 'POST', '/auth/register', {
    email: `${role}-${randomUUID()}@flash.test`,
    password,
    displayName: role,
    role,
  });
  if (res.status !== 201) throw new Error(`register: ${res.status}`);
  return { authorization: `Bearer ${res.body.token}` };
}

/** A seller with a shop, a product of `stock`, a live show on air and an offer in it. */
async function saleOn(server: ServerProcess, stock: number, quantity: number) {
  const seller = await register(server, 'seller');
  await call(server, 'PUT', '/shop', { name: 'Farm', regionCode: '370783' }, seller);
  const product = (
    await call(
      server,
      'POST',
      '/products',
      { title: 'Pears', unit: 'box', price: 3000, stock },
      seller,
    )
  ).body.product;
  const live = (
    await call(server, 'POST', '/lives', { title: 'Pears', productIds: [product.id] }, seller)
  ).body.live;
  await call(server, 'POST', `/lives/${live.id}/start`, undefined, seller);
  const offer = await call(
    server,
    'POST',
    `/lives/${live.id}/offers`,
    { productId: product.id, price: 1990, quantity, perBuyerLimit: 1000, durationSeconds: 3600 },
    seller,
  );
  if (offer.status !== 201) throw new Error(`offer: ${offer.status} ${JSON.stringify(offer.body)}`);
  return { seller, product, live, offer: offer.body.offer };
}

const claim = (server: ServerProcess, offerId: string, buyer: Record<string, string>) =>
  call(
    server,
    'POST',
    `/offers/${offerId}/claims`,
    { quantity: 1, shippingAddress: address, paymentMethod: 'cod' },
    { ...buyer, 'idempotency-key': randomUUID() },
  );

/** Every order of the seller's shop (at most 100 here). */
async function offerOrders(server: ServerProcess, seller: Record<string, string>, offerId: string) {
  const res = await call(server, 'GET', '/orders?limit=100', undefined, seller);
  return res.body.orders.filter((o) => o.offerId === offerId);
}

describe.skipIf(!process.env.TEST_DATABASE_URL)('flash sale across two server processes', () => {
  const servers: ServerProcess[] = [];
  let database: Awaited<ReturnType<typeof createTestDatabase>> = null;
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.kill()));
    await database?.drop();
  });

  it('sells exactly the offer when two processes race for it over PostgreSQL and Redis', async () => {
    database = await createTestDatabase();
    const env = {
      DATABASE_URL: database!.url,
      REDIS_URL: process.env.TEST_REDIS_URL,
      RATE_LIMIT_MULTIPLIER: '1000',
    };
    servers.push(await startServerProcess({ env }));
    servers.push(await startServerProcess({ env }));
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const { seller, product, offer } = await saleOn(a, 200, 60);
    const buyers = await Promise.all(Array.from({ length: 10 }, () => register(b, 'buyer')));
    const results = await Promise.all(
      Array.from({ length: 400 }, (_, i) => claim(i % 2 ? a : b, offer.id, buyers[i % 10]!)),
    );
    const won = results.filter((r) => r.status === 201);
    expect(won).toHaveLength(60);
    const lost = results.filter((r) => r.status !== 201);
    expect(lost.map((r) => r.body.error.code)).toEqual(Array(340).fill('SOLD_OUT'));
    expect((await call(b, 'GET', `/offers/${offer.id}`)).body.offer).toMatchObject({
      left: 0,
      status: 'sold_out',
    });
    expect(await offerOrders(a, seller, offer.id)).toHaveLength(60);
    expect((await call(a, 'GET', `/products/${product.id}`)).body.product.stock).toBe(140);
  }, 180_000);
});

/**
 * "You got it" is a promise: every claim answered 201 is in the database after the server
 * is killed the next instant and started again.
 */
describe('a confirmed flash claim survives kill -9', () => {
  let crashable: CrashableServer | null = null;
  afterAll(() => crashable?.dispose());

  it('keeps every claim answered before the kill, and the offer’s count matches them', async () => {
    crashable = await startCrashableServer({
      database: await createTestDatabase(),
      env: { RATE_LIMIT_MULTIPLIER: '1000' },
    });
    const { seller, offer } = await saleOn(crashable.server, 100, 100);
    const buyer = await register(crashable.server, 'buyer');
    const confirmed = await crashable.killMidStream({
      clients: 16,
      killAfter: 30,
      send: async (server) => {
        const res = await claim(server, offer.id, buyer);
        if (res.status === 201) return { confirmed: res.body.order.id };
        return res.body?.error?.code === 'SOLD_OUT' ? 'stop' : null;
      },
    });

    const server = crashable.server;
    for (const id of confirmed) {
      const res = await call(server, 'GET', `/orders/${id}`, undefined, buyer);
      expect(res.status, `order ${id} lost`).toBe(200);
    }
    const orders = await offerOrders(server, seller, offer.id);
    expect(orders.length).toBeGreaterThanOrEqual(confirmed.length);
    const left = (await call(server, 'GET', `/offers/${offer.id}`)).body.offer.left;
    expect(100 - left).toBe(orders.length);
  }, 180_000);
});
