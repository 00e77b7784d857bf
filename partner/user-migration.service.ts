import crypto from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { z } from 'zod';
import { systemActor, type Actor } from '../platform/auth/actor.ts';
import { AppError } from '../platform/errors.ts';
import { defineJob } from '../platform/jobs/define-job.ts';
import * as repo from './user-migration.repository.ts';
import { countAdminsOfOrg, findOrgByEnterprise, findSubscriber } from './partner.repository.ts';
import type { Db } from '../platform/db/database.ts';
import type { PlatformServices } from '../platform/services.ts';
import type { Mailer } from '../platform/mail/mailer.ts';
import type { Partner } from './partner.service.ts';

// P6: moving existing Webex users (consumer, free, trial accounts) into Webex for BroadWorks.
// The first user of a new customer org is moved automatically and becomes its admin; every later
// user must consent: the subscriber waits in pending_user_migration, the user gets an email, signs
// in to the old account and deletes it, and provisioning goes on with the same email. Whatever the
// flow (API, flow-through trusted or untrusted, self-activation), the check happens once the email
// is known and validated, in the provisioning job.
//
// P3 Provision Admin First: with it on, no other user of a new enterprise completes activation
// before the enterprise's first subscriber (who becomes the customer admin) is provisioned.

/** Ours: the user declined the move; ours: nobody answered the consent email in time. */
export const migrationCodes = { DECLINED: 10030, EXPIRED: 10031 } as const;
export const CONSENT_DAYS = 7;
const ARGON2 = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export type UserMigration = ReturnType<typeof createUserMigration>;

