import type {} from '@fastify/cookie';
import type {} from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import { permissions, roleHas, type Permission } from './roles.ts';
import type { Actor } from './actor.ts';
import type { Auth } from './auth.service.ts';

export const SESSION_COOKIE = 'sb_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The permission a route needs, or 'public'. Every /api and /v1 route must name one. */
    access?: Permission | 'public';
  }
  interface FastifyRequest {
    actor: Actor | null;
  }
}

export function requireActor(request: FastifyRequest): Actor {
  if (!request.actor) throw new AppError('UNAUTHENTICATED', 'Sign in or send an API token (Authorization: Bearer sbt_…).');
  return request.actor;
}

/** Authentication and the role check, in one place for every route. */
export function installAuth(app: FastifyInstance, auth: Auth) {
  app.decorateRequest('actor', null);

  app.addHook('onRoute', (route) => {
    const guarded = route.url.startsWith('/api/') || route.url.startsWith('/v1/');
    if (guarded && !route.config?.access && !route.url.startsWith('/api/docs')) {
      throw new Error(`Route ${route.method} ${route.url} does not declare config.access`);
    }
    // The API document says, per operation, which permission and so which roles may call it.
    const access = route.config?.access;
    if (access && route.schema && !route.schema.hide) {
      Object.assign(route.schema, { 'x-permission': access, 'x-roles': access === 'public' ? [] : [...permissions[access]] });
    }
  });

  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config?.access;
    if (!access) return;
    const header = request.headers.authorization;
    if (header) {
      const [scheme, token] = header.split(' ');
      if (scheme?.toLowerCase() !== 'bearer' || !token) {
        throw new AppError('UNAUTHENTICATED', 'The Authorization header must be "Bearer <API token>".');
      }
      const actor = await auth.resolveApiToken(token);
      if (!actor) throw new AppError('UNAUTHENTICATED', 'The API token is unknown, revoked or expired.');
      request.actor = actor;
    } else {
      const sessionId = request.cookies?.[SESSION_COOKIE];
      if (sessionId) {
        const session = await auth.resolveSession(sessionId);
        if (session) {
          // Cookies ride along on cross-site requests; a changing request must also prove it
          // comes from our console by echoing the session's CSRF token.
          const csrfOk = SAFE_METHODS.has(request.method) || request.headers['x-csrf-token'] === session.csrfToken;
          if (csrfOk) request.actor = session.actor;
          else if (access !== 'public') throw new AppError('CSRF_TOKEN_INVALID', 'Missing or wrong X-CSRF-Token header for this session.');
        }
      }
    }
    if (access === 'public') return;
    const actor = requireActor(request);
    if (!roleHas(actor.role, access)) {
      throw new AppError('FORBIDDEN', `Your role (${actor.role}) may not do this (needs ${access}).`, { permission: access, role: actor.role });
    }
  });
}
