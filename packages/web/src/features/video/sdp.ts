/**
 * The little SDP text handling WHIP and WHEP need on the browser side: our ICE credentials
 * and MIDs, the RFC 8840 fragments that PATCH carries (trickled candidates, ICE restart), and
 * the server's answer to an ICE restart folded back into its SDP. Codecs are chosen with
 * `setCodecPreferences`, never by editing SDP.
 */

export interface IceCredentials {
  ufrag: string;
  pwd: string;
}

export interface FragmentCandidate {
  /** `candidate:…` as in RTCIceCandidate.candidate (no `a=`). */
  candidate: string;
}

export interface ParsedFragment {
  ufrag?: string;
  pwd?: string;
  candidates: string[];
  endOfCandidates: boolean;
}

const linesOf = (sdp: string) =>
  sdp
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);

const joinLines = (lines: string[]) => lines.join('\r\n') + '\r\n';

/** The ICE credentials of a description (session level, else the first media section). */
export function iceCredentialsOf(sdp: string): IceCredentials | null {
  let ufrag: string | undefined;
  let pwd: string | undefined;
  for (const line of linesOf(sdp)) {
    if (line.startsWith('a=ice-ufrag:')) ufrag ??= line.slice(12);
    else if (line.startsWith('a=ice-pwd:')) pwd ??= line.slice(10);
  }
  return ufrag && pwd ? { ufrag, pwd } : null;
}

/** The media sections in order: kind and MID. */
export function sectionsOf(sdp: string): Array<{ kind: string; mid: string | null }> {
  const out: Array<{ kind: string; mid: string | null }> = [];
  for (const line of linesOf(sdp)) {
    if (line.startsWith('m='))
      out.push({ kind: line.slice(2).split(' ')[0] ?? 'audio', mid: null });
    else if (line.startsWith('a=mid:') && out.length > 0) out[out.length - 1]!.mid = line.slice(6);
  }
  return out;
}

/** Every `candidate:…` in a description (deduplicated; with BUNDLE they repeat per section). */
export function candidatesOf(sdp: string): string[] {
  const seen = new Set<string>();
  for (const line of linesOf(sdp)) if (line.startsWith('a=candidate:')) seen.add(line.slice(2));
  return [...seen];
}

/**
 * An RFC 8840 fragment for PATCH: the current credentials (the server tells ICE sessions
 * apart by them; new ones mean an ICE restart), then the candidates under the first section
 * of the bundle, which carries the transport for all of them.
 */
export function trickleFragment(opts: {
  credentials: IceCredentials;
  firstSection: { kind: string; mid: string | null };
  candidates: string[];
  endOfCandidates?: boolean;
}): string {
  const lines = [
    `a=ice-ufrag:${opts.credentials.ufrag}`,
    `a=ice-pwd:${opts.credentials.pwd}`,
    `m=${opts.firstSection.kind} 9 UDP/TLS/RTP/SAVPF 0`,
    ...(opts.firstSection.mid !== null ? [`a=mid:${opts.firstSection.mid}`] : []),
    ...opts.candidates.map((c) => `a=${c.replace(/^a=/, '')}`),
    ...(opts.endOfCandidates ? ['a=end-of-candidates'] : []),
  ];
  return joinLines(lines);
}

/** Reads a fragment (the server's 200 answer to an ICE restart). */
export function parseFragment(fragment: string): ParsedFragment {
  const out: ParsedFragment = { candidates: [], endOfCandidates: false };
  for (const line of linesOf(fragment)) {
    if (line.startsWith('a=ice-ufrag:')) out.ufrag = line.slice(12);
    else if (line.startsWith('a=ice-pwd:')) out.pwd = line.slice(10);
    else if (line.startsWith('a=candidate:')) out.candidates.push(line.slice(2));
    else if (line === 'a=end-of-candidates') out.endOfCandidates = true;
  }
  return out;
}

/**
 * The remote answer after an ICE restart: the server's new credentials everywhere, its old
 * candidates replaced by the new ones (in the first section: the bundle's transport).
 * Everything else stays as first negotiated: WHIP never renegotiates media.
 */
export function withRestartedIce(remoteSdp: string, fragment: ParsedFragment): string {
  if (!fragment.ufrag || !fragment.pwd)
    throw new Error('The ICE restart answer has no credentials');
  const out: string[] = [];
  let section = -1;
  const flushCandidates = () => {
    if (section !== 0) return;
    for (const c of fragment.candidates) out.push(`a=${c}`);
    if (fragment.endOfCandidates) out.push('a=end-of-candidates');
  };
  for (const line of linesOf(remoteSdp)) {
    if (line.startsWith('m=')) {
      flushCandidates();
      section += 1;
      out.push(line);
    } else if (line.startsWith('a=ice-ufrag:')) out.push(`a=ice-ufrag:${fragment.ufrag}`);
    else if (line.startsWith('a=ice-pwd:')) out.push(`a=ice-pwd:${fragment.pwd}`);
    else if (line.startsWith('a=candidate:') || line === 'a=end-of-candidates') continue;
    else out.push(line);
  }
  flushCandidates();
  return joinLines(out);
}
