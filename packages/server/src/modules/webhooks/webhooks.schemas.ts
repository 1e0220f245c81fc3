import { WEBHOOK_EVENT_TYPES } from '@cunbo/shared';
import { Type } from 'typebox';
import { Nullable, Timestamp, Uuid } from '../../http/schema-helpers.ts';

export const WebhookEventTypeSchema = Type.Enum(WEBHOOK_EVENT_TYPES);
const DeliveryStatusSchema = Type.Union([
  Type.Literal('pending'),
  Type.Literal('succeeded'),
  Type.Literal('failed'),
]);

const Url = Type.String({
  minLength: 1,
  maxLength: 500,
  pattern: '^https?://',
  description:
    'Where the events are POSTed (http or https). Private and loopback addresses are refused in production unless the operator allows them.',
});
const Events = Type.Array(WebhookEventTypeSchema, {
  minItems: 1,
  maxItems: WEBHOOK_EVENT_TYPES.length,
  description: 'The events this endpoint receives',
});
const Description = Type.String({ maxLength: 200 });

export const CreateSubscriptionBody = Type.Object(
  { url: Url, events: Events, description: Type.Optional(Description) },
  { additionalProperties: false },
);

export const UpdateSubscriptionBody = Type.Object(
  {
    url: Type.Optional(Url),
    events: Type.Optional(Events),
    active: Type.Optional(Type.Boolean({ description: 'false pauses deliveries' })),
    description: Type.Optional(Description),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const SubscriptionSchema = Type.Object({
  id: Uuid(),
  url: Type.String(),
  events: Type.Array(WebhookEventTypeSchema),
  description: Type.String(),
  active: Type.Boolean(),
  createdAt: Timestamp(),
  stats: Type.Object({
    succeeded: Type.Integer(),
    failed: Type.Integer(),
    pending: Type.Integer(),
  }),
});

export const SubscriptionWithSecret = Type.Object({
  subscription: SubscriptionSchema,
  secret: Type.String({
    description: 'Signing secret (`whsec_…`), shown only now: keep it to verify signatures',
  }),
});

export const DeliverySchema = Type.Object({
  id: Uuid(),
  eventId: Type.String({ description: 'The `webhook-id` header of every attempt' }),
  type: Type.String({ description: 'The event type (or `webhook.test`)' }),
  status: DeliveryStatusSchema,
  attempts: Type.Integer(),
  lastStatusCode: Nullable(Type.Integer()),
  lastError: Nullable(Type.String()),
  lastAttemptAt: Nullable(Timestamp()),
  deliveredAt: Nullable(Timestamp()),
  createdAt: Timestamp(),
});

export const DeliveryQuery = Type.Object({
  status: Type.Optional(DeliveryStatusSchema),
  before: Type.Optional(Timestamp('Deliveries created before this time (paging)')),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 30 }),
});

export const DeliveryDetail = Type.Object({
  delivery: DeliverySchema,
  event: Type.Object({
    id: Type.String(),
    type: Type.String(),
    payload: Type.Object(
      {},
      { additionalProperties: true, description: 'The body POSTed: `{ type, timestamp, data }`' },
    ),
  }),
  attempts: Type.Array(
    Type.Object({
      at: Timestamp(),
      statusCode: Nullable(Type.Integer()),
      error: Nullable(Type.String()),
      durationMs: Type.Integer(),
      responseBody: Nullable(Type.String({ description: 'The first 1 KB of the answer' })),
    }),
    { description: 'Newest first (the last 50)' },
  ),
});
