import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { ManualClock } from '../platform/clock.ts';
import { createCmsCluster, type CmsCluster } from '../lab/cms/cms.cluster.ts';
import { startTestSwitchboard, type TestSwitchboard } from './support/test-switchboard.ts';
import { createMeetingsArea } from '../meetings/meetings.area.ts';
import { partnerArea } from '../partner/partner.area.ts';
import { createClusterAndTemplate, subscriberBody } from '../partner/partner.testkit.ts';

// Issue #13 through HTTP, on either database: a statement that fails — on the pool (a GET that
// answers 500) or inside a transaction sending named prepared statements (a booking, an accept) —
// and a broken database socket never make later bookings and accepts fail, and /readyz says whether
// the database answers. Failures are injected in the database itself (a table renamed away for a
// moment, a trigger that raises once), so they do not depend on any input still reaching it.
describe('requests after a failed statement or a broken connection (#13)', () => {
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  let cms: CmsCluster;
  let t: TestSwitchboard;
  let bridgeId: string;
  let provisioningId: string;
  const pool = () => t.sb.services.database.pool;
  let slot = 0;
  /** A valid booking of its own hour, so bookings never conflict with each other. */
  const book = (title = 'after a failure') => {
    slot += 1;
    const start = new Date(Date.parse('2026-03-10T00:00:00Z') + slot * 3_600_000).toISOString();
    return t.api('POST', '/api/v1/meetings/bookings', { title, start, durationMinutes: 30, timeZone: 'UTC', bridgeId });
  };
  const addSubscriber = () => t.api('POST', '/v1/broadworks/subscribers', subscriberBody(provisioningId, { spEnterpriseId: 'SP1+dbfail' }));

  /** While `fn` runs, `table` is renamed away: every statement reading it fails in the database. */
  async function withoutTable<T>(table: string, fn: () => Promise<T>): Promise<T> {
    await pool().query(`alter table ${table} rename to ${table}_away`);
    try {
      return await fn();
    } finally {
      await pool().query(`alter table ${table}_away rename to ${table}`);
    }
  }

  /** The next insert into `table` fails once (a statement trigger; the sequence is not rolled back). */
  async function failNextInsertInto(table: string) {
    const name = `fail_once_${table}`;
    await pool().query(`create sequence if not exists ${name}`);
    await pool().query(`select setval('${name}', 1, false)`);
    await pool().query(`
      create or replace function ${name}() returns trigger language plpgsql as $$
      begin
        if nextval('${name}') = 1 then raise exception 'injected failure (#13 test)'; end if;
        return null;
      end $$`);
    await pool().query(`drop trigger if exists ${name} on ${table}`);
    await pool().query(`create trigger ${name} before insert on ${table} for each statement execute function ${name}()`);
  }

  /** Breaks the socket of the database connection a statement is using (as when the peer goes away). */
  async function breakConnections() {
    const max = (pool() as pg.Pool & { options: { max: number } }).options.max;
    const clients = await Promise.all(Array.from({ length: Math.min(max, 2) }, () => pool().connect()));
    for (const client of clients) {
      client.on('error', () => undefined);
      const ended = new Promise((resolve) => client.once('end', resolve));
      (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
      await ended;
      client.release(new Error('socket broken by the test'));
    }
  }

  before(async () => {
    cms = await createCmsCluster({ name: 'dbfail', nodes: [{ name: 'dbfail-1', host: '127.0.0.1', port: 0 }], clock });
    await cms.start();
    t = await startTestSwitchboard({ clock, areas: [createMeetingsArea({ tickMs: 1000, statusIntervalMs: 600_000 }), partnerArea], config: { jobPollSeconds: 0.5 } as never });
    const added = await t.api('POST', '/api/v1/meetings/bridges', { address: cms.nodes[0].baseUrl, username: 'admin', password: 'admin', name: 'DB failures CMS' });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    bridgeId = added.body.items[0].id as string;
    const patched = await t.api('PATCH', `/api/v1/meetings/bridges/${bridgeId}`, { sipDomain: 'lab.local', numericIdBase: 1, numericIdQuantity: 50 });
    const deadline = Date.now() + 60_000;
    while ((await t.api('GET', `/api/v1/jobs/${patched.body.poolSyncJobId}`)).body.state !== 'completed') {
      if (Date.now() > deadline) throw new Error('pool sync timed out');
      clock.advance(500);
      await new Promise((r) => setTimeout(r, 25));
    }
    provisioningId = (await createClusterAndTemplate(t, { name: 'dbfail' })).template.provisioningId;
  });
  after(async () => {
    await t?.close();
    await cms?.stop();
  });

  test('booking → a GET failing in the database (500) → booking again: 201 every time', async () => {
    assert.equal((await book()).status, 201);
    const trace = await withoutTable('meetings_api_trace', () => t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/trace`));
    assert.equal(trace.status, 500, JSON.stringify(trace.body));
    for (let i = 0; i < 3; i++) {
      const again = await book();
      assert.equal(again.status, 201, JSON.stringify(again.body));
    }
  });

  test('subscriber added → a GET failing in the database (500) → adding again: 200 every time', async () => {
    const first = await addSubscriber();
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const trends = await withoutTable('partner_usage_snapshots', () => t.api('GET', '/api/v1/partner/analytics/trends'));
    assert.equal(trends.status, 500, JSON.stringify(trends.body));
    for (let i = 0; i < 3; i++) {
      const again = await addSubscriber();
      assert.equal(again.status, 200, JSON.stringify(again.body));
    }
  });

  test('a booking whose transaction fails after its named statements: the same booking again is 201', async () => {
    assert.equal((await book()).status, 201);
    await failNextInsertInto('meetings_bookings');
    const failed = await book('fails once');
    assert.equal(failed.status, 500, JSON.stringify(failed.body));
    slot -= 1; // the same booking, the same hour
    const again = await book('fails once');
    assert.equal(again.status, 201, JSON.stringify(again.body));
    assert.equal((await book()).status, 201);
  });

  test('an accept whose transaction fails after its named statements: the same subscriber again is 200', async () => {
    await failNextInsertInto('partner_subscribers');
    const body = subscriberBody(provisioningId, { spEnterpriseId: 'SP1+dbfail' });
    const failed = await t.api('POST', '/v1/broadworks/subscribers', body);
    assert.equal(failed.status, 500, JSON.stringify(failed.body));
    const again = await t.api('POST', '/v1/broadworks/subscribers', body);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal((await addSubscriber()).status, 200);
  });

  test('the database connection breaks: bookings, accepts, token checks and /readyz go on (a new connection)', async () => {
    assert.equal((await book()).status, 201);
    await breakConnections();
    const token = await t.tokenFor('read_only_admin');
    const refused = await t.api('POST', '/v1/broadworks/billing/reports', { billingPeriod: '2018-04' }, { token });
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal((await book()).status, 201);
    assert.equal((await addSubscriber()).status, 200);
    await breakConnections();
    const ready = await t.api('GET', '/readyz', undefined, { token: null });
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
  });

  test('a role without the permission gets 403, not 500, while statements fail in the database at the same moment', async () => {
    // The billing flake (partner/billing/billing.test.ts, roles): a report deleted while its job runs
    // makes the job's chunk insert fail on the pool; the old embedded pool then dropped its one
    // connection and the token checks waiting behind it failed on the refused reconnection (500).
    const token = await t.tokenFor('read_only_admin');
    for (let round = 0; round < 5; round++) {
      const [failed, ...refused] = await Promise.all([
        pool().query('insert into partner_billing_report_chunks (report_id, seq, data) values ($1, 0, $2)', ['00000000-0000-4000-8000-00000000dead', Buffer.from('x')]).then(() => 'inserted', (error: Error) => error.message),
        ...Array.from({ length: 3 }, () => t.api('POST', '/v1/broadworks/billing/reports', { billingPeriod: '2018-04' }, { token })),
      ]);
      assert.match(failed as string, /foreign key/);
      for (const res of refused as { status: number; body: unknown }[]) assert.equal(res.status, 403, JSON.stringify(res.body));
    }
    assert.equal((await book()).status, 201);
  });

  test('/readyz is 503 while the database cannot answer, 200 again once it can', async () => {
    // Every connection the pool may open, taken and held: nothing can reach the database.
    const max = (pool() as pg.Pool & { options: { max: number } }).options.max;
    const held = await Promise.all(Array.from({ length: max }, () => pool().connect()));
    try {
      // (The signal only keeps a probe that never answers from holding the connections for ever.)
      const response = await fetch(`${t.url}/readyz`, { signal: AbortSignal.timeout(60_000) });
      const notReady = (await response.json()) as { status: string; reason: string };
      assert.equal(response.status, 503, JSON.stringify(notReady));
      assert.equal(notReady.status, 'not-ready');
      assert.match(notReady.reason, /^database: /);
    } finally {
      for (const client of held) client.release();
    }
    const ready = await t.api('GET', '/readyz', undefined, { token: null });
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
  });
});
