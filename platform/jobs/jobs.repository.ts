import { and, desc, eq, inArray, lt, lte, notInArray, sql, type SQL } from 'drizzle-orm';
import { jobRecords, jobSteps } from './jobs.schema.ts';
import { clientOf, type Db } from '../db/database.ts';

export type JobRecordRow = typeof jobRecords.$inferSelect;
export type JobStepRow = typeof jobSteps.$inferSelect;

export type JobFilter = { queue?: string; state?: string[]; entityType?: string; entityId?: string; excludeQueues?: string[] };

export async function insertJobRecord(db: Db, row: typeof jobRecords.$inferInsert): Promise<boolean> {
  const inserted = await db.insert(jobRecords).values(row).onConflictDoNothing().returning({ id: jobRecords.id });
  return inserted.length > 0;
}

/** A new record as one element of the JSON parameter of `jobRecordsInsertText` (the columns' own names). */
export type NewJobRecordJson = {
  id: string;
  queue: string;
  title: string;
  entity_type: string | null;
  entity_id: string | null;
  state: string;
  max_attempts: number;
  input: unknown;
  created_by: string;
  created_at: Date;
  updated_at: Date;
};

const recordColumns = 'id, queue, title, entity_type, entity_id, state, max_attempts, input, created_by, created_at, updated_at';
const recordShape = 'v(id uuid, queue text, title text, entity_type text, entity_id text, state text, max_attempts integer, input jsonb, created_by text, created_at timestamptz, updated_at timestamptz)';

/**
 * The insert of `insertJobRecords` as SQL text, the JSON array of `NewJobRecordJson` being the
 * placeholder `param` (`$4`), returning the ids it created (an existing id is left alone): for a
 * caller that writes the records within a statement of its own (a CTE), one round trip fewer.
 */
export function jobRecordsInsertText(param: string): string {
  return `insert into job_records (${recordColumns}) select ${recordColumns} from jsonb_to_recordset(${param}::jsonb) as ${recordShape} on conflict do nothing returning id`;
}

/**
 * Many records in one statement; returns the ids it created (an existing id is left alone). One
 * JSON parameter: drizzle building a multi-row insert cost more CPU than the insert (measured on
 * the flow-through accepts).
 */
export async function insertJobRecords(db: Db, rows: NewJobRecordJson[]): Promise<Set<string>> {
  if (!rows.length) return new Set();
  const { rows: inserted } = await clientOf(db).query({ name: 'jobs.insert-records', text: jobRecordsInsertText('$1'), values: [JSON.stringify(rows)] });
  return new Set((inserted as { id: string }[]).map((row) => row.id));
}

export async function updateJobRecord(db: Db, id: string, patch: Partial<typeof jobRecords.$inferInsert>): Promise<void> {
  await db.update(jobRecords).set(patch).where(eq(jobRecords.id, id));
}

export async function findJobRecord(db: Db, id: string, options: { forUpdate?: boolean } = {}): Promise<JobRecordRow | undefined> {
  const query = db.select().from(jobRecords).where(eq(jobRecords.id, id));
  const [row] = options.forUpdate ? await query.for('update') : await query;
  return row;
}

/**
 * Records that attempt `attempt` runs the job. Refused (false) when the job was cancelled or
 * completed meanwhile, or a later attempt already holds it: that attempt's runner must stop.
 */
export async function claimJobAttempt(db: Db, id: string, attempt: number, at: Date): Promise<boolean> {
  const rows = await db
    .update(jobRecords)
    .set({ state: 'active', attempts: attempt, startedAt: sql`coalesce(${jobRecords.startedAt}, ${at})`, updatedAt: at })
    .where(and(eq(jobRecords.id, id), notInArray(jobRecords.state, ['cancelled', 'completed']), lte(jobRecords.attempts, attempt)))
    .returning({ id: jobRecords.id });
  return rows.length > 0;
}

/**
 * Updates the record only while `attempt` still holds the job (state active, same attempt): a
 * cancelled, expired or superseded attempt can no longer write progress or an outcome.
 */
export async function updateJobAttempt(db: Db, id: string, attempt: number, patch: Partial<typeof jobRecords.$inferInsert>): Promise<boolean> {
  const rows = await db
    .update(jobRecords)
    .set(patch)
    .where(and(eq(jobRecords.id, id), eq(jobRecords.state, 'active'), eq(jobRecords.attempts, attempt)))
    .returning({ id: jobRecords.id });
  return rows.length > 0;
}

/** Compare-and-set on (state, attempts): the reconciler's write loses to any runner that moved on. */
export async function updateJobRecordFrom(db: Db, id: string, seen: { state: string; attempts: number }, patch: Partial<typeof jobRecords.$inferInsert>): Promise<boolean> {
  const rows = await db
    .update(jobRecords)
    .set(patch)
    .where(and(eq(jobRecords.id, id), eq(jobRecords.state, seen.state), eq(jobRecords.attempts, seen.attempts)))
    .returning({ id: jobRecords.id });
  return rows.length > 0;
}

