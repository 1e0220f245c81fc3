import { createCipheriv, createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import {
  ProtectionProfileAeadAes128Gcm,
  ProtectionProfileAes128CmHmacSha1_80,
  RTP_EXTENSION_URI,
  RtpHeader,
  type RTCRtpSender,
  RtpPacket,
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
 * Node offers (one `createCipheriv` with a key object made once), or AES_CM_128_HMAC_SHA1_80
 * (RFC 3711: a cipher and an HMAC per packet), which is what Chromium's viewers negotiate;
 * one `sendmsg` of the three parts without concatenating them, on a socket connected to the
 * viewer (udp-path.ts).
 * werift's history still answers the viewer's NACKs with the right packet (as RTX when
 * negotiated), from a ring that makes the packet only when asked (`History`), and its
 * sender reports carry the counts and the NTP/RTP time pair of what was sent.
 *
 * Anything else (another SRTP profile, header extensions other than the MID, a TCP
 * candidate) falls back to `sendRtp`: correct, only slower.
 */

/** werift's NACK history length (`RTP_HISTORY_SIZE` in its rtpSender, not exported). */
const HISTORY = 128;

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
  /** `srtpSessionAuthTag`: the HMAC key of the AES-CM profiles (RFC 3711 §4.2). */
  cipher: { srtpSessionKey: Buffer; srtpSessionSalt: Buffer; srtpSessionAuthTag?: Buffer };
  getSrtpSsrcState(ssrc: number): { rolloverCounter: number };
  updateRolloverCount(sequenceNumber: number, state: { rolloverCounter: number }): void;
}

interface NominatedPair {
  remoteAddr: [string, number];
  protocol: { transport: UdpTransportLike };
}

/**
 * What sealing needs, made once per SRTP session (a DTLS renegotiation makes another):
 * `authKey` for AES_CM_128_HMAC_SHA1_80, null for AEAD_AES_128_GCM.
 */
export interface SealSession {
  context: SrtpContextInternals;
  key: KeyObject;
  salt: Buffer;
  authKey: KeyObject | null;
}

export class ViewerSender {
  private template: Buffer | null = null;
  private extensions: RtpHeader['extensions'] = [];
  private payloadType = 0;
  private seal: SealSession | null = null;
  /** Packets sent by werift's `sendRtp` because the fast path did not apply. */
  fallbacks = 0;
  /** Fast-path packets sent to an address because the socket was not pinned (udp-path.ts). */
  addressedSends = 0;
  private readonly history = new History(this);

  constructor(readonly sender: RTCRtpSender) {}

  /**
   * Sends the publisher's packet to this viewer as sequence number `seq` and timestamp `ts`
   * of the viewer's own numbering. The source packet is shared with every other viewer and
   * never changed. `ntpTimestamp` (`ntpNow()` when the packet came in) pairs with
   * its RTP timestamp in the next sender report.
   */
  send(source: RtpPacket, seq: number, ts: number, ntpTimestamp: bigint): void {
    const sender = this.sender;
    const dtls = sender.dtlsTransport;
    if (dtls.state !== 'connected' || !sender.codec) return;
    const pair = this.fastPair();
    const path = pair && udpPathOf(pair.protocol.transport);
    if (!path || !this.prepare()) {
      this.fallbacks++;
      sender.sendRtp(copyPacket(source, seq, ts)).catch(() => undefined);
      // werift stamped the next sender report with its own clock, right to the second only
      // (see ntpNow), which sends a receiver's A/V sync astray: the picture was held back by
      // up to half a second. It did so before its first await; pair the packet with ours.
      const internals = sender as unknown as SenderInternals;
      internals.ntpTimestamp = ntpTimestamp;
      internals.rtpTimestamp = internals.timestamp;
      return;
    }
    const internals = sender as unknown as SenderInternals;
    const payload = source.payload;
    const marker = source.header.marker;
    this.history.put(internals, source, seq, ts, marker);
    internals.sequenceNumber = seq;
    internals.timestamp = ts;
    internals.ntpTimestamp = ntpTimestamp;
    internals.rtpTimestamp = ts;
    internals.octetCount += payload.length;
    internals.packetCount = (internals.packetCount + 1) >>> 0;
    if (!internals.rtcpRunning) void internals.runRtcp();

    const template = this.template!;
    const head = Buffer.allocUnsafe(template.length);
    template.copy(head);
    head[1] = (marker ? 0x80 : 0) | this.payloadType;
    head.writeUInt16BE(seq, 2);
    head.writeUInt32BE(ts, 4);

    // One array for every send: dgram copies the list before it returns.
    const parts = PARTS;
    sealRtp(this.seal!, head, payload, sender.ssrc, seq, parts);
    const sent = head.length + parts[1]!.length + parts[2]!.length;
    if (!path.send(parts, pair!.remoteAddr[0], pair!.remoteAddr[1])) this.addressedSends++;
    parts[0] = parts[1] = parts[2] = EMPTY;
    dtls.bytesSent += sent;
    dtls.packetsSent++;
  }

  /** The header werift would have put on the packet sent as `seq` (for its NACK answers). */
  headerOf(seq: number, ts: number, marker: boolean): RtpHeader {
    const header = bareHeader(this.payloadType, seq, ts, this.sender.ssrc, marker);
    header.extensions = this.extensions;
    return header;
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

  /** Header template and keys for the current SRTP session; false: use werift's path. */
  private prepare(): boolean {
    const context = (
      this.sender.dtlsTransport as unknown as { srtp?: { localContext?: SrtpContextInternals } }
    ).srtp?.localContext;
    if (!context) return false;
    if (this.seal?.context !== context) this.seal = sealSession(context);
    if (!this.seal) return false;
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

/**
 * The sealing session of an SRTP context: key objects made once for all its packets; null
 * for a profile this path does not seal.
 */
export function sealSession(context: SrtpContextInternals): SealSession | null {
  const { srtpSessionKey, srtpSessionSalt, srtpSessionAuthTag } = context.cipher;
  if (context.profile === ProtectionProfileAeadAes128Gcm)
    return { context, key: createSecretKey(srtpSessionKey), salt: srtpSessionSalt, authKey: null };
  if (context.profile === ProtectionProfileAes128CmHmacSha1_80 && srtpSessionAuthTag)
    return {
      context,
      key: createSecretKey(srtpSessionKey),
      salt: srtpSessionSalt,
      authKey: createSecretKey(srtpSessionAuthTag),
    };
  return null;
}

/**
 * Seals one RTP packet with the session's profile, its rollover counter advanced in werift's
 * own state for this SSRC, so werift's retransmissions and these packets agree. Writes the
 * datagram's parts into `out`: the header, the ciphertext and the tag.
 */
export function sealRtp(
  session: SealSession,
  head: Buffer,
  payload: Buffer,
  ssrc: number,
  seq: number,
  out: Buffer[],
): void {
  if (session.authKey) sealCm(session, session.authKey, head, payload, ssrc, seq, out);
  else sealGcm(session, head, payload, ssrc, seq, out);
}

/** Written for each packet, then read: the rollover counter as the HMAC's last input. */
const ROC = Buffer.alloc(4);
const CTR_IV = Buffer.alloc(16);
const AUTH_TAG_80 = 10;

/**
 * AES_CM_128_HMAC_SHA1_80 (RFC 3711): the payload encrypted with AES-128 in counter mode from
 * (SSRC || ROC || SEQ) XOR the 14-byte session salt (§4.1.1), then an HMAC-SHA1 over header,
 * ciphertext and rollover counter, cut to 80 bits (§4.2).
 */
function sealCm(
  session: SealSession,
  authKey: KeyObject,
  head: Buffer,
  payload: Buffer,
  ssrc: number,
  seq: number,
  out: Buffer[],
): void {
  const roc = rolloverCounter(session.context, ssrc, seq);
  const iv = CTR_IV;
  iv.fill(0);
  iv.writeUInt32BE(ssrc, 4);
  iv.writeUInt32BE(roc, 8);
  iv.writeUInt16BE(seq, 12);
  const salt = session.salt;
  for (let i = 0; i < salt.length; i++) iv[i]! ^= salt[i]!;
  const encrypted = createCipheriv('aes-128-ctr', session.key, iv).update(payload);
  ROC.writeUInt32BE(roc, 0);
  const mac = createHmac('sha1', authKey);
  mac.update(head);
  mac.update(encrypted);
  mac.update(ROC);
  out[0] = head;
  out[1] = encrypted;
  out[2] = mac.digest().subarray(0, AUTH_TAG_80);
}

/** The packet's rollover counter, advanced in werift's state for this SSRC. */
function rolloverCounter(context: SrtpContextInternals, ssrc: number, seq: number): number {
  const state = context.getSrtpSsrcState(ssrc);
  context.updateRolloverCount(seq, state);
  return state.rolloverCounter >>> 0;
}

/**
 * SRTP with AEAD_AES_128_GCM (RFC 7714): the header authenticated, the payload encrypted with
 * the IV of `gcmIv`.
 */
function sealGcm(
  gcm: SealSession,
  head: Buffer,
  payload: Buffer,
  ssrc: number,
  seq: number,
  out: Buffer[],
): void {
  const roc = rolloverCounter(gcm.context, ssrc, seq);
  const cipher = createCipheriv('aes-128-gcm', gcm.key, gcmIv(gcm.salt, ssrc, roc, seq));
  cipher.setAAD(head);
  out[0] = head;
  out[1] = cipher.update(payload);
  cipher.final();
  out[2] = cipher.getAuthTag();
}

/** Written for each packet: `createCipheriv` copies the IV, so one buffer serves them all. */
const IV = Buffer.alloc(12);

/**
 * RFC 7714 §8.1: (00 00 || SSRC || ROC || SEQ) XOR the 12-byte session salt. The buffer
 * returned is only valid until the next call.
 */
function gcmIv(salt: Buffer, ssrc: number, roc: number, seq: number): Buffer {
  const iv = IV;
  iv.writeUInt16BE(0, 0);
  iv.writeUInt32BE(ssrc, 2);
  iv.writeUInt32BE(roc >>> 0, 6);
  iv.writeUInt16BE(seq, 10);
  for (let i = 0; i < 12; i++) iv[i]! ^= salt[i]!;
  return iv;
}

/**
 * A header object without werift's constructor, which defines each field with
 * `Object.defineProperty`: about 50 ns here against 115 ns for `new RtpHeader()`.
 */
export function bareHeader(
  payloadType: number,
  sequenceNumber: number,
  timestamp: number,
  ssrc: number,
  marker: boolean,
): RtpHeader {
  const header = Object.create(RtpHeader.prototype) as RtpHeader;
  header.version = 2;
  header.padding = false;
  header.paddingSize = 0;
  header.extension = false;
  header.marker = marker;
  header.payloadOffset = 0;
  header.payloadType = payloadType;
  header.sequenceNumber = sequenceNumber;
  header.timestamp = timestamp;
  header.ssrc = ssrc;
  header.csrcLength = 0;
  header.csrc = [];
  header.extensionProfile = 0xbede;
  header.extensions = [];
  return header;
}

/**
 * A viewer's copy of a packet: a fresh header around the shared payload, for werift's own
 * `sendRtp` (the fallback) and the RTMP keyframe cache. Publisher header extensions are
 * dropped: their ids are the publisher's, and the sender adds the viewer's own.
 */
export function copyPacket(src: RtpPacket, sequenceNumber: number, timestamp: number): RtpPacket {
  const h = src.header;
  const header = bareHeader(h.payloadType, sequenceNumber, timestamp, h.ssrc, h.marker);
  header.csrcLength = h.csrcLength;
  header.csrc = h.csrc;
  const packet = Object.create(RtpPacket.prototype) as RtpPacket;
  packet.header = header;
  packet.payload = src.payload;
  return packet;
}

/**
 * werift's NACK history (`rtpCache`, answered by its sender) without a packet object per
 * packet and viewer: the fast path keeps the shared source packet and the viewer's numbering
 * in a ring, and werift's array is replaced by a proxy that builds the viewer's packet only
 * when werift reads a slot, i.e. when a NACK asks for it. Made per packet, those objects
 * lived as long as the history (about a second of video) and so reached the old generation
 * of the garbage collector, for every viewer. werift's own writes (its `sendRtp`, the
 * fallback) still go to the array and win over the ring until the ring writes that slot.
 */
class History {
  private readonly sources: Array<RtpPacket | undefined> = new Array(HISTORY).fill(undefined);
  private readonly seqs = new Int32Array(HISTORY).fill(-1);
  private readonly timestamps = new Uint32Array(HISTORY);
  private readonly markers = new Uint8Array(HISTORY);
  private cache: RtpPacket[] | undefined;

  constructor(private readonly owner: ViewerSender) {}

  put(internals: SenderInternals, source: RtpPacket, seq: number, ts: number, marker: boolean) {
    // werift makes a new array when it replaces a track (`replaceRTP`): take that one over.
    if (internals.rtpCache !== this.cache)
      internals.rtpCache = this.cache = this.wrap(internals.rtpCache);
    const slot = seq % HISTORY;
    this.sources[slot] = source;
    this.seqs[slot] = seq;
    this.timestamps[slot] = ts;
    this.markers[slot] = marker ? 1 : 0;
  }

  private wrap(array: RtpPacket[]): RtpPacket[] {
    return new Proxy(array, {
      get: (target, key, receiver) => {
        if (typeof key === 'string') {
          const slot = Number(key);
          const source = Number.isInteger(slot) ? this.sources[slot] : undefined;
          if (source) {
            const packet = Object.create(RtpPacket.prototype) as RtpPacket;
            packet.header = this.owner.headerOf(
              this.seqs[slot]!,
              this.timestamps[slot]!,
              this.markers[slot] === 1,
            );
            packet.payload = source.payload;
            return packet;
          }
        }
        return Reflect.get(target, key, receiver);
      },
      set: (target, key, value, receiver) => {
        if (typeof key === 'string' && Number.isInteger(Number(key))) {
          const slot = Number(key);
          if (slot >= 0 && slot < HISTORY) this.sources[slot] = undefined;
        }
        return Reflect.set(target, key, value, receiver);
      },
    });
  }
}

/** Milliseconds from the NTP epoch (1900) to the Unix one (1970). */
const NTP_UNIX_OFFSET_MS = 2_208_988_800_000;

/**
 * The wall clock as a 64-bit NTP timestamp (RFC 5905: seconds since 1900, then the fraction
 * of a second in units of 2^-32 s), for the sender reports' NTP/RTP pair, by which a
 * receiver lines audio and video up (RFC 3550 §6.4.1).
 *
 * Not werift's `ntpTime()`, whose fraction is the decimal digits of the seconds read as an
 * integer (`'….2590137'` gives 2590137 units, 0.6 ms, where 0.259 s was meant): its
 * timestamps are right to the second only, and step back and forth by up to a second between
 * reports. A receiver that syncs audio and video by them sees the two streams' timelines
 * disagree by that much from one report to the next.
 */
export function ntpNow(): bigint {
  const ms = performance.timeOrigin + performance.now() + NTP_UNIX_OFFSET_MS;
  const seconds = Math.floor(ms / 1000);
  const fraction = Math.floor(((ms - seconds * 1000) / 1000) * 0x1_0000_0000);
  return (BigInt(seconds) << 32n) | BigInt(fraction);
}

const PARTS: Buffer[] = [];
const EMPTY = Buffer.alloc(0);
