import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { requireActor } from '../../http/auth.ts';
import { localeOf } from '../../http/locale.ts';
import { errorResponses, IdParams } from '../../http/schema-helpers.ts';
import type { LivesService } from './lives.service.ts';
import { LiveBody, LiveQuery, LiveSchema, PinBody } from './lives.schemas.ts';

const LiveResponse = Type.Object({ live: LiveSchema });

export function livesRoutes(app: FastifyInstance, deps: { lives: LivesService }) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { lives } = deps;
  const tags = ['lives'];

  api.post(
    '/lives',
    {
      schema: {
        tags,
        summary: 'Schedule a live show (seller)',
        body: LiveBody,
        response: { 201: LiveResponse, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const live = await lives.createLive(requireActor(request), request.body, localeOf(request));
      return reply.status(201).send({ live });
    },
  );

  api.get(
    '/lives',
    {
      schema: {
        tags,
        summary:
          'Live shows: live now, upcoming or ended, by region, category, shop or followed shops',
        querystring: LiveQuery,
        response: {
          200: Type.Object({ lives: Type.Array(LiveSchema) }),
          ...errorResponses(400, 401),
        },
      },
    },
    async (request) => {
      const { followed, ...filter } = request.query;
      const followedBy = followed ? requireActor(request).user.id : undefined;
      return {
        lives: await lives.listLives({ ...filter, followedBy }, localeOf(request), request.actor),
      };
    },
  );

  api.get(
    '/lives/:id',
    {
      schema: {
        tags,
        summary: 'A live show',
        params: IdParams,
        response: { 200: LiveResponse, ...errorResponses(400, 404) },
      },
    },
    async (request) => ({
      live: await lives.getLive(request.params.id, localeOf(request), request.actor),
    }),
  );

  api.delete(
    '/lives/:id',
    {
      schema: {
        tags,
        summary: 'Delete a show and its recording (host); not while it is live (409)',
        params: IdParams,
        response: {
          204: { description: 'Deleted', type: 'null' },
          ...errorResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (request, reply) => {
      await lives.deleteLive(requireActor(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  for (const action of ['start', 'end'] as const) {
    api.post(
      `/lives/:id/${action}`,
      {
        schema: {
          tags,
          summary: action === 'start' ? 'Go live (host)' : 'End the show (host)',
          params: IdParams,
          response: { 200: LiveResponse, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const actor = requireActor(request);
        const live =
          action === 'start'
            ? await lives.startLive(actor, request.params.id, localeOf(request))
            : await lives.endLive(actor, request.params.id, localeOf(request));
        return { live };
      },
    );
  }

  api.post(
    '/lives/:id/pin',
    {
      schema: {
        tags,
        summary: 'Pin the product being explained now (host); every viewer sees its card',
        params: IdParams,
        body: PinBody,
        response: { 200: LiveResponse, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => ({
      live: await lives.pinProduct(
        requireActor(request),
        request.params.id,
        request.body.productId,
        localeOf(request),
      ),
    }),
  );
}
