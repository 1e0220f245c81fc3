/**
 * Journeys 1–3 of the product brief, walked through the web app by real people in real
 * browsers against a production server process:
 *
 *   1. a seller signs up, opens a shop placed in a village of 寿光市, lists a product with a
 *      photo, schedules a show with it and goes live from the studio;
 *   2. a buyer finds the show under "live now", watches, chats, likes and follows; when the
 *      seller starts another show, the buyer's bell says so and leads into the room;
 *   3. the seller pins the product, the buyer buys it in two taps (cash on delivery), the
 *      seller sees the order arrive live, an anonymous viewer sees "someone from 寿光市 just
 *      bought 2 …", the stock drops by 2; then a purchase paid through the sandbox provider.
 *
 * The `it`s run in order and share the people and the state they build (as a real show does);
 * when one fails, the ones after it fail at once, naming it, rather than time out.
 */
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPerson, shot, type Person } from './support/browser.ts';
import { byTestId, expectBackendAsAsked, stepsInOrder, waitForAttr } from './support/flow.ts';
import { startPlatform, type Platform } from './support/server.ts';

const RUN = Date.now().toString(36);
const PASSWORD = 'corn-and-leeks-2024';
const SHOP = '老王玉米合作社';
const PRODUCT = '寿光甜玉米';
const UNIT = '斤';
const PRICE_YUAN = '3.50';
const TRADITIONAL_YUAN = '2.00';
const STOCK = 100;
const SHOW = '今天现摘甜玉米';
const SHOW_2 = '晚场：玉米上新';
const CHAT = '<b>bold</b> 玉米甜吗？';

// Shandong → Weifang → Shouguang (county) → Hualong town (township) → one of its villages.
const PROVINCE = '370000';
const PREFECTURE = '370700';
const COUNTY = '370783';
const TOWNSHIP = '370783100';

let platform: Platform | undefined;
let base = '';
let seller: Person;
let buyer: Person;
let viewer: Person;
const people: Person[] = [];
/** Set by the journeys as they go; a later `it` needs what an earlier one made. */
const state: { productId?: string; liveId?: string; liveId2?: string; stockAfterCod?: number } = {};

/** A real photo of "corn": a JPEG made here, uploaded through the file input. */
async function cornPhoto(): Promise<Buffer> {
  const kernels = Array.from({ length: 8 }, (_, row) =>
    Array.from(
      { length: 5 },
      (_, col) =>
        `<ellipse cx="${330 + col * 35}" cy="${170 + row * 36}" rx="15" ry="16" fill="#f6c33b" stroke="#d99a13" stroke-width="3"/>`,
    ).join(''),
  ).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600">
    <rect width="800" height="600" fill="#7fb347"/>
    <rect y="430" width="800" height="170" fill="#8a5a2b"/>
    <path d="M260 520 C 200 380 230 250 300 160 L 330 520 Z" fill="#3f8a2f"/>
    <path d="M540 520 C 600 380 570 250 500 160 L 470 520 Z" fill="#3f8a2f"/>
    <rect x="310" y="140" width="180" height="320" rx="90" fill="#e8a317"/>
    ${kernels}
  </svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 82 }).toBuffer();
}

/** Waits until the number shown in `testId` (the first one on the page) reaches `min`. */
async function waitForCount(page: Page, testId: string, min: number): Promise<number> {
  const handle = await page.waitForFunction(
    ({ testId, min }) => {
      const text = document.querySelector(`[data-testid="${testId}"]`)?.textContent ?? '';
      const n = Number(text.replace(/[^\d]/g, ''));
      return text && n >= min ? n : null;
    },
    { testId, min },
  );
  return (await handle.jsonValue()) as number;
}

/** Fills the cascading region picker `testId` down to a village, one level at a time. */
async function pickVillage(page: Page, testId: string): Promise<string> {
  // selectOption waits for each select to be enabled and for the option to be listed.
  await byTestId(page, `${testId}-province`).selectOption(PROVINCE);
  await byTestId(page, `${testId}-prefecture`).selectOption(PREFECTURE);
  await byTestId(page, `${testId}-county`).selectOption(COUNTY);
  await byTestId(page, `${testId}-township`).selectOption(TOWNSHIP);
  const village = byTestId(page, `${testId}-village`);
  // The first real village of the township (option 0 is "any").
  await village.locator('option[value^="370783100"]').first().waitFor({ state: 'attached' });
  const code = await village.locator('option[value^="370783100"]').first().getAttribute('value');
  expect(code).toMatch(/^370783100\d{3}$/);
  await village.selectOption(code!);
  return code!;
}

