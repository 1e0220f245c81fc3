import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '@cunbo/shared';

/** What the API says about a shop's webhook endpoint (`SubscriptionView`). */
export interface WebhookSubscription {
  id: string;
  url: string;
  events: WebhookEventType[];
  description: string;
  active: boolean;
  createdAt: string;
  stats: { succeeded: number; failed: number; pending: number };
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

export interface WebhookDelivery {
  id: string;
  eventId: string;
  type: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  lastAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

export interface WebhookAttempt {
  at: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  responseBody: string | null;
}

export interface DeliveryDetail {
  delivery: WebhookDelivery;
  event: { id: string; type: string; payload: Record<string, unknown> };
  attempts: WebhookAttempt[];
}

export const EVENT_TYPES = WEBHOOK_EVENT_TYPES;
export const MAX_ENDPOINTS = 10;

/** i18n key of an event type's plain name ("webhook.test" included). */
export function eventKey(type: string): string {
  return `integrations.event.${type.replace('.', '_')}`;
}

/** What the last attempt got, shortly: "HTTP 503", "ECONNREFUSED", or nothing yet. */
export function lastOutcome(d: Pick<WebhookDelivery, 'lastStatusCode' | 'lastError'>): string {
  if (d.lastError) return d.lastError;
  if (d.lastStatusCode !== null) return `HTTP ${d.lastStatusCode}`;
  return '';
}

/** Checks a URL before sending it, with the words the server would use. */
export function urlIssue(value: string): 'empty' | 'scheme' | 'invalid' | 'long' | null {
  const v = value.trim();
  if (v === '') return 'empty';
  if (v.length > 500) return 'long';
  if (!/^https?:\/\//i.test(v)) return 'scheme';
  try {
    new URL(v);
  } catch {
    return 'invalid';
  }
  return null;
}

/** The oldest row's time, for "load more" (`before=`), or null when a page was not full. */
export function nextBefore(rows: Array<{ createdAt: string }>, pageSize: number): string | null {
  return rows.length >= pageSize ? (rows.at(-1)?.createdAt ?? null) : null;
}
