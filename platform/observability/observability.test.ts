import crypto from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { defineJob } from '../jobs/define-job.ts';
import { createLogger } from '../logger.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../../test/support/test-switchboard.ts';

// X8: JSON logs with the tracking ID, liveness and readiness, Prometheus metrics for HTTP latency,
// jobs by queue and state, and external API calls.

describe('observability (X8)', () => {
  let t: TestSwitchboard;
  const logLines: string[] = [];
  const logs = () => logLines.map((line) => JSON.parse(line) as Record<string, any>);

  const parked = defineJob({
    queue: 'test.observability-parked',
    input: z.object({ n: z.number() }),
    title: () => 'parked job for the metrics test',
    run: async () => ({}),
  });

  before(async () => {
    const stream = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    t = await startTestSwitchboard({ logger: createLogger('info', stream), jobs: [parked] });
  });
  after(async () => t?.close());

  const metrics = async () => {
    const res = await fetch(`${t.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    return res.text();
  };
  /** The value of one series, or undefined when the series is absent. */
  const sample = (text: string, name: string, labels: Record<string, string>) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  };

  test('/healthz is 200 ok without credentials', async () => {
    const res = await t.api('GET', '/healthz', undefined, { token: null });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'ok' });
  });

  test('/readyz is 200 ready and names the database mode', async () => {
    const res = await t.api('GET', '/readyz', undefined, { token: null });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'ready', database: process.env.DATABASE_URL ? 'postgres' : 'embedded' });
  });

  test('/metrics: HTTP latency by method, route template and status', async () => {
    const id = crypto.randomUUID();
    const unknown = `/api/v1/no-such-thing-${crypto.randomBytes(4).toString('hex')}`;
    assert.equal((await t.api('GET', '/api/v1/users')).status, 200);
    assert.equal((await t.api('GET', '/api/v1/users')).status, 200);
    assert.equal((await t.api('GET', `/api/v1/jobs/${id}`)).status, 404);
    assert.equal((await t.api('GET', '/api/v1/users', undefined, { token: null })).status, 401);
    assert.equal((await t.api('GET', unknown)).status, 404);
    const text = await metrics();
    assert.match(text, /# TYPE switchboard_http_request_duration_seconds histogram/);
    const name = 'switchboard_http_request_duration_seconds_count';
    assert.ok((sample(text, name, { method: 'GET', route: '/api/v1/users', status: '200' }) ?? 0) >= 2, text.slice(0, 2000));
    assert.equal(sample(text, name, { method: 'GET', route: '/api/v1/users', status: '401' }), 1);
    assert.equal(sample(text, name, { method: 'GET', route: '/api/v1/jobs/:id', status: '404' }), 1);
    assert.ok(sample(text, 'switchboard_http_request_duration_seconds_bucket', { route: '/api/v1/users', status: '200', le: '+Inf' })! >= 2);
    assert.ok(sample(text, 'switchboard_http_request_duration_seconds_sum', { route: '/api/v1/users', status: '200' })! > 0);
    // Labels are route templates: ids and unknown paths never become series of their own.
    assert.ok(!text.includes(id), 'a path parameter became a label value');
    assert.ok(!text.includes(unknown), 'an unknown path became a label value');
    // Process metrics come with the same prefix.
    assert.match(text, /^switchboard_process_cpu_user_seconds_total /m);
  });

  test('/metrics: jobs by queue and state', async () => {
    const system = { type: 'system' as const, id: null, name: 'observability-test', role: 'system' as const, customerOrgId: null };
    const startAfter = new Date(Date.now() + 365 * 86_400_000);
    await t.sb.services.jobs.send(parked, { n: 1 }, { actor: system, startAfter });
    await t.sb.services.jobs.send(parked, { n: 2 }, { actor: system, startAfter });
    const text = await metrics();
    assert.match(text, /# TYPE switchboard_jobs gauge/);
    assert.equal(sample(text, 'switchboard_jobs', { queue: parked.queue, state: 'created' }), 2);
    // Cancel one: the gauge follows (it is recomputed per scrape, not accumulated).
    const list = await t.api('GET', `/api/v1/jobs?queue=${parked.queue}`);
    assert.equal((await t.api('POST', `/api/v1/jobs/${list.body.items[0].id}/cancel`)).status, 200);
    const after = await metrics();
    assert.equal(sample(after, 'switchboard_jobs', { queue: parked.queue, state: 'created' }), 1);
    assert.equal(sample(after, 'switchboard_jobs', { queue: parked.queue, state: 'cancelled' }), 1);
  });

  test('/metrics: external API calls by system and status', async () => {
    const before = await metrics();
    assert.match(before, /# HELP switchboard_external_api_calls_total /);
    assert.match(before, /# TYPE switchboard_external_api_calls_total counter/);
    t.sb.services.metrics.externalCalls.inc({ system: 'cms', status: '200' });
    t.sb.services.metrics.externalCalls.inc({ system: 'cms', status: '200' });
    t.sb.services.metrics.externalCalls.inc({ system: 'cssm', status: 'timeout' });
    const text = await metrics();
    assert.equal(sample(text, 'switchboard_external_api_calls_total', { system: 'cms', status: '200' }), 2);
    assert.equal(sample(text, 'switchboard_external_api_calls_total', { system: 'cssm', status: 'timeout' }), 1);
  });

  test('logs are JSON lines carrying the tracking ID, the caller’s or a new one, as in the response', async () => {
    const given = `obs-${crypto.randomBytes(6).toString('hex')}`;
    const res = await t.api('GET', '/api/v1/users', undefined, { headers: { TrackingID: given } });
    assert.equal(res.headers.get('trackingid'), given);
    const failed = await t.api('GET', '/api/v1/nothing-here');
    const generated = failed.body.error.trackingId;
    assert.match(generated, /^SB_[0-9a-f-]{36}$/);
    await new Promise((resolve) => setImmediate(resolve));

    const entries = logs();
    assert.ok(entries.length > 0);
    for (const entry of entries) {
      assert.equal(typeof entry.level, 'number');
      assert.match(entry.time, /^\d{4}-\d\d-\d\dT/);
      assert.equal(entry.service, 'switchboard');
    }
    const mine = entries.filter((e) => e.trackingId === given);
    assert.ok(mine.some((e) => e.msg === 'incoming request' && e.req?.url === '/api/v1/users'), JSON.stringify(mine));
    assert.ok(mine.some((e) => e.msg === 'request completed' && e.res?.statusCode === 200 && typeof e.responseTime === 'number'), JSON.stringify(mine));
    assert.ok(entries.some((e) => e.trackingId === generated && e.res?.statusCode === 404), 'the tracking ID of an error envelope is in the logs');
    // Every request line has one.
    for (const entry of entries.filter((e) => e.req || e.res)) assert.match(String(entry.trackingId), /\S/);
  });

  test('a 500 is logged as an error with the tracking ID the caller was given', async () => {
    // Only an unexpected failure gives a 500: make the database fail the query behind a real route.
    const pool = t.sb.services.database.pool;
    const original = pool.query.bind(pool);
    (pool as any).query = (...args: unknown[]) => {
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string })?.text ?? '';
      if (/from "users"/.test(text) && /order by "users"."username"/.test(text)) return Promise.reject(new Error('simulated database failure'));
      return (original as (...a: unknown[]) => unknown)(...args);
    };
    let res;
    try {
      res = await t.api('GET', '/api/v1/users');
    } finally {
      (pool as any).query = original;
    }
    assert.equal(res.status, 500, JSON.stringify(res.body));
    const trackingId = res.body.error.trackingId;
    assert.equal(res.body.error.code, 'INTERNAL');
    assert.ok(!JSON.stringify(res.body).includes('simulated database failure'), 'internals are not shown to the caller');
    await new Promise((resolve) => setImmediate(resolve));
    const logged = logs().find((e) => e.trackingId === trackingId && e.level >= 50);
    assert.ok(logged, 'the error is logged with the tracking ID');
    assert.match(JSON.stringify(logged), /simulated database failure/);
  });

  test('no credential reaches the logs', async () => {
    const password = 'observability password 1';
    await t.api('POST', '/api/v1/users', { username: 'observed', role: 'booker', password });
    const login = await t.api('POST', '/api/v1/session', { username: 'observed', password }, { token: null });
    const cookie = login.headers.getSetCookie()[0].split(';')[0];
    await t.api('GET', '/api/v1/session', undefined, { token: null, headers: { cookie } });
    await new Promise((resolve) => setImmediate(resolve));
    const output = logLines.join('\n');
    for (const secret of [t.adminToken, t.admin.password, password, cookie.split('=')[1], login.body.csrfToken]) {
      assert.ok(!output.includes(secret), `${secret.slice(0, 4)}… is in the logs`);
    }
  });
});
