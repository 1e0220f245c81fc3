import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';

/** Loads config, builds the app, listens, and shuts down cleanly on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    console.error(`Invalid configuration: ${(err as Error).message}`);
    process.exit(1);
  }
  const app = await buildApp(config);
  const shutdown = async (signal: string) => {
    app.log.info({ signal }, 'shutting down');
    await app.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  await app.listen({ port: config.port, host: config.host });
  const db = config.databaseUrl ? 'PostgreSQL' : `embedded PostgreSQL in ${config.dataDir}`;
  app.log.info(
    `Cunbo is running at ${config.publicUrl} on ${db}${config.redisUrl ? ' with Redis' : ''}`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
