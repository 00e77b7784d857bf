import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { createSwitchboard } from '../app.ts';
import { systemActor } from '../auth/actor.ts';
import { AppError, errorStatus } from '../errors.ts';
import { defineJob, type JobDefinition } from './define-job.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../../test/support/test-switchboard.ts';
import { gate, waitFor } from '../../test/support/wait-for.ts';

// X2: the job engine end to end, in one process, on the embedded database or on PostgreSQL.
// Handlers report what they did into `probe`, so every assertion is about effects, not timing.

const probe = {
  runs: new Map<string, number>(),
  effects: new Map<string, number>(),
  attemptStartedAt: new Map<string, number[]>(),
  failUntil: new Map<string, number>(),
  gates: new Map<string, ReturnType<typeof gate<void>>>(),
  stoppedWith: new Map<string, unknown>(),
  inFlight: new Map<string, number>(),
  maxInFlight: new Map<string, number>(),
};
const bump = (map: Map<string, number>, key: string, by = 1) => {
  const value = (map.get(key) ?? 0) + by;
  map.set(key, value);
  return value;
};
const gateFor = (key: string) => {
  if (!probe.gates.has(key)) probe.gates.set(key, gate());
  return probe.gates.get(key)!;
};
const open = (key: string) => gateFor(key).open();

const keyInput = z.object({ key: z.string(), entityId: z.string().optional() });

const echo = defineJob({
  queue: 'test.echo',
  input: keyInput,
  title: (input) => `Echo ${input.key}`,
  entity: (input) => (input.entityId ? { type: 'widget', id: input.entityId } : undefined),
  run: async (ctx, input) => {
    bump(probe.runs, input.key);
    await ctx.progress({ percent: 50, step: 'half', message: 'halfway' });
    await ctx.step('effect', async () => bump(probe.effects, `${input.key}:effect`));
    return { echoed: input.key };
  },
});

const gated = defineJob({
  queue: 'test.gated',
  input: z.object({ key: z.string(), then: z.enum(['return', 'step']) }),
  title: (input) => `Gated ${input.key}`,
  run: async (ctx, input) => {
    bump(probe.runs, input.key);
    await ctx.progress({ percent: 40, step: 'waiting', message: `waiting for ${input.key}` });
    await gateFor(input.key).promise;
    if (input.then === 'step') {
      try {
        await ctx.step('after-gate', async () => bump(probe.effects, `${input.key}:after-gate`));
      } catch (error) {
        probe.stoppedWith.set(input.key, error);
        throw error;
      }
    }
    return { released: input.key };
  },
});

const flaky = defineJob({
  queue: 'test.flaky',
  input: keyInput,
  title: (input) => `Flaky ${input.key}`,
  retryLimit: 2,
  retryDelaySeconds: 1,
  run: async (ctx, input) => {
    const attempt = bump(probe.runs, input.key);
    probe.attemptStartedAt.set(input.key, [...(probe.attemptStartedAt.get(input.key) ?? []), Date.now()]);
    await ctx.step('prepare', async () => bump(probe.effects, `${input.key}:prepare`));
    if (attempt <= (probe.failUntil.get(input.key) ?? 0)) throw new Error(`boom ${attempt}`);
    await ctx.step('finish', async () => bump(probe.effects, `${input.key}:finish`));
    return { attempt };
  },
});

// Fails at once (no retries) while probe.failUntil says so; its first step is done either way.
const fragile = defineJob({
  queue: 'test.fragile',
  input: keyInput,
  title: (input) => `Fragile ${input.key}`,
  retryLimit: 0,
  run: async (ctx, input) => {
    const attempt = bump(probe.runs, input.key);
    await ctx.step('prepare', async () => bump(probe.effects, `${input.key}:prepare`));
    if (attempt <= (probe.failUntil.get(input.key) ?? 0)) throw new Error(`fragile ${attempt}`);
    await ctx.step('finish', async () => bump(probe.effects, `${input.key}:finish`));
    return { attempt };
  },
});

