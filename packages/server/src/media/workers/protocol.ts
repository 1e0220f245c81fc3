import type { WebRtcConfig } from '../../config.ts';
import type { MediaKind, NegotiatedCodec, SdpFragment } from '../sdp.ts';

/**
 * Messages between the main thread (`viewer-pool.ts`) and a viewer worker
 * (`viewer-worker.ts`), every one of them listed here. Requests carry `rid` and get one
 * `reply`; the rest are one-way.
 */

export interface WorkerInit {
  /** The OS thread name (at most 15 characters shown). */
  threadName: string;
  webrtc: WebRtcConfig;
  /** A viewer whose connection does not come up in this time is dropped. */
  viewerConnectTimeoutMs: number;
  /** How often a worker asks again for a keyframe while a viewer waits for one. */
  keyframeRetryMs: number;
}

export type Codecs = Partial<Record<MediaKind, NegotiatedCodec>>;

export type ToWorker =
  | { t: 'add'; rid: number; id: string; liveId: string; offer: string; codecs: Codecs }
  | { t: 'candidates'; rid: number; id: string; fragment: SdpFragment }
  | { t: 'restart'; rid: number; id: string; fragment: SdpFragment }
  | { t: 'remove'; id: string }
  | { t: 'closeLive'; liveId: string }
  /** The publisher's packets of one turn (`rtp-batch.ts`); `lives` names the batch's indexes. */
  | { t: 'rtp'; lives: string[]; buffer: ArrayBuffer }
  /** Packets from before now (an RTMP encoder's cached GOP) for one viewer who starts. */
  | { t: 'replay'; id: string; buffer: ArrayBuffer }
  | { t: 'stats'; rid: number }
  | { t: 'close'; rid: number }
  /** Tests only: the worker dies as a crash would. */
  | { t: 'crash' };

export interface WorkerError {
  code?: string;
  message: string;
  status?: number;
  details?: Record<string, unknown>;
}

export interface WorkerStats {
  viewers: number;
  connectedViewers: number;
  slowSends: number;
  addressedSends: number;
  packetsIn: number;
  /** Batches of the publisher's packets dropped because the worker was over a second behind. */
  lagDrops: number;
}

export type FromWorker =
  | { t: 'reply'; rid: number; ok: true; value?: unknown }
  | { t: 'reply'; rid: number; ok: false; error: WorkerError }
  | { t: 'ready' }
  /** A viewer's connection is up: it waits for a keyframe (or the cached GOP). */
  | { t: 'started'; id: string; liveId: string }
  /** A viewer's decoder asked for a keyframe, or one is still waited for. */
  | { t: 'keyframe'; liveId: string }
  /** A viewer left by itself (failed, closed, never connected). */
  | { t: 'gone'; id: string; reason: string };
