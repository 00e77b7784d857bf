// Wire rules of the simulated CMS API: auth challenge, case-insensitive paths, form semantics, paging
// cap, filters, failure bodies, space rules, bulk syncs.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../platform/clock.ts';
import { createCmsCluster, type CreateCmsClusterOptions } from './cms.cluster.ts';
import { basic, cmsClient, idOf } from './cms.testkit.ts';

async function lab(t: TestContext, options: Partial<CreateCmsClusterOptions> = {}) {
  const clock = new ManualClock('2026-03-01T09:00:00Z');
  const cluster = await createCmsCluster({ nodes: [{ name: 'cb1' }, { name: 'cb2' }], clock, ...options });
  await cluster.start();
  t.after(() => cluster.stop());
  return { cluster, clock, api: cmsClient(cluster.nodes[0].baseUrl), api2: cmsClient(cluster.nodes[1].baseUrl) };
}

test('401 challenge for missing or wrong credentials, with an empty body', async (t) => {
  const { cluster } = await lab(t);
  for (const auth of [null, basic('admin', 'wrong'), 'Bearer x']) {
    const response = await cmsClient(cluster.nodes[0].baseUrl, auth)('GET', '/api/v1/coSpaces');
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), 'Basic realm="acano"');
    assert.equal(response.body, '');
  }
});

test('object names match case-insensitively, including the seed\'s "callegs"', async (t) => {
  const { api } = await lab(t);
  for (const path of ['/api/v1/coSpaces', '/api/v1/cospaces', '/API/V1/COSPACES', '/api/v1/callLegs', '/api/v1/calllegs', '/api/v1/callegs']) {
    const response = await api('GET', path);
    assert.equal(response.status, 200, path);
  }
  const unknown = await api('GET', '/api/v1/system/profile');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body, '<?xml version="1.0"?><failureDetails><unrecognizedObject /></failureDetails>');
});

test('POST → 200 + Location + empty body; PUT omits = unchanged, empty = unset; DELETE → 200', async (t) => {
  const { api } = await lab(t);
  const post = await api('POST', '/api/v1/coSpaces', { name: 'Sales', uri: 'sales', callId: '7001', passcode: '1234', cdrTag: 'tag' });
  assert.equal(post.status, 200);
  assert.equal(post.body, '');
  assert.match(post.location ?? '', /^\/api\/v1\/coSpaces\/[0-9a-f-]{36}$/);
  const id = idOf(post.location);
  assert.equal((await api('PUT', `/api/v1/coSpaces/${id}`, { name: 'Sales 2', cdrTag: '' })).status, 200);
  const detail = await api('GET', `/api/v1/coSpaces/${id}`);
  assert.match(detail.body, /<name>Sales 2<\/name>/);
  assert.match(detail.body, /<uri>sales<\/uri>/, 'omitted field unchanged');
  assert.doesNotMatch(detail.body, /cdrTag/, 'empty field unset');
  assert.match(detail.body, /<secret>[A-Za-z0-9_-]{22}<\/secret>/, 'secret generated because a callId is set');
  assert.match(detail.body, /<nonMemberAccess>true<\/nonMemberAccess>/);
  const before = /<secret>([^<]+)</.exec(detail.body)![1];
  await api('PUT', `/api/v1/coSpaces/${id}`, { regenerateSecret: 'true' });
  const after = /<secret>([^<]+)</.exec((await api('GET', `/api/v1/coSpaces/${id}`)).body)![1];
  assert.notEqual(after, before);
  assert.equal((await api('DELETE', `/api/v1/coSpaces/${id}`)).status, 200);
  assert.equal((await api('GET', `/api/v1/coSpaces/${id}`)).status, 404);
});

