import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { dateTimeText, dayInput, hostInput, hostPortInput, httpUrlInput, int4, int4Query, parseHostPort, parseIsoDateTime, timestampInput, timestampText } from './inputs.ts';

// #13: the shared input schemas parse what they take — calendar days, times in the years 1–9999,
// integers an `integer` column holds, hosts and URLs we could connect to.
const ok = (schema: z.ZodType, value: unknown) => assert.equal(schema.safeParse(value).success, true, `${JSON.stringify(value)} should pass`);
const bad = (schema: z.ZodType, value: unknown) => assert.equal(schema.safeParse(value).success, false, `${JSON.stringify(value)} should fail`);

describe('platform/http/inputs', () => {
  test('days: only days of the calendar, years 0001–9999', () => {
    for (const v of ['2026-02-28', '2024-02-29', '2000-02-29', '0001-01-01', '9999-12-31']) ok(dayInput(), v);
    for (const v of ['0000-00-00', '0000-01-01', '2026-02-30', '2023-02-29', '1900-02-29', '2026-13-01', '2026-04-31', '2026-1-1', '10000-01-01', '']) bad(dayInput(), v);
  });

  test('times: ISO 8601 on a real day or epoch milliseconds, in the years 1–9999; no rolling over', () => {
    const at = (v: unknown) => (timestampInput().parse(v) as Date).toISOString();
    assert.equal(at('2026-11-27T09:00:00+01:00'), '2026-11-27T08:00:00.000Z');
    assert.equal(at('2026-11-27T09:00'), '2026-11-27T09:00:00.000Z');
    assert.equal(at('2026-11-27'), '2026-11-27T00:00:00.000Z');
    assert.equal(at('1700000000000'), '2023-11-14T22:13:20.000Z');
    assert.equal(at(1700000000000), '2023-11-14T22:13:20.000Z');
    assert.equal(at('9999-12-31T23:59:59.999Z'), '9999-12-31T23:59:59.999Z');
    for (const v of ['2026-02-30T10:00:00Z', '2026-11-27T24:00Z', '2026-11-27T10:60Z', '0000-01-01T00:00:00Z', '+275760-09-13T00:00:00.000Z', '10000-01-01', '8640000000000000', 'March 7', 'NaN', '', 1.5, null]) bad(timestampInput(), v);
    for (const v of ['2026-02-30T00:00:00Z', '8640000000000000', '+275760-01-01T00:00:00Z']) bad(timestampText(), v);
    ok(timestampText(), '1700000000000');
    assert.deepEqual(z.toJSONSchema(timestampInput(), { io: 'input', unrepresentable: 'any' }).format, 'date-time');
  });

  test('wall times kept as text: a real day and time, any offset or none', () => {
    for (const v of ['2026-03-02T10:00', '2026-03-02T10:00:30', '2026-03-02T10:00:00+01:00', '2026-03-02T10:00Z']) ok(dateTimeText(), v);
    for (const v of ['2026-02-30T10:00', '2026-03-02T25:00', '0000-03-02T10:00', 'tomorrow', '2026-03-02T10:00+25:00']) bad(dateTimeText(), v);
    assert.equal(parseIsoDateTime('2026-03-02T10:00-05:30')?.offsetMinutes, -330);
    assert.equal(parseIsoDateTime('2026-03-02T10:00')?.offsetMinutes, null);
  });

  test('integers fit an `integer` column', () => {
    ok(int4(), 2_147_483_647);
    bad(int4(), 2_147_483_648);
    bad(int4(), -2_147_483_649);
    ok(int4Query(), '-2147483648');
    for (const v of ['3000000000', '1e10', '1.5', 'abc']) bad(int4Query(), v);
  });

  test('hosts: IP addresses and DNS names, parsed; unspecified, broadcast and multicast addresses refused', () => {
    for (const v of ['10.0.0.1', '127.0.0.1', 'proxy.example.com', 'localhost', 'cms-1', '2001:db8::1', '[2001:db8::1]', 'xn--bcher-kva.example']) ok(hostInput(), v);
    for (const v of ['a b', '0', '0.0.0.0', '0.1.2.3', '::', '[::]', '::ffff:0.0.0.0', '255.255.255.255', '224.0.0.1', 'ff02::1', '1.2.3', '10.0.0.256', 'exa_mple.com', '-a.example', 'a..b', 'x'.repeat(64) + '.com', '']) bad(hostInput(), v);
    assert.equal(hostInput().parse('[2001:db8::1]'), '2001:db8::1');
  });

  test('host:port: the port is 1–65535; bare and bracketed IPv6', () => {
    assert.deepEqual(parseHostPort('10.0.0.1:445'), { host: '10.0.0.1', port: 445 });
    assert.deepEqual(parseHostPort('cms.example.net'), { host: 'cms.example.net', port: null });
    assert.deepEqual(parseHostPort('[2001:db8::1]:8443'), { host: '[2001:db8::1]', port: 8443 });
    assert.deepEqual(parseHostPort('2001:db8::1'), { host: '[2001:db8::1]', port: null });
    for (const v of ['cms:0', 'cms:65536', 'cms:', 'cms:x', '0:443', '[::]:443', 'a b:1', 'a:b:c']) bad(hostPortInput(), v);
  });

  test('URLs: http(s) only, with a host as written', () => {
    for (const v of ['https://cloudsso.cisco.com/as/token.oauth2', 'http://127.0.0.1:8080/x', 'https://[::1]:8443/', 'https://user:pw@host.example/']) ok(httpUrlInput(), v);
    for (const v of ['http://a b', 'javascript:alert(1)', 'ftp://x.example', 'http://0/', 'http://1.2.3/', 'http://0.0.0.0:80/', 'not a url', '']) bad(httpUrlInput(), v);
  });
});
