import { describe, expect, it } from 'vitest';
import {
  candidatesOf,
  iceCredentialsOf,
  parseFragment,
  sectionsOf,
  trickleFragment,
  withRestartedIce,
} from './sdp.ts';

const offer = [
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'c=IN IP4 0.0.0.0',
  'a=ice-ufrag:abcd',
  'a=ice-pwd:0123456789abcdefghijkl',
  'a=mid:0',
  'a=sendonly',
  'a=candidate:1 1 udp 2122260223 192.168.1.5 50000 typ host',
  'a=rtpmap:111 opus/48000/2',
  'm=video 9 UDP/TLS/RTP/SAVPF 96',
  'a=ice-ufrag:abcd',
  'a=ice-pwd:0123456789abcdefghijkl',
  'a=mid:1',
  'a=candidate:1 1 udp 2122260223 192.168.1.5 50000 typ host',
  'a=end-of-candidates',
  'a=rtpmap:96 H264/90000',
].join('\r\n');

describe('reading a description', () => {
  it('finds the credentials, sections and candidates', () => {
    expect(iceCredentialsOf(offer)).toEqual({ ufrag: 'abcd', pwd: '0123456789abcdefghijkl' });
    expect(sectionsOf(offer)).toEqual([
      { kind: 'audio', mid: '0' },
      { kind: 'video', mid: '1' },
    ]);
    expect(candidatesOf(offer)).toEqual([
      'candidate:1 1 udp 2122260223 192.168.1.5 50000 typ host',
    ]);
  });

  it('has no credentials when the description lacks them', () => {
    expect(iceCredentialsOf('v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n')).toBeNull();
  });
});

describe('trickle fragments', () => {
  it('carry the credentials and the candidates under the first section', () => {
    const frag = trickleFragment({
      credentials: { ufrag: 'abcd', pwd: 'secretsecretsecretsecret' },
      firstSection: { kind: 'audio', mid: '0' },
      candidates: [
        'candidate:2 1 udp 1 10.0.0.1 5000 typ host',
        'a=candidate:3 1 udp 1 ::1 5 typ host',
      ],
      endOfCandidates: true,
    });
    expect(frag).toBe(
      [
        'a=ice-ufrag:abcd',
        'a=ice-pwd:secretsecretsecretsecret',
        'm=audio 9 UDP/TLS/RTP/SAVPF 0',
        'a=mid:0',
        'a=candidate:2 1 udp 1 10.0.0.1 5000 typ host',
        'a=candidate:3 1 udp 1 ::1 5 typ host',
        'a=end-of-candidates',
        '',
      ].join('\r\n'),
    );
  });

  it('read back what the server sends', () => {
    const parsed = parseFragment(
      'a=ice-lite\r\na=ice-ufrag:NEW1\r\na=ice-pwd:NEWPWDNEWPWDNEWPWDNEWPWD\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=candidate:9 1 udp 9 127.0.0.1 40000 typ host\r\na=end-of-candidates\r\n',
    );
    expect(parsed).toEqual({
      ufrag: 'NEW1',
      pwd: 'NEWPWDNEWPWDNEWPWDNEWPWD',
      candidates: ['candidate:9 1 udp 9 127.0.0.1 40000 typ host'],
      endOfCandidates: true,
    });
  });
});

describe('withRestartedIce', () => {
  it('swaps credentials everywhere and puts the new candidates in the first section only', () => {
    const next = withRestartedIce(offer, {
      ufrag: 'NEW1',
      pwd: 'NEWPWD',
      candidates: ['candidate:9 1 udp 9 127.0.0.1 40000 typ host'],
      endOfCandidates: true,
    });
    const lines = next.split('\r\n');
    expect(lines.filter((l) => l.startsWith('a=ice-ufrag:'))).toEqual([
      'a=ice-ufrag:NEW1',
      'a=ice-ufrag:NEW1',
    ]);
    expect(lines.filter((l) => l.startsWith('a=candidate:'))).toEqual([
      'a=candidate:9 1 udp 9 127.0.0.1 40000 typ host',
    ]);
    const video = lines.indexOf('m=video 9 UDP/TLS/RTP/SAVPF 96');
    expect(lines.indexOf('a=candidate:9 1 udp 9 127.0.0.1 40000 typ host')).toBeLessThan(video);
    expect(lines.indexOf('a=end-of-candidates')).toBeLessThan(video);
    expect(lines.filter((l) => l === 'a=end-of-candidates')).toHaveLength(1);
    // Media lines untouched.
    expect(lines).toContain('a=rtpmap:96 H264/90000');
    expect(next.endsWith('\r\n')).toBe(true);
  });

  it('refuses an answer without credentials', () => {
    expect(() => withRestartedIce(offer, { candidates: [], endOfCandidates: false })).toThrow();
  });
});
