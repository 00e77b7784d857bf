import { claimStep, findJobRecord, findJobStep, markStepDone, markStepStarted, updateJobRecord } from './jobs.repository.ts';
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

export function createJobContext(args: {
  jobId: string;
  attempt: number;
  database: Database;
  clock: Clock;
  logger: Logger;
  signal: AbortSignal;
}): JobContext {
  const { jobId, database, clock } = args;
  const db = database.db;

  return {
    jobId,
    attempt: args.attempt,
    logger: args.logger,
    clock,
    signal: args.signal,

    async progress(progress) {
      const record = await findJobRecord(db, jobId);
      if (record?.state === 'cancelled') throw new AppError('INVALID_STATE', `Job ${jobId} was cancelled.`);
      const patch: Record<string, unknown> = { updatedAt: clock.now() };
      if (progress.percent !== undefined) patch.progressPercent = Math.max(0, Math.min(100, Math.round(progress.percent)));
      if (progress.step !== undefined) patch.progressStep = progress.step;
      if (progress.message !== undefined) patch.progressMessage = progress.message;
      await updateJobRecord(db, jobId, patch);
    },

    async step(key, run, options = {}) {
      const existing = await findJobStep(db, jobId, key);
      if (existing?.state === 'done') return existing.result as Awaited<ReturnType<typeof run>>;
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
        // Claim the journal row first: a second runner of the same job blocks on it until this
        // transaction ends, then finds it done.
        await claimStep(tx, jobId, key, clock.now());
        const existing = await findJobStep(tx, jobId, key, { forUpdate: true });
        if (existing?.state === 'done') return existing.result as Awaited<ReturnType<typeof run>>;
        const result = await run(tx);
        await markStepDone(tx, jobId, key, result, clock.now());
        return result;
      });
    },
  };
}
