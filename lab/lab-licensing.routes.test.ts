import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { getLab, labArea } from './lab.area.ts';
import { licensingArea } from '../licensing/licensing.area.ts';

// S3–S5 through the API: the CSSM and UC simulators the Licensing area registered in the Lab.
describe('Lab CSSM and UC routes', () => {
  let t: TestSwitchboard;
  before(async () => {
    t = await startTestSwitchboard({ areas: [labArea, licensingArea], config: { lab: 'true' } });
  });
  after(async () => t?.close());

  test('GET /api/v1/lab/cssm: the seeded smart account, satellite-synced VAs counted, licences owned', async () => {
    const res = await t.api('GET', '/api/v1/lab/cssm');
    assert.equal(res.status, 200);
    assert.equal(res.body.running, true);
    const [sa] = res.body.smartAccounts;
    assert.equal(sa.name, 'HCS Lab Partner');
    assert.equal(sa.virtualAccounts, 1285);
    assert.equal(sa.satelliteSynced, 64);
    assert.deepEqual(sa.satellites, ['satellite-ams-01']);
    assert.deepEqual(sa.licenses.find((l: any) => l.virtualAccount === 'HCS-DEMO' && l.license === 'HUCM_Foundation'), { virtualAccount: 'HCS-DEMO', license: 'HUCM_Foundation', quantity: 500, inUse: 0 });
  });

  test('a CSSM fault set through the API reaches the wire, is audited, and clears; bad bodies are 400, a read-only admin 403', async () => {
    const cssm = getLab(t.sb.services)!.cssm!;
    const token = () => fetch(cssm.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&client_id=x&client_secret=y' });
    const set = await t.api('PUT', '/api/v1/lab/cssm/fault', { fault: { kind: 'server-error', status: 503 } });
    assert.equal(set.status, 200);
    assert.deepEqual(set.body.fault, { kind: 'server-error', status: 503 });
    assert.equal((await token()).status, 503);
    assert.equal((await t.api('GET', '/api/v1/lab/cssm')).body.fault.fault.kind, 'server-error');
    const audit = await t.api('GET', '/api/v1/audit?action=lab.cssm.fault.set');
    assert.equal(audit.status, 200);
    assert.equal(audit.body.items.length, 1);
    assert.equal(audit.body.items[0].entityType, 'lab_cssm');
    assert.equal((await t.api('DELETE', '/api/v1/lab/cssm/fault')).body.fault.kind, 'none');
    assert.equal((await token()).status, 401, 'unknown client: the CSSM answers again');

    const bad = await t.api('PUT', '/api/v1/lab/cssm/fault', { fault: { kind: 'server-error', status: 418 } });
    assert.equal(bad.status, 400);
    assert.ok(bad.body.error?.trackingId ?? bad.body.trackingId);
    const readOnly = await t.tokenFor('read_only_admin');
    assert.equal((await t.api('PUT', '/api/v1/lab/cssm/fault', { fault: { kind: 'down' } }, { token: readOnly })).status, 403);
    assert.equal((await t.api('GET', '/api/v1/lab/cssm', undefined, { token: readOnly })).status, 200);
  });

  test('GET /api/v1/lab/uc: nodes with publisher/subscriber roles, licensing mode and registration; a fault on an unknown cluster is 404', async () => {
    const res = await t.api('GET', '/api/v1/lab/uc');
    assert.equal(res.status, 200);
    const cucm = res.body.clusters.find((c: any) => c.name === 'cl1-alfa');
    assert.deepEqual(cucm.nodes.map((n: any) => n.role), ['publisher', 'subscriber']);
    assert.equal(cucm.type, 'CUCM');
    assert.equal(cucm.deploymentMode, 'Enterprise');
    assert.equal(cucm.registration.status, 'Unregistered');
    assert.equal(cucm.authorization, 'Evaluation Mode');
    const cuc = res.body.clusters.find((c: any) => c.name === 'cluster2-test');
    assert.deepEqual(cuc.nodes.map((n: any) => n.role), ['publisher']);

    const down = await t.api('PUT', '/api/v1/lab/uc/cluster2-test/fault', { kind: 'down' });
    assert.equal(down.status, 200);
    assert.equal(getLab(t.sb.services)!.ucClusters.find((c) => c.name === 'cluster2-test')!.getFault().kind, 'down');
    assert.equal((await t.api('DELETE', '/api/v1/lab/uc/cluster2-test/fault')).body.kind, 'none');
    assert.equal((await t.api('PUT', '/api/v1/lab/uc/nope/fault', { kind: 'down' })).status, 404);
    assert.equal((await t.api('PUT', '/api/v1/lab/uc/cluster2-test/fault', { kind: 'slow' })).status, 400);
  });
});

describe('Lab CSSM and UC behaviour knobs', () => {
  let t: TestSwitchboard;
  before(async () => {
    t = await startTestSwitchboard({ areas: [labArea, licensingArea], config: { lab: 'true' } });
  });
  after(async () => t?.close());

  test('CSSM paging and satellite marker are set through the API, reach the wire and are audited', async () => {
    const lab = getLab(t.sb.services)!;
    assert.deepEqual((await t.api('GET', '/api/v1/lab/cssm')).body.behaviour, { maxPageSize: 1000, totalRecords: true, ignoreOffset: false, satelliteMarker: 'satelliteName' });
    const set = await t.api('PUT', '/api/v1/lab/cssm/behaviour', { maxPageSize: 50, totalRecords: false, satelliteMarker: 'satellite' });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.deepEqual(lab.cssm!.getPaging(), { maxPageSize: 50, totalRecords: false, ignoreOffset: false });
    assert.equal(lab.cssm!.getSatelliteMarker(), 'satellite');
    assert.equal((await t.api('GET', '/api/v1/audit?action=lab.cssm.behaviour.set')).body.items.length, 1);
    assert.equal((await t.api('PUT', '/api/v1/lab/cssm/behaviour', { satelliteMarker: 'somewhere' })).status, 400);
    assert.equal((await t.api('PUT', '/api/v1/lab/cssm/behaviour', { pageSize: 5 })).status, 400);
    await t.api('PUT', '/api/v1/lab/cssm/behaviour', { maxPageSize: 1000, totalRecords: true, satelliteMarker: 'satelliteName' });
  });

  test('UC publisher knobs: slow or lost mode changes, registration in progress, 503 while restarting, AXL versions', async () => {
    const cucm = getLab(t.sb.services)!.ucClusters.find((c) => c.name === 'cl1-alfa')!;
    const view = (await t.api('GET', '/api/v1/lab/uc')).body.clusters.find((c: any) => c.name === 'cl1-alfa');
    assert.deepEqual(view.behaviour, { modeChangeMs: 0, revertModeChanges: 0, registrationMs: 0, restartUnavailable: false, axlVersions: ['10.0', '10.5', '11.0', '11.5', '12.0', '12.5'] });
    const set = await t.api('PUT', '/api/v1/lab/uc/cl1-alfa/behaviour', { modeChangeMs: 120_000, revertModeChanges: 1, registrationMs: 5000, restartUnavailable: true, axlVersions: ['14.0', '15.0'] });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.equal(cucm.getBehaviour().modeChangeMs, 120_000);
    assert.deepEqual(cucm.getBehaviour().axlVersions, ['14.0', '15.0']);
    // The AXL schema of a request decides whether the publisher answers it.
    const axl = (ver: string) => fetch(`${cucm.publisherUrl}/axl/`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${cucm.admin.username}:${cucm.admin.password}`).toString('base64')}`, 'content-type': 'text/xml', soapaction: `"CUCM:DB ver=${ver} getCCMVersion"` }, body: `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns="http://www.cisco.com/AXL/API/${ver}"><soapenv:Body><ns:getCCMVersion/></soapenv:Body></soapenv:Envelope>` });
    assert.equal((await axl('12.5')).status, 599);
    const answered = await axl('15.0');
    assert.equal(answered.status, 200);
    assert.match(await answered.text(), /AXL\/API\/15\.0/);
    assert.equal((await t.api('GET', '/api/v1/audit?action=lab.uc.behaviour.set')).body.items.length, 1);
    assert.equal((await t.api('PUT', '/api/v1/lab/uc/cl1-alfa/behaviour', { axlVersions: ['13.0'] })).status, 400);
    assert.equal((await t.api('PUT', '/api/v1/lab/uc/nope/behaviour', { registrationMs: 1 })).status, 404);
    const readOnly = await t.tokenFor('read_only_admin');
    assert.equal((await t.api('PUT', '/api/v1/lab/uc/cl1-alfa/behaviour', { registrationMs: 1 }, { token: readOnly })).status, 403);
  });
});

describe('Lab CSSM and UC routes without the Licensing area', () => {
  test('say the simulators are not running instead of failing', async () => {
    const t = await startTestSwitchboard({ areas: [labArea] });
    try {
      assert.deepEqual((await t.api('GET', '/api/v1/lab/cssm')).body, { running: false, url: null, tokenUrl: null, apiCalls: 0, fault: null, behaviour: null, smartAccounts: [] });
      assert.deepEqual((await t.api('GET', '/api/v1/lab/uc')).body, { running: false, clusters: [] });
      assert.equal((await t.api('PUT', '/api/v1/lab/cssm/fault', { fault: { kind: 'down' } })).status, 409);
    } finally {
      await t.close();
    }
  });
});
