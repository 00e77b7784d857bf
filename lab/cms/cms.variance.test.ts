// The ways a real cluster differs from the default Lab one (CmsVariance), set through functions and
// the control API, and the trace that never shows a secret (M15).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { ManualClock } from '../../platform/clock.ts';
import { createCmsCluster, type CmsVariance } from './cms.cluster.ts';
import { basic, cmsClient, idOf } from './cms.testkit.ts';

async function lab(t: TestContext, variance?: CmsVariance) {
  const clock = new ManualClock('2026-03-01T09:00:00Z');
  const cluster = await createCmsCluster({ nodes: [{ name: 'cb1' }, { name: 'cb2' }], clock, controlPort: 0, tickMs: 0, variance });
  await cluster.start();
  t.after(() => cluster.stop());
  cluster.store.create('outboundDialPlanRules', new Map([['domain', '*'], ['priority', '0']]));
  return { cluster, clock, api: cmsClient(cluster.nodes[0].baseUrl) };
}

test('advertiseScheme: /callBridges shows the nodes with another scheme than they listen with', async (t) => {
  const { cluster, api } = await lab(t);
  const second = cluster.nodes[1];
  assert.match((await api('GET', `/api/v1/callBridges/${second.callBridgeId}`)).body, new RegExp(`<address>${second.baseUrl}</address>`));
  const response = await fetch(`${cluster.controlUrl}/lab/v1/variance`, { method: 'PUT', headers: { authorization: basic(), 'content-type': 'application/json' }, body: JSON.stringify({ advertiseScheme: 'https' }) });
  assert.equal((await response.json() as CmsVariance).advertiseScheme, 'https');
  assert.ok(second.baseUrl.startsWith('http://'));
  const advertised = second.baseUrl.replace('http://', 'https://');
  assert.match((await api('GET', `/api/v1/callBridges/${second.callBridgeId}`)).body, new RegExp(`<address>${advertised}</address>`));
  assert.equal(cluster.describe().nodes[1].advertisedAddress, advertised);
  cluster.setVariance({ advertiseScheme: null });
  assert.match((await api('GET', `/api/v1/callBridges/${second.callBridgeId}`)).body, new RegExp(`<address>${second.baseUrl}</address>`));
});

