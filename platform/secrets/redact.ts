// Which fields are secrets is a product decision, made here once: logs (redactLogObject and pino's
// redact paths), audit records and API responses all use this list.
export const SECRET_FIELD_PATTERN = /(password|passwd|secret|passcode|token|apikey|api_key|authorization|cookie|privatekey|credential)/i;
/** A PIN as a word of the key (pin, hostPin, guest_pin, pinCode, PIN), not ping/mapping/spinner. */
const PIN_FIELD_PATTERN = /(?:^|[^a-zA-Z]|(?<=[a-z]))(?:pin|Pin|PIN)(?![a-z])/;

export const MASK = '*****';

export function isSecretField(name: string): boolean {
  return SECRET_FIELD_PATTERN.test(name) || PIN_FIELD_PATTERN.test(name);
}

/** A deep copy with every secret-named field replaced by the mask (null/absent stay as they are). */
export function redactSecrets<T>(value: T): T {
  return redactValue(value, 0) as T;
}

/**
 * The same masking for a log line's object, at any depth and for every secret-named key (pino's
 * redact paths only know listed keys, three levels down). It goes through plain objects and arrays
 * only, so errors, buffers and other instances reach pino's serializers untouched.
 */
export function redactLogObject<T extends object>(value: T): T {
  return redactValue(value, 0, true) as T;
}

function redactValue(value: unknown, depth: number, plainOnly = false): unknown {
  if (depth > 12 || value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1, plainOnly));
  if (plainOnly && Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    if (isSecretField(key) && inner !== null && inner !== undefined && typeof inner !== 'boolean') {
      out[key] = MASK;
    } else {
      out[key] = redactValue(inner, depth + 1, plainOnly);
    }
  }
  return out;
}

const secretKeys = [
  'password', 'newPassword', 'currentPassword', 'secret', 'clientSecret', 'client_secret', 'passcode',
  'token', 'apiToken', 'accessToken', 'access_token', 'refreshToken', 'authorization', 'cookie',
  'provisioningPassword', 'adminPassword', 'platformPassword', 'privateKey', 'secretKey',
];

/**
 * pino redact paths, for what the log formatter does not see: serialized request/response headers
 * and child-logger bindings. Deeper keys are masked by redactLogObject; wildcard paths are left out
 * on purpose, as pino's redaction throws on a Buffer met under a wildcard.
 */
export const logRedactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  ...secretKeys,
];

/**
 * A request URL fit for a log line: a path parameter with a secret name (`/cdr/:bridgeId/:token`,
 * `/activate/:token`) and a query parameter with one (`?token=`) are masked. The route's pattern
 * says which path segment is which parameter; without one (no route matched) only the query is masked.
 */
export function redactUrl(url: string, routePattern?: string): string {
  const at = url.indexOf('?');
  const path = at < 0 ? url : url.slice(0, at);
  const pattern = routePattern?.split('/') ?? [];
  const wildcard = pattern.indexOf('*');
  const segments = path.split('/').map((segment, i) => {
    const name = (wildcard < 0 || i < wildcard) && pattern[i] ? /^:(\w+)/.exec(pattern[i]!)?.[1] : undefined;
    return name && isSecretField(name) ? MASK : segment;
  });
  if (at < 0) return segments.join('/');
  const query = url
    .slice(at + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      let key = pair.slice(0, eq);
      try {
        key = decodeURIComponent(key.replace(/\+/g, ' '));
      } catch {
        // a key that does not decode is judged as it is
      }
      return isSecretField(key) ? `${pair.slice(0, eq)}=${MASK}` : pair;
    });
  return `${segments.join('/')}?${query.join('&')}`;
}
