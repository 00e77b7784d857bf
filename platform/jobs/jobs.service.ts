import crypto from 'node:crypto';
import { PgBoss } from 'pg-boss';
import { v5 as uuidv5 } from 'uuid';
import { createJobContext } from './job-context.ts';
import { findJobRecord, findJobRecords, findJobSteps, insertJobRecord, updateJobRecord, countJobsByQueueAndState, type JobFilter } from './jobs.repository.ts';
import { AppError, notFound } from '../errors.ts';
import { redactSecrets } from '../secrets/redact.ts';
import type { JobDefinition } from './define-job.ts';
import type { Actor } from '../auth/actor.ts';
import type { AuditLog } from '../audit/audit.service.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Database, Db, SqlExecutor } from '../db/database.ts';
import type { Logger } from '../logger.ts';

const IDEMPOTENCY_NAMESPACE = '3f0c6f55-8a4e-4c55-9a53-6f3d3d1a5b21';
export const TERMINAL_STATES = ['completed', 'failed', 'cancelled'] as const;

export type SendOptions = {
  actor: Actor;
  /** Same key (per queue) → same job: a repeated request does not start the work twice. */
  idempotencyKey?: string;
  /** For singleton/stately queues: the key one job at a time is allowed for. */
  singletonKey?: string;
  startAfter?: Date;
  /** Send inside an open transaction: the job exists only if the transaction commits. */
  tx?: { db: Db; sql: SqlExecutor };
};

export type Jobs = ReturnType<typeof createJobs>;