test('cdrs: false — records are made (history) but no receiver gets any', async (t) => {
  const { cluster, clock, api } = await lab(t, { cdrs: false });
  const received: string[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push(body);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
  await api('POST', '/api/v1/system/cdrReceivers', { url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/cdr` });
  const call = idOf((await api('POST', '/api/v1/calls', { name: 'No CDRs' })).location);
  await api('POST', `/api/v1/calls/${call}/callLegs`, { remoteParty: 'bob@example.com' });
  clock.advance(5000);
  cluster.tick();
  await api('DELETE', `/api/v1/calls/${call}`);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.ok(cluster.cdrHistory('cb1').some((r) => r.type === 'callEnd'));
  assert.deepEqual(received, []);
  cluster.setVariance({ cdrs: true });
  const again = idOf((await api('POST', '/api/v1/calls', { name: 'CDRs again' })).location);
  await api('DELETE', `/api/v1/calls/${again}`);
  for (let i = 0; i < 50 && !received.join('').includes('callEnd'); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.match(received.join(''), /type="callEnd"/);
});

test('pageCap: at most N per page whatever limit asks; total counts everything', async (t) => {
  const { cluster, api } = await lab(t);
  for (let i = 0; i < 7; i++) await api('POST', '/api/v1/coSpaces', { name: `space ${i}`, uri: `s${i}` });
  assert.match((await api('GET', '/api/v1/coSpaces?limit=50')).body, /^<\?xml version="1.0"\?><coSpaces total="7">(<coSpace id="[^"]+">.*?<\/coSpace>){7}<\/coSpaces>$/);
  cluster.setVariance({ pageCap: 3 });
  const body = (await api('GET', '/api/v1/coSpaces?limit=50&offset=3')).body;
  assert.match(body, /<coSpaces total="7">/);
  assert.equal([...body.matchAll(/<coSpace id=/g)].length, 3);
  assert.equal([...(await api('GET', '/api/v1/coSpaces?limit=2')).body.matchAll(/<coSpace id=/g)].length, 2, 'a smaller limit still holds');
  await cluster.setFaults('cb1', { pageCap: 5 });
  assert.equal([...(await api('GET', '/api/v1/coSpaces?limit=50')).body.matchAll(/<coSpace id=/g)].length, 5, "a node's fault wins over the cluster's cap");
});

test('GET /coSpaces: undocumented parameters are ignored, filter matches name, URI and call ID', async (t) => {
  const { api } = await lab(t);
  const set = idOf((await api('POST', '/api/v1/cospaceBulkParameterSets', { startIndex: '100', endIndex: '102', coSpaceUriMapping: '$index$', coSpaceNameMapping: 'Pool_$index$', coSpaceCallIdMapping: '$index$' })).location);
  for (let i = 0; i < 4; i++) await api('POST', '/api/v1/coSpaces', { name: `Other ${i}`, uri: `other${i}` });
  const all = (await api('GET', '/api/v1/coSpaces')).body;
  assert.match((await api('GET', `/api/v1/coSpaces?cospaceBulkParameterSet=${set}`)).body, new RegExp(`^${all.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`), 'the same answer as without it');
  assert.match((await api('GET', '/api/v1/coSpaces?filter=other')).body, /<coSpaces total="4">/);
  assert.match((await api('GET', '/api/v1/coSpaces?filter=OTHER2')).body, /<coSpaces total="1">/);
});

test('forgetBulkSyncsOnRestart: a restarted node answers cospaceBulkSyncDoesNotExist, and the sync never runs', async (t) => {
  const { cluster, clock, api } = await lab(t, { forgetBulkSyncsOnRestart: true });
  const set = idOf((await api('POST', '/api/v1/cospaceBulkParameterSets', { startIndex: '1', endIndex: '3', coSpaceUriMapping: '$index$', coSpaceNameMapping: 'Pool_$index$', coSpaceCallIdMapping: '$index$' })).location);
  const sync = idOf((await api('POST', '/api/v1/cospaceBulkSyncs', { cospaceBulkParameterSet: set })).location);
  assert.equal((await api('GET', `/api/v1/cospaceBulkSyncs/${sync}`)).status, 200);
  const port = cluster.nodes[0].port;
  const response = await fetch(`${cluster.controlUrl}/lab/v1/nodes/cb1/restart`, { method: 'POST', headers: { authorization: basic() } });
  assert.equal(response.status, 200);
  assert.equal(cluster.nodes[0].port, port, 'back on the same port');
  const gone = await api('GET', `/api/v1/cospaceBulkSyncs/${sync}`);
  assert.equal(gone.status, 404);
  assert.match(gone.body, /<cospaceBulkSyncDoesNotExist \/>/);
  clock.advance(60_000);
  cluster.tick();
  assert.match((await api('GET', '/api/v1/coSpaces')).body, /<coSpaces total="0">/);
  // Off: the sync survives the restart (through `down` too) and completes.
  cluster.setVariance({ forgetBulkSyncsOnRestart: false });
  const kept = idOf((await api('POST', '/api/v1/cospaceBulkSyncs', { cospaceBulkParameterSet: set })).location);
  await cluster.setFaults('cb1', { down: true });
  await cluster.clearFaults('cb1');
  clock.advance(60_000);
  cluster.tick();
  assert.match((await api('GET', `/api/v1/cospaceBulkSyncs/${kept}`)).body, /<status>complete<\/status>/);
});

test('M15: the JSON trace and trace listeners show passcodes and secrets as *****', async (t) => {
  const { cluster, api } = await lab(t);
  const heard: string[] = [];
  cluster.onTrace('cb1', (entry) => heard.push(entry.requestBody ?? ''));
  const space = idOf((await api('POST', '/api/v1/coSpaces', { name: 'Secret', uri: 'secret1', passcode: '4321', secret: 'V_diBH_9ARvojUzOOy38Cg' })).location);
  await api('PUT', `/api/v1/coSpaces/${space}`, { passcode: '9876', secret: 'abcDEF', regenerateSecret: 'true' });
  const detail = await api('GET', `/api/v1/coSpaces/${space}`);
  assert.match(detail.body, /9876/, 'the API itself still answers the passcode');
  const entries = cluster.trace('cb1');
  const json = JSON.stringify(entries);
  for (const secret of ['4321', '9876', 'V_diBH_9ARvojUzOOy38Cg', 'abcDEF']) {
    assert.ok(!json.includes(secret), `${secret} in the JSON trace`);
    assert.ok(!heard.join('\n').includes(secret), `${secret} given to a listener`);
    assert.ok(!cluster.traceText('cb1').includes(secret), `${secret} in the text trace`);
  }
  assert.ok(entries.some((e) => /secret=\*\*\*\*\*/.test(e.requestBody ?? '') && /passcode=\*\*\*\*\*/.test(e.requestBody ?? '') && /regenerateSecret=true/.test(e.requestBody ?? '')));
  const control = await (await fetch(`${cluster.controlUrl}/lab/v1/nodes/cb1/trace?format=json`, { headers: { authorization: basic() } })).text();
  assert.ok(!control.includes('9876') && !control.includes('abcDEF'));
});

test('maxConcurrentRequests: a node serves that many at once and answers the next as a busy CMS (503, or 429 when set); the peak is counted', async (t) => {
  const { cluster, clock, api } = await lab(t, { maxConcurrentRequests: 2 });
  const node = cluster.nodes[0].name;
  // Each answer takes 1 s of the cluster's clock, so requests stay in flight until the clock moves.
  await cluster.setFaults(node, { slowMs: 1000 });
  const slow = [api('GET', '/api/v1/coSpaces'), api('GET', '/api/v1/calls')];
  const deadline = Date.now() + 10_000;
  while (cluster.concurrency()[0].inFlight < 2) {
    assert.ok(Date.now() < deadline, 'two requests in flight');
    await new Promise((r) => setTimeout(r, 10));
  }
  const refused = await api('GET', '/api/v1/system/status');
  assert.equal(refused.status, 503);
  cluster.setVariance({ throttleStatus: 429 });
  const tooMany = await api('POST', '/api/v1/coSpaces', { name: 'refused' });
  assert.equal(tooMany.status, 429);
  assert.equal(tooMany.headers.get('retry-after'), '1');
  assert.equal(cluster.store.collections.coSpaces.size, 0, 'a refused request changes nothing');
  clock.advance(1000);
  assert.deepEqual((await Promise.all(slow)).map((r) => r.status), [200, 200]);
  const seen = cluster.concurrency()[0];
  assert.equal(seen.peak, 3, 'the peak includes the refused requests');
  assert.equal(seen.throttled, 2);
  assert.ok(cluster.trace(node).some((e) => e.fault === 'throttled' && e.status === 429));
  assert.equal(cluster.describe().nodes[0].concurrency.throttled, 2);
  // Within the limit again: answered.
  await cluster.clearFaults(node);
  assert.equal((await api('GET', '/api/v1/system/status')).status, 200);
  cluster.resetConcurrency();
  assert.deepEqual({ peak: cluster.concurrency()[0].peak, throttled: cluster.concurrency()[0].throttled }, { peak: 0, throttled: 0 });
});
