import assert from 'node:assert/strict';
import { describe, mock, test } from 'node:test';
import { BACKSTOP_SECONDS, createQueuePolls } from './queue-polls.ts';

// Workers as the job engine registers them: each gets an id, a polling interval and the wrapper
// its fetched jobs run through.
async function setUp(queues: Record<string, number>) {
  const woken: string[] = [];
  const polls = createQueuePolls({ intervalSeconds: 1, wake: (id) => woken.push(id) });
  const workers = new Map<string, { interval: number; handle: <T>(run: () => Promise<T>) => Promise<T> }>();
  for (const [name, concurrency] of Object.entries(queues)) {
    let n = 0;
    await polls.add(name, concurrency, async (interval, handle) => {
      const id = `${name}#${n++}`;
      workers.set(id, { interval, handle });
      return id;
    });
  }
  return { polls, woken, workers };
}

describe('queue polls (#18: one poll per queue and interval, not one per worker)', () => {
  test('idle: each interval wakes one worker per queue, in turn; workers poll alone only every backstop', async () => {
    mock.timers.enable({ apis: ['setInterval'] });
    try {
      const { polls, woken, workers } = await setUp({ a: 4, b: 2 });
      assert.deepEqual([...workers.values()].map((w) => w.interval), Array(6).fill(BACKSTOP_SECONDS));
      polls.start();
      mock.timers.tick(3000);
      assert.deepEqual(woken, ['a#0', 'b#0', 'a#1', 'b#1', 'a#2', 'b#0']);
      polls.stop();
      mock.timers.tick(3000);
      assert.equal(woken.length, 6, 'nothing is woken after stop');
    } finally {
      mock.timers.reset();
    }
  });

  test('a worker that receives a job wakes another idle one; busy workers are not woken; a finished one is idle again', async () => {
    mock.timers.enable({ apis: ['setInterval'] });
    try {
      const { polls, woken, workers } = await setUp({ a: 3 });
      polls.start();
      const releases: (() => void)[] = [];
      const busy = (id: string) =>
        workers.get(id)!.handle(() => new Promise<void>((resolve) => releases.push(resolve)));
      const first = busy('a#0');
      assert.deepEqual(woken, ['a#1'], 'the next idle worker is woken at once');
      const second = busy('a#1');
      assert.deepEqual(woken, ['a#1', 'a#2']);
      const third = busy('a#2');
      assert.deepEqual(woken, ['a#1', 'a#2'], 'no idle worker left to wake');
      mock.timers.tick(2000);
      assert.deepEqual(woken, ['a#1', 'a#2'], 'while all are busy the interval wakes nobody');
      releases[1]!();
      await second;
      mock.timers.tick(1000);
      assert.deepEqual(woken, ['a#1', 'a#2', 'a#1'], 'the worker that finished polls for the queue again');
      releases[0]!();
      releases[2]!();
      await Promise.all([first, third]);
      polls.stop();
    } finally {
      mock.timers.reset();
    }
  });

  test('a handler that throws still leaves its worker idle', async () => {
    const { polls, woken, workers } = await setUp({ a: 2 });
    await assert.rejects(workers.get('a#0')!.handle(async () => {
      throw new Error('job failed');
    }));
    assert.deepEqual(woken, ['a#1']);
    await assert.rejects(workers.get('a#1')!.handle(async () => {
      throw new Error('job failed');
    }));
    assert.deepEqual(woken, ['a#1', 'a#0'], 'a#0 was idle again and is woken');
    polls.stop();
  });
});
