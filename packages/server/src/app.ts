import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import websocket from '@fastify/websocket';
import { AppError, errorBodySchema } from '@cunbo/shared';
import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { DEFAULT_COMMERCE, type Config } from './config.ts';
import { migrateDatabase, openDatabase, type Database } from './db/client.ts';
import { registerAuth } from './http/auth.ts';
import { registerErrorHandler } from './http/error-handler.ts';
import { registerOpenApi } from './http/openapi.ts';
import { registerSecurityHeaders } from './http/security-headers.ts';
import { registerValidation } from './http/validation.ts';
import { registerWeb } from './http/web.ts';
import { systemClock, type Clock } from './lib/clock.ts';
import { createDomainEventBus } from './lib/domain-events.ts';
import { createMediaRouting } from './media/media-routing.ts';
import { createMedia, type Media } from './media/media.service.ts';
import { createRtmpIngest, type RtmpIngest } from './media/rtmp/rtmp-ingest.ts';
import { regionIndex } from './modules/regions/regions.data.ts';
import { registerRoutes } from './routes.ts';
import { createServices, type Services } from './services.ts';
import { createJobs } from './lib/jobs.ts';
import { createRealtime } from './realtime/realtime.ts';

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
    database: Database;
    /** WHIP/WHEP relays; later media work (HLS, recording) subscribes to publishers here. */
    media: Media;
    /** RTMP ingest (listening once the app is ready), or null when RTMP is off. */
    rtmp: RtmpIngest | null;
  }
}

export interface AppOverrides {
  clock?: Clock;
}

/**
 * Builds the whole platform on one Fastify instance: external plugins, then ours, then
 * routes. Never listens; `main.ts` does. Closing the app closes what it opened.
 */
export async function buildApp(
  config: Config,
  overrides: AppOverrides = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
    bodyLimit: config.bodyLimitBytes,
    trustProxy: false,
    requestIdHeader: 'x-request-id',
    routerOptions: { maxParamLength: 200 },
  });

  const database = await openDatabase(config.databaseUrl, config.dataDir);
  await migrateDatabase(database);
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 })
    : null;
  app.addHook('onClose', async () => {
    await services.webhooks.stop();
    await jobs.stop();
    await rtmp?.close();
    await mediaRouting?.close();
    await media.close();
    await realtime.close();
    await events.idle();
    await database.close();
    if (redis) await redis.quit();
  });

  const clock = overrides.clock ?? systemClock;
  const events = createDomainEventBus((err, name) =>
    app.log.error({ err, event: name }, 'event handler failed'),
  );
  const jobs = createJobs({
    raw: database.raw,
    pollSeconds: (config.commerce ?? DEFAULT_COMMERCE).jobsPollSeconds,
    log: app.log,
  });
  const services = createServices({ config, database, clock, events, jobs });
  // The region table (about 67,000 places) is read now, not by the first request needing it.
  regionIndex();
  // Every queue is defined by now (services define theirs); work starts once the app is ready.
  app.addHook('onReady', () => jobs.start());
  // The webhook dispatcher sends its deliveries as jobs: it starts once the queue has.
  app.addHook('onReady', async () => services.webhooks.start(app.log));
  const realtime = await createRealtime({ config, redis, services, events, log: app.log });
  const media = createMedia({
    config,
    lives: services.lives,
    accounts: services.accounts,
    events,
    log: app.log,
  });
  // With several processes, a show's media requests go to the process its publisher is on.
  const mediaRouting = redis
    ? createMediaRouting({
        redis,
        prefix: config.redisPrefix,
        events,
        log: app.log,
        internalUrl: config.internalUrl,
      })
    : null;
  app.decorate('services', services);
  app.decorate('media', media);
  const rtmp = config.rtmp
    ? createRtmpIngest({
        options: { ...config.rtmp, host: config.rtmp.host ?? config.host },
        media,
        log: app.log,
      })
    : null;
  app.decorate('rtmp', rtmp);
  if (rtmp) app.addHook('onReady', () => rtmp.start());
  app.decorate('database', database);

  registerValidation(app);
  registerErrorHandler(app);
  app.addSchema(errorBodySchema);
  registerSecurityHeaders(app, {
    // The web app loads only its own scripts; media may come from blobs (HLS) and the room
    // connects back over WebSocket. Swagger UI at /api/v1/docs needs inline styles.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        mediaSrc: ["'self'", 'blob:'],
        workerSrc: ["'self'", 'blob:'],
        connectSrc: ["'self'", 'ws:', 'wss:'],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: null,
      },
    },
    crossOriginEmbedderPolicy: false,
    hsts: config.publicUrl.startsWith('https://'),
  });
  await app.register(cookie, { secret: config.secrets.session });
  await app.register(websocket, {
    options: { maxPayload: 64 * 1024 },
  });
  await registerOpenApi(app, config.publicUrl);
  registerAuth(app, services.accounts);
  mediaRouting?.register(app);
  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    max: config.rateLimits.perMinute,
    timeWindow: 60_000,
    ...(redis && { redis, nameSpace: `${config.redisPrefix}rl:` }),
    keyGenerator: (request) => request.actor?.user.id ?? request.ip,
    // Thrown, so the one error handler answers it in the one error shape.
    errorResponseBuilder: (_request, context) =>
      Object.assign(
        new AppError('RATE_LIMITED', 'Too many requests, slow down', 429, {
          retryAfterSeconds: Math.ceil(context.ttl / 1000),
        }),
        { statusCode: 429 },
      ),
  });

  await app.register(async (api) => registerRoutes(api, { services, realtime, media, config }), {
    prefix: '/api/v1',
  });
  await registerWeb(app, config);
  return app;
}
