/**
 * Journey 4, a flash sale in the live room: the seller opens a flash offer (3 units, at most 2
 * per person) and a coupon (only one) from the studio during the show; two viewers on 360 px
 * phones see the card with its countdown and units left; the first claims the coupon and grabs
 * one unit with cash on delivery ("you got it"); the second sees the units left drop and the
 * coupon gone; a third buyer takes the last two through the API, and both rooms and the
 * studio show "sold out".
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPerson, shot, type Person } from './support/browser.ts';
import {
  apiOf,
  byTestId,
  expectBackendAsAsked,
  signIn as signInAs,
  stepsInOrder,
  waitForAttr,
} from './support/flow.ts';
import { startPlatform, type Platform } from './support/server.ts';

const RUN = Date.now().toString(36);
const PASSWORD = 'flash-sales-2026';
const PRODUCT = '寿光甜玉米';
const SHOW = '玉米限时抢：三根九块九';
const TOWNSHIP = '370783100';
/** The flash sale e2e's own server port (3340–3349 is this suite's range). */
const PORT = process.env.FLASH_E2E_PORT ?? '3341';

let platform: Platform | undefined;
let base = '';
let seller: Person;
let buyer: Person;
let watcher: Person;
const people: Person[] = [];
const state: {
  liveId?: string;
  productId?: string;
  offerId?: string;
  village?: string;
  lateToken?: string;
  sellerToken?: string;
  heldOfferId?: string;
} = {};
const api = apiOf(() => base);

async function register(who: string, role: 'buyer' | 'seller', name: string) {
  const email = `flash-${who}-${RUN}@example.cn`;
  const { token } = await api<{ token: string }>('POST', '/auth/register', null, {
    email,
    password: PASSWORD,
    displayName: name,
    role,
  });
  return { email, token };
}

const signIn = (person: Person, email: string) => signInAs(person.page, base, email, PASSWORD);

