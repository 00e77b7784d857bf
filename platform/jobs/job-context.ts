import { claimStep, claimSteps, findJobRecord, findJobRecordStates, findJobStep, markStepDone, markStepsDone, markStepStarted, updateJobAttempt } from './jobs.repository.ts';
import { AppError } from '../errors.ts';
import type { Database, Db } from '../db/database.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';

export type Progress = { percent?: number; step?: string; message?: string };

export type StepOptions<T> = {
  /**
   * Called when a previous attempt started this step and died before recording its outcome:
   * asks the external system whether the effect happened. Return `{ done: true, result }` to
   * record it without repeating, `{ done: false }` to run the step again. Without `verify`, the
   * step must be idempotent on its own (it is simply run again).
   */
  verify?: () => Promise<{ done: true; result: T } | { done: false }>;
};

/**
 * What a running job may do. The exactly-once pattern for every area lives here:
 * - `transact(key, fn)`: a database effect and its journal entry commit together — exactly once.
 * - `step(key, fn, { verify })`: an external effect journalled started/done. A done step is
 *   never repeated; a step that was interrupted is verified against the external system first.
 */
export type JobContext = {
  jobId: string;
  attempt: number;
  logger: Logger;
  clock: Clock;
  signal: AbortSignal;
  progress(progress: Progress): Promise<void>;
  step<T>(key: string, run: () => Promise<T>, options?: StepOptions<T>): Promise<T>;
  transact<T>(key: string, run: (tx: Db) => Promise<T>): Promise<T>;
};

/**
 * Thrown inside a handler (by progress, step, transact) when its attempt no longer owns the job:
 * the job was cancelled, pg-boss gave the attempt up (expired, heartbeat lost, shutdown), or a later
 * attempt runs it. The runner lets the attempt end without recording anything.
 */
export function jobStopped(jobId: string, reason: 'cancelled' | 'superseded' | 'aborted') {
  const why = {
    cancelled: 'was cancelled',
    superseded: 'is run by a later attempt',
    aborted: 'was given up by the job queue (expired, lost its heartbeat, or the server is stopping)',
  }[reason];
  return new AppError('INVALID_STATE', `Job ${jobId} ${why}; this attempt stops here.`, { jobId, stopped: reason });
}

export function isJobStopped(error: unknown): boolean {
  return error instanceof AppError && error.code === 'INVALID_STATE' && typeof (error.details as { stopped?: unknown } | undefined)?.stopped === 'string';
}

/** Why an attempt no longer owns its job, from the job's record; null while it does. */
function whyStopped(record: { state: string; attempts: number } | undefined, attempt: number): 'cancelled' | 'superseded' | 'aborted' | null {
  if (!record || record.state === 'cancelled') return 'cancelled';
  if (record.attempts > attempt) return 'superseded';
  // Same attempt but no longer active: the reconciler recorded that pg-boss gave this attempt up.
  if (record.state !== 'active') return 'aborted';
  return null;
}

/** Each job's answer from a batch: its result, or the error that ends its attempt. */
export type BatchOutcome<T = unknown> = { result: T } | { error: unknown };

/**
 * What jobs fetched together (a definition's `batch`) may do together, paying the runner's
 * bookkeeping once instead of once per job.
 */
export type JobBatch = {
  /**
   * `ctx.transact(key, …)` of several jobs in one transaction: each job's journal entry commits with
   * the effects of all of them, so each job's effect happens exactly once, as with `ctx.transact`.
   * `run` gets the jobs whose step is not done yet and answers each, in order. A job whose step is
   * done gets its journalled result without running; a job its attempt no longer owns gets the
   * `jobStopped` error. If `run` throws, nothing of the batch commits (and this throws).
   */
  transact<T>(key: string, jobs: JobContext[], run: (tx: Db, fresh: JobContext[]) => Promise<T[]>): Promise<BatchOutcome<T>[]>;
};

