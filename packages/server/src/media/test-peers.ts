/**
 * werift peers playing the browser's part in media tests: a publisher that sends synthetic
 * RTP the way an encoder would (keyframes on a timer and on PLI), and viewers that record
 * what they receive. Used by tests only.
 */
import type { AddressInfo } from 'node:net';
import {
  GenericNack,
  MediaStreamTrack,
  PictureLossIndication,
  RTCPeerConnection,
  RtcpPayloadSpecificFeedback,
  RTCRtpCodecParameters,
  RtcpTransportLayerFeedback,
  RtpHeader,
  TransportWideCC,
  RtpPacket,
  ProtectionProfileAes128CmHmacSha1_80,
  useFIR,
  useNACK,
  usePLI,
  useSdesMid,
  useTransportWideCC,
  useTWCC,
  type RTCRtpTransceiver,
} from 'werift';
import type { Config } from '../config.ts';
import type { DomainEvents } from '../lib/domain-events.ts';
import { sellerWithShop } from '../test/factories.ts';
import { createTestApp, type TestApp } from '../test/test-app.ts';

export type VideoCodec = 'H264' | 'VP8';

export function peerCodecs(video: VideoCodec) {
  return {
    audio: [
      new RTCRtpCodecParameters({
        mimeType: 'audio/opus',
        clockRate: 48000,
        channels: 2,
        rtcpFeedback: [useTWCC()],
      }),
    ],
    video: [
      video === 'H264'
        ? new RTCRtpCodecParameters({
            mimeType: 'video/H264',
            clockRate: 90000,
            parameters: 'profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1',
            rtcpFeedback: [useNACK(), usePLI(), useFIR(), useTWCC()],
          })
        : new RTCRtpCodecParameters({
            mimeType: 'video/VP8',
            clockRate: 90000,
            rtcpFeedback: [useNACK(), usePLI(), useFIR(), useTWCC()],
          }),
      new RTCRtpCodecParameters({ mimeType: 'video/rtx', clockRate: 90000 }),
    ],
  };
}

export function waitFor(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      if (check()) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(timer);
        reject(new Error(`timed out waiting for ${what}`));
      }
    }, 10);
  });
}

export async function offerOf(pc: RTCPeerConnection): Promise<string> {
  await pc.setLocalDescription(await pc.createOffer());
  return pc.localDescription!.sdp;
}

/** A keyframe or delta frame payload whose last 4 bytes number it, so receivers can check order. */
export function videoPayload(codec: VideoCodec, keyframe: boolean, n: number): Buffer {
  const head = codec === 'H264' ? [keyframe ? 0x65 : 0x41] : [0x10, keyframe ? 0x00 : 0x01];
  const body = Buffer.alloc(4);
  body.writeUInt32BE(n);
  return Buffer.concat([Buffer.from(head), Buffer.alloc(200, 0xab), body]);
}

export const payloadNumber = (payload: Buffer) => payload.readUInt32BE(payload.length - 4);

export class TestPublisher {
  readonly pc: RTCPeerConnection;
  readonly audio = new MediaStreamTrack({ kind: 'audio' });
  readonly video = new MediaStreamTrack({ kind: 'video' });
  readonly videoTransceiver: RTCRtpTransceiver;
  plis = 0;
  sent = 0;
  /** Congestion feedback the relay sent back. */
  readonly twcc: TransportWideCC[] = [];
  private timer: NodeJS.Timeout | undefined;
  private seq = 1000;
  private audioSeq = 5000;
  private n = 0;
  private keyframeDue = true;

