import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../platform/clock.ts';
import { embeddedTemplateDir } from '../test/support/test-database.ts';
import { waitFor } from '../test/support/wait-for.ts';
import { createCssmSimulator, type CssmSimulator } from '../lab/cssm/cssm.simulator.ts';
import { seedLabSmartAccount } from '../lab/cssm/cssm.seed.ts';
import { createUcClusterSimulator, type UcClusterSimulator } from '../lab/cucm/uc.simulator.ts';

// L5 exactly once across a crash: a real `switchboard start` (embedded data directory) assigns a
// CUCM cluster; it is killed with SIGKILL while the publisher restarts after the license mode
// change, started again on the same directory, and the job carries on: four steps Pass, one mode
// change, one registration on CSSM, one completion in the audit. The simulators run here, so they
// outlive the killed process.
const root = path.resolve(import.meta.dirname, '..');

describe('licensing job across kill -9', { skip: process.env.DATABASE_URL ? 'embedded data directory only' : false, timeout: 600_000 }, () => {
  const children: ChildProcess[] = [];
  const cleanups: Array<() => Promise<void> | void> = [];
  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  function startServer(env: NodeJS.ProcessEnv) {
    const child = spawn(process.execPath, ['cli/main.ts', 'start', '--no-lab'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const output = { stdout: '', stderr: '' };
    child.stdout!.on('data', (chunk) => (output.stdout += chunk));
    child.stderr!.on('data', (chunk) => (output.stderr += chunk));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    return { child, output, exited };
  }

  function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['cli/main.ts', ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c) => (stdout += c));
      child.stderr.on('data', (c) => (stderr += c));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  test('a job killed while the publisher restarts finishes after a restart, with one registration', async () => {
    const domain = 'kill9.example.com';
    const clock = systemClock;
    const cssm: CssmSimulator = createCssmSimulator({ clock, clients: [{ clientId: 'k9', clientSecret: 'k9-secret', domains: [domain] }] });
    seedLabSmartAccount(cssm, { domain, name: 'Kill9 Partner', virtualAccounts: 30 });
    await cssm.start();
    cleanups.push(() => cssm.stop());
    // Counts the Smart Agent's register calls on their way to CSSM (the simulator replaces a
    // device with the same UDI, so its device list alone could not show a second registration).
    const agentCalls: string[] = [];
    const counter = http.createServer((req, res) => {
      agentCalls.push(`${req.method} ${req.url}`);
      const target = new URL(cssm.url);
      const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => counter.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => (counter.closeAllConnections(), counter.close(() => resolve()))));
    const counterUrl = `http://127.0.0.1:${(counter.address() as AddressInfo).port}`;
    // The publisher is down 25 s after the mode change: long enough to kill the process inside it.
    const cucm: UcClusterSimulator = createUcClusterSimulator({ name: 'cl-k9', type: 'CUCM', nodes: 2, clock, cssmUrl: counterUrl, rebootMs: 25_000, users: 10 });
    await cucm.start();
    cleanups.push(() => cucm.stop());

    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-kill9-'));
    fs.cpSync(await embeddedTemplateDir(), dataDir, { recursive: true });
    fs.rmSync(path.join(dataDir, 'ready'), { force: true });
    fs.rmSync(path.join(dataDir, 'switchboard.lock'), { force: true });
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-kill9-home-'));
    cleanups.push(() => fs.rmSync(home, { recursive: true, force: true }));
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, SWITCHBOARD_DATA_DIR: dataDir, SWITCHBOARD_PORT: '0', SWITCHBOARD_LOG_LEVEL: 'warn', NODE_COMPILE_CACHE: path.join(os.tmpdir(), 'switchboard-cli-test-compile-cache') };
    delete env.DATABASE_URL;
    delete env.SWITCHBOARD_URL;
    delete env.SWITCHBOARD_TOKEN;

    const admin = await runCli(['admin', 'create', '--username', 'k9admin', '--token'], env);
    assert.equal(admin.code, 0, admin.stderr);
    const token = admin.stdout.match(/API token: (sbt_\S+)/)?.[1];
    assert.ok(token, admin.stdout);

    const boot = async () => {
      const server = startServer(env);
      const url = await waitFor('the server URL', () => server.output.stdout.match(/console at (http:\/\/\S+)/)?.[1] ?? (server.child.exitCode !== null ? Promise.reject(new Error(server.output.stderr)) : null), { timeoutMs: 300_000, intervalMs: 100 });
      return { server, url };
    };
    let { server, url } = await boot();
    const api = async (method: string, pathname: string, body?: unknown) => {
      const response = await fetch(url + pathname, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : null };
    };
    const operation = (id: string) => api('GET', `/api/v1/licensing/jobs/${id}`).then((r) => r.body);

    // A Direct URL other than the simulator's default, so Transport Mode Change has work to do.
    const registrationUrl = `${cssm.url}/its/service/oddce/services/DDCEService`;
    const created = await api('POST', '/api/v1/licensing/smart-accounts', { domain, clientId: 'k9', clientSecret: 'k9-secret', authGatewayUrl: cssm.tokenUrl, cssmServerUrl: cssm.apiBase, deviceRegistrationUrl: registrationUrl });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await waitFor('the first sync', async () => (await operation(created.body.syncJobId)).status === 'SUCCEEDED', { timeoutMs: 120_000, intervalMs: 200 });
    const vas = await api('GET', `/api/v1/licensing/virtual-accounts?name=HCS-DEMO&limit=50`);
    const va = vas.body.items.find((v: { name: string }) => v.name === 'HCS-DEMO');
    assert.equal((await api('PATCH', `/api/v1/licensing/virtual-accounts/${va.id}`, { licenseMode: 'HCS' })).status, 200);
    const cluster = await api('POST', '/api/v1/licensing/clusters', { name: cucm.name, type: 'CUCM', version: '14.0', publisherUrl: cucm.publisherUrl, adminUsername: cucm.admin.username, adminPassword: cucm.admin.password, platformUsername: cucm.platform.username, platformPassword: cucm.platform.password });
    assert.equal(cluster.status, 201, JSON.stringify(cluster.body));
    const started = await api('POST', `/api/v1/licensing/virtual-accounts/${va.id}/assign`, { clusterIds: [cluster.body.id] });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const jobId: string = started.body.jobs[0].jobId;
    assert.ok(jobId, JSON.stringify(started.body));

    // Kill while the publisher restarts: the mode change is done, the job polls the publisher.
    await waitFor('the license mode change', () => cucm.state.reboots === 1 && Date.now() < cucm.state.rebootingUntil, { timeoutMs: 120_000, intervalMs: 20 });
    const before = await operation(jobId);
    assert.equal(before.progressInfo['License Mode Change'], 'In Progress');
    server.child.kill('SIGKILL');
    await server.exited;
    assert.ok(Date.now() < cucm.state.rebootingUntil, 'killed while the publisher was still restarting');
    assert.equal(cucm.state.registration.status, 'Unregistered');

    ({ server, url } = await boot());
    const done = await waitFor('the resumed job to finish', async () => {
      const op = await operation(jobId);
      return op.status === 'SUCCEEDED' || op.status === 'FAILED' ? op : null;
    }, { timeoutMs: 240_000, intervalMs: 500 });
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    assert.deepEqual(done.progressInfo, { Verification: 'Pass', 'License Mode Change': 'Pass', 'Transport Mode Change': 'Pass', Registration: 'Pass' });
    assert.equal(cucm.state.transport.url, registrationUrl);

    // One mode change, one registration, one device on CSSM under HCS-DEMO.
    assert.equal(cucm.state.reboots, 1, 'the mode change was not repeated');
    assert.equal(cucm.state.deploymentMode, 'HCS');
    assert.equal(cucm.state.registration.status, 'Registered');
    assert.equal(cucm.state.registration.virtualAccount, 'HCS-DEMO');
    assert.deepEqual(agentCalls.filter((c) => c.includes('register') && !c.includes('deregister')).length, 1, agentCalls.join('\n'));
    const devices = cssm.accounts.get(domain)!.devices.filter((d) => d.udi.udiSerialNumber === cucm.state.udi.udiSerialNumber);
    assert.equal(devices.length, 1);
    assert.equal(devices[0].virtualAccount, 'HCS-DEMO');

    // The records agree: the platform job completed on its second attempt, the cluster is
    // registered to the VA, and the audit has one completion.
    const job = (await api('GET', `/api/v1/jobs/${jobId}`)).body;
    assert.equal(job.state, 'completed', JSON.stringify(job));
    assert.equal(job.attempts, 2);
    const clusterNow = (await api('GET', `/api/v1/licensing/clusters/${cluster.body.id}`)).body;
    assert.equal(clusterNow.status, 'MANUALLY_REGISTERED');
    assert.equal(clusterNow.virtualAccountId, va.id);
    const audit = (await api('GET', `/api/v1/audit?entityId=${cluster.body.id}&limit=100`)).body;
    const actions = (audit.items as Array<{ action: string }>).map((e) => e.action);
    assert.equal(actions.filter((a) => a === 'licensing.cluster.assign.completed').length, 1, actions.join(', '));
    const jobAudit = (await api('GET', `/api/v1/audit?entityId=${jobId}&limit=100`)).body;
    assert.deepEqual((jobAudit.items as Array<{ action: string }>).map((e) => e.action).filter((a) => a.startsWith('job.')).sort(), ['job.completed']);

    server.child.kill('SIGTERM');
    await server.exited;
  });
});
