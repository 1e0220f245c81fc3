import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildApp } from '../app.ts';
import type { Config } from '../config.ts';

/**
 * A whole app for one test file: PGlite in memory by default; with TEST_DATABASE_URL a
 * fresh PostgreSQL database of its own, and with TEST_REDIS_URL Redis under its own prefix.
 */
export interface TestApp {
  app: FastifyInstance;
  config: Config;
  close(): Promise<void>;
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cunbo-test-'));
  return {
    env: 'test',
    port: 0,
    host: '127.0.0.1',
    dataDir,
    databaseUrl: 'memory://',
    redisUrl: process.env.TEST_REDIS_URL || undefined,
    redisPrefix: `cunbo-test:${randomUUID()}:`,
    publicUrl: 'http://127.0.0.1:3000',
    logLevel: (process.env.TEST_LOG_LEVEL as Config['logLevel']) ?? 'silent',
    secrets: {
      session: randomBytes(32).toString('hex'),
      paymentSandbox: randomBytes(32).toString('hex'),
      carrierSandbox: randomBytes(32).toString('hex'),
    },
    sessionTtlDays: 30,
    bodyLimitBytes: 65_536,
    rateLimits: {
      perMinute: 100_000,
      authPerMinute: 100_000,
      ordersPerMinute: 100_000,
      uploadsPerMinute: 100_000,
      chatLinesPer10s: 1_000,
      wsMessagesPer10s: 10_000,
      wsConnectionsPerIp: 10_000,
    },
    roomTickMs: 50,
    commerce: {
      jobsPollSeconds: 0.5,
      paymentHoldMinutes: 30,
      carrierSandboxStepSeconds: 0,
      webhookTimeoutMs: 10_000,
    },
    webDistDir: path.join(dataDir, 'no-web'),
    serveWeb: false,
    ...overrides,
  };
}

/** A fresh PostgreSQL database on the TEST_DATABASE_URL server; dropped by the returned function. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> } | null> {
  const admin = process.env.TEST_DATABASE_URL;
  if (!admin) return null;
  const name = `cunbo_t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export async function createTestApp(overrides: Partial<Config> = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const config = testConfig({ ...(database && { databaseUrl: database.url }), ...overrides });
  const app = await buildApp(config);
  await app.ready();
  return {
    app,
    config,
    async close() {
      await app.close();
      await database?.drop();
      rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
}
