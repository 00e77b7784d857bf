import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { z } from 'zod';
import { ManualClock } from '../clock.ts';
import { systemActor } from '../auth/actor.ts';
import { defineJob } from './define-job.ts';
import { createLogger } from '../logger.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../../test/support/test-switchboard.ts';
import { waitFor } from '../../test/support/wait-for.ts';

// X2/#15: routine system jobs (bridge polls, every few seconds) must not bury people's work: their
// completions are not audited, listings leave them out unless asked, and old records are deleted.

const routinePoll = defineJob({
  queue: 'test.routine-poll',
  input: z.object({ n: z.number() }),
  title: () => 'Poll something',
  routine: true,
  retryLimit: 0,
  run: async (_ctx, input) => ({ polled: input.n }),
});
const peopleWork = defineJob({
  queue: 'test.people-work',
  input: z.object({ n: z.number() }),
  title: () => 'Do something for a person',
  run: async (_ctx, input) => ({ done: input.n }),
});

describe('routine jobs (X2, #15)', () => {
  let t: TestSwitchboard;
  const clock = new ManualClock(new Date('2026-12-01T08:00:00Z'));
  const actor = systemActor('test');
  const logLines: string[] = [];

  before(async () => {
    const stream = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    t = await startTestSwitchboard({ logger: createLogger('info', stream), jobs: [routinePoll, peopleWork], clock, config: { jobPollSeconds: 0.5, routineJobRetentionHours: 6 } });
  });
  after(() => t?.close());

  const state = async (id: string) => (await t.api<{ state: string }>('GET', `/api/v1/jobs/${id}`)).body.state;
  const auditOf = async (id: string) => (await t.api<{ items: unknown[] }>('GET', `/api/v1/audit?entityType=job&entityId=${id}`)).body.items;

  test('a routine job that completes writes no audit record and is listed only when asked for', async () => {
    const { jobs } = t.sb.services;
    const routine = await jobs.send(routinePoll, { n: 1 }, { actor });
    const work = await jobs.send(peopleWork, { n: 1 }, { actor });
    await waitFor('both jobs to complete', async () => (await state(routine.id)) === 'completed' && (await state(work.id)) === 'completed');

    assert.equal((await auditOf(routine.id)).length, 0, 'no audit record for a routine completion');
    assert.equal((await auditOf(work.id)).length, 1, 'a person’s job is audited');
    // #18: every bridge poll logged that it had lost its job, which misled the start-stall hunt.
    const lost = logLines.map((line) => JSON.parse(line) as { jobId?: string; msg?: string }).filter((l) => l.msg?.includes('lost the job'));
    assert.deepEqual(lost.map((l) => l.jobId), [], 'a recorded completion is not logged as a lost job');

    const listed = (await t.api<{ items: { id: string }[] }>('GET', '/api/v1/jobs?limit=100')).body.items.map((j) => j.id);
    assert.ok(listed.includes(work.id));
    assert.ok(!listed.includes(routine.id), 'routine jobs are hidden by default');
    const all = (await t.api<{ items: { id: string }[] }>('GET', '/api/v1/jobs?limit=100&includeRoutine=true')).body.items.map((j) => j.id);
    assert.ok(all.includes(routine.id) && all.includes(work.id));
    const byQueue = (await t.api<{ items: { id: string }[] }>('GET', '/api/v1/jobs?queue=test.routine-poll')).body.items.map((j) => j.id);
    assert.deepEqual(byQueue, [routine.id], 'naming the queue lists them');
  });

  test('routine records older than the retention are deleted; people’s jobs stay', async () => {
    const { jobs } = t.sb.services;
    const old = await jobs.send(routinePoll, { n: 2 }, { actor });
    const work = await jobs.send(peopleWork, { n: 2 }, { actor });
    await waitFor('both jobs to complete', async () => (await state(old.id)) === 'completed' && (await state(work.id)) === 'completed');
    clock.advance(7 * 3_600_000);
    const recent = await jobs.send(routinePoll, { n: 3 }, { actor });
    await waitFor('the recent job to complete', async () => (await state(recent.id)) === 'completed');

    const purge = jobs.definitions().find((d) => d.queue === 'platform.purge-routine-jobs')!;
    const run = await jobs.send(purge, {}, { actor });
    await waitFor('the purge to complete', async () => (await state(run.id)) === 'completed');
    assert.equal((await t.api('GET', `/api/v1/jobs/${old.id}`)).status, 404, 'the old routine record is gone');
    assert.equal(await state(recent.id), 'completed', 'a recent routine record stays');
    assert.equal(await state(work.id), 'completed', 'a person’s job stays');
  });
});
