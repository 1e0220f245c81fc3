/**
 * The replay keeps selling: the seller goes live from the studio with Chromium's fake camera,
 * pins product A, then product B, and ends the show; a viewer opens the room afterwards, sees
 * the recording play with a chapter per pinned product, jumps to B's chapter, and buys B from
 * the replay (cash on delivery): the order carries the show's id.
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openPerson, shot, type Person } from './support/browser.ts';
import { startPlatform } from './support/server.ts';

type Platform = Awaited<ReturnType<typeof startPlatform>>;

const RUN = Date.now().toString(36);
const PASSWORD = 'replays-keep-selling-2026';
const PRODUCT_A = '大棚沙瓤番茄';
const PRODUCT_B = '寿光水果黄瓜';
const SHOW = '番茄黄瓜直播：回放也能买';

let platform: Platform;
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
let broken: string | null = null;

const byTestId = (page: Page, id: string) => page.locator(`[data-testid="${id}"]`);

async function waitForAttr(locator: Locator, name: string, value: string, timeout?: number) {
  await locator
    .and(locator.page().locator(`[${name}="${value}"]`))
    .first()
    .waitFor(timeout ? { timeout } : {});
}

const currentTime = (page: Page) =>
  page.evaluate(
    () => document.querySelector<HTMLVideoElement>('[data-testid="replay-video"]')!.currentTime,
  );

async function api<T>(
  method: string,
  path: string,
  token: string | null,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: {
      ...(token && { authorization: `Bearer ${token}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

describe('replay: the recording plays with product chapters, and still sells', () => {
  beforeAll(async () => {
    platform = await startPlatform({ RTMP_PORT: '0' });
    base = platform.server.url;

    const email = `replay-seller-${RUN}@example.cn`;
    const { token } = await api<{ token: string }>('POST', '/auth/register', null, {
      email,
      password: PASSWORD,
      displayName: '王大棚',
      role: 'seller',
    });
    await api('PUT', '/shop', token, {
      name: '王家大棚',
      description: '寿光的大棚蔬菜，当天现摘。',
      regionCode: '370783',
    });
    const product = async (title: string) =>
      (
        await api<{ product: { id: string } }>('POST', '/products', token, {
          title,
          description: '当天现摘。',
          unit: '斤',
          category: 'vegetables',
          price: 680,
          stock: 50,
          traditionalPrice: 400,
        })
      ).product.id;
    state.productA = await product(PRODUCT_A);
    state.productB = await product(PRODUCT_B);
    const { live } = await api<{ live: { id: string } }>('POST', '/lives', token, {
      title: SHOW,
      scheduledAt: new Date(Date.now() + 30 * 60_000).toISOString(),
      productIds: [state.productA, state.productB],
    });
    state.liveId = live.id;

    seller = await openPerson({ name: 'seller' });
    people.push(seller);
    viewer = await openPerson({ name: 'viewer' });
    people.push(viewer);

    await seller.page.goto(`${base}/signin`);
    await byTestId(seller.page, 'auth-email').fill(email);
    await byTestId(seller.page, 'auth-password').fill(PASSWORD);
    await byTestId(seller.page, 'auth-submit').click();
    await seller.page.waitForURL((url) => !url.pathname.startsWith('/signin'));
  });

  afterAll(async () => {
    for (const p of people) await p.close();
    await platform?.stop();
  });

  beforeEach((ctx) => {
    if (broken) ctx.skip(`an earlier step failed (${broken})`);
    ctx.onTestFailed(async () => {
      broken = ctx.task.name;
      for (const p of people) {
        await shot(
          p.page,
          `fail-replay-${ctx.task.name.replace(/\W+/g, '-').slice(0, 20)}-${p.name}`,
        ).catch(() => undefined);
        console.error(`[${p.name}] at ${p.page.url()}`);
        if (p.pageErrors.length)
          console.error(`[${p.name}] page errors:\n${p.pageErrors.join('\n')}`);
        if (p.consoleErrors.length)
          console.error(`[${p.name}] console errors:\n${p.consoleErrors.join('\n')}`);
      }
      console.error(`server output:\n${platform.server.output().slice(-8000)}`);
    });
  });

  it('the seller goes live with video, pins A, then B, and ends the show', async () => {
    const { page } = seller;
    await page.goto(`${base}/studio/lives/${state.liveId}`);
    await waitForAttr(byTestId(page, 'broadcast-state'), 'data-state', 'preview');
    await byTestId(page, 'studio-go-live').click();
    await waitForAttr(byTestId(page, 'broadcast-state'), 'data-state', 'live');
    await waitForAttr(byTestId(page, 'live-state'), 'data-state', 'live');
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
    await page.goto(`${base}/signin`);
    await byTestId(page, 'auth-email').fill(email);
    await byTestId(page, 'auth-password').fill(PASSWORD);
    await byTestId(page, 'auth-submit').click();
    await page.waitForURL((url) => !url.pathname.startsWith('/signin'));

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
