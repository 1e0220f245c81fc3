/** Messages between bench/viewers/run.ts and its load processes (webrtc-load.ts, hls-load.ts). */

export interface WebRtcPlan {
  kind: 'webrtc';
  /** `http://127.0.0.1:<port>/api/v1/lives/<id>/whep` */
  whepUrl: string;
  /** Share of this process's viewers that decrypt and authenticate every packet (0 to 1). */
  decryptShare: number;
  connectConcurrency: number;
  /**
   * The SRTP profile the viewers' DTLS offers: `gcm` lets the relay pick AEAD_AES_128_GCM (as
   * werift peers do), `aes-cm` only AES_CM_128_HMAC_SHA1_80 (what Chromium's viewers end up
   * with).
   */
  srtp: 'gcm' | 'aes-cm';
}

export interface HlsPlan {
  kind: 'hls';
  /** `http://127.0.0.1:<port>/api/v1/lives/<id>/hls/live.m3u8` */
  playlistUrl: string;
  connectConcurrency: number;
}

export type ToLoad =
  | { type: 'plan'; plan: WebRtcPlan | HlsPlan }
  /** Grow (or shrink) to this many viewers. */
  | { type: 'scale'; viewers: number }
  | { type: 'report' }
  | { type: 'exit' };

/** Counters since the process started; the runner takes differences between two reports. */
export interface LoadCounters {
  viewers: number;
  /** Viewers that could not connect (WHEP refused, ICE/DTLS failed) since the start. */
  failed: number;
  firstError: string | null;
  /** WebRTC: RTP packets received (first copies; retransmissions fill gaps). HLS: parts. */
  received: number;
  /** WebRTC: packets the viewers should have had, from the RTP sequence numbers. HLS: parts. */
  expected: number;
  bytes: number;
  /** WebRTC: packets that failed SRTP authentication (decrypting viewers). HLS: failed requests. */
  errors: number;
  /** Packets (WebRTC) decrypted and authenticated, of `received`. HLS: playlists fetched. */
  verified: number;
  /** Viewers whose connection dropped after it was up. */
  dropped: number;
  /** CPU seconds of this process (user + system). */
  cpuSeconds: number;
}

export type FromLoad =
  | { type: 'ready' }
  | { type: 'scaled'; viewers: number; failed: number; ms: number }
  | { type: 'report'; counters: LoadCounters }
  | { type: 'fatal'; message: string };
