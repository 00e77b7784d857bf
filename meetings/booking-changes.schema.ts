import { bigint, bigserial, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';

/**
 * The change feed of bookings. A writer inserts a row in the transaction of its change with `seq`
 * unset; a reader numbers the committed, unnumbered rows under a lock before reading. So a change
 * that commits after a reader has moved past it still gets a number above that reader's cursor.
 */
export const bookingChanges = pgTable(
  'meetings_booking_changes',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    seq: bigint('seq', { mode: 'number' }),
    bookingId: uuid('booking_id').notNull(),
    occurrenceId: uuid('occurrence_id'),
    /** created | updated | cancelled | occurrence-updated | occurrence-cancelled | series-extended */
    change: text('change').notNull(),
    actor: text('actor').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
  },
  (t) => [index('meetings_booking_changes_seq').on(t.seq), index('meetings_booking_changes_unnumbered').on(t.id).where(sql`seq is null`)],
);

/** Area-wide settings, one row per key (M14 routing preference). */
export const meetingSettings = pgTable('meetings_settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  updatedBy: text('updated_by').notNull(),
});
