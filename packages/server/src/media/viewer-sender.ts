import { createCipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import {
  ProtectionProfileAeadAes128Gcm,
  RTP_EXTENSION_URI,
  RtpHeader,
  type RTCRtpSender,
  type RtpPacket,
} from 'werift';
import { udpPathOf, type UdpTransportLike } from './udp-path.ts';

/**
 * The relay's send path to one viewer's track: werift's own parts (its SRTP keys and
 * rollover state, its RTCP sender reports, its NACK history and retransmissions), without
 * the cost werift's `RTCRtpSender.sendRtp` adds to every packet.
 *
 * werift's path per packet and viewer: two promises, header extensions rebuilt with closures
 * and sorted, an NTP clock read, a congestion-control record nobody reads, a header object
 * serialised field by field, `Buffer.concat` of header, payload and tag, and a send through
 * three async layers that resolves the address every time. Profiled with 100 viewers it was
 * about three quarters of the relay's CPU besides the system call itself (decision 0014).
 *
 * Here, per packet: the header is a copy of a template made once (by werift's own
 * serialiser, with the viewer's MID extension) with marker, payload type, sequence number
 * and timestamp written in; AES-128-GCM (RFC 7714) through `node:crypto`, the fastest way
 * Node offers (one `createCipheriv` with a key object made once; AES-CM with HMAC-SHA1,
 * which needs a cipher and an HMAC per packet, measured slower); one `sendmsg` of the three
 * parts without concatenating them. The packet object still goes into werift's history, so
 * werift answers the viewer's NACKs with the right packet (as RTX when negotiated), and its
 * sender reports carry the counts and the NTP/RTP time pair of what was sent.
 *
 * Anything else (AES-CM negotiated, header extensions other than the MID, a TCP candidate)
 * falls back to `sendRtp`: correct, only slower.
 */

/** werift's NACK history length (`RTP_HISTORY_SIZE` in its rtpSender, not exported). */
const HISTORY = 128;
const GCM_TAG = 16;

/** The fields of werift's `RTCRtpSender` this module reads and writes; all public in its JS. */
interface SenderInternals {
  rtpCache: RtpPacket[];
  rtcpRunning: boolean;
  runRtcp(): Promise<void>;
  ntpTimestamp: bigint;
  rtpTimestamp: number;
  octetCount: number;
  packetCount: number;
  sequenceNumber: number;
  timestamp: number;
  headerExtensions: Array<{ uri: string; id: number }>;
  mid?: string;
}

export interface SrtpContextInternals {
  profile: number;
  cipher: { srtpSessionKey: Buffer; srtpSessionSalt: Buffer };
  getSrtpSsrcState(ssrc: number): { rolloverCounter: number };
  updateRolloverCount(sequenceNumber: number, state: { rolloverCounter: number }): void;
}

interface NominatedPair {
  remoteAddr: [string, number];
  protocol: { transport: UdpTransportLike };
}

/** What the GCM path needs, made once per SRTP session (a DTLS renegotiation makes another). */
export interface GcmSession {
  context: SrtpContextInternals;
  key: KeyObject;
  salt: Buffer;
}

export class ViewerSender {
  private template: Buffer | null = null;
  private extensions: RtpHeader['extensions'] = [];
  private payloadType = 0;
  private gcm: GcmSession | null = null;
  /** Packets sent by werift's `sendRtp` because the fast path did not apply. */
  fallbacks = 0;
  /** Fast-path packets sent to an address because the socket was not pinned (udp-path.ts). */
  addressedSends = 0;

  constructor(readonly sender: RTCRtpSender) {}

  /**
   * Sends a packet that is this viewer's alone (its own header object, see `copyPacket`):
   * the sender stamps its SSRC and payload type into it and keeps it for retransmission.
   * `ntpTimestamp` (werift's `ntpTime()` when the packet came in) pairs with its RTP
   * timestamp in the next sender report.
   */
  send(packet: RtpPacket, ntpTimestamp: bigint): void {
    const sender = this.sender;
    const dtls = sender.dtlsTransport;
    if (dtls.state !== 'connected' || !sender.codec) return;
    const pair = this.fastPair();
    const path = pair && udpPathOf(pair.protocol.transport);
    if (!path || !this.prepare()) {
      this.fallbacks++;
      sender.sendRtp(packet).catch(() => undefined);
      return;
    }
    const internals = sender as unknown as SenderInternals;
    const h = packet.header;
    h.ssrc = sender.ssrc;
    h.payloadType = this.payloadType;
    h.extensions = this.extensions;
    const seq = h.sequenceNumber;
    const ts = h.timestamp;
    internals.rtpCache[seq % HISTORY] = packet;
    internals.sequenceNumber = seq;
    internals.timestamp = ts;
    internals.ntpTimestamp = ntpTimestamp;
    internals.rtpTimestamp = ts;
    internals.octetCount += packet.payload.length;
    internals.packetCount = (internals.packetCount + 1) >>> 0;
    if (!internals.rtcpRunning) void internals.runRtcp();

    const template = this.template!;
    const head = Buffer.allocUnsafe(template.length);
    template.copy(head);
    head[1] = (h.marker ? 0x80 : 0) | this.payloadType;
    head.writeUInt16BE(seq, 2);
    head.writeUInt32BE(ts, 4);

    const [encrypted, tag] = sealGcm(this.gcm!, head, packet.payload, sender.ssrc, seq);
    if (!path.send([head, encrypted, tag], pair!.remoteAddr[0], pair!.remoteAddr[1]))
      this.addressedSends++;
    dtls.bytesSent += head.length + encrypted.length + GCM_TAG;
    dtls.packetsSent++;
  }

  /** The ICE pair to send on, when it is plain UDP and may carry media (RFC 7675 consent). */
  private fastPair(): NominatedPair | null {
    const connection = this.sender.dtlsTransport.iceTransport.connection as unknown as {
      nominated?: NominatedPair;
      canSendApplicationData(): boolean;
    };
    const pair = connection.nominated;
    if (!pair || !connection.canSendApplicationData()) return null;
    if (pair.protocol.transport.closed) return null;
    return pair;
  }

  /** Header template and GCM key for the current SRTP session; false: use werift's path. */
  private prepare(): boolean {
    const context = (
      this.sender.dtlsTransport as unknown as { srtp?: { localContext?: SrtpContextInternals } }
    ).srtp?.localContext;
    if (!context || context.profile !== ProtectionProfileAeadAes128Gcm) return false;
    if (this.gcm?.context !== context) this.gcm = gcmSession(context);
    if (!this.template) {
      const sender = this.sender;
      const internals = sender as unknown as SenderInternals;
      const extensions: RtpHeader['extensions'] = [];
      for (const ext of internals.headerExtensions) {
        if (ext.uri !== RTP_EXTENSION_URI.sdesMid) return false;
        if (internals.mid) extensions.push({ id: ext.id, payload: Buffer.from(internals.mid) });
      }
      this.payloadType = sender.codec!.payloadType;
      this.extensions = extensions.sort((a, b) => a.id - b.id);
      const header = new RtpHeader({
        payloadType: this.payloadType,
        ssrc: sender.ssrc,
        extensions: this.extensions,
      });
      this.template = header.serialize(header.serializeSize);
    }
    return true;
  }
}

/** Builds the GCM session of an SRTP context: one key object for all its packets. */
export function gcmSession(context: SrtpContextInternals): GcmSession {
  return {
    context,
    key: createSecretKey(context.cipher.srtpSessionKey),
    salt: context.cipher.srtpSessionSalt,
  };
}

/**
 * SRTP with AEAD_AES_128_GCM (RFC 7714): the header authenticated, the payload encrypted;
 * the rollover counter kept in werift's own state for this SSRC, so its retransmissions
 * (which go through werift) and these packets agree. Returns the ciphertext and the tag.
 */
export function sealGcm(
  gcm: GcmSession,
  head: Buffer,
  payload: Buffer,
  ssrc: number,
  seq: number,
): [Buffer, Buffer] {
  const state = gcm.context.getSrtpSsrcState(ssrc);
  gcm.context.updateRolloverCount(seq, state);
  const cipher = createCipheriv(
    'aes-128-gcm',
    gcm.key,
    gcmIv(gcm.salt, ssrc, state.rolloverCounter, seq),
  );
  cipher.setAAD(head);
  const encrypted = cipher.update(payload);
  cipher.final();
  return [encrypted, cipher.getAuthTag()];
}

/** RFC 7714 §8.1: (00 00 || SSRC || ROC || SEQ) XOR the 12-byte session salt. */
export function gcmIv(salt: Buffer, ssrc: number, roc: number, seq: number): Buffer {
  const iv = Buffer.allocUnsafe(12);
  iv.writeUInt16BE(0, 0);
  iv.writeUInt32BE(ssrc, 2);
  iv.writeUInt32BE(roc >>> 0, 6);
  iv.writeUInt16BE(seq, 10);
  for (let i = 0; i < 12; i++) iv[i]! ^= salt[i]!;
  return iv;
}
