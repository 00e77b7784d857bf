// Meetings (M9, M12, M8): bridge API calls per meeting lifecycle — Switchboard against a client that
// replays TMS's call sequence from seed 000 on the same simulator — and bookings per second with the
// per-instant slot conflict check (embedded and, when reachable, PostgreSQL).
import pg from 'pg';
import { ManualClock } from '../platform/clock.ts';
import { createCmsCluster, type CmsCluster } from '../lab/cms/cms.cluster.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { createMeetingsArea } from '../meetings/meetings.area.ts';
import { createCmsConnector } from '../meetings/cms.connector.ts';
import type { BenchContext, BenchResult } from './bench-types.ts';

const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const BOOKINGS = Number(process.env.MEETINGS_BENCH_BOOKINGS ?? 600);

async function until(clock: ManualClock, probe: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('bench: timed out');
    clock.advance(500);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function setup(clock: ManualClock, quantity: number) {
  const cms = await createCmsCluster({ name: 'bench', nodes: [{ name: 'CallBridge-Core1', host: '127.0.0.1', port: 0 }], clock });
  await cms.start();
  cms.store.create('outboundDialPlanRules', new Map([['domain', '*'], ['priority', '0']]));
  // The seed's CMS had four spaces of its own besides the pool.
  for (const [name, uri, callId] of [['Cool Bridge Space', 'cool.bridge.space', '497540167'], ["It's testacano1's Space!", 'testacano1.space', '020710167'], ["It's testacano2's Space!", 'testacano2.space', '136456483'], ["It's testacano3's Space!", 'testacano3.space', '529987622']]) {
    cms.store.create('coSpaces', new Map([['name', name], ['uri', uri], ['callId', callId]]));
  }
  const t = await startTestSwitchboard({ clock, areas: [createMeetingsArea({ tickMs: 1000, statusIntervalMs: 1e12, reconcileIntervalMs: 1e12 })], config: { jobPollSeconds: 0.5 } as never });
  const added = await t.api('POST', '/api/v1/meetings/bridges', { address: cms.nodes[0].baseUrl, username: 'admin', password: 'admin', name: 'Bench' });
  const bridgeId = added.body.items[0].id as string;
  const patched = await t.api('PATCH', `/api/v1/meetings/bridges/${bridgeId}`, { sipDomain: 'lab.local', numericIdBase: 1, numericIdQuantity: quantity });
  await until(clock, async () => (await t.api('GET', `/api/v1/jobs/${patched.body.poolSyncJobId}`)).body.state === 'completed');
  return { cms, t, bridgeId };
}

async function switchboardLifecycle(): Promise<number> {
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  const { cms, t, bridgeId } = await setup(clock, 5);
  try {
    const res = await t.api('POST', '/api/v1/meetings/bookings', { title: 'Tim Kratzke Acano TMSXE Test Meeting', start: '2026-03-02T09:00:00Z', durationMinutes: 45, timeZone: 'UTC', bridgeId, dialOut: ['desk.ex90@tkratzke.local'], passcode: '1234' });
    const occId = (await t.api('GET', `/api/v1/meetings/bookings/${res.body.id}`)).body.occurrences[0].id;
    const before = cms.trace(cms.nodes[0].name, 0).length;
    clock.set('2026-03-02T09:00:00Z');
    await until(clock, async () => (await t.api('GET', `/api/v1/meetings/meetings/${occId}`)).body.legs?.[0]?.outcome === 'connected');
    clock.set('2026-03-02T09:45:00Z');
    await until(clock, async () => (await t.api('GET', `/api/v1/meetings/meetings/${occId}`)).body.state === 'ended');
    return cms.trace(cms.nodes[0].name, 0).length - before;
  } finally {
    await t.close();
    await cms.stop();
  }
}

/** TMS's pattern (seed 000): status and listings before every change; coSpaces listed page by page. */
async function tmsLifecycle(): Promise<number> {
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  const cms = await createCmsCluster({ name: 'tms', nodes: [{ name: 'CallBridge-Core1', host: '127.0.0.1', port: 0 }], clock });
  await cms.start();
  cms.store.create('outboundDialPlanRules', new Map([['domain', '*'], ['priority', '0']]));
  const c = createCmsConnector({ baseUrl: cms.nodes[0].baseUrl, username: 'admin', password: 'admin', node: 'tms' });
  try {
    for (let i = 0; i < 4; i++) await c.post('/coSpaces', { name: `Own space ${i}`, uri: `own.${i}`, callId: String(900_000 + i) });
    const set = await c.post('/cospaceBulkParameterSets', { startIndex: 1, endIndex: 5, coSpaceUriMapping: '$index$', coSpaceNameMapping: 'TMS_Scheduled_Meeting_$index$', coSpaceCallIdMapping: '$index$', nonMemberAccess: false });
    const sync = await c.post('/cospaceBulkSyncs', { cospaceBulkParameterSet: set });
    while ((await c.get(`/cospaceBulkSyncs/${sync}`)).cospaceBulkSync.status !== 'complete') clock.advance(500);
    const before = cms.trace(cms.nodes[0].name, 0).length;
    // start-meeting-and-dial-out
    await c.get('/system/status');
    await c.get('/participants');
    await fetch(`${cms.nodes[0].baseUrl}/api/v1/coSpaces`); // the seed's unauthenticated first try (401)
    const spaces = await c.list('coSpaces', 'coSpace');
    const slot = spaces.find((s) => s.name === 'TMS_Scheduled_Meeting_1')!['@_id'];
    await c.put(`/cospaces/${slot}`, { nonMemberAccess: true, passcode: '1234', name: 'Tim Kratzke Acano TMSXE Test Meeting', secret: crypto.randomUUID() });
    const call = await c.post('/calls', { coSpace: slot });
    await c.get('/system/status');
    await c.list('coSpaces', 'coSpace');
    await c.list('calls', 'call');
    await c.get('/callegs');
    await c.post(`/calls/${call}/callegs`, { remoteParty: 'desk.ex90@tkratzke.local' });
    clock.advance(5000);
    // end-meeting
    await c.get('/system/status');
    await c.list('coSpaces', 'coSpace');
    await c.list('calls', 'call');
    await c.list('coSpaces', 'coSpace');
    await c.put(`/cospaces/${slot}`, { nonMemberAccess: false, passcode: '', name: 'TMS_Scheduled_Meeting_1', regenerateSecret: true });
    await c.delete(`/calls/${call}`);
    return cms.trace(cms.nodes[0].name, 0).length - before;
  } finally {
    await c.close();
    await cms.stop();
  }
}

async function bookingsPerSecond(label: string): Promise<BenchResult> {
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  const { cms, t, bridgeId } = await setup(clock, 50);
  try {
    const latencies: number[] = [];
    let refused = 0;
    let next = 0;
    const started = performance.now();
    const worker = async () => {
      while (next < BOOKINGS) {
        const i = next++;
        const day = i % 30;
        const hour = 6 + ((i * 7) % 12);
        const t0 = performance.now();
        const res = await t.api('POST', '/api/v1/meetings/bookings', { title: `Bench ${i}`, start: `2026-03-${String(3 + (day % 26)).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00`, durationMinutes: 60, timeZone: 'Europe/Berlin', bridgeId });
        latencies.push(performance.now() - t0);
        if (res.status === 409) refused++;
        else if (res.status !== 201) throw new Error(`booking failed: ${res.status} ${JSON.stringify(res.body)}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    return { name: `meetings: bookings/s with conflict check, HTTP, 8 clients (${label})`, opsPerSec: BOOKINGS / seconds, p50Ms: latencies[Math.floor(latencies.length * 0.5)], p99Ms: latencies[Math.floor(latencies.length * 0.99)], extra: { bookings: BOOKINGS, refused, poolSlots: 50 } };
  } finally {
    await t.close();
    await cms.stop();
  }
}

async function postgresReachable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export default async function run(context?: BenchContext): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const tms = await tmsLifecycle();
  const ours = await switchboardLifecycle();
  results.push({ name: 'meetings: lifecycles per 1,000 bridge API calls (TMS pattern, seed 000)', opsPerSec: 1000 / tms, extra: { callsPerLifecycle: tms, dialOuts: 1, poolSpaces: 5, otherSpaces: 4 } });
  results.push({ name: 'meetings: lifecycles per 1,000 bridge API calls (Switchboard)', opsPerSec: 1000 / ours, baseline: 'meetings: lifecycles per 1,000 bridge API calls (TMS pattern, seed 000)', extra: { callsPerLifecycle: ours, dialOuts: 1, tmsCalls: tms, ratio: Number((tms / ours).toFixed(2)) } });

  const saved = process.env.DATABASE_URL;
  try {
    delete process.env.DATABASE_URL;
    results.push(await bookingsPerSecond('embedded'));
    const unreachable = await postgresReachable();
    if (unreachable) context?.note(`meetings: PostgreSQL skipped (${unreachable})`);
    else {
      process.env.DATABASE_URL = POSTGRES_URL;
      results.push({ ...(await bookingsPerSecond('PostgreSQL')), baseline: `meetings: bookings/s with conflict check, HTTP, 8 clients (embedded)` });
    }
  } finally {
    if (saved === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = saved;
  }
  return results;
}

if (import.meta.main) console.table(await run());
