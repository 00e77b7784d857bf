import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '../platform/clock.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { waitFor } from '../test/support/wait-for.ts';
import { createCssmSimulator, type CssmSimulator } from '../lab/cssm/cssm.simulator.ts';
import { seedLabSmartAccount } from '../lab/cssm/cssm.seed.ts';
import { createUcClusterSimulator, type UcClusterSimulator } from '../lab/cucm/uc.simulator.ts';
import { createLicensingArea } from './licensing.area.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');

// Issue #14 (L4): a publisher serving HTTPS with a self-signed certificate — its fingerprint shown
// when the cluster is added and pinned; a renewed certificate raises an alert and fails jobs, without
// the credentials reaching it, until the operator accepts it.
describe('Licensing: publisher certificates (trust on first use)', () => {
  const clock = new ManualClock('2026-03-01T08:00:00Z');
  const domain = 'certs-partner.example.com';
  const certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-cucm-certs-'));
  let cssm: CssmSimulator;
  let cucm: UcClusterSimulator;
  let t: TestSwitchboard;
  let saId: string;
  let clusterId: string;
  let vaId: string;

  before(async () => {
    cssm = createCssmSimulator({ clock, clients: [{ clientId: 'hcs-client', clientSecret: 'secret', domains: [domain] }] });
    seedLabSmartAccount(cssm, { domain, name: 'Certs Partner', virtualAccounts: 5 });
    await cssm.start();
    cucm = createUcClusterSimulator({ name: 'cl-tls', type: 'CUCM', clock, cssmUrl: cssm.url, rebootMs: 0, users: 5, https: true, certDir });
    await cucm.start();
    t = await startTestSwitchboard({ clock, areas: [createLicensingArea({ syncPageSize: 500, publisherPollMs: 1000 })] });
  });
  after(async () => {
    await t?.close();
    await cucm?.stop();
    await cssm?.stop();
    fs.rmSync(certDir, { recursive: true, force: true });
  });

  const job = (id: string) =>
    waitFor(`licensing job ${id} to finish`, async () => {
      const res = await t.api('GET', `/api/v1/licensing/jobs/${id}`);
      return res.body.status !== 'IN_PROGRESS' && res.body.jobState !== 'created' && res.body.jobState !== 'active' && res.body.jobState !== 'retry' ? res.body : false;
    });
  const body = {
    name: 'cl-tls', type: 'CUCM', version: '12.5',
    adminUsername: 'administrator', adminPassword: 'admin-password', platformUsername: 'platformadmin', platformPassword: 'platform-password',
  };

  test('L4: adding an HTTPS publisher shows its certificate; confirmed, it is pinned and the cluster is assigned over it', async () => {
    assert.match(cucm.publisherUrl, /^https:/);
    const fingerprint = cucm.certificateFingerprint()!;
    const refused = await t.api('POST', '/api/v1/licensing/clusters', { ...body, publisherUrl: cucm.publisherUrl });
    assert.equal(refused.status, 422, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'CERTIFICATE_NOT_TRUSTED');
    assert.equal(refused.body.error.details.certificate.fingerprint, fingerprint);
    assert.equal(refused.body.error.details.certificate.subject, 'CN=127.0.0.1');
    assert.equal((await t.api('GET', '/api/v1/licensing/clusters')).body.total, 0, 'nothing stored');

    const added = await t.api('POST', '/api/v1/licensing/clusters', { ...body, publisherUrl: cucm.publisherUrl, trustFingerprint: fingerprint });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.equal(added.body.certificateTrust, 'pinned');
    assert.equal(added.body.certificateFingerprint, fingerprint);
    assert.equal(added.body.certificate.fingerprint, fingerprint);
    clusterId = added.body.id;
    const check = await t.api('POST', `/api/v1/licensing/clusters/${clusterId}/check`);
    assert.equal(check.body.ok, true, JSON.stringify(check.body));

    const created = await t.api('POST', '/api/v1/licensing/smart-accounts', { domain, clientId: 'hcs-client', clientSecret: 'secret', authGatewayUrl: cssm.tokenUrl, cssmServerUrl: cssm.apiBase });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    saId = created.body.smartAccount.id;
    assert.equal((await job(created.body.syncJobId)).status, 'SUCCEEDED');
    vaId = (await t.api('GET', '/api/v1/licensing/virtual-accounts?name=HCS-DEMO')).body.items[0].id;
    assert.equal((await t.api('PATCH', `/api/v1/licensing/virtual-accounts/${vaId}`, { licenseMode: 'HCS' })).status, 200);
    const started = await t.api('POST', `/api/v1/licensing/virtual-accounts/${vaId}/assign`, { clusterIds: [clusterId] });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal((await job(started.body.jobs[0].jobId)).status, 'SUCCEEDED');
    assert.equal(cucm.state.registration.status, 'Registered');
  });

  test('L4: a renewed publisher certificate raises an alert naming both fingerprints and fails jobs until accepted; accepting clears it', async () => {
    const oldFingerprint = cucm.certificateFingerprint()!;
    // The Lab's knob (POST /api/v1/lab/uc/{cluster}/certificate/rotate does this for the Lab's clusters).
    const { fingerprint: newFingerprint } = await cucm.rotateCertificate();
    const modeChanges = cucm.modeChangeRequests;
    const started = await t.api('POST', `/api/v1/licensing/clusters/${clusterId}/unassign`);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const failed = await job(started.body.jobId ?? started.body.jobs?.[0]?.jobId);
    assert.equal(failed.status, 'FAILED', JSON.stringify(failed));
    assert.equal(failed.errorCode, 'SBCERT1001');
    assert.match(failed.errorDescription, /other than the one pinned/);
    assert.match(failed.recommendedAction, /accept/i);
    assert.equal(cucm.state.registration.status, 'Registered', 'nothing reached the publisher');
    assert.equal(cucm.modeChangeRequests, modeChanges);

    const cluster = (await t.api('GET', `/api/v1/licensing/clusters/${clusterId}`)).body;
    assert.equal(cluster.certificateFingerprint, oldFingerprint);
    assert.equal(cluster.presentedCertificate.fingerprint, newFingerprint);
    const sa = (await t.api('GET', `/api/v1/licensing/smart-accounts/${saId}`)).body;
    const alert = sa.alerts.find((a: any) => a.clusterId === clusterId);
    assert.ok(alert, JSON.stringify(sa.alerts));
    assert.equal(alert.severity, 'Major');
    assert.match(alert.message, new RegExp(`accepted SHA-256 ${oldFingerprint}`));
    assert.match(alert.message, new RegExp(`presented SHA-256 ${newFingerprint}`));
    const home = (await t.api('GET', '/api/v1/attention')).body;
    assert.ok(JSON.stringify(home).includes('Smart-account alerts'), 'the home page counts it');
    const changed = home.items.find((i: any) => i.key === 'licensing.certificates');
    assert.equal(changed.count, 1, JSON.stringify(changed));
    assert.equal(changed.entries[0].href, `/licensing/clusters/${clusterId}`);
    assert.match(changed.entries[0].detail, new RegExp(`presented SHA-256 ${newFingerprint}`));
    // A sync rewrites CSSM's alerts but keeps this one.
    const sync = await t.api('POST', `/api/v1/licensing/smart-accounts/${saId}/sync`);
    assert.equal((await job(sync.body.jobId)).status, 'SUCCEEDED');
    assert.ok((await t.api('GET', `/api/v1/licensing/smart-accounts/${saId}`)).body.alerts.some((a: any) => a.clusterId === clusterId));

    const wrong = await t.api('POST', `/api/v1/licensing/clusters/${clusterId}/certificate/accept`, { fingerprint: oldFingerprint });
    assert.equal(wrong.status, 422);
    const accepted = await t.api('POST', `/api/v1/licensing/clusters/${clusterId}/certificate/accept`, { fingerprint: newFingerprint.replace(/:/g, ' ') });
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    assert.equal(accepted.body.certificateFingerprint, newFingerprint);
    assert.equal(accepted.body.presentedCertificate, null);
    assert.equal((await t.api('GET', `/api/v1/licensing/smart-accounts/${saId}`)).body.alerts.some((a: any) => a.clusterId === clusterId), false, 'the alert is gone');
    assert.equal((await t.api('GET', '/api/v1/audit?action=licensing.cluster.certificate-accept')).body.items.length, 1);

    const again = await t.api('POST', `/api/v1/licensing/clusters/${clusterId}/unassign`);
    const done = await job(again.body.jobId ?? again.body.jobs?.[0]?.jobId);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    assert.equal(cucm.state.registration.status, 'Unregistered');
    assert.equal((await t.api('GET', '/api/v1/attention')).body.items.find((i: any) => i.key === 'licensing.certificates').count, 0, 'accepted: no longer counted');
  });

  test('L4: the changed certificate of an unassigned cluster (no smart account to alert) counts on the home page, linked to the cluster; accepted from the CLI', async () => {
    assert.equal((await t.api('GET', `/api/v1/licensing/clusters/${clusterId}`)).body.virtualAccountId, null);
    const { fingerprint: newFingerprint } = await cucm.rotateCertificate();
    const check = await t.api('POST', `/api/v1/licensing/clusters/${clusterId}/check`);
    assert.notEqual(check.body.ok, true, JSON.stringify(check.body));
    const home = (await t.api('GET', '/api/v1/attention')).body;
    const changed = home.items.find((i: any) => i.key === 'licensing.certificates');
    assert.equal(changed.count, 1, JSON.stringify(changed));
    assert.equal(changed.href, `/licensing/clusters/${clusterId}`);
    assert.match(changed.entries[0].label, /cl-tls: certificate changed \(not assigned\)/);
    assert.equal((await t.api('GET', `/api/v1/licensing/smart-accounts/${saId}`)).body.alerts.some((a: any) => a.clusterId === clusterId), false, 'no smart account alert for an unassigned cluster');
    const readOnly = await t.tokenFor('read_only_admin');
    const asReadOnly = (await t.api('GET', '/api/v1/attention', undefined, { token: readOnly })).body.items.find((i: any) => i.key === 'licensing.certificates');
    assert.equal(asReadOnly.count, 1, 'a read-only admin sees it too');
    assert.equal(asReadOnly.entries[0].acknowledge, undefined, 'not acknowledgeable: only accepting clears it');
    // Accepted from the CLI (licensing accept-certificate): the old fingerprint is refused, the presented one pinned.
    const cli = (...args: string[]) => run(process.execPath, [path.join(root, 'cli/main.ts'), ...args], { cwd: root, env: { ...process.env, SWITCHBOARD_URL: t.url, SWITCHBOARD_TOKEN: t.adminToken, XDG_CONFIG_HOME: '/nonexistent' } });
    const oldFingerprint = (await t.api('GET', `/api/v1/licensing/clusters/${clusterId}`)).body.certificateFingerprint;
    await assert.rejects(cli('licensing', 'accept-certificate', clusterId, '--fingerprint', oldFingerprint), (e: any) => e.code !== 0 && e.stderr.includes(`presents the certificate with SHA-256 fingerprint ${newFingerprint}`));
    assert.equal((await t.api('GET', `/api/v1/licensing/clusters/${clusterId}`)).body.presentedCertificate.fingerprint, newFingerprint, 'refused: nothing changed');
    const { stdout } = await cli('licensing', 'accept-certificate', clusterId, '--fingerprint', newFingerprint);
    assert.equal(stdout.trim(), `cl-tls: publisher certificate pinned, SHA-256 ${newFingerprint}.`);
    assert.equal((await t.api('GET', `/api/v1/licensing/clusters/${clusterId}`)).body.certificateFingerprint, newFingerprint);
    assert.equal((await t.api('GET', '/api/v1/attention')).body.items.find((i: any) => i.key === 'licensing.certificates').count, 0);
  });
});
