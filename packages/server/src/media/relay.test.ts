import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtcpSrPacket } from 'werift';
import {
  MediaTestBed,
  offerOf,
  payloadNumber,
  postOffer,
  restartOverPatch,
  TestViewer,
  waitFor,
} from './test-peers.ts';

/** Real WebRTC over loopback: werift peers on both sides of a listening app. */
describe('media relay: forwarding', () => {
  const bed = new MediaTestBed();
  beforeAll(() => bed.start());
  afterAll(() => bed.close());

  /** Sequence numbers must step by one (retransmitted duplicates aside). */
  function expectContiguous(seqs: number[]) {
    const unique = seqs.filter((s, i) => seqs.indexOf(s) === i);
    for (let i = 1; i < unique.length; i++) expect(unique[i]).toBe((unique[i - 1]! + 1) & 0xffff);
  }

  it('fans one publisher out to two viewers, each with its own SSRC and numbering, starting at a keyframe', async () => {
    const live = await bed.startLive();
    const { publisher } = await bed.publish(live.id, live.streamKey);
    await waitFor(() => bed.statesOf(live.id).includes('live'), 'stream live');

    const plisBefore = publisher.plis;
    const { viewer: a } = await bed.watch(live.id);
    await waitFor(() => publisher.plis > plisBefore, 'PLI at the publisher after a viewer joined');
    const { viewer: b } = await bed.watch(live.id);
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
    // All of it through the relay's own send path (viewer-sender.ts), none through werift's.
    expect(bed.t.app.media.stats(live.id).lives[live.id]!.slowSends).toBe(0);
    // On sockets connected to each viewer from the first packet on (udp-path.ts).
    expect(bed.t.app.media.stats(live.id).lives[live.id]!.addressedSends).toBe(0);
  });

  it('keeps delivering to a viewer after an ICE restart over PATCH', async () => {
    const live = await bed.startLive();
    await bed.publish(live.id, live.streamKey);
    const { viewer, location } = await bed.watch(live.id);
    await waitFor(() => viewer.received.video.length >= 10, 'media before the restart');
    const stats = () => bed.t.app.media.stats(live.id).lives[live.id]!;
    expect(stats().addressedSends).toBe(0);
    await restartOverPatch(bed.base, location, viewer.pc);
    const before = viewer.received.video.length;
    await waitFor(() => viewer.received.video.length >= before + 20, 'media after the restart');
    // The new pair may be on the same socket (unpinned by the restart, then held off) or on
    // another one (pinned at once): either way the relay's path delivers.
  });

  // A receiver lines audio and video up by their sender reports: a report whose clock is off
  // by a second makes it hold the picture back by hundreds of milliseconds (it did so for
  // Chromium viewers, whose AES-CM packets went through werift's path: see `srtp`).
  for (const srtp of ['any', 'aes-cm'] as const) {
    it(`sends viewers sender reports whose NTP time is the wall clock (audio/video sync; SRTP ${srtp})`, async () => {
      const live = await bed.startLive();
      await bed.publish(live.id, live.streamKey);
      const slowBefore = bed.t.app.media.stats(live.id).lives[live.id]!.slowSends;
      const { viewer } = await bed.watch(live.id, 'H264', srtp);
      const offsets: number[] = [];
      for (const kind of ['audio', 'video'] as const)
        viewer.transceivers[kind].receiver.onRtcp.subscribe((rtcp) => {
          if (!(rtcp instanceof RtcpSrPacket)) return;
          const ntp = rtcp.senderInfo.ntpTimestamp;
          const ms = (Number(ntp >> 32n) + Number(ntp & 0xffffffffn) / 2 ** 32) * 1000;
          offsets.push(Date.now() - (ms - 2_208_988_800_000));
        });
      await waitFor(() => offsets.length >= 4, 'four sender reports', 10_000);
      // The time of the last packet sent before each report: a few tens of ms behind at most.
      // werift's own clock is right to the second only (viewer-sender.ts, `ntpNow`).
      for (const offset of offsets) {
        expect(offset).toBeGreaterThanOrEqual(-5);
        expect(offset).toBeLessThan(150);
      }
      // The relay took the DTLS server's side (peer.ts), so that it, not the viewer, picks.
      expect(viewer.pc.remoteDescription!.sdp).toMatch(/^a=setup:passive\r?$/m);
      // Both profiles take the relay's own path, none werift's.
      expect(bed.t.app.media.stats(live.id).lives[live.id]!.slowSends - slowBefore).toBe(0);
    });
  }

  it('lets a viewer who came early start at the first keyframe once the host goes on air', async () => {
    const live = await bed.startLive();
    const { viewer } = await bed.watch(live.id);
    await new Promise((r) => setTimeout(r, 100));
    expect(viewer.received.video).toHaveLength(0);
    await bed.publish(live.id, live.streamKey);
    await waitFor(() => viewer.received.video.length >= 10, 'media after the host arrived');
    expect(viewer.received.video[0]!.payload[0]).toBe(0x65);
  });

  it('answers a viewer NACK with a retransmission to that viewer only', async () => {
    const live = await bed.startLive();
    await bed.publish(live.id, live.streamKey);
    const { viewer: a } = await bed.watch(live.id);
    const { viewer: b } = await bed.watch(live.id);
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

  it('forwards viewers\u2019 keyframe requests to the publisher, at most one per 500 ms', async () => {
    const live = await bed.startLive();
    const { publisher } = await bed.publish(live.id, live.streamKey);
    const { viewer } = await bed.watch(live.id);
    await waitFor(() => viewer.received.video.length >= 10, 'media');
    await new Promise((r) => setTimeout(r, 600)); // past the PLI of the join
    const before = publisher.plis;
    for (let i = 0; i < 3; i++) await viewer.pli(viewer.announcedVideoSsrc());
    await waitFor(() => publisher.plis === before + 1, 'the first request forwarded at once');
    await new Promise((r) => setTimeout(r, 800));
    // The two others became one more, half a second later.
    expect(publisher.plis).toBe(before + 2);
  });

  it('relays VP8 when that is what the host sends', async () => {
    const live = await bed.startLive();
    await bed.publish(live.id, live.streamKey, 'VP8');
    const { viewer } = await bed.watch(live.id, 'VP8');
    await waitFor(() => viewer.received.video.length >= 10, 'VP8 media');
    expect(viewer.received.video[0]!.payload.subarray(0, 2)).toEqual(Buffer.from([0x10, 0x00]));
    // A viewer that cannot decode VP8 is told so instead of getting a black screen.
    const h264Only = new TestViewer('H264');
    bed.track(h264Only);
    const res = await postOffer(
      `${bed.base}/api/v1/lives/${live.id}/whep`,
      await offerOf(h264Only.pc),
    );
    expect(res.status).toBe(422);
    expect(JSON.parse(res.body).error.code).toBe('UNSUPPORTED_CODEC');
  });
});