export function createJobs(deps: { database: Database; config: Config; clock: Clock; logger: Logger; audit: AuditLog }) {
  const { database, config, clock, logger, audit } = deps;
  const definitions = new Map<string, JobDefinition>();
  const boss = new PgBoss({
    db: database.sql,
    schema: 'pgboss',
    // Finding jobs whose process died (heartbeat missed) quickly matters more than monitor cost.
    monitorIntervalSeconds: 5,
    superviseIntervalSeconds: 5,
    maintenanceIntervalSeconds: 60,
    registerInstance: false,
  });
  boss.on('error', (error) => logger.error({ err: error }, 'job queue error'));
  let started = false;

  function definitionFor(queue: string): JobDefinition {
    const definition = definitions.get(queue);
    if (!definition) throw new AppError('NOT_FOUND', `No job type ${queue}.`, { queue });
    return definition;
  }

  async function runAttempt(definition: JobDefinition, job: { id: string; data: unknown; retryCount: number; retryLimit: number; signal: AbortSignal }) {
    const jobLogger = logger.child({ jobId: job.id, queue: definition.queue, attempt: job.retryCount + 1 });
    const record = await findJobRecord(database.db, job.id);
    if (record?.state === 'cancelled') return null;
    const now = clock.now();
    await updateJobRecord(database.db, job.id, {
      state: 'active',
      attempts: job.retryCount + 1,
      startedAt: record?.startedAt ?? now,
      updatedAt: now,
    });
    const ctx = createJobContext({ jobId: job.id, attempt: job.retryCount + 1, database, clock, logger: jobLogger, signal: job.signal });
    try {
      const input = definition.input.parse(job.data);
      const result = await definition.run(ctx, input);
      const finishedAt = clock.now();
      await database.transaction(async (tx) => {
        await updateJobRecord(tx, job.id, { state: 'completed', progressPercent: 100, result: (result ?? null) as object, error: null, finishedAt, updatedAt: finishedAt });
        await audit.record({ actor: { type: 'system', id: null, name: 'jobs', role: 'system', customerOrgId: null }, action: 'job.completed', entityType: 'job', entityId: job.id, after: { queue: definition.queue, result } }, tx);
      });
      jobLogger.info('job completed');
      return result ?? null;
    } catch (error) {
      const final = job.retryCount >= job.retryLimit || (error instanceof AppError && error.code === 'INVALID_STATE');
      const message = error instanceof Error ? error.message : String(error);
      const errorBody = { message, code: error instanceof AppError ? error.code : 'JOB_FAILED', attempt: job.retryCount + 1 };
      const at = clock.now();
      const current = await findJobRecord(database.db, job.id);
      if (current?.state !== 'cancelled') {
        await database.transaction(async (tx) => {
          await updateJobRecord(tx, job.id, { state: final ? 'failed' : 'retry', error: errorBody, updatedAt: at, finishedAt: final ? at : null });
          if (final) {
            await audit.record({ actor: { type: 'system', id: null, name: 'jobs', role: 'system', customerOrgId: null }, action: 'job.failed', entityType: 'job', entityId: job.id, after: { queue: definition.queue, error: errorBody } }, tx);
          }
        });
      }
      jobLogger.warn({ err: error, final }, 'job attempt failed');
      throw error;
    }
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
          heartbeatSeconds: 10,
          deadLetter,
        };
        await boss.createQueue(definition.queue, queueOptions);
        await boss.updateQueue(definition.queue, { retryLimit: queueOptions.retryLimit, retryDelay: queueOptions.retryDelay, retryBackoff: true, retryDelayMax: queueOptions.retryDelayMax, expireInSeconds: queueOptions.expireInSeconds });
        if (definition.cron) {
          await boss.schedule(definition.queue, definition.cron.expression, definition.cron.input as object, { tz: definition.cron.tz ?? 'UTC' });
        }
        if (!work) continue;
        await boss.work(
          definition.queue,
          {
            batchSize: 1,
            includeMetadata: true,
            localConcurrency: definition.concurrency ?? config.jobConcurrency,
            pollingIntervalSeconds: config.jobPollSeconds,
          },
          async ([job]) => {
            // Cron sends bypass `send`, so their record is created on first sight.
            await ensureRecord(definition, job.id, job.data, null);
            return runAttempt(definition, job);
          },
        );
      }
    },

    async stop() {
      if (!started) return;
      started = false;
      await boss.stop({ graceful: true, timeout: 10_000 });
    },

    async send<I>(definition: JobDefinition<I>, input: I, options: SendOptions): Promise<{ id: string; created: boolean }> {
      if (!definitions.has(definition.queue)) throw new AppError('NOT_FOUND', `No job type ${definition.queue}.`);
      const data = definition.input.parse(input);
      const id = options.idempotencyKey ? uuidv5(`${definition.queue}:${options.idempotencyKey}`, IDEMPOTENCY_NAMESPACE) : crypto.randomUUID();
      const enqueue = async (tx: Db, sql: SqlExecutor) => {
        const created = await ensureRecord(definition, id, data, options.actor.name, tx);
        if (!created) return false;
        const sent = await boss.send(definition.queue, data as object, {
          id,
          singletonKey: options.singletonKey,
          startAfter: options.startAfter,
          db: sql,
        });
        if (!sent) throw new AppError('CONFLICT', `A ${definition.queue} job for ${options.singletonKey ?? 'this entity'} is already queued or running.`, { queue: definition.queue, singletonKey: options.singletonKey });
        return true;
      };
      const created = options.tx ? await enqueue(options.tx.db, options.tx.sql) : await database.transaction(enqueue);
      return { id, created };
    },

    async get(id: string) {
      const record = await findJobRecord(database.db, id);
      if (!record) throw notFound('Job', id);
      const steps = await findJobSteps(database.db, id);
      return { ...record, steps };
    },

    list(filter: JobFilter, page: { offset: number; limit: number }) {
      return findJobRecords(database.db, filter, page);
    },

    countsByQueueAndState: () => countJobsByQueueAndState(database.db),

    async retry(id: string, actor: Actor) {
      const record = await findJobRecord(database.db, id);
      if (!record) throw notFound('Job', id);
      if (record.state !== 'failed' && record.state !== 'cancelled') {
        throw new AppError('INVALID_STATE', `Job ${id} is ${record.state}; only failed or cancelled jobs can be retried.`, { state: record.state });
      }
      definitionFor(record.queue);
      const now = clock.now();
      await boss.retry(record.queue, id);
      await database.transaction(async (tx) => {
        await updateJobRecord(tx, id, { state: 'retry', finishedAt: null, updatedAt: now });
        await audit.record({ actor, action: 'job.retry', entityType: 'job', entityId: id, before: { state: record.state }, after: { state: 'retry' } }, tx);
      });
      return { id, state: 'retry' };
    },

    async cancel(id: string, actor: Actor) {
      const record = await findJobRecord(database.db, id);
      if (!record) throw notFound('Job', id);
      if ((TERMINAL_STATES as readonly string[]).includes(record.state)) {
        throw new AppError('INVALID_STATE', `Job ${id} is already ${record.state}.`, { state: record.state });
      }
      const now = clock.now();
      await boss.cancel(record.queue, id);
      await database.transaction(async (tx) => {
        await updateJobRecord(tx, id, { state: 'cancelled', finishedAt: now, updatedAt: now });
        await audit.record({ actor, action: 'job.cancel', entityType: 'job', entityId: id, before: { state: record.state }, after: { state: 'cancelled' } }, tx);
      });
      return { id, state: 'cancelled' };
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
