import crypto from 'node:crypto';
import http from 'node:http';
import type { Socket } from 'node:net';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions, RouteOptions } from 'fastify';
import { z } from 'zod';
import { AppError, errorStatus, type ErrorCode } from '../errors.ts';
import { dataException } from './data-exception.ts';

export const errorEnvelope = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).describe('What went wrong, for programs: validation issues, the conflicting entity… `{}` when there is nothing to add'),
      trackingId: z.string(),
    }),
  })
  .meta({ id: 'Error' });

/** An error as the one mapping decides it, before a dialect writes it as a body. */
export type HttpError = { status: number; code: string; message: string; details: Record<string, unknown> };

/**
 * The error body of the APIs under one URL prefix that speak another product's dialect (the
 * Webex-compatible /v1): the status, code and message are decided here, the dialect only writes
 * them — and, where its wire binding demands another status for them (SOAP 1.1: every fault on
 * 500), says which. `request` is absent when Node's HTTP parser refused the request before Fastify saw it.
 */
export type ErrorDialect = {
  prefix: string;
  /** The body's schema, with a meta id: the OpenAPI document references it for every error status. */
  schema: z.ZodType;
  /**
   * The body's media type; default JSON. Another type's `body` returns the serialised text. A
   * function decides it per request (SOAP 1.1 and 1.2 differ); `request` as for `body`.
   */
  contentType?: string | ((request?: FastifyRequest) => string);
  /**
   * The product's paths are case-insensitive (IIS: the TMSBA facade): a request whose path starts
   * with the prefix in any case is routed with that part of its path lower-cased.
   */
  caseInsensitive?: boolean;
  body(error: HttpError, trackingId: string, request?: FastifyRequest): unknown;
  /**
   * The status the dialect's wire binding requires for the mapping's error, when it differs from the
   * mapping's (SOAP 1.1 carries every fault on 500); default the mapping's status. `request` as for `body`.
   */
  status?: (error: HttpError, request?: FastifyRequest) => number;
};

const envelope = (error: HttpError, trackingId: string) => ({ error: { code: error.code, message: error.message, details: error.details, trackingId } });

const asDetails = (details: unknown): Record<string, unknown> =>
  details === undefined || details === null ? {} : typeof details === 'object' && !Array.isArray(details) ? (details as Record<string, unknown>) : { value: details };

const appError = (code: ErrorCode, message: string, details?: unknown): HttpError => ({ status: errorStatus[code], code, message, details: asDetails(details) });

// Fastify's own error codes for a client's mistakes, mapped to ours.
const fastifyClientErrors: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_VALIDATION: 'VALIDATION_FAILED',
};

