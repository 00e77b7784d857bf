import { and, asc, count, eq, gt, inArray, lt, ne, sql } from 'drizzle-orm';
import { bookingRooms, endpointTickets, endpoints } from './endpoints.schema.ts';
import { bookings, occurrences } from './bookings.schema.ts';
import { bridges, poolSlots } from './bridges.schema.ts';
import { meetingSettings } from './booking-changes.schema.ts';
import { HOLDING_STATES } from './meetings.repository.ts';
import { clientOf, type Db } from '../platform/db/database.ts';

// The only code of Meetings' endpoints and OBTP that touches the database (#17).

export type EndpointRow = typeof endpoints.$inferSelect;
export type EndpointTicketRow = typeof endpointTickets.$inferSelect;
export type BookingRoomRow = typeof bookingRooms.$inferSelect;

export async function insertEndpoint(db: Db, row: typeof endpoints.$inferInsert) {
  await db.insert(endpoints).values(row);
}

export async function findEndpoint(db: Db, id: string, options: { forUpdate?: boolean } = {}): Promise<EndpointRow | undefined> {
  const query = db.select().from(endpoints).where(eq(endpoints.id, id));
  return (await (options.forUpdate ? query.for('update') : query))[0];
}

export async function findEndpointsByIds(db: Db, ids: string[]): Promise<EndpointRow[]> {
  if (!ids.length) return [];
  return db.select().from(endpoints).where(inArray(endpoints.id, ids));
}

export async function findEndpointByHostKey(db: Db, hostKey: string): Promise<EndpointRow | undefined> {
  return (await db.select().from(endpoints).where(eq(endpoints.hostKey, hostKey)))[0];
}

export async function findEndpointByLabCodec(db: Db, labCodec: string): Promise<EndpointRow | undefined> {
  return (await db.select().from(endpoints).where(eq(endpoints.labCodec, labCodec)))[0];
}

export async function listEndpoints(db: Db, page?: { offset: number; limit: number }) {
  const q = db.select().from(endpoints).orderBy(asc(endpoints.name), asc(endpoints.id));
  const items = page ? await q.limit(page.limit).offset(page.offset) : await q;
  const [{ n }] = await db.select({ n: count() }).from(endpoints);
  return { items, total: Number(n) };
}

export async function updateEndpoint(db: Db, id: string, patch: Partial<typeof endpoints.$inferInsert>) {
  await db.update(endpoints).set(patch).where(eq(endpoints.id, id));
}

const recordPushesText = `update meetings_endpoints e
  set obtp_pushed_hash = v.hash, obtp_pushed_at = $5, obtp_pushed_count = v.n, obtp_method = v.method, obtp_last_error = null
  from unnest($1::uuid[], $2::text[], $3::int[], $4::text[]) as v(id, hash, n, method) where e.id = v.id`;
const recordPushErrorsText = `update meetings_endpoints e set obtp_last_error = v.message
  from unnest($1::uuid[], $2::text[]) as v(id, message) where e.id = v.id`;

/** What codecs accepted, in one statement for a batch of pushes (#17 part 4). */
export async function recordObtpPushes(db: Db, rows: { id: string; hash: string; count: number; method: string }[], at: Date) {
  if (!rows.length) return;
  await clientOf(db).query({ name: 'meetings.obtp-record-pushes', text: recordPushesText, values: [rows.map((r) => r.id), rows.map((r) => r.hash), rows.map((r) => r.count), rows.map((r) => r.method), at.toISOString()] });
}

/** The last failure of each push of a batch, in one statement. */
export async function recordObtpPushErrors(db: Db, rows: { id: string; message: string }[]) {
  if (!rows.length) return;
  await clientOf(db).query({ name: 'meetings.obtp-record-push-errors', text: recordPushErrorsText, values: [rows.map((r) => r.id), rows.map((r) => r.message)] });
}

export async function deleteEndpoint(db: Db, id: string) {
  await db.delete(endpoints).where(eq(endpoints.id, id));
}

// ---- tickets -----------------------------------------------------------------------------------

export async function listEndpointTickets(db: Db, endpointId: string, states?: string[]): Promise<EndpointTicketRow[]> {
  const where = states ? and(eq(endpointTickets.endpointId, endpointId), inArray(endpointTickets.state, states)) : eq(endpointTickets.endpointId, endpointId);
  return db.select().from(endpointTickets).where(where).orderBy(asc(endpointTickets.id));
}

