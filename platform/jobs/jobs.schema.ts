import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Our view of every job: pg-boss owns delivery (its own schema), this table owns what a person
 * sees — title, entity, progress and outcome — and survives pg-boss's retention.
 */
export const jobRecords = pgTable(
  'job_records',
  {
    id: uuid('id').primaryKey(),
    queue: text('queue').notNull(),
    title: text('title').notNull(),
    entityType: text('entity_type'),
    entityId: text('entity_id'),
    /** created, active, retry, completed, failed, cancelled */
    state: text('state').notNull(),
    progressPercent: integer('progress_percent').notNull().default(0),
    progressStep: text('progress_step'),
    progressMessage: text('progress_message'),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull(),
    input: jsonb('input'),
    result: jsonb('result'),
    error: jsonb('error'),
    createdBy: text('created_by'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('job_records_queue_state_idx').on(t.queue, t.state),
    index('job_records_created_idx').on(t.createdAt),
    index('job_records_entity_idx').on(t.entityType, t.entityId),
    // The reconciler looks at unfinished jobs every few seconds; finished ones pile up forever.
    index('job_records_unfinished_idx').on(t.updatedAt).where(sql`${t.state} in ('created', 'active', 'retry')`),
  ],
);

/**
 * The step journal that makes a job's effects exactly-once: a step recorded `done` is never run
 * again on retry; a step found `started` (the process died during it) is verified before it is
 * repeated. See platform/jobs/job-context.ts.
 */
export const jobSteps = pgTable(
  'job_steps',
  {
    jobId: uuid('job_id').notNull(),
    stepKey: text('step_key').notNull(),
    /** started, done */
    state: text('state').notNull(),
    result: jsonb('result'),
    attempts: integer('attempts').notNull().default(1),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.stepKey] })],
);
