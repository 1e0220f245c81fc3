import { readdirSync } from 'node:fs';
import { RtpHeader, RtpPacket } from 'werift';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MediaTestBed,
  offerOf,
  payloadNumber,
  postOffer,
  restartOverPatch,
  TestViewer,
  videoPayload,
  waitFor,
} from '../test-peers.ts';

const threads = () => readdirSync('/proc/self/task').length;

/** MEDIA_WORKERS=2: the viewers' peer connections in worker threads, real WebRTC over loopback. */
describe('media relay: viewers in worker threads', () => {
  const bed = new MediaTestBed();
  beforeAll(async () => {
    await bed.start({
      webrtc: { viewersPerLive: 10, viewersPerNode: 3, stunUrls: [], workers: 2 },
    });
  });
  afterAll(() => bed.close());

  const pool = () => bed.t.app.media.workers!;
  const leave = async (...locations: string[]) => {
    for (const l of locations) await fetch(`${bed.base}${l}`, { method: 'DELETE' });
  };

  it('sends decrypted audio and video through the workers, spreading viewers over them, with a PLI on join', async () => {
    const live = await bed.startLive();
    const { publisher } = await bed.publish(live.id, live.streamKey);
    await waitFor(() => bed.statesOf(live.id).includes('live'), 'stream live');

    const plisBefore = publisher.plis;
    const a = await bed.watch(live.id);
    await waitFor(() => publisher.plis > plisBefore, 'PLI at the publisher after a viewer joined');
    const b = await bed.watch(live.id);
    // Each on its own worker: the least-loaded one takes the next viewer.
    const [ida, idb] = [a.location, b.location].map((l) => l.split('/').pop()!);
    expect(new Set([pool().workerOf(ida!), pool().workerOf(idb!)])).toEqual(new Set([0, 1]));
    expect(pool().load()).toEqual([1, 1]);

    await waitFor(
      () =>
        [a.viewer, b.viewer].every(
          (v) => v.received.video.length >= 40 && v.received.audio.length >= 10,
        ),
      'media at both viewers',
    );
    for (const { viewer } of [a, b]) {
      // werift's receiver authenticated and decrypted these: the payloads are the publisher's.
      const video = viewer.received.video;
      expect(video[0]!.payload[0]).toBe(0x65);
      expect(new Set(video.map((p) => p.header.ssrc))).toEqual(
        new Set([viewer.announcedVideoSsrc()]),
      );
      const numbers = video.map((p) => payloadNumber(p.payload));
      for (let i = 1; i < numbers.length; i++) expect(numbers[i]).toBe(numbers[i - 1]! + 1);
      expect(viewer.received.audio[0]!.payload).toHaveLength(80);
    }
    const stats = await pool().stats();
    expect(stats.connectedViewers).toBe(2);
    expect(stats.slowSends).toBe(0);
    // On sockets connected to each viewer (udp-path.ts).
    expect(stats.addressedSends).toBe(0);
    expect(stats.lagDrops).toBe(0);
    expect(bed.t.app.media.stats(live.id).lives[live.id]!.connectedViewers).toBe(2);
    await leave(a.location, b.location);
  });

  it('answers a viewer NACK from its worker, to that viewer only, and forwards its PLI', async () => {
    const live = await bed.startLive();
    const { publisher } = await bed.publish(live.id, live.streamKey);
    const { viewer: a, location: la } = await bed.watch(live.id);
    const { viewer: b, location: lb } = await bed.watch(live.id);
    await waitFor(
      () => a.received.video.length >= 20 && b.received.video.length >= 20,
      'media at both viewers',
    );
    const lost = a.received.video[a.received.video.length - 5]!;
    const frame = payloadNumber(lost.payload);
    const copies = (v: TestViewer) =>
      v.received.video.filter((p) => payloadNumber(p.payload) === frame);
    await a.nack(a.announcedVideoSsrc(), [lost.header.sequenceNumber]);
    await waitFor(() => copies(a).length === 2, 'the retransmission at the viewer that asked');
    expect(copies(a)[1]!.header.sequenceNumber).toBe(lost.header.sequenceNumber);
    await new Promise((r) => setTimeout(r, 200));
    expect(copies(b)).toHaveLength(1);

    await new Promise((r) => setTimeout(r, 600)); // past the PLI of the joins
    const before = publisher.plis;
    await b.pli(b.announcedVideoSsrc());
    await waitFor(() => publisher.plis > before, 'the viewer\u2019s PLI at the publisher');
    await leave(la, lb);
  });

  it('takes PATCH (ICE restart) and DELETE to the worker that holds the viewer', async () => {
    const live = await bed.startLive();
    await bed.publish(live.id, live.streamKey);
    const { viewer, location } = await bed.watch(live.id);
    const id = location.split('/').pop()!;
    await waitFor(() => viewer.received.video.length >= 10, 'media before the restart');
    const { fragment } = await restartOverPatch(bed.base, location, viewer.pc);
    expect(fragment).toMatch(/a=ice-ufrag:/);
    const before = viewer.received.video.length;
    await waitFor(() => viewer.received.video.length >= before + 20, 'media after the restart');

    const worker = pool().workerOf(id)!;
    const loadBefore = pool().load()[worker]!;
    expect((await fetch(`${bed.base}${location}`, { method: 'DELETE' })).status).toBe(200);
    expect(pool().workerOf(id)).toBeUndefined();
    expect(pool().load()[worker]).toBe(loadBefore - 1);
    // Its worker closed the peer: nothing more arrives.
    await new Promise((r) => setTimeout(r, 300));
    const stopped = viewer.received.video.length;
    await new Promise((r) => setTimeout(r, 500));
    expect(viewer.received.video.length).toBe(stopped);
    expect((await fetch(`${bed.base}${location}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('keeps the per-node limit exact: the 503 sends the player to HLS', async () => {
    expect(bed.t.app.media.stats().viewers).toBe(0);
    const live = await bed.startLive();
    const watching = [];
    for (let i = 0; i < 3; i++) watching.push(await bed.watch(live.id));
    const extra = bed.track(new TestViewer());
    const res = await postOffer(
      `${bed.base}/api/v1/lives/${live.id}/whep`,
      await offerOf(extra.pc),
    );
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('30');
    expect(JSON.parse(res.body).error.details).toMatchObject({ fallback: 'hls', limit: 'node' });
    await leave(...watching.map((w) => w.location));
    expect(bed.t.app.media.stats().viewers).toBe(0);
  });

  it('closes the worker viewers when the show ends', async () => {
    const live = await bed.startLive();
    await bed.publish(live.id, live.streamKey);
    const { viewer } = await bed.watch(live.id);
    await waitFor(() => viewer.received.video.length >= 5, 'media');
    await bed.endLive(live.id);
    await waitFor(
      () =>
        pool()
          .load()
          .every((n) => n === 0),
      'no viewer left in the workers',
    );
    expect((await pool().stats()).viewers).toBe(0);
    expect(bed.t.app.media.stats().viewers).toBe(0);
  });

  it('starts a viewer in a worker with an RTMP encoder\u2019s cached GOP, not waiting for the next keyframe', async () => {
    const live = await bed.startLive();
    const codecs = {
      video: {
        kind: 'video' as const,
        name: 'H264',
        payloadType: 96,
        clockRate: 90000,
        fmtp: 'profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1',
      },
    };
    const packet = (n: number, keyframe: boolean) =>
      new RtpPacket(
        new RtpHeader({
          sequenceNumber: 100 + n,
          timestamp: n * 3000,
          marker: true,
          payloadType: 96,
          ssrc: 4242,
        }),
        videoPayload('H264', keyframe, n),
      );
    const gop = [packet(0, true), packet(1, false), packet(2, false)];
    let keyframeRequests = 0;
    const encoder = await bed.t.app.media.publishExternal(live.streamKey, codecs, {
      keyframeCache: () => gop,
      requestKeyframe: () => void keyframeRequests++,
      close: () => undefined,
    });
    for (const p of gop) encoder!.push('video', p);
    const { viewer, location } = await bed.watch(live.id);
    await waitFor(() => viewer.received.video.length >= 3, 'the cached GOP at the viewer');
    expect(viewer.received.video.slice(0, 3).map((p) => payloadNumber(p.payload))).toEqual([
      0, 1, 2,
    ]);
    // Live packets follow the replay in order.
    for (let n = 3; n < 6; n++) encoder!.push('video', packet(n, false));
    await waitFor(() => viewer.received.video.length >= 6, 'live packets after the replay');
    expect(viewer.received.video.map((p) => payloadNumber(p.payload))).toEqual([0, 1, 2, 3, 4, 5]);
    await leave(location);
    encoder!.stop();
  });

  it('drops a crashed worker\u2019s viewers, counts them out and starts a new worker', async () => {
    const live = await bed.startLive();
    await bed.publish(live.id, live.streamKey);
    const { location } = await bed.watch(live.id);
    const id = location.split('/').pop()!;
    const worker = pool().workerOf(id)!;
    const restarts = pool().restarts;
    pool().crashForTest(worker);
    await waitFor(() => pool().restarts === restarts + 1, 'a new worker');
    expect(bed.t.app.media.stats().viewers).toBe(0);
    expect((await fetch(`${bed.base}${location}`, { method: 'DELETE' })).status).toBe(404);
    // The new worker serves viewers.
    const again = await bed.watch(live.id);
    await waitFor(() => again.viewer.received.video.length >= 5, 'media after the restart');
    await leave(again.location);
  });

  it('leaves no thread behind on shutdown', async () => {
    const running = threads();
    expect(pool().threadIds()).toHaveLength(2);
    await bed.close();
    await waitFor(() => threads() <= running - 2, 'the two worker threads gone', 10_000);
    bed.close = async () => undefined; // closed here already
  });
});
