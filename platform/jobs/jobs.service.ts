import crypto from 'node:crypto';
import { z } from 'zod';
import { PgBoss, type JobResult } from 'pg-boss';
import { v5 as uuidv5 } from 'uuid';
import { createJobBatch, createJobContext, isJobStopped } from './job-context.ts';
import { createQueuePolls } from './queue-polls.ts';
import {
  claimJobAttempt,
  claimJobAttempts,
  completeJobAttempts,
  countJobsByQueueAndState,
  findJobsNeedingAttention,
  findDriftedJobRecords,
  findJobRecord,
  findJobRecords,
  findJobSteps,
  insertJobRecord,
  insertJobRecords,
  updateJobAttempt,
  updateJobRecord,
  updateJobRecordFrom,
  type DriftedJobRecord,
  type JobFilter,
  type NewJobRecordJson,
  deleteFinishedJobRecords,
} from './jobs.repository.ts';
import { AppError, notFound } from '../errors.ts';
import { redactSecrets } from '../secrets/redact.ts';
import { defineJob, type JobDefinition } from './define-job.ts';
import type { JobContext } from './job-context.ts';
import type { Actor } from '../auth/actor.ts';
import type { AuditLog } from '../audit/audit.service.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import { JOB_QUEUE_SCHEMA, type Database, type Db, type SqlExecutor } from '../db/database.ts';
import type { Logger } from '../logger.ts';

const IDEMPOTENCY_NAMESPACE = '3f0c6f55-8a4e-4c55-9a53-6f3d3d1a5b21';
export const TERMINAL_STATES = ['completed', 'failed', 'cancelled'] as const;
const BOSS_SCHEMA = JOB_QUEUE_SCHEMA;
/** pg-boss fails a job whose worker stopped refreshing its heartbeat for this long (its minimum). */
const HEARTBEAT_SECONDS = 10;
/** How often records are compared with pg-boss (see reconcile). */
const RECONCILE_INTERVAL_MS = 5_000;
const jobsActor: Actor = { type: 'system', id: null, name: 'jobs', role: 'system', customerOrgId: null };

// pg-boss types its command results as an empty interface; the count is there at run time.
const affected = (response: unknown) => Number((response as { affected?: number }).affected ?? 0);
const isTerminal = (state: string) => (TERMINAL_STATES as readonly string[]).includes(state);

export type SendOptions = {
  actor: Actor;
  /** Same key (per queue) → same job: a repeated request does not start the work twice. */
  idempotencyKey?: string;
  /** For exclusive/singleton/stately queues: the key the queue's policy counts jobs by. */
  singletonKey?: string;
  startAfter?: Date;
  /** Send inside an open transaction: the job exists only if the transaction commits. */
  tx?: { db: Db; sql: SqlExecutor };
};

export type Jobs = ReturnType<typeof createJobs>;

type BossJob = { id: string; data: unknown; retryCount: number; retryLimit: number; signal: AbortSignal };

