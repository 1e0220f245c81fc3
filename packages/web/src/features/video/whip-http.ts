/**
 * WHIP (RFC 9725) and WHEP over HTTP: POST the offer, PATCH trickled candidates or an ICE
 * restart, DELETE to stop. Shared by the studio (WHIP) and the player (WHEP). `fetch` is
 * injectable, so these run under test without a browser.
 *
 * Credentials: the WHIP endpoint takes `Authorization: Bearer <streamKey>` and not our
 * session cookie, so requests are sent with `credentials: 'omit'` (a cookie would make the
 * server ask for a CSRF token). WHEP needs none.
 */
import { retryAfterMs } from './backoff.ts';

const SDP = 'application/sdp';
const SDP_FRAGMENT = 'application/trickle-ice-sdpfrag';

export interface Endpoint {
  /** Absolute, or relative to the page (`/api/v1/lives/…/whip`). */
  url: string;
  /** Bearer token: the stream key for WHIP; none for WHEP. */
  token?: string | undefined;
  fetch?: typeof fetch;
}

/** Why a WHIP/WHEP request failed, and what the caller should do about it. */
export class MediaSessionError extends Error {
  constructor(
    /** `NETWORK` when the server could not be reached; else the API's code or `HTTP_<status>`. */
    readonly code: string,
    message: string,
    /** 0 for network errors. */
    readonly status: number,
    /** From Retry-After: when trying WebRTC again is worth it. */
    readonly retryAfterMs: number | null = null,
    /** `hls` when the server sends players to HLS (a full node). */
    readonly fallback: string | null = null,
  ) {
    super(message);
    this.name = 'MediaSessionError';
  }

  /**
   * Retrying the same request cannot help: not allowed, no such show or session, the show
   * is not live, or the offer itself is refused. Network trouble, 5xx and 429 are worth
   * another try.
   */
  get fatal(): boolean {
    return [400, 401, 403, 404, 409, 413, 415, 422].includes(this.status);
  }
}

export interface OfferAnswer {
  answer: string;
  /** The session URL (absolute), for PATCH and DELETE. */
  location: string;
  etag: string | null;
}

const headersFor = (endpoint: Endpoint, extra: Record<string, string> = {}) => ({
  ...(endpoint.token && { authorization: `Bearer ${endpoint.token}` }),
  ...extra,
});

function base(): string {
  return typeof location !== 'undefined' ? location.href : 'http://localhost/';
}

/** The Location header made absolute against the URL it came from. */
export function resolveLocation(location: string, requestUrl: string): string {
  return new URL(location, new URL(requestUrl, base())).toString();
}

async function send(endpoint: Endpoint, url: string, init: RequestInit): Promise<Response> {
  const doFetch = endpoint.fetch ?? fetch;
  try {
    return await doFetch(url, { credentials: 'omit', cache: 'no-store', ...init });
  } catch (err) {
    if (init.signal?.aborted) throw err;
    throw new MediaSessionError('NETWORK', 'The server could not be reached', 0);
  }
}

/** Reads an error answer: the API's `{ error: { code, message, details } }` if it is one. */
export async function mediaErrorFrom(response: Response): Promise<MediaSessionError> {
  let code = response.status >= 500 ? 'SERVER' : `HTTP_${response.status}`;
  let message = `HTTP ${response.status}`;
  let fallback: string | null = null;
  let retryAfter = retryAfterMs(response.headers.get('retry-after'));
  try {
    const body = (await response.json()) as {
      error?: { code?: unknown; message?: unknown; details?: Record<string, unknown> };
    };
    const error = body?.error;
    if (error && typeof error.code === 'string') {
      code = error.code;
      if (typeof error.message === 'string') message = error.message;
      if (typeof error.details?.fallback === 'string') fallback = error.details.fallback;
      const seconds = error.details?.retryAfterSeconds;
      if (retryAfter === null && typeof seconds === 'number') retryAfter = seconds * 1000;
    }
  } catch {
    // not JSON
  }
  return new MediaSessionError(code, message, response.status, retryAfter, fallback);
}

/** POST the offer; 201 with the answer and the session's Location. */
export async function postOffer(
  endpoint: Endpoint,
  offer: string,
  signal?: AbortSignal,
): Promise<OfferAnswer> {
  const response = await send(endpoint, endpoint.url, {
    method: 'POST',
    headers: headersFor(endpoint, { 'content-type': SDP }),
    body: offer,
    ...(signal && { signal }),
  });
  if (response.status !== 201 && response.status !== 200) throw await mediaErrorFrom(response);
  const location = response.headers.get('location');
  const answer = await response.text();
  if (!location || !answer.startsWith('v=')) {
    throw new MediaSessionError(
      'BAD_ANSWER',
      'The server answered without a session',
      response.status,
    );
  }
  return {
    answer,
    location: resolveLocation(location, endpoint.url),
    etag: response.headers.get('etag'),
  };
}

export type PatchResult =
  { status: 204; etag: string | null } | { status: 200; etag: string | null; fragment: string };

/**
 * PATCH a fragment to the session: trickled candidates (204), or new credentials for an ICE
 * restart (200 with the server's fragment; `If-Match: *` as RFC 9725 asks for restarts).
 */
export async function patchSession(
  endpoint: Endpoint,
  sessionUrl: string,
  fragment: string,
  ifMatch: string | null,
  signal?: AbortSignal,
): Promise<PatchResult> {
  const response = await send(endpoint, sessionUrl, {
    method: 'PATCH',
    headers: headersFor(endpoint, {
      'content-type': SDP_FRAGMENT,
      ...(ifMatch && { 'if-match': ifMatch }),
    }),
    body: fragment,
    ...(signal && { signal }),
  });
  const etag = response.headers.get('etag');
  if (response.status === 204) return { status: 204, etag };
  if (response.status === 200) return { status: 200, etag, fragment: await response.text() };
  throw await mediaErrorFrom(response);
}

/**
 * DELETE the session. Never throws: the session may be gone already. `keepalive` lets it
 * leave with a closing page.
 */
export async function deleteSession(
  endpoint: Endpoint,
  sessionUrl: string,
  opts: { keepalive?: boolean } = {},
): Promise<void> {
  try {
    await send(endpoint, sessionUrl, {
      method: 'DELETE',
      headers: headersFor(endpoint),
      ...(opts.keepalive && { keepalive: true }),
    });
  } catch {
    // gone already, or offline: the server times the session out
  }
}
