/**
 * Which codecs the studio offers, in order, for `RTCRtpTransceiver.setCodecPreferences`.
 * Video: H.264 (packetization-mode 1, constrained baseline first: what phones encode in
 * hardware and what the server records without transcoding), then VP8; their RTX for NACK
 * repairs. Nothing else: no VP9/AV1 the relay would refuse, no RED/FEC that costs uplink.
 * Audio: Opus only.
 */

/** The shape of RTCRtpCodec (RTCRtpCodecCapability in older DOM typings). */
export interface CodecCapability {
  mimeType: string;
  clockRate: number;
  channels?: number;
  sdpFmtpLine?: string;
}

const fmtp = (c: CodecCapability): Record<string, string> =>
  Object.fromEntries(
    (c.sdpFmtpLine ?? '')
      .split(';')
      .map((p) => p.trim().split('='))
      .filter((kv): kv is [string, string] => kv.length === 2 && kv[0] !== ''),
  );

function videoRank(c: CodecCapability): number | undefined {
  const mime = c.mimeType.toLowerCase();
  if (mime === 'video/h264') {
    const params = fmtp(c);
    if (params['packetization-mode'] !== '1') return undefined;
    const profile = (params['profile-level-id'] ?? '').toLowerCase();
    if (profile.startsWith('42e0')) return 0;
    if (profile.startsWith('42')) return 1;
    return 2;
  }
  if (mime === 'video/vp8') return 3;
  return undefined;
}

/** The codecs to prefer for one kind, or null to leave the browser's default order. */
export function preferredCodecs<C extends CodecCapability>(
  kind: 'audio' | 'video',
  available: readonly C[],
): C[] | null {
  if (kind === 'audio') {
    const opus = available.filter(
      (c) => c.mimeType.toLowerCase() === 'audio/opus' && c.clockRate === 48000,
    );
    return opus.length > 0 ? opus : null;
  }
  const ranked = available
    .map((c, i) => ({ c, i, r: videoRank(c) }))
    .filter((x): x is { c: C; i: number; r: number } => x.r !== undefined)
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.c);
  if (ranked.length === 0) return null;
  const rtx = available.filter((c) => c.mimeType.toLowerCase() === 'video/rtx');
  return [...ranked, ...rtx];
}

/** "H264" / "VP8" / "opus", from a mime type, for the health panel. */
export const codecName = (mimeType: string | undefined): string | null =>
  mimeType ? (mimeType.split('/')[1] ?? null) : null;
