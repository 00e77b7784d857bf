import { Agent, ProxyAgent, request as undiciRequest, type Dispatcher } from 'undici';
import { AppError } from '../errors.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Logger } from '../logger.ts';

// The one HTTP client for external systems (CMS bridges, CSSM, CUCM, BroadWorks): keep-alive
// connections, timeouts, Basic or Bearer auth, optional acceptance of self-signed certificates
// (bridges ship them), an optional HTTP proxy (CSSM behind a customer's proxy, with optional Basic
// proxy authentication; HTTPS and HTTP targets alike are tunnelled with CONNECT), a metric per call
// and a hook that sees every exchange (the API traces).

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
  proxy?: ExternalProxy | null;
  onExchange?: (exchange: ExternalExchange) => void;
};

export type ExternalProxy = { host: string; port: number; username?: string | null; password?: string | null };

/** Why a call got no answer; in `details.network` of the UPSTREAM_UNREACHABLE error. */
export type NetworkFailure = 'refused' | 'timeout' | 'unknown-host' | 'reset' | 'tls' | 'proxy-refused' | 'other';

export type ExternalClient = {
  request(req: ExternalRequest): Promise<ExternalResponse>;
  close(): Promise<void>;
};

export function createExternalClient(options: ExternalClientOptions): ExternalClient {
  const tls = { rejectUnauthorized: !options.insecureTls };
  const proxy = options.proxy;
  const dispatcher: Dispatcher = proxy
    ? new ProxyAgent({
        uri: `http://${proxy.host.includes(':') ? `[${proxy.host}]` : proxy.host}:${proxy.port}`,
        token: proxy.username ? `Basic ${Buffer.from(`${proxy.username}:${proxy.password ?? ''}`).toString('base64')}` : undefined,
        requestTls: tls,
        keepAliveTimeout: 10_000,
      })
    : new Agent({ keepAliveTimeout: 10_000, connect: tls });
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
        const { network, reason } = describeNetworkError(error);
        options.onExchange?.({ system: options.system, method: req.method, url: req.url, requestHeaders: headers, requestBody: req.body, status: null, responseHeaders: {}, responseBody: '', durationMs: performance.now() - started, error: reason });
        const via = proxy ? ` (through proxy ${proxy.host}:${proxy.port})` : '';
        throw new AppError('UPSTREAM_UNREACHABLE', `${options.system} at ${new URL(req.url).host} did not answer${via}: ${reason}`, { system: options.system, url: req.url, reason, network });
      } finally {
        if (status !== null) {
          options.onExchange?.({ system: options.system, method: req.method, url: req.url, requestHeaders: headers, requestBody: req.body, status, responseHeaders, responseBody, durationMs: performance.now() - started });
        }
      }
    },
    close: () => dispatcher.close(),
  };
}

function describeNetworkError(error: unknown): { network: NetworkFailure; reason: string } {
  const err = error as { code?: string; cause?: { code?: string; message?: string }; name?: string; message?: string };
  const code = err.code ?? err.cause?.code;
  // undici reports a proxy's refusal of the tunnel (407, 403, 502) as an aborted request.
  const proxyAnswer = /^Proxy response \((\d+)\)/.exec(err.message ?? '');
  if (proxyAnswer) return { network: 'proxy-refused', reason: proxyAnswer[1] === '407' ? 'the proxy refused the credentials (HTTP 407)' : `the proxy refused the connection (HTTP ${proxyAnswer[1]})` };
  if (err.name === 'TimeoutError' || err.name === 'AbortError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return { network: 'timeout', reason: 'timed out' };
  if (code === 'ECONNREFUSED') return { network: 'refused', reason: 'connection refused' };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { network: 'unknown-host', reason: 'name not resolved' };
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return { network: 'reset', reason: 'connection reset' };
  if ((code && code.startsWith('ERR_TLS')) || code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'SELF_SIGNED_CERT_IN_CHAIN') return { network: 'tls', reason: `TLS: ${code}` };
  return { network: 'other', reason: err.message ?? String(error) };
}
