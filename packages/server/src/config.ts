import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import envSchema from 'env-schema';

/**
 * The only reader of process.env. Every key is listed in `.env.example` with a comment.
 */
const schema = {
  type: 'object',
  required: [],
  properties: {
    NODE_ENV: {
      type: 'string',
      enum: ['development', 'production', 'test'],
      default: 'development',
    },
    PORT: { type: 'integer', minimum: 0, maximum: 65535, default: 3000 },
    HOST: { type: 'string', default: '0.0.0.0' },
    DATA_DIR: { type: 'string', default: './data' },
    DATABASE_URL: { type: 'string', pattern: '^(postgres(ql)?://|memory://)' },
    REDIS_URL: { type: 'string', pattern: '^rediss?://' },
    PUBLIC_URL: { type: 'string', pattern: '^https?://' },
    INTERNAL_URL: { type: 'string', pattern: '^https?://' },
    LOG_LEVEL: {
      type: 'string',
      enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      default: 'info',
    },
    SESSION_SECRET: { type: 'string', minLength: 32 },
    PAYMENT_SANDBOX_SECRET: { type: 'string', minLength: 32 },
    SESSION_TTL_DAYS: { type: 'integer', minimum: 1, maximum: 365, default: 30 },
    BODY_LIMIT_BYTES: { type: 'integer', minimum: 1024, maximum: 10485760, default: 65536 },
    RATE_LIMIT_MULTIPLIER: { type: 'number', exclusiveMinimum: 0, default: 1 },
    RATE_LIMIT_PER_MINUTE: { type: 'integer', minimum: 1, default: 600 },
    RATE_LIMIT_AUTH_PER_MINUTE: { type: 'integer', minimum: 1, default: 20 },
    RATE_LIMIT_ORDERS_PER_MINUTE: { type: 'integer', minimum: 1, default: 60 },
    RATE_LIMIT_UPLOADS_PER_MINUTE: { type: 'integer', minimum: 1, default: 30 },
    CHAT_LINES_PER_10S: { type: 'integer', minimum: 1, default: 5 },
    WS_MESSAGES_PER_10S: { type: 'integer', minimum: 1, default: 100 },
    WS_CONNECTIONS_PER_IP: { type: 'integer', minimum: 1, default: 50 },
    ROOM_TICK_MS: { type: 'integer', minimum: 10, maximum: 2000, default: 100 },
    ROOM_DELIVERY: { type: 'string', enum: ['batched', 'immediate'], default: 'batched' },
    WEB_DIST_DIR: { type: 'string' },
    WEBRTC_VIEWERS_PER_LIVE: { type: 'integer', minimum: 0, default: 300 },
    WEBRTC_VIEWERS_PER_NODE: { type: 'integer', minimum: 0, default: 500 },
    WEBRTC_UDP_PORTS: { type: 'string', pattern: '^[0-9]{1,5}-[0-9]{1,5}$' },
    WEBRTC_STUN_URLS: { type: 'string', pattern: '^stun:' },
    WEBRTC_HOST_ADDRESSES: { type: 'string', pattern: '^[0-9a-fA-F.:, ]+$' },
    MEDIA_WORKERS: { type: 'string', pattern: '^(auto|[0-9]{1,2})$', default: '0' },
    RTMP_PORT: { type: 'integer', minimum: 0, maximum: 65535, default: 1935 },
    HLS_SEGMENT_SECONDS: { type: 'number', minimum: 1, maximum: 10, default: 2 },
    HLS_PART_SECONDS: { type: 'number', minimum: 0.1, maximum: 2, default: 0.334 },
    THUMBNAIL_SECONDS: { type: 'integer', minimum: 5, maximum: 3600, default: 30 },
    FFMPEG_PATH: { type: 'string', default: 'ffmpeg' },
    CARRIER_SANDBOX_SECRET: { type: 'string', minLength: 32 },
    JOBS_POLL_SECONDS: { type: 'number', minimum: 0.5, maximum: 60, default: 1 },
    PAYMENT_HOLD_MINUTES: { type: 'integer', minimum: 1, maximum: 1440, default: 30 },
    CARRIER_SANDBOX_STEP_SECONDS: { type: 'number', minimum: 0, maximum: 86400, default: 60 },
    WEBHOOK_TIMEOUT_MS: { type: 'integer', minimum: 100, maximum: 60000, default: 10000 },
    WEBHOOK_ALLOW_PRIVATE_TARGETS: { type: 'boolean' },
    WEBHOOK_RETRY_LIMIT: { type: 'integer', minimum: 0, maximum: 20, default: 12 },
    WEBHOOK_RETRY_DELAY_SECONDS: { type: 'integer', minimum: 1, maximum: 3600, default: 5 },
    WEBHOOK_KEEP_DAYS: { type: 'integer', minimum: 1, maximum: 3650, default: 30 },
  },
} as const;

