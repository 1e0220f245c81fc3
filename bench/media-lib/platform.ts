/**
 * The real server for the media benches: a production process (it serves the bench pages as
 * its web app, so pages and API share an origin), a seller with a shop, and live shows made
 * through the API as the studio makes them.
 */
import {
  startServerProcess,
  waitUntil,
  type ServerProcess,
} from '../../packages/server/src/test/process-harness.ts';

export interface BenchServerOptions {
  port: number;
  pagesDir: string;
  /** Also offer ICE candidates on this address (the publisher namespace's way in). */
  extraHostAddress?: string;
  /** KEY=VALUE settings for the server, e.g. HLS_PART_SECONDS=0.2. */
  env: Record<string, string>;
}

export async function startBenchServer(opts: BenchServerOptions): Promise<ServerProcess> {
  return startServerProcess({
    port: opts.port,
    env: {
      NODE_ENV: 'production',
      // Reachable from the publisher namespace through the veth address.
      HOST: '0.0.0.0',
      WEB_DIST_DIR: opts.pagesDir,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_MULTIPLIER: '100',
      RTMP_PORT: '0',
      ...(opts.extraHostAddress && { WEBRTC_HOST_ADDRESSES: opts.extraHostAddress }),
      ...opts.env,
    },
    readyTimeoutMs: 120_000,
  });
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function call(
  server: ServerProcess,
  method: string,
  url: string,
  body?: unknown,
  token?: string,
): Promise<Json> {
  const res = await fetch(`${server.url}/api/v1${url}`, {
    method,
    headers: {
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...(token && { authorization: `Bearer ${token}` }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as Json;
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

export interface Seller {
  token: string;
  productId: string;
}

export async function createSeller(server: ServerProcess): Promise<Seller> {
  const { token } = (await call(server, 'POST', '/auth/register', {
    email: `media-bench-${Date.now().toString(36)}@bench.test`,
    password: 'correct horse battery',
    displayName: 'Bench host',
    role: 'seller',
  })) as { token: string };
  await call(server, 'PUT', '/shop', { name: 'Bench Farm', regionCode: '370783' }, token);
  const { product } = await call(
    server,
    'POST',
    '/products',
    { title: 'Tomatoes', unit: 'kg', price: 1280, stock: 1000 },
    token,
  );
  return { token, productId: product.id as string };
}

export interface BenchLive {
  id: string;
  streamKey: string;
  /** Path of the WHIP endpoint (relative to the server). */
  whip: string;
  whep: string;
}

/** A show, started (on air), waiting for its publisher. */
export async function startLive(
  server: ServerProcess,
  seller: Seller,
  title: string,
): Promise<BenchLive> {
  const { live } = await call(
    server,
    'POST',
    '/lives',
    { title, productIds: [seller.productId] },
    seller.token,
  );
  await call(server, 'POST', `/lives/${live.id}/start`, undefined, seller.token);
  const streamKey = live.streamKey as string | undefined;
  if (!streamKey) throw new Error('the host got no stream key');
  return {
    id: live.id,
    streamKey,
    whip: `/api/v1/lives/${live.id}/whip`,
    whep: `/api/v1/lives/${live.id}/whep`,
  };
}

/** The live HLS playlist, once the packager has a segment (it appears after the first). */
export async function hlsUrl(
  server: ServerProcess,
  live: BenchLive,
  timeoutMs = 30_000,
): Promise<string> {
  return waitUntil(
    async () => {
      const { live: l } = await call(server, 'GET', `/lives/${live.id}`);
      return (l.playback?.hls as string | null | undefined) ?? null;
    },
    { timeoutMs, intervalMs: 250, what: 'an HLS playlist' },
  );
}

export async function endLive(
  server: ServerProcess,
  seller: Seller,
  live: BenchLive,
): Promise<void> {
  await call(server, 'POST', `/lives/${live.id}/end`, undefined, seller.token).catch(
    () => undefined,
  );
}