  constructor(readonly codec: VideoCodec = 'H264') {
    this.pc = new RTCPeerConnection({
      iceServers: [],
      codecs: peerCodecs(codec),
      headerExtensions: {
        audio: [useSdesMid(), useTransportWideCC()],
        video: [useSdesMid(), useTransportWideCC()],
      },
    });
    this.pc.addTransceiver(this.audio, { direction: 'sendonly' });
    this.videoTransceiver = this.pc.addTransceiver(this.video, { direction: 'sendonly' });
    for (const t of this.pc.getTransceivers()) {
      t.sender.onRtcp.subscribe((rtcp) => {
        if (rtcp instanceof RtcpTransportLayerFeedback && rtcp.feedback instanceof TransportWideCC)
          this.twcc.push(rtcp.feedback);
      });
    }
    this.videoTransceiver.sender.onPictureLossIndication.subscribe(() => {
      this.plis++;
      this.keyframeDue = true;
    });
  }

  /** Sends a video packet every `intervalMs` (a keyframe when one was asked for) and audio every other tick. */
  start(intervalMs = 10): void {
    this.timer = setInterval(() => this.tick(), intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  tick(): void {
    const keyframe = this.keyframeDue;
    this.keyframeDue = false;
    const n = this.n++;
    this.video.writeRtp(
      new RtpPacket(
        new RtpHeader({
          sequenceNumber: this.seq++ & 0xffff,
          timestamp: n * 3000,
          marker: true,
          payloadType: 96,
        }),
        videoPayload(this.codec, keyframe, n),
      ),
    );
    if (n % 2 === 0) {
      this.audio.writeRtp(
        new RtpPacket(
          new RtpHeader({
            sequenceNumber: this.audioSeq++ & 0xffff,
            timestamp: n * 960,
            payloadType: 111,
          }),
          Buffer.alloc(80, n & 0xff),
        ),
      );
    }
    this.sent++;
  }

  async close(): Promise<void> {
    this.stop();
    await this.pc.close();
  }
}

/**
 * The SRTP profiles a viewer's DTLS may agree to. `aes-cm` is the one Chromium ends up with
 * against the relay: only AES_CM_128_HMAC_SHA1_80, which the relay's fast path does not
 * seal, so everything goes through werift's own send path.
 */
export type ViewerSrtp = 'any' | 'aes-cm';

export class TestViewer {
  readonly pc: RTCPeerConnection;
  readonly received: Record<'audio' | 'video', RtpPacket[]> = { audio: [], video: [] };
  readonly transceivers: Record<'audio' | 'video', RTCRtpTransceiver>;

  constructor(
    codec: VideoCodec = 'H264',
    private readonly srtp: ViewerSrtp = 'any',
  ) {
    this.pc = new RTCPeerConnection({
      iceServers: [],
      codecs: peerCodecs(codec),
      headerExtensions: { audio: [useSdesMid()], video: [useSdesMid()] },
    });
    this.transceivers = {
      audio: this.pc.addTransceiver('audio', { direction: 'recvonly' }),
      video: this.pc.addTransceiver('video', { direction: 'recvonly' }),
    };
    for (const kind of ['audio', 'video'] as const) {
      this.transceivers[kind].onTrack.subscribe((track) => {
        track.onReceiveRtp.subscribe((packet) => this.received[kind].push(packet));
      });
    }
  }

  /** Before the answer is applied: narrows the SRTP profiles the DTLS handshake offers. */
  limitSrtpProfiles(): void {
    if (this.srtp === 'any') return;
    // werift keeps the list private; a test peer may narrow it before the handshake.
    for (const t of this.pc.dtlsTransports)
      (t as unknown as { srtpProfiles: number[] }).srtpProfiles = [
        ProtectionProfileAes128CmHmacSha1_80,
      ];
  }

  /** The SSRC the relay announced for this viewer's video (first a=ssrc of the video section). */
  announcedVideoSsrc(): number {
    const sdp = this.pc.remoteDescription!.sdp;
    const video = sdp.slice(sdp.indexOf('m=video'));
    return Number(/a=ssrc:(\d+)/.exec(video)![1]);
  }

  /** What a browser's decoder sends when it lost the picture. */
  async pli(mediaSsrc: number): Promise<void> {
    const receiver = this.transceivers.video.receiver;
    const feedback = new PictureLossIndication({ senderSsrc: receiver.rtcpSsrc, mediaSsrc });
    await receiver.dtlsTransport.sendRtcp([new RtcpPayloadSpecificFeedback({ feedback })]);
  }

  async nack(mediaSsrc: number, lost: number[]): Promise<void> {
    const receiver = this.transceivers.video.receiver;
    const feedback = new GenericNack({
      senderSsrc: receiver.rtcpSsrc,
      mediaSourceSsrc: mediaSsrc,
      lost,
    });
    await receiver.dtlsTransport.sendRtcp([new RtcpTransportLayerFeedback({ feedback })]);
  }

  async close(): Promise<void> {
    await this.pc.close();
  }
}

/** POST an SDP offer the way a WHIP/WHEP client does. */
/**
 * What a WHIP client PATCHes to restart ICE: the new credentials and candidates of the
 * first section (RFC 9725 §4.3.2).
 */
export function restartFragment(offer: string): string {
  const first = offer.slice(offer.indexOf('m='), offer.indexOf('m=', offer.indexOf('m=') + 2));
  const lines = first.split('\r\n');
  return [
    ...lines.filter((l) => l.startsWith('a=ice-ufrag:') || l.startsWith('a=ice-pwd:')),
    lines[0]!,
    ...lines.filter(
      (l) => l.startsWith('a=mid:') || l.startsWith('a=candidate:') || l === 'a=end-of-candidates',
    ),
    '',
  ].join('\r\n');
}

/** The answer after an ICE restart: the old one with the credentials and candidates of the 200's fragment. */
export function answerAfterRestart(previousAnswer: string, fragment: string): string {
  const ufrag = /a=ice-ufrag:(\S+)/.exec(fragment)![1]!;
  const pwd = /a=ice-pwd:(\S+)/.exec(fragment)![1]!;
  const candidates = fragment.split('\r\n').filter((l) => l.startsWith('a=candidate:'));
  return previousAnswer
    .split('\r\n')
    .filter((l) => !l.startsWith('a=candidate:'))
    .flatMap((l) => (l.startsWith('a=mid:') ? [l, ...candidates] : [l]))
    .map((l) =>
      l.startsWith('a=ice-ufrag:')
        ? `a=ice-ufrag:${ufrag}`
        : l.startsWith('a=ice-pwd:')
          ? `a=ice-pwd:${pwd}`
          : l,
    )
    .join('\r\n');
}

export async function postOffer(url: string, sdp: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/sdp', ...headers },
    body: sdp,
  });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

/** A listening app with a host, where tests publish and watch over real WebRTC. */
export class MediaTestBed {
  t!: TestApp;
  base = '';
  auth = { authorization: '' };
  readonly states: Array<DomainEvents['live.stream']> = [];
  private readonly peers: Array<TestPublisher | TestViewer> = [];

