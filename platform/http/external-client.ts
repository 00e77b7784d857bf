import { X509Certificate } from 'node:crypto';
import tls, { type TLSSocket } from 'node:tls';
import { Agent, ProxyAgent, buildConnector, request as undiciRequest, type Dispatcher } from 'undici';
import { AppError } from '../errors.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Logger } from '../logger.ts';

// The one HTTP client for external systems (CMS bridges, CSSM, CUCM, BroadWorks): keep-alive
// connections, timeouts, Basic or Bearer auth, a TLS policy per connector (CA validation with the
// operator's CA bundle, a pinned certificate, pinning on first use, or the explicit insecure escape
// hatch), an optional HTTP proxy (CSSM behind a customer's proxy, with optional Basic
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
  /** How an HTTPS server's certificate is trusted; default `{ mode: 'ca' }`. */
  tls?: TlsPolicy;
  /** The operator's CA bundle (PEM, `config.tlsCa` from SWITCHBOARD_TLS_CA_FILE), trusted besides the system CAs. */
  ca?: string;
  timeoutMs?: number;
  proxy?: ExternalProxy | null;
  onExchange?: (exchange: ExternalExchange) => void;
};

/**
 * - `ca`: the certificate must chain to a system CA or one of the operator's bundle and name the host.
 * - `pinned`: the leaf certificate's SHA-256 fingerprint must be this one, on every connection (CA,
 *   host name and dates do not matter: the operator said this certificate is the server's).
 * - `first-use`: the first certificate seen is accepted and `onFirstUse` (awaited before any request
 *   is written) records it; for the client's life the following ones must then be CA-valid (the first
 *   was) or that same certificate (it was not).
 * - `insecure`: any certificate; only where the operator chose it.
 * A failed check ends the connection before the request (and its credentials) is written.
 */
export type TlsPolicy =
  | { mode: 'ca' }
  | { mode: 'pinned'; fingerprint: string }
  | { mode: 'first-use'; onFirstUse: (certificate: PeerCertificate) => Promise<void> | void }
  | { mode: 'insecure' };

/** What a server's leaf certificate says; `fingerprint` is SHA-256, upper-case hex pairs joined by colons. */
export type PeerCertificate = {
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  fingerprint: string;
  subjectAltName: string | null;
  selfSigned: boolean;
  /** Whether it validates against the CA set (system CAs + bundle) for the host it was reached at. */
  trusted: boolean;
  /** Why not (`DEPTH_ZERO_SELF_SIGNED_CERT`, `ERR_TLS_CERT_ALTNAME_INVALID`, …); null when trusted. */
  trustError: string | null;
};

/** What is kept of a certificate beside a pin (a jsonb column), and shown to the operator. */
export type CertificateSummary = Pick<PeerCertificate, 'subject' | 'issuer' | 'validFrom' | 'validTo' | 'fingerprint' | 'trusted' | 'trustError'>;

export const certificateSummary = (c: PeerCertificate | CertificateSummary): CertificateSummary => ({ subject: c.subject, issuer: c.issuer, validFrom: c.validFrom, validTo: c.validTo, fingerprint: c.fingerprint, trusted: c.trusted, trustError: c.trustError });

export type ExternalProxy = { host: string; port: number; username?: string | null; password?: string | null };

/** Why a call got no answer; in `details.network` of the UPSTREAM_UNREACHABLE error. */
export type NetworkFailure = 'refused' | 'timeout' | 'unknown-host' | 'reset' | 'tls' | 'proxy-refused' | 'other';

export type ExternalClient = {
  request(req: ExternalRequest): Promise<ExternalResponse>;
  close(): Promise<void>;
};

