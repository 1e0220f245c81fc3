import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../test/process-harness.ts';
import { HISTORY_MAX, type BrokerMessage, type RoomBroker } from './broker.ts';
import { createMemoryBroker } from './broker.memory.ts';
import { createRedisBroker } from './broker.redis.ts';

/**
 * One contract, two brokers: what a room sees must not depend on whether it runs in one
 * process or several. The Redis half runs when TEST_REDIS_URL is set.
 */
const redisUrl = process.env.TEST_REDIS_URL;
const connections: Redis[] = [];
const brokers: RoomBroker[] = [];
afterAll(async () => {
  for (const broker of brokers) await broker.close();
  for (const redis of connections) await redis.quit();
});

const kinds: Array<[string, (prefix: string) => RoomBroker]> = [
  ['memory', () => createMemoryBroker()],
];
if (redisUrl) {
  kinds.push([
    'redis',
    (prefix) => {
      const redis = new Redis(redisUrl);
      connections.push(redis);
      return createRedisBroker(redis, prefix);
    },
  ]);
}

describe.each(kinds)('%s broker', (kind, make) => {
  const prefix = `cunbo-test:${randomUUID()}:`;
  const broker = () => {
    const b = make(prefix);
    brokers.push(b);
    return b;
  };
  const listen = async (b: RoomBroker, liveId: string) => {
    const got: BrokerMessage[] = [];
    await b.subscribe(liveId, (m) => got.push(m));
    return got;
  };
  const chat = (text: string) => ({ type: 'chat', text });

  it('numbers a room’s events from 1, each room on its own', async () => {
    const b = broker();
    const [a, c] = [randomUUID(), randomUUID()];
    const got = await listen(b, a);
    expect(await b.publish(a, chat('one'))).toBe(1);
    expect(await b.publish(a, chat('two'))).toBe(2);
    expect(await b.publish(c, chat('elsewhere'))).toBe(1);
    await waitUntil(() => got.length === 2, { what: 'two messages' });
    expect(got).toEqual([
      { json: '{"seq":1,"type":"chat","text":"one"}', seq: 1, audience: 'all' },
      { json: '{"seq":2,"type":"chat","text":"two"}', seq: 2, audience: 'all' },
    ]);
  });

  it('neither numbers nor keeps host-only events', async () => {
    const b = broker();
    const liveId = randomUUID();
    const got = await listen(b, liveId);
    expect(await b.publish(liveId, { type: 'order', id: 'o1' }, { audience: 'host' })).toBe(0);
    await b.publish(liveId, chat('after'));
    await waitUntil(() => got.length === 2, { what: 'two messages' });
    expect(got[0]).toEqual({ json: '{"type":"order","id":"o1"}', seq: 0, audience: 'host' });
    expect(got[1]!.seq).toBe(1);
    expect((await b.since(liveId, 0)).events).toEqual(['{"seq":1,"type":"chat","text":"after"}']);
  });

  it('replays what came after a seq, and nothing to a client up to date', async () => {
    const b = broker();
    const liveId = randomUUID();
    for (const text of ['a', 'b', 'c', 'd']) await b.publish(liveId, chat(text));
    expect(await b.since(liveId, 2)).toEqual({
      events: ['{"seq":3,"type":"chat","text":"c"}', '{"seq":4,"type":"chat","text":"d"}'],
      complete: true,
      current: 4,
    });
    expect(await b.since(liveId, 4)).toEqual({ events: [], complete: true, current: 4 });
    expect(await b.since(randomUUID(), 0)).toEqual({ events: [], complete: true, current: 0 });
  });

  it(`keeps the last ${HISTORY_MAX} events and says when a client missed more`, async () => {
    const b = broker();
    const liveId = randomUUID();
    for (let i = 1; i <= HISTORY_MAX + 5; i++) await b.publish(liveId, chat(`line ${i}`));
    const all = await b.since(liveId, 0);
    expect(all.complete).toBe(false);
    expect(all.current).toBe(HISTORY_MAX + 5);
    expect(all.events).toHaveLength(HISTORY_MAX);
    expect(JSON.parse(all.events[0]!).seq).toBe(6);
    expect((await b.since(liveId, 5)).complete).toBe(true);
    expect((await b.since(liveId, 4)).complete).toBe(false);
  });

  it('sums likes', async () => {
    const b = broker();
    const liveId = randomUUID();
    expect(await b.likes(liveId)).toBe(0);
    expect(await b.addLikes(liveId, 3)).toBe(3);
    expect(await b.addLikes(liveId, 4)).toBe(7);
    expect(await b.likes(liveId)).toBe(7);
  });

  it('stops delivering after unsubscribe', async () => {
    const b = broker();
    const liveId = randomUUID();
    const got = await listen(b, liveId);
    await b.publish(liveId, chat('heard'));
    await waitUntil(() => got.length === 1, { what: 'one message' });
    await b.unsubscribe(liveId);
    await b.publish(liveId, chat('unheard'));
    // A later room's subscription proves the channel has been read past the unheard line.
    const later = await listen(b, liveId);
    await b.publish(liveId, chat('later'));
    await waitUntil(() => later.length === 1, { what: 'the later line' });
    expect(got.map((m) => m.seq)).toEqual([1]);
  });

  if (kind === 'redis') {
    it('sums viewers over processes and carries events between them', async () => {
      const [one, two] = [broker(), broker()];
      const liveId = randomUUID();
      const heardByTwo = await listen(two, liveId);
      await listen(one, liveId);
      await one.publish(liveId, chat('from one'));
      await waitUntil(() => heardByTwo.length === 1, { what: 'the line on the other process' });
      expect(await one.reportViewers(liveId, 3)).toBe(3);
      expect(await two.reportViewers(liveId, 4)).toBe(7);
      // A process that closes stops counting.
      await one.close();
      expect(await two.reportViewers(liveId, 4)).toBe(4);
    });
  } else {
    it('counts this process’s viewers only', async () => {
      expect(await broker().reportViewers(randomUUID(), 3)).toBe(3);
    });
  }
});
