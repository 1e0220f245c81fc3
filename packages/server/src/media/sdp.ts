import { AppError } from '@cunbo/shared';

/**
 * The little SDP handling WHIP and WHEP need, on text: checking an offer, narrowing it to the
 * one codec per track the relay forwards (werift answers with every codec it recognises by
 * name, in the offerer's order, echoing the offerer's feedback), and the trickle-ICE
 * fragments of RFC 8840 that PATCH carries.
 */

export type MediaKind = 'audio' | 'video';

/** A codec as one side of the relay negotiated it. */
export interface NegotiatedCodec {
  kind: MediaKind;
  /** `opus`, `H264` or `VP8`, as written in the SDP. */
  name: string;
  payloadType: number;
  clockRate: number;
  channels?: number;
  /** The `a=fmtp` parameters, e.g. `profile-level-id=42e01f;packetization-mode=1`. */
  fmtp: string;
}

interface SdpCodec {
  payloadType: number;
  name: string;
  clockRate: number;
  channels?: number;
  fmtp: string;
}

interface Section {
  lines: string[];
}

function split(sdp: string): { session: string[]; media: Section[] } {
  const lines = sdp.split(/\r?\n/).filter((l) => l.length > 0);
  const session: string[] = [];
  const media: Section[] = [];
  for (const line of lines) {
    if (line.startsWith('m=')) media.push({ lines: [line] });
    else if (media.length > 0) media[media.length - 1]!.lines.push(line);
    else session.push(line);
  }
  return { session, media };
}

function join(session: string[], media: Section[]): string {
  return [...session, ...media.flatMap((m) => m.lines)].join('\r\n') + '\r\n';
}

const kindOf = (section: Section) => section.lines[0]!.slice(2).split(' ')[0]!;
const isRejected = (section: Section) => section.lines[0]!.split(' ')[1] === '0';
const attribute = (lines: string[], name: string) =>
  lines
    .find((l) => l.startsWith(`a=${name}:`))
    ?.slice(name.length + 3)
    .trim();

function directionOf(section: Section, session: string[]): string {
  const dirs = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];
  return (
    section.lines.find((l) => dirs.includes(l.slice(2)))?.slice(2) ??
    session.find((l) => dirs.includes(l.slice(2)))?.slice(2) ??
    'sendrecv'
  );
}

/** `a=rtpmap:96 opus/48000/2` → `opus/48000/2` for payload type 96. */
const ofPayloadType = (lines: string[], name: string, pt: number) =>
  lines
    .find((l) => l.startsWith(`a=${name}:${pt} `))
    ?.slice(`a=${name}:${pt} `.length)
    .trim();

function codecsOf(section: Section): SdpCodec[] {
  const formats = section.lines[0]!.split(' ').slice(3).map(Number);
  return formats.flatMap((pt) => {
    const rtpmap = ofPayloadType(section.lines, 'rtpmap', pt);
    if (!rtpmap) return [];
    const [name = '', clock = '0', channels] = rtpmap.split('/');
    return [
      {
        payloadType: pt,
        name,
        clockRate: Number(clock),
        channels: channels ? Number(channels) : undefined,
        fmtp: ofPayloadType(section.lines, 'fmtp', pt) ?? '',
      },
    ];
  });
}

export function fmtpParams(fmtp: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of fmtp.split(';')) {
    const [k, v] = part.split('=');
    if (k?.trim()) out[k.trim().toLowerCase()] = (v ?? '').trim();
  }
  return out;
}

const invalid = (reason: string) =>
  new AppError('INVALID_SDP', `The SDP offer is not usable: ${reason}`, 400, { reason });

/**
 * Who offers decides what the relay must find in each audio or video section: a publisher
 * sends, a viewer receives. Throws INVALID_SDP (400) naming the problem.
 */
export function checkOffer(sdp: string, role: 'publisher' | 'viewer'): void {
  if (!sdp.startsWith('v=0')) throw invalid('it must start with v=0');
  const { session, media } = split(sdp);
  const av = media.filter((m) => ['audio', 'video'].includes(kindOf(m)) && !isRejected(m));
  if (av.length === 0) throw invalid('no audio or video section');
  for (const kind of ['audio', 'video']) {
    if (av.filter((m) => kindOf(m) === kind).length > 1)
      throw invalid(`more than one ${kind} section`);
  }
  const hasAttr = (m: Section, name: string) =>
    attribute(m.lines, name) !== undefined || attribute(session, name) !== undefined;
  for (const m of av) {
    const kind = kindOf(m);
    if (!hasAttr(m, 'ice-ufrag') || !hasAttr(m, 'ice-pwd'))
      throw invalid(`the ${kind} section has no ICE credentials`);
    if (!hasAttr(m, 'fingerprint')) throw invalid(`the ${kind} section has no DTLS fingerprint`);
    const dir = directionOf(m, session);
    if (role === 'publisher' && !['sendonly', 'sendrecv'].includes(dir))
      throw invalid(`the ${kind} section does not send`);
    if (role === 'viewer' && !['recvonly', 'sendrecv'].includes(dir))
      throw invalid(`the ${kind} section does not receive`);
    if (role === 'publisher' && !m.lines.some((l) => l.startsWith('a=ssrc:'))) {
      // werift routes incoming RTP by the SSRCs the offer announces.
      throw invalid(`the ${kind} section announces no SSRC (a=ssrc)`);
    }
  }
}

