import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../platform/clock.ts';
import { createCmsCluster, type CmsCluster } from '../lab/cms/cms.cluster.ts';
import { createTmsSimulator, type TmsSimulator } from '../lab/tms/tms.simulator.ts';
import { seedTmsLab, type TmsSeed } from '../lab/tms/tms.seed.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { createMeetingsArea } from './meetings.area.ts';

// #16 part 2: the import from a running TMS, end to end against the Lab TMS simulator — dry-run
// report, the import job, the bookings seen through the REST API, a re-run, --follow, refusals.

describe('TMS import (#16 part 2)', () => {
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  let cms: CmsCluster;
  let tms: TmsSimulator;
  let t: TestSwitchboard;
  let seed: TmsSeed;
  let bridgeId: string;
  let conflictA: number;
  let conflictB: number;
  const source = () => ({ url: tms.url, username: 'tms-admin', password: 'tms-password' });

  async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, stepMs = 500, timeoutMs = 120_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      clock.advance(stepMs);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async function runImport() {
    const sent = await t.api('POST', '/api/v1/meetings/tms-import', source());
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    const job = await until('the import job', async () => {
      const j = (await t.api('GET', `/api/v1/jobs/${sent.body.jobId}`)).body;
      return ['completed', 'failed', 'cancelled'].includes(j.state) ? j : undefined;
    });
    assert.equal(job.state, 'completed', JSON.stringify(job.error));
    assert.equal(job.progressPercent, 100);
    assert.equal(JSON.stringify(job.input).includes('tms-password'), false, 'the password is not in the job as the API shows it');
    return job.result;
  }

  const byConference = (items: any[], id: number) => items.find((i) => i.conferenceId === id);

  before(async () => {
    cms = await createCmsCluster({ name: 'tms-import', nodes: [{ name: 'CallBridge-1', host: '127.0.0.1', port: 0 }], users: [{ name: 'admin', password: 'secret-pw' }], clock });
    await cms.start();
    cms.store.create('outboundDialPlanRules', new Map([['domain', '*'], ['priority', '0']]));
    t = await startTestSwitchboard({
      clock,
      areas: [createMeetingsArea({ tickMs: 1000, statusIntervalMs: 5000, backoffMs: 200, reconcileIntervalMs: 1e12 })],
      config: { jobPollSeconds: 0.5 } as never,
    });
    const address = cms.nodes[0].baseUrl.replace(/^http:\/\//, '');
    const added = await t.api('POST', '/api/v1/meetings/bridges', { address, username: 'admin', password: 'secret-pw', tls: false });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    bridgeId = added.body.items[0].id;
    // Two slots: the third meeting at one time conflicts.
    const pool = await t.api('PATCH', `/api/v1/meetings/bridges/${bridgeId}`, { name: 'CMS Lab', sipDomain: 'lab.local', numericIdBase: 1, numericIdQuantity: 2 });
    assert.equal(pool.status, 200, JSON.stringify(pool.body));
    await until('pool sync', async () => ['completed', 'failed'].includes((await t.api('GET', `/api/v1/jobs/${pool.body.poolSyncJobId}`)).body.state));

    tms = createTmsSimulator({ clock, transactionPage: 3 });
    seed = seedTmsLab(tms, { now: clock.now(), cmsAddresses: [address] });
    const single = tms.state.conferences.find((c) => c.ConferenceId === seed.single)!;
    conflictA = tms.book({ Title: 'Same hour A', start: single.start, end: single.end, OwnerUserName: 'anna', systemIds: [seed.mcus[0]], external: [] }).ConferenceId;
    conflictB = tms.book({ Title: 'Same hour B', start: single.start, end: single.end, OwnerUserName: 'anna', systemIds: [seed.mcus[0]], external: [] }).ConferenceId;
    await tms.start();
  });
  after(async () => {
    await t?.close();
    await tms?.stop();
    await cms?.stop();
  });

  test('the dry run reports what would be imported, what conflicts and what cannot be mapped, and books nothing', async () => {
    const res = await t.api('POST', '/api/v1/meetings/tms-import/dry-run', source());
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const report = res.body;
    const system = (id: number) => report.systems.find((s: any) => s.systemId === id);
    assert.deepEqual([system(seed.mcus[0]).mappedAs, system(seed.mcus[0]).by, system(seed.mcus[0]).bridgeId], ['bridge', 'address', bridgeId]);
    assert.deepEqual([system(seed.room).mappedAs, system(seed.room).dialOut], ['dial-out', 'oslo.room@lab.local']);
    assert.equal(system(seed.unmappable).mappedAs, 'unmappable');
    assert.match(system(seed.unmappable).reason, /No bridge has the address 10\.47\.0\.99/);

    assert.equal(byConference(report.items, seed.single).action, 'create');
    assert.equal(byConference(report.items, seed.series).action, 'create');
    assert.equal(byConference(report.items, seed.series).series, true);
    assert.equal(byConference(report.items, seed.defective).action, 'skipped');
    assert.match(byConference(report.items, seed.defective).reason, /Defective on TMS/);
    assert.equal(byConference(report.items, seed.ongoing).action, 'skipped');
    assert.match(byConference(report.items, seed.ongoing).reason, /Running now on TMS/);
    assert.equal(byConference(report.items, seed.onUnmappable).action, 'unmappable');
    assert.match(byConference(report.items, seed.onUnmappable).reason, /Codian MCU 4510.*10\.47\.0\.99/);
    // Each fits alone in the dry run (nothing is booked yet); the import books them in order.
    assert.equal(byConference(report.items, conflictA).action, 'create');
    assert.equal(report.totals.create, 4);
    assert.ok(report.cursor >= 7, `cursor ${report.cursor}`);
    assert.equal((await t.api('GET', '/api/v1/meetings/bookings')).body.total, 0);
  });

  test('the import books the TMS bookings (series with its exceptions), reports the conflict, and is idempotent', async () => {
    const result = await runImport();
    assert.equal(result.outcomes.created, 3, JSON.stringify(result.items));
    assert.equal(result.outcomes.conflict, 1);
    const conflicted = result.items.find((i: any) => i.conferenceId === conflictB || i.conferenceId === conflictA && i.action === 'conflict');
    assert.match(conflicted.reason, /No free meeting slot/);

    const list = (await t.api('GET', '/api/v1/meetings/bookings?limit=100')).body;
    assert.equal(list.total, 3);
    const single = list.items.find((b: any) => b.title === 'Board meeting');
    assert.equal(single.bridgeId, bridgeId);
    assert.equal(single.organizer, 'anna');
    assert.equal(single.externalSourceId, 'TMS');
    assert.deepEqual([...single.dialOut].sort(), ['bob@example.com', 'oslo.room@lab.local']);

    const seriesItem = result.items.find((i: any) => i.conferenceId === seed.series);
    const series = (await t.api('GET', `/api/v1/meetings/bookings/${seriesItem.bookingId}`)).body;
    assert.match(series.recurrence, /FREQ=WEEKLY/);
    assert.match(series.recurrence, /COUNT=8/);
    assert.deepEqual(series.dialOut, ['sip:alice.desk@lab.local']);
    assert.deepEqual(series.dialIn, ['Dial-in guests']);
    const live = series.occurrences.filter((o: any) => o.state !== 'cancelled');
    assert.equal(live.length, 7, 'eight meetings, one deleted on TMS');
    const first = new Date(series.startAt).getTime();
    const week = 7 * 86_400_000;
    const starts = live.map((o: any) => new Date(o.startAt).getTime());
    assert.equal(starts.includes(first + 2 * week), false, 'the deleted meeting is not booked');
    assert.equal(starts.includes(first + 3 * week + 2 * 3_600_000), true, 'the moved meeting is booked at its new time');

    const again = await runImport();
    assert.deepEqual([again.outcomes.created, again.outcomes.unchanged, again.outcomes.updated], [0, 3, 0], JSON.stringify(again.items));
    assert.equal((await t.api('GET', '/api/v1/meetings/bookings')).body.total, 3);
  });

  test('--follow imports a change and a deletion made on the TMS since the cursor', async () => {
    const cursor = (await t.api('POST', '/api/v1/meetings/tms-import/dry-run', source())).body.cursor;
    const single = tms.state.conferences.find((c) => c.ConferenceId === seed.single)!;
    const later = (iso: string) => new Date(new Date(iso).getTime() + 3_600_000).toISOString();
    tms.update(seed.single, { Title: 'Board meeting (moved)', start: later(single.start), end: later(single.end) });
    const a = tms.state.conferences.find((c) => c.ConferenceId === conflictA)!;
    const importedA = (await t.api('GET', '/api/v1/meetings/bookings?limit=100')).body.items.find((b: any) => b.externalPrimaryKey === a.ExternalPrimaryKey);
    tms.delete(conflictA);

    const res = await t.api('POST', '/api/v1/meetings/tms-import/follow', { ...source(), cursor });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.outcomes.updated, 1, JSON.stringify(res.body.items));
    assert.equal(res.body.cursor, cursor + 2);
    const moved = (await t.api('GET', '/api/v1/meetings/bookings?limit=100')).body.items.find((b: any) => b.externalPrimaryKey === single.ExternalPrimaryKey);
    assert.equal(moved.title, 'Board meeting (moved)');
    // `single` is the Lab TMS's own record: it holds the new times now.
    assert.equal(new Date(moved.startAt).toISOString(), new Date(single.start).toISOString());
    if (importedA) {
      assert.equal(res.body.outcomes.cancelled, 1);
      assert.equal((await t.api('GET', `/api/v1/meetings/bookings/${importedA.id}`)).body.state, 'cancelled');
    }
    const quiet = await t.api('POST', '/api/v1/meetings/tms-import/follow', { ...source(), cursor: res.body.cursor });
    assert.equal(quiet.body.items.length, 0, 'nothing new after the cursor');
  });

  test('wrong TMS credentials and an unreachable TMS are 4xx/5xx with a code, never the password', async () => {
    const wrong = await t.api('POST', '/api/v1/meetings/tms-import/dry-run', { ...source(), password: 'not-the-password' });
    assert.equal(wrong.status, 422);
    assert.equal(wrong.body.error.code, 'UPSTREAM_REFUSED_CREDENTIALS');
    assert.ok(wrong.body.error.trackingId);
    assert.equal(JSON.stringify(wrong.body).includes('not-the-password'), false);
    const bad = await t.api('POST', '/api/v1/meetings/tms-import/dry-run', { ...source(), url: 'not a url' });
    assert.equal(bad.status, 400);
    tms.setFault({ kind: 'down' });
    try {
      const down = await t.api('POST', '/api/v1/meetings/tms-import/dry-run', source());
      assert.equal(down.status, 504, JSON.stringify(down.body));
    } finally {
      tms.setFault({ kind: 'none' });
    }
  });
});
