import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  webhookAttempts,
  webhookDeliveries,
  webhookEvents,
  webhookSubscriptions,
} from '../../db/schema/index.ts';
import {
  createLive,
  createProduct,
  orderInput,
  registerUser,
  sellerWithShop,
  type TestUser,
} from '../../test/factories.ts';
import { createTestApp, testConfig, type TestApp } from '../../test/test-app.ts';
import { ordersRepo } from '../orders/orders.repo.ts';
import { webhooksRepo } from './webhooks.repo.ts';
import { startReceiver, waitFor, type Receiver } from './webhook-receiver.test-helper.ts';

interface Delivery {
  id: string;
  eventId: string;
  type: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
}

describe('webhooks', () => {
  let t: TestApp;
  const receivers: Receiver[] = [];
  beforeAll(async () => {
    // Short retries, so "down for a while" and "given up" fit in a test.
    t = await createTestApp({
      commerce: { ...testConfig().commerce!, webhookRetries: { limit: 3, delaySeconds: 1 } },
    });
  });
  afterAll(async () => {
    await t.close();
    await Promise.all(receivers.map((r) => r.close()));
  });

  const receiver = async () => {
    const r = await startReceiver();
    receivers.push(r);
    return r;
  };
  const call = (user: TestUser, method: string, url: string, payload?: unknown) =>
    t.app.inject({
      method: method as 'GET',
      url: `/api/v1${url}`,
      headers: user.auth,
      ...(payload !== undefined && { payload: payload as Record<string, unknown> }),
    });
  const subscribe = async (user: TestUser, url: string, events: string[]) => {
    const res = await call(user, 'POST', '/shop/webhooks', { url, events });
    expect(res.statusCode).toBe(201);
    return res.json() as { subscription: { id: string }; secret: string };
  };
  const deliveries = async (user: TestUser, subscriptionId: string) =>
    (await call(user, 'GET', `/shop/webhooks/${subscriptionId}/deliveries?limit=100`)).json()
      .deliveries as Delivery[];
  const placeOrder = async (buyer: TestUser, productId: string, paymentMethod = 'sandbox') => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/orders',
      headers: { ...buyer.auth, 'idempotency-key': randomUUID() },
      payload: orderInput(productId, 1, { paymentMethod }),
    });
    expect(res.statusCode).toBe(201);
    return res.json().order as { id: string; payment: { id: string } | null };
  };
  const pay = async (buyer: TestUser, paymentId: string) => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/payments/sandbox/${paymentId}/complete`,
      headers: buyer.auth,
      payload: { outcome: 'succeeded' },
    });
    expect(res.statusCode).toBe(200);
  };
  /** Packing goes through the repo's transition, the one way the fulfilment module moves orders. */
  const pack = async (orderId: string) => {
    const repo = ordersRepo(t.app.database.db);
    const moved = await repo.inTransaction((tx) =>
      tx.transition(orderId, 'paid', 'packed', { by: 'test' }),
    );
    // No domain event here: the dispatcher finds the outbox row on its next round.
    expect(moved?.status).toBe('packed');
  };

  it('delivers order.created, order.paid and order.packed once each, signed the Standard Webhooks way', async () => {
    const { seller } = await sellerWithShop(t.app);
    const hook = await receiver();
    const { secret } = await subscribe(seller, hook.url, [
      'order.created',
      'order.paid',
      'order.packed',
    ]);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
    hook.setSecret(secret);
    const product = await createProduct(t.app, seller, { stock: 5, price: 990 });
    const buyer = await registerUser(t.app, 'buyer');
    const order = await placeOrder(buyer, product.id);
    await pay(buyer, order.payment!.id);
    await pack(order.id);

    await waitFor(
      'three deliveries',
      () => hook.received.length,
      (n) => n >= 3,
    );
    // Nothing more comes later: no duplicate deliveries.
    await new Promise((r) => setTimeout(r, 1500));
    expect(hook.received).toHaveLength(3);
    expect(hook.received.map((r) => r.verified?.type).sort()).toEqual([
      'order.created',
      'order.packed',
      'order.paid',
    ]);
    for (const r of hook.received) {
      expect(r.verified, `signature of ${r.id}`).not.toBeNull();
      expect(r.id).toMatch(/^msg_[0-9a-f]{32}$/);
      expect(r.signature).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['user-agent']).toBe('Cunbo-Webhooks/1');
      expect(r.verified!.data).toMatchObject({ orderId: order.id, total: 990, currency: 'CNY' });
    }
    expect(new Set(hook.received.map((r) => r.id)).size).toBe(3);
    const paid = hook.received.find((r) => r.verified?.type === 'order.paid')!;
    expect(paid.verified!.data).toMatchObject({ status: 'paid', from: 'placed' });
    const created = hook.received.find((r) => r.verified?.type === 'order.created')!;
    expect(created.verified!.data.items).toEqual([
      expect.objectContaining({ productId: product.id, quantity: 1, price: 990 }),
    ]);

    const list = await waitFor(
      'all succeeded',
      async () => {
        const subs = (await call(seller, 'GET', '/shop/webhooks')).json().subscriptions;
        return subs[0] as { stats: { succeeded: number; pending: number; failed: number } };
      },
      (s) => s.stats.succeeded === 3,
    );
    expect(list.stats).toEqual({ succeeded: 3, pending: 0, failed: 0 });
  });

  it('delivers live.started and live.ended, and only the events subscribed to', async () => {
    const { seller } = await sellerWithShop(t.app);
    const lives = await receiver();
    const orders = await receiver();
    const l = await subscribe(seller, lives.url, ['live.started', 'live.ended']);
    lives.setSecret(l.secret);
    const o = await subscribe(seller, orders.url, ['order.created']);
    orders.setSecret(o.secret);

    const product = await createProduct(t.app, seller);
    const live = await createLive(t.app, seller, [product.id]);
    const ended = await call(seller, 'POST', `/lives/${live.id}/end`);
    expect(ended.statusCode).toBe(200);

    await waitFor(
      'two live events',
      () => lives.received.length,
      (n) => n >= 2,
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect(lives.received.map((r) => r.verified?.type).sort()).toEqual([
      'live.ended',
      'live.started',
    ]);
    const started = lives.received.find((r) => r.verified?.type === 'live.started')!;
    expect(started.verified!.data).toMatchObject({
      liveId: live.id,
      title: 'Tomato harvest',
      status: 'live',
    });
    expect(orders.received).toHaveLength(0);
  });

  it('loses nothing when the receiver is down for a while (503, then refused), and sends each once it is up', async () => {
    const { seller } = await sellerWithShop(t.app);
    const hook = await receiver();
    const { subscription, secret } = await subscribe(seller, hook.url, [
      'order.created',
      'live.started',
    ]);
    hook.setSecret(secret);
    hook.answerWith(() => 503);
    const product = await createProduct(t.app, seller, { stock: 10 });
    const buyer = await registerUser(t.app, 'buyer');
    for (let i = 0; i < 3; i++) await placeOrder(buyer, product.id, 'cod');
    await createLive(t.app, seller, [product.id]);

    await waitFor(
      'a 503 for each of the four',
      async () => deliveries(seller, subscription.id),
      (ds) => ds.length === 4 && ds.every((d) => d.lastStatusCode === 503),
    );
    await hook.down();
    await waitFor(
      'a refused attempt for each',
      async () => deliveries(seller, subscription.id),
      (ds) => ds.every((d) => d.attempts >= 2 && d.lastError !== 'HTTP 503'),
      20_000,
    );
    const refused = await deliveries(seller, subscription.id);
    expect(refused.every((d) => d.status === 'pending' && d.lastStatusCode === null)).toBe(true);
    expect(refused[0]!.lastError).toMatch(/ECONNREFUSED/);

    hook.answerWith(() => 200);
    await hook.up();
    const done = await waitFor(
      'every delivery succeeded',
      async () => deliveries(seller, subscription.id),
      (ds) => ds.every((d) => d.status === 'succeeded'),
      30_000,
    );
    expect(done).toHaveLength(4);
    const accepted = hook.accepted();
    expect(accepted).toHaveLength(4);
    expect(new Set(accepted.map((r) => r.id)).size).toBe(4);
    expect(accepted.every((r) => r.verified !== null)).toBe(true);
    // Every refused attempt is in the log too.
    const detail = (await call(seller, 'GET', `/shop/webhook-deliveries/${done[0]!.id}`)).json();
    expect(detail.attempts.length).toBe(done[0]!.attempts);
    expect(detail.attempts.at(-1)).toMatchObject({ statusCode: 503 });
    expect(detail.attempts[0]).toMatchObject({ statusCode: 200, error: null, responseBody: 'ok' });
  });

  it('marks a delivery failed after the last retry, and re-sends it by hand with the same webhook-id', async () => {
    const { seller } = await sellerWithShop(t.app);
    const hook = await receiver();
    const { subscription, secret } = await subscribe(seller, hook.url, ['live.started']);
    hook.setSecret(secret);
    hook.answerWith(() => 500);
    const product = await createProduct(t.app, seller);
    await createLive(t.app, seller, [product.id]);

    const [failed] = await waitFor(
      'failed',
      async () => deliveries(seller, subscription.id),
      (ds) => ds[0]?.status === 'failed',
      30_000,
    );
    expect(failed).toMatchObject({ attempts: 4, lastStatusCode: 500, lastError: 'HTTP 500' });
    const detail = (await call(seller, 'GET', `/shop/webhook-deliveries/${failed!.id}`)).json();
    expect(detail.attempts).toHaveLength(4);
    expect(detail.attempts[0]).toMatchObject({
      statusCode: 500,
      responseBody: 'not now (500)',
    });
    expect(detail.event).toMatchObject({ id: failed!.eventId, type: 'live.started' });
    expect(detail.event.payload).toMatchObject({ type: 'live.started' });

    hook.answerWith(() => 204);
    const resent = await call(seller, 'POST', `/shop/webhook-deliveries/${failed!.id}/resend`);
    expect(resent.statusCode).toBe(202);
    expect(resent.json().delivery).toMatchObject({ id: failed!.id, status: 'pending' });
    const [ok] = await waitFor(
      'succeeded',
      async () => deliveries(seller, subscription.id),
      (ds) => ds[0]?.status === 'succeeded',
    );
    expect(ok).toMatchObject({ attempts: 5, lastStatusCode: 204 });
    expect(new Set(hook.received.map((r) => r.id))).toEqual(new Set([failed!.eventId]));
    expect(hook.received.every((r) => r.verified?.type === 'live.started')).toBe(true);
    // Delivered: a second re-send is fine, an in-flight one is not.
    const again = await call(seller, 'POST', `/shop/webhook-deliveries/${failed!.id}/resend`);
    expect(again.statusCode).toBe(202);
    const twice = await call(seller, 'POST', `/shop/webhook-deliveries/${failed!.id}/resend`);
    expect([202, 409]).toContain(twice.statusCode);
  });

  it('writes no outbox row when the transaction rolls back', async () => {
    const { seller, shop } = await sellerWithShop(t.app);
    const product = await createProduct(t.app, seller);
    const buyer = await registerUser(t.app, 'buyer');
    const order = await placeOrder(buyer, product.id);
    await pay(buyer, order.payment!.id);
    const repo = ordersRepo(t.app.database.db);
    await expect(
      repo.inTransaction(async (tx) => {
        await tx.transition(order.id, 'paid', 'packed');
        throw new Error('the label printer jammed');
      }),
    ).rejects.toThrow('jammed');
    expect((await repo.findOrder(order.id))?.status).toBe('paid');
    const rows = await t.app.database.db
      .select({ type: webhookEvents.type })
      .from(webhookEvents)
      .where(and(eq(webhookEvents.shopId, shop.id)));
    expect(rows.map((r) => r.type).sort()).toEqual(['order.created', 'order.paid']);
  });

  it('rotates the secret: the ping after it verifies with the new secret only', async () => {
    const { seller } = await sellerWithShop(t.app);
    const hook = await receiver();
    const { subscription, secret: old } = await subscribe(seller, hook.url, ['order.paid']);
    const rotated = await call(seller, 'POST', `/shop/webhooks/${subscription.id}/rotate-secret`);
    expect(rotated.statusCode).toBe(200);
    const fresh = rotated.json().secret as string;
    expect(fresh).not.toBe(old);
    hook.setSecret(old);
    const ping = await call(seller, 'POST', `/shop/webhooks/${subscription.id}/test`);
    expect(ping.statusCode).toBe(202);
    expect(ping.json().delivery).toMatchObject({ type: 'webhook.test', status: 'pending' });
    await waitFor(
      'the ping',
      () => hook.received.length,
      (n) => n === 1,
    );
    expect(hook.received[0]!.verified).toBeNull();
    hook.setSecret(fresh);
    await call(seller, 'POST', `/shop/webhooks/${subscription.id}/test`);
    await waitFor(
      'the second ping',
      () => hook.received.length,
      (n) => n === 2,
    );
    expect(hook.received[1]!.verified).toMatchObject({
      type: 'webhook.test',
      data: { subscriptionId: subscription.id },
    });
  });

  it('pauses, resumes, edits and deletes a subscription; a paused one gets nothing', async () => {
    const { seller } = await sellerWithShop(t.app);
    const hook = await receiver();
    const { subscription, secret } = await subscribe(seller, hook.url, ['order.created']);
    hook.setSecret(secret);
    const paused = await call(seller, 'PATCH', `/shop/webhooks/${subscription.id}`, {
      active: false,
      description: 'ERP',
    });
    expect(paused.json().subscription).toMatchObject({ active: false, description: 'ERP' });
    const product = await createProduct(t.app, seller);
    const buyer = await registerUser(t.app, 'buyer');
    await placeOrder(buyer, product.id, 'cod');
    await new Promise((r) => setTimeout(r, 1500));
    expect(hook.received).toHaveLength(0);
    expect(await deliveries(seller, subscription.id)).toHaveLength(0);

    const resumed = await call(seller, 'PATCH', `/shop/webhooks/${subscription.id}`, {
      active: true,
      events: ['order.created', 'order.paid'],
    });
    expect(resumed.json().subscription).toMatchObject({
      active: true,
      events: ['order.created', 'order.paid'],
    });
    await placeOrder(buyer, product.id, 'cod');
    await waitFor(
      'one delivery',
      () => hook.received.length,
      (n) => n === 1,
    );

    expect((await call(seller, 'DELETE', `/shop/webhooks/${subscription.id}`)).statusCode).toBe(
      204,
    );
    expect((await call(seller, 'GET', '/shop/webhooks')).json().subscriptions).toEqual([]);
  });

  it("answers 404 for another shop's subscriptions and deliveries, 403 for buyers", async () => {
    const { seller } = await sellerWithShop(t.app);
    const { seller: other } = await sellerWithShop(t.app);
    const hook = await receiver();
    const { subscription } = await subscribe(seller, hook.url, ['order.paid']);
    const ping = (await call(seller, 'POST', `/shop/webhooks/${subscription.id}/test`)).json()
      .delivery as Delivery;
    const base = `/shop/webhooks/${subscription.id}`;
    for (const [method, url, body] of [
      ['PATCH', base, { active: false }],
      ['DELETE', base],
      ['POST', `${base}/rotate-secret`],
      ['POST', `${base}/test`],
      ['GET', `${base}/deliveries`],
      ['GET', `/shop/webhook-deliveries/${ping.id}`],
      ['POST', `/shop/webhook-deliveries/${ping.id}/resend`],
    ] as Array<[string, string, unknown?]>) {
      const res = await call(other, method, url, body);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json().error.code).toBe('NOT_FOUND');
    }
    expect((await call(other, 'GET', '/shop/webhooks')).json().subscriptions).toEqual([]);
    const buyer = await registerUser(t.app, 'buyer');
    expect((await call(buyer, 'GET', '/shop/webhooks')).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/shop/webhooks' })).statusCode).toBe(
      401,
    );
  });

  it('validates subscriptions: URL, events, at most 10 per shop', async () => {
    const { seller } = await sellerWithShop(t.app);
    const bad = async (payload: unknown) => {
      const res = await call(seller, 'POST', '/shop/webhooks', payload);
      return { status: res.statusCode, code: res.json().error?.code as string };
    };
    const url = 'https://erp.example.com/cunbo';
    expect(await bad({ url: 'ftp://x.example.com', events: ['order.paid'] })).toMatchObject({
      status: 400,
    });
    expect(await bad({ url, events: [] })).toMatchObject({ status: 400 });
    expect(await bad({ url, events: ['order.eaten'] })).toMatchObject({ status: 400 });
    expect(await bad({ url, events: ['webhook.test'] })).toMatchObject({ status: 400 });
    expect(await bad({ url, events: ['order.paid'], extra: 1 })).toMatchObject({ status: 400 });
    expect(
      await bad({ url: `https://${'a'.repeat(500)}.example.com`, events: ['order.paid'] }),
    ).toMatchObject({ status: 400 });
    expect(
      await bad({ url: 'https://user:pw@erp.example.com/', events: ['order.paid'] }),
    ).toMatchObject({ status: 422, code: 'WEBHOOK_TARGET_NOT_ALLOWED' });
    for (let i = 0; i < 10; i++) await subscribe(seller, `${url}/${i}`, ['order.paid']);
    expect(await bad({ url, events: ['order.paid'] })).toMatchObject({
      status: 409,
      code: 'WEBHOOK_LIMIT_REACHED',
    });
  });
});