export type DriftedJobRecord = {
  id: string;
  queue: string;
  state: string;
  attempts: number;
  maxAttempts: number;
  /** pg-boss's state of the job; null when pg-boss no longer holds it. */
  bossState: string | null;
  bossRetryCount: number | null;
  bossOutput: unknown;
};

/**
 * Unfinished records whose pg-boss job says otherwise: pg-boss settles jobs without our handler
 * when a worker dies (heartbeat), overruns expireInSeconds, or the job is deleted.
 * `bossSchema` is pg-boss's schema name from our own constructor options, never user input.
 */
export async function findDriftedJobRecords(db: Db, bossSchema: string, limit: number): Promise<DriftedJobRecord[]> {
  const bossJob = sql.raw(`${bossSchema}.job`);
  const result = await db.execute(sql`
    SELECT r.id, r.queue, r.state, r.attempts, r.max_attempts AS "maxAttempts",
           j.state::text AS "bossState", j.retry_count AS "bossRetryCount", j.output AS "bossOutput"
    FROM job_records r
    LEFT JOIN ${bossJob} j ON j.name = r.queue AND j.id = r.id
    WHERE r.state IN ('created', 'active', 'retry')
      AND (j.id IS NULL
           OR j.state::text IN ('failed', 'cancelled', 'completed')
           OR (j.state::text = 'retry' AND r.state <> 'retry'))
    ORDER BY r.updated_at
    LIMIT ${limit}`);
  return result.rows as DriftedJobRecord[];
}

export async function findJobRecords(db: Db, filter: JobFilter, page: { offset: number; limit: number }) {
  const conditions: SQL[] = [];
  if (filter.queue) conditions.push(eq(jobRecords.queue, filter.queue));
  if (filter.state?.length) conditions.push(inArray(jobRecords.state, filter.state));
  if (filter.entityType) conditions.push(eq(jobRecords.entityType, filter.entityType));
  if (filter.entityId) conditions.push(eq(jobRecords.entityId, filter.entityId));
  if (filter.excludeQueues?.length) conditions.push(notInArray(jobRecords.queue, filter.excludeQueues));
  const where = conditions.length ? and(...conditions) : undefined;
  const items = await db.select().from(jobRecords).where(where).orderBy(desc(jobRecords.createdAt), desc(jobRecords.id)).offset(page.offset).limit(page.limit);
  const [{ total }] = await db.select({ total: sql<number>`count(*)::int` }).from(jobRecords).where(where);
  return { items, total };
}

export async function countJobsByQueueAndState(db: Db) {
  return db
    .select({ queue: jobRecords.queue, state: jobRecords.state, count: sql<number>`count(*)::int` })
    .from(jobRecords)
    .groupBy(jobRecords.queue, jobRecords.state);
}

export async function findJobSteps(db: Db, jobId: string): Promise<JobStepRow[]> {
  return db.select().from(jobSteps).where(eq(jobSteps.jobId, jobId)).orderBy(jobSteps.startedAt);
}

export async function findJobStep(db: Db, jobId: string, stepKey: string, options: { forUpdate?: boolean } = {}): Promise<JobStepRow | undefined> {
  const query = db.select().from(jobSteps).where(and(eq(jobSteps.jobId, jobId), eq(jobSteps.stepKey, stepKey)));
  const [row] = options.forUpdate ? await query.for('update') : await query;
  return row;
}

/**
 * Claims a journal row and locks it until the transaction ends, in one statement: a new row is
 * inserted `started`; an existing one is locked by a no-op update (a second runner blocks here until
 * the first commits, then sees its outcome). Returns the row as it stands.
 */
export async function claimStep(db: Db, jobId: string, stepKey: string, at: Date): Promise<JobStepRow> {
  const [row] = await db
    .insert(jobSteps)
    .values({ jobId, stepKey, state: 'started', startedAt: at })
    .onConflictDoUpdate({ target: [jobSteps.jobId, jobSteps.stepKey], set: { stepKey: sql`excluded.step_key` } })
    .returning();
  return row!;
}

export async function markStepStarted(db: Db, jobId: string, stepKey: string, at: Date): Promise<void> {
  await db
    .insert(jobSteps)
    .values({ jobId, stepKey, state: 'started', startedAt: at })
    .onConflictDoUpdate({ target: [jobSteps.jobId, jobSteps.stepKey], set: { attempts: sql`${jobSteps.attempts} + 1`, startedAt: at } });
}

export async function markStepDone(db: Db, jobId: string, stepKey: string, result: unknown, at: Date): Promise<void> {
  await db
    .insert(jobSteps)
    .values({ jobId, stepKey, state: 'done', result: result ?? null, startedAt: at, finishedAt: at })
    .onConflictDoUpdate({ target: [jobSteps.jobId, jobSteps.stepKey], set: { state: 'done', result: result ?? null, finishedAt: at } });
}

// ── several jobs at once (a queue whose definition runs a batch; see jobs.service runBatch) ──

