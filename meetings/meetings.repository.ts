import { and, asc, count, desc, eq, gt, gte, ilike, inArray, isNull, lt, lte, ne, notInArray, sql, type SQL } from 'drizzle-orm';
import { apiTrace, bridgeNodes, bridges, poolSlots, tickets } from './bridges.schema.ts';
import { bookings, cdrRecords, legs, occurrences } from './bookings.schema.ts';
import type { Db } from '../platform/db/database.ts';

// The only code of the Meetings area that touches the database; every function takes `db` first so
// it works inside a transaction.

export type BridgeRow = typeof bridges.$inferSelect;
export type NodeRow = typeof bridgeNodes.$inferSelect;
export type TicketRow = typeof tickets.$inferSelect;
export type BookingRow = typeof bookings.$inferSelect;
export type OccurrenceRow = typeof occurrences.$inferSelect;
export type LegRow = typeof legs.$inferSelect;

/** States in which an occurrence holds (or will hold) a pool slot. */
export const HOLDING_STATES = ['scheduled', 'starting', 'ongoing', 'ending'];

// ---- bridges -----------------------------------------------------------------------------------

export async function findBridge(db: Db, id: string, options: { forUpdate?: boolean } = {}): Promise<BridgeRow | undefined> {
  const q = db.select().from(bridges).where(eq(bridges.id, id));
  const [row] = options.forUpdate ? await q.for('update') : await q;
  return row;
}

export async function listBridges(db: Db, page?: { offset: number; limit: number }) {
  const q = db.select().from(bridges).orderBy(asc(bridges.createdAt), asc(bridges.id));
  const items = page ? await q.offset(page.offset).limit(page.limit) : await q;
  const [{ total }] = await db.select({ total: count() }).from(bridges);
  return { items, total };
}

export async function insertBridge(db: Db, row: typeof bridges.$inferInsert) {
  await db.insert(bridges).values(row);
}

export async function updateBridge(db: Db, id: string, patch: Partial<typeof bridges.$inferInsert>) {
  await db.update(bridges).set(patch).where(eq(bridges.id, id));
}

export async function deleteBridge(db: Db, id: string) {
  await db.delete(bridges).where(eq(bridges.id, id));
}

export async function findNodeByHostKey(db: Db, hostKeys: string[]): Promise<NodeRow[]> {
  if (hostKeys.length === 0) return [];
  return db.select().from(bridgeNodes).where(inArray(bridgeNodes.hostKey, hostKeys));
}

export async function listNodes(db: Db, bridgeId: string): Promise<NodeRow[]> {
  return db.select().from(bridgeNodes).where(eq(bridgeNodes.bridgeId, bridgeId)).orderBy(desc(bridgeNodes.primary), asc(bridgeNodes.name));
}

export async function insertNodes(db: Db, rows: (typeof bridgeNodes.$inferInsert)[]) {
  if (rows.length) await db.insert(bridgeNodes).values(rows);
}

export async function deleteNodes(db: Db, bridgeId: string) {
  await db.delete(bridgeNodes).where(eq(bridgeNodes.bridgeId, bridgeId));
}

export async function findBridgeByLabCluster(db: Db, labCluster: string): Promise<BridgeRow | undefined> {
  const [row] = await db.select().from(bridges).where(eq(bridges.labCluster, labCluster));
  return row;
}

export async function updateNode(db: Db, id: string, patch: Partial<typeof bridgeNodes.$inferInsert>) {
  await db.update(bridgeNodes).set(patch).where(eq(bridgeNodes.id, id));
}

// ---- tickets -----------------------------------------------------------------------------------

export async function listTickets(db: Db, bridgeId: string, states?: string[]): Promise<TicketRow[]> {
  const where = states ? and(eq(tickets.bridgeId, bridgeId), inArray(tickets.state, states)) : eq(tickets.bridgeId, bridgeId);
  return db.select().from(tickets).where(where).orderBy(desc(tickets.id));
}

