import crypto from 'node:crypto';
import { AppError, notFound } from '../platform/errors.ts';
import * as repo from './org-settings.repository.ts';
import { findOrg, findPersonByEmail, insertPerson } from './partner.repository.ts';
import { accessFor, checkControls, checkOrgScope, checkPartnerOnly, isRestrictedFor, RESTRICTED_BANNER, restrictedControls, type ControlId } from './restrictions.service.ts';
import { listClaimableIdentities, markIdentityMoved } from './user-migration.repository.ts';
import { packages, type Package, type Partner } from './partner.service.ts';
import type { Actor } from '../platform/auth/actor.ts';
import type { Db } from '../platform/db/database.ts';
import type { PlatformServices } from '../platform/services.ts';

// A customer org's Control Hub settings (P13) under restricted-by-partner mode (P14), the partner's
// release schedule (P13) and the org's users as Control Hub shows them.

/** Settings stored per org, their defaults, and which restricted control (P14) or partner-only rule guards them. */
export const settingDefaults = {
  domain: null as string | null,
  suppressAdminInviteEmails: false,
  emailLanguage: 'en',
  authenticationMode: 'broadworks' as 'broadworks' | 'webex' | 'sso',
  autoLicense: false,
  directorySync: false,
  appCallPriority: 'broadworks' as 'broadworks' | 'webex',
  callBehavior: 'webex_app' as 'webex_app' | 'jabber' | 'third_party',
  pstnConnection: 'none' as 'none' | 'local_gateway' | 'cisco_pstn',
  migrationsService: true,
  connectedUc: true,
  /** P13: Webex Assistant for meetings; applies to Standard and Premium users only. */
  webexAssistant: true,
  /** P13: configuration tags of the partner; both media types are on by default. */
  videoCalls: true,
  screenShareInCalls: true,
  incomingCallMedia: 'video' as 'video' | 'audio',
};
export type OrgSettingValues = typeof settingDefaults;
export type OrgSettingsPatch = Partial<OrgSettingValues> & { companyName?: string; releaseDeferDays?: number | null };

const guardOf: Record<keyof OrgSettingsPatch, ControlId | 'partner' | null> = {
  companyName: 'account.company-name',
  domain: 'settings.domain',
  suppressAdminInviteEmails: 'settings.email',
  emailLanguage: 'settings.email',
  authenticationMode: 'settings.authentication',
  autoLicense: 'users.auto-license',
  directorySync: 'users.directory-sync',
  appCallPriority: 'calling.app-priority',
  callBehavior: 'calling.behavior',
  pstnConnection: 'calling.pstn',
  migrationsService: 'services.migrations',
  connectedUc: 'services.connected-uc',
  // Partner and customer admins may both turn the assistant off (seed 001).
  webexAssistant: null,
  videoCalls: 'partner',
  screenShareInCalls: 'partner',
  incomingCallMedia: 'partner',
  releaseDeferDays: 'partner',
};
const hiddenWhenRestricted = new Set<keyof OrgSettingValues>(['pstnConnection', 'migrationsService', 'connectedUc']);

/** Webex Assistant comes with the meeting sites of these packages only. */
export const assistantPackages: readonly Package[] = ['standard', 'premium'];
export const MAX_RELEASE_DEFER_DAYS = 90;

/** Cisco ships a Webex App release on the 1st of each month (UTC); the release a deferral leaves an org on. */
export function appReleaseAt(at: Date, deferDays: number) {
  const d = new Date(at.getTime() - deferDays * 86_400_000);
  return `${String(d.getUTCFullYear()).slice(2)}.${d.getUTCMonth() + 1}`;
}

type PersonLine = Awaited<ReturnType<typeof repo.listOrgPeople>>[number];
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export type OrgSettings = ReturnType<typeof createOrgSettings>;

