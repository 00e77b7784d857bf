import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../platform/clock.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { partnerArea } from './partner.area.ts';
import { createClusterAndTemplate, subscriberBody, waitFor, waitForStatus } from './partner.testkit.ts';

// P15 trends: daily snapshots of provisioned users per package, computed from the subscriber
// history (so back-filling gives the same numbers), across a month boundary, on a manual clock.
describe('P15 partner analytics trends', () => {
  let t: TestSwitchboard;
  let provisioningId: string;
  const clock = new ManualClock('2026-10-30T10:00:00Z');

  const provision = async (pkg: string) => {
    const res = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(provisioningId, { package: pkg, spEnterpriseId: 'Trend+acme' }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return waitForStatus(t, res.body.id, ['provisioned']);
  };
  const snapshot = async (body: Record<string, string>) => {
    const started = await t.api('POST', '/api/v1/partner/analytics/snapshots', body);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    return waitFor('snapshot job', async () => {
      const job = (await t.api('GET', `/api/v1/jobs/${started.body.jobId}`)).body;
      return job.state === 'completed' || job.state === 'failed' ? job : undefined;
    });
  };
  const counts = (p: any) => [p.softphone, p.basic, p.standard, p.premium];

  before(async () => {
    t = await startTestSwitchboard({ areas: [partnerArea], clock, config: { jobPollSeconds: 0.5 } });
    provisioningId = (await createClusterAndTemplate(t)).template.provisioningId;
  });
  after(async () => t?.close());

  test('day one, before any snapshot: the trend is counted from the subscriber history, today included', async () => {
    const empty = await t.api('GET', '/api/v1/partner/analytics/trends?interval=daily');
    assert.equal(empty.status, 200, JSON.stringify(empty.body));
    assert.deepEqual(empty.body.points, [], 'no history yet: nothing to count');
    assert.equal(empty.body.to, '2026-10-30', 'up to today');
  });

  test('daily, weekly and monthly users per package across October → November; back-fill; 13-month pruning', async () => {
    // 30 Oct: A standard, B basic.
    const a = await provision('standard');
    const b = await provision('basic');
    // Still 30 Oct, no snapshot taken: today's point comes from the history.
    const dayOne = await t.api('GET', '/api/v1/partner/analytics/trends?interval=daily');
    assert.deepEqual(
      dayOne.body.points.map((p: any) => [p.period, p.source, ...counts(p)]),
      [['2026-10-30', 'history', 0, 1, 1, 0]],
    );
    const dayOneMonthly = await t.api('GET', '/api/v1/partner/analytics/trends?interval=monthly');
    assert.deepEqual(dayOneMonthly.body.points.map((p: any) => [p.period, p.asOf, ...counts(p)]), [['2026-10', '2026-10-30', 0, 1, 1, 0]]);
    // 31 Oct: C premium; A moves to premium.
    clock.set('2026-10-31T12:00:00Z');
    const c = await provision('premium');
    assert.equal((await t.api('PUT', `/v1/broadworks/subscribers/${a.id}`, { package: 'premium' })).body.status, 'updating');
    await waitFor('package applied', async () => (await t.api('GET', `/v1/broadworks/subscribers/${a.id}`)).body.package === 'premium');
    // 1 Nov: B removed, D softphone.
    clock.set('2026-11-01T09:00:00Z');
    assert.equal((await t.api('DELETE', `/v1/broadworks/subscribers/${b.id}`)).status, 204);
    await provision('softphone');
    // 2 Nov 23:59: C removed (still that day, UTC).
    clock.set('2026-11-02T23:59:00Z');
    assert.equal((await t.api('DELETE', `/v1/broadworks/subscribers/${c.id}`)).status, 204);

    clock.set('2026-11-03T00:15:00Z');
    // No snapshot yet: every day since the history began is counted from it.
    const beforeSnapshots = await t.api('GET', '/api/v1/partner/analytics/trends?interval=daily');
    assert.deepEqual(
      beforeSnapshots.body.points.map((p: any) => [p.period, p.source, ...counts(p)]),
      [
        ['2026-10-30', 'history', 0, 1, 1, 0],
        ['2026-10-31', 'history', 0, 1, 0, 2],
        ['2026-11-01', 'history', 1, 0, 0, 2],
        ['2026-11-02', 'history', 1, 0, 0, 1],
        ['2026-11-03', 'history', 1, 0, 0, 1],
      ],
    );
    // First only up to 31 Oct, then the daily run continues after the last snapshot.
    const first = await snapshot({ from: '2026-10-29', to: '2026-10-31' });
    assert.equal(first.state, 'completed', JSON.stringify(first));
    assert.deepEqual([first.result.from, first.result.to, first.result.days], ['2026-10-29', '2026-10-31', 3]);
    const rest = await snapshot({});
    assert.deepEqual([rest.result.from, rest.result.to, rest.result.days], ['2026-11-01', '2026-11-02', 2], JSON.stringify(rest.result));

    const daily = await t.api('GET', '/api/v1/partner/analytics/trends?interval=daily&from=2026-10-29');
    assert.equal(daily.status, 200, JSON.stringify(daily.body));
    assert.deepEqual(
      daily.body.points.map((p: any) => [p.period, p.source, ...counts(p)]),
      [
        // softphone, basic, standard, premium
        ['2026-10-29', 'snapshot', 0, 0, 0, 0],
        ['2026-10-30', 'snapshot', 0, 1, 1, 0],
        ['2026-10-31', 'snapshot', 0, 1, 0, 2],
        ['2026-11-01', 'snapshot', 1, 0, 0, 2],
        ['2026-11-02', 'snapshot', 1, 0, 0, 1],
        // Today so far: not snapshotted until tomorrow.
        ['2026-11-03', 'history', 1, 0, 0, 1],
      ],
    );
    const monthly = await t.api('GET', '/api/v1/partner/analytics/trends?interval=monthly&from=2026-10-01');
    assert.deepEqual(
      monthly.body.points.map((p: any) => [p.period, p.asOf, ...counts(p)]),
      [
        ['2026-10', '2026-10-31', 0, 1, 0, 2],
        ['2026-11', '2026-11-03', 1, 0, 0, 1],
      ],
    );
    const weekly = await t.api('GET', '/api/v1/partner/analytics/trends?interval=weekly&from=2026-10-01');
    assert.deepEqual(
      weekly.body.points.map((p: any) => [p.period, p.asOf, ...counts(p)]),
      [
        ['2026-10-26', '2026-11-01', 1, 0, 0, 2],
        ['2026-11-02', '2026-11-03', 1, 0, 0, 1],
      ],
    );
    // Recomputing a past day from the history gives the same numbers (idempotent back-fill).
    await snapshot({ from: '2026-10-30', to: '2026-10-30' });
    const again = await t.api('GET', '/api/v1/partner/analytics/trends?interval=daily&from=2026-10-30&to=2026-10-30');
    assert.deepEqual(counts(again.body.points[0]), [0, 1, 1, 0]);

    // 13 months on, October 2026 is pruned by the daily run; November's days stay.
    clock.set('2027-12-01T00:15:00Z');
    const later = await snapshot({ from: '2027-11-29' });
    assert.equal(later.state, 'completed', JSON.stringify(later));
    assert.equal(later.result.keptFrom, '2026-11-01');
    assert.equal(later.result.pruned, 4 * 3, 'three October days × four packages');
    const kept = await t.api('GET', '/api/v1/partner/analytics/trends?interval=monthly&from=2026-01-01');
    // The months between have no snapshot (only the back-fills asked for ran); December is today's, from the history.
    assert.deepEqual(kept.body.points.map((p: any) => [p.period, p.source]), [['2026-11', 'snapshot'], ['2027-11', 'snapshot'], ['2027-12', 'history']]);
    assert.deepEqual(counts(kept.body.points.at(-2)), [1, 0, 0, 1], 'A premium and D softphone still provisioned');
    assert.deepEqual(counts(kept.body.points.at(-1)), [1, 0, 0, 1]);
    assert.equal((await t.api('GET', '/api/v1/partner/analytics/trends?interval=hourly')).status, 400);
  });
});
