import { CliError, USAGE_EXIT_CODE } from './cli-error.ts';

// The one HTTP client of the CLI: every command that talks to a running Switchboard goes through
// it, so errors, the bearer token and timeouts are handled once.

export type QueryValue = string | number | boolean | null | undefined | ReadonlyArray<string | number>;

export type RequestOptions = {
  query?: Record<string, QueryValue>;
  body?: unknown;
  headers?: Record<string, string>;
};

export type ApiResponse<T> = { status: number; headers: Headers; body: T };

export type ApiClient = {
  /** The server's base URL, without a trailing slash. */
  url: string;
  /** The whole response (status, headers, parsed body); throws CliError for any non-2xx. */
  send<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  request<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<T>;
  get<T = unknown>(path: string, query?: Record<string, QueryValue>): Promise<T>;
  post<T = unknown>(path: string, body?: unknown): Promise<T>;
  patch<T = unknown>(path: string, body?: unknown): Promise<T>;
  delete<T = unknown>(path: string): Promise<T>;
};

type ErrorEnvelope = { error: { code: string; message: string; details?: unknown; trackingId?: string } };

const isEnvelope = (value: unknown): value is ErrorEnvelope =>
  typeof value === 'object' && value !== null && typeof (value as ErrorEnvelope).error?.code === 'string' && typeof (value as ErrorEnvelope).error?.message === 'string';

/** Checks and normalises a server URL given by the user (flag, env or credentials file). */
export function normaliseServerUrl(raw: string): string {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new CliError('INVALID_URL', `"${raw}" is not a URL.`, { exitCode: USAGE_EXIT_CODE, hint: 'Give the server\'s address, e.g. http://localhost:8080.' });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new CliError('INVALID_URL', `"${raw}" is not an http(s) URL.`, { exitCode: USAGE_EXIT_CODE, hint: 'Give the server\'s address, e.g. http://localhost:8080.' });
  }
  return parsed.toString().replace(/\/+$/, '');
}

// Node's fetch reports network failures as TypeError('fetch failed') with the socket error as cause
// (an AggregateError when every address of a name was tried).
function networkErrorCause(error: unknown): { code?: string; message?: string } {
  const cause = (error as { cause?: { code?: string; message?: string; errors?: Array<{ code?: string }> } })?.cause;
  return { code: cause?.code ?? cause?.errors?.find((e) => e.code)?.code, message: cause?.message };
}

function unreachable(url: string, error: unknown, timeoutMs: number): CliError {
  const hint = 'Is the server running? Check SWITCHBOARD_URL or sign in again with `switchboard login --url <url>`.';
  if ((error as Error)?.name === 'TimeoutError') {
    return new CliError('UNREACHABLE', `Switchboard at ${url} did not answer within ${Math.round(timeoutMs / 1000)} s.`, { hint });
  }
  const { code, message } = networkErrorCause(error);
  const reason =
    code === 'ECONNREFUSED' ? 'connection refused'
    : code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'host name not found'
    : code === 'ECONNRESET' ? 'connection reset'
    : code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT' ? 'connection timed out'
    : code ?? (message || (error as Error)?.message || 'network error');
  return new CliError('UNREACHABLE', `Cannot reach Switchboard at ${url}: ${reason}.`, { hint });
}

function appendQuery(target: URL, query: Record<string, QueryValue> | undefined) {
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) for (const item of value) target.searchParams.append(key, String(item));
    else target.searchParams.append(key, String(value));
  }
}

export function createApiClient({ url, token, timeoutMs = 30_000 }: { url: string; token?: string | null; timeoutMs?: number }): ApiClient {
  const base = normaliseServerUrl(url);

  async function send<T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const target = new URL(base + path);
    appendQuery(target, options.query);
    const headers: Record<string, string> = { accept: 'application/json', ...(options.headers ?? {}) };
    if (token) headers.authorization = `Bearer ${token}`;
    let payload: string | undefined;
    if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    let response: Response;
    try {
      response = await fetch(target, { method, headers, body: payload, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      throw unreachable(base, error, timeoutMs);
    }
    const text = await response.text();
    let body: unknown = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    if (!response.ok) {
      if (isEnvelope(body)) {
        const { code, message, details, trackingId } = body.error;
        const hint = code === 'UNAUTHENTICATED' ? 'Sign in with `switchboard login --url <url> --username <name>`, or set SWITCHBOARD_TOKEN.' : null;
        throw new CliError(code, message, { trackingId, details, hint });
      }
      throw new CliError(`HTTP_${response.status}`, `${method} ${target.pathname} answered HTTP ${response.status} ${response.statusText} without an error body.`, {
        hint: `Is ${base} a Switchboard server?`,
      });
    }
    if (typeof body === 'string' && response.headers.get('content-type')?.includes('json') !== true && text && method !== 'HEAD') {
      throw new CliError('UNEXPECTED_RESPONSE', `${method} ${target.pathname} answered with something that is not JSON.`, { hint: `Is ${base} a Switchboard server?` });
    }
    return { status: response.status, headers: response.headers, body: body as T };
  }

  const request = async <T>(method: string, path: string, options?: RequestOptions) => (await send<T>(method, path, options)).body;

  return {
    url: base,
    send,
    request,
    get: (path, query) => request('GET', path, { query }),
    post: (path, body) => request('POST', path, { body: body ?? {} }),
    patch: (path, body) => request('PATCH', path, { body: body ?? {} }),
    delete: (path) => request('DELETE', path),
  };
}
