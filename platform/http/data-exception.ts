/**
 * A PostgreSQL data exception (SQLSTATE class 22: a date, number or text its column cannot hold, e.g.
 * 22008 datetime field overflow, 22003 numeric value out of range, 22007 invalid datetime format,
 * 22P02 invalid text representation) under `error` or its causes (drizzle wraps the driver's error).
 * Every value a route takes is checked by its schema first (platform/http/inputs.ts); one that still
 * reaches the database this way came from the caller, so the error handlers answer it with a 400
 * VALIDATION_FAILED and log it at warn — never a 500 (#13).
 */
export function dataException(error: unknown): { code: string; message: string } | undefined {
  let current = error as { code?: unknown; severity?: unknown; message?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; current && typeof current === 'object' && depth < 5; depth++, current = current.cause as typeof current) {
    if (typeof current.code === 'string' && /^22[0-9A-Z]{3}$/.test(current.code) && typeof current.severity === 'string') {
      return { code: current.code, message: String(current.message) };
    }
  }
  return undefined;
}
