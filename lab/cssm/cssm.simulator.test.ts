import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../platform/clock.ts';
import { createCssmSimulator, decodeToken, type CssmSimulator } from './cssm.simulator.ts';
import { seedLabSmartAccount } from './cssm.seed.ts';

// S3 on the wire: the token endpoint, the envelope, paging, satellite markers, tokens, faults.
describe('CSSM simulator', () => {
  const clock = new ManualClock('2026-01-01T00:00:00Z');
  let sim: CssmSimulator;
  const domain = 'sim.example.com';
  before(async () => {
    sim = createCssmSimulator({ clock, clients: [{ clientId: 'c', clientSecret: 's', domains: [domain] }], pageSize: 100 });
    seedLabSmartAccount(sim, { domain, virtualAccounts: 250, satelliteEvery: 10 });
    await sim.start();
  });
  after(() => sim.stop());

  const token = async (body = 'grant_type=client_credentials&client_id=c&client_secret=s') =>
    fetch(sim.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
  const bearer = async () => ((await (await token()).json()) as { access_token: string }).access_token;
  const api = async (path: string, init: RequestInit = {}) => fetch(sim.apiBase + path, { ...init, headers: { authorization: `Bearer ${await bearer()}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });

  test('the token endpoint takes a form body or a query string and answers expires_in 3599; a wrong secret is 401 invalid_client', async () => {
    const ok = await token();
    assert.equal(ok.status, 200);
    const body = (await ok.json()) as Record<string, unknown>;
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 3599);
    const query = await fetch(`${sim.url}/oauth2/default/v1/token?grant_type=client_credentials&client_id=c&client_secret=s`, { method: 'POST' });
    assert.equal(query.status, 200);
    const bad = await token('grant_type=client_credentials&client_id=c&client_secret=nope');
    assert.equal(bad.status, 401);
    assert.equal(((await bad.json()) as { error: string }).error, 'invalid_client');
  });

  test('virtual accounts page with totalRecords, carry the envelope and mark satellite-synced ones', async () => {
    const res = await api(`/v1/accounts/${domain}/customer/virtual-accounts?offset=200&limit=100`);
    const body = (await res.json()) as any;
    assert.equal(body.status, 'COMPLETE');
    assert.equal(body.totalRecords, 250);
    assert.equal(body.virtualAccounts.length, 50);
    assert.ok(body.virtualAccounts.some((va: any) => va.satelliteName));
    assert.equal(typeof body.virtualAccounts[0].isDefault, 'string');
    const doubled = await fetch(sim.url + '//services/api/smart-accounts-and-licensing/v2/accounts', { headers: { authorization: `Bearer ${await bearer()}` } });
    assert.equal(doubled.status, 200, 'a doubled slash is tolerated');
    const other = await api('/v1/accounts/other.example.com/customer/virtual-accounts');
    assert.equal(other.status, 404);
  });

  test('registration tokens encode SA, VA and the export flag, and expire', async () => {
    const created = (await (await api(`/v1/accounts/${domain}/virtual-accounts/HCS-DEMO/tokens`, { method: 'POST', body: JSON.stringify({ description: 't', expiresAfterDays: 1, exportControlled: 'Allowed' }) })).json()) as any;
    const payload = decodeToken(created.tokenInfo.token)!;
    assert.equal(payload.domain, domain);
    assert.equal(payload.va, 'HCS-DEMO');
    assert.equal(payload.x, true);
    assert.match(created.tokenInfo.token, /%0A$/);
    const listed = (await (await api(`/v1/accounts/${domain}/virtual-accounts/HCS-DEMO/tokens`)).json()) as any;
    assert.equal(listed.tokens.length, 1);
    clock.advance(2 * 86_400_000);
    const register = await fetch(`${sim.url}/sim/agent/register`, { method: 'POST', body: JSON.stringify({ token: created.tokenInfo.token, udi: { udiPid: 'UCM', udiSerialNumber: 'x', uuid: 'u' } }) });
    assert.equal(register.status, 400, 'an expired token is refused');
  });

  test('an access token expires on the clock; faults: 429 with Retry-After, 5xx, 403, down', async () => {
    const t = await bearer();
    clock.advance(3600_000);
    const expired = await fetch(sim.apiBase + '/v2/accounts', { headers: { authorization: `Bearer ${t}` } });
    assert.equal(expired.status, 401);
    sim.setFault({ kind: 'rate-limited', retryAfterSeconds: 7 }, { includeTokenEndpoint: false });
    const limited = await api('/v2/accounts');
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '7');
    sim.setFault({ kind: 'server-error', status: 503 });
    assert.equal((await fetch(sim.apiBase + '/v2/accounts')).status, 503);
    sim.setFault({ kind: 'forbidden' }, { includeTokenEndpoint: false });
    assert.equal((await api('/v2/accounts')).status, 403);
    sim.setFault({ kind: 'down' });
    await assert.rejects(fetch(sim.apiBase + '/v2/accounts'));
    sim.setFault({ kind: 'none' });
    assert.equal((await api('/v2/accounts')).status, 200);
  });

  test('licences are computed from registered product instances', async () => {
    const t = (await (await api(`/v1/accounts/${domain}/virtual-accounts/HCS-DEMO/tokens`, { method: 'POST', body: JSON.stringify({ expiresAfterDays: 30 }) })).json()) as any;
    const reg = await fetch(`${sim.url}/sim/agent/register`, { method: 'POST', body: JSON.stringify({ token: t.tokenInfo.token, udi: { udiPid: 'UCM', udiSerialNumber: 'sn1', uuid: 'u' }, productTagName: 'UCM', usage: { HUCM_Foundation: 600 } }) });
    assert.equal(reg.status, 200);
    const licenses = (await (await api(`/v1/accounts/${domain}/licenses`, { method: 'POST', body: JSON.stringify({ virtualAccounts: ['HCS-DEMO'], limit: 50, offset: 0 }) })).json()) as any;
    const foundation = licenses.licenses.find((l: any) => l.license === 'HUCM_Foundation');
    assert.equal(foundation.inUse, 600);
    assert.equal(foundation.status, 'Out Of Compliance');
  });
});
