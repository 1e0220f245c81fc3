import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError } from '@cunbo/shared';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { localeOf } from '../../http/locale.ts';
import { errorResponses, Nullable } from '../../http/schema-helpers.ts';
import {
  describeRegion,
  listChildren,
  searchRegions,
  type Locale,
  type Region,
} from './regions.service.ts';

const Level = Type.Enum(['province', 'prefecture', 'county', 'township', 'village'] as const);
const RegionItem = Type.Object({
  code: Type.String(),
  level: Level,
  parentCode: Nullable(Type.String()),
  name: Type.String(),
});
const present = (r: Region, locale: Locale) => ({
  code: r.code,
  level: r.level,
  parentCode: r.parentCode,
  name: r.name[locale],
});

export function regionsRoutes(app: FastifyInstance) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['regions'];

  api.get(
    '/regions',
    {
      schema: {
        tags,
        summary:
          'Regions (GB/T 2260): the children of `parent` (provinces without it), or those matching `q`',
        querystring: Type.Object({
          parent: Type.Optional(Type.String({ pattern: '^[0-9]{6}([0-9]{3})?$' })),
          q: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
          lang: Type.Optional(Type.String()),
        }),
        response: { 200: Type.Object({ regions: Type.Array(RegionItem) }), ...errorResponses(400) },
      },
    },
    async (request) => {
      const locale = localeOf(request);
      const { parent, q, limit } = request.query;
      const found = q
        ? searchRegions(q, limit)
        : listChildren(parent ?? null).slice(0, parent ? 1000 : limit);
      return { regions: found.map((r) => present(r, locale)) };
    },
  );

  api.get(
    '/regions/:code',
    {
      schema: {
        tags,
        summary: 'A region with its path from the province down, named in the asked language',
        params: Type.Object({ code: Type.String({ pattern: '^[0-9]{6}([0-9]{3}([0-9]{3})?)?$' }) }),
        querystring: Type.Object({ lang: Type.Optional(Type.String()) }),
        response: {
          200: Type.Object({
            region: Type.Object({
              code: Type.String(),
              level: Level,
              name: Type.String(),
              fullName: Type.String(),
              path: Type.Array(
                Type.Object({ code: Type.String(), level: Level, name: Type.String() }),
              ),
            }),
          }),
          ...errorResponses(400, 404),
        },
      },
    },
    async (request) => {
      const region = describeRegion(request.params.code, localeOf(request));
      if (!region) throw new AppError('NOT_FOUND', 'No such region', 404);
      return { region };
    },
  );
}
