import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import { toErrorBody } from './error-handler.ts';

/**
 * In production the same server serves the built web app: hashed assets cached for a year,
 * and index.html for every other path that is not the API, so deep links work.
 */
export async function registerWeb(app: FastifyInstance, config: Config): Promise<void> {
  const notFound = toErrorBody.bind(null, 'NOT_FOUND');
  if (!config.serveWeb) {
    app.setNotFoundHandler((request, reply) =>
      reply.status(404).send(notFound(`No route ${request.method} ${request.url.split('?')[0]}`)),
    );
    return;
  }
  const index = path.join(config.webDistDir, 'index.html');
  if (!existsSync(index)) {
    throw new Error(`The web app is not built (${index} is missing): run npm run build`);
  }
  await app.register(fastifyStatic, {
    root: config.webDistDir,
    wildcard: true,
    // Ours below; with send's own on, every file went out as "public, max-age=0".
    cacheControl: false,
    setHeaders: (res, filePath) => {
      const immutable = filePath.includes(`${path.sep}assets${path.sep}`);
      res.raw.setHeader(
        'cache-control',
        immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  app.setNotFoundHandler((request, reply) => {
    if (request.url.startsWith('/api/') || request.method !== 'GET') {
      return reply
        .status(404)
        .send(notFound(`No route ${request.method} ${request.url.split('?')[0]}`));
    }
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  });
}
