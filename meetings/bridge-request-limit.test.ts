import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../platform/clock.ts';
import { createCmsCluster, type CmsCluster } from '../lab/cms/cms.cluster.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { createMeetingsArea } from './meetings.area.ts';

// #18: a bridge's concurrent-request limit. The Lab cluster refuses (503) any request beyond 2 in
// flight on a node and answers each after 200 ms of clock time; eight meetings with dial-outs due at
// one instant must all start with no request refused, because Switchboard holds its own requests to
// the bridge's maxConcurrentRequests.
describe('Bridge concurrent-request limit', () => {
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  let cms: CmsCluster;
  let t: TestSwitchboard;
  let bridgeId: string;
  const MEETINGS = 8;

  async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, stepMs = 100, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      clock.advance(stepMs);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  before(async () => {
    cms = await createCmsCluster({ name: 'throttling', nodes: [{ name: 'cb-a', host: '127.0.0.1', port: 0 }, { name: 'cb-b', host: '127.0.0.1', port: 0 }], clock, variance: { maxConcurrentRequests: 2 } });
    await cms.start();
    cms.store.create('outboundDialPlanRules', new Map([['domain', '*'], ['priority', '0']]));
    t = await startTestSwitchboard({ clock, areas: [createMeetingsArea({ tickMs: 1000, statusIntervalMs: 1e12, reconcileIntervalMs: 1e12 })], config: { jobPollSeconds: 0.5 } as never });
    const added = await t.api('POST', '/api/v1/meetings/bridges', { address: cms.nodes[0].baseUrl, username: 'admin', password: 'admin', name: 'Throttling' });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    bridgeId = added.body.items[0].id;
  });
  after(async () => {
    await t?.close();
    await cms?.stop();
  });

  test('the limit is a bridge setting: default from the configuration, set and cleared through the API, refused out of range', async () => {
    assert.equal((await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}`)).body.maxConcurrentRequests, null);
    const refused = await t.api('PATCH', `/api/v1/meetings/bridges/${bridgeId}`, { maxConcurrentRequests: 0 });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.code, 'VALIDATION_FAILED');
    const set = await t.api('PATCH', `/api/v1/meetings/bridges/${bridgeId}`, { maxConcurrentRequests: 2, sipDomain: 'lab.local', numericIdBase: 100, numericIdQuantity: MEETINGS });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.equal(set.body.maxConcurrentRequests, 2);
    await until('pool', async () => (await t.api('GET', `/api/v1/jobs/${set.body.poolSyncJobId}`)).body.state === 'completed');
    const bridge = (await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}`)).body;
    assert.equal(bridge.poolState, 'ready', JSON.stringify(bridge));
    assert.deepEqual(cms.concurrency().map((n) => n.throttled), [0, 0]);
  });

  test('meetings due at one instant start, each dial-out placed, and no node saw more than the limit in flight', async () => {
    const ids: string[] = [];
    for (let i = 0; i < MEETINGS; i++) {
      const res = await t.api('POST', '/api/v1/meetings/bookings', { title: `Burst ${i}`, start: '2026-03-02T09:00:00Z', durationMinutes: 30, timeZone: 'UTC', bridgeId, dialOut: [`room${i}@example.com`] });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      ids.push((await t.api('GET', `/api/v1/meetings/bookings/${res.body.id}`)).body.occurrences[0].id);
    }
    cms.resetConcurrency();
    for (const node of cms.nodes) await cms.setFaults(node.name, { slowMs: 200 });
    clock.set('2026-03-02T08:59:50Z');
    // Short-circuits at the first meeting not there yet: the probe stays cheap on a busy machine.
    let done = 0;
    await until('every meeting started with its dial-out connected', async () => {
      while (done < ids.length) {
        const m = (await t.api('GET', `/api/v1/meetings/meetings/${ids[done]}`)).body;
        if (m.state !== 'ongoing' || m.legs?.[0]?.outcome !== 'connected') return false;
        done++;
      }
      return true;
    }, 250, 240_000);
    const seen = cms.concurrency();
    assert.deepEqual(seen.map((n) => n.throttled), [0, 0], JSON.stringify(seen));
    for (const n of seen) assert.ok(n.peak <= 2, `${n.node} saw ${n.peak} requests at once`);
    // The limit was reached (requests queued in Switchboard rather than going out one by one).
    assert.ok(seen.some((n) => n.peak === 2), JSON.stringify(seen));
    for (const node of cms.nodes) await cms.clearFaults(node.name);
  });
});