describe('flash sale: countdown, units left, "you got it", sold out', () => {
  beforeAll(async () => {
    // A longer wait than usual: a busy 2-core machine takes a while.
    platform = await startPlatform({}, { port: Number(PORT), readyTimeoutMs: 180_000 });
    base = platform.server.url;
    await expectBackendAsAsked(base);

    const sellerAccount = await register('seller', 'seller', '王玉米');
    await api('PUT', '/shop', sellerAccount.token, {
      name: '王家玉米地',
      description: '寿光的甜玉米，当天现掰。',
      regionCode: '370783',
    });
    const { product } = await api<{ product: { id: string } }>(
      'POST',
      '/products',
      sellerAccount.token,
      {
        title: PRODUCT,
        description: '当天现掰。',
        unit: '根',
        category: 'grain',
        price: 500,
        stock: 40,
        traditionalPrice: 250,
      },
    );
    state.productId = product.id;
    state.sellerToken = sellerAccount.token;
    const { live } = await api<{ live: { id: string } }>('POST', '/lives', sellerAccount.token, {
      title: SHOW,
      productIds: [product.id],
    });
    state.liveId = live.id;
    await api('POST', `/lives/${live.id}/start`, sellerAccount.token);

    const { regions } = await api<{ regions: Array<{ code: string }> }>(
      'GET',
      `/regions?parent=${TOWNSHIP}`,
      null,
    );
    state.village = regions[0]?.code;
    if (!state.village) throw new Error(`no villages under ${TOWNSHIP}`);

    const buyerAccount = await register('buyer', 'buyer', '李明');
    const watcherAccount = await register('watcher', 'buyer', '张芳');
    state.lateToken = (await register('late', 'buyer', '赵强')).token;

    seller = await openPerson({ name: 'seller', width: 360, height: 760 });
    people.push(seller);
    buyer = await openPerson({ name: 'buyer', width: 360, height: 740 });
    people.push(buyer);
    watcher = await openPerson({ name: 'watcher', width: 360, height: 740 });
    people.push(watcher);
    // The grab button pulses for people; the browser robot clicks what holds still.
    for (const p of [buyer, watcher]) await p.page.emulateMedia({ reducedMotion: 'reduce' });
    await signIn(seller, sellerAccount.email);
    await signIn(buyer, buyerAccount.email);
    await signIn(watcher, watcherAccount.email);
  });

  afterAll(async () => {
    for (const p of people) await p.close();
    await platform?.stop();
  });

  stepsInOrder('flash-', people, () => platform?.server.output());

  it('the seller opens a flash offer and a coupon from the studio', async () => {
    const { page } = seller;
    await page.goto(`${base}/studio`);
    await byTestId(page, 'studio-tab-flash').click();
    await byTestId(page, 'flash-studio').waitFor();
    await byTestId(page, 'flash-new-offer').click();
    const form = byTestId(page, 'flash-offer-form');
    await form.waitFor();
    await byTestId(page, 'flash-offer-product').selectOption(state.productId!);
    await byTestId(page, 'flash-offer-price').fill('3.9');
    await byTestId(page, 'flash-offer-quantity').fill('3');
    await byTestId(page, 'flash-offer-limit').fill('2');
    await byTestId(page, 'flash-offer-duration').selectOption('600');
    await shot(page, 'flash-01-offer-form');
    await byTestId(page, 'flash-offer-submit').click();

    const row = byTestId(page, 'flash-offer-row');
    await waitForAttr(row, 'data-phase', 'open');
    state.offerId = (await row.getAttribute('data-offer-id')) ?? undefined;
    expect(state.offerId).toBeTruthy();
    expect(await row.getAttribute('data-left')).toBe('3');

    await byTestId(page, 'flash-new-coupon').click();
    await byTestId(page, 'flash-coupon-discount').fill('1');
    await byTestId(page, 'flash-coupon-quota').fill('1');
    await byTestId(page, 'flash-coupon-submit').click();
    await waitForAttr(byTestId(page, 'flash-coupon-row'), 'data-phase', 'open');
    await shot(page, 'flash-02-studio-list');

    // The offer is what the API says, units taken out of the product's stock.
    const { offer } = await api<{ offer: { price: number; left: number; status: string } }>(
      'GET',
      `/offers/${state.offerId}`,
      null,
    );
    expect(offer).toMatchObject({ price: 390, left: 3, status: 'open' });
  });

  it('viewers see the card: flash price, a countdown that runs, units left', async () => {
    for (const person of [buyer, watcher]) {
      await person.page.goto(`${base}/lives/${state.liveId}`);
      const card = byTestId(person.page, 'flash-card');
      await waitForAttr(card, 'data-phase', 'open');
      expect(await card.getAttribute('data-left')).toBe('3');
      await expect.poll(() => byTestId(person.page, 'flash-price').textContent()).toBe('¥3.90');
      expect(await byTestId(person.page, 'flash-left').textContent()).toContain('剩 3 / 3 件');
    }
    const countdown = byTestId(buyer.page, 'flash-countdown');
    const first = await countdown.textContent();
    expect(first).toMatch(/还剩 \d\d:\d\d/);
    // The countdown runs on its own (about 10 minutes from the offer's start).
    await expect.poll(() => countdown.textContent(), { timeout: 5000 }).not.toBe(first);
    expect(await byTestId(buyer.page, 'coupon-card').getAttribute('data-phase')).toBe('open');
    await shot(buyer.page, 'flash-03-room-card');
  });

  it('the buyer claims the coupon and grabs one unit with cash on delivery', async () => {
    const { page } = buyer;
    await byTestId(page, 'coupon-claim').click();
    await waitForAttr(byTestId(page, 'coupon-card'), 'data-claimed', 'true');

    await byTestId(page, 'flash-grab').click();
    await byTestId(page, 'flash-sheet').waitFor();
    await byTestId(page, 'address-name').fill('李明');
    await byTestId(page, 'address-phone').fill('13800138000');
    await byTestId(page, 'address-region-province').selectOption('370000');
    await byTestId(page, 'address-region-prefecture').selectOption('370700');
    await byTestId(page, 'address-region-county').selectOption('370783');
    await byTestId(page, 'address-region-township').selectOption(TOWNSHIP);
    await byTestId(page, 'address-region-village').selectOption(state.village!);
    await byTestId(page, 'address-line1').fill('化龙镇 3 排 12 号');
    await byTestId(page, 'pay-cod').check();
    // The claimed coupon applies by itself: ¥3.90 − ¥1.00.
    await byTestId(page, 'coupon-choice').waitFor();
    expect(await byTestId(page, 'flash-confirm').textContent()).toContain('¥2.90');
    await shot(page, 'flash-04-grab-sheet');
    // A double tap: one order only (the second tap is ignored while the first is in flight,
    // and shares its Idempotency-Key if it were sent).
    await byTestId(page, 'flash-confirm').dblclick();
    await byTestId(page, 'flash-got-it').waitFor();
    expect(await byTestId(page, 'flash-got-it').textContent()).toContain('抢到了');
    await shot(page, 'flash-05-got-it');

    const orderHref = await byTestId(page, 'flash-order-link').getAttribute('href');
    const orderId = orderHref!.split('/').at(-1)!;
    const cookies = await buyer.context.cookies();
    const session = cookies.find((c) => c.name === 'cunbo_session')!.value;
    const res = await fetch(`${base}/api/v1/orders/${orderId}`, {
      headers: { cookie: `cunbo_session=${session}` },
    });
    const { order } = (await res.json()) as {
      order: { status: string; total: number; discount: number; offerId: string };
    };
    expect(order).toMatchObject({
      status: 'cod_confirmed',
      total: 290,
      discount: 100,
      offerId: state.offerId,
    });
    const mine = await fetch(`${base}/api/v1/orders?limit=50`, {
      headers: { cookie: `cunbo_session=${session}` },
    });
    const { orders } = (await mine.json()) as { orders: Array<{ offerId: string | null }> };
    expect(orders.filter((o) => o.offerId === state.offerId)).toHaveLength(1);

    await byTestId(page, 'flash-done').click();
    const card = byTestId(page, 'flash-card');
    await waitForAttr(card, 'data-left', '2');
    expect(await byTestId(page, 'flash-mine').textContent()).toContain('1');
  });

  it('the other viewer sees the units left drop and the coupon gone', async () => {
    const { page } = watcher;
    await waitForAttr(byTestId(page, 'flash-card'), 'data-left', '2');
    expect(await byTestId(page, 'flash-left').textContent()).toContain('剩 2 / 3 件');
    await waitForAttr(byTestId(page, 'coupon-card'), 'data-phase', 'gone');
    expect(await byTestId(page, 'coupon-claim').textContent()).toBe('已领完');
    expect(await byTestId(page, 'coupon-claim').isDisabled()).toBe(true);
    await shot(page, 'flash-06-watcher-left-2');
  });

  it('the last units go through the API: every card says sold out', async () => {
    const { order, offer } = await api<{
      order: { status: string };
      offer: { left: number; status: string };
    }>(
      'POST',
      `/offers/${state.offerId}/claims`,
      state.lateToken!,
      {
        quantity: 2,
        shippingAddress: {
          name: '赵强',
          phone: '13900139000',
          regionCode: state.village!,
          line1: '文圣街 8 号',
        },
        paymentMethod: 'cod',
      },
      { 'idempotency-key': `late-${RUN}` },
    );
    expect(order.status).toBe('cod_confirmed');
    expect(offer.left).toBe(0);

    for (const person of [buyer, watcher]) {
      const card = byTestId(person.page, 'flash-card');
      await waitForAttr(card, 'data-phase', 'sold_out');
      expect(await card.getAttribute('data-left')).toBe('0');
      expect(await byTestId(person.page, 'flash-grab').isDisabled()).toBe(true);
      expect(await byTestId(person.page, 'flash-grab').textContent()).toBe('已抢光');
    }
    await shot(watcher.page, 'flash-07-sold-out');
    await waitForAttr(byTestId(seller.page, 'flash-offer-row'), 'data-phase', 'sold_out');
    await shot(seller.page, 'flash-08-studio-sold-out');

    // A phone on its side: the compact card stays readable beside the chat.
    await watcher.page.setViewportSize({ width: 740, height: 360 });
    await byTestId(watcher.page, 'flash-card').waitFor();
    await shot(watcher.page, 'flash-09-landscape');
  });

  it('the seller ends the sale early; the card says it ended', async () => {
    await byTestId(seller.page, 'flash-close-offer').click();
    await waitForAttr(byTestId(seller.page, 'flash-offer-row'), 'data-phase', 'ended');
    await waitForAttr(byTestId(buyer.page, 'flash-card'), 'data-phase', 'ended');
  });

  it('an online payment holds the unit; unpaid, it goes back on sale and the count goes up', async () => {
    const { offer } = await api<{ offer: { id: string } }>(
      'POST',
      `/lives/${state.liveId}/offers`,
      state.sellerToken!,
      {
        productId: state.productId,
        price: 300,
        quantity: 1,
        perBuyerLimit: 1,
        durationSeconds: 600,
        holdSeconds: 60,
      },
    );
    state.heldOfferId = offer.id;
    const { page } = watcher;
    await page.setViewportSize({ width: 360, height: 740 });
    const card = byTestId(page, 'flash-card');
    await waitForAttr(
      card.and(page.locator(`[data-offer-id="${offer.id}"]`)),
      'data-phase',
      'open',
    );
    await byTestId(page, 'flash-grab').click();
    await byTestId(page, 'flash-sheet').waitFor();
    await byTestId(page, 'address-name').fill('张芳');
    await byTestId(page, 'address-phone').fill('13700137000');
    await byTestId(page, 'address-region-province').selectOption('370000');
    await byTestId(page, 'address-region-prefecture').selectOption('370700');
    await byTestId(page, 'address-region-county').selectOption('370783');
    await byTestId(page, 'address-region-township').selectOption(TOWNSHIP);
    await byTestId(page, 'address-region-village').selectOption(state.village!);
    await byTestId(page, 'address-line1').fill('化龙镇 5 排 1 号');
    await byTestId(page, 'pay-sandbox').check();
    await byTestId(page, 'flash-confirm').click();
    const payBy = byTestId(page, 'flash-pay-by');
    await payBy.waitFor();
    expect(await payBy.textContent()).toMatch(/请在 0[01]:\d\d 内付款 ¥3\.00/);
    expect(await byTestId(page, 'flash-pay').getAttribute('href')).toMatch(/^\/pay\/sandbox\//);
    await shot(page, 'flash-10-pay-within');

    // Everyone sees it gone while it is held...
    await waitForAttr(byTestId(buyer.page, 'flash-card'), 'data-phase', 'sold_out');
    // ...and back on sale when the hold runs out unpaid (60 s, then the expiry job).
    await waitForAttr(byTestId(buyer.page, 'flash-card'), 'data-left', '1', 120_000);
    await waitForAttr(byTestId(buyer.page, 'flash-card'), 'data-phase', 'open');
    await byTestId(page, 'flash-hold-over').waitFor();
    // The one who let it go may grab it again: the card no longer counts it as theirs.
    await byTestId(page, 'flash-done').click();
    await byTestId(page, 'flash-mine').waitFor({ state: 'detached' });
    expect(await byTestId(page, 'flash-grab').isDisabled()).toBe(false);
    await shot(buyer.page, 'flash-11-back-on-sale');
    for (const p of people) expect(p.pageErrors).toEqual([]);
  }, 180_000);

  it('a planned offer counts down to its start and opens on time, in Italian too', async () => {
    await api('POST', `/offers/${state.heldOfferId}/close`, state.sellerToken!);
    const { offer } = await api<{ offer: { id: string } }>(
      'POST',
      `/lives/${state.liveId}/offers`,
      state.sellerToken!,
      {
        productId: state.productId,
        price: 420,
        quantity: 5,
        perBuyerLimit: 1,
        startsAt: new Date(Date.now() + 12_000).toISOString(),
        durationSeconds: 600,
      },
    );
    const cardOf = (page: Page) =>
      byTestId(page, 'flash-card').and(page.locator(`[data-offer-id="${offer.id}"]`));
    await waitForAttr(cardOf(buyer.page), 'data-phase', 'scheduled');
    expect(await byTestId(buyer.page, 'flash-countdown').textContent()).toMatch(/^00:\d\d 后开抢$/);
    expect(await byTestId(buyer.page, 'flash-grab').isDisabled()).toBe(true);

    // Someone new, not signed in, whose phone speaks Italian.
    const visitor = await openPerson({ name: 'visitor', locale: 'it-IT', width: 360, height: 740 });
    people.push(visitor);
    await visitor.page.emulateMedia({ reducedMotion: 'reduce' });
    await visitor.page.goto(`${base}/lives/${state.liveId}`);
    await waitForAttr(cardOf(visitor.page), 'data-phase', 'scheduled');
    expect(await byTestId(visitor.page, 'flash-countdown').textContent()).toMatch(
      /^Inizia tra 00:\d\d$/,
    );
    await shot(visitor.page, 'flash-12-italian-planned');

    // On time, on the server's clock: both cards open without a reload.
    await waitForAttr(cardOf(buyer.page), 'data-phase', 'open', 30_000);
    await waitForAttr(cardOf(visitor.page), 'data-phase', 'open', 30_000);
    expect(await byTestId(visitor.page, 'flash-grab').textContent()).toBe('Prendi');
    await byTestId(visitor.page, 'flash-grab').click();
    await byTestId(visitor.page, 'flash-signin').waitFor();
    await shot(visitor.page, 'flash-13-italian-sign-in');
  });

  it('the buy sheet applies a claimed coupon of the shop and shows the new total', async () => {
    const { coupon } = await api<{ coupon: { id: string } }>(
      'POST',
      `/lives/${state.liveId}/coupons`,
      state.sellerToken!,
      { discount: 200, minSpend: 400, quota: 5, durationSeconds: 600 },
    );
    const { page } = buyer;
    const card = byTestId(page, 'coupon-card').and(page.locator(`[data-coupon-id="${coupon.id}"]`));
    await waitForAttr(card, 'data-phase', 'open');
    await byTestId(page, 'coupon-claim').click();
    await waitForAttr(card, 'data-claimed', 'true');

    await byTestId(page, 'products-button').click();
    await byTestId(page, 'product-row-buy').click();
    await byTestId(page, 'buy-sheet').waitFor();
    await byTestId(page, 'address-summary').waitFor();
    await byTestId(page, 'coupon-choice').waitFor();
    // ¥5.00 a cob, ¥2.00 off from ¥4.00.
    expect(await byTestId(page, 'buy-confirm').textContent()).toContain('¥3.00');
    expect(await byTestId(page, 'coupon-saving').textContent()).toContain('¥2.00');
    await shot(page, 'flash-14-buy-with-coupon');
    await byTestId(page, 'buy-confirm').click();
    await byTestId(page, 'buy-success').waitFor();

    const orderHref = await byTestId(page, 'buy-order-link').getAttribute('href');
    const session = (await buyer.context.cookies()).find((c) => c.name === 'cunbo_session')!;
    const res = await fetch(`${base}/api/v1${orderHref}`, {
      headers: { cookie: `cunbo_session=${session.value}` },
    });
    const { order } = (await res.json()) as { order: { total: number; discount: number } };
    expect(order).toMatchObject({ total: 300, discount: 200 });
    for (const p of people) expect(p.pageErrors).toEqual([]);
  });
});