/** Open and acknowledged tickets per bridge, for the bridge list (M2: what TMS shows beside each system). */
export async function ticketCounts(db: Db, bridgeIds: string[]): Promise<Map<string, { open: number; acknowledged: number }>> {
  const out = new Map<string, { open: number; acknowledged: number }>();
  if (!bridgeIds.length) return out;
  const rows = await db.select({ bridgeId: tickets.bridgeId, state: tickets.state, n: count() }).from(tickets)
    .where(and(inArray(tickets.bridgeId, bridgeIds), inArray(tickets.state, ['open', 'acknowledged']))).groupBy(tickets.bridgeId, tickets.state);
  for (const row of rows) {
    const entry = out.get(row.bridgeId) ?? { open: 0, acknowledged: 0 };
    entry[row.state as 'open' | 'acknowledged'] = Number(row.n);
    out.set(row.bridgeId, entry);
  }
  return out;
}

export async function insertTicket(db: Db, row: typeof tickets.$inferInsert): Promise<TicketRow> {
  const [created] = await db.insert(tickets).values(row).returning();
  return created;
}

export async function updateTicket(db: Db, id: number, patch: Partial<typeof tickets.$inferInsert>) {
  await db.update(tickets).set(patch).where(eq(tickets.id, id));
}

// ---- pool --------------------------------------------------------------------------------------

export async function listSlots(db: Db, bridgeId: string) {
  return db.select().from(poolSlots).where(eq(poolSlots.bridgeId, bridgeId)).orderBy(asc(poolSlots.slot));
}

export async function upsertSlot(db: Db, row: typeof poolSlots.$inferInsert) {
  await db.insert(poolSlots).values(row).onConflictDoUpdate({ target: [poolSlots.bridgeId, poolSlots.slot], set: { coSpaceId: row.coSpaceId, uri: row.uri, callId: row.callId } });
}

export async function deleteSlotsAbove(db: Db, bridgeId: string, quantity: number) {
  await db.delete(poolSlots).where(and(eq(poolSlots.bridgeId, bridgeId), gt(poolSlots.slot, quantity), isNull(poolSlots.occurrenceId)));
}

export async function releaseSlot(db: Db, occurrenceId: string) {
  await db.update(poolSlots).set({ occurrenceId: null }).where(eq(poolSlots.occurrenceId, occurrenceId));
}

export async function findSlotOf(db: Db, occurrenceId: string) {
  const [slot] = await db.select().from(poolSlots).where(eq(poolSlots.occurrenceId, occurrenceId));
  return slot;
}

// ---- trace -------------------------------------------------------------------------------------

/**
 * One JSON parameter instead of 12 per row: a burst of starts traces thousands of exchanges, and
 * building a many-parameter insert cost more CPU than the bridge calls themselves.
 */
export async function insertTrace(db: Db, rows: (typeof apiTrace.$inferInsert)[]) {
  if (!rows.length) return;
  const values = JSON.stringify(rows.map((r) => ({ bridge_id: r.bridgeId, at: r.at, node: r.node, method: r.method, path: r.path, request_body: r.requestBody ?? null, status: r.status ?? null, size: r.size ?? 0, location: r.location ?? null, response_body: r.responseBody ?? null, duration_ms: r.durationMs, error: r.error ?? null })));
  await db.execute(sql`
    insert into ${apiTrace} (bridge_id, at, node, method, path, request_body, status, size, location, response_body, duration_ms, error)
    select bridge_id, at, node, method, path, request_body, status, size, location, response_body, duration_ms, error
    from jsonb_to_recordset(${values}::jsonb) as v(bridge_id uuid, at timestamptz, node text, method text, path text, request_body text, status int, size int, location text, response_body text, duration_ms int, error text)`);
}

export type TraceFilter = { bridgeId: string; from?: Date; to?: Date; method?: string; path?: string; status?: number };

export async function findTrace(db: Db, filter: TraceFilter, page: { offset: number; limit: number }) {
  const conditions: SQL[] = [eq(apiTrace.bridgeId, filter.bridgeId)];
  if (filter.from) conditions.push(gte(apiTrace.at, filter.from));
  if (filter.to) conditions.push(lt(apiTrace.at, filter.to));
  if (filter.method) conditions.push(eq(apiTrace.method, filter.method.toUpperCase()));
  if (filter.path) conditions.push(ilike(apiTrace.path, `%${filter.path.replace(/[%_\\]/g, (c) => `\\${c}`)}%`));
  if (filter.status !== undefined) conditions.push(eq(apiTrace.status, filter.status));
  const where = and(...conditions);
  const items = await db.select().from(apiTrace).where(where).orderBy(desc(apiTrace.id)).offset(page.offset).limit(page.limit);
  const [{ total }] = await db.select({ total: count() }).from(apiTrace).where(where);
  return { items, total };
}

