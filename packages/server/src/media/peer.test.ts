import { describe, expect, it } from 'vitest';
import { answerAsDtlsServer } from './peer.ts';

const offer = (setup: string) =>
  ['v=0', 'm=video 9 UDP/TLS/RTP/SAVPF 102', `a=setup:${setup}`, 'a=mid:0', ''].join('\r\n');
const answer = ['v=0', 'm=video 9 UDP/TLS/RTP/SAVPF 102', 'a=setup:active', 'a=mid:0', ''].join(
  '\r\n',
);

describe('answering as the DTLS server', () => {
  it('takes the server’s side when the offer leaves it to us, so werift picks the SRTP profile', () => {
    expect(answerAsDtlsServer(offer('actpass'), answer)).toBe(
      answer.replace('a=setup:active', 'a=setup:passive'),
    );
  });

  it('keeps the client’s side when the offer wants to be the server', () => {
    expect(answerAsDtlsServer(offer('passive'), answer)).toBe(answer);
  });
});
