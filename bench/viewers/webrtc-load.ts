/**
 * A load process of bench/viewers: headless werift WHEP viewers of one live.
 *
 * Every viewer does ICE, DTLS and SRTP key agreement like a browser, and counts every RTP
 * packet it receives and the ones it should have received, from the sequence numbers of the
 * RTP header (which SRTP leaves in the clear). A share of the viewers (`decryptShare`) also
 * hands every packet to werift, which authenticates and decrypts it: decrypting every
 * packet of every viewer would cost the load processes more CPU than the server spends, on a
 * machine they share with it. Feedback (receiver reports, NACK) comes from those viewers.
 */
import {
  ProtectionProfileAes128CmHmacSha1_80,
  RTCPeerConnection,
  useSdesMid,
  type RTCDtlsTransport,
  type RTCIceTransport,
  type RtpPacket,
} from 'werift';
import { benchCodecs } from './publisher.ts';
import type { FromLoad, LoadCounters, ToLoad, WebRtcPlan } from './protocol.ts';

const send = (m: FromLoad) => process.send!(m);

/** How far back a late packet (reordered, or a retransmission) still counts. */
const WINDOW = 1024;

/**
 * Per SSRC: distinct packets received and the highest extended sequence number (RFC 3550
 * A.1). A packet seen twice (a retransmission after a NACK) counts once.
 */
class SequenceCount {
  private base = -1;
  private max = 0;
  private cycles = 0;
  private readonly seen = new Int32Array(WINDOW).fill(-1);
  received = 0;

  add(seq: number): void {
    let extended: number;
    if (this.base < 0) {
      this.base = this.max = extended = seq;
    } else {
      const delta = (seq - this.max) & 0xffff;
      if (delta < 0x8000) {
        if (seq < this.max) this.cycles += 0x10000;
        this.max = seq;
        extended = this.cycles + seq;
      } else {
        extended = this.cycles + seq - (seq > this.max ? 0x10000 : 0);
        if (extended < this.base || this.cycles + this.max - extended >= WINDOW) return;
      }
    }
    const slot = extended % WINDOW;
    if (this.seen[slot] === extended) return;
    this.seen[slot] = extended;
    this.received++;
  }

  get expected(): number {
    return this.base < 0 ? 0 : this.cycles + this.max - this.base + 1;
  }
}

const totals = {
  failed: 0,
  firstError: null as string | null,
  errors: 0,
  verified: 0,
  dropped: 0,
  bytes: 0,
};

class Viewer {
  readonly pc: RTCPeerConnection;
  readonly streams = new Map<number, SequenceCount>();
  closed = false;
  /** The WHEP session URL, for DELETE when the viewer leaves. */
  location: URL | null = null;

  constructor(
    private readonly decrypts: boolean,
    private readonly srtp: WebRtcPlan['srtp'],
  ) {
    this.pc = new RTCPeerConnection({
      iceServers: [],
      codecs: benchCodecs(),
      headerExtensions: { audio: [useSdesMid()], video: [useSdesMid()] },
    });
    for (const kind of ['audio', 'video'] as const) {
      const transceiver = this.pc.addTransceiver(kind, { direction: 'recvonly' });
      if (decrypts)
        transceiver.onTrack.subscribe((track) =>
          track.onReceiveRtp.subscribe((_: RtpPacket) => void totals.verified++),
        );
    }
  }