export function createUserMigration(services: PlatformServices, partner: Partner, channels: { mailer: () => Mailer | null; consentLink: (subscriberId: string, email: string, expiresAt: Date) => string }) {
  const { database, clock, audit } = services;
  const job = { type: 'system' as const, id: null, name: 'partner.provision-subscriber', role: 'system' as const, customerOrgId: null };

  // ── P3 Provision Admin First ──
  partner.extend.gate(async (tx, { sub, template, org }) => {
    // Not applicable to self-activation (Cisco's template guide), nor to an org that has its admin
    // or was attached (P7: its first user is not made admin). An org whose first provisioning
    // failed after it was made has no admin yet: the rule still holds there.
    if (!template.provisionAdminFirst || sub.source === 'self_activation') return null;
    if (org && (org.attachedWebexOrgId || (await countAdminsOfOrg(tx, org.id)) > 0)) return null;
    const first = await repo.firstSubscriberOfEnterprise(tx, sub.spEnterpriseId);
    if (!first || first.id === sub.id) return null;
    await repo.insertHold(tx, { subscriberId: sub.id, spEnterpriseId: sub.spEnterpriseId, waitingFor: first.id, heldAt: clock.now() });
    await audit.record({ actor: job, action: 'partner.subscriber.held', entityType: 'subscriber', entityId: sub.id, after: { waitingFor: first.userId, reason: 'provision-admin-first' } }, tx);
    return { status: sub.status as 'provisioning', reason: `provision-admin-first: waiting for ${first.userId}` };
  });

  // ── P6: a later user with an existing Webex account waits for consent ──
  partner.extend.gate(async (tx, { sub, org }) => {
    if (!sub.email || !org) return null;
    const identity = await repo.findActiveIdentityByEmail(tx, sub.email);
    if (!identity) return null;
    const expiresAt = new Date(clock.now().getTime() + CONSENT_DAYS * 86_400_000);
    await repo.upsertMigration(tx, { subscriberId: sub.id, identityId: identity.id, email: identity.email, state: 'pending', requestedAt: clock.now(), expiresAt });
    await audit.record({ actor: job, action: 'partner.subscriber.migration-requested', entityType: 'subscriber', entityId: sub.id, after: { email: identity.email, kind: identity.kind, expiresAt } }, tx);
    return {
      status: 'pending_user_migration',
      reason: 'user-migration',
      effects: [{ kind: 'consent-email', data: { subscriberId: sub.id, email: identity.email, firstName: sub.firstName, kind: identity.kind, orgName: org.displayName, expiresAt: expiresAt.toISOString() } }],
    };
  });

  partner.extend.provisioned(async (tx, { person, org, createdOrg }) => {
    const released = person.isAdmin ? await repo.takeHoldsOfEnterprise(tx, org.spEnterpriseId) : [];
    // The first user of a new org brings their Webex account with them, without consent (P6).
    const identity = createdOrg ? await repo.findActiveIdentityByEmail(tx, person.email) : undefined;
    if (identity) {
      await repo.markIdentityMoved(tx, identity.id, org.id, clock.now());
      await audit.record({ actor: job, action: 'partner.identity.moved', entityType: 'webexIdentity', entityId: identity.id, after: { email: identity.email, customerOrgId: org.id, consent: 'first user' } }, tx);
    }
    return released.length ? [{ kind: 'release-holds', data: { subscriberIds: released.map((h) => h.subscriberId), at: clock.now().toISOString() } }] : [];
  });

  const release = async (subscriberIds: string[], at: string) => {
    for (const id of subscriberIds) await services.jobs.send(partner.jobs.provisionSubscriber, { subscriberId: id }, { actor: job, idempotencyKey: `${id}:released:${at}` });
    return { released: subscriberIds.length };
  };
  partner.extend.effect('release-holds', async (data) => release(data.subscriberIds as string[], data.at as string));

  partner.extend.effect('consent-email', async (data) => {
    const mailer = channels.mailer();
    if (!mailer) throw new AppError('SERVICE_UNAVAILABLE', 'Email is not configured: the consent email for moving an existing Webex account cannot be sent.');
    const link = channels.consentLink(data.subscriberId as string, data.email as string, new Date(data.expiresAt as string));
    await mailer.send({
      to: data.email as string,
      subject: 'Move your Webex account to your service provider',
      text:
        `Hello ${data.firstName},\n\nYour service provider is setting up Webex for ${data.orgName} for you, but ${data.email} already has a Webex account (${data.kind}).\n\n` +
        `To use Webex through your service provider, open the link below, sign in to your existing Webex account and delete it; you will then be set up with the same email address.\n\n${link}\n\n` +
        `The link is valid for ${CONSENT_DAYS} days. If you do not want this, you can decline on the same page.\n`,
    });
    return { sentTo: data.email };
  });

  async function pending(tx: Db, subscriberId: string, email: string) {
    const migration = await repo.findMigration(tx, subscriberId);
    const sub = await findSubscriber(tx, subscriberId, { forUpdate: true });
    if (!migration || !sub || sub.status !== 'pending_user_migration' || migration.state !== 'pending' || migration.email !== email.toLowerCase()) {
      throw new AppError('INVALID_STATE', 'This link is no longer valid: the move was already answered or the provisioning was changed.');
    }
    return { migration, sub };
  }

  /** The user signed in to the old account and deleted it: the subscriber is provisioned with the same email. */
  async function accept(subscriberId: string, email: string, password: string, actor: Actor = systemActor('webex-user-portal')) {
    const waiting = await repo.findMigration(database.db, subscriberId);
    if (waiting?.state !== 'pending') throw new AppError('INVALID_STATE', 'This link is no longer valid: the move was already answered or the provisioning was changed.');
    const identity = await repo.findActiveIdentityByEmail(database.db, email);
    // argon2 outside the transaction; the state is checked again inside.
    if (!identity || !(await verify(identity.passwordHash, password))) throw new AppError('INVALID_CREDENTIALS', 'The email address or the Webex password is wrong.');
    return database.transaction(async (tx, sql) => {
      const { sub } = await pending(tx, subscriberId, email);
      if (clock.now() > (await repo.findMigration(tx, subscriberId))!.expiresAt) throw new AppError('INVALID_STATE', 'This link has expired.');
      await repo.markIdentityMoved(tx, identity.id, (await findOrgByEnterprise(tx, sub.spEnterpriseId))!.id, clock.now());
      await repo.updateMigration(tx, subscriberId, { state: 'accepted', decidedAt: clock.now() });
      const after = await partner.setStatus(tx, sub, 'provisioning', { errors: [] });
      await services.jobs.send(partner.jobs.provisionSubscriber, { subscriberId }, { actor, idempotencyKey: `${subscriberId}:moved:${after.lastStatusChange.getTime()}`, tx: { db: tx, sql } });
      await audit.record({ actor, action: 'partner.identity.moved', entityType: 'webexIdentity', entityId: identity.id, after: { email: identity.email, subscriberId, consent: 'given' } }, tx);
      return after;
    });
  }

  async function decline(subscriberId: string, email: string, actor: Actor = systemActor('webex-user-portal')) {
    return database.transaction(async (tx) => {
      const { migration, sub } = await pending(tx, subscriberId, email);
      const identity = await repo.findIdentity(tx, migration.identityId);
      await repo.updateMigration(tx, subscriberId, { state: 'declined', decidedAt: clock.now() });
      const description = `The user declined to move their existing Webex account (${identity?.kind ?? 'free'}, ${migration.email}) to this organisation, so it was not provisioned. When the user agrees, use Retry onboarding to send the consent email again.`;
      const after = await partner.setStatus(tx, sub, 'error', { errors: [{ errorCode: migrationCodes.DECLINED, description }] });
      await audit.record({ actor, action: 'partner.subscriber.migration-declined', entityType: 'subscriber', entityId: subscriberId, after: { email: migration.email } }, tx);
      return after;
    });
  }

  /** Consent moves nobody answered in time end in an error the partner sees in the user status view. */
  async function expire(tx: Db, only?: string) {
    const due = (await repo.listExpiredMigrations(tx, clock.now())).filter((m) => !only || m.subscriberId === only);
    for (const migration of due) {
      await repo.updateMigration(tx, migration.subscriberId, { state: 'expired', decidedAt: clock.now() });
      const sub = await findSubscriber(tx, migration.subscriberId, { forUpdate: true });
      if (!sub || sub.status !== 'pending_user_migration') continue;
      const description = `The user did not answer the email asking to move their existing Webex account (${migration.email}) within ${CONSENT_DAYS} days. Use Retry onboarding to send a new one.`;
      await partner.setStatus(tx, sub, 'error', { errors: [{ errorCode: migrationCodes.EXPIRED, description }] });
      await audit.record({ actor: systemActor('partner.expire-user-migrations'), action: 'partner.subscriber.migration-expired', entityType: 'subscriber', entityId: sub.id, after: { email: migration.email } }, tx);
    }
    return due.length;
  }

  const jobs = {
    sweep: defineJob({
      queue: 'partner.expire-user-migrations',
      input: z.object({}),
      title: () => 'Expire unanswered consent moves; release admin-first holds whose first user was removed',
      cron: { expression: '*/15 * * * *', input: {} },
      retryLimit: 2,
      run: async (ctx) => {
        const expired = await ctx.transact('expire', (tx) => expire(tx));
        const orphaned = await ctx.transact('orphaned-holds', async (tx) => (await repo.takeOrphanedHolds(tx)).map((h) => h.subscriberId));
        const released = orphaned.length ? await ctx.step('release', () => release(orphaned, clock.now().toISOString())) : { released: 0 };
        return { expired, ...released };
      },
    }),
  };

  async function seedLabIdentities() {
    const lab = [
      { email: 'frank@initech.lab.example', displayName: 'Frank Initech', kind: 'consumer' },
      { email: 'grace@initech.lab.example', displayName: 'Grace Initech', kind: 'trial' },
      { email: 'erin@globex.lab.example', displayName: 'Erin Globex', kind: 'free' },
      { email: 'walter@freemail.lab.example', displayName: 'Walter Free', kind: 'free' },
    ];
    for (const identity of lab) {
      if (await repo.findActiveIdentityByEmail(database.db, identity.email)) continue;
      await repo.insertIdentity(database.db, { id: crypto.randomUUID(), ...identity, passwordHash: await hash(`${identity.email.split('@')[0]}-webex-password`, ARGON2), createdAt: clock.now() });
    }
  }

  return {
    jobs,
    accept,
    decline,
    expireOne: (subscriberId: string) => database.transaction((tx) => expire(tx, subscriberId)),
    expireAll: () => database.transaction((tx) => expire(tx)),
    holdOf: (subscriberId: string) => repo.findHold(database.db, subscriberId),
    migrationOf: (subscriberId: string) => repo.findMigration(database.db, subscriberId),
    identities: async () => (await repo.listIdentities(database.db)).map(({ passwordHash: _hash, ...rest }) => rest),
    addIdentity: async (input: { email: string; displayName: string; kind: 'consumer' | 'free' | 'trial'; password: string }) => {
      await repo.insertIdentity(database.db, { id: crypto.randomUUID(), email: input.email, displayName: input.displayName, kind: input.kind, passwordHash: await hash(input.password, ARGON2), createdAt: clock.now() });
    },
    seedLabIdentities,
  };
}
