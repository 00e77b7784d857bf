import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCmsCluster, type CmsCluster } from '../lab/cms/cms.cluster.ts';
import { cmsClient } from '../lab/cms/cms.testkit.ts';
import { migrateDatabase, openDatabase } from '../platform/db/database.ts';
import { createLogger } from '../platform/logger.ts';
import { redactUrl } from '../platform/secrets/redact.ts';
import { createTestDatabase } from '../test/support/test-database.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { hashCdrToken } from './bridges.service.ts';
import { createMeetingsArea } from './meetings.area.ts';

// #13 part 5 (X6): the CDR receiver URL carries a credential. It is registered with the bridge, but
// never written in a log line, the API trace or the database (which keeps only its SHA-256).
describe('CDR receiver token', () => {
  let cms: CmsCluster;
  let t: TestSwitchboard;
  let bridgeId: string;
  let receiverUrl: string;
  let token: string;
  const logLines: string[] = [];

  before(async () => {
    cms = await createCmsCluster({ name: 'cdr-token', nodes: [{ name: 'cb-a', host: '127.0.0.1', port: 0 }] });
    await cms.start();
    const stream = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    t = await startTestSwitchboard({ logger: createLogger('info', stream), areas: [createMeetingsArea({ tickMs: 60_000, statusIntervalMs: 60_000 })] });
    const added = await t.api('POST', '/api/v1/meetings/bridges', { address: cms.nodes[0]!.baseUrl, username: 'admin', password: 'admin', name: 'CDR' });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    bridgeId = added.body.items[0].id;
    const receivers = await cmsClient(cms.nodes[0]!.baseUrl)('GET', '/api/v1/system/cdrReceivers');
    receiverUrl = /<uri>([^<]+)<\/uri>/.exec(receivers.body)![1]!;
    token = receiverUrl.split('/').pop()!;
    assert.ok(receiverUrl.includes(`/api/v1/meetings/cdr/${bridgeId}/`) && token.length >= 20, receiverUrl);
  });
  after(async () => {
    await t?.close();
    await cms?.stop();
  });

  const postCdrs = (url: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<?xml version="1.0"?><records></records>' });

  test('the bridge posts with the token; a wrong token is refused', async () => {
    const ok = await postCdrs(new URL(new URL(receiverUrl).pathname, t.url).toString());
    assert.equal(ok.status, 200, await ok.text());
    const wrong = await postCdrs(`${t.url}/api/v1/meetings/cdr/${bridgeId}/${'x'.repeat(token.length)}`);
    assert.equal(wrong.status, 401);
  });

  test('no log line holds the token; the request line names the route and masks the token', () => {
    assert.ok(logLines.length > 0);
    const leaking = logLines.filter((line) => line.includes(token));
    assert.deepEqual(leaking, []);
    const requestLine = logLines.map((l) => JSON.parse(l)).find((e) => e.msg === 'incoming request' && e.route === '/api/v1/meetings/cdr/:bridgeId/:token');
    assert.ok(requestLine, 'a request line for the CDR receiver');
    assert.equal(requestLine.req.remoteAddress, '127.0.0.1');
    assert.equal(requestLine.req.url, `/api/v1/meetings/cdr/${bridgeId}/*****`);
  });

  test('the database keeps only the token\'s hash, and the API trace masks it', async () => {
    const { rows } = await t.sb.services.database.pool.query('SELECT * FROM meetings_bridges WHERE id = $1', [bridgeId]);
    assert.equal(rows.length, 1);
    assert.ok(!JSON.stringify(rows[0]).includes(token), 'a bridge column holds the token');
    assert.equal(rows[0].cdr_token_hash, crypto.createHash('sha256').update(token).digest('hex'));
    assert.equal('cdr_token' in rows[0], false);
    const trace = await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/trace?limit=200`);
    assert.equal(trace.status, 200, JSON.stringify(trace.body));
    assert.ok(trace.body.items.some((e: any) => e.path.includes('cdrReceivers')), 'the registration is traced');
    assert.ok(!JSON.stringify(trace.body).includes(token), 'the API trace holds the token');
    const stored = await t.sb.services.database.pool.query('SELECT t::text AS row FROM meetings_api_trace t');
    assert.ok(stored.rows.length > 0);
    assert.ok(!stored.rows.some((r: { row: string }) => r.row.includes(token)), 'a stored trace row holds the token');
  });

  test('redactUrl masks secret-named path and query parameters only', () => {
    assert.equal(redactUrl('/activate/abc.def?x=1&token=s3cret&tokenish', '/activate/:token'), '/activate/*****?x=1&token=*****&tokenish');
    assert.equal(redactUrl('/api/v1/jobs/42?limit=5'), '/api/v1/jobs/42?limit=5');
    assert.equal(redactUrl('/v1/broadworks/billing/reports/9/download?token=abc&expires=1', '/v1/broadworks/billing/reports/:id/download'), '/v1/broadworks/billing/reports/9/download?token=*****&expires=1');
  });
});

describe('CDR receiver token migration (#13)', () => {
  test('a token stored in clear before becomes its hash; the column is gone; the hash is what the receiver compares', async () => {
    const migrations = path.join(import.meta.dirname, 'db', 'migrations');
    const journal = JSON.parse(fs.readFileSync(path.join(migrations, 'meta', '_journal.json'), 'utf8'));
    const hashAt = journal.entries.findIndex((e: { tag: string }) => e.tag === '0004_cdr_token_hash');
    assert.ok(hashAt > 0);
    // The migrations as they were before this change, applied to a fresh database.
    const before = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-cdr-migration-'));
    fs.mkdirSync(path.join(before, 'meta'));
    const older = journal.entries.slice(0, hashAt);
    fs.writeFileSync(path.join(before, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries: older }));
    for (const e of older) fs.copyFileSync(path.join(migrations, `${e.tag}.sql`), path.join(before, `${e.tag}.sql`));
    const testDb = await createTestDatabase();
    const database = await openDatabase(testDb.config);
    try {
      await migrateDatabase(database, [{ name: 'meetings', folder: before }]);
      const id = crypto.randomUUID();
      await database.pool.query(
        `INSERT INTO meetings_bridges (id, address, base_url, username, password_sealed, created_at, updated_at, cdr_token) VALUES ($1, 'cms', 'https://cms', 'admin', 'x', now(), now(), 'legacy-token-0123456789')`,
        [id],
      );
      await migrateDatabase(database, [{ name: 'meetings', folder: migrations }]);
      const { rows } = await database.pool.query('SELECT * FROM meetings_bridges WHERE id = $1', [id]);
      assert.equal('cdr_token' in rows[0], false);
      assert.ok(!JSON.stringify(rows[0]).includes('legacy-token-0123456789'));
      assert.equal(rows[0].cdr_token_hash, hashCdrToken('legacy-token-0123456789'));
    } finally {
      await database.close();
      await testDb.drop();
      fs.rmSync(before, { recursive: true, force: true });
    }
  });
});
