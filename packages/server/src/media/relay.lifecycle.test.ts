import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_WEBRTC } from '../config.ts';
import { createPeerConnection, PeerSession, restartConnectivityChecks } from './peer.ts';
import { DEFAULT_RELAY_OPTIONS, LiveRelay } from './relay.ts';
import { narrowOffer } from './sdp.ts';
import { MediaTestBed, offerOf, restartOverPatch, TestPublisher, waitFor } from './test-peers.ts';

/** The publisher's life: replaced, ICE-restarted, silent, gone; the show ending. */
describe('media relay: publisher lifecycle', () => {
  const bed = new MediaTestBed();
  beforeAll(() => bed.start());
  afterAll(() => bed.close());

  it('lets a reconnecting host replace their stale publisher without a jump in the viewers\u2019 numbering', async () => {
    const live = await bed.startLive();
    const first = await bed.publish(live.id, live.streamKey);
    const { viewer } = await bed.watch(live.id);
    await waitFor(() => viewer.received.video.length >= 20, 'media from the first publisher');
    first.publisher.stop();
    await new Promise((r) => setTimeout(r, 300)); // its last packets land first
    const before = viewer.received.video.length;
    const lastSeq = viewer.received.video[before - 1]!.header.sequenceNumber;

    const second = await bed.publish(live.id, live.streamKey, 'H264');
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
    expect((await fetch(`${bed.base}${first.location}`, { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(`${bed.base}${second.location}`, { method: 'DELETE' })).status).toBe(200);
    await waitFor(() => bed.statesOf(live.id).includes('offline'), 'stream offline');
    const seen = bed.statesOf(live.id);
    expect(seen).toEqual(['live', 'reconnecting', 'live', 'offline']);
  });

  it('keeps the stream going through an ICE restart over PATCH', async () => {
    const live = await bed.startLive();
    const { publisher, location } = await bed.publish(live.id, live.streamKey);
    const { viewer } = await bed.watch(live.id);
    await waitFor(() => viewer.received.video.length >= 10, 'media before the restart');
    const { previousAnswer, fragment } = await restartOverPatch(bed.base, location, publisher.pc);
    expect(/a=ice-ufrag:(\S+)/.exec(fragment)![1]).not.toBe(
      /a=ice-ufrag:(\S+)/.exec(previousAnswer)![1],
    );
    restartConnectivityChecks(publisher.pc); // the werift client has the same restart bug as the server

    const before = viewer.received.video.length;
    await waitFor(() => viewer.received.video.length >= before + 30, 'media after the restart');
    expect(publisher.pc.connectionState).toBe('connected');
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
    bed.track(publisher);
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
    const live = await bed.startLive();
    await bed.publish(live.id, live.streamKey);
    const { location } = await bed.watch(live.id);
    expect(bed.t.app.media.stats(live.id).lives[live.id]).toMatchObject({
      viewers: 1,
      hasPublisher: true,
    });
    await bed.endLive(live.id);
    await waitFor(
      () => bed.t.app.media.stats(live.id).lives[live.id] === undefined,
      'relay closed',
    );
    expect((await fetch(`${bed.base}${location}`, { method: 'DELETE' })).status).toBe(404);
    expect(bed.statesOf(live.id).at(-1)).toBe('offline');
  });
});
