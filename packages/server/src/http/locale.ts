import type { FastifyRequest } from 'fastify';
import type { Locale } from '../modules/regions/regions.service.ts';

const LOCALES = new Set<Locale>(['zh', 'en', 'it']);

/** `?lang=`, else the signed-in user's choice, else Accept-Language, else Chinese. */
export function localeOf(request: FastifyRequest): Locale {
  const q = (request.query as Record<string, unknown> | undefined)?.lang;
  if (typeof q === 'string' && LOCALES.has(q as Locale)) return q as Locale;
  if (request.actor) return request.actor.user.locale;
  const header = request.headers['accept-language'] ?? '';
  for (const part of header.split(',')) {
    const tag = part.trim().slice(0, 2).toLowerCase() as Locale;
    if (LOCALES.has(tag)) return tag;
  }
  return 'zh';
}