/** The tickets of several endpoints in given states, in one statement. */
export async function listTicketsOfEndpoints(db: Db, endpointIds: string[], states: string[]): Promise<EndpointTicketRow[]> {
  if (!endpointIds.length) return [];
  return db.select().from(endpointTickets).where(and(inArray(endpointTickets.endpointId, endpointIds), inArray(endpointTickets.state, states))).orderBy(asc(endpointTickets.id));
}

export async function insertEndpointTicket(db: Db, row: typeof endpointTickets.$inferInsert): Promise<EndpointTicketRow> {
  return (await db.insert(endpointTickets).values(row).returning())[0];
}

export async function updateEndpointTicket(db: Db, id: number, patch: Partial<typeof endpointTickets.$inferInsert>) {
  await db.update(endpointTickets).set(patch).where(eq(endpointTickets.id, id));
}

export async function countOpenEndpointTickets(db: Db) {
  const [{ n }] = await db.select({ n: count() }).from(endpointTickets).where(eq(endpointTickets.state, 'open'));
  return Number(n);
}

// ---- rooms of bookings -------------------------------------------------------------------------

/** Serialises room decisions per endpoint, taken in key order so two bookings cannot deadlock. */
export async function lockEndpointSchedules(db: Db, endpointIds: string[]) {
  for (const id of [...endpointIds].sort()) await db.execute(sql`select pg_advisory_xact_lock(hashtext(${`meetings.room:${id}`}))`);
}

export async function roomsOfBooking(db: Db, bookingId: string): Promise<BookingRoomRow[]> {
  return db.select().from(bookingRooms).where(eq(bookingRooms.bookingId, bookingId)).orderBy(asc(bookingRooms.endpointId));
}

export async function replaceRooms(db: Db, bookingId: string, rows: BookingRoomRow[]) {
  await db.delete(bookingRooms).where(eq(bookingRooms.bookingId, bookingId));
  if (rows.length) await db.insert(bookingRooms).values(rows);
}

/**
 * The first meeting of another booking that holds one of `endpointIds` while a meeting of
 * `bookingId` that is not over does (both still scheduled or running), or undefined.
 */
export async function findRoomConflict(db: Db, bookingId: string, endpointIds: string[], now: Date) {
  if (!endpointIds.length) return undefined;
  const mine = db.$with('mine').as(db.select({ startAt: occurrences.startAt, endAt: occurrences.endAt }).from(occurrences).where(and(eq(occurrences.bookingId, bookingId), inArray(occurrences.state, HOLDING_STATES), gt(occurrences.endAt, now))));
  const rows = await db
    .with(mine)
    .select({ endpointId: bookingRooms.endpointId, bookingId: occurrences.bookingId, title: bookings.title, startAt: occurrences.startAt, endAt: occurrences.endAt })
    .from(occurrences)
    .innerJoin(bookingRooms, eq(bookingRooms.bookingId, occurrences.bookingId))
    .innerJoin(bookings, eq(bookings.id, occurrences.bookingId))
    .innerJoin(mine, and(lt(mine.startAt, occurrences.endAt), gt(mine.endAt, occurrences.startAt)))
    .where(and(ne(occurrences.bookingId, bookingId), inArray(bookingRooms.endpointId, endpointIds), inArray(occurrences.state, HOLDING_STATES)))
    .orderBy(asc(occurrences.startAt))
    .limit(1);
  return rows[0];
}

/**
 * The first meeting of another booking that holds one of `endpointIds` during [startAt, endAt), or
 * undefined: a meeting about to be written (a series extended) checked before it exists.
 */
export async function findRoomConflictAt(db: Db, bookingId: string, endpointIds: string[], startAt: Date, endAt: Date) {
  if (!endpointIds.length) return undefined;
  const rows = await db
    .select({ endpointId: bookingRooms.endpointId, bookingId: occurrences.bookingId, title: bookings.title, startAt: occurrences.startAt, endAt: occurrences.endAt })
    .from(occurrences)
    .innerJoin(bookingRooms, eq(bookingRooms.bookingId, occurrences.bookingId))
    .innerJoin(bookings, eq(bookings.id, occurrences.bookingId))
    .where(and(ne(occurrences.bookingId, bookingId), inArray(bookingRooms.endpointId, endpointIds), inArray(occurrences.state, HOLDING_STATES), lt(occurrences.startAt, endAt), gt(occurrences.endAt, startAt)))
    .orderBy(asc(occurrences.startAt))
    .limit(1);
  return rows[0];
}