/** H.264 profile_idc + constraint flags, e.g. `42e0` for constrained baseline. */
const h264Profile = (fmtp: string) =>
  (fmtpParams(fmtp)['profile-level-id'] ?? '42001f').slice(0, 4).toLowerCase();

/**
 * Lower is better; undefined: the relay cannot forward it. H.264 comes first: every browser
 * and OBS decode it without a transcode, and recordings can keep it as is. Constrained
 * baseline (42e0) is what every phone decodes in hardware.
 */
function rank(codec: SdpCodec, kind: MediaKind, match?: NegotiatedCodec): number | undefined {
  const name = codec.name.toLowerCase();
  if (kind === 'audio') return name === 'opus' && codec.clockRate === 48000 ? 0 : undefined;
  const packetizationMode = fmtpParams(codec.fmtp)['packetization-mode'] ?? '0';
  if (match) {
    if (name !== match.name.toLowerCase()) return undefined;
    if (name !== 'h264') return 0;
    if (packetizationMode !== '1') return undefined;
    return h264Profile(codec.fmtp) === h264Profile(match.fmtp) ? 0 : 1;
  }
  if (name === 'h264') {
    if (packetizationMode !== '1') return undefined;
    const profile = h264Profile(codec.fmtp);
    return profile === '42e0' ? 0 : profile.startsWith('42') ? 1 : 2;
  }
  return name === 'vp8' ? 3 : undefined;
}

/** The RTCP feedback the relay actually implements, per side and kind. */
const FEEDBACK: Record<'publisher' | 'viewer', Record<MediaKind, string[]>> = {
  // TWCC lets the publishing browser's congestion control adapt to a weak uplink; NACK
  // repairs losses; PLI/FIR ask for a keyframe when a viewer joins.
  publisher: { audio: ['transport-cc'], video: ['nack', 'nack pli', 'ccm fir', 'transport-cc'] },
  // One stream feeds every viewer, so viewers' bandwidth estimates could not change it;
  // their NACKs are answered from a per-viewer history and their PLIs forwarded.
  viewer: { audio: [], video: ['nack', 'nack pli', 'ccm fir'] },
};

export interface NarrowedOffer {
  sdp: string;
  codecs: Partial<Record<MediaKind, NegotiatedCodec>>;
}

/**
 * Keeps one codec per audio/video section (plus its RTX), only the feedback the relay
 * implements, and no simulcast (one layer costs the rural uplink least). The answer werift
 * builds from the narrowed offer is then a valid answer to the original one. `match` makes a
 * viewer's video codec the publisher's. Throws UNSUPPORTED_CODEC (422) when a section has
 * nothing the relay can forward.
 */
export function narrowOffer(
  sdp: string,
  role: 'publisher' | 'viewer',
  match: Partial<Record<MediaKind, NegotiatedCodec>> = {},
): NarrowedOffer {
  const { session, media } = split(sdp);
  const chosen: NarrowedOffer['codecs'] = {};
  for (const section of media) {
    const kind = kindOf(section);
    if ((kind !== 'audio' && kind !== 'video') || isRejected(section)) continue;
    const codecs = codecsOf(section);
    const best = codecs
      .map((c) => ({ c, r: rank(c, kind, match[kind]) }))
      .filter((x): x is { c: SdpCodec; r: number } => x.r !== undefined)
      .sort((a, b) => a.r - b.r)[0]?.c;
    if (!best) {
      const want = match[kind]
        ? match[kind].name
        : kind === 'audio'
          ? 'Opus'
          : 'H.264 (packetization-mode=1) or VP8';
      throw new AppError('UNSUPPORTED_CODEC', `The ${kind} must be ${want}`, 422, {
        kind,
        offered: [...new Set(codecs.map((c) => c.name))],
      });
    }
    const rtx = codecs.find(
      (c) => c.name.toLowerCase() === 'rtx' && fmtpParams(c.fmtp).apt === String(best.payloadType),
    );
    const keep = new Set([best.payloadType, ...(rtx ? [rtx.payloadType] : [])]);
    const allowed = FEEDBACK[role][kind];
    const [m, ...rest] = section.lines;
    const head = m!.split(' ').slice(0, 3);
    section.lines = [
      [...head, ...keep].join(' '),
      ...rest.filter((line) => {
        const pt = /^a=(rtpmap|fmtp|rtcp-fb):(\S+)/.exec(line);
        if (pt) {
          if (!keep.has(Number(pt[2]))) return false;
          if (pt[1] === 'rtcp-fb')
            return allowed.includes(line.slice(line.indexOf(' ') + 1).trim());
          return true;
        }
        return !/^a=(rid|simulcast):/.test(line);
      }),
    ];
    chosen[kind] = {
      kind,
      name: best.name,
      payloadType: best.payloadType,
      clockRate: best.clockRate,
      channels: best.channels,
      fmtp: best.fmtp,
    };
  }
  return { sdp: join(session, media), codecs: chosen };
}