test('space uniqueness and validation failures are 400 with failureDetails; unknown ids 404', async (t) => {
  const { api } = await lab(t);
  const a = idOf((await api('POST', '/api/v1/coSpaces', { name: 'A', uri: 'a', callId: '1' })).location);
  const cases: Array<[Record<string, string>, string]> = [
    [{ uri: 'a' }, '<duplicateCoSpaceUri />'],
    [{ uri: 'b', secondaryUri: 'A' }, '<duplicateCoSpaceUri />'],
    [{ callId: '1' }, '<duplicateCoSpaceId />'],
    [{ nonMemberAccess: 'maybe' }, '<parameterError parameter="nonMemberAccess" error="invalidValue" />'],
    [{ defaultLayout: 'huge' }, '<parameterError parameter="defaultLayout" error="invalidValue" />'],
    [{ callProfile: '00000000-0000-0000-0000-000000000000' }, '<callProfileDoesNotExist />'],
  ];
  for (const [form, reason] of cases) {
    const response = await api('POST', '/api/v1/coSpaces', form);
    assert.equal(response.status, 400, JSON.stringify(form));
    assert.equal(response.body, `<?xml version="1.0"?><failureDetails>${reason}</failureDetails>`);
  }
  // Access methods may reuse the space's URI with another passcode, not with the same one.
  const am = await api('POST', `/api/v1/coSpaces/${a}/accessMethods`, { uri: 'a', passcode: '99', name: 'Host' });
  assert.equal(am.status, 200);
  assert.match(am.location ?? '', new RegExp(`^/api/v1/coSpaces/${a}/accessMethods/[0-9a-f-]{36}$`));
  assert.match((await api('POST', `/api/v1/coSpaces/${a}/accessMethods`, { uri: 'a', passcode: '99' })).body, /duplicateCoSpaceUriPasscode/);
  assert.match((await api('GET', `/api/v1/coSpaces/${a}`)).body, /<numAccessMethods>1<\/numAccessMethods>/);
  const list = await api('GET', `/api/v1/coSpaces/${a}/accessMethods`);
  assert.match(list.body, /^<\?xml version="1.0"\?><accessMethods total="1"><accessMethod id="[^"]+"><name>Host<\/name><uri>a<\/uri><callId><\/callId><passcode>99<\/passcode><\/accessMethod><\/accessMethods>$/);
  assert.equal((await api('GET', '/api/v1/calls/nope')).body, '<?xml version="1.0"?><failureDetails><callDoesNotExist /></failureDetails>');
  assert.equal((await api('GET', '/api/v1/callLegs/nope')).status, 404);
  assert.equal((await api('GET', '/api/v1/tenants/nope')).body, '<?xml version="1.0"?><failureDetails><tenantDoesNotExist /></failureDetails>');
  assert.equal((await api('POST', '/api/v1/tenants', {})).body, '<?xml version="1.0"?><failureDetails><parameterError parameter="name" error="missing" /></failureDetails>');
});

test('paging: the server cap applies silently, offset/limit work, total counts all matches', async (t) => {
  const { api, cluster } = await lab(t, { pageCap: 10 });
  for (let i = 0; i < 25; i++) cluster.store.create('coSpaces', new Map([['name', `Room ${String(i).padStart(2, '0')}`], ['uri', `room${i}`]]));
  const count = (xml: string) => (xml.match(/<coSpace id=/g) ?? []).length;
  const all = await api('GET', '/api/v1/coSpaces');
  assert.match(all.body, /<coSpaces total="25">/);
  assert.equal(count(all.body), 10);
  assert.equal(count((await api('GET', '/api/v1/coSpaces?limit=50')).body), 10, 'limit above the cap is capped');
  assert.equal(count((await api('GET', '/api/v1/coSpaces?limit=3')).body), 3);
  const last = await api('GET', '/api/v1/coSpaces?offset=20&limit=10');
  assert.equal(count(last.body), 5);
  assert.match(last.body, /<name>Room 20<\/name>/);
  assert.equal(count((await api('GET', '/api/v1/coSpaces?offset=30')).body), 0);
  assert.match((await api('GET', '/api/v1/coSpaces?offset=30')).body, /<coSpaces total="25"><\/coSpaces>$/);
});

test('filters: filter on name/uri/callId, tenantFilter, callLegProfileFilter, usageFilter', async (t) => {
  const { api } = await lab(t);
  const tenant = idOf((await api('POST', '/api/v1/tenants', { name: 'Acme' })).location);
  const profile = idOf((await api('POST', '/api/v1/callLegProfiles', { name: 'guests', needsActivation: 'true' })).location);
  idOf((await api('POST', '/api/v1/callLegProfiles', { name: 'unused' })).location);
  await api('POST', '/api/v1/coSpaces', { name: 'Sales East', uri: 'east', callId: '555001', tenant });
  await api('POST', '/api/v1/coSpaces', { name: 'Support', uri: 'support', callLegProfile: profile });
  const totals = async (query: string) => /total="(\d+)"/.exec((await api('GET', `/api/v1/${query}`)).body)![1];
  assert.equal(await totals('coSpaces?filter=sales'), '1');
  assert.equal(await totals('coSpaces?filter=555001'), '1');
  assert.equal(await totals('coSpaces?filter=SUPP'), '1');
  assert.equal(await totals(`coSpaces?tenantFilter=${tenant}`), '1');
  assert.equal(await totals(`coSpaces?callLegProfileFilter=${profile}`), '1');
  assert.equal(await totals('callLegProfiles?usageFilter=referenced'), '1');
  assert.equal(await totals('callLegProfiles?usageFilter=unreferenced'), '1');
});

