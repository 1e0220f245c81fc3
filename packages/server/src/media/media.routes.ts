import { AppError } from '@cunbo/shared';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { errorResponses, Uuid } from '../http/schema-helpers.ts';
import { hlsRoutes } from './hls/hls.routes.ts';
import { RETRY_AFTER_SECONDS, type Media } from './media.service.ts';
import type { PeerRole } from './peer.ts';

const SDP = 'application/sdp';
const SDP_FRAGMENT = 'application/trickle-ice-sdpfrag';
/** Browsers' offers are 5–10 KB; OBS's smaller. */
const SDP_LIMIT_BYTES = 64 * 1024;

declare module 'fastify' {
  interface FastifyRequest {
    /** WHIP/WHEP routes take `Authorization: Bearer` themselves: it may be a stream key. */
    mediaBearer: string | undefined;
  }
}

const SessionParams = Type.Object({
  id: Uuid(),
  sessionId: Type.String({
    pattern: '^[A-Za-z0-9_-]{16,64}$',
    description: 'From the Location of the 201',
  }),
});

const sdpBody = (description: string) => ({
  content: { [SDP]: { schema: Type.String({ description }) } },
});
const fragmentBody = {
  content: { [SDP_FRAGMENT]: { schema: Type.String({ description: 'RFC 8840 SDP fragment' }) } },
};

function requireType(request: FastifyRequest, type: string): string {
  const got = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (got !== type || typeof request.body !== 'string') {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', `Send the body as ${type}`, 415, {
      expected: type,
    });
  }
  return request.body;
}

/** An answer without a body (not even JSON `null`), as WHIP clients expect. */
const noContent = (reply: FastifyReply, status: 200 | 204) => reply.status(status).send();

/** A 503 sends the player to HLS; Retry-After says when WebRTC is worth another try. */
async function withRetryAfter<T>(reply: FastifyReply, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof AppError && err.status === 503) {
      void reply.header(
        'retry-after',
        String(err.details.retryAfterSeconds ?? RETRY_AFTER_SECONDS),
      );
    }
    throw err;
  }
}

/**
 * WHIP (RFC 9725) and WHEP: POST an SDP offer, get the answer and a session URL to PATCH
 * (trickle ICE, ICE restart) and DELETE. Registered as its own plugin so the SDP body
 * parsers and the bearer handling apply to these routes only.
 */
