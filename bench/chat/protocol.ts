/** Messages between bench/chat/run.ts and its load processes (bench/chat/client.ts). */

export interface LoadPlan {
  /** `ws://127.0.0.1:<port>/api/v1/lives/<id>/ws` */
  roomUrl: string;
  /** Anonymous viewers this process holds. */
  viewers: number;
  /** Of them, how many parse every frame and record the delay of each chat line. */
  sampled: number;
  /** Viewers beyond the likers and the sampled ones are minimal readers, not `ws` clients. */
  rawViewers: boolean;
  /** Of them, how many tap likes, and how many taps per second in all. */
  likers: number;
  likesPerSecond: number;
  /** Signed-in chatters this process holds (their tokens), and their lines per second in all. */
  chatterTokens: string[];
  linesPerSecond: number;
  connectConcurrency: number;
}

export type ToLoad =
  /** Open sockets until `share` (0 to 1) of the plan's viewers are open (chatters first). */
  | { type: 'connect'; plan: LoadPlan; share: number }
  | { type: 'start'; startAt: number; seconds: number }
  | { type: 'report' }
  | { type: 'exit' };

/** Counters per second of the run (index 0 = the first second after `startAt`). */
export interface LoadReport {
  chatsPerSecond: number[];
  framesPerSecond: number[];
  bytesPerSecond: number[];
  /** Chat lines received by sampled viewers: delay histogram, 1 ms buckets. */
  delayHistogram: Array<[ms: number, count: number]>;
  linesSent: number;
  likesSent: number;
  /** Viewer sockets closed by the server while the run went on (slow consumers cut off). */
  closedByServer: number;
  errors: number;
}

export type FromLoad =
  | { type: 'connected'; open: number; failed: number; firstError: string | null; ms: number }
  | { type: 'report'; report: LoadReport }
  | { type: 'fatal'; message: string };

export const CHAT_PREFIX = 'bench';
/** The one `|` of a bench chat line; nothing else the room sends in the bench contains one. */
export const CHAT_MARK = 0x7c;
