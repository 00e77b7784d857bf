import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../platform/clock.ts';
import { AppError } from '../platform/errors.ts';
import { createMetrics } from '../platform/observability/metrics.ts';
import { createCssmSimulator, satelliteMarkerStyles, type CssmSimulator } from '../lab/cssm/cssm.simulator.ts';
import { seedLabSmartAccount } from '../lab/cssm/cssm.seed.ts';
import { createCssmConnector, satelliteRule } from './cssm.connector.ts';
import { startForwardProxy } from '../test/support/forward-proxy.ts';

// The CSSM connector against the simulator: token cache and refresh, one retry after a 401,
// Retry-After honoured on the clock, catalogue codes, the external-call metric.
describe('CSSM connector', () => {
  const clock = new ManualClock('2026-01-01T00:00:00Z');
  const domain = 'conn.example.com';
  let sim: CssmSimulator;
  before(async () => {
    sim = createCssmSimulator({ clock, clients: [{ clientId: 'c', clientSecret: 's', domains: [domain] }] });
    seedLabSmartAccount(sim, { domain, virtualAccounts: 10 });
    await sim.start();
  });
  after(() => sim.stop());
  let sleeping = 0;
  const countingClock = { now: () => clock.now(), sleep: (ms: number) => (sleeping++, clock.sleep(ms).then(() => void sleeping--)) };
  const connector = (secret = 's', metrics = createMetrics()) => createCssmConnector({ tokenUrl: sim.tokenUrl, apiBase: sim.apiBase, clientId: 'c', clientSecret: secret, clock: countingClock, metrics });
  const catalogueCode = (error: unknown) => ((error as AppError).details as { catalogueCode: string }).catalogueCode;

  test('the token is fetched once and reused until 5 minutes before expiry; a revoked token is refreshed once', async () => {
    const metrics = createMetrics();
    const c = connector('s', metrics);
    const first = await c.token();
    assert.equal(await c.token(), first);
    await c.listVirtualAccounts(domain, { offset: 0, limit: 5 });
    clock.advance(3599_000 - 4 * 60_000);
    assert.notEqual(await c.token(), first, 'refreshed inside the 5-minute margin');
    sim.revokeAccessTokens();
    const page = await c.listVirtualAccounts(domain, { offset: 5, limit: 5 });
    assert.equal(page.total, 10);
    assert.equal(page.items.length, 5);
    const calls = await metrics.registry.getSingleMetricAsString('switchboard_external_api_calls_total');
    assert.match(calls, /system="cssm",status="401"/);
    await c.close();
  });

  test('a wrong secret is CSSM1011; 429 waits Retry-After on the clock, then gives up with CSSM1021; down is CSSM1005', async () => {
    const bad = connector('nope');
    await assert.rejects(bad.token(), (e) => catalogueCode(e) === 'CSSM1011');
    await bad.close();
    const c = connector();
    await c.token();
    sim.setFault({ kind: 'rate-limited', retryAfterSeconds: 2 }, { includeTokenEndpoint: false });
    let outcome: string | undefined;
    const pending = c.listVirtualAccounts(domain, { offset: 0, limit: 5 }).then(
      () => (outcome = 'ok'),
      (e) => (outcome = catalogueCode(e)),
    );
    let waited = 0;
    // Move the clock only while the connector sleeps; count how much clock time it waited.
    while (outcome === undefined) {
      await new Promise((r) => setTimeout(r, 20));
      if (outcome === undefined && sleeping > 0) {
        clock.advance(2000);
        waited += 2000;
      }
    }
    await pending;
    assert.equal(outcome, 'CSSM1021');
    assert.equal(waited, 6000, 'three waits of Retry-After: 2');
    sim.setFault({ kind: 'down' });
    await assert.rejects(c.listVirtualAccounts(domain, { offset: 0, limit: 5 }), (e) => catalogueCode(e) === 'CSSM1005');
    sim.setFault({ kind: 'none' });
    await c.close();
  });

  test('through an HTTP proxy with Basic auth: token and VA pages go through the tunnel; a wrong proxy password is CSSM1005', async () => {
    const proxy = await startForwardProxy({ username: 'hcs', password: 'pr0xy' });
    const via = (password: string) => createCssmConnector({ tokenUrl: sim.tokenUrl, apiBase: sim.apiBase, clientId: 'c', clientSecret: 's', clock, tokenCache: new Map(), proxy: { host: proxy.host, port: proxy.port, username: 'hcs', password }, timeoutMs: 3000 });
    const c = via('pr0xy');
    const page = await c.listVirtualAccounts(domain, { offset: 0, limit: 10 });
    assert.equal(page.items.length, 10);
    const simHost = new URL(sim.apiBase).host;
    assert.ok(proxy.requests.length >= 1);
    for (const r of proxy.requests) {
      assert.deepEqual([r.method, r.target, r.allowed], ['CONNECT', simHost, true]);
      assert.equal(r.proxyAuthorization, `Basic ${Buffer.from('hcs:pr0xy').toString('base64')}`);
    }
    await c.close();
    const wrong = via('guess');
    await assert.rejects(wrong.listVirtualAccounts(domain, { offset: 0, limit: 10 }), (e) => catalogueCode(e) === 'CSSM1005');
    assert.equal(proxy.requests.at(-1)?.allowed, false);
    await wrong.close();
    await proxy.stop();
  });
});

