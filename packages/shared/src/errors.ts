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

/** V8's knob (Node, Chromium); elsewhere a plain property that nothing reads. */
const V8Error = Error as ErrorConstructor & { stackTraceLimit?: number };

/**
 * An expected failure with a status and a message safe to show users. Below 500 it carries no
 * stack trace: it is an answer, not a bug, and a flash sale refuses thousands a second
 * (capturing the stack was 2.5 % of the server's CPU there).
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    status = 400,
    details: Record<string, unknown> = {},
  ) {
    const limit = V8Error.stackTraceLimit;
    if (status < 500) V8Error.stackTraceLimit = 0;
    super(message); // Error's constructor does not throw: the limit is always put back.
    V8Error.stackTraceLimit = limit;
    this.name = 'AppError';
    this.code = code;
    this.status = status;
    this.details = details;
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

export const notFound = (what: string, details: Record<string, unknown> = {}) =>
  new AppError('NOT_FOUND', `${what} not found`, 404, details);

export const forbidden = (message = 'You may not do this') =>
  new AppError('FORBIDDEN', message, 403);
