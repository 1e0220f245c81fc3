import { describe, expect, it } from 'vitest';
import {
  deleteSession,
  MediaSessionError,
  patchSession,
  postOffer,
  resolveLocation,
  type Endpoint,
} from './whip-http.ts';

interface Call {
  url: string;
  init: RequestInit;
}

function fakeFetch(respond: (call: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const f = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const call = { url: String(input), init };
    calls.push(call);
    return respond(call);
  }) as typeof fetch;
  return { fetch: f, calls };
}

const ANSWER = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n';

describe('postOffer', () => {
  it('sends the SDP with the bearer token and no cookies, and reads the answer', async () => {
    const { fetch, calls } = fakeFetch(
      () =>
        new Response(ANSWER, {
          status: 201,
          headers: {
            'content-type': 'application/sdp',
            location: '/api/v1/lives/L1/whip/SESSION1234567890',
            etag: '"e1"',
          },
        }),
    );
    const endpoint: Endpoint = {
      url: 'http://127.0.0.1:3456/api/v1/lives/L1/whip',
      token: 'KEY',
      fetch,
    };
    const got = await postOffer(endpoint, 'v=0 offer');
    expect(got).toEqual({
      answer: ANSWER,
      location: 'http://127.0.0.1:3456/api/v1/lives/L1/whip/SESSION1234567890',
      etag: '"e1"',
    });
    expect(calls[0]!.init).toMatchObject({
      method: 'POST',
      credentials: 'omit',
      body: 'v=0 offer',
      headers: { authorization: 'Bearer KEY', 'content-type': 'application/sdp' },
    });
  });

  it('sends no authorization when there is no token (WHEP)', async () => {
    const { fetch, calls } = fakeFetch(
      () => new Response(ANSWER, { status: 201, headers: { location: 'x/SESSION' } }),
    );
    await postOffer({ url: 'http://h/api/v1/lives/L1/whep', fetch }, 'v=0');
    expect(calls[0]!.init.headers).not.toHaveProperty('authorization');
  });

  it('turns a full node into a fallback to HLS with its Retry-After', async () => {
    const { fetch } = fakeFetch(
      () =>
        new Response(
          JSON.stringify({
            error: {
              code: 'SERVICE_UNAVAILABLE',
              message: 'Too many WebRTC viewers right now; watch over HLS',
              details: { fallback: 'hls', retryAfterSeconds: 30, limit: 'node' },
            },
          }),
          { status: 503, headers: { 'retry-after': '20', 'content-type': 'application/json' } },
        ),
    );
    const err = await postOffer({ url: 'http://h/whep', fetch }, 'v=0').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaSessionError);
    const e = err as MediaSessionError;
    expect([e.code, e.status, e.fallback, e.retryAfterMs, e.fatal]).toEqual([
      'SERVICE_UNAVAILABLE',
      503,
      'hls',
      20_000,
      false,
    ]);
  });

  it('marks refusals as fatal and network failures as worth a retry', async () => {
    const refused = fakeFetch(
      () =>
        new Response(
          JSON.stringify({
            error: {
              code: 'LIVE_NOT_LIVE',
              message: 'This show has ended',
              details: { status: 'ended' },
            },
          }),
          {
            status: 409,
          },
        ),
    );
    const e409 = (await postOffer({ url: 'http://h/whip', fetch: refused.fetch }, 'v=0').catch(
      (e: unknown) => e,
    )) as MediaSessionError;
    expect([e409.code, e409.fatal, e409.message]).toEqual([
      'LIVE_NOT_LIVE',
      true,
      'This show has ended',
    ]);

    const down = fakeFetch(() => Promise.reject(new TypeError('Failed to fetch')));
    const eNet = (await postOffer({ url: 'http://h/whip', fetch: down.fetch }, 'v=0').catch(
      (e: unknown) => e,
    )) as MediaSessionError;
    expect([eNet.code, eNet.status, eNet.fatal]).toEqual(['NETWORK', 0, false]);

    const proxy = fakeFetch(() => new Response('<html>bad gateway</html>', { status: 502 }));
    const e502 = (await postOffer({ url: 'http://h/whip', fetch: proxy.fetch }, 'v=0').catch(
      (e: unknown) => e,
    )) as MediaSessionError;
    expect([e502.code, e502.fatal]).toEqual(['SERVER', false]);
  });

  it('refuses a 201 without a Location', async () => {
    const { fetch } = fakeFetch(() => new Response(ANSWER, { status: 201 }));
    await expect(postOffer({ url: 'http://h/whip', fetch }, 'v=0')).rejects.toMatchObject({
      code: 'BAD_ANSWER',
    });
  });
});

describe('patchSession', () => {
  it('restarts ICE with If-Match and returns the server fragment', async () => {
    const { fetch, calls } = fakeFetch(
      () => new Response('a=ice-ufrag:N\r\n', { status: 200, headers: { etag: '"e2"' } }),
    );
    const got = await patchSession(
      { url: 'http://h/whip', token: 'K', fetch },
      'http://h/whip/S',
      'frag',
      '*',
    );
    expect(got).toEqual({ status: 200, etag: '"e2"', fragment: 'a=ice-ufrag:N\r\n' });
    expect(calls[0]!.init).toMatchObject({
      method: 'PATCH',
      headers: {
        'content-type': 'application/trickle-ice-sdpfrag',
        'if-match': '*',
        authorization: 'Bearer K',
      },
    });
  });

  it('adds candidates (204) and reports a stale session', async () => {
    const ok = fakeFetch(() => new Response(null, { status: 204, headers: { etag: '"e1"' } }));
    expect(
      await patchSession(
        { url: 'http://h/whep', fetch: ok.fetch },
        'http://h/whep/S',
        'frag',
        '"e1"',
      ),
    ).toEqual({ status: 204, etag: '"e1"' });
    const gone = fakeFetch(
      () =>
        new Response(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'No such session' } }), {
          status: 404,
        }),
    );
    await expect(
      patchSession({ url: 'http://h/whep', fetch: gone.fetch }, 'http://h/whep/S', 'frag', null),
    ).rejects.toMatchObject({ status: 404, fatal: true });
  });
});

describe('deleteSession', () => {
  it('never throws', async () => {
    const down = fakeFetch(() => Promise.reject(new TypeError('offline')));
    await expect(
      deleteSession({ url: 'http://h/whip', fetch: down.fetch }, 'http://h/whip/S', {
        keepalive: true,
      }),
    ).resolves.toBeUndefined();
    expect(down.calls[0]!.init).toMatchObject({ method: 'DELETE', keepalive: true });
  });
});

describe('resolveLocation', () => {
  it('resolves relative Locations against the endpoint', () => {
    expect(
      resolveLocation('/api/v1/lives/L/whip/S', 'https://cunbo.example/api/v1/lives/L/whip'),
    ).toBe('https://cunbo.example/api/v1/lives/L/whip/S');
    expect(resolveLocation('https://media.example/s/1', 'https://cunbo.example/x')).toBe(
      'https://media.example/s/1',
    );
  });
});