const doomed = defineJob({
  queue: 'test.doomed',
  input: keyInput,
  title: (input) => `Doomed ${input.key}`,
  retryLimit: 0,
  run: async (_ctx, input) => {
    bump(probe.runs, input.key);
    throw new Error(`doomed ${input.key}`);
  },
});

// Only one handler at a time, so "the next job ran" proves the previous handler fully returned.
const expiring = defineJob({
  queue: 'test.expiring',
  input: keyInput,
  title: (input) => `Expiring ${input.key}`,
  retryLimit: 0,
  expireInSeconds: 1,
  concurrency: 1,
  run: async (ctx, input) => {
    bump(probe.runs, input.key);
    if (input.key === 'quick') return { quick: true };
    await gateFor(input.key).promise;
    try {
      await ctx.progress({ percent: 90, message: 'too late' });
    } catch (error) {
      probe.stoppedWith.set(input.key, error);
    }
    return { late: true };
  },
});

// Overruns its 1 s expiry with a retry left, which pg-boss schedules far ahead (retryDelayMax 10 min).
const expiringWithRetry = defineJob({
  queue: 'test.expiring-retry',
  input: keyInput,
  title: (input) => `Expiring with retry ${input.key}`,
  retryLimit: 1,
  retryDelaySeconds: 3600,
  expireInSeconds: 1,
  run: async (_ctx, input) => {
    bump(probe.runs, input.key);
    await gateFor(input.key).promise;
    return { late: true };
  },
});

const exclusive = defineJob({
  queue: 'test.exclusive',
  input: keyInput,
  title: (input) => `Exclusive ${input.key}`,
  policy: 'exclusive',
  run: async (_ctx, input) => {
    bump(probe.runs, input.key);
    await gateFor(input.key).promise;
    return null;
  },
});

const singleton = defineJob({
  queue: 'test.singleton',
  input: keyInput,
  title: (input) => `Singleton ${input.key}`,
  policy: 'singleton',
  run: async (_ctx, input) => {
    const now = bump(probe.inFlight, 'singleton');
    probe.maxInFlight.set('singleton', Math.max(probe.maxInFlight.get('singleton') ?? 0, now));
    bump(probe.runs, input.key);
    await gateFor(input.key).promise;
    bump(probe.inFlight, 'singleton', -1);
    return null;
  },
});

const nightlyInput = { key: 'nightly' };
const nightly = defineJob({
  queue: 'test.nightly',
  input: keyInput,
  title: () => 'Nightly',
  cron: { expression: '0 3 * * *', tz: 'Europe/Berlin', input: nightlyInput },
  run: async () => null,
});

const definitions = [echo, gated, flaky, fragile, doomed, expiring, expiringWithRetry, exclusive, singleton, nightly] as JobDefinition[];
const actor = systemActor('test');

