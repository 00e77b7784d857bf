import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../platform/clock.ts';
import { createCmsCluster, type CmsCluster } from '../lab/cms/cms.cluster.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { createMeetingsArea } from './meetings.area.ts';

// M3 status and credentials tickets, M8 recurrence/time zones/one winner for the last slot,
// M14 routing, M10 live control, M12 end retried while the bridge is unreachable.
describe('Meetings: bookings, routing, control, status', () => {
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  let east: CmsCluster;
  let west: CmsCluster;
  let t: TestSwitchboard;
  const ids: Record<string, string> = {};

  async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, stepMs = 500, timeoutMs = 40_000): Promise<T> {
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
  const book = (body: Record<string, unknown>) => t.api('POST', '/api/v1/meetings/bookings', { durationMinutes: 60, timeZone: 'UTC', ...body });

  async function addBridge(cms: CmsCluster, name: string, zone: string, base: number, quantity: number) {
    const added = await t.api('POST', '/api/v1/meetings/bridges', { address: cms.nodes[0].baseUrl, username: 'admin', password: 'admin', name, ipZone: zone });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const id = added.body.items[0].id;
    const patched = await t.api('PATCH', `/api/v1/meetings/bridges/${id}`, { sipDomain: 'lab.local', numericIdBase: base, numericIdQuantity: quantity });
    await until('pool', async () => (await t.api('GET', `/api/v1/jobs/${patched.body.poolSyncJobId}`)).body.state === 'completed');
    return id;
  }

  before(async () => {
    east = await createCmsCluster({ name: 'east', nodes: [{ name: 'east-1', host: '127.0.0.1', port: 0 }], clock });
    west = await createCmsCluster({ name: 'west', nodes: [{ name: 'west-1', host: '127.0.0.1', port: 0 }], clock });
    for (const c of [east, west]) {
      await c.start();
      c.store.create('outboundDialPlanRules', new Map([['domain', '*'], ['priority', '0']]));
    }
    t = await startTestSwitchboard({ clock, areas: [createMeetingsArea({ tickMs: 1000, statusIntervalMs: 600_000, backoffMs: 200 })], config: { jobPollSeconds: 0.5 } as never });
    ids.east = await addBridge(east, 'East CMS', 'East', 1, 3);
    ids.west = await addBridge(west, 'West CMS', 'West', 500, 1);
  });
  after(async () => {
    await t?.close();
    await east?.stop();
    await west?.stop();
  });

  test('M8: weekly recurrence keeps its wall time across daylight saving; exceptions; per-occurrence edit', async () => {
    const res = await book({ title: 'Weekly sync', start: '2026-03-23T10:00', timeZone: 'Europe/Berlin', recurrence: 'FREQ=WEEKLY;COUNT=4', exceptions: ['2026-04-06T10:00'], bridgeId: ids.east });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const detail = (await t.api('GET', `/api/v1/meetings/bookings/${res.body.id}`)).body;
    assert.deepEqual(detail.occurrences.map((o: any) => o.startAt), ['2026-03-23T09:00:00.000Z', '2026-03-30T08:00:00.000Z', '2026-04-13T08:00:00.000Z']);
    const moved = await t.api('PATCH', `/api/v1/meetings/bookings/${res.body.id}/occurrences/${detail.occurrences[1].id}`, { start: '2026-03-31T15:00' });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.equal(moved.body.startAt, '2026-03-31T13:00:00.000Z');
    const bad = await book({ title: 'x', start: '2026-03-23T10:00', timeZone: 'Mars/Olympus', bridgeId: ids.east });
    assert.equal(bad.status, 400);
    // A bad rule is named in words, as an issue of the recurrence field (was "Invalid frequency: undefined undefined").
    const badRule = await book({ title: 'x', start: '2026-03-23T10:00', recurrence: 'FREQ=SOMETIMES', bridgeId: ids.east });
    assert.equal(badRule.status, 400);
    assert.deepEqual(badRule.body.error.details.issues.map((i: any) => [i.path, i.message]), [['recurrence', '"SOMETIMES" is not a frequency: use FREQ=DAILY, WEEKLY, MONTHLY or YEARLY.']]);
    for (const [rule, words] of [['BYDAY=MO', /Say how often it repeats with FREQ/], ['FREQ=WEEKLY;BYDAY=XX', /"XX" is not a weekday/], ['FREQ=WEEKLY;COUNT=abc', /COUNT must be a whole number/], ['FREQ=WEEKLY;UNTIL=soon', /UNTIL must be a date/], ['FREQ=WEEKLY;COUNT=2;UNTIL=20260401', /COUNT or UNTIL, not both/], ['FREQ=DAILY;FOO=1', /"FOO=1" is not part of a repeat rule/]] as const) {
      const refused = await book({ title: 'x', start: '2026-03-23T10:00', recurrence: rule, bridgeId: ids.east });
      assert.equal(refused.status, 400, rule);
      assert.match(refused.body.error.details.issues[0].message, words, rule);
      assert.doesNotMatch(JSON.stringify(refused.body), /undefined|Cannot read/, rule);
    }
    const badDuration = await book({ title: 'x', start: '2026-03-23T10:00', durationMinutes: 0, bridgeId: ids.east });
    assert.deepEqual(badDuration.body.error.details.issues.map((i: any) => [i.path, i.message]), [['durationMinutes', 'A meeting lasts at least 1 minute.']]);
    const ics = await t.api('GET', `/api/v1/meetings/bookings/${res.body.id}/ical`);
    assert.equal((String(ics.body).match(/BEGIN:VEVENT/g) ?? []).length, 3);
  });

  test('M8: concurrent requests for the last slot — exactly one winner', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => book({ title: `Race ${i}`, start: '2026-03-05T12:00:00Z', bridgeId: ids.west })));
    assert.deepEqual(results.map((r) => r.status).sort(), [201, 409, 409, 409, 409, 409]);
    assert.match(results.find((r) => r.status === 409)!.body.error.message, /at 2026-03-05 12:00 \(UTC\)/);
  });

  test('M14: routed by zone, then to the bridge with free slots', async () => {
    const first = await book({ title: 'Routed', start: '2026-03-06T12:00:00Z', zone: 'West' });
    assert.equal(first.body.bridgeId, ids.west);
    const second = await book({ title: 'Routed 2', start: '2026-03-06T12:30:00Z', zone: 'West' });
    assert.equal(second.status, 201);
    assert.equal(second.body.bridgeId, ids.east);
  });

  test('M3/M10: status polled; live legs, add participant, mute, message, lock, drop leg, end now', async () => {
    const res = await book({ title: 'Controlled', start: '2026-03-02T09:00:00Z', bridgeId: ids.east, dialOut: ['alice@example.com'] });
    const occId = (await t.api('GET', `/api/v1/meetings/bookings/${res.body.id}`)).body.occurrences[0].id;
    clock.set('2026-03-02T09:00:00Z');
    await until('connected', async () => (await meeting(occId)).legs[0]?.outcome === 'connected');
    const added = await t.api('POST', `/api/v1/meetings/meetings/${occId}/participants`, { remoteParty: 'carol@example.com' });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    assert.equal(added.body.outcome, 'placed');
    await until('two live legs', async () => {
      const m = (await t.api('GET', `/api/v1/meetings/meetings/${occId}?live=true`)).body;
      return m.liveLegs?.length === 2;
    });
    const alice = (await meeting(occId)).legs.find((l: any) => l.remoteParty === 'alice@example.com');
    const live = async () => (await t.api('GET', `/api/v1/meetings/meetings/${occId}?live=true`)).body;
    const aliceLive = async () => (await live()).liveLegs.find((l: any) => l.callLegId === alice.callLegId);
    assert.deepEqual(await aliceLive(), { callLegId: alice.callLegId, remoteParty: 'alice@example.com', name: (await aliceLive()).name, state: 'connected', audioMuted: false, videoMuted: false });
    assert.equal((await live()).locked, false);
    assert.equal((await t.api('PATCH', `/api/v1/meetings/meetings/${occId}/legs/${alice.callLegId}`, { audioMuted: true })).status, 200);
    assert.equal((await t.api('PATCH', `/api/v1/meetings/meetings/${occId}/legs/${alice.callLegId}`, { videoMuted: true })).status, 200);
    assert.deepEqual([(await aliceLive()).audioMuted, (await aliceLive()).videoMuted], [true, true]);
    assert.equal((await t.api('PATCH', `/api/v1/meetings/meetings/${occId}`, { messageText: 'Welcome', locked: true })).status, 200);
    assert.deepEqual([(await live()).locked, (await live()).messageText], [true, 'Welcome']);
    // Without live=true nothing is asked of the bridge.
    assert.deepEqual([(await meeting(occId)).liveLegs, (await meeting(occId)).locked], [null, null]);
    const call = east.nodes[0].bridge;
    assert.ok(call);
    assert.equal((await t.api('DELETE', `/api/v1/meetings/meetings/${occId}/legs/${alice.callLegId}`)).status, 200);
    await until('alice dropped', async () => (await meeting(occId)).legs.find((l: any) => l.remoteParty === 'alice@example.com').outcome === 'dropped');

    const poll = await t.api('POST', `/api/v1/meetings/bridges/${ids.east}/poll`);
    await until('poll', async () => (await t.api('GET', `/api/v1/jobs/${poll.body.jobId}`)).body.state === 'completed');
    const status = (await t.api('GET', `/api/v1/meetings/bridges/${ids.east}`)).body;
    assert.equal(status.status, 'In use');
    assert.ok(status.callLegsActive >= 1);
    assert.ok(status.weekBookings >= 1);

    const trace = await t.api('GET', `/api/v1/meetings/bridges/${ids.east}/trace?method=PUT&path=/calls/`);
    assert.ok(trace.body.items.some((e: any) => /messageText=Welcome/.test(e.requestBody) && /locked=true/.test(e.requestBody)));
    const ended = await t.api('POST', `/api/v1/meetings/meetings/${occId}/end`);
    assert.equal(ended.status, 200);
    await until('ended', async () => (await meeting(occId)).state === 'ended');
  });

  test('M12: the bridge is unreachable at end time — the end is retried until done; M2 credentials ticket', async () => {
    const res = await book({ title: 'Ends while down', start: '2026-03-02T11:00:00Z', durationMinutes: 30, bridgeId: ids.east });
    const occId = (await t.api('GET', `/api/v1/meetings/bookings/${res.body.id}`)).body.occurrences[0].id;
    clock.set('2026-03-02T11:00:00Z');
    await until('ongoing', async () => (await meeting(occId)).state === 'ongoing');
    await east.setFaults('east-1', { down: true });
    clock.set('2026-03-02T11:30:00Z');
    await until('end attempted and failed', async () => {
      const jobs = (await t.api('GET', `/api/v1/jobs?queue=meetings.end-meeting&entityId=${occId}`)).body.items;
      return jobs[0]?.attempts >= 2;
    }, 1000);
    assert.equal((await meeting(occId)).state, 'ending');
    await east.clearFaults('east-1');
    await until('ended after the bridge came back', async () => (await meeting(occId)).state === 'ended', 1000, 60_000);
    const pool = (await t.api('GET', `/api/v1/meetings/bridges/${ids.east}/pool`)).body.items;
    assert.ok(pool.every((s: any) => s.occurrenceId === null));

    await east.setFaults('east-1', { unauthorized: true });
    const poll = await t.api('POST', `/api/v1/meetings/bridges/${ids.east}/poll`);
    await until('poll', async () => (await t.api('GET', `/api/v1/jobs/${poll.body.jobId}`)).body.state === 'completed');
    const tickets = (await t.api('GET', `/api/v1/meetings/bridges/${ids.east}/tickets?state=open`)).body.items;
    assert.deepEqual(tickets.map((x: any) => x.title), ['Authentication Failed']);
    // M2: the bridge list counts it; acknowledged, it moves to the other count.
    const counts = async () => (await t.api('GET', '/api/v1/meetings/bridges')).body.items.find((b: any) => b.id === ids.east);
    assert.deepEqual([(await counts()).openTickets, (await counts()).acknowledgedTickets], [1, 0]);
    assert.equal((await t.api('POST', `/api/v1/meetings/bridges/${ids.east}/tickets/${tickets[0].id}/acknowledge`)).status, 200);
    assert.deepEqual([(await counts()).openTickets, (await counts()).acknowledgedTickets], [0, 1]);
    assert.equal((await t.api('GET', `/api/v1/meetings/bridges/${ids.east}`)).body.connectivity, 'auth_failed');
    await east.clearFaults('east-1');
    const again = await t.api('POST', `/api/v1/meetings/bridges/${ids.east}/poll`);
    await until('poll', async () => (await t.api('GET', `/api/v1/jobs/${again.body.jobId}`)).body.state === 'completed');
    assert.deepEqual((await t.api('GET', `/api/v1/meetings/bridges/${ids.east}/tickets?state=open`)).body.items, []);
  });

  test('M8: a series without an end is materialised ahead as time passes (no occurrence cap)', async () => {
    const res = await book({ title: 'Daily stand-up', start: '2026-05-01T07:00:00Z', durationMinutes: 15, recurrence: 'FREQ=DAILY', bridgeId: ids.east });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const before = res.body.occurrences;
    assert.ok(before > 300, `${before} occurrences`);
    clock.set(new Date(clock.now().getTime() + 20 * 86_400_000));
    const grown = await until('series extended', async () => {
      const n = (await t.api('GET', `/api/v1/meetings/bookings/${res.body.id}`)).body.occurrences.length;
      return n > before && n;
    }, 1000);
    assert.ok(grown >= before + 19, `${before} → ${grown}`);
  });
});
