import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../platform/clock.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { waitFor } from '../test/support/wait-for.ts';
import { createCssmSimulator, type CssmSimulator } from '../lab/cssm/cssm.simulator.ts';
import { seedLabSmartAccount } from '../lab/cssm/cssm.seed.ts';
import { createUcClusterSimulator, type UcClusterSimulator } from '../lab/cucm/uc.simulator.ts';
import { createLicensingArea } from './licensing.area.ts';

// L1–L8 end to end: the API against the CSSM (S3) and CUCM / Unity Connection (S4) simulators on
// loopback, every state machine on the manual clock (the publisher "reboots" for 0 ms here).
describe('licensing end to end', () => {
  const clock = new ManualClock('2026-03-01T08:00:00Z');
  const domain = 'hcs-partner.example.com';
  const secret = 'right-secret';
  let cssm: CssmSimulator;
  let cucm: UcClusterSimulator;
  let cuc: UcClusterSimulator;
  let oldCucm: UcClusterSimulator;
  let t: TestSwitchboard;
  let saId: string;
  let satelliteCount: number;
  const ids: Record<string, string> = {};

  before(async () => {
    cssm = createCssmSimulator({ clock, clients: [{ clientId: 'hcs-client', clientSecret: secret, domains: [domain] }] });
    satelliteCount = seedLabSmartAccount(cssm, { domain, name: 'HCS Partner', virtualAccounts: 1285 }).satellite;
    await cssm.start();
    cucm = createUcClusterSimulator({ name: 'cl1-alfa', type: 'CUCM', nodes: 2, clock, cssmUrl: cssm.url, rebootMs: 0, users: 40 });
    cuc = createUcClusterSimulator({ name: 'cluster2-test', type: 'CUC', clock, cssmUrl: cssm.url, rebootMs: 0, users: 25 });
    oldCucm = createUcClusterSimulator({ name: 'cl-old', type: 'CUCM', version: '11.5.1.10000-6', clock, cssmUrl: cssm.url, rebootMs: 0 });
    for (const sim of [cucm, cuc, oldCucm]) await sim.start();
    t = await startTestSwitchboard({ clock, areas: [createLicensingArea({ syncPageSize: 500, publisherPollMs: 1000 })] });
  });
  after(async () => {
    await t?.close();
    for (const sim of [cucm, cuc, oldCucm]) await sim?.stop();
    await cssm?.stop();
  });

  const job = (id: string) =>
    waitFor(`licensing job ${id} to finish`, async () => {
      const res = await t.api('GET', `/api/v1/licensing/jobs/${id}`);
      return res.body.status !== 'IN_PROGRESS' && res.body.jobState !== 'created' && res.body.jobState !== 'active' && res.body.jobState !== 'retry' ? res.body : false;
    });
  const clusterBody = (sim: UcClusterSimulator) => ({
    name: sim.name,
    type: sim.type,
    version: sim.version.split('.').slice(0, 2).join('.'),
    publisherUrl: sim.publisherUrl,
    adminUsername: sim.admin.username,
    adminPassword: sim.admin.password,
    platformUsername: sim.platform.username,
    platformPassword: sim.platform.password,
  });
  const vaId = async (name: string) => (await t.api('GET', `/api/v1/licensing/virtual-accounts?name=${encodeURIComponent(name)}&limit=500`)).body.items.find((v: any) => v.name === name).id as string;

  test('L1/L2: bad client credentials fail the sync with the catalogue error; fixed credentials sync every page, satellite VAs ignored', async () => {
    const created = await t.api('POST', '/api/v1/licensing/smart-accounts', {
      domain,
      clientId: 'hcs-client',
      clientSecret: 'wrong-secret',
      authGatewayUrl: cssm.tokenUrl,
      cssmServerUrl: cssm.apiBase,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.smartAccount.hasClientSecret, true);
    assert.ok(!JSON.stringify(created.body).includes('wrong-secret'), 'the secret is never returned');
    saId = created.body.smartAccount.id;
    const failed = await job(created.body.syncJobId);
    assert.equal(failed.status, 'FAILED');
    assert.equal(failed.errorCode, 'CSSM1011');
    assert.equal(failed.recommendedAction, 'Reconfigure client ID and Secret.');
    assert.equal((await t.api('GET', `/api/v1/licensing/smart-accounts/${saId}`)).body.status, 'error');

    const patched = await t.api('PATCH', `/api/v1/licensing/smart-accounts/${saId}`, { clientSecret: secret });
    assert.equal(patched.status, 200);
    const sync = await t.api('POST', `/api/v1/licensing/smart-accounts/${saId}/sync`);
    assert.equal(sync.status, 202);
    const done = await job(sync.body.jobId);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    assert.equal(done.description, 'Sync of Smart Account HCS Partner completed');
    const sa = (await t.api('GET', `/api/v1/licensing/smart-accounts/${saId}`)).body;
    assert.equal(sa.virtualAccountCount, 1285 - satelliteCount);
    assert.equal(sa.satelliteVirtualAccountCount, satelliteCount);
    assert.equal(sa.status, 'active');
    assert.equal(sa.name, 'HCS Partner');
    // Read in three pages of 500, stored with the removals in one journalled transaction.
    const steps = (await t.api('GET', `/api/v1/jobs/${sync.body.jobId}`)).body.steps.map((s: any) => s.stepKey);
    assert.deepEqual(steps, ['finish']);
    const audit = (await t.api('GET', `/api/v1/audit?action=licensing.smart-account.sync&entityId=${saId}`)).body.items[0];
    assert.equal(audit.after.requests, 3);
  });

  test('L3: virtual account summary pages and filters', async () => {
    const page = await t.api('GET', `/api/v1/licensing/virtual-accounts?smartAccountId=${saId}&offset=100&limit=50`);
    assert.equal(page.status, 200);
    assert.equal(page.body.total, 1285 - satelliteCount);
    assert.equal(page.body.items.length, 50);
    assert.equal(page.body.items[0].smartAccountName, 'HCS Partner');
    const demo = await t.api('GET', '/api/v1/licensing/virtual-accounts?name=HCS-DEMO');
    assert.equal(demo.body.total, 1);
    assert.equal(demo.body.items[0].accessLevel, 'PUBLIC');
    const priv = await t.api('GET', `/api/v1/licensing/virtual-accounts?accessLevel=PRIVATE&limit=1`);
    assert.ok(priv.body.total > 100);
    const summary = await t.api('GET', '/api/v1/licensing/smart-accounts');
    assert.equal(summary.body.total, 1);
    const unknown = await t.api('GET', '/api/v1/licensing/virtual-accounts?colour=red');
    assert.equal(unknown.status, 400);
  });

  test('L4: clusters with sealed credentials and a connectivity check', async () => {
    for (const sim of [cucm, cuc, oldCucm]) {
      const res = await t.api('POST', '/api/v1/licensing/clusters', clusterBody(sim));
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.hasAdminPassword, true);
      assert.ok(!JSON.stringify(res.body).includes(sim.admin.password));
      ids[sim.name] = res.body.id;
    }
    const check = await t.api('POST', `/api/v1/licensing/clusters/${ids['cl1-alfa']}/check`);
    assert.equal(check.body.ok, true, JSON.stringify(check.body));
    assert.equal(check.body.version, cucm.version);
    assert.equal(check.body.licenseMode, 'Enterprise');
    const cucCheck = await t.api('POST', `/api/v1/licensing/clusters/${ids['cluster2-test']}/check`);
    assert.equal(cucCheck.body.ok, true, JSON.stringify(cucCheck.body));
  });

  test('L5: assign needs a license mode; then all four steps reach Pass or Not Applicable and the cluster registers at CSSM', async () => {
    const demo = await vaId('HCS-DEMO');
    ids.demo = demo;
    const refused = await t.api('POST', `/api/v1/licensing/virtual-accounts/${demo}/assign`, { clusterIds: [ids['cl1-alfa']] });
    assert.equal(refused.status, 409);
    assert.match(refused.body.error.message, /SLM1014/);
    assert.equal((await t.api('PATCH', `/api/v1/licensing/virtual-accounts/${demo}`, { licenseMode: 'HCS' })).status, 200);

    const started = await t.api('POST', `/api/v1/licensing/virtual-accounts/${demo}/assign`, { clusterIds: [ids['cl1-alfa'], ids['cluster2-test']] });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.match(started.body.jobs[0].warning, /publisher/);
    assert.equal(started.body.jobs[0].description, 'Assignment of Cluster cl1-alfa to HCS-DEMO Started');
    for (const j of started.body.jobs) {
      const done = await job(j.jobId);
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
      assert.deepEqual(done.progressInfo, { Verification: 'Pass', 'License Mode Change': 'Pass', 'Transport Mode Change': 'Not Applicable', Registration: 'Pass' });
      assert.match(done.description, /^Assignment of Cluster .* to HCS-DEMO completed$/);
      assert.match(done.statusInformation, /Verification - Pass/);
      // The job's entity is the cluster it works on (#15), on the licensing job and the platform's.
      assert.equal(done.entityType, 'Cluster');
      assert.match(done.entityName, /^(cl1-alfa|cluster2-test)$/);
      const record = (await t.api('GET', `/api/v1/jobs/${j.jobId}`)).body;
      assert.deepEqual([record.entityType, record.entityId], ['licensing_cluster', done.clusterId]);
    }
    assert.equal(cucm.state.deploymentMode, 'HCS');
    assert.equal(cucm.state.reboots, 1, 'the publisher restarted once for the mode change');
    assert.equal(cucm.state.registration.status, 'Registered');
    assert.equal(cucm.state.registration.virtualAccount, 'HCS-DEMO');
    assert.equal(cuc.state.registration.virtualAccount, 'HCS-DEMO');
    const summary = await t.api('GET', `/api/v1/licensing/clusters?assigned=true`);
    assert.equal(summary.body.total, 2);
    const alfa = summary.body.items.find((c: any) => c.name === 'cl1-alfa');
    assert.equal(alfa.status, 'MANUALLY_REGISTERED');
    assert.equal(alfa.virtualAccountName, 'HCS-DEMO');
    assert.equal(alfa.smartAccountName, 'HCS Partner');
    assert.equal(alfa.jobStatus, 'SUCCEEDED');

    const locked = await t.api('PATCH', `/api/v1/licensing/virtual-accounts/${demo}`, { licenseMode: 'Enterprise' });
    assert.equal(locked.status, 409, 'license mode is read-only while clusters are assigned');
    const again = await t.api('POST', `/api/v1/licensing/virtual-accounts/${demo}/assign`, { clusterIds: [ids['cl1-alfa']] });
    assert.equal(again.status, 409);
  });

  test('L8: the dashboard shows usage per VA and per cluster from CSSM', async () => {
    const res = await t.api('GET', `/api/v1/licensing/smart-accounts/${saId}/dashboard`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const demo = res.body.virtualAccounts.find((v: any) => v.name === 'HCS-DEMO');
    const foundation = demo.licenses.find((l: any) => l.license === 'HUCM_Foundation');
    assert.equal(foundation.inUse, 40);
    assert.equal(foundation.quantity, 500);
    assert.equal(demo.compliance, 'In Compliance');
    const alfa = res.body.clusters.find((c: any) => c.name === 'cl1-alfa');
    assert.equal(alfa.registered, true);
    assert.deepEqual(alfa.usage.find((u: any) => u.license === 'HUCM_Foundation'), { license: 'HUCM_Foundation', inUse: 40, status: 'In Compliance' });
  });

  test('L5: reassign moves the cluster to another VA; unassign deregisters it', async () => {
    const bu = await vaId('BU Production Test');
    await t.api('PATCH', `/api/v1/licensing/virtual-accounts/${bu}`, { licenseMode: 'HCS' });
    const moved = await t.api('POST', `/api/v1/licensing/clusters/${ids['cl1-alfa']}/reassign`, { virtualAccountId: bu });
    assert.equal(moved.status, 202, JSON.stringify(moved.body));
    const done = await job(moved.body.jobId);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    assert.equal(done.description, 'ReAssignment of Cluster cl1-alfa from HCS-DEMO to BU Production Test completed');
    assert.equal(done.progressInfo['License Mode Change'], 'Not Applicable');
    assert.equal(cucm.state.registration.virtualAccount, 'BU Production Test');
    assert.equal(cssm.accounts.get(domain)!.devices.filter((d) => d.udi.udiSerialNumber === cucm.state.udi.udiSerialNumber).length, 1);

    const gone = await t.api('POST', `/api/v1/licensing/clusters/${ids['cl1-alfa']}/unassign`);
    assert.equal(gone.status, 202);
    const undone = await job(gone.body.jobId);
    assert.equal(undone.status, 'SUCCEEDED', JSON.stringify(undone));
    assert.equal(undone.description, 'UnAssignment of Cluster cl1-alfa from BU Production Test completed');
    assert.equal(undone.progressInfo.Registration, 'Pass');
    assert.equal(cucm.state.registration.status, 'Unregistered');
    const cluster = (await t.api('GET', `/api/v1/licensing/clusters/${ids['cl1-alfa']}`)).body;
    assert.equal(cluster.status, 'DEREGISTERED');
    assert.equal(cluster.virtualAccountId, null);
  });

  test('L5: an unsupported version fails Verification with SLMCT1006 and its recommended action', async () => {
    const started = await t.api('POST', `/api/v1/licensing/virtual-accounts/${ids.demo}/assign`, { clusterIds: [ids['cl-old']] });
    const failed = await job(started.body.jobs[0].jobId);
    assert.equal(failed.status, 'FAILED');
    assert.equal(failed.progressInfo.Verification, 'Fail');
    assert.equal(failed.progressInfo.Registration, 'Not Started');
    assert.equal(failed.errorCode, 'SLMCT1006');
    assert.match(failed.recommendedAction, /12\.5/);
    assert.equal(failed.isRestartable, true);
    assert.equal((await t.api('GET', `/api/v1/licensing/clusters/${ids['cl-old']}`)).body.status, 'MANUAL_REGISTRATION_FAILED');
  });

  test('L2: an expired or revoked OAuth token is refreshed without failing the sync', async () => {
    clock.advance(2 * 3600_000);
    const expired = await t.api('POST', `/api/v1/licensing/smart-accounts/${saId}/sync`);
    assert.equal((await job(expired.body.jobId)).status, 'SUCCEEDED');
    cssm.revokeAccessTokens();
    const revoked = await t.api('POST', `/api/v1/licensing/smart-accounts/${saId}/sync`);
    assert.equal((await job(revoked.body.jobId)).status, 'SUCCEEDED');
  });

  test('L2: CSSM down mid-sync fails the job; the restart finishes it without losing pages', async () => {
    cssm.setFault({ kind: 'down' }, { afterCalls: 2 });
    const sync = await t.api('POST', `/api/v1/licensing/smart-accounts/${saId}/sync`);
    const failed = await job(sync.body.jobId);
    assert.equal(failed.status, 'FAILED');
    assert.equal(failed.errorCode, 'CSSM1005');
    assert.equal(failed.progressInfo['Virtual Accounts'], 'Fail');
    cssm.setFault({ kind: 'none' });
    const restart = await t.api('POST', `/api/v1/licensing/jobs/${sync.body.jobId}/restart`);
    assert.equal(restart.status, 202, JSON.stringify(restart.body));
    const done = await job(sync.body.jobId);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    // 1: failed; 2: the queue's retry (kept for a process that dies mid-job) repeats the recorded failure; 3: the restart.
    assert.equal(done.attempts, 3);
    assert.equal((await t.api('GET', `/api/v1/licensing/smart-accounts/${saId}`)).body.virtualAccountCount, 1285 - satelliteCount);
  });

  test('L5: CSSM down mid-assignment fails Registration with the catalogue action; the restart does not repeat the license mode change', async () => {
    const ops = await vaId('va-hcs-operational');
    await t.api('PATCH', `/api/v1/licensing/virtual-accounts/${ops}`, { licenseMode: 'HCS-LE' });
    cssm.setFault({ kind: 'down' });
    const started = await t.api('POST', `/api/v1/licensing/virtual-accounts/${ops}/assign`, { clusterIds: [ids['cl1-alfa']] });
    const failed = await job(started.body.jobs[0].jobId);
    assert.equal(failed.status, 'FAILED');
    assert.deepEqual(failed.progressInfo, { Verification: 'Pass', 'License Mode Change': 'Pass', 'Transport Mode Change': 'Not Applicable', Registration: 'Fail' });
    assert.equal(failed.errorCode, 'CSSM1005');
    assert.match(failed.recommendedAction, /reachable/);
    const reboots = cucm.state.reboots;
    cssm.setFault({ kind: 'none' });
    assert.equal((await t.api('POST', `/api/v1/licensing/jobs/${failed.id}/restart`)).status, 202);
    const done = await job(failed.id);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    assert.equal(done.progressInfo.Registration, 'Pass');
    assert.equal(cucm.state.reboots, reboots, 'the license mode change was not repeated');
    assert.equal(cucm.state.deploymentMode, 'HCS-LE');
    assert.equal(cucm.state.registration.virtualAccount, 'va-hcs-operational');
    const list = await t.api('GET', `/api/v1/licensing/jobs?clusterId=${ids['cl1-alfa']}&status=SUCCEEDED`);
    assert.equal(list.body.total, 4);
  });

  test('L5: a subscriber address as publisher fails with CAA1049', async () => {
    const sub = await t.api('POST', '/api/v1/licensing/clusters', { ...clusterBody(cucm), name: 'cl1-alfa-via-sub', publisherUrl: cucm.nodes[1]!.url });
    const started = await t.api('POST', `/api/v1/licensing/virtual-accounts/${ids.demo}/assign`, { clusterIds: [sub.body.id] });
    const failed = await job(started.body.jobs[0].jobId);
    assert.equal(failed.status, 'FAILED');
    assert.equal(failed.errorCode, 'CAA1049');
  });

  test('roles: read-only admins read but cannot change; bookers cannot read; every change is audited without secrets', async () => {
    const readOnly = await t.tokenFor('read_only_admin');
    assert.equal((await t.api('GET', '/api/v1/licensing/clusters', undefined, { token: readOnly })).status, 200);
    assert.equal((await t.api('POST', `/api/v1/licensing/smart-accounts/${saId}/sync`, undefined, { token: readOnly })).status, 403);
    assert.equal((await t.api('POST', `/api/v1/licensing/clusters/${ids['cl1-alfa']}/unassign`, undefined, { token: readOnly })).status, 403);
    const booker = await t.tokenFor('booker');
    assert.equal((await t.api('GET', '/api/v1/licensing/virtual-accounts', undefined, { token: booker })).status, 403);
    const sales = await t.tokenFor('sales_full_admin');
    assert.equal((await t.api('PATCH', `/api/v1/licensing/virtual-accounts/${ids.demo}`, { licenseMode: 'HCS' }, { token: sales })).status, 200);
    const audit = await t.api('GET', '/api/v1/audit?limit=500');
    const actions = new Set(audit.body.items.map((e: any) => e.action));
    for (const a of ['licensing.smart-account.create', 'licensing.smart-account.update', 'licensing.smart-account.sync', 'licensing.cluster.create', 'licensing.cluster.assign', 'licensing.cluster.assign.completed', 'licensing.virtual-account.update']) assert.ok(actions.has(a), a);
    const text = JSON.stringify(audit.body);
    assert.ok(!text.includes(secret) && !text.includes(cucm.admin.password) && !text.includes(cucm.platform.password));
  });
});
