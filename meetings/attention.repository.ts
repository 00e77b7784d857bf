import { count, desc, eq } from 'drizzle-orm';
import { bridges, tickets } from './bridges.schema.ts';
import { bookings } from './bookings.schema.ts';
import type { Db } from '../platform/db/database.ts';

// The home page's reads of the Meetings area (attention.ts).

export async function countTicketsByState(db: Db) {
  const rows = await db.select({ state: tickets.state, n: count() }).from(tickets).groupBy(tickets.state);
  return Object.fromEntries(rows.map((r) => [r.state, r.n])) as Record<string, number>;
}

export async function newestOpenTickets(db: Db, limit: number) {
  return db
    .select({ id: tickets.id, bridgeId: tickets.bridgeId, bridgeName: bridges.name, title: tickets.title, detail: tickets.detail, openedAt: tickets.openedAt })
    .from(tickets)
    .innerJoin(bridges, eq(bridges.id, tickets.bridgeId))
    .where(eq(tickets.state, 'open'))
    .orderBy(desc(tickets.openedAt), desc(tickets.id))
    .limit(limit);
}

export async function countBridgesAndBookings(db: Db) {
  const [[b], [k]] = await Promise.all([db.select({ n: count() }).from(bridges), db.select({ n: count() }).from(bookings)]);
  return { bridges: b?.n ?? 0, bookings: k?.n ?? 0 };
}
