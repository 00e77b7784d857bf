import { AppError, notFound } from '../platform/errors.ts';
import * as repo from './partner.repository.ts';
import { findTemplateByProvisioningId } from './templates.repository.ts';
import { webexCodes, webexError } from './webex-errors.ts';
import type { Actor } from '../platform/auth/actor.ts';
import type { Db } from '../platform/db/database.ts';
import type { JobContext } from '../platform/jobs/job-context.ts';
import type { PlatformServices } from '../platform/services.ts';
import type { ProvisionInput } from './accepts.service.ts';
import type { PartnerJobs } from './partner.jobs.ts';
import type { Package } from './partner.service.ts';
import type { SubscriberHistory } from './subscriber-history.service.ts';

// Subscribers once accepted (P2, P5, P9, P11, P12): read, changed (the `partner.update-subscriber`
// job applies a provisioned one's change), removed, retried; and the precheck of a new one.

export const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export type UpdateInput = Partial<{
  userId: string;
  firstName: string;
  lastName: string;
  primaryPhoneNumber: string;
  mobilePhoneNumber: string;
  extension: string;
  timezone: string;
  language: string;
  package: Package;
}>;

export type PrecheckInput = Partial<ProvisionInput> & { email: string; customerInfo?: { primaryEmail: string } };

export type Subscribers = ReturnType<typeof createSubscribers>;

