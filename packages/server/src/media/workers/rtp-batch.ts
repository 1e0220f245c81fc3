import { RtpPacket } from 'werift';
import { bareHeader } from '../viewer-sender.ts';
import type { MediaKind } from '../sdp.ts';

/**
 * The publisher's RTP on its way to the viewer workers: the packets of one event-loop turn
 * written into one ArrayBuffer, which `postMessage` transfers instead of cloning. Per packet a
 * 16-byte record (live, kind, keyframe and marker flags, payload type, sequence number,
 * timestamp, SSRC, payload length) and the payload; nothing else of the header travels,
 * because a viewer's copy gets its own header anyway (`copyPacket` in relay.ts drops the
 * publisher's extensions, and the fast send path writes no CSRC).
 */

const RECORD = 16;
const KEYFRAME = 1;
const MARKER = 2;

export interface BatchEntry {
  /** Index into the batch's list of lives. */
  live: number;
  kind: MediaKind;
  packet: RtpPacket;
  isKeyframe: boolean;
}

export function batchSize(entries: readonly BatchEntry[]): number {
  let size = 0;
  for (const e of entries) size += RECORD + e.packet.payload.length;
  return size;
}

/** Writes the entries into a fresh ArrayBuffer (to transfer). */
export function encodeBatch(entries: readonly BatchEntry[]): ArrayBuffer {
  const buffer = new ArrayBuffer(batchSize(entries));
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  let at = 0;
  for (const { live, kind, packet, isKeyframe } of entries) {
    const h = packet.header;
    const payload = packet.payload;
    view.setUint8(at, live);
    view.setUint8(at + 1, kind === 'video' ? 1 : 0);
    view.setUint8(at + 2, (isKeyframe ? KEYFRAME : 0) | (h.marker ? MARKER : 0));
    view.setUint8(at + 3, h.payloadType);
    view.setUint16(at + 4, h.sequenceNumber);
    view.setUint32(at + 6, h.timestamp);
    view.setUint32(at + 10, h.ssrc);
    view.setUint16(at + 14, payload.length);
    bytes.set(payload, at + RECORD);
    at += RECORD + payload.length;
  }
  return buffer;
}

/**
 * Reads a batch back as packets whose payloads are views into the buffer (shared by every
 * viewer of the worker, which only reads them). Headers are built without werift's
 * constructors (`bareHeader`), on a path that runs for every packet.
 */
export function decodeBatch(
  buffer: ArrayBuffer,
  each: (live: number, kind: MediaKind, packet: RtpPacket, isKeyframe: boolean) => void,
): void {
  const view = new DataView(buffer);
  let at = 0;
  while (at + RECORD <= buffer.byteLength) {
    const length = view.getUint16(at + 14);
    const flags = view.getUint8(at + 2);
    const header = bareHeader(
      view.getUint8(at + 3),
      view.getUint16(at + 4),
      view.getUint32(at + 6),
      view.getUint32(at + 10),
      (flags & MARKER) !== 0,
    );
    const packet = Object.create(RtpPacket.prototype) as RtpPacket;
    packet.header = header;
    packet.payload = Buffer.from(buffer, at + RECORD, length);
    each(
      view.getUint8(at),
      view.getUint8(at + 1) === 1 ? 'video' : 'audio',
      packet,
      (flags & KEYFRAME) !== 0,
    );
    at += RECORD + length;
  }
}
