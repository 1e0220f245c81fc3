/**
 * Every error the platform answers with, over HTTP and WebSocket alike.
 * Codes are stable: never rename one, add a new one instead.
 */
export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'MALFORMED_JSON',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'UNAUTHENTICATED',
  'INVALID_CREDENTIALS',
  'FORBIDDEN',
  'CSRF_FAILED',
  'NOT_FOUND',
  'EMAIL_TAKEN',
  'SHOP_REQUIRED',
  'UNKNOWN_REGION',
  'OUT_OF_STOCK',
  'PRODUCT_UNAVAILABLE',
  'MIXED_SHOPS',
  'IDEMPOTENCY_KEY_REQUIRED',
  'IDEMPOTENCY_KEY_REUSED',
  'INVALID_TRANSITION',
  'LIVE_NOT_LIVE',
  'PRODUCT_NOT_IN_LIVE',
  'PAYMENT_FAILED',
  'INVALID_SIGNATURE',
  'WEBHOOK_LIMIT_REACHED',
  'WEBHOOK_TARGET_NOT_ALLOWED',
  'RATE_LIMITED',
  'CONFLICT',
  'SERVICE_UNAVAILABLE',
  'INTERNAL',
  'INVALID_SDP',
  'UNSUPPORTED_CODEC',
  'PRECONDITION_FAILED',
  'SOLD_OUT',
  'LIMIT_REACHED',
  'OFFER_NOT_STARTED',
  'OFFER_ENDED',
  'COUPONS_GONE',
  'ALREADY_CLAIMED',
  'COUPON_NOT_STARTED',
  'COUPON_ENDED',
  'COUPON_UNUSABLE',
  'PARCEL_NOT_FOUND',
  'WRONG_HUB',
  'NOTHING_TO_PICK_UP',
  'NOT_PACKED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    details: Record<string, unknown>;
  };
}

/** JSON schema of {@link ErrorBody}, referenced by every route's 4xx/5xx responses. */
export const errorBodySchema = {
  $id: 'ErrorBody',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'details'],
      properties: {
        code: { type: 'string', enum: [...ERROR_CODES] },
        message: { type: 'string' },
        details: { type: 'object', additionalProperties: true },
      },
    },
  },
} as const;

/** An expected failure with a status and a message safe to show users. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly status = 400,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

export const notFound = (what: string, details: Record<string, unknown> = {}) =>
  new AppError('NOT_FOUND', `${what} not found`, 404, details);

export const forbidden = (message = 'You may not do this') =>
  new AppError('FORBIDDEN', message, 403);
