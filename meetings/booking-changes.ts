import { asc, eq, gt, inArray, sql } from 'drizzle-orm';
import { AppError } from '../platform/errors.ts';
import { bookingChanges, meetingSettings } from './booking-changes.schema.ts';
import { bookings } from './bookings.schema.ts';
import { bridges } from './bridges.schema.ts';
import type { Actor } from '../platform/auth/actor.ts';
import type { Db } from '../platform/db/database.ts';
import type { PlatformServices } from '../platform/services.ts';

// M8 change feed of bookings and M14 routing preference: the two pieces of the Meetings area an
// integration (a calendar connector, a room display) and an administrator set up around bookings.

export type BookingChange = 'created' | 'updated' | 'cancelled' | 'occurrence-updated' | 'occurrence-cancelled' | 'series-extended';

/** Called by every booking write, inside its transaction, so a change is in the feed iff it committed. */
export async function recordBookingChange(tx: Db, row: BookingChangeEntry) {
  await recordBookingChanges(tx, [row]);
}

type BookingChangeEntry = { bookingId: string; occurrenceId?: string | null; change: BookingChange; actor: Actor; at: Date };

/** Several changes in one statement (a group commit of bookings); the feed keeps their order. */
export async function recordBookingChanges(tx: Db, rows: BookingChangeEntry[]) {
  if (!rows.length) return;
  await tx.insert(bookingChanges).values(rows.map((row) => ({ bookingId: row.bookingId, occurrenceId: row.occurrenceId ?? null, change: row.change, actor: row.actor.name, at: row.at })));
}

/**
 * The feed after `since`, oldest first. Numbers are given at read time, under one lock, to the
 * changes committed so far: a writer that commits late (its transaction began before a reader's
 * read and ended after it) is numbered by the next reader, above every number already handed out.
 * Insert order (a bigserial) alone would let a poller step over such a change for good.
 */
export async function readBookingChanges(services: PlatformServices, since: number, limit: number) {
  return services.database.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('meetings.booking-changes'))`);
    const prunedThrough = await findPrunedThrough(tx);
    if (since < prunedThrough) {
      throw new AppError(
        'GONE',
        `Changes up to ${prunedThrough} were pruned (the feed keeps ${services.config.bookingChangeRetentionDays} days): read the bookings again, then follow the feed with since=${prunedThrough}.`,
        { prunedThrough, since },
      );
    }
    await tx.execute(sql`
      update ${bookingChanges} c set seq = n.base + n.rn
      from (
        select u.id, row_number() over (order by u.id) as rn,
               -- Never below the pruned watermark: pruning may have deleted every numbered change.
               greatest((select coalesce(max(seq), 0) from ${bookingChanges} where seq is not null), ${prunedThrough}::bigint) as base
        from ${bookingChanges} u where u.seq is null
      ) n
      where c.id = n.id`);
    const rows = await tx
      .select({ change: bookingChanges, booking: bookings })
      .from(bookingChanges)
      .leftJoin(bookings, eq(bookings.id, bookingChanges.bookingId))
      .where(gt(bookingChanges.seq, since))
      .orderBy(asc(bookingChanges.seq))
      .limit(limit + 1);
    const items = rows.slice(0, limit);
    const last = items.at(-1)?.change.seq;
    return { items, cursor: last ?? since, hasMore: rows.length > limit };
  });
}

// ---- pruning ---------------------------------------------------------------------------------------

const PRUNED_KEY = 'booking-changes.pruned-through';

async function findPrunedThrough(db: Db): Promise<number> {
  const [row] = await db.select().from(meetingSettings).where(eq(meetingSettings.key, PRUNED_KEY));
  return row ? (row.value as { seq: number }).seq : 0;
}

/**
 * Deletes the numbered changes older than the retention (SWITCHBOARD_BOOKING_CHANGE_RETENTION_DAYS)
 * and remembers the highest number deleted, so a reader whose cursor is below it is told it missed
 * changes (410) instead of silently skipping them. Unnumbered changes are never deleted: no reader
 * has seen them yet. Under the feed's lock, so a read never sees half a prune.
 */
export async function pruneBookingChanges(services: PlatformServices) {
  const before = new Date(services.clock.now().getTime() - services.config.bookingChangeRetentionDays * 86_400_000);
  return services.database.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('meetings.booking-changes'))`);
    const [deleted] = (
      await tx.execute(sql`with gone as (delete from ${bookingChanges} where seq is not null and ${bookingChanges.at} < ${before.toISOString()}::timestamptz returning seq)
        select count(*)::int as count, max(seq)::bigint as through from gone`)
    ).rows as Array<{ count: number; through: string | null }>;
    const through = Math.max(await findPrunedThrough(tx), Number(deleted?.through ?? 0));
    if (deleted?.count) {
      const value = { seq: through };
      await tx.insert(meetingSettings).values({ key: PRUNED_KEY, value, updatedAt: services.clock.now(), updatedBy: 'system:meetings' }).onConflictDoUpdate({ target: meetingSettings.key, set: { value, updatedAt: services.clock.now() } });
    }
    return { deleted: deleted?.count ?? 0, prunedThrough: through, olderThan: before.toISOString() };
  });
}