describe('webhooks after a crash between the deliveries and their jobs', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  it('queues a job again for a pending delivery that has none, and sends it once', async () => {
    const webhooks = t.app.services.webhooks;
    const { seller } = await sellerWithShop(t.app);
    const hook = await startReceiver();
    try {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/shop/webhooks',
        headers: seller.auth,
        payload: { url: hook.url, events: ['live.started'] },
      });
      hook.setSecret(res.json().secret as string);
      // The dispatcher stops, as if the process died after committing the deliveries.
      await webhooks.stop();
      const product = await createProduct(t.app, seller);
      await createLive(t.app, seller, [product.id]);
      const { deliveries } = await webhooksRepo(t.app.database.db).dispatchEvents(100);
      expect(deliveries).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 1000));
      expect(hook.received).toHaveLength(0);

      expect(await webhooks.recover(0)).toBe(1);
      // Its job is waiting or running now: not queued twice.
      expect(await webhooks.recover(0)).toBe(0);
      await waitFor(
        'the delivery',
        () => hook.accepted().length,
        (n) => n === 1,
      );
      await new Promise((r) => setTimeout(r, 1500));
      expect(await webhooks.recover(0)).toBe(0);
      expect(hook.received).toHaveLength(1);
      expect(hook.received[0]!.verified?.type).toBe('live.started');
    } finally {
      await hook.close();
    }
  });
});

