/**
 * One WebRTC peer connection signalled over WHIP or WHEP: offer, POST, answer; candidates
 * found after the POST trickle over PATCH; an ICE restart over PATCH; DELETE when done.
 * Browser only (RTCPeerConnection); the HTTP and SDP parts it uses are tested on their own.
 */
import {
  candidatesOf,
  iceCredentialsOf,
  parseFragment,
  sectionsOf,
  trickleFragment,
  withRestartedIce,
} from './sdp.ts';
import {
  deleteSession,
  MediaSessionError,
  patchSession,
  postOffer,
  type Endpoint,
} from './whip-http.ts';

/**
 * How long to wait for our candidates before sending the offer. Without STUN servers the
 * host candidates come within milliseconds; whatever comes later is trickled.
 */
const GATHER_MS = 300;
const TRICKLE_DEBOUNCE_MS = 60;

function gathered(pc: RTCPeerConnection, ms: number): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    };
    const check = () => pc.iceGatheringState === 'complete' && done();
    const timer = setTimeout(done, ms);
    pc.addEventListener('icegatheringstatechange', check);
  });
}

export class SignalledPeer {
  /** Set once ICE and DTLS were up at least once (an ICE restart is worth trying then). */
  wasConnected = false;
  private sessionUrl: string | null = null;
  private etag: string | null = null;
  /** Candidates the server already has (in the offer or trickled). */
  private sent = new Set<string>();
  private queue: string[] = [];
  private endOfCandidates = false;
  private endSent = false;
  private trickle = true;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  private constructor(
    readonly endpoint: Endpoint,
    readonly pc: RTCPeerConnection,
  ) {
    pc.addEventListener('icecandidate', this.onCandidate);
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState === 'connected') this.wasConnected = true;
    });
  }

  /** Whether an ICE restart could bring this connection back (DTLS still up). */
  get restartable(): boolean {
    if (!this.wasConnected || this.closed || this.pc.connectionState === 'closed') return false;
    const transport =
      this.pc.getSenders().find((s) => s.transport)?.transport ??
      this.pc.getReceivers().find((r) => r.transport)?.transport;
    return transport?.state !== 'closed' && transport?.state !== 'failed';
  }

  /** The session URL from the 201's Location. */
  get url(): string | null {
    return this.sessionUrl;
  }

  /**
   * Creates the connection, lets `setup` add transceivers, and signals it. Rejects with a
   * MediaSessionError (the server's answer) or the browser's own error; closes what it made.
   */
  static async open(
    endpoint: Endpoint,
    setup: (pc: RTCPeerConnection) => void,
    signal?: AbortSignal,
  ): Promise<SignalledPeer> {
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', iceServers: [] });
    const peer = new SignalledPeer(endpoint, pc);
    try {
      setup(pc);
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc, GATHER_MS);
      const offer = pc.localDescription!.sdp;
      for (const c of candidatesOf(offer)) peer.sent.add(c);
      peer.queue = peer.queue.filter((c) => !peer.sent.has(c));
      if (pc.iceGatheringState === 'complete') peer.endOfCandidates = true;
      const answer = await postOffer(endpoint, offer, signal);
      peer.sessionUrl = answer.location;
      peer.etag = answer.etag;
      if (signal?.aborted) throw new DOMException('Stopped meanwhile', 'AbortError');
      await pc.setRemoteDescription({ type: 'answer', sdp: answer.answer });
      peer.scheduleFlush();
      return peer;
    } catch (err) {
      // A session the server made for nothing is deleted at once.
      const url = peer.sessionUrl;
      peer.close({ sendDelete: false });
      if (url) void deleteSession(endpoint, url);
      throw err;
    }
  }

  private onCandidate = (e: RTCPeerConnectionIceEvent) => {
    const c = e.candidate?.candidate;
    if (c) {
      if (!this.sent.has(c) && !this.queue.includes(c)) this.queue.push(c);
    } else {
      this.endOfCandidates = true;
    }
    this.scheduleFlush();
  };

  private scheduleFlush(): void {
    if (this.closed || !this.sessionUrl || !this.trickle || this.flushTimer) return;
    if (this.queue.length === 0 && (!this.endOfCandidates || this.endSent)) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush();
    }, TRICKLE_DEBOUNCE_MS);
  }

  private async flush(): Promise<void> {
    const local = this.pc.localDescription?.sdp;
    const credentials = local ? iceCredentialsOf(local) : null;
    const first = local ? sectionsOf(local)[0] : undefined;
    if (!this.sessionUrl || !credentials || !first || this.closed) return;
    const candidates = this.queue;
    this.queue = [];
    const end = this.endOfCandidates && !this.endSent;
    if (candidates.length === 0 && !end) return;
    for (const c of candidates) this.sent.add(c);
    if (end) this.endSent = true;
    try {
      const res = await patchSession(
        this.endpoint,
        this.sessionUrl,
        trickleFragment({ credentials, firstSection: first, candidates, endOfCandidates: end }),
        this.etag,
      );
      if (res.etag) this.etag = res.etag;
    } catch (err) {
      // 405/501: no trickle on this server; the candidates in the offer will have to do.
      if (err instanceof MediaSessionError && (err.status === 405 || err.status === 501))
        this.trickle = false;
    }
    this.scheduleFlush();
  }

  /**
   * ICE restart (RFC 9725 §4.3.2): new credentials to the server, its new credentials and
   * candidates back, media untouched. Rejects when the server cannot (then start a new
   * session).
   */
  async restartIce(): Promise<void> {
    if (!this.sessionUrl || this.closed) throw new Error('No session to restart');
    const pc = this.pc;
    const remote = pc.currentRemoteDescription?.sdp ?? pc.remoteDescription?.sdp;
    if (!remote) throw new Error('Not negotiated');
    await pc.setLocalDescription(await pc.createOffer({ iceRestart: true }));
    await gathered(pc, GATHER_MS);
    const local = pc.localDescription!.sdp;
    const credentials = iceCredentialsOf(local);
    const first = sectionsOf(local)[0];
    if (!credentials || !first) throw new Error('No ICE credentials in the restart offer');
    this.sent = new Set(candidatesOf(local));
    this.queue = [];
    this.endOfCandidates = pc.iceGatheringState === 'complete';
    this.endSent = this.endOfCandidates;
    const res = await patchSession(
      this.endpoint,
      this.sessionUrl,
      trickleFragment({
        credentials,
        firstSection: first,
        candidates: [...this.sent],
        endOfCandidates: this.endOfCandidates,
      }),
      '*',
    );
    if (res.status !== 200) throw new MediaSessionError('NO_RESTART', 'ICE restart refused', 204);
    if (res.etag) this.etag = res.etag;
    if (this.closed) return;
    await pc.setRemoteDescription({
      type: 'answer',
      sdp: withRestartedIce(remote, parseFragment(res.fragment)),
    });
    this.scheduleFlush();
  }

  /**
   * Calls `onGone` when the DTLS transport closes or fails: the server ended the session
   * (DELETE from elsewhere, the show ended, a restart). The peer connection itself may still
   * say "connected" for a while then, as its ICE has not timed out yet.
   */
  watchTransport(onGone: () => void): void {
    const transport =
      this.pc.getSenders().find((s) => s.transport)?.transport ??
      this.pc.getReceivers().find((r) => r.transport)?.transport;
    if (!transport) return;
    const check = () => {
      if (this.closed) transport.removeEventListener('statechange', check);
      else if (transport.state === 'closed' || transport.state === 'failed') onGone();
    };
    transport.addEventListener('statechange', check);
  }

  /**
   * Closes the connection. `sendDelete` ends the session on the server too (not needed when
   * a new session replaces it); `keepalive` lets the DELETE outlive a closing page.
   */
  close(opts: { sendDelete: boolean; keepalive?: boolean }): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    clearTimeout(this.flushTimer);
    this.pc.removeEventListener('icecandidate', this.onCandidate);
    try {
      this.pc.close();
    } catch {
      // already closed
    }
    if (opts.sendDelete && this.sessionUrl) {
      return deleteSession(this.endpoint, this.sessionUrl, { keepalive: opts.keepalive ?? false });
    }
    return Promise.resolve();
  }
}
