import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ManualClock } from '../platform/clock.ts';
import { createCmsCluster, type CmsCluster } from '../lab/cms/cms.cluster.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { createMeetingsArea } from './meetings.area.ts';
import { inheritAddress } from './bridges.service.ts';
import { cmsClient } from '../lab/cms/cms.testkit.ts';

// Issue #14: how nodes are reached (M5, M4, M13), dial-out outcomes without CDRs (M9/M10), the pool
// read by what the CMS API documents (M7), a bulk sync the bridge forgot (M7) — each against a Lab
// cluster set to behave like the real one that showed the defect.
describe('Meetings: clusters as real CMS deployments differ', () => {
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  const clusters: CmsCluster[] = [];
  let t: TestSwitchboard;

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
  async function lab(name: string, nodes: string[], options: Partial<Parameters<typeof createCmsCluster>[0]> = {}) {
    const cluster = await createCmsCluster({ name, nodes: nodes.map((n) => ({ name: n, host: '127.0.0.1', port: 0 })), clock, ...options });
    await cluster.start();
    cluster.store.create('outboundDialPlanRules', new Map([['domain', '*'], ['priority', '0']]));
    clusters.push(cluster);
    return cluster;
  }
  const nodesOf = async (bridgeId: string) => (await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/nodes`)).body.items as any[];
  const job = (id: string) => until(`job ${id}`, async () => {
    const j = (await t.api('GET', `/api/v1/jobs/${id}`)).body;
    return ['completed', 'failed'].includes(j.state) && j;
  });
  /** The `switchboard` command against this server, as an operator runs it. */
  function switchboard(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [fileURLToPath(new URL('../cli/main.ts', import.meta.url)), ...args], { env: { ...process.env, SWITCHBOARD_URL: t.url, SWITCHBOARD_TOKEN: t.adminToken }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }
  const poll = async (bridgeId: string) => job((await t.api('POST', `/api/v1/meetings/bridges/${bridgeId}/poll`)).body.jobId);
  async function addBridge(body: Record<string, unknown>) {
    const added = await t.api('POST', '/api/v1/meetings/bridges', { username: 'admin', password: 'admin', ...body });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.equal(added.body.items[0].error, null, JSON.stringify(added.body));
    return added.body.items[0].id as string;
  }
  async function withPool(bridgeId: string, base: number, quantity: number) {
    const patched = await t.api('PATCH', `/api/v1/meetings/bridges/${bridgeId}`, { sipDomain: 'lab.local', numericIdBase: base, numericIdQuantity: quantity });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    return job(patched.body.poolSyncJobId);
  }

  before(async () => {
    t = await startTestSwitchboard({ clock, areas: [createMeetingsArea({ tickMs: 1000, statusIntervalMs: 5000, backoffMs: 200 })], config: { jobPollSeconds: 0.5 } as never });
  });
  after(async () => {
    await t?.close();
    for (const cluster of clusters) await cluster.stop();
  });

  test('inheritAddress: the added bridge\'s scheme; the advertised port, else the added one, else the default', () => {
    assert.equal(inheritAddress('https://10.0.0.2', 'http://10.0.0.1'), 'http://10.0.0.2');
    assert.equal(inheritAddress('https://10.0.0.2:8443', 'http://10.0.0.1'), 'http://10.0.0.2:8443');
    assert.equal(inheritAddress('https://10.0.0.2', 'https://10.0.0.1:445'), 'https://10.0.0.2:445');
    assert.equal(inheritAddress('10.0.0.2', 'http://10.0.0.1:8080'), 'http://10.0.0.2:8080');
    assert.equal(inheritAddress('http://cms2.example.net:80', 'https://cms1.example.net'), 'https://cms2.example.net');
    assert.equal(inheritAddress('https://[fd00::2]', 'http://[fd00::1]:8080'), 'http://[fd00::2]:8080');
  });

  test('M5: a cluster added over plain HTTP whose /callBridges says https — every node reached over HTTP, healthy, with a CDR receiver', async () => {
    const cms = await lab('plain', ['plain-a', 'plain-b'], { variance: { advertiseScheme: 'https' } });
    const [a, b] = cms.nodes;
    const bridgeId = await addBridge({ address: `127.0.0.1:${a.port}`, tls: false, name: 'Plain HTTP cluster' });
    const nodes = await nodesOf(bridgeId);
    const second = nodes.find((n) => n.name === 'plain-b');
    assert.equal(second.address, `http://127.0.0.1:${b.port}`);
    assert.equal(second.advertisedAddress, `https://127.0.0.1:${b.port}`);
    assert.equal(second.addressOverride, null);
    assert.deepEqual(nodes.map((n) => n.cdrReceiver), [true, true], 'both nodes send their CDRs to Switchboard');
    assert.equal(b.bridge.cdr.receivers.size, 1);
    assert.equal((await poll(bridgeId)).state, 'completed');
    const bridge = (await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}`)).body;
    assert.ok(bridge.nodes.every((n: any) => n.healthy), JSON.stringify(bridge.nodes));
    assert.equal(bridge.tickets.some((x: any) => x.title === 'Connection Error'), false);
  });

  test('M5: nodes stored before (the advertised https address as their address) are reached over HTTP from the next poll', async () => {
    const cms = await lab('upgraded', ['up-a', 'up-b'], { variance: { advertiseScheme: 'https' } });
    const [a, b] = cms.nodes;
    const bridgeId = await addBridge({ address: `127.0.0.1:${a.port}`, tls: false, name: 'Added before' });
    const { bridgeNodes } = await import('./bridges.schema.ts');
    const { eq } = await import('drizzle-orm');
    const second = (await nodesOf(bridgeId)).find((n) => n.name === 'up-b');
    await t.sb.services.database.db.update(bridgeNodes).set({ address: `https://127.0.0.1:${b.port}`, advertisedAddress: null, healthy: false, lastError: 'TLS' }).where(eq(bridgeNodes.id, second.id));
    assert.equal((await poll(bridgeId)).state, 'completed');
    const upgraded = (await nodesOf(bridgeId)).find((n) => n.name === 'up-b');
    assert.equal(upgraded.address, `http://127.0.0.1:${b.port}`);
    assert.equal(upgraded.advertisedAddress, `https://127.0.0.1:${b.port}`);
    assert.equal(upgraded.healthy, true);
  });

  test('M4/M5: the operator overrides a node\'s address (audited, refused when another node has it) and goes back to the advertised one', async () => {
    const cms = await lab('override', ['ov-a', 'ov-b'], { variance: { advertiseScheme: 'https' } });
    const [a, b] = cms.nodes;
    const bridgeId = await addBridge({ address: `http://127.0.0.1:${a.port}`, name: 'Override' });
    const second = (await nodesOf(bridgeId)).find((n) => n.name === 'ov-b');
    // Through the CLI, by node name (the API below).
    const cli = await switchboard(['bridges', 'node-address', bridgeId, 'ov-b', `localhost:${b.port}`]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, new RegExp(`ov-b is reached at http://localhost:${b.port} \\(entered\\)`));
    const set = { body: (await nodesOf(bridgeId)).find((n) => n.id === second.id) };
    assert.equal(set.body.address, `http://localhost:${b.port}`, 'a bare address takes the bridge\'s scheme');
    assert.equal(set.body.addressOverride, `http://localhost:${b.port}`);
    const mark = b.trace.entries().at(-1)?.n ?? 0;
    assert.equal((await poll(bridgeId)).state, 'completed');
    assert.ok(b.trace.entries(mark).some((e) => e.path === '/api/v1/system/status' && e.status === 200), 'polled at the new address');
    assert.equal((await nodesOf(bridgeId)).find((n) => n.id === second.id).healthy, true);
    const clash = await t.api('PATCH', `/api/v1/meetings/bridges/${bridgeId}/nodes/${second.id}`, { address: `http://127.0.0.1:${a.port}` });
    assert.equal(clash.status, 409);
    assert.match(clash.body.error.message, /already been added/);
    const back = await t.api('PATCH', `/api/v1/meetings/bridges/${bridgeId}/nodes/${second.id}`, { address: null });
    assert.equal(back.status, 200, JSON.stringify(back.body));
    assert.equal(back.body.address, `http://127.0.0.1:${b.port}`);
    assert.equal(back.body.addressOverride, null);
    const audit = await t.api('GET', '/api/v1/audit?action=bridge.node-address');
    assert.equal(audit.body.items.length, 2);
  });

  test('M13: when the address the bridge was added by fails, requests go to its alternate address', async () => {
    const cms = await lab('alternate', ['alt-solo']);
    const node = cms.nodes[0];
    // The address the bridge is added by is a TCP relay to the node: closing it fails that address only.
    const sockets = new Set<net.Socket>();
    const relay = net.createServer((inbound) => {
      const outbound = net.connect(node.port, '127.0.0.1');
      for (const s of [inbound, outbound]) {
        sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => sockets.delete(s));
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const relayPort = (relay.address() as net.AddressInfo).port;
    const bridgeId = await addBridge({ address: `127.0.0.1:${relayPort}`, tls: false, name: 'With alternate' });
    const patched = await t.api('PATCH', `/api/v1/meetings/bridges/${bridgeId}`, { alternateAddress: `localhost:${node.port}` });
    assert.equal(patched.body.alternateAddress, `localhost:${node.port}`);
    await new Promise<void>((resolve) => {
      relay.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
    const synced = await withPool(bridgeId, 700, 3);
    assert.equal(synced.state, 'completed', JSON.stringify(synced.error));
    const trace = (await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/trace?limit=200`)).body.items;
    assert.ok(trace.some((e: any) => e.node.startsWith('alternate') && e.method === 'POST' && e.path === '/api/v1/cospaceBulkSyncs' && e.status === 200), 'the sync went to the alternate address');
    assert.equal((await poll(bridgeId)).state, 'completed');
    const polled = await nodesOf(bridgeId);
    assert.equal(polled[0].healthy, true);
    assert.match(polled[0].lastError, /reached through the alternate address/);
  });

  test('M9/M10: with no CDRs, dial-out outcomes are read from the call legs within seconds', async () => {
    const cms = await lab('no-cdrs', ['quiet-a'], { variance: { cdrs: false }, dialRules: [{ match: 'busy*', outcome: 'busy' }] });
    const bridgeId = await addBridge({ address: cms.nodes[0].baseUrl, name: 'No CDRs' });
    assert.equal((await withPool(bridgeId, 800, 2)).state, 'completed');
    const booked = await t.api('POST', '/api/v1/meetings/bookings', { title: 'Quiet', start: '2026-03-02T09:00:00Z', durationMinutes: 30, timeZone: 'UTC', bridgeId, dialOut: ['alice@example.com', 'busy.bob@example.com'] });
    assert.equal(booked.status, 201, JSON.stringify(booked.body));
    const occurrenceId = (await t.api('GET', `/api/v1/meetings/bookings/${booked.body.id}`)).body.occurrences[0].id;
    clock.set('2026-03-02T09:00:00Z');
    const startedAt = clock.now().getTime();
    const outcomes = async () => Object.fromEntries((await t.api('GET', `/api/v1/meetings/meetings/${occurrenceId}`)).body.legs.map((l: any) => [l.remoteParty, l]));
    const settled = await until('outcomes', async () => {
      const legs = await outcomes();
      return legs['alice@example.com']?.outcome === 'connected' && legs['busy.bob@example.com']?.outcome === 'failed' && legs;
    });
    assert.ok(clock.now().getTime() - startedAt <= 20_000, `known after ${clock.now().getTime() - startedAt} ms of clock time`);
    assert.match(settled['busy.bob@example.com'].reason, /no CDR/);
    assert.equal(cms.cdrHistory('quiet-a').some((r) => r.type === 'callLegEnd'), true, 'the bridge made CDRs but sent none');
    assert.equal((await t.api('GET', `/api/v1/meetings/meetings/${occurrenceId}`)).body.history.length, 0);
    // Its CDRs are known missing: the connected leg's end is read too.
    cms.remoteHangUp('quiet-a', settled['alice@example.com'].callLegId);
    await until('ended', async () => (await outcomes())['alice@example.com'].outcome === 'ended');
    await t.api('POST', `/api/v1/meetings/meetings/${occurrenceId}/end`);
    await until('meeting ended', async () => (await t.api('GET', `/api/v1/meetings/meetings/${occurrenceId}`)).body.state === 'ended');
  });

  test('M7: the pool is read with `filter` on the space name prefix — 15 other spaces on the bridge cost no page', async () => {
    const cms = await lab('crowded', ['crowded-a']);
    const api = cmsClient(cms.nodes[0].baseUrl);
    for (let i = 0; i < 15; i++) assert.equal((await api('POST', '/api/v1/coSpaces', { name: `Team room ${i}`, uri: `team${i}` })).status, 200);
    const bridgeId = await addBridge({ address: cms.nodes[0].baseUrl, name: 'Crowded' });
    assert.equal((await withPool(bridgeId, 100, 25)).state, 'completed');
    const lists = () => cms.trace('crowded-a').filter((e) => e.method === 'GET' && e.path === '/api/v1/coSpaces').length;
    const before = lists();
    const reconcile = await t.api('POST', `/api/v1/meetings/bridges/${bridgeId}/pool/reconcile`);
    const done = await job(reconcile.body.jobId);
    assert.equal(done.state, 'completed', JSON.stringify(done.error));
    assert.equal(done.result.drift, 0);
    assert.equal(lists() - before, 3, '25 pool spaces, 10 per page');
    const product = (await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/trace?path=/api/v1/coSpaces%3F&limit=20`)).body.items;
    assert.ok(product.length > 0 && product.every((e: any) => /[?&]filter=TMS_Scheduled_Meeting_/.test(e.path) && !/cospaceBulkParameterSet/.test(e.path)), JSON.stringify(product.map((e: any) => e.path)));
    // A smaller page cap than asked: the client steps by what it got.
    cms.setVariance({ pageCap: 3 });
    const again = await t.api('POST', `/api/v1/meetings/bridges/${bridgeId}/pool/sync`);
    const resynced = await job(again.body.jobId);
    assert.equal(resynced.state, 'completed', JSON.stringify(resynced.error));
    assert.equal((await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/pool`)).body.items.length, 25);
  });

  test('M7: a pool sync whose bulk sync the bridge forgot in a restart queues it again and completes', async () => {
    const cms = await lab('forgetful', ['forget-a'], { variance: { forgetBulkSyncsOnRestart: true }, timing: { bulkSyncPendingMs: 20_000 } });
    const bridgeId = await addBridge({ address: cms.nodes[0].baseUrl, name: 'Forgetful' });
    const patched = await t.api('PATCH', `/api/v1/meetings/bridges/${bridgeId}`, { sipDomain: 'lab.local', numericIdBase: 900, numericIdQuantity: 4 });
    const syncPosts = () => cms.trace('forget-a').filter((e) => e.method === 'POST' && e.path === '/api/v1/cospaceBulkSyncs');
    await until('sync queued', async () => syncPosts().length === 1);
    await cms.restart('forget-a');
    const done = await job(patched.body.poolSyncJobId);
    assert.equal(done.state, 'completed', JSON.stringify(done.error));
    assert.equal(done.attempt ?? 1, 1);
    assert.equal(syncPosts().length, 2, 'queued once more, not on every poll');
    assert.equal((await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/pool`)).body.items.length, 4);
  });
});