/** `claimJobAttempt` for several jobs in one statement; returns the ids it claimed. */
export async function claimJobAttempts(db: Db, jobs: { id: string; attempt: number }[], at: Date): Promise<Set<string>> {
  if (!jobs.length) return new Set();
  const values = sql.join(jobs.map((job) => sql`(${job.id}::uuid, ${job.attempt}::int)`), sql`, `);
  const result = await db.execute(sql`
    UPDATE job_records r
    SET state = 'active', attempts = v.attempt, started_at = coalesce(r.started_at, ${at.toISOString()}::timestamptz), updated_at = ${at.toISOString()}::timestamptz
    FROM (VALUES ${values}) AS v(id, attempt)
    WHERE r.id = v.id AND r.state NOT IN ('cancelled', 'completed') AND r.attempts <= v.attempt
    RETURNING r.id`);
  return new Set((result.rows as { id: string }[]).map((row) => row.id));
}

/** Records each attempt completed with its result, only while it still holds its job (as `updateJobAttempt`); returns the ids recorded. */
export async function completeJobAttempts(db: Db, jobs: { id: string; attempt: number; result: unknown }[], at: Date): Promise<Set<string>> {
  if (!jobs.length) return new Set();
  const values = sql.join(jobs.map((job) => sql`(${job.id}::uuid, ${job.attempt}::int, ${job.result == null ? null : JSON.stringify(job.result)}::jsonb)`), sql`, `);
  const result = await db.execute(sql`
    UPDATE job_records r
    SET state = 'completed', progress_percent = 100, result = v.result, error = NULL, finished_at = ${at.toISOString()}::timestamptz, updated_at = ${at.toISOString()}::timestamptz
    FROM (VALUES ${values}) AS v(id, attempt, result)
    WHERE r.id = v.id AND r.state = 'active' AND r.attempts = v.attempt
    RETURNING r.id`);
  return new Set((result.rows as { id: string }[]).map((row) => row.id));
}

export async function findJobRecordStates(db: Db, ids: string[]): Promise<{ id: string; state: string; attempts: number }[]> {
  if (!ids.length) return [];
  return db.select({ id: jobRecords.id, state: jobRecords.state, attempts: jobRecords.attempts }).from(jobRecords).where(inArray(jobRecords.id, ids));
}

/** `claimStep` of one key for several jobs in one statement. */
export async function claimSteps(db: Db, jobIds: string[], stepKey: string, at: Date): Promise<JobStepRow[]> {
  if (!jobIds.length) return [];
  return db
    .insert(jobSteps)
    .values(jobIds.map((jobId) => ({ jobId, stepKey, state: 'started', startedAt: at })))
    .onConflictDoUpdate({ target: [jobSteps.jobId, jobSteps.stepKey], set: { stepKey: sql`excluded.step_key` } })
    .returning();
}

export async function markStepsDone(db: Db, steps: { jobId: string; result: unknown }[], stepKey: string, at: Date): Promise<void> {
  if (!steps.length) return;
  await db
    .insert(jobSteps)
    .values(steps.map(({ jobId, result }) => ({ jobId, stepKey, state: 'done', result: result ?? null, startedAt: at, finishedAt: at })))
    .onConflictDoUpdate({ target: [jobSteps.jobId, jobSteps.stepKey], set: { state: 'done', result: sql`excluded.result`, finishedAt: at } });
}

/** Finished records of the given queues last changed before `before`, with their steps; how many. */
export async function deleteFinishedJobRecords(db: Db, queues: string[], before: Date): Promise<number> {
  if (!queues.length) return 0;
  const old = and(inArray(jobRecords.queue, queues), inArray(jobRecords.state, ['completed', 'failed', 'cancelled']), lt(jobRecords.updatedAt, before));
  await db.delete(jobSteps).where(inArray(jobSteps.jobId, db.select({ id: jobRecords.id }).from(jobRecords).where(old)));
  const deleted = await db.delete(jobRecords).where(old).returning({ id: jobRecords.id });
  return deleted.length;
}

/** Home page (attention): jobs failed since a time, and unfinished jobs that have not moved since another. */
export async function findJobsNeedingAttention(db: Db, options: { failedSince: Date; stuckBefore: Date; excludeQueues: string[]; limit: number }) {
  const notRoutine = options.excludeQueues.length ? notInArray(jobRecords.queue, options.excludeQueues) : undefined;
  const failedWhere = and(eq(jobRecords.state, 'failed'), sql`${jobRecords.finishedAt} >= ${options.failedSince.toISOString()}::timestamptz`, notRoutine);
  const stuckWhere = and(inArray(jobRecords.state, ['created', 'active', 'retry']), lt(jobRecords.updatedAt, options.stuckBefore), notRoutine);
  const [failed, [{ failedTotal }], stuck, [{ stuckTotal }]] = await Promise.all([
    db.select().from(jobRecords).where(failedWhere).orderBy(desc(jobRecords.finishedAt), desc(jobRecords.id)).limit(options.limit),
    db.select({ failedTotal: sql<number>`count(*)::int` }).from(jobRecords).where(failedWhere),
    db.select().from(jobRecords).where(stuckWhere).orderBy(jobRecords.updatedAt, jobRecords.id).limit(options.limit),
    db.select({ stuckTotal: sql<number>`count(*)::int` }).from(jobRecords).where(stuckWhere),
  ]);
  return { failed, failedTotal, stuck, stuckTotal };
}
