import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { apiTokens, sessions, users } from './auth.schema.ts';
import type { Db } from '../db/database.ts';

export type UserRow = typeof users.$inferSelect;
export type ApiTokenRow = typeof apiTokens.$inferSelect;

export async function insertUser(db: Db, row: typeof users.$inferInsert): Promise<UserRow> {
  const [user] = await db.insert(users).values(row).returning();
  return user;
}

export async function findUserByUsername(db: Db, username: string): Promise<UserRow | undefined> {
  const [user] = await db.select().from(users).where(eq(users.username, username.toLowerCase()));
  return user;
}

export async function findUserById(db: Db, id: string): Promise<UserRow | undefined> {
  const [user] = await db.select().from(users).where(eq(users.id, id));
  return user;
}

export async function findUsers(db: Db, page: { offset: number; limit: number }) {
  const items = await db.select().from(users).orderBy(users.username).offset(page.offset).limit(page.limit);
  const [{ total }] = await db.select({ total: sql<number>`count(*)::int` }).from(users);
  return { items, total };
}

export async function countUsers(db: Db): Promise<number> {
  const [{ total }] = await db.select({ total: sql<number>`count(*)::int` }).from(users);
  return total;
}

export async function updateUser(db: Db, id: string, patch: Partial<typeof users.$inferInsert>): Promise<UserRow | undefined> {
  const [user] = await db.update(users).set(patch).where(eq(users.id, id)).returning();
  return user;
}

export async function insertSession(db: Db, row: typeof sessions.$inferInsert): Promise<void> {
  await db.insert(sessions).values(row);
}

export async function findSessionWithUser(db: Db, idHash: string) {
  const [row] = await db
    .select({ session: sessions, user: users })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.idHash, idHash));
  return row;
}

export async function deleteSession(db: Db, idHash: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.idHash, idHash));
}

export async function deleteSessionsOfUser(db: Db, userId: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.userId, userId));
}

export async function insertApiToken(db: Db, row: typeof apiTokens.$inferInsert): Promise<ApiTokenRow> {
  const [token] = await db.insert(apiTokens).values(row).returning();
  return token;
}

/** The unrevoked tokens among `tokenHashes`, in one statement. */
export async function findApiTokensByHash(db: Db, tokenHashes: string[]): Promise<ApiTokenRow[]> {
  return db.select().from(apiTokens).where(and(inArray(apiTokens.tokenHash, tokenHashes), isNull(apiTokens.revokedAt)));
}

export async function findApiTokens(db: Db, page: { offset: number; limit: number }) {
  const items = await db.select().from(apiTokens).orderBy(apiTokens.createdAt).offset(page.offset).limit(page.limit);
  const [{ total }] = await db.select({ total: sql<number>`count(*)::int` }).from(apiTokens);
  return { items, total };
}

export async function findApiTokenById(db: Db, id: string): Promise<ApiTokenRow | undefined> {
  const [token] = await db.select().from(apiTokens).where(eq(apiTokens.id, id));
  return token;
}

export async function updateApiToken(db: Db, id: string, patch: Partial<typeof apiTokens.$inferInsert>): Promise<void> {
  await db.update(apiTokens).set(patch).where(eq(apiTokens.id, id));
}
