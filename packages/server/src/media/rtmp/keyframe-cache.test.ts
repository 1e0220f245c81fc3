import { RtpHeader, RtpPacket } from 'werift';
import { describe, expect, it } from 'vitest';
import { KeyframeCache } from './keyframe-cache.ts';

const SPS = 0x67;
const IDR = 0x65;
const SLICE = 0x41;

function packet(seq: number, ts: number, nal: number, size = 100, marker = true): RtpPacket {
  return new RtpPacket(
    new RtpHeader({ sequenceNumber: seq, timestamp: ts, marker, payloadType: 96, ssrc: 7 }),
    Buffer.concat([Buffer.from([nal]), Buffer.alloc(size - 1)]),
  );
}

describe('KeyframeCache', () => {
  it('keeps the packets from the last keyframe on and replays them squeezed to 1 ms apart', () => {
    const cache = new KeyframeCache();
    cache.add(packet(1, 0, SLICE), false); // before any keyframe: useless
    expect(cache.size).toBe(0);
    // One keyframe: SPS, then the IDR itself, both "start a keyframe", one timestamp.
    cache.add(packet(2, 3000, SPS, 20, false), true);
    cache.add(packet(3, 3000, IDR), true);
    cache.add(packet(4, 6600, SLICE), false);
    cache.add(packet(5, 10_200, SLICE, 100, false), false);
    cache.add(packet(6, 10_200, SLICE), false);
    expect(cache.size).toBe(5);

    const replay = cache.replay();
    expect(replay.map((p) => p.header.sequenceNumber)).toEqual([2, 3, 4, 5, 6]);
    // The newest frame keeps its time; the two before it are 1 and 2 ms (90 ticks) earlier.
    expect(replay.map((p) => p.header.timestamp)).toEqual([10_020, 10_020, 10_110, 10_200, 10_200]);
    expect(replay.map((p) => p.header.marker)).toEqual([false, true, true, false, true]);
    expect(replay[1]!.payload[0]).toBe(IDR);

    // The next keyframe starts over.
    cache.add(packet(7, 13_800, IDR), true);
    expect(cache.replay().map((p) => p.header.sequenceNumber)).toEqual([7]);
  });

  it('wraps timestamps around 2^32', () => {
    const cache = new KeyframeCache();
    cache.add(packet(1, 0xffff_ff00, IDR), true);
    cache.add(packet(2, 50, SLICE), false);
    expect(cache.replay().map((p) => p.header.timestamp)).toEqual([0x1_0000_0000 - 40, 50]);
  });

  it('gives up on a group of pictures bigger than it may replay, until the next keyframe', () => {
    const cache = new KeyframeCache(1000);
    cache.add(packet(1, 0, IDR, 600), true);
    cache.add(packet(2, 3600, SLICE, 600), false);
    expect(cache.replay()).toEqual([]);
    cache.add(packet(3, 7200, SLICE, 100), false);
    expect(cache.replay()).toEqual([]);
    cache.add(packet(4, 10_800, IDR, 100), true);
    expect(cache.replay().map((p) => p.header.sequenceNumber)).toEqual([4]);
  });
});
