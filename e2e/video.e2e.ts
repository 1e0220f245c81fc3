/**
 * Live video in real browsers against a production server process, with Chromium's fake
 * camera: the seller goes live from the studio page (WHIP), an anonymous viewer watches in the
 * live room (WHEP) and sees the picture move, the host pins a product, the host's connection
 * drops and comes back by itself, and the host ends the show.
 *
 * The shop, product and scheduled show are made through the API (the journeys test makes them
 * through the UI); everything about video is done through the pages. Replay comes later.
 */
import type { Page, Response } from 'playwright-core';
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
const PASSWORD = 'tomatoes-on-air-2026';
const PRODUCT = '大棚沙瓤番茄';
const SHOW = '番茄大棚直播：现摘现发';

let platform: Platform | undefined;
let base = '';
let seller: Person;
let viewer: Person;
const people: Person[] = [];
const state: { liveId?: string; productId?: string; whipSessions: string[] } = { whipSessions: [] };
interface Playback {
  currentTime: number;
  frames: number;
  width: number;
  height: number;
  muted: boolean;
  paused: boolean;
}

function playback(page: Page, testId: string): Promise<Playback> {
  return page.evaluate((id) => {
    const v = document.querySelector<HTMLVideoElement>(`[data-testid="${id}"]`);
    if (!v) throw new Error(`no ${id}`);
    return {
      currentTime: v.currentTime,
      frames: v.getVideoPlaybackQuality().totalVideoFrames,
      width: v.videoWidth,
      height: v.videoHeight,
      muted: v.muted,
      paused: v.paused,
    };
  }, testId);
}

/** The picture moves: decoded frames and the clock both advance over about a second. */
async function expectMovingVideo(page: Page, testId: string): Promise<Playback> {
  const first = await playback(page, testId);
  await page.waitForFunction(
    ({ id, frames, time }) => {
      const v = document.querySelector<HTMLVideoElement>(`[data-testid="${id}"]`);
      return (
        v !== null &&
        v.getVideoPlaybackQuality().totalVideoFrames >= frames + 10 &&
        v.currentTime > time + 0.5
      );
    },
    { id: testId, frames: first.frames, time: first.currentTime },
    { timeout: 10_000 },
  );
  const later = await playback(page, testId);
  expect(later.width).toBeGreaterThan(0);
  expect(later.paused).toBe(false);
  return later;
}

/** A 503 as the server sends when this node has no room for another WebRTC viewer. */
function fullNode(retryAfterSeconds = 30) {
  return {
    status: 503,
    headers: { 'retry-after': String(retryAfterSeconds) },
    json: {
      error: {
        code: 'SERVICE_UNAVAILABLE',
        message: 'Too many WebRTC viewers right now; watch over HLS',
        details: { fallback: 'hls', retryAfterSeconds, limit: 'node' },
      },
    },
  };
}

const api = apiOf(() => base);

