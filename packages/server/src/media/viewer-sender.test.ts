import { randomBytes } from 'node:crypto';
import { ProtectionProfileAeadAes128Gcm, RtpHeader, SrtpSession } from 'werift';
import { describe, expect, it } from 'vitest';
import { gcmSession, ntpNow, sealGcm, type SrtpContextInternals } from './viewer-sender.ts';

describe('viewer sender: SRTP with AES-128-GCM', () => {
  it('seals packets byte for byte as werift does, across a sequence number wrap', () => {
    const key = randomBytes(16);
    const salt = randomBytes(12);
    const session = () =>
      new SrtpSession({
        keys: {
          localMasterKey: key,
          localMasterSalt: salt,
          remoteMasterKey: key,
          remoteMasterSalt: salt,
        },
        profile: ProtectionProfileAeadAes128Gcm,
      });
    const theirs = session();
    const ours = gcmSession(session().localContext as unknown as SrtpContextInternals);
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
      sealGcm(ours, head, payload, header.ssrc, seq, parts);
      expect(Buffer.concat(parts)).toEqual(theirs.encrypt(payload, header));
    }
  });
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
