import { and, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { jobRecords, jobSteps } from './jobs.schema.ts';
import type { Db } from '../db/database.ts';

export type JobRecordRow = typeof jobRecords.$inferSelect;
export type JobStepRow = typeof jobSteps.$inferSelect;

export type JobFilter = { queue?: string; state?: string[]; entityType?: string; entityId?: string };

export async function insertJobRecord(db: Db, row: typeof jobRecords.$inferInsert): Promise<boolean> {
  const inserted = await db.insert(jobRecords).values(row).onConflictDoNothing().returning({ id: jobRecords.id });
  return inserted.length > 0;
}

export async function updateJobRecord(db: Db, id: string, patch: Partial<typeof jobRecords.$inferInsert>): Promise<void> {
  await db.update(jobRecords).set(patch).where(eq(jobRecords.id, id));
}

export async function findJobRecord(db: Db, id: string): Promise<JobRecordRow | undefined> {
  const [row] = await db.select().from(jobRecords).where(eq(jobRecords.id, id));
  return row;
}

export async function findJobRecords(db: Db, filter: JobFilter, page: { offset: number; limit: number }) {
  const conditions: SQL[] = [];
  if (filter.queue) conditions.push(eq(jobRecords.queue, filter.queue));
  if (filter.state?.length) conditions.push(inArray(jobRecords.state, filter.state));
  if (filter.entityType) conditions.push(eq(jobRecords.entityType, filter.entityType));
  if (filter.entityId) conditions.push(eq(jobRecords.entityId, filter.entityId));
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

export async function claimStep(db: Db, jobId: string, stepKey: string, at: Date): Promise<void> {
  await db.insert(jobSteps).values({ jobId, stepKey, state: 'started', startedAt: at }).onConflictDoNothing();
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