  async start(overrides: Partial<Config> = {}): Promise<void> {
    this.t = await createTestApp(overrides);
    await this.t.app.listen({ port: 0, host: '127.0.0.1' });
    this.base = `http://127.0.0.1:${(this.t.app.server.address() as AddressInfo).port}`;
    this.auth = (await sellerWithShop(this.t.app)).seller.auth;
    this.t.app.services.events.on('live.stream', (e) => void this.states.push(e));
  }

  async close(): Promise<void> {
    await Promise.all(this.peers.map((p) => p.close()));
    await this.t.close();
  }

  track<T extends TestPublisher | TestViewer>(peer: T): T {
    this.peers.push(peer);
    return peer;
  }

  statesOf(liveId: string): string[] {
    return this.states.filter((s) => s.liveId === liveId).map((s) => s.state);
  }

  async startLive(): Promise<{ id: string; streamKey: string }> {
    const { app } = this.t;
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/lives',
      headers: this.auth,
      payload: { title: 'Tomato harvest' },
    });
    const live = created.json().live as { id: string; streamKey: string };
    await app.inject({ method: 'POST', url: `/api/v1/lives/${live.id}/start`, headers: this.auth });
    return live;
  }

  async endLive(liveId: string): Promise<void> {
    await this.t.app.inject({
      method: 'POST',
      url: `/api/v1/lives/${liveId}/end`,
      headers: this.auth,
    });
  }

  /** Publishes with the stream key, as OBS does, and starts sending. */
  async publish(liveId: string, streamKey: string, codec: VideoCodec = 'H264') {
    const publisher = this.track(new TestPublisher(codec));
    const res = await postOffer(
      `${this.base}/api/v1/lives/${liveId}/whip`,
      await offerOf(publisher.pc),
      {
        authorization: `Bearer ${streamKey}`,
      },
    );
    if (res.status !== 201) throw new Error(`WHIP answered ${res.status}: ${res.body}`);
    await publisher.pc.setRemoteDescription({ type: 'answer', sdp: res.body });
    await waitFor(() => publisher.pc.connectionState === 'connected', 'publisher connected');
    publisher.start();
    return { publisher, location: res.headers.get('location')! };
  }

  async watch(liveId: string, codec: VideoCodec = 'H264', srtp: ViewerSrtp = 'any') {
    const viewer = this.track(new TestViewer(codec, srtp));
    const res = await postOffer(
      `${this.base}/api/v1/lives/${liveId}/whep`,
      await offerOf(viewer.pc),
    );
    if (res.status !== 201) throw new Error(`WHEP answered ${res.status}: ${res.body}`);
    viewer.limitSrtpProfiles();
    await viewer.pc.setRemoteDescription({ type: 'answer', sdp: res.body });
    await waitFor(() => viewer.pc.connectionState === 'connected', 'viewer connected');
    return { viewer, location: res.headers.get('location')! };
  }
}

