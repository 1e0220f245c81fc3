import { ApiError, apiErrorFrom } from './errors.ts';

export { ApiError } from './errors.ts';

/**
 * The web app's only way to the API. The session is the HttpOnly `cunbo_session` cookie (never
 * a token in localStorage); every write also carries the session's CSRF token in a header,
 * which another site cannot set.
 */
export const API_BASE = '/api/v1';
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

let csrfToken: string | null = null;
let lang = 'zh';
let refreshCsrf: (() => Promise<string | null>) | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Region and shop names come back in this language (`?lang=` on every read). */
export function setApiLang(next: string): void {
  lang = next;
}

/** Called once when a write is refused for its CSRF token, to fetch the current one. */
export function onCsrfRefresh(fn: (() => Promise<string | null>) | null): void {
  refreshCsrf = fn;
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** Sent as multipart/form-data instead of JSON (photo uploads). */
  form?: FormData;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export function apiUrl(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  }
  const qs = params.toString();
  return `${API_BASE}${path}${qs ? `?${qs}` : ''}`;
}

async function send(
  method: string,
  path: string,
  opts: RequestOptions,
  retried: boolean,
): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  let body: BodyInit | undefined;
  if (opts.form) body = opts.form;
  else if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  const isWrite = WRITES.has(method);
  if (isWrite && csrfToken) headers['x-csrf-token'] = csrfToken;
  const query = isWrite ? opts.query : { lang, ...opts.query };
  let response: Response;
  try {
    response = await fetch(apiUrl(path, query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
      signal: opts.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError('NETWORK', 'The network is not reachable', 0);
  }
  if (response.status === 403 && isWrite && !retried && refreshCsrf) {
    const err = await apiErrorFrom(response.clone());
    if (err.code === 'CSRF_FAILED') {
      // The session was renewed elsewhere (another tab signed in): take its token, retry once.
      csrfToken = await refreshCsrf();
      return send(method, path, opts, true);
    }
  }
  return response;
}

export async function request<T>(
  method: string,
  path: string,
  opts: RequestOptions = {},
): Promise<T> {
  const response = await send(method, path, opts, false);
  if (!response.ok) throw await apiErrorFrom(response);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const api = {
  get: <T>(path: string, opts?: RequestOptions) => request<T>('GET', path, opts),
  post: <T>(path: string, body?: unknown, opts?: RequestOptions) =>
    request<T>('POST', path, { ...opts, body }),
  put: <T>(path: string, body?: unknown, opts?: RequestOptions) =>
    request<T>('PUT', path, { ...opts, body }),
  patch: <T>(path: string, body?: unknown, opts?: RequestOptions) =>
    request<T>('PATCH', path, { ...opts, body }),
  delete: <T>(path: string, opts?: RequestOptions) => request<T>('DELETE', path, opts),
  upload: <T>(path: string, form: FormData, opts?: RequestOptions) =>
    request<T>('POST', path, { ...opts, form }),
};
