import { HISTORY_MAX, withSeq, type BrokerMessage, type RoomBroker } from './broker.ts';

interface MemoryRoom {
  seq: number;
  history: Array<{ seq: number; json: string }>;
  likes: number;
  listener: ((m: BrokerMessage) => void) | null;
}

/** The broker of a single process: no network hop, same behaviour as the Redis one. */
export function createMemoryBroker(): RoomBroker {
  const rooms = new Map<string, MemoryRoom>();
  const room = (id: string) => {
    let r = rooms.get(id);
    if (!r) rooms.set(id, (r = { seq: 0, history: [], likes: 0, listener: null }));
    return r;
  };
  return {
    async publish(liveId, event, opts) {
      const r = room(liveId);
      const audience = opts?.audience ?? 'all';
      const raw = JSON.stringify(event);
      let seq = 0;
      let json = raw;
      if (audience === 'all') {
        seq = ++r.seq;
        json = withSeq(raw, seq);
        r.history.push({ seq, json });
        if (r.history.length > HISTORY_MAX) r.history.splice(0, r.history.length - HISTORY_MAX);
      }
      r.listener?.({ json, seq, audience });
      return seq;
    },
    async subscribe(liveId, listener) {
      room(liveId).listener = listener;
    },
    async unsubscribe(liveId) {
      const r = rooms.get(liveId);
      if (r) r.listener = null;
    },
    async since(liveId, seq) {
      // Read only: asking about a show that does not exist must not make it a room.
      const r = rooms.get(liveId) ?? { seq: 0, history: [] };
      const events = r.history.filter((e) => e.seq > seq).map((e) => e.json);
      const oldest = r.history[0]?.seq ?? r.seq + 1;
      return { events, complete: seq >= r.seq || oldest <= seq + 1, current: r.seq };
    },
    async addLikes(liveId, count) {
      return (room(liveId).likes += count);
    },
    async likes(liveId) {
      return room(liveId).likes;
    },
    async reportViewers(_liveId, local) {
      return local;
    },
    async close() {
      rooms.clear();
    },
  };
}
