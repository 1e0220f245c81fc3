import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  startServerProcess,
  type ServerProcess,
} from '../../packages/server/src/test/process-harness.ts';
import { createTestDatabase } from '../../packages/server/src/test/test-app.ts';

export interface PlatformOptions {
  /** A fixed port (a free one by default). */
  port?: number;
  /** How long the server may take to answer its health check. */
  readyTimeoutMs?: number;
  /**
   * Runs before the server starts, with the environment it will get (DATA_DIR and
   * DATABASE_URL included): the server's CLI, say, on the data the server will open.
   */
  beforeStart?: (env: Record<string, string>) => Promise<void>;
}

export interface Platform {
  server: ServerProcess;
  stop(): Promise<void>;
}

/**
 * The platform as a user gets it: a production server process serving the built web app,
 * on PGlite, or on PostgreSQL + Redis when TEST_DATABASE_URL / TEST_REDIS_URL are set.
 * `env` is added to (and overrides) the defaults.
 */
export async function startPlatform(
  env: Record<string, string> = {},
  opts: PlatformOptions = {},
): Promise<Platform> {
  const database = await createTestDatabase();
  // With `beforeStart` the data directory is made here, so it sees the server's own.
  const dataDir = opts.beforeStart ? mkdtempSync(path.join(tmpdir(), 'cunbo-e2e-data-')) : null;
  const dropData = async () => {
    await database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  let server: ServerProcess;
  try {
    const serverEnv: Record<string, string> = {
      NODE_ENV: 'production',
      RATE_LIMIT_MULTIPLIER: '100',
      ...(dataDir && { DATA_DIR: dataDir }),
      ...(database && { DATABASE_URL: database.url }),
      ...(process.env.TEST_REDIS_URL && { REDIS_URL: process.env.TEST_REDIS_URL }),
      ...env,
    };
    await opts.beforeStart?.(serverEnv);
    server = await startServerProcess({
      env: serverEnv,
      ...(opts.port !== undefined && { port: opts.port }),
      ...(opts.readyTimeoutMs !== undefined && { readyTimeoutMs: opts.readyTimeoutMs }),
    });
  } catch (err) {
    // A server that never came up must not leave its PostgreSQL database behind.
    await dropData().catch(() => undefined);
    throw err;
  }
  return {
    server,
    async stop() {
      await server.stop();
      await dropData();
    },
  };
}

/** The first of `ports` that nobody listens on right now. */
export async function firstFreePort(ports: readonly number[]): Promise<number> {
  for (const port of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port in ${ports[0]}–${ports.at(-1)}`);
}
