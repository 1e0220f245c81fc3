import { RtcpPacketConverter, RtcpTransportLayerFeedback, TransportWideCC } from 'werift';
import { describe, expect, it } from 'vitest';
import { TwccRecorder } from './twcc.ts';

function parse(buf: Buffer) {
  expect(buf.length % 4).toBe(0);
  const [packet] = RtcpPacketConverter.deSerialize(buf);
  expect(packet).toBeInstanceOf(RtcpTransportLayerFeedback);
  const feedback = (packet as RtcpTransportLayerFeedback).feedback as TransportWideCC;
  expect(feedback).toBeInstanceOf(TransportWideCC);
  return feedback;
}

/** Each status, expanded from the run-length chunks. */
const statuses = (f: TransportWideCC) =>
  f.packetChunks.flatMap((c) =>
    Array.from(
      { length: (c as { runLength: number }).runLength },
      () => (c as { packetStatus: number }).packetStatus,
    ),
  );

describe('transport-wide congestion feedback', () => {
  it('reports every packet with its arrival delta, 250 µs ticks from the reference time', () => {
    const twcc = new TwccRecorder(1, 2);
    const t0 = 64_000 * 1000 + 1_000; // 1 ms past a 64 ms reference tick
    for (let i = 0; i < 5; i++) twcc.record(100 + i, t0 + i * 5_000);
    const f = parse(twcc.build()!);
    expect(f).toMatchObject({
      senderSsrc: 1,
      mediaSourceSsrc: 2,
      baseSequenceNumber: 100,
      packetStatusCount: 5,
      referenceTime: 1000,
      fbPktCount: 0,
    });
    expect(statuses(f)).toEqual([1, 1, 1, 1, 1]);
    expect(f.recvDeltas.map((d) => d.delta)).toEqual([1000, 5000, 5000, 5000, 5000]);
    expect(twcc.build()).toBeUndefined();
  });

  it('reports lost packets as not received, and continues where the last report ended', () => {
    const twcc = new TwccRecorder(1, 2);
    const t0 = 10_000_000;
    for (const seq of [10, 11, 14, 15]) twcc.record(seq, t0 + seq * 1000);
    const first = parse(twcc.build()!);
    expect(first.packetStatusCount).toBe(6);
    expect(statuses(first)).toEqual([1, 1, 0, 0, 1, 1]);
    expect(first.recvDeltas).toHaveLength(4);

    twcc.record(17, t0 + 17_000);
    twcc.record(12, t0 + 18_000); // too late: already reported lost
    const second = parse(twcc.build()!);
    expect(second).toMatchObject({ baseSequenceNumber: 16, packetStatusCount: 2, fbPktCount: 1 });
    expect(statuses(second)).toEqual([0, 1]);
  });

  it('carries packets across the 16-bit wrap and reordering', () => {
    const twcc = new TwccRecorder(1, 2);
    const t0 = 5_000_000;
    twcc.record(65534, t0);
    twcc.record(0, t0 + 2_000);
    twcc.record(65535, t0 + 1_000);
    twcc.record(1, t0 + 3_000);
    const f = parse(twcc.build()!);
    expect(f).toMatchObject({ baseSequenceNumber: 65534, packetStatusCount: 4 });
    expect(statuses(f)).toEqual([1, 1, 1, 1]);
  });

  it('uses large (and negative) deltas when packets arrive out of order or far apart', () => {
    const twcc = new TwccRecorder(1, 2);
    const t0 = 64_000 * 10; // a reference tick
    twcc.record(1, t0 + 36_000);
    twcc.record(2, t0 + 35_000); // arrived before 1
    twcc.record(3, t0 + 336_000);
    const f = parse(twcc.build()!);
    expect(statuses(f)).toEqual([1, 2, 2]);
    expect(f.recvDeltas.map((d) => d.delta)).toEqual([36_000, -1_000, 301_000]);
  });
});
