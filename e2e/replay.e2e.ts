/**
 * The replay keeps selling: the seller goes live from the studio with Chromium's fake camera,
 * pins product A, then product B, and ends the show; a viewer opens the room afterwards, sees
 * the recording play with a chapter per pinned product, jumps to B's chapter, and buys B from
 * the replay (cash on delivery): the order carries the show's id.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPerson, shot, type Person } from './support/browser.ts';
import {
  apiOf,
  byTestId,
  goLive,
  openStudio,
  sellerWithShop,
  signIn,
  stepsInOrder,
  waitForAttr,
} from './support/flow.ts';
import { startPlatform, type Platform } from './support/server.ts';

const RUN = Date.now().toString(36);
const PASSWORD = 'replays-keep-selling-2026';
const PRODUCT_A = '大棚沙瓤番茄';
const PRODUCT_B = '寿光水果黄瓜';
const SHOW = '番茄黄瓜直播：回放也能买';

let platform: Platform | undefined;
let base = '';
let seller: Person;
let viewer: Person;
const people: Person[] = [];
const state: {
  liveId?: string;
  productA?: string;
  productB?: string;
  chapters?: { at: number; productId: string; title: string }[];
} = {};
const currentTime = (page: Page) =>
  page.evaluate(
    () => document.querySelector<HTMLVideoElement>('[data-testid="replay-video"]')!.currentTime,
  );

const api = apiOf(() => base);

describe('replay: the recording plays with product chapters, and still sells', () => {
  beforeAll(async () => {
    platform = await startPlatform({ RTMP_PORT: '0' });
    base = platform.server.url;

    const email = `replay-seller-${RUN}@example.cn`;
    const product = (title: string) => ({
      title,
      description: '当天现摘。',
      unit: '斤',
      category: 'vegetables',
      price: 680,
      stock: 50,
      traditionalPrice: 400,
    });
    const made = await sellerWithShop(api, {
      email,
      password: PASSWORD,
      displayName: '王大棚',
      shop: { name: '王家大棚', description: '寿光的大棚蔬菜，当天现摘。', regionCode: '370783' },
      products: [product(PRODUCT_A), product(PRODUCT_B)],
      show: SHOW,
    });
    [state.productA, state.productB] = made.productIds;
    state.liveId = made.liveId;

    seller = await openPerson({ name: 'seller' });
    people.push(seller);
    viewer = await openPerson({ name: 'viewer' });
    people.push(viewer);

    await signIn(seller.page, base, email, PASSWORD);
  });

  afterAll(async () => {
    for (const p of people) await p.close();
    await platform?.stop();
  });

  stepsInOrder('replay-', people, () => platform?.server.output());

  it('the seller goes live with video, pins A, then B, and ends the show', async () => {
    const { page } = seller;
    await openStudio(page, base, state.liveId!);
    await goLive(page);
    // Packaged as HLS (H.264) while live: that is what gets recorded.
    await expect
      .poll(
        async () =>
          (
            await api<{ live: { playback: { hls: string | null } | null } }>(
              'GET',
              `/lives/${state.liveId}`,
              null,
            )
          ).live.playback?.hls ?? null,
        { timeout: 15_000 },
      )
      .toMatch(/\.m3u8$/);
    await page.waitForTimeout(2000);

    for (const title of [PRODUCT_A, PRODUCT_B]) {
      const row = byTestId(page, 'control-product').filter({ hasText: title });
      await row.getByTestId('studio-pin').click();
      await waitForAttr(row, 'data-pinned', 'true');
      await page.waitForTimeout(3000);
    }
    await byTestId(page, 'studio-end').click();
    await waitForAttr(byTestId(page, 'live-state'), 'data-state', 'ended');

    // The recording is finished a moment after the show ends.
    await expect
      .poll(
        async () =>
          (await api<{ live: { replay: unknown } }>('GET', `/lives/${state.liveId}`, null)).live
            .replay,
        { timeout: 20_000 },
      )
      .not.toBeNull();
    const { live } = await api<{
      live: { replay: { hls: string; duration: number; chapters: typeof state.chapters } };
    }>('GET', `/lives/${state.liveId}`, null);
    state.chapters = live.replay.chapters;
    expect(live.replay.chapters?.map((c) => c.productId)).toEqual([state.productA, state.productB]);
    expect(live.replay.duration).toBeGreaterThan(5);
  });

  it('a viewer opens the show afterwards: the replay plays, with both products as chapters', async () => {
    const { page } = viewer;
    await page.goto(`${base}/lives/${state.liveId}`);
    await waitForAttr(byTestId(page, 'live-state'), 'data-state', 'replay');
    await byTestId(page, 'replay-video').waitFor();
    // The clock moves.
    await page.waitForFunction(
      () =>
        (document.querySelector<HTMLVideoElement>('[data-testid="replay-video"]')?.currentTime ??
          0) > 0.5,
      undefined,
      { timeout: 20_000 },
    );
    const t1 = await currentTime(page);
    await page.waitForTimeout(1200);
    expect(await currentTime(page)).toBeGreaterThan(t1 + 0.5);

    const chapters = byTestId(page, 'replay-chapter');
    await expect.poll(() => chapters.count()).toBe(2);
    expect(await chapters.nth(0).textContent()).toContain(PRODUCT_A);
    expect(await chapters.nth(1).textContent()).toContain(PRODUCT_B);
    expect(await chapters.nth(1).textContent()).toMatch(/\d:\d\d/);
    await shot(page, 'replay-01-viewer-playing');
  });

  it('tapping B’s chapter jumps the video there and pins B’s card', async () => {
    const { page } = viewer;
    const b = state.chapters![1]!;
    await byTestId(page, 'replay-chapter').nth(1).click();
    await page.waitForFunction(
      (at) => {
        const v = document.querySelector<HTMLVideoElement>('[data-testid="replay-video"]');
        return v !== null && Math.abs(v.currentTime - at) <= 1.5;
      },
      b.at,
      { timeout: 10_000 },
    );
    await waitForAttr(byTestId(page, 'pinned-card'), 'data-product-id', state.productB!);
    await waitForAttr(byTestId(page, 'replay-chapter').nth(1), 'data-current', 'true');
    expect(await byTestId(page, 'pinned-title').textContent()).toBe(PRODUCT_B);
    await shot(page, 'replay-02-chapter-b');
  });

  it('the viewer signs up and buys B from the replay: the order carries the show', async () => {
    const { page } = viewer;
    // A buyer account, made through the API and signed in on this browser.
    const email = `replay-buyer-${RUN}@example.cn`;
    await api('POST', '/auth/register', null, {
      email,
      password: PASSWORD,
      displayName: '李明',
      role: 'buyer',
    });
    await signIn(page, base, email, PASSWORD);

    await page.goto(`${base}/lives/${state.liveId}`);
    await waitForAttr(byTestId(page, 'live-state'), 'data-state', 'replay');
    await byTestId(page, 'replay-chapter').nth(1).click();
    await waitForAttr(byTestId(page, 'pinned-card'), 'data-product-id', state.productB!);
    await byTestId(page, 'buy-button').click();
    await byTestId(page, 'buy-sheet').waitFor();
    await byTestId(page, 'address-name').fill('李明');
    await byTestId(page, 'address-phone').fill('13800138000');
    await byTestId(page, 'address-region-province').selectOption('370000');
    await byTestId(page, 'address-region-prefecture').selectOption('370700');
    await byTestId(page, 'address-region-county').selectOption('370783');
    await byTestId(page, 'address-region-township').selectOption('370783100');
    const village = byTestId(page, 'address-region-village');
    await village.locator('option[value^="370783100"]').first().waitFor({ state: 'attached' });
    const code = await village.locator('option[value^="370783100"]').first().getAttribute('value');
    await village.selectOption(code!);
    await byTestId(page, 'address-line1').fill('化龙镇 3 排 12 号');
    await byTestId(page, 'pay-cod').check();
    await byTestId(page, 'buy-confirm').click();
    await byTestId(page, 'buy-success').waitFor();
    await shot(page, 'replay-03-bought');

    const href = await byTestId(page, 'buy-order-link').getAttribute('href');
    const orderId = href!.split('/').at(-1)!;
    const order = await page.evaluate(async (id) => {
      const res = await fetch(`/api/v1/orders/${id}`);
      return (await res.json()) as { order: { liveId: string | null; status: string } };
    }, orderId);
    expect(order.order.liveId).toBe(state.liveId);
    expect(order.order.status).toBe('cod_confirmed');
  });

  it('no page crashed along the way', () => {
    for (const p of people) expect(p.pageErrors, p.name).toEqual([]);
  });
});
