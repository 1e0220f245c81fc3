/**
 * Carries room events between server processes and keeps what a reconnecting client missed.
 * In memory for one process; over Redis (pub/sub + a sorted set per room) for several.
 */
export type Audience = 'all' | 'host';

export interface BrokerMessage {
  /** The event as JSON text, serialised once, with its `seq` when it has one. */
  json: string;
  seq: number;
  audience: Audience;
}

export interface RoomBroker {
  /**
   * Publishes an event to every process's copy of the room. Sequenced events get the next
   * `seq` of the room and are kept for replay; others (host-only) get seq 0.
   */
  publish(
    liveId: string,
    event: { type: string } & Record<string, unknown>,
    opts?: { audience?: Audience },
  ): Promise<number>;
  subscribe(liveId: string, listener: (message: BrokerMessage) => void): Promise<void>;
  unsubscribe(liveId: string): Promise<void>;
  /** Events after `seq`, oldest first; `complete` is false when some were too old to keep. */
  since(
    liveId: string,
    seq: number,
  ): Promise<{ events: string[]; complete: boolean; current: number }>;
  addLikes(liveId: string, count: number): Promise<number>;
  likes(liveId: string): Promise<number>;
  /** This process's viewer count in; the total over all processes out. */
  reportViewers(liveId: string, local: number): Promise<number>;
  close(): Promise<void>;
}

export const HISTORY_MAX = 500;

/** `{"type":...}` → `{"seq":N,"type":...}` without parsing again. */
export function withSeq(eventJson: string, seq: number): string {
  return `{"seq":${seq},${eventJson.slice(1)}`;
}
