import { auditEventsInsertText } from '../platform/audit/audit.repository.ts';
import { HOLDING_STATES } from './meetings.repository.ts';
import { clientOf, type Db } from '../platform/db/database.ts';

// M8 group commit: the statements of a batch of bookings, as fixed SQL text sent as named prepared
// statements on the transaction's connection. Each column goes as one array parameter (unnest), so
// the cost is the same for 1 or 200 bookings; and with fixed text nothing is built per batch (drizzle
// building these was ~8 % of the server's thread), PostgreSQL parses and plans each once per
// connection, and the ~3 kB of SQL text is not written to the socket again for every batch.

type NewBooking = {
  id: string; bridgeId: string; title: string; organizer: string; passcodeSealed: string | null; timeZone: string; startAt: Date; endAt: Date;
  earlyJoinMinutes: number; recurrence: string | null; dialOut: string[]; dialIn: string[]; state: string; createdBy: string; createdAt: Date; updatedAt: Date;
  externalSourceId: string | null; externalPrimaryKey: string | null;
};
type NewOccurrence = { id: string; bookingId: string; bridgeId: string; startAt: Date; endAt: Date; holdFrom: Date; state?: string };
type NewChange = { bookingId: string; change: string; actor: string; at: Date };

const iso = (d: Date) => d.toISOString();

// Sorted by the lock's own key (the hash), so two batches taking overlapping sets of locks take
// them in the same order and cannot deadlock each other.
const lockSchedulesText = `
  select pg_advisory_xact_lock(h) from (select distinct hashtext(k) as h from unnest($1::text[]) as k order by h offset 0) as locks`;

/**
 * Serialises the decisions on these bridges' schedules (transaction-scoped advisory locks, the
 * same as `lockBridgeSchedule` in meetings.repository.ts), in one statement.
 */
export async function lockSchedules(db: Db, bridgeIds: string[]) {
  await clientOf(db).query({ name: 'meetings.lock-schedules', text: lockSchedulesText, values: [bridgeIds.map((id) => `meetings.schedule:${id}`)] });
}

const bridgesWithHoldsText = `
  select b.id, b.name, b.address, b.allow_booking as "allowBooking", b.pool_size as "poolSize", coalesce((
    select json_agg(json_build_array(h.f, h.t)) from (
      select distinct o.id, (extract(epoch from o.hold_from) * 1000)::float8 as f, (extract(epoch from o.end_at) * 1000)::float8 as t
      from unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[]) as w(bridge_id, f, t)
      join meetings_occurrences o on o.bridge_id = w.bridge_id and o.state = any($4::text[]) and o.hold_from < w.t and o.end_at > w.f
      where w.bridge_id = b.id
    ) h), '[]'::json) as holds
  from meetings_bridges b where b.id = any($1::uuid[])`;

export type BridgeForDecision = { id: string; name: string; address: string; allowBooking: boolean; poolSize: number };

/**
 * What a decision reads, after the bridges' locks, in one statement: each bridge named in `windows`
 * and its holds overlapping any of its windows, as [holdFrom, endAt] in epoch ms. Only the holds
 * around the batch's meetings are read (not every hold between its first and last meeting), and no
 * Date is built per hold. A bridge that does not exist is not in the map.
 */
export async function bridgesWithHolds(db: Db, windows: { bridgeId: string; from: Date; to: Date }[]): Promise<Map<string, { bridge: BridgeForDecision; holds: [number, number][] }>> {
  const { rows } = await clientOf(db).query({ name: 'meetings.bridges-with-holds', text: bridgesWithHoldsText, values: [windows.map((w) => w.bridgeId), windows.map((w) => iso(w.from)), windows.map((w) => iso(w.to)), HOLDING_STATES] });
  return new Map(rows.map(({ holds, ...bridge }) => [bridge.id as string, { bridge: bridge as BridgeForDecision, holds: holds as [number, number][] }]));
}

