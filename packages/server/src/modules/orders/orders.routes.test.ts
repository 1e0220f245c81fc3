import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLive,
  createProduct,
  orderInput,
  registerUser,
  sellerWithShop,
  type TestUser,
} from '../../test/factories.ts';
import { createTestApp, type TestApp } from '../../test/test-app.ts';
import { signSandbox } from '../payments/sandbox-provider.ts';

describe('orders', () => {
  let t: TestApp;
  let seller: TestUser;
  let buyer: TestUser;
  beforeAll(async () => {
    t = await createTestApp();
    seller = (await sellerWithShop(t.app)).seller;
    buyer = await registerUser(t.app, 'buyer');
  });
  afterAll(async () => t.close());

  const order = (user: TestUser, payload: unknown, key: string | null = randomUUID()) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/orders',
      headers: { ...user.auth, ...(key !== null && { 'idempotency-key': key }) },
      payload: payload as Record<string, unknown>,
    });
  const stockOf = async (id: string) =>
    (await t.app.inject({ method: 'GET', url: `/api/v1/products/${id}` })).json().product
      .stock as number;

  it('places a cash-on-delivery order, confirmed at once, and takes the stock', async () => {
    const product = await createProduct(t.app, seller, { stock: 10, price: 1280 });
    const res = await order(buyer, orderInput(product.id, 3));
    expect(res.statusCode).toBe(201);
    expect(res.json().order).toMatchObject({
      status: 'cod_confirmed',
      total: 3840,
      currency: 'CNY',
      items: [{ productId: product.id, quantity: 3, price: 1280, subtotal: 3840 }],
      payment: null,
    });
    expect(await stockOf(product.id)).toBe(7);
  });

  it('sells exactly the stock to 200 simultaneous orders: 25 orders, 175 clean 409s', async () => {
    const product = await createProduct(t.app, seller, { stock: 25 });
    const buyers = await Promise.all(Array.from({ length: 8 }, () => registerUser(t.app, 'buyer')));
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        order(buyers[i % buyers.length]!, orderInput(product.id, 1)),
      ),
    );
    const codes = results.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 201)).toHaveLength(25);
    expect(codes.filter((c) => c === 409)).toHaveLength(175);
    for (const r of results.filter((x) => x.statusCode === 409))
      expect(r.json().error.code).toBe('OUT_OF_STOCK');
    expect(await stockOf(product.id)).toBe(0);
  });

  it('returns the same order for a retry with the same key, and takes stock once', async () => {
    const product = await createProduct(t.app, seller, { stock: 10 });
    const key = randomUUID();
    const first = await order(buyer, orderInput(product.id, 2), key);
    const again = await Promise.all([
      order(buyer, orderInput(product.id, 2), key),
      order(buyer, orderInput(product.id, 2), key),
    ]);
    expect(first.statusCode).toBe(201);
    for (const r of again) {
      expect(r.statusCode).toBe(201);
      expect(r.json().order.id).toBe(first.json().order.id);
      expect(r.headers['idempotent-replayed']).toBe('true');
    }
    expect(await stockOf(product.id)).toBe(8);
  });

  it('gives concurrent first attempts with one key a single order', async () => {
    const product = await createProduct(t.app, seller, { stock: 10 });
    const key = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 5 }, () => order(buyer, orderInput(product.id, 1), key)),
    );
    expect(new Set(results.map((r) => r.json().order.id)).size).toBe(1);
    expect(await stockOf(product.id)).toBe(9);
  });

  it('refuses the same key with another body (422) and keys are per user', async () => {
    const product = await createProduct(t.app, seller, { stock: 10 });
    const key = randomUUID();
    await order(buyer, orderInput(product.id, 1), key);
    const changed = await order(buyer, orderInput(product.id, 2), key);
    expect(changed.statusCode).toBe(422);
    expect(changed.json().error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const other = await registerUser(t.app, 'buyer');
    const sameKeyOtherUser = await order(other, orderInput(product.id, 2), key);
    expect(sameKeyOtherUser.statusCode).toBe(201);
    expect(await stockOf(product.id)).toBe(7);
  });

  it('needs an Idempotency-Key and a login', async () => {
    const product = await createProduct(t.app, seller);
    const noKey = await order(buyer, orderInput(product.id), null);
    expect(noKey.statusCode).toBe(400);
    expect(noKey.json().error).toMatchObject({
      code: 'IDEMPOTENCY_KEY_REQUIRED',
      details: { field: 'header.idempotency-key' },
    });
    const anon = await t.app.inject({
      method: 'POST',
      url: '/api/v1/orders',
      headers: { 'idempotency-key': 'k' },
      payload: orderInput(product.id),
    });
    expect(anon.statusCode).toBe(401);
  });

  it.each([
    ['zero quantity', (id: string) => orderInput(id, 0), 'body.items.0.quantity'],
    ['negative quantity', (id: string) => orderInput(id, -2), 'body.items.0.quantity'],
    ['fractional quantity', (id: string) => orderInput(id, 1.5), 'body.items.0.quantity'],
    ['huge quantity', (id: string) => orderInput(id, 1e9), 'body.items.0.quantity'],
    [
      'boolean quantity',
      (id: string) => orderInput(id, true as unknown as number),
      'body.items.0.quantity',
    ],
    ['no items', (id: string) => ({ ...orderInput(id), items: [] }), 'body.items'],
    ['bad product id', () => orderInput('nope'), 'body.items.0.productId'],
    [
      'unknown payment method',
      (id: string) => orderInput(id, 1, { paymentMethod: 'bitcoin' }),
      'body.paymentMethod',
    ],
    [
      'missing address',
      (id: string) => ({ ...orderInput(id), shippingAddress: undefined }),
      'body.shippingAddress',
    ],
    [
      'bad phone',
      (id: string) =>
        orderInput(id, 1, {
          shippingAddress: { name: 'A', phone: 'call me', regionCode: '370783', line1: 'x' },
        }),
      'body.shippingAddress.phone',
    ],
    ['unknown field', (id: string) => ({ ...orderInput(id), discount: 100 }), 'body.discount'],
    [
      'client-set price',
      (id: string) => ({ ...orderInput(id), items: [{ productId: id, quantity: 1, price: 1 }] }),
      'body.items.0.price',
    ],
  ])('refuses %s with 400 naming the field, writing nothing', async (_n, make, field) => {
    const product = await createProduct(t.app, seller, { stock: 5 });
    const res = await order(buyer, make(product.id));
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details.issues[0].field).toBe(field);
    expect(await stockOf(product.id)).toBe(5);
  });

  it('answers an unknown product 404, an unknown region 422 and never half-writes a basket', async () => {
    const a = await createProduct(t.app, seller, { stock: 5 });
    const b = await createProduct(t.app, seller, { stock: 1 });
    const unknown = await order(buyer, orderInput(randomUUID()));
    expect(unknown.statusCode).toBe(404);
    const region = await order(
      buyer,
      orderInput(a.id, 1, {
        shippingAddress: { name: 'A', phone: '13800138000', regionCode: '999999', line1: 'x' },
      }),
    );
    expect(region.statusCode).toBe(422);
    expect(region.json().error.details.field).toBe('body.shippingAddress.regionCode');
    const basket = await order(buyer, {
      ...orderInput(a.id),
      items: [
        { productId: a.id, quantity: 2 },
        { productId: b.id, quantity: 3 },
      ],
    });
    expect(basket.statusCode).toBe(409);
    expect(basket.json().error).toMatchObject({
      code: 'OUT_OF_STOCK',
      details: { productId: b.id, available: 1, field: 'body.items.1.quantity' },
    });
    expect(await stockOf(a.id)).toBe(5);
    expect(await stockOf(b.id)).toBe(1);
  });

  it('refuses a basket from two shops', async () => {
    const { seller: other } = await sellerWithShop(t.app);
    const a = await createProduct(t.app, seller, { stock: 5 });
    const b = await createProduct(t.app, other, { stock: 5 });
    const res = await order(buyer, {
      ...orderInput(a.id),
      items: [
        { productId: a.id, quantity: 1 },
        { productId: b.id, quantity: 1 },
      ],
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('MIXED_SHOPS');
    expect(await stockOf(a.id)).toBe(5);
  });

  it('shows an order to its buyer and its seller only; anyone else gets 404', async () => {
    const product = await createProduct(t.app, seller);
    const id = (await order(buyer, orderInput(product.id))).json().order.id;
    const get = (u: TestUser | null) =>
      t.app.inject({ method: 'GET', url: `/api/v1/orders/${id}`, headers: u ? u.auth : {} });
    expect((await get(buyer)).statusCode).toBe(200);
    expect((await get(seller)).statusCode).toBe(200);
    expect((await get(await registerUser(t.app, 'buyer'))).statusCode).toBe(404);
    expect((await get((await sellerWithShop(t.app)).seller)).statusCode).toBe(404);
    expect((await get(null)).statusCode).toBe(401);
  });

  it('lists my orders as buyer and my shop’s as seller', async () => {
    const { seller: s } = await sellerWithShop(t.app);
    const b = await registerUser(t.app, 'buyer');
    const product = await createProduct(t.app, s);
    const placed = (await order(b, orderInput(product.id))).json().order.id;
    const mine = (
      await t.app.inject({ method: 'GET', url: '/api/v1/orders', headers: b.auth })
    ).json().orders;
    expect(mine.map((o: { id: string }) => o.id)).toEqual([placed]);
    const shops = (
      await t.app.inject({ method: 'GET', url: '/api/v1/orders', headers: s.auth })
    ).json().orders;
    expect(shops.map((o: { id: string }) => o.id)).toEqual([placed]);
  });

  it('pays through the sandbox provider: pay page, signed callback, refund', async () => {
    const product = await createProduct(t.app, seller, { stock: 4, price: 500 });
    const placed = (
      await order(buyer, orderInput(product.id, 2, { paymentMethod: 'sandbox' }))
    ).json().order;
    expect(placed).toMatchObject({
      status: 'placed',
      payment: {
        provider: 'sandbox',
        status: 'pending',
        payUrl: expect.stringMatching(/^\/pay\/sandbox\//),
      },
    });
    const page = await t.app.inject({
      method: 'GET',
      url: `/api/v1/payments/sandbox/${placed.payment.id}`,
      headers: buyer.auth,
    });
    expect(page.json().payment).toMatchObject({ amount: 1000, status: 'pending' });
    const stranger = await registerUser(t.app, 'buyer');
    expect(
      (
        await t.app.inject({
          method: 'GET',
          url: `/api/v1/payments/sandbox/${placed.payment.id}`,
          headers: stranger.auth,
        })
      ).statusCode,
    ).toBe(404);

    const paid = await t.app.inject({
      method: 'POST',
      url: `/api/v1/payments/sandbox/${placed.payment.id}/complete`,
      headers: buyer.auth,
      payload: { outcome: 'succeeded' },
    });
    expect(paid.statusCode).toBe(200);
    expect(paid.json().order).toMatchObject({ status: 'paid', payment: { status: 'succeeded' } });

    const refund = await t.app.inject({
      method: 'POST',
      url: `/api/v1/orders/${placed.id}/refund`,
      headers: seller.auth,
      payload: { reason: 'Hail damaged the crop' },
    });
    expect(refund.statusCode).toBe(200);
    expect(refund.json().order).toMatchObject({
      status: 'refunded',
      payment: { status: 'refunded' },
    });
    expect(await stockOf(product.id)).toBe(4);
  });

  it('refuses payment callbacks that are not signed by the provider', async () => {
    const product = await createProduct(t.app, seller, { price: 700 });
    const placed = (
      await order(buyer, orderInput(product.id, 1, { paymentMethod: 'sandbox' }))
    ).json().order;
    const ref = (await t.app.database.db.query.payments.findFirst({
      where: (p, { eq }) => eq(p.id, placed.payment.id),
    }))!.providerRef!;
    const body = JSON.stringify({ providerRef: ref, outcome: 'succeeded', amountFen: 700 });
    const forged = await t.app.inject({
      method: 'POST',
      url: '/api/v1/payments/sandbox/callback',
      headers: {
        'content-type': 'application/json',
        'x-sandbox-signature': signSandbox('wrong-secret', Math.floor(Date.now() / 1000), body),
      },
      payload: body,
    });
    expect(forged.statusCode).toBe(401);
    expect(forged.json().error.code).toBe('INVALID_SIGNATURE');
    expect(
      (
        await t.app.inject({
          method: 'GET',
          url: `/api/v1/orders/${placed.id}`,
          headers: buyer.auth,
        })
      ).json().order.status,
    ).toBe('placed');
    const signed = await t.app.inject({
      method: 'POST',
      url: '/api/v1/payments/sandbox/callback',
      headers: {
        'content-type': 'application/json',
        'x-sandbox-signature': signSandbox(
          t.config.secrets.paymentSandbox,
          Math.floor(Date.now() / 1000),
          body,
        ),
      },
      payload: body,
    });
    expect(signed.statusCode).toBe(200);
    expect(
      (
        await t.app.inject({
          method: 'GET',
          url: `/api/v1/orders/${placed.id}`,
          headers: buyer.auth,
        })
      ).json().order.status,
    ).toBe('paid');
  });

  it('keeps an order placed when the payment fails, and lets the buyer try again', async () => {
    const product = await createProduct(t.app, seller, { price: 300 });
    const placed = (
      await order(buyer, orderInput(product.id, 1, { paymentMethod: 'sandbox' }))
    ).json().order;
    const failed = await t.app.inject({
      method: 'POST',
      url: `/api/v1/payments/sandbox/${placed.payment.id}/complete`,
      headers: buyer.auth,
      payload: { outcome: 'failed' },
    });
    expect(failed.json().order).toMatchObject({ status: 'placed', payment: { status: 'failed' } });
    const retry = await t.app.inject({
      method: 'POST',
      url: `/api/v1/orders/${placed.id}/pay`,
      headers: buyer.auth,
    });
    expect(retry.json().order.payment).toMatchObject({ status: 'pending' });
  });

  it('cancels an order and puts the units back on sale; a cancelled order stays cancelled', async () => {
    const product = await createProduct(t.app, seller, { stock: 6 });
    const placed = (await order(buyer, orderInput(product.id, 4))).json().order;
    expect(await stockOf(product.id)).toBe(2);
    const cancel = await t.app.inject({
      method: 'POST',
      url: `/api/v1/orders/${placed.id}/cancel`,
      headers: buyer.auth,
    });
    expect(cancel.json().order.status).toBe('cancelled');
    expect(await stockOf(product.id)).toBe(6);
    const twice = await t.app.inject({
      method: 'POST',
      url: `/api/v1/orders/${placed.id}/cancel`,
      headers: buyer.auth,
    });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().error.code).toBe('INVALID_TRANSITION');
  });

  it('tells listeners each time an order changes state', async () => {
    const seen: Array<{ id: string; status: string; from: string }> = [];
    const off = t.app.services.events.on(
      'order.updated',
      (e) => void seen.push({ id: e.order.id, status: e.order.status, from: e.from }),
    );
    const product = await createProduct(t.app, seller, { price: 900 });
    const placed = (
      await order(buyer, orderInput(product.id, 1, { paymentMethod: 'sandbox' }))
    ).json().order;
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/payments/sandbox/${placed.payment.id}/complete`,
      headers: buyer.auth,
      payload: { outcome: 'succeeded' },
    });
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/orders/${placed.id}/refund`,
      headers: seller.auth,
      payload: { reason: 'Buyer asked' },
    });
    off();
    expect(seen).toEqual([
      { id: placed.id, status: 'paid', from: 'placed' },
      { id: placed.id, status: 'refunded', from: 'paid' },
    ]);
  });

  it('records the live show an order came from', async () => {
    const product = await createProduct(t.app, seller);
    const live = await createLive(t.app, seller, [product.id]);
    const placed = (await order(buyer, orderInput(product.id, 1, { liveId: live.id }))).json()
      .order;
    expect(placed.liveId).toBe(live.id);
    const byLive = (
      await t.app.inject({
        method: 'GET',
        url: `/api/v1/orders?liveId=${live.id}`,
        headers: seller.auth,
      })
    ).json().orders;
    expect(byLive.map((o: { id: string }) => o.id)).toContain(placed.id);
  });
});