/**
 * A werift peer that publishes H.264 + Opus as a browser would, written to packet by packet
 * (from `ffmpegRtp`, say): the offer to POST to WHIP, then `write` once connected.
 */
export function sendingPeer(): {
  pc: RTCPeerConnection;
  write(kind: 'audio' | 'video', packet: RtpPacket): void;
  close(): Promise<void>;
} {
  const pc = new RTCPeerConnection({
    iceServers: [],
    codecs: peerCodecs('H264'),
    headerExtensions: {
      audio: [useSdesMid(), useTransportWideCC()],
      video: [useSdesMid(), useTransportWideCC()],
    },
  });
  const tracks = {
    audio: new MediaStreamTrack({ kind: 'audio' }),
    video: new MediaStreamTrack({ kind: 'video' }),
  };
  pc.addTransceiver(tracks.audio, { direction: 'sendonly' });
  pc.addTransceiver(tracks.video, { direction: 'sendonly' });
  return {
    pc,
    write: (kind, packet) => tracks[kind].writeRtp(packet),
    close: () => pc.close(),
  };
}

/**
 * An ICE restart the WHIP/WHEP way: a new offer's credentials PATCHed to the session, the
 * server's fragment applied as the new answer. Returns the answer before and the fragment.
 */
export async function restartOverPatch(
  base: string,
  location: string,
  pc: RTCPeerConnection,
): Promise<{ previousAnswer: string; fragment: string }> {
  const previousAnswer = pc.remoteDescription!.sdp;
  pc.restartIce();
  const offer = await offerOf(pc);
  const res = await fetch(`${base}${location}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/trickle-ice-sdpfrag', 'if-match': '*' },
    body: restartFragment(offer),
  });
  if (res.status !== 200) throw new Error(`PATCH answered ${res.status}: ${await res.text()}`);
  const fragment = await res.text();
  await pc.setRemoteDescription({
    type: 'answer',
    sdp: answerAfterRestart(previousAnswer, fragment),
  });
  return { previousAnswer, fragment };
}
