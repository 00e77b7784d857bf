import { and, asc, count, eq, gt, gte, inArray, like, lt, sql, type SQL } from 'drizzle-orm';
import { customerOrgs, customerTemplates, people, subscriberHistory, subscribers } from './partner.schema.ts';
import { enterpriseSync, externalUsers, usageSnapshots, workspaces } from './directory.schema.ts';
import type { Db } from '../platform/db/database.ts';

export type EnterpriseSyncRow = typeof enterpriseSync.$inferSelect;
export type ExternalUserRow = typeof externalUsers.$inferSelect;
export type WorkspaceRow = typeof workspaces.$inferSelect;

// ── enterprises (customer orgs with their template's provisioning ID) ──
export type EnterpriseFilter = {
  spEnterpriseId?: string;
  startsWith?: string;
  customerOrgId?: string;
  /** Upper case; an enterprise that never had directory sync set up is NOT_SYNCED. */
  syncStatuses?: string[];
  /** Last directory sync ended at or after. */
  lastSyncEndFrom?: Date;
  /** Organisation created after. */
  createdAfter?: Date;
};

export async function findEnterprises(db: Db, filter: EnterpriseFilter, limit: number) {
  const c: SQL[] = [];
  if (filter.syncStatuses !== undefined) c.push(inArray(sql`coalesce(${enterpriseSync.syncStatus}, 'NOT_SYNCED')`, filter.syncStatuses));
  if (filter.lastSyncEndFrom !== undefined) c.push(gte(enterpriseSync.lastSyncEndTime, filter.lastSyncEndFrom));
  if (filter.createdAfter !== undefined) c.push(gt(customerOrgs.createdAt, filter.createdAfter));
  if (filter.spEnterpriseId !== undefined) c.push(eq(customerOrgs.spEnterpriseId, filter.spEnterpriseId));
  // LIKE with the user's text escaped, so % and _ match themselves.
  if (filter.startsWith !== undefined) c.push(like(customerOrgs.spEnterpriseId, `${filter.startsWith.replace(/[\\%_]/g, (m) => `\\${m}`)}%`));
  if (filter.customerOrgId !== undefined) c.push(eq(customerOrgs.id, filter.customerOrgId));
  return db
    .select({ org: customerOrgs, provisioningId: customerTemplates.provisioningId, clusterId: customerTemplates.clusterId, sync: enterpriseSync })
    .from(customerOrgs)
    .innerJoin(customerTemplates, eq(customerOrgs.templateId, customerTemplates.id))
    .leftJoin(enterpriseSync, eq(enterpriseSync.customerOrgId, customerOrgs.id))
    .where(c.length ? and(...c) : undefined)
    .orderBy(asc(customerOrgs.spEnterpriseId))
    .limit(limit);
}

export async function findSync(db: Db, customerOrgId: string, options: { forUpdate?: boolean } = {}) {
  const query = db.select().from(enterpriseSync).where(eq(enterpriseSync.customerOrgId, customerOrgId));
  const [row] = options.forUpdate ? await query.for('update') : await query;
  return row;
}
export async function upsertSync(db: Db, row: typeof enterpriseSync.$inferInsert) {
  const { customerOrgId: _key, ...patch } = row;
  await db.insert(enterpriseSync).values(row).onConflictDoUpdate({ target: enterpriseSync.customerOrgId, set: patch });
}
export async function deleteSync(db: Db, customerOrgId: string) {
  await db.delete(enterpriseSync).where(eq(enterpriseSync.customerOrgId, customerOrgId));
}

// ── external (directory-synced) users ──
export const listExternalUsers = (db: Db, customerOrgId: string) => db.select().from(externalUsers).where(eq(externalUsers.customerOrgId, customerOrgId));
export async function upsertExternalUser(db: Db, row: typeof externalUsers.$inferInsert) {
  const { customerOrgId: _o, userId: _u, ...patch } = row;
  await db.insert(externalUsers).values(row).onConflictDoUpdate({ target: [externalUsers.customerOrgId, externalUsers.userId], set: patch });
}
export async function deleteExternalUsers(db: Db, customerOrgId: string, userIds?: string[]) {
  const where = userIds ? and(eq(externalUsers.customerOrgId, customerOrgId), inArray(externalUsers.userId, userIds)) : eq(externalUsers.customerOrgId, customerOrgId);
  const deleted = await db.delete(externalUsers).where(where).returning({ userId: externalUsers.userId });
  return deleted.length;
}

// ── workspaces ──
export async function findWorkspace(db: Db, id: string) {
  const [row] = await db.select().from(workspaces).where(eq(workspaces.id, id));
  return row;
}
export async function findWorkspaceByUserId(db: Db, userId: string) {
  const [row] = await db.select().from(workspaces).where(eq(workspaces.userId, userId));
  return row;
}
export async function insertWorkspace(db: Db, row: typeof workspaces.$inferInsert) {
  await db.insert(workspaces).values(row);
}
export async function updateWorkspace(db: Db, id: string, patch: Partial<typeof workspaces.$inferInsert>) {
  await db.update(workspaces).set(patch).where(eq(workspaces.id, id));
}
export async function deleteWorkspace(db: Db, id: string) {
  await db.delete(workspaces).where(eq(workspaces.id, id));
}
export async function deleteWorkspacesOfOrg(db: Db, customerOrgId: string) {
  return (await db.delete(workspaces).where(eq(workspaces.customerOrgId, customerOrgId)).returning({ id: workspaces.id })).length;
}

