import { eq, sql } from 'drizzle-orm';
import { bookings, occurrences } from './bookings.schema.ts';
import { bookingChanges } from './booking-changes.schema.ts';
import { bridges } from './bridges.schema.ts';
import { HOLDING_STATES } from './meetings.repository.ts';
import type { Db } from '../platform/db/database.ts';

// M8 group commit: the rows of a batch of accepted bookings in one statement. Each column goes as
// one array parameter (unnest), so building the statement costs the same for 1 or 200 bookings —
// drizzle's per-value building of multi-row VALUES was a sixth of the server's time, and every
// statement is a round trip whose socket write costs ~0.3 ms here.

type NewBooking = typeof bookings.$inferInsert & { startAt: Date; endAt: Date; createdAt: Date; updatedAt: Date };
type NewOccurrence = Pick<typeof occurrences.$inferInsert, 'id' | 'bookingId' | 'bridgeId' | 'state'> & { startAt: Date; endAt: Date; holdFrom: Date };
type NewChange = { bookingId: string; change: string; actor: string; at: Date };

const column = <T, V>(rows: T[], value: (row: T) => V) => sql.param(rows.map(value));
const iso = (d: Date) => d.toISOString();

/**
 * The bridge, and its holds overlapping any of `windows` as [holdFrom, endAt] in epoch ms — one
 * statement, read after the bridge's lock. Only the holds around the batch's meetings are read (not
 * every hold between its first and last meeting), and no Date is built per hold.
 */
export async function bridgeWithHolds(db: Db, bridgeId: string, windows: { from: Date; to: Date }[]) {
  const holds = sql<[number, number][]>`coalesce((
    select json_agg(json_build_array(h.f, h.t)) from (
      select distinct o.id, (extract(epoch from o.hold_from) * 1000)::float8 as f, (extract(epoch from o.end_at) * 1000)::float8 as t
      from unnest(${sql.param(windows.map((w) => w.from.toISOString()))}::timestamptz[], ${sql.param(windows.map((w) => w.to.toISOString()))}::timestamptz[]) as w(f, t)
      join ${occurrences} o on o.bridge_id = ${bridgeId} and o.state = any(${sql.param(HOLDING_STATES)}::text[]) and o.hold_from < w.t and o.end_at > w.f
    ) h), '[]'::json)`;
  const [row] = await db.select({ bridge: bridges, holds }).from(bridges).where(eq(bridges.id, bridgeId));
  return row;
}

/** Inserts the bookings, their occurrences and their change-feed entries (in the given order). */
export async function insertBookingBatch(db: Db, batch: { bookings: NewBooking[]; occurrences: NewOccurrence[]; changes: NewChange[] }) {
  const { bookings: b, occurrences: o, changes: c } = batch;
  if (!b.length) return;
  // The occurrences' foreign key is checked at the end of the statement, when the bookings are in.
  await db.execute(sql`
    with new_bookings as (
      insert into ${bookings} (id, bridge_id, title, organizer, passcode_sealed, time_zone, start_at, end_at, early_join_minutes, recurrence, dial_out, dial_in, state, created_by, created_at, updated_at)
      select id, bridge_id, title, organizer, passcode_sealed, time_zone, start_at, end_at, early_join_minutes, recurrence, dial_out::jsonb, dial_in::jsonb, state, created_by, created_at, updated_at
      from unnest(${column(b, (r) => r.id)}::uuid[], ${column(b, (r) => r.bridgeId)}::uuid[], ${column(b, (r) => r.title)}::text[], ${column(b, (r) => r.organizer)}::text[],
        ${column(b, (r) => r.passcodeSealed ?? null)}::text[], ${column(b, (r) => r.timeZone)}::text[], ${column(b, (r) => iso(r.startAt))}::timestamptz[], ${column(b, (r) => iso(r.endAt))}::timestamptz[],
        ${column(b, (r) => r.earlyJoinMinutes ?? 0)}::int[], ${column(b, (r) => r.recurrence ?? null)}::text[], ${column(b, (r) => JSON.stringify(r.dialOut ?? []))}::text[], ${column(b, (r) => JSON.stringify(r.dialIn ?? []))}::text[],
        ${column(b, (r) => r.state ?? 'booked')}::text[], ${column(b, (r) => r.createdBy)}::text[], ${column(b, (r) => iso(r.createdAt))}::timestamptz[], ${column(b, (r) => iso(r.updatedAt))}::timestamptz[])
        as r(id, bridge_id, title, organizer, passcode_sealed, time_zone, start_at, end_at, early_join_minutes, recurrence, dial_out, dial_in, state, created_by, created_at, updated_at)
      returning 1
    ), new_occurrences as (
      insert into ${occurrences} (id, booking_id, bridge_id, start_at, end_at, hold_from, state)
      select * from unnest(${column(o, (r) => r.id)}::uuid[], ${column(o, (r) => r.bookingId)}::uuid[], ${column(o, (r) => r.bridgeId)}::uuid[],
        ${column(o, (r) => iso(r.startAt))}::timestamptz[], ${column(o, (r) => iso(r.endAt))}::timestamptz[], ${column(o, (r) => iso(r.holdFrom))}::timestamptz[], ${column(o, (r) => r.state ?? 'scheduled')}::text[])
      returning 1
    )
    insert into ${bookingChanges} (booking_id, change, actor, at)
    select booking_id, change, actor, at
    from unnest(${column(c, (r) => r.bookingId)}::uuid[], ${column(c, (r) => r.change)}::text[], ${column(c, (r) => r.actor)}::text[], ${column(c, (r) => iso(r.at))}::timestamptz[]) with ordinality as r(booking_id, change, actor, at, n)
    order by n`);
}
