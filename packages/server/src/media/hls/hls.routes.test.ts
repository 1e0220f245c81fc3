import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLive,
  createProduct,
  orderInput,
  registerUser,
  sellerWithShop,
  type TestUser,
} from '../../test/factories.ts';
import { createTestApp, type TestApp } from '../../test/test-app.ts';
import { offerOf, sendingPeer, waitFor } from '../test-peers.ts';
import { ffmpegRtp, probe } from './test-ffmpeg.ts';

/**
 * The whole path: ffmpeg encodes H.264 + Opus in real time, a werift peer publishes it over
 * WHIP, the relay hands the RTP to the packager, players read HLS over HTTP; then the show
 * ends and its replay, chapters and thumbnail are checked, and deleting the show deletes them.
 */

const SEGMENT = 1;
const PART = 0.25;

type Publisher = ReturnType<typeof sendingPeer>;

/** Polls `get` until `ok` holds for what it returns. */
async function until<T>(get: () => Promise<T>, ok: (v: T) => boolean, what: string, ms = 10_000) {
  const started = Date.now();
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const extinfs = (playlist: string) =>
  [...playlist.matchAll(/#EXTINF:([\d.]+),/g)].map((m) => Number(m[1]));

describe('HLS live, recording and replay', () => {
  let t: TestApp;
  let host: TestUser;
  const scratch = mkdtempSync(path.join(tmpdir(), 'cunbo-hls-test-'));
  const publishers: Publisher[] = [];

  beforeAll(async () => {
    t = await createTestApp({
      hls: {
        segmentSeconds: SEGMENT,
        partSeconds: PART,
        thumbnailSeconds: 5,
        ffmpegPath: 'ffmpeg',
      },
    });
    host = (await sellerWithShop(t.app)).seller;
  });
  afterAll(async () => {
    await Promise.all(publishers.map((p) => p.close()));
    await t.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  const get = (url: string) => t.app.inject({ method: 'GET', url });
  const liveView = async (id: string) => (await get(`/api/v1/lives/${id}`)).json().live;

  async function publish(liveId: string): Promise<Publisher> {
    const publisher = sendingPeer();
    publishers.push(publisher);
    const { pc } = publisher;
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/lives/${liveId}/whip`,
      headers: { 'content-type': 'application/sdp', ...host.auth },
      payload: await offerOf(pc),
    });
    expect(res.statusCode).toBe(201);
    await pc.setRemoteDescription({ type: 'answer', sdp: res.body });
    await waitFor(() => pc.connectionState === 'connected', 'the publisher connected');
    return publisher;
  }

  /** ffmpeg publishes through `publisher` for `seconds`; resolves with when media flowed. */
  async function stream(publisher: Publisher, seconds: number) {
    let first = 0;
    let last = 0;
    const source = await ffmpegRtp(
      (kind, packet) => {
        last = Date.now();
        first ||= last;
        publisher.write(kind, packet);
      },
      { seconds, gop: 30 },
    );
    return { source, times: () => ({ first, last }) };
  }

  it('serves low-latency HLS while live, then a VOD replay with chapters, and deletes it all', async () => {
    const apples = await createProduct(t.app, host, { title: 'Apples' });
    const pears = await createProduct(t.app, host, { title: 'Pears' });
    const live = await createLive(t.app, host, [apples.id, pears.id]);
    expect((await liveView(live.id)).playback).toEqual({
      whep: `/api/v1/lives/${live.id}/whep`,
      hls: null,
    });
    expect((await get(`/api/v1/lives/${live.id}/hls/live.m3u8`)).statusCode).toBe(404);

    const publisher = await publish(live.id);
    const { source, times } = await stream(publisher, 6);
    await waitFor(() => times().first > 0, 'RTP from ffmpeg');

    // playback.hls appears once there is something to play.
    let view = await until(
      () => liveView(live.id),
      (v) => !!v.playback.hls,
      'playback.hls',
    );
    expect(view.playback.hls).toBe(`/api/v1/lives/${live.id}/hls/live.m3u8`);
    const base = `/api/v1/lives/${live.id}/hls`;

    // The host pins two products during the show.
    await new Promise((r) => setTimeout(r, 1000));
    const pinApples = Date.now();
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/lives/${live.id}/pin`,
      headers: host.auth,
      payload: { productId: apples.id },
    });
    const pinnedApples = Date.now();

    // Two complete segments, then the playlist's shape and headers.
    const res = await until(
      () => get(view.playback.hls),
      (r) => extinfs(r.body).length >= 2,
      'two segments in the live playlist',
    );
    const playlist = res.body;
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/vnd.apple.mpegurl');
    expect(res.headers['cache-control']).toBe('public, max-age=1');
    expect(playlist).toMatch(/^#EXTM3U\n/);
    expect(playlist).toContain('#EXT-X-TARGETDURATION:1\n');
    expect(playlist).toContain('#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.750');
    expect(playlist).toContain('#EXT-X-PART-INF:PART-TARGET=0.250\n');
    expect(playlist).toContain('#EXT-X-MAP:URI="init-0.mp4"');
    expect(playlist).toMatch(
      /#EXT-X-PART:DURATION=0\.2\d\d,URI="part-\d+\.0\.m4s",INDEPENDENT=YES/,
    );
    expect(playlist).not.toContain('#EXT-X-ENDLIST');
    for (const d of extinfs(playlist)) expect(d).toBeCloseTo(SEGMENT, 1);

    // A segment with its init is H.264 + Opus of the configured length; cached for good.
    const segment = await get(`${base}/seg-0.m4s`);
    const init = await get(`${base}/init-0.mp4`);
    expect(segment.headers['content-type']).toBe('video/iso.segment');
    expect(segment.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(init.headers['content-type']).toBe('video/mp4');
    expect(init.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const probed = await probe(path.join(scratch, 'seg0.mp4'), init.rawPayload, segment.rawPayload);
    expect(probed.streams.map((s) => s.codec_name).sort()).toEqual(['h264', 'opus']);
    expect(probed.duration).toBeGreaterThan(0.8);
    expect(probed.duration).toBeLessThan(1.3);

    // Blocking reload: ask for the part the preload hint names; the answer waits for it.
    const fresh = (await get(view.playback.hls)).body;
    const [, msn, index] = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-(\d+)\.(\d+)\.m4s"/.exec(
      fresh,
    )!;
    const [blocked, hinted] = await Promise.all([
      get(`${view.playback.hls}?_HLS_msn=${msn}&_HLS_part=${index}`),
      get(`${base}/part-${msn}.${index}.m4s`),
    ]);
    expect(blocked.statusCode).toBe(200);
    expect(blocked.headers['cache-control']).toBe('public, max-age=6');
    expect(blocked.body).toMatch(new RegExp(`part-${msn}\\.${index}\\.m4s|seg-${msn}\\.m4s`));
    if (hinted.statusCode === 200) {
      // A part is a moof + mdat.
      expect(hinted.rawPayload.subarray(4, 8).toString()).toBe('moof');
      expect(hinted.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    } else {
      // The segment ended just before that part: the hint was for a part that never came.
      expect(hinted.statusCode).toBe(404);
      expect(hinted.headers['cache-control']).toBe('no-store');
    }
    const tooFar = await get(`${view.playback.hls}?_HLS_msn=${Number(msn) + 50}`);
    expect(tooFar.statusCode).toBe(400);

    // Not deletable while live.
    const deleteLive = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/lives/${live.id}`,
      headers: host.auth,
    });
    expect(deleteLive.statusCode).toBe(409);

    // A thumbnail from the stream.
    const { thumbnailUrl } = await until(
      () => liveView(live.id),
      (v) => !!v.thumbnailUrl,
      'a thumbnail',
    );
    expect(thumbnailUrl).toMatch(new RegExp(`^/api/v1/lives/${live.id}/thumbnail\\.jpg\\?v=\\d+$`));
    const jpeg = await get(thumbnailUrl);
    expect(jpeg.statusCode).toBe(200);
    expect(jpeg.headers['content-type']).toBe('image/jpeg');
    expect([...jpeg.rawPayload.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);

    const pinPears = Date.now();
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/lives/${live.id}/pin`,
      headers: host.auth,
      payload: { productId: pears.id },
    });
    const pinnedPears = Date.now();

    await source.done;
    const { first, last } = times();
    const ended = await t.app.inject({
      method: 'POST',
      url: `/api/v1/lives/${live.id}/end`,
      headers: host.auth,
    });
    expect(ended.statusCode).toBe(200);
    await t.app.services.events.idle();

    // Players still on the live playlist see it end.
    expect((await get(view.playback.hls)).body).toContain('#EXT-X-ENDLIST');

    // The replay: a VOD playlist covering the whole show, chapters at the pins.
    view = await liveView(live.id);
    expect(view.playback).toBeNull();
    expect(view.replay).toMatchObject({ hls: `${base}/replay.m3u8` });
    const vod = await get(view.replay.hls);
    expect(vod.statusCode).toBe(200);
    expect(vod.headers['content-type']).toBe('application/vnd.apple.mpegurl');
    expect(vod.body).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    expect(vod.body).toMatch(/#EXT-X-ENDLIST\n$/);
    const total = extinfs(vod.body).reduce((a, b) => a + b, 0);
    const published = (last - first) / 1000;
    expect(Math.abs(total - published)).toBeLessThan(0.6);
    expect(view.replay.duration).toBeCloseTo(total, 2);

    const firstSegmentAt = Date.parse(/#EXT-X-PROGRAM-DATE-TIME:(\S+)/.exec(vod.body)![1]!);
    expect(Math.abs(firstSegmentAt - first)).toBeLessThan(300);
    expect(view.replay.chapters).toHaveLength(2);
    expect(view.replay.chapters[0]).toMatchObject({ productId: apples.id, title: 'Apples' });
    expect(view.replay.chapters[1]).toMatchObject({ productId: pears.id, title: 'Pears' });
    // Each chapter is where the replay was when the pin request was made.
    const within = (at: number, from: number, to: number) => {
      expect(at).toBeGreaterThanOrEqual((from - firstSegmentAt) / 1000 - 0.05);
      expect(at).toBeLessThanOrEqual((to - firstSegmentAt) / 1000 + 0.05);
    };
    within(view.replay.chapters[0].at, pinApples, pinnedApples);
    within(view.replay.chapters[1].at, pinPears, pinnedPears);

    // Every recorded segment is served and readable.
    const names = [...vod.body.matchAll(/^(seg-\d+\.m4s)$/gm)].map((m) => m[1]!);
    const all = await Promise.all(names.map((n) => get(`${base}/${n}`)));
    const whole = await probe(
      path.join(scratch, 'replay.mp4'),
      init.rawPayload,
      ...all.map((r) => r.rawPayload),
    );
    expect(whole.duration).toBeCloseTo(total, 0);

    // The replay sells: an order from it carries the show.
    const buyer = await registerUser(t.app, 'buyer');
    const ordered = await t.app.inject({
      method: 'POST',
      url: '/api/v1/orders',
      headers: { ...buyer.auth, 'idempotency-key': `replay-${live.id}` },
      payload: orderInput(apples.id, 1, { liveId: live.id }),
    });
    expect(ordered.statusCode).toBe(201);
    expect(ordered.json().order.liveId).toBe(live.id);

    // Deleting the show deletes its recording.
    const dir = path.join(t.config.dataDir, 'media', live.id);
    expect(readdirSync(dir)).toEqual(
      expect.arrayContaining(['init-0.mp4', 'seg-0.m4s', 'replay.m3u8', 'thumbnail.jpg']),
    );
    const { seller: stranger } = await sellerWithShop(t.app);
    const url = `/api/v1/lives/${live.id}`;
    expect((await t.app.inject({ method: 'DELETE', url, headers: stranger.auth })).statusCode).toBe(
      403,
    );
    expect((await t.app.inject({ method: 'DELETE', url })).statusCode).toBe(401);
    const deleted = await t.app.inject({ method: 'DELETE', url, headers: host.auth });
    expect(deleted.statusCode).toBe(204);
    await t.app.services.events.idle();
    expect(existsSync(dir)).toBe(false);
    expect((await get(url)).statusCode).toBe(404);
    expect((await get(`${base}/replay.m3u8`)).statusCode).toBe(404);
    expect((await get(`${base}/seg-0.m4s`)).statusCode).toBe(404);
    // The order stays, without its show.
    const order = await t.app.inject({
      method: 'GET',
      url: `/api/v1/orders/${ordered.json().order.id}`,
      headers: buyer.auth,
    });
    expect(order.json().order.liveId).toBeNull();
  });

  it('records across a reconnect of the host, with a discontinuity, into one replay', async () => {
    const live = await createLive(t.app, host, []);
    // Long enough runs that each one closes at least one segment even on a busy machine.
    const first = await publish(live.id);
    const one = await stream(first, 4);
    await one.source.done;
    // The host's connection is replaced (a reconnect after a blip).
    const second = await publish(live.id);
    const two = await stream(second, 4);
    await two.source.done;
    await t.app.inject({ method: 'POST', url: `/api/v1/lives/${live.id}/end`, headers: host.auth });
    await t.app.services.events.idle();

    const view = await liveView(live.id);
    expect(view.replay).not.toBeNull();
    const vod = (await get(view.replay.hls)).body;
    expect(vod.match(/#EXT-X-DISCONTINUITY\n/g)).toHaveLength(1);
    expect(vod).toContain('#EXT-X-ENDLIST');
    const total = extinfs(vod).reduce((a, b) => a + b, 0);
    const published =
      (one.times().last - one.times().first + two.times().last - two.times().first) / 1000;
    expect(Math.abs(total - published)).toBeLessThan(0.8);
    expect(view.replay.duration).toBeCloseTo(total, 2);
  });

  it('has no replay for a show that was never published', async () => {
    const live = await createLive(t.app, host, []);
    await t.app.inject({ method: 'POST', url: `/api/v1/lives/${live.id}/end`, headers: host.auth });
    await t.app.services.events.idle();
    const view = await liveView(live.id);
    expect(view.replay).toBeNull();
    expect(view.thumbnailUrl).toBeNull();
    expect((await get(`/api/v1/lives/${live.id}/hls/replay.m3u8`)).statusCode).toBe(404);
    // Deleting an ended show without media works too.
    const deleted = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/lives/${live.id}`,
      headers: host.auth,
    });
    expect(deleted.statusCode).toBe(204);
  });
});
