import crypto from 'node:crypto';
import { AppError } from '../platform/errors.ts';
import * as repo from './partner.repository.ts';
import { findTemplate, findTemplateByProvisioningId } from './templates.repository.ts';
import * as dir from './directory.repository.ts';
import { defineOrganizationJobs } from './organizations.jobs.ts';
import { createUsageSnapshots } from './analytics.service.ts';
import { webexCodes, webexError } from './webex-errors.ts';
import type { Actor } from '../platform/auth/actor.ts';
import type { Db } from '../platform/db/database.ts';
import type { JobContext } from '../platform/jobs/job-context.ts';
import type { PlatformServices } from '../platform/services.ts';

// The enterprise side of Webex for BroadWorks: enterprises and their BroadWorks directory sync,
// BroadWorks workspaces, people and organisations with their deletion rules (P12), and detaching
// an enterprise from an existing organisation (P8).

/** One entry of an enterprise's BroadWorks directory: a BroadWorks-only user or a machine (room, fax, hunt group). */
export type DirectoryEntry = { userId: string; kind: 'user' | 'machine'; firstName?: string; lastName?: string; extension?: string; number?: string; mobile?: string };
/** Where directory sync reads an enterprise's BroadWorks directory from (the Lab's AS, for now). */
export type DirectorySource = (enterprise: { spEnterpriseId: string; clusterId: string }) => Promise<DirectoryEntry[]>;

const directorySources = new WeakMap<object, DirectorySource>();
export function setDirectorySource(services: PlatformServices, source: DirectorySource | null) {
  if (source) directorySources.set(services, source);
  else directorySources.delete(services);
}

const pendingStatuses = ['pending_email_input', 'pending_email_validation', 'pending_user_migration'];

export type WorkspaceInput = { provisioningId: string; userId: string; spEnterpriseId: string; displayName: string; primaryPhoneNumber?: string; extension?: string };
export type WorkspaceUpdate = { userId?: string; primaryPhoneNumber?: string; extension?: string };

export type Organizations = ReturnType<typeof createOrganizations>;

