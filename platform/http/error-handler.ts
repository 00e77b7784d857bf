import crypto from 'node:crypto';
import http from 'node:http';
import type { Socket } from 'node:net';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { z } from 'zod';
import { AppError, errorStatus, type ErrorCode } from '../errors.ts';
import { dataException } from './data-exception.ts';

export const errorEnvelope = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.unknown().optional(),
      trackingId: z.string(),
    }),
  })
  .meta({ id: 'Error' });

function send(reply: FastifyReply, request: FastifyRequest, status: number, code: string, message: string, details?: unknown) {
  return reply
    .status(status)
    .type('application/json; charset=utf-8')
    .send({ error: { code, message, details, trackingId: request.id } });
}

// Fastify's own error codes for a client's mistakes, mapped to ours.
const fastifyClientErrors: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_VALIDATION: 'VALIDATION_FAILED',
};

/**
 * Errors Fastify raises before routing (a URL that does not decode, a path parameter over
 * maxParamLength); without this Fastify answers them in its own shape, without a tracking ID.
 */
export const frameworkErrors: NonNullable<FastifyServerOptions['frameworkErrors']> = (error, request, reply) => {
  reply.header('TrackingID', request.id);
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  return send(reply, request, status, 'VALIDATION_FAILED', error.message, { fastifyCode: error.code });
};

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (headers over the size limit, broken
 * framing, header timeout): still the one envelope, then the connection is closed.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket) {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const message = status === 408 ? 'The request took too long to arrive.' : status === 431 ? 'The request headers (or the URL) are too large.' : 'The request is not valid HTTP.';
  const trackingId = `SB_${crypto.randomUUID()}`;
  const body = JSON.stringify({ error: { code: 'VALIDATION_FAILED', message, details: { httpParserCode: error.code }, trackingId } });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `TrackingID: ${trackingId}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/** The one mapping from errors to HTTP responses. */
export function installErrorHandler(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) {
      if (error.status >= 500) request.log.error({ err: error }, error.message);
      return send(reply, request, error.status, error.code, error.message, error.details);
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issues = error.validation.map((v) => ({
        location: error.validationContext,
        path: v.instancePath.replace(/^\//, '').replace(/\//g, '.'),
        message: v.message,
        ...(v.params?.issue ? { code: (v.params.issue as { code?: string }).code } : {}),
      }));
      return send(reply, request, 400, 'VALIDATION_FAILED', `Invalid ${error.validationContext}: ${issues.map((i) => `${i.path || '(root)'} ${i.message}`).join('; ')}`, { issues });
    }
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error, cause: error.cause }, 'response did not match its schema');
      return send(reply, request, 500, 'INTERNAL', 'The server produced an invalid response; this is a bug. Quote the tracking ID when reporting it.');
    }
    const mapped = error.code ? fastifyClientErrors[error.code] : undefined;
    if (mapped) return send(reply, request, errorStatus[mapped] === 415 ? 415 : 400, mapped, error.message, { fastifyCode: error.code });
    if (error.statusCode === 429) return send(reply, request, 429, 'RATE_LIMITED', error.message);
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return send(reply, request, error.statusCode, 'VALIDATION_FAILED', error.message, { fastifyCode: error.code });
    }
    const refused = dataException(error);
    if (refused) {
      request.log.warn({ err: error }, 'the database refused a value of the request');
      return send(reply, request, 400, 'VALIDATION_FAILED', `A value in the request is out of range or malformed: ${refused.message}`, { sqlState: refused.code });
    }
    request.log.error({ err: error }, 'unhandled error');
    return send(reply, request, 500, 'INTERNAL', 'Something went wrong on the server. Quote the tracking ID when reporting it.');
  });

  app.setNotFoundHandler((request, reply) =>
    send(reply, request, 404, 'ROUTE_NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}.`),
  );
}
