import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLive,
  createProduct,
  orderInput,
  registerUser,
  sellerWithShop,
  type TestUser,
} from '../../test/factories.ts';
import { helloOf, openRoom, waitUntil } from '../../test/process-harness.ts';
import { createTestApp, type TestApp } from '../../test/test-app.ts';
import { HOLD_EXPIRY_JOB } from '../orders/orders.service.ts';

/**
 * Flash offers and live coupons through the HTTP API, on PGlite, or on PostgreSQL and Redis
 * when TEST_DATABASE_URL / TEST_REDIS_URL are set.
 */
describe('flash sales', () => {
  let t: TestApp;
  let base: string;
  let seller: TestUser;
  let liveId: string;
  let buyers: TestUser[];

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    seller = (await sellerWithShop(t.app)).seller;
    const product = await createProduct(t.app, seller, { stock: 10 });
    liveId = (await createLive(t.app, seller, [product.id])).id;
    buyers = await Promise.all(Array.from({ length: 60 }, () => registerUser(t.app, 'buyer')));
  });
  afterAll(async () => t.close());

  const call = (
    user: TestUser | null,
    method: 'GET' | 'POST',
    url: string,
    payload?: unknown,
    headers: Record<string, string> = {},
  ) =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { ...(user?.auth ?? {}), ...headers },
      ...(payload !== undefined && { payload: payload as Record<string, unknown> }),
    });
  const stockOf = async (id: string) =>
    (await call(null, 'GET', `/products/${id}`)).json().product.stock as number;
  const makeOffer = async (
    productId: string,
    overrides: Record<string, unknown> = {},
  ): Promise<{ id: string; left: number; status: string }> => {
    const res = await call(seller, 'POST', `/lives/${liveId}/offers`, {
      productId,
      price: 990,
      quantity: 50,
      perBuyerLimit: 5,
      durationSeconds: 600,
      ...overrides,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().offer;
  };
  const address = orderInput('x').shippingAddress;
  const claim = (
    user: TestUser,
    offerId: string,
    body: Record<string, unknown> = {},
    key = randomUUID(),
  ) =>
    call(
      user,
      'POST',
      `/offers/${offerId}/claims`,
      { quantity: 1, shippingAddress: address, paymentMethod: 'cod', ...body },
      { 'idempotency-key': key },
    );

  it('takes the offer’s units out of stock, and refuses more than there is', async () => {
    const product = await createProduct(t.app, seller, { stock: 80, price: 1500 });
    const offer = await makeOffer(product.id);
    expect(offer).toMatchObject({
      liveId,
      price: 990,
      regularPrice: 1500,
      quantity: 50,
      left: 50,
      perBuyerLimit: 5,
      holdSeconds: 300,
      status: 'open',
      product: { id: product.id, title: 'Greenhouse tomatoes', unit: 'kg' },
    });
    expect(await stockOf(product.id)).toBe(30);
    const tooMany = await call(seller, 'POST', `/lives/${liveId}/offers`, {
      productId: product.id,
      price: 990,
      quantity: 31,
      perBuyerLimit: 1,
      durationSeconds: 60,
    });
    expect(tooMany.statusCode).toBe(409);
    expect(tooMany.json().error).toMatchObject({
      code: 'OUT_OF_STOCK',
      details: { available: 30 },
    });
    const list = (await call(null, 'GET', `/lives/${liveId}/offers`)).json().offers;
    expect(list[0]).toMatchObject({ id: offer.id, left: 50 });
    const stranger = await registerUser(t.app, 'seller');
    const foreign = await call(stranger, 'POST', `/lives/${liveId}/offers`, {
      productId: product.id,
      price: 990,
      quantity: 1,
      perBuyerLimit: 1,
      durationSeconds: 60,
    });
    expect(foreign.statusCode).toBe(403);
  });

  it('sells exactly 50 units to 300 simultaneous claims: 250 clean SOLD_OUT', async () => {
    const product = await createProduct(t.app, seller, { stock: 100 });
    const offer = await makeOffer(product.id);
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => claim(buyers[i % buyers.length]!, offer.id)),
    );
    const won = results.filter((r) => r.statusCode === 201);
    const lost = results.filter((r) => r.statusCode !== 201);
    expect(won).toHaveLength(50);
    expect(lost).toHaveLength(250);
    for (const r of lost) expect(r.json().error.code).toBe('SOLD_OUT');
    for (const r of won) {
      expect(r.json().order).toMatchObject({
        status: 'cod_confirmed',
        offerId: offer.id,
        liveId,
        total: 990,
        discount: 0,
        holdExpiresAt: null,
        items: [{ productId: product.id, quantity: 1, price: 990 }],
      });
    }
    expect(new Set(won.map((r) => r.json().order.id)).size).toBe(50);
    const after = (await call(null, 'GET', `/offers/${offer.id}`)).json().offer;
    expect(after).toMatchObject({ left: 0, status: 'sold_out' });
    // The product kept what the offer did not take; the offer sold nothing twice.
    expect(await stockOf(product.id)).toBe(50);
    const result = (await t.app.database.db.execute(
      sql`select count(*)::int as n, coalesce(sum(i.quantity), 0)::int as units from orders o join order_items i on i.order_id = o.id where o.offer_id = ${offer.id}`,
    )) as unknown as { rows: Array<{ n: number; units: number }> };
    expect(result.rows[0]).toEqual({ n: 50, units: 50 });
    const mine = (await call(buyers[0]!, 'GET', `/offers/${offer.id}`)).json().offer.mine;
    expect(mine).toBeGreaterThanOrEqual(0);
  });

  it('keeps the per-buyer limit when one buyer fires 20 claims at once', async () => {
    const product = await createProduct(t.app, seller, { stock: 100 });
    const offer = await makeOffer(product.id, { perBuyerLimit: 2 });
    const buyer = buyers[1]!;
    const results = await Promise.all(Array.from({ length: 20 }, () => claim(buyer, offer.id)));
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(2);
    const refused = results.filter((r) => r.statusCode === 409);
    expect(refused).toHaveLength(18);
    for (const r of refused)
      expect(r.json().error).toMatchObject({
        code: 'LIMIT_REACHED',
        details: { limit: 2, mine: expect.any(Number) },
      });
    expect((await call(buyer, 'GET', `/offers/${offer.id}`)).json().offer).toMatchObject({
      mine: 2,
      left: 48,
    });
    const tooBig = await claim(buyers[2]!, offer.id, { quantity: 3 });
    expect(tooBig.json().error).toMatchObject({ code: 'LIMIT_REACHED', details: { limit: 2 } });
  });

  it('answers a retry with the same key with the same order, and takes nothing again', async () => {
    const product = await createProduct(t.app, seller, { stock: 100 });
    const offer = await makeOffer(product.id, { quantity: 10 });
    const key = randomUUID();
    const buyer = buyers[3]!;
    const [a, b, c] = await Promise.all([
      claim(buyer, offer.id, {}, key),
      claim(buyer, offer.id, {}, key),
      claim(buyer, offer.id, {}, key),
    ]);
    for (const r of [a, b, c]) expect(r!.statusCode).toBe(201);
    const ids = new Set([a, b, c].map((r) => r!.json().order.id));
    expect(ids.size).toBe(1);
    expect([a, b, c].filter((r) => r!.headers['idempotent-replayed'] === 'true')).toHaveLength(2);
    const later = await claim(buyer, offer.id, {}, key);
    expect(later.statusCode).toBe(201);
    expect(later.json().order.id).toBe(a!.json().order.id);
    expect(later.json().offer).toEqual({ id: offer.id, left: 9, status: 'open' });
    const other = await claim(buyer, offer.id, { quantity: 2 }, key);
    expect(other.statusCode).toBe(422);
    expect(other.json().error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const missing = await call(buyer, 'POST', `/offers/${offer.id}/claims`, {
      quantity: 1,
      shippingAddress: address,
      paymentMethod: 'cod',
    });
    expect(missing.json().error.code).toBe('IDEMPOTENCY_KEY_REQUIRED');
  });

  it('answers a winner’s retry with its order even once the offer is sold out', async () => {
    const product = await createProduct(t.app, seller, { stock: 10 });
    const offer = await makeOffer(product.id, { quantity: 1 });
    const key = randomUUID();
    const won = await claim(buyers[9]!, offer.id, {}, key);
    expect(won.statusCode).toBe(201);
    // Sold out now, and known so in memory: others are refused without the database.
    for (const b of buyers.slice(20, 25))
      expect((await claim(b, offer.id)).json().error.code).toBe('SOLD_OUT');
    const retry = await claim(buyers[9]!, offer.id, {}, key);
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json().order.id).toBe(won.json().order.id);
    expect((await claim(buyers[9]!, offer.id)).json().error.code).toBe('SOLD_OUT');
  });

  it('refuses claims before the start and after the end, with the reason', async () => {
    const product = await createProduct(t.app, seller, { stock: 100 });
    const startsAt = new Date(Date.now() + 3_600_000).toISOString();
    const later = await makeOffer(product.id, { startsAt, quantity: 5 });
    expect(later.status).toBe('scheduled');
    const early = await claim(buyers[4]!, later.id);
    expect(early.statusCode).toBe(409);
    expect(early.json().error).toMatchObject({ code: 'OFFER_NOT_STARTED', details: { startsAt } });

    const offer = await makeOffer(product.id, { quantity: 20 });
    expect((await claim(buyers[4]!, offer.id)).statusCode).toBe(201);
    expect(await stockOf(product.id)).toBe(75);
    const closed = await call(seller, 'POST', `/offers/${offer.id}/close`);
    expect(closed.statusCode).toBe(200);
    expect(closed.json().offer).toMatchObject({ status: 'ended', left: 19 });
    // The 19 units nobody took are back on the product.
    expect(await stockOf(product.id)).toBe(94);
    const late = await claim(buyers[5]!, offer.id);
    expect(late.statusCode).toBe(409);
    expect(late.json().error).toMatchObject({
      code: 'OFFER_ENDED',
      details: { endsAt: expect.any(String) },
    });
    const own = await claim(seller, later.id);
    expect(own.statusCode).toBe(403);
    expect((await claim(buyers[4]!, randomUUID())).statusCode).toBe(404);
  });

  it('holds units for an unpaid online order; an expired hold puts them back on the offer', async () => {
    const product = await createProduct(t.app, seller, { stock: 100 });
    const offer = await makeOffer(product.id, { quantity: 2, perBuyerLimit: 2, holdSeconds: 60 });
    const room = await openRoom(base, liveId);
    try {
      expect(helloOf(room).offers.map((o: { id: string }) => o.id)).toContain(offer.id);
      const res = await claim(buyers[6]!, offer.id, { quantity: 2, paymentMethod: 'sandbox' });
      expect(res.statusCode).toBe(201);
      const order = res.json().order;
      expect(order.status).toBe('placed');
      expect(order.payment).toMatchObject({ status: 'pending', payUrl: expect.any(String) });
      const holdMs = new Date(order.holdExpiresAt).getTime() - Date.now();
      expect(holdMs).toBeGreaterThan(50_000);
      expect(holdMs).toBeLessThanOrEqual(60_000);
      expect(res.json().offer).toEqual({ id: offer.id, left: 0, status: 'sold_out' });
      expect((await claim(buyers[7]!, offer.id)).json().error.code).toBe('SOLD_OUT');

      // The hold ends (moved into the past here), and the job that watches it runs.
      await t.app.database.db.execute(
        sql`update orders set hold_expires_at = now() - interval '1 second' where id = ${order.id}`,
      );
      await t.app.services.jobs.send(HOLD_EXPIRY_JOB, { orderId: order.id });
      await waitUntil(
        async () =>
          (await call(buyers[6]!, 'GET', `/orders/${order.id}`)).json().order.status ===
          'cancelled',
        { timeoutMs: 10_000, what: 'the hold to expire' },
      );
      await room.waitFor('offer', (e) => e.offer.id === offer.id && e.offer.left === 2);
      expect((await call(buyers[6]!, 'GET', `/offers/${offer.id}`)).json().offer).toMatchObject({
        left: 2,
        status: 'open',
        mine: 0,
      });
      expect(await stockOf(product.id)).toBe(98);
      // Back on sale at once in this process, not "sold out" from memory.
      expect((await claim(buyers[7]!, offer.id)).statusCode).toBe(201);
    } finally {
      await room.close();
    }
  });

  it('gives ordinary online orders a hold too', async () => {
    const product = await createProduct(t.app, seller, { stock: 5 });
    const res = await call(
      buyers[8]!,
      'POST',
      '/orders',
      orderInput(product.id, 1, { paymentMethod: 'sandbox' }),
      { 'idempotency-key': randomUUID() },
    );
    expect(res.statusCode).toBe(201);
    const hold = new Date(res.json().order.holdExpiresAt).getTime() - Date.now();
    expect(hold).toBeGreaterThan(29 * 60_000);
    expect(hold).toBeLessThanOrEqual(30 * 60_000);
  });

  it('hands out exactly the quota of coupons, one per buyer, and orders use them', async () => {
    const res = await call(seller, 'POST', `/lives/${liveId}/coupons`, {
      discount: 300,
      minSpend: 1000,
      quota: 10,
      durationSeconds: 600,
    });
    expect(res.statusCode, res.body).toBe(201);
    const coupon = res.json().coupon;
    expect(coupon).toMatchObject({
      discount: 300,
      minSpend: 1000,
      quota: 10,
      left: 10,
      status: 'open',
    });
    const claims = await Promise.all(
      buyers.slice(10, 40).map((b) => call(b, 'POST', `/coupons/${coupon.id}/claim`)),
    );
    expect(claims.filter((r) => r.statusCode === 201)).toHaveLength(10);
    const gone = claims.filter((r) => r.statusCode === 409);
    expect(gone).toHaveLength(20);
    for (const r of gone) expect(r.json().error.code).toBe('COUPONS_GONE');
    const winner = buyers[10 + claims.findIndex((r) => r.statusCode === 201)]!;
    const twice = await Promise.all([
      call(winner, 'POST', `/coupons/${coupon.id}/claim`),
      call(winner, 'POST', `/coupons/${coupon.id}/claim`),
    ]);
    for (const r of twice) expect(r.json().error.code).toBe('ALREADY_CLAIMED');
    const listed = (await call(winner, 'GET', `/lives/${liveId}/coupons`)).json().coupons;
    expect(listed.find((c: { id: string }) => c.id === coupon.id)).toMatchObject({
      left: 0,
      status: 'gone',
      claimed: true,
    });

    const product = await createProduct(t.app, seller, { stock: 10, price: 800 });
    const small = await call(
      winner,
      'POST',
      '/orders',
      { ...orderInput(product.id, 1), couponId: coupon.id },
      { 'idempotency-key': randomUUID() },
    );
    expect(small.statusCode).toBe(422);
    expect(small.json().error).toMatchObject({
      code: 'COUPON_UNUSABLE',
      details: { reason: 'min_spend' },
    });
    const placed = await call(
      winner,
      'POST',
      '/orders',
      { ...orderInput(product.id, 2), couponId: coupon.id },
      { 'idempotency-key': randomUUID() },
    );
    expect(placed.statusCode, placed.body).toBe(201);
    expect(placed.json().order).toMatchObject({ total: 1300, discount: 300, couponId: coupon.id });
    const again = await call(
      winner,
      'POST',
      '/orders',
      { ...orderInput(product.id, 2), couponId: coupon.id },
      { 'idempotency-key': randomUUID() },
    );
    expect(again.json().error).toMatchObject({
      code: 'COUPON_UNUSABLE',
      details: { reason: 'used' },
    });
    const mine = () =>
      call(winner, 'GET', '/me/coupons').then(
        (r) => r.json().coupons.find((c: { id: string }) => c.id === coupon.id).usedByOrderId,
      );
    expect(await mine()).toBe(placed.json().order.id);
    // The order leaves: the coupon is the buyer's to use again.
    const cancelled = await call(winner, 'POST', `/orders/${placed.json().order.id}/cancel`);
    expect(cancelled.statusCode).toBe(200);
    expect(await mine()).toBeNull();

    const later = await call(seller, 'POST', `/lives/${liveId}/coupons`, {
      discount: 100,
      quota: 5,
      startsAt: new Date(Date.now() + 3_600_000).toISOString(),
      durationSeconds: 600,
    });
    const early = await call(winner, 'POST', `/coupons/${later.json().coupon.id}/claim`);
    expect(early.json().error.code).toBe('COUPON_NOT_STARTED');
  });

  it('takes a coupon in a flash claim', async () => {
    const product = await createProduct(t.app, seller, { stock: 10, price: 2000 });
    const offer = await makeOffer(product.id, { quantity: 5, price: 1500 });
    const coupon = (
      await call(seller, 'POST', `/lives/${liveId}/coupons`, {
        discount: 200,
        quota: 5,
        durationSeconds: 600,
      })
    ).json().coupon;
    const buyer = buyers[50]!;
    expect((await call(buyer, 'POST', `/coupons/${coupon.id}/claim`)).statusCode).toBe(201);
    const res = await claim(buyer, offer.id, { couponId: coupon.id });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().order).toMatchObject({ total: 1300, discount: 200, couponId: coupon.id });
  });
});
