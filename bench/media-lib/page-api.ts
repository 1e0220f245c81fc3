/**
 * What the bench pages expose as `window.bench`, and the shapes they hand to Node through
 * `page.evaluate`. Shared by the pages (browser) and the runners (Node); types only.
 */

/** The publisher's outbound video as its getStats() says, plus the path's estimate. */
export interface PublisherVideoStats {
  at: number;
  frameWidth: number | null;
  frameHeight: number | null;
  framesPerSecond: number | null;
  framesEncoded: number;
  bytesSent: number;
  packetsSent: number;
  retransmittedBytesSent: number;
  targetBitrate: number | null;
  qualityLimitationReason: string | null;
  /** Seconds spent limited by each reason since the encoder started. */
  qualityLimitationDurations: Record<string, number>;
  nackCount: number;
  pliCount: number;
  encoderImplementation: string | null;
  codec: string | null;
  /** From the selected candidate pair: Chromium's bandwidth estimate (bit/s). */
  availableOutgoingBitrate: number | null;
  roundTripTimeSeconds: number | null;
  /** From the server's receiver reports (remote-inbound-rtp). */
  fractionLost: number | null;
}

/** The viewer's inbound video as its getStats() says (WebRTC only). */
export interface ViewerVideoStats {
  at: number;
  framesDecoded: number;
  framesDropped: number;
  framesReceived: number;
  framesPerSecond: number | null;
  frameWidth: number | null;
  frameHeight: number | null;
  freezeCount: number;
  totalFreezesDuration: number;
  pauseCount: number;
  bytesReceived: number;
  packetsLost: number;
  packetsReceived: number;
  nackCount: number;
  pliCount: number;
  /** RTP interarrival jitter, seconds. */
  jitter: number | null;
  jitterBufferDelay: number;
  jitterBufferTargetDelay: number;
  jitterBufferEmittedCount: number;
  /** The floor the receiver put under its target (A/V sync, or a playout-delay request). */
  jitterBufferMinimumDelay: number;
  /** Seconds spent decoding, and from the first packet of a frame to its last. */
  totalDecodeTime: number;
  totalAssemblyTime: number;
  /** The audio track's receiver, when there is one (the picture waits for it: A/V sync). */
  audio: ViewerAudioStats | null;
}

/** The viewer's audio `inbound-rtp`: cumulative counters, as getStats() gives them. */
export interface ViewerAudioStats {
  packetsReceived: number;
  packetsLost: number;
  /** RTP interarrival jitter, seconds. */
  jitter: number | null;
  jitterBufferDelay: number;
  jitterBufferTargetDelay: number;
  jitterBufferEmittedCount: number;
  jitterBufferMinimumDelay: number;
  /** Samples the receiver made up (loss or an empty buffer), and all it played. */
  concealedSamples: number;
  totalSamplesReceived: number;
  /** Samples stretched in (slowing down to grow the buffer) and cut out (speeding up). */
  insertedSamplesForDeceleration: number;
  removedSamplesForAcceleration: number;
  /** The audio output's own delay (`media-playout`: seconds summed over samples), which A/V
   * sync holds the picture back by as well. */
  totalPlayoutDelay: number;
  totalPlayoutSamples: number;
}

/** One picture the viewer's page presented (requestVideoFrameCallback). */
export interface FrameSample {
  /** Wall clock (epoch ms) at which the frame was expected on screen. */
  shownAt: number;
  /** The publisher's clock in the picture; null when the code did not read back. */
  drawnAt: number | null;
  width: number;
  height: number;
}

export interface PublisherPageApi {
  state(): { broadcast: string; camera: string; error: string | null };
  /** Null until a peer connection with a video sender exists. */
  stats(): Promise<PublisherVideoStats | null>;
  stop(): Promise<void>;
}

/** hls.js's own view of its delay (seconds), when the player uses it. */
export interface HlsLatency {
  /** Behind the live edge now (the playlist's end, not the camera). */
  latency: number;
  /** What it aims at: PART-HOLD-BACK in low-latency mode, plus 1 s per stall so far. */
  targetLatency: number | null;
  /** Playback rate it uses to catch up (1 = none). */
  playbackRate: number;
  /** Media buffered ahead of the playhead, seconds. */
  bufferedAhead: number;
  stalls: number;
}

export interface ViewerPageApi {
  hls(): HlsLatency | null;
  state(): { phase: string; transport: string | null };
  /** Frames presented since the last call (taken: each sample is returned once). */
  takeFrames(): FrameSample[];
  /** Frames presented so far (all, kept or not). */
  frameCount(): number;
  stats(): Promise<ViewerVideoStats | null>;
  stop(): Promise<void>;
}

/** Query parameters of the pages. */
export interface PublisherPageParams {
  whip: string;
  token: string;
  /** `clock`: a canvas with the clock code stands in for the camera; `camera`: getUserMedia. */
  source: 'clock' | 'camera';
}

export interface ViewerPageParams {
  whep: string;
  hls: string;
  /** Read the clock code off every presented frame. */
  decode: boolean;
}
