import type { z } from 'zod';
import type { BatchOutcome, JobBatch, JobContext } from './job-context.ts';

/**
 * A typed job: its queue name, its input schema (checked when sent and when run), how it
 * retries, and what it does. Every long operation of every area is one of these.
 */
export type JobDefinition<Input = any, Output = unknown> = {
  /** `<area>.<verb-noun>`, e.g. `meetings.start-meeting`. */
  queue: string;
  input: z.ZodType<Input>;
  title: (input: Input) => string;
  /** The thing the job works on, for filtering jobs by entity (undefined: none). */
  entity?: (input: Input) => { type: string; id: string } | undefined;
  /** Retries after the first attempt (default 3); delays grow exponentially from retryDelaySeconds. */
  retryLimit?: number;
  retryDelaySeconds?: number;
  retryDelayMaxSeconds?: number;
  /** An attempt still active after this long is considered lost and retried (default 15 min). */
  expireInSeconds?: number;
  /**
   * pg-boss queue policy, per singletonKey (see platform/jobs/jobs.test.ts):
   * `exclusive`: one job queued or running; a second send is refused (AppError CONFLICT, 409).
   * `singleton`: one job running; further sends are queued and run after it, never alongside.
   * `stately`: at most one waiting and one running; a send beyond that is refused (CONFLICT).
   */
  policy?: 'standard' | 'short' | 'singleton' | 'stately' | 'exclusive';
  /** Jobs in flight per process for this queue (default: config jobConcurrency). */
  concurrency?: number;
  /**
   * Recurring system work that runs every few seconds (bridge status polls; 17,000 a day per
   * bridge): its completions are logged at debug and not audited (what it changes is), its records
   * are left out of job listings unless asked for and deleted after the routine retention
   * (SWITCHBOARD_ROUTINE_JOB_RETENTION_HOURS). Its failures are recorded and audited as any job's.
   */
  routine?: boolean;
  /** Recurring schedule (cron, in `tz`, default UTC), sent with `scheduleInput`. */
  cron?: { expression: string; tz?: string; input: Input };
  run: (ctx: JobContext, input: Input) => Promise<Output>;
  /**
   * Up to `size` waiting jobs of this queue fetched and run together: one fetch, one claim, one
   * completion for all, and `run` may do their work in one transaction (`batch.transact`). It answers
   * each job in order: its result, the error that fails this attempt (retried as usual), or
   * `undefined` to run that job alone through `run` (e.g. when the shared transaction failed). Each
   * job keeps its own record, attempts, retries and cancellation. Standard-policy queues only.
   */
  batch?: { size: number; run: (jobs: { ctx: JobContext; input: Input }[], batch: JobBatch) => Promise<(BatchOutcome<Output> | undefined)[]> };
};

export function defineJob<Input, Output = unknown>(definition: JobDefinition<Input, Output>): JobDefinition<Input, Output> {
  return definition;
}
