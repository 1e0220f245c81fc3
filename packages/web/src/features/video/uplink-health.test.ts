import { describe, expect, it } from 'vitest';
import { classifyUplink, heardFromServer, uplinkHealth, uplinkSample } from './uplink-health.ts';

/** A Chromium-like report: video + audio outbound, the server's receiver reports, the pair. */
function report(o: {
  videoBytes: number;
  audioBytes: number;
  videoPackets: number;
  audioPackets: number;
  lost?: number;
  fraction?: number;
  rtt?: number;
  retransmitted?: number;
  withRemote?: boolean;
  received?: number;
}) {
  const stats: Array<Record<string, unknown>> = [
    { id: 'T1', type: 'transport', selectedCandidatePairId: 'CP1', bytesReceived: o.received ?? 0 },
    {
      id: 'CP1',
      type: 'candidate-pair',
      state: 'succeeded',
      nominated: true,
      currentRoundTripTime: 0.042,
      availableOutgoingBitrate: 812_000,
    },
    { id: 'CP2', type: 'candidate-pair', state: 'failed', currentRoundTripTime: 9 },
    { id: 'COT01_96', type: 'codec', mimeType: 'video/H264' },
    {
      id: 'OT01V',
      type: 'outbound-rtp',
      kind: 'video',
      bytesSent: o.videoBytes,
      packetsSent: o.videoPackets,
      retransmittedPacketsSent: o.retransmitted ?? 0,
      framesPerSecond: 24,
      frameWidth: 640,
      frameHeight: 360,
      qualityLimitationReason: 'none',
      codecId: 'COT01_96',
    },
    {
      id: 'OT01A',
      type: 'outbound-rtp',
      kind: 'audio',
      bytesSent: o.audioBytes,
      packetsSent: o.audioPackets,
    },
  ];
  if (o.withRemote !== false) {
    stats.push(
      {
        id: 'RI1',
        type: 'remote-inbound-rtp',
        kind: 'video',
        packetsLost: o.lost ?? 0,
        fractionLost: o.fraction ?? 0,
        roundTripTime: o.rtt ?? 0.05,
      },
      {
        id: 'RI2',
        type: 'remote-inbound-rtp',
        kind: 'audio',
        packetsLost: 0,
        fractionLost: 0,
        roundTripTime: 0.048,
      },
    );
  }
  return stats;
}

describe('uplinkSample', () => {
  it('adds up what is sent and takes the worst receiver report', () => {
    const s = uplinkSample(
      report({
        videoBytes: 1000,
        audioBytes: 200,
        videoPackets: 10,
        audioPackets: 5,
        lost: 3,
        fraction: 0.02,
        rtt: 0.08,
      }),
      5000,
    );
    expect(s).toMatchObject({
      at: 5000,
      bytesSent: 1200,
      packetsSent: 15,
      packetsLost: 3,
      fractionLost: 0.02,
      rttMs: 80,
      availableKbps: 812,
      fps: 24,
      width: 640,
      height: 360,
      limitation: 'none',
      codec: 'H264',
    });
  });

  it('falls back to the candidate pair for the round trip when the server sends no reports', () => {
    const s = uplinkSample(
      report({ videoBytes: 1, audioBytes: 1, videoPackets: 1, audioPackets: 1, withRemote: false }),
      1,
    );
    expect(s.rttMs).toBe(42);
    expect(s.packetsLost).toBeNull();
    expect(s.fractionLost).toBeNull();
  });

  it('copes with an empty report', () => {
    const s = uplinkSample([], 0);
    expect(s.bytesSent).toBe(0);
    expect(s.rttMs).toBeNull();
    expect(s.codec).toBeNull();
  });
});

