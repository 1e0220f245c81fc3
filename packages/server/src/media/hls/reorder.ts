import type { RtpPacket } from 'werift';

/**
 * Puts one RTP stream back in sequence order. Packets come straight off the network (the
 * relay forwards as they arrive); a missing one is waited for up to `maxWaitMs` (a NACK
 * retransmission), then given up: the next packet out carries `gap`.
 */
export class ReorderBuffer {
  private next: number | undefined;
  private readonly held = new Map<number, RtpPacket>();
  private waitingSince = 0;

  constructor(
    private readonly maxWaitMs = 250,
    private readonly maxHeld = 512,
  ) {}

  push(packet: RtpPacket, now: number): Array<{ packet: RtpPacket; gap: boolean }> {
    const seq = packet.header.sequenceNumber;
    if (this.next === undefined) this.next = seq;
    if (((seq - this.next) & 0xffff) >= 0x8000) return []; // late or duplicate
    if (!this.held.has(seq)) this.held.set(seq, packet);
    const out = this.drain(false);
    if (this.held.size === 0) return out;
    if (this.waitingSince === 0) this.waitingSince = now;
    while (
      this.held.size > 0 &&
      (now - this.waitingSince >= this.maxWaitMs || this.held.size > this.maxHeld)
    ) {
      // Give the missing ones up: continue at the oldest packet we have.
      let oldest = Infinity;
      for (const s of this.held.keys()) oldest = Math.min(oldest, (s - this.next!) & 0xffff);
      this.next = (this.next! + oldest) & 0xffff;
      out.push(...this.drain(true));
      this.waitingSince = this.held.size > 0 ? now : 0;
    }
    return out;
  }

  /** Everything still held, in order (the stream ends). */
  flush(): Array<{ packet: RtpPacket; gap: boolean }> {
    const out: Array<{ packet: RtpPacket; gap: boolean }> = [];
    while (this.held.size > 0) {
      let oldest = Infinity;
      for (const s of this.held.keys()) oldest = Math.min(oldest, (s - this.next!) & 0xffff);
      const gap = oldest > 0;
      this.next = (this.next! + oldest) & 0xffff;
      out.push(...this.drain(gap));
    }
    return out;
  }

  private drain(gapFirst: boolean): Array<{ packet: RtpPacket; gap: boolean }> {
    const out: Array<{ packet: RtpPacket; gap: boolean }> = [];
    let gap = gapFirst;
    for (;;) {
      const packet = this.held.get(this.next!);
      if (!packet) break;
      this.held.delete(this.next!);
      out.push({ packet, gap });
      gap = false;
      this.next = (this.next! + 1) & 0xffff;
    }
    if (out.length > 0 && this.held.size === 0) this.waitingSince = 0;
    return out;
  }
}

/** Extends 32-bit RTP timestamps into a number that keeps growing past a wrap. */
export class TimestampUnwrapper {
  private last: number | undefined;
  private ext = 0;

  unwrap(ts: number): number {
    if (this.last === undefined) {
      this.last = ts;
      this.ext = ts;
      return ts;
    }
    const diff = ((ts - this.last) | 0) as number; // signed 32-bit difference
    this.last = ts;
    this.ext += diff;
    return this.ext;
  }
}
