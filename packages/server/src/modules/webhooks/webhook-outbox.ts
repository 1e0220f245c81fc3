import { randomUUID } from 'node:crypto';
import type { WebhookEventType } from '@cunbo/shared';
import type { Db } from '../../db/client.ts';
import { webhookEvents } from '../../db/schema/index.ts';

/** The body every delivery of an event carries, the Standard Webhooks way. */
export interface WebhookEnvelope {
  type: WebhookEventType;
  /** ISO 8601, when it happened. */
  timestamp: string;
  data: Record<string, unknown>;
}

/**
 * Writes an event to the outbox. Call it with the transaction that makes the change, so the
 * event exists if and only if the change committed; the dispatcher delivers it afterwards.
 */
export async function recordWebhookEvent(
  db: Db,
  event: { shopId: string; type: WebhookEventType; data: Record<string, unknown>; at?: Date },
): Promise<string> {
  const id = `msg_${randomUUID().replaceAll('-', '')}`;
  const envelope: WebhookEnvelope = {
    type: event.type,
    timestamp: (event.at ?? new Date()).toISOString(),
    data: event.data,
  };
  await db.insert(webhookEvents).values({
    id,
    shopId: event.shopId,
    type: event.type,
    payload: envelope as unknown as Record<string, unknown>,
  });
  return id;
}

/**
 * The outbox rows of many events, for a caller that writes them in its own statement (a
 * flash sale's batch of orders, see `insertOrdersBatch`).
 */
export function webhookOutboxRows(
  events: Array<{
    shopId: string;
    type: WebhookEventType;
    data: Record<string, unknown>;
    at?: Date;
  }>,
): Array<{ id: string; shopId: string; type: WebhookEventType; payload: WebhookEnvelope }> {
  return events.map((event) => ({
    id: `msg_${randomUUID().replaceAll('-', '')}`,
    shopId: event.shopId,
    type: event.type,
    payload: {
      type: event.type,
      timestamp: (event.at ?? new Date()).toISOString(),
      data: event.data,
    },
  }));
}