async function signUp(person: Person, role: 'buyer' | 'seller', name: string): Promise<void> {
  const { page } = person;
  await page.goto(`${base}/signup${role === 'seller' ? '?role=seller' : ''}`);
  await byTestId(page, `role-${role}`).check();
  await byTestId(page, 'auth-name').fill(name);
  await byTestId(page, 'auth-email').fill(`${role}-${RUN}@example.cn`);
  await byTestId(page, 'auth-password').fill(PASSWORD);
  await byTestId(page, 'auth-submit').click();
  // A new seller lands in the studio, a buyer on the home page.
  await page.waitForURL(role === 'seller' ? /\/studio/ : (url) => url.pathname === '/');
}

async function readStock(productId: string): Promise<number> {
  const res = await fetch(`${base}/api/v1/products/${productId}`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { product: { stock: number } };
  return body.product.stock;
}

describe('journeys 1–3: a seller and a buyer, through the web app', () => {
  beforeAll(async () => {
    platform = await startPlatform();
    base = platform.server.url;
    await expectBackendAsAsked(base);
    // Three browsers at once on two cores: start them one after the other.
    seller = await openPerson({ name: 'seller' });
    people.push(seller);
    buyer = await openPerson({ name: 'buyer' });
    people.push(buyer);
    viewer = await openPerson({ name: 'viewer' });
    people.push(viewer);
  });

  afterAll(async () => {
    for (const p of people) await p.close();
    await platform?.stop();
  });

  stepsInOrder('', people, () => platform?.server.output());

  it('1. a seller signs up, opens a shop in a village, lists a product with a photo, schedules a show and goes live', async () => {
    const { page } = seller;
    await signUp(seller, 'seller', '老王');
    // No shop yet: the studio asks for one first.
    await byTestId(page, 'shop-form').waitFor();
    await byTestId(page, 'shop-region-province')
      .locator(`option[value="${PROVINCE}"]`)
      .waitFor({ state: 'attached' });
    await shot(page, '01-seller-studio-first-visit');

    // The shop, placed down to the village with the cascading picker.
    await byTestId(page, 'shop-name').fill(SHOP);
    await byTestId(page, 'shop-description').fill('寿光化龙镇的玉米，当天现摘，产地直发。');
    await pickVillage(page, 'shop-region');
    await shot(page, '02-shop-form-region-picked');
    await byTestId(page, 'shop-save').click();
    // A first shop sends the seller on to the products tab.
    await page.waitForURL(/tab=products/);

    // A product: title, unit, price, stock, the traditional channel's price; then a photo.
    await byTestId(page, 'product-new').click();
    await byTestId(page, 'product-title').fill(PRODUCT);
    await byTestId(page, 'product-description').fill('粒粒饱满，生吃都甜。');
    await byTestId(page, 'product-unit').fill(UNIT);
    await byTestId(page, 'product-category').selectOption('grain');
    await byTestId(page, 'product-price').fill(PRICE_YUAN);
    await byTestId(page, 'product-stock').fill(String(STOCK));
    await byTestId(page, 'product-traditional-price').fill(TRADITIONAL_YUAN);
    // ¥3.50 against the traditional ¥2.00: the form shows the uplift (+75 %, as in the brief).
    await byTestId(page, 'product-form').getByText('+75%').waitFor();
    await byTestId(page, 'product-save').click();
    await byTestId(page, 'product-saved').waitFor();
    await byTestId(page, 'photo-input').setInputFiles({
      name: 'corn.jpg',
      mimeType: 'image/jpeg',
      buffer: await cornPhoto(),
    });
    const thumb = page.locator('[data-testid="photo-manager"] .photo-grid img').first();
    await thumb.waitFor();
    // The photo really comes back from the server (resized), not a broken image.
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>(
        '[data-testid="photo-manager"] .photo-grid img',
      );
      return img?.complete && img.naturalWidth > 0;
    }, undefined);
    await expect(byTestId(page, 'photo-error').count()).resolves.toBe(0);
    await byTestId(page, 'photo-manager').scrollIntoViewIfNeeded();
    await shot(page, '03-product-with-photo');
    await byTestId(page, 'product-form-close').click();
    const listed = byTestId(page, 'studio-product').filter({ hasText: PRODUCT });
    await listed.waitFor();
    expect(await listed.textContent()).toContain(UNIT);

    // A show with that product, scheduled an hour from now, then started at once.
    await byTestId(page, 'studio-tab-shows').click();
    await byTestId(page, 'show-title').fill(SHOW);
    await byTestId(page, 'show-products').getByText(PRODUCT).click();
    expect(await byTestId(page, 'show-product').first().isChecked()).toBe(true);
    await byTestId(page, 'show-create').click();
    const row = byTestId(page, 'studio-show').filter({ hasText: SHOW });
    await waitForAttr(row, 'data-status', 'scheduled');
    state.liveId = (await row.getAttribute('data-live-id'))!;
    expect(state.liveId).toBeTruthy();
    await shot(page, '04-show-scheduled');

    await row.getByTestId('studio-go-live').click();
    await waitForAttr(row, 'data-status', 'live');
    await row.getByTestId('studio-end').waitFor();
    await shot(page, '05-studio-live');

    // The seller stays on the show's control panel for the rest of the show.
    await row.getByTestId('studio-open-panel').click();
    await page.waitForURL(`**/studio/lives/${state.liveId}`);
    await waitForAttr(byTestId(page, 'live-state'), 'data-state', 'live');
    await waitForAttr(byTestId(page, 'connection-state'), 'data-state', 'open');
    const product = byTestId(page, 'control-product').filter({ hasText: PRODUCT });
    state.productId = (await product.getAttribute('data-product-id'))!;
    expect(await readStock(state.productId)).toBe(STOCK);
    await shot(page, '06-control-panel');
  });

  it('2. a buyer finds the show under "live now", watches, chats, likes and follows', async () => {
    const { page } = buyer;
    await signUp(buyer, 'buyer', '小李');

    const card = byTestId(page, 'live-now').locator(`[data-live-id="${state.liveId}"]`);
    await card.waitFor();
    expect(await card.textContent()).toContain(SHOW);
    await waitForAttr(card, 'data-status', 'live');
    // The cover is the product's photo.
    await page.waitForFunction((id) => {
      const img = document.querySelector<HTMLImageElement>(
        `[data-testid="live-now"] [data-live-id="${id}"] img`,
      );
      return img?.complete && img.naturalWidth > 0;
    }, state.liveId);
    await shot(page, '07-buyer-home-live-now');

    await card.click();
    await page.waitForURL(`**/lives/${state.liveId}`);
    await waitForAttr(byTestId(page, 'live-state'), 'data-state', 'live');
    await waitForAttr(byTestId(page, 'connection-state'), 'data-state', 'open');
    // Two people in the room now: the seller's panel and this buyer.
    await waitForCount(seller.page, 'viewer-count', 2);
    await waitForCount(page, 'viewer-count', 2);
    await shot(page, '08-buyer-room-live');

    // Chat: the line reaches the seller as text, never as HTML.
    await byTestId(page, 'chat-input').fill(CHAT);
    await byTestId(page, 'chat-send').click();
    for (const p of [page, seller.page]) {
      const line = byTestId(p, 'chat-line').filter({ hasText: '<b>bold</b>' });
      await line.waitFor();
      expect(await line.locator('.chat-text').textContent()).toBe(CHAT);
      expect(await line.textContent()).toContain('小李');
      expect(await byTestId(p, 'chat-list').locator('b').count()).toBe(0);
    }
    await expect(byTestId(page, 'chat-input').inputValue()).resolves.toBe('');

    // Like: the count goes up here and on the seller's panel.
    const likesBefore = Number(
      (await byTestId(page, 'like-count').textContent())?.replace(/\D/g, '') || 0,
    );
    await byTestId(page, 'like-button').click();
    await byTestId(page, 'like-button').click();
    await waitForCount(page, 'like-count', likesBefore + 2);
    await waitForCount(seller.page, 'like-count', likesBefore + 2);

    // Follow the seller from the room.
    const follow = byTestId(page, 'follow-button');
    await waitForAttr(follow, 'data-following', 'false');
    await follow.click();
    await waitForAttr(follow, 'data-following', 'true');
    await shot(page, '09-buyer-chatted-liked-followed');
    await shot(seller.page, '10-seller-panel-sees-chat');
  });

  it('3. the seller pins the product; the buyer buys 2 (cash on delivery); the seller and others see it live', async () => {
    const productId = state.productId!;
    // A third person, not signed in, watches the same room.
    await viewer.page.goto(`${base}/lives/${state.liveId}`);
    await waitForAttr(byTestId(viewer.page, 'live-state'), 'data-state', 'live');
    await waitForAttr(byTestId(viewer.page, 'connection-state'), 'data-state', 'open');

    // "Explaining now": pinned on the panel, on every viewer's screen.
    const row = byTestId(seller.page, 'control-product').filter({ hasText: PRODUCT });
    await row.getByTestId('studio-pin').click();
    await waitForAttr(row, 'data-pinned', 'true');
    for (const p of [buyer.page, viewer.page]) {
      const pinned = byTestId(p, 'pinned-card');
      await waitForAttr(pinned, 'data-product-id', productId);
      expect(await pinned.getAttribute('data-soldout')).toBe('false');
      expect(await byTestId(p, 'pinned-title').textContent()).toBe(PRODUCT);
      expect(await byTestId(p, 'pinned-price').textContent()).toContain('3.50');
      expect(await byTestId(p, 'pinned-stock').textContent()).toContain(String(STOCK));
      expect(await pinned.textContent()).toContain('+75%');
    }
    await shot(buyer.page, '11-buyer-pinned-card');

    // Two taps: buy, then confirm in the sheet (quantity 2, address, cash on delivery).
    const { page } = buyer;
    await byTestId(page, 'buy-button').click();
    const sheet = byTestId(page, 'buy-sheet');
    await sheet.waitFor();
    await byTestId(page, 'qty-plus').click();
    await expect(byTestId(page, 'qty-input').inputValue()).resolves.toBe('2');
    await byTestId(page, 'address-name').fill('李明');
    await byTestId(page, 'address-phone').fill('13800138000');
    await pickVillage(page, 'address-region');
    await byTestId(page, 'address-line1').fill('化龙镇 3 排 12 号');
    await byTestId(page, 'pay-cod').check();
    expect(await byTestId(page, 'buy-confirm').textContent()).toContain('7.00');
    await shot(page, '12-buy-sheet-filled');

    // The anonymous viewer's toast lasts 4 s: be watching for it before the order is placed.
    const toast = byTestId(viewer.page, 'purchase-toast').filter({ hasText: '寿光市' });
    const toastSeen = toast.waitFor().then(async () => {
      await shot(viewer.page, '15-viewer-purchase-toast');
      return toast.textContent();
    });
    const incoming = byTestId(seller.page, 'incoming-order');
    const ordersBefore = await incoming.count();

    await byTestId(page, 'buy-confirm').click();
    await byTestId(page, 'buy-success').waitFor();
    await shot(page, '13-buy-success');

    // The seller's panel shows the order without a reload.
    await incoming.nth(ordersBefore).waitFor();
    const order = incoming.filter({ hasText: `${PRODUCT} × 2` });
    await order.waitFor();
    expect(await order.textContent()).toContain('7.00');
    await waitForCount(seller.page, 'incoming-order-count', 1);
    await shot(seller.page, '14-seller-incoming-order');

    // "Someone from 寿光市 just bought 2 斤 寿光甜玉米".
    const toastText = await toastSeen;
    expect(toastText).toContain('寿光市');
    expect(toastText).toContain(`2 ${UNIT}`);
    expect(toastText).toContain(PRODUCT);

    // Stock: 2 fewer, on the server and on everyone's card.
    expect(await readStock(productId)).toBe(STOCK - 2);
    state.stockAfterCod = STOCK - 2;
    for (const p of [buyer.page, viewer.page]) {
      await byTestId(p, 'pinned-stock')
        .filter({ hasText: String(STOCK - 2) })
        .waitFor();
    }
    await byTestId(seller.page, 'control-stock')
      .filter({ hasText: String(STOCK - 2) })
      .waitFor();

    // The order page says what was bought and how it is paid.
    await byTestId(page, 'buy-order-link').click();
    await page.waitForURL(/\/orders\/[^/]+$/);
    await byTestId(page, 'order-detail').waitFor();
    expect(await byTestId(page, 'order-total').textContent()).toContain('7.00');
    // Cash on delivery needs no payment step: the order is confirmed at once.
    await waitForAttr(byTestId(page, 'order-status'), 'data-status', 'cod_confirmed');
    await shot(page, '13b-cod-order');
  });

  it('3, continued: the buyer buys 1 more and pays through the sandbox provider', async () => {
    const { page } = buyer;
    await page.goto(`${base}/lives/${state.liveId}`);
    await waitForAttr(byTestId(page, 'live-state'), 'data-state', 'live');
    await byTestId(page, 'buy-button').click();
    await byTestId(page, 'buy-sheet').waitFor();
    // The address is remembered from last time: still two taps.
    await byTestId(page, 'address-summary').waitFor();
    await expect(byTestId(page, 'qty-input').inputValue()).resolves.toBe('1');
    await byTestId(page, 'pay-sandbox').check();
    await byTestId(page, 'buy-confirm').click();

    // Online payment goes straight to the provider's page.
    await page.waitForURL(/\/pay\/sandbox\/[^/]+$/);
    await byTestId(page, 'sandbox-pay').waitFor();
    expect(await byTestId(page, 'sandbox-amount').textContent()).toContain('3.50');
    await shot(page, '16-sandbox-pay-page');
    await byTestId(page, 'sandbox-pay-button').click();
    await byTestId(page, 'sandbox-result').waitFor();

    await byTestId(page, 'sandbox-order-link').click();
    await page.waitForURL(/\/orders\/[^/]+$/);
    await waitForAttr(byTestId(page, 'order-status'), 'data-status', 'paid');
    await shot(page, '17-order-paid');
    expect(await readStock(state.productId!)).toBe(state.stockAfterCod! - 1);

    // The seller's panel has both orders.
    await waitForCount(seller.page, 'incoming-order-count', 2);
  });

  it('2, continued: a follower hears about the next show from the bell and lands in its room', async () => {
    const { page } = seller;
    // The seller ends the first show and starts a second one from the studio.
    await byTestId(page, 'studio-end').click();
    await waitForAttr(byTestId(page, 'live-state'), 'data-state', 'ended');
    await page.goto(`${base}/studio?tab=shows`);
    await byTestId(page, 'show-title').fill(SHOW_2);
    await byTestId(page, 'show-products').getByText(PRODUCT).click();
    await byTestId(page, 'show-create').click();
    const row = byTestId(page, 'studio-show').filter({ hasText: SHOW_2 });
    await waitForAttr(row, 'data-status', 'scheduled');
    state.liveId2 = (await row.getAttribute('data-live-id'))!;
    await row.getByTestId('studio-go-live').click();
    await waitForAttr(row, 'data-status', 'live');

    // The bell reads its feed when a page opens (and every 30 s); the buyer opens the home page
    // once the server has written the notification (read back, not created, through the API).
    const b = buyer.page;
    await expect
      .poll(
        async () => {
          const res = await b.request.get(`${base}/api/v1/me/notifications`);
          return ((await res.json()) as { unread: number }).unread;
        },
        { timeout: 10_000, interval: 200 },
      )
      .toBeGreaterThanOrEqual(1);
    await b.goto(`${base}/`);
    await byTestId(b, 'notification-count').waitFor();
    expect(Number(await byTestId(b, 'notification-count').textContent())).toBeGreaterThanOrEqual(1);
    // The followed seller's show is also on the home page, under "followed".
    await byTestId(b, 'followed-lives').locator(`[data-live-id="${state.liveId2}"]`).waitFor();
    await shot(b, '18-buyer-home-bell-badge');
    await byTestId(b, 'notification-bell').click();
    const item = byTestId(b, 'notification-item').filter({ hasText: SHOW_2 });
    await item.waitFor();
    expect(await item.textContent()).toContain(SHOP);
    await shot(b, '19-buyer-notification-panel');

    await item.locator('a').click();
    await b.waitForURL(`**/lives/${state.liveId2}`);
    await waitForAttr(byTestId(b, 'live-state'), 'data-state', 'live');
    await waitForAttr(byTestId(b, 'follow-button'), 'data-following', 'true');
    await shot(b, '20-buyer-room-from-notification');
  });

  it('no page crashed along the way', () => {
    for (const p of people)
      expect(p.pageErrors, `${p.name}: uncaught errors in the page`).toEqual([]);
  });
});
