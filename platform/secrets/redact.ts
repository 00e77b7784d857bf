// Which fields are secrets is a product decision, made here once: logs (through pino's redact
// paths), audit records and API responses all use this list.
export const SECRET_FIELD_PATTERN = /(password|passwd|secret|passcode|pin|token|apikey|api_key|authorization|cookie|privatekey|credential)/i;

export const MASK = '*****';

export function isSecretField(name: string): boolean {
  return SECRET_FIELD_PATTERN.test(name);
}

/** A deep copy with every secret-named field replaced by the mask (null/absent stay as they are). */
export function redactSecrets<T>(value: T): T {
  return redactValue(value, 0) as T;
}

function redactValue(value: unknown, depth: number): unknown {
  if (depth > 12 || value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    if (isSecretField(key) && inner !== null && inner !== undefined && typeof inner !== 'boolean') {
      out[key] = MASK;
    } else {
      out[key] = redactValue(inner, depth + 1);
    }
  }
  return out;
}

const secretKeys = [
  'password', 'newPassword', 'currentPassword', 'secret', 'clientSecret', 'client_secret', 'passcode',
  'token', 'apiToken', 'accessToken', 'access_token', 'refreshToken', 'authorization', 'cookie',
  'provisioningPassword', 'adminPassword', 'platformPassword', 'privateKey', 'secretKey',
];

/** pino redact paths: the secret keys at the top level and up to three levels down. */
export const logRedactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  ...secretKeys.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`]),
];
