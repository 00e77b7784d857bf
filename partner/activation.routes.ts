import { z } from 'zod';
import { systemActor } from '../platform/auth/actor.ts';
import { AppError } from '../platform/errors.ts';
import { escapeHtml, page, registerUserPages, tokenParams } from './user-pages.ts';
import * as repo from './partner.repository.ts';
import { findCluster } from './clusters.repository.ts';
import { findTemplateByProvisioningId } from './templates.repository.ts';
import type { HttpApp } from '../platform/http/app-types.ts';
import type { PlatformServices } from '../platform/services.ts';
import type { Mailer } from '../platform/mail/mailer.ts';
import type { Partner } from './partner.service.ts';

// P2 untrusted-email flow (the User Activation Portal): the subscriber gets an activation text with
// a link, enters an email, gets a validation email, clicks it; then provisioning runs as usual.

export type SmsSender = { send(to: string, text: string): Promise<void> };
export type ActivationChannels = { mailer: () => Mailer | null; sms: () => SmsSender | null; baseUrl: () => string };

const TOKEN_DAYS = 7;
type Token = { s: string; p: 'activate' | 'validate' | 'approve'; e?: string; exp: number };


export function registerActivationRoutes(app: HttpApp, services: PlatformServices, partner: Partner, channels: ActivationChannels) {
  const { secrets, clock } = services;
  const makeToken = (token: Omit<Token, 'exp'>) => Buffer.from(secrets.seal(JSON.stringify({ ...token, exp: clock.now().getTime() + TOKEN_DAYS * 86_400_000 }))).toString('base64url');
  const readToken = (value: string, purpose: Token['p']): Token => {
    let token: Token;
    try {
      token = JSON.parse(secrets.open(Buffer.from(value, 'base64url').toString('utf8')));
    } catch {
      throw new AppError('NOT_FOUND', 'This link is not valid.');
    }
    if (token.p !== purpose) throw new AppError('NOT_FOUND', 'This link is not valid.');
    if (token.exp < clock.now().getTime()) throw new AppError('INVALID_STATE', 'This link has expired; ask your administrator for a new one.');
    return token;
  };

  partner.onPendingEmailInput(async (row) => {
    const sms = channels.sms();
    const number = row.mobilePhoneNumber ?? row.primaryPhoneNumber;
    if (!sms || !number) return;
    const link = `${channels.baseUrl()}/activate/${makeToken({ s: row.id, p: 'activate' })}`;
    await sms.send(number, `Activate your Webex account: ${link}`);
  });

  async function sendValidation(subscriberId: string, email: string) {
    const mailer = channels.mailer();
    if (!mailer) throw new AppError('SERVICE_UNAVAILABLE', 'Email is not configured; ask your administrator.');
    const sub = await partner.subscribers.enterEmail(subscriberId, email, systemActor('user-activation-portal'));
    const link = `${channels.baseUrl()}/activate/validate/${makeToken({ s: sub.id, p: 'validate', e: email })}`;
    await mailer.send({ to: email, subject: 'Validate your email address for Webex', text: `Hello ${sub.firstName},\n\nOpen this link to validate your email address and finish activating Webex:\n\n${link}\n` });
  }

  // P7: the approval request to up to five administrators of an existing org.
  partner.onApprovalNeeded(async (approval) => {
    const mailer = channels.mailer();
    if (!mailer) throw new AppError('SERVICE_UNAVAILABLE', 'Email is not configured: the attach approval request cannot be sent.');
    const link = `${channels.baseUrl()}/attach-approval/${makeToken({ s: approval.webexOrgId, p: 'approve', e: approval.partnerAdminEmail })}`;
    await mailer.send({
      to: approval.adminEmails,
      subject: `Approve ${approval.partnerAdminEmail} as an external full administrator of ${approval.orgName}`,
      text: `Your service provider wants to provision Webex users into your organisation ${approval.orgName}.\n\nTo allow it, add ${approval.partnerAdminEmail} as an external full administrator by opening:\n\n${link}\n`,
    });
  });

  return registerUserPages(app, 'Activation', (s, html) => {

    // Outside /api and /v1: these are the subscriber's pages, opened from a text or an email.
    s.route({
      method: 'GET',
      url: '/activate/:token',
      schema: { hide: true, params: tokenParams },
      handler: async (request, reply) =>
        html(reply, async () => {
          const token = readToken(request.params.token, 'activate');
          const sub = await repo.findSubscriber(services.database.db, token.s);
          if (!sub) throw new AppError('NOT_FOUND', 'This activation no longer exists.');
          return page(
            reply,
            200,
            'Activate Webex',
            `<p>Hello ${escapeHtml(sub.firstName)}, enter your email address to activate Webex.</p><form method="post"><input type="email" name="email" required><button type="submit">Send validation email</button></form>`,
          );
        }),
    });
    s.route({
      method: 'POST',
      url: '/activate/:token',
      schema: { hide: true, params: tokenParams, body: z.object({ email: z.string().min(3).max(320) }) },
      handler: async (request, reply) =>
        html(reply, async () => {
          const token = readToken(request.params.token, 'activate');
          const email = request.body.email.trim();
          await sendValidation(token.s, email);
          return page(reply, 200, 'Check your email', `<p>We sent a validation link to ${escapeHtml(email)}.</p>`);
        }),
    });
    // P2 self-activation: the template's link; the user signs in with BroadWorks credentials, which
    // the template's cluster authentication service checks — a user of another BroadWorks system fails.
    const templateParams = z.strictObject({ provisioningId: z.string().min(1).max(255) });
    const selfTemplate = async (provisioningId: string) => {
      const template = await findTemplateByProvisioningId(services.database.db, provisioningId);
      if (!template || !template.allowSelfActivation) throw new AppError('NOT_FOUND', 'This self-activation link is not valid.');
      return template;
    };
    s.route({
      method: 'GET',
      url: '/self-activate/:provisioningId',
      schema: { hide: true, params: templateParams },
      handler: async (request, reply) =>
        html(reply, async () => {
          await selfTemplate(request.params.provisioningId);
          return page(
            reply,
            200,
            'Activate Webex',
            '<form method="post"><label>BroadWorks user ID <input name="userId" required></label><label>Password <input type="password" name="password" required></label><label>Email <input type="email" name="email" required></label><button type="submit">Activate</button></form>',
          );
        }),
    });
    s.route({
      method: 'POST',
      url: '/self-activate/:provisioningId',
      schema: { hide: true, params: templateParams, body: z.object({ userId: z.string().min(1).max(255), password: z.string().min(1).max(255), email: z.string().min(3).max(320) }) },
      handler: async (request, reply) =>
        html(reply, async () => {
          const template = await selfTemplate(request.params.provisioningId);
          const cluster = await findCluster(services.database.db, template.clusterId);
          const { userId, password, email } = request.body;
          const authorization = `Basic ${Buffer.from(`${userId}:${password}`).toString('base64')}`;
          const answer = await fetch(cluster!.authServiceUrl, { method: 'POST', headers: { authorization }, signal: AbortSignal.timeout(10_000) }).catch(() => null);
          if (!answer || answer.status === 401 || answer.status === 403) throw new AppError('INVALID_CREDENTIALS', 'The BroadWorks user ID or password is wrong, or the user is not on this service provider’s BroadWorks system.');
          if (!answer.ok) throw new AppError('UPSTREAM_FAILED', `BroadWorks authentication answered ${answer.status}.`);
          const profile = (await answer.json()) as { userId: string; serviceProviderId: string; groupId: string; firstName: string; lastName: string; phoneNumber?: string; mobilePhoneNumber?: string; extension?: string; language?: string; timezone?: string };
          const actor = systemActor('self-activation');
          const existing = await repo.findSubscriberByUserId(services.database.db, profile.userId);
          const sub =
            existing ??
            (await partner.subscribers.provision(
              {
                provisioningId: template.provisioningId,
                userId: profile.userId,
                spEnterpriseId: `${profile.serviceProviderId}+${profile.groupId}`,
                firstName: profile.firstName,
                lastName: profile.lastName,
                package: template.defaultPackage as 'basic',
                primaryPhoneNumber: profile.phoneNumber,
                mobilePhoneNumber: profile.mobilePhoneNumber,
                extension: profile.extension,
                language: profile.language,
                timezone: profile.timezone,
              },
              actor,
              { source: 'self_activation', trackingId: request.id },
            ));
          await sendValidation(sub.id, email);
          return page(reply, 200, 'Check your email', `<p>We sent a validation link to ${escapeHtml(email)}.</p>`);
        }),
    });

    s.route({
      method: 'GET',
      url: '/attach-approval/:token',
      schema: { hide: true, params: tokenParams },
      handler: async (request, reply) =>
        html(reply, async () => {
          const token = readToken(request.params.token, 'approve');
          await partner.approveAttach(token.s, token.e!, systemActor('customer-admin-approval'));
          return page(reply, 200, 'Approved', `<p>${escapeHtml(token.e!)} is now an external full administrator of your organisation.</p>`);
        }),
    });

    s.route({
      method: 'GET',
      url: '/activate/validate/:token',
      schema: { hide: true, params: tokenParams },
      handler: async (request, reply) =>
        html(reply, async () => {
          const token = readToken(request.params.token, 'validate');
          const sub = await repo.findSubscriber(services.database.db, token.s);
          if (!sub) throw new AppError('NOT_FOUND', 'This activation no longer exists.');
          if (sub.status !== 'pending_email_validation' || sub.email?.toLowerCase() !== token.e?.toLowerCase()) {
            throw new AppError('INVALID_STATE', 'This link is no longer valid (the email was changed or already validated).');
          }
          await partner.subscribers.retry(sub.id, token.e, systemActor('user-activation-portal'));
          return page(reply, 200, 'Email validated', '<p>Your Webex account is being set up; you will be able to sign in in a few minutes.</p>');
        }),
    });
  });
}
