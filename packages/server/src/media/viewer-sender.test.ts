import { randomBytes } from 'node:crypto';
import { ProtectionProfileAeadAes128Gcm, RtpHeader, SrtpSession } from 'werift';
import { describe, expect, it } from 'vitest';
import { gcmSession, sealGcm, type SrtpContextInternals } from './viewer-sender.ts';

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
      const [encrypted, tag] = sealGcm(ours, head, payload, header.ssrc, seq);
      expect(Buffer.concat([head, encrypted, tag])).toEqual(theirs.encrypt(payload, header));
    }
  });
});
