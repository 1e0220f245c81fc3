import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { requireActor } from '../../http/auth.ts';
import { localeOf } from '../../http/locale.ts';
import { errorResponses, IdParams, Nullable, Timestamp, Uuid } from '../../http/schema-helpers.ts';
import { RegionSchema } from '../catalog/catalog.schemas.ts';
import type { SocialService } from './social.service.ts';

const FollowState = Type.Object({ following: Type.Boolean(), followers: Type.Integer() });

export function socialRoutes(app: FastifyInstance, deps: { social: SocialService }) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { social } = deps;
  const tags = ['follows'];
  const followSchema = (summary: string) => ({
    tags,
    summary,
    params: IdParams,
    response: { 200: FollowState, ...errorResponses(400, 401, 403, 404, 422) },
  });

  api.put('/shops/:id/follow', { schema: followSchema('Follow a seller') }, async (request) =>
    social.follow(requireActor(request), request.params.id),
  );
  api.delete('/shops/:id/follow', { schema: followSchema('Unfollow a seller') }, async (request) =>
    social.unfollow(requireActor(request), request.params.id),
  );
  api.get(
    '/shops/:id/follow',
    { schema: followSchema('Do I follow this seller?') },
    async (request) => social.followState(requireActor(request), request.params.id),
  );

  api.get(
    '/me/following',
    {
      schema: {
        tags,
        summary: 'Sellers I follow',
        querystring: Type.Object({ lang: Type.Optional(Type.String()) }),
        response: {
          200: Type.Object({
            shops: Type.Array(
              Type.Object({
                id: Uuid(),
                name: Type.String(),
                regionCode: Type.String(),
                region: Nullable(RegionSchema),
                followedAt: Timestamp(),
              }),
            ),
          }),
          ...errorResponses(401),
        },
      },
    },
    async (request) => ({
      shops: await social.following(requireActor(request), localeOf(request)),
    }),
  );

  api.get(
    '/me/notifications',
    {
      schema: {
        tags: ['notifications'],
        summary: 'My notifications, newest first, and how many are unread',
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: 100, default: 30 }),
        }),
        response: {
          200: Type.Object({
            notifications: Type.Array(
              Type.Object({
                id: Uuid(),
                type: Type.String(),
                data: Type.Object({}, { additionalProperties: true }),
                read: Type.Boolean(),
                createdAt: Timestamp(),
              }),
            ),
            unread: Type.Integer(),
          }),
          ...errorResponses(401),
        },
      },
    },
    async (request) => social.notifications(requireActor(request), request.query.limit),
  );

  api.post(
    '/me/notifications/read',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Mark all my notifications read',
        response: { 204: Type.Null(), ...errorResponses(401, 403) },
      },
    },
    async (request, reply) => {
      await social.markAllRead(requireActor(request));
      return reply.status(204).send(null);
    },
  );
}