/** The Fastify route pattern (`/a/:id/*`) as a regular expression over a request path. */
function patternOf(url: string): RegExp {
  const segments = url.split('/').map((s) => (s === '*' ? '.*' : s.includes(':') ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${segments.join('/')}/?$`);
}

/** The documented error statuses of every operation, from what its route definition says it checks. */
const generatedStatuses: Record<number, ErrorCode[]> = {
  400: ['VALIDATION_FAILED', 'MALFORMED_JSON'],
  401: ['UNAUTHENTICATED'],
  403: ['FORBIDDEN', 'CSRF_TOKEN_INVALID'],
  404: ['NOT_FOUND'],
  413: ['BODY_TOO_LARGE'],
  414: ['URI_TOO_LONG'],
  415: ['UNSUPPORTED_MEDIA_TYPE'],
  429: ['RATE_LIMITED'],
  500: ['INTERNAL'],
};

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Error codes a route answers beyond what its definition implies (a service's 409, 410, 502…); documented. */
    errors?: ErrorCode[];
  }
}

/**
 * The one error mapping: every error (a rule's AppError, validation, Fastify's and Node's refusals,
 * an unknown route or method) becomes `{ status, code, message, details }`, then the body of the
 * URL's dialect — the platform envelope by default. The same place documents, per operation, the
 * error statuses its route definition implies.
 */
/**
 * Operations that talk to an external system before they answer (adding or editing a bridge, live
 * meeting control, a directory sync): they can answer its failure (502, 504) or refusal (422).
 */
function upstreamOperation(method: string, url: string): boolean {
  if (method === 'GET' && /\/legs$|\/participants$/.test(url)) return true;
  if (method === 'GET') return false;
  return /^\/api\/v1\/meetings\/(bridges|meetings)(\/|$)/.test(url) || /^\/v1\/broadworks\/enterprises\/[^/]+\/broadworksDirectorySync/.test(url);
}

/** The longest path parameter the router takes (longer: 414). */
export const MAX_PARAM_LENGTH = 500;

export function createErrorHandling(dialects: ErrorDialect[] = []) {
  const dialectFor = (url: string | undefined) =>
    url === undefined ? undefined : dialects.find((d) => (d.caseInsensitive ? url.toLowerCase() : url).startsWith(d.prefix));
  const bodyFor = (url: string | undefined, error: HttpError, trackingId: string, request?: FastifyRequest) =>
    dialectFor(url)?.body(error, trackingId, request) ?? envelope(error, trackingId);

  const contentTypeFor = (url: string | undefined, request?: FastifyRequest) => {
    const type = dialectFor(url)?.contentType;
    return (typeof type === 'function' ? type(request) : type) ?? 'application/json; charset=utf-8';
  };
  const statusFor = (url: string | undefined, error: HttpError, request?: FastifyRequest) => dialectFor(url)?.status?.(error, request) ?? error.status;
  const send = (reply: FastifyReply, request: FastifyRequest, error: HttpError) =>
    reply.status(statusFor(request.url, error, request)).type(contentTypeFor(request.url, request)).send(bodyFor(request.url, error, request.id, request));

  /** Known API paths and their methods, for 405 and its Allow header. */
  const routes: { pattern: RegExp; methods: string[] }[] = [];
  const allowedMethods = (path: string) => {
    const allowed = new Set(routes.filter((r) => r.pattern.test(path)).flatMap((r) => r.methods));
    if (allowed.has('GET')) allowed.add('HEAD');
    return [...allowed].sort();
  };

  function toHttpError(error: FastifyError, request: FastifyRequest): HttpError {
    if (error instanceof AppError) {
      if (error.status >= 500) request.log.error({ err: error }, error.message);
      return appError(error.code, error.message, error.details);
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issues = error.validation.map((v) => ({
        location: error.validationContext,
        path: v.instancePath.replace(/^\//, '').replace(/\//g, '.'),
        message: v.message,
        code: v.keyword,
      }));
      return appError('VALIDATION_FAILED', `Invalid ${error.validationContext}: ${issues.map((i) => `${i.path || '(root)'} ${i.message}`).join('; ')}`, { issues });
    }
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error, cause: error.cause }, 'response did not match its schema');
      return appError('INTERNAL', 'The server produced an invalid response; this is a bug. Quote the tracking ID when reporting it.');
    }
    const mapped = error.code ? fastifyClientErrors[error.code] : undefined;
    if (mapped) return appError(mapped, error.message, { fastifyCode: error.code });
    if (error.statusCode === 429) return appError('RATE_LIMITED', error.message);
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return { status: error.statusCode, code: 'VALIDATION_FAILED', message: error.message, details: { fastifyCode: error.code } };
    }
    const refused = dataException(error);
    if (refused) {
      request.log.warn({ err: error }, 'the database refused a value of the request');
      return appError('VALIDATION_FAILED', `A value in the request is out of range or malformed: ${refused.message}`, { sqlState: refused.code });
    }
    request.log.error({ err: error }, 'unhandled error');
    return appError('INTERNAL', 'Something went wrong on the server. Quote the tracking ID when reporting it.');
  }

  /**
   * Errors Fastify raises before routing (a URL that does not decode, a path parameter over
   * maxParamLength: 414); without this Fastify answers them in its own shape, without a tracking ID.
   */
  const frameworkErrors: NonNullable<FastifyServerOptions['frameworkErrors']> = (error, request, reply) => {
    reply.header('TrackingID', request.id);
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
    const code = status === 414 ? 'URI_TOO_LONG' : 'VALIDATION_FAILED';
    const message = status === 414 ? 'The URL (or one of its path parameters) is too long.' : error.message;
    return send(reply, request, { status, code, message, details: { fastifyCode: error.code } });
  };

  /**
   * Requests Node's HTTP parser refuses before Fastify sees them (headers over the size limit, broken
   * framing, header timeout): still the dialect's body, then the connection is closed. The URL, and
   * so the dialect, comes from the request line when the refused bytes still hold it.
   */
  function clientErrorHandler(error: Error & { code?: string; rawPacket?: unknown }, socket: Socket) {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const code: ErrorCode = status === 408 ? 'REQUEST_TIMEOUT' : status === 431 ? 'HEADERS_TOO_LARGE' : 'VALIDATION_FAILED';
    const message = status === 408 ? 'The request took too long to arrive.' : status === 431 ? 'The request headers (or the URL) are too large.' : 'The request is not valid HTTP.';
    const trackingId = `SB_${crypto.randomUUID()}`;
    const url = Buffer.isBuffer(error.rawPacket) ? /^[A-Z]+ (\S+)/.exec(error.rawPacket.subarray(0, 256).toString('latin1'))?.[1] : undefined;
    const answer = bodyFor(url, { status, code, message, details: { httpParserCode: error.code } }, trackingId);
    const body = typeof answer === 'string' ? answer : JSON.stringify(answer);
    const wireStatus = statusFor(url, { status, code, message, details: {} });
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${wireStatus} ${http.STATUS_CODES[wireStatus]}\r\nContent-Type: ${contentTypeFor(url)}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
          `TrackingID: ${trackingId}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(error);
  }

  function install(app: FastifyInstance) {
    app.addHook('onRoute', (route) => {
      // Every route but the console's catch-all: a method a known path does not take is a 405.
      if (route.url === '/*' || route.url === '/' || route.url === '*') return;
      routes.push({ pattern: patternOf(route.url), methods: [route.method].flat().map((m) => m.toUpperCase()) });
    });

    app.setErrorHandler((error: FastifyError, request, reply) => send(reply, request, toHttpError(error, request)));

    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0]!;
      // The router gives up on a path parameter over its limit; so does the console's catch-all
      // route, which would otherwise take the path for a known one with the wrong method.
      if (path.split('/').some((segment) => segment.length > MAX_PARAM_LENGTH)) {
        return send(reply, request, appError('URI_TOO_LONG', 'The URL (or one of its path parameters) is too long.', { maxParamLength: MAX_PARAM_LENGTH }));
      }
      const allow = allowedMethods(path);
      if (allow.length > 0) {
        reply.header('Allow', allow.join(', '));
        return send(reply, request, appError('METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path}; it allows ${allow.join(', ')}.`, { allow }));
      }
      return send(reply, request, appError('ROUTE_NOT_FOUND', `No route ${request.method} ${path}.`));
    });
  }

  /**
   * The OpenAPI `transform` step, wrapped: adds the error statuses an operation can answer, derived
   * from its route definition (authenticated → 401/403; params, query or body → 400; path params →
   * 404; a body → 413/415; a rate limit → 429; 500 always) and `config.errors`, each with the error
   * body of its URL (the Error envelope, or the dialect's). Statuses a route declares itself keep
   * their schema. Only the document changes: the route's own response serialisation is untouched.
   */
  function documentErrors<T extends (input: any) => any>(transform: T): T {
    return ((input: { schema?: Record<string, any>; url: string; route: RouteOptions }) => {
      const { schema, url, route } = input;
      // A route that answers in another format (the provisioning bridge's XML) declares its own errors.
      if (!schema || schema.hide || (Array.isArray(schema.produces) && schema.produces.every((type: string) => /xml/.test(type)))) return transform(input);
      const codes = new Set<ErrorCode>(generatedStatuses[500]);
      const add = (status: number) => generatedStatuses[status]!.forEach((c) => codes.add(c));
      const method = [route.method].flat()[0]!.toUpperCase();
      // Any request can carry a malformed URL or query (a NUL, bad percent-encoding) and any can carry
      // credentials that are refused, public operations included.
      codes.add('VALIDATION_FAILED');
      add(401);
      if (route.config?.access && route.config.access !== 'public') add(403);
      if (schema.body) [400, 413, 415].forEach(add);
      // A path parameter names something that may not exist, or is over the router's length; a body
      // may name something that does not exist (a template's cluster).
      if (url.includes(':') || url.includes('{')) [404, 414].forEach(add);
      if (schema.body) add(404);
      // A change can meet a state that refuses it (in use, already done, Lab off); the Lab's pages
      // answer 409 while the Lab is off.
      if ((method !== 'GET' && method !== 'HEAD' && route.config?.access !== 'public') || /^\/api\/v1\/(partner\/)?lab(\/|$)/.test(url)) codes.add('INVALID_STATE');
      // Operations that call a bridge or a directory while the request waits.
      if (upstreamOperation(method, url)) ['UPSTREAM_FAILED', 'UPSTREAM_UNREACHABLE', 'UPSTREAM_REFUSED_CREDENTIALS', 'CERTIFICATE_NOT_TRUSTED', 'CERTIFICATE_CHANGED'].forEach((c) => codes.add(c as ErrorCode));
      if (route.config && 'rateLimit' in route.config && route.config.rateLimit) add(429);
      for (const code of route.config?.errors ?? []) codes.add(code);

      const byStatus = new Map<number, ErrorCode[]>();
      for (const code of codes) byStatus.set(errorStatus[code], [...(byStatus.get(errorStatus[code]) ?? []), code]);
      const errorSchema = dialectFor(url)?.schema ?? errorEnvelope;
      const response: Record<string, unknown> = { ...schema.response };
      const described = (status: number, body: unknown) => ({
        description: `${http.STATUS_CODES[status]}${byStatus.has(status) ? `: ${byStatus.get(status)!.join(', ')}` : ''}`,
        content: { 'application/json': { schema: body } },
      });
      for (const status of byStatus.keys()) response[status] ??= described(status, errorSchema);
      // An error status the route declares itself keeps its schema, but is JSON whatever the success's type (`produces`).
      for (const [status, body] of Object.entries(response)) {
        if (Number(status) >= 400 && body instanceof z.ZodType) response[status] = described(Number(status), body);
      }
      return transform({ ...input, schema: { ...schema, response } });
    }) as T;
  }

  /** Fastify's rewriteUrl: paths under a case-insensitive dialect's prefix, that part lower-cased. */
  function rewriteUrl(url: string): string {
    for (const d of dialects) {
      if (d.caseInsensitive && url.toLowerCase().startsWith(d.prefix)) {
        const q = url.indexOf('?');
        return q < 0 ? url.toLowerCase() : url.slice(0, q).toLowerCase() + url.slice(q);
      }
    }
    return url;
  }

  return { frameworkErrors, clientErrorHandler, install, documentErrors, rewriteUrl, isDialectPath: (url: string) => dialectFor(url) !== undefined };
}
