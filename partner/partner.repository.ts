import { and, asc, count, eq, gt, inArray, ne, notInArray, sql, type SQL } from 'drizzle-orm';
import { customerOrgs, partnerOrgs, people, subscriberHistory, subscribers, webexOrgs } from './partner.schema.ts';
import type { Db } from '../platform/db/database.ts';

export type CustomerOrgRow = typeof customerOrgs.$inferSelect;
export type PersonRow = typeof people.$inferSelect;
export type SubscriberRow = typeof subscribers.$inferSelect;

// ── partner org ──
export async function findFirstPartnerOrg(db: Db) {
  const [row] = await db.select().from(partnerOrgs).orderBy(asc(partnerOrgs.createdAt)).limit(1);
  return row;
}
export async function insertPartnerOrg(db: Db, row: typeof partnerOrgs.$inferInsert) {
  await db.insert(partnerOrgs).values(row).onConflictDoNothing();
}

// ── customer orgs ──
export async function findOrgByEnterprise(db: Db, spEnterpriseId: string) {
  const [row] = await db.select().from(customerOrgs).where(eq(customerOrgs.spEnterpriseId, spEnterpriseId));
  return row;
}
export async function findOrg(db: Db, id: string) {
  const [row] = await db.select().from(customerOrgs).where(eq(customerOrgs.id, id));
  return row;
}
/**
 * Holds the enterprise until the transaction ends: two first users of a new enterprise provisioned at
 * once are then provisioned one after the other, the second seeing the org the first made.
 */
