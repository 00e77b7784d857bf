import { and, eq, inArray, isNull, ne, sql } from 'drizzle-orm';
import { meetingCalls } from './meeting-calls.schema.ts';
import { occurrences } from './bookings.schema.ts';
import type { Db } from '../platform/db/database.ts';

// The journal of the calls meetings created (meeting-calls.schema.ts): what a recovered start may
// adopt, and what is left to delete on nodes that did not answer.

export type MeetingCallRow = typeof meetingCalls.$inferSelect;
export type CallIntent = { id: string; occurrenceId: string; bridgeId: string; nodeId: string; coSpaceId: string };

/** POST /calls about to be sent: one statement for every intent of a group commit. */
export async function insertIntents(db: Db, rows: CallIntent[], now: Date) {
  if (!rows.length) return;
  const values = JSON.stringify(rows.map((r) => ({ id: r.id, occurrence_id: r.occurrenceId, bridge_id: r.bridgeId, node_id: r.nodeId, co_space_id: r.coSpaceId })));
  await db.execute(sql`
    insert into ${meetingCalls} (id, occurrence_id, bridge_id, node_id, co_space_id, state, created_at, updated_at)
    select v.id, v.occurrence_id, v.bridge_id, v.node_id, v.co_space_id, 'posting', ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz
    from jsonb_to_recordset(${values}::jsonb) as v(id uuid, occurrence_id uuid, bridge_id uuid, node_id uuid, co_space_id text)`);
}

/**
 * The calls that are up: their journal entries become `live` with the bridge's call ID; the
 * meeting's other entries still `posting` (a POST whose answer was lost before the call was made,
 * maybe on another node) become `left`, to be looked for and deleted there. One statement.
 */
export async function markLive(db: Db, rows: { id: string; occurrenceId: string; callId: string }[], now: Date) {
  if (!rows.length) return;
  const values = JSON.stringify(rows.map((r) => ({ id: r.id, occurrence_id: r.occurrenceId, call_id: r.callId })));
  await db.execute(sql`
    update ${meetingCalls} as c set
      state = case when c.id = v.id then 'live' else 'left' end,
      call_id = case when c.id = v.id then v.call_id else c.call_id end,
      reason = case when c.id = v.id then c.reason else 'a POST whose answer was lost; the call was made by another' end,
      updated_at = ${now.toISOString()}::timestamptz
    from jsonb_to_recordset(${values}::jsonb) as v(id uuid, occurrence_id uuid, call_id text)
    where c.occurrence_id = v.occurrence_id and (c.id = v.id or c.state = 'posting')`);
}

export async function settleCall(db: Db, id: string, patch: { state: 'gone' | 'left' | 'live'; callId?: string; reason?: string | null }, now: Date) {
  await db.update(meetingCalls).set({ state: patch.state, ...(patch.callId !== undefined ? { callId: patch.callId } : {}), ...(patch.reason !== undefined ? { reason: patch.reason } : {}), updatedAt: now }).where(eq(meetingCalls.id, id));
}

export async function callsOf(db: Db, occurrenceId: string): Promise<MeetingCallRow[]> {
  return db.select().from(meetingCalls).where(eq(meetingCalls.occurrenceId, occurrenceId));
}

/** Calls left on nodes, to delete: of these bridges, or of one space. */
export async function leftCalls(db: Db, filter: { bridgeIds: string[]; coSpaceId?: string; occurrenceId?: string }): Promise<MeetingCallRow[]> {
  if (!filter.bridgeIds.length) return [];
  const conditions = [inArray(meetingCalls.bridgeId, filter.bridgeIds), eq(meetingCalls.state, 'left')];
  if (filter.coSpaceId) conditions.push(eq(meetingCalls.coSpaceId, filter.coSpaceId));
  if (filter.occurrenceId) conditions.push(eq(meetingCalls.occurrenceId, filter.occurrenceId));
  return db.select().from(meetingCalls).where(and(...conditions));
}

