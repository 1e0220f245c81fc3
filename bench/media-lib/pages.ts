/**
 * Node's side of the bench pages: their URLs, and `window.bench` called through Playwright.
 */
import type { Page } from 'playwright-core';
import { waitUntil } from '../../packages/server/src/test/process-harness.ts';
import type { Browser } from './browsers.ts';
import type { PublisherPageApi, PublisherPageParams, ViewerPageApi } from './page-api.ts';
import type { BenchLive } from './platform.ts';

type WithBench<T> = { bench: T };

export interface PublisherPage {
  page: Page;
  state(): Promise<ReturnType<PublisherPageApi['state']>>;
  stats(): ReturnType<PublisherPageApi['stats']>;
  stop(): Promise<void>;
}

export interface ViewerPage {
  page: Page;
  state(): Promise<ReturnType<ViewerPageApi['state']>>;
  takeFrames(): Promise<ReturnType<ViewerPageApi['takeFrames']>>;
  hls(): Promise<ReturnType<ViewerPageApi['hls']>>;
  stats(): ReturnType<ViewerPageApi['stats']>;
  stop(): Promise<void>;
}

/** Opens the publisher page of `live` at `origin` (the server as this browser reaches it). */
export async function openPublisher(
  browser: Browser,
  origin: string,
  live: BenchLive,
  source: PublisherPageParams['source'],
): Promise<PublisherPage> {
  const query = new URLSearchParams({ whip: live.whip, token: live.streamKey, source });
  const page = await browser.open(`${origin}/publisher.html?${query}`);
  const bench = () =>
    page.evaluate(() => (window as unknown as WithBench<PublisherPageApi>).bench.state());
  let last: Awaited<ReturnType<typeof bench>> | null = null;
  await waitUntil(async () => (last = await bench()).broadcast === 'live', {
    timeoutMs: 30_000,
    intervalMs: 200,
    what: () => `the publisher on air (${JSON.stringify(last)}; ${browser.errors.join('; ')})`,
  });
  return {
    page,
    state: bench,
    stats: () =>
      page.evaluate(() => (window as unknown as WithBench<PublisherPageApi>).bench.stats()),
    stop: () =>
      page.evaluate(() => (window as unknown as WithBench<PublisherPageApi>).bench.stop()),
  };
}

/** A 503 as a full node sends: the app's player goes to HLS, as in e2e/video.e2e.ts. */
async function refuseWhep(page: Page, live: BenchLive): Promise<void> {
  await page.route(
    (url) => url.pathname === live.whep,
    (route) =>
      route.request().method() === 'POST'
        ? route.fulfill({
            status: 503,
            headers: { 'retry-after': '300' },
            json: {
              error: {
                code: 'SERVICE_UNAVAILABLE',
                message: 'bench: HLS wanted',
                details: { fallback: 'hls', retryAfterSeconds: 300, limit: 'node' },
              },
            },
          })
        : route.continue(),
  );
}

/** Opens a viewer: WHEP, or (with `hls`) HLS through the app's fallback. */
export async function openViewer(
  browser: Browser,
  origin: string,
  live: BenchLive,
  opts: { hls?: string; decode: boolean },
): Promise<ViewerPage> {
  const query = new URLSearchParams({
    whep: live.whep,
    hls: opts.hls ?? '',
    decode: opts.decode ? '1' : '0',
  });
  const page = await browser.open(
    `${origin}/viewer.html?${query}`,
    opts.hls ? (p) => refuseWhep(p, live) : undefined,
  );
  const bench = () =>
    page.evaluate(() => (window as unknown as WithBench<ViewerPageApi>).bench.state());
  const want = opts.hls ? 'hls' : 'webrtc';
  await waitUntil(
    async () => {
      const s = await bench();
      return s.phase === 'playing' && s.transport === want;
    },
    { timeoutMs: 30_000, intervalMs: 200, what: `a ${want} viewer playing` },
  );
  return {
    page,
    state: bench,
    takeFrames: () =>
      page.evaluate(() => (window as unknown as WithBench<ViewerPageApi>).bench.takeFrames()),
    hls: () => page.evaluate(() => (window as unknown as WithBench<ViewerPageApi>).bench.hls()),
    stats: () => page.evaluate(() => (window as unknown as WithBench<ViewerPageApi>).bench.stats()),
    stop: () => page.evaluate(() => (window as unknown as WithBench<ViewerPageApi>).bench.stop()),
  };
}
