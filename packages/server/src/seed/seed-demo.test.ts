import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test/test-app.ts';
import { DEMO_COUNTY, DEMO_PASSWORD, seedDemo } from './seed-demo.ts';

describe('demo seed', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  it('fills a living demo region once', async () => {
    const summary = await seedDemo(t.app.services);
    expect(summary).toMatch(/6 sellers in 5 villages/);
    const shops = (
      await t.app.inject({ method: 'GET', url: `/api/v1/shops?region=${DEMO_COUNTY}` })
    ).json().shops;
    expect(shops).toHaveLength(6);
    const townships = new Set(shops.map((s: { regionCode: string }) => s.regionCode.slice(0, 9)));
    const villages = new Set(shops.map((s: { regionCode: string }) => s.regionCode));
    expect(townships.size).toBe(2);
    expect(villages.size).toBe(5);
    const live = (await t.app.inject({ method: 'GET', url: '/api/v1/lives?status=live' })).json()
      .lives;
    expect(live).toHaveLength(1);
    expect(live[0].pinnedProduct).not.toBeNull();
    expect(live[0].products[0].photoUrl).toMatch(/^\/api\/v1\/photos\//);
    const scheduled = (
      await t.app.inject({ method: 'GET', url: '/api/v1/lives?status=scheduled' })
    ).json().lives;
    expect(scheduled.length).toBeGreaterThanOrEqual(1);
    // The operator runs the hub of each township the sellers are in.
    const { token } = await t.app.services.accounts.login({
      email: 'operator@demo.cunbo',
      password: DEMO_PASSWORD,
    });
    const hubs = (
      await t.app.inject({
        method: 'GET',
        url: '/api/v1/hubs/mine',
        headers: { authorization: `Bearer ${token}` },
      })
    ).json().hubs as Array<{ regionCode: string }>;
    expect(new Set(hubs.map((h) => h.regionCode))).toEqual(townships);
    expect(await seedDemo(t.app.services)).toMatch(/already/);
    expect(
      (await t.app.inject({ method: 'GET', url: `/api/v1/shops?region=${DEMO_COUNTY}` })).json()
        .shops,
    ).toHaveLength(6);
  });
});