test('bulk sync: pending → running → complete, the seed mappings, re-sync replaces, removeAll, failures', async (t) => {
  const { api, clock, cluster } = await lab(t, { bulkMaxRange: 1000 });
  const set = idOf(
    (await api('POST', '/api/v1/cospaceBulkParameterSets', { startIndex: '1', endIndex: '5', coSpaceUriMapping: '$index$', coSpaceNameMapping: 'TMS_Scheduled_Meeting_$index$', coSpaceCallIdMapping: '$index$', nonMemberAccess: 'false' })).location,
  );
  const sync = async (form: Record<string, string>) => idOf((await api('POST', '/api/v1/cospaceBulkSyncs', form)).location);
  const status = async (id: string) => /<status>([^<]+)</.exec((await api('GET', `/api/v1/cospaceBulkSyncs/${id}`)).body)![1];
  const s1 = await sync({ cospaceBulkParameterSet: set });
  assert.equal(await status(s1), 'pending');
  clock.advance(250);
  assert.equal(await status(s1), 'running');
  clock.advance(1000);
  assert.equal(await status(s1), 'complete');
  const names = () => [...cluster.store.collections.coSpaces.values()].map((s) => `${s.v.name}|${s.v.uri}|${s.v.callId}`).sort();
  assert.deepEqual(names(), [1, 2, 3, 4, 5].map((i) => `TMS_Scheduled_Meeting_${i}|${i}|${i}`));

  // Re-sync with new mappings replaces the set's spaces; escapes produce literal $ and \.
  await api('PUT', `/api/v1/cospaceBulkParameterSets/${set}`, { startIndex: '10', endIndex: '11', coSpaceUriMapping: 'pool.$index$', coSpaceNameMapping: 'Pool \\$ $index$ \\\\', coSpaceCallIdMapping: '88$index$' });
  const s2 = await sync({ cospaceBulkParameterSet: set });
  clock.advance(2000);
  assert.equal(await status(s2), 'complete');
  assert.deepEqual(names(), ['Pool $ 10 \\|pool.10|8810', 'Pool $ 11 \\|pool.11|8811']);

  // Conflicts and range errors end in the documented failure statuses.
  await api('POST', '/api/v1/coSpaces', { name: 'squatter', uri: 'x.7' });
  const conflictSet = idOf((await api('POST', '/api/v1/cospaceBulkParameterSets', { startIndex: '7', endIndex: '8', coSpaceUriMapping: 'x.$index$' })).location);
  const idSet = idOf((await api('POST', '/api/v1/cospaceBulkParameterSets', { startIndex: '1', endIndex: '2', coSpaceCallIdMapping: '8810' })).location);
  const badRange = idOf((await api('POST', '/api/v1/cospaceBulkParameterSets', { startIndex: '9', endIndex: '2' })).location);
  const hugeRange = idOf((await api('POST', '/api/v1/cospaceBulkParameterSets', { startIndex: '1', endIndex: '5000' })).location);
  const failures = [await sync({ cospaceBulkParameterSet: conflictSet }), await sync({ cospaceBulkParameterSet: idSet }), await sync({ cospaceBulkParameterSet: badRange }), await sync({ cospaceBulkParameterSet: hugeRange }), await sync({ cospaceBulkParameterSet: '6e1d2f4a-0000-4000-8000-000000000000' })];
  clock.advance(5000);
  assert.deepEqual(await Promise.all(failures.map(status)), ['failedCoSpaceUriConflict', 'failedCallIdConflict', 'failedIndexRangeInvalid', 'failedIndexRangeTooGreat', 'failedNoSuchParameterSet']);
  assert.equal((await api('POST', '/api/v1/cospaceBulkParameterSets', { startIndex: '1', endIndex: '2', coSpaceUriMapping: 'a$b' })).status, 400);

  const s3 = await sync({ cospaceBulkParameterSet: set, removeAll: 'true' });
  clock.advance(2000);
  assert.equal(await status(s3), 'complete');
  assert.deepEqual(names(), ['squatter|x.7|undefined']);
  const list = await api('GET', '/api/v1/cospaceBulkSyncs');
  assert.match(list.body, /^<\?xml version="1.0"\?><cospaceBulkSyncs total="8">/);
  assert.equal((await api('PUT', `/api/v1/cospaceBulkSyncs/${s3}`, { removeAll: 'false' })).body, '<?xml version="1.0"?><failureDetails><invalidOperation /></failureDetails>');
});

