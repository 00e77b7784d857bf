import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createGiveWay } from './provisioning.service.ts';

// P2 flow-through: during a burst of accepts the provisioning jobs of a process run one at a time
// (the adapter waits for each answer, provisioning can wait), spaced out when adds queue for their
// batch; otherwise all of them run at once.
describe('provisioning gives way to accepting', () => {
  const settled = async (promise: Promise<unknown>, ms = 80) => {
    let done = false;
    void promise.then(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, ms));
    return done;
  };

  test('quiet: every job runs at once', async () => {
    const turns = createGiveWay(() => false, 5);
    const releases = await Promise.all([turns.take(), turns.take(), turns.take(), turns.take()]);
    assert.equal(turns.running(), 4);
    for (const release of releases) release();
    assert.equal(turns.running(), 0);
  });

  test('busy: one job at a time, each waiting only for the one before it; quiet again: the waiting ones all go', async () => {
    let busy = true;
    const turns = createGiveWay(() => busy, 5);
    const first = await turns.take();
    const second = turns.take();
    const third = turns.take();
    assert.equal(await settled(second), false, 'the second waits while the first runs');
    first();
    const releaseSecond = await second;
    assert.equal(turns.running(), 1);
    assert.equal(await settled(third), false, 'the third waits for the second');
    releaseSecond();
    const releaseThird = await third;
    assert.equal(turns.running(), 1);

    const fourth = turns.take();
    const fifth = turns.take();
    assert.equal(await settled(fourth), false);
    busy = false;
    const [releaseFourth, releaseFifth] = await Promise.all([fourth, fifth]);
    assert.equal(turns.running(), 3, 'once the burst is over nobody waits');
    for (const release of [releaseThird, releaseFourth, releaseFifth]) release();
    assert.equal(turns.running(), 0);
  });

  test('busy: waiters go one by one in the order they came, and none is left polling', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const timersBefore = timers();
    const turns = createGiveWay(() => true, 1);
    const order: number[] = [];
    const holder = await turns.take();
    const waiters = Array.from({ length: 20 }, (_, i) =>
      turns.take().then((release) => {
        order.push(i);
        assert.equal(turns.running(), 1, `waiter ${i} runs alone`);
        // Each holds its turn across several polls, so a later waiter would have every chance to jump in.
        return new Promise<void>((resolve) => setTimeout(() => (release(), resolve()), 3));
      }),
    );
    holder();
    await Promise.all(waiters);
    assert.deepEqual(order, Array.from({ length: 20 }, (_, i) => i));
    assert.equal(turns.running(), 0);
    assert.equal(timers(), timersBefore, 'no poll timer outlives the last waiter');
  });

  test('a release counts once, and a cancelled job stops waiting', async () => {
    const turns = createGiveWay(() => true, 5);
    const first = await turns.take();
    first();
    first();
    assert.equal(turns.running(), 0);
    const holder = await turns.take();
    const abort = new AbortController();
    const waiting = turns.take(abort.signal);
    assert.equal(await settled(waiting), false);
    abort.abort();
    const release = await waiting;
    assert.equal(turns.running(), 2);
    release();
    holder();
  });

  test('crowded: a turn starts no sooner than the gap after the last one ended; busy but not crowded: right away', async () => {
    let crowded = true;
    const turns = createGiveWay(() => true, 2, { when: () => crowded, gapMs: 60 });
    (await turns.take())();
    const ended = performance.now();
    const spaced = await turns.take();
    const waited = performance.now() - ended;
    assert.ok(waited >= 55, `the next turn waited ${waited.toFixed(1)} ms for the 60 ms gap`);
    spaced();
    crowded = false;
    const next = turns.take();
    assert.equal(await settled(next, 20), true, 'not crowded: no gap, only one at a time');
    (await next)();
    assert.equal(turns.running(), 0);
  });
});
