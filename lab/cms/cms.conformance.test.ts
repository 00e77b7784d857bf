// Replays the 28 TMS↔CMS exchanges of seed 000 against a simulated 2-node CMS 2.0 cluster: same status,
// same Location pattern, XML of the same shape (element names, attributes, order), and for the answers
// whose size the seed logs, the same size in bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ManualClock } from '../../platform/clock.ts';
import { createCmsCluster } from './cms.cluster.ts';
import { cmsClient, idOf, shapeDifferences, xmlShape } from './cms.testkit.ts';

type Exchange = { method: string; path: string; form?: Record<string, string>; status: number; location?: string; response?: string; note?: string };
type Fixture = {
  cluster: { nodes: Array<{ id: string; name: string; address: string }>; preexistingSpaces: Array<{ id?: string; name: string; uri: string; callId: string }>; softwareVersion: string };
  phases: Array<{ phase: string; exchanges: Exchange[]; resultingSpaces?: Array<{ name: string; uri: string; callId: string }>; meeting?: { slotSpaceId: string } }>;
};

// A copy of shared/fixtures/seed000-cms-exchanges.json, so the conformance replay never depends on
// a folder outside the repository.
const fixturePath = fileURLToPath(new URL('./fixtures/seed000-cms-exchanges.json', import.meta.url));
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

// Sizes CMS logged ("sending 200 response, size N") for answers the simulator reproduces byte for byte.
const SEED_SIZES: Record<string, number> = {
  'GET /api/v1/callBridges': 250,
  'GET /api/v1/callBridges/0e3758db-b9b8-49df-a74c-55fa05e3e21d': 178,
  'GET /api/v1/callBridges/cfe31846-ca57-4703-9e11-da3e72a13066': 178,
  'GET /api/v1/cospaceBulkSyncs/071e7bf5-c0d8-4d2a-b321-7b07c799829c': 210,
  'GET /api/v1/participants': 60,
  'GET /api/v1/callegs': 52,
};

test('seed 000: all 28 TMS exchanges replay with the same status, Location and XML shape', async () => {
  const fixture = JSON.parse(readFileSync(fixturePath, 'utf8')) as Fixture;
  const clock = new ManualClock('2016-07-26T14:08:19Z');
  const cluster = await createCmsCluster({
    name: 'seed000',
    softwareVersion: fixture.cluster.softwareVersion,
    clock,
    nodes: fixture.cluster.nodes.map((n) => ({ name: n.name, callBridgeId: n.id, address: n.address })),
  });
  await cluster.start();
  try {
    // What the seed's cluster already held: four spaces, and the dial plan TMS's domain relies on.
    for (const space of fixture.cluster.preexistingSpaces) cluster.store.create('coSpaces', new Map(Object.entries({ name: space.name, uri: space.uri, callId: space.callId })));
    cluster.store.create('outboundDialPlanRules', new Map([['domain', 'tkratzke.local']]));
    const request = cmsClient(cluster.nodes[0].baseUrl);
    const ids = new Map<string, string>();
    const mapIds = (text: string) => text.replace(UUID, (id) => ids.get(id.toLowerCase()) ?? id);
    let replayed = 0;

    for (const phase of fixture.phases) {
      for (const exchange of phase.exchanges) {
        const label = `${phase.phase} #${replayed + 1}: ${exchange.method} ${exchange.path}`;
        if (exchange.path.toLowerCase().startsWith('/api/v1/cospacebulksyncs/')) clock.advance(2000); // TMS polls ~2 s later
        const form = exchange.form ? Object.fromEntries(Object.entries(exchange.form).map(([k, v]) => [k, mapIds(v)])) : undefined;
        const response = await request(exchange.method, mapIds(exchange.path), form, exchange.status === 401 ? { auth: null } : {});
        replayed++;
        assert.equal(response.status, exchange.status, `${label}: status (${response.body})`);
        if (exchange.status === 401) {
          assert.equal(response.headers.get('www-authenticate'), 'Basic realm="acano"', label);
          assert.equal(response.body, '', `${label}: empty body`);
        }
        if (exchange.location) {
          assert.equal(response.location?.replace(UUID, '<id>'), exchange.location.replace(UUID, '<id>'), `${label}: Location`);
          assert.equal(response.body, '', `${label}: POST answers with an empty body`);
          ids.set(idOf(exchange.location).toLowerCase(), idOf(response.location));
        } else if (exchange.method !== 'GET') {
          assert.equal(response.body, '', `${label}: empty body`);
        }
        if (exchange.response) {
          assert.ok(response.body.startsWith('<?xml version="1.0"?>'), `${label}: declaration`);
          assert.match(response.headers.get('content-type') ?? '', /^text\/xml/, label);
          const differences = shapeDifferences(xmlShape(exchange.response), xmlShape(response.body));
          assert.deepEqual(differences, [], `${label}: shape\n${response.body}`);
        }
        const size = SEED_SIZES[exchange.method + ' ' + exchange.path];
        if (size !== undefined) assert.equal(Buffer.byteLength(response.body), size, `${label}: size as logged by CMS`);
        if (phase.resultingSpaces && exchange === phase.exchanges[phase.exchanges.length - 1]) {
          const spaces = [...cluster.store.collections.coSpaces.values()].filter((s) => s.v.name?.startsWith('TMS_Scheduled_Meeting_'));
          assert.deepEqual(
            spaces.map((s) => ({ name: s.v.name, uri: s.v.uri, callId: s.v.callId })),
            phase.resultingSpaces,
            'bulk sync made the seed 5 spaces',
          );
          assert.ok(spaces.every((s) => s.v.nonMemberAccess === 'false' && s.v.secret), 'bulk spaces are closed and have secrets');
          // The seed's slot space id stands for TMS_Scheduled_Meeting_1.
          if (fixture.phases[2].meeting) ids.set(fixture.phases[2].meeting.slotSpaceId, spaces[0].id);
        }
        if (exchange.path.toLowerCase().endsWith('/callegs') && exchange.method === 'POST') {
          clock.advance(5000);
          const status = await request('GET', '/api/v1/system/status');
          assert.match(status.body, /<callLegsActive>1<\/callLegsActive>/, 'the dial-out connected');
        }
      }
    }
    assert.equal(replayed, 28);
    // After the end phase the space is back in the pool with a fresh secret and the call is gone.
    const slot = cluster.store.collections.coSpaces.get(ids.get('458075bc-6def-4052-8ed6-b1192d6e6b35')!)!;
    assert.equal(slot.v.name, 'TMS_Scheduled_Meeting_1');
    assert.notEqual(slot.v.secret, '86db1bdd-5cf7-4ea8-b88d-479195f4701a');
    assert.equal(cluster.nodes[0].bridge.calls.size, 0);
    const trace = cluster.traceText(cluster.nodes[0].name);
    assert.match(trace, /API trace \d+: PUT for "\/api\/v1\/cospaces\/[0-9a-f-]{36}" \(from 127\.0\.0\.1\)/);
    assert.match(trace, /passcode=\*\*\*\*\*/);
    assert.match(trace, /sending 401 response, size 0\n.*WWW-Authenticate: Basic realm="acano"/);
  } finally {
    await cluster.stop();
  }
});
