import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgSequence, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { bridges } from './bridges.schema.ts';

export type DialOut = { uri: string };

/**
 * The TMSBA ConferenceId (an int on the wire, #16) of bookings and of each of their meetings: one
 * sequence, so an id names either a booking (a series) or one meeting of it, never both.
 */
export const conferenceIds = pgSequence('meetings_conference_ids', { startWith: 1000, maxValue: 2147483647 });
const conferenceId = () => integer('conference_id').notNull().default(sql`nextval('meetings_conference_ids')`);

/** M8: what was booked. Times are UTC; `timeZone` is how the organizer sees them (and recurs). */
export const bookings = pgTable(
  'meetings_bookings',
  {
    id: uuid('id').primaryKey(),
    bridgeId: uuid('bridge_id').notNull().references(() => bridges.id),
    title: text('title').notNull(),
    organizer: text('organizer').notNull(),
    passcodeSealed: text('passcode_sealed'),
    timeZone: text('time_zone').notNull(),
    startAt: timestamp('start_at', { withTimezone: true }).notNull(),
    endAt: timestamp('end_at', { withTimezone: true }).notNull(),
    earlyJoinMinutes: integer('early_join_minutes').notNull().default(0),
    recurrence: text('recurrence'),
    dialOut: jsonb('dial_out').$type<string[]>().notNull().default([]),
    dialIn: jsonb('dial_in').$type<string[]>().notNull().default([]),
    /** booked, cancelled; defective: kept by a TMSBA BestEffortForced save that did not fit — it holds no slot and never starts */
    state: text('state').notNull().default('booked'),
    conferenceId: conferenceId(),
    /** Moves with every change of the booking or one of its meetings: a TMSBA save carrying an older one is refused (optimistic lock). */
    version: integer('version').notNull().default(1),
    /** The booking's identity in the system that made it (TMSBA ExternalSourceId + ExternalPrimaryKey, e.g. TMSXE and its Exchange id). */
    externalSourceId: text('external_source_id'),
    externalPrimaryKey: text('external_primary_key'),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('meetings_bookings_bridge').on(t.bridgeId, t.startAt),
    uniqueIndex('meetings_bookings_conference_id').on(t.conferenceId),
    uniqueIndex('meetings_bookings_external_id').on(t.externalSourceId, t.externalPrimaryKey),
  ],
);

/**
 * One meeting of a booking (a single booking has one). It reserves one pool slot from
 * `holdFrom` (start minus early join) to `endAt`, and carries the running meeting's state (M9–M13).
 */
export const occurrences = pgTable(
  'meetings_occurrences',
  {
    id: uuid('id').primaryKey(),
    bookingId: uuid('booking_id').notNull().references(() => bookings.id, { onDelete: 'cascade' }),
    bridgeId: uuid('bridge_id').notNull().references(() => bridges.id),
    startAt: timestamp('start_at', { withTimezone: true }).notNull(),
    endAt: timestamp('end_at', { withTimezone: true }).notNull(),
    holdFrom: timestamp('hold_from', { withTimezone: true }).notNull(),
    /** scheduled → starting → ongoing → ending → ended; cancelled; failed; defective (its booking is) */
    state: text('state').notNull().default('scheduled'),
    conferenceId: conferenceId(),
    /** The start the series gave this meeting, when it was moved (TMSBA RecurrenceInstanceIdUTC); null: `startAt`. */
    recurrenceIdAt: timestamp('recurrence_id_at', { withTimezone: true }),
    slot: integer('slot'),
    coSpaceId: text('co_space_id'),
    nodeId: uuid('node_id'),
    callId: text('call_id'),
    startedAt: timestamp('started_at', { withTimezone: true }),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    failovers: integer('failovers').notNull().default(0),
    error: text('error'),
    warned: jsonb('warned').$type<number[]>().notNull().default([]),
    edited: boolean('edited').notNull().default(false),
    /** This meeting's own dial-outs when one occurrence of a series was edited; null: the booking's. */
    dialOut: jsonb('dial_out').$type<string[]>(),
    /** M9: the start job that claimed this meeting ('starting'): only its attempts may recover it. */
    startJobId: uuid('start_job_id'),
    /** The *Meeting Start Failed* ticket raised while this meeting's start is retried; closed when it starts. */
    startTicketId: integer('start_ticket_id'),
  },
  (t) => [index('meetings_occurrences_bridge_time').on(t.bridgeId, t.holdFrom, t.endAt), index('meetings_occurrences_state').on(t.state, t.holdFrom), index('meetings_occurrences_booking').on(t.bookingId, t.startAt), uniqueIndex('meetings_occurrences_conference_id').on(t.conferenceId)],
);

/** M9/M10: each dial-out's leg and what became of it. */
export const legs = pgTable(
  'meetings_legs',
  {
    id: uuid('id').primaryKey(),
    occurrenceId: uuid('occurrence_id').notNull().references(() => occurrences.id, { onDelete: 'cascade' }),
    remoteParty: text('remote_party').notNull(),
    callLegId: text('call_leg_id'),
    /** placing → placed → connected | failed; dropped */
    outcome: text('outcome').notNull(),
    attempts: integer('attempts').notNull().default(0),
    reason: text('reason'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('meetings_legs_occurrence').on(t.occurrenceId)],
);

/** Meeting history from the bridges' CDRs. */
export const cdrRecords = pgTable(
  'meetings_cdr_records',
  {
    id: uuid('id').primaryKey(),
    bridgeId: uuid('bridge_id').notNull(),
    occurrenceId: uuid('occurrence_id'),
    type: text('type').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    callId: text('call_id'),
    callLegId: text('call_leg_id'),
    remoteParty: text('remote_party'),
    reason: text('reason'),
  },
  (t) => [index('meetings_cdr_occurrence').on(t.occurrenceId, t.at)],
);
