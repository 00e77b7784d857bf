import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { createCmsCluster, type CmsCluster } from '../lab/cms/cms.cluster.ts';
import { ManualClock } from '../platform/clock.ts';
import { licensingArea } from '../licensing/licensing.area.ts';
import { createMeetingsArea } from '../meetings/meetings.area.ts';
import { partnerArea } from '../partner/partner.area.ts';
import { startTestSwitchboard, type TestSwitchboard } from './support/test-switchboard.ts';
import type { AreaFactory } from '../platform/area.ts';
import type { HttpApp } from '../platform/http/app-types.ts';

// #13 part 2, "5xx for a user's mistake": each request below was answered 500 (or 502/504, or
// accepted and broke later) and is now a 4xx with a clear message, in the one error envelope.

/** A route that hands its input to the database unchecked: what a schema that misses a case does. */
const castArea: AreaFactory = (services) => ({
  name: 'cast-probe',
  routes: (app: HttpApp) => {
    app.route({
      method: 'GET', url: '/api/v1/test/cast', config: { access: 'meetings.read' },
      schema: { hide: true, querystring: z.strictObject({ date: z.string().optional(), int: z.string().optional() }), response: { 200: z.object({ ok: z.boolean() }) } },
      handler: async (request) => {
        if (request.query.date !== undefined) await services.database.db.execute(sql`select ${request.query.date}::date`);
        if (request.query.int !== undefined) await services.database.db.execute(sql`select ${request.query.int}::int4`);
        return { ok: true };
      },
    });
  },
});

