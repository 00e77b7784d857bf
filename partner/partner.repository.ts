import { and, asc, count, eq, gt, inArray, ne, notInArray, sql, type SQL } from 'drizzle-orm';
import { broadworksClusters, customerOrgs, customerTemplates, partnerOrgs, people, subscriberHistory, subscribers, webexOrgs } from './partner.schema.ts';
import { auditEventsInsertText } from '../platform/audit/audit.repository.ts';
import { clientOf, type Db } from '../platform/db/database.ts';

export type ClusterRow = typeof broadworksClusters.$inferSelect;
export type TemplateRow = typeof customerTemplates.$inferSelect;
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

// ── clusters ──
export const listClusters = (db: Db) => db.select().from(broadworksClusters).orderBy(asc(broadworksClusters.name));
export async function findCluster(db: Db, id: string) {
  const [row] = await db.select().from(broadworksClusters).where(eq(broadworksClusters.id, id));
  return row;
}
export async function findClusterByName(db: Db, name: string) {
  const [row] = await db.select().from(broadworksClusters).where(eq(broadworksClusters.name, name));
  return row;
}
export async function insertCluster(db: Db, row: typeof broadworksClusters.$inferInsert) {
  await db.insert(broadworksClusters).values(row);
}
export async function updateCluster(db: Db, id: string, patch: Partial<typeof broadworksClusters.$inferInsert>) {
  await db.update(broadworksClusters).set(patch).where(eq(broadworksClusters.id, id));
}
export async function deleteCluster(db: Db, id: string) {
  await db.delete(broadworksClusters).where(eq(broadworksClusters.id, id));
}
export async function countTemplatesOfCluster(db: Db, clusterId: string) {
  const [row] = await db.select({ n: count() }).from(customerTemplates).where(eq(customerTemplates.clusterId, clusterId));
  return row?.n ?? 0;
}
/** Customers on a cluster: the customer orgs whose template is bound to it. */
export async function countCustomersOfCluster(db: Db, clusterId: string) {
  const [row] = await db
    .select({ n: count() })
    .from(customerOrgs)
    .innerJoin(customerTemplates, eq(customerOrgs.templateId, customerTemplates.id))
    .where(eq(customerTemplates.clusterId, clusterId));
  return row?.n ?? 0;
}

