import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * Helmet's headers on every response. The middleware is built once, at start: the Fastify
 * wrapper (@fastify/helmet 13) builds it again on every request, re-parsing the policy, which
 * cost 7 % of the server's CPU in a flash sale (bench/flash-sale).
 */
export function registerSecurityHeaders(app: FastifyInstance, options: HelmetOptions): void {
  const apply = helmet(options);
  app.addHook('onRequest', (request, reply, done) => {
    apply(request.raw, reply.raw, (err?: unknown) => done(err as Error | undefined));
  });
}
