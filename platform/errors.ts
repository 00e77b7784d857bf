// The one error type. Services throw AppError with a code; only platform/http/error-handler.ts
// turns a code into an HTTP status, and only the CLI turns it into an exit code.
export const errorStatus = {
  VALIDATION_FAILED: 400,
  /** 413, as HTTP and Webex answer it (SWITCHBOARD_BODY_LIMIT_BYTES). */
  BODY_TOO_LARGE: 413,
  /** The URL or one of its path parameters is too long (Fastify's maxParamLength). */
  URI_TOO_LONG: 414,
  /** Request line and headers over Node's 16 KiB limit. */
  HEADERS_TOO_LARGE: 431,
  /** The request did not arrive in time (Node's headers/request timeout). */
  REQUEST_TIMEOUT: 408,
  MALFORMED_JSON: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  CSRF_TOKEN_INVALID: 403,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  ALREADY_EXISTS: 409,
  INVALID_STATE: 409,
  /** It existed but is gone for good (a change-feed position older than what is kept). */
  GONE: 410,
  /**
   * An external system the caller pointed us at (a bridge) answered, but refused the credentials or
   * account the caller gave for it (401/403): the caller's to fix, so a 4xx — not a gateway error.
   */
  UPSTREAM_REFUSED_CREDENTIALS: 422,
  /**
   * A server's TLS certificate is not signed by a trusted CA (system CAs plus SWITCHBOARD_TLS_CA_FILE)
   * and the operator has not pinned it: the details carry it, to be confirmed by its fingerprint.
   */
  CERTIFICATE_NOT_TRUSTED: 422,
  /** A server presents another certificate than the one pinned for it: nothing is sent until the operator accepts it. */
  CERTIFICATE_CHANGED: 409,
  RATE_LIMITED: 429,
  /** An external system (bridge, cloud, CSSM) failed or answered something we cannot use. */
  UPSTREAM_FAILED: 502,
  UPSTREAM_UNREACHABLE: 504,
  SERVICE_UNAVAILABLE: 503,
  /** Configuration cannot be loaded; raised at start, never in a request. */
  CONFIG_INVALID: 500,
  /** Another process owns the embedded data directory. */
  DATA_DIR_LOCKED: 500,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return errorStatus[this.code];
  }
}

export const notFound = (entity: string, id: string | number) =>
  new AppError('NOT_FOUND', `${entity} ${id} does not exist.`, { entity, id });
