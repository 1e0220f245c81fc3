import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../app.ts';
import { createProduct, orderInput, registerUser, sellerWithShop } from '../../test/factories.ts';
import { createTestApp, testConfig, type TestApp } from '../../test/test-app.ts';

/**
 * Two server processes on one PostgreSQL database (and Redis), like a deployment behind a
 * load balancer: the hub works on one, the carrier's callbacks land on the other, and both
 * run the job queue. Every tracking step is applied exactly once.
 */
const FRONT = 3354;
const BACK = 3355;
const TOWNSHIP = '370783001';

describe.skipIf(!process.env.TEST_DATABASE_URL)('fulfilment across two processes', () => {
  let t: TestApp;
  let other: FastifyInstance;

  beforeAll(async () => {
    t = await createTestApp({ publicUrl: `http://127.0.0.1:${BACK}` });
    await t.app.listen({ port: FRONT, host: '127.0.0.1' });
    other = await buildApp(
      testConfig({
        databaseUrl: t.config.databaseUrl,
        redisUrl: t.config.redisUrl,
        redisPrefix: t.config.redisPrefix,
        secrets: t.config.secrets,
        publicUrl: `http://127.0.0.1:${BACK}`,
      }),
    );
    await other.listen({ port: BACK, host: '127.0.0.1' });
  }, 60_000);
  afterAll(async () => {
    await other?.close();
    await t?.close();
  });

  it('delivers both sellers’ parcels, each step once, whichever process runs the job', async () => {
    const app = t.app;
    const hub = await app.services.fulfilment.ensureHub({ regionCode: TOWNSHIP, name: '集货站' });
    const email = `op-${randomUUID().slice(0, 8)}@test.cunbo`;
    const op = await app.services.accounts.createOperator(null, {
      email,
      password: 'correct horse battery',
      displayName: 'op',
    });
    await app.services.fulfilment.attachOperator(hub.id, op.id, op.role);
    const opAuth = {
      authorization: `Bearer ${(await app.services.accounts.login({ email, password: 'correct horse battery' })).token}`,
    };
    const buyer = await registerUser(app, 'buyer');
    const orderIds: string[] = [];
    for (const village of ['370783001046', '370783001047']) {
      const { seller } = await sellerWithShop(app, village);
      const product = await createProduct(app, seller);
      const placed = await app.inject({
        method: 'POST',
        url: '/api/v1/orders',
        headers: { ...buyer.auth, 'idempotency-key': randomUUID() },
        payload: orderInput(product.id, 1),
      });
      const id = placed.json().order.id as string;
      orderIds.push(id);
      const packed = await app.inject({
        method: 'POST',
        url: `/api/v1/orders/${id}/pack`,
        headers: seller.auth,
      });
      const scanned = await app.inject({
        method: 'POST',
        url: `/api/v1/hubs/${hub.id}/scan`,
        headers: opAuth,
        payload: { code: packed.json().parcel.code },
      });
      expect(scanned.statusCode).toBe(200);
    }
    const pickup = await app.inject({
      method: 'POST',
      url: `/api/v1/hubs/${hub.id}/pickups`,
      headers: opAuth,
      payload: { carrier: 'sandbox' },
    });
    expect(pickup.json().pickup.parcels).toBe(2);
    const handover = await app.inject({
      method: 'POST',
      url: `/api/v1/pickups/${pickup.json().pickup.id}/handover`,
      headers: opAuth,
    });
    expect(handover.statusCode).toBe(200);

    for (const id of orderIds) {
      const until = Date.now() + 30_000;
      let timeline: { events: Array<{ kind: string; code: string }> } = { events: [] };
      while (Date.now() < until) {
        // Read through the other process: both see the same orders.
        timeline = (
          await other.inject({
            method: 'GET',
            url: `/api/v1/orders/${id}/timeline`,
            headers: buyer.auth,
          })
        ).json();
        if (timeline.events.some((e) => e.kind === 'status' && e.code === 'delivered')) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const tracking = timeline.events.filter((e) => e.kind === 'tracking').map((e) => e.code);
      expect(tracking).toEqual(['picked_up', 'in_transit', 'out_for_delivery', 'delivered']);
      expect(timeline.events.filter((e) => e.kind === 'status').map((e) => e.code)).toEqual([
        'cod_confirmed',
        'packed',
        'handed_to_hub',
        'in_transit',
        'delivered',
      ]);
    }
  }, 60_000);
});
