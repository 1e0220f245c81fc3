import { describe, expect, it } from 'vitest';
import {
  checkOffer,
  iceCredentials,
  localFragment,
  narrowOffer,
  parseFragment,
  withIceCredentials,
} from './sdp.ts';

/** Shaped like Chromium's WHIP offer: many codecs, RTX, RED, FEC, simulcast-capable extensions. */
const chromeOffer = [
  'v=0',
  'o=- 4215775240449105457 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1',
  'a=extmap-allow-mixed',
  'a=msid-semantic: WMS stream',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126',
  'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=ice-ufrag:EsAw',
  'a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 DA:7B:57:DC:28:CE:04:4F:31:79:85:C4:31:67:EB:27:58:29:ED:77:2A:0D:24:AE:ED:AD:30:BC:BD:F1:9C:02',
  'a=setup:actpass',
  'a=mid:0',
  'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid',
  'a=sendonly',
  'a=msid:stream audio0',
  'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:63 red/48000/2',
  'a=fmtp:63 111/111',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:13 CN/8000',
  'a=rtpmap:110 telephone-event/48000',
  'a=rtpmap:126 telephone-event/8000',
  'a=ssrc:3020343323 cname:kB0a',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104 105 106 107 108 109 127 125 39 40 45 46',
  'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=ice-ufrag:EsAw',
  'a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 DA:7B:57:DC:28:CE:04:4F:31:79:85:C4:31:67:EB:27:58:29:ED:77:2A:0D:24:AE:ED:AD:30:BC:BD:F1:9C:02',
  'a=setup:actpass',
  'a=mid:1',
  'a=extmap:14 urn:ietf:params:rtp-hdrext:toffset',
  'a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid',
  'a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id',
  'a=sendonly',
  'a=msid:stream video0',
  'a=rtcp-mux',
  'a=rtcp-rsize',
  'a=rtpmap:96 VP8/90000',
  'a=rtcp-fb:96 goog-remb',
  'a=rtcp-fb:96 transport-cc',
  'a=rtcp-fb:96 ccm fir',
  'a=rtcp-fb:96 nack',
  'a=rtcp-fb:96 nack pli',
  'a=rtpmap:97 rtx/90000',
  'a=fmtp:97 apt=96',
  'a=rtpmap:102 H264/90000',
  'a=rtcp-fb:102 goog-remb',
  'a=rtcp-fb:102 transport-cc',
  'a=rtcp-fb:102 ccm fir',
  'a=rtcp-fb:102 nack',
  'a=rtcp-fb:102 nack pli',
  'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f',
  'a=rtpmap:103 rtx/90000',
  'a=fmtp:103 apt=102',
  'a=rtpmap:104 H264/90000',
  'a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f',
  'a=rtpmap:105 rtx/90000',
  'a=fmtp:105 apt=104',
  'a=rtpmap:106 H264/90000',
  'a=rtcp-fb:106 goog-remb',
  'a=rtcp-fb:106 transport-cc',
  'a=rtcp-fb:106 ccm fir',
  'a=rtcp-fb:106 nack',
  'a=rtcp-fb:106 nack pli',
  'a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  'a=rtpmap:107 rtx/90000',
  'a=fmtp:107 apt=106',
  'a=rtpmap:108 H264/90000',
  'a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f',
  'a=rtpmap:109 rtx/90000',
  'a=fmtp:109 apt=108',
  'a=rtpmap:127 H264/90000',
  'a=fmtp:127 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f',
  'a=rtpmap:125 rtx/90000',
  'a=fmtp:125 apt=127',
  'a=rtpmap:39 AV1/90000',
  'a=rtpmap:40 rtx/90000',
  'a=fmtp:40 apt=39',
  'a=rtpmap:45 red/90000',
  'a=rtpmap:46 ulpfec/90000',
  'a=ssrc-group:FID 1882416123 1230429937',
  'a=ssrc:1882416123 cname:kB0a',
  'a=ssrc:1230429937 cname:kB0a',
  '',
].join('\r\n');

const sections = (sdp: string) => sdp.split(/(?=^m=)/m);

