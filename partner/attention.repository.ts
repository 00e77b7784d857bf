import { asc, count, desc, eq } from 'drizzle-orm';
import { subscribers } from './partner.schema.ts';
import type { Db } from '../platform/db/database.ts';

// The home page's reads of the Partner area (attention.ts).

export async function subscribersInError(db: Db, limit: number) {
  const [[total], newest] = await Promise.all([
    db.select({ n: count() }).from(subscribers).where(eq(subscribers.status, 'error')),
    db.select({ id: subscribers.id, email: subscribers.email, userId: subscribers.userId, errors: subscribers.errors, at: subscribers.lastStatusChange }).from(subscribers).where(eq(subscribers.status, 'error')).orderBy(desc(subscribers.lastStatusChange), asc(subscribers.id)).limit(limit),
  ]);
  return { total: total?.n ?? 0, newest };
}

export async function countAllSubscribers(db: Db) {
  const [row] = await db.select({ n: count() }).from(subscribers);
  return row?.n ?? 0;
}