/** Other meetings' journal entries for a space on a node: their calls are never this meeting's. */
export async function othersOnSpace(db: Db, nodeId: string, coSpaceId: string, occurrenceId: string): Promise<MeetingCallRow[]> {
  return db.select().from(meetingCalls).where(and(eq(meetingCalls.nodeId, nodeId), eq(meetingCalls.coSpaceId, coSpaceId), ne(meetingCalls.occurrenceId, occurrenceId)));
}

/** Entries of a space on a node that a running start or meeting still owns (`posting`, `live`). */
export async function activeOnSpace(db: Db, nodeId: string, coSpaceId: string): Promise<MeetingCallRow[]> {
  return db.select().from(meetingCalls).where(and(eq(meetingCalls.nodeId, nodeId), eq(meetingCalls.coSpaceId, coSpaceId), inArray(meetingCalls.state, ['posting', 'live'])));
}

/**
 * A meeting leaves its call on a node (failover away from it): the live entry becomes `left`, or one
 * is written for a meeting started before the journal existed.
 */
export async function leaveCall(db: Db, row: { id: string; occurrenceId: string; bridgeId: string; nodeId: string; coSpaceId: string; callId: string; reason: string }, now: Date) {
  const updated = await db
    .update(meetingCalls)
    .set({ state: 'left', reason: row.reason, updatedAt: now })
    .where(and(eq(meetingCalls.occurrenceId, row.occurrenceId), eq(meetingCalls.nodeId, row.nodeId), eq(meetingCalls.callId, row.callId), ne(meetingCalls.state, 'gone')))
    .returning({ id: meetingCalls.id });
  if (!updated.length) await db.insert(meetingCalls).values({ ...row, state: 'left', createdAt: now, updatedAt: now });
}

/** The meeting's call was deleted at its end. */
export async function endLiveCalls(db: Db, occurrenceId: string, now: Date) {
  await db.update(meetingCalls).set({ state: 'gone', updatedAt: now }).where(and(eq(meetingCalls.occurrenceId, occurrenceId), eq(meetingCalls.state, 'live')));
}

/** Unknown outcomes of a meeting that never started: to look for on their nodes, like left calls. */
export async function leavePosting(db: Db, occurrenceIds: string[], reason: string, now: Date) {
  if (!occurrenceIds.length) return;
  await db.update(meetingCalls).set({ state: 'left', reason, updatedAt: now }).where(and(inArray(meetingCalls.occurrenceId, occurrenceIds), eq(meetingCalls.state, 'posting'), isNull(meetingCalls.callId)));
}

/**
 * A failover's POST about to be sent, only while the meeting is ongoing: the row lock orders it
 * against the end's move to `ending`, so once an end has begun no failover makes a new call, and a
 * POST journalled before is seen by the end (which waits for it).
 */
export async function insertFailoverIntent(db: Db, row: CallIntent, now: Date): Promise<boolean> {
  const [occ] = await db.select({ state: occurrences.state }).from(occurrences).where(eq(occurrences.id, row.occurrenceId)).for('share');
  if (occ?.state !== 'ongoing') return false;
  await db.insert(meetingCalls).values({ ...row, state: 'posting', createdAt: now, updatedAt: now });
  return true;
}

/** At the end: live calls of the meeting other than the one just deleted are left, to be deleted. */
export async function leaveOtherLive(db: Db, occurrenceId: string, deletedCallId: string | null, now: Date) {
  const others = deletedCallId ? and(eq(meetingCalls.occurrenceId, occurrenceId), eq(meetingCalls.state, 'live'), ne(meetingCalls.callId, deletedCallId)) : and(eq(meetingCalls.occurrenceId, occurrenceId), eq(meetingCalls.state, 'live'));
  await db.update(meetingCalls).set({ state: 'left', reason: 'live at the end but not the meeting\'s call', updatedAt: now }).where(others);
}
