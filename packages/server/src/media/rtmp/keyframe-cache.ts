import type { RtpPacket } from 'werift';
import { copyPacket } from '../relay.ts';

/** RTP timestamp step between two replayed frames: 1 ms at 90 kHz. */
const SQUEEZED_FRAME_TICKS = 90;

/**
 * The most a viewer is replayed when it starts: about 5 s of a 1.5 Mbit/s stream, which the
 * relay sends in about 0.8 s (`Outlet.replay`). Past it a viewer waits for the next keyframe
 * instead, which the encoder settings in docs/obs.md (a keyframe every second) keep short.
 */
export const MAX_REPLAY_BYTES = 1024 * 1024;

/**
 * The video packets of the current group of pictures (from the last keyframe on) of an
 * encoder that cannot be asked for a keyframe (RTMP has no PLI). A viewer who starts now
 * gets them at once instead of a black picture until the encoder's next keyframe, which
 * OBS sends every 2 to 8 s unless told otherwise.
 *
 * The replayed frames get new timestamps, 1 ms apart and ending at the newest frame's:
 * with their own (up to a GOP old) the viewer's jitter buffer would play them at their
 * pace and stay that far behind; squeezed, they are decoded at once and the viewer is live
 * from its first frame. Sequence numbers are kept, so live packets follow without a gap.
 */
export class KeyframeCache {
  private packets: RtpPacket[] = [];
  private bytes = 0;
  /** Over `maxBytes`: nothing is cached until the next keyframe. */
  private overflowed = false;

  constructor(private readonly maxBytes = MAX_REPLAY_BYTES) {}

  get size(): number {
    return this.packets.length;
  }

  /** Every video packet, in order; `startsKeyframe` as `codecs.ts` tells it. */
  add(packet: RtpPacket, startsKeyframe: boolean): void {
    const first = this.packets[0];
    // An SPS, PPS and the IDR's first fragment all start "a keyframe": one frame, one timestamp.
    if (startsKeyframe && (!first || first.header.timestamp !== packet.header.timestamp)) {
      this.packets = [];
      this.bytes = 0;
      this.overflowed = false;
    } else if (this.overflowed || this.packets.length === 0) {
      return;
    }
    this.bytes += packet.payload.length;
    if (this.bytes > this.maxBytes) {
      this.clear();
      this.overflowed = true;
      return;
    }
    // The packet is shared with the relay, which never changes it; keep the reference.
    this.packets.push(packet);
  }

  clear(): void {
    this.packets = [];
    this.bytes = 0;
  }

  /** Copies of the cached packets with squeezed timestamps (see the class comment). */
  replay(): RtpPacket[] {
    const last = this.packets.at(-1);
    if (!last) return [];
    // Frames in the order they came (no B-frames over WebRTC), the newest keeping its time.
    const frames = new Map<number, number>();
    for (const p of this.packets)
      if (!frames.has(p.header.timestamp)) frames.set(p.header.timestamp, frames.size);
    const newest = frames.size - 1;
    const end = last.header.timestamp;
    return this.packets.map((p) =>
      copyPacket(
        p,
        p.header.sequenceNumber,
        (end - (newest - frames.get(p.header.timestamp)!) * SQUEEZED_FRAME_TICKS) >>> 0,
      ),
    );
  }
}
