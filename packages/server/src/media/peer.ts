import { AppError } from '@cunbo/shared';
import {
  RTCPeerConnection,
  RTCRtpCodecParameters,
  useFIR,
  useNACK,
  usePLI,
  useSdesMid,
  useTransportWideCC,
  useTWCC,
  type PeerConfig,
} from 'werift';
import type { WebRtcConfig } from '../config.ts';
import {
  isStaleFragment,
  localFragment,
  startsIceRestart,
  withIceCredentials,
  type SdpFragment,
} from './sdp.ts';
import { unpinPeer } from './udp-path.ts';

export type PeerRole = 'publisher' | 'viewer';

/**
 * werift only compares codec names when it answers and then echoes the offer's own codec
 * lines, so these are the names it may accept; `narrowOffer` picks the one codec per track.
 */
const codecs = () => ({
  audio: [
    new RTCRtpCodecParameters({
      mimeType: 'audio/opus',
      clockRate: 48000,
      channels: 2,
      parameters: 'minptime=10;useinbandfec=1',
      rtcpFeedback: [useTWCC()],
    }),
  ],
  video: [
    new RTCRtpCodecParameters({
      mimeType: 'video/H264',
      clockRate: 90000,
      parameters: 'profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1',
      rtcpFeedback: [useNACK(), usePLI(), useFIR(), useTWCC()],
    }),
    new RTCRtpCodecParameters({
      mimeType: 'video/VP8',
      clockRate: 90000,
      rtcpFeedback: [useNACK(), usePLI(), useFIR(), useTWCC()],
    }),
    new RTCRtpCodecParameters({ mimeType: 'video/rtx', clockRate: 90000 }),
  ],
});

export function createPeerConnection(role: PeerRole, webrtc: WebRtcConfig): RTCPeerConnection {
  const config: Partial<PeerConfig> = {
    codecs: codecs(),
    // The publisher's packets carry transport-wide sequence numbers for congestion control;
    // viewers only need the MID to demultiplex the bundle.
    headerExtensions:
      role === 'publisher'
        ? {
            audio: [useSdesMid(), useTransportWideCC()],
            video: [useSdesMid(), useTransportWideCC()],
          }
        : { audio: [useSdesMid()], video: [useSdesMid()] },
    // werift's default asks Google's STUN server; a node only needs one when behind NAT.
    iceServers: webrtc.stunUrls.map((urls) => ({ urls })),
    icePortRange: webrtc.udpPorts,
    iceAdditionalHostAddresses: webrtc.hostAddresses?.length ? webrtc.hostAddresses : undefined,
    bundlePolicy: 'max-bundle',
  };
  return new RTCPeerConnection(config);
}

/**
 * werift 0.24 does not check connectivity again after an ICE restart: its connect step
 * returns early while DTLS is still up, leaving no selected candidate pair, so media stops
 * although both ends look connected. Start the checks of the new ICE session ourselves.
 */
export function restartConnectivityChecks(pc: RTCPeerConnection): void {
  for (const transport of pc.iceTransports) {
    if (transport.state !== 'connected' && transport.state !== 'checking')
      transport.start().catch(() => undefined);
  }
}

/**
 * One WebRTC peer as WHIP and WHEP see it: an offer answered once, then trickled candidates
 * and ICE restarts over PATCH. Nothing else is ever renegotiated.
 */
export class PeerSession {
  private remoteSdp = '';

  /**
   * `dtls: 'server'` takes the DTLS server's side whenever the offer leaves the choice to us
   * (`actpass`): see {@link answerAsDtlsServer}. Viewers do, so that browsers' viewers get
   * the SRTP profile the relay's fast path seals (viewer-sender.ts).
   */
  constructor(
    readonly pc: RTCPeerConnection,
    private readonly dtls: 'auto' | 'server' = 'auto',
  ) {}

  private async localAnswer(offer: string): Promise<void> {
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(
      this.dtls === 'server'
        ? { type: 'answer', sdp: answerAsDtlsServer(offer, answer.sdp) }
        : answer,
    );
  }

