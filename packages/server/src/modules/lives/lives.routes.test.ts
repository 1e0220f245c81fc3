import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLive,
  createProduct,
  registerUser,
  sellerWithShop,
  type TestUser,
} from '../../test/factories.ts';
import { createTestApp, type TestApp } from '../../test/test-app.ts';

describe('live shows', () => {
  let t: TestApp;
  let seller: TestUser;
  beforeAll(async () => {
    t = await createTestApp();
    seller = (await sellerWithShop(t.app)).seller;
  });
  afterAll(async () => t.close());

  it('schedules a show with products, goes live, pins, and ends', async () => {
    const a = await createProduct(t.app, seller, { title: 'Tomatoes' });
    const b = await createProduct(t.app, seller, { title: 'Cucumbers', category: 'fruit' });
    const scheduledAt = new Date(Date.now() + 3_600_000).toISOString();
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/lives',
      headers: seller.auth,
      payload: { title: 'Harvest', scheduledAt, productIds: [a.id, b.id] },
    });
    expect(created.statusCode).toBe(201);
    const live = created.json().live;
    expect(live).toMatchObject({
      status: 'scheduled',
      scheduledAt,
      products: [{ id: a.id }, { id: b.id }],
      streamKey: expect.any(String),
    });

    const publicView = (
      await t.app.inject({ method: 'GET', url: `/api/v1/lives/${live.id}` })
    ).json().live;
    expect(publicView).not.toHaveProperty('streamKey');

    const started = await t.app.inject({
      method: 'POST',
      url: `/api/v1/lives/${live.id}/start`,
      headers: seller.auth,
    });
    expect(started.json().live).toMatchObject({ status: 'live', startedAt: expect.any(String) });
    const again = await t.app.inject({
      method: 'POST',
      url: `/api/v1/lives/${live.id}/start`,
      headers: seller.auth,
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('INVALID_TRANSITION');

    const pinned = await t.app.inject({
      method: 'POST',
      url: `/api/v1/lives/${live.id}/pin`,
      headers: seller.auth,
      payload: { productId: b.id },
    });
    expect(pinned.json().live.pinnedProduct).toMatchObject({
      id: b.id,
      title: 'Cucumbers',
      price: 1280,
      stock: 25,
    });
    const unpinned = await t.app.inject({
      method: 'POST',
      url: `/api/v1/lives/${live.id}/pin`,
      headers: seller.auth,
      payload: { productId: null },
    });
    expect(unpinned.json().live.pinnedProduct).toBeNull();

    const ended = await t.app.inject({
      method: 'POST',
      url: `/api/v1/lives/${live.id}/end`,
      headers: seller.auth,
    });
    expect(ended.json().live).toMatchObject({ status: 'ended', endedAt: expect.any(String) });
    const pinAfter = await t.app.inject({
      method: 'POST',
      url: `/api/v1/lives/${live.id}/pin`,
      headers: seller.auth,
      payload: { productId: a.id },
    });
    expect(pinAfter.statusCode).toBe(409);
  });

  it('lets only the host control a show and pin their own products', async () => {
    const product = await createProduct(t.app, seller);
    const live = await createLive(t.app, seller, [product.id], false);
    const { seller: other } = await sellerWithShop(t.app);
    const foreign = await createProduct(t.app, other);
    const buyer = await registerUser(t.app, 'buyer');
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: `/api/v1/lives/${live.id}/start`,
          headers: other.auth,
        })
      ).statusCode,
    ).toBe(403);
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: `/api/v1/lives/${live.id}/start`,
          headers: buyer.auth,
        })
      ).statusCode,
    ).toBe(403);
    expect(
      (await t.app.inject({ method: 'POST', url: `/api/v1/lives/${live.id}/start` })).statusCode,
    ).toBe(401);
    const pin = await t.app.inject({
      method: 'POST',
      url: `/api/v1/lives/${live.id}/pin`,
      headers: seller.auth,
      payload: { productId: foreign.id },
    });
    expect(pin.statusCode).toBe(422);
    const withForeign = await t.app.inject({
      method: 'POST',
      url: '/api/v1/lives',
      headers: seller.auth,
      payload: { title: 'x', productIds: [foreign.id] },
    });
    expect(withForeign.statusCode).toBe(403);
  });

  it('finds shows by status, region and category', async () => {
    const { seller: far } = await sellerWithShop(t.app, '370102'); // Jinan, Lixia district
    const honey = await createProduct(t.app, far, { category: 'honey' });
    const farLive = await createLive(t.app, far, [honey.id]);
    const tomato = await createProduct(t.app, seller, { category: 'vegetables' });
    const nearLive = await createLive(t.app, seller, [tomato.id]);
    const ids = async (q: string) =>
      (await t.app.inject({ method: 'GET', url: `/api/v1/lives?${q}` }))
        .json()
        .lives.map((l: { id: string }) => l.id);
    expect(await ids('status=live')).toEqual(expect.arrayContaining([farLive.id, nearLive.id]));
    expect(await ids('status=live&region=370783')).toContain(nearLive.id);
    expect(await ids('status=live&region=370783')).not.toContain(farLive.id);
    expect(await ids('status=live&region=370100')).toEqual([farLive.id]);
    expect(await ids('status=live&category=honey')).toEqual([farLive.id]);
    expect(await ids('status=scheduled')).not.toContain(nearLive.id);
    const bad = await t.app.inject({ method: 'GET', url: '/api/v1/lives?status=paused' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.issues[0].field).toBe('querystring.status');
  });
});

