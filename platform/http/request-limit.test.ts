import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequestLimit, instanceShare } from './request-limit.ts';

function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

test('at most `limit` run at once, the others start in arrival order as earlier ones finish', async () => {
  const limit = createRequestLimit(2);
  const gates = [gate(), gate(), gate(), gate()];
  const started: number[] = [];
  const runs = gates.map((g, i) => limit.run(async () => {
    started.push(i);
    await g.promise;
    return i;
  }));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1]);
  assert.equal(limit.inFlight, 2);
  assert.equal(limit.waiting, 2);
  gates[1].open();
  await runs[1];
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1, 2]);
  gates[0].open();
  gates[2].open();
  gates[3].open();
  assert.deepEqual(await Promise.all(runs), [0, 1, 2, 3]);
  assert.equal(limit.peak, 2);
  assert.equal(limit.inFlight, 0);
});

test('a failed request frees its place; a changed limit applies to the requests waiting', async () => {
  const limit = createRequestLimit(1);
  await assert.rejects(limit.run(async () => {
    throw new Error('refused');
  }), /refused/);
  assert.equal(limit.inFlight, 0);
  const hold = gate();
  const first = limit.run(() => hold.promise);
  let second = false;
  const waiting = limit.run(async () => {
    second = true;
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(second, false);
  limit.setLimit(2);
  await waiting;
  assert.equal(second, true);
  hold.open();
  await first;
});

test('each of N instances sends at most its share of a bridge limit, at least one request', () => {
  assert.equal(instanceShare(4, 1), 4);
  assert.equal(instanceShare(4, 2), 2);
  assert.equal(instanceShare(10, 4), 2);
  assert.equal(instanceShare(4, 4), 1);
  // More instances than the limit: each still needs one request to reach the bridge (documented).
  assert.equal(instanceShare(2, 4), 1);
});
