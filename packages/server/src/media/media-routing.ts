import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { DomainEventBus } from '../lib/domain-events.ts';

/**
 * Several server processes (REDIS_URL), one show: a show's media lives in the process its
 * publisher is connected to (the relay, the HLS packager, the recording). Any other process
 * that gets a viewer's request for that show passes it on to that process and hands back
 * its answer, so a load balancer may send anyone anywhere:
 *
 * - WHEP (`POST /lives/:id/whep`, then PATCH and DELETE on the session): the SDP answer is the
 *   publisher's process's, so the viewer's media flows to and from that process directly;
 *   only the signalling takes the extra hop. Its per-node limit and 503 apply as usual.
 * - Live HLS, segments and thumbnails: answered from that process's memory and disk.
 *
 * Who holds a show is in Redis: `media:owner:<liveId>` (the process's internal URL) from the
 * moment a WHIP publish is accepted (before its 201 leaves) while its publisher is on air or
 * reconnecting, kept alive every few seconds so that a dead process's claim lapses; `media:home:<liveId>` where its recording was last written, for the replay.
 * A request passed on carries `x-cunbo-hop` and is always answered where it lands.
 * If the other process does not answer, the request is answered here.
 */
export interface MediaRouting {
  /** The `preValidation` hook and, unless an internal URL was given, the listen hook. */
  register(app: FastifyInstance): void;
  close(): Promise<void>;
}

const HOP_HEADER = 'x-cunbo-hop';
const OWNER_TTL_SECONDS = 30;
const REFRESH_EVERY_MS = 10_000;
/** A passed-on request that takes longer than this (a blocking playlist reload waits). */
const HOP_TIMEOUT_MS = 20_000;
const WHIP_PATH = /^\/api\/v1\/lives\/([0-9a-f-]{36})\/whip(?:\?|$)/;
const MEDIA_PATH =
  /^\/api\/v1\/lives\/([0-9a-f-]{36})\/(whep(?:\/[^/?]+)?|hls\/[^/?]+|thumbnail\.jpg)(?:\?|$)/;
const REQUEST_HEADERS = ['content-type', 'accept', 'if-match', 'range', 'user-agent'];
const RESPONSE_HEADERS = [
  'content-type',
  'location',
  'etag',
  'accept-patch',
  'accept-post',
  'retry-after',
  'cache-control',
  'link',
  'allow',
  'content-range',
  'accept-ranges',
];

/** Deletes the key only if it still names us (another process may have taken the show). */
const DELETE_IF_MINE =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0";

export function createMediaRouting(deps: {
  redis: Redis;
  prefix: string;
  events: DomainEventBus;
  log: FastifyBaseLogger;
  /** How the other processes reach this one; undefined: 127.0.0.1 and the listening port. */
  internalUrl?: string;
}): MediaRouting {
  const { redis, events, log } = deps;
  let self = deps.internalUrl ?? null;
  const ownerKey = (liveId: string) => `${deps.prefix}media:owner:${liveId}`;
  const homeKey = (liveId: string) => `${deps.prefix}media:home:${liveId}`;
  /** Shows whose publisher is here, kept claimed in Redis. */
  const held = new Map<string, NodeJS.Timeout>();

  async function claim(liveId: string): Promise<void> {
    if (!self) return;
    await redis
      .multi()
      .set(ownerKey(liveId), self, 'EX', OWNER_TTL_SECONDS)
      .set(homeKey(liveId), self)
      .exec();
  }

  async function release(liveId: string): Promise<void> {
    clearInterval(held.get(liveId));
    held.delete(liveId);
    if (self) await redis.eval(DELETE_IF_MINE, 1, ownerKey(liveId), self);
  }

  /** The show's publisher is here: claim it now and keep the claim alive. */
  async function hold(liveId: string): Promise<void> {
    if (!held.has(liveId)) {
      held.set(
        liveId,
        setInterval(() => {
          claim(liveId).catch((err: unknown) => log.warn({ err, liveId }, 'media claim failed'));
        }, REFRESH_EVERY_MS),
      );
    }
    await claim(liveId);
  }

  const unsubscribe = [
    events.on('live.stream', ({ liveId, state }) =>
      state === 'offline' ? release(liveId) : hold(liveId),
    ),
    events.on('live.ended', ({ liveId }) => release(liveId)),
  ];

  /** The process that should answer this request, if it is another one. */
  async function elsewhere(liveId: string, what: string): Promise<string | null> {
    const owner = await redis.get(ownerKey(liveId));
    // The replay and the last thumbnail stay where the recording was written.
    const target = owner ?? (what.startsWith('whep') ? null : await redis.get(homeKey(liveId)));
    return target && target !== self ? target : null;
  }

  async function passOn(target: string, request: FastifyRequest, reply: FastifyReply) {
    const headers: Record<string, string> = { [HOP_HEADER]: '1', 'x-forwarded-for': request.ip };
    for (const name of REQUEST_HEADERS) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const body = typeof request.body === 'string' ? request.body : undefined;
    const res = await fetch(`${target}${request.url}`, {
      method: request.method,
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(HOP_TIMEOUT_MS),
    });
    const payload = Buffer.from(await res.arrayBuffer());
    void reply.status(res.status);
    for (const name of RESPONSE_HEADERS) {
      const value = res.headers.get(name);
      if (value !== null) void reply.header(name, value);
    }
    return reply.send(payload);
  }

  return {
    register(app) {
      if (!deps.internalUrl) {
        app.addHook('onListen', async function () {
          const address = app.server.address();
          if (address && typeof address === 'object') self = `http://127.0.0.1:${address.port}`;
        });
      }
      // A publisher accepted here: viewers asking elsewhere are sent here from its 201 on.
      app.addHook('onSend', async (request, reply, payload) => {
        if (request.method !== 'POST' || reply.statusCode !== 201) return payload;
        const liveId = WHIP_PATH.exec(request.url)?.[1];
        if (liveId) {
          await hold(liveId).catch((err: unknown) =>
            log.warn({ err, liveId }, 'media claim failed'),
          );
        }
        return payload;
      });
      app.addHook('preValidation', async (request, reply) => {
        if (request.headers[HOP_HEADER] !== undefined || !self) return;
        const match = MEDIA_PATH.exec(request.url);
        if (!match) return;
        const [, liveId, what] = match as unknown as [string, string, string];
        let target: string | null;
        try {
          target = await elsewhere(liveId, what);
        } catch (err) {
          log.warn({ err, liveId }, 'media owner lookup failed; answering here');
          return;
        }
        if (!target) return;
        try {
          return await passOn(target, request, reply);
        } catch (err) {
          log.warn({ err, liveId, target }, 'the show’s process did not answer; answering here');
        }
      });
    },

    async close() {
      unsubscribe.forEach((off) => off());
      await Promise.all([...held.keys()].map((liveId) => release(liveId)));
    },
  };
}
