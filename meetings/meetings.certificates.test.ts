import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { eq } from 'drizzle-orm';
import { ManualClock } from '../platform/clock.ts';
import { createCmsCluster, type CmsCluster } from '../lab/cms/cms.cluster.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { createMeetingsArea } from './meetings.area.ts';
import { bridgeNodes } from './bridges.schema.ts';

// Issue #14 (M1, M2): HTTPS bridges are trusted on first use — the operator confirms the fingerprint
// of a certificate no CA vouches for, it is pinned per node, a renewed certificate raises Certificate
// Changed and nothing is sent until the operator accepts it. Against HTTPS Lab clusters.
describe('Meetings: bridge certificates (trust on first use)', () => {
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  const clusters: CmsCluster[] = [];
  const certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-cms-certs-'));
  let t: TestSwitchboard;

  async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, stepMs = 500, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      clock.advance(stepMs);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  async function lab(name: string, nodes: string[]) {
    const cluster = await createCmsCluster({ name, nodes: nodes.map((n) => ({ name: n, host: '127.0.0.1', port: 0, https: true })), clock, certDir });
    await cluster.start();
    clusters.push(cluster);
    return cluster;
  }
  const job = (id: string) => until(`job ${id}`, async () => {
    const j = (await t.api('GET', `/api/v1/jobs/${id}`)).body;
    return ['completed', 'failed'].includes(j.state) && j;
  });
  const poll = async (bridgeId: string) => job((await t.api('POST', `/api/v1/meetings/bridges/${bridgeId}/poll`)).body.jobId);
  const nodesOf = async (bridgeId: string) => (await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/nodes`)).body.items as any[];
  /** Open (and acknowledged) tickets, or those in `state`. */
  const ticketsOf = async (bridgeId: string, state?: string) => ((await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/tickets${state ? `?state=${state}` : ''}`)).body.items as any[]).filter((x) => (state ? x.state === state : x.state !== 'closed'));
  /** Requests that reached a node at all (a refused TLS connection never does). */
  const requestsTo = (cms: CmsCluster, node: string, since: number) => cms.trace(node, since).filter((e) => e.path.startsWith('/api/v1/'));
  const lastTrace = (cms: CmsCluster, node: string) => cms.trace(node).at(-1)?.n ?? 0;
  function switchboard(args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [fileURLToPath(new URL('../cli/main.ts', import.meta.url)), ...args], { env: { ...process.env, SWITCHBOARD_URL: t.url, SWITCHBOARD_TOKEN: t.adminToken }, stdio: ['pipe', 'pipe', 'pipe'] });
      child.stdin.end(input);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  before(async () => {
    t = await startTestSwitchboard({ clock, areas: [createMeetingsArea({ tickMs: 1000, statusIntervalMs: 5000, backoffMs: 200 })], config: { jobPollSeconds: 0.5 } as never });
  });
  after(async () => {
    await t?.close();
    for (const cluster of clusters) await cluster.stop();
    fs.rmSync(certDir, { recursive: true, force: true });
  });

  test('M1: an HTTPS bridge with a self-signed certificate is refused with its fingerprint, added when the operator confirms it, and each node is pinned', async () => {
    const cms = await lab('tofu', ['tofu-a', 'tofu-b']);
    const [a, b] = cms.nodes;
    const expected = cms.certificateFingerprint('tofu-a')!;
    const mark = lastTrace(cms, 'tofu-a');
    const refused = await t.api('POST', '/api/v1/meetings/bridges', { address: `127.0.0.1:${a.port}`, username: 'admin', password: 'admin', name: 'TOFU' });
    assert.equal(refused.status, 422, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'CERTIFICATE_NOT_TRUSTED');
    assert.equal(refused.body.error.details.certificate.fingerprint, expected);
    assert.equal(refused.body.error.details.certificate.subject, 'CN=127.0.0.1');
    assert.ok(refused.body.error.details.certificate.validTo);
    assert.match(refused.body.error.message, new RegExp(expected));
    assert.deepEqual(requestsTo(cms, 'tofu-a', mark), [], 'no request, no password reached the bridge before its certificate was trusted');

    const wrong = await t.api('POST', '/api/v1/meetings/bridges', { address: `127.0.0.1:${a.port}`, username: 'admin', password: 'admin', trustFingerprint: 'AB'.repeat(32) });
    assert.equal(wrong.status, 422);
    assert.match(wrong.body.error.message, /not the one confirmed/);
    const malformed = await t.api('POST', '/api/v1/meetings/bridges', { address: `127.0.0.1:${a.port}`, username: 'admin', password: 'admin', trustFingerprint: 'not-a-fingerprint' });
    assert.equal(malformed.status, 400);

    const added = await t.api('POST', '/api/v1/meetings/bridges', { address: `127.0.0.1:${a.port}`, username: 'admin', password: 'admin', name: 'TOFU', trustFingerprint: expected.replace(/:/g, '').toLowerCase() });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.equal(added.body.items[0].certificate.fingerprint, expected);
    assert.equal(added.body.items[0].certificate.trust, 'pinned');
    const bridgeId = added.body.items[0].id;
    const nodes = await nodesOf(bridgeId);
    assert.deepEqual(nodes.map((n) => [n.name, n.address, n.certificateTrust, n.certificateFingerprint]), [
      ['tofu-a', `https://127.0.0.1:${a.port}`, 'pinned', expected],
      ['tofu-b', `https://127.0.0.1:${b.port}`, 'pinned', cms.certificateFingerprint('tofu-b')],
    ], 'the discovered node is pinned on discovery too');
    assert.equal((await poll(bridgeId)).state, 'completed');
    assert.ok((await nodesOf(bridgeId)).every((n) => n.healthy), 'both nodes are talked to over their pinned certificates');
  });

  test('M2: a renewed certificate raises Certificate Changed with both fingerprints, nothing is sent to the node, and accepting it closes the ticket', async () => {
    const cms = await lab('renew', ['renew-a', 'renew-b']);
    const [a] = cms.nodes;
    const oldFingerprint = cms.certificateFingerprint('renew-a')!;
    const added = await t.api('POST', '/api/v1/meetings/bridges', { address: `127.0.0.1:${a.port}`, username: 'admin', password: 'admin', name: 'Renew', trustFingerprint: oldFingerprint });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const bridgeId = added.body.items[0].id;
    assert.equal((await poll(bridgeId)).state, 'completed');

    // The Lab's knob (POST /api/v1/lab/cms/{cluster}/nodes/{node}/certificate/rotate does the same for the Lab's clusters).
    const { fingerprint: newFingerprint } = await cms.rotateCertificate('renew-a');
    assert.notEqual(newFingerprint, oldFingerprint);
    const mark = lastTrace(cms, 'renew-a');
    assert.equal((await poll(bridgeId)).state, 'completed');
    assert.deepEqual(requestsTo(cms, 'renew-a', mark), [], 'the node with the new certificate got no request (and no password)');
    const open = (await ticketsOf(bridgeId)).filter((x) => x.title === 'Certificate Changed');
    assert.equal(open.length, 1, JSON.stringify(await ticketsOf(bridgeId)));
    assert.match(open[0].detail, new RegExp(`accepted SHA-256 ${oldFingerprint}`));
    assert.match(open[0].detail, new RegExp(`presented SHA-256 ${newFingerprint}`));
    assert.equal((await ticketsOf(bridgeId)).some((x) => x.title === 'Connection Error'), false, 'not mistaken for an unreachable node');
    const node = (await nodesOf(bridgeId)).find((n) => n.name === 'renew-a');
    assert.equal(node.healthy, false);
    assert.equal(node.certificateFingerprint, oldFingerprint);
    assert.equal(node.presentedCertificate.fingerprint, newFingerprint);

    // Calls are refused too: a pool sync goes to the node the bridge was added by.
    const sync = await t.api('PATCH', `/api/v1/meetings/bridges/${bridgeId}`, { sipDomain: 'lab.local', numericIdBase: 7000, numericIdQuantity: 2 });
    // Its first attempt fails on the certificate (it is retried: waiting for the last one is not needed).
    const attempt = await until('the pool sync\'s first failure', async () => {
      const j = (await t.api('GET', `/api/v1/jobs/${sync.body.poolSyncJobId}`)).body;
      return j.error && j;
    });
    assert.match(JSON.stringify(attempt.error), /other than the one pinned/);
    assert.deepEqual(requestsTo(cms, 'renew-a', mark), []);
    await t.api('POST', `/api/v1/jobs/${sync.body.poolSyncJobId}/cancel`);

    const mismatch = await t.api('POST', `/api/v1/meetings/bridges/${bridgeId}/nodes/${node.id}/certificate/accept`, { fingerprint: oldFingerprint });
    assert.equal(mismatch.status, 422, 'only the certificate the node presents can be accepted');
    // The CLI, as the operator runs it.
    const cli = await switchboard(['bridges', 'accept-certificate', bridgeId, 'renew-a', '--fingerprint', newFingerprint]);
    assert.equal(cli.code, 0, cli.stderr + cli.stdout);
    assert.match(cli.stdout, new RegExp(newFingerprint));
    const accepted = (await nodesOf(bridgeId)).find((n) => n.name === 'renew-a');
    assert.equal(accepted.certificateFingerprint, newFingerprint);
    assert.equal(accepted.presentedCertificate, null);
    assert.equal((await ticketsOf(bridgeId)).some((x) => x.title === 'Certificate Changed'), false, 'the ticket closed');
    assert.equal((await ticketsOf(bridgeId, 'closed')).filter((x) => x.title === 'Certificate Changed').length, 1);
    const audit = await t.api('GET', '/api/v1/audit?action=bridge.node-certificate-accept');
    assert.equal(audit.body.items.length, 1);
    assert.equal((await poll(bridgeId)).state, 'completed');
    assert.ok(requestsTo(cms, 'renew-a', mark).some((e) => e.path === '/api/v1/system/status' && e.status === 200), 'talked to again');
    assert.equal((await nodesOf(bridgeId)).find((n) => n.name === 'renew-a').healthy, true);
  });

  test('M1: a node not pinned yet (down at discovery, or stored before certificates were kept) is pinned on first contact, audited; a later change is refused', async () => {
    const cms = await lab('later', ['later-a', 'later-b']);
    const [a] = cms.nodes;
    const added = await t.api('POST', '/api/v1/meetings/bridges', { address: `127.0.0.1:${a.port}`, username: 'admin', password: 'admin', name: 'Later', trustFingerprint: cms.certificateFingerprint('later-a') });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const bridgeId = added.body.items[0].id;
    const second = (await nodesOf(bridgeId)).find((n) => n.name === 'later-b');
    await t.sb.services.database.db.update(bridgeNodes).set({ certificateTrust: null, certificateFingerprint: null, certificate: null }).where(eq(bridgeNodes.id, second.id));
    assert.equal((await poll(bridgeId)).state, 'completed');
    const pinned = (await nodesOf(bridgeId)).find((n) => n.name === 'later-b');
    assert.equal(pinned.certificateTrust, 'pinned');
    assert.equal(pinned.certificateFingerprint, cms.certificateFingerprint('later-b'));
    const audit = await t.api('GET', '/api/v1/audit?action=bridge.node-certificate-pin');
    assert.ok(audit.body.items.some((e: any) => e.entityId === bridgeId && /first contact/.test(JSON.stringify(e.after))), JSON.stringify(audit.body.items));
    await cms.rotateCertificate('later-b');
    assert.equal((await poll(bridgeId)).state, 'completed');
    assert.ok((await ticketsOf(bridgeId)).some((x) => x.title === 'Certificate Changed' && x.detail.includes('later-b')));
  });

  test('M1: the CLI prints the certificate and the --trust-fingerprint flag that adds it', async () => {
    const cms = await lab('cli', ['cli-a']);
    const [a] = cms.nodes;
    const fingerprint = cms.certificateFingerprint('cli-a')!;
    const refused = await switchboard(['bridges', 'add', `127.0.0.1:${a.port}`, '--username', 'admin'], 'admin\n');
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr + refused.stdout, new RegExp(fingerprint));
    assert.match(refused.stderr + refused.stdout, /--trust-fingerprint/);
    const ok = await switchboard(['bridges', 'add', `127.0.0.1:${a.port}`, '--username', 'admin', '--trust-fingerprint', fingerprint], 'admin\n');
    assert.equal(ok.code, 0, ok.stderr + ok.stdout);
    assert.match(ok.stdout, new RegExp(`pinned.*${fingerprint}|${fingerprint}.*pinned`, 'i'));
  });
});
