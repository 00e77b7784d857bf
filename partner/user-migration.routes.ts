import { z } from 'zod';
import { AppError } from '../platform/errors.ts';
import { escapeHtml, page, registerUserPages, tokenParams } from './user-pages.ts';
import type { HttpApp } from '../platform/http/app-types.ts';
import type { PlatformServices } from '../platform/services.ts';
import type { UserMigration } from './user-migration.service.ts';

// P6 consent pages (the Webex user portal's part): the link in the consent email opens a page where
// the user signs in to their existing Webex account and deletes it (or declines). And the Lab's
// directory of pre-existing Webex accounts, and per-subscriber migration/hold state for the console.

type Token = { s: string; p: 'move'; e: string; exp: number };

export function consentTokens(services: PlatformServices) {
  return {
    make: (subscriberId: string, email: string, expiresAt: Date) => Buffer.from(services.secrets.seal(JSON.stringify({ s: subscriberId, p: 'move', e: email, exp: expiresAt.getTime() } satisfies Token))).toString('base64url'),
    read(value: string): Token {
      try {
        const token = JSON.parse(services.secrets.open(Buffer.from(value, 'base64url').toString('utf8'))) as Token;
        if (token.p === 'move') return token;
      } catch {
        // falls through to the same answer as a wrong purpose
      }
      throw new AppError('NOT_FOUND', 'This link is not valid.');
    },
  };
}

export function registerUserMigrationRoutes(app: HttpApp, services: PlatformServices, migration: UserMigration) {
  const tokens = consentTokens(services);
  app.route({
    method: 'GET',
    url: '/api/v1/partner/lab/webex-identities',
    config: { access: 'lab.read' },
    schema: {
      tags: ['Lab'],
      summary: 'Pre-existing Webex accounts outside any partner org (consumer, free, trial) for P6, and whether they were moved',
      response: { 200: z.object({ items: z.array(z.object({ id: z.string(), email: z.string(), displayName: z.string(), kind: z.string(), state: z.string(), movedToOrgId: z.string().nullable(), movedAt: z.date().nullable() })) }) },
    },
    handler: async () => ({ items: await migration.identities() }),
  });
  app.route({
    method: 'GET',
    url: '/api/v1/partner/subscribers/:id/waiting',
    config: { access: 'partner.read' },
    schema: {
      tags: ['Partner'],
      summary: 'Why a subscriber waits: a consent move (P6) or Provision Admin First (P3)',
      params: z.strictObject({ id: z.string().uuid() }),
      response: {
        200: z.object({
          migration: z.object({ email: z.string(), state: z.string(), requestedAt: z.date(), expiresAt: z.date(), decidedAt: z.date().nullable() }).nullable(),
          hold: z.object({ waitingFor: z.string(), heldAt: z.date() }).nullable(),
        }),
      },
    },
    handler: async (request) => {
      const [m, hold] = await Promise.all([migration.migrationOf(request.params.id), migration.holdOf(request.params.id)]);
      return { migration: m ? { email: m.email, state: m.state, requestedAt: m.requestedAt, expiresAt: m.expiresAt, decidedAt: m.decidedAt } : null, hold: hold ? { waitingFor: hold.waitingFor, heldAt: hold.heldAt } : null };
    },
  });

  return registerUserPages(app, 'Move your Webex account', (s, html) => {
    // An expired link ends the move there and then (the sweeper job does it for unopened ones).
    const open = async (value: string) => {
      const token = tokens.read(value);
      const pending = await migration.migrationOf(token.s);
      const expiresAt = pending?.state === 'pending' ? pending.expiresAt.getTime() : token.exp;
      if (Math.min(expiresAt, token.exp) < services.clock.now().getTime()) {
        await migration.expireOne(token.s);
        throw new AppError('INVALID_STATE', 'This link has expired: your account was not moved. Ask your administrator to send a new one.');
      }
      return token;
    };
    s.route({
      method: 'GET',
      url: '/move-account/:token',
      schema: { hide: true, params: tokenParams },
      handler: async (request, reply) =>
        html(reply, async () => {
          const token = await open(request.params.token);
          return page(
            reply,
            200,
            'Move your Webex account',
            `<p>${escapeHtml(token.e)} already has a Webex account. Sign in to it and delete it to be set up by your service provider with the same email address.</p>` +
              `<form method="post"><input type="hidden" name="action" value="accept"><label>Webex password <input type="password" name="password" required></label><button type="submit">Delete old account and move</button></form>` +
              `<form method="post"><input type="hidden" name="action" value="decline"><button type="submit">Decline</button></form>`,
          );
        }),
    });
    s.route({
      method: 'POST',
      url: '/move-account/:token',
      schema: { hide: true, params: tokenParams, body: z.object({ action: z.enum(['accept', 'decline']), password: z.string().max(255).optional() }) },
      handler: async (request, reply) =>
        html(reply, async () => {
          const token = await open(request.params.token);
          if (request.body.action === 'decline') {
            await migration.decline(token.s, token.e);
            return page(reply, 200, 'Not moved', '<p>Your Webex account stays as it is. Your administrator was told.</p>');
          }
          if (!request.body.password) throw new AppError('VALIDATION_FAILED', 'Enter your Webex password to sign in.');
          await migration.accept(token.s, token.e, request.body.password);
          return page(reply, 200, 'Account moved', '<p>Your old Webex account was deleted. Your new account is being set up with the same email address; download Webex to sign in.</p>');
        }),
    });
  });
}
