import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../platform/clock.ts';
import { createCmsCluster, type CmsCluster } from '../lab/cms/cms.cluster.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { createMeetingsArea } from './meetings.area.ts';

// End to end against the Lab's CMS simulator: M1–M9, M11, M12, M15 and the seed's full sequence.
const host = (url: string) => url.replace(/^https?:\/\//, '');

describe('Meetings end to end (seed 000 sequence)', () => {
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  let cms: CmsCluster;
  let t: TestSwitchboard;
  let bridgeId: string;

  /** Moves the clock in small steps until `probe` holds (jobs and the simulator run on it). */
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

  before(async () => {
    cms = await createCmsCluster({
      name: 'seed',
      nodes: [{ name: 'CallBridge-Core1', host: '127.0.0.1', port: 0 }, { name: 'CallBridge-Core2', host: '127.0.0.1', port: 0 }],
      users: [{ name: 'admin', password: 'secret-pw' }],
      clock,
      dialRules: [{ match: 'busy*', outcome: 'busy' }],
    });
    await cms.start();
    cms.store.create('outboundDialPlanRules', new Map([['domain', '*'], ['priority', '0']]));
    t = await startTestSwitchboard({ clock, areas: [createMeetingsArea({ tickMs: 1000, statusIntervalMs: 5000, backoffMs: 200, reconcileIntervalMs: 1e12 })], config: { jobPollSeconds: 0.5 } as never });
  });
  after(async () => {
    await t?.close();
    await cms?.stop();
  });

  test('M1/M2/M5/M6: add by host:port with a blank name — added despite warnings, tickets, cluster found', async () => {
    const bad = await t.api('POST', '/api/v1/meetings/bridges', { address: host(cms.nodes[0].baseUrl), username: 'admin', password: 'wrong', tls: false });
    // The bridge answered and refused the credentials the operator typed: theirs to fix (#13), not a gateway error.
    assert.equal(bad.status, 422);
    assert.equal(bad.body.error.code, 'UPSTREAM_REFUSED_CREDENTIALS');
    assert.match(bad.body.error.message, /Authentication failed/);

    const res = await t.api('POST', '/api/v1/meetings/bridges', { address: host(cms.nodes[0].baseUrl), username: 'admin', password: 'secret-pw', tls: false, ipZone: 'Test Zone', timeZone: 'America/New_York' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const [added] = res.body.items;
    assert.equal(added.systemType, 'Cisco Meeting Server');
    assert.equal(added.description, 'System added despite warnings');
    assert.equal(added.systemName, `No Name (${host(cms.nodes[0].baseUrl)})`);
    bridgeId = added.id;

    const detail = await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}`);
    assert.equal(detail.body.status, 'Idle');
    assert.equal(detail.body.connectivity, 'reachable');
    assert.ok(detail.body.callProfileId && detail.body.callLegProfileId);
    assert.equal(JSON.stringify(detail.body).includes('secret-pw'), false);
    assert.equal('passwordSealed' in detail.body, false);
    const titles = detail.body.tickets.map((x: any) => `${x.title}: ${x.detail}`).sort();
    assert.deepEqual(titles, ['Blank System Name: The name of the system is blank.', 'Dial Number Configuration Error: Domain, Numeric ID Base and Numeric ID Quantity details are not set.']);
    assert.equal(detail.body.nodes.length, 2);
    assert.equal(detail.body.nodes.filter((n: any) => n.primary).length, 1);

    const second = await t.api('POST', '/api/v1/meetings/bridges', { address: host(cms.nodes[1].baseUrl), username: 'admin', password: 'secret-pw', tls: false });
    assert.equal(second.status, 409);
    assert.equal(second.body.error.message, `The ${host(cms.nodes[1].baseUrl)} is part of a clustered call bridge and has already been added through ${host(cms.nodes[0].baseUrl)}. Retry after entering a new IP.`);
  });

  test('M4/M7/M2: settings are validated; pool synced by a job with progress; tickets close themselves', async () => {
    const invalid = await t.api('PATCH', `/api/v1/meetings/bridges/${bridgeId}`, { sipDomain: 'not a domain', numericIdQuantity: 0 });
    assert.equal(invalid.status, 400);
    const res = await t.api('PATCH', `/api/v1/meetings/bridges/${bridgeId}`, { name: 'CMS Core Primary', sipDomain: 'lab.local', numericIdBase: 1, numericIdQuantity: 2 });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const jobId = res.body.poolSyncJobId;
    assert.ok(jobId);
    const job = await until('pool sync job', async () => {
      const j = await t.api('GET', `/api/v1/jobs/${jobId}`);
      return ['completed', 'failed'].includes(j.body.state) && j.body;
    });
    assert.equal(job.state, 'completed', JSON.stringify(job.error));
    assert.equal(job.progressPercent, 100);
    const pool = await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/pool`);
    assert.deepEqual(pool.body.items.map((s: any) => [s.slot, s.uri, s.callId]), [[1, '1', '1'], [2, '2', '2']]);
    const detail = await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}`);
    assert.deepEqual(detail.body.tickets, []);
    assert.equal(detail.body.name, 'CMS Core Primary');
  });

  let bookingId: string;
  test('M8: book with a time zone; the third overlapping booking is refused naming the time; ics export', async () => {
    const book = (title: string, start: string, extra: Record<string, unknown> = {}) =>
      t.api('POST', '/api/v1/meetings/bookings', { title, start, durationMinutes: 60, timeZone: 'America/New_York', bridgeId, ...extra });
    const first = await book('Tim Kratzke Acano TMSXE Test Meeting', '2026-03-02T04:00', { passcode: '1234', dialOut: ['desk.ex90@tkratzke.local'], earlyJoinMinutes: 5 });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(first.body.startAt, '2026-03-02T09:00:00.000Z');
    assert.equal(first.body.hasPasscode, true);
    bookingId = first.body.id;
    const second = await book('Overlap', '2026-03-02T04:30');
    assert.equal(second.status, 201);
    const third = await book('No room', '2026-03-02T04:45');
    assert.equal(third.status, 409);
    assert.match(third.body.error.message, /No free meeting slot on CMS Core Primary at 2026-03-02 04:45 \(America\/New_York\)/);
    const ics = await t.api('GET', `/api/v1/meetings/bookings/${bookingId}/ical`);
    assert.equal(ics.status, 200);
    assert.match(String(ics.body), /BEGIN:VCALENDAR[\s\S]*SUMMARY:Tim Kratzke Acano TMSXE Test Meeting/);
    const weekly = await book('Weekly', '2026-03-03T10:00', { recurrence: 'FREQ=WEEKLY;COUNT=3' });
    assert.equal(weekly.status, 201);
    assert.equal(weekly.body.occurrences, 3);
    // cancel the overlap so only our seed meeting runs
    assert.equal((await t.api('DELETE', `/api/v1/meetings/bookings/${second.body.id}`)).status, 200);
  });

  test('M9/M11/M12/M15: the seed meeting starts at start − early join, extends and ends in 5 bridge calls', async () => {
    const booking = await t.api('GET', `/api/v1/meetings/bookings/${bookingId}`);
    const occId = booking.body.occurrences[0].id;
    clock.set('2026-03-02T08:55:00Z');
    const ongoing = await until('meeting ongoing', async () => {
      const m = await t.api('GET', `/api/v1/meetings/meetings/${occId}`);
      return m.body.state === 'ongoing' && m.body.legs.every((l: any) => l.outcome !== 'placing') && m.body;
    });
    assert.equal(ongoing.slot, 1);
    const space = cms.store.get('coSpaces', ongoing.coSpaceId) as any;
    assert.ok(space);
    assert.equal(ongoing.legs[0].outcome, 'placed');
    // the leg connects on the simulator; the CDR tells us
    await until('leg connected (CDR)', async () => {
      const m = await t.api('GET', `/api/v1/meetings/meetings/${occId}`);
      return m.body.legs[0].outcome === 'connected';
    }, 200);

    const ext = await t.api('POST', `/api/v1/meetings/meetings/${occId}/extend`, { minutes: 15 });
    assert.equal(ext.status, 200, JSON.stringify(ext.body));
    assert.equal(ext.body.endAt, '2026-03-02T10:15:00.000Z');

    clock.set('2026-03-02T10:15:00Z');
    await until('meeting ended', async () => (await t.api('GET', `/api/v1/meetings/meetings/${occId}`)).body.state === 'ended');
    const pool = await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/pool`);
    assert.equal(pool.body.items[0].occurrenceId, null);

    // The lifecycle's own calls are those on its space and its call. Background jobs (status polls,
    // a pool reconcile) may read the bridge meanwhile; they must never write to it.
    const windowStart = '2026-03-02T08:55:00.000Z';
    const trace = await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/trace?limit=200&from=${windowStart}`);
    const entries = trace.body.items.slice().reverse();
    const ours = (e: { method: string; path: string; requestBody: string | null }) =>
      e.path.includes(ongoing.coSpaceId) || e.path.includes(`/calls/${ongoing.callId}`) || (e.method === 'POST' && e.path === '/api/v1/calls' && (e.requestBody ?? '').includes(`coSpace=${ongoing.coSpaceId}`));
    const lifecycle = entries.filter(ours);
    assert.deepEqual(entries.filter((e: any) => !ours(e) && e.method !== 'GET'), [], 'no other write reached the bridge');
    assert.deepEqual(lifecycle.map((e: any) => `${e.method} ${e.path.replace(/[0-9a-f-]{36}/g, ':id')}`), [
      'PUT /api/v1/coSpaces/:id',
      'POST /api/v1/calls',
      'POST /api/v1/calls/:id/callLegs',
      'PUT /api/v1/coSpaces/:id',
      'PUT /api/v1/coSpaces/:id',
      'DELETE /api/v1/calls/:id',
    ]);
    // The simulators saw the same writes, and nothing else from Switchboard (5 calls + the extend PUT).
    const onBridge = cms.nodes.flatMap((n) => cms.trace(n.name)).filter((e) => e.at >= windowStart && e.method !== 'GET').sort((a, b) => a.at.localeCompare(b.at));
    assert.equal(onBridge.length, 6, onBridge.map((e) => `${e.method} ${e.path}`).join('\n'));
    const put = lifecycle[0];
    assert.match(put.requestBody, /passcode=\*\*\*\*\*/);
    assert.match(put.requestBody, /secret=\*\*\*\*\*/);
    assert.match(lifecycle[4].requestBody, /nonMemberAccess=false/);
    assert.match(lifecycle[4].requestBody, /regenerateSecret=true/);
    assert.match(lifecycle[4].requestBody, /name=TMS_Scheduled_Meeting_1/);
    const puts = await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/trace?method=PUT&path=coSpaces`);
    assert.ok(puts.body.total >= 3);
    const history = await t.api('GET', `/api/v1/meetings/meetings/${occId}`);
    assert.ok(history.body.history.some((r: any) => r.type === 'callLegEnd'));
  });

  test('M7: changing the quantity grows and shrinks the pool', async () => {
    const sync = async (quantity: number) => {
      const res = await t.api('PATCH', `/api/v1/meetings/bridges/${bridgeId}`, { numericIdQuantity: quantity });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const job = await until('pool sync', async () => {
        const j = (await t.api('GET', `/api/v1/jobs/${res.body.poolSyncJobId}`)).body;
        return ['completed', 'failed'].includes(j.state) && j;
      });
      assert.equal(job.state, 'completed', JSON.stringify(job.error));
      return (await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/pool`)).body.items.map((s: any) => s.uri);
    };
    assert.deepEqual(await sync(3), ['1', '2', '3']);
    assert.deepEqual(await sync(2), ['1', '2']);
  });
});
