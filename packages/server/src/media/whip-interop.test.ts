import type { AddressInfo } from 'node:net';
import { WHIPClient } from '@eyevinn/whip-web-client';
import {
  MediaStream,
  MediaStreamTrack,
  RtcpPayloadSpecificFeedback,
  RtpHeader,
  RtpPacket,
  RTCPeerConnection,
  useSdesMid,
  useTransportWideCC,
} from 'werift';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvents } from '../lib/domain-events.ts';
import { sellerWithShop } from '../test/factories.ts';
import { createTestApp, type TestApp } from '../test/test-app.ts';
import { offerOf, peerCodecs, postOffer, TestViewer, videoPayload, waitFor } from './test-peers.ts';

/**
 * Interop with a WHIP client this project did not write: Eyevinn's @eyevinn/whip-web-client
 * (the browser SDK of Eyevinn's WHIP server), doing its own signalling (OPTIONS, POST with
 * the stream key as bearer, Location, DELETE) over a werift peer connection in place of the
 * browser's. Chromium publishing through the studio page is for the browser tests.
 */
describe('WHIP interop', () => {
  let t: TestApp;
  let base: string;
  let live: { id: string; streamKey: string };
  const states: Array<DomainEvents['live.stream']> = [];

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    const { seller } = await sellerWithShop(t.app);
    live = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/lives',
        headers: seller.auth,
        payload: { title: 'Honey' },
      })
    ).json().live;
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/lives/${live.id}/start`,
      headers: seller.auth,
    });
    t.app.services.events.on('live.stream', (e) => void states.push(e));
  });
  afterAll(async () => t.close());

  it('publishes from @eyevinn/whip-web-client with the stream key, to a viewer, and stops on its DELETE', async () => {
    let pc: RTCPeerConnection | undefined;
    const client = new WHIPClient({
      endpoint: `${base}/api/v1/lives/${live.id}/whip`,
      opts: { authkey: live.streamKey, iceServers: [], timeout: 300 },
      peerConnectionFactory: (configuration) => {
        pc = new RTCPeerConnection({
          ...(configuration as object),
          codecs: peerCodecs('H264'),
          headerExtensions: {
            audio: [useSdesMid(), useTransportWideCC()],
            video: [useSdesMid(), useTransportWideCC()],
          },
        });
        return pc as never;
      },
    });
    const audio = new MediaStreamTrack({ kind: 'audio' });
    const video = new MediaStreamTrack({ kind: 'video' });
    await client.ingest(new MediaStream([audio, video]) as never);
    const resource = await client.getResourceUrl();
    expect(resource).toMatch(new RegExp(`^${base}/api/v1/lives/${live.id}/whip/`));
    await waitFor(() => pc?.connectionState === 'connected', 'the client connected');

    let keyframeDue = true;
    const videoTransceiver = pc!.getTransceivers().find((x) => x.kind === 'video')!;
    videoTransceiver.sender.onPictureLossIndication.subscribe(() => (keyframeDue = true));
    // The client offered sendrecv (addTrack), so werift routes our PLI, whose sender SSRC is
    // the one our answer announced, to its receiver instead of its sender.
    videoTransceiver.receiver.onRtcp.subscribe((rtcp) => {
      if (rtcp instanceof RtcpPayloadSpecificFeedback) keyframeDue = true;
    });
    let n = 0;
    const timer = setInterval(() => {
      video.writeRtp(
        new RtpPacket(
          new RtpHeader({ sequenceNumber: n & 0xffff, timestamp: n * 3000, marker: true }),
          videoPayload('H264', keyframeDue, n),
        ),
      );
      keyframeDue = false;
      n++;
    }, 10);
    try {
      const viewer = new TestViewer();
      const res = await postOffer(`${base}/api/v1/lives/${live.id}/whep`, await offerOf(viewer.pc));
      await viewer.pc.setRemoteDescription({ type: 'answer', sdp: res.body });
      await waitFor(
        () => viewer.received.video.length >= 20,
        'video from the third-party publisher at a viewer',
      );
      expect(viewer.received.video[0]!.payload[0]).toBe(0x65);
      expect(
        (await fetch(`${base}${res.headers.get('location')}`, { method: 'DELETE' })).status,
      ).toBe(200);
      await viewer.close();

      await client.destroy();
      await waitFor(
        () => states.some((s) => s.liveId === live.id && s.state === 'offline'),
        'the stream offline',
      );
      expect(states.filter((s) => s.liveId === live.id).map((s) => s.state)).toEqual([
        'live',
        'offline',
      ]);
      expect(t.app.media.stats(live.id).sessions).toBe(0);
    } finally {
      clearInterval(timer);
      await pc?.close();
    }
  });
});
