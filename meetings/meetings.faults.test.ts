import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../platform/clock.ts';
import { createCmsCluster, type CmsCluster } from '../lab/cms/cms.cluster.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { createMeetingsArea } from './meetings.area.ts';
import { cmsClient } from '../lab/cms/cms.testkit.ts';

// Fault matrix (M9, M13): node down before start, 503 on POST /calls, one dial-out failing while
// another connects, node dying mid-meeting (re-created on a healthy node within 30 s).
describe('Meetings under faults', () => {
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  let cms: CmsCluster;
  let t: TestSwitchboard;
  let bridgeId: string;
  const [a, b] = ['cb-a', 'cb-b'];

  async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, stepMs = 500, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      clock.advance(stepMs);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  const meeting = async (id: string) => (await t.api('GET', `/api/v1/meetings/meetings/${id}`)).body;
  async function book(title: string, startIso: string, dialOut: string[]) {
    const res = await t.api('POST', '/api/v1/meetings/bookings', { title, start: startIso, durationMinutes: 30, timeZone: 'UTC', bridgeId, dialOut });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return (await t.api('GET', `/api/v1/meetings/bookings/${res.body.id}`)).body.occurrences[0].id as string;
  }

  before(async () => {
    cms = await createCmsCluster({ name: 'faults', nodes: [{ name: a, host: '127.0.0.1', port: 0 }, { name: b, host: '127.0.0.1', port: 0 }], clock, dialRules: [{ match: 'busy*', outcome: 'busy' }] });
    await cms.start();
    cms.store.create('outboundDialPlanRules', new Map([['domain', '*'], ['priority', '0']]));
    t = await startTestSwitchboard({ clock, areas: [createMeetingsArea({ tickMs: 1000, statusIntervalMs: 5000, backoffMs: 200 })], config: { jobPollSeconds: 0.5 } as never });
    const added = await t.api('POST', '/api/v1/meetings/bridges', { address: cms.nodes[0].baseUrl, username: 'admin', password: 'admin', name: 'Faulty' });
    bridgeId = added.body.items[0].id;
    const patched = await t.api('PATCH', `/api/v1/meetings/bridges/${bridgeId}`, { sipDomain: 'lab.local', numericIdBase: 100, numericIdQuantity: 3 });
    await until('pool', async () => (await t.api('GET', `/api/v1/jobs/${patched.body.poolSyncJobId}`)).body.state === 'completed');
  });
  after(async () => {
    await t?.close();
    await cms?.stop();
  });

  test('primary node down before start: the meeting starts on the other node of the cluster', async () => {
    await cms.setFaults(a, { down: true });
    const id = await book('Node down', '2026-03-02T08:10:00Z', []);
    clock.set('2026-03-02T08:10:00Z');
    const m = await until('started', async () => ((await meeting(id)).state === 'ongoing' ? meeting(id) : undefined));
    const nodes = (await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/nodes`)).body.items;
    assert.equal(nodes.find((n: any) => n.id === m.nodeId).name, b);
    assert.equal(nodes.find((n: any) => n.name === a).healthy, false);
    await cms.clearFaults(a);
    await t.api('POST', `/api/v1/meetings/meetings/${id}/end`);
    await until('ended', async () => (await meeting(id)).state === 'ended');
  });

  let liveId: string;
  test('503 on POST /calls is retried; one dial-out fails while the other connects', async () => {
    await until('node a healthy again', async () => (await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/nodes`)).body.items.every((n: any) => n.healthy));
    await cms.setFaults(a, { failNext: [{ path: '/api/v1/calls', method: 'POST', count: 1, status: 503 }] });
    liveId = await book('Flaky', '2026-03-02T09:00:00Z', ['alice@example.com', 'busy.bob@example.com']);
    clock.set('2026-03-02T09:00:00Z');
    await until('legs settled', async () => {
      const m = await meeting(liveId);
      const outcomes = Object.fromEntries(m.legs.map((l: any) => [l.remoteParty, l.outcome]));
      return m.state === 'ongoing' && outcomes['alice@example.com'] === 'connected' && outcomes['busy.bob@example.com'] === 'failed';
    }, 300);
    const trace = (await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/trace?method=POST&path=/calls&limit=20`)).body.items;
    assert.ok(trace.some((e: any) => e.status === 503 && e.path === '/api/v1/calls'));
  });

  test('M13: the node dies mid-meeting — the call is re-created on a healthy node within 30 s, ticket and audit', async () => {
    const before = await meeting(liveId);
    const died = clock.now().getTime();
    await cms.setFaults(a, { down: true });
    const moved = await until('failover', async () => {
      const m = await meeting(liveId);
      return m.failovers === 1 && m.callId !== before.callId && m.legs.some((l: any) => l.remoteParty === 'alice@example.com' && ['placed', 'connected'].includes(l.outcome)) && m;
    });
    assert.ok(clock.now().getTime() - died <= 30_000, `took ${clock.now().getTime() - died} ms`);
    const nodes = (await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/nodes`)).body.items;
    assert.equal(nodes.find((n: any) => n.id === moved.nodeId).name, b);
    const tickets = (await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/tickets?state=open`)).body.items.map((x: any) => x.title);
    assert.ok(tickets.includes('Meeting Failover'));
    assert.ok(tickets.includes('Connection Error'));
    const audit = await t.api('GET', `/api/v1/audit?action=meeting.failover`);
    assert.ok(JSON.stringify(audit.body).includes('meeting.failover'));
    await cms.clearFaults(a);
    await until('Connection Error closes itself', async () => !(await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/tickets?state=open`)).body.items.some((x: any) => x.title === 'Connection Error'));
  });

  test('M7: spaces deleted or changed on the bridge — drift ticket, repaired, ticket closes on the next check', async () => {
    const cmsApi = cmsClient(cms.nodes[1].baseUrl);
    const slots = (await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/pool`)).body.items;
    const free = slots.filter((s: any) => s.occurrenceId === null);
    assert.ok(free.length >= 2);
    assert.equal((await cmsApi('DELETE', `/api/v1/coSpaces/${free[0].coSpaceId}`)).status, 200);
    assert.equal((await cmsApi('PUT', `/api/v1/coSpaces/${free[1].coSpaceId}`, { name: 'Someone else\'s space' })).status, 200);
    const run = async () => {
      const job = await t.api('POST', `/api/v1/meetings/bridges/${bridgeId}/pool/reconcile`);
      return until('reconcile', async () => {
        const j = (await t.api('GET', `/api/v1/jobs/${job.body.jobId}`)).body;
        return ['completed', 'failed'].includes(j.state) && j;
      });
    };
    const first = await run();
    assert.equal(first.state, 'completed', JSON.stringify(first.error));
    assert.equal(first.result.drift, 2);
    const open = (await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/tickets?state=open`)).body.items.find((x: any) => x.title === 'Scheduled Space Pool Drift');
    assert.ok(open, 'drift ticket');
    assert.match(open.detail, /missing/);
    const repaired = (await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/pool`)).body.items;
    const slot0 = repaired.find((s: any) => s.slot === free[0].slot);
    assert.notEqual(slot0.coSpaceId, free[0].coSpaceId);
    const got = await cmsApi('GET', `/api/v1/coSpaces/${slot0.coSpaceId}`);
    assert.match(got.body, /<name>TMS_Scheduled_Meeting_\d+<\/name>/);
    assert.match((await cmsApi('GET', `/api/v1/coSpaces/${free[1].coSpaceId}`)).body, /TMS_Scheduled_Meeting_/);
    const second = await run();
    assert.equal(second.result.drift, 0);
    assert.equal((await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/tickets?state=open`)).body.items.some((x: any) => x.title === 'Scheduled Space Pool Drift'), false);
  });
});