// ---- M14 routing preference ----------------------------------------------------------------------

const ROUTING_KEY = 'routing';
export type RoutingPreference = { preferredBridgeIds: string[] };

/** The stored order, without bridges that were removed since. */
export async function getRoutingPreference(db: Db): Promise<RoutingPreference & { updatedAt: Date | null; updatedBy: string | null }> {
  const [row] = await db.select().from(meetingSettings).where(eq(meetingSettings.key, ROUTING_KEY));
  if (!row) return { preferredBridgeIds: [], updatedAt: null, updatedBy: null };
  const ids = (row.value as RoutingPreference).preferredBridgeIds;
  const known = new Set((await db.select({ id: bridges.id }).from(bridges)).map((b) => b.id));
  return { preferredBridgeIds: ids.filter((id) => known.has(id)), updatedAt: row.updatedAt, updatedBy: row.updatedBy };
}

export async function setRoutingPreference(services: PlatformServices, value: RoutingPreference, actor: Actor) {
  const ids = value.preferredBridgeIds;
  const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
  if (repeated) throw new AppError('VALIDATION_FAILED', `Bridge ${repeated} is listed twice in the preferred order.`, { bridgeId: repeated });
  return services.database.transaction(async (tx) => {
    const found = ids.length ? await tx.select({ id: bridges.id }).from(bridges).where(inArray(bridges.id, ids)) : [];
    const missing = ids.find((id) => !found.some((b) => b.id === id));
    if (missing) throw new AppError('VALIDATION_FAILED', `Bridge ${missing} does not exist.`, { bridgeId: missing });
    const before = await getRoutingPreference(tx);
    const now = services.clock.now();
    await tx
      .insert(meetingSettings)
      .values({ key: ROUTING_KEY, value: { preferredBridgeIds: ids }, updatedAt: now, updatedBy: actor.name })
      .onConflictDoUpdate({ target: meetingSettings.key, set: { value: { preferredBridgeIds: ids }, updatedAt: now, updatedBy: actor.name } });
    await services.audit.record({ actor, action: 'meetings.routing-preference', entityType: 'meetings-settings', entityId: ROUTING_KEY, before: { preferredBridgeIds: before.preferredBridgeIds }, after: { preferredBridgeIds: ids } }, tx);
    return { preferredBridgeIds: ids, updatedAt: now, updatedBy: actor.name };
  });
}

/** Rank of a bridge in the preferred order; bridges not listed come after all listed ones. */
export function preferenceRank(preference: RoutingPreference, bridgeId: string) {
  const index = preference.preferredBridgeIds.indexOf(bridgeId);
  return index === -1 ? preference.preferredBridgeIds.length : index;
}

