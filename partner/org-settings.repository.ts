import { and, asc, eq, isNotNull, sql } from 'drizzle-orm';
import { orgSettings, personSettings, releaseSettings } from './org-settings.schema.ts';
import { customerOrgs, people, subscribers } from './partner.schema.ts';
import type { Db } from '../platform/db/database.ts';

export type OrgSettingsRow = typeof orgSettings.$inferSelect;
export type PersonSettingsRow = typeof personSettings.$inferSelect;

export async function findOrgForUpdate(db: Db, id: string) {
  const [row] = await db.select().from(customerOrgs).where(eq(customerOrgs.id, id)).for('update');
  return row;
}
export async function updateOrg(db: Db, id: string, patch: Partial<typeof customerOrgs.$inferInsert>) {
  await db.update(customerOrgs).set(patch).where(eq(customerOrgs.id, id));
}

export async function findOrgSettings(db: Db, customerOrgId: string) {
  const [row] = await db.select().from(orgSettings).where(eq(orgSettings.customerOrgId, customerOrgId));
  return row;
}
export async function upsertOrgSettings(db: Db, row: typeof orgSettings.$inferInsert) {
  await db.insert(orgSettings).values(row).onConflictDoUpdate({ target: orgSettings.customerOrgId, set: { values: row.values, releaseDeferDays: row.releaseDeferDays, updatedAt: row.updatedAt } });
}
/** Cascading the partner schedule: every org follows it again. */
export async function clearReleaseOverrides(db: Db) {
  const cleared = await db.update(orgSettings).set({ releaseDeferDays: null }).where(isNotNull(orgSettings.releaseDeferDays)).returning({ id: orgSettings.customerOrgId });
  return cleared.length;
}
export async function countReleaseOverrides(db: Db) {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(orgSettings).where(isNotNull(orgSettings.releaseDeferDays));
  return row?.n ?? 0;
}

export async function findReleaseSettings(db: Db, partnerOrgId: string) {
  const [row] = await db.select().from(releaseSettings).where(eq(releaseSettings.partnerOrgId, partnerOrgId));
  return row;
}
export async function upsertReleaseSettings(db: Db, row: typeof releaseSettings.$inferInsert) {
  await db.insert(releaseSettings).values(row).onConflictDoUpdate({ target: releaseSettings.partnerOrgId, set: { deferDays: row.deferDays, updatedAt: row.updatedAt } });
}

/** The people of an org with their Control Hub settings and, when they have one, their subscriber. */
export async function listOrgPeople(db: Db, customerOrgId: string) {
  return db
    .select({ person: people, settings: personSettings, subscriber: subscribers })
    .from(people)
    .leftJoin(personSettings, eq(personSettings.personId, people.id))
    .leftJoin(subscribers, eq(subscribers.personId, people.id))
    .where(eq(people.customerOrgId, customerOrgId))
    .orderBy(asc(people.email));
}
export async function findOrgPerson(db: Db, customerOrgId: string, personId: string) {
  const [row] = await db
    .select({ person: people, settings: personSettings, subscriber: subscribers })
    .from(people)
    .leftJoin(personSettings, eq(personSettings.personId, people.id))
    .leftJoin(subscribers, eq(subscribers.personId, people.id))
    .where(and(eq(people.customerOrgId, customerOrgId), eq(people.id, personId)));
  return row;
}
export async function updatePerson(db: Db, id: string, patch: Partial<typeof people.$inferInsert>) {
  if (Object.keys(patch).length) await db.update(people).set(patch).where(eq(people.id, id));
}
export async function upsertPersonSettings(db: Db, row: typeof personSettings.$inferInsert) {
  const { personId: _id, ...set } = row;
  await db.insert(personSettings).values(row).onConflictDoUpdate({ target: personSettings.personId, set });
}