// ── people and orgs ──
export type PeopleFilter = { customerOrgId?: string; email?: string; displayNamePrefix?: string; ids?: string[]; adminsOnly?: boolean; partnerOnly?: boolean };
export async function findPeople(db: Db, filter: PeopleFilter, page: { offset: number; limit: number }) {
  const c: SQL[] = [];
  if (filter.customerOrgId !== undefined) c.push(eq(people.customerOrgId, filter.customerOrgId));
  if (filter.email !== undefined) c.push(eq(sql`lower(${people.email})`, filter.email.toLowerCase()));
  if (filter.displayNamePrefix !== undefined) {
    c.push(sql`lower(coalesce(${people.firstName}, '') || ' ' || coalesce(${people.lastName}, '')) like ${`${filter.displayNamePrefix.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)}%`}`);
  }
  if (filter.ids) c.push(inArray(people.id, filter.ids.length ? filter.ids : ['00000000-0000-0000-0000-000000000000']));
  if (filter.adminsOnly) c.push(eq(people.isAdmin, true));
  // Identities the partner manages: people of its customer orgs.
  c.push(sql`${people.customerOrgId} is not null`);
  return db.select().from(people).where(and(...c)).orderBy(asc(people.createdAt), asc(people.id)).offset(page.offset).limit(page.limit);
}
export async function findPersonForUpdate(db: Db, id: string) {
  const [row] = await db.select().from(people).where(eq(people.id, id)).for('update');
  return row;
}
export async function deletePerson(db: Db, id: string) {
  await db.delete(people).where(eq(people.id, id));
}
/** Hybrid detach: the people stay in Webex as free users, no longer in a partner-managed org. */
export async function releasePeopleOfOrg(db: Db, customerOrgId: string) {
  await db.update(people).set({ customerOrgId: null }).where(eq(people.customerOrgId, customerOrgId));
}
export async function countPeopleOfOrg(db: Db, customerOrgId: string) {
  const [row] = await db.select({ n: count() }).from(people).where(eq(people.customerOrgId, customerOrgId));
  return row?.n ?? 0;
}
export async function findOrgForUpdate(db: Db, id: string) {
  const [row] = await db.select().from(customerOrgs).where(eq(customerOrgs.id, id)).for('update');
  return row;
}
export async function setOrgState(db: Db, id: string, state: string) {
  await db.update(customerOrgs).set({ state }).where(eq(customerOrgs.id, id));
}
export async function deleteOrg(db: Db, id: string) {
  await db.delete(customerOrgs).where(eq(customerOrgs.id, id));
}
export async function subscribersOfPerson(db: Db, personId: string) {
  return db.select().from(subscribers).where(eq(subscribers.personId, personId));
}
export async function subscribersOfOrg(db: Db, customerOrgId: string, spEnterpriseId: string) {
  // Pending users have no customerOrgId yet: they belong to the org through their enterprise.
  return db
    .select()
    .from(subscribers)
    .where(sql`${subscribers.customerOrgId} = ${customerOrgId} or (${subscribers.customerOrgId} is null and ${subscribers.spEnterpriseId} = ${spEnterpriseId})`);
}
export async function countActiveSubscribersOfOrg(db: Db, customerOrgId: string) {
  const [row] = await db.select({ n: count() }).from(subscribers).where(eq(subscribers.customerOrgId, customerOrgId));
  return row?.n ?? 0;
}
export async function peopleOfOrg(db: Db, customerOrgId: string, limit: number) {
  return db.select().from(people).where(eq(people.customerOrgId, customerOrgId)).orderBy(asc(people.isAdmin), asc(people.id)).limit(limit);
}

// ── usage snapshots (P15) ──
/**
 * Provisioned users per package at `at`: for every subscriber, its last history entry at or before
 * `at` decides (removed ones and other statuses count nowhere). `updating` still has its package.
 */
export async function packageCountsAt(db: Db, at: Date) {
  const rows = await db.execute(sql`
    select package, count(*) as n from (
      select distinct on (${subscriberHistory.subscriberId}) ${subscriberHistory.change} as change, ${subscriberHistory.status} as status, ${subscriberHistory.package} as package
      from ${subscriberHistory}
      where ${subscriberHistory.at} < ${at.toISOString()}
      order by ${subscriberHistory.subscriberId}, ${subscriberHistory.at} desc, ${subscriberHistory.id} desc
    ) last
    where change <> 'removed' and status in ('provisioned', 'updating')
    group by package`);
  return (rows.rows as { package: string; n: string }[]).map((r) => ({ package: r.package, n: Number(r.n) }));
}
/** The first change the subscriber history holds: where a trend computed from it can start. */
export async function firstHistoryAt(db: Db): Promise<Date | undefined> {
  const [row] = await db.select({ at: subscriberHistory.at }).from(subscriberHistory).orderBy(asc(subscriberHistory.at)).limit(1);
  return row?.at;
}
export async function upsertSnapshot(db: Db, row: typeof usageSnapshots.$inferInsert) {
  await db.insert(usageSnapshots).values(row).onConflictDoUpdate({ target: [usageSnapshots.day, usageSnapshots.package], set: { users: row.users, computedAt: row.computedAt } });
}
export async function findSnapshots(db: Db, from: string, to: string) {
  return db.select().from(usageSnapshots).where(and(gte(usageSnapshots.day, from), sql`${usageSnapshots.day} <= ${to}`)).orderBy(asc(usageSnapshots.day), asc(usageSnapshots.package));
}
export async function pruneSnapshots(db: Db, before: string) {
  return (await db.delete(usageSnapshots).where(lt(usageSnapshots.day, before)).returning({ day: usageSnapshots.day })).length;
}
export async function latestSnapshotDay(db: Db) {
  const [row] = await db.select({ day: usageSnapshots.day }).from(usageSnapshots).orderBy(sql`${usageSnapshots.day} desc`).limit(1);
  return row?.day;
}