export async function lockEnterprise(db: Db, spEnterpriseId: string) {
  await db.execute(sql`select pg_advisory_xact_lock(hashtext(${`partner.enterprise:${spEnterpriseId}`}))`);
}
/** Inserts the enterprise's org unless it exists; true when this call created it. */
export async function insertOrgOnce(db: Db, row: typeof customerOrgs.$inferInsert): Promise<boolean> {
  const inserted = await db.insert(customerOrgs).values(row).onConflictDoNothing({ target: customerOrgs.spEnterpriseId }).returning({ id: customerOrgs.id });
  return inserted.length > 0;
}
export const listOrgs = (db: Db) => db.select().from(customerOrgs).orderBy(asc(customerOrgs.displayName));
/** Name or enterprise ID containing `search` (any case); a % or _ in it is matched as itself. */
function orgSearch(search: string | undefined): SQL | undefined {
  if (!search) return undefined;
  const pattern = `%${search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql`(lower(${customerOrgs.displayName}) like ${pattern} or lower(${customerOrgs.spEnterpriseId}) like ${pattern})`;
}
export async function findOrgs(db: Db, search: string | undefined, page: { offset: number; limit: number }) {
  return db.select().from(customerOrgs).where(orgSearch(search)).orderBy(asc(customerOrgs.displayName), asc(customerOrgs.id)).offset(page.offset).limit(page.limit);
}
export async function countOrgs(db: Db, search: string | undefined) {
  const [row] = await db.select({ n: count() }).from(customerOrgs).where(orgSearch(search));
  return row?.n ?? 0;
}
export async function packageCountsByOrg(db: Db, orgIds?: string[]) {
  if (orgIds?.length === 0) return [];
  return db
    .select({ customerOrgId: subscribers.customerOrgId, package: subscribers.package, n: count() })
    .from(subscribers)
    .where(orgIds ? and(eq(subscribers.status, 'provisioned'), inArray(subscribers.customerOrgId, orgIds)) : eq(subscribers.status, 'provisioned'))
    .groupBy(subscribers.customerOrgId, subscribers.package);
}

// ── people ──
export async function findPersonByEmail(db: Db, email: string) {
  const [row] = await db.select().from(people).where(eq(sql`lower(${people.email})`, email.toLowerCase()));
  return row;
}
export async function findPerson(db: Db, id: string) {
  const [row] = await db.select().from(people).where(eq(people.id, id));
  return row;
}
export async function insertPerson(db: Db, row: typeof people.$inferInsert) {
  await db.insert(people).values(row);
}
export async function countAdminsOfOrg(db: Db, orgId: string) {
  const [row] = await db.select({ n: count() }).from(people).where(and(eq(people.customerOrgId, orgId), eq(people.isAdmin, true)));
  return row?.n ?? 0;
}

// ── subscribers ──
export async function findSubscriber(db: Db, id: string, options: { forUpdate?: boolean } = {}) {
  const query = db.select().from(subscribers).where(eq(subscribers.id, id));
  const [row] = options.forUpdate ? await query.for('update') : await query;
  return row;
}
/** Several subscribers locked in one statement, in id order (so two callers lock in one order). */
export async function findSubscribersForUpdate(db: Db, ids: string[]) {
  return ids.length ? db.select().from(subscribers).where(inArray(subscribers.id, ids)).orderBy(asc(subscribers.id)).for('update') : [];
}
export async function findSubscriberByUserId(db: Db, userId: string) {
  const [row] = await db.select().from(subscribers).where(eq(subscribers.userId, userId));
  return row;
}
export async function findSubscriberByEmail(db: Db, email: string, exceptId?: string) {
  const conditions = [eq(sql`lower(${subscribers.email})`, email.toLowerCase())];
  if (exceptId) conditions.push(ne(subscribers.id, exceptId));
  const [row] = await db.select().from(subscribers).where(and(...conditions)).limit(1);
  return row;
}
export async function insertSubscriber(db: Db, row: typeof subscribers.$inferInsert) {
  await db.insert(subscribers).values(row);
}
export async function updateSubscriber(db: Db, id: string, patch: Partial<typeof subscribers.$inferInsert>) {
  await db.update(subscribers).set(patch).where(eq(subscribers.id, id));
}
export async function deleteSubscriber(db: Db, id: string) {
  await db.delete(subscribers).where(eq(subscribers.id, id));
}

export type SubscriberFilter = {
  userId?: string;
  personId?: string;
  email?: string;
  provisioningId?: string;
  spEnterpriseId?: string;
  templateId?: string;
  lastStatusChangeAfter?: Date;
  createdAfter?: Date;
  statuses?: string[];
  excludeStatuses?: string[];
  selfActivated?: boolean;
};

function subscriberWhere(filter: SubscriberFilter): SQL | undefined {
  const c: SQL[] = [];
  if (filter.userId !== undefined) c.push(eq(subscribers.userId, filter.userId));
  if (filter.personId !== undefined) c.push(eq(subscribers.personId, filter.personId));
  if (filter.email !== undefined) c.push(eq(sql`lower(${subscribers.email})`, filter.email.toLowerCase()));
  if (filter.provisioningId !== undefined) c.push(eq(subscribers.provisioningId, filter.provisioningId));
  if (filter.spEnterpriseId !== undefined) c.push(eq(subscribers.spEnterpriseId, filter.spEnterpriseId));
  if (filter.templateId !== undefined) c.push(eq(subscribers.templateId, filter.templateId));
  if (filter.lastStatusChangeAfter) c.push(gt(subscribers.lastStatusChange, filter.lastStatusChangeAfter));
  if (filter.createdAfter) c.push(gt(subscribers.created, filter.createdAfter));
  if (filter.statuses?.length) c.push(inArray(subscribers.status, filter.statuses));
  if (filter.excludeStatuses?.length) c.push(notInArray(subscribers.status, filter.excludeStatuses));
  if (filter.selfActivated !== undefined) c.push(eq(subscribers.selfActivated, filter.selfActivated));
  return c.length ? and(...c) : undefined;
}

export async function findSubscribers(db: Db, filter: SubscriberFilter, page: { offset: number; limit: number }) {
  return db
    .select()
    .from(subscribers)
    .where(subscriberWhere(filter))
    .orderBy(asc(subscribers.created), asc(subscribers.id))
    .offset(page.offset)
    .limit(page.limit);
}
export async function countSubscribers(db: Db, filter: SubscriberFilter) {
  const [row] = await db.select({ n: count() }).from(subscribers).where(subscriberWhere(filter));
  return row?.n ?? 0;
}
export async function packageCounts(db: Db) {
  return db.select({ package: subscribers.package, n: count() }).from(subscribers).where(eq(subscribers.status, 'provisioned')).groupBy(subscribers.package);
}

// ── history (what billing prorates from) ──
export async function insertHistory(db: Db, row: typeof subscriberHistory.$inferInsert) {
  await db.insert(subscriberHistory).values(row);
}
export async function insertHistoryRows(db: Db, rows: (typeof subscriberHistory.$inferInsert)[]) {
  if (rows.length) await db.insert(subscriberHistory).values(rows);
}
export async function findHistory(db: Db, subscriberId: string) {
  return db.select().from(subscriberHistory).where(eq(subscriberHistory.subscriberId, subscriberId)).orderBy(asc(subscriberHistory.at), asc(subscriberHistory.id));
}

// ── existing Webex organisations (P7) ──
export type WebexOrgRow = typeof webexOrgs.$inferSelect;
export async function findWebexOrgByUserEmail(db: Db, email: string) {
  const [row] = await db.select().from(webexOrgs).where(sql`${webexOrgs.userEmails} @> ${JSON.stringify([email.toLowerCase()])}::jsonb`).limit(1);
  return row;
}
export async function findWebexOrg(db: Db, id: string, options: { forUpdate?: boolean } = {}) {
  const query = db.select().from(webexOrgs).where(eq(webexOrgs.id, id));
  const [row] = options.forUpdate ? await query.for('update') : await query;
  return row;
}
export async function insertWebexOrg(db: Db, row: typeof webexOrgs.$inferInsert) {
  await db.insert(webexOrgs).values({ ...row, userEmails: (row.userEmails ?? []).map((e) => e.toLowerCase()) });
}
export async function updateWebexOrg(db: Db, id: string, patch: Partial<typeof webexOrgs.$inferInsert>) {
  await db.update(webexOrgs).set(patch).where(eq(webexOrgs.id, id));
}
export const listWebexOrgs = (db: Db) => db.select().from(webexOrgs).orderBy(asc(webexOrgs.name));
