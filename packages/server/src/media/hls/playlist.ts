/**
 * HLS media playlists (RFC 8216bis, with the low-latency extensions): the live one with parts,
 * blocking reload and a preload hint, and the VOD one of the replay. Pure text building.
 */

export interface PlaylistPart {
  index: number;
  duration: number;
  independent: boolean;
}

export interface PlaylistSegment {
  msn: number;
  duration: number;
  initId: number;
  discontinuity: boolean;
  programDateTime: number;
  /** Listed only for the last few segments (and the one being made). */
  parts?: PlaylistPart[];
}

export const initName = (id: number) => `init-${id}.mp4`;
export const segmentName = (msn: number) => `seg-${msn}.m4s`;
export const partName = (msn: number, index: number) => `part-${msn}.${index}.m4s`;

/** `init-3.mp4`, `seg-12.m4s`, `part-12.4.m4s`; null for anything else. */
export function parseMediaName(
  name: string,
):
  | { type: 'init'; id: number }
  | { type: 'segment'; msn: number }
  | { type: 'part'; msn: number; index: number }
  | null {
  let m = /^init-(\d{1,9})\.mp4$/.exec(name);
  if (m) return { type: 'init', id: Number(m[1]) };
  m = /^seg-(\d{1,9})\.m4s$/.exec(name);
  if (m) return { type: 'segment', msn: Number(m[1]) };
  m = /^part-(\d{1,9})\.(\d{1,4})\.m4s$/.exec(name);
  if (m) return { type: 'part', msn: Number(m[1]), index: Number(m[2]) };
  return null;
}

const seconds = (s: number) => s.toFixed(3);

/** EXT-X-TARGETDURATION: the configured one, or longer if a segment had to be. */
export const targetDurationOf = (segmentSeconds: number, segments: Array<{ duration: number }>) =>
  Math.max(Math.ceil(segmentSeconds), ...segments.map((s) => Math.round(s.duration)));

function segmentLines(
  out: string[],
  segment: Omit<PlaylistSegment, 'duration'>,
  previousInit: number | undefined,
): void {
  if (segment.discontinuity && previousInit !== undefined) out.push('#EXT-X-DISCONTINUITY');
  if (segment.initId !== previousInit) out.push(`#EXT-X-MAP:URI="${initName(segment.initId)}"`);
  out.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(segment.programDateTime).toISOString()}`);
  for (const part of segment.parts ?? []) {
    out.push(
      `#EXT-X-PART:DURATION=${seconds(part.duration)},URI="${partName(segment.msn, part.index)}"` +
        (part.independent ? ',INDEPENDENT=YES' : ''),
    );
  }
}

export interface LivePlaylistInput {
  segmentSeconds: number;
  partSeconds: number;
  /** Completed segments in the window, oldest first. */
  segments: PlaylistSegment[];
  /** The segment being made (its parts so far), if any. */
  open: Omit<PlaylistSegment, 'duration'> | null;
  /** Discontinuities before the window's first segment. */
  discontinuitySequence: number;
  ended: boolean;
}

/**
 * A low-latency live playlist. The parts of the last segments are listed, then a preload hint
 * for the next part, so a player asks for it before it exists and gets it the moment it does.
 */
export function livePlaylist(input: LivePlaylistInput): string {
  const { segments, open } = input;
  const target = targetDurationOf(input.segmentSeconds, segments);
  const partTarget = input.partSeconds;
  const out = [
    '#EXTM3U',
    '#EXT-X-VERSION:9',
    `#EXT-X-TARGETDURATION:${target}`,
    // PART-HOLD-BACK: three parts behind the live edge, as Apple advises; HOLD-BACK: three segments.
    `#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=${seconds(3 * partTarget)},HOLD-BACK=${seconds(3 * target)}`,
    `#EXT-X-PART-INF:PART-TARGET=${seconds(partTarget)}`,
    `#EXT-X-MEDIA-SEQUENCE:${segments[0]?.msn ?? open?.msn ?? 0}`,
    `#EXT-X-DISCONTINUITY-SEQUENCE:${input.discontinuitySequence}`,
    '#EXT-X-INDEPENDENT-SEGMENTS',
  ];
  let previousInit: number | undefined;
  for (const segment of segments) {
    segmentLines(out, segment, previousInit);
    previousInit = segment.initId;
    out.push(`#EXTINF:${seconds(segment.duration)},`, segmentName(segment.msn));
  }
  if (!input.ended && open) {
    segmentLines(out, open, previousInit);
    out.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${partName(open.msn, open.parts?.length ?? 0)}"`);
  } else if (!input.ended && segments.length > 0) {
    // Between two segments: the next one's first part is on its way.
    out.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${partName(segments.at(-1)!.msn + 1, 0)}"`);
  }
  if (input.ended) out.push('#EXT-X-ENDLIST');
  return out.join('\n') + '\n';
}

/** The replay: every segment of the show, reconnects marked as discontinuities. */
export function vodPlaylist(segmentSeconds: number, segments: PlaylistSegment[]): string {
  const out = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    `#EXT-X-TARGETDURATION:${targetDurationOf(segmentSeconds, segments)}`,
    '#EXT-X-PLAYLIST-TYPE:VOD',
    '#EXT-X-MEDIA-SEQUENCE:' + (segments[0]?.msn ?? 0),
    '#EXT-X-INDEPENDENT-SEGMENTS',
  ];
  let previousInit: number | undefined;
  for (const segment of segments) {
    segmentLines(out, { ...segment, parts: [] }, previousInit);
    previousInit = segment.initId;
    out.push(`#EXTINF:${seconds(segment.duration)},`, segmentName(segment.msn));
  }
  out.push('#EXT-X-ENDLIST');
  return out.join('\n') + '\n';
}
