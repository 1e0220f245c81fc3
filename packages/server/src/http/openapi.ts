import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export async function registerOpenApi(app: FastifyInstance, publicUrl: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Cunbo API',
        version: '1.0.0',
        description:
          'Live commerce for farmers and small producers. Money is an integer in minor units (fen) ' +
          'with a currency; ids are UUIDs; times are ISO 8601 UTC. Every error is ' +
          '`{ "error": { "code", "message", "details" } }`.',
      },
      servers: [{ url: publicUrl }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'The `token` from /auth/login' },
          cookie: {
            type: 'apiKey',
            in: 'cookie',
            name: 'cunbo_session',
            description: 'Web app session; writes also need the `x-csrf-token` header',
          },
        },
      },
      security: [{ bearer: [] }, { cookie: [] }],
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (json.$id as string) || `def-${i}`,
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/v1/docs' });
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
