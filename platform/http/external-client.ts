import { Agent, request as undiciRequest } from 'undici';
import { AppError } from '../errors.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Logger } from '../logger.ts';

// The one HTTP client for external systems (CMS bridges, CSSM, CUCM, BroadWorks): keep-alive
// connections, timeouts, Basic or Bearer auth, optional acceptance of self-signed certificates
// (bridges ship them), a metric per call and a hook that sees every exchange (the API traces).

export type ExternalExchange = {
  system: string;
  method: string;
  url: string;
  requestHeaders: Record<string, string>;
  requestBody: string | undefined;
  status: number | null;
  responseHeaders: Record<string, string>;
  responseBody: string;
  durationMs: number;
  error?: string;
};

export type ExternalRequest = {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
};

export type ExternalResponse = { status: number; headers: Record<string, string>; body: string };

export type ExternalClientOptions = {
  system: string;
  metrics?: Metrics;
  logger?: Logger;
  auth?: { type: 'basic'; username: string; password: string } | { type: 'bearer'; token: string };
  /** Accept self-signed or otherwise unverifiable TLS certificates (lab, bridges with their own). */
  insecureTls?: boolean;
  timeoutMs?: number;
  onExchange?: (exchange: ExternalExchange) => void;
};

export type ExternalClient = {
  request(req: ExternalRequest): Promise<ExternalResponse>;
  close(): Promise<void>;
};

export function createExternalClient(options: ExternalClientOptions): ExternalClient {
  const dispatcher = new Agent({
    keepAliveTimeout: 10_000,
    connect: { rejectUnauthorized: !options.insecureTls },
  });
  const defaultTimeout = options.timeoutMs ?? 15_000;

  return {
    async request(req) {
      const headers: Record<string, string> = { ...(req.headers ?? {}) };
      if (options.auth?.type === 'basic') {
        headers.authorization = `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}`;
      } else if (options.auth?.type === 'bearer') {
        headers.authorization = `Bearer ${options.auth.token}`;
      }
      const started = performance.now();
      const timeoutMs = req.timeoutMs ?? defaultTimeout;
      let status: number | null = null;
      let responseHeaders: Record<string, string> = {};
      let responseBody = '';
      try {
        const response = await undiciRequest(req.url, {
          method: req.method,
          headers,
          body: req.body,
          dispatcher,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
          signal: AbortSignal.timeout(timeoutMs),
        });
        status = response.statusCode;
        responseHeaders = Object.fromEntries(
          Object.entries(response.headers).map(([key, value]) => [key, Array.isArray(value) ? value.join(', ') : String(value ?? '')]),
        );
        responseBody = await response.body.text();
        options.metrics?.externalCalls.inc({ system: options.system, status: String(status) });
        return { status, headers: responseHeaders, body: responseBody };
      } catch (error) {
        options.metrics?.externalCalls.inc({ system: options.system, status: 'error' });
        const reason = describeNetworkError(error);
        options.onExchange?.({ system: options.system, method: req.method, url: req.url, requestHeaders: headers, requestBody: req.body, status: null, responseHeaders: {}, responseBody: '', durationMs: performance.now() - started, error: reason });
        throw new AppError('UPSTREAM_UNREACHABLE', `${options.system} at ${new URL(req.url).host} did not answer: ${reason}`, { system: options.system, url: req.url, reason });
      } finally {
        if (status !== null) {
          options.onExchange?.({ system: options.system, method: req.method, url: req.url, requestHeaders: headers, requestBody: req.body, status, responseHeaders, responseBody, durationMs: performance.now() - started });
        }
      }
    },
    close: () => dispatcher.close(),
  };
}

function describeNetworkError(error: unknown): string {
  const err = error as { code?: string; cause?: { code?: string; message?: string }; name?: string; message?: string };
  const code = err.code ?? err.cause?.code;
  if (err.name === 'TimeoutError' || err.name === 'AbortError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'timed out';
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'name not resolved';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection reset';
  if (code && code.startsWith('ERR_TLS') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'SELF_SIGNED_CERT_IN_CHAIN') return `TLS: ${code}`;
  return err.message ?? String(error);
}