export function createOrganizations(services: PlatformServices) {
  const { database, clock, audit } = services;
  const db = database.db;
  const systemActor = (name: string): Actor => ({ type: 'system', id: null, name, role: 'system', customerOrgId: null });

  async function history(tx: Db, sub: repo.SubscriberRow) {
    await repo.insertHistory(tx, { subscriberId: sub.id, at: clock.now(), change: 'removed', userId: sub.userId, spEnterpriseId: sub.spEnterpriseId, package: sub.package, status: sub.status, selfActivated: sub.selfActivated, previous: null });
  }

  async function enterprise(customerOrgId: string) {
    const [row] = await dir.findEnterprises(db, { customerOrgId }, 1);
    if (!row || row.org.state === 'deleting') throw webexError('NOT_FOUND', webexCodes.ENTERPRISE_NOT_FOUND, `Enterprise ${customerOrgId} does not exist.`);
    return row;
  }

  // ── directory sync ──
  async function setDirectorySync(customerOrgId: string, enable: boolean, actor: Actor, trackingId: string) {
    await enterprise(customerOrgId);
    return database.transaction(async (tx) => {
      const before = await dir.findSync(tx, customerOrgId, { forUpdate: true });
      let removed = 0;
      // Turning it off removes what the syncs brought in (Webex schedules that clean-up; we do it at once).
      if (!enable) removed = await dir.deleteExternalUsers(tx, customerOrgId);
      const syncStatus = enable ? (before?.enableDirSync ? before.syncStatus : 'NOT_SYNCED') : 'NOT_SYNCED';
      await dir.upsertSync(tx, { customerOrgId, enableDirSync: enable, syncStatus, counts: before?.counts ?? {}, errors: before?.errors ?? [], lastSyncStartTime: before?.lastSyncStartTime ?? null, lastSyncEndTime: before?.lastSyncEndTime ?? null, lastSuccessfulSyncTime: before?.lastSuccessfulSyncTime ?? null, lastSyncTrackingId: before?.lastSyncTrackingId ?? null, updatedAt: clock.now() });
      await audit.record({ actor, action: 'partner.directory-sync.update', entityType: 'customerOrg', entityId: customerOrgId, before: before ? { enableDirSync: before.enableDirSync } : null, after: { enableDirSync: enable, externalUsersRemoved: removed }, trackingId }, tx);
      return { enableDirSync: enable, directorySyncStatus: { syncStatus } };
    });
  }

  async function triggerDirectorySync(customerOrgId: string, actor: Actor, trackingId: string) {
    await enterprise(customerOrgId);
    return database.transaction(async (tx, sql) => {
      const sync = await dir.findSync(tx, customerOrgId, { forUpdate: true });
      if (!sync?.enableDirSync) throw webexError('CONFLICT', webexCodes.DIRECTORY_SYNC_DISABLED, 'Directory sync is disabled for this enterprise; enable it first.');
      if (sync.syncStatus === 'IN_PROGRESS') throw webexError('CONFLICT', webexCodes.INVALID_STATUS, 'A directory sync of this enterprise is in progress; try again when it has finished.');
      await dir.upsertSync(tx, { ...sync, syncStatus: 'IN_PROGRESS', lastSyncStartTime: clock.now(), lastSyncEndTime: null, lastSyncTrackingId: trackingId, errors: [], updatedAt: clock.now() });
      await services.jobs.send(jobs.directorySync, { customerOrgId, trackingId }, { actor, idempotencyKey: `${customerOrgId}:sync:${trackingId}`, tx: { db: tx, sql } });
      await audit.record({ actor, action: 'partner.directory-sync.trigger', entityType: 'customerOrg', entityId: customerOrgId, trackingId }, tx);
      return { enableDirSync: true, directorySyncStatus: { syncStatus: 'IN_PROGRESS' } };
    });
  }

  async function directorySyncStatus(customerOrgId: string) {
    await enterprise(customerOrgId);
    const sync = await dir.findSync(db, customerOrgId);
    const external = sync ? await dir.listExternalUsers(db, customerOrgId) : [];
    return syncView(sync, external);
  }

  function syncView(sync: dir.EnterpriseSyncRow | undefined, external: dir.ExternalUserRow[]) {
    if (!sync) return { enableDirSync: false, directorySyncStatus: { syncStatus: 'NOT_SYNCED' } };
    const iso = (d: Date | null) => (d ? { value: d.toISOString() } : null);
    return {
      enableDirSync: sync.enableDirSync,
      directorySyncStatus: {
        ...(iso(sync.lastSyncStartTime) ? { lastSyncStartTime: sync.lastSyncStartTime!.toISOString() } : {}),
        ...(iso(sync.lastSyncEndTime) ? { lastSyncEndTime: sync.lastSyncEndTime!.toISOString() } : {}),
        syncStatus: sync.syncStatus,
        ...sync.counts,
        totalExternalUsersInCI: external.filter((e) => e.kind === 'user').length,
        totalExternalMachinesInCI: external.filter((e) => e.kind === 'machine').length,
        ...(sync.lastSuccessfulSyncTime ? { lastSuccessfulSyncTime: sync.lastSuccessfulSyncTime.toISOString() } : {}),
        ...(sync.lastSyncTrackingId ? { lastSyncTrackingId: sync.lastSyncTrackingId } : {}),
        ...(sync.errors.length ? { errors: sync.errors } : {}),
      },
    };
  }

  async function readDirectory(row: { org: repo.CustomerOrgRow; clusterId: string }) {
    const source = directorySources.get(services);
    if (!source) throw new AppError('UPSTREAM_UNREACHABLE', 'Broadworks External Directory User Sync failed while trying to connect to Broadworks cluster.');
    return source({ spEnterpriseId: row.org.spEnterpriseId, clusterId: row.clusterId });
  }

  /** Entries that are Webex subscribers are not external users: the directory sync skips them. */
  async function externalEntries(tx: Db, entries: DirectoryEntry[]) {
    const out: DirectoryEntry[] = [];
    for (const e of entries) if (!(await repo.findSubscriberByUserId(tx, e.userId))) out.push(e);
    return out;
  }

  const sameEntry = (a: dir.ExternalUserRow, b: DirectoryEntry) =>
    (a.firstName ?? '') === (b.firstName ?? '') && (a.lastName ?? '') === (b.lastName ?? '') && (a.extension ?? '') === (b.extension ?? '') && (a.number ?? '') === (b.number ?? '') && (a.mobile ?? '') === (b.mobile ?? '') && a.kind === b.kind;
  const entryRow = (customerOrgId: string, e: DirectoryEntry) => ({ customerOrgId, userId: e.userId, kind: e.kind, firstName: e.firstName ?? null, lastName: e.lastName ?? null, extension: e.extension ?? null, number: e.number ?? null, mobile: e.mobile ?? null, syncedAt: clock.now() });

  async function runDirectorySync(ctx: JobContext, { customerOrgId }: { customerOrgId: string; trackingId: string }) {
    const row = (await dir.findEnterprises(db, { customerOrgId }, 1))[0];
    if (!row) return { skipped: 'enterprise removed' };
    await ctx.progress({ step: 'reading the BroadWorks directory', percent: 10 });
    let entries: DirectoryEntry[];
    try {
      entries = await ctx.step('read-directory', () => readDirectory(row));
    } catch (error) {
      return ctx.transact('failed', async (tx) => {
        const sync = await dir.findSync(tx, customerOrgId, { forUpdate: true });
        if (!sync) return { skipped: 'sync removed' };
        const errors = [{ errorCode: webexCodes.DIRECTORY_SYNC_UNREACHABLE, description: (error as Error).message }];
        await dir.upsertSync(tx, { ...sync, syncStatus: 'FAILED', lastSyncEndTime: clock.now(), errors, updatedAt: clock.now() });
        return { syncStatus: 'FAILED', errors };
      });
    }
    await ctx.progress({ step: 'applying', percent: 60 });
    return ctx.transact('apply', async (tx) => {
      const sync = await dir.findSync(tx, customerOrgId, { forUpdate: true });
      if (!sync?.enableDirSync) return { skipped: 'directory sync disabled meanwhile' };
      const wanted = await externalEntries(tx, entries);
      const existing = new Map((await dir.listExternalUsers(tx, customerOrgId)).map((e) => [e.userId, e]));
      const counts = { usersAdded: 0, usersUpdated: 0, usersDeleted: 0, machinesAdded: 0, machinesUpdated: 0, machinesDeleted: 0 };
      const bump = (kind: string, what: 'Added' | 'Updated' | 'Deleted') => (counts[`${kind === 'machine' ? 'machines' : 'users'}${what}` as keyof typeof counts] += 1);
      for (const e of wanted) {
        const old = existing.get(e.userId);
        existing.delete(e.userId);
        if (old && sameEntry(old, e)) continue;
        await dir.upsertExternalUser(tx, entryRow(customerOrgId, e));
        bump(e.kind, old ? 'Updated' : 'Added');
      }
      if (existing.size) await dir.deleteExternalUsers(tx, customerOrgId, [...existing.keys()]);
      for (const gone of existing.values()) bump(gone.kind, 'Deleted');
      const now = clock.now();
      await dir.upsertSync(tx, { ...sync, syncStatus: 'COMPLETE', counts, errors: [], lastSyncEndTime: now, lastSuccessfulSyncTime: now, updatedAt: now });
      return { syncStatus: 'COMPLETE', ...counts };
    });
  }

  /** Syncs one external user at once (POST …/externalUser): ADD, UPDATE, DELETE or NO_OPERATION. */
  async function syncExternalUser(customerOrgId: string, userId: string, actor: Actor, trackingId: string) {
    const row = await enterprise(customerOrgId);
    const sync = await dir.findSync(db, customerOrgId);
    if (!sync?.enableDirSync) throw webexError('CONFLICT', webexCodes.DIRECTORY_SYNC_DISABLED, 'Directory sync is disabled for this enterprise; enable it first.');
    if (await repo.findSubscriberByUserId(db, userId)) throw webexError('VALIDATION_FAILED', webexCodes.INVALID_PARAMETER, `${userId} is a Webex subscriber, not an external (non-Webex) user.`, 'userId');
    let entries: DirectoryEntry[];
    try {
      entries = await readDirectory(row);
    } catch (error) {
      throw webexError('UPSTREAM_UNREACHABLE', webexCodes.DIRECTORY_SYNC_UNREACHABLE, (error as Error).message);
    }
    const entry = entries.find((e) => e.userId === userId);
    return database.transaction(async (tx) => {
      const old = (await dir.listExternalUsers(tx, customerOrgId)).find((e) => e.userId === userId);
      let status: 'ADD' | 'UPDATE' | 'DELETE' | 'NO_OPERATION' = 'NO_OPERATION';
      if (entry && !old) status = 'ADD';
      else if (entry && old && !sameEntry(old, entry)) status = 'UPDATE';
      else if (!entry && old) status = 'DELETE';
      else if (!entry && !old) throw webexError('NOT_FOUND', webexCodes.INVALID_PARAMETER, `No user ${userId} in the BroadWorks directory of ${row.org.spEnterpriseId}.`, 'userId');
      if (status === 'ADD' || status === 'UPDATE') await dir.upsertExternalUser(tx, entryRow(customerOrgId, entry!));
      if (status === 'DELETE') await dir.deleteExternalUsers(tx, customerOrgId, [userId]);
      if (status !== 'NO_OPERATION') await audit.record({ actor, action: 'partner.directory-sync.user', entityType: 'customerOrg', entityId: customerOrgId, after: { userId, status }, trackingId }, tx);
      const shown = entry ?? { userId, firstName: old?.firstName ?? undefined, lastName: old?.lastName ?? undefined, extension: old?.extension ?? undefined, number: old?.number ?? undefined, mobile: old?.mobile ?? undefined };
      const userResponse = Object.fromEntries(Object.entries({ userId, firstName: shown.firstName, lastName: shown.lastName, extension: shown.extension, number: shown.number, mobile: shown.mobile }).filter(([, v]) => v !== undefined && v !== null)) as Record<string, string>;
      return { userResponse: userResponse as { userId: string }, status };
    });
  }

  // ── workspaces ──
  async function createWorkspace(input: WorkspaceInput, actor: Actor, trackingId: string) {
    return database.transaction(async (tx) => {
      const template = await findTemplateByProvisioningId(tx, input.provisioningId);
      if (!template) throw webexError('VALIDATION_FAILED', webexCodes.UNKNOWN_PROVISIONING_ID, `No customer template has provisioning ID ${input.provisioningId}.`, 'provisioningId');
      if (template.wholesale) throw webexError('FORBIDDEN', webexCodes.WHOLESALE_REJECTED, 'Wholesale customers are rejected by the BroadWorks provisioning APIs.');
      // "Provision a workspace for an existing customer": the enterprise's org must exist already.
      const org = await repo.findOrgByEnterprise(tx, input.spEnterpriseId);
      if (!org || org.state !== 'active') throw webexError('NOT_FOUND', webexCodes.ENTERPRISE_NOT_FOUND, `Enterprise ${input.spEnterpriseId} is not a customer yet: provision a subscriber of it first.`, 'spEnterpriseId');
      if (org.templateId !== template.id) throw webexError('CONFLICT', webexCodes.INVALID_PARAMETER, `Enterprise ${input.spEnterpriseId} is a customer of another template.`, 'spEnterpriseId');
      await assertUserIdFree(tx, input.userId);
      const row: dir.WorkspaceRow = { id: crypto.randomUUID(), customerOrgId: org.id, provisioningId: input.provisioningId, userId: input.userId, spEnterpriseId: input.spEnterpriseId, displayName: input.displayName, primaryPhoneNumber: input.primaryPhoneNumber || null, extension: input.extension || null, created: clock.now() };
      await dir.insertWorkspace(tx, row);
      await audit.record({ actor, action: 'partner.workspace.create', entityType: 'workspace', entityId: row.id, after: row, trackingId }, tx);
      return row;
    });
  }

  async function assertUserIdFree(tx: Db, userId: string, exceptWorkspace?: string) {
    const workspace = await dir.findWorkspaceByUserId(tx, userId);
    if ((workspace && workspace.id !== exceptWorkspace) || (await repo.findSubscriberByUserId(tx, userId))) {
      throw webexError('CONFLICT', webexCodes.USER_ID_IN_USE, 'The BroadWorks UserID is already associated with an existing user.', 'userId');
    }
  }

  async function getWorkspace(id: string) {
    const row = await dir.findWorkspace(db, id);
    if (!row) throw webexError('NOT_FOUND', webexCodes.WORKSPACE_NOT_FOUND, `Workspace ${id} does not exist.`);
    return row;
  }

  async function updateWorkspace(id: string, change: WorkspaceUpdate, actor: Actor, trackingId: string) {
    return database.transaction(async (tx) => {
      const before = await dir.findWorkspace(tx, id);
      if (!before) throw webexError('NOT_FOUND', webexCodes.WORKSPACE_NOT_FOUND, `Workspace ${id} does not exist.`);
      if (change.userId && change.userId !== before.userId) await assertUserIdFree(tx, change.userId, id);
      const patch: Partial<dir.WorkspaceRow> = {};
      if (change.userId) patch.userId = change.userId;
      // Empty strings remove a number, as for subscribers.
      if (change.primaryPhoneNumber !== undefined) patch.primaryPhoneNumber = change.primaryPhoneNumber || null;
      if (change.extension !== undefined) patch.extension = change.extension || null;
      await dir.updateWorkspace(tx, id, patch);
      const after = { ...before, ...patch };
      await audit.record({ actor, action: 'partner.workspace.update', entityType: 'workspace', entityId: id, before, after, trackingId }, tx);
      return after;
    });
  }

  async function removeWorkspace(id: string, actor: Actor, trackingId: string) {
    await database.transaction(async (tx) => {
      const before = await dir.findWorkspace(tx, id);
      if (!before) throw webexError('NOT_FOUND', webexCodes.WORKSPACE_NOT_FOUND, `Workspace ${id} does not exist.`);
      await dir.deleteWorkspace(tx, id);
      await audit.record({ actor, action: 'partner.workspace.remove', entityType: 'workspace', entityId: id, before, trackingId }, tx);
    });
  }

  // ── people (P12) ──
  /** May this actor see / delete people of that org? Customer admins act in their own org only. */
  function inScope(actor: Actor, customerOrgId: string | null) {
    return actor.role !== 'customer_admin' || (customerOrgId !== null && actor.customerOrgId === customerOrgId);
  }

  async function getPerson(id: string, actor: Actor) {
    const person = await repo.findPerson(db, id);
    if (!person || !person.customerOrgId || !inScope(actor, person.customerOrgId)) throw webexError('NOT_FOUND', webexCodes.PERSON_NOT_FOUND, `Person ${id} does not exist.`);
    return person;
  }

  async function listPeople(filter: dir.PeopleFilter, page: { offset: number; limit: number }, actor: Actor) {
    if (actor.role === 'customer_admin') {
      if (filter.customerOrgId && filter.customerOrgId !== actor.customerOrgId) throw webexError('FORBIDDEN', webexCodes.FORBIDDEN, 'Only admins of another organisation (such as partners) may use orgId.', 'orgId');
      filter = { ...filter, customerOrgId: actor.customerOrgId ?? '00000000-0000-0000-0000-000000000000' };
    }
    const rows = await dir.findPeople(db, filter, page);
    const subs = new Map<string, repo.SubscriberRow>();
    for (const p of rows) {
      const [sub] = await dir.subscribersOfPerson(db, p.id);
      if (sub) subs.set(p.id, sub);
    }
    return rows.map((p) => ({ person: p, subscriber: subs.get(p.id) }));
  }

  async function subscriberOf(personId: string) {
    return (await dir.subscribersOfPerson(db, personId))[0];
  }

  /**
   * Full deletion of a person (P12): its BroadWorks subscriber goes too. The last full admin of an
   * org is refused unless `force` — Cisco transfers nothing automatically, so say so first.
   */
  async function deletePerson(id: string, actor: Actor, options: { force?: boolean; trackingId?: string } = {}) {
    await database.transaction(async (tx) => {
      const person = await dir.findPersonForUpdate(tx, id);
      if (!person || !person.customerOrgId || !inScope(actor, person.customerOrgId)) throw webexError('NOT_FOUND', webexCodes.PERSON_NOT_FOUND, `Person ${id} does not exist.`);
      const org = await dir.findOrgForUpdate(tx, person.customerOrgId);
      if (org && actor.role !== 'customer_admin' && actor.role !== 'system' && org.partnerRole !== 'full_admin') {
        throw webexError('FORBIDDEN', webexCodes.FORBIDDEN, `The partner is a provisioning administrator of ${org.displayName}; provisioning administrators cannot delete users (an external full administrator can).`);
      }
      if (org && actor.role === 'customer_admin' && org.restricted) {
        throw webexError('FORBIDDEN', webexCodes.FORBIDDEN, `${org.displayName} is restricted by the partner: customer administrators cannot delete users.`);
      }
      if (person.isAdmin && !options.force && (await repo.countAdminsOfOrg(tx, person.customerOrgId)) === 1) {
        throw webexError(
          'CONFLICT',
          webexCodes.LAST_ADMIN,
          `${person.email} is the last full administrator of ${org?.displayName ?? 'the organisation'}. The administrator role is not transferred automatically: make someone else an administrator first, or repeat with force=true to delete anyway.`,
        );
      }
      const subs = await dir.subscribersOfPerson(tx, id);
      for (const sub of subs) {
        await repo.deleteSubscriber(tx, sub.id);
        await history(tx, sub);
      }
      await dir.deletePerson(tx, id);
      await audit.record({ actor, action: 'partner.person.delete', entityType: 'person', entityId: id, before: person, after: { subscribersRemoved: subs.map((s) => s.id), forced: Boolean(options.force) }, trackingId: options.trackingId }, tx);
    });
  }

  // ── organisations (P12) ──
  async function getOrganization(id: string, actor: Actor) {
    const org = await repo.findOrg(db, id);
    if (!org || !inScope(actor, org.id)) throw webexError('NOT_FOUND', webexCodes.ORGANIZATION_NOT_FOUND, `Organization ${id} does not exist.`);
    return org;
  }

  async function listOrganizations(actor: Actor) {
    return (await repo.listOrgs(db)).filter((o) => inScope(actor, o.id));
  }

  /** Webex's documented 409 conditions, the ones this model has. */
  async function deletionBlockers(tx: Db, org: repo.CustomerOrgRow) {
    const reasons: string[] = [];
    if ((await dir.findSync(tx, org.id))?.enableDirSync) reasons.push('Org cannot be deleted as Directory Synchronization is enabled.');
    if ((await dir.countActiveSubscribersOfOrg(tx, org.id)) > 0) reasons.push('Org cannot be deleted as it has active subscriptions or licenses.');
    if ((await dir.countPeopleOfOrg(tx, org.id)) > 1) reasons.push('Org cannot be deleted as it has more than 1 user.');
    return reasons;
  }

  /** DELETE /v1/organizations/{id}: refused (409) while Webex would refuse; else a job deletes it. */
  async function deleteOrganization(id: string, actor: Actor, trackingId?: string) {
    return startOrgJob(id, actor, 'deleting', async (tx, org) => {
      const reasons = await deletionBlockers(tx, org);
      if (reasons.length) throw new AppError('CONFLICT', reasons.join(' '), { webexErrors: reasons.map((description) => ({ errorCode: webexCodes.ORGANIZATION_NOT_DELETABLE, description })) });
    }, (tx, sql) => services.jobs.send(jobs.deleteOrganization, { customerOrgId: id }, { actor, idempotencyKey: `${id}:delete`, tx: { db: tx, sql } }), 'partner.organization.delete', trackingId);
  }

  /** The console's whole procedure (seed 001 "Delete the organisation"): people, directory sync, then the org. */
  async function teardownOrganization(id: string, actor: Actor) {
    return startOrgJob(id, actor, 'deleting', async () => {}, (tx, sql) => services.jobs.send(jobs.deleteOrganization, { customerOrgId: id }, { actor, idempotencyKey: `${id}:delete`, tx: { db: tx, sql } }), 'partner.organization.teardown');
  }

  /** P8: detach an enterprise from the existing Webex org it was attached to (P7). */
  async function detachOrganization(id: string, flow: 'standard' | 'hybrid', actor: Actor) {
    return startOrgJob(id, actor, 'detaching', async (_tx, org) => {
      if (!org.attachedWebexOrgId) throw new AppError('INVALID_STATE', `${org.displayName} was created by the partner, not attached to an existing organisation: delete it instead of detaching.`);
    }, (tx, sql) => services.jobs.send(jobs.detachOrganization, { customerOrgId: id, flow }, { actor, idempotencyKey: `${id}:detach`, tx: { db: tx, sql } }), `partner.organization.detach.${flow}`);
  }

  async function startOrgJob(
    id: string,
    actor: Actor,
    state: 'deleting' | 'detaching',
    check: (tx: Db, org: repo.CustomerOrgRow) => Promise<void>,
    send: (tx: Db, sql: Parameters<Parameters<typeof database.transaction>[0]>[1]) => Promise<{ id: string }>,
    action: string,
    trackingId?: string,
  ) {
    return database.transaction(async (tx, sql) => {
      const org = await dir.findOrgForUpdate(tx, id);
      if (!org || !inScope(actor, org.id)) throw webexError('NOT_FOUND', webexCodes.ORGANIZATION_NOT_FOUND, `Organization ${id} does not exist.`);
      if (org.state !== 'active') throw webexError('CONFLICT', webexCodes.ORGANIZATION_NOT_DELETABLE, `${org.displayName} is already ${org.state}.`);
      if (actor.role !== 'customer_admin' && org.partnerRole !== 'full_admin') throw webexError('FORBIDDEN', webexCodes.FORBIDDEN, `The partner is a provisioning administrator of ${org.displayName}; only an external full administrator can do this.`);
      await check(tx, org);
      await dir.setOrgState(tx, id, state);
      const job = await send(tx, sql);
      await audit.record({ actor, action, entityType: 'customerOrg', entityId: id, before: org, after: { state, jobId: job.id }, trackingId }, tx);
      return { jobId: job.id, state };
    });
  }

  async function runDeleteOrganization(ctx: JobContext, { customerOrgId }: { customerOrgId: string }) {
    const actor = systemActor('partner.delete-organization');
    const people = await ctx.transact('people', async (tx) => {
      const org = await repo.findOrg(tx, customerOrgId);
      if (!org) return { deleted: 0 };
      let deleted = 0;
      for (;;) {
        const batch = await dir.peopleOfOrg(tx, customerOrgId, 500);
        if (!batch.length) break;
        for (const p of batch) await deletePersonIn(tx, p, actor);
        deleted += batch.length;
      }
      // Subscribers not yet linked to a person (pending) go with the org too.
      for (const sub of await dir.subscribersOfOrg(tx, customerOrgId, org.spEnterpriseId)) {
        await repo.deleteSubscriber(tx, sub.id);
        await history(tx, sub);
      }
      return { deleted };
    });
    await ctx.progress({ step: 'people deleted', percent: 40 });
    const sync = await ctx.transact('directory-sync', async (tx) => {
      const externalRemoved = await dir.deleteExternalUsers(tx, customerOrgId);
      await dir.deleteSync(tx, customerOrgId);
      return { externalRemoved };
    });
    await ctx.progress({ step: 'directory sync disabled', percent: 70 });
    const org = await ctx.transact('organization', async (tx) => {
      const before = await repo.findOrg(tx, customerOrgId);
      if (!before) return { deleted: false };
      const workspacesRemoved = await dir.deleteWorkspacesOfOrg(tx, customerOrgId);
      await dir.deleteOrg(tx, customerOrgId);
      await audit.record({ actor, action: 'partner.customer.delete', entityType: 'customerOrg', entityId: customerOrgId, before }, tx);
      return { deleted: true, workspacesRemoved };
    });
    return { peopleDeleted: people.deleted, externalUsersRemoved: sync.externalRemoved, ...org };
  }

  async function deletePersonIn(tx: Db, person: repo.PersonRow, actor: Actor) {
    for (const sub of await dir.subscribersOfPerson(tx, person.id)) {
      await repo.deleteSubscriber(tx, sub.id);
      await history(tx, sub);
    }
    await dir.deletePerson(tx, person.id);
    await audit.record({ actor, action: 'partner.person.delete', entityType: 'person', entityId: person.id, before: person }, tx);
  }

  /**
   * P8 detach, following seed 001's order: workspaces, subscribers, pending users, the BroadWorks
   * calling configuration (enterprise mapping and directory sync). Standard flow: the subscriber
   * data (people) goes and the Webex-for-BroadWorks subscription is deactivated, so the partner's
   * external admin access ends. Hybrid flow: no subscription changes; the people stay (free users).
   */
  async function runDetach(ctx: JobContext, { customerOrgId, flow }: { customerOrgId: string; flow: 'standard' | 'hybrid' }) {
    const actor = systemActor('partner.detach-organization');
    const org = await repo.findOrg(db, customerOrgId);
    if (!org) return { skipped: 'organisation gone' };
    const workspacesRemoved = await ctx.transact('workspaces', (tx) => dir.deleteWorkspacesOfOrg(tx, customerOrgId));
    await ctx.progress({ step: 'workspaces removed', percent: 20 });
    const removeSubs = async (tx: Db, pending: boolean) => {
      let n = 0;
      for (const sub of await dir.subscribersOfOrg(tx, customerOrgId, org.spEnterpriseId)) {
        if (pendingStatuses.includes(sub.status) !== pending) continue;
        await repo.deleteSubscriber(tx, sub.id);
        await history(tx, sub);
        n += 1;
      }
      return n;
    };
    const subscribersRemoved = await ctx.transact('subscribers', (tx) => removeSubs(tx, false));
    await ctx.progress({ step: 'subscribers removed', percent: 40 });
    const pendingRemoved = await ctx.transact('pending-users', (tx) => removeSubs(tx, true));
    await ctx.progress({ step: 'pending users removed', percent: 60 });
    const result = await ctx.transact('calling-config', async (tx) => {
      const externalUsersRemoved = await dir.deleteExternalUsers(tx, customerOrgId);
      await dir.deleteSync(tx, customerOrgId);
      const people = await dir.peopleOfOrg(tx, customerOrgId, 100_000);
      let peopleDeleted = 0;
      if (flow === 'standard') {
        for (const p of people) await dir.deletePerson(tx, p.id);
        peopleDeleted = people.length;
        const template = await findTemplate(tx, org.templateId);
        const webexOrg = org.attachedWebexOrgId ? await repo.findWebexOrg(tx, org.attachedWebexOrgId, { forUpdate: true }) : undefined;
        if (webexOrg && template) {
          const admin = template.partnerAdminEmail.toLowerCase();
          await repo.updateWebexOrg(tx, webexOrg.id, { approvedPartnerAdmins: webexOrg.approvedPartnerAdmins.filter((e) => e.toLowerCase() !== admin), approvalRequestedFor: webexOrg.approvalRequestedFor.filter((e) => e.toLowerCase() !== admin) });
        }
      } else {
        await dir.releasePeopleOfOrg(tx, customerOrgId);
      }
      // The enterprise is free again: provisioning it later attaches it anew (seed 001).
      await dir.deleteOrg(tx, customerOrgId);
      const outcome = { flow, workspacesRemoved, subscribersRemoved, pendingRemoved, externalUsersRemoved, peopleDeleted, peopleKept: flow === 'hybrid' ? people.length : 0, subscription: flow === 'standard' ? 'deactivated' : 'unchanged' };
      await audit.record({ actor, action: 'partner.customer.detach', entityType: 'customerOrg', entityId: customerOrgId, before: org, after: outcome }, tx);
      return outcome;
    });
    await ctx.progress({ step: 'detached', percent: 100 });
    return result;
  }

  const snapshots = createUsageSnapshots(services);
  const jobs = defineOrganizationJobs({ directorySync: runDirectorySync, deleteOrganization: runDeleteOrganization, detachOrganization: runDetach, usageSnapshot: snapshots.run });

  return {
    jobs,
    enterprises: {
      list: (filter: dir.EnterpriseFilter, limit: number) => dir.findEnterprises(db, filter, limit),
      syncView,
      externalUsers: (customerOrgId: string) => dir.listExternalUsers(db, customerOrgId),
      setDirectorySync,
      triggerDirectorySync,
      directorySyncStatus,
      syncExternalUser,
    },
    workspaces: { create: createWorkspace, get: getWorkspace, update: updateWorkspace, remove: removeWorkspace },
    people: { get: getPerson, list: listPeople, delete: deletePerson, subscriberOf },
    organizations: { get: getOrganization, list: listOrganizations, delete: deleteOrganization, teardown: teardownOrganization, detach: detachOrganization },
    analytics: snapshots,
  };
}