export interface IceCandidateLine {
  /** `candidate:...`, without `a=`. */
  candidate: string;
  sdpMid?: string;
  sdpMLineIndex: number;
}

export interface SdpFragment {
  ufrag?: string;
  pwd?: string;
  candidates: IceCandidateLine[];
  endOfCandidates: boolean;
}

/** Reads an `application/trickle-ice-sdpfrag` body (RFC 8840). */
export function parseFragment(body: string): SdpFragment {
  const fragment: SdpFragment = { candidates: [], endOfCandidates: false };
  let mid: string | undefined;
  let mLineIndex = -1;
  for (const raw of body.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('m=')) {
      mLineIndex += 1;
      mid = undefined;
    } else if (line.startsWith('a=mid:')) mid = line.slice(6);
    else if (line.startsWith('a=ice-ufrag:')) fragment.ufrag = line.slice(12);
    else if (line.startsWith('a=ice-pwd:')) fragment.pwd = line.slice(10);
    else if (line.startsWith('a=candidate:'))
      fragment.candidates.push({
        candidate: line.slice(2),
        sdpMid: mid,
        sdpMLineIndex: Math.max(0, mLineIndex),
      });
    else if (line === 'a=end-of-candidates') fragment.endOfCandidates = true;
    else if (!/^[a-z]=/.test(line)) throw invalid('the fragment has a line that is not SDP');
  }
  return fragment;
}

/** The remote ICE credentials of an SDP (session level or first section). */
export function iceCredentials(sdp: string): { ufrag?: string; pwd?: string } {
  const { session, media } = split(sdp);
  const first = media[0]?.lines ?? [];
  return {
    ufrag: attribute(session, 'ice-ufrag') ?? attribute(first, 'ice-ufrag'),
    pwd: attribute(session, 'ice-pwd') ?? attribute(first, 'ice-pwd'),
  };
}

/** Whether a PATCH fragment's credentials start a new ICE session (an ICE restart). */
export function startsIceRestart(remoteSdp: string, fragment: SdpFragment): boolean {
  const current = iceCredentials(remoteSdp);
  return (
    fragment.ufrag !== undefined &&
    fragment.pwd !== undefined &&
    (fragment.ufrag !== current.ufrag || fragment.pwd !== current.pwd)
  );
}

/** Whether a fragment's candidates belong to an older ICE session (to be ignored). */
export function isStaleFragment(remoteSdp: string, fragment: SdpFragment): boolean {
  return fragment.ufrag !== undefined && fragment.ufrag !== iceCredentials(remoteSdp).ufrag;
}

/**
 * The offer as it stands after an ICE restart: new credentials, the old candidates gone.
 * WHIP never renegotiates anything else (RFC 9725 §4.3.2).
 */
export function withIceCredentials(sdp: string, ufrag: string, pwd: string): string {
  const { session, media } = split(sdp);
  const rewrite = (lines: string[]) =>
    lines
      .filter((l) => !l.startsWith('a=candidate:') && l !== 'a=end-of-candidates')
      .map((l) =>
        l.startsWith('a=ice-ufrag:')
          ? `a=ice-ufrag:${ufrag}`
          : l.startsWith('a=ice-pwd:')
            ? `a=ice-pwd:${pwd}`
            : l,
      );
  return join(
    rewrite(session),
    media.map((m) => ({ lines: rewrite(m.lines) })),
  );
}

/**
 * The body of a 200 answer to an ICE restart: our new credentials and candidates under the
 * first section of the bundle, as in RFC 9725's example.
 */
export function localFragment(localSdp: string): string {
  const { session, media } = split(localSdp);
  const first = media[0];
  if (!first) return '';
  const ufrag = attribute(session, 'ice-ufrag') ?? attribute(first.lines, 'ice-ufrag');
  const pwd = attribute(session, 'ice-pwd') ?? attribute(first.lines, 'ice-pwd');
  const lines = [
    ...session.filter((l) => l === 'a=ice-lite' || l.startsWith('a=group:BUNDLE')),
    `a=ice-ufrag:${ufrag ?? ''}`,
    `a=ice-pwd:${pwd ?? ''}`,
    first.lines[0]!,
    ...first.lines.filter(
      (l) => l.startsWith('a=mid:') || l.startsWith('a=candidate:') || l === 'a=end-of-candidates',
    ),
  ];
  return lines.join('\r\n') + '\r\n';
}
