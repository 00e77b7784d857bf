import { and, asc, desc, eq, gt, inArray, isNull, lte, or, sql, type SQL } from 'drizzle-orm';
import { bridgeNodes, bridges, poolSlots } from './bridges.schema.ts';
import { bookings, legs, occurrences } from './bookings.schema.ts';
import type { Db } from '../platform/db/database.ts';

// Batched meeting starts (M9): a start job claims, records and audits many meetings in a handful of
// statements. 1,000 meetings due on the hour must not cost 1,000 × (job record, journal, claim, audit).

/** Scheduled occurrences whose hold begins by `until` (and has not ended by `now`); keyset paged. */
export async function upcomingStarts(db: Db, now: Date, until: Date, limit = 500, after?: { holdFrom: Date; id: string }) {
  const conditions: SQL[] = [eq(occurrences.state, 'scheduled'), lte(occurrences.holdFrom, until), gt(occurrences.endAt, now)];
  if (after) conditions.push(sql`(${occurrences.holdFrom}, ${occurrences.id}) > (${after.holdFrom}::timestamptz, ${after.id}::uuid)`);
  return db
    .select({ id: occurrences.id, bridgeId: occurrences.bridgeId, holdFrom: occurrences.holdFrom })
    .from(occurrences)
    .where(and(...conditions))
    .orderBy(asc(occurrences.holdFrom), asc(occurrences.id))
    .limit(limit);
}

/** When the scheduler must look again: the first hold beginning after `startsFrom`, or the first end after `now`. */
export async function nextWake(db: Db, now: Date, startsFrom: Date): Promise<{ start?: Date; end?: Date }> {
  const [start] = await db.select({ at: occurrences.holdFrom }).from(occurrences).where(and(eq(occurrences.state, 'scheduled'), gt(occurrences.holdFrom, startsFrom))).orderBy(asc(occurrences.holdFrom)).limit(1);
  const [end] = await db.select({ at: occurrences.endAt }).from(occurrences).where(and(inArray(occurrences.state, ['ongoing', 'ending']), gt(occurrences.endAt, now))).orderBy(asc(occurrences.endAt)).limit(1);
  return { start: start?.at, end: end?.at };
}

export type ClaimedStart = { id: string; bridgeId: string; slot: number; coSpaceId: string; nodeId: string | null; recovered: boolean };

/**
 * Claims for `jobId` the listed occurrences that are due and still scheduled, each with the lowest
 * free slot of its bridge, in one transaction of five statements; also returns the ones this job
 * claimed in an earlier attempt and has not recorded as started (`recovered`: the bridge must be
 * asked whether their call exists). Occurrences beyond the free slots stay scheduled.
 * The slot choice is serialised per bridge by an advisory lock, so two instances never hand one
 * slot out twice; the state moves scheduled → starting under FOR UPDATE, so they never claim one
 * meeting twice.
 */