const randomId = '6f1c1a52-0c1e-4c39-9a57-2b1d1e0f0a01';

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('#13: a caller\'s mistake is a 4xx, never a 5xx', () => {
  let t: TestSwitchboard;
  let cms: CmsCluster;
  const host = () => cms.nodes[0].baseUrl.replace(/^https?:\/\//, '');

  before(async () => {
    cms = await createCmsCluster({ name: 'bad-input', nodes: [{ name: 'CallBridge-1', host: '127.0.0.1', port: 0 }], users: [{ name: 'admin', password: 'secret-pw' }] });
    await cms.start();
    t = await startTestSwitchboard({
      clock: new ManualClock('2026-06-01T08:00:00Z'),
      areas: [createMeetingsArea({ tickMs: 1e9, statusIntervalMs: 1e12, reconcileIntervalMs: 1e12 }), partnerArea, licensingArea, castArea],
    });
  });
  after(async () => {
    await t?.close();
    await cms?.stop();
  });

  const expect400 = (res: { status: number; body: any }, field: RegExp | string) => {
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'VALIDATION_FAILED');
    assert.match(res.body.error.message, typeof field === 'string' ? new RegExp(field) : field);
    assert.ok(res.body.error.trackingId);
  };

  test('P15 trends: a day that is not on the calendar is refused by the schema (was a database error, 500)', async () => {
    expect400(await t.api('GET', '/api/v1/partner/analytics/trends?to=0000-00-00'), /to not a day of the calendar/);
    expect400(await t.api('GET', '/api/v1/partner/analytics/trends?from=2026-02-30'), /from not a day of the calendar/);
    expect400(await t.api('POST', '/api/v1/partner/analytics/snapshots', { from: '2026-02-29' }), /from not a day of the calendar/);
    assert.equal((await t.api('GET', '/api/v1/partner/analytics/trends?from=2024-02-29&to=2026-02-28')).status, 200);
  });

  test('M15 trace: an integer filter outside its column\'s range, and an impossible time, are refused (was 500)', async () => {
    expect400(await t.api('GET', `/api/v1/meetings/bridges/${randomId}/trace?status=3000000000`), /status Too big/);
    expect400(await t.api('GET', `/api/v1/meetings/bridges/${randomId}/trace?from=%2B275760-09-13T00:00:00.000Z`), /from must be an ISO 8601 time/);
    expect400(await t.api('POST', `/api/v1/meetings/bridges/${randomId}/tickets/3000000000/close`), /ticketId Too big/);
    expect400(await t.api('GET', '/api/v1/meetings/bookings?from=2026-02-30T10:00:00Z'), /from must be an ISO 8601 time on a real calendar day/);
    expect400(await t.api('GET', '/api/v1/meetings/meetings?to=10000-01-01'), /to must be an ISO 8601 time/);
  });

  test('M8: a booking that would end past the year 9999 is refused (was 500, time zone displacement out of range)', async () => {
    const late = await t.api('POST', '/api/v1/meetings/bookings', { title: 'End of time', start: '9999-12-31T23:45Z', durationMinutes: 30, timeZone: 'UTC', bridgeId: randomId });
    expect400(late, /years 0001–9999/);
    // Wall time in a zone behind UTC: 23:45 in New York is already the year 10000 in UTC.
    expect400(await t.api('POST', '/api/v1/meetings/bookings', { title: 'x', start: '9999-12-31T23:45', end: '9999-12-31T23:50', timeZone: 'America/New_York', bridgeId: randomId }), /years 0001–9999/);
    expect400(await t.api('POST', '/api/v1/meetings/bookings', { title: 'x', start: '2026-02-30T10:00', durationMinutes: 30, timeZone: 'UTC', bridgeId: randomId }), /start must be a date and time on a real calendar day/);
    // The early join of a meeting at the very start of the year 1 falls before it (and the wall time is
    // not read as 1901, as Date.UTC would).
    expect400(await t.api('POST', '/api/v1/meetings/bookings', { title: 'x', start: '0001-01-01T00:10', durationMinutes: 30, timeZone: 'UTC', earlyJoinMinutes: 15, bridgeId: randomId }), /from 0000-12-31T23:55:00.000Z to 0001-01-01T00:40:00.000Z/);
  });

  test('M8: a series that repeats more than daily, or gives more than 1000 meetings, is refused (FREQ=SECONDLY took gigabytes and minutes)', async () => {
    const series = (recurrence: string) => t.api('POST', '/api/v1/meetings/bookings', { title: 'Series', start: '2026-06-08T10:00', durationMinutes: 30, timeZone: 'UTC', bridgeId: randomId, recurrence });
    expect400(await series('FREQ=SECONDLY'), /repeats at most daily/);
    expect400(await series('FREQ=HOURLY;COUNT=3'), /repeats at most daily/);
    expect400(await series(`FREQ=DAILY;BYHOUR=${Array.from({ length: 24 }, (_, h) => h).join(',')}`), /more than 1000 meetings/);
    // A daily series is fine (the unknown bridge is what refuses it).
    assert.equal((await series('FREQ=DAILY')).status, 404);
  });

  test('L1: a proxy host that is no host is refused when the smart account is created (was 201, then 500 on the dashboard)', async () => {
    const base = { domain: 'example.com', clientId: 'c', clientSecret: 's', authGatewayUrl: 'http://127.0.0.1:9/token', cssmServerUrl: 'http://127.0.0.1:9/api' };
    expect400(await t.api('POST', '/api/v1/licensing/smart-accounts', { ...base, transport: { mode: 'proxy', host: 'a b', port: 3128 } }), /transport\.host .*"a b" is not an IP address or DNS name/);
    expect400(await t.api('POST', '/api/v1/licensing/smart-accounts', { ...base, transport: { mode: 'proxy', host: '0.0.0.0', port: 3128 } }), /unspecified address/);
    expect400(await t.api('POST', '/api/v1/licensing/smart-accounts', { ...base, authGatewayUrl: 'http://a b/token' }), /authGatewayUrl .*is not a URL/);
    expect400(await t.api('POST', '/api/v1/licensing/smart-accounts', { ...base, cssmServerUrl: 'javascript:alert(1)' }), /cssmServerUrl .*http:\/\/ or https:\/\//);
  });

  test('M1: an address that cannot be a bridge is a 400 before any connection (was 504 after connecting to ourselves)', async () => {
    const add = (address: string, password = 'secret-pw') => t.api('POST', '/api/v1/meetings/bridges', { address, username: 'admin', password, tls: false });
    expect400(await add('0'), /"0" is not an IP address/);
    expect400(await add('0.0.0.0:443'), /unspecified address/);
    expect400(await add('[::]'), /unspecified address/);
    expect400(await add('cms.example.net, a b'), /"a b" is not an IP address or DNS name/);
    expect400(await add('cms.example.net:99999'), /no port 1–65535/);
    expect400(await add('https://cms.example.net/api'), /not an IP address or DNS name/);
    expect400(await t.api('PATCH', `/api/v1/meetings/bridges/${randomId}`, { alternateAddress: '0' }), /alternateAddress .*"0"/);
    expect400(await t.api('PATCH', `/api/v1/meetings/bridges/${randomId}`, { webBridgeUri: 'http://0/' }), /webBridgeUri/);
  });

  test('M1: a bridge that refuses the credentials is a 422 with its reason; one that does not answer is still a 504', async () => {
    const wrong = await t.api('POST', '/api/v1/meetings/bridges', { address: host(), username: 'admin', password: 'wrong', tls: false });
    assert.equal(wrong.status, 422, JSON.stringify(wrong.body));
    assert.equal(wrong.body.error.code, 'UPSTREAM_REFUSED_CREDENTIALS');
    assert.match(wrong.body.error.message, /Authentication failed at .*check the username and password/);
    assert.equal(wrong.body.error.details.reason, 'authenticationFailed');

    cms.nodes[0].faults.failNext = [{ path: '/api/v1/system/status', count: 3, status: 403, body: '<?xml version="1.0"?><failureDetails><accessDenied /></failureDetails>' }];
    const forbidden = await t.api('POST', '/api/v1/meetings/bridges', { address: host(), username: 'admin', password: 'secret-pw', tls: false });
    delete cms.nodes[0].faults.failNext;
    assert.equal(forbidden.status, 422, JSON.stringify(forbidden.body));
    assert.equal(forbidden.body.error.code, 'UPSTREAM_REFUSED_CREDENTIALS');
    assert.match(forbidden.body.error.message, /refused GET \/system\/status to this account: accessDenied/);

    const down = await t.api('POST', '/api/v1/meetings/bridges', { address: `127.0.0.1:${await closedPort()}`, username: 'admin', password: 'secret-pw', tls: false });
    assert.equal(down.status, 504, JSON.stringify(down.body));
    assert.equal(down.body.error.code, 'UPSTREAM_UNREACHABLE');
    assert.equal(down.body.error.details.network, 'refused');
  });

  test('P2 /v1: a time filter past what the database holds is a Webex 400 (was 500)', async () => {
    for (const query of ['lastStatusChange=8640000000000000', 'after=%2B275760-01-01T00:00:00Z', 'after=2026-02-30T00:00:00Z']) {
      const res = await t.api('GET', `/v1/broadworks/subscribers?${query}`);
      assert.equal(res.status, 400, `${query}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.errors[0].errorCode, 1003, JSON.stringify(res.body));
    }
    const enterprises = await t.api('GET', '/v1/broadworks/enterprises?lastSyncEndTime=8640000000000000');
    assert.equal(enterprises.status, 400, JSON.stringify(enterprises.body));
    assert.equal((await t.api('GET', '/v1/broadworks/subscribers?lastStatusChange=1700000000000')).status, 200);
  });

  test('a database data exception (SQLSTATE class 22) caused by input is a 400 VALIDATION_FAILED, not a 500', async () => {
    const date = await t.api('GET', '/api/v1/test/cast?date=0000-00-00');
    expect400(date, /out of range or malformed/);
    assert.match(date.body.error.details.sqlState, /^22/);
    const text = await t.api('GET', '/api/v1/test/cast?int=abc');
    expect400(text, /out of range or malformed/);
    assert.equal(text.body.error.details.sqlState, '22P02');
    assert.equal((await t.api('GET', '/api/v1/test/cast?date=2026-02-28&int=7')).status, 200);
    // Last: on the embedded database this refusal (raised while binding the parameter) still costs the
    // connection — the embedded DB's connection recovery is its own issue, not this one.
    const int = await t.api('GET', '/api/v1/test/cast?int=3000000000');
    expect400(int, /out of range or malformed/);
    assert.equal(int.body.error.details.sqlState, '22003');
  });
});
