import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { api, apiUrl, onCsrfRefresh, setApiLang, setCsrfToken } from './client.ts';
import { ApiError } from './errors.ts';

type Call = { url: string; init: RequestInit };
let calls: Call[];
let answers: Response[];

beforeEach(() => {
  calls = [];
  answers = [];
  setCsrfToken(null);
  setApiLang('zh');
  onCsrfRefresh(null);
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return answers.shift() ?? new Response('{}', { status: 200 });
  });
});
afterEach(() => vi.unstubAllGlobals());

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const header = (c: Call, name: string) => (c.init.headers as Record<string, string>)[name];

describe('api client', () => {
  it('builds urls without empty parameters', () => {
    expect(apiUrl('/lives', { status: 'live', region: undefined, category: '' })).toBe(
      '/api/v1/lives?status=live',
    );
  });

  it('sends the language on reads and the csrf token on writes', async () => {
    setApiLang('it');
    setCsrfToken('csrf-1');
    await api.get('/regions', { query: { parent: '370000' } });
    await api.post('/orders', { a: 1 }, { headers: { 'Idempotency-Key': 'k' } });
    expect(calls[0]!.url).toBe('/api/v1/regions?lang=it&parent=370000');
    expect(header(calls[0]!, 'x-csrf-token')).toBeUndefined();
    expect(calls[1]!.url).toBe('/api/v1/orders');
    expect(header(calls[1]!, 'x-csrf-token')).toBe('csrf-1');
    expect(header(calls[1]!, 'Idempotency-Key')).toBe('k');
    expect(calls[1]!.init.credentials).toBe('same-origin');
    expect(calls[1]!.init.body).toBe('{"a":1}');
  });

  it('turns error bodies into ApiError', async () => {
    answers.push(
      json(409, {
        error: { code: 'OUT_OF_STOCK', message: 'Only 2 left', details: { available: 2 } },
      }),
    );
    const err = await api.post('/orders', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'OUT_OF_STOCK', status: 409, details: { available: 2 } });
  });

  it('reports an unreachable server as NETWORK', async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(api.get('/lives')).rejects.toMatchObject({ code: 'NETWORK', status: 0 });
  });

  it('refreshes a stale csrf token once and retries', async () => {
    setCsrfToken('old');
    onCsrfRefresh(async () => 'new');
    answers.push(
      json(403, { error: { code: 'CSRF_FAILED', message: 'Reload', details: {} } }),
      json(200, { ok: true }),
    );
    await expect(api.put('/shop', { name: 'x' })).resolves.toEqual({ ok: true });
    expect(calls.map((c) => header(c, 'x-csrf-token'))).toEqual(['old', 'new']);
  });

  it('answers 204 with undefined', async () => {
    answers.push(new Response(null, { status: 204 }));
    await expect(api.post('/me/notifications/read')).resolves.toBeUndefined();
  });
});