export function createJobBatch(args: { database: Database; clock: Clock }): JobBatch {
  const { database, clock } = args;
  return {
    transact(key, jobs, run) {
      return database.transaction(async (tx) => {
        const outcomes: BatchOutcome<Awaited<ReturnType<typeof run>>[number]>[] = new Array(jobs.length);
        const records = new Map((await findJobRecordStates(tx, jobs.map((job) => job.jobId))).map((record) => [record.id, record]));
        const current: number[] = [];
        jobs.forEach((job, n) => {
          const stopped = job.signal.aborted ? 'aborted' : whyStopped(records.get(job.jobId), job.attempt);
          if (stopped) outcomes[n] = { error: jobStopped(job.jobId, stopped) };
          else current.push(n);
        });
        // Claimed (and locked) first, as in `transact`: a second runner of one of these jobs waits here.
        const steps = new Map((await claimSteps(tx, current.map((n) => jobs[n]!.jobId), key, clock.now())).map((step) => [step.jobId, step]));
        const fresh: number[] = [];
        for (const n of current) {
          const step = steps.get(jobs[n]!.jobId)!;
          if (step.state === 'done') outcomes[n] = { result: step.result as never };
          else fresh.push(n);
        }
        if (fresh.length) {
          const results = await run(tx, fresh.map((n) => jobs[n]!));
          await markStepsDone(tx, fresh.map((n, i) => ({ jobId: jobs[n]!.jobId, result: results[i] })), key, clock.now());
          fresh.forEach((n, i) => (outcomes[n] = { result: results[i]! }));
        }
        return outcomes;
      });
    },
  };
}

export function createJobContext(args: {
  jobId: string;
  attempt: number;
  database: Database;
  clock: Clock;
  logger: Logger;
  signal: AbortSignal;
}): JobContext {
  const { jobId, database, clock, attempt, signal } = args;
  const db = database.db;

  // Checked before every effect: an attempt that lost the job must not start another one.
  async function assertCurrent(read: Db = db) {
    if (signal.aborted) throw jobStopped(jobId, 'aborted');
    const stopped = whyStopped(await findJobRecord(read, jobId), attempt);
    if (stopped) throw jobStopped(jobId, stopped);
  }

  return {
    jobId,
    attempt: args.attempt,
    logger: args.logger,
    clock,
    signal: args.signal,

    async progress(progress) {
      if (signal.aborted) throw jobStopped(jobId, 'aborted');
      const patch: Record<string, unknown> = { updatedAt: clock.now() };
      if (progress.percent !== undefined) patch.progressPercent = Math.max(0, Math.min(100, Math.round(progress.percent)));
      if (progress.step !== undefined) patch.progressStep = progress.step;
      if (progress.message !== undefined) patch.progressMessage = progress.message;
      if (!(await updateJobAttempt(db, jobId, attempt, patch))) await assertCurrent();
    },

    async step(key, run, options = {}) {
      const existing = await findJobStep(db, jobId, key);
      if (existing?.state === 'done') return existing.result as Awaited<ReturnType<typeof run>>;
      await assertCurrent();
      if (existing?.state === 'started' && options.verify) {
        const verdict = await options.verify();
        if (verdict.done) {
          await markStepDone(db, jobId, key, verdict.result, clock.now());
          return verdict.result;
        }
      }
      await markStepStarted(db, jobId, key, clock.now());
      const result = await run();
      await markStepDone(db, jobId, key, result, clock.now());
      return result;
    },

    async transact(key, run) {
      return database.transaction(async (tx) => {
        await assertCurrent(tx);
        // Claim the journal row first: a second runner of the same job blocks on it until this
        // transaction ends, then finds it done.
        const existing = await claimStep(tx, jobId, key, clock.now());
        if (existing.state === 'done') return existing.result as Awaited<ReturnType<typeof run>>;
        const result = await run(tx);
        await markStepDone(tx, jobId, key, result, clock.now());
        return result;
      });
    },
  };
}