interface RawEnv {
  NODE_ENV: 'development' | 'production' | 'test';
  PORT: number;
  HOST: string;
  DATA_DIR: string;
  DATABASE_URL?: string;
  REDIS_URL?: string;
  PUBLIC_URL?: string;
  INTERNAL_URL?: string;
  LOG_LEVEL: Config['logLevel'];
  SESSION_SECRET?: string;
  PAYMENT_SANDBOX_SECRET?: string;
  SESSION_TTL_DAYS: number;
  BODY_LIMIT_BYTES: number;
  RATE_LIMIT_MULTIPLIER: number;
  RATE_LIMIT_PER_MINUTE: number;
  RATE_LIMIT_AUTH_PER_MINUTE: number;
  RATE_LIMIT_ORDERS_PER_MINUTE: number;
  RATE_LIMIT_UPLOADS_PER_MINUTE: number;
  CHAT_LINES_PER_10S: number;
  WS_MESSAGES_PER_10S: number;
  WS_CONNECTIONS_PER_IP: number;
  ROOM_TICK_MS: number;
  ROOM_DELIVERY: 'batched' | 'immediate';
  WEB_DIST_DIR?: string;
  WEBRTC_VIEWERS_PER_LIVE: number;
  WEBRTC_VIEWERS_PER_NODE: number;
  WEBRTC_UDP_PORTS?: string;
  WEBRTC_STUN_URLS?: string;
  WEBRTC_HOST_ADDRESSES?: string;
  MEDIA_WORKERS: string;
  RTMP_PORT: number;
  HLS_SEGMENT_SECONDS: number;
  HLS_PART_SECONDS: number;
  THUMBNAIL_SECONDS: number;
  FFMPEG_PATH: string;
  CARRIER_SANDBOX_SECRET?: string;
  JOBS_POLL_SECONDS: number;
  PAYMENT_HOLD_MINUTES: number;
  CARRIER_SANDBOX_STEP_SECONDS: number;
  WEBHOOK_TIMEOUT_MS: number;
  WEBHOOK_ALLOW_PRIVATE_TARGETS?: boolean;
  WEBHOOK_RETRY_LIMIT: number;
  WEBHOOK_RETRY_DELAY_SECONDS: number;
  WEBHOOK_KEEP_DAYS: number;
}

export interface RateLimits {
  /** Requests per minute per client for ordinary routes. */
  perMinute: number;
  authPerMinute: number;
  ordersPerMinute: number;
  uploadsPerMinute: number;
  chatLinesPer10s: number;
  wsMessagesPer10s: number;
  wsConnectionsPerIp: number;
}

/** WebRTC ingest (WHIP) and playback (WHEP) inside this process. */
export interface WebRtcConfig {
  /** WebRTC viewers of one live on this node; past it, new viewers are sent to HLS. */
  viewersPerLive: number;
  /** WebRTC viewers of all lives on this node. */
  viewersPerNode: number;
  /** UDP ports ICE binds to (one per peer), for firewalls; undefined: any free port. */
  udpPorts?: [number, number];
  /** STUN servers the node asks for its public address when it sits behind NAT. */
  stunUrls: string[];
  /**
   * Addresses to offer ICE candidates on besides the network interfaces' (werift skips
   * loopback and veth interfaces): 127.0.0.1 on a machine without a network, a namespace's
   * veth address in a benchmark.
   */
  hostAddresses?: string[];
  /**
   * Worker threads that hold the viewers' peer connections (ICE, DTLS, SRTP, sending), so a
   * node uses more than one core for them; 0 or undefined: all in the main thread.
   */
  workers?: number;
}

/**
 * What MEDIA_WORKERS=auto means: one per core besides the main thread's (which keeps
 * signalling, the publishers, HLS and everything else), at most 8: past that a second process
 * serves better. Unset means 0: viewers in the main thread, the lowest delay (see decision
 * 0015: with a worker, loopback glass-to-glass p50 was 96–209 ms against 44–70 ms).
 */
export const autoMediaWorkers = () => Math.max(0, Math.min(8, os.availableParallelism() - 1));

export const DEFAULT_WEBRTC: WebRtcConfig = Object.freeze({
  viewersPerLive: 300,
  viewersPerNode: 500,
  stunUrls: [],
});

/** HLS packaging, recording and thumbnails (`media/hls`, `media/recording`). */
export interface HlsConfig {
  /** Segment length aimed at, seconds; segments start at keyframes asked for in time. */
  segmentSeconds: number;
  /** Low-latency HLS part length, seconds: the player stays about three parts behind. */
  partSeconds: number;
  /** How often the thumbnail of a live show is refreshed, seconds. */
  thumbnailSeconds: number;
  /** ffmpeg, used only to grab thumbnails; null: no thumbnails. */
  ffmpegPath: string | null;
}

