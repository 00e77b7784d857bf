import { z } from 'zod';
import { SESSION_COOKIE, requireActor } from './auth.plugin.ts';
import { roles } from './roles.ts';
import { pageOf, pageQuery } from '../http/paging.ts';
import { timestampInput } from '../http/inputs.ts';
import type { HttpApp } from '../http/app-types.ts';
import type { PlatformServices } from '../services.ts';

const role = z.enum(roles);
const user = z
  .object({
    id: z.string().uuid(),
    username: z.string(),
    displayName: z.string(),
    role: z.string(),
    customerOrgId: z.string().nullable(),
    disabled: z.boolean(),
    createdAt: z.date(),
  })
  .meta({ id: 'User' });
const apiToken = z
  .object({
    id: z.string().uuid(),
    name: z.string(),
    prefix: z.string(),
    role: z.string(),
    customerOrgId: z.string().nullable(),
    createdBy: z.string().nullable(),
    createdAt: z.date(),
    lastUsedAt: z.date().nullable(),
    expiresAt: z.date().nullable(),
    revokedAt: z.date().nullable(),
  })
  .meta({ id: 'ApiToken' });
const password = z.string().min(12, 'at least 12 characters').max(200);
const username = z.string().trim().min(1).max(100).regex(/^[A-Za-z0-9._@-]+$/, 'letters, digits and . _ @ - only');
const idParams = z.strictObject({ id: z.string().uuid() });

export function registerAuthRoutes(app: HttpApp, { auth, config }: PlatformServices) {
  app.route({
    method: 'POST',
    url: '/api/v1/session',
    config: { access: 'public', errors: ['INVALID_CREDENTIALS'], rateLimit: { max: config.loginRateLimitPerMinute, timeWindow: 60_000 } },
    schema: {
      tags: ['Auth'],
      summary: 'Sign in to the console (sets the session cookie)',
      body: z.strictObject({ username: z.string().min(1).max(200), password: z.string().min(1).max(200) }),
      response: { 200: z.object({ user, csrfToken: z.string(), expiresAt: z.date() }) },
    },
    handler: async (request, reply) => {
      const session = await auth.login(request.body.username, request.body.password, request.id);
      reply.setCookie(SESSION_COOKIE, session.sessionId, {
        path: '/', httpOnly: true, sameSite: 'strict', secure: request.protocol === 'https', expires: session.expiresAt,
      });
      return { user: session.user, csrfToken: session.csrfToken, expiresAt: session.expiresAt };
    },
  });

  app.route({
    method: 'GET',
    url: '/api/v1/session',
    config: { access: 'session.self' },
    schema: {
      tags: ['Auth'],
      summary: 'Who am I: the signed-in user or token, and the CSRF token of the session',
      response: { 200: z.object({ actor: z.object({ type: z.string(), id: z.string().nullable(), name: z.string(), role: z.string(), customerOrgId: z.string().nullable() }), csrfToken: z.string().nullable() }) },
    },
    handler: async (request) => {
      const sessionId = request.cookies?.[SESSION_COOKIE];
      const session = sessionId && !request.headers.authorization ? await auth.resolveSession(sessionId) : null;
      return { actor: requireActor(request), csrfToken: session?.csrfToken ?? null };
    },
  });

  app.route({
    method: 'DELETE',
    url: '/api/v1/session',
    config: { access: 'public' },
    schema: { tags: ['Auth'], summary: 'Sign out', response: { 204: z.null() } },
    handler: async (request, reply) => {
      const sessionId = request.cookies?.[SESSION_COOKIE];
      if (sessionId) await auth.logout(sessionId, request.id);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send(null);
    },
  });

  app.route({
    method: 'GET',
    url: '/api/v1/users',
    config: { access: 'users.read' },
    schema: { tags: ['Auth'], summary: 'List users', querystring: z.strictObject(pageQuery), response: { 200: pageOf(user) } },
    handler: async (request) => ({ ...(await auth.listUsers(request.query)), ...request.query }),
  });

  app.route({
    method: 'POST',
    url: '/api/v1/users',
    config: { access: 'users.manage', errors: ['ALREADY_EXISTS'] },
    schema: {
      tags: ['Auth'],
      summary: 'Create a user',
      body: z.strictObject({ username, displayName: z.string().trim().min(1).max(200).optional(), role, password, customerOrgId: z.string().uuid().nullable().optional() }),
      response: { 201: user },
    },
    handler: async (request, reply) => reply.status(201).send(await auth.createUser(request.body, requireActor(request), request.id)),
  });

  app.route({
    method: 'PATCH',
    url: '/api/v1/users/:id',
    config: { access: 'users.manage' },
    schema: {
      tags: ['Auth'],
      summary: 'Change a user (role, name, password, disabled)',
      params: idParams,
      body: z.strictObject({ displayName: z.string().trim().min(1).max(200).optional(), role: role.optional(), password: password.optional(), disabled: z.boolean().optional(), customerOrgId: z.string().uuid().nullable().optional() }),
      response: { 200: user },
    },
    handler: async (request) => auth.updateUser(request.params.id, request.body, requireActor(request), request.id),
  });

  app.route({
    method: 'GET',
    url: '/api/v1/tokens',
    config: { access: 'tokens.manage' },
    schema: { tags: ['Auth'], summary: 'List API tokens', querystring: z.strictObject(pageQuery), response: { 200: pageOf(apiToken) } },
    handler: async (request) => ({ ...(await auth.listApiTokens(request.query)), ...request.query }),
  });

  app.route({
    method: 'POST',
    url: '/api/v1/tokens',
    config: { access: 'tokens.manage' },
    schema: {
      tags: ['Auth'],
      summary: 'Create an API token bound to a role (the token is returned once)',
      body: z.strictObject({ name: z.string().trim().min(1).max(100), role, customerOrgId: z.string().uuid().nullable().optional(), expiresAt: timestampInput().nullable().optional() }),
      response: { 201: apiToken.extend({ token: z.string() }) },
    },
    handler: async (request, reply) => reply.status(201).send(await auth.createApiToken(request.body, requireActor(request), request.id)),
  });

  app.route({
    method: 'DELETE',
    url: '/api/v1/tokens/:id',
    config: { access: 'tokens.manage', errors: ['INVALID_STATE'] },
    schema: { tags: ['Auth'], summary: 'Revoke an API token', params: idParams, response: { 204: z.null() } },
    handler: async (request, reply) => {
      await auth.revokeApiToken(request.params.id, requireActor(request), request.id);
      return reply.status(204).send(null);
    },
  });
}
