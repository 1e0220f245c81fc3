import { AppError, type ErrorBody, type ErrorCode } from '@cunbo/shared';
import type { FastifyError, FastifyInstance } from 'fastify';

interface ValidationIssue {
  field: string;
  problem: string;
}

/** Turns Ajv's errors into `{ field, problem }` pairs naming the request field. */
function describeValidation(err: FastifyError): ValidationIssue[] {
  const context = err.validationContext ?? 'body';
  return (err.validation ?? []).map((v) => {
    const params = v.params as Record<string, unknown>;
    let pointer = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
    if (typeof params.missingProperty === 'string') {
      pointer = pointer ? `${pointer}.${params.missingProperty}` : params.missingProperty;
    }
    if (typeof params.additionalProperty === 'string') {
      pointer = pointer ? `${pointer}.${params.additionalProperty}` : params.additionalProperty;
    }
    return {
      field: pointer ? `${context}.${pointer}` : context,
      problem: v.message ?? 'is invalid',
    };
  });
}

const fastifyCodes: Record<string, { code: ErrorCode; status: number; message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: {
    code: 'MALFORMED_JSON',
    status: 400,
    message: 'The body is not valid JSON',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: 'MALFORMED_JSON',
    status: 400,
    message: 'The JSON body is empty',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    code: 'PAYLOAD_TOO_LARGE',
    status: 413,
    message: 'The body is too large',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'UNSUPPORTED_MEDIA_TYPE',
    status: 415,
    message: 'Send the body as application/json',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'VALIDATION_FAILED',
    status: 400,
    message: 'Bad Content-Length',
  },
  FST_REQ_FILE_TOO_LARGE: {
    code: 'PAYLOAD_TOO_LARGE',
    status: 413,
    message: 'The file is too large',
  },
  FST_PARTS_LIMIT: { code: 'PAYLOAD_TOO_LARGE', status: 413, message: 'Too many parts' },
  FST_FILES_LIMIT: { code: 'PAYLOAD_TOO_LARGE', status: 413, message: 'Too many files' },
  FST_INVALID_MULTIPART_CONTENT_TYPE: {
    code: 'UNSUPPORTED_MEDIA_TYPE',
    status: 415,
    message: 'Send the file as multipart/form-data',
  },
};

export function toErrorBody(
  code: ErrorCode,
  message: string,
  details: Record<string, unknown> = {},
): ErrorBody {
  return { error: { code, message, details } };
}

/**
 * One error shape for every failure. Expected failures keep their status; anything unknown
 * is logged with the request id and answered as a generic 500 that leaks nothing.
 */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof AppError) {
      if (err.status === 429 && err.details.retryAfterSeconds) {
        void reply.header('retry-after', String(err.details.retryAfterSeconds));
      }
      return reply.status(err.status).send(err.toBody());
    }
    if (err.validation) {
      const issues = describeValidation(err);
      const first = issues[0];
      const message = first ? `${first.field} ${first.problem}` : 'The request is invalid';
      return reply.status(400).send(toErrorBody('VALIDATION_FAILED', message, { issues }));
    }
    const known = err.code ? fastifyCodes[err.code] : undefined;
    if (known) return reply.status(known.status).send(toErrorBody(known.code, known.message));
    if (err.statusCode === 429) {
      return reply
        .status(429)
        .send(toErrorBody('RATE_LIMITED', err.message || 'Too many requests, slow down'));
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      request.log.info({ err }, 'client error');
      return reply
        .status(err.statusCode)
        .send(toErrorBody(err.statusCode === 404 ? 'NOT_FOUND' : 'VALIDATION_FAILED', err.message));
    }
    request.log.error({ err, reqId: request.id }, 'unhandled error');
    return reply
      .status(500)
      .send(toErrorBody('INTERNAL', 'Something went wrong on our side', { requestId: request.id }));
  });
}
