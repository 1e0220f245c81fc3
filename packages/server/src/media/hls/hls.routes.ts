import { AppError } from '@cunbo/shared';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { errorResponses, IdParams, Uuid } from '../../http/schema-helpers.ts';
import type { Hls } from './hls.service.ts';

const M3U8 = 'application/vnd.apple.mpegurl';
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Errors and "not yet" must not stick in a CDN. */
const NO_STORE = 'no-store';

/** A binary body: a Buffer for the handler, `format: binary` for OpenAPI. */
const Binary = () => Type.Unsafe<Buffer>({ type: 'string', format: 'binary' });

const playlistResponse = (description: string) => ({
  200: { description, content: { [M3U8]: { schema: Type.String() } } },
});

const MediaParams = Type.Object({
  id: Uuid(),
  file: Type.String({
    pattern: '^(init-[0-9]{1,9}\\.mp4|seg-[0-9]{1,9}\\.m4s|part-[0-9]{1,9}\\.[0-9]{1,4}\\.m4s)$',
    description:
      '`init-<n>.mp4`, `seg-<msn>.m4s` or `part-<msn>.<i>.m4s`, as the playlists name them',
  }),
});

function notFound(reply: FastifyReply, what: string): never {
  void reply.header('cache-control', NO_STORE);
  throw new AppError('NOT_FOUND', what, 404);
}

/**
 * HLS under `/lives/:id/hls/`: the low-latency live playlist, the replay's VOD playlist, and
 * the fMP4 init segments, segments and parts both name. Anonymous (like WHEP), exempt from the
 * per-client rate limit (a player makes several requests a second), and cacheable: segments
 * and parts never change, live playlists for a second, so a CDN can carry a big audience.
 */
export function hlsRoutes(app: FastifyInstance, deps: { hls: Hls }): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { hls } = deps;
  const tags = ['media'];

  api.get(
    '/lives/:id/hls/live.m3u8',
    {
      config: { rateLimit: false },
      schema: {
        tags,
        summary: 'Low-latency HLS playlist of the live show (the URL in `playback.hls`)',
        description:
          'fMP4 segments (H.264 + Opus) of about `HLS_SEGMENT_SECONDS`, with LL-HLS parts, `EXT-X-PRELOAD-HINT` and blocking reload: ' +
          'with `_HLS_msn` (and `_HLS_part`) the answer waits until that segment (part) exists (RFC 8216bis §6.2.5.2). ' +
          '404 while the host is not publishing. `#EXT-X-ENDLIST` once the show has ended.',
        params: IdParams,
        querystring: Type.Object({
          _HLS_msn: Type.Optional(
            Type.Integer({ minimum: 0, description: 'Media sequence number to wait for' }),
          ),
          _HLS_part: Type.Optional(
            Type.Integer({ minimum: 0, description: 'Part of that segment to wait for' }),
          ),
          _HLS_skip: Type.Optional(
            Type.String({ description: 'Ignored: delta playlists are not offered' }),
          ),
        }),
        response: { ...playlistResponse('Live media playlist'), ...errorResponses(400, 404, 503) },
      },
    },
    async (request, reply) => {
      const { _HLS_msn: msn, _HLS_part: part } = request.query;
      const out = await hls.livePlaylist(request.params.id, { msn, part }).catch((err: unknown) => {
        void reply.header('cache-control', NO_STORE);
        throw err;
      });
      if (!out) notFound(reply, 'This show is not being streamed now');
      // A blocking answer is the same for everyone asking for that part: cache it a little
      // longer. A plain reload may change with every part: one second.
      return reply
        .type(M3U8)
        .header('cache-control', out.blocked ? 'public, max-age=6' : 'public, max-age=1')
        .send(out.body);
    },
  );

  api.get(
    '/lives/:id/hls/replay.m3u8',
    {
      config: { rateLimit: false },
      schema: {
        tags,
        summary: 'HLS VOD playlist of the ended show (the URL in `replay.hls`)',
        description:
          'Every segment recorded, `#EXT-X-DISCONTINUITY` where the host reconnected, `#EXT-X-ENDLIST`. 404 until the show has ended.',
        params: IdParams,
        response: { ...playlistResponse('VOD media playlist'), ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const body = await hls.replayPlaylist(request.params.id);
      if (!body) notFound(reply, 'No replay for this show');
      return reply.type(M3U8).header('cache-control', 'public, max-age=60').send(body.toString());
    },
  );

  api.get(
    '/lives/:id/hls/:file',
    {
      config: { rateLimit: false },
      schema: {
        tags,
        summary: 'An fMP4 init segment, segment or LL-HLS part named by a playlist',
        description:
          'Immutable once it exists. A part named by `EXT-X-PRELOAD-HINT` is answered as soon as it is made.',
        params: MediaParams,
        response: {
          200: {
            description: 'fMP4',
            content: {
              'video/mp4': { schema: Binary() },
              'video/iso.segment': { schema: Binary() },
            },
          },
          ...errorResponses(400, 404),
        },
      },
    },
    async (request, reply) => {
      const { id, file } = request.params;
      const data = await hls.mediaFile(id, file);
      if (!data) notFound(reply, 'No such segment');
      return reply
        .type(file.endsWith('.mp4') ? 'video/mp4' : 'video/iso.segment')
        .header('cache-control', IMMUTABLE)
        .send(data);
    },
  );

  api.get(
    '/lives/:id/thumbnail.jpg',
    {
      config: { rateLimit: false },
      schema: {
        tags,
        summary: 'A frame of the show (the URL in `thumbnailUrl`), refreshed while it is live',
        params: IdParams,
        querystring: Type.Object({
          v: Type.Optional(
            Type.String({ maxLength: 20, description: 'Version, from `thumbnailUrl`' }),
          ),
        }),
        response: {
          200: { description: 'JPEG', content: { 'image/jpeg': { schema: Binary() } } },
          ...errorResponses(400, 404),
        },
      },
    },
    async (request, reply) => {
      const jpeg = await hls.thumbnail(request.params.id);
      if (!jpeg) notFound(reply, 'No thumbnail for this show');
      // `thumbnailUrl` carries the version: that URL may be cached for good.
      const cache = request.query.v ? IMMUTABLE : 'public, max-age=30';
      return reply.type('image/jpeg').header('cache-control', cache).send(jpeg);
    },
  );
}
