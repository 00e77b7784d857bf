import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { defineJob } from './jobs/define-job.ts';
import { systemActor } from './auth/actor.ts';
import { startTestSwitchboard } from '../test/support/test-switchboard.ts';
import type { AreaFactory } from './area.ts';

// A job waiting when the server starts (resumed after a restart) must see what the areas load as
// they start — connectors' addresses, the Lab's simulators: workers take jobs only after every
// area has started (issue #14: a cluster job polled the publisher's old address).
test('workers take jobs only after every area has started', async () => {
  const seen: string[] = [];
  let areaStarted = false;
  const probe = defineJob({
    queue: 'test.start-order-probe',
    input: z.object({}),
    title: () => 'Start order probe',
    retryLimit: 0,
    async run() {
      seen.push(areaStarted ? 'after area start' : 'during area start');
      return {};
    },
  });
  const slowArea: AreaFactory = (services) => ({
    name: 'slow-start',
    jobs: [probe],
    async start() {
      // Queues are up while areas start (they may send jobs); a worker that took the job now would run it here.
      await services.jobs.send(probe, {}, { actor: systemActor('test') });
      const deadline = Date.now() + 3000;
      while (seen.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      areaStarted = true;
    },
  });
  const t = await startTestSwitchboard({ areas: [slowArea], config: { jobPollSeconds: 0.5 } });
  try {
    const deadline = Date.now() + 30_000;
    while (seen.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(seen, ['after area start']);
  } finally {
    await t.close();
  }
});
