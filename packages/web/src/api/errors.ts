/** The one error shape of the API, `{ error: { code, message, details } }`, as a thrown value. */
export class ApiError extends Error {
  constructor(
    /** A stable code (`OUT_OF_STOCK`), or `NETWORK` when the server could not be reached. */
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Messages by form field (`shippingAddress.phone`), from `details.field` / `details.issues`. */
  get fieldErrors(): Record<string, string> {
    return fieldErrorsOf(this.details, this.message);
  }
}

/** `body.shippingAddress.phone` → `shippingAddress.phone`; `header.idempotency-key` stays. */
export function fieldName(path: string): string {
  return path.replace(/^(body|querystring|params)\./, '');
}

export function fieldErrorsOf(
  details: Record<string, unknown>,
  message: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  const issues = details.issues;
  if (Array.isArray(issues)) {
    for (const issue of issues) {
      if (typeof issue !== 'object' || issue === null) continue;
      const { field, problem } = issue as { field?: unknown; problem?: unknown };
      if (typeof field !== 'string') continue;
      const name = fieldName(field);
      out[name] ??= typeof problem === 'string' ? problem : message;
    }
  }
  if (typeof details.field === 'string') out[fieldName(details.field)] ??= message;
  return out;
}

/** Reads an error answer; anything that is not our shape becomes a generic error with its status. */
export async function apiErrorFrom(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // not JSON (a proxy's HTML page, an empty body)
  }
  const error = (
    body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null
  )?.error;
  if (error && typeof error.code === 'string') {
    const details =
      typeof error.details === 'object' && error.details !== null
        ? (error.details as Record<string, unknown>)
        : {};
    return new ApiError(
      error.code,
      typeof error.message === 'string' ? error.message : error.code,
      response.status,
      details,
    );
  }
  const code =
    response.status >= 500 ? 'INTERNAL' : response.status === 404 ? 'NOT_FOUND' : 'HTTP_ERROR';
  return new ApiError(code, `HTTP ${response.status}`, response.status);
}
