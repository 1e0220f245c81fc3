import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver } from '../modules/webhooks/webhook-receiver.test-helper.ts';
import {
  createLive,
  createProduct,
  registerUser,
  sellerWithShop,
  type TestUser,
} from '../test/factories.ts';
import { createTestApp, type TestApp } from '../test/test-app.ts';

/**
 * Issue #5's whole story in one run, through the public API, on whichever engines the suite
 * runs on (PGlite; PostgreSQL + Redis): a flash sale in a live show while a hundred buyers
 * tap at once, exactly the offered units sold, paid or cash on delivery, packed with labels,
 * gathered into one township pickup, followed to the doorstep, and every step told to an
 * integrator's webhook receiver once, signed.
 */

/** The sandbox carrier calls back over real HTTP: the app listens here. */
const PORT = 3391;
const TOWNSHIP = '370783001'; // 圣城街道, Shouguang
const BUYERS = 100;
const UNITS = 40;

type Auth = { authorization: string };

describe('journey: flash sale to the doorstep', { timeout: 180_000 }, () => {
  let t: TestApp;
  let seller: TestUser;
  let neighbour: TestUser;
  let operator: Auth;
  let hubId: string;
  let liveId: string;
  let offerId: string;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const buyers: TestUser[] = [];
  const won: Array<{ buyer: TestUser; orderId: string; method: 'cod' | 'sandbox' }> = [];

  const call = (
    method: 'GET' | 'POST' | 'PUT',
    url: string,
    headers: Record<string, string> = {},
    payload?: object,
  ) => t.app.inject({ method, url: `/api/v1${url}`, headers, ...(payload && { payload }) });

  async function eventually<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 60_000) {
    const until = Date.now() + ms;
    for (;;) {
      const value = await read();
      if (done(value) || Date.now() > until) return value;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  beforeAll(async () => {
    t = await createTestApp({ publicUrl: `http://127.0.0.1:${PORT}` });
    await t.app.listen({ port: PORT, host: '127.0.0.1' });

    const hub = await t.app.services.fulfilment.ensureHub({
      regionCode: TOWNSHIP,
      name: '圣城电商物流中心',
    });
    hubId = hub.id;
    const email = `hub-${randomUUID().slice(0, 8)}@test.cunbo`;
    const user = await t.app.services.accounts.createOperator(null, {
      email,
      password: 'correct horse battery',
      displayName: 'Hub desk',
    });
    await t.app.services.fulfilment.attachOperator(hubId, user.id, user.role);
    const session = await t.app.services.accounts.login({
      email,
      password: 'correct horse battery',
    });
    operator = { authorization: `Bearer ${session.token}` };

    // Two sellers of the same township: one runs the sale, the other has an ordinary order,
    // and both parcels leave in the same pickup.
    seller = (await sellerWithShop(t.app, '370783001046')).seller;
    neighbour = (await sellerWithShop(t.app, '370783001047')).seller;

    receiver = await startReceiver();
    const subscribed = await call('POST', '/shop/webhooks', seller.auth, {
      url: receiver.url,
      events: [
        'order.created',
        'order.paid',
        'order.packed',
        'order.shipped',
        'order.delivered',
        'live.started',
        'live.ended',
      ],
      description: 'ERP',
    });
    expect(subscribed.statusCode).toBe(201);
    receiver.setSecret(subscribed.json().secret as string);

    for (let i = 0; i < BUYERS; i++) buyers.push(await registerUser(t.app, 'buyer'));
  }, 300_000);

  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });

  it('sells exactly the offered units while a hundred buyers tap at once', async () => {
    const product = await createProduct(t.app, seller, {
      title: '寿光大棚番茄',
      unit: '5斤/箱',
      price: 3980,
      stock: 100,
    });
    const live = await createLive(t.app, seller, [product.id]);
    liveId = live.id;

    const opened = await call('POST', `/lives/${liveId}/offers`, seller.auth, {
      productId: product.id,
      price: 1990,
      quantity: UNITS,
      perBuyerLimit: 1,
      durationSeconds: 600,
      holdSeconds: 600,
    });
    expect(opened.statusCode).toBe(201);
    offerId = opened.json().offer.id as string;

    const answers = await Promise.all(
      buyers.map(async (buyer, i) => {
        const method = i % 2 === 0 ? 'cod' : 'sandbox';
        const res = await call(
          'POST',
          `/offers/${offerId}/claims`,
          { ...buyer.auth, 'idempotency-key': randomUUID() },
          {
            quantity: 1,
            paymentMethod: method,
            shippingAddress: {
              name: `买家${i}`,
              phone: '13800138000',
              regionCode: '370783100',
              line1: `东街${i}号`,
            },
          },
        );
        return { buyer, method, res } as const;
      }),
    );
    const got = answers.filter((a) => a.res.statusCode === 201);
    const refused = answers.filter((a) => a.res.statusCode !== 201);
    expect(got).toHaveLength(UNITS);
    expect(refused.map((a) => a.res.json().error.code)).toEqual(
      Array(BUYERS - UNITS).fill('SOLD_OUT'),
    );
    for (const a of got) {
      const order = a.res.json().order as { id: string; status: string; offerId: string };
      expect(order.offerId).toBe(offerId);
      expect(order.status).toBe(a.method === 'cod' ? 'cod_confirmed' : 'placed');
      won.push({ buyer: a.buyer, orderId: order.id, method: a.method });
    }

    const offer = (await call('GET', `/offers/${offerId}`)).json().offer;
    expect(offer).toMatchObject({ left: 0, status: 'sold_out', quantity: UNITS });
    // The units came out of the product's stock when the offer opened.
    const after = (await call('GET', `/products/${product.id}`)).json().product;
    expect(after.stock).toBe(100 - UNITS);
  });

  it('takes the online payments; cash on delivery needs none', async () => {
    for (const w of won.filter((x) => x.method === 'sandbox')) {
      const order = (await call('GET', `/orders/${w.orderId}`, w.buyer.auth)).json().order;
      const paid = await call(
        'POST',
        `/payments/sandbox/${order.payment.id}/complete`,
        w.buyer.auth,
        {
          outcome: 'succeeded',
        },
      );
      expect(paid.statusCode).toBe(200);
      expect(paid.json().order.status).toBe('paid');
    }
    const board = (await call('GET', '/shop/board', seller.auth)).json();
    expect(board.counts.toPack).toBe(UNITS);
    expect(board.toPack.byProduct).toEqual([
      expect.objectContaining({ title: '寿光大棚番茄', quantity: UNITS, orders: UNITS }),
    ]);
  });

  let neighbourOrderId: string;

  it('packs every order with a label; a neighbour packs too', async () => {
    for (const w of won) {
      const packed = await call('POST', `/orders/${w.orderId}/pack`, seller.auth);
      expect(packed.statusCode).toBe(200);
      expect(packed.json().order.status).toBe('packed');
      expect(packed.json().parcel.hubId).toBe(hubId);
    }
    const labels = await call('GET', '/shop/labels.pdf', seller.auth);
    expect(labels.statusCode).toBe(200);
    expect(labels.headers['content-type']).toContain('application/pdf');
    expect(labels.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');

    const pears = await createProduct(t.app, neighbour, { title: '黄金梨', price: 2580 });
    const ordered = await call(
      'POST',
      '/orders',
      { ...buyers[0]!.auth, 'idempotency-key': randomUUID() },
      {
        items: [{ productId: pears.id, quantity: 2 }],
        shippingAddress: {
          name: '买家0',
          phone: '13800138000',
          regionCode: '370783100',
          line1: '东街0号',
        },
        paymentMethod: 'cod',
      },
    );
    expect(ordered.statusCode).toBe(201);
    neighbourOrderId = ordered.json().order.id as string;
    expect(
      (await call('POST', `/orders/${neighbourOrderId}/pack`, neighbour.auth)).statusCode,
    ).toBe(200);
  });

  it('gathers both sellers’ parcels into one township pickup and hands it over', async () => {
    const hub = (await call('GET', `/hubs/${hubId}`, operator)).json();
    const expected = hub.parcels.expected as Array<{ code: string; shopId: string }>;
    expect(expected).toHaveLength(UNITS + 1);
    expect(new Set(expected.map((p) => p.shopId)).size).toBe(2);

    for (const parcel of expected) {
      const scanned = await call('POST', `/hubs/${hubId}/scan`, operator, { code: parcel.code });
      expect(scanned.statusCode).toBe(200);
      expect(scanned.json().order.status).toBe('handed_to_hub');
    }
    const pickup = await call('POST', `/hubs/${hubId}/pickups`, operator, { carrier: 'sandbox' });
    expect(pickup.statusCode).toBe(201);
    const pickupId = pickup.json().pickup.id as string;
    expect(pickup.json().pickup.parcels).toBe(UNITS + 1);
    const listed = (await call('GET', `/hubs/${hubId}`, operator)).json();
    expect(listed.pickups).toEqual([
      expect.objectContaining({ id: pickupId, parcels: UNITS + 1, status: 'open' }),
    ]);

    const csv = await call('GET', `/pickups/${pickupId}/manifest.csv`, operator);
    expect(csv.statusCode).toBe(200);
    for (const parcel of expected) expect(csv.body).toContain(parcel.code);
    const pdf = await call('GET', `/pickups/${pickupId}/manifest.pdf`, operator);
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');

    const handed = await call('POST', `/pickups/${pickupId}/handover`, operator);
    expect(handed.statusCode).toBe(200);
    expect(handed.json().pickup.status).toBe('handed_over');
  });

  it('lets every buyer follow the parcel to the doorstep, with a notification at each step', async () => {
    const first = won[0]!;
    const timeline = await eventually(
      async () => (await call('GET', `/orders/${first.orderId}/timeline`, first.buyer.auth)).json(),
      (v) =>
        v.events?.some((e: { code: string }) => e.code === 'delivered' && true) === true &&
        v.events.filter((e: { kind: string }) => e.kind === 'tracking').length === 4,
    );
    const tracking = timeline.events
      .filter((e: { kind: string }) => e.kind === 'tracking')
      .map((e: { code: string }) => e.code);
    expect(tracking).toEqual(['picked_up', 'in_transit', 'out_for_delivery', 'delivered']);
    expect(timeline.parcel.trackingNumber).toEqual(expect.any(String));

    const statuses = await eventually(
      () =>
        Promise.all(
          won.map(
            async (w) =>
              (await call('GET', `/orders/${w.orderId}`, w.buyer.auth)).json().order
                .status as string,
          ),
        ),
      (all) => all.every((s) => s === 'delivered'),
    );
    expect(new Set(statuses)).toEqual(new Set(['delivered']));

    const notes = (await call('GET', '/me/notifications', first.buyer.auth)).json();
    const steps = (
      notes.notifications as Array<{ type: string; data: { step?: string; orderId?: string } }>
    )
      .filter((n) => n.type === 'order.tracking' && n.data.orderId === first.orderId)
      .map((n) => n.data.step);
    expect(steps.sort()).toEqual(['delivered', 'in_transit', 'out_for_delivery', 'picked_up']);
  });

  it('told the integrator every event, signed, each webhook-id kept once', async () => {
    const paidOnline = won.filter((w) => w.method === 'sandbox').length;
    const want: Record<string, number> = {
      'live.started': 1,
      'order.created': UNITS,
      'order.paid': paidOnline,
      'order.packed': UNITS,
      'order.shipped': UNITS,
      'order.delivered': UNITS,
    };
    const total = Object.values(want).reduce((a, b) => a + b, 0);
    await eventually(
      async () => null,
      () => new Set(receiver.accepted().map((r) => r.id)).size >= total,
      150_000,
    );
    const accepted = receiver.accepted();
    expect(accepted.every((r) => r.verified !== null)).toBe(true);
    // At least once, as Standard Webhooks has it: the receiver keeps the first of each
    // webhook-id. An event accepted twice must be one our side saw fail (a timeout) and retried.
    const firsts = new Map<string, (typeof accepted)[number]>();
    const repeated = new Set<string>();
    for (const r of accepted) {
      if (firsts.has(r.id)) repeated.add(r.id);
      else firsts.set(r.id, r);
    }
    for (const id of repeated) {
      const log = await t.app.database.raw.executeSql(
        `select count(*)::int as failed from webhook_attempts a
           join webhook_deliveries d on d.id = a.delivery_id
          where d.event_id = $1 and (a.status_code is null or a.status_code >= 300)`,
        [id],
      );
      expect((log.rows[0] as { failed: number }).failed).toBeGreaterThan(0);
    }
    const counts: Record<string, number> = {};
    for (const r of firsts.values()) {
      counts[r.verified!.type] = (counts[r.verified!.type] ?? 0) + 1;
    }
    expect(counts).toEqual(want);
    // Only this seller's events: the neighbour's order never reached this shop's receiver.
    expect(
      accepted.some((r) => (r.verified!.data as { orderId?: string }).orderId === neighbourOrderId),
    ).toBe(false);
  });
});
