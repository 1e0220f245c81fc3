import Fastify from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';
import { describe, expect, it } from 'vitest';
import { helmetHeaders, registerSecurityHeaders } from './security-headers.ts';

const options: HelmetOptions = {
  contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], frameAncestors: ["'none'"] } },
  crossOriginEmbedderPolicy: false,
  hsts: false,
};

describe('security headers', () => {
  it('are the headers helmet itself sets on a real response', async () => {
    const withHelmet = Fastify();
    const apply = helmet(options);
    withHelmet.addHook('onRequest', (request, reply, done) =>
      apply(request.raw, reply.raw, (err?: unknown) => done(err as Error | undefined)),
    );
    withHelmet.get('/', async () => ({ ok: true }));
    const ours = Fastify();
    registerSecurityHeaders(ours, options);
    ours.get('/', async () => ({ ok: true }));

    const strip = (h: Record<string, unknown>) => {
      const { date: _date, ...rest } = h;
      return rest;
    };
    const expected = strip((await withHelmet.inject({ url: '/' })).headers);
    const got = strip((await ours.inject({ url: '/' })).headers);
    expect(got).toEqual(expected);
    expect(got['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(got['strict-transport-security']).toBeUndefined();
  });

  it('follow the options', () => {
    expect(helmetHeaders({ ...options, hsts: true })['strict-transport-security']).toMatch(
      /max-age=/,
    );
    const deny: HelmetOptions = { xFrameOptions: { action: 'deny' } };
    expect(helmetHeaders(deny)['x-frame-options']).toBe('DENY');
  });
});
