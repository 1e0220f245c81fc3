/**
 * The uplink health panel's numbers, from `RTCPeerConnection.getStats()` once a second:
 * what we send (outbound-rtp), what the server says arrived (remote-inbound-rtp, from its
 * receiver reports) and the network path (the selected candidate pair). Pure: the stats
 * come in as plain objects.
 */

type Stat = Record<string, unknown> & { type?: unknown; id?: unknown };

export interface UplinkSample {
  /** performance.now()-like milliseconds of the report. */
  at: number;
  bytesSent: number;
  /**
   * Everything received on the transport (the server's congestion feedback and reports,
   * several times a second while we send): when it stops growing, the server is not there.
   */
  bytesReceived: number | null;
  packetsSent: number;
  retransmittedPacketsSent: number;
  /** Cumulative packets the server reported lost (all streams), if it reports at all. */
  packetsLost: number | null;
  /** The latest receiver report's fraction lost (0–1), worst stream. */
  fractionLost: number | null;
  rttMs: number | null;
  /** The browser's bandwidth estimate for sending, kbit/s. */
  availableKbps: number | null;
  fps: number | null;
  width: number | null;
  height: number | null;
  /** Why the encoder sends less than it would like: `bandwidth`, `cpu`, `none`, `other`. */
  limitation: string | null;
  codec: string | null;
}

export type HealthLevel = 'unknown' | 'good' | 'weak' | 'bad';

export interface UplinkHealth {
  level: HealthLevel;
  kbps: number | null;
  lossPct: number | null;
  rttMs: number | null;
  fps: number | null;
  width: number | null;
  height: number | null;
  limitation: string | null;
  /** The browser's estimate of what the uplink can carry, kbit/s. */
  availableKbps: number | null;
  codec: string | null;
}

export const UNKNOWN_HEALTH: UplinkHealth = {
  level: 'unknown',
  kbps: null,
  lossPct: null,
  rttMs: null,
  fps: null,
  width: null,
  height: null,
  limitation: null,
  availableKbps: null,
  codec: null,
};

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Reads one getStats() report (its values) into the numbers the panel needs. */
export function uplinkSample(stats: Iterable<Stat>, at: number): UplinkSample {
  const all = [...stats];
  const byId = new Map(all.map((s) => [s.id, s]));
  const sample: UplinkSample = {
    at,
    bytesSent: 0,
    bytesReceived: null,
    packetsSent: 0,
    retransmittedPacketsSent: 0,
    packetsLost: null,
    fractionLost: null,
    rttMs: null,
    availableKbps: null,
    fps: null,
    width: null,
    height: null,
    limitation: null,
    codec: null,
  };
  let remoteRtt: number | null = null;
  for (const s of all) {
    if (s.type === 'outbound-rtp') {
      sample.bytesSent += num(s.bytesSent) ?? 0;
      sample.packetsSent += num(s.packetsSent) ?? 0;
      sample.retransmittedPacketsSent += num(s.retransmittedPacketsSent) ?? 0;
      if (s.kind === 'video') {
        sample.fps = num(s.framesPerSecond);
        sample.width = num(s.frameWidth);
        sample.height = num(s.frameHeight);
        sample.limitation = str(s.qualityLimitationReason);
        const codec = byId.get(s.codecId);
        const mime = codec ? str(codec.mimeType) : null;
        sample.codec = mime ? (mime.split('/')[1] ?? null) : null;
      }
    } else if (s.type === 'remote-inbound-rtp') {
      const lost = num(s.packetsLost);
      if (lost !== null) sample.packetsLost = (sample.packetsLost ?? 0) + Math.max(0, lost);
      const fraction = num(s.fractionLost);
      if (fraction !== null) sample.fractionLost = Math.max(sample.fractionLost ?? 0, fraction);
      const rtt = num(s.roundTripTime);
      if (rtt !== null) remoteRtt = Math.max(remoteRtt ?? 0, rtt * 1000);
    }
  }
  for (const s of all) {
    const received = s.type === 'transport' ? num(s.bytesReceived) : null;
    if (received !== null) sample.bytesReceived = (sample.bytesReceived ?? 0) + received;
  }
  const pair = selectedPair(all, byId);
  const pairRtt = pair ? num(pair.currentRoundTripTime) : null;
  sample.rttMs = remoteRtt ?? (pairRtt !== null ? pairRtt * 1000 : null);
  const available = pair ? num(pair.availableOutgoingBitrate) : null;
  sample.availableKbps = available !== null ? available / 1000 : null;
  return sample;
}