// Where CSSM marks a satellite-synced VA is not public: each plausible form the simulator can send
// is recognised by the default rule, and the rule is configurable.
describe('CSSM connector: satellite markers', () => {
  const clock = new ManualClock('2026-01-01T00:00:00Z');
  const domain = 'sat.example.com';
  let sim: CssmSimulator;
  let satellite: number;
  before(async () => {
    sim = createCssmSimulator({ clock, clients: [{ clientId: 'c', clientSecret: 's', domains: [domain] }] });
    satellite = seedLabSmartAccount(sim, { domain, virtualAccounts: 100, satelliteEvery: 10 }).satellite;
    await sim.start();
  });
  after(() => sim.stop());
  const connector = (satelliteMarkers?: string[]) => createCssmConnector({ tokenUrl: sim.tokenUrl, apiBase: sim.apiBase, clientId: 'c', clientSecret: 's', clock, tokenCache: new Map(), satelliteMarkers });
  const marked = async (c: ReturnType<typeof connector>) => (await c.listVirtualAccounts(domain, { offset: 0, limit: 1000 })).items.filter((va) => va.satelliteSynced).map((va) => va.name);

  for (const style of satelliteMarkerStyles.filter((s) => s !== 'none')) {
    test(`the default rule recognises ${style}`, async () => {
      sim.setSatelliteMarker(style);
      const c = connector();
      const names = await marked(c);
      assert.equal(names.length, satellite, style);
      assert.ok(names.every((n) => sim.accounts.get(domain)!.virtualAccounts.get(n)!.satelliteName), 'only satellite VAs');
      await c.close();
    });
  }

  test('the rule is configurable: only the fields named count, and field=value matches the value', async () => {
    sim.setSatelliteMarker('source');
    const onlyName = connector(['satelliteName']);
    assert.equal((await marked(onlyName)).length, 0);
    await onlyName.close();
    const bySource = connector(['source=satellite']);
    assert.equal((await marked(bySource)).length, satellite);
    await bySource.close();
    sim.setSatelliteMarker('none');
    const c = connector();
    assert.equal((await marked(c)).length, 0, 'no marker: nothing is ignored');
    await c.close();
    sim.setSatelliteMarker('satelliteName');
  });

  test('satelliteRule: false-like values do not mark', () => {
    const rule = satelliteRule();
    for (const va of [{ satelliteName: '' }, { satelliteName: null }, { satelliteSynced: false }, { satelliteSynced: 'false' }, { satellite: {} }, { satellite: null }, { satelliteId: 0 }, { source: 'CSSM' }, {}]) assert.equal(rule(va), false, JSON.stringify(va));
    for (const va of [{ satelliteName: 'sat-1' }, { satelliteSynced: true }, { satelliteSynced: 'yes' }, { satellite: { name: 'x' } }, { satelliteId: 7 }, { source: 'Satellite' }, { associationType: 'SATELLITE' }, { isSatellite: 'true' }]) assert.equal(rule(va), true, JSON.stringify(va));
  });
});

// A server that caps its pages below the limit asked, or sends no totalRecords: the connector says so.
describe('CSSM connector: paging as the server answers', () => {
  const clock = new ManualClock('2026-01-01T00:00:00Z');
  const domain = 'pages.example.com';
  let sim: CssmSimulator;
  before(async () => {
    sim = createCssmSimulator({ clock, clients: [{ clientId: 'c', clientSecret: 's', domains: [domain] }] });
    seedLabSmartAccount(sim, { domain, virtualAccounts: 120 });
    await sim.start();
  });
  after(() => sim.stop());

  test('a capped page is what the server sent; no totalRecords is null, not a guess', async () => {
    const c = createCssmConnector({ tokenUrl: sim.tokenUrl, apiBase: sim.apiBase, clientId: 'c', clientSecret: 's', clock, tokenCache: new Map() });
    sim.setPaging({ maxPageSize: 50 });
    const page = await c.listVirtualAccounts(domain, { offset: 0, limit: 1000 });
    assert.equal(page.items.length, 50);
    assert.equal(page.total, 120);
    sim.setPaging({ totalRecords: false });
    assert.equal((await c.listVirtualAccounts(domain, { offset: 100, limit: 1000 })).total, null);
    sim.setPaging({ maxPageSize: 1000, totalRecords: true });
    await c.close();
  });
});
