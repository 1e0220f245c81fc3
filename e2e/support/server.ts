import {
  startServerProcess,
  type ServerProcess,
} from '../../packages/server/src/test/process-harness.ts';
import { createTestDatabase } from '../../packages/server/src/test/test-app.ts';

/**
 * The platform as a user gets it: a production server process serving the built web app,
 * on PGlite, or on PostgreSQL + Redis when TEST_DATABASE_URL / TEST_REDIS_URL are set.
 */
export async function startPlatform(
  env: Record<string, string> = {},
): Promise<{ server: ServerProcess; stop(): Promise<void> }> {
  const database = await createTestDatabase();
  let server: ServerProcess;
  try {
    server = await startServerProcess({
      env: {
        NODE_ENV: 'production',
        RATE_LIMIT_MULTIPLIER: '100',
        ...(database && { DATABASE_URL: database.url }),
        ...(process.env.TEST_REDIS_URL && { REDIS_URL: process.env.TEST_REDIS_URL }),
        ...env,
      },
    });
  } catch (err) {
    // A server that never came up must not leave its PostgreSQL database behind.
    await database?.drop().catch(() => undefined);
    throw err;
  }
  return {
    server,
    async stop() {
      await server.stop();
      await database?.drop();
    },
  };
}
