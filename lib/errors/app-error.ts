/**
 * The one error vocabulary of hone. Domain code throws `AppError(code)`; the HTTP layer maps the code to a status
 * with {@link httpStatus}; activities turn non-retryable codes into non-retryable Temporal failures.
 */
const CODES = {
  /** Input failed validation (body, query, spec). */
  VALIDATION_FAILED: { status: 400, retryable: false },
  /** No or unknown credentials. */
  UNAUTHENTICATED: { status: 401, retryable: false },
  /** Credentials valid, but not allowed to do this (scope, role, disabled labeler). */
  FORBIDDEN: { status: 403, retryable: false },
  /** The named record or object does not exist. */
  NOT_FOUND: { status: 404, retryable: false },
  /** The request conflicts with existing state (e.g. same key, different content). */
  CONFLICT: { status: 409, retryable: false },
  /** The target is in a state that does not allow this (e.g. ranking a closed round). */
  INVALID_STATE: { status: 409, retryable: false },
  /** The request body or artifact is larger than allowed. */
  PAYLOAD_TOO_LARGE: { status: 413, retryable: false },
  /** Too many requests; try again later. */
  RATE_LIMITED: { status: 429, retryable: true },
  /** Configuration is missing or malformed (environment, files). */
  CONFIG_INVALID: { status: 500, retryable: false },
  /** A required external service or tool is unavailable (database, Temporal, S3, a binary). */
  DEPENDENCY_UNAVAILABLE: { status: 503, retryable: true },
  /** A bug or an unexpected condition. */
  INTERNAL: { status: 500, retryable: true },
} as const satisfies Record<string, { status: number; retryable: boolean }>;

/** The closed set of error codes. */
export type ErrorCode = keyof typeof CODES;

/** All error codes, for validation and documentation (OpenAPI enums). */
export const ERROR_CODES = Object.keys(CODES) as ErrorCode[];

/** The HTTP status for an error code: the single place this mapping lives. */
export function httpStatus(code: ErrorCode): number {
  return CODES[code].status;
}

/** Whether retrying the same operation may succeed (false = permanent: activities mark it non-retryable). */
export function isRetryable(code: ErrorCode): boolean {
  return CODES[code].retryable;
}

/** Whether a string is one of the {@link ErrorCode}s (e.g. a failure type coming back from Temporal). */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(CODES, value);
}

/** An error with a code from the closed vocabulary, a human message, and optional structured details. */
export class AppError extends Error {
  override readonly name = 'AppError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The HTTP status for this error's code. */
  get status(): number {
    return httpStatus(this.code);
  }

  /** JSON shape used by the HTTP API: `{ error: { code, message, details? } }`. */
  toJSON(): { error: { code: ErrorCode; message: string; details?: Record<string, unknown> } } {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

/** Whether a value is an {@link AppError} (also across module copies, by shape). */
export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError || (e instanceof Error && e.name === 'AppError' && isErrorCode((e as { code?: unknown }).code));
}
