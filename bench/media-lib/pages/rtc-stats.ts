/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * Browser side: the peer connections the app's code makes (recorded as they are made), and
 * the getStats() figures the benches report, as plain JSON.
 */
import type { PublisherVideoStats, ViewerAudioStats, ViewerVideoStats } from '../page-api.ts';

const made: RTCPeerConnection[] = [];

/**
 * Records every RTCPeerConnection made from now on. The app's publisher and player keep
 * theirs private; they construct it through the global, so a subclass sees each one.
 */
export function recordPeerConnections(): void {
  const Original = window.RTCPeerConnection;
  class Recorded extends Original {
    constructor(config?: RTCConfiguration) {
      super(config);
      made.push(this);
    }
  }
  window.RTCPeerConnection = Recorded;
}

/** The newest connection that is not closed. */
export function currentPeerConnection(): RTCPeerConnection | null {
  for (let i = made.length - 1; i >= 0; i--) {
    if (made[i]!.connectionState !== 'closed') return made[i]!;
  }
  return null;
}

type Report = Record<string, unknown>;
const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function byType(stats: RTCStatsReport, type: string): Report[] {
  const out: Report[] = [];
  stats.forEach((s: Report) => {
    if (s.type === type) out.push(s);
  });
  return out;
}

function selectedPair(stats: RTCStatsReport): Report | undefined {
  const transport = byType(stats, 'transport')[0];
  const id = transport?.selectedCandidatePairId;
  return byType(stats, 'candidate-pair').find((p) =>
    id ? p.id === id : p.state === 'succeeded' && p.nominated === true,
  );
}

export async function publisherStats(pc: RTCPeerConnection): Promise<PublisherVideoStats | null> {
  const stats = await pc.getStats();
  const out = byType(stats, 'outbound-rtp').find((s) => s.kind === 'video');
  if (!out) return null;
  const remote = byType(stats, 'remote-inbound-rtp').find((s) => s.kind === 'video');
  const pair = selectedPair(stats);
  const codec = byType(stats, 'codec').find((c) => c.id === out.codecId);
  return {
    at: Date.now(),
    frameWidth: num(out.frameWidth),
    frameHeight: num(out.frameHeight),
    framesPerSecond: num(out.framesPerSecond),
    framesEncoded: num(out.framesEncoded) ?? 0,
    bytesSent: num(out.bytesSent) ?? 0,
    packetsSent: num(out.packetsSent) ?? 0,
    retransmittedBytesSent: num(out.retransmittedBytesSent) ?? 0,
    targetBitrate: num(out.targetBitrate),
    qualityLimitationReason: str(out.qualityLimitationReason),
    qualityLimitationDurations: (out.qualityLimitationDurations as Record<string, number>) ?? {},
    nackCount: num(out.nackCount) ?? 0,
    pliCount: num(out.pliCount) ?? 0,
    encoderImplementation: str(out.encoderImplementation),
    codec: str(codec?.mimeType),
    availableOutgoingBitrate: num(pair?.availableOutgoingBitrate),
    roundTripTimeSeconds: num(pair?.currentRoundTripTime) ?? num(remote?.roundTripTime),
    fractionLost: num(remote?.fractionLost),
  };
}

export async function viewerStats(pc: RTCPeerConnection): Promise<ViewerVideoStats | null> {
  const stats = await pc.getStats();
  const inb = byType(stats, 'inbound-rtp').find((s) => s.kind === 'video');
  if (!inb) return null;
  const audio = byType(stats, 'inbound-rtp').find((s) => s.kind === 'audio');
  return {
    audio: audio ? audioStats(audio, byType(stats, 'media-playout')[0]) : null,
    at: Date.now(),
    framesDecoded: num(inb.framesDecoded) ?? 0,
    framesDropped: num(inb.framesDropped) ?? 0,
    framesReceived: num(inb.framesReceived) ?? 0,
    framesPerSecond: num(inb.framesPerSecond),
    frameWidth: num(inb.frameWidth),
    frameHeight: num(inb.frameHeight),
    freezeCount: num(inb.freezeCount) ?? 0,
    totalFreezesDuration: num(inb.totalFreezesDuration) ?? 0,
    pauseCount: num(inb.pauseCount) ?? 0,
    bytesReceived: num(inb.bytesReceived) ?? 0,
    packetsLost: num(inb.packetsLost) ?? 0,
    packetsReceived: num(inb.packetsReceived) ?? 0,
    nackCount: num(inb.nackCount) ?? 0,
    pliCount: num(inb.pliCount) ?? 0,
    jitter: num(inb.jitter),
    jitterBufferDelay: num(inb.jitterBufferDelay) ?? 0,
    jitterBufferTargetDelay: num(inb.jitterBufferTargetDelay) ?? 0,
    jitterBufferEmittedCount: num(inb.jitterBufferEmittedCount) ?? 0,
    jitterBufferMinimumDelay: num(inb.jitterBufferMinimumDelay) ?? 0,
    totalDecodeTime: num(inb.totalDecodeTime) ?? 0,
    totalAssemblyTime: num(inb.totalAssemblyTime) ?? 0,
  };
}

function audioStats(inb: Report, playout: Report | undefined): ViewerAudioStats {
  return {
    packetsReceived: num(inb.packetsReceived) ?? 0,
    packetsLost: num(inb.packetsLost) ?? 0,
    jitter: num(inb.jitter),
    jitterBufferDelay: num(inb.jitterBufferDelay) ?? 0,
    jitterBufferTargetDelay: num(inb.jitterBufferTargetDelay) ?? 0,
    jitterBufferEmittedCount: num(inb.jitterBufferEmittedCount) ?? 0,
    jitterBufferMinimumDelay: num(inb.jitterBufferMinimumDelay) ?? 0,
    concealedSamples: num(inb.concealedSamples) ?? 0,
    totalSamplesReceived: num(inb.totalSamplesReceived) ?? 0,
    insertedSamplesForDeceleration: num(inb.insertedSamplesForDeceleration) ?? 0,
    removedSamplesForAcceleration: num(inb.removedSamplesForAcceleration) ?? 0,
    totalPlayoutDelay: num(playout?.totalPlayoutDelay) ?? 0,
    totalPlayoutSamples: num(playout?.totalSamplesCount) ?? 0,
  };
}