describe('SDP offers', () => {
  it('keeps constrained-baseline H.264 with its RTX, Opus, and only the feedback the relay implements', () => {
    const { sdp, codecs } = narrowOffer(chromeOffer, 'publisher');
    expect(codecs.video).toMatchObject({
      name: 'H264',
      payloadType: 106,
      clockRate: 90000,
      fmtp: expect.stringContaining('42e01f'),
    });
    expect(codecs.audio).toMatchObject({ name: 'opus', payloadType: 111, channels: 2 });
    const [, audio = '', video = ''] = sections(sdp);
    expect(audio).toMatch(/^m=audio 9 UDP\/TLS\/RTP\/SAVPF 111\r\n/);
    expect(audio).not.toMatch(/a=rtpmap:63 /);
    expect(audio).toContain('a=rtcp-fb:111 transport-cc');
    expect(video).toMatch(/^m=video 9 UDP\/TLS\/RTP\/SAVPF 106 107\r\n/);
    expect(video.match(/a=rtcp-fb:106 .*/g)).toEqual([
      'a=rtcp-fb:106 transport-cc',
      'a=rtcp-fb:106 ccm fir',
      'a=rtcp-fb:106 nack',
      'a=rtcp-fb:106 nack pli',
    ]);
    expect(video).toContain('a=fmtp:107 apt=106');
    expect(video).not.toMatch(/a=(rtpmap|fmtp|rtcp-fb):(96|97|102|103|104|127|39|45|46) /);
    // Everything else the answer must mirror is left alone.
    expect(video).toContain('a=ssrc-group:FID 1882416123 1230429937');
    expect(video).toContain('a=mid:1');
  });

  it('prefers VP8 only when no usable H.264 is offered, and gives viewers the publisher’s codec', () => {
    const vp8Only = chromeOffer.replace(/H264/g, 'H265');
    expect(narrowOffer(vp8Only, 'publisher').codecs.video).toMatchObject({
      name: 'VP8',
      payloadType: 96,
    });
    const viewer = chromeOffer.replace(/sendonly/g, 'recvonly');
    const asViewer = narrowOffer(viewer, 'viewer', {
      video: { kind: 'video', name: 'VP8', payloadType: 120, clockRate: 90000, fmtp: '' },
    });
    expect(asViewer.codecs.video).toMatchObject({ name: 'VP8', payloadType: 96 });
    // Viewers get no congestion feedback: one stream serves them all.
    expect(sections(asViewer.sdp)[2]!.match(/a=rtcp-fb:96 .*/g)).toEqual([
      'a=rtcp-fb:96 ccm fir',
      'a=rtcp-fb:96 nack',
      'a=rtcp-fb:96 nack pli',
    ]);
    const highProfile = {
      kind: 'video' as const,
      name: 'H264',
      payloadType: 100,
      clockRate: 90000,
      fmtp: 'packetization-mode=1;profile-level-id=4d001f',
    };
    expect(narrowOffer(viewer, 'viewer', { video: highProfile }).codecs.video?.payloadType).toBe(
      127,
    );
  });

  it('refuses what the relay cannot forward, naming the track', () => {
    expect(() => narrowOffer(chromeOffer.replace(/(VP8|H264)\//g, 'VP9/'), 'publisher')).toThrow(
      expect.objectContaining({
        code: 'UNSUPPORTED_CODEC',
        status: 422,
        details: expect.objectContaining({ kind: 'video' }),
      }),
    );
    expect(() => narrowOffer(chromeOffer.replace(/opus/g, 'ISAC'), 'publisher')).toThrow(
      expect.objectContaining({
        code: 'UNSUPPORTED_CODEC',
        details: expect.objectContaining({ kind: 'audio' }),
      }),
    );
  });

  it('checks the parts an offer cannot do without', () => {
    expect(() => checkOffer(chromeOffer, 'publisher')).not.toThrow();
    const invalid = (sdp: string, role: 'publisher' | 'viewer', reason: RegExp) =>
      expect(() => checkOffer(sdp, role)).toThrow(
        expect.objectContaining({
          code: 'INVALID_SDP',
          status: 400,
          details: { reason: expect.stringMatching(reason) },
        }),
      );
    invalid('hello', 'publisher', /v=0/);
    invalid(chromeOffer.split('m=audio')[0]!, 'publisher', /no audio or video/);
    invalid(chromeOffer, 'viewer', /does not receive/);
    invalid(chromeOffer.replace(/a=ice-pwd:.*\r\n/g, ''), 'publisher', /ICE credentials/);
    invalid(chromeOffer.replace(/a=fingerprint:.*\r\n/g, ''), 'publisher', /fingerprint/);
    invalid(chromeOffer.replace(/a=ssrc.*\r\n/g, ''), 'publisher', /SSRC/);
    invalid(chromeOffer + sections(chromeOffer)[2], 'publisher', /more than one video/);
  });
});

describe('trickle ICE fragments', () => {
  it('reads credentials, candidates with their section, and end-of-candidates', () => {
    const fragment = parseFragment(
      'a=ice-ufrag:EsAw\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\na=group:BUNDLE 0 1\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0\r\na=end-of-candidates\r\n',
    );
    expect(fragment).toEqual({
      ufrag: 'EsAw',
      pwd: 'P2uYro0UCOQ4zxjKXaWCBui1',
      candidates: [
        {
          candidate: 'candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0',
          sdpMid: '0',
          sdpMLineIndex: 0,
        },
      ],
      endOfCandidates: true,
    });
    expect(() => parseFragment('hello there')).toThrow(
      expect.objectContaining({ code: 'INVALID_SDP' }),
    );
  });

  it('rewrites the offer for an ICE restart and answers with the first section’s credentials and candidates', () => {
    const restarted = withIceCredentials(
      chromeOffer.replace('a=mid:0', 'a=mid:0\r\na=candidate:1 1 udp 1 192.0.2.1 1 typ host'),
      'New1',
      'newpasswordnewpassword',
    );
    expect(iceCredentials(restarted)).toEqual({ ufrag: 'New1', pwd: 'newpasswordnewpassword' });
    expect(restarted).not.toContain('a=candidate');
    expect(restarted).not.toContain('EsAw');

    const answer = chromeOffer.replace(
      'a=mid:0',
      'a=mid:0\r\na=candidate:9 1 udp 2 192.0.2.9 9 typ host\r\na=end-of-candidates',
    );
    expect(localFragment(answer)).toBe(
      'a=group:BUNDLE 0 1\r\na=ice-ufrag:EsAw\r\na=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\na=mid:0\r\na=candidate:9 1 udp 2 192.0.2.9 9 typ host\r\na=end-of-candidates\r\n',
    );
  });
});