export async function claimStarts(db: Db, jobId: string, ids: string[], now: Date): Promise<{ claimed: ClaimedStart[]; waiting: string[] }> {
  if (!ids.length) return { claimed: [], waiting: [] };
  const rows = await db
    .select({ id: occurrences.id, bridgeId: occurrences.bridgeId, state: occurrences.state, slot: occurrences.slot, coSpaceId: occurrences.coSpaceId, nodeId: occurrences.nodeId })
    .from(occurrences)
    .where(and(inArray(occurrences.id, ids), or(and(eq(occurrences.state, 'scheduled'), lte(occurrences.holdFrom, now), gt(occurrences.endAt, now)), and(eq(occurrences.state, 'starting'), eq(occurrences.startJobId, jobId)))))
    .orderBy(asc(occurrences.holdFrom), asc(occurrences.id))
    .for('update');
  const recovered: ClaimedStart[] = rows.filter((r) => r.state === 'starting').map((r) => ({ id: r.id, bridgeId: r.bridgeId, slot: r.slot!, coSpaceId: r.coSpaceId!, nodeId: r.nodeId, recovered: true }));
  const fresh = rows.filter((r) => r.state === 'scheduled');
  if (!fresh.length) return { claimed: recovered, waiting: [] };
  const bridgeIds = [...new Set(fresh.map((r) => r.bridgeId))].sort();
  // Sorted: two claimers of overlapping bridges take the locks in one order (no deadlock).
  await db.execute(sql`select pg_advisory_xact_lock(hashtext('meetings.slots:' || b)) from unnest(${`{${bridgeIds.join(',')}}`}::text[]) as b order by b`);
  const free = await db.select({ bridgeId: poolSlots.bridgeId, slot: poolSlots.slot, coSpaceId: poolSlots.coSpaceId }).from(poolSlots).where(and(inArray(poolSlots.bridgeId, bridgeIds), isNull(poolSlots.occurrenceId))).orderBy(asc(poolSlots.bridgeId), asc(poolSlots.slot));
  const freeByBridge = new Map<string, typeof free>();
  for (const slot of free) {
    const list = freeByBridge.get(slot.bridgeId);
    if (list) list.push(slot);
    else freeByBridge.set(slot.bridgeId, [slot]);
  }
  const claimed: ClaimedStart[] = [];
  const waiting: string[] = [];
  for (const occ of fresh) {
    const slot = freeByBridge.get(occ.bridgeId)?.shift();
    if (slot) claimed.push({ id: occ.id, bridgeId: occ.bridgeId, slot: slot.slot, coSpaceId: slot.coSpaceId, nodeId: occ.nodeId, recovered: false });
    else waiting.push(occ.id);
  }
  if (claimed.length) {
    const assignments = JSON.stringify(claimed.map((c) => ({ bridge_id: c.bridgeId, slot: c.slot, occurrence_id: c.id, co_space_id: c.coSpaceId })));
    const taken = await db.execute(sql`
      update ${poolSlots} as p set occurrence_id = v.occurrence_id
      from jsonb_to_recordset(${assignments}::jsonb) as v(bridge_id uuid, slot int, occurrence_id uuid)
      where p.bridge_id = v.bridge_id and p.slot = v.slot and p.occurrence_id is null`);
    // Every slot was read free under the bridge's lock; anything else is a bug, not a race to retry.
    if (taken.rowCount !== claimed.length) throw new Error(`claimed ${taken.rowCount} of ${claimed.length} slots`);
    await db.execute(sql`
      update ${occurrences} as o set state = 'starting', slot = v.slot, co_space_id = v.co_space_id, start_job_id = ${jobId}::uuid
      from jsonb_to_recordset(${assignments}::jsonb) as v(bridge_id uuid, slot int, occurrence_id uuid, co_space_id text)
      where o.id = v.occurrence_id`);
  }
  return { claimed: [...recovered, ...claimed], waiting };
}

/** What the bridge calls need: the booking's title, sealed passcode and dial-outs, per occurrence. */
export async function startDetails(db: Db, ids: string[]) {
  if (!ids.length) return [];
  return db
    .select({ id: occurrences.id, bridgeId: occurrences.bridgeId, bookingId: bookings.id, title: bookings.title, passcodeSealed: bookings.passcodeSealed, dialOut: sql<string[]>`coalesce(${occurrences.dialOut}, ${bookings.dialOut})`, endAt: occurrences.endAt, startTicketId: occurrences.startTicketId })
    .from(occurrences)
    .innerJoin(bookings, eq(bookings.id, occurrences.bookingId))
    .where(inArray(occurrences.id, ids));
}

export type StartedRow = { id: string; callId: string; nodeId: string; startedAt: Date };

/** starting → ongoing for the calls that are up, only where `jobId` still holds the claim. */
export async function markStarted(db: Db, jobId: string, rows: StartedRow[]): Promise<string[]> {
  if (!rows.length) return [];
  const values = JSON.stringify(rows.map((r) => ({ id: r.id, call_id: r.callId, node_id: r.nodeId, started_at: r.startedAt.toISOString() })));
  const result = await db.execute<{ id: string }>(sql`
    update ${occurrences} as o set state = 'ongoing', call_id = v.call_id, node_id = v.node_id, started_at = v.started_at, error = null
    from jsonb_to_recordset(${values}::jsonb) as v(id uuid, call_id text, node_id uuid, started_at timestamptz)
    where o.id = v.id and o.state = 'starting' and o.start_job_id = ${jobId}::uuid
    returning o.id`);
  return result.rows.map((r) => r.id);
}

