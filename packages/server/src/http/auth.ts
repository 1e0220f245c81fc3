import { AppError } from '@cunbo/shared';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor, AccountsService } from '../modules/accounts/accounts.service.ts';

export const SESSION_COOKIE = 'cunbo_session';
export const CSRF_HEADER = 'x-csrf-token';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
    authVia: 'bearer' | 'cookie' | 'query' | null;
  }
  interface FastifyContextConfig {
    /** false on routes that issue a session (login, register) or take signed callbacks. */
    csrf?: boolean;
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function tokenFrom(
  request: FastifyRequest,
): { token: string; via: 'bearer' | 'cookie' | 'query' } | null {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return { token: header.slice(7).trim(), via: 'bearer' };
  const cookie = request.cookies[SESSION_COOKIE];
  if (cookie) return { token: cookie, via: 'cookie' };
  // Browsers cannot set headers on a WebSocket; the live room accepts ?token= instead.
  const query = request.query as Record<string, unknown> | undefined;
  if (request.headers.upgrade === 'websocket' && typeof query?.token === 'string') {
    return { token: query.token, via: 'query' };
  }
  return null;
}

/**
 * Resolves who is asking on every request. The web app's cookie is ambient, so a write made
 * with it must also carry the session's CSRF token in a header that another site cannot set.
 */
export function registerAuth(app: FastifyInstance, accounts: AccountsService): void {
  app.decorateRequest('actor', null);
  app.decorateRequest('authVia', null);
  app.addHook('preValidation', async (request) => {
    const found = tokenFrom(request);
    if (!found) return;
    const actor = await accounts.authenticate(found.token);
    if (!actor) {
      if (found.via === 'bearer') {
        throw new AppError('UNAUTHENTICATED', 'Your login has expired, sign in again', 401);
      }
      return;
    }
    request.actor = actor;
    request.authVia = found.via;
    const csrfRequired = request.routeOptions.config.csrf !== false;
    if (found.via === 'cookie' && csrfRequired && UNSAFE.has(request.method)) {
      if (request.headers[CSRF_HEADER] !== actor.csrfToken) {
        throw new AppError('CSRF_FAILED', 'Reload the page and try again', 403);
      }
    }
  });
}

export function requireActor(request: FastifyRequest): Actor {
  if (!request.actor) throw new AppError('UNAUTHENTICATED', 'Sign in first', 401);
  return request.actor;
}

export function requireRole(request: FastifyRequest, ...roles: Actor['user']['role'][]): Actor {
  const actor = requireActor(request);
  if (!roles.includes(actor.user.role)) {
    throw new AppError('FORBIDDEN', `Only a ${roles.join(' or ')} can do this`, 403);
  }
  return actor;
}