describe('live video: go live from the studio, watch in the live room', () => {
  beforeAll(async () => {
    // RTMP ingest off: its fixed port is not needed here and may be taken.
    platform = await startPlatform({ RTMP_PORT: '0' });
    base = platform.server.url;

    const email = `video-seller-${RUN}@example.cn`;
    const made = await sellerWithShop(api, {
      email,
      password: PASSWORD,
      displayName: '王大棚',
      shop: {
        name: '王家大棚番茄',
        description: '寿光的大棚番茄，当天现摘。',
        regionCode: '370783',
      },
      products: [
        {
          title: PRODUCT,
          description: '沙瓤，酸甜。',
          unit: '斤',
          category: 'vegetables',
          price: 680,
          stock: 50,
          traditionalPrice: 400,
        },
      ],
      show: SHOW,
    });
    const liveId = made.liveId!;
    state.liveId = liveId;
    state.productId = made.productIds[0];

    seller = await openPerson({ name: 'seller' });
    people.push(seller);
    viewer = await openPerson({ name: 'viewer' });
    people.push(viewer);

    // The WHIP sessions the studio opens (their Location), to cut one off later.
    seller.page.on('response', (res: Response) => {
      if (res.request().method() === 'POST' && res.url().endsWith(`/lives/${liveId}/whip`)) {
        const location = res.headers()['location'];
        if (res.status() === 201 && location)
          state.whipSessions.push(new URL(location, base).toString());
      }
    });

    await signIn(seller.page, base, email, PASSWORD);
  });

  afterAll(async () => {
    for (const p of people) await p.close();
    await platform?.stop();
  });

  stepsInOrder('video-', people, () => platform?.server.output());

  it('the studio shows the camera preview, the devices and the OBS settings', async () => {
    const { page } = seller;
    await openStudio(page, base, state.liveId!);
    await expectMovingVideo(page, 'preview-video');
    await shot(page, 'video-01-studio-preview');
    expect(await byTestId(page, 'camera-select').locator('option').count()).toBeGreaterThan(0);
    expect(await byTestId(page, 'mic-select').locator('option').count()).toBeGreaterThan(0);
    // OBS 30+: the WHIP server URL and the stream key as its bearer token.
    expect(await byTestId(page, 'whip-url').textContent()).toBe(
      `${base}/api/v1/lives/${state.liveId}/whip`,
    );
    await byTestId(page, 'stream-key-toggle').click();
    expect((await byTestId(page, 'stream-key').textContent())?.length).toBeGreaterThan(16);
    await byTestId(page, 'stream-key-toggle').click();
    await shot(page, 'video-02-studio-obs-settings');
    await page.evaluate(() => window.scrollTo(0, 0));
  });

  it('"Go live" publishes and starts the show; a waiting viewer sees moving video', async () => {
    // The viewer is in the room before the show starts.
    await viewer.page.goto(`${base}/lives/${state.liveId}`);
    await waitForAttr(byTestId(viewer.page, 'live-state'), 'data-state', 'waiting');

    const { page } = seller;
    const clicked = Date.now();
    await goLive(page);
    expect(state.whipSessions).toHaveLength(1);

    await waitForAttr(byTestId(viewer.page, 'live-state'), 'data-state', 'live');
    await waitForAttr(byTestId(viewer.page, 'live-video'), 'data-state', 'live');
    const onScreen = Date.now() - clicked;
    const moving = await expectMovingVideo(viewer.page, 'live-video');
    expect(moving.muted).toBe(true);
    expect(await byTestId(viewer.page, 'live-video').getAttribute('data-transport')).toBe('webrtc');
    console.log(`"Go live" click → picture on the viewer's screen: ${onScreen} ms`);
    await shot(viewer.page, 'video-03-viewer-watching');

    // Muted autoplay, with a visible way to turn the sound on.
    await byTestId(viewer.page, 'unmute-button').click();
    await viewer.page.waitForFunction(
      () => document.querySelector<HTMLVideoElement>('[data-testid="live-video"]')?.muted === false,
    );
    await byTestId(viewer.page, 'unmute-button').waitFor({ state: 'detached' });

    // The studio's uplink panel has numbers once a second.
    await page.waitForFunction(
      () =>
        document.querySelector('[data-testid="uplink-health"]')?.getAttribute('data-level') !==
        'unknown',
    );
    expect(await byTestId(page, 'uplink-bitrate').textContent()).toMatch(/\d+ kbit\/s/);
    await shot(page, 'video-04-studio-live');
  });

  it('a viewer who opens the room mid-show gets the first frame in about a second', async () => {
    const { page } = viewer;
    await page.reload();
    await waitForAttr(byTestId(page, 'live-video'), 'data-state', 'live');
    const firstFrameMs = Number(
      await byTestId(page, 'live-video').getAttribute('data-first-frame-ms'),
    );
    console.log(`WHEP first frame after the player started: ${firstFrameMs} ms`);
    expect(firstFrameMs).toBeGreaterThan(0);
    // Sub-second on loopback; generous here so a busy CI machine does not flake.
    expect(firstFrameMs).toBeLessThan(3000);
    await expectMovingVideo(page, 'live-video');
  });

  it('the host pins a product; the viewer sees its card over the video', async () => {
    const row = byTestId(seller.page, 'control-product').filter({ hasText: PRODUCT });
    await row.getByTestId('studio-pin').click();
    await waitForAttr(row, 'data-pinned', 'true');
    const card = byTestId(viewer.page, 'pinned-card');
    await waitForAttr(card, 'data-product-id', state.productId!);
    expect(await byTestId(viewer.page, 'pinned-title').textContent()).toBe(PRODUCT);
    await expectMovingVideo(viewer.page, 'live-video');
    await shot(viewer.page, 'video-05-viewer-pinned-card');
  });

  it('when the host’s connection is cut, the studio reconnects by itself and the viewer keeps watching', async () => {
    const session = state.whipSessions.at(-1)!;
    // The server drops the host's session, as after a network blip it timed out.
    await seller.page.evaluate(() => window.scrollTo(0, 0));
    // Every state the studio shows from now on, however briefly.
    await seller.page.evaluate(() => {
      const el = document.querySelector('[data-testid="broadcast-state"]')!;
      const seen: string[] = [];
      (window as unknown as { broadcastStates: string[] }).broadcastStates = seen;
      new MutationObserver(() => seen.push(el.getAttribute('data-state') ?? '')).observe(el, {
        attributes: true,
        attributeFilter: ['data-state'],
      });
    });
    const states = () =>
      seller.page.evaluate(
        () => (window as unknown as { broadcastStates: string[] }).broadcastStates,
      );
    const cut = Date.now();
    const res = await fetch(session, { method: 'DELETE' });
    expect(res.status).toBe(200);
    await seller.page.waitForFunction(
      () =>
        (window as unknown as { broadcastStates: string[] }).broadcastStates.includes(
          'reconnecting',
        ),
      undefined,
      { timeout: 15_000 },
    );
    await shot(seller.page, 'video-06-studio-reconnecting');
    await seller.page.waitForFunction(
      () => {
        const seen = (window as unknown as { broadcastStates: string[] }).broadcastStates;
        return seen.at(-1) === 'live';
      },
      undefined,
      { timeout: 30_000 },
    );
    console.log(
      `host cut off → on air again: ${Date.now() - cut} ms (${(await states()).join(' → ')})`,
    );
    expect(state.whipSessions.length).toBeGreaterThanOrEqual(2);
    // The viewer's player stayed on its session; the picture comes back.
    await waitForAttr(byTestId(viewer.page, 'live-video'), 'data-state', 'live', 15_000);
    await expectMovingVideo(viewer.page, 'live-video');
  });

  it('another device going on air takes over, and the studio steps aside instead of fighting back', async () => {
    // The host opens the studio on a second device (here: a second tab) and starts the video.
    const second = await seller.context.newPage();
    try {
      await second.goto(`${base}/studio/lives/${state.liveId}`);
      await waitForAttr(byTestId(second, 'broadcast-state'), 'data-state', 'preview');
      await byTestId(second, 'studio-publish').click();
      await waitForAttr(byTestId(second, 'broadcast-state'), 'data-state', 'live');
      // The first one notices it was replaced and stops, saying why.
      await waitForAttr(byTestId(seller.page, 'broadcast-error'), 'data-kind', 'replaced', 20_000);
      await waitForAttr(byTestId(seller.page, 'broadcast-state'), 'data-state', 'preview');
      await seller.page.waitForTimeout(3000);
      expect(await byTestId(second, 'broadcast-state').getAttribute('data-state')).toBe('live');
      await expectMovingVideo(viewer.page, 'live-video');
      await byTestId(seller.page, 'broadcast').scrollIntoViewIfNeeded();
      await shot(seller.page, 'video-07-studio-replaced');
    } finally {
      await second.close();
    }
    // Back on the first device, one tap takes the show's video back.
    await byTestId(seller.page, 'studio-publish').click();
    await waitForAttr(byTestId(seller.page, 'broadcast-state'), 'data-state', 'live');
    await waitForAttr(byTestId(viewer.page, 'live-video'), 'data-state', 'live', 15_000);
    await expectMovingVideo(viewer.page, 'live-video');
    await seller.page.evaluate(() => window.scrollTo(0, 0));
  });

  it('when WebRTC cannot be had (a full node), the player falls back to HLS', async () => {
    // The server packages the show as low-latency HLS while it is live.
    const { live } = await api<{ live: { playback: { hls: string | null } | null } }>(
      'GET',
      `/lives/${state.liveId}`,
      null,
    );
    expect(live.playback?.hls).toMatch(/\.m3u8$/);
    const { page } = viewer;
    // This node answers WHEP as a full one does, asking to try again in 3 s.
    let whepTries = 0;
    await page.route(
      (url) => url.pathname === `/api/v1/lives/${state.liveId}/whep`,
      (route) => {
        if (route.request().method() !== 'POST') return route.continue();
        whepTries += 1;
        return route.fulfill(fullNode(3));
      },
    );
    await page.reload();
    await waitForAttr(byTestId(page, 'live-video'), 'data-transport', 'hls');
    await waitForAttr(byTestId(page, 'live-video'), 'data-state', 'live', 20_000);
    const firstFrameMs = Number(
      await byTestId(page, 'live-video').getAttribute('data-first-frame-ms'),
    );
    console.log(
      `HLS first frame after the player started (WHEP refused first): ${firstFrameMs} ms`,
    );
    await expectMovingVideo(page, 'live-video');
    await byTestId(page, 'video-hls').waitFor();
    await shot(page, 'video-08-viewer-hls-fallback');
    // While watching over HLS, the player keeps asking for WebRTC, at the pace the server set.
    const tries = whepTries;
    await new Promise((r) => setTimeout(r, 4_000));
    expect(whepTries).toBeGreaterThan(tries);
    expect(await byTestId(page, 'live-video').getAttribute('data-transport')).toBe('hls');
    await page.unrouteAll({ behavior: 'wait' });
  });

  it('once the node has room again, the viewer on HLS moves to WebRTC by itself', async () => {
    const { page } = viewer;
    // The next try (3 s after the last refusal) gets through; the picture never goes away.
    await waitForAttr(byTestId(page, 'live-video'), 'data-transport', 'webrtc', 15_000);
    await waitForAttr(byTestId(page, 'live-video'), 'data-state', 'live', 10_000);
    await expectMovingVideo(page, 'live-video');
    expect(await byTestId(page, 'video-hls').count()).toBe(0);
  });

  it('with neither WebRTC nor HLS, the viewer is told it keeps trying; then WebRTC comes back', async () => {
    const { page } = viewer;
    const livePath = `/api/v1/lives/${state.liveId}`;
    // No HLS for this show (as for a VP8 publisher), and no room for WebRTC.
    await page.route(
      (url) => url.pathname === livePath,
      async (route) => {
        const res = await route.fetch();
        const body = (await res.json()) as {
          live: { playback: { whep: string; hls: string | null } | null };
        };
        if (body.live.playback) body.live.playback.hls = null;
        await route.fulfill({ response: res, json: body });
      },
    );
    await page.route(
      (url) => url.pathname === `${livePath}/whep`,
      (route) =>
        route.request().method() === 'POST' ? route.fulfill(fullNode(3)) : route.continue(),
    );
    await page.reload();
    await waitForAttr(byTestId(page, 'video-overlay'), 'data-state', 'retrying');
    await shot(page, 'video-09-viewer-cannot-connect');
    await page.unrouteAll({ behavior: 'wait' });
    // The next attempt (after the 3 s the server asked for) gets through by itself.
    await waitForAttr(byTestId(page, 'live-video'), 'data-state', 'live', 15_000);
    expect(await byTestId(page, 'live-video').getAttribute('data-transport')).toBe('webrtc');
    await expectMovingVideo(page, 'live-video');
  });

  it('on a landscape screen the whole picture is shown', async () => {
    const { page } = viewer;
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.waitForFunction(
      () =>
        document.querySelector<HTMLVideoElement>('[data-testid="live-video"]')?.style.objectFit ===
        'contain',
    );
    await shot(page, 'video-10-viewer-landscape');
    await page.setViewportSize({ width: 390, height: 844 });
  });

  it('the host ends the show: the viewer sees "ended" and the camera goes off', async () => {
    await byTestId(seller.page, 'studio-end').click();
    await waitForAttr(byTestId(seller.page, 'live-state'), 'data-state', 'ended');
    await waitForAttr(byTestId(viewer.page, 'live-state'), 'data-state', 'ended');
    await waitForAttr(byTestId(viewer.page, 'live-video'), 'data-state', 'ended');
    expect(await byTestId(viewer.page, 'stage-overlay').getAttribute('data-state')).toBe('ended');
    // The studio let go of the camera (the broadcast panel is gone with the show).
    await byTestId(seller.page, 'broadcast').waitFor({ state: 'detached' });
    const live = await api<{ live: { status: string; playback: unknown } }>(
      'GET',
      `/lives/${state.liveId}`,
      null,
    );
    expect(live.live).toMatchObject({ status: 'ended', playback: null });
    await shot(viewer.page, 'video-11-viewer-ended');
  });

  it('no page crashed along the way', () => {
    for (const p of people) expect(p.pageErrors, p.name).toEqual([]);
  });
});
