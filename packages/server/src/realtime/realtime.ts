import { randomUUID } from 'node:crypto';
import { AppError, LIMITS, type ErrorCode, type HelloEvent } from '@cunbo/shared';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { Type } from 'typebox';
import type { RawData } from 'ws';
import type { Config } from '../config.ts';
import type { DomainEventBus } from '../lib/domain-events.ts';
import { countyOf } from '../modules/regions/regions.service.ts';
import type { Services } from '../services.ts';
import type { RoomBroker } from './broker.ts';
import { createMemoryBroker } from './broker.memory.ts';
import { createRedisBroker } from './broker.redis.ts';
import { LiveRoom, type RoomClient } from './live-room.ts';
import { RoomSnapshots } from './room-snapshot.ts';

const ROOM_GRACE_MS = 30_000;
const RECENT_EVENTS_SCANNED = 200;
const RECENT_CHAT_LINES = 20;
const LIKES_PER_MESSAGE_MAX = 50;
const STATUS_MAX_AGE_MS = 1_000;

export interface Realtime {
  registerRoutes(api: FastifyInstance): void;
  broker: RoomBroker;
  rooms: ReadonlyMap<string, LiveRoom>;
  close(): Promise<void>;
}

/** The `seq` a sequenced event's JSON starts with (see `withSeq`). */
const seqOf = (json: string) => Number(/^\{"seq":(\d+)/.exec(json)?.[1] ?? 0);

const errorFrame = (code: ErrorCode, message: string, details: Record<string, unknown> = {}) =>
  JSON.stringify({ type: 'error', error: { code, message, details } });

/**
 * Live rooms over WebSocket at /api/v1/lives/:id/ws. Domain events (pins, orders, stock,
 * show state) become room events here; chat and likes come in from viewers.
 */
export async function createRealtime(deps: {
  config: Config;
  redis: Redis | null;
  services: Services;
  events: DomainEventBus;
  log: FastifyBaseLogger;
}): Promise<Realtime> {
  const { config, redis, services, events, log } = deps;
  const broker = redis ? createRedisBroker(redis, config.redisPrefix) : createMemoryBroker();
  const chatLimiter: RateLimiterAbstract = redis
    ? new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${config.redisPrefix}chat`,
        points: config.rateLimits.chatLinesPer10s,
        duration: 10,
      })
    : new RateLimiterMemory({ points: config.rateLimits.chatLinesPer10s, duration: 10 });
  const rooms = new Map<string, LiveRoom>();
  // A newcomer's hello: the show, its pinned product, open offers and coupons, read once for
  // all who join at about the same time (see room-snapshot.ts for why that stays exact).
  const snapshots = new RoomSnapshots(async (liveId: string) => {
    const [info, offers, coupons] = await Promise.all([
      services.lives.roomInfo(liveId),
      services.flash.roomOffers(liveId),
      services.flash.roomCoupons(liveId),
    ]);
    return { info, offers, coupons };
  });
  const opening = new Map<string, Promise<LiveRoom>>();
  const closers = new Map<string, NodeJS.Timeout>();
  const perIp = new Map<string, number>();

  const publish = (
    liveId: string,
    event: { type: string } & Record<string, unknown>,
    audience: 'all' | 'host' = 'all',
  ) =>
    broker.publish(liveId, { ...event, liveId }, { audience }).then(
      () => undefined,
      (err: unknown) => log.error({ err, liveId }, 'room publish failed'),
    );

  async function announceStock(productId: string, stock: number, liveIds: Iterable<string>) {
    for (const liveId of new Set(liveIds)) {
      await publish(liveId, { type: 'stock', productId, stock });
      if (stock === 0) await publish(liveId, { type: 'soldout', productId });
    }
  }

  events.on('live.started', (e) => {
    rooms.get(e.liveId)?.noteStatus('live');
    return publish(e.liveId, { type: 'live', status: 'live' });
  });
  events.on('live.ended', (e) => {
    rooms.get(e.liveId)?.noteStatus('ended');
    return publish(e.liveId, { type: 'live', status: 'ended' });
  });
  events.on('live.pinned', (e) => publish(e.liveId, { type: 'pin', product: e.product }));
  events.on('order.created', async (e) => {
    const { order } = e;
    if (order.liveId) {
      const county = countyOf(e.buyerRegionCode);
      for (const item of order.items) {
        await publish(order.liveId, {
          type: 'purchase',
          productId: item.productId,
          quantity: item.quantity,
          unit: item.unit,
          countyName: county ? county.name : null,
        });
      }
      await publish(order.liveId, { type: 'order', order }, 'host');
    }
    for (const s of e.stock) {
      const liveIds = await services.lives.openLivesWithProduct(s.productId);
      await announceStock(
        s.productId,
        s.stock,
        order.liveId ? [...liveIds, order.liveId] : liveIds,
      );
    }
  });
  events.on('order.updated', async (e) => {
    if (e.order.liveId) await publish(e.order.liveId, { type: 'order', order: e.order }, 'host');
  });
  events.on('live.stream', (e) => publish(e.liveId, { type: 'stream', state: e.state }));

  // A flash sale changes `left` hundreds of times a second: each offer (and coupon) goes out
  // at most once per room tick, in its latest state.
  const latest = new Map<
    string,
    { liveId: string; event: { type: string } & Record<string, unknown> }
  >();
  let coalesce: NodeJS.Timeout | null = null;
  const publishLatest = (
    key: string,
    liveId: string,
    event: { type: string } & Record<string, unknown>,
  ) => {
    latest.set(key, { liveId, event });
    coalesce ??= setTimeout(() => {
      coalesce = null;
      const due = [...latest.values()];
      latest.clear();
      for (const { liveId: id, event: e } of due) void publish(id, e);
    }, config.roomTickMs);
  };
  events.on('offer.changed', ({ offer }) =>
    publishLatest(`offer:${offer.id}`, offer.liveId, { type: 'offer', offer }),
  );
  events.on('coupon.changed', ({ coupon }) =>
    publishLatest(`coupon:${coupon.id}`, coupon.liveId, { type: 'coupon', coupon }),
  );
  events.on('product.stock', async (e) =>
    announceStock(e.productId, e.stock, await services.lives.openLivesWithProduct(e.productId)),
  );

  async function roomFor(liveId: string): Promise<LiveRoom> {
    const closer = closers.get(liveId);
    if (closer) {
      clearTimeout(closer);
      closers.delete(liveId);
    }
    const existing = rooms.get(liveId);
    if (existing) return existing;
    let pending = opening.get(liveId);
    if (!pending) {
      const room = new LiveRoom(liveId, broker, {
        tickMs: config.roomTickMs,
        delivery: config.roomDelivery,
        onStats: (stats) => services.lives.recordStats(liveId, stats),
        onError: (err) => log.error({ err, liveId }, 'room tick failed'),
      });
      pending = room.open().then(() => {
        rooms.set(liveId, room);
        opening.delete(liveId);
        return room;
      });
      opening.set(liveId, pending);
    }
    return pending;
  }

  function leave(room: LiveRoom, client: RoomClient) {
    room.remove(client);
    if (room.clients.size > 0 || closers.has(room.liveId)) return;
    // Keep an empty room a little: viewers on a shaky network come straight back.
    const timer = setTimeout(() => {
      closers.delete(room.liveId);
      if (room.clients.size > 0) return;
      rooms.delete(room.liveId);
      void room.close().catch((err) => log.error({ err }, 'room close failed'));
    }, ROOM_GRACE_MS);
    timer.unref();
    closers.set(room.liveId, timer);
  }

  async function onMessage(
    room: LiveRoom,
    client: RoomClient,
    data: RawData,
    window: { start: number; count: number },
  ) {
    const size = Array.isArray(data)
      ? data.reduce((n, b) => n + b.length, 0)
      : (data as Buffer | ArrayBuffer).byteLength;
    if (size > LIMITS.wsFrameBytesMax) {
      return room.sendTo(
        client,
        errorFrame('PAYLOAD_TOO_LARGE', `A message is at most ${LIMITS.wsFrameBytesMax} bytes`),
      );
    }
    const now = Date.now();
    if (now - window.start > 10_000) Object.assign(window, { start: now, count: 0 });
    if (++window.count > config.rateLimits.wsMessagesPer10s) {
      if (window.count === config.rateLimits.wsMessagesPer10s + 1)
        room.sendTo(client, errorFrame('RATE_LIMITED', 'Too many messages, slow down'));
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : String(data));
    } catch {
      return room.sendTo(client, errorFrame('MALFORMED_JSON', 'A message is one JSON event'));
    }
    const m = message as { type?: unknown; text?: unknown; count?: unknown };
    if (typeof message !== 'object' || message === null)
      return room.sendTo(
        client,
        errorFrame('VALIDATION_FAILED', 'A message is a JSON object with a type'),
      );
    switch (m.type) {
      case 'ping':
        return room.sendTo(client, '{"type":"pong"}');
      case 'like': {
        const count = m.count === undefined ? 1 : m.count;
        if (!Number.isInteger(count) || (count as number) < 1) {
          return room.sendTo(
            client,
            errorFrame('VALIDATION_FAILED', 'count must be a positive integer', { field: 'count' }),
          );
        }
        return room.addLikes(Math.min(count as number, LIKES_PER_MESSAGE_MAX));
      }
      case 'chat': {
        if (!client.userId)
          return room.sendTo(client, errorFrame('UNAUTHENTICATED', 'Sign in to chat'));
        const text = typeof m.text === 'string' ? m.text.replace(/\s+/g, ' ').trim() : '';
        if (text.length === 0 || [...text].length > LIMITS.chatTextMax) {
          return room.sendTo(
            client,
            errorFrame(
              'VALIDATION_FAILED',
              `A chat line has 1 to ${LIMITS.chatTextMax} characters`,
              { field: 'text' },
            ),
          );
        }
        try {
          await chatLimiter.consume(client.userId);
        } catch (err) {
          if (err instanceof Error) throw err;
          return room.sendTo(
            client,
            errorFrame('RATE_LIMITED', 'You are chatting too fast, wait a moment', {
              retryAfterMs: (err as { msBeforeNext: number }).msBeforeNext,
            }),
          );
        }
        // Looked up once a second per room, not per line (at 200 lines a second the lookups
        // were most of the room's CPU). A show ended on another process takes chat for at most
        // that second; one ended here is known at once.
        let status = room.knownStatus(STATUS_MAX_AGE_MS);
        if (!status) {
          const info = await services.lives.roomInfo(room.liveId);
          if (info) room.noteStatus((status = info.live.status));
        }
        if (status === 'ended')
          return room.sendTo(client, errorFrame('LIVE_NOT_LIVE', 'This show has ended'));
        room.countChatLine();
        await publish(room.liveId, {
          type: 'chat',
          id: randomUUID(),
          text,
          author: { id: client.userId, displayName: client.displayName, isHost: client.isHost },
          at: new Date().toISOString(),
        });
        return;
      }
      default:
        return room.sendTo(
          client,
          errorFrame('VALIDATION_FAILED', 'Unknown message type', { field: 'type' }),
        );
    }
  }

  return {
    broker,
    rooms,
    registerRoutes(api) {
      api.withTypeProvider<TypeBoxTypeProvider>().get(
        '/lives/:id/ws',
        {
          websocket: true,
          schema: {
            tags: ['lives'],
            summary:
              'The live room (WebSocket): chat, likes, viewers, pins, purchases, stock. See docs/realtime.md',
            params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
            querystring: Type.Object({
              since: Type.Optional(
                Type.Integer({
                  minimum: 0,
                  description: 'Last seq seen; the room replays what came after',
                }),
              ),
              token: Type.Optional(Type.String({ maxLength: 200 })),
            }),
          },
        },
        async (socket, request) => {
          const liveId = request.params.id;
          const ip = request.ip;
          const open = (perIp.get(ip) ?? 0) + 1;
          if (open > config.rateLimits.wsConnectionsPerIp) {
            socket.send(errorFrame('RATE_LIMITED', 'Too many open connections from your address'));
            socket.close(1008, 'too many connections');
            return;
          }
          perIp.set(ip, open);
          const release = () => {
            const n = (perIp.get(ip) ?? 1) - 1;
            if (n <= 0) perIp.delete(ip);
            else perIp.set(ip, n);
          };
          const actor = request.actor;
          const client: RoomClient = {
            socket,
            userId: actor?.user.id ?? null,
            displayName: actor?.user.displayName ?? '',
            isHost: false,
            pending: [],
            seenSeq: 0,
          };
          let room: LiveRoom | null = null;
          let isClosed = false;
          // Listen at once: messages sent while the room is being set up are not lost.
          const early: RawData[] = [];
          const window = { start: Date.now(), count: 0 };
          socket.on('message', (data) => {
            if (!room || client.pending) early.push(data);
            else
              void onMessage(room, client, data, window).catch((err) =>
                log.error({ err }, 'room message failed'),
              );
          });
          socket.on('close', () => {
            isClosed = true;
            release();
            if (room) leave(room, client);
          });
          socket.on('error', (err) => log.debug({ err }, 'socket error'));
          try {
            // The room's seq before the show's state is read: what happens from here on
            // reaches the newcomer after its hello, even what the hello already shows.
            const seqBefore = (await broker.since(liveId, Number.MAX_SAFE_INTEGER)).current;
            const { info, offers, coupons } = await snapshots.get(liveId, seqBefore);
            if (!info) {
              socket.send(errorFrame('NOT_FOUND', 'Live show not found'));
              socket.close(4404, 'not found');
              return;
            }
            client.isHost = client.userId !== null && client.userId === info.hostUserId;
            const joined = await roomFor(liveId);
            // Hung up while we looked the show up: never a viewer (and maybe the room's last).
            if (isClosed) return leave(joined, client);
            room = joined;
            room.noteStatus(info.live.status);
            room.add(client);
            const since = request.query.since;
            const history = await broker.since(liveId, since ?? seqBefore);
            // A newcomer sees what was just said, and whether the host's video is on. Events
            // after seqBefore follow the hello; listed here too they would show twice.
            const recent =
              since === undefined
                ? (
                    await broker.since(liveId, Math.max(0, seqBefore - RECENT_EVENTS_SCANNED))
                  ).events.filter((json) => seqOf(json) <= seqBefore)
                : [];
            const recentChat = recent
              .filter((json) => json.includes('"type":"chat"'))
              .map((json) => JSON.parse(json) as HelloEvent['recentChat'][number])
              .slice(-RECENT_CHAT_LINES);
            const lastStream = recent.findLast((json) => json.includes('"type":"stream"'));
            const stream = lastStream
              ? (JSON.parse(lastStream) as { state: HelloEvent['stream'] }).state
              : null;
            const hello: HelloEvent = {
              type: 'hello',
              liveId,
              // A newcomer's hello shows the room as of seqBefore; what came after follows it.
              seq: since === undefined ? seqBefore : history.current,
              status: info.live.status,
              viewers: Math.max(room.viewers, room.clients.size),
              likes: Math.max(await broker.likes(liveId), info.live.likes),
              pinned: info.pinned,
              canChat: client.userId !== null && info.live.status !== 'ended',
              missedTooMany: since !== undefined && !history.complete,
              recentChat,
              stream,
              offers,
              coupons,
            };
            room.sendTo(client, JSON.stringify(hello));
            if (history.events.length > 0) {
              room.sendTo(client, `{"type":"batch","events":[${history.events.join(',')}]}`);
            }
            room.markReady(client, history.current);
            for (const data of early.splice(0)) await onMessage(room, client, data, window);
          } catch (err) {
            log.error({ err, liveId }, 'room join failed');
            const body =
              err instanceof AppError
                ? errorFrame(err.code, err.message)
                : errorFrame('INTERNAL', 'Could not join the room');
            socket.send(body);
            socket.close(1011, 'join failed');
          }
        },
      );
    },
    async close() {
      if (coalesce) clearTimeout(coalesce);
      for (const timer of closers.values()) clearTimeout(timer);
      closers.clear();
      for (const room of rooms.values()) {
        for (const c of room.clients) c.socket.close(1001, 'server shutting down');
        await room.close().catch(() => undefined);
      }
      rooms.clear();
      await broker.close();
    },
  };
}
