import { Agent, ProxyAgent, request, type Dispatcher } from 'undici';
import { AppError } from '../platform/errors.ts';
import type { Metrics } from '../platform/observability/metrics.ts';

// The licensing connectors' HTTP: one keep-alive dispatcher per target (direct or through an
// HTTP/HTTPS proxy with optional authentication), a timeout, and a metric per call.
export type HttpResponse = { status: number; headers: Record<string, string>; body: string };
export type LicensingHttp = {
  call(args: { method: 'GET' | 'POST' | 'PUT'; url: string; headers?: Record<string, string>; body?: string; timeoutMs?: number }): Promise<HttpResponse>;
  close(): Promise<void>;
};
export type ProxySettings = { host: string; port: number; username?: string | null; password?: string | null };

export class NetworkError extends Error {
  readonly reason: 'refused' | 'timeout' | 'unknown-host' | 'reset' | 'other';
  constructor(reason: NetworkError['reason'], message: string) {
    super(message);
    this.reason = reason;
  }
}

export function createLicensingHttp(options: { system: 'cssm' | 'cucm' | 'cuc'; metrics?: Metrics; proxy?: ProxySettings | null; insecureTls?: boolean; timeoutMs?: number }): LicensingHttp {
  const tls = { rejectUnauthorized: !options.insecureTls };
  const dispatcher: Dispatcher = options.proxy
    ? new ProxyAgent({
        uri: `http://${options.proxy.host}:${options.proxy.port}`,
        token: options.proxy.username ? `Basic ${Buffer.from(`${options.proxy.username}:${options.proxy.password ?? ''}`).toString('base64')}` : undefined,
        requestTls: tls,
      })
    : new Agent({ keepAliveTimeout: 10_000, connect: tls });
  return {
    async call({ method, url, headers, body, timeoutMs }) {
      const timeout = timeoutMs ?? options.timeoutMs ?? 30_000;
      try {
        const response = await request(url, { method, headers, body, dispatcher, headersTimeout: timeout, bodyTimeout: timeout, signal: AbortSignal.timeout(timeout) });
        const text = await response.body.text();
        options.metrics?.externalCalls.inc({ system: options.system, status: String(response.statusCode) });
        const flat: Record<string, string> = {};
        for (const [k, v] of Object.entries(response.headers)) flat[k] = Array.isArray(v) ? v.join(', ') : String(v ?? '');
        return { status: response.statusCode, headers: flat, body: text };
      } catch (error) {
        options.metrics?.externalCalls.inc({ system: options.system, status: 'error' });
        throw toNetworkError(error);
      }
    },
    close: () => dispatcher.close(),
  };
}

function toNetworkError(error: unknown): NetworkError {
  const err = error as { code?: string; name?: string; message?: string; cause?: { code?: string } };
  const code = err.code ?? err.cause?.code;
  if (err.name === 'TimeoutError' || err.name === 'AbortError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return new NetworkError('timeout', 'timed out');
  if (code === 'ECONNREFUSED') return new NetworkError('refused', 'connection refused');
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new NetworkError('unknown-host', 'host name not resolved');
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return new NetworkError('reset', 'connection reset');
  return new NetworkError('other', err.message ?? String(error));
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;
