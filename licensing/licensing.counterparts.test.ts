import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../platform/clock.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { waitFor } from '../test/support/wait-for.ts';
import { labArea } from '../lab/lab.area.ts';
import { createLicensingArea } from './licensing.area.ts';
import { getLicensingLab, type LicensingLab } from './licensing.lab.ts';

// Issue #14: CSSM and UC publishers that behave as real ones may, made so through the Lab API's
// behaviour knobs (S3, S4), against the Lab's CSSM (1,285 VAs, 64 on a satellite), the 2-node CUCM
// cl1-alfa and the Unity Connection cluster2-test (publisher restart 20 s of the manual clock).
describe('licensing against counterparts that behave otherwise', () => {
  const clock = new ManualClock('2026-03-01T08:00:00Z');
  const pollMs = 1000;
  let t: TestSwitchboard;
  let lab: LicensingLab;
  let saId: string;
  const clusterIds: Record<string, string> = {};
  const vaIds: Record<string, string> = {};
  const listed = 1285 - 64;

  before(async () => {
    t = await startTestSwitchboard({
      clock,
      areas: [labArea, createLicensingArea({ publisherPollMs: pollMs, stepTimeoutMs: 120_000, publisherRequestTimeoutMs: 2000 })],
      config: { lab: 'true', jobPollSeconds: 0.5 },
    });
    lab = getLicensingLab(t.sb.services)!;
    const sa = (await t.api('GET', '/api/v1/licensing/smart-accounts')).body.items[0];
    saId = sa.id;
    await waitFor('the Lab smart account synced', async () => (await t.api('GET', `/api/v1/licensing/smart-accounts/${saId}`)).body.virtualAccountCount === listed);
    for (const c of (await t.api('GET', '/api/v1/licensing/clusters')).body.items) clusterIds[c.name] = c.id;
    for (const [name, licenseMode] of [['HCS-DEMO', 'HCS'], ['BU Production Test', 'HCS-LE'], ['va-hcs-operational', 'Enterprise'], ['va-hcs-ordered', 'HCS']] as const) {
      vaIds[name] = (await t.api('GET', `/api/v1/licensing/virtual-accounts?name=${encodeURIComponent(name)}`)).body.items.find((v: any) => v.name === name).id;
      assert.equal((await t.api('PATCH', `/api/v1/licensing/virtual-accounts/${vaIds[name]}`, { licenseMode })).status, 200);
    }
  });
  after(async () => t?.close());
  // Each test sets the knobs it needs: a failing test leaves none behind for the next.
  beforeEach(async () => {
    if (!t) return;
    await cssmKnobs({ maxPageSize: 1000, totalRecords: true, ignoreOffset: false, satelliteMarker: 'satelliteName' });
    for (const c of lab.clusters) {
      // A publisher still restarting after an earlier test's change comes back first.
      if (clock.now().getTime() < c.state.rebootingUntil) clock.set(new Date(c.state.rebootingUntil));
      c.setFault({ kind: 'none' });
      await ucKnobs(c.name, { modeChangeMs: 0, revertModeChanges: 0, registrationMs: 0, restartUnavailable: false, axlVersions: ['10.0', '10.5', '11.0', '11.5', '12.0', '12.5'] });
    }
  });

  /**
   * Follows a licensing job to its end. The clock moves only while the job waits on the publisher
   * (its progress says so), a poll interval at a time: a request in flight never sees time jump.
   */
  const finished = (id: string, options: { drive?: boolean } = {}) =>
    waitFor(
      `licensing job ${id} to finish`,
      async () => {
        const res = await t.api('GET', `/api/v1/licensing/jobs/${id}`);
        const body = res.body;
        if (body.status !== 'IN_PROGRESS' && !['created', 'active', 'retry'].includes(body.jobState)) return body;
        if (options.drive !== false && /waiting/i.test(body.progressMessage ?? '')) clock.advance(pollMs);
        return false;
      },
      { timeoutMs: 120_000, intervalMs: 20 },
    );
  const sync = async () => {
    const started = await t.api('POST', `/api/v1/licensing/smart-accounts/${saId}/sync`);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    return finished(started.body.jobId);
  };
  const vaCount = async () => (await t.api('GET', `/api/v1/licensing/smart-accounts/${saId}`)).body.virtualAccountCount;
  const cssmKnobs = (body: Record<string, unknown>) => t.api('PUT', '/api/v1/lab/cssm/behaviour', body);
  const ucKnobs = (cluster: string, body: Record<string, unknown>) => t.api('PUT', `/api/v1/lab/uc/${cluster}/behaviour`, body);
  const sim = (name: string) => lab.clusters.find((c) => c.name === name)!;
  /** Assigns the cluster to the VA, or reassigns it when it is assigned already; the job id. */
  const moveTo = async (cluster: string, va: string): Promise<string> => {
    const row = (await t.api('GET', `/api/v1/licensing/clusters/${clusterIds[cluster]}`)).body;
    const started = row.virtualAccountId
      ? await t.api('POST', `/api/v1/licensing/clusters/${clusterIds[cluster]}/reassign`, { virtualAccountId: vaIds[va] })
      : await t.api('POST', `/api/v1/licensing/virtual-accounts/${vaIds[va]}/assign`, { clusterIds: [clusterIds[cluster]] });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    return started.body.jobId ?? started.body.jobs[0].jobId;
  };
  const modes: Record<string, string> = { 'HCS-DEMO': 'HCS', 'BU Production Test': 'HCS-LE', 'va-hcs-operational': 'Enterprise' };
  /** A VA whose license mode differs from the publisher's now (the preferred one when it does): the job must change it. */
  const otherMode = (cluster: string, prefer: string) => (modes[prefer] !== sim(cluster).state.deploymentMode ? prefer : Object.keys(modes).find((va) => modes[va] !== sim(cluster).state.deploymentMode)!);
  const changesBy = async (jobId: string, change: string) => (await t.api('GET', `/api/v1/audit?action=licensing.cluster.publisher.${change}&limit=100`)).body.items.filter((e: any) => e.after?.jobId === jobId);

  test('L2: a CSSM that caps its pages at 50 is read to the end by what it answers; without totalRecords too', async () => {
    const set = await cssmKnobs({ maxPageSize: 50 });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.deepEqual(set.body, { maxPageSize: 50, totalRecords: true, ignoreOffset: false, satelliteMarker: 'satelliteName' });
    const calls = lab.cssm.calls;
    const done = await sync();
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    assert.equal(await vaCount(), listed, 'every VA kept');
    assert.ok(lab.cssm.calls - calls >= 26, '1,285 VAs in pages of 50');

    await cssmKnobs({ totalRecords: false });
    const uncounted = await sync();
    assert.equal(uncounted.status, 'SUCCEEDED', JSON.stringify(uncounted));
    assert.equal(await vaCount(), listed);
  });

  test('L2: a listing that stops short of its totalRecords fails the sync with SLM1016 and changes nothing', async () => {
    await cssmKnobs({ maxPageSize: 50, ignoreOffset: true });
    const failed = await sync();
    assert.equal(failed.status, 'FAILED', JSON.stringify(failed));
    assert.equal(failed.errorCode, 'SLM1016');
    assert.match(failed.errorDescription, /reported 1285 virtual accounts but listed 50/);
    assert.equal(failed.progressInfo['Virtual Accounts'], 'Fail');
    assert.equal(await vaCount(), listed, 'nothing removed');
    assert.equal((await t.api('GET', `/api/v1/licensing/virtual-accounts?smartAccountId=${saId}&limit=1`)).body.total, listed);
    const sa = (await t.api('GET', `/api/v1/licensing/smart-accounts/${saId}`)).body;
    assert.equal(sa.status, 'error');
    assert.match(sa.alerts[0].message, /SLM1016/);
    await cssmKnobs({ maxPageSize: 1000, ignoreOffset: false });
    assert.equal((await sync()).status, 'SUCCEEDED');
  });

  test('L2: satellite VAs marked another way are still ignored', async () => {
    assert.equal((await cssmKnobs({ satelliteMarker: 'source' })).status, 200);
    assert.equal((await sync()).status, 'SUCCEEDED');
    assert.equal(await vaCount(), listed);
    assert.equal((await t.api('GET', `/api/v1/licensing/smart-accounts/${saId}`)).body.satelliteVirtualAccountCount, 64);
  });

  test('L5: the AXL schema follows the publisher: a CUCM answering only 15.0 is verified', async () => {
    const set = await ucKnobs('cl1-alfa', { axlVersions: ['15.0'] });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    const check = await t.api('POST', `/api/v1/licensing/clusters/${clusterIds['cl1-alfa']}/check`);
    assert.equal(check.body.ok, true, JSON.stringify(check.body));
  });

  test('L5: 503 while the publisher restarts is waited out like a refused connection', async () => {
    await ucKnobs('cl1-alfa', { restartUnavailable: true });
    const va = otherMode('cl1-alfa', 'HCS-DEMO');
    const done = await finished(await moveTo('cl1-alfa', va));
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    assert.equal(done.progressInfo['License Mode Change'], 'Pass');
    assert.equal(sim('cl1-alfa').state.deploymentMode, modes[va]);
    assert.equal((await changesBy(done.id, 'license-mode')).length, 1, 'the change is recorded with its job');
  });

  test('L5: a publisher that comes back from its restart in the old mode is sent the change again', async () => {
    const before = sim('cl1-alfa').modeChangeRequests;
    await ucKnobs('cl1-alfa', { revertModeChanges: 1 });
    const va = otherMode('cl1-alfa', 'BU Production Test');
    const done = await finished(await moveTo('cl1-alfa', va));
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    assert.equal(sim('cl1-alfa').state.deploymentMode, modes[va]);
    assert.equal(sim('cl1-alfa').modeChangeRequests - before, 2);
    const changes = await changesBy(done.id, 'license-mode');
    assert.deepEqual(changes.map((c: any) => c.after.to), [modes[va], modes[va]]);
    assert.equal(sim('cl1-alfa').state.registration.virtualAccount, va);
  });

  test('L5: a mode change answered after 45 s (later than the request waits) passes once the publisher shows it', async () => {
    await ucKnobs('cl1-alfa', { modeChangeMs: 45_000 });
    const va = otherMode('cl1-alfa', 'va-hcs-operational');
    const done = await finished(await moveTo('cl1-alfa', va));
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    assert.equal(done.progressInfo['License Mode Change'], 'Pass');
    assert.equal(sim('cl1-alfa').state.deploymentMode, modes[va]);
    assert.equal((await changesBy(done.id, 'license-mode')).length, 1, 'sent once');
  });

  test('L5: a registration still "In Progress" after its answer is polled until Registered', async () => {
    assert.equal((await ucKnobs('cluster2-test', { registrationMs: 30_000 })).status, 200);
    const done = await finished(await moveTo('cluster2-test', 'va-hcs-ordered'));
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    assert.equal(done.progressInfo.Registration, 'Pass');
    assert.equal(sim('cluster2-test').licenseStatus().registration, 'Registered');
  });

  test('L5/L7: a job waiting on its publisher is cancelled, restarted, fails the step that timed out, and a restart re-sends the change the publisher does not show', async () => {
    const pub = sim('cl1-alfa');
    const va = otherMode('cl1-alfa', 'HCS-DEMO');
    const from = pub.state.deploymentMode;
    await ucKnobs('cl1-alfa', { modeChangeMs: 600_000 });
    const id = await moveTo('cl1-alfa', va);
    const waiting = await waitFor('the job waiting on the publisher', async () => {
      const body = (await t.api('GET', `/api/v1/licensing/jobs/${id}`)).body;
      return /waiting/i.test(body.progressMessage ?? '') ? body : false;
    });
    assert.equal(waiting.isCancelable, true);
    const cancelled = await t.api('POST', `/api/v1/licensing/jobs/${id}/cancel`);
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    const afterCancel = await finished(id, { drive: false });
    assert.equal(afterCancel.status, 'FAILED');
    assert.equal(afterCancel.isRestartable, true);
    assert.equal(afterCancel.progressInfo.Verification, 'Pass');
    assert.equal(afterCancel.progressInfo['License Mode Change'], 'Fail');
    assert.match(afterCancel.description, /cancelled$/);

    // Restarted while the publisher is down: the step waits the configured 2 minutes, then fails — naming itself.
    pub.setFault({ kind: 'down' });
    await ucKnobs('cl1-alfa', { modeChangeMs: 0 });
    assert.equal((await t.api('POST', `/api/v1/licensing/jobs/${id}/restart`)).status, 202);
    const timedOut = await finished(id);
    assert.equal(timedOut.status, 'FAILED', JSON.stringify(timedOut));
    assert.equal(timedOut.progressInfo.Verification, 'Pass');
    assert.equal(timedOut.progressInfo['License Mode Change'], 'Fail');
    assert.equal(timedOut.errorCode, 'CAA1036');
    assert.match(timedOut.errorDescription, /within 2 minute/);
    assert.equal(timedOut.isRestartable, true);

    // The journal says the change was sent; the publisher still shows the old mode: it is sent again.
    pub.setFault({ kind: 'none' });
    assert.equal(pub.state.deploymentMode, from);
    assert.equal((await t.api('POST', `/api/v1/licensing/jobs/${id}/restart`)).status, 202);
    const done = await finished(id);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    assert.equal(done.progressInfo['License Mode Change'], 'Pass');
    assert.equal(pub.state.deploymentMode, modes[va]);
    assert.equal(pub.state.registration.virtualAccount, va);
    const changes = await changesBy(id, 'license-mode');
    assert.equal(changes.length, 2, 'sent by the first attempt and again by the last');
    assert.notEqual(changes[0].after.attempt, changes[1].after.attempt);
  });
});