export function createOrgSettings(services: PlatformServices, partner: Partner) {
  const { database, clock, audit } = services;
  const db = database.db;

  // P13: free Webex calling is fixed for a user when they are provisioned from the template's
  // "disable free calling"; changing the template later changes new users only (remove and
  // provision a user again to apply it to them, as Cisco documents).
  partner.extend.provisioned(async (tx, { person, template, org, newPerson }) => {
    // A person made just now has no settings yet; one provisioned again keeps theirs.
    const existing = newPerson ? undefined : (await repo.findOrgPerson(tx, org.id, person.id))?.settings;
    await repo.upsertPersonSettings(tx, {
      personId: person.id,
      customerOrgId: org.id,
      freeCalling: !template.disableFreeCalling,
      displayName: existing?.displayName ?? null,
      primaryWorkNumber: existing?.primaryWorkNumber ?? null,
      services: existing?.services ?? { messaging: true, meetings: true, calling: true },
      package: existing?.package ?? null,
      updatedAt: clock.now(),
    });
  });

  async function orgOf(tx: Db, actor: Actor, orgId: string) {
    checkOrgScope(actor, orgId);
    const org = await findOrg(tx, orgId);
    if (!org) throw notFound('Customer organisation', orgId);
    return org;
  }

  async function partnerDefer(tx: Db) {
    const row = await repo.findReleaseSettings(tx, await partner.partnerOrgId(tx));
    return row?.deferDays ?? 0;
  }

  async function view(tx: Db, actor: Actor, orgId: string) {
    const org = await orgOf(tx, actor, orgId);
    const stored = await repo.findOrgSettings(tx, orgId);
    const values = { ...settingDefaults, ...(stored?.values ?? {}) } as OrgSettingValues;
    const restricted = isRestrictedFor(actor, org);
    const shown = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, restricted && hiddenWhenRestricted.has(k as keyof OrgSettingValues) ? null : v]));
    const defer = stored?.releaseDeferDays ?? (await partnerDefer(tx));
    return {
      customerOrgId: org.id,
      companyName: org.displayName,
      restrictedByPartner: org.restricted,
      banner: restricted ? RESTRICTED_BANNER : null,
      ...(shown as { [K in keyof OrgSettingValues]: OrgSettingValues[K] | null }),
      release: { deferDays: defer, source: stored?.releaseDeferDays === null || stored?.releaseDeferDays === undefined ? ('partner' as const) : ('org' as const), appRelease: appReleaseAt(clock.now(), defer) },
    };
  }

  async function getSettings(actor: Actor, orgId: string) {
    return view(db, actor, orgId);
  }

  async function updateSettings(actor: Actor, orgId: string, patch: OrgSettingsPatch, trackingId?: string) {
    const keys = (Object.keys(patch) as (keyof OrgSettingsPatch)[]).filter((k) => patch[k] !== undefined);
    return database.transaction(async (tx) => {
      checkOrgScope(actor, orgId);
      const org = await repo.findOrgForUpdate(tx, orgId);
      if (!org) throw notFound('Customer organisation', orgId);
      checkPartnerOnly(actor, keys.filter((k) => guardOf[k] === 'partner'));
      checkControls(actor, org, keys.map((k) => guardOf[k]).filter((g): g is ControlId => g !== null && g !== 'partner'));
      if (patch.releaseDeferDays !== undefined && patch.releaseDeferDays !== null && (patch.releaseDeferDays < 0 || patch.releaseDeferDays > MAX_RELEASE_DEFER_DAYS)) {
        throw new AppError('VALIDATION_FAILED', `A release can be deferred by 0 to ${MAX_RELEASE_DEFER_DAYS} days.`, { field: 'releaseDeferDays' });
      }
      const before = await view(tx, actor, orgId);
      const stored = await repo.findOrgSettings(tx, orgId);
      const { companyName, releaseDeferDays, ...values } = patch;
      if (companyName !== undefined) await repo.updateOrg(tx, orgId, { displayName: companyName });
      await repo.upsertOrgSettings(tx, {
        customerOrgId: orgId,
        values: { ...(stored?.values ?? {}), ...Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) },
        releaseDeferDays: releaseDeferDays !== undefined ? releaseDeferDays : (stored?.releaseDeferDays ?? null),
        updatedAt: clock.now(),
      });
      const after = await view(tx, actor, orgId);
      await audit.record({ actor, action: 'partner.customer.settings', entityType: 'customerOrg', entityId: orgId, before, after: { changed: keys, ...after }, trackingId }, tx);
      return after;
    });
  }

  /** P14: the partner turns restricted-by-partner mode on or off for one customer org. */
  async function setRestricted(actor: Actor, orgId: string, restricted: boolean, trackingId?: string) {
    return database.transaction(async (tx) => {
      const org = await repo.findOrgForUpdate(tx, orgId);
      if (!org) throw notFound('Customer organisation', orgId);
      await repo.updateOrg(tx, orgId, { restricted });
      await audit.record({ actor, action: 'partner.customer.restricted', entityType: 'customerOrg', entityId: orgId, before: { restricted: org.restricted }, after: { restricted }, trackingId }, tx);
      return { ...org, restricted };
    });
  }

  // ── release schedule (P13) ──
  async function getReleaseSchedule() {
    const deferDays = await partnerDefer(db);
    return { deferDays, appRelease: appReleaseAt(clock.now(), deferDays), ciscoRelease: appReleaseAt(clock.now(), 0), orgOverrides: await repo.countReleaseOverrides(db) };
  }
  /** The partner-wide schedule; `cascade` makes every customer follow it (their own schedules are dropped). */
  async function setReleaseSchedule(actor: Actor, input: { deferDays: number; cascade?: boolean }, trackingId?: string) {
    if (!Number.isInteger(input.deferDays) || input.deferDays < 0 || input.deferDays > MAX_RELEASE_DEFER_DAYS) {
      throw new AppError('VALIDATION_FAILED', `A release can be deferred by 0 to ${MAX_RELEASE_DEFER_DAYS} days.`, { field: 'deferDays' });
    }
    await database.transaction(async (tx) => {
      const partnerOrgId = await partner.partnerOrgId(tx);
      const before = await repo.findReleaseSettings(tx, partnerOrgId);
      await repo.upsertReleaseSettings(tx, { partnerOrgId, deferDays: input.deferDays, updatedAt: clock.now() });
      const cleared = input.cascade ? await repo.clearReleaseOverrides(tx) : 0;
      await audit.record({ actor, action: 'partner.release-schedule.update', entityType: 'partnerOrg', entityId: partnerOrgId, before: { deferDays: before?.deferDays ?? 0 }, after: { deferDays: input.deferDays, cascade: Boolean(input.cascade), overridesCleared: cleared }, trackingId }, tx);
    });
    return getReleaseSchedule();
  }

  // ── users as Control Hub shows them ──
  const userView = (line: PersonLine, assistantOn: boolean) => {
    const pkg = (line.subscriber?.package ?? line.settings?.package ?? null) as Package | null;
    return {
      id: line.person.id,
      email: line.person.email,
      firstName: line.person.firstName,
      lastName: line.person.lastName,
      displayName: line.settings?.displayName ?? ([line.person.firstName, line.person.lastName].filter(Boolean).join(' ') || line.person.email),
      isAdmin: line.person.isAdmin,
      package: pkg,
      subscriberId: line.subscriber?.id ?? null,
      subscriberStatus: line.subscriber?.status ?? null,
      primaryWorkNumber: line.settings?.primaryWorkNumber ?? line.subscriber?.primaryPhoneNumber ?? null,
      services: line.settings?.services ?? { messaging: true, meetings: true, calling: true },
      freeCalling: line.settings?.freeCalling ?? true,
      webexAssistant: assistantOn && pkg !== null && assistantPackages.includes(pkg),
    };
  };
  async function assistantOn(tx: Db, orgId: string) {
    const stored = await repo.findOrgSettings(tx, orgId);
    return ((stored?.values ?? {}) as Partial<OrgSettingValues>).webexAssistant ?? settingDefaults.webexAssistant;
  }

  async function listUsers(actor: Actor, orgId: string) {
    await orgOf(db, actor, orgId);
    const on = await assistantOn(db, orgId);
    return (await repo.listOrgPeople(db, orgId)).map((l) => userView(l, on));
  }

  async function addPerson(tx: Db, orgId: string, input: { email: string; firstName?: string; lastName?: string; package?: Package }) {
    const email = input.email.trim().toLowerCase();
    if (!EMAIL.test(email)) throw new AppError('VALIDATION_FAILED', `${input.email} is not an email address.`, { field: 'email' });
    if (await findPersonByEmail(tx, email)) throw new AppError('ALREADY_EXISTS', `A Webex user with the email ${email} exists.`, { field: 'email' });
    const id = crypto.randomUUID();
    await insertPerson(tx, { id, customerOrgId: orgId, email, firstName: input.firstName ?? null, lastName: input.lastName ?? null, isAdmin: false, createdAt: clock.now() });
    await repo.upsertPersonSettings(tx, { personId: id, customerOrgId: orgId, package: input.package ?? null, updatedAt: clock.now() });
    return id;
  }

  async function addUser(actor: Actor, orgId: string, input: { email: string; firstName?: string; lastName?: string; package?: Package }, trackingId?: string) {
    return database.transaction(async (tx) => {
      const org = await orgOf(tx, actor, orgId);
      checkControls(actor, org, ['users.manage']);
      const id = await addPerson(tx, orgId, input);
      await audit.record({ actor, action: 'partner.customer.user.add', entityType: 'person', entityId: id, after: { customerOrgId: orgId, ...input }, trackingId }, tx);
      const line = (await repo.findOrgPerson(tx, orgId, id))!;
      return userView(line, await assistantOn(tx, orgId));
    });
  }

  /** CSV with a header line: email,firstName,lastName[,package]. Each bad line is reported, the rest added. */
  async function importUsers(actor: Actor, orgId: string, csv: string, trackingId?: string) {
    const org = await orgOf(db, actor, orgId);
    checkControls(actor, org, ['users.manage']);
    const lines = csv.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
    const header = (lines.shift() ?? '').split(',').map((h) => h.trim());
    if (header[0] !== 'email') throw new AppError('VALIDATION_FAILED', 'The CSV must start with a header line: email,firstName,lastName[,package].', { field: 'csv' });
    const added: string[] = [];
    const errors: { line: number; message: string }[] = [];
    for (const [i, line] of lines.entries()) {
      const cells = Object.fromEntries(line.split(',').map((c, j) => [header[j], c.trim()]));
      try {
        if (cells.package && !(packages as readonly string[]).includes(cells.package)) throw new AppError('VALIDATION_FAILED', `Unknown package ${cells.package}.`);
        await database.transaction(async (tx) => {
          const id = await addPerson(tx, orgId, { email: cells.email ?? '', firstName: cells.firstName, lastName: cells.lastName, package: (cells.package || undefined) as Package | undefined });
          await audit.record({ actor, action: 'partner.customer.user.add', entityType: 'person', entityId: id, after: { customerOrgId: orgId, email: cells.email, via: 'csv' }, trackingId }, tx);
        });
        added.push(cells.email!.toLowerCase());
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        errors.push({ line: i + 2, message: error.message });
      }
    }
    return { added, errors };
  }

  async function updateUser(
    actor: Actor,
    orgId: string,
    personId: string,
    patch: { firstName?: string; lastName?: string; displayName?: string; email?: string; package?: Package; services?: Record<string, boolean>; primaryWorkNumber?: string | null },
    trackingId?: string,
  ) {
    const org = await orgOf(db, actor, orgId);
    const controls: ControlId[] = [];
    if (patch.package !== undefined) controls.push('users.package');
    if (patch.services !== undefined) controls.push('users.services');
    if (patch.primaryWorkNumber !== undefined) controls.push('users.primary-work-number');
    checkControls(actor, org, controls);
    const line = await repo.findOrgPerson(db, orgId, personId);
    if (!line) throw notFound('User', personId);
    // A subscriber's package changes through the provisioning pipeline (asynchronously, P11).
    if (patch.package !== undefined && line.subscriber && patch.package !== line.subscriber.package) await partner.subscribers.update(line.subscriber.id, { package: patch.package }, actor, trackingId);
    return database.transaction(async (tx) => {
      const current = (await repo.findOrgPerson(tx, orgId, personId))!;
      if (patch.email !== undefined) {
        const email = patch.email.trim().toLowerCase();
        if (!EMAIL.test(email)) throw new AppError('VALIDATION_FAILED', `${patch.email} is not an email address.`, { field: 'email' });
        const other = await findPersonByEmail(tx, email);
        if (other && other.id !== personId) throw new AppError('ALREADY_EXISTS', `A Webex user with the email ${email} exists.`, { field: 'email' });
      }
      await repo.updatePerson(tx, personId, {
        ...(patch.firstName !== undefined ? { firstName: patch.firstName } : {}),
        ...(patch.lastName !== undefined ? { lastName: patch.lastName } : {}),
        ...(patch.email !== undefined ? { email: patch.email.trim().toLowerCase() } : {}),
      });
      await repo.upsertPersonSettings(tx, {
        personId,
        customerOrgId: orgId,
        freeCalling: current.settings?.freeCalling ?? true,
        displayName: patch.displayName ?? current.settings?.displayName ?? null,
        primaryWorkNumber: patch.primaryWorkNumber !== undefined ? patch.primaryWorkNumber : (current.settings?.primaryWorkNumber ?? null),
        services: patch.services ? { ...(current.settings?.services ?? { messaging: true, meetings: true, calling: true }), ...patch.services } : (current.settings?.services ?? { messaging: true, meetings: true, calling: true }),
        package: !current.subscriber && patch.package !== undefined ? patch.package : (current.settings?.package ?? null),
        updatedAt: clock.now(),
      });
      await audit.record({ actor, action: 'partner.customer.user.update', entityType: 'person', entityId: personId, before: userView(current, true), after: patch, trackingId }, tx);
      return userView((await repo.findOrgPerson(tx, orgId, personId))!, await assistantOn(tx, orgId));
    });
  }

  /** The full service status of a user (P14 hides it from restricted customer admins). */
  async function serviceStatus(actor: Actor, orgId: string, personId: string) {
    const org = await orgOf(db, actor, orgId);
    checkControls(actor, org, ['users.service-status']);
    const line = await repo.findOrgPerson(db, orgId, personId);
    if (!line) throw notFound('User', personId);
    const user = userView(line, await assistantOn(db, orgId));
    const settings = await view(db, actor, orgId);
    return {
      personId,
      services: Object.entries(user.services).map(([service, on]) => ({ service, state: on ? 'active' : 'disabled' })),
      broadworksCalling: line.subscriber ? { subscriberId: line.subscriber.id, status: line.subscriber.status, package: line.subscriber.package } : null,
      upgradeChannel: settings.release,
    };
  }

  /** Claims Webex accounts (consumer, free, trial) whose email is in the org's domain into it. */
  async function claimUsers(actor: Actor, orgId: string, emails: string[], trackingId?: string) {
    return database.transaction(async (tx) => {
      const org = await orgOf(tx, actor, orgId);
      checkControls(actor, org, ['users.claim']);
      const domain = ((await repo.findOrgSettings(tx, orgId))?.values as Partial<OrgSettingValues> | undefined)?.domain;
      if (!domain) throw new AppError('INVALID_STATE', 'Set the organisation domain before claiming users: only accounts in it can be claimed.', { field: 'domain' });
      const wanted = new Set(emails.map((e) => e.trim().toLowerCase()));
      const found = await listClaimableIdentities(tx, [...wanted]);
      const claimed: string[] = [];
      const skipped: { email: string; reason: string }[] = [];
      for (const email of wanted) {
        const identity = found.find((i) => i.email === email);
        if (!identity) skipped.push({ email, reason: 'No consumer, free or trial Webex account has this email.' });
        else if (!email.endsWith(`@${domain.toLowerCase()}`)) skipped.push({ email, reason: `Not in the organisation domain ${domain}.` });
        else {
          await addPerson(tx, orgId, { email, firstName: identity.displayName.split(' ')[0], lastName: identity.displayName.split(' ').slice(1).join(' ') || undefined });
          await markIdentityMoved(tx, identity.id, orgId, clock.now());
          claimed.push(email);
        }
      }
      await audit.record({ actor, action: 'partner.customer.users.claim', entityType: 'customerOrg', entityId: orgId, after: { claimed, skipped }, trackingId }, tx);
      return { claimed, skipped };
    });
  }

  return {
    access: async (actor: Actor, orgId: string) => accessFor(actor, await orgOf(db, actor, orgId)),
    controls: restrictedControls,
    get: getSettings,
    update: updateSettings,
    setRestricted,
    releaseSchedule: { get: getReleaseSchedule, set: setReleaseSchedule },
    users: { list: listUsers, add: addUser, import: importUsers, update: updateUser, serviceStatus, claim: claimUsers },
  };
}
