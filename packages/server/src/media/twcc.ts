/**
 * Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01)
 * for a publishing browser: when each of its packets arrived, or that it did not. Its
 * congestion controller (GoogCC) reads delay growth and losses from these reports and lowers
 * the bitrate before a 1 Mbit/s uplink drowns, then probes upwards again.
 *
 * werift 0.24 ships a receiver for this that reports lost packets as received, keeps one
 * report per track although the sequence numbers are transport-wide, and breaks at the 16-bit
 * wrap, so a lossy uplink gets malformed reports and the browser's estimate starves. This one
 * is fed by werift's receive path (see `relay.ts`) and is transport-wide.
 */

const TICK_US = 250;
const REFERENCE_US = 64_000;
/** Enough for ~1.5 s of a 1 Mbit/s stream per report; more is stale anyway. */
const MAX_STATUS = 2000;
const RUN_MAX = 0x1fff;

/** Packet status symbols. */
const NOT_RECEIVED = 0;
const SMALL_DELTA = 1;
const LARGE_DELTA = 2;

export class TwccRecorder {
  private readonly arrivals = new Map<number, number>();
  private highest: number | undefined;
  private nextBase: number | undefined;
  private feedbackCount = 0;

  constructor(
    private readonly senderSsrc: number,
    private readonly mediaSsrc: number,
    private readonly nowUs: () => number = () => performance.now() * 1000,
  ) {}

  /** One packet with transport-wide sequence number `seq` (16 bits) arrived now. */
  record(seq: number | undefined, atUs = this.nowUs()): void {
    if (seq === undefined) return;
    const full = this.unwrap(seq);
    if (this.nextBase !== undefined && full < this.nextBase) return; // already reported lost
    this.arrivals.set(full, atUs);
  }

  get pending(): number {
    return this.arrivals.size;
  }

  /** The next RTCP transport feedback packet, or undefined when nothing arrived since the last. */
  build(): Buffer | undefined {
    if (this.arrivals.size === 0 || this.highest === undefined) return undefined;
    let base = this.nextBase ?? Math.min(...this.arrivals.keys());
    if (this.highest - base + 1 > MAX_STATUS) base = this.highest - MAX_STATUS + 1;
    let firstArrival: number | undefined;
    for (let seq = base; seq <= this.highest && firstArrival === undefined; seq++)
      firstArrival = this.arrivals.get(seq);
    if (firstArrival === undefined) return undefined;

    const referenceUnits = Math.floor(firstArrival / REFERENCE_US);
    let previous = referenceUnits * REFERENCE_US;
    const symbols: number[] = [];
    const deltas: number[] = [];
    let end = base - 1;
    for (let seq = base; seq <= this.highest; seq++) {
      const at = this.arrivals.get(seq);
      if (at === undefined) {
        symbols.push(NOT_RECEIVED);
      } else {
        const ticks = Math.round((at - previous) / TICK_US);
        // A gap of more than 8 s does not fit: this report ends here, the next starts afresh.
        if (ticks < -0x8000 || ticks > 0x7fff) break;
        symbols.push(ticks >= 0 && ticks <= 0xff ? SMALL_DELTA : LARGE_DELTA);
        deltas.push(ticks);
        // Accumulate the rounded deltas, as the browser will, so rounding never drifts.
        previous += ticks * TICK_US;
      }
      end = seq;
    }
    for (const seq of this.arrivals.keys()) if (seq <= end) this.arrivals.delete(seq);
    this.nextBase = end + 1;
    while (symbols.length > 0 && symbols[symbols.length - 1] === NOT_RECEIVED) symbols.pop();
    if (deltas.length === 0) return undefined;

    const chunks: number[] = [];
    for (let i = 0; i < symbols.length;) {
      const symbol = symbols[i]!;
      let run = 1;
      while (i + run < symbols.length && symbols[i + run] === symbol && run < RUN_MAX) run++;
      chunks.push((symbol << 13) | run);
      i += run;
    }
    const deltaBytes = deltas.reduce((n, d) => n + (d >= 0 && d <= 0xff ? 1 : 2), 0);
    const unpadded = 20 + chunks.length * 2 + deltaBytes;
    const padding = (4 - (unpadded % 4)) % 4;
    const buf = Buffer.alloc(unpadded + padding);
    buf[0] = 0x80 | (padding > 0 ? 0x20 : 0) | 15; // V=2, P, FMT=15
    buf[1] = 205; // RTPFB
    buf.writeUInt16BE(buf.length / 4 - 1, 2);
    buf.writeUInt32BE(this.senderSsrc >>> 0, 4);
    buf.writeUInt32BE(this.mediaSsrc >>> 0, 8);
    buf.writeUInt16BE(base & 0xffff, 12);
    buf.writeUInt16BE(symbols.length, 14);
    buf.writeUIntBE(referenceUnits & 0xffffff, 16, 3);
    buf[19] = this.feedbackCount;
    this.feedbackCount = (this.feedbackCount + 1) & 0xff;
    let offset = 20;
    for (const chunk of chunks) offset = buf.writeUInt16BE(chunk, offset);
    for (const d of deltas)
      offset = d >= 0 && d <= 0xff ? buf.writeUInt8(d, offset) : buf.writeInt16BE(d, offset);
    if (padding > 0) buf[buf.length - 1] = padding;
    return buf;
  }

  private unwrap(seq: number): number {
    if (this.highest === undefined) {
      // Start high so that packets reordered before the first never go negative.
      this.highest = 0x10000 + seq;
      return this.highest;
    }
    let delta = seq - (this.highest & 0xffff);
    if (delta > 0x8000) delta -= 0x10000;
    else if (delta < -0x8000) delta += 0x10000;
    const full = this.highest + delta;
    if (full > this.highest) this.highest = full;
    return full;
  }
}
