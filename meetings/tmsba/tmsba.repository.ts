import { and, asc, eq, gt, inArray, lt, type SQL } from 'drizzle-orm';
import { bookings, occurrences } from '../bookings.schema.ts';
import { bridges } from '../bridges.schema.ts';
import type { Db } from '../../platform/db/database.ts';
import type { BookingRow, BridgeRow, OccurrenceRow } from '../meetings.repository.ts';

// The TMSBA facade's reads (#16): bookings and meetings by their TMS ids, by owner or system and time.

/** What a ConferenceId names: a booking (a single meeting or a whole series), or one meeting of a series. */
export async function findByConferenceId(db: Db, conferenceId: number): Promise<{ booking: BookingRow; occurrence?: OccurrenceRow } | undefined> {
  const [booking] = await db.select().from(bookings).where(eq(bookings.conferenceId, conferenceId));
  if (booking) return { booking };
  const [row] = await db.select({ occurrence: occurrences, booking: bookings }).from(occurrences).innerJoin(bookings, eq(bookings.id, occurrences.bookingId)).where(eq(occurrences.conferenceId, conferenceId));
  return row;
}

export async function listOccurrencesOf(db: Db, bookingId: string): Promise<OccurrenceRow[]> {
  return db.select().from(occurrences).where(eq(occurrences.bookingId, bookingId)).orderBy(asc(occurrences.startAt));
}

/** Meetings overlapping [from, to), of one organizer or on some bridges, with their bookings; oldest first. */
export async function meetingsBetween(db: Db, filter: { organizer?: string; bridgeIds?: string[] }, from: Date, to: Date, limit: number) {
  const conditions: SQL[] = [gt(occurrences.endAt, from), lt(occurrences.startAt, to)];
  if (filter.organizer !== undefined) conditions.push(eq(bookings.organizer, filter.organizer));
  if (filter.bridgeIds) conditions.push(inArray(occurrences.bridgeId, filter.bridgeIds));
  return db
    .select({ occurrence: occurrences, booking: bookings })
    .from(occurrences)
    .innerJoin(bookings, eq(bookings.id, occurrences.bookingId))
    .where(and(...conditions))
    .orderBy(asc(occurrences.startAt), asc(occurrences.id))
    .limit(limit);
}

export async function listBridgeSystems(db: Db): Promise<BridgeRow[]> {
  return db.select().from(bridges).orderBy(asc(bridges.systemId));
}

export async function findBridgeBySystemId(db: Db, systemId: number): Promise<BridgeRow | undefined> {
  const [row] = await db.select().from(bridges).where(eq(bridges.systemId, systemId));
  return row;
}

export async function findBridgesBySystemIds(db: Db, systemIds: number[]): Promise<BridgeRow[]> {
  return systemIds.length ? db.select().from(bridges).where(inArray(bridges.systemId, systemIds)) : [];
}

export async function findBridgeById(db: Db, id: string): Promise<BridgeRow | undefined> {
  const [row] = await db.select().from(bridges).where(eq(bridges.id, id));
  return row;
}