export const DEFAULT_HLS: HlsConfig = Object.freeze({
  segmentSeconds: 2,
  partSeconds: 0.334,
  thumbnailSeconds: 30,
  ffmpegPath: 'ffmpeg',
});

/** Orders after they are placed: holds, background jobs, carriers, webhooks. */
export interface CommerceConfig {
  /** How often each background job queue looks for work, seconds (pg-boss: 0.5 at least). */
  jobsPollSeconds: number;
  /** An unpaid online order holds its units this long (a flash offer sets its own). */
  paymentHoldMinutes: number;
  /** Seconds between the sandbox carrier's tracking steps (picked up, in transit…). */
  carrierSandboxStepSeconds: number;
  /** A webhook request that takes longer than this is a failed attempt. */
  webhookTimeoutMs: number;
  /**
   * Webhook URLs may point at loopback or private addresses. Undefined: only outside
   * production (a seller could otherwise make the server call into its own network).
   */
  webhookAllowPrivateTargets?: boolean;
  /**
   * Retries of a failed webhook delivery, and the delay before the first one (then about
   * doubled each time, with jitter). Undefined: 12 retries from 5 s, about 11 hours in all.
   */
  webhookRetries?: { limit: number; delaySeconds: number };
  /**
   * Webhook events, their deliveries and attempts are deleted this many days after the event,
   * once nothing of them is still being delivered. Undefined: 30.
   */
  webhookKeepDays?: number;
}

export const DEFAULT_COMMERCE: CommerceConfig = Object.freeze({
  jobsPollSeconds: 1,
  paymentHoldMinutes: 30,
  carrierSandboxStepSeconds: 60,
  webhookTimeoutMs: 10_000,
});

/** RTMP ingest (`media/rtmp/`) for encoders that do not speak WHIP. */
export interface RtmpConfig {
  /** TCP port; 0 here means any free port (tests). RTMP_PORT=0 turns RTMP off instead. */
  port: number;
  /** Address to listen on; undefined: the HTTP server's `host`. */
  host?: string;
  /** The ffmpeg that turns AAC into Opus; default `ffmpeg` on the PATH. */
  ffmpegPath?: string;
}

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  dataDir: string;
  /** Undefined: embedded PGlite in `dataDir`; `memory://`: PGlite in memory (tests). */
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  /** Prefix of every Redis key, so tests and tenants can share one Redis. */
  redisPrefix: string;
  publicUrl: string;
  /**
   * How the other server processes reach this one (several processes with REDIS_URL pass a
   * show's media requests to the process its publisher is on). Undefined: 127.0.0.1 and the
   * port this process listens on, right when all processes share one machine.
   */
  internalUrl?: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  secrets: { session: string; paymentSandbox: string; carrierSandbox: string };
  sessionTtlDays: number;
  bodyLimitBytes: number;
  rateLimits: RateLimits;
  roomTickMs: number;
  /**
   * `batched` (undefined means this too): a room's events go out once per tick, encoded once.
   * `immediate` encodes and sends every event to every socket at once: the naive way, kept
   * as the baseline of bench/chat, never for production.
   */
  roomDelivery?: 'batched' | 'immediate';
  /** Undefined means {@link DEFAULT_WEBRTC}. */
  webrtc?: WebRtcConfig;
  /** Undefined means {@link DEFAULT_HLS}. */
  hls?: HlsConfig;
  /** Undefined: no RTMP ingest (RTMP_PORT=0, and tests unless they ask for it). */
  rtmp?: RtmpConfig;
  /** Undefined means {@link DEFAULT_COMMERCE}. */
  commerce?: CommerceConfig;
  /** Where the built web app is; served when env is production. */
  webDistDir: string;
  serveWeb: boolean;
}

const here = path.dirname(new URL(import.meta.url).pathname);
const defaultWebDist = path.resolve(here, '../../web/dist');

