import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { callApi, startCrashableServer, type CrashableServer } from '../../test/process-harness.ts';
import { createTestDatabase } from '../../test/test-app.ts';

/** Only the fields this test reads, of whichever answer it is. */
interface Json {
  token: string;
  product: { id: string; stock: number };
  order: { id: string };
  orders: Array<{ createdAt: string }>;
}

const call = callApi<Json>;

/**
 * An order the API confirmed must survive the server being killed the next instant: the
 * 201 is only sent after the transaction committed to disk.
 */
describe('an order the API confirmed survives kill -9', () => {
  let crashable: CrashableServer | null = null;
  afterAll(() => crashable?.dispose());

  it('keeps every confirmed order and the stock that matches them', async () => {
    crashable = await startCrashableServer({
      database: await createTestDatabase(),
      env: { RATE_LIMIT_MULTIPLIER: '1000' },
    });
    let server = crashable.server;

    const password = 'correct horse battery';
    const seller = (
      await call(server, 'POST', '/auth/register', {
        email: 'farmer@durable.test',
        password,
        displayName: 'Farmer',
        role: 'seller',
      })
    ).body;
    const sellerAuth = { authorization: `Bearer ${seller.token}` };
    await call(server, 'PUT', '/shop', { name: 'Farm', regionCode: '370783' }, sellerAuth);
    const product = (
      await call(
        server,
        'POST',
        '/products',
        { title: 'Corn', unit: 'box', price: 4500, stock: 500 },
        sellerAuth,
      )
    ).body.product;
    const buyer = (
      await call(server, 'POST', '/auth/register', {
        email: 'buyer@durable.test',
        password,
        displayName: 'Buyer',
        role: 'buyer',
      })
    ).body;
    const buyerAuth = { authorization: `Bearer ${buyer.token}` };

    const address = {
      name: 'Chen',
      phone: '13800138000',
      regionCode: '370783100',
      line1: 'East Street 8',
    };
    // Orders keep flowing from several clients; the server dies mid-stream.
    const confirmed = await crashable.killMidStream({
      clients: 8,
      killAfter: 40,
      send: async (target) => {
        const res = await call(
          target,
          'POST',
          '/orders',
          {
            items: [{ productId: product.id, quantity: 1 }],
            shippingAddress: address,
            paymentMethod: 'cod',
          },
          { ...buyerAuth, 'idempotency-key': randomUUID() },
        );
        return res.status === 201 ? { confirmed: res.body.order.id } : null;
      },
    });

    server = crashable.server;
    for (const id of confirmed) {
      const res = await call(server, 'GET', `/orders/${id}`, undefined, buyerAuth);
      expect(res.status, `order ${id} lost`).toBe(200);
    }
    const all = (await call(server, 'GET', '/orders?limit=100', undefined, sellerAuth)).body
      .orders as unknown[];
    let count = all.length;
    // Page through: more orders may have committed than were confirmed before the kill.
    let last = all.at(-1) as { createdAt: string } | undefined;
    while (last && all.length % 100 === 0) {
      const page = (
        await call(
          server,
          'GET',
          `/orders?limit=100&before=${encodeURIComponent(last.createdAt)}`,
          undefined,
          sellerAuth,
        )
      ).body.orders as Array<{ createdAt: string }>;
      if (page.length === 0) break;
      count += page.length;
      last = page.at(-1);
      if (page.length < 100) break;
    }
    expect(count).toBeGreaterThanOrEqual(confirmed.length);
    const stock = (await call(server, 'GET', `/products/${product.id}`)).body.product.stock;
    expect(stock).toBe(500 - count);
  });
});
