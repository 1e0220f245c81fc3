import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi, startServerProcess, type ServerProcess } from '../test/process-harness.ts';
import { createTestDatabase } from '../test/test-app.ts';
import { ffmpegRtp, type FfmpegRtpSource } from './hls/test-ffmpeg.ts';
import { offerOf, postOffer, sendingPeer, TestViewer, waitFor } from './test-peers.ts';

/**
 * Two real server processes on one PostgreSQL and one Redis, as behind a load balancer: the
 * host publishes to one, a viewer asks the other, and still watches over WebRTC and HLS,
 * because the other process passes the show's media requests on (media-routing.ts).
 */
const redisUrl = process.env.TEST_REDIS_URL;
const databaseUrl = process.env.TEST_DATABASE_URL;

describe.runIf(redisUrl && databaseUrl)(
  'a show published to one process, watched on another',
  () => {
    let database: Awaited<ReturnType<typeof createTestDatabase>>;
    let a: ServerProcess;
    let b: ServerProcess;
    let publisher: ReturnType<typeof sendingPeer> | null = null;
    let source: FfmpegRtpSource | null = null;
    const viewers: TestViewer[] = [];

    beforeAll(async () => {
      database = await createTestDatabase();
      const env = {
        DATABASE_URL: database!.url,
        REDIS_URL: redisUrl,
        RTMP_PORT: '0',
        HLS_SEGMENT_SECONDS: '1',
        HLS_PART_SECONDS: '0.25',
      };
      a = await startServerProcess({ env });
      b = await startServerProcess({ env });
    }, 120_000);

    afterAll(async () => {
      await source?.stop();
      await Promise.all(viewers.map((v) => v.close()));
      await publisher?.close();
      await Promise.all([a?.stop(), b?.stop()]);
      await database?.drop();
    });

    it('serves WHEP and live HLS from the publisher’s process, whichever process is asked', async () => {
      const seller = await callApi<{ token: string }>(a, 'POST', '/auth/register', {
        email: `routing-${Date.now()}@two.test`,
        password: 'correct horse battery',
        displayName: 'Farmer',
        role: 'seller',
      });
      const auth = { authorization: `Bearer ${seller.body.token}` };
      await callApi(a, 'PUT', '/shop', { name: 'Two Farms', regionCode: '370783' }, auth);
      const created = await callApi<{ live: { id: string; streamKey: string } }>(
        a,
        'POST',
        '/lives',
        { title: 'Apples, two ways' },
        auth,
      );
      const live = created.body.live;
      await callApi(a, 'POST', `/lives/${live.id}/start`, undefined, auth);

      // The host publishes real H.264 + Opus (ffmpeg) to process A, with the stream key.
      const sending = sendingPeer();
      const { pc } = sending;
      publisher = sending;
      const whip = await postOffer(`${a.url}/api/v1/lives/${live.id}/whip`, await offerOf(pc), {
        authorization: `Bearer ${live.streamKey}`,
      });
      expect(whip.status).toBe(201);
      await pc.setRemoteDescription({ type: 'answer', sdp: whip.body });
      await waitFor(() => pc.connectionState === 'connected', 'the publisher connected');
      source = await ffmpegRtp((kind, packet) => sending.write(kind, packet), {
        seconds: 30,
        gop: 30,
      });

      // A viewer asks process B. Its answer comes from A (A's ICE candidates), and media flows.
      const viewer = new TestViewer('H264');
      viewers.push(viewer);
      let whep = await postOffer(`${b.url}/api/v1/lives/${live.id}/whep`, await offerOf(viewer.pc));
      // The publisher's claim reaches Redis right after its first packets: a moment, at most.
      for (let i = 0; whep.status !== 201 && i < 20; i++) {
        await new Promise((r) => setTimeout(r, 250));
        whep = await postOffer(`${b.url}/api/v1/lives/${live.id}/whep`, await offerOf(viewer.pc));
      }
      expect(whep.status).toBe(201);
      const location = whep.headers.get('location')!;
      expect(location).toMatch(new RegExp(`^/api/v1/lives/${live.id}/whep/`));
      await viewer.pc.setRemoteDescription({ type: 'answer', sdp: whep.body });
      await waitFor(() => viewer.pc.connectionState === 'connected', 'the viewer connected');
      await waitFor(
        () => viewer.received.video.length >= 30 && viewer.received.audio.length >= 10,
        'video and audio at the viewer',
        20_000,
      );

      // Live HLS through B: the playlist, and a segment byte for byte as A serves it.
      const hls = `/api/v1/lives/${live.id}/hls`;
      let playlist = '';
      for (let i = 0; i < 80 && !/seg-\d+\.m4s/.test(playlist); i++) {
        const res = await fetch(`${b.url}${hls}/live.m3u8`);
        playlist = res.status === 200 ? await res.text() : '';
        if (!/seg-\d+\.m4s/.test(playlist)) await new Promise((r) => setTimeout(r, 250));
      }
      expect(playlist).toMatch(/^#EXTM3U/);
      const segment = /^(seg-\d+\.m4s)$/m.exec(playlist)![1]!;
      const [viaB, fromA] = await Promise.all(
        [b, a].map(async (server) => {
          const res = await fetch(`${server.url}${hls}/${segment}`);
          expect(res.status).toBe(200);
          expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
          return Buffer.from(await res.arrayBuffer());
        }),
      );
      expect(viaB!.length).toBeGreaterThan(1000);
      expect(viaB!.equals(fromA!)).toBe(true);

      // Leaving through B ends the session on A: it is gone from both.
      const left = await fetch(`${b.url}${location}`, { method: 'DELETE' });
      expect(left.status).toBe(200);
      expect((await fetch(`${a.url}${location}`, { method: 'DELETE' })).status).toBe(404);
    }, 90_000);
  },
);