/** A claimed start given up (its job's last attempt failed): failed, and its slot free again. */
export async function markStartsFailed(db: Db, jobId: string, rows: { id: string; error: string }[]): Promise<string[]> {
  if (!rows.length) return [];
  const values = JSON.stringify(rows);
  const result = await db.execute<{ id: string }>(sql`
    update ${occurrences} as o set state = 'failed', error = v.error
    from jsonb_to_recordset(${values}::jsonb) as v(id uuid, error text)
    where o.id = v.id and o.state = 'starting' and o.start_job_id = ${jobId}::uuid
    returning o.id`);
  const failed = result.rows.map((r) => r.id);
  if (failed.length) await db.update(poolSlots).set({ occurrenceId: null }).where(inArray(poolSlots.occurrenceId, failed));
  return failed;
}

/** Starts still retried after failing (M9): the error shown and the ticket raised for each. */
export async function noteStartsFailing(db: Db, rows: { id: string; error: string; ticketId: number | null }[]) {
  if (!rows.length) return;
  const values = JSON.stringify(rows.map((r) => ({ id: r.id, error: r.error, ticket_id: r.ticketId })));
  await db.execute(sql`
    update ${occurrences} as o set error = v.error, start_ticket_id = coalesce(v.ticket_id, o.start_ticket_id)
    from jsonb_to_recordset(${values}::jsonb) as v(id uuid, error text, ticket_id int)
    where o.id = v.id`);
}

/** Dial-outs of these occurrences still being placed (a recovered start: placed or not, ask the bridge). */
export async function placingLegs(db: Db, occurrenceIds: string[]) {
  if (!occurrenceIds.length) return [];
  return db.select().from(legs).where(and(inArray(legs.occurrenceId, occurrenceIds), eq(legs.outcome, 'placing')));
}

/** This job's meetings that are ongoing: a later attempt settles their dial-outs left placing. */
export async function ongoingOfJob(db: Db, jobId: string, ids: string[]) {
  if (!ids.length) return [];
  return db.select({ id: occurrences.id, bridgeId: occurrences.bridgeId, callId: occurrences.callId, nodeId: occurrences.nodeId }).from(occurrences).where(and(inArray(occurrences.id, ids), eq(occurrences.state, 'ongoing'), eq(occurrences.startJobId, jobId)));
}

export type LegOutcome = { id: string; callLegId: string | null; outcome: string; attempts: number; reason: string | null; updatedAt: Date };

/** Many legs' outcomes in one statement; a leg the CDRs already moved on (connected, ended) keeps its outcome. */
export async function recordLegOutcomes(db: Db, rows: LegOutcome[]) {
  if (!rows.length) return;
  const values = JSON.stringify(rows.map((r) => ({ id: r.id, call_leg_id: r.callLegId, outcome: r.outcome, attempts: r.attempts, reason: r.reason, updated_at: r.updatedAt.toISOString() })));
  await db.execute(sql`
    update ${legs} as l set call_leg_id = coalesce(v.call_leg_id, l.call_leg_id), outcome = case when l.outcome = 'placing' then v.outcome else l.outcome end,
      attempts = v.attempts, reason = coalesce(v.reason, l.reason), updated_at = v.updated_at
    from jsonb_to_recordset(${values}::jsonb) as v(id uuid, call_leg_id text, outcome text, attempts int, reason text, updated_at timestamptz)
    where l.id = v.id`);
}

/** The bridges of a batch and their nodes, in two statements. */
export async function bridgesWithNodes(db: Db, bridgeIds: string[]) {
  if (!bridgeIds.length) return { bridges: [], nodes: [] };
  const rows = await db.select().from(bridges).where(inArray(bridges.id, bridgeIds));
  const nodes = await db.select().from(bridgeNodes).where(inArray(bridgeNodes.bridgeId, bridgeIds)).orderBy(desc(bridgeNodes.primary), asc(bridgeNodes.name));
  return { bridges: rows, nodes };
}

/** M13: the meeting moves to its new call only if it is still ongoing on the call the failover left. */
export async function moveCall(db: Db, id: string, from: string | null, to: { callId: string; nodeId: string; failovers: number }): Promise<boolean> {
  const result = await db
    .update(occurrences)
    .set({ callId: to.callId, nodeId: to.nodeId, failovers: to.failovers })
    .where(and(eq(occurrences.id, id), eq(occurrences.state, 'ongoing'), from === null ? isNull(occurrences.callId) : eq(occurrences.callId, from)))
    .returning({ id: occurrences.id });
  return result.length === 1;
}