export function createJobs(deps: { database: Database; config: Config; clock: Clock; logger: Logger; audit: AuditLog }) {
  const { database, config, clock, logger, audit } = deps;
  const definitions = new Map<string, JobDefinition>();
  const boss = new PgBoss({
    db: database.sql,
    schema: BOSS_SCHEMA,
    // Finding jobs whose process died (heartbeat missed) quickly matters more than monitor cost.
    monitorIntervalSeconds: 5,
    superviseIntervalSeconds: 5,
    // The backlog count that switches workers into burst mode (below) comes from this cache.
    queueCacheIntervalSeconds: 5,
    maintenanceIntervalSeconds: 60,
    registerInstance: false,
  });
  boss.on('error', (error) => logger.error({ err: error }, 'job queue error'));
  boss.on('warning', (warning) => logger.warn({ warning: warning.data }, warning.message));
  let started = false;
  let working = false;
  let reconcileTimer: NodeJS.Timeout | undefined;
  let reconciling: Promise<number> | undefined;
  // Records seen without a pg-boss job on the previous pass: only a second sighting counts as lost,
  // so a record is never judged while its job is being put back (see send).
  let missingSeen = new Set<string>();

  const jobBatch = createJobBatch({ database, clock });
  const polls = createQueuePolls({ intervalSeconds: config.jobPollSeconds, wake: (workerId) => boss.notifyWorker(workerId) });
  const isRoutine = (queue: string) => Boolean(definitions.get(queue)?.routine);
  const routineQueues = () => [...definitions.values()].filter((d) => d.routine).map((d) => d.queue);

  // Routine records (bridge polls) would otherwise grow by thousands a day and bury people's jobs.
  const purgeRoutineJobs = defineJob({
    queue: 'platform.purge-routine-jobs',
    input: z.object({}),
    title: () => 'Delete old records of routine jobs',
    routine: true,
    cron: { expression: '17 * * * *', input: {} },
    retryLimit: 1,
    run: async () => {
      const before = new Date(clock.now().getTime() - config.routineJobRetentionHours * 3_600_000);
      return { deleted: await deleteFinishedJobRecords(database.db, routineQueues(), before) };
    },
  });
  definitions.set(purgeRoutineJobs.queue, purgeRoutineJobs);

  function definitionFor(queue: string): JobDefinition {
    const definition = definitions.get(queue);
    if (!definition) throw new AppError('NOT_FOUND', `No job type ${queue}.`, { queue });
    return definition;
  }

  async function runAttempt(definition: JobDefinition, job: { id: string; data: unknown; retryCount: number; retryLimit: number; signal: AbortSignal }) {
    const attempt = job.retryCount + 1;
    const jobLogger = logger.child({ jobId: job.id, queue: definition.queue, attempt });
    // The claim is the common path's one statement; the record is read (or made) only when it fails.
    if (!(await claimJobAttempt(database.db, job.id, attempt, clock.now()))) {
      const record = await findJobRecord(database.db, job.id);
      // Finished, but the process died before pg-boss heard: the work is done, do not run it again.
      if (record?.state === 'completed') return record.result ?? null;
      // Cron sends bypass `send`, so their record is made on first sight.
      let claimed = false;
      if (!record) {
        await ensureRecord(definition, job.id, job.data, null);
        claimed = await claimJobAttempt(database.db, job.id, attempt, clock.now());
      }
      if (!claimed) {
        if (record?.state !== 'cancelled') jobLogger.info('job attempt not started: the job was cancelled or a later attempt runs it');
        return null;
      }
    }
    const ctx = createJobContext({ jobId: job.id, attempt, database, clock, logger: jobLogger, signal: job.signal });
    try {
      const input = definition.input.parse(job.data);
      const result = await definition.run(ctx, input);
      const finishedAt = clock.now();
      await database.transaction(async (tx) => {
        const recorded = await updateJobAttempt(tx, job.id, attempt, { state: 'completed', progressPercent: 100, result: (result ?? null) as object, error: null, finishedAt, updatedAt: finishedAt });
        if (!recorded) jobLogger.warn('job attempt finished after it lost the job (cancelled or given up); its outcome is not recorded');
        else if (!definition.routine) await audit.record({ actor: jobsActor, action: 'job.completed', entityType: 'job', entityId: job.id, after: { queue: definition.queue, result } }, tx);
      });
      // Recurring system work (bridge polls every few seconds) would drown people's jobs at info.
      if (definition.routine || definition.cron) jobLogger.debug('job completed');
      else jobLogger.info('job completed');
      return result ?? null;
    } catch (error) {
      return endAttempt(definition, job, attempt, error, jobLogger);
    }
  }

  /** An attempt ended by an error: stopped (nothing to record, null) or failed (recorded, rethrown). */
  async function endAttempt(definition: JobDefinition, job: { id: string; retryCount: number; retryLimit: number }, attempt: number, error: unknown, jobLogger: Logger): Promise<null> {
    // Nothing to record: whoever took the job away (cancel, pg-boss, a later attempt) has.
    if (isJobStopped(error)) {
      jobLogger.info({ reason: (error as AppError).message }, 'job attempt stopped');
      return null;
    }
    const final = job.retryCount >= job.retryLimit;
    const message = error instanceof Error ? error.message : String(error);
    const errorBody = { message, code: error instanceof AppError ? error.code : 'JOB_FAILED', attempt };
    const at = clock.now();
    await database.transaction(async (tx) => {
      const recorded = await updateJobAttempt(tx, job.id, attempt, { state: final ? 'failed' : 'retry', error: errorBody, updatedAt: at, finishedAt: final ? at : null });
      if (recorded && final) {
        await audit.record({ actor: jobsActor, action: 'job.failed', entityType: 'job', entityId: job.id, after: { queue: definition.queue, error: errorBody } }, tx);
      }
    });
    jobLogger.warn({ err: error, final }, 'job attempt failed');
    throw error;
  }

  /**
   * Jobs of a batched definition fetched together: claimed in one statement, run by the
   * definition's `batch.run`, the completed ones recorded in one transaction. Each job is answered
   * to pg-boss on its own (completed, or failed and retried as usual). A job the batch could not
   * take (its claim or input failed, or `batch.run` handed it back) runs alone, as `runAttempt`.
   */
  async function runBatch(definition: JobDefinition, batch: NonNullable<JobDefinition['batch']>, jobs: BossJob[]): Promise<JobResult[]> {
    const settle = async (job: BossJob, run: () => Promise<unknown>): Promise<JobResult> => {
      try {
        return { id: job.id, status: 'completed', output: (await run()) ?? undefined };
      } catch (error) {
        return { id: job.id, status: 'failed', output: error instanceof Error ? { message: error.message, stack: error.stack } : { message: String(error) } };
      }
    };
    const alone = (job: BossJob) => settle(job, () => runAttempt(definition, job));
    if (jobs.length === 1) return [await alone(jobs[0]!)];
    const claimed = await claimJobAttempts(database.db, jobs.map((job) => ({ id: job.id, attempt: job.retryCount + 1 })), clock.now());
    const items: { job: BossJob; ctx: JobContext; input: unknown }[] = [];
    const results: JobResult[] = [];
    const left: BossJob[] = [];
    for (const job of jobs) {
      const parsed = claimed.has(job.id) ? definition.input.safeParse(job.data) : undefined;
      if (!parsed?.success) {
        left.push(job);
        continue;
      }
      const attempt = job.retryCount + 1;
      const jobLogger = logger.child({ jobId: job.id, queue: definition.queue, attempt });
      items.push({ job, input: parsed.data, ctx: createJobContext({ jobId: job.id, attempt, database, clock, logger: jobLogger, signal: job.signal }) });
    }
    let outcomes: Awaited<ReturnType<typeof batch.run>> = [];
    if (items.length) {
      try {
        outcomes = await batch.run(items.map(({ ctx, input }) => ({ ctx, input })), jobBatch);
      } catch (error) {
        logger.warn({ err: error, queue: definition.queue, jobs: items.length }, 'job batch failed; its jobs run one by one');
        outcomes = [];
      }
    }
    const completed: { job: BossJob; attempt: number; result: unknown }[] = [];
    for (const [n, { job, ctx }] of items.entries()) {
      const outcome = outcomes[n];
      if (!outcome) left.push(job);
      else if ('error' in outcome) results.push(await settle(job, () => endAttempt(definition, job, ctx.attempt, outcome.error, ctx.logger)));
      else completed.push({ job, attempt: ctx.attempt, result: outcome.result ?? null });
    }
    if (completed.length) {
      const at = clock.now();
      await database.transaction(async (tx) => {
        const recorded = await completeJobAttempts(tx, completed.map(({ job, attempt, result }) => ({ id: job.id, attempt, result })), at);
        const entries = completed.filter(({ job }) => recorded.has(job.id)).map(({ job, result }) => ({ actor: jobsActor, action: 'job.completed', entityType: 'job', entityId: job.id, after: { queue: definition.queue, result } }));
        if (entries.length) await audit.recordMany(entries, tx);
        if (entries.length < completed.length) logger.warn({ queue: definition.queue, lost: completed.length - entries.length }, 'job attempts finished after they lost their jobs (cancelled or given up); their outcomes are not recorded');
      });
      for (const { job, result } of completed) results.push({ id: job.id, status: 'completed', output: result ?? undefined });
    }
    for (const job of left) results.push(await alone(job));
    return results;
  }

  /**
   * Brings records in line with pg-boss where pg-boss settled a job without our handler: a worker
   * that died (heartbeat lost → retry, or failed when out of retries), an attempt that overran
   * expireInSeconds, a job deleted from the queue. Every write is a compare-and-set on what was
   * read, so a runner that moved on in between wins. Returns how many records changed.
   */
  async function reconcile(): Promise<number> {
    const drifted = await findDriftedJobRecords(database.db, BOSS_SCHEMA, 500);
    const missing = new Set<string>();
    let changed = 0;
    for (const row of drifted) {
      if (row.bossState === null) {
        missing.add(row.id);
        if (!missingSeen.has(row.id)) continue;
      }
      if (await reconcileRecord(row)) changed++;
    }
    missingSeen = missing;
    return changed;
  }

  async function reconcileRecord(row: DriftedJobRecord): Promise<boolean> {
    const at = clock.now();
    const seen = { state: row.state, attempts: row.attempts };
    const output = (row.bossOutput ?? {}) as { message?: string; value?: { message?: string } };
    const errorBody = (message: string, code = 'JOB_FAILED') => ({ message, code, attempt: row.attempts });
    const bossMessage = output.message ?? output.value?.message ?? 'The job queue gave the attempt up.';
    return database.transaction(async (tx) => {
      switch (row.bossState) {
        case 'retry':
          return updateJobRecordFrom(tx, row.id, seen, { state: 'retry', error: errorBody(bossMessage), updatedAt: at });
        case 'completed': {
          const result = row.bossOutput ?? null;
          if (!(await updateJobRecordFrom(tx, row.id, seen, { state: 'completed', progressPercent: 100, result: result as object, error: null, finishedAt: at, updatedAt: at }))) return false;
          if (!isRoutine(row.queue)) await audit.record({ actor: jobsActor, action: 'job.completed', entityType: 'job', entityId: row.id, after: { queue: row.queue, result } }, tx);
          return true;
        }
        case 'cancelled':
          if (!(await updateJobRecordFrom(tx, row.id, seen, { state: 'cancelled', finishedAt: at, updatedAt: at }))) return false;
          await audit.record({ actor: jobsActor, action: 'job.cancel', entityType: 'job', entityId: row.id, before: { state: row.state }, after: { state: 'cancelled' } }, tx);
          return true;
        default: {
          const error = row.bossState === 'failed' ? errorBody(bossMessage) : errorBody('The job queue no longer holds this job (deleted, or kept past its retention).', 'JOB_LOST');
          if (!(await updateJobRecordFrom(tx, row.id, seen, { state: 'failed', error, finishedAt: at, updatedAt: at }))) return false;
          await audit.record({ actor: jobsActor, action: 'job.failed', entityType: 'job', entityId: row.id, after: { queue: row.queue, error } }, tx);
          return true;
        }
      }
    });
  }

  function reconcileInBackground() {
    if (reconciling) return;
    reconciling = reconcile()
      .catch((error) => {
        logger.error({ err: error }, 'job record reconciliation failed');
        return 0;
      })
      .finally(() => {
        reconciling = undefined;
      });
  }

  /**
   * A failing attempt marks its record failed just before pg-boss settles the attempt; a retry in
   * between would find nothing to retry. Wait (outside any transaction, real time: it is another
   * worker we wait for) until pg-boss no longer has the attempt active, for up to 5 s.
   */
  async function awaitSettledAttempt(id: string) {
    const record = await findJobRecord(database.db, id);
    if (!record || record.state !== 'failed') return;
    for (let i = 0; i < 50; i++) {
      const job = await findBossJob(record.queue, id);
      if (!job || job.state !== 'active') return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function findBossJob(queue: string, id: string, sql?: SqlExecutor) {
    const [job] = await boss.findJobs(queue, { id, ...(sql ? { db: sql } : {}) });
    return job ?? null;
  }

  return {
    boss,

    register(list: JobDefinition[]) {
      for (const definition of list) {
        if (definitions.has(definition.queue)) throw new Error(`Job ${definition.queue} is registered twice`);
        definitions.set(definition.queue, definition);
      }
    },

    definitions: () => [...definitions.values()],

    /**
     * Starts the queue (queues, schedules, sending). With `work`, workers take jobs at once; the
     * composition root starts them with `work()` after the areas have started, so a job resumed
     * after a restart sees what the areas load (connectors' addresses, the Lab's simulators).
     */
    async start({ work }: { work: boolean }) {
      await boss.start();
      started = true;
      for (const definition of definitions.values()) {
        const deadLetter = `${definition.queue}.dead`;
        await boss.createQueue(deadLetter, { policy: 'standard', retentionSeconds: 60 * 60 * 24 * 30 });
        const queueOptions = {
          policy: definition.policy ?? 'standard',
          retryLimit: definition.retryLimit ?? 3,
          retryDelay: definition.retryDelaySeconds ?? 5,
          retryBackoff: true,
          retryDelayMax: definition.retryDelayMaxSeconds ?? 600,
          expireInSeconds: definition.expireInSeconds ?? 900,
          heartbeatSeconds: HEARTBEAT_SECONDS,
          deadLetter,
        };
        await boss.createQueue(definition.queue, queueOptions);
        // createQueue leaves an existing queue as it was: carry changed definitions (and settings
        // added since the queue was made, like the heartbeat) over to it.
        const { policy: _policy, ...changeable } = queueOptions;
        await boss.updateQueue(definition.queue, changeable);
        if (definition.cron) {
          await boss.schedule(definition.queue, definition.cron.expression, definition.cron.input as object, { tz: definition.cron.tz ?? 'UTC' });
        } else {
          // a schedule dropped from the code must stop firing
          await boss.unschedule(definition.queue);
        }
      }
      reconcileTimer = setInterval(reconcileInBackground, RECONCILE_INTERVAL_MS);
      reconcileTimer.unref();
      if (work) await this.work();
    },

    /** Workers start taking jobs (once; after start). */
    async work() {
      if (!started || working) return;
      working = true;
      for (const definition of definitions.values()) {
        const batch = definition.batch;
        await polls.add(definition.queue, definition.concurrency ?? config.jobConcurrency, (pollingIntervalSeconds, handler) =>
          batch
            ? boss.work(
                definition.queue,
                // Each job of a batch is answered on its own: one failing does not fail the others.
                { batchSize: batch.size, includeMetadata: true, perJobResults: true, localConcurrency: 1, pollingIntervalSeconds, burstWhenReadyExceeds: 1 },
                async (jobs) => handler(() => runBatch(definition, batch, jobs)),
              )
            : boss.work(
                definition.queue,
                // burstWhenReadyExceeds: without it a worker takes one job per poll; with a backlog
                // it fetches again as soon as its job is done.
                { batchSize: 1, includeMetadata: true, localConcurrency: 1, pollingIntervalSeconds, burstWhenReadyExceeds: 1 },
                async ([job]) => handler(() => runAttempt(definition, job!)),
              ),
        );
      }
      polls.start();
    },

    async stop() {
      if (!started) return;
      started = false;
      working = false;
      clearInterval(reconcileTimer);
      polls.stop();
      await reconciling;
      await boss.stop({ graceful: true, timeout: 10_000 });
    },

    reconcile,

    async send<I>(definition: JobDefinition<I>, input: NoInfer<I>, options: SendOptions): Promise<{ id: string; created: boolean }> {
      if (!definitions.has(definition.queue)) throw new AppError('NOT_FOUND', `No job type ${definition.queue}.`);
      const parsed = definition.input.safeParse(input);
      if (!parsed.success) {
        // A caller's mistake, never a 500: the issues say which fields the job type refused.
        const issues = parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
        throw new AppError('VALIDATION_FAILED', `Invalid input for job ${definition.queue}: ${issues.map((i) => `${i.path || '(root)'} ${i.message}`).join('; ')}`, { queue: definition.queue, issues });
      }
      const data = parsed.data;
      const id = options.idempotencyKey ? uuidv5(`${definition.queue}:${options.idempotencyKey}`, IDEMPOTENCY_NAMESPACE) : crypto.randomUUID();
      const enqueue = async (tx: Db, sql: SqlExecutor) => {
        const created = await ensureRecord(definition, id, data, options.actor.name, tx);
        if (!created) {
          if (options.idempotencyKey) await requeueIfLost(tx, sql);
          return false;
        }
        await put(sql);
        return true;
      };
      const put = async (sql: SqlExecutor) => {
        const sent = await boss.send(definition.queue, data as object, { id, singletonKey: options.singletonKey, startAfter: options.startAfter, db: sql });
        if (!sent) throw new AppError('CONFLICT', `A ${definition.queue} job for ${options.singletonKey ?? 'this entity'} is already queued or running.`, { queue: definition.queue, singletonKey: options.singletonKey });
      };
      // The record exists (same idempotency key): normally its job is queued, running or done. If
      // the job is unfinished but pg-boss no longer holds it, nothing would ever run it: queue it again.
      const requeueIfLost = async (tx: Db, sql: SqlExecutor) => {
        const record = await findJobRecord(tx, id, { forUpdate: true });
        if (!record || isTerminal(record.state) || (await findBossJob(definition.queue, id, sql))) return;
        await put(sql);
        await updateJobRecord(tx, id, { state: 'created', updatedAt: clock.now() });
        logger.warn({ jobId: id, queue: definition.queue }, 'job record had no queued job; queued it again');
      };
      const created = options.tx ? await enqueue(options.tx.db, options.tx.sql) : await database.transaction(enqueue);
      return { id, created };
    },

    /**
     * Many jobs of one type in one open transaction: one statement for their records and one pg-boss
     * `insert` for the jobs (group-committed requests). Same rules as `send` per item: validated
     * input, the idempotency key gives the id, a key already used queues nothing new (unless its job
     * was lost). Standard-policy queues only: pg-boss `insert` reports no singleton refusals.
     */
    async sendMany<I>(definition: JobDefinition<I>, items: { input: NoInfer<I>; idempotencyKey?: string }[], options: { actor: Actor; tx: { db: Db; sql: SqlExecutor } }): Promise<{ id: string; created: boolean }[]> {
      const prepared = this.prepareMany(definition, items, options);
      return prepared.queue(await insertJobRecords(options.tx.db, prepared.records), options.tx);
    },

    /**
     * `sendMany` in two halves, for a caller that inserts the records within a statement of its own
     * (`jobRecordsInsertText` as a CTE, its JSON parameter `JSON.stringify(records)`): `queue` then
     * takes the ids that statement created and queues their jobs, in the same transaction.
     */
    prepareMany<I>(definition: JobDefinition<I>, items: { input: NoInfer<I>; idempotencyKey?: string }[], options: { actor: Actor }) {
      if (!definitions.has(definition.queue)) throw new AppError('NOT_FOUND', `No job type ${definition.queue}.`);
      if ((definition.policy ?? 'standard') !== 'standard') throw new AppError('INVALID_STATE', `sendMany needs a standard queue; ${definition.queue} is ${definition.policy}.`);
      const now = clock.now();
      const jobs = items.map((item) => {
        const parsed = definition.input.safeParse(item.input);
        if (!parsed.success) throw new AppError('VALIDATION_FAILED', `Invalid input for job ${definition.queue}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`, { queue: definition.queue });
        const id = item.idempotencyKey ? uuidv5(`${definition.queue}:${item.idempotencyKey}`, IDEMPOTENCY_NAMESPACE) : crypto.randomUUID();
        return { id, data: parsed.data, keyed: Boolean(item.idempotencyKey) };
      });
      const records: NewJobRecordJson[] = jobs.map(({ id, data }) => {
        const entity = definition.entity?.(data);
        return { id, queue: definition.queue, title: definition.title(data), entity_type: entity?.type ?? null, entity_id: entity?.id ?? null, state: 'created', max_attempts: (definition.retryLimit ?? 3) + 1, input: redactSecrets(data ?? null), created_by: options.actor.name, created_at: now, updated_at: now };
      });
      const queue = async (created: Set<string>, tx: { db: Db; sql: SqlExecutor }): Promise<{ id: string; created: boolean }[]> => {
        const { sql } = tx;
        // The first item of a key repeated within the batch makes the job; the others find it made.
        const first = new Set<number>();
        const seen = new Set<string>();
        jobs.forEach((job, n) => {
          if (!seen.has(job.id)) first.add(n);
          seen.add(job.id);
        });
        const fresh = jobs.filter((job, n) => created.has(job.id) && first.has(n));
        if (fresh.length) await boss.insert(definition.queue, fresh.map(({ id, data }) => ({ id, data: data as object })), { db: sql });
        // A repeated key: as in `send`, put its job back only if pg-boss lost it before it finished.
        for (const [n, job] of jobs.entries()) {
          if (created.has(job.id) || !job.keyed || !first.has(n)) continue;
          const record = await findJobRecord(tx.db, job.id, { forUpdate: true });
          if (!record || isTerminal(record.state) || (await findBossJob(definition.queue, job.id, sql))) continue;
          await boss.insert(definition.queue, [{ id: job.id, data: job.data as object }], { db: sql });
          await updateJobRecord(tx.db, job.id, { state: 'created', updatedAt: clock.now() });
          logger.warn({ jobId: job.id, queue: definition.queue }, 'job record had no queued job; queued it again');
        }
        return jobs.map((job, n) => ({ id: job.id, created: created.has(job.id) && first.has(n) }));
      };
      return { records, queue };
    },

    async get(id: string) {
      const record = await findJobRecord(database.db, id);
      if (!record) throw notFound('Job', id);
      const steps = await findJobSteps(database.db, id);
      return { ...record, steps };
    },

    /** Routine jobs are listed only when asked for (`includeRoutine`) or named by `queue`. */
    list(filter: JobFilter & { includeRoutine?: boolean }, page: { offset: number; limit: number }) {
      const { includeRoutine, ...rest } = filter;
      return findJobRecords(database.db, includeRoutine || rest.queue ? rest : { ...rest, excludeQueues: routineQueues() }, page);
    },

    countsByQueueAndState: () => countJobsByQueueAndState(database.db),

    /** The home page's jobs: failed since `failedSince`, unfinished without a change since `stuckBefore` (routine ones aside). */
    needingAttention: (options: { failedSince: Date; stuckBefore: Date; limit: number }) => findJobsNeedingAttention(database.db, { ...options, excludeQueues: routineQueues() }),

    async retry(id: string, actor: Actor, trackingId?: string) {
      await awaitSettledAttempt(id);
      // One transaction with the record locked: the queue and the record change together, and a
      // concurrent cancel or retry waits and then sees the new state.
      return database.transaction(async (tx, sql) => {
        const record = await findJobRecord(tx, id, { forUpdate: true });
        if (!record) throw notFound('Job', id);
        if (record.state !== 'failed' && record.state !== 'cancelled') {
          throw new AppError('INVALID_STATE', `Job ${id} is ${record.state}; only failed or cancelled jobs can be retried.`, { state: record.state });
        }
        definitionFor(record.queue);
        // pg-boss retries only failed jobs; a cancelled one is resumed.
        const moved = record.state === 'failed' ? await boss.retry(record.queue, id, { db: sql }) : await boss.resume(record.queue, id, { db: sql });
        if (affected(moved) === 0) {
          throw new AppError('INVALID_STATE', `Job ${id} can no longer be retried: the job queue no longer holds it (finished jobs are kept for a limited time). Send a new job instead.`, { state: record.state });
        }
        const now = clock.now();
        // boss.retry grants one more attempt; a resumed job that had started counts its next run as one.
        const maxAttempts = record.state === 'failed' ? record.maxAttempts + 1 : Math.max(record.maxAttempts, record.attempts + 1);
        await updateJobRecord(tx, id, { state: 'retry', finishedAt: null, maxAttempts, updatedAt: now });
        await audit.record({ actor, action: 'job.retry', entityType: 'job', entityId: id, before: { state: record.state }, after: { state: 'retry' }, trackingId }, tx);
        return { id, state: 'retry' };
      });
    },

    async cancel(id: string, actor: Actor, trackingId?: string) {
      return database.transaction(async (tx, sql) => {
        const record = await findJobRecord(tx, id, { forUpdate: true });
        if (!record) throw notFound('Job', id);
        if (isTerminal(record.state)) {
          throw new AppError('INVALID_STATE', `Job ${id} is already ${record.state}.`, { state: record.state });
        }
        const cancelled = await boss.cancel(record.queue, id, { db: sql });
        if (affected(cancelled) === 0) {
          // pg-boss finished it between our read and the cancel (its record catches up on its own),
          // or no longer holds it at all, in which case nothing will run it and cancelling is right.
          const bossJob = await findBossJob(record.queue, id, sql);
          if (bossJob && (bossJob.state === 'completed' || bossJob.state === 'failed')) {
            throw new AppError('INVALID_STATE', `Job ${id} has already ${bossJob.state === 'completed' ? 'completed' : 'failed'}.`, { state: bossJob.state });
          }
        }
        const now = clock.now();
        await updateJobRecord(tx, id, { state: 'cancelled', finishedAt: now, updatedAt: now });
        await audit.record({ actor, action: 'job.cancel', entityType: 'job', entityId: id, before: { state: record.state }, after: { state: 'cancelled' }, trackingId }, tx);
        return { id, state: 'cancelled' };
      });
    },
  };

  async function ensureRecord(definition: JobDefinition, id: string, data: unknown, createdBy: string | null, tx: Db = database.db): Promise<boolean> {
    const entity = definition.entity?.(data);
    const now = clock.now();
    return insertJobRecord(tx, {
      id,
      queue: definition.queue,
      title: definition.title(data),
      entityType: entity?.type ?? null,
      entityId: entity?.id ?? null,
      state: 'created',
      maxAttempts: (definition.retryLimit ?? 3) + 1,
      input: redactSecrets(data ?? null) as object,
      createdBy,
      createdAt: now,
      updatedAt: now,
    });
  }
}