// ---- bookings and occurrences --------------------------------------------------------------------

/** Serialises every booking decision on one bridge (both engines: PGlite and PostgreSQL). */
export async function lockBridgeSchedule(db: Db, bridgeId: string) {
  await db.execute(sql`select pg_advisory_xact_lock(hashtext(${`meetings.schedule:${bridgeId}`}))`);
}

/** Occurrences holding a slot of `bridgeId` at some instant of [from, to). */
export async function overlappingHolds(db: Db, bridgeId: string, from: Date, to: Date, excludeBookingId?: string) {
  const conditions: SQL[] = [eq(occurrences.bridgeId, bridgeId), inArray(occurrences.state, HOLDING_STATES), lt(occurrences.holdFrom, to), gt(occurrences.endAt, from)];
  if (excludeBookingId) conditions.push(ne(occurrences.bookingId, excludeBookingId));
  return db.select({ id: occurrences.id, holdFrom: occurrences.holdFrom, endAt: occurrences.endAt }).from(occurrences).where(and(...conditions));
}

export async function updateBooking(db: Db, id: string, patch: Partial<typeof bookings.$inferInsert>) {
  await db.update(bookings).set(patch).where(eq(bookings.id, id));
}

/** One of its meetings changed: the booking's version moves (TMSBA's optimistic lock). */
export async function bumpBookingVersion(db: Db, id: string, at: Date) {
  await db.update(bookings).set({ version: sql`${bookings.version} + 1`, updatedAt: at }).where(eq(bookings.id, id));
}

export async function findBooking(db: Db, id: string, options: { forUpdate?: boolean } = {}): Promise<BookingRow | undefined> {
  const q = db.select().from(bookings).where(eq(bookings.id, id));
  const [row] = options.forUpdate ? await q.for('update') : await q;
  return row;
}

export async function findBookingByExternalId(db: Db, externalSourceId: string, externalPrimaryKey: string): Promise<BookingRow | undefined> {
  const [row] = await db.select().from(bookings).where(and(eq(bookings.externalSourceId, externalSourceId), eq(bookings.externalPrimaryKey, externalPrimaryKey)));
  return row;
}

/** The bookings of many (ExternalSourceId, ExternalPrimaryKey) pairs, in one statement per source and 1,000 keys. */
export async function findBookingsByExternalIds(db: Db, pairs: { externalSourceId: string; externalPrimaryKey: string }[]): Promise<BookingRow[]> {
  const keysOf = new Map<string, string[]>();
  for (const p of pairs) keysOf.set(p.externalSourceId, [...(keysOf.get(p.externalSourceId) ?? []), p.externalPrimaryKey]);
  const rows: BookingRow[] = [];
  for (const [source, keys] of keysOf) {
    for (let i = 0; i < keys.length; i += 1000) {
      rows.push(...(await db.select().from(bookings).where(and(eq(bookings.externalSourceId, source), inArray(bookings.externalPrimaryKey, keys.slice(i, i + 1000))))));
    }
  }
  return rows;
}

export type BookingFilter = { bridgeId?: string; organizer?: string; from?: Date; to?: Date; state?: string };

export async function findBookings(db: Db, filter: BookingFilter, page: { offset: number; limit: number }) {
  const conditions: SQL[] = [];
  if (filter.bridgeId) conditions.push(eq(bookings.bridgeId, filter.bridgeId));
  if (filter.organizer) conditions.push(eq(bookings.organizer, filter.organizer));
  if (filter.state) conditions.push(eq(bookings.state, filter.state));
  if (filter.from || filter.to) {
    const occ: SQL[] = [eq(occurrences.bookingId, bookings.id)];
    if (filter.from) occ.push(gt(occurrences.endAt, filter.from));
    if (filter.to) occ.push(lt(occurrences.startAt, filter.to));
    conditions.push(sql`exists (select 1 from ${occurrences} where ${and(...occ)})`);
  }
  const where = conditions.length ? and(...conditions) : undefined;
  const items = await db.select().from(bookings).where(where).orderBy(asc(bookings.startAt), asc(bookings.id)).offset(page.offset).limit(page.limit);
  const [{ total }] = await db.select({ total: count() }).from(bookings).where(where);
  return { items, total };
}

