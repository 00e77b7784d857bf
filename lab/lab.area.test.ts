import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { getLab, labArea } from './lab.area.ts';

// S1/S5 through Switchboard: `npm start` runs the default lab, and its faults are switchable
// from the API (and so the console and CLI).
describe('lab area', () => {
  let t: TestSwitchboard;
  before(async () => {
    t = await startTestSwitchboard({ areas: [labArea], config: { lab: 'true' } });
  });
  after(async () => t?.close());

  test('starts one 2-node CMS cluster and one single node, answering on loopback', async () => {
    const res = await t.api('GET', '/api/v1/lab');
    assert.equal(res.status, 200);
    assert.equal(res.body.enabled, true);
    assert.deepEqual(res.body.cms.map((c: any) => c.nodes.length), [2, 1]);
    const lab = getLab(t.sb.services)!;
    const { cluster, username, password } = lab.cmsClusters[0];
    const status = await fetch(`${cluster.nodes[1].baseUrl}/api/v1/callBridges`, {
      headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
    });
    assert.equal(status.status, 200);
    assert.match(await status.text(), /<callBridges total="2">/);
    assert.ok(!JSON.stringify(res.body).includes(password), 'the lab password is not in the API');
  });

  test('a fault set through the API takes effect on the node and is audited; clearing restores it', async () => {
    const lab = getLab(t.sb.services)!;
    const { cluster, username, password } = lab.cmsClusters[1];
    const node = cluster.nodes[0];
    const auth = { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
    const set = await t.api('PUT', `/api/v1/lab/cms/${cluster.name}/nodes/${node.name}/faults`, { busy: true });
    assert.equal(set.status, 200);
    assert.equal(set.body.busy, true);
    assert.equal((await fetch(`${node.baseUrl}/api/v1/system/status`, { headers: auth })).status, 503);
    const audit = await t.api('GET', '/api/v1/audit?action=lab.faults.set');
    assert.equal(audit.body.total, 1);
    const cleared = await t.api('DELETE', `/api/v1/lab/cms/${cluster.name}/nodes/${node.name}/faults`);
    assert.equal(cleared.status, 200);
    assert.equal((await fetch(`${node.baseUrl}/api/v1/system/status`, { headers: auth })).status, 200);
    const trace = await t.api('GET', `/api/v1/lab/cms/${cluster.name}/nodes/${node.name}/trace`);
    assert.ok(trace.body.entries.some((e: any) => e.status === 503 && e.path === '/api/v1/system/status'));
  });

  test('the cluster\'s variance through the API: advertised scheme, CDRs, page cap, bulk syncs on restart; restart; masked trace', async () => {
    const lab = getLab(t.sb.services)!;
    const { cluster, username, password } = lab.cmsClusters[0];
    const auth = { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
    const form = { ...auth, 'content-type': 'application/x-www-form-urlencoded' };
    const [a, b] = cluster.nodes;
    const initial = (await t.api('GET', '/api/v1/lab')).body.cms[0];
    assert.deepEqual(initial.settings, { advertiseScheme: null, cdrs: true, pageCap: null, forgetBulkSyncsOnRestart: false, maxConcurrentRequests: null, throttleStatus: null });
    const set = await t.api('PUT', `/api/v1/lab/cms/${cluster.name}/settings`, { advertiseScheme: 'https', cdrs: false, pageCap: 2, forgetBulkSyncsOnRestart: true });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.deepEqual((await t.api('GET', `/api/v1/lab/cms/${cluster.name}/settings`)).body, { advertiseScheme: 'https', cdrs: false, pageCap: 2, forgetBulkSyncsOnRestart: true, maxConcurrentRequests: null, throttleStatus: null });
    const shown = (await t.api('GET', '/api/v1/lab')).body.cms[0];
    assert.equal(shown.nodes[1].advertisedAddress, b.baseUrl.replace('http://', 'https://'));
    assert.match(await (await fetch(`${a.baseUrl}/api/v1/callBridges/${b.callBridgeId}`, { headers: auth })).text(), new RegExp(`<address>${b.baseUrl.replace('http://', 'https://')}</address>`));
    assert.match(await (await fetch(`${a.baseUrl}/api/v1/callBridges`, { headers: auth })).text(), /<callBridges total="2">/);
    assert.equal(cluster.getVariance().cdrs, false);
    for (let i = 0; i < 3; i++) await fetch(`${a.baseUrl}/api/v1/coSpaces`, { method: 'POST', headers: form, body: `name=Lab+${i}&uri=lab${i}&passcode=1234&secret=s3cret${i}` });
    assert.equal([...(await (await fetch(`${a.baseUrl}/api/v1/coSpaces?limit=10`, { headers: auth })).text()).matchAll(/<coSpace id=/g)].length, 2);
    const set0 = (await fetch(`${a.baseUrl}/api/v1/cospaceBulkParameterSets`, { method: 'POST', headers: form, body: 'startIndex=1&endIndex=2&coSpaceUriMapping=%24index%24' })).headers.get('location')!.split('/').pop();
    const sync = (await fetch(`${a.baseUrl}/api/v1/cospaceBulkSyncs`, { method: 'POST', headers: form, body: `cospaceBulkParameterSet=${set0}` })).headers.get('location')!.split('/').pop();
    const restarted = await t.api('POST', `/api/v1/lab/cms/${cluster.name}/nodes/${a.name}/restart`);
    assert.equal(restarted.status, 200);
    assert.equal((await fetch(`${a.baseUrl}/api/v1/cospaceBulkSyncs/${sync}`, { headers: auth })).status, 404);
    const trace = await t.api('GET', `/api/v1/lab/cms/${cluster.name}/nodes/${a.name}/trace`);
    assert.ok(!JSON.stringify(trace.body).includes('s3cret'), 'the trace shows no secret');
    assert.ok(trace.body.entries.some((e: any) => /secret=\*\*\*\*\*/.test(e.requestBody ?? '')));
    assert.equal((await t.api('GET', '/api/v1/audit?action=lab.cms.settings')).body.total, 1);
    assert.equal((await t.api('GET', '/api/v1/audit?action=lab.cms.restart')).body.total, 1);
    assert.equal((await t.api('PUT', `/api/v1/lab/cms/${cluster.name}/settings`, { advertiseScheme: 'ftp' })).status, 400);
    assert.equal((await t.api('PUT', `/api/v1/lab/cms/${cluster.name}/settings`, { cdrs: true }, { token: await t.tokenFor('booker') })).status, 403);
    await t.api('PUT', `/api/v1/lab/cms/${cluster.name}/settings`, { advertiseScheme: null, cdrs: true, pageCap: null, forgetBulkSyncsOnRestart: false });
  });

  test('a call made on the Lab CMS is listed with its participants and their state; an ended leg leaves the list', async () => {
    const lab = getLab(t.sb.services)!;
    const { cluster, username, password } = lab.cmsClusters[0];
    const form = { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' };
    const node = cluster.nodes[1];
    const post = async (path: string, body: string) => (await fetch(`${node.baseUrl}/api/v1${path}`, { method: 'POST', headers: form, body })).headers.get('location')!.split('/').pop()!;
    assert.deepEqual((await t.api('GET', `/api/v1/lab/cms/${cluster.name}/calls`)).body, { calls: [] });
    const call = await post('/calls', 'name=Weekly+sync');
    const leg = await post(`/calls/${call}/callLegs`, 'remoteParty=alice%40example.com');
    await post(`/calls/${call}/participants`, 'remoteParty=bob%40example.com');
    const listed = (await t.api('GET', `/api/v1/lab/cms/${cluster.name}/calls`)).body.calls;
    assert.equal(listed.length, 1);
    assert.deepEqual({ id: listed[0].id, name: listed[0].name, node: listed[0].node, callType: listed[0].callType }, { id: call, name: 'Weekly sync', node: node.name, callType: 'adHoc' });
    assert.deepEqual(listed[0].legs.map((l: any) => [l.remoteParty, l.direction]).sort(), [['alice@example.com', 'outgoing'], ['bob@example.com', 'outgoing']]);
    assert.ok(listed[0].legs.every((l: any) => ['initial', 'ringing', 'connected'].includes(l.state) && !Number.isNaN(Date.parse(l.createdAt))));
    cluster.remoteHangUp(node.name, leg);
    const after = (await t.api('GET', `/api/v1/lab/cms/${cluster.name}/calls`)).body.calls;
    assert.deepEqual(after[0].legs.map((l: any) => l.remoteParty), ['bob@example.com']);
    await fetch(`${node.baseUrl}/api/v1/calls/${call}`, { method: 'DELETE', headers: form });
    assert.deepEqual((await t.api('GET', `/api/v1/lab/cms/${cluster.name}/calls`)).body, { calls: [] });
    assert.equal((await t.api('GET', '/api/v1/lab/cms/nope/calls')).status, 404);
  });

  test('a fault form sends the whole set: null clears a page cap or a slow delay, false a switch', async () => {
    const url = '/api/v1/lab/cms/cms-lab-single/nodes/callbridge-solo/faults';
    assert.deepEqual((await t.api('PUT', url, { busy: true, slowMs: 100, pageCap: 3 })).body, { busy: true, slowMs: 100, pageCap: 3 });
    assert.deepEqual((await t.api('PUT', url, { busy: false, slowMs: null, pageCap: null, failNext: null, down: false })).body, {});
    const bad = await t.api('PUT', url, { pageCap: 0 });
    assert.equal(bad.status, 400);
    assert.match([bad.body.error.details.issues[0].path].flat().join('.'), /(^|\.)pageCap$/);
  });

  test('unknown nodes are 404, bad fault bodies 400, and a booker may not inject faults', async () => {
    assert.equal((await t.api('PUT', '/api/v1/lab/cms/nope/nodes/x/faults', { busy: true })).status, 404);
    const bad = await t.api('PUT', '/api/v1/lab/cms/cms-lab-single/nodes/callbridge-solo/faults', { busy: 'very' });
    assert.equal(bad.status, 400);
    const booker = await t.tokenFor('booker');
    assert.equal((await t.api('PUT', '/api/v1/lab/cms/cms-lab-single/nodes/callbridge-solo/faults', { busy: true }, { token: booker })).status, 403);
  });
});
