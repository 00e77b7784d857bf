// Each injected fault (S5), switched through functions and through the lab control API.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../platform/clock.ts';
import { createCmsCluster } from './cms.cluster.ts';
import { basic, cmsClient, eventually } from './cms.testkit.ts';

async function lab(t: TestContext) {
  const clock = new ManualClock('2026-03-01T09:00:00Z');
  const cluster = await createCmsCluster({ nodes: [{ name: 'cb1' }, { name: 'cb2' }], clock, controlPort: 0 });
  await cluster.start();
  t.after(() => cluster.stop());
  return { cluster, clock, api: cmsClient(cluster.nodes[0].baseUrl) };
}

async function control(url: string, method: string, path: string, body?: unknown) {
  const response = await fetch(url + path, { method, headers: { authorization: basic(), 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, text: await response.text() };
}

test('down: connections refused until the fault is cleared (control API stays up)', async (t) => {
  const { cluster, api } = await lab(t);
  const port = cluster.nodes[0].port;
  assert.equal((await control(cluster.controlUrl, 'PUT', '/lab/v1/nodes/cb1/faults', { down: true })).status, 200);
  await assert.rejects(api('GET', '/api/v1/system/status'), (error: Error & { cause?: { code?: string } }) => error.cause?.code === 'ECONNREFUSED');
  assert.equal((await cmsClient(cluster.nodes[1].baseUrl)('GET', '/api/v1/system/status')).status, 200, 'the other node is up');
  assert.deepEqual(JSON.parse((await control(cluster.controlUrl, 'DELETE', '/lab/v1/nodes/cb1/faults')).text), {});
  assert.equal(cluster.nodes[0].port, port, 'same port after coming back');
  assert.equal((await api('GET', '/api/v1/system/status')).status, 200);
});

test('hang: accepted, never answered; clearing the fault drops the held connections', async (t) => {
  const { cluster, api } = await lab(t);
  await cluster.setFaults('cb1', { hang: true });
  const pending = api('GET', '/api/v1/coSpaces');
  let settled = false;
  pending.then(() => (settled = true), () => (settled = true));
  await eventually(() => cluster.trace('cb1').some((e) => e.fault === 'hang'));
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(settled, false);
  await cluster.setFaults('cb1', { hang: false });
  await assert.rejects(pending);
  assert.match(cluster.traceText('cb1'), /no response sent \(hang\)/);
});

test('slow: answers after the added latency on the simulator clock', async (t) => {
  const { cluster, api, clock } = await lab(t);
  await cluster.setFaults('cb1', { slowMs: 3000 });
  let done = false;
  const pending = api('GET', '/api/v1/system/status').then((r) => ((done = true), r));
  await eventually(() => cluster.trace('cb1').length > 0);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(done, false);
  clock.advance(3000);
  assert.equal((await pending).status, 200);
});

test('busy, unauthorized, malformed XML, page cap and scripted failures', async (t) => {
  const { cluster, api } = await lab(t);
  for (let i = 0; i < 12; i++) cluster.store.create('coSpaces', new Map([['name', `s${i}`]]));
  await cluster.setFaults('cb1', { busy: true });
  const busy = await api('GET', '/api/v1/coSpaces');
  assert.equal(busy.status, 503);
  assert.equal(busy.body, '');

  await cluster.setFaults('cb1', { busy: false, unauthorized: true });
  const denied = await api('GET', '/api/v1/coSpaces');
  assert.equal(denied.status, 401);
  assert.equal(denied.headers.get('www-authenticate'), 'Basic realm="acano"');

  await cluster.setFaults('cb1', { unauthorized: false, malformedXml: true });
  const broken = await api('GET', '/api/v1/coSpaces');
  assert.equal(broken.status, 200);
  assert.ok(broken.body.startsWith('<?xml version="1.0"?><coSpaces'));
  assert.ok(!broken.body.endsWith('</coSpaces>'), 'document cut short');

  await cluster.setFaults('cb1', { malformedXml: false, pageCap: 5 });
  assert.equal(((await api('GET', '/api/v1/coSpaces?limit=50')).body.match(/<coSpace id=/g) ?? []).length, 5);

  await control(cluster.controlUrl, 'PUT', '/lab/v1/nodes/cb1/faults', { pageCap: null, failNext: [{ path: '/api/v1/cospaces', method: 'POST', count: 2, status: 500 }] });
  assert.equal((await api('GET', '/api/v1/coSpaces')).status, 200, 'other methods unaffected');
  assert.equal((await api('POST', '/api/v1/coSpaces', { name: 'x' })).status, 500);
  assert.equal((await api('POST', '/api/v1/coSpaces', { name: 'x' })).status, 500);
  assert.equal((await api('POST', '/api/v1/coSpaces', { name: 'x' })).status, 200, 'third attempt passes');
  assert.deepEqual(cluster.getFaults('cb1'), {});
});

test('control API: cluster description, trace (text, JSON, masked), dial-in, auth', async (t) => {
  const { cluster, api } = await lab(t);
  await api('POST', '/api/v1/coSpaces', { name: 'Secret room', uri: 'sr', callId: '777', passcode: '4321' });
  const description = JSON.parse((await control(cluster.controlUrl, 'GET', '/lab/v1')).text);
  assert.deepEqual(description.nodes.map((n: { name: string; up: boolean }) => [n.name, n.up]), [['cb1', true], ['cb2', true]]);
  const text = (await control(cluster.nodes[0].baseUrl, 'GET', '/lab/v1/nodes/cb1/trace')).text;
  assert.match(text, /API trace 1: POST for "\/api\/v1\/coSpaces" \(from 127\.0\.0\.1\)\nAPI trace 1: content data size \d+, type "application\/x-www-form-urlencoded":/);
  assert.match(text, /passcode=\*\*\*\*\*/);
  assert.doesNotMatch(text, /4321/);
  const detail = await api('GET', '/api/v1/coSpaces?filter=secret');
  assert.equal(detail.status, 200);
  const entries = JSON.parse((await control(cluster.controlUrl, 'GET', '/lab/v1/nodes/cb1/trace?since=1&format=json')).text);
  assert.equal(entries.length, 1);
  const id = /coSpace id="([^"]+)"/.exec(detail.body)![1];
  await api('GET', `/api/v1/coSpaces/${id}`);
  assert.match(cluster.traceText('cb1', 2), /<secret>\*\*\*\*\*<\/secret>/);
  const dial = JSON.parse((await control(cluster.controlUrl, 'POST', '/lab/v1/dial-in', { callId: '777', passcode: '4321', node: 'cb2' })).text);
  assert.equal(dial.admitted, true);
  const refused = await fetch(`${cluster.controlUrl}/lab/v1`);
  assert.equal(refused.status, 401);
  const lines: string[] = [];
  const unsubscribe = cluster.onTrace('cb1', (_entry, formatted) => lines.push(...formatted));
  await api('GET', '/api/v1/system/status');
  unsubscribe();
  assert.match(lines[0], /^API trace \d+: GET for "\/api\/v1\/system\/status"/);
});