export async function insertOccurrences(db: Db, rows: (typeof occurrences.$inferInsert)[]) {
  for (let i = 0; i < rows.length; i += 500) await db.insert(occurrences).values(rows.slice(i, i + 500));
}

export async function findOccurrence(db: Db, id: string, options: { forUpdate?: boolean } = {}): Promise<OccurrenceRow | undefined> {
  const q = db.select().from(occurrences).where(eq(occurrences.id, id));
  const [row] = options.forUpdate ? await q.for('update') : await q;
  return row;
}

export async function listOccurrences(db: Db, bookingId: string, limit = 500) {
  return db.select().from(occurrences).where(eq(occurrences.bookingId, bookingId)).orderBy(asc(occurrences.startAt)).limit(limit);
}

export async function updateOccurrence(db: Db, id: string, patch: Partial<typeof occurrences.$inferInsert>) {
  await db.update(occurrences).set(patch).where(eq(occurrences.id, id));
}

export async function cancelScheduledOccurrences(db: Db, bookingId: string) {
  await db.update(occurrences).set({ state: 'cancelled' }).where(and(eq(occurrences.bookingId, bookingId), eq(occurrences.state, 'scheduled')));
}

export async function deleteScheduledOccurrences(db: Db, bookingId: string) {
  await db.delete(occurrences).where(and(eq(occurrences.bookingId, bookingId), eq(occurrences.state, 'scheduled')));
}

export async function missedStarts(db: Db, now: Date) {
  return db.update(occurrences).set({ state: 'failed', error: 'The meeting was not started before its end time.' }).where(and(eq(occurrences.state, 'scheduled'), lte(occurrences.endAt, now))).returning({ id: occurrences.id });
}

/** Running occurrences past their end, oldest first; `after` continues from the last one seen. */
export async function dueEnds(db: Db, now: Date, limit = 500, after?: { endAt: Date; id: string }) {
  const conditions: SQL[] = [inArray(occurrences.state, ['ongoing', 'ending']), lte(occurrences.endAt, now)];
  if (after) conditions.push(sql`(${occurrences.endAt}, ${occurrences.id}) > (${after.endAt}::timestamptz, ${after.id}::uuid)`);
  return db.select({ id: occurrences.id, endAt: occurrences.endAt }).from(occurrences).where(and(...conditions)).orderBy(asc(occurrences.endAt), asc(occurrences.id)).limit(limit);
}

export async function ongoingOccurrences(db: Db, filter: { bridgeId?: string; nodeId?: string } = {}) {
  const conditions: SQL[] = [eq(occurrences.state, 'ongoing')];
  if (filter.bridgeId) conditions.push(eq(occurrences.bridgeId, filter.bridgeId));
  if (filter.nodeId) conditions.push(eq(occurrences.nodeId, filter.nodeId));
  return db.select().from(occurrences).where(and(...conditions)).orderBy(asc(occurrences.startAt));
}

export async function findMeetings(db: Db, filter: { bridgeId?: string; states?: string[]; from?: Date; to?: Date }, page: { offset: number; limit: number }) {
  const conditions: SQL[] = [];
  if (filter.bridgeId) conditions.push(eq(occurrences.bridgeId, filter.bridgeId));
  if (filter.states?.length) conditions.push(inArray(occurrences.state, filter.states));
  if (filter.from) conditions.push(gt(occurrences.endAt, filter.from));
  if (filter.to) conditions.push(lt(occurrences.startAt, filter.to));
  const where = conditions.length ? and(...conditions) : undefined;
  const items = await db
    .select({ occurrence: occurrences, title: bookings.title, organizer: bookings.organizer, timeZone: bookings.timeZone })
    .from(occurrences)
    .innerJoin(bookings, eq(bookings.id, occurrences.bookingId))
    .where(where)
    .orderBy(asc(occurrences.startAt), asc(occurrences.id))
    .offset(page.offset)
    .limit(page.limit);
  const [{ total }] = await db.select({ total: count() }).from(occurrences).where(where);
  return { items, total };
}

export async function countUpcoming(db: Db, bridgeId: string, from: Date, to: Date) {
  const [{ total }] = await db.select({ total: count() }).from(occurrences).where(and(eq(occurrences.bridgeId, bridgeId), notInArray(occurrences.state, ['cancelled']), gt(occurrences.endAt, from), lt(occurrences.startAt, to)));
  return total;
}

