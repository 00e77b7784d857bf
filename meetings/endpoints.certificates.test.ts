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
import { createCeCodec, type CeCodec } from '../lab/ce/ce.simulator.ts';
import { labDialer } from '../lab/ce/ce.lab.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { createMeetingsArea } from './meetings.area.ts';
import { endpoints as endpointsTable } from './endpoints.schema.ts';

// #17, as bridges' #14: an HTTPS codec is registered only when a CA vouches for its certificate or
// the operator confirms its fingerprint (pinned; in bulk, a fingerprint column); a changed
// certificate raises Certificate Changed and nothing — no credentials, no bookings — is sent until
// it is accepted (API, CLI). Against HTTPS Lab codecs.
const host = (url: string) => url.replace(/^https?:\/\//, '');

describe('Meetings: endpoint certificates (trust on first use)', () => {
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  const certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-ce-certs-'));
  let cms: CmsCluster;
  let t: TestSwitchboard;
  let bridgeId: string;
  const codecs: Record<string, CeCodec> = {};
  const ids: Record<string, string> = {};

  async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, stepMs = 500, timeoutMs = 120_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      clock.advance(stepMs);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  const job = (id: string) => until(`job ${id}`, async () => {
    const j = (await t.api('GET', `/api/v1/jobs/${id}`)).body;
    return ['completed', 'failed'].includes(j.state) && j;
  });
  const poll = async (id: string) => job((await t.api('POST', `/api/v1/meetings/endpoints/${id}/poll`)).body.jobId);
  const endpoint = async (name: string) => (await t.api('GET', `/api/v1/meetings/endpoints/${ids[name]}`)).body;
  const openTickets = async (name: string) => ((await endpoint(name)).tickets as any[]).filter((x) => x.state !== 'closed');
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
    cms = await createCmsCluster({ name: 'rooms', nodes: [{ name: 'cb1', host: '127.0.0.1', port: 0 }], users: [{ name: 'admin', password: 'secret-pw' }], clock });
    await cms.start();
    cms.store.create('outboundDialPlanRules', new Map([['domain', '*'], ['priority', '0']]));
    cms.store.create('inboundDialPlanRules', new Map([['domain', 'lab.local']]));
    const dial = labDialer(() => [cms]);
    for (const name of ['boardroom', 'huddle', 'studio', 'legacy']) {
      codecs[name] = createCeCodec({ name, clock, password: `${name}-pw`, version: 'ce9.15.3.17.abc', dial, https: true, certDir });
      await codecs[name].start();
    }
    t = await startTestSwitchboard({ clock, areas: [createMeetingsArea({ tickMs: 1000, statusIntervalMs: 5000, backoffMs: 200, reconcileIntervalMs: 1e12, obtpTickMs: 1000, endpointPollMs: 1e12 })], config: { jobPollSeconds: 0.5 } as never });
    const added = await t.api('POST', '/api/v1/meetings/bridges', { address: host(cms.nodes[0].baseUrl), username: 'admin', password: 'secret-pw', tls: false, name: 'CMS' });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    bridgeId = added.body.items[0].id;
    const patched = await t.api('PATCH', `/api/v1/meetings/bridges/${bridgeId}`, { sipDomain: 'lab.local', numericIdBase: 100, numericIdQuantity: 4 });
    await until('pool synced', async () => ['completed', 'failed'].includes((await t.api('GET', `/api/v1/jobs/${patched.body.poolSyncJobId}`)).body.state));
  });
  after(async () => {
    await t?.close();
    for (const c of Object.values(codecs)) await c.stop();
    await cms?.stop();
    fs.rmSync(certDir, { recursive: true, force: true });
  });

  test('registering an HTTPS codec: 422 with its certificate and nothing sent; a wrong fingerprint refused; the confirmed one pinned', async () => {
    const c = codecs.boardroom;
    const fingerprint = (await c.certificateFingerprint())!;
    const body = { address: host(c.url), username: 'admin', password: 'boardroom-pw', name: 'Boardroom' };
    const refused = await t.api('POST', '/api/v1/meetings/endpoints', body);
    assert.equal(refused.status, 422, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'CERTIFICATE_NOT_TRUSTED');
    assert.equal(refused.body.error.details.certificate.fingerprint, fingerprint);
    assert.equal(refused.body.error.details.certificate.trusted, false);
    assert.match(refused.body.error.message, /trustFingerprint/);
    assert.equal(c.requestCount(), 0, 'no request (no credentials) reached the codec');

    const wrong = await t.api('POST', '/api/v1/meetings/endpoints', { ...body, trustFingerprint: 'AB'.repeat(32) });
    assert.equal(wrong.status, 422);
    assert.equal(wrong.body.error.details.confirmedFingerprint, 'AB:'.repeat(31) + 'AB');
    const malformed = await t.api('POST', '/api/v1/meetings/endpoints', { ...body, trustFingerprint: 'not-a-fingerprint' });
    assert.equal(malformed.status, 400);
    assert.equal(c.requestCount(), 0);

    // Colons, spaces and case do not matter.
    const ok = await t.api('POST', '/api/v1/meetings/endpoints', { ...body, trustFingerprint: fingerprint.toLowerCase().replace(/:/g, ' ') });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.equal(ok.body.certificateTrust, 'pinned');
    assert.equal(ok.body.certificateFingerprint, fingerprint);
    assert.equal(ok.body.certificate.fingerprint, fingerprint);
    assert.equal(ok.body.presentedCertificate, null);
    ids.boardroom = ok.body.id;
  });

  test('in bulk: a row without a confirmed fingerprint is refused with its certificate, one with the fingerprint column registered', async () => {
    const studio = (await codecs.studio.certificateFingerprint())!;
    const huddle = (await codecs.huddle.certificateFingerprint())!;
    const csv = `address,username,password,name,fingerprint\n${host(codecs.studio.url)},admin,studio-pw,Studio,${studio}\n${host(codecs.huddle.url)},admin,huddle-pw,Huddle,\n`;
    const res = await t.api('POST', '/api/v1/meetings/endpoints/bulk', { csv });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual([res.body.added, res.body.refused], [1, 1]);
    const [first, second] = res.body.results;
    assert.equal(first.ok, true);
    assert.equal(first.endpoint.certificateFingerprint, studio);
    assert.equal(second.line, 3);
    assert.equal(second.error.code, 'CERTIFICATE_NOT_TRUSTED');
    assert.equal(second.error.certificate.fingerprint, huddle);
    assert.equal(codecs.huddle.requestCount(), 0);
    ids.studio = first.endpoint.id;

    // The CLI prints each row and exits 1; the fingerprint goes in the file's column.
    const file = path.join(certDir, 'rooms.csv');
    fs.writeFileSync(file, `address,username,password,name,fingerprint\n${host(codecs.huddle.url)},admin,huddle-pw,Huddle,\n`);
    const cli = await switchboard(['endpoints', 'add', '--csv', file]);
    assert.equal(cli.code, 1, cli.stderr);
    assert.match(cli.stdout, /CERTIFICATE_NOT_TRUSTED/);
    assert.match(cli.stdout, /fingerprint/);
    fs.writeFileSync(file, `address,username,password,name,fingerprint\n${host(codecs.huddle.url)},admin,huddle-pw,Huddle,${huddle}\n`);
    const again = await switchboard(['endpoints', 'add', '--csv', file]);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    ids.huddle = (await t.api('GET', '/api/v1/meetings/endpoints?limit=100')).body.items.find((e: any) => e.name === 'Huddle').id;
  });

  test('the CLI shows the certificate and the flag to repeat with', async () => {
    const c = codecs.legacy;
    const res = await switchboard(['endpoints', 'add', host(c.url), '--username', 'admin'], 'legacy-pw\n');
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /SHA-256: +[0-9A-F:]{95}/);
    assert.match(res.stderr, new RegExp(`--trust-fingerprint ${(await c.certificateFingerprint())!}`));
  });

  test('a changed certificate: Certificate Changed with both fingerprints, nothing sent, no pushes; accepted through the CLI, pushed again', async () => {
    const c = codecs.boardroom;
    const on = await t.api('PUT', '/api/v1/meetings/settings/obtp', { enabled: true });
    assert.equal(on.status, 200);
    const booked = await t.api('POST', '/api/v1/meetings/bookings', { title: 'Board meeting', start: '2026-03-02T10:00', durationMinutes: 60, timeZone: 'UTC', bridgeId, rooms: [{ endpointId: ids.boardroom, connectMode: 'obtp' }] });
    assert.equal(booked.status, 201, JSON.stringify(booked.body));
    await until('pushed to the panel', async () => c.bookings().some((b) => b.title === 'Board meeting'));

    const old = (await c.certificateFingerprint())!;
    const { fingerprint: renewed } = await c.rotateCertificate();
    const sent = c.requestCount();
    await poll(ids.boardroom);
    const changed = await endpoint('boardroom');
    assert.equal(changed.connectivity, 'certificate_changed');
    assert.equal(changed.certificateFingerprint, old);
    assert.equal(changed.presentedCertificate.fingerprint, renewed);
    const tickets = await openTickets('boardroom');
    assert.deepEqual(tickets.map((x: any) => x.title), ['Certificate Changed']);
    assert.ok(tickets[0].detail.includes(old) && tickets[0].detail.includes(renewed), tickets[0].detail);

    // A change of the booking reaches no panel meanwhile: rounds pass, nothing is sent.
    const renamed = await t.api('PATCH', `/api/v1/meetings/bookings/${booked.body.id}`, { title: 'Board meeting (moved room)' });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    for (let i = 0; i < 10; i++) {
      clock.advance(1000);
      await new Promise((r) => setTimeout(r, 50));
    }
    await poll(ids.boardroom);
    assert.equal(c.requestCount(), sent, 'nothing reached the codec with the unaccepted certificate');
    assert.equal(c.bookings()[0].title, 'Board meeting');

    const stale = await t.api('POST', `/api/v1/meetings/endpoints/${ids.boardroom}/certificate/accept`, { fingerprint: old });
    assert.equal(stale.status, 422);
    assert.equal(stale.body.error.details.certificate.fingerprint, renewed);
    const cli = await switchboard(['endpoints', 'accept-certificate', ids.boardroom, '--fingerprint', renewed]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /pinned/);
    const accepted = await endpoint('boardroom');
    assert.equal(accepted.certificateFingerprint, renewed);
    assert.equal(accepted.presentedCertificate, null);
    assert.equal(accepted.connectivity, 'reachable');
    assert.deepEqual(await openTickets('boardroom'), []);
    await until('the panel pushed again', async () => c.bookings().some((b) => b.title === 'Board meeting (moved room)'));
  });

  test('an HTTPS endpoint registered before certificates were kept is pinned on its next contact (audited)', async () => {
    const c = codecs.legacy;
    const fingerprint = (await c.certificateFingerprint())!;
    const res = await t.api('POST', '/api/v1/meetings/endpoints', { address: host(c.url), username: 'admin', password: 'legacy-pw', name: 'Legacy', trustFingerprint: fingerprint });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    ids.legacy = res.body.id;
    // As the migration leaves an endpoint registered before it.
    const db = t.sb.services.database.db;
    await db.update(endpointsTable).set({ certificateTrust: null, certificateFingerprint: null, certificate: null }).where(eq(endpointsTable.id, ids.legacy));
    await poll(ids.legacy);
    const pinned = await endpoint('legacy');
    assert.equal(pinned.certificateTrust, 'pinned');
    assert.equal(pinned.certificateFingerprint, fingerprint);
    assert.equal(pinned.connectivity, 'reachable');
    const audit = (await t.api('GET', `/api/v1/audit?entityId=${ids.legacy}&limit=50`)).body.items as any[];
    assert.ok(audit.some((a) => a.action === 'endpoint.certificate-pin'), JSON.stringify(audit.map((a) => a.action)));
  });
});