// ── templates ──
export const listTemplates = (db: Db) => db.select().from(customerTemplates).orderBy(asc(customerTemplates.name));
export async function findTemplate(db: Db, id: string) {
  const [row] = await db.select().from(customerTemplates).where(eq(customerTemplates.id, id));
  return row;
}
export async function findTemplateByProvisioningId(db: Db, provisioningId: string) {
  const [row] = await db.select().from(customerTemplates).where(eq(customerTemplates.provisioningId, provisioningId));
  return row;
}
export async function findTemplateByName(db: Db, name: string) {
  const [row] = await db.select().from(customerTemplates).where(eq(customerTemplates.name, name));
  return row;
}
export async function insertTemplate(db: Db, row: typeof customerTemplates.$inferInsert) {
  await db.insert(customerTemplates).values(row);
}
export async function updateTemplate(db: Db, id: string, patch: Partial<typeof customerTemplates.$inferInsert>) {
  await db.update(customerTemplates).set(patch).where(eq(customerTemplates.id, id));
}
export async function deleteTemplate(db: Db, id: string) {
  await db.delete(customerTemplates).where(eq(customerTemplates.id, id));
}
export async function countCustomersOfTemplate(db: Db, templateId: string) {
  const [row] = await db.select({ n: count() }).from(customerOrgs).where(eq(customerOrgs.templateId, templateId));
  return row?.n ?? 0;
}
export async function countSubscribersOfTemplate(db: Db, templateId: string) {
  const [row] = await db.select({ n: count() }).from(subscribers).where(eq(subscribers.templateId, templateId));
  return row?.n ?? 0;
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
export async function packageCountsByOrg(db: Db) {
  return db
    .select({ customerOrgId: subscribers.customerOrgId, package: subscribers.package, n: count() })
    .from(subscribers)
    .where(eq(subscribers.status, 'provisioned'))
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

// ── accepting new subscribers (P2 group commit) ──
// A batch is decided against one read and written by one statement, as fixed SQL text sent as named
// prepared statements on the transaction's connection: the four reads and three inserts built by
// drizzle were 7 round trips and about a sixth of the main thread at 500 adds/s (measured).

/** What a batch needs of a template to decide and to check the adapter's account. */
export type AcceptTemplate = Pick<TemplateRow, 'id' | 'provisioningId' | 'provisioningAccount' | 'provisioningPassword' | 'trustedEmails' | 'defaultPackage' | 'wholesale'>;
/** A subscriber a request's user ID already names (a bridge `add` answers `noop` with it). */
export type KnownSubscriber = Pick<SubscriberRow, 'id' | 'userId' | 'status'>;

const acceptContextText = `
  select
    (select coalesce(json_agg(t), '[]') from (
       select id, provisioning_id as "provisioningId", provisioning_account as "provisioningAccount", provisioning_password as "provisioningPassword",
              trusted_emails as "trustedEmails", default_package as "defaultPackage", wholesale
       from partner_templates where provisioning_id = any($1::text[])) t) as templates,
    (select coalesce(json_agg(s), '[]') from (
       select id, user_id as "userId", status from partner_subscribers where user_id = any($2::text[])) s) as subscribers,
    (select coalesce(json_agg(distinct lower(email)), '[]') from partner_subscribers where lower(email) = any($3::text[])) as emails,
    (select coalesce(json_agg(o), '[]') from (
       select sp_enterprise_id as "spEnterpriseId", template_id as "templateId" from partner_customer_orgs where sp_enterprise_id = any($4::text[])) o) as orgs`;

/**
 * Everything a batch of new subscribers is decided against, in one statement: the templates its
 * requests name, the subscribers holding their user IDs, which of their emails (lower case) a
 * subscriber has in any case, and the customer org of each enterprise (its template).
 */
export async function readAcceptContext(db: Db, names: { provisioningIds: string[]; userIds: string[]; lowerEmails: string[]; spEnterpriseIds: string[] }) {
  const { rows } = await clientOf(db).query({ name: 'partner.accept-context', text: acceptContextText, values: [names.provisioningIds, names.userIds, names.lowerEmails, names.spEnterpriseIds] });
  const found = rows[0] as { templates: AcceptTemplate[]; subscribers: KnownSubscriber[]; emails: string[]; orgs: { spEnterpriseId: string; templateId: string }[] };
  return {
    templates: new Map(found.templates.map((t) => [t.provisioningId, t])),
    byUserId: new Map(found.subscribers.map((row) => [row.userId, row])),
    emailsTaken: new Set(found.emails),
    orgTemplates: new Map(found.orgs.map((org) => [org.spEnterpriseId, org.templateId])),
  };
}

// The JSON keys are the rows' own (camelCase) field names: the rows go as they are, one parameter each.
const insertAcceptedText = `
  with new_subscribers as (
    insert into partner_subscribers (id, user_id, sp_enterprise_id, template_id, provisioning_id, customer_org_id, person_id, first_name, last_name, email,
      primary_phone_number, mobile_phone_number, extension, language, timezone, package, status, errors, pending_update, self_activated, source, created, last_status_change)
    select "id", "userId", "spEnterpriseId", "templateId", "provisioningId", "customerOrgId", "personId", "firstName", "lastName", "email",
      "primaryPhoneNumber", "mobilePhoneNumber", "extension", "language", "timezone", "package", "status", "errors", "pendingUpdate", "selfActivated", "source", "created", "lastStatusChange"
    from jsonb_to_recordset($1::jsonb) as v("id" uuid, "userId" text, "spEnterpriseId" text, "templateId" uuid, "provisioningId" text, "customerOrgId" uuid, "personId" uuid,
      "firstName" text, "lastName" text, "email" text, "primaryPhoneNumber" text, "mobilePhoneNumber" text, "extension" text, "language" text, "timezone" text,
      "package" text, "status" text, "errors" jsonb, "pendingUpdate" jsonb, "selfActivated" boolean, "source" text, "created" timestamptz, "lastStatusChange" timestamptz)
    returning 1
  ), new_history as (
    insert into partner_subscriber_history (subscriber_id, at, change, user_id, sp_enterprise_id, package, status, self_activated, previous)
    select "subscriberId", "at", "change", "userId", "spEnterpriseId", "package", "status", "selfActivated", "previous"
    from jsonb_to_recordset($2::jsonb) as v("subscriberId" uuid, "at" timestamptz, "change" text, "userId" text, "spEnterpriseId" text, "package" text, "status" text, "selfActivated" boolean, "previous" text)
    returning 1
  )
  ${auditEventsInsertText('$3')}`;

/** A batch's new subscribers, their history entries and their audit records (`audit.prepareMany`) in one statement. */
export async function insertAcceptedSubscribers(db: Db, batch: { subscribers: SubscriberRow[]; history: (typeof subscriberHistory.$inferInsert)[]; auditJson: string }) {
  if (!batch.subscribers.length) return;
  await clientOf(db).query({ name: 'partner.insert-accepted', text: insertAcceptedText, values: [JSON.stringify(batch.subscribers), JSON.stringify(batch.history), batch.auditJson] });
}