test('every node lists every Call Bridge; configuration is shared; system objects answer', async (t) => {
  const { api, api2, cluster } = await lab(t);
  const bridges = await api2('GET', '/api/v1/callBridges');
  assert.match(bridges.body, /<callBridges total="2"><callBridge id="[^"]+"><name>cb1<\/name><\/callBridge><callBridge id="[^"]+"><name>cb2<\/name><\/callBridge><\/callBridges>/);
  const detail = await api('GET', `/api/v1/callBridges/${cluster.nodes[1].callBridgeId}`);
  assert.equal(detail.body, `<?xml version="1.0"?><callBridge id="${cluster.nodes[1].callBridgeId}"><name>cb2</name><address>${cluster.nodes[1].baseUrl}</address><sipDomain></sipDomain></callBridge>`);
  const space = idOf((await api('POST', '/api/v1/coSpaces', { name: 'shared' })).location);
  assert.equal((await api2('GET', `/api/v1/coSpaces/${space}`)).status, 200);
  const profile = idOf((await api('POST', '/api/v1/callProfiles', { participantLimit: '3' })).location);
  assert.equal((await api('PUT', '/api/v1/system/profiles', { callProfile: profile })).status, 200);
  assert.equal((await api2('GET', '/api/v1/system/profiles')).body, `<?xml version="1.0"?><profiles><callProfile>${profile}</callProfile></profiles>`);
  assert.match((await api('GET', '/api/v1/system/alarms')).body, /<alarms total="0"><\/alarms>/);
  assert.match((await api('GET', '/api/v1/system/load')).body, /<load><mediaProcessingLoad>0<\/mediaProcessingLoad><\/load>/);
  const status = await api('GET', '/api/v1/system/status');
  assert.match(status.body, /^<\?xml version="1.0"\?><status><hostId>[^<]+<\/hostId><softwareVersion>2\.9\.1<\/softwareVersion><uptimeSeconds>0<\/uptimeSeconds><cdrTime>2026-03-01T09:00:00Z<\/cdrTime><activated>true<\/activated><clusterEnabled>true<\/clusterEnabled><cdrCorrelatorIndex>0<\/cdrCorrelatorIndex><callLegsActive>0/);
});

test('HTTPS: a self-signed certificate is generated on first run and reused', async (t) => {
  const { mkdtemp, readFile, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const https = await import('node:https');
  const dir = await mkdtemp(join(tmpdir(), 'cms-tls-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const first = await createCmsCluster({ nodes: [{ name: 'secure', https: true }], certDir: dir, clock: new ManualClock() });
  await first.start();
  t.after(() => first.stop());
  assert.match(first.nodes[0].baseUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
  const cert = await readFile(join(dir, 'cms-lab-cert.pem'), 'utf8');
  const body = await new Promise<string>((resolve, reject) => {
    https
      .get(`${first.nodes[0].baseUrl}/api/v1/system/status`, { ca: cert, headers: { authorization: basic() } }, (res) => {
        let data = '';
        res.on('data', (chunk) => (data += chunk));
        res.on('end', () => resolve(data));
      })
      .on('error', reject);
  });
  assert.match(body, /^<\?xml version="1.0"\?><status>/);
  const second = await createCmsCluster({ nodes: [{ name: 'secure2', https: true }], certDir: dir, clock: new ManualClock() });
  await second.start();
  t.after(() => second.stop());
  assert.equal(await readFile(join(dir, 'cms-lab-cert.pem'), 'utf8'), cert, 'same certificate on the next run');
});