/** Free/busy of one room: its meetings (scheduled or running) overlapping [from, to). */
export async function busyOf(db: Db, endpointId: string, from: Date, to: Date) {
  return db
    .select({ occurrenceId: occurrences.id, bookingId: occurrences.bookingId, title: bookings.title, organizer: bookings.organizer, startAt: occurrences.startAt, endAt: occurrences.endAt, state: occurrences.state, connectMode: bookingRooms.connectMode, private: bookingRooms.private })
    .from(bookingRooms)
    .innerJoin(occurrences, eq(occurrences.bookingId, bookingRooms.bookingId))
    .innerJoin(bookings, eq(bookings.id, bookingRooms.bookingId))
    .where(and(eq(bookingRooms.endpointId, endpointId), inArray(occurrences.state, HOLDING_STATES), lt(occurrences.startAt, to), gt(occurrences.endAt, from)))
    .orderBy(asc(occurrences.startAt))
    .limit(5000);
}

/**
 * What the panels of `endpointIds` (all endpoints when undefined) should hold: every OBTP meeting
 * of theirs not over and starting before `to`, with the space's URI once the meeting has one.
 */
export async function obtpMeetings(db: Db, now: Date, to: Date, endpointIds?: string[]) {
  const where = [eq(bookingRooms.connectMode, 'obtp'), inArray(occurrences.state, HOLDING_STATES), lt(occurrences.startAt, to), gt(occurrences.endAt, now)];
  if (endpointIds) where.push(inArray(bookingRooms.endpointId, endpointIds));
  return db
    .select({
      endpointId: bookingRooms.endpointId, private: bookingRooms.private, occurrenceId: occurrences.id, title: bookings.title, organizer: bookings.organizer,
      startAt: occurrences.startAt, endAt: occurrences.endAt, earlyJoinMinutes: bookings.earlyJoinMinutes, uri: poolSlots.uri, sipDomain: bridges.sipDomain,
    })
    .from(bookingRooms)
    .innerJoin(occurrences, eq(occurrences.bookingId, bookingRooms.bookingId))
    .innerJoin(bookings, eq(bookings.id, bookingRooms.bookingId))
    .innerJoin(bridges, eq(bridges.id, occurrences.bridgeId))
    .leftJoin(poolSlots, and(eq(poolSlots.bridgeId, occurrences.bridgeId), eq(poolSlots.occurrenceId, occurrences.id)))
    .where(and(...where))
    .orderBy(asc(bookingRooms.endpointId), asc(occurrences.startAt), asc(occurrences.id));
}

/** Endpoints Switchboard has pushed to, or that have OBTP rooms: the ones whose panels it keeps. */
export async function obtpCandidates(db: Db) {
  return db.select({ id: endpoints.id, connectivity: endpoints.connectivity, obtpPushedHash: endpoints.obtpPushedHash }).from(endpoints).orderBy(asc(endpoints.id));
}

// ---- the OBTP setting --------------------------------------------------------------------------

const OBTP_KEY = 'obtp';
export type ObtpSetting = { enabled: boolean; updatedAt: Date | null; updatedBy: string | null };

export async function readObtpSetting(db: Db): Promise<ObtpSetting> {
  const [row] = await db.select().from(meetingSettings).where(eq(meetingSettings.key, OBTP_KEY));
  if (!row) return { enabled: false, updatedAt: null, updatedBy: null };
  return { enabled: (row.value as { enabled: boolean }).enabled === true, updatedAt: row.updatedAt, updatedBy: row.updatedBy };
}

export async function writeObtpSetting(db: Db, enabled: boolean, at: Date, by: string) {
  await db.insert(meetingSettings).values({ key: OBTP_KEY, value: { enabled }, updatedAt: at, updatedBy: by }).onConflictDoUpdate({ target: meetingSettings.key, set: { value: { enabled }, updatedAt: at, updatedBy: by } });
}