export async function mediaRoutes(app: FastifyInstance, deps: { media: Media }): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { media } = deps;

  app.addContentTypeParser(
    [SDP, SDP_FRAGMENT],
    { parseAs: 'string', bodyLimit: SDP_LIMIT_BYTES },
    (_request, body, done) => done(null, body),
  );
  // Anything else reaches the handler too, which answers 415 naming the type it wants.
  app.addContentTypeParser(
    '*',
    { parseAs: 'string', bodyLimit: SDP_LIMIT_BYTES },
    (_request, body, done) => done(null, body),
  );

  app.decorateRequest('mediaBearer', undefined);
  // OBS sends the stream key as `Authorization: Bearer`; the app's auth hook would take it
  // for an expired login. Taken aside here, before that hook; the service checks it.
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (header?.startsWith('Bearer ')) {
      request.mediaBearer = header.slice(7).trim();
      delete request.headers.authorization;
    }
  });

  const endpoints: Array<{ path: 'whip' | 'whep'; role: PeerRole }> = [
    { path: 'whip', role: 'publisher' },
    { path: 'whep', role: 'viewer' },
  ];
  for (const { path, role } of endpoints) {
    const tags = ['media'];
    const isWhip = role === 'publisher';

    api.options(`/lives/:id/${path}`, { schema: { hide: true } }, async (_request, reply) =>
      reply.status(204).header('allow', 'OPTIONS, POST').header('accept-post', SDP).send(),
    );

    api.post(
      `/lives/:id/${path}`,
      {
        // A WHEP session is harmless to start from another site; publishing is not.
        config: { csrf: isWhip },
        schema: {
          tags,
          summary: isWhip
            ? 'Publish the show (WHIP, RFC 9725): the host with their login, or an encoder such as OBS with `Authorization: Bearer <streamKey>`'
            : 'Watch the show over WebRTC (WHEP); anyone. 503 with details.fallback "hls" when this node has no room: use HLS',
          description: isWhip
            ? 'A second publisher replaces the first. Send Opus audio and H.264 (packetization-mode 1) or VP8 video. ' +
              'The answer is 201 with the SDP answer, `Location` (the session: PATCH for trickle ICE and ICE restart, DELETE to stop) and `ETag`.'
            : 'Answered even before the host publishes: the video starts at the first keyframe. ' +
              'The answer is 201 with the SDP answer, `Location` (PATCH, DELETE) and `ETag`.',
          params: Type.Object({ id: Uuid() }),
          body: sdpBody('SDP offer'),
          response: {
            201: {
              description: 'SDP answer',
              headers: {
                location: { type: 'string', description: 'The session URL' },
                etag: { type: 'string', description: 'The ICE session' },
              },
              content: { [SDP]: { schema: Type.String() } },
            },
            ...errorResponses(
              ...(isWhip
                ? [400, 401, 403, 404, 409, 413, 415, 422]
                : [400, 404, 409, 413, 415, 422, 503]),
            ),
          },
        },
      },
      async (request, reply) => {
        const offer = requireType(request, SDP);
        const creds = { bearer: request.mediaBearer, actor: request.actor };
        const answer = await withRetryAfter(reply, () =>
          isWhip
            ? media.publish(request.params.id, creds, offer)
            : media.play(request.params.id, creds, offer),
        );
        return reply
          .status(201)
          .type(SDP)
          .header('location', `/api/v1/lives/${request.params.id}/${path}/${answer.sessionId}`)
          .header('etag', answer.etag)
          .header('accept-patch', SDP_FRAGMENT)
          .send(answer.sdp);
      },
    );

    api.patch(
      `/lives/:id/${path}/:sessionId`,
      {
        // The unguessable session URL is the credential, as RFC 9725 allows.
        config: { csrf: false },
        schema: {
          tags,
          summary: `Trickle ICE candidates or restart ICE on a ${path.toUpperCase()} session`,
          description:
            'New `a=ice-ufrag`/`a=ice-pwd` restart ICE (send `If-Match: *`): 200 with our new credentials and candidates. ' +
            'Otherwise the candidates (and `a=end-of-candidates`) are added: 204. `If-Match` with a stale ETag: 412.',
          params: SessionParams,
          body: fragmentBody,
          response: {
            200: {
              description: 'ICE restarted',
              content: { [SDP_FRAGMENT]: { schema: Type.String() } },
            },
            204: { description: 'Candidates added', type: 'null' },
            ...errorResponses(400, 404, 412, 413, 415, 422),
          },
        },
      },
      async (request, reply) => {
        const body = requireType(request, SDP_FRAGMENT);
        const ifMatch = request.headers['if-match'];
        const result = await media.patch(
          role,
          request.params.id,
          request.params.sessionId,
          ifMatch,
          body,
        );
        if (result.status === 204) return noContent(reply.header('etag', result.etag), 204);
        return reply
          .status(200)
          .type(SDP_FRAGMENT)
          .header('etag', result.etag)
          .send(result.fragment);
      },
    );

    api.delete(
      `/lives/:id/${path}/:sessionId`,
      {
        config: { csrf: false },
        schema: {
          tags,
          summary: isWhip ? 'Stop publishing (WHIP session)' : 'Stop watching (WHEP session)',
          params: SessionParams,
          response: {
            200: { description: 'Session closed', type: 'null' },
            ...errorResponses(400, 404),
          },
        },
      },
      async (request, reply) => {
        await media.stop(role, request.params.id, request.params.sessionId);
        return noContent(reply, 200);
      },
    );
  }

  hlsRoutes(app, { hls: media.hls });
}
