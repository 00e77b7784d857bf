import { and, asc, eq, inArray, lt, sql } from 'drizzle-orm';
import { activationHolds, userMigrations, webexIdentities } from './user-migration.schema.ts';
import { subscribers } from './partner.schema.ts';
import type { Db } from '../platform/db/database.ts';

export type IdentityRow = typeof webexIdentities.$inferSelect;
export type MigrationRow = typeof userMigrations.$inferSelect;

// ── pre-existing Webex identities (consumer, free, trial) ──
export async function findActiveIdentityByEmail(db: Db, email: string) {
  const [row] = await db.select().from(webexIdentities).where(and(eq(webexIdentities.email, email.toLowerCase()), eq(webexIdentities.state, 'active')));
  return row;
}
export async function findIdentity(db: Db, id: string) {
  const [row] = await db.select().from(webexIdentities).where(eq(webexIdentities.id, id));
  return row;
}
export async function listClaimableIdentities(db: Db, emails: string[]) {
  if (!emails.length) return [];
  return db.select().from(webexIdentities).where(and(inArray(webexIdentities.email, emails), eq(webexIdentities.state, 'active')));
}
export async function markIdentityMoved(db: Db, id: string, orgId: string, at: Date) {
  await db.update(webexIdentities).set({ state: 'moved', movedToOrgId: orgId, movedAt: at }).where(eq(webexIdentities.id, id));
}
export async function insertIdentity(db: Db, row: typeof webexIdentities.$inferInsert) {
  await db.insert(webexIdentities).values({ ...row, email: row.email.toLowerCase() }).onConflictDoNothing({ target: webexIdentities.email });
}
export const listIdentities = (db: Db) => db.select().from(webexIdentities).orderBy(asc(webexIdentities.email));

// ── consent moves ──
export async function upsertMigration(db: Db, row: typeof userMigrations.$inferInsert) {
  const { subscriberId: _id, ...set } = row;
  await db.insert(userMigrations).values(row).onConflictDoUpdate({ target: userMigrations.subscriberId, set: { ...set, decidedAt: null } });
}
export async function findMigration(db: Db, subscriberId: string) {
  const [row] = await db.select().from(userMigrations).where(eq(userMigrations.subscriberId, subscriberId)).for('update');
  return row;
}
export async function updateMigration(db: Db, subscriberId: string, patch: Partial<typeof userMigrations.$inferInsert>) {
  await db.update(userMigrations).set(patch).where(eq(userMigrations.subscriberId, subscriberId));
}
export async function listExpiredMigrations(db: Db, now: Date) {
  return db.select().from(userMigrations).where(and(eq(userMigrations.state, 'pending'), lt(userMigrations.expiresAt, now))).for('update', { skipLocked: true });
}

// ── Provision Admin First holds ──
/** The enterprise's first subscriber: the one provisioned first, by creation time. */
export async function firstSubscriberOfEnterprise(db: Db, spEnterpriseId: string) {
  const [row] = await db.select().from(subscribers).where(eq(subscribers.spEnterpriseId, spEnterpriseId)).orderBy(asc(subscribers.created), asc(subscribers.id)).limit(1);
  return row;
}
export async function insertHold(db: Db, row: typeof activationHolds.$inferInsert) {
  await db.insert(activationHolds).values(row).onConflictDoUpdate({ target: activationHolds.subscriberId, set: { waitingFor: row.waitingFor, heldAt: row.heldAt } });
}
export async function takeHoldsOfEnterprise(db: Db, spEnterpriseId: string) {
  return db.delete(activationHolds).where(eq(activationHolds.spEnterpriseId, spEnterpriseId)).returning();
}
export async function findHold(db: Db, subscriberId: string) {
  const [row] = await db.select().from(activationHolds).where(eq(activationHolds.subscriberId, subscriberId));
  return row;
}
/** Holds whose awaited first subscriber was removed: the next one is first now, so they go again. */
export async function takeOrphanedHolds(db: Db) {
  return db
    .delete(activationHolds)
    .where(sql`not exists (select 1 from ${subscribers} where ${subscribers.id} = ${activationHolds.waitingFor})`)
    .returning();
}
