import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { systemActor } from '../auth/actor.ts';
import { defineJob, type JobDefinition } from './define-job.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../../test/support/test-switchboard.ts';
import { waitFor } from '../../test/support/wait-for.ts';

// X2: jobs of a definition with `batch` are fetched and run together (one claim, one transaction for
// their work, one completion) and still answered one by one: each its own result, failure and
// journal entry; a job handed back runs alone and finds its journalled work done.

const probe = { batches: [] as number[], effects: new Map<string, number>(), alone: new Map<string, number>() };
const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

type Ran = { ran: 'alone' | 'together'; key: string };
const batched = defineJob<{ key: string }, Ran>({
  queue: 'test.batched',
  input: z.object({ key: z.string() }),
  title: (input) => `Batched ${input.key}`,
  entity: (input) => ({ type: 'widget', id: input.key }),
  retryLimit: 0,
  // One worker, so one fetch takes every waiting job (concurrent fetches would share them out).
  concurrency: 1,
  run: async (ctx, input) => {
    bump(probe.alone, input.key);
    return ctx.transact('work', async () => {
      bump(probe.effects, input.key);
      return { ran: 'alone', key: input.key };
    });
  },
  batch: {
    size: 10,
    run: async (jobs, batch) => {
      probe.batches.push(jobs.length);
      const keyOf = new Map(jobs.map(({ ctx, input }) => [ctx.jobId, input.key]));
      const outcomes = await batch.transact('work', jobs.map(({ ctx }) => ctx), async (_tx, fresh) =>
        fresh.map((ctx): Ran => {
          bump(probe.effects, keyOf.get(ctx.jobId)!);
          return { ran: 'together', key: keyOf.get(ctx.jobId)! };
        }),
      );
      return jobs.map(({ input }, n) => (input.key === 'refuse' ? { error: new Error('refused by the test') } : input.key === 'hand-back' ? undefined : outcomes[n]));
    },
  },
});

describe('job batches (X2)', () => {
  let t: TestSwitchboard;
  before(async () => {
    t = await startTestSwitchboard({ jobs: [batched] as JobDefinition[], config: { jobPollSeconds: 0.5 } });
  });
  after(async () => t?.close());

  test('five jobs queued together run as one batch; one refused fails alone, one handed back runs alone without repeating its work', async () => {
    const keys = ['a', 'b', 'c', 'refuse', 'hand-back'];
    const sent = await t.sb.services.database.transaction((tx, sqlExecutor) =>
      t.sb.services.jobs.sendMany(batched, keys.map((key) => ({ input: { key } })), { actor: systemActor('test'), tx: { db: tx, sql: sqlExecutor } }),
    );
    const idOf = new Map(keys.map((key, n) => [key, sent[n]!.id]));
    const job = async (key: string) => (await t.api('GET', `/api/v1/jobs/${idOf.get(key)}`)).body;
    await waitFor('every job settled', async () => {
      for (const key of keys) if (!['completed', 'failed'].includes((await job(key)).state)) return false;
      return true;
    });
    assert.deepEqual(probe.batches, [5], 'one batch of five');
    for (const key of ['a', 'b', 'c']) {
      const record = await job(key);
      assert.deepEqual([record.state, record.attempts, record.progressPercent, record.result], ['completed', 1, 100, { ran: 'together', key }], key);
      assert.deepEqual(record.steps.map((s: any) => [s.stepKey, s.state]), [['work', 'done']]);
    }
    const refused = await job('refuse');
    assert.deepEqual([refused.state, refused.error.message], ['failed', 'refused by the test']);
    const handedBack = await job('hand-back');
    assert.deepEqual([handedBack.state, handedBack.result], ['completed', { ran: 'together', key: 'hand-back' }], 'its journalled result, not run again');
    assert.equal(probe.alone.get('hand-back'), 1);
    for (const key of keys) assert.equal(probe.effects.get(key), 1, `${key}: its work done once`);
    const audited = await t.sb.services.database.db.execute(sql`select action, count(*)::int as n from audit_events where entity_type = 'job' and entity_id in (${sql.join([...idOf.values()].map((id) => sql`${id}`), sql`, `)}) group by action order by action`);
    assert.deepEqual(audited.rows, [{ action: 'job.completed', n: 4 }, { action: 'job.failed', n: 1 }]);
  });
});