  async connect(whepUrl: string): Promise<void> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    const res = await fetch(whepUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/sdp' },
      body: this.pc.localDescription!.sdp,
    });
    const answer = await res.text();
    if (res.status !== 201) throw new Error(`WHEP answered ${res.status}: ${answer.slice(0, 200)}`);
    this.location = new URL(res.headers.get('location')!, whepUrl);
    this.countAtTheSocket(this.pc.iceTransports[0]!);
    // werift keeps the list private; narrowed before the handshake that uses it.
    if (this.srtp === 'aes-cm')
      for (const t of this.pc.dtlsTransports)
        (t as unknown as { srtpProfiles: number[] }).srtpProfiles = [
          ProtectionProfileAes128CmHmacSha1_80,
        ];
    await this.pc.setRemoteDescription({ type: 'answer', sdp: answer });
    const started = Date.now();
    while (this.pc.connectionState !== 'connected') {
      if (Date.now() - started > 30_000 || this.pc.connectionState === 'failed')
        throw new Error(`no connection (${this.pc.connectionState})`);
      await new Promise((r) => setTimeout(r, 25));
    }
    if (this.decrypts) this.countAuthFailures(this.pc.dtlsTransports[0]!);
    this.pc.connectionStateChange.subscribe((state) => {
      if ((state === 'failed' || state === 'closed') && !this.closed) {
        this.closed = true;
        totals.dropped++;
      }
    });
  }

  /**
   * Counts each RTP datagram from its clear header as it leaves the ICE transport, and hands
   * only a decrypting viewer's RTP on to werift (DTLS, STUN replies and RTCP always go on).
   */
  private countAtTheSocket(ice: RTCIceTransport): void {
    const event = ice.connection.onData;
    const original = event.execute;
    event.execute = (data: Buffer) => {
      const isRtp = data.length >= 12 && data[0]! >> 6 === 2 && (data[1]! < 192 || data[1]! > 223);
      if (isRtp) {
        const ssrc = data.readUInt32BE(8);
        let stream = this.streams.get(ssrc);
        if (!stream) this.streams.set(ssrc, (stream = new SequenceCount()));
        stream.add(data.readUInt16BE(2));
        totals.bytes += data.length;
        if (!this.decrypts) return;
      }
      original(data);
    };
  }

  /** Leaves as a player does: DELETE on the session, then close. */
  async leave(): Promise<void> {
    this.closed = true;
    if (this.location) await fetch(this.location, { method: 'DELETE' }).catch(() => undefined);
    await this.pc.close().catch(() => undefined);
  }

  private countAuthFailures(dtls: RTCDtlsTransport): void {
    const srtp = dtls.srtp;
    const decrypt = srtp.decrypt.bind(srtp);
    srtp.decrypt = (data: Buffer) => {
      try {
        return decrypt(data);
      } catch (err) {
        totals.errors++;
        throw err;
      }
    };
  }
}

let plan: WebRtcPlan | undefined;
const viewers: Viewer[] = [];

function counters(): LoadCounters {
  let received = 0;
  let expected = 0;
  for (const v of viewers) {
    for (const s of v.streams.values()) {
      received += s.received;
      expected += s.expected;
    }
  }
  const cpu = process.cpuUsage();
  return {
    viewers: viewers.length,
    failed: totals.failed,
    firstError: totals.firstError,
    received,
    expected,
    bytes: totals.bytes,
    errors: totals.errors,
    verified: totals.verified,
    dropped: totals.dropped,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

async function scale(target: number): Promise<void> {
  const p = plan!;
  const began = Date.now();
  const failedBefore = totals.failed;
  // Decrypting viewers spread evenly: every 1/share-th viewer.
  const decrypts = (i: number) =>
    p.decryptShare > 0 && Math.floor(i * p.decryptShare) !== Math.floor((i + 1) * p.decryptShare);
  let next = viewers.length;
  const worker = async () => {
    while (next < target) {
      const viewer = new Viewer(decrypts(next++), p.srtp);
      try {
        await viewer.connect(p.whepUrl);
        viewers.push(viewer);
      } catch (err) {
        totals.failed++;
        totals.firstError ??= err instanceof Error ? err.message : String(err);
        viewer.closed = true;
        await viewer.pc.close().catch(() => undefined);
      }
    }
  };
  await Promise.all(Array.from({ length: p.connectConcurrency }, worker));
  send({
    type: 'scaled',
    viewers: viewers.length,
    failed: totals.failed - failedBefore,
    ms: Date.now() - began,
  });
}

process.on('message', (m: ToLoad) => {
  if (m.type === 'plan') {
    if (m.plan.kind !== 'webrtc') throw new Error('not a WebRTC plan');
    plan = m.plan;
    send({ type: 'ready' });
  } else if (m.type === 'scale') {
    scale(m.viewers).catch((err: unknown) => send({ type: 'fatal', message: String(err) }));
  } else if (m.type === 'report') {
    send({ type: 'report', counters: counters() });
  } else if (m.type === 'exit') {
    const leaving = viewers.splice(0);
    const leave = async () => {
      while (leaving.length > 0) await leaving.pop()!.leave();
    };
    void Promise.allSettled(Array.from({ length: 16 }, leave)).then(() => process.exit(0));
    setTimeout(() => process.exit(0), 20_000).unref();
  }
});