function selectedPair(all: Stat[], byId: Map<unknown, Stat>): Stat | undefined {
  for (const s of all) {
    if (s.type === 'transport' && s.selectedCandidatePairId) {
      const pair = byId.get(s.selectedCandidatePairId);
      if (pair) return pair;
    }
  }
  return all.find(
    (s) => s.type === 'candidate-pair' && s.nominated === true && s.state === 'succeeded',
  );
}

/** Whether the server sent anything between two samples (null: cannot tell). */
export function heardFromServer(prev: UplinkSample | null, cur: UplinkSample): boolean | null {
  if (!prev || prev.bytesReceived === null || cur.bytesReceived === null) return null;
  return cur.bytesReceived > prev.bytesReceived;
}

/**
 * The panel's numbers between two samples a second or so apart, and a plain verdict:
 * good (viewers see a clear picture), weak (it gets blurry or jerky), bad (it freezes).
 */
export function uplinkHealth(prev: UplinkSample | null, cur: UplinkSample): UplinkHealth {
  if (!prev || cur.at <= prev.at) {
    return {
      ...UNKNOWN_HEALTH,
      rttMs: cur.rttMs,
      fps: cur.fps,
      width: cur.width,
      height: cur.height,
      limitation: cur.limitation,
      availableKbps: cur.availableKbps === null ? null : Math.round(cur.availableKbps),
      codec: cur.codec,
    };
  }
  const seconds = (cur.at - prev.at) / 1000;
  const kbps = Math.max(0, ((cur.bytesSent - prev.bytesSent) * 8) / 1000 / seconds);
  const sent = cur.packetsSent - prev.packetsSent;
  let lossPct: number | null = null;
  if (cur.fractionLost !== null) lossPct = cur.fractionLost * 100;
  if (cur.packetsLost !== null && prev.packetsLost !== null && sent > 0) {
    const lost = Math.max(0, cur.packetsLost - prev.packetsLost);
    lossPct = Math.max(lossPct ?? 0, Math.min(100, (lost / sent) * 100));
  }
  if (lossPct === null && sent > 0) {
    // No receiver reports: what had to be sent again is a fair stand-in for what was lost.
    const again = Math.max(0, cur.retransmittedPacketsSent - prev.retransmittedPacketsSent);
    lossPct = Math.min(100, (again / sent) * 100);
  }
  const health: UplinkHealth = {
    level: 'unknown',
    kbps: Math.round(kbps),
    lossPct: lossPct === null ? null : Math.round(lossPct * 10) / 10,
    rttMs: cur.rttMs === null ? null : Math.round(cur.rttMs),
    fps: cur.fps,
    width: cur.width,
    height: cur.height,
    limitation: cur.limitation,
    availableKbps: cur.availableKbps === null ? null : Math.round(cur.availableKbps),
    codec: cur.codec,
  };
  return { ...health, level: classifyUplink(health) };
}

/**
 * Thresholds for a live-selling picture: 300 kbit/s is a soft 360p, under 120 a slideshow.
 * A low bitrate only counts against the network when the network is what holds it down (the
 * encoder says `bandwidth`, or the browser's estimate is that low): a still picture needs
 * little.
 */
export function classifyUplink(
  h: Pick<UplinkHealth, 'kbps' | 'lossPct' | 'rttMs'> &
    Partial<Pick<UplinkHealth, 'limitation' | 'availableKbps'>>,
): HealthLevel {
  if (h.kbps === null) return 'unknown';
  const loss = h.lossPct ?? 0;
  const rtt = h.rttMs ?? 0;
  const capacity = Math.min(
    h.limitation === 'bandwidth' ? h.kbps : Infinity,
    h.availableKbps ?? Infinity,
  );
  if (capacity < 120 || loss >= 10 || rtt >= 1000) return 'bad';
  if (capacity < 300 || loss >= 3 || rtt >= 400) return 'weak';
  return 'good';
}