export async function upcomingOccurrences(db: Db, filter: { bridgeId?: string; organizer?: string }, from: Date, to: Date) {
  const conditions: SQL[] = [notInArray(occurrences.state, ['cancelled']), gt(occurrences.endAt, from), lt(occurrences.startAt, to)];
  if (filter.bridgeId) conditions.push(eq(occurrences.bridgeId, filter.bridgeId));
  if (filter.organizer) conditions.push(eq(bookings.organizer, filter.organizer));
  return db.select({ occurrence: occurrences, booking: bookings }).from(occurrences).innerJoin(bookings, eq(bookings.id, occurrences.bookingId)).where(and(...conditions)).orderBy(asc(occurrences.startAt)).limit(5000);
}

// ---- legs and CDRs -------------------------------------------------------------------------------

export async function insertLegs(db: Db, rows: (typeof legs.$inferInsert)[]) {
  if (rows.length) await db.insert(legs).values(rows);
}

export async function listLegs(db: Db, occurrenceId: string) {
  return db.select().from(legs).where(eq(legs.occurrenceId, occurrenceId)).orderBy(asc(legs.remoteParty));
}

export async function updateLeg(db: Db, id: string, patch: Partial<typeof legs.$inferInsert>) {
  await db.update(legs).set(patch).where(eq(legs.id, id));
}

export async function findLegByCallLegId(db: Db, callLegId: string) {
  const [row] = await db.select().from(legs).where(eq(legs.callLegId, callLegId));
  return row;
}

export async function deleteLegs(db: Db, occurrenceId: string) {
  await db.delete(legs).where(eq(legs.occurrenceId, occurrenceId));
}

/** One JSON parameter for the whole batch (see insertTrace). */
export async function insertCdrs(db: Db, rows: (typeof cdrRecords.$inferInsert)[]) {
  if (!rows.length) return;
  const values = JSON.stringify(rows.map((r) => ({ id: r.id, bridge_id: r.bridgeId, occurrence_id: r.occurrenceId ?? null, type: r.type, at: r.at, call_id: r.callId ?? null, call_leg_id: r.callLegId ?? null, remote_party: r.remoteParty ?? null, reason: r.reason ?? null })));
  await db.execute(sql`
    insert into ${cdrRecords} (id, bridge_id, occurrence_id, type, at, call_id, call_leg_id, remote_party, reason)
    select id, bridge_id, occurrence_id, type, at, call_id, call_leg_id, remote_party, reason
    from jsonb_to_recordset(${values}::jsonb) as v(id uuid, bridge_id uuid, occurrence_id uuid, type text, at timestamptz, call_id text, call_leg_id text, remote_party text, reason text)`);
}

export async function findLegsByCallLegIds(db: Db, callLegIds: string[]) {
  if (!callLegIds.length) return [];
  return db.select().from(legs).where(inArray(legs.callLegId, callLegIds));
}

export async function findOccurrencesByCalls(db: Db, bridgeId: string, callIds: string[]) {
  if (!callIds.length) return [];
  return db.select({ id: occurrences.id, callId: occurrences.callId }).from(occurrences).where(and(eq(occurrences.bridgeId, bridgeId), inArray(occurrences.callId, callIds)));
}

export async function findOccurrenceByCall(db: Db, bridgeId: string, callId: string) {
  const [row] = await db.select({ id: occurrences.id }).from(occurrences).where(and(eq(occurrences.bridgeId, bridgeId), eq(occurrences.callId, callId)));
  return row;
}

export async function listCdrs(db: Db, occurrenceId: string) {
  return db.select().from(cdrRecords).where(eq(cdrRecords.occurrenceId, occurrenceId)).orderBy(asc(cdrRecords.at));
}

export async function openEndedSeries(db: Db) {
  return db.select().from(bookings).where(and(eq(bookings.state, 'booked'), sql`${bookings.recurrence} is not null`));
}

export async function lastOccurrenceStart(db: Db, bookingId: string): Promise<Date | undefined> {
  const [row] = await db.select({ startAt: occurrences.startAt }).from(occurrences).where(eq(occurrences.bookingId, bookingId)).orderBy(desc(occurrences.startAt)).limit(1);
  return row?.startAt;
}