// The occurrences' foreign key is checked at the end of the statement, when the bookings are in;
// the change-feed entries go in the given order (their ids are the feed's insert order). The answer
// is each booking's conference id (TMSBA's ConferenceId, from the sequence).
const insertBatchText = `
  with new_bookings as (
    insert into meetings_bookings (id, bridge_id, title, organizer, passcode_sealed, time_zone, start_at, end_at, early_join_minutes, recurrence, dial_out, dial_in, state, created_by, created_at, updated_at, external_source_id, external_primary_key)
    select id, bridge_id, title, organizer, passcode_sealed, time_zone, start_at, end_at, early_join_minutes, recurrence, dial_out::jsonb, dial_in::jsonb, state, created_by, created_at, updated_at, external_source_id, external_primary_key
    from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::timestamptz[], $9::int[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::timestamptz[], $16::timestamptz[], $28::text[], $29::text[])
      as r(id, bridge_id, title, organizer, passcode_sealed, time_zone, start_at, end_at, early_join_minutes, recurrence, dial_out, dial_in, state, created_by, created_at, updated_at, external_source_id, external_primary_key)
    returning id, conference_id
  ), new_occurrences as (
    insert into meetings_occurrences (id, booking_id, bridge_id, start_at, end_at, hold_from, state)
    select id, booking_id, bridge_id, start_at, end_at, hold_from, state
    from unnest($17::uuid[], $18::uuid[], $19::uuid[], $20::timestamptz[], $21::timestamptz[], $22::timestamptz[], $30::text[]) as r(id, booking_id, bridge_id, start_at, end_at, hold_from, state)
    returning 1
  ), new_audit_events as (
    ${auditEventsInsertText('$27')}
    returning 1
  ), new_changes as (
    insert into meetings_booking_changes (booking_id, change, actor, at)
    select booking_id, change, actor, at
    from unnest($23::uuid[], $24::text[], $25::text[], $26::timestamptz[]) with ordinality as r(booking_id, change, actor, at, n)
    order by n
    returning 1
  )
  select id, conference_id as "conferenceId" from new_bookings`;

/**
 * Inserts a batch's bookings, their scheduled occurrences, their change-feed entries and their
 * audit records (`audit.prepareMany`) in one statement.
 */
export async function insertBookingBatch(db: Db, batch: { bookings: NewBooking[]; occurrences: NewOccurrence[]; changes: NewChange[]; auditJson: string }): Promise<Map<string, number>> {
  const { bookings: b, occurrences: o, changes: c } = batch;
  if (!b.length) return new Map();
  const values: unknown[] = [];
  const columns = <T>(rows: T[], ...fields: ((row: T) => unknown)[]) => {
    for (const field of fields) values.push(rows.map(field));
  };
  columns(b, (r) => r.id, (r) => r.bridgeId, (r) => r.title, (r) => r.organizer, (r) => r.passcodeSealed, (r) => r.timeZone, (r) => iso(r.startAt), (r) => iso(r.endAt), (r) => r.earlyJoinMinutes,
    (r) => r.recurrence, (r) => JSON.stringify(r.dialOut), (r) => JSON.stringify(r.dialIn), (r) => r.state, (r) => r.createdBy, (r) => iso(r.createdAt), (r) => iso(r.updatedAt));
  columns(o, (r) => r.id, (r) => r.bookingId, (r) => r.bridgeId, (r) => iso(r.startAt), (r) => iso(r.endAt), (r) => iso(r.holdFrom));
  columns(c, (r) => r.bookingId, (r) => r.change, (r) => r.actor, (r) => iso(r.at));
  values.push(batch.auditJson);
  columns(b, (r) => r.externalSourceId, (r) => r.externalPrimaryKey);
  columns(o, (r) => r.state ?? 'scheduled');
  const { rows } = await clientOf(db).query({ name: 'meetings.insert-booking-batch', text: insertBatchText, values });
  return new Map(rows.map((r) => [r.id as string, r.conferenceId as number]));
}
