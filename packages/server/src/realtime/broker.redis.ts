import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { HISTORY_MAX, type Audience, type BrokerMessage, type RoomBroker } from './broker.ts';

// One atomic step: next seq, keep for replay, publish. Redis runs scripts one at a time, so
// every process receives a room's events in seq order.
const PUBLISH = `
local seq = 0
local json
if ARGV[4] == 'all' then
  seq = redis.call('INCR', KEYS[1])
  json = '{"seq":' .. seq .. ',' .. ARGV[2]
  redis.call('ZADD', KEYS[2], seq, json)
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[3]) + 1))
  redis.call('EXPIRE', KEYS[1], ARGV[5])
  redis.call('EXPIRE', KEYS[2], ARGV[5])
else
  json = '{' .. ARGV[2]
end
redis.call('PUBLISH', ARGV[1], ARGV[4] .. '|' .. seq .. '|' .. json)
return seq`;

const ROOM_TTL_SECONDS = 2 * 86_400;
const VIEWERS_STALE_MS = 15_000;

export function createRedisBroker(redis: Redis, prefix: string): RoomBroker {
  const sub = redis.duplicate();
  const processId = randomUUID();
  const listeners = new Map<string, (m: BrokerMessage) => void>();
  const key = (liveId: string, what: string) => `${prefix}room:${liveId}:${what}`;
  const channelOf = (liveId: string) => `${prefix}room:${liveId}`;
  const channelPrefix = `${prefix}room:`;

  redis.defineCommand('cunboPublish', { numberOfKeys: 2, lua: PUBLISH });
  sub.on('message', (channel: string, message: string) => {
    const liveId = channel.slice(channelPrefix.length);
    const listener = listeners.get(liveId);
    if (!listener) return;
    const a = message.indexOf('|');
    const b = message.indexOf('|', a + 1);
    listener({
      audience: message.slice(0, a) as Audience,
      seq: Number(message.slice(a + 1, b)),
      json: message.slice(b + 1),
    });
  });

  return {
    async publish(liveId, event, opts) {
      const audience = opts?.audience ?? 'all';
      const body = JSON.stringify(event).slice(1);
      const seq = await (
        redis as unknown as { cunboPublish(...args: unknown[]): Promise<number> }
      ).cunboPublish(
        key(liveId, 'seq'),
        key(liveId, 'history'),
        channelOf(liveId),
        body,
        HISTORY_MAX,
        audience,
        ROOM_TTL_SECONDS,
      );
      return Number(seq);
    },
    async subscribe(liveId, listener) {
      listeners.set(liveId, listener);
      await sub.subscribe(channelOf(liveId));
    },
    async unsubscribe(liveId) {
      listeners.delete(liveId);
      await sub.unsubscribe(channelOf(liveId));
    },
    async since(liveId, seq) {
      // One transaction: `current` is exactly the last of `events`, never an event published
      // between two reads (a joining client skips everything up to `current`).
      const replies = (await redis
        .multi()
        .zrangebyscore(key(liveId, 'history'), `(${seq}`, '+inf')
        .get(key(liveId, 'seq'))
        .zrangebyscore(key(liveId, 'history'), '-inf', '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
        .exec())!;
      const failed = replies.find(([err]) => err);
      if (failed) throw failed[0];
      const [events, current, oldest] = replies.map(([, value]) => value) as [
        string[],
        string | null,
        string[],
      ];
      const cur = Number(current ?? 0);
      const oldestSeq = oldest[1] !== undefined ? Number(oldest[1]) : cur + 1;
      return { events, complete: seq >= cur || oldestSeq <= seq + 1, current: cur };
    },
    async addLikes(liveId, count) {
      const k = key(liveId, 'likes');
      const [[, total]] = (await redis
        .multi()
        .incrby(k, count)
        .expire(k, ROOM_TTL_SECONDS)
        .exec()) as [[Error | null, number]];
      return Number(total);
    },
    async likes(liveId) {
      return Number((await redis.get(key(liveId, 'likes'))) ?? 0);
    },
    async reportViewers(liveId, local) {
      const k = key(liveId, 'viewers');
      const now = Date.now();
      await redis.multi().hset(k, processId, `${local}:${now}`).expire(k, ROOM_TTL_SECONDS).exec();
      const all = await redis.hgetall(k);
      let total = 0;
      const stale: string[] = [];
      for (const [proc, value] of Object.entries(all)) {
        const [count, at] = value.split(':').map(Number);
        // A process that died stops reporting; its viewers stop counting.
        if (now - (at ?? 0) > VIEWERS_STALE_MS) stale.push(proc);
        else total += count ?? 0;
      }
      if (stale.length > 0) await redis.hdel(k, ...stale);
      return total;
    },
    async close() {
      for (const liveId of listeners.keys())
        await redis.hdel(key(liveId, 'viewers'), processId).catch(() => undefined);
      listeners.clear();
      sub.disconnect();
    },
  };
}
