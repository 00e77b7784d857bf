import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fastifyStatic from '@fastify/static';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { createErrorHandling, MAX_PARAM_LENGTH, type ErrorDialect } from './error-handler.ts';
import { installAuth } from '../auth/auth.plugin.ts';
import { AppError } from '../errors.ts';
import { redactUrl } from '../secrets/redact.ts';
import type { HttpApp } from './app-types.ts';
import type { PlatformServices } from '../services.ts';

import { consoleDistDir as consoleDist } from '../console/console-build.ts';

export type RouteModule = (app: HttpApp) => void | Promise<void>;

/** Builds the HTTP server: API under /api/v1 (and the Webex-compatible /v1), OpenAPI, console. */
export async function buildHttpServer(services: PlatformServices, routeModules: RouteModule[], errorDialects: ErrorDialect[] = []): Promise<HttpApp> {
  const { config, logger, metrics } = services;
  const errors = createErrorHandling(errorDialects);
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    // The tracking ID: taken from the caller when given (Webex clients send TrackingID), else new.
    genReqId: (request) => {
      const given = request.headers.trackingid ?? request.headers['x-tracking-id'];
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : `SB_${crypto.randomUUID()}`;
    },
    logController: new RedactingLogController({ requestIdLogLabel: 'trackingId' }),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    ajv: { customOptions: { removeAdditional: false } },
    frameworkErrors: errors.frameworkErrors,
    clientErrorHandler: errors.clientErrorHandler,
    rewriteUrl: (request) => errors.rewriteUrl(request.url ?? '/'),
  }).withTypeProvider<ZodTypeProvider>() as HttpApp;

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  errors.install(app as unknown as FastifyInstance);

  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('TrackingID', request.id);
    return payload;
  });
  // PostgreSQL text and jsonb cannot hold U+0000: refuse it at the door instead of failing in the
  // database with a 500.
  app.addHook('preValidation', async (request) => {
    for (const [location, value] of [['params', request.params], ['querystring', request.query], ['body', request.body]] as const) {
      const path = findNul(value, '');
      if (path !== null) {
        const issue = { location, path, message: 'must not contain the NUL character (\\u0000)' };
        throw new AppError('VALIDATION_FAILED', `Invalid ${location}: ${path || '(root)'} ${issue.message}`, { issues: [issue] });
      }
    }
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  await app.register(cookie);
  await app.register(rateLimit, { global: false });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Switchboard API',
        version: '1',
        description:
          'Meetings, Partner provisioning, Licensing and the Lab. Every /api error is `{ error: { code, message, details, trackingId } }` (the `Error` schema); ' +
          'the Webex-compatible /v1 answers Webex\'s `{ message, errors: [{ errorCode, description, fieldName? }], trackingId }` (`WebexError`). ' +
          'Each operation lists the error statuses it can answer; an unsupported method on a known path is 405 with an `Allow` header.',
      },
      components: {
        securitySchemes: {
          bearerToken: { type: 'http', scheme: 'bearer', description: 'API token (sbt_…), bound to a role' },
          sessionCookie: { type: 'apiKey', in: 'cookie', name: 'sb_session' },
        },
      },
      security: [{ bearerToken: [] }, { sessionCookie: [] }],
    },
    transform: errors.documentErrors(jsonSchemaTransform),
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });
  app.get('/api/openapi.json', { schema: { hide: true }, config: { access: 'public' } }, async () => app.swagger());

  installAuth(app as unknown as FastifyInstance, services.auth);
  for (const register of routeModules) await register(app);

  if (fs.existsSync(path.join(consoleDist, 'index.html'))) {
    await app.register(fastifyStatic, { root: consoleDist, prefix: '/', wildcard: false, index: ['index.html'] });
    // The console routes on the client: any other GET outside the APIs gets the app.
    app.get('/*', { schema: { hide: true } }, async (request, reply) => {
      if (request.url.startsWith('/api/') || request.url.startsWith('/v1/') || errors.isDialectPath(request.url)) {
        return reply.callNotFound();
      }
      return reply.sendFile('index.html');
    });
  } else {
    // Only when the build failed or dev dependencies were omitted (`switchboard start` builds it
    // otherwise): a newcomer at / learns what is missing instead of meeting a bare 404.
    app.get('/', { schema: { hide: true }, config: { access: 'public' } }, async (_request, reply) =>
      reply
        .status(503)
        .type('text/html; charset=utf-8')
        .send(
          '<!doctype html><meta charset="utf-8"><title>Switchboard</title><h1>Switchboard is running; its console is not built</h1>' +
            '<p>Build it with <code>npm run build:console</code> (it needs the dev dependencies: <code>npm install</code>) and reload this page. ' +
            'The API is served at <a href="/api/docs">/api/docs</a>.</p>',
        ),
    );
  }
  return app;
}

/**
 * Fastify's "incoming request" line logs the URL as it came, credentials in it included (the CDR
 * receiver's token, activation and consent links, a billing download's token): this one logs it with
 * secret-named path and query parameters masked, and the route's pattern.
 */
class RedactingLogController extends LogController {
  override incomingRequest(request: FastifyRequest) {
    if (this.isLogDisabled(request)) return;
    const route = request.routeOptions?.url;
    request.log.info(
      // Shaped as the request for Fastify's req serializer, which picks method, url, host, ip and socket.
      { req: { method: request.method, url: redactUrl(request.url, route), host: request.host, ip: request.ip, socket: request.socket }, route },
      'incoming request',
    );
  }
}

/** The first string (value or key) holding U+0000, as a dotted path; null when there is none. */
function findNul(value: unknown, at: string, depth = 0): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? at : null;
  if (value === null || typeof value !== 'object' || depth > 64 || Buffer.isBuffer(value)) return null;
  for (const [key, inner] of Object.entries(value)) {
    const path = at ? `${at}.${key}` : key;
    if (key.includes('\u0000')) return path;
    const found = findNul(inner, path, depth + 1);
    if (found !== null) return found;
  }
  return null;
}
