import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createSwitchboard, type Switchboard } from '../platform/app.ts';
import { areaFactories } from '../cli/areas.ts';
import { createTestDatabase, type TestDatabase } from '../test/support/test-database.ts';
import { waitFor } from '../test/support/wait-for.ts';
import { getLab } from './lab.area.ts';
import os from 'node:os';
import { createLogger } from '../platform/logger.ts';
import { labStateFiles, openLabState, resetLabState } from './lab.state.ts';

// #14 part 3: the Lab's state and ports survive a restart of Switchboard (the same data directory,
// the same database — embedded, or PostgreSQL when DATABASE_URL is set); `switchboard lab reset`
// forgets them, and refuses while a server owns them.

const root = path.resolve(import.meta.dirname, '..');

type Server = { sb: Switchboard; url: string; token: string; api<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> };

async function startServer(database: TestDatabase): Promise<Server> {
  const sb = await createSwitchboard({ config: database.config, areas: areaFactories, createFirstAdmin: true });
  const url = await sb.listen();
  const system = { type: 'system' as const, id: null, name: 'test', role: 'system' as const, customerOrgId: null };
  const { token } = await sb.services.auth.createApiToken({ name: `test-${Date.now()}`, role: 'partner_full_admin' }, system);
  return {
    sb,
    url,
    token,
    async api(method, route, body) {
      const response = await fetch(url + route, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : null };
    },
  };
}

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    for (const name of Object.keys(env)) if (name.startsWith('SWITCHBOARD_')) delete env[name];
    const child = spawn(process.execPath, ['cli/main.ts', ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A space on a Lab CMS node, through the node's own API (Basic auth, form body). */
async function cms(server: Server, method: string, route: string, form?: Record<string, string>) {
  const { cluster, username, password } = getLab(server.sb.services)!.cmsClusters.find((c) => c.cluster.name === 'cms-lab-cluster')!;
  const response = await fetch(cluster.nodes[1].baseUrl + route, {
    method,
    headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`, ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    body: form ? new URLSearchParams(form).toString() : undefined,
  });
  return { status: response.status, text: await response.text() };
}

const ucCluster = async (server: Server, name: string) => (await server.api('GET', '/api/v1/lab/uc')).body.clusters.find((c: any) => c.name === name);
const bwUser = async (server: Server, userId: string) => (await server.api('GET', '/api/v1/partner/lab/broadworks')).body.state.users.find((u: any) => u.userId === userId);
const nodePorts = (server: Server) => getLab(server.sb.services)!.cmsClusters.map(({ cluster }) => cluster.nodes.map((n) => n.port));

describe('Lab state across a restart of Switchboard', () => {
  let database: TestDatabase;
  let server: Server | undefined;
  before(async () => {
    database = await createTestDatabase({ lab: 'true' });
  });
  after(async () => {
    await server?.sb.close();
    await database?.drop();
  });

  test('CMS spaces and ports, CSSM, CUCM registration and BroadWorks IM&P survive; `lab reset` refuses while running, then empties it', async () => {
    server = await startServer(database);
    const first = server;
    // Switchboard registers the CUCM: a license mode the publisher already has (no restart needed).
    const demo = await waitFor('the Lab smart account synced', async () => (await first.api('GET', '/api/v1/licensing/virtual-accounts?name=HCS-DEMO')).body.items?.[0]);
    assert.equal((await first.api('PATCH', `/api/v1/licensing/virtual-accounts/${demo.id}`, { licenseMode: 'Enterprise' })).status, 200);
    const alfa = (await first.api('GET', '/api/v1/licensing/clusters?name=cl1-alfa')).body.items.find((c: any) => c.name === 'cl1-alfa');
    const assign = await first.api('POST', `/api/v1/licensing/virtual-accounts/${demo.id}/assign`, { clusterIds: [alfa.id] });
    assert.equal(assign.status, 202, JSON.stringify(assign.body));
    const done = await waitFor('the assignment job', async () => {
      const res = await first.api('GET', `/api/v1/licensing/jobs/${assign.body.jobs[0].jobId}`);
      return ['SUCCEEDED', 'FAILED'].includes(res.body.status) ? res.body : false;
    }, { timeoutMs: 120_000 });
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    assert.equal((await ucCluster(first, 'cl1-alfa')).registration.status, 'Registered');
    const cssmBefore = (await first.api('GET', '/api/v1/lab/cssm')).body.smartAccounts[0];
    assert.equal(cssmBefore.devices.length, 1);

    // BroadWorks: IM&P on for a user; the flow-through provisions the subscriber in Switchboard.
    const imp = await first.api('PUT', '/api/v1/partner/lab/broadworks/users/alice@acme.lab/integrated-imp', { isActive: true });
    assert.equal(imp.body.sent, true, JSON.stringify(imp.body));
    const template = (await first.api('GET', '/api/v1/partner/templates')).body.items.find((t: any) => t.name === 'Lab template');
    await waitFor('alice provisioned', async () => (await first.api('GET', `/api/v1/partner/templates/${template.id}/users?limit=100`)).body.items?.some((u: any) => u.userId === 'alice@acme.lab' && u.status === 'provisioned'), { timeoutMs: 120_000 });

    // CMS: a space made on a node, a fault in force, the ports.
    assert.equal((await cms(first, 'POST', '/api/v1/coSpaces', { name: 'Persisted space', uri: 'persisted.space', callId: '777000111' })).status, 200);
    const ports = nodePorts(first);
    await getLab(first.sb.services)!.cmsClusters[0].cluster.setFaults('callbridge-a', { busy: true });
    const relinksBefore = (await first.api('GET', '/api/v1/audit?action=bridge.relink')).body.items.length;

    // While the server owns the data directory, `lab reset` refuses and removes nothing.
    const refused = await cli(['lab', 'reset', '--data-dir', database.config.dataDir]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /running Switchboard.*stop it first/);
    await first.sb.close();
    server = undefined;
    const files = labStateFiles(database.config.dataDir).map((f) => path.basename(f));
    assert.deepEqual(files, ['ce.json', 'cms.json', 'licensing.json', 'partner.json', 'tms.json']);

    // Restart on the same data directory and database.
    server = await startServer(database);
    const second = server;
    const cucm = await ucCluster(second, 'cl1-alfa');
    assert.equal(cucm.registration.status, 'Registered', 'the Lab CUCM is still registered');
    assert.equal(cucm.registration.virtualAccount, 'HCS-DEMO');
    const switchboardSide = (await second.api('GET', `/api/v1/licensing/clusters/${alfa.id}`)).body;
    assert.equal(switchboardSide.virtualAccountName, 'HCS-DEMO', 'as Switchboard shows it');
    assert.equal((await bwUser(second, 'alice@acme.lab')).integratedImp, true, 'IM&P still on for the provisioned user');
    assert.equal((await bwUser(second, 'bob@acme.lab')).integratedImp, false);
    const cssmAfter = (await second.api('GET', '/api/v1/lab/cssm')).body.smartAccounts[0];
    assert.deepEqual(cssmAfter.devices, cssmBefore.devices);
    assert.equal(cssmAfter.virtualAccounts, cssmBefore.virtualAccounts);
    assert.equal(cssmAfter.registrationTokens, cssmBefore.registrationTokens);
    assert.deepEqual(nodePorts(second), ports, 'the CMS nodes listen on the same ports');
    const space = await cms(second, 'GET', '/api/v1/coSpaces?filter=persisted');
    assert.match(space.text, /<coSpaces total="1">.*Persisted space/);
    assert.deepEqual(getLab(second.sb.services)!.cmsClusters[0].cluster.getFaults('callbridge-a'), {}, 'faults are cleared by a restart');
    assert.equal((await second.api('GET', '/api/v1/audit?action=bridge.relink')).body.items.length, relinksBefore, 'the Lab bridges came back as registered: no relink');
    await second.sb.close();
    server = undefined;

    // `lab reset` says what it removed; the next start has the seeded defaults.
    const reset = await cli(['lab', 'reset', '--data-dir', database.config.dataDir]);
    assert.equal(reset.code, 0, reset.stderr);
    for (const name of ['ce.json', 'cms.json', 'licensing.json', 'partner.json']) assert.ok(reset.stdout.includes(name), reset.stdout);
    assert.deepEqual(labStateFiles(database.config.dataDir), []);
    server = await startServer(database);
    const third = server;
    assert.equal((await ucCluster(third, 'cl1-alfa')).registration.status, 'Unregistered');
    assert.equal((await bwUser(third, 'alice@acme.lab')).integratedImp, false);
    assert.equal((await third.api('GET', '/api/v1/lab/cssm')).body.smartAccounts[0].devices.length, 0);
    assert.match((await cms(third, 'GET', '/api/v1/coSpaces?filter=persisted')).text, /<coSpaces total="0">/);
  });
});

describe('Lab state files', () => {
  const logger = createLogger('silent');

  test('a change is written within the check interval, atomically; an unreadable or foreign file starts clean; the lock keeps `reset` out', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-lab-state-'));
    try {
      const state = openLabState(dataDir, logger);
      const memory = { spaces: ['a'] };
      state.track('cms', () => memory);
      const file = path.join(dataDir, 'lab', 'cms.json');
      assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')).state, { spaces: ['a'] }, 'written when tracked');
      memory.spaces.push('b');
      await waitFor('the change saved', () => JSON.parse(fs.readFileSync(file, 'utf8')).state.spaces.length === 2);
      assert.ok(!fs.existsSync(`${file}.tmp`), 'no temp file left');
      assert.throws(() => resetLabState(dataDir), /running Switchboard/);
      assert.throws(() => openLabState(dataDir, logger), /running Switchboard/, 'one owner per data directory');
      state.close();

      // With a change key, the snapshot is taken only when the key moved.
      const keyed = { n: 1 };
      let key = 'k1';
      let snapshots = 0;
      const other = openLabState(path.join(dataDir, 'keyed'), logger);
      other.track('cms', () => (snapshots++, { ...keyed }), () => key);
      keyed.n = 2;
      other.flush();
      assert.equal(snapshots, 1, 'key unchanged: no snapshot');
      key = 'k2';
      other.flush();
      other.close();
      assert.equal(JSON.parse(fs.readFileSync(path.join(dataDir, 'keyed', 'lab', 'cms.json'), 'utf8')).state.n, 2);

      fs.writeFileSync(path.join(dataDir, 'lab', 'partner.json'), '{"version":1,"state":');
      fs.writeFileSync(path.join(dataDir, 'lab', 'licensing.json'), JSON.stringify({ version: 999, state: {} }));
      const again = openLabState(dataDir, logger);
      assert.deepEqual(again.load('cms'), { spaces: ['a', 'b'] });
      assert.equal(again.load('partner'), undefined, 'unreadable: clean start');
      assert.equal(again.load('licensing'), undefined, 'another format version: clean start');
      again.close();

      assert.deepEqual(resetLabState(dataDir).removed.map((f) => path.basename(f)), ['cms.json', 'licensing.json', 'partner.json']);
      assert.deepEqual(resetLabState(dataDir).removed, []);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
