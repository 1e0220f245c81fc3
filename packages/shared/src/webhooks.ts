/** What integrators can subscribe to, per shop (see docs/webhooks.md). */
export const WEBHOOK_EVENT_TYPES = [
  'order.created',
  'order.paid',
  'order.packed',
  'order.shipped',
  'order.delivered',
  'live.started',
  'live.ended',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
