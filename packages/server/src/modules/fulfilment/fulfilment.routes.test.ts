import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookEvents } from '../../db/schema/index.ts';
import {
  createProduct,
  orderInput,
  registerUser,
  sellerWithShop,
  type TestUser,
} from '../../test/factories.ts';
import { createTestApp, type TestApp } from '../../test/test-app.ts';
import {
  SANDBOX_CARRIER_SIGNATURE_HEADER,
  signSandboxCarrier,
} from '../carriers/sandbox-carrier.ts';

/** The sandbox carrier posts real HTTP callbacks: the app listens on one of our ports. */
const PORT = 3351;
const TOWNSHIP_A = '370783001'; // 圣城街道, Shouguang
const TOWNSHIP_B = '370783003'; // 文家街道, Shouguang

const auth = (token: string) => ({ token, auth: { authorization: `Bearer ${token}` } });

describe('after the show: board, labels, hub, pickup, carrier, timeline', () => {
  let t: TestApp;
  let sellerA1: TestUser;
  let sellerA2: TestUser;
  let sellerB: TestUser;
  let buyer: TestUser;
  let otherBuyer: TestUser;
  let operatorA: { auth: { authorization: string } };
  let operatorB: { auth: { authorization: string } };
  let hubA: { id: string };
  let hubB: { id: string };
  const products: Record<string, { id: string }> = {};

  async function operator(name: string, hubId: string) {
    const email = `${name}-${randomUUID().slice(0, 8)}@test.cunbo`;
    const user = await t.app.services.accounts.createOperator(null, {
      email,
      password: 'correct horse battery',
      displayName: name,
    });
    await t.app.services.fulfilment.attachOperator(hubId, user.id, user.role);
    const session = await t.app.services.accounts.login({
      email,
      password: 'correct horse battery',
    });
    return auth(session.token);
  }

  const get = (user: { auth: { authorization: string } } | null, url: string) =>
    t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: user?.auth ?? {} });
  const post = (
    user: { auth: { authorization: string } },
    url: string,
    payload?: Record<string, unknown>,
  ) =>
    t.app.inject({
      method: 'POST',
      url: `/api/v1${url}`,
      headers: user.auth,
      ...(payload && { payload }),
    });

  async function order(productId: string, quantity = 1, method: 'cod' | 'sandbox' = 'cod') {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/orders',
      headers: { ...buyer.auth, 'idempotency-key': randomUUID() },
      payload: orderInput(productId, quantity, { paymentMethod: method }),
    });
    expect(res.statusCode).toBe(201);
    const placed = res.json().order as {
      id: string;
      total: number;
      payment: { id: string } | null;
    };
    if (method === 'sandbox') {
      const paid = await post(buyer, `/payments/sandbox/${placed.payment!.id}/complete`, {
        outcome: 'succeeded',
      });
      expect(paid.json().order.status).toBe('paid');
    }
    return placed;
  }

  async function waitFor<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 30_000) {
    const until = Date.now() + ms;
    for (;;) {
      const v = await read();
      if (done(v)) return v;
      if (Date.now() > until) return v;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  beforeAll(async () => {
    t = await createTestApp({ publicUrl: `http://127.0.0.1:${PORT}` });
    await t.app.listen({ port: PORT, host: '127.0.0.1' });
    const f = t.app.services.fulfilment;
    hubA = await f.ensureHub({
      regionCode: TOWNSHIP_A,
      name: '圣城集货站',
      address: '圣城街道1号',
    });
    hubB = await f.ensureHub({ regionCode: TOWNSHIP_B, name: '文家集货站' });
    operatorA = await operator('opA', hubA.id);
    operatorB = await operator('opB', hubB.id);
    sellerA1 = (await sellerWithShop(t.app, '370783001046')).seller;
    sellerA2 = (await sellerWithShop(t.app, '370783001047')).seller;
    sellerB = (await sellerWithShop(t.app, '370783003005')).seller;
    buyer = await registerUser(t.app, 'buyer');
    otherBuyer = await registerUser(t.app, 'buyer');
    products.tomato = await createProduct(t.app, sellerA1, {
      title: '大棚番茄',
      unit: '5斤/箱',
      price: 3980,
      stock: 50,
    });
    products.cucumber = await createProduct(t.app, sellerA1, {
      title: '水果黄瓜',
      price: 2680,
      stock: 50,
    });
    products.pepper = await createProduct(t.app, sellerA2, { title: '彩椒', price: 3580 });
    products.corn = await createProduct(t.app, sellerB, { title: '甜玉米', price: 1990 });
  }, 60_000);
  afterAll(async () => t?.close());

  it('makes a hub only for a township, once', async () => {
    const again = await t.app.services.fulfilment.ensureHub({ regionCode: TOWNSHIP_A, name: 'x' });
    expect(again.id).toBe(hubA.id);
    await expect(
      t.app.services.fulfilment.ensureHub({ regionCode: '370783', name: 'county' }),
    ).rejects.toMatchObject({ code: 'UNKNOWN_REGION' });
  });

  let codOrder: { id: string; total: number };
  let paidOrder: { id: string; total: number };
  let a2Order: { id: string; total: number };
  let bOrder: { id: string; total: number };
  let parcelCode: string;

  it('shows the seller what to pack per product and per buyer, and the counts', async () => {
    codOrder = await order(products.tomato!.id, 2, 'cod');
    paidOrder = await order(products.tomato!.id, 1, 'sandbox');
    await order(products.cucumber!.id, 1, 'sandbox');
    const placed = await t.app.inject({
      method: 'POST',
      url: '/api/v1/orders',
      headers: { ...buyer.auth, 'idempotency-key': randomUUID() },
      payload: orderInput(products.cucumber!.id, 4, { paymentMethod: 'sandbox' }),
    });
    expect(placed.json().order.status).toBe('placed');
    a2Order = await order(products.pepper!.id, 3, 'cod');
    bOrder = await order(products.corn!.id, 1, 'cod');

    const res = await get(sellerA1, '/shop/board');
    expect(res.statusCode).toBe(200);
    const board = res.json();
    // The unpaid online order is not to pack yet; paid and COD orders are.
    expect(board.toPack.byProduct).toEqual([
      {
        productId: products.tomato!.id,
        title: '大棚番茄',
        unit: '5斤/箱',
        quantity: 3,
        orders: 2,
      },
      {
        productId: products.cucumber!.id,
        title: '水果黄瓜',
        unit: 'kg',
        quantity: 1,
        orders: 1,
      },
    ]);
    expect(board.toPack.byBuyer).toHaveLength(1);
    expect(board.toPack.byBuyer[0]).toMatchObject({
      buyerId: buyer.id,
      address: { name: 'Chen Xiao', regionCode: '370783100' },
    });
    expect(board.toPack.byBuyer[0].orders.map((o: { id: string }) => o.id)).toContain(codOrder.id);
    expect(board.counts).toEqual({ toPack: 3, packed: 0, atHub: 0, inTransit: 0, delivered: 0 });
    expect(board.packed).toEqual([]);
  });

  it('lets only sellers see a board', async () => {
    expect((await get(buyer, '/shop/board')).statusCode).toBe(403);
    expect((await get(null, '/shop/board')).statusCode).toBe(401);
  });

  it('packs an order into a parcel with a code and the township hub, once', async () => {
    const res = await post(sellerA1, `/orders/${codOrder.id}/pack`);
    expect(res.statusCode).toBe(200);
    const { order: packed, parcel } = res.json();
    expect(packed.status).toBe('packed');
    expect(parcel).toMatchObject({
      orderId: codOrder.id,
      hubId: hubA.id,
      status: 'packed',
      trackingNumber: null,
      recipient: { name: 'Chen Xiao', regionCode: '370783100' },
    });
    expect(parcel.code).toMatch(/^CB[A-Z0-9]{10}$/);
    parcelCode = parcel.code;
    const again = await post(sellerA1, `/orders/${codOrder.id}/pack`);
    expect(again.statusCode).toBe(200);
    expect(again.json().parcel.id).toBe(parcel.id);
    const timeline = (await get(buyer, `/orders/${codOrder.id}/timeline`)).json();
    expect(timeline.events.map((e: { code: string }) => e.code)).toEqual([
      'cod_confirmed',
      'packed',
    ]);
    expect(timeline.parcel.code).toBe(parcelCode);
  });

  it('packs two taps at once into one parcel', async () => {
    const [a, b] = await Promise.all([
      post(sellerA1, `/orders/${paidOrder.id}/pack`),
      post(sellerA1, `/orders/${paidOrder.id}/pack`),
    ]);
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    expect(a.json().parcel.id).toBe(b.json().parcel.id);
  });

  it('refuses to pack an unpaid order, another shop’s order, or for a buyer', async () => {
    const placed = await t.app.inject({
      method: 'POST',
      url: '/api/v1/orders',
      headers: { ...buyer.auth, 'idempotency-key': randomUUID() },
      payload: orderInput(products.tomato!.id, 1, { paymentMethod: 'sandbox' }),
    });
    const unpaid = await post(sellerA1, `/orders/${placed.json().order.id}/pack`);
    expect(unpaid.statusCode).toBe(409);
    expect(unpaid.json().error.code).toBe('INVALID_TRANSITION');
    expect((await post(sellerA2, `/orders/${codOrder.id}/pack`)).statusCode).toBe(404);
    expect((await post(buyer, `/orders/${codOrder.id}/pack`)).statusCode).toBe(403);
  });

  it('prints an A6 label PDF with the parcel code', async () => {
    const res = await get(sellerA1, `/orders/${codOrder.id}/label.pdf`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    const pdf = res.rawPayload;
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const text = pdf.toString('latin1');
    expect(text).toMatch(/\/MediaBox \[0 0 297\.64 419\.53\]/);
    expect(text).toContain(parcelCode);
    expect((await get(sellerA2, `/orders/${codOrder.id}/label.pdf`)).statusCode).toBe(404);
    expect((await get(buyer, `/orders/${codOrder.id}/label.pdf`)).statusCode).toBe(403);
    const notPacked = await get(sellerA2, `/orders/${a2Order.id}/label.pdf`);
    expect(notPacked.statusCode).toBe(409);
    expect(notPacked.json().error.code).toBe('NOT_PACKED');
  });

  it('prints several labels, one page each', async () => {
    const all = await get(sellerA1, '/shop/labels.pdf');
    expect(all.statusCode).toBe(200);
    const text = all.rawPayload.toString('latin1');
    expect(text.match(/\/Type \/Page\b/g)).toHaveLength(2);
    const one = await get(sellerA1, `/shop/labels.pdf?orderIds=${paidOrder.id}`);
    expect(one.rawPayload.toString('latin1').match(/\/Type \/Page\b/g)).toHaveLength(1);
    const foreign = await get(sellerA1, `/shop/labels.pdf?orderIds=${a2Order.id}`);
    expect(foreign.statusCode).toBe(404);
    const tooMany = Array.from({ length: 101 }, () => randomUUID()).join(',');
    expect((await get(sellerA1, `/shop/labels.pdf?orderIds=${tooMany}`)).statusCode).toBe(400);
    const malformed = await get(sellerA1, `/shop/labels.pdf?orderIds=${'-'.repeat(36)}`);
    expect(malformed.statusCode).toBe(400);
  });

  it('writes the packing list as CSV and PDF', async () => {
    const csv = await get(sellerA2, '/shop/packing-list.csv');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.body
      .replace(/^\ufeff/, '')
      .trim()
      .split('\r\n');
    expect(lines[0]).toBe('order_id,recipient,phone,address,product,unit,quantity,cod_amount_cny');
    expect(lines).toHaveLength(2);
    const cod = (a2Order.total / 100).toFixed(2);
    expect(lines[1]).toBe(
      `${a2Order.id},Chen Xiao,13800138000,"山东省潍坊市寿光市化龙镇No. 8, East Street",彩椒,kg,3,${cod}`,
    );
    const pdf = await get(sellerA2, '/shop/packing-list.pdf');
    expect(pdf.statusCode).toBe(200);
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('shows operators their hub and keeps other hubs and roles out', async () => {
    await post(sellerA2, `/orders/${a2Order.id}/pack`);
    await post(sellerB, `/orders/${bOrder.id}/pack`);
    const mine = await get(operatorA, '/hubs/mine');
    expect(mine.json().hubs).toEqual([
      {
        id: hubA.id,
        name: '圣城集货站',
        regionCode: TOWNSHIP_A,
        regionName: expect.stringContaining('寿光') as unknown,
        address: '圣城街道1号',
      },
    ]);
    const hub = await get(operatorA, `/hubs/${hubA.id}`);
    expect(hub.statusCode).toBe(200);
    const expected = hub.json().parcels.expected as Array<{ orderId: string }>;
    expect(expected.map((p) => p.orderId).sort()).toEqual(
      [codOrder.id, paidOrder.id, a2Order.id].sort(),
    );
    expect(hub.json().parcels.atHub).toEqual([]);
    expect((await get(operatorB, `/hubs/${hubA.id}`)).statusCode).toBe(404);
    expect((await get(sellerA1, `/hubs/${hubA.id}`)).statusCode).toBe(403);
    expect((await get(buyer, '/hubs/mine')).statusCode).toBe(403);
    expect((await post(operatorB, `/hubs/${hubA.id}/scan`, { code: parcelCode })).statusCode).toBe(
      404,
    );
  });

  let bCode: string;
  it('scans parcels in: the order is at the hub; twice is fine; strangers are refused', async () => {
    const first = await post(operatorA, `/hubs/${hubA.id}/scan`, {
      code: ` ${parcelCode.toLowerCase()} `,
    });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({
      parcel: { code: parcelCode, status: 'at_hub' },
      order: { id: codOrder.id, status: 'handed_to_hub' },
      alreadyScanned: false,
    });
    const twice = await post(operatorA, `/hubs/${hubA.id}/scan`, { code: parcelCode });
    expect(twice.statusCode).toBe(200);
    expect(twice.json().alreadyScanned).toBe(true);

    const unknown = await post(operatorA, `/hubs/${hubA.id}/scan`, { code: 'CB0000000000' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('PARCEL_NOT_FOUND');
    bCode = (await get(sellerB, `/orders/${bOrder.id}/timeline`)).json().parcel.code;
    const wrong = await post(operatorA, `/hubs/${hubA.id}/scan`, { code: bCode });
    expect(wrong.statusCode).toBe(409);
    expect(wrong.json().error.code).toBe('WRONG_HUB');

    const a2Code = (await get(sellerA2, `/orders/${a2Order.id}/timeline`)).json().parcel.code;
    expect((await post(operatorA, `/hubs/${hubA.id}/scan`, { code: a2Code })).statusCode).toBe(200);
    const board = (await get(sellerA1, '/shop/board')).json();
    expect(board.counts).toMatchObject({ packed: 1, atHub: 1 });
    expect(board.packed.map((p: { orderId: string }) => p.orderId)).toEqual([paidOrder.id]);
  });

  let pickupId: string;
  it('gathers the scanned parcels of two sellers into one pickup with a manifest', async () => {
    const none = await post(operatorB, `/hubs/${hubB.id}/pickups`, { carrier: 'sandbox' });
    expect(none.statusCode).toBe(409);
    expect(none.json().error.code).toBe('NOTHING_TO_PICK_UP');
    const unknownCarrier = await post(operatorA, `/hubs/${hubA.id}/pickups`, { carrier: 'nope' });
    expect(unknownCarrier.statusCode).toBe(422);

    const res = await post(operatorA, `/hubs/${hubA.id}/pickups`, { carrier: 'sandbox' });
    expect(res.statusCode).toBe(201);
    expect(res.json().pickup).toMatchObject({
      hubId: hubA.id,
      carrier: 'sandbox',
      status: 'open',
      parcels: 2,
      carrierRef: null,
    });
    pickupId = res.json().pickup.id;
    const listed = (await get(operatorA, `/hubs/${hubA.id}`)).json();
    expect(listed.pickups).toEqual([
      expect.objectContaining({ id: pickupId, parcels: 2, status: 'open' }),
    ]);
    const again = await post(operatorA, `/hubs/${hubA.id}/pickups`, { carrier: 'sandbox' });
    expect(again.statusCode).toBe(409);

    const csv = await get(operatorA, `/pickups/${pickupId}/manifest.csv`);
    expect(csv.statusCode).toBe(200);
    const rows = csv.body
      .replace(/^\ufeff/, '')
      .trim()
      .split('\r\n');
    expect(rows[0]).toBe(
      'line,parcel_code,tracking_number,seller,recipient_county,recipient_township,items,cod_amount_cny',
    );
    expect(rows).toHaveLength(4);
    const body = rows.slice(1, 3).join('\n');
    expect(body).toContain(parcelCode);
    expect(body).toContain(',寿光市,化龙镇,2,');
    expect(body).toContain(',寿光市,化龙镇,3,');
    const cod = ((codOrder.total + a2Order.total) / 100).toFixed(2);
    expect(rows[3]).toBe(`TOTAL,2 parcels,,,,,5,${cod}`);
    const pdf = await get(operatorA, `/pickups/${pickupId}/manifest.pdf`);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    expect((await get(operatorB, `/pickups/${pickupId}/manifest.csv`)).statusCode).toBe(404);
    expect((await get(sellerA1, `/pickups/${pickupId}/manifest.csv`)).statusCode).toBe(403);
  });

  it('hands over; the sandbox carrier’s signed callbacks bring both orders to delivered', async () => {
    expect((await post(operatorB, `/pickups/${pickupId}/handover`)).statusCode).toBe(404);
    const res = await post(operatorA, `/pickups/${pickupId}/handover`);
    expect(res.statusCode).toBe(200);
    expect(res.json().pickup).toMatchObject({ status: 'handed_over', parcels: 2 });
    expect(res.json().pickup.carrierRef).toMatch(/^SBX/);
    const twice = await post(operatorA, `/pickups/${pickupId}/handover`);
    expect(twice.json().pickup.carrierRef).toBe(res.json().pickup.carrierRef);

    const timelineOf = async (id: string) => (await get(buyer, `/orders/${id}/timeline`)).json();
    for (const id of [codOrder.id, a2Order.id]) {
      const timeline = await waitFor(
        () => timelineOf(id),
        (tl) =>
          tl.events.some(
            (e: { code: string; kind: string }) => e.code === 'delivered' && e.kind === 'status',
          ),
      );
      const steps = timeline.events.map(
        (e: { kind: string; code: string }) => `${e.kind}:${e.code}`,
      );
      expect(steps).toEqual([
        'status:cod_confirmed',
        'status:packed',
        'status:handed_to_hub',
        'tracking:picked_up',
        'status:in_transit',
        'tracking:in_transit',
        'tracking:out_for_delivery',
        'tracking:delivered',
        'status:delivered',
      ]);
      expect(timeline.parcel).toMatchObject({ status: 'handed_over', carrier: 'sandbox' });
      expect(timeline.parcel.trackingNumber).toMatch(/^SBX/);
    }
    const order = (await get(buyer, `/orders/${codOrder.id}`)).json().order;
    expect(order.status).toBe('delivered');

    const notes = (await get(buyer, '/me/notifications?limit=100')).json().notifications as Array<{
      type: string;
      data: { orderId: string; step: string };
    }>;
    for (const id of [codOrder.id, a2Order.id]) {
      const steps = notes
        .filter((n) => n.type === 'order.tracking' && n.data.orderId === id)
        .map((n) => n.data.step)
        .sort();
      expect(steps).toEqual(['delivered', 'in_transit', 'out_for_delivery', 'picked_up']);
    }
    const board = (await get(sellerA1, '/shop/board')).json();
    expect(board.counts.delivered).toBe(1);

    // Integrators heard each step once, from the outbox written with the status change.
    const outbox = await t.app.database.db
      .select({ type: webhookEvents.type, payload: webhookEvents.payload })
      .from(webhookEvents)
      .where(sql`${webhookEvents.payload}->'data'->>'orderId' = ${codOrder.id}`);
    expect(outbox.map((e) => e.type).sort()).toEqual([
      'order.created',
      'order.delivered',
      'order.packed',
      'order.shipped',
    ]);
  }, 60_000);

  const callback = (body: string, signature?: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/carriers/sandbox/callback',
      headers: {
        'content-type': 'application/json',
        [SANDBOX_CARRIER_SIGNATURE_HEADER]:
          signature ??
          signSandboxCarrier(t.config.secrets.carrierSandbox, Math.floor(Date.now() / 1000), body),
      },
      payload: body,
    });

  it('refuses a callback with a bad or old signature, and unknown tracking numbers', async () => {
    const timeline = (await get(buyer, `/orders/${codOrder.id}/timeline`)).json();
    const trackingNumber = timeline.parcel.trackingNumber as string;
    const body = JSON.stringify({
      events: [{ eventId: 'x1', trackingNumber, step: 'in_transit', at: new Date().toISOString() }],
    });
    const forged = await callback(
      body,
      signSandboxCarrier('not-the-secret', Math.floor(Date.now() / 1000), body),
    );
    expect(forged.statusCode).toBe(401);
    expect(forged.json().error.code).toBe('INVALID_SIGNATURE');
    const old = Math.floor(Date.now() / 1000) - 3600;
    expect(
      (await callback(body, signSandboxCarrier(t.config.secrets.carrierSandbox, old, body)))
        .statusCode,
    ).toBe(401);
    const unknown = JSON.stringify({
      events: [
        {
          eventId: 'x2',
          trackingNumber: 'SBXNOPE',
          step: 'delivered',
          at: new Date().toISOString(),
        },
      ],
    });
    expect((await callback(unknown)).statusCode).toBe(404);
    expect((await callback('{"events":[]}')).statusCode).toBe(400);
  });

  it('changes nothing on a repeated callback and never moves an order backwards', async () => {
    const before = (await get(buyer, `/orders/${codOrder.id}/timeline`)).json();
    const trackingNumber = before.parcel.trackingNumber as string;
    const carrierRef = (await post(operatorA, `/pickups/${pickupId}/handover`)).json().pickup
      .carrierRef as string;
    // Exactly what the sandbox carrier sent for this parcel's delivery.
    const replay = JSON.stringify({
      events: [
        {
          eventId: `${carrierRef}:${trackingNumber}:delivered`,
          trackingNumber,
          step: 'delivered',
          at: new Date().toISOString(),
        },
      ],
    });
    const res = await callback(replay);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true, orders: 0 });
    const same = (await get(buyer, `/orders/${codOrder.id}/timeline`)).json();
    expect(same.events).toEqual(before.events);

    const late = JSON.stringify({
      events: [
        {
          eventId: 'late-1',
          trackingNumber,
          step: 'in_transit',
          at: new Date().toISOString(),
          location: '潍坊',
        },
      ],
    });
    expect((await callback(late)).statusCode).toBe(200);
    const after = (await get(buyer, `/orders/${codOrder.id}/timeline`)).json();
    expect(after.events).toHaveLength(before.events.length + 1);
    expect(after.events.at(-1)).toMatchObject({
      kind: 'tracking',
      code: 'in_transit',
      data: { location: '潍坊' },
    });
    expect((await get(buyer, `/orders/${codOrder.id}`)).json().order.status).toBe('delivered');
  });

  it('shows a timeline to the buyer and the seller only', async () => {
    expect((await get(sellerA1, `/orders/${codOrder.id}/timeline`)).statusCode).toBe(200);
    expect((await get(otherBuyer, `/orders/${codOrder.id}/timeline`)).statusCode).toBe(404);
    expect((await get(sellerA2, `/orders/${codOrder.id}/timeline`)).statusCode).toBe(404);
    expect((await get(operatorA, `/orders/${codOrder.id}/timeline`)).statusCode).toBe(404);
  });
});