describe('job engine (X2)', () => {
  let t: TestSwitchboard;
  before(async () => {
    t = await startTestSwitchboard({ jobs: definitions, config: { jobPollSeconds: 0.5 } });
  });
  after(async () => {
    for (const g of probe.gates.values()) g.open();
    await t?.close();
  });

  const jobs = () => t.sb.services.jobs;
  const getJob = async (id: string) => (await t.api('GET', `/api/v1/jobs/${id}`)).body;
  const waitForState = (id: string, state: string, timeoutMs = 30_000) =>
    waitFor(`job ${id} to be ${state}`, async () => {
      const job = await getJob(id);
      return job.state === state ? job : undefined;
    }, { timeoutMs });
  const auditOf = async (id: string, action: string) =>
    (await t.sb.services.audit.find({ entityType: 'job', entityId: id, action }, { offset: 0, limit: 50 })).items;

  test('a sent job completes with its result and progress 100; its steps are listed', { timeout: 60_000 }, async () => {
    const { id, created } = await jobs().send(echo, { key: 'simple' }, { actor });
    assert.equal(created, true);
    const job = await waitForState(id, 'completed');
    assert.deepEqual(job.result, { echoed: 'simple' });
    assert.equal(job.progressPercent, 100);
    assert.equal(job.attempts, 1);
    assert.equal(job.title, 'Echo simple');
    assert.equal(job.createdBy, 'test');
    assert.ok(job.startedAt && job.finishedAt);
    assert.deepEqual(job.steps.map((s: any) => [s.stepKey, s.state]), [['effect', 'done']]);
    assert.equal(probe.effects.get('simple:effect'), 1);
    assert.equal((await auditOf(id, 'job.completed')).length, 1);
  });

  test('input the job type refuses is a VALIDATION_FAILED error (400), not a crash', async () => {
    const refused = await jobs().send(echo, { key: 42 } as unknown as { key: string }, { actor }).then(
      () => assert.fail('send should refuse the input'),
      (error) => error,
    );
    assert.ok(refused instanceof AppError);
    assert.equal(refused.code, 'VALIDATION_FAILED');
    assert.equal(errorStatus[refused.code as keyof typeof errorStatus], 400);
    assert.match(refused.message, /key/);
  });

  test('progress (percent, step, message) is visible through the API while the job runs', { timeout: 60_000 }, async () => {
    const { id } = await jobs().send(gated, { key: 'progress', then: 'return' }, { actor });
    const running = await waitFor('progress 40', async () => {
      const job = await getJob(id);
      return job.progressPercent === 40 ? job : undefined;
    });
    assert.equal(running.state, 'active');
    assert.equal(running.progressStep, 'waiting');
    assert.equal(running.progressMessage, 'waiting for progress');
    open('progress');
    const done = await waitForState(id, 'completed');
    assert.equal(done.progressPercent, 100);
    assert.deepEqual(done.result, { released: 'progress' });
  });

  test('a failing job retries with exponential backoff, then fails: error stored, job.failed audited, dead letter queued', { timeout: 60_000 }, async () => {
    probe.failUntil.set('retries', 99);
    const { id } = await jobs().send(flaky, { key: 'retries' }, { actor });
    const failed = await waitForState(id, 'failed');
    assert.equal(probe.runs.get('retries'), 3, 'first attempt + retryLimit 2');
    assert.equal(failed.attempts, 3);
    assert.equal(failed.maxAttempts, 3);
    assert.equal(failed.error.message, 'boom 3');
    assert.equal(failed.error.attempt, 3);
    assert.ok(failed.finishedAt);
    // pg-boss may not start a retry before its start_after: retryDelay × 2^(n-1) × (1..2) seconds.
    const [first, second, third] = probe.attemptStartedAt.get('retries')!;
    assert.ok(second - first >= 950, `first retry waited ${second - first} ms, expected ≥ 1 s`);
    assert.ok(third - second >= 1950, `second retry waited ${third - second} ms, expected ≥ 2 s (backoff)`);
    assert.equal(probe.effects.get('retries:prepare'), 1, 'a done step is not repeated by a retry');

    const audits = await auditOf(id, 'job.failed');
    assert.equal(audits.length, 1);
    assert.equal((audits[0].after as any).error.message, 'boom 3');

    const dead = await waitFor('the dead letter', async () =>
      (await jobs().boss.findJobs(`${flaky.queue}.dead`)).find((job) => job.sourceId === id),
    );
    assert.deepEqual(dead.data, { key: 'retries' });
  });

  test('POST /jobs/:id/retry runs a failed job again without repeating its done steps', { timeout: 60_000 }, async () => {
    probe.failUntil.set('retried', 1);
    const { id } = await jobs().send(fragile, { key: 'retried' }, { actor });
    const failed = await waitForState(id, 'failed');
    assert.equal(failed.error.message, 'fragile 1');
    const runsBefore = probe.runs.get('retried')!;
    assert.equal(runsBefore, 1);

    const retried = await t.api('POST', `/api/v1/jobs/${id}/retry`);
    assert.equal(retried.status, 200);
    assert.equal(retried.body.state, 'retry');
    const job = await waitForState(id, 'completed');
    assert.equal(probe.runs.get('retried'), runsBefore + 1);
    assert.equal(probe.effects.get('retried:prepare'), 1, 'prepare was done on the first attempt and is not run again');
    assert.equal(probe.effects.get('retried:finish'), 1);
    assert.equal(job.attempts, runsBefore + 1);
    assert.ok(job.maxAttempts >= job.attempts, 'maxAttempts grows with a manual retry');
    assert.equal(job.error, null);
    const retryAudits = await auditOf(id, 'job.retry');
    assert.equal(retryAudits.length, 1);
    assert.equal(retryAudits[0].trackingId, retried.headers.get('trackingid'), 'the audit entry names the request that retried');

    const again = await t.api('POST', `/api/v1/jobs/${id}/retry`);
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'INVALID_STATE');
  });

  test('retrying a failed job that the queue no longer holds is refused, not left hanging', { timeout: 60_000 }, async () => {
    const { id } = await jobs().send(doomed, { key: 'purged' }, { actor });
    await waitForState(id, 'failed');
    // pg-boss purges only settled jobs; our record says failed a moment before pg-boss settles the
    // attempt (its fail deletes and re-inserts the row, so a delete in between would miss it).
    await waitFor(`pg-boss to hold job ${id} as failed`, async () => (await jobs().boss.getJobById(doomed.queue, id))?.state === 'failed' || undefined);
    await jobs().boss.deleteJob(doomed.queue, id);
    assert.equal(await jobs().boss.getJobById(doomed.queue, id), null, 'the queue no longer holds the job');
    const retried = await t.api('POST', `/api/v1/jobs/${id}/retry`);
    assert.equal(retried.status, 409);
    assert.equal(retried.body.error.code, 'INVALID_STATE');
    assert.equal((await getJob(id)).state, 'failed');
  });

  test('a queued job can be cancelled, and a cancelled job can be retried', { timeout: 60_000 }, async () => {
    const startAfter = new Date(Date.now() + 60 * 60 * 1000);
    const { id } = await jobs().send(echo, { key: 'queued-cancel' }, { actor, startAfter });
    const cancelled = await t.api('POST', `/api/v1/jobs/${id}/cancel`);
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.state, 'cancelled');
    assert.equal((await getJob(id)).state, 'cancelled');
    assert.equal((await jobs().boss.getJobById(echo.queue, id))?.state, 'cancelled');
    const cancelAudits = await auditOf(id, 'job.cancel');
    assert.equal(cancelAudits.length, 1);
    assert.equal(cancelAudits[0].trackingId, cancelled.headers.get('trackingid'));
    const twice = await t.api('POST', `/api/v1/jobs/${id}/cancel`);
    assert.equal(twice.status, 409);

    // retried: back in the queue (still not before its startAfter)
    const retried = await t.api('POST', `/api/v1/jobs/${id}/retry`);
    assert.equal(retried.status, 200);
    assert.equal((await jobs().boss.getJobById(echo.queue, id))?.state, 'created');
    assert.equal((await getJob(id)).state, 'retry');
    assert.equal(probe.runs.get('queued-cancel'), undefined);
  });

  test('cancelling a running job stops it at its next step and its completion does not overwrite the cancel', { timeout: 60_000 }, async () => {
    const stepping = await jobs().send(gated, { key: 'cancel-step', then: 'step' }, { actor });
    const returning = await jobs().send(gated, { key: 'cancel-return', then: 'return' }, { actor });
    for (const id of [stepping.id, returning.id]) await waitForState(id, 'active');
    for (const id of [stepping.id, returning.id]) {
      const res = await t.api('POST', `/api/v1/jobs/${id}/cancel`);
      assert.equal(res.status, 200);
    }
    open('cancel-step');
    open('cancel-return');
    await waitFor('the stepping handler to be stopped', () => probe.stoppedWith.get('cancel-step'));
    assert.equal(probe.effects.get('cancel-step:after-gate'), undefined, 'the step after the cancel did not run');

    // Retrying the cancelled job runs it again (the gate is open now): the step runs, once.
    const retried = await t.api('POST', `/api/v1/jobs/${stepping.id}/retry`);
    assert.equal(retried.status, 200);
    await waitForState(stepping.id, 'completed');
    assert.equal(probe.effects.get('cancel-step:after-gate'), 1);

    // By now the returning handler has long finished (same queue, later job completed); it must
    // not have turned the cancelled record into a completed one.
    const drained = await jobs().send(gated, { key: 'drain', then: 'return' }, { actor });
    open('drain');
    await waitForState(drained.id, 'completed');
    const record = await getJob(returning.id);
    assert.equal(record.state, 'cancelled');
    assert.equal((await auditOf(returning.id, 'job.completed')).length, 0);
  });

  test('the same idempotencyKey returns the same job, even when sent concurrently, and it runs once', { timeout: 60_000 }, async () => {
    const sends = await Promise.all([1, 2, 3].map(() => jobs().send(echo, { key: 'idem' }, { actor, idempotencyKey: 'order-42' })));
    assert.equal(new Set(sends.map((s) => s.id)).size, 1);
    assert.equal(sends.filter((s) => s.created).length, 1);
    const id = sends[0].id;
    await waitForState(id, 'completed');
    const later = await jobs().send(echo, { key: 'idem' }, { actor, idempotencyKey: 'order-42' });
    assert.deepEqual(later, { id, created: false });
    assert.equal((await jobs().boss.getJobById(echo.queue, id))?.state, 'completed', 'not queued again');
    assert.equal(probe.runs.get('idem'), 1);
    const otherQueue = await jobs().send(flaky, { key: 'idem-other' }, { actor, idempotencyKey: 'order-42' });
    assert.notEqual(otherQueue.id, id, 'keys are per queue');
    await waitForState(otherQueue.id, 'completed');
  });

  test('an idempotent send whose queued job was purged from the queue puts it back instead of leaving it stuck', { timeout: 60_000 }, async () => {
    const startAfter = new Date(Date.now() + 60 * 60 * 1000);
    const first = await jobs().send(echo, { key: 'purged-queued' }, { actor, idempotencyKey: 'purged-queued', startAfter });
    await jobs().boss.deleteJob(echo.queue, first.id);
    const second = await jobs().send(echo, { key: 'purged-queued' }, { actor, idempotencyKey: 'purged-queued' });
    assert.equal(second.id, first.id);
    await waitForState(first.id, 'completed');
    assert.equal(probe.runs.get('purged-queued'), 1);
  });

  test('an exclusive queue refuses a second job for the same singletonKey with 409 CONFLICT', { timeout: 60_000 }, async () => {
    const first = await jobs().send(exclusive, { key: 'excl-1' }, { actor, singletonKey: 'room-1' });
    await waitForState(first.id, 'active');
    const refused = await jobs().send(exclusive, { key: 'excl-2' }, { actor, singletonKey: 'room-1' }).then(
      () => assert.fail('second send should be refused'),
      (error) => error,
    );
    assert.ok(refused instanceof AppError);
    assert.equal(refused.code, 'CONFLICT');
    assert.equal(errorStatus[refused.code as keyof typeof errorStatus], 409);
    assert.deepEqual(refused.details, { queue: exclusive.queue, singletonKey: 'room-1' });
    const listed = await t.api('GET', `/api/v1/jobs?queue=${exclusive.queue}`);
    assert.equal(listed.body.total, 1, 'the refused send left no job record behind');

    const otherKey = await jobs().send(exclusive, { key: 'excl-3' }, { actor, singletonKey: 'room-2' });
    open('excl-1');
    open('excl-3');
    await waitForState(first.id, 'completed');
    await waitForState(otherKey.id, 'completed');
    const afterwards = await jobs().send(exclusive, { key: 'excl-4' }, { actor, singletonKey: 'room-1' });
    open('excl-4');
    await waitForState(afterwards.id, 'completed');
  });

  test('a singleton queue runs one job per singletonKey at a time (the second waits, it is not refused)', { timeout: 60_000 }, async () => {
    const a = await jobs().send(singleton, { key: 'single-a' }, { actor, singletonKey: 'bridge-1' });
    await waitForState(a.id, 'active');
    const b = await jobs().send(singleton, { key: 'single-b' }, { actor, singletonKey: 'bridge-1' });
    // b cannot start while a holds the key; it starts once a completes
    open('single-a');
    await waitForState(a.id, 'completed');
    await waitForState(b.id, 'active');
    open('single-b');
    await waitForState(b.id, 'completed');
    assert.equal(probe.maxInFlight.get('singleton'), 1);
  });

  test('a job sent inside a transaction exists only if the transaction commits', { timeout: 60_000 }, async () => {
    const { database } = t.sb.services;
    let rolledBackId = '';
    await assert.rejects(
      database.transaction(async (tx, sql) => {
        rolledBackId = (await jobs().send(echo, { key: 'rolled-back' }, { actor, tx: { db: tx, sql } })).id;
        throw new Error('abort the surrounding change');
      }),
      /abort the surrounding change/,
    );
    assert.equal((await t.api('GET', `/api/v1/jobs/${rolledBackId}`)).status, 404);
    assert.equal(await jobs().boss.getJobById(echo.queue, rolledBackId), null);

    const committedId = await database.transaction(async (tx, sql) => (await jobs().send(echo, { key: 'committed' }, { actor, tx: { db: tx, sql } })).id);
    await waitForState(committedId, 'completed');
    assert.equal(probe.runs.get('rolled-back'), undefined);
  });

  test('sendMany: one record and one job per item in one transaction; a key repeated in the batch or sent before queues nothing new', { timeout: 60_000 }, async () => {
    const earlier = await jobs().send(echo, { key: 'many-0' }, { actor, idempotencyKey: 'many-0' });
    const items = [
      { input: { key: 'many-1' }, idempotencyKey: 'many-1' },
      { input: { key: 'many-1' }, idempotencyKey: 'many-1' },
      { input: { key: 'many-2' } },
      { input: { key: 'many-0' }, idempotencyKey: 'many-0' },
    ];
    const sent = await t.sb.services.database.transaction((tx, sql) => jobs().sendMany(echo, items, { actor, tx: { db: tx, sql } }));
    assert.deepEqual(sent.map((s) => s.created), [true, false, true, false]);
    assert.equal(sent[0].id, sent[1].id);
    assert.equal(sent[3].id, earlier.id);
    for (const id of new Set(sent.map((s) => s.id))) await waitForState(id, 'completed');
    assert.deepEqual(['many-0', 'many-1', 'many-2'].map((key) => probe.runs.get(key)), [1, 1, 1]);
    assert.equal((await t.api('GET', `/api/v1/jobs/${sent[2].id}`)).body.createdBy, actor.name);
  });

  test('a job put straight into pg-boss (as the cron scheduler does) gets a record and runs', { timeout: 60_000 }, async () => {
    const id = await jobs().boss.send(echo.queue, { key: 'direct' });
    assert.ok(id);
    const job = await waitForState(id, 'completed');
    assert.equal(job.createdBy, null);
    assert.equal(job.title, 'Echo direct');
  });

  test('an attempt that pg-boss expired is recorded as failed, and the late handler cannot overwrite it', { timeout: 60_000 }, async () => {
    const { id } = await jobs().send(expiring, { key: 'expired' }, { actor });
    const failed = await waitForState(id, 'failed');
    assert.match(failed.error.message, /exceeded|timed out/);
    assert.equal((await auditOf(id, 'job.failed')).length, 1);
    await waitFor('the dead letter', async () => (await jobs().boss.findJobs(`${expiring.queue}.dead`)).find((job) => job.sourceId === id));

    open('expired');
    await waitFor('the late handler to be stopped at its progress call', () => probe.stoppedWith.get('expired'));
    // concurrency 1: the next job runs only once the late handler's attempt has fully returned
    const quick = await jobs().send(expiring, { key: 'quick' }, { actor });
    await waitForState(quick.id, 'completed');
    const record = await getJob(id);
    assert.equal(record.state, 'failed');
    assert.equal(record.progressPercent, 0);
    assert.equal((await auditOf(id, 'job.completed')).length, 0);
  });

  test('while pg-boss waits to retry an attempt it gave up, the record says retry (not active), and it can be cancelled', { timeout: 60_000 }, async () => {
    const { id } = await jobs().send(expiringWithRetry, { key: 'expired-retry' }, { actor });
    const waiting = await waitForState(id, 'retry');
    assert.match(waiting.error.message, /exceeded|timed out/);
    assert.equal(waiting.attempts, 1);
    assert.equal((await jobs().boss.getJobById(expiringWithRetry.queue, id))?.state, 'retry');

    const cancelled = await t.api('POST', `/api/v1/jobs/${id}/cancel`);
    assert.equal(cancelled.status, 200);
    assert.equal((await jobs().boss.getJobById(expiringWithRetry.queue, id))?.state, 'cancelled');
    open('expired-retry');
    assert.equal(probe.runs.get('expired-retry'), 1);
  });

  test('cron definitions are scheduled in pg-boss', async () => {
    const schedules = await jobs().boss.getSchedules(nightly.queue);
    assert.equal(schedules.length, 1);
    assert.equal(schedules[0].cron, '0 3 * * *');
    assert.equal(schedules[0].timezone, 'Europe/Berlin');
    assert.deepEqual(schedules[0].data, nightlyInput);
  });

  test('list filters by state, queue and entity, and pages newest first', { timeout: 60_000 }, async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await jobs().send(echo, { key: `listed-${i}`, entityId: i < 3 ? 'w-1' : 'w-2' }, { actor })).id);
    const startAfter = new Date(Date.now() + 60 * 60 * 1000);
    const queued = (await jobs().send(echo, { key: 'listed-queued', entityId: 'w-1' }, { actor, startAfter })).id;
    for (const id of ids) await waitForState(id, 'completed');

    const byEntity = await t.api('GET', '/api/v1/jobs?entityType=widget&entityId=w-1');
    assert.equal(byEntity.body.total, 4);
    assert.ok(byEntity.body.items.every((job: any) => job.entityId === 'w-1' && job.entityType === 'widget'));
    const completedW1 = await t.api('GET', `/api/v1/jobs?entityType=widget&entityId=w-1&state=completed&queue=${echo.queue}`);
    assert.equal(completedW1.body.total, 3);
    const createdOrCompleted = await t.api('GET', '/api/v1/jobs?entityType=widget&state=created&state=completed');
    assert.equal(createdOrCompleted.body.total, 6);
    const created = await t.api('GET', '/api/v1/jobs?entityType=widget&state=created');
    assert.deepEqual(created.body.items.map((job: any) => job.id), [queued]);
    const otherQueue = await t.api('GET', '/api/v1/jobs?entityType=widget&queue=test.flaky');
    assert.equal(otherQueue.body.total, 0);

    const pages = [];
    for (let offset = 0; offset < 6; offset += 4) {
      const page = await t.api('GET', `/api/v1/jobs?entityType=widget&limit=4&offset=${offset}`);
      assert.equal(page.status, 200);
      assert.equal(page.body.total, 6);
      assert.equal(page.body.limit, 4);
      assert.equal(page.body.offset, offset);
      pages.push(...page.body.items);
    }
    assert.equal(pages.length, 6);
    assert.deepEqual(new Set(pages.map((job: any) => job.id)), new Set([...ids, queued]));
    const times = pages.map((job: any) => new Date(job.createdAt).getTime());
    assert.deepEqual(times, [...times].sort((a, b) => b - a), 'newest first');

    const invalid = await t.api('GET', '/api/v1/jobs?state=sleeping');
    assert.equal(invalid.status, 400);
  });

  // Last: restarts the server.
  test('a schedule removed from a definition is removed from pg-boss on the next start', { timeout: 90_000 }, async () => {
    for (const g of probe.gates.values()) g.open();
    const { config } = t.sb.services;
    await t.sb.close();
    const restarted = await createSwitchboard({ config, jobs: [{ ...nightly, cron: undefined }] });
    try {
      assert.equal((await restarted.services.jobs.boss.getSchedules(nightly.queue)).length, 0);
    } finally {
      await restarted.close();
    }
  });
});