describe('webhooks in production', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: 'production' });
  });
  afterAll(async () => t.close());

  it('refuses private and loopback targets unless the operator allows them', async () => {
    const { seller } = await sellerWithShop(t.app);
    for (const url of [
      'http://127.0.0.1:3370/x',
      'http://localhost/x',
      'http://10.1.2.3/x',
      'http://192.168.1.10/x',
      'http://[::1]/x',
      'http://[::ffff:10.0.0.1]/x',
      'http://169.254.169.254/latest/meta-data',
    ]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/shop/webhooks',
        headers: seller.auth,
        payload: { url, events: ['order.paid'] },
      });
      expect(res.statusCode, url).toBe(422);
      expect(res.json().error).toMatchObject({
        code: 'WEBHOOK_TARGET_NOT_ALLOWED',
        details: { field: 'body.url' },
      });
    }
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/v1/shop/webhooks',
      headers: seller.auth,
      payload: { url: 'https://93.184.215.14/hooks', events: ['order.paid'] },
    });
    expect(ok.statusCode).toBe(201);
  });
});

describe('webhook retention', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ commerce: { ...testConfig().commerce!, webhookKeepDays: 30 } });
  });
  afterAll(async () => t.close());

  it('deletes events past the retention with their log, but not those still being delivered', async () => {
    const { db } = t.app.database;
    const { shop } = await sellerWithShop(t.app);
    const shopId = shop.id;
    const [subscription] = await db
      .insert(webhookSubscriptions)
      .values({ shopId, url: 'https://erp.example.com/hook', events: ['order.paid'], secret: 'x' })
      .returning();
    const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000);
    const event = async (id: string, at: Date, status: 'pending' | 'succeeded' | null) => {
      await db.insert(webhookEvents).values({
        id,
        shopId,
        type: 'order.paid',
        payload: { type: 'order.paid', timestamp: at.toISOString(), data: {} },
        createdAt: at,
        dispatchedAt: status === null ? null : at,
      });
      if (status === null) return;
      const [delivery] = await db
        .insert(webhookDeliveries)
        .values({ subscriptionId: subscription!.id, eventId: id, status, createdAt: at })
        .returning();
      await db.insert(webhookAttempts).values({ deliveryId: delivery!.id, durationMs: 5, at });
    };
    await event('msg_old_done', daysAgo(40), 'succeeded');
    await event('msg_old_pending', daysAgo(40), 'pending');
    await event('msg_old_undispatched', daysAgo(40), null);
    await event('msg_recent_done', daysAgo(10), 'succeeded');

    expect(await t.app.services.webhooks.prune()).toBe(1);
    const left = await db
      .select({ id: webhookEvents.id })
      .from(webhookEvents)
      .where(eq(webhookEvents.shopId, shopId));
    expect(left.map((e) => e.id).sort()).toEqual([
      'msg_old_pending',
      'msg_old_undispatched',
      'msg_recent_done',
    ]);
    // The pruned event's delivery and attempt went with it.
    const deliveries = await db
      .select({ eventId: webhookDeliveries.eventId })
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.subscriptionId, subscription!.id));
    expect(deliveries.map((d) => d.eventId).sort()).toEqual(['msg_old_pending', 'msg_recent_done']);
    expect(await db.select().from(webhookAttempts)).toHaveLength(2);
    expect(await t.app.services.webhooks.prune()).toBe(0);
  });
});