describe('follows and notifications', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  it('tells followers when the seller goes live, and lists followed shows', async () => {
    const { seller, shop } = await sellerWithShop(t.app);
    const fan = await registerUser(t.app, 'buyer');
    const stranger = await registerUser(t.app, 'buyer');
    const follow = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/shops/${shop.id}/follow`,
      headers: fan.auth,
    });
    expect(follow.json()).toEqual({ following: true, followers: 1 });
    const product = await createProduct(t.app, seller);
    const live = await createLive(t.app, seller, [product.id]);
    await t.app.services.events.idle();

    const inbox = (
      await t.app.inject({ method: 'GET', url: '/api/v1/me/notifications', headers: fan.auth })
    ).json();
    expect(inbox.unread).toBe(1);
    expect(inbox.notifications[0]).toMatchObject({
      type: 'live.started',
      read: false,
      data: { liveId: live.id, shopId: shop.id },
    });
    const none = (
      await t.app.inject({ method: 'GET', url: '/api/v1/me/notifications', headers: stranger.auth })
    ).json();
    expect(none.unread).toBe(0);

    const followed = (
      await t.app.inject({
        method: 'GET',
        url: '/api/v1/lives?status=live&followed=true',
        headers: fan.auth,
      })
    ).json().lives;
    expect(followed.map((l: { id: string }) => l.id)).toEqual([live.id]);

    await t.app.inject({ method: 'POST', url: '/api/v1/me/notifications/read', headers: fan.auth });
    expect(
      (
        await t.app.inject({ method: 'GET', url: '/api/v1/me/notifications', headers: fan.auth })
      ).json().unread,
    ).toBe(0);

    const unfollow = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/shops/${shop.id}/follow`,
      headers: fan.auth,
    });
    expect(unfollow.json()).toEqual({ following: false, followers: 0 });
  });

  it('refuses following yourself or a shop that does not exist', async () => {
    const { seller, shop } = await sellerWithShop(t.app);
    expect(
      (
        await t.app.inject({
          method: 'PUT',
          url: `/api/v1/shops/${shop.id}/follow`,
          headers: seller.auth,
        })
      ).statusCode,
    ).toBe(422);
    const fan = await registerUser(t.app, 'buyer');
    expect(
      (
        await t.app.inject({
          method: 'PUT',
          url: '/api/v1/shops/00000000-0000-4000-8000-000000000000/follow',
          headers: fan.auth,
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (await t.app.inject({ method: 'PUT', url: `/api/v1/shops/${shop.id}/follow` })).statusCode,
    ).toBe(401);
  });
});