export function createSubscribers(services: Pick<PlatformServices, 'database' | 'audit' | 'jobs'>, jobs: PartnerJobs, history: SubscriberHistory) {
  const { database, audit } = services;
  const db = database.db;
  const { recordChange, setStatus } = history;

  async function getSubscriber(id: string) {
    const row = await repo.findSubscriber(db, id);
    if (!row) throw webexError('NOT_FOUND', webexCodes.SUBSCRIBER_NOT_FOUND, `Subscriber ${id} does not exist.`);
    return row;
  }

  /** Untrusted flow: the user entered an email; it waits for validation. */
  async function enterEmail(id: string, email: string, actor: Actor) {
    if (!EMAIL.test(email)) throw new AppError('VALIDATION_FAILED', `${email} is not an email address.`, { field: 'email' });
    return database.transaction(async (tx) => {
      const sub = await repo.findSubscriber(tx, id, { forUpdate: true });
      if (!sub) throw notFound('Subscriber', id);
      if (sub.status !== 'pending_email_input' && sub.status !== 'pending_email_validation') throw new AppError('INVALID_STATE', `This activation is no longer pending (${sub.status}).`);
      if (await repo.findSubscriberByEmail(tx, email, sub.id)) throw new AppError('CONFLICT', `The email address ${email} is already used by another subscriber.`);
      const after = await setStatus(tx, sub, 'pending_email_validation', { email });
      await audit.record({ actor, action: 'partner.subscriber.email-entered', entityType: 'subscriber', entityId: id, after: { email } }, tx);
      return after;
    });
  }

  async function updateSubscriber(id: string, input: UpdateInput, actor: Actor, trackingId?: string) {
    return database.transaction(async (tx, sql) => {
      const sub = await repo.findSubscriber(tx, id, { forUpdate: true });
      if (!sub) throw webexError('NOT_FOUND', webexCodes.SUBSCRIBER_NOT_FOUND, `Subscriber ${id} does not exist.`);
      if (sub.status === 'provisioning' || sub.status === 'updating') {
        throw webexError('CONFLICT', webexCodes.INVALID_STATUS, `The subscriber is ${sub.status}; try again when that has finished.`);
      }
      const merged = { ...sub, ...(sub.pendingUpdate ?? {}), ...input };
      const number = merged.primaryPhoneNumber || null;
      const extension = merged.extension || null;
      if (!number && !extension) throw webexError('VALIDATION_FAILED', webexCodes.NULL_PARAMETER, 'The user must have either a primary phone number or an extension configured.', input.primaryPhoneNumber === '' ? 'primaryPhoneNumber' : 'extension');
      if (input.userId && input.userId !== sub.userId) {
        const other = await repo.findSubscriberByUserId(tx, input.userId);
        if (other) throw webexError('CONFLICT', webexCodes.USER_ID_IN_USE, 'The BroadWorks UserID is already associated with an existing user.', 'userId');
      }
      const change = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Record<string, string>;
      let after: repo.SubscriberRow;
      if (sub.status === 'provisioned') {
        // Applied by the job; the response still shows the old values (as Webex documents).
        after = await setStatus(tx, sub, 'updating', { pendingUpdate: change });
        await services.jobs.send(jobs.updateSubscriber, { subscriberId: id }, { actor, idempotencyKey: `${id}:update:${after.lastStatusChange.getTime()}`, tx: { db: tx, sql } });
      } else {
        after = await applyChange(tx, sub, change);
      }
      await audit.record({ actor, action: 'partner.subscriber.update', entityType: 'subscriber', entityId: id, before: sub, after: change, trackingId }, tx);
      return after;
    });
  }

  async function applyChange(tx: Db, sub: repo.SubscriberRow, change: Record<string, string>) {
    const patch: Partial<repo.SubscriberRow> = {};
    for (const key of ['firstName', 'lastName', 'timezone', 'language', 'userId'] as const) if (change[key] !== undefined) patch[key] = change[key];
    for (const key of ['primaryPhoneNumber', 'mobilePhoneNumber', 'extension'] as const) if (change[key] !== undefined) patch[key] = change[key] || null;
    if (change.package !== undefined) patch.package = change.package;
    const next = { ...sub, ...patch };
    await repo.updateSubscriber(tx, sub.id, { ...patch, pendingUpdate: null });
    if (patch.package && patch.package !== sub.package) await recordChange(tx, next, 'package', sub.package);
    if (patch.userId && patch.userId !== sub.userId) await recordChange(tx, next, 'user_id', sub.userId);
    return next;
  }

  async function applyUpdate(ctx: JobContext, { subscriberId }: { subscriberId: string }) {
    await ctx.progress({ step: 'updating', percent: 10 });
    return ctx.transact('update', async (tx) => {
      const sub = await repo.findSubscriber(tx, subscriberId, { forUpdate: true });
      if (!sub || sub.status !== 'updating') return { skipped: sub?.status ?? 'removed' };
      const applied = await applyChange(tx, sub, sub.pendingUpdate ?? {});
      await setStatus(tx, applied, 'provisioned', { pendingUpdate: null, errors: [] });
      return { status: 'provisioned', applied: sub.pendingUpdate };
    });
  }

  /** Removes the BroadWorks mapping (partial deletion): the person stays as a free Webex user. */
  async function removeSubscriber(id: string, actor: Actor, trackingId?: string) {
    await database.transaction(async (tx) => {
      const sub = await repo.findSubscriber(tx, id, { forUpdate: true });
      if (!sub) throw webexError('NOT_FOUND', webexCodes.SUBSCRIBER_NOT_FOUND, `Subscriber ${id} does not exist.`);
      await repo.deleteSubscriber(tx, id);
      await recordChange(tx, sub, 'removed');
      await audit.record({ actor, action: 'partner.subscriber.remove', entityType: 'subscriber', entityId: id, before: sub, trackingId }, tx);
    });
  }

  /** Retry onboarding (P5/P9): an errored or email-pending subscriber, optionally with a (new) email. */
  async function retryOnboarding(id: string, email: string | undefined, actor: Actor) {
    return database.transaction(async (tx, sql) => {
      const sub = await repo.findSubscriber(tx, id, { forUpdate: true });
      if (!sub) throw notFound('Subscriber', id);
      if (!['error', 'pending_email_input', 'pending_email_validation', 'pending_user_migration'].includes(sub.status)) {
        throw new AppError('INVALID_STATE', `Only errored or pending subscribers can be retried; this one is ${sub.status}.`);
      }
      const address = email ?? sub.email;
      if (!address || !EMAIL.test(address)) throw new AppError('VALIDATION_FAILED', 'A valid email address is needed to retry onboarding.', { field: 'email' });
      if (await repo.findSubscriberByEmail(tx, address, sub.id)) throw new AppError('CONFLICT', `The email address ${address} is already used by another subscriber.`);
      const after = await setStatus(tx, sub, 'provisioning', { email: address, errors: [] });
      await services.jobs.send(jobs.provisionSubscriber, { subscriberId: id }, { actor, idempotencyKey: `${id}:${after.lastStatusChange.getTime()}`, tx: { db: tx, sql } });
      await audit.record({ actor, action: 'partner.subscriber.retry', entityType: 'subscriber', entityId: id, before: { status: sub.status, email: sub.email }, after: { status: 'provisioning', email: address } }, tx);
      return after;
    });
  }

  async function precheckSubscriber(input: PrecheckInput) {
    const problems: { errorCode: number; description: string; fieldName?: string }[] = [];
    if (input.provisioningId) {
      const template = await findTemplateByProvisioningId(db, input.provisioningId);
      if (!template) problems.push({ errorCode: webexCodes.UNKNOWN_PROVISIONING_ID, description: `No customer template has provisioning ID ${input.provisioningId}.`, fieldName: 'provisioningId' });
      else if (template.wholesale) problems.push({ errorCode: webexCodes.WHOLESALE_REJECTED, description: 'Wholesale customers are rejected by the BroadWorks provisioning APIs.' });
      const org = input.spEnterpriseId ? await repo.findOrgByEnterprise(db, input.spEnterpriseId) : undefined;
      if (template && org && org.templateId !== template.id) problems.push({ errorCode: webexCodes.INVALID_PARAMETER, description: `Enterprise ${input.spEnterpriseId} is a customer of another template.`, fieldName: 'spEnterpriseId' });
    }
    if (input.userId && (await repo.findSubscriberByUserId(db, input.userId))) problems.push({ errorCode: webexCodes.USER_ID_IN_USE, description: 'The BroadWorks UserID is already associated with an existing user.', fieldName: 'userId' });
    if (await repo.findSubscriberByEmail(db, input.email)) problems.push({ errorCode: webexCodes.EMAIL_IN_USE, description: `The email address ${input.email} is already used by another subscriber.`, fieldName: 'email' });
    else {
      const person = await repo.findPersonByEmail(db, input.email);
      const org = input.spEnterpriseId ? await repo.findOrgByEnterprise(db, input.spEnterpriseId) : undefined;
      if (person && person.customerOrgId && person.customerOrgId !== org?.id) problems.push({ errorCode: webexCodes.EMAIL_IN_USE, description: `The email address ${input.email} belongs to a Webex user of another organisation.`, fieldName: 'email' });
    }
    if (problems.length) throw new AppError('CONFLICT', problems[0]!.description, { webexErrors: problems });
    return { message: 'success', info: { infoCode: 100, description: 'Provisioning preCheck validation successful.' } };
  }

  return {
    get: getSubscriber,
    enterEmail,
    update: updateSubscriber,
    remove: removeSubscriber,
    retry: retryOnboarding,
    precheck: precheckSubscriber,
    list: (filter: repo.SubscriberFilter, page: { offset: number; limit: number }) => repo.findSubscribers(db, filter, page),
    count: (filter: repo.SubscriberFilter) => repo.countSubscribers(db, filter),
    history: (id: string) => repo.findHistory(db, id),
    applyUpdate,
  };
}
