import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvents } from '../lib/domain-events.ts';
import { sellerWithShop } from '../test/factories.ts';
import { createTestApp, type TestApp } from '../test/test-app.ts';
import { DEFAULT_WEBRTC } from '../config.ts';
import { createPeerConnection, PeerSession, restartConnectivityChecks } from './peer.ts';
import { DEFAULT_RELAY_OPTIONS, LiveRelay } from './relay.ts';
import { narrowOffer } from './sdp.ts';
import {
  answerAfterRestart,
  offerOf,
  payloadNumber,
  postOffer,
  restartFragment,
  TestPublisher,
  TestViewer,
  waitFor,
} from './test-peers.ts';

/** Real WebRTC over loopback: werift peers on both sides of a listening app. */
describe('media relay', () => {
  let t: TestApp;
  let base: string;
  let auth: { authorization: string };
  const states: Array<DomainEvents['live.stream']> = [];
  const peers: Array<TestPublisher | TestViewer> = [];

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    auth = (await sellerWithShop(t.app)).seller.auth;
    t.app.services.events.on('live.stream', (e) => void states.push(e));
  });
  afterAll(async () => {
    await Promise.all(peers.map((p) => p.close()));
    await t.close();
  });

  async function startLive(): Promise<{ id: string; streamKey: string }> {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/lives',
      headers: auth,
      payload: { title: 'Tomato harvest' },
    });
    const live = created.json().live as { id: string; streamKey: string };
    await t.app.inject({ method: 'POST', url: `/api/v1/lives/${live.id}/start`, headers: auth });
    return live;
  }

  async function publish(liveId: string, streamKey: string, codec: 'H264' | 'VP8' = 'H264') {
    const publisher = new TestPublisher(codec);
    peers.push(publisher);
    const res = await postOffer(
      `${base}/api/v1/lives/${liveId}/whip`,
      await offerOf(publisher.pc),
      { authorization: `Bearer ${streamKey}` },
    );
    expect(res.status).toBe(201);
    await publisher.pc.setRemoteDescription({ type: 'answer', sdp: res.body });
    await waitFor(() => publisher.pc.connectionState === 'connected', 'publisher connected');
    publisher.start();
    return { publisher, location: res.headers.get('location')! };
  }

  async function watch(liveId: string, codec: 'H264' | 'VP8' = 'H264') {
    const viewer = new TestViewer(codec);
    peers.push(viewer);
    const res = await postOffer(`${base}/api/v1/lives/${liveId}/whep`, await offerOf(viewer.pc));
    expect(res.status).toBe(201);
    await viewer.pc.setRemoteDescription({ type: 'answer', sdp: res.body });
    await waitFor(() => viewer.pc.connectionState === 'connected', 'viewer connected');
    return { viewer, location: res.headers.get('location')! };
  }

  /** Sequence numbers must step by one (retransmitted duplicates aside). */
  function expectContiguous(seqs: number[]) {
    const unique = seqs.filter((s, i) => seqs.indexOf(s) === i);
    for (let i = 1; i < unique.length; i++) expect(unique[i]).toBe((unique[i - 1]! + 1) & 0xffff);
  }

  it('fans one publisher out to two viewers, each with its own SSRC and numbering, starting at a keyframe', async () => {
    const live = await startLive();
    const { publisher } = await publish(live.id, live.streamKey);
    await waitFor(
      () => states.some((s) => s.liveId === live.id && s.state === 'live'),
      'stream live',
    );

    const plisBefore = publisher.plis;
    const { viewer: a } = await watch(live.id);
    await waitFor(() => publisher.plis > plisBefore, 'PLI at the publisher after a viewer joined');
    const { viewer: b } = await watch(live.id);
    await waitFor(
      () =>
        a.received.video.length >= 40 &&
        b.received.video.length >= 40 &&
        b.received.audio.length >= 10,
      'media at both viewers',
    );

    // The publisher hears how its packets arrived: congestion control has something to go on.
    expect(publisher.twcc.length).toBeGreaterThan(5);
    const reported = publisher.twcc.reduce((n, f) => n + f.packetStatusCount, 0);
    const received = publisher.twcc.reduce((n, f) => n + f.recvDeltas.length, 0);
    expect(reported).toBeGreaterThan(50);
    expect(received / reported).toBeGreaterThan(0.95);

    const publisherSsrc = publisher.videoTransceiver.sender.ssrc;
    for (const v of [a, b]) {
      const video = v.received.video;
      expect(video[0]!.payload[0]).toBe(0x65); // an IDR first: no undecodable frames
      expect(new Set(video.map((p) => p.header.ssrc))).toEqual(new Set([v.announcedVideoSsrc()]));
      expect(v.announcedVideoSsrc()).not.toBe(publisherSsrc);
      expectContiguous(video.map((p) => p.header.sequenceNumber));
      expectContiguous(v.received.audio.map((p) => p.header.sequenceNumber));
      const numbers = video.map((p) => payloadNumber(p.payload));
      for (let i = 1; i < numbers.length; i++) expect(numbers[i]).toBe(numbers[i - 1]! + 1);
    }
    expect(a.announcedVideoSsrc()).not.toBe(b.announcedVideoSsrc());
    // Same frame, different numbering per viewer.
    const frame = payloadNumber(b.received.video[0]!.payload);
    const inA = a.received.video.find((p) => payloadNumber(p.payload) === frame)!;
    expect(inA.header.sequenceNumber).not.toBe(b.received.video[0]!.header.sequenceNumber);
  });

  it('lets a viewer who came early start at the first keyframe once the host goes on air', async () => {
    const live = await startLive();
    const { viewer } = await watch(live.id);
    await new Promise((r) => setTimeout(r, 100));
    expect(viewer.received.video).toHaveLength(0);
    await publish(live.id, live.streamKey);
    await waitFor(() => viewer.received.video.length >= 10, 'media after the host arrived');
    expect(viewer.received.video[0]!.payload[0]).toBe(0x65);
  });

  it('answers a viewer NACK with a retransmission to that viewer only', async () => {
    const live = await startLive();
    await publish(live.id, live.streamKey);
    const { viewer: a } = await watch(live.id);
    const { viewer: b } = await watch(live.id);
    await waitFor(
      () => a.received.video.length >= 20 && b.received.video.length >= 20,
      'media at both viewers',
    );

    const lostPacket = a.received.video[a.received.video.length - 5]!;
    const frame = payloadNumber(lostPacket.payload);
    const copies = (v: TestViewer) =>
      v.received.video.filter((p) => payloadNumber(p.payload) === frame);
    await a.nack(a.announcedVideoSsrc(), [lostPacket.header.sequenceNumber]);
    await waitFor(() => copies(a).length === 2, 'the retransmission at the viewer that asked');
    expect(
      copies(a).every((p) => p.header.sequenceNumber === lostPacket.header.sequenceNumber),
    ).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(copies(b)).toHaveLength(1);
  });

  it('lets a reconnecting host replace their stale publisher without a jump in the viewers\u2019 numbering', async () => {
    const live = await startLive();
    const first = await publish(live.id, live.streamKey);
    const { viewer } = await watch(live.id);
    await waitFor(() => viewer.received.video.length >= 20, 'media from the first publisher');
    first.publisher.stop();
    await new Promise((r) => setTimeout(r, 300)); // its last packets land first
    const before = viewer.received.video.length;
    const lastSeq = viewer.received.video[before - 1]!.header.sequenceNumber;

    const second = await publish(live.id, live.streamKey, 'H264');
    await waitFor(
      () => viewer.received.video.length >= before + 20,
      'media from the second publisher',
    );
    const after = viewer.received.video.slice(before);
    expect(after[0]!.payload[0]).toBe(0x65);
    expect(after[0]!.header.sequenceNumber).toBe((lastSeq + 1) & 0xffff);
    expect(new Set(after.map((p) => p.header.ssrc))).toEqual(
      new Set([viewer.announcedVideoSsrc()]),
    );
    // The first publisher's session is gone; the second one's is the live one.
    expect((await fetch(`${base}${first.location}`, { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(`${base}${second.location}`, { method: 'DELETE' })).status).toBe(200);
    await waitFor(
      () => states.some((s) => s.liveId === live.id && s.state === 'offline'),
      'stream offline',
    );
    const seen = states.filter((s) => s.liveId === live.id).map((s) => s.state);
    expect(seen).toEqual(['live', 'reconnecting', 'live', 'offline']);
  });

  it('keeps the stream going through an ICE restart over PATCH', async () => {
    const live = await startLive();
    const { publisher, location } = await publish(live.id, live.streamKey);
    const { viewer } = await watch(live.id);
    await waitFor(() => viewer.received.video.length >= 10, 'media before the restart');
    const previousAnswer = publisher.pc.remoteDescription!.sdp;

    publisher.pc.restartIce();
    const offer = await offerOf(publisher.pc);
    const res = await fetch(`${base}${location}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/trickle-ice-sdpfrag', 'if-match': '*' },
      body: restartFragment(offer),
    });
    expect(res.status).toBe(200);
    const fragment = await res.text();
    expect(/a=ice-ufrag:(\S+)/.exec(fragment)![1]).not.toBe(
      /a=ice-ufrag:(\S+)/.exec(previousAnswer)![1],
    );
    await publisher.pc.setRemoteDescription({
      type: 'answer',
      sdp: answerAfterRestart(previousAnswer, fragment),
    });
    restartConnectivityChecks(publisher.pc); // the werift client has the same restart bug as the server

    const before = viewer.received.video.length;
    await waitFor(() => viewer.received.video.length >= before + 30, 'media after the restart');
    expect(publisher.pc.connectionState).toBe('connected');
  });

  it('relays VP8 when that is what the host sends', async () => {
    const live = await startLive();
    await publish(live.id, live.streamKey, 'VP8');
    const { viewer } = await watch(live.id, 'VP8');
    await waitFor(() => viewer.received.video.length >= 10, 'VP8 media');
    expect(viewer.received.video[0]!.payload.subarray(0, 2)).toEqual(Buffer.from([0x10, 0x00]));
    // A viewer that cannot decode VP8 is told so instead of getting a black screen.
    const h264Only = new TestViewer('H264');
    peers.push(h264Only);
    const res = await postOffer(`${base}/api/v1/lives/${live.id}/whep`, await offerOf(h264Only.pc));
    expect(res.status).toBe(422);
    expect(JSON.parse(res.body).error.code).toBe('UNSUPPORTED_CODEC');
  });

  it('says reconnecting when the host goes silent, and offline when they do not come back', async () => {
    const seen: string[] = [];
    const gone: string[] = [];
    const quiet = { warn: () => undefined, debug: () => undefined };
    const relay = new LiveRelay(
      'direct',
      {
        onState: (s) => void seen.push(s),
        tap: () => undefined,
        onPeerGone: (id) => void gone.push(id),
        log: quiet,
      },
      { ...DEFAULT_RELAY_OPTIONS, mediaTimeoutMs: 300, giveUpMs: 2000 },
    );
    const publisher = new TestPublisher();
    peers.push(publisher);
    const offer = narrowOffer(await offerOf(publisher.pc), 'publisher');
    const server = new PeerSession(createPeerConnection('publisher', DEFAULT_WEBRTC));
    const answer = await server.answer(offer.sdp);
    relay.setPublisher('p1', server.pc, offer.codecs);
    await publisher.pc.setRemoteDescription({ type: 'answer', sdp: answer });
    await waitFor(() => publisher.pc.connectionState === 'connected', 'publisher connected');
    publisher.start();
    await waitFor(() => seen.includes('live'), 'live');
    publisher.stop();
    await waitFor(() => seen.includes('reconnecting'), 'reconnecting');
    publisher.start();
    await waitFor(() => seen.length === 3, 'live again');
    publisher.stop();
    await waitFor(() => seen.includes('offline'), 'offline');
    expect(seen).toEqual(['live', 'reconnecting', 'live', 'reconnecting', 'offline']);
    expect(gone).toEqual(['p1']);
    await relay.close(true);
  });

  it('closes every peer when the show ends', async () => {
    const live = await startLive();
    await publish(live.id, live.streamKey);
    const { location } = await watch(live.id);
    expect(t.app.media.stats(live.id).lives[live.id]).toMatchObject({
      viewers: 1,
      hasPublisher: true,
    });
    await t.app.inject({ method: 'POST', url: `/api/v1/lives/${live.id}/end`, headers: auth });
    await waitFor(() => t.app.media.stats(live.id).lives[live.id] === undefined, 'relay closed');
    expect((await fetch(`${base}${location}`, { method: 'DELETE' })).status).toBe(404);
    expect(states.filter((s) => s.liveId === live.id).at(-1)?.state).toBe('offline');
  });
});
