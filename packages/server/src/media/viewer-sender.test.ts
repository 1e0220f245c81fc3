import { randomBytes } from 'node:crypto';
import {
  ProtectionProfileAeadAes128Gcm,
  ProtectionProfileAes128CmHmacSha1_80,
  RtpHeader,
  RtpPacket,
  SrtpSession,
} from 'werift';
import { describe, expect, it } from 'vitest';
import {
  ntpNow,
  sealRtp,
  sealSession,
  ViewerSender,
  type SrtpContextInternals,
} from './viewer-sender.ts';

describe('viewer sender: SRTP', () => {
  // AES-128-GCM is what werift peers negotiate; AES-CM with HMAC-SHA1-80 what Chromium does.
  const profiles = [
    { name: 'AEAD_AES_128_GCM', profile: ProtectionProfileAeadAes128Gcm, saltBytes: 12 },
    {
      name: 'AES_CM_128_HMAC_SHA1_80',
      profile: ProtectionProfileAes128CmHmacSha1_80,
      saltBytes: 14,
    },
  ];
  for (const { name, profile, saltBytes } of profiles) {
    it(`seals packets byte for byte as werift does, across a sequence number wrap (${name})`, () => {
      const key = randomBytes(16);
      const salt = randomBytes(saltBytes);
      const session = () =>
        new SrtpSession({
          keys: {
            localMasterKey: key,
            localMasterSalt: salt,
            remoteMasterKey: key,
            remoteMasterSalt: salt,
          },
          profile,
        });
      const theirs = session();
      const ours = sealSession(session().localContext as unknown as SrtpContextInternals)!;
      expect(ours).not.toBeNull();
      const mid = { id: 1, payload: Buffer.from('1') };
      for (const seq of [65533, 65534, 65535, 0, 1, 2]) {
        const payload = randomBytes(900 + seq);
        const header = new RtpHeader({
          payloadType: 102,
          sequenceNumber: seq,
          timestamp: 123456 + seq * 3000,
          ssrc: 0xdeadbeef,
          marker: seq === 0,
          extensions: [mid],
        });
        const head = header.serialize(header.serializeSize);
        const parts: Buffer[] = [];
        sealRtp(ours, head, payload, header.ssrc, seq, parts);
        expect(Buffer.concat(parts)).toEqual(theirs.encrypt(payload, header));
      }
    });
  }
});

describe('viewer sender: the clock of sender reports', () => {
  it('reads the wall clock as an NTP timestamp, fraction included', () => {
    const ntp = ntpNow();
    const wall = Date.now();
    const seconds = Number(ntp >> 32n);
    const fraction = Number(ntp & 0xffffffffn) / 2 ** 32;
    const ms = (seconds + fraction) * 1000 - 2_208_988_800_000;
    expect(Math.abs(ms - wall)).toBeLessThan(5);
    // A tenth of a second later, a tenth of a second more: the fraction is a fraction.
    const later = (start: number) => {
      while (Date.now() < start + 100);
      return ntpNow();
    };
    const next = later(wall);
    const elapsed = Number(next - ntp) / 2 ** 32;
    expect(elapsed).toBeGreaterThan(0.095);
    expect(elapsed).toBeLessThan(0.15);
  });
});

describe('viewer sender: packets through werift', () => {
  it('keeps its own NTP/RTP pair for the next sender report, not werift’s', () => {
    // A sender with no nominated UDP pair (a TCP candidate, say): werift's sendRtp sends.
    const sender = {
      kind: 'video',
      ssrc: 1234,
      codec: { payloadType: 102 },
      dtlsTransport: { state: 'connected', iceTransport: { connection: {} } },
      ntpTimestamp: 0n,
      rtpTimestamp: 0,
      timestamp: 0,
      sendRtp(packet: { header: { timestamp: number } }) {
        // What werift does before its first await: its own clock, right to the second only.
        this.timestamp = packet.header.timestamp;
        this.ntpTimestamp = 42n << 32n;
        this.rtpTimestamp = packet.header.timestamp;
        return Promise.resolve();
      },
    };
    const viewer = new ViewerSender(sender as never);
    const source = new RtpPacket(
      new RtpHeader({ payloadType: 96, sequenceNumber: 7, timestamp: 1, ssrc: 99 }),
      Buffer.from('frame'),
    );
    const ntp = ntpNow();
    viewer.send(source, 1000, 90_000, ntp);
    expect(viewer.fallbacks).toBe(1);
    expect(sender.ntpTimestamp).toBe(ntp);
    expect(sender.rtpTimestamp).toBe(90_000);
  });
});