export function createExternalClient(options: ExternalClientOptions): ExternalClient {
  const policy = options.tls ?? { mode: 'ca' };
  const proxy = options.proxy;
  const ca = caSet(options.ca);
  let dispatcher: Dispatcher;
  if (proxy) {
    // undici builds the tunnelled TLS connection itself: only CA validation (or none) can be asked of it.
    if (policy.mode === 'pinned' || policy.mode === 'first-use') throw new Error(`A ${policy.mode} certificate cannot be checked through a proxy`);
    dispatcher = new ProxyAgent({
      uri: `http://${proxy.host.includes(':') ? `[${proxy.host}]` : proxy.host}:${proxy.port}`,
      token: proxy.username ? `Basic ${Buffer.from(`${proxy.username}:${proxy.password ?? ''}`).toString('base64')}` : undefined,
      requestTls: policy.mode === 'insecure' ? { rejectUnauthorized: false } : { ca },
      keepAliveTimeout: 10_000,
    });
  } else {
    dispatcher = new Agent({ keepAliveTimeout: 10_000, connect: checkingConnector(options.system, policy, options.ca) });
  }
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
        const certificateError = certificateErrorOf(error);
        if (certificateError) {
          options.onExchange?.({ system: options.system, method: req.method, url: req.url, requestHeaders: headers, requestBody: req.body, status: null, responseHeaders: {}, responseBody: '', durationMs: performance.now() - started, error: certificateError.message });
          throw certificateError;
        }
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

/**
 * The system CAs plus the operator's bundle: Node's `ca` replaces the defaults, so they are given
 * too. Undefined without a bundle (Node's own default store, parsed once). The list is kept per
 * bundle so every connection shares it.
 */
const caSets = new Map<string, string[]>();
function caSet(bundle: string | undefined): string[] | undefined {
  if (!bundle) return undefined;
  let set = caSets.get(bundle);
  if (!set) caSets.set(bundle, (set = [...tls.rootCertificates, bundle]));
  return set;
}
const secureContexts = new Map<string, tls.SecureContext>();
/** One TLS context per bundle, shared by every connection (building one parses every CA). */
function secureContextFor(bundle: string | undefined): tls.SecureContext | undefined {
  if (!bundle) return undefined;
  let context = secureContexts.get(bundle);
  if (!context) secureContexts.set(bundle, (context = tls.createSecureContext({ ca: caSet(bundle) })));
  return context;
}

/** `ab:cd…`, `ABCD…`, with or without spaces → `AB:CD:…`; null when it is not 32 bytes of hex. */
export function normalizeFingerprint(value: string): string | null {
  const hex = value.replace(/[\s:]/g, '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) return null;
  return hex.match(/../g)!.join(':');
}

function describeCertificate(socket: TLSSocket): PeerCertificate | null {
  const raw = socket.getPeerX509Certificate?.();
  if (!raw) return null;
  return certificateInfo(raw, socket.authorized, socket.authorized ? null : String(socket.authorizationError ?? 'UNTRUSTED'));
}

function certificateInfo(cert: X509Certificate, trusted: boolean, trustError: string | null): PeerCertificate {
  const line = (dn: string) => dn.split('\n').filter(Boolean).join(', ');
  return {
    subject: line(cert.subject),
    issuer: line(cert.issuer),
    validFrom: new Date(cert.validFrom).toISOString(),
    validTo: new Date(cert.validTo).toISOString(),
    fingerprint: cert.fingerprint256,
    subjectAltName: cert.subjectAltName ?? null,
    selfSigned: cert.subject === cert.issuer && cert.checkIssued(cert),
    trusted,
    trustError,
  };
}

const CERTIFICATE_ERROR = Symbol('certificate error');

function certificateErrorOf(error: unknown): AppError | undefined {
  for (let e = error as { cause?: unknown; [CERTIFICATE_ERROR]?: AppError } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (e[CERTIFICATE_ERROR]) return e[CERTIFICATE_ERROR];
    if (e instanceof AppError && (e.code === 'CERTIFICATE_CHANGED' || e.code === 'CERTIFICATE_NOT_TRUSTED')) return e;
  }
  return undefined;
}

/**
 * undici's connector with the policy checked once the handshake is done and before undici writes the
 * request: every check is ours (rejectUnauthorized off), so a refusal carries the certificate seen.
 * No TLS sessions are resumed: each connection shows its certificate again.
 */
function checkingConnector(system: string, policy: TlsPolicy, bundle: string | undefined): buildConnector.connector {
  const secureContext = secureContextFor(bundle);
  const connect = buildConnector({ rejectUnauthorized: false, ...(secureContext ? { secureContext } : {}), maxCachedSessions: 0 });
  let firstUse: 'ca' | string | null = null;
  return (opts, callback) =>
    connect(opts, (error, socket) => {
      if (error || !socket || opts.protocol !== 'https:' || policy.mode === 'insecure') return (callback as (e: Error | null, s: typeof socket | null) => void)(error, socket);
      const refuse = (appError: AppError) => {
        socket.destroy();
        const wrapped = Object.assign(new Error(appError.message), { [CERTIFICATE_ERROR]: appError });
        (callback as (e: Error, s: null) => void)(wrapped, null);
      };
      const certificate = describeCertificate(socket as TLSSocket);
      const host = opts.port ? `${opts.hostname}:${opts.port}` : opts.hostname;
      if (!certificate) return refuse(new AppError('CERTIFICATE_NOT_TRUSTED', `${system} at ${host} presented no certificate.`, { system, host }));
      if (policy.mode === 'pinned') {
        if (certificate.fingerprint === normalizeFingerprint(policy.fingerprint)) return callback(null, socket);
        return refuse(new AppError('CERTIFICATE_CHANGED', `${system} at ${host} presented a certificate other than the one pinned for it (pinned ${normalizeFingerprint(policy.fingerprint)}, presented ${certificate.fingerprint}); nothing was sent. Accept the new certificate if it is the server's.`, { system, host, pinnedFingerprint: normalizeFingerprint(policy.fingerprint), certificate }));
      }
      if (policy.mode === 'ca') {
        if (certificate.trusted) return callback(null, socket);
        return refuse(new AppError('CERTIFICATE_NOT_TRUSTED', `${system} at ${host} presented a certificate no trusted CA vouches for (${certificate.trustError}): ${certificate.subject}, SHA-256 ${certificate.fingerprint}.`, { system, host, certificate }));
      }
      // first-use: the first certificate decides, for the client's life, what the following ones must be.
      if (firstUse === null) {
        return Promise.resolve(policy.onFirstUse(certificate)).then(
          () => {
            firstUse = certificate.trusted ? 'ca' : certificate.fingerprint;
            callback(null, socket);
          },
          (failure: unknown) => refuse(failure instanceof AppError ? failure : new AppError('CERTIFICATE_NOT_TRUSTED', `${system} at ${host}: the certificate could not be pinned: ${(failure as Error).message}`, { system, host, certificate })),
        );
      }
      if (firstUse === 'ca' ? certificate.trusted : certificate.fingerprint === firstUse) return callback(null, socket);
      return refuse(new AppError('CERTIFICATE_CHANGED', `${system} at ${host} presented a certificate other than the one accepted at first contact (${firstUse === 'ca' ? 'CA-signed' : firstUse}, presented ${certificate.fingerprint}); nothing was sent.`, { system, host, pinnedFingerprint: firstUse === 'ca' ? null : firstUse, certificate }));
    });
}

/**
 * The certificate to pin when an operator adds an HTTPS peer (#14, trust on first use): one a trusted
 * CA vouches for, or the one whose fingerprint the operator confirmed; otherwise 422
 * CERTIFICATE_NOT_TRUSTED carrying it to be shown, so the operator confirms it and adds the peer again.
 * Only a TLS handshake reaches the peer. `peer` names it in the message ("the publisher at host");
 * `confirmHow` says what to do with the fingerprint; `details` go into the error as they are.
 */
export async function certificateToTrust(certificate: PeerCertificate, options: { trustFingerprint: string | undefined; peer: string; confirmHow: string; details: Record<string, unknown> }): Promise<PeerCertificate> {
  if (certificate.trusted) return certificate;
  const { trustFingerprint, peer, details } = options;
  const confirmed = trustFingerprint === undefined ? undefined : normalizeFingerprint(trustFingerprint);
  if (confirmed === certificate.fingerprint) return certificate;
  const withCertificate = { ...details, certificate: certificateSummary(certificate) };
  if (trustFingerprint !== undefined) {
    throw new AppError('CERTIFICATE_NOT_TRUSTED', `${peer} presents the certificate with SHA-256 fingerprint ${certificate.fingerprint}, not the one confirmed (${confirmed ?? trustFingerprint}). Nothing was sent to it.`, { ...withCertificate, confirmedFingerprint: confirmed ?? trustFingerprint });
  }
  throw new AppError('CERTIFICATE_NOT_TRUSTED', `No trusted CA vouches for the certificate of ${peer} (${certificate.trustError}): ${certificate.subject}, issued by ${certificate.issuer}, valid ${certificate.validFrom.slice(0, 10)} to ${certificate.validTo.slice(0, 10)}, SHA-256 ${certificate.fingerprint}. ${options.confirmHow}`, withCertificate);
}

/**
 * Reads a server's certificate without trusting it and without sending anything but the TLS
 * handshake (no request, no credentials): what an operator is shown before pinning it. `trusted`
 * says whether the CA set vouches for it at this host. Network failures are UPSTREAM_UNREACHABLE.
 */
export async function probeCertificate(url: string, options: { system: string; ca?: string; timeoutMs?: number }): Promise<PeerCertificate> {
  const target = new URL(url);
  if (target.protocol !== 'https:') throw new AppError('VALIDATION_FAILED', `${url} is not an https:// address: it has no certificate.`, { url });
  const hostname = target.hostname.replace(/^\[|\]$/g, '');
  const port = Number(target.port || 443);
  return new Promise<PeerCertificate>((resolve, reject) => {
    const socket = tls.connect({ host: hostname, port, servername: /^[\d.]+$|:/.test(hostname) ? undefined : hostname, rejectUnauthorized: false, secureContext: secureContextFor(options.ca), ALPNProtocols: ['http/1.1'] });
    const timer = setTimeout(() => socket.destroy(Object.assign(new Error('timed out'), { name: 'TimeoutError' })), options.timeoutMs ?? 10_000);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const certificate = describeCertificate(socket);
      socket.end();
      if (!certificate) reject(new AppError('CERTIFICATE_NOT_TRUSTED', `${options.system} at ${target.host} presented no certificate.`, { system: options.system, host: target.host }));
      else resolve(certificate);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      const { network, reason } = describeNetworkError(error);
      reject(new AppError('UPSTREAM_UNREACHABLE', `${options.system} at ${target.host} did not answer: ${reason}`, { system: options.system, url, reason, network }));
    });
  });
}