describe('uplinkHealth', () => {
  it('is unknown on the first sample', () => {
    const s = uplinkSample(
      report({ videoBytes: 0, audioBytes: 0, videoPackets: 0, audioPackets: 0 }),
      0,
    );
    expect(uplinkHealth(null, s).level).toBe('unknown');
  });

  it('turns a second of 700 kbit/s, no loss and 50 ms into good', () => {
    const a = uplinkSample(
      report({ videoBytes: 0, audioBytes: 0, videoPackets: 0, audioPackets: 0 }),
      1000,
    );
    const b = uplinkSample(
      report({ videoBytes: 83_750, audioBytes: 3_750, videoPackets: 80, audioPackets: 50 }),
      2000,
    );
    expect(uplinkHealth(a, b)).toMatchObject({
      level: 'good',
      kbps: 700,
      lossPct: 0,
      rttMs: 50,
      fps: 24,
      codec: 'H264',
    });
  });

  it('counts loss from the reports: 5 lost of 100 sent is weak', () => {
    const a = uplinkSample(
      report({ videoBytes: 0, audioBytes: 0, videoPackets: 0, audioPackets: 0, lost: 10 }),
      0,
    );
    const b = uplinkSample(
      report({
        videoBytes: 60_000,
        audioBytes: 4000,
        videoPackets: 80,
        audioPackets: 20,
        lost: 15,
      }),
      1000,
    );
    const h = uplinkHealth(a, b);
    expect(h.lossPct).toBe(5);
    expect(h.level).toBe('weak');
  });

  it('uses retransmissions as the loss estimate without reports', () => {
    const a = uplinkSample(
      report({ videoBytes: 0, audioBytes: 0, videoPackets: 0, audioPackets: 0, withRemote: false }),
      0,
    );
    const b = uplinkSample(
      report({
        videoBytes: 100_000,
        audioBytes: 0,
        videoPackets: 100,
        audioPackets: 0,
        retransmitted: 12,
        withRemote: false,
      }),
      1000,
    );
    expect(uplinkHealth(a, b)).toMatchObject({ lossPct: 12, level: 'bad', rttMs: 42 });
  });
});

describe('classifyUplink', () => {
  it('draws the lines', () => {
    expect(classifyUplink({ kbps: null, lossPct: null, rttMs: null })).toBe('unknown');
    expect(classifyUplink({ kbps: 650, lossPct: 0.5, rttMs: 60 })).toBe('good');
    expect(classifyUplink({ kbps: 650, lossPct: 3, rttMs: 60 })).toBe('weak');
    expect(classifyUplink({ kbps: 650, lossPct: 0, rttMs: 450 })).toBe('weak');
    expect(classifyUplink({ kbps: 250, lossPct: 0, rttMs: 60, limitation: 'bandwidth' })).toBe(
      'weak',
    );
    expect(classifyUplink({ kbps: 100, lossPct: 0, rttMs: 60, limitation: 'bandwidth' })).toBe(
      'bad',
    );
    expect(classifyUplink({ kbps: 400, lossPct: 0, rttMs: 60, availableKbps: 100 })).toBe('bad');
    expect(classifyUplink({ kbps: 400, lossPct: 0, rttMs: 60, availableKbps: 250 })).toBe('weak');
    // A still picture needs little: a low bitrate the network does not cause is fine.
    expect(
      classifyUplink({ kbps: 90, lossPct: 0, rttMs: 60, limitation: 'none', availableKbps: 900 }),
    ).toBe('good');
    expect(classifyUplink({ kbps: 90, lossPct: 0, rttMs: 60, limitation: 'cpu' })).toBe('good');
    expect(classifyUplink({ kbps: 650, lossPct: 12, rttMs: 60 })).toBe('bad');
    expect(classifyUplink({ kbps: 650, lossPct: 0, rttMs: 1200 })).toBe('bad');
  });
});

describe('heardFromServer', () => {
  const at = (received: number | undefined, t: number) =>
    uplinkSample(
      report({
        videoBytes: t,
        audioBytes: 0,
        videoPackets: t,
        audioPackets: 0,
        ...(received !== undefined && { received }),
      }),
      t,
    );
  it('notices when the server falls silent', () => {
    expect(heardFromServer(at(100, 0), at(250, 1000))).toBe(true);
    expect(heardFromServer(at(250, 1000), at(250, 2000))).toBe(false);
    expect(heardFromServer(null, at(250, 2000))).toBeNull();
    expect(heardFromServer(uplinkSample([], 0), at(250, 2000))).toBeNull();
  });
});
