import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * M9/M12/M13: the journal of the calls each meeting created on the bridges. A meeting adopts a
 * call only when this journal says it created it (call ID and node), and a call it had to leave on a
 * node that did not answer stays here (`left`) until it is deleted there. No foreign key to the
 * meeting: a left call outlives an edit of its booking.
 *
 * state: `posting` — a POST /calls was (or is about to be) sent to `nodeId` and its answer is not
 * recorded (`callId` null); `live` — the meeting's current call; `left` — to be deleted on
 * `nodeId` (`callId` null: whatever call of `coSpaceId` that node holds and no meeting has as live);
 * `gone` — deleted, never created, or ended.
 */
export const meetingCalls = pgTable(
  'meetings_calls',
  {
    id: uuid('id').primaryKey(),
    occurrenceId: uuid('occurrence_id').notNull(),
    bridgeId: uuid('bridge_id').notNull(),
    nodeId: uuid('node_id').notNull(),
    coSpaceId: text('co_space_id').notNull(),
    callId: text('call_id'),
    state: text('state').notNull(),
    reason: text('reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('meetings_calls_occurrence').on(t.occurrenceId), index('meetings_calls_bridge_state').on(t.bridgeId, t.state)],
);