  /** Applies the (narrowed) offer and returns the answer with our candidates in it. */
  async answer(offer: string): Promise<string> {
    try {
      await this.pc.setRemoteDescription({ type: 'offer', sdp: offer });
      await this.localAnswer(offer);
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw new AppError('INVALID_SDP', 'The SDP offer could not be negotiated', 400, {
        reason: err instanceof Error ? err.message : String(err),
      });
    }
    this.remoteSdp = offer;
    return this.pc.localDescription!.sdp;
  }

  /** Whether the fragment's credentials start a new ICE session (an ICE restart). */
  isRestart(fragment: SdpFragment): boolean {
    return startsIceRestart(this.remoteSdp, fragment);
  }

  /** Trickled candidates (and end-of-candidates) of the current ICE session. */
  async addCandidates(fragment: SdpFragment): Promise<void> {
    if (isStaleFragment(this.remoteSdp, fragment)) return;
    for (const c of fragment.candidates) {
      try {
        await this.pc.addIceCandidate({
          candidate: c.candidate,
          sdpMid: c.sdpMid,
          sdpMLineIndex: c.sdpMLineIndex,
        });
      } catch (err) {
        throw new AppError('INVALID_SDP', 'An ICE candidate could not be used', 400, {
          candidate: c.candidate,
          reason: err instanceof Error ? err.message : String(err),
        });
      }
    }
    // werift stops waiting for more remote candidates on its own; nothing to do on
    // end-of-candidates but to accept it.
  }

  /**
   * ICE restart (RFC 9725 §4.3.2): the same offer with the new credentials, answered with new
   * local credentials; returns the fragment with them and our candidates.
   */
  async restartIce(fragment: SdpFragment): Promise<string> {
    const offer = withIceCredentials(this.remoteSdp, fragment.ufrag!, fragment.pwd!);
    // The viewer's checks of the new session may come from another address, which a socket
    // connected to the old one would drop (udp-path.ts).
    unpinPeer(this.pc);
    try {
      await this.pc.setRemoteDescription({ type: 'offer', sdp: offer });
      await this.localAnswer(offer);
    } catch (err) {
      throw new AppError('INVALID_SDP', 'The ICE restart could not be applied', 422, {
        reason: err instanceof Error ? err.message : String(err),
      });
    }
    this.remoteSdp = offer;
    await this.addCandidates({ ...fragment, endOfCandidates: false });
    restartConnectivityChecks(this.pc);
    return localFragment(this.pc.localDescription!.sdp);
  }

  async close(): Promise<void> {
    await this.pc.close().catch(() => undefined);
  }
}

/**
 * The answer with `a=setup:passive` where werift wrote `active`, when the offer left the DTLS
 * role to us (`actpass`, RFC 8842 §5.3). werift answers as the DTLS client, and the client
 * lets the server choose the SRTP profile: Chromium (libwebrtc), as the server, chooses
 * AES_CM_128_HMAC_SHA1_80, which it ranks before the AEAD profiles for their larger packets.
 * As the server, werift chooses by its own order, AEAD_AES_128_GCM first, the profile the
 * relay's fast path seals cheapest (viewer-sender.ts); a browser that does not offer it gets
 * AES_CM_128_HMAC_SHA1_80, which that path seals too, at a cipher and an HMAC a packet.
 */
export function answerAsDtlsServer(offer: string, answer: string): string {
  if (!/^a=setup:actpass\r?$/m.test(offer)) return answer;
  return answer.replace(/^a=setup:active(?=\r?$)/gm, 'a=setup:passive');
}

/**
 * How long a viewer's media waits after the connection comes up when we are the DTLS server.
 * The server is done with the handshake one flight before the client: its first packets
 * could reach a client that has not set up its SRTP keys yet, and be dropped there (werift
 * peers handle the last flight asynchronously), which loses a cached keyframe sent at once.
 */
const DTLS_SERVER_GRACE_MS = 50;

/**
 * Runs `start` (a viewer's media begins) once the just-connected peer can take it: at once,
 * or {@link DTLS_SERVER_GRACE_MS} later when we took the DTLS server's side
 * ({@link answerAsDtlsServer}).
 */
export function startMediaWhenReady(pc: RTCPeerConnection, start: () => void): void {
  const server = pc.dtlsTransports.some(
    (t) => (t as unknown as { role?: string }).role === 'server',
  );
  if (server) setTimeout(start, DTLS_SERVER_GRACE_MS);
  else start();
}
