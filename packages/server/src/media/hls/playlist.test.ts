import { RtpHeader, RtpPacket } from 'werift';
import { describe, expect, it } from 'vitest';
import { livePlaylist, parseMediaName, vodPlaylist, type PlaylistSegment } from './playlist.ts';
import { ReorderBuffer, TimestampUnwrapper } from './reorder.ts';

const T0 = Date.parse('2026-05-01T08:00:00.000Z');
const seg = (msn: number, extra: Partial<PlaylistSegment> = {}): PlaylistSegment => ({
  msn,
  duration: 2,
  initId: 0,
  discontinuity: false,
  programDateTime: T0 + msn * 2000,
  ...extra,
});
const parts = (n: number) =>
  Array.from({ length: n }, (_, index) => ({ index, duration: 0.334, independent: index === 0 }));

describe('HLS playlists', () => {
  it('writes a low-latency live playlist: parts of the last segments, then a preload hint', () => {
    const text = livePlaylist({
      segmentSeconds: 2,
      partSeconds: 0.334,
      segments: [seg(4), seg(5, { parts: parts(6) })],
      open: {
        msn: 6,
        initId: 0,
        discontinuity: false,
        programDateTime: T0 + 12_000,
        parts: parts(2),
      },
      discontinuitySequence: 1,
      ended: false,
    });
    expect(text).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:9',
        '#EXT-X-TARGETDURATION:2',
        '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.002,HOLD-BACK=6.000',
        '#EXT-X-PART-INF:PART-TARGET=0.334',
        '#EXT-X-MEDIA-SEQUENCE:4',
        '#EXT-X-DISCONTINUITY-SEQUENCE:1',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-MAP:URI="init-0.mp4"',
        '#EXT-X-PROGRAM-DATE-TIME:2026-05-01T08:00:08.000Z',
        '#EXTINF:2.000,',
        'seg-4.m4s',
        '#EXT-X-PROGRAM-DATE-TIME:2026-05-01T08:00:10.000Z',
        ...parts(6).map(
          (p) =>
            `#EXT-X-PART:DURATION=0.334,URI="part-5.${p.index}.m4s"${p.index === 0 ? ',INDEPENDENT=YES' : ''}`,
        ),
        '#EXTINF:2.000,',
        'seg-5.m4s',
        '#EXT-X-PROGRAM-DATE-TIME:2026-05-01T08:00:12.000Z',
        '#EXT-X-PART:DURATION=0.334,URI="part-6.0.m4s",INDEPENDENT=YES',
        '#EXT-X-PART:DURATION=0.334,URI="part-6.1.m4s"',
        '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-6.2.m4s"',
        '',
      ].join('\n'),
    );
  });

  it('marks a new publisher with a discontinuity and its own init, and ends with ENDLIST', () => {
    const text = livePlaylist({
      segmentSeconds: 2,
      partSeconds: 0.5,
      segments: [seg(0), seg(1, { discontinuity: true, initId: 1, duration: 2.6 })],
      open: null,
      discontinuitySequence: 0,
      ended: true,
    });
    expect(text).toContain('#EXT-X-TARGETDURATION:3\n'); // a longer segment raises it
    expect(text).toMatch(
      /seg-0\.m4s\n#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="init-1\.mp4"\n#EXT-X-PROGRAM-DATE-TIME/,
    );
    expect(text).not.toContain('PRELOAD-HINT');
    expect(text.endsWith('#EXT-X-ENDLIST\n')).toBe(true);
  });

  it('hints the next segment’s first part between two segments', () => {
    const text = livePlaylist({
      segmentSeconds: 2,
      partSeconds: 0.5,
      segments: [seg(7)],
      open: null,
      discontinuitySequence: 0,
      ended: false,
    });
    expect(text).toContain('#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-8.0.m4s"\n');
  });

  it('writes the replay as VOD', () => {
    const text = vodPlaylist(2, [seg(0), seg(1), seg(2, { discontinuity: true })]);
    expect(text).toContain('#EXT-X-PLAYLIST-TYPE:VOD\n');
    expect(text).not.toContain('EXT-X-PART');
    expect(text.match(/#EXTINF:2\.000,/g)).toHaveLength(3);
    expect(text.match(/#EXT-X-DISCONTINUITY\n/g)).toHaveLength(1);
    expect(text.endsWith('seg-2.m4s\n#EXT-X-ENDLIST\n')).toBe(true);
  });

  it('knows the media names the playlists use, and nothing else', () => {
    expect(parseMediaName('init-3.mp4')).toEqual({ type: 'init', id: 3 });
    expect(parseMediaName('seg-12.m4s')).toEqual({ type: 'segment', msn: 12 });
    expect(parseMediaName('part-12.4.m4s')).toEqual({ type: 'part', msn: 12, index: 4 });
    for (const bad of ['../seg-1.m4s', 'seg-1.mp4', 'part-1.m4s', 'replay.m3u8', 'seg--1.m4s'])
      expect(parseMediaName(bad)).toBeNull();
  });
});

describe('RTP reordering', () => {
  const rtp = (seq: number) =>
    new RtpPacket(new RtpHeader({ sequenceNumber: seq & 0xffff }), Buffer.of(seq & 0xff));
  const seqs = (out: Array<{ packet: RtpPacket; gap: boolean }>) =>
    out.map((o) => `${o.packet.header.sequenceNumber}${o.gap ? '!' : ''}`);

  it('puts packets back in order across the 16-bit wrap and drops duplicates', () => {
    const r = new ReorderBuffer(100);
    expect(seqs(r.push(rtp(65534), 0))).toEqual(['65534']);
    expect(seqs(r.push(rtp(0), 1))).toEqual([]);
    expect(seqs(r.push(rtp(65535), 2))).toEqual(['65535', '0']);
    expect(seqs(r.push(rtp(65535), 3))).toEqual([]); // a retransmission that came twice
    expect(seqs(r.push(rtp(1), 4))).toEqual(['1']);
  });

  it('waits for a missing packet, then gives it up and marks the gap', () => {
    const r = new ReorderBuffer(100);
    r.push(rtp(10), 0);
    expect(seqs(r.push(rtp(12), 10))).toEqual([]);
    expect(seqs(r.push(rtp(13), 50))).toEqual([]);
    expect(seqs(r.push(rtp(14), 111))).toEqual(['12!', '13', '14']);
    expect(seqs(r.push(rtp(11), 112))).toEqual([]); // too late
    expect(seqs(r.push(rtp(16), 120))).toEqual([]);
    expect(seqs(r.flush())).toEqual(['16!']);
  });

  it('extends RTP timestamps past 32 bits', () => {
    const u = new TimestampUnwrapper();
    expect(u.unwrap(0xffff_ff00)).toBe(0xffff_ff00);
    expect(u.unwrap(0x100)).toBe(0x1_0000_0100);
    expect(u.unwrap(0x80)).toBe(0x1_0000_0080); // a little back: reordered, not a wrap
  });
});