/** Reads and validates the environment. Throws listing the bad keys. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw = envSchema<RawEnv>({ schema, data: env, dotenv: false });
  const m = raw.RATE_LIMIT_MULTIPLIER;
  const scale = (n: number) => Math.max(1, Math.round(n * m));
  const dataDir = path.resolve(raw.DATA_DIR);
  const secrets = resolveSecrets(dataDir, {
    session: raw.SESSION_SECRET,
    paymentSandbox: raw.PAYMENT_SANDBOX_SECRET,
    carrierSandbox: raw.CARRIER_SANDBOX_SECRET,
  });
  return Object.freeze({
    env: raw.NODE_ENV,
    port: raw.PORT,
    host: raw.HOST,
    dataDir,
    databaseUrl: raw.DATABASE_URL,
    redisUrl: raw.REDIS_URL,
    redisPrefix: 'cunbo:',
    publicUrl: (raw.PUBLIC_URL ?? `http://localhost:${raw.PORT}`).replace(/\/$/, ''),
    internalUrl: raw.INTERNAL_URL?.replace(/\/$/, ''),
    logLevel: raw.LOG_LEVEL,
    secrets,
    sessionTtlDays: raw.SESSION_TTL_DAYS,
    bodyLimitBytes: raw.BODY_LIMIT_BYTES,
    rateLimits: Object.freeze({
      perMinute: scale(raw.RATE_LIMIT_PER_MINUTE),
      authPerMinute: scale(raw.RATE_LIMIT_AUTH_PER_MINUTE),
      ordersPerMinute: scale(raw.RATE_LIMIT_ORDERS_PER_MINUTE),
      uploadsPerMinute: scale(raw.RATE_LIMIT_UPLOADS_PER_MINUTE),
      chatLinesPer10s: scale(raw.CHAT_LINES_PER_10S),
      wsMessagesPer10s: scale(raw.WS_MESSAGES_PER_10S),
      wsConnectionsPerIp: scale(raw.WS_CONNECTIONS_PER_IP),
    }),
    roomTickMs: raw.ROOM_TICK_MS,
    roomDelivery: raw.ROOM_DELIVERY,
    webrtc: Object.freeze({
      viewersPerLive: raw.WEBRTC_VIEWERS_PER_LIVE,
      viewersPerNode: raw.WEBRTC_VIEWERS_PER_NODE,
      udpPorts: parsePortRange(raw.WEBRTC_UDP_PORTS),
      stunUrls: list(raw.WEBRTC_STUN_URLS),
      hostAddresses: list(raw.WEBRTC_HOST_ADDRESSES),
      workers: raw.MEDIA_WORKERS === 'auto' ? autoMediaWorkers() : Number(raw.MEDIA_WORKERS),
    }),
    hls: Object.freeze({
      segmentSeconds: raw.HLS_SEGMENT_SECONDS,
      partSeconds: raw.HLS_PART_SECONDS,
      thumbnailSeconds: raw.THUMBNAIL_SECONDS,
      ffmpegPath: raw.FFMPEG_PATH.trim() === '' ? null : raw.FFMPEG_PATH,
    }),
    rtmp: raw.RTMP_PORT === 0 ? undefined : Object.freeze({ port: raw.RTMP_PORT }),
    commerce: Object.freeze({
      jobsPollSeconds: raw.JOBS_POLL_SECONDS,
      paymentHoldMinutes: raw.PAYMENT_HOLD_MINUTES,
      carrierSandboxStepSeconds: raw.CARRIER_SANDBOX_STEP_SECONDS,
      webhookTimeoutMs: raw.WEBHOOK_TIMEOUT_MS,
      webhookAllowPrivateTargets: raw.WEBHOOK_ALLOW_PRIVATE_TARGETS,
      webhookRetries: {
        limit: raw.WEBHOOK_RETRY_LIMIT,
        delaySeconds: raw.WEBHOOK_RETRY_DELAY_SECONDS,
      },
      webhookKeepDays: raw.WEBHOOK_KEEP_DAYS,
    }),
    webDistDir: raw.WEB_DIST_DIR ? path.resolve(raw.WEB_DIST_DIR) : defaultWebDist,
    serveWeb: raw.NODE_ENV === 'production',
  });
}

const list = (value: string | undefined) =>
  value
    ? value
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean)
    : [];

function parsePortRange(value: string | undefined): [number, number] | undefined {
  if (!value) return undefined;
  const [min, max] = value.split('-').map(Number) as [number, number];
  if (min < 1024 || max > 65535 || max <= min) {
    throw new Error(
      `WEBRTC_UDP_PORTS must be a range like 40000-40999 within 1024-65535, got ${value}`,
    );
  }
  return [min, max];
}

/**
 * A secret that is not configured is generated once and kept in DATA_DIR, so sessions and
 * signatures survive restarts without anyone having to invent a secret by hand.
 */
function resolveSecrets(
  dataDir: string,
  given: Partial<Record<keyof Config['secrets'], string | undefined>>,
): Config['secrets'] {
  const names = ['session', 'paymentSandbox', 'carrierSandbox'] as const;
  if (names.every((n) => given[n])) return given as Config['secrets'];
  const file = path.join(dataDir, 'secrets.json');
  let stored: Partial<Config['secrets']> = {};
  if (existsSync(file))
    stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<Config['secrets']>;
  const secrets = Object.fromEntries(
    names.map((n) => [n, given[n] ?? stored[n] ?? randomBytes(32).toString('base64url')]),
  ) as Config['secrets'];
  if (names.some((n) => secrets[n] !== stored[n])) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return secrets;
}
