// Meetings (M9, M12, M8): bridge API calls per meeting lifecycle — Switchboard against a client that
// replays TMS's call sequence from seed 000 on the same simulator — and bookings per second with the
// per-instant slot conflict check (embedded and, when reachable, PostgreSQL).
import { fork } from 'node:child_process';
import crypto from 'node:crypto';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { ManualClock, type Clock } from '../platform/clock.ts';
import { createSwitchboard, type Switchboard } from '../platform/app.ts';
import { createTestDatabase } from '../test/support/test-database.ts';
import { createCmsCluster, type CmsCluster } from '../lab/cms/cms.cluster.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { createMeetingsArea } from '../meetings/meetings.area.ts';
import { createCmsConnector } from '../meetings/cms.connector.ts';
import type { BenchContext, BenchResult } from './bench-types.ts';
import { postgresUnreachable } from './postgres.ts';
import { profileCpu } from './cpu-profile.ts';

const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const BOOKINGS = Number(process.env.MEETINGS_BENCH_BOOKINGS ?? 600);
const START_MEETINGS = Number(process.env.MEETINGS_BENCH_STARTS ?? 10_000);
const START_BRIDGES = Number(process.env.MEETINGS_BENCH_START_BRIDGES ?? 200);

async function until(clock: ManualClock, probe: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('bench: timed out');
    clock.advance(500);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function setup(clock: ManualClock, quantity: number, bridgeCount = 1) {
  const clusters: CmsCluster[] = [];
  for (let b = 0; b < bridgeCount; b++) {
    const cms = await createCmsCluster({ name: `bench-${b + 1}`, nodes: [{ name: 'CallBridge-Core1', host: '127.0.0.1', port: 0 }], clock });
    await cms.start();
    cms.store.create('outboundDialPlanRules', new Map([['domain', '*'], ['priority', '0']]));
    // The seed's CMS had four spaces of its own besides the pool.
    for (const [name, uri, callId] of [['Cool Bridge Space', 'cool.bridge.space', '497540167'], ["It's testacano1's Space!", 'testacano1.space', '020710167'], ["It's testacano2's Space!", 'testacano2.space', '136456483'], ["It's testacano3's Space!", 'testacano3.space', '529987622']]) {
      cms.store.create('coSpaces', new Map([['name', name], ['uri', uri], ['callId', callId]]));
    }
    clusters.push(cms);
  }
  const t = await startTestSwitchboard({ clock, areas: [createMeetingsArea({ tickMs: 1000, statusIntervalMs: 1e12, reconcileIntervalMs: 1e12 })], config: { jobPollSeconds: 0.5 } as never });
  const bridgeIds: string[] = [];
  for (const [b, cms] of clusters.entries()) {
    const added = await t.api('POST', '/api/v1/meetings/bridges', { address: cms.nodes[0].baseUrl, username: 'admin', password: 'admin', name: `Bench ${b + 1}` });
    const bridgeId = added.body.items[0].id as string;
    const patched = await t.api('PATCH', `/api/v1/meetings/bridges/${bridgeId}`, { sipDomain: 'lab.local', numericIdBase: 1, numericIdQuantity: quantity });
    await until(clock, async () => (await t.api('GET', `/api/v1/jobs/${patched.body.poolSyncJobId}`)).body.state === 'completed');
    bridgeIds.push(bridgeId);
  }
  return { cms: clusters[0], t, bridgeId: bridgeIds[0], bridgeIds, stop: async () => { for (const cms of clusters) await cms.stop(); } };
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

/** A second Switchboard instance in its own process, on the same database as `t` (PostgreSQL only). */
async function startOtherInstance(t: TestSwitchboard, clock: ManualClock) {
  const child = fork(new URL('./meetings-instance.process.ts', import.meta.url), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = () => new Promise<{ type: string; url?: string }>((resolve, reject) => {
    child.once('message', resolve as never);
    child.once('exit', (code) => reject(new Error(`bench: the second instance exited (${code})`)));
  });
  const ready = next();
  child.send({ config: t.sb.services.config, now: clock.now().toISOString() });
  const { url } = await ready;
  return {
    url: url!,
    async close() {
      const closed = next().catch(() => undefined);
      child.send({ type: 'close' });
      await closed;
    },
  };
}

/**
 * Bookings per second through the HTTP API, each checked against its bridge's pool at every
 * instant: `clients` concurrent clients (in a worker thread, as other machines would be) spread
 * their bookings over `bridges` bridges of 50 slots. With `instances` 2 (PostgreSQL), a second
 * Switchboard runs in a process of its own on the same database and every other client books
 * through it: both decide on the same bridges, serialised by the bridges' advisory locks.
 */
async function bookingsPerSecond(label: string, clients: number, bridges: number, instances = 1): Promise<BenchResult> {
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  const { t, bridgeIds, stop } = await setup(clock, 50, bridges);
  const others = [];
  try {
    for (let i = 1; i < instances; i++) others.push(await startOtherInstance(t, clock));
    const urls = [t.url, ...others.map((o) => o.url)];
    const load = os.loadavg()[0];
    const worker = new Worker(new URL('./meetings-bookings.worker.ts', import.meta.url), { workerData: { urls, token: t.adminToken, bridgeIds, bookings: BOOKINGS, clients } });
    const outcome = await new Promise<{ type: string; seconds: number; latencies: number[]; refused: number; error?: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    if (outcome.type !== 'done') throw new Error(`bench: ${outcome.error}`);
    // Every accepted booking is stored once, whichever instance decided it.
    const stored = (await t.api('GET', '/api/v1/meetings/bookings?limit=1')).body.total;
    if (stored !== BOOKINGS - outcome.refused) throw new Error(`bench: ${stored} bookings stored, ${BOOKINGS - outcome.refused} accepted`);
    const latencies = outcome.latencies.sort((a, b) => a - b);
    const shape = `${clients} clients, ${bridges} bridge${bridges > 1 ? 's' : ''}${instances > 1 ? `, ${instances} instances (processes)` : ''}`;
    return {
      name: `meetings: bookings/s with conflict check, HTTP, ${shape} (${label})`,
      opsPerSec: BOOKINGS / outcome.seconds,
      p50Ms: latencies[Math.floor(latencies.length * 0.5)],
      p99Ms: latencies[Math.floor(latencies.length * 0.99)],
      extra: { bookings: BOOKINGS, refused: outcome.refused, poolSlots: 50, instances, loadAverage: Number(load.toFixed(2)) },
    };
  } finally {
    for (const other of others) await other.close();
    await t.close();
    await stop();
  }
}

// ---- M9 start lateness: 1,000 meetings starting at the same instant on 20 bridges ----------------

/** Real time, shifted: the bench books for a time ahead, then moves the clock to just before it. */
class OffsetClock implements Clock {
  offset = 0;
  now() {
    return new Date(Date.now() + this.offset);
  }
  sleep(ms: number) {
    return new Promise<void>((resolve) => setTimeout(resolve, ms));
  }
  set(time: Date) {
    this.offset = time.getTime() - Date.now();
  }
  /** The real time (Date.now()) at which this clock shows `time`. */
  realTimeOf(time: Date) {
    return time.getTime() - this.offset;
  }
}

type Calls = { posts: { at: number; coSpace: string; bridge: number; node: string }[]; deletes: number; requests: number[]; concurrency: { node: string; peak: number; throttled: number; requests: number }[] };

async function startBridges(count: number, shape: { nodes: number; latencyMs: number; maxConcurrentRequests: number }) {
  const worker = new Worker(new URL('./meetings-bridges.worker.ts', import.meta.url), { workerData: { count, ...shape } });
  const next = <T>(type: string) => new Promise<T>((resolve, reject) => {
    const onMessage = (m: { type: string }) => {
      if (m.type !== type) return;
      worker.off('message', onMessage);
      resolve(m as T);
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
  }).finally(() => worker.removeAllListeners('error'));
  const { baseUrls } = await next<{ baseUrls: string[] }>('ready');
  return {
    baseUrls,
    async calls(since = Infinity): Promise<Calls> {
      const reply = next<Calls>('calls');
      worker.postMessage({ type: 'calls', since });
      return reply;
    },
    async stop() {
      const stopped = next('stopped');
      worker.postMessage({ type: 'stop' });
      await stopped;
      await worker.terminate();
    },
  };
}

async function poll<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A Switchboard instance for the start bench in a process of its own, on the bench's clock offset. */
async function startInstanceProcess(config: unknown, offset: number) {
  const child = fork(new URL('./meetings-instance.process.ts', import.meta.url), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = (type: string) => new Promise<{ type: string; url?: string }>((resolve, reject) => {
    const onMessage = (m: { type: string; url?: string }) => {
      if (m.type !== type) return;
      child.off('message', onMessage);
      resolve(m);
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`bench: an instance exited (${code})`)));
  });
  const ready = next('ready');
  child.send({ config, offset });
  await ready;
  return {
    async setOffset(value: number) {
      const done = next('offset-set');
      child.send({ type: 'offset', offset: value });
      await done;
    },
    async close() {
      const closed = next('closed').catch(() => undefined);
      child.send({ type: 'close' });
      await closed;
    },
  };
}

const START_NODES = Number(process.env.MEETINGS_BENCH_START_NODES ?? 2);
/** Each simulated node answers after this long (a real CMS takes milliseconds per API request). */
const START_LATENCY_MS = Number(process.env.MEETINGS_BENCH_START_LATENCY_MS ?? 20);
/** The bridges' own limit (the Lab's maxConcurrentRequests) and Switchboard's setting for them. */
const START_LIMIT = Number(process.env.MEETINGS_BENCH_START_LIMIT ?? 4);
const START_DIAL_OUTS = process.env.MEETINGS_BENCH_START_DIAL_OUTS !== 'false';

/**
 * `meetings` meetings (one dial-out each, 30 minutes) all starting at hh:mm:00 on `bridgeCount`
 * simulated clusters of START_NODES nodes, pools as large as their share; the lateness of each is the
 * real time from its start to its POST /calls arriving at the bridge. Each node answers after
 * START_LATENCY_MS and refuses (503) a request beyond START_LIMIT in flight; every bridge is set to
 * maxConcurrentRequests START_LIMIT in Switchboard. Embedded: one instance in this process.
 * PostgreSQL: `instances` instances, each a process of its own (SWITCHBOARD_INSTANCES = instances, so
 * each takes its share of the limit), and an API-only instance in this process for the set-up.
 * Each meeting must be started and ended exactly once — the bridges' traces must hold one POST /calls
 * per meeting for as many different spaces and as many call DELETEs — and no node may have seen more
 * requests in flight than its limit.
 */
async function startLateness(label: string, instances: number, meetings: number, bridgeCount: number, context?: BenchContext): Promise<BenchResult> {
  const clock = new OffsetClock();
  const bridges = await startBridges(bridgeCount, { nodes: START_NODES, latencyMs: START_LATENCY_MS, maxConcurrentRequests: START_LIMIT });
  const embedded = !process.env.DATABASE_URL;
  const database = await createTestDatabase({ jobPollSeconds: 0.5, logLevel: 'silent', instances, ...(embedded ? {} : { role: 'web' }) } as never);
  const switchboards: { sb: Switchboard; url: string; token: string }[] = [];
  const processes: Awaited<ReturnType<typeof startInstanceProcess>>[] = [];
  try {
    const sb = await createSwitchboard({ clock, areas: [createMeetingsArea()], config: database.config, createFirstAdmin: true });
    const url = await sb.listen();
    const token = (await sb.services.auth.createApiToken({ name: 'bench', role: 'partner_full_admin' }, { type: 'system', id: null, name: 'bench', role: 'system', customerOrgId: null })).token;
    switchboards.push({ sb, url, token });
    if (!embedded) for (let i = 0; i < instances; i++) processes.push(await startInstanceProcess({ ...database.config, role: 'all' }, clock.offset));
    const api = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(url + path, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
      return { status: response.status, body: (await response.json()) as any };
    };
    const perBridge = Math.ceil(meetings / bridgeCount);
    const bridgeIds: string[] = [];
    const setupStarted = Date.now();
    for (const [i, address] of bridges.baseUrls.entries()) {
      const added = await api('POST', '/api/v1/meetings/bridges', { address, username: 'admin', password: 'admin', name: `Bench ${i + 1}` });
      if (added.status !== 201) throw new Error(`bench: adding a bridge failed: ${JSON.stringify(added.body)}`);
      bridgeIds.push(added.body.items[0].id);
      const patched = await api('PATCH', `/api/v1/meetings/bridges/${bridgeIds[i]}`, { sipDomain: 'lab.local', numericIdBase: 1, numericIdQuantity: perBridge, maxConcurrentRequests: START_LIMIT });
      if (patched.status !== 200) throw new Error(`bench: pool settings failed: ${JSON.stringify(patched.body)}`);
    }
    await poll('pools synced', async () => {
      let ready = 0;
      for (let offset = 0; ; offset += 100) {
        const page = (await api('GET', `/api/v1/meetings/bridges?limit=100&offset=${offset}`)).body;
        ready += page.items.filter((b: any) => b.poolState === 'ready').length;
        if (page.items.length < 100) break;
      }
      return ready === bridgeCount || undefined;
    }, 1_800_000, 1000);

    // Ten minutes ahead (the hourly pool reconcile stays out of the way), on the minute.
    const startAt = new Date(Math.ceil((clock.now().getTime() + 10 * 60_000) / 60_000) * 60_000);
    let next = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < meetings) {
        const i = next++;
        const res = await api('POST', '/api/v1/meetings/bookings', { title: `Start ${i}`, start: startAt.toISOString(), durationMinutes: 30, timeZone: 'UTC', bridgeId: bridgeIds[i % bridgeIds.length], dialOut: START_DIAL_OUTS ? [`room${i}@example.com`] : [] });
        if (res.status !== 201) throw new Error(`bench: booking ${i} failed: ${res.status} ${JSON.stringify(res.body)}`);
      }
    }));
    context?.note(`start lateness (${label}): set-up (bridges, pools, ${meetings} bookings) took ${((Date.now() - setupStarted) / 1000).toFixed(0)} s`);

    const load = os.loadavg()[0];
    // Before the start by more than a scheduler tick (5 s): its sleep is computed on the clock it read.
    const setAt = Date.now();
    // MEETINGS_BENCH_CPU_PROF=<dir>: profiles of the start burst, this process's and every instance's.
    const stopProfile = await profileCpu(process.env.MEETINGS_BENCH_CPU_PROF, `bench-${label.replace(/[^a-z0-9]+/gi, '-')}-${process.pid}`);
    clock.set(new Date(startAt.getTime() - 8_000));
    await Promise.all(processes.map((p) => p.setOffset(clock.offset)));
    const realStart = clock.realTimeOf(startAt);
    let shown = 0;
    const started = await poll('every meeting started', async () => {
      const calls = await bridges.calls(setAt);
      if (Date.now() - shown > 10_000) {
        shown = Date.now();
        console.log(`  start lateness (${label}): ${calls.posts.length} of ${meetings} calls placed after ${((Date.now() - realStart) / 1000).toFixed(1)} s`);
      }
      return calls.posts.length >= meetings ? calls : undefined;
    }, 1_800_000, 500);
    console.log(`  start lateness (${label}): all ${meetings} calls placed after ${((Math.max(...started.posts.map((p) => p.at)) - realStart) / 1000).toFixed(1)} s; now ending them`);
    const loadAtEnd = os.loadavg()[0];
    const profiled = await stopProfile();
    if (profiled) context?.note(`start lateness (${label}): CPU profile of this process in the burst: ${profiled}`);
    const lateness = started.posts.map((p) => p.at - realStart).sort((a, b) => a - b);
    const early = lateness.filter((ms) => ms < 0).length;
    // The start burst: from the instant to the last POST /calls (status polls in it count too).
    const lastPost = Math.max(...started.posts.map((p) => p.at));
    const burstRequests = started.requests.filter((at) => at >= realStart && at <= lastPost).length;
    const burstSeconds = Math.max(0.001, (lastPost - realStart) / 1000);
    const nodes = started.concurrency.length;
    // What the bridges' limits allow: each node START_LIMIT requests at once, each taking START_LATENCY_MS.
    const capacityPerSecond = START_LATENCY_MS > 0 ? (nodes * START_LIMIT * 1000) / START_LATENCY_MS : Infinity;

    // The ends go one job per meeting, far slower than the batched starts (embedded at load 12: 2,000
    // in ~220 s; with a fifth of a core, ~1/s, past half an hour): shown as they go, or a long end
    // phase looks like a stall of the starts (#18: the runs "stalled" at 1,971 of 2,000 and 804 of
    // 1,000 were ending), and waited for up to an hour.
    const endAt = new Date(startAt.getTime() + 30 * 60_000);
    clock.set(new Date(endAt.getTime() - 1_000));
    await Promise.all(processes.map((p) => p.setOffset(clock.offset)));
    const realEnd = clock.realTimeOf(endAt);
    shown = Date.now();
    await poll('every meeting ended', async () => {
      const calls = await bridges.calls();
      if (Date.now() - shown > 10_000) {
        shown = Date.now();
        console.log(`  start lateness (${label}): ${calls.deletes} of ${meetings} calls ended after ${((Date.now() - realEnd) / 1000).toFixed(1)} s`);
      }
      return calls.deletes >= meetings ? calls : undefined;
    }, 3_600_000, 1000);
    const endSeconds = (Date.now() - realEnd) / 1000;
    context?.note(`start lateness (${label}): every call ended ${endSeconds.toFixed(0)} s after the end time (${(meetings / endSeconds).toFixed(0)} ends/s)`);
    // A second start or end would show up in the traces a little later: wait, then count again.
    await new Promise((r) => setTimeout(r, 3_000));
    const final = await bridges.calls();
    const spaces = new Set(final.posts.map((p) => `${p.bridge}:${p.coSpace}`)).size;
    if (final.posts.length !== meetings || spaces !== meetings || final.deletes !== meetings) {
      throw new Error(`bench: meetings not started and ended exactly once: ${final.posts.length} POST /calls for ${spaces} spaces, ${final.deletes} DELETEs (expected ${meetings} each)`);
    }
    const peak = Math.max(...final.concurrency.map((c) => c.peak));
    // How the calls spread over the clusters' nodes (all on the primaries leaves half the limits idle).
    const perNode = new Map<string, number>();
    for (const post of final.posts) perNode.set(post.node, (perNode.get(post.node) ?? 0) + 1);
    const nodeCounts = [...perNode.values()];
    context?.note(`start lateness (${label}): POST /calls on ${perNode.size} of ${final.concurrency.length} nodes, ${Math.min(...nodeCounts)}–${Math.max(...nodeCounts)} per node used`);
    const throttled = final.concurrency.reduce((sum, c) => sum + c.throttled, 0);
    if (peak > START_LIMIT || throttled > 0) throw new Error(`bench: a bridge node saw ${peak} requests at once (limit ${START_LIMIT}); ${throttled} refused`);
    context?.note(`start lateness (${label}): load average ${load.toFixed(1)} when the meetings were due, ${loadAtEnd.toFixed(1)} when all had started; ${early} calls arrived before the start (must be 0); peak requests in flight per node ${peak} (limit ${START_LIMIT}), ${throttled} refused; burst ${burstRequests} bridge requests in ${burstSeconds.toFixed(1)} s = ${(burstRequests / burstSeconds).toFixed(0)}/s of the ${capacityPerSecond.toFixed(0)}/s the limits allow (${nodes} nodes × ${START_LIMIT} at once ÷ ${START_LATENCY_MS} ms)`);
    return {
      name: `meetings: start lateness, ${meetings} meetings at one instant on ${bridgeCount} bridges (${label})`,
      opsPerSec: meetings / burstSeconds,
      p50Ms: lateness[Math.floor(lateness.length * 0.5)],
      p99Ms: lateness[Math.floor(lateness.length * 0.99)],
      extra: {
        meetings, bridges: bridgeCount, nodesPerBridge: START_NODES, dialOuts: START_DIAL_OUTS ? 1 : 0, instances, maxMs: Math.round(lateness.at(-1)!), minMs: Math.round(lateness[0]),
        postCalls: final.posts.length, callDeletes: final.deletes, nodesWithCalls: perNode.size, early, peakPerNode: peak, limitPerNode: START_LIMIT, throttled, latencyMs: START_LATENCY_MS,
        burstRequestsPerSecond: Math.round(burstRequests / burstSeconds), limitsAllowPerSecond: Math.round(capacityPerSecond), ofLimits: Number((burstRequests / burstSeconds / capacityPerSecond).toFixed(3)),
        loadAverage: Number(load.toFixed(2)), loadAverageAfterStarts: Number(loadAtEnd.toFixed(2)), endSeconds: Number(endSeconds.toFixed(1)),
      },
    };
  } finally {
    for (const p of processes) await p.close().catch(() => undefined);
    for (const { sb } of switchboards.reverse()) await sb.close().catch(() => undefined);
    await database.drop().catch(() => undefined);
    await bridges.stop();
  }
}

export default async function run(context?: BenchContext): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  // MEETINGS_BENCH_PARTS=bookings (or lifecycles, starts; comma-separated) runs only those parts.
  const parts = process.env.MEETINGS_BENCH_PARTS?.split(',');
  const part = (key: string, name: string) => (parts ? parts.includes(key) : true) && (context?.wants(name) ?? true);
  if (part('lifecycles', 'meetings: lifecycles per 1,000 bridge API calls')) {
    const tms = await tmsLifecycle();
    const ours = await switchboardLifecycle();
    results.push({ name: 'meetings: lifecycles per 1,000 bridge API calls (TMS pattern, seed 000)', opsPerSec: 1000 / tms, extra: { callsPerLifecycle: tms, dialOuts: 1, poolSpaces: 5, otherSpaces: 4 } });
    results.push({ name: 'meetings: lifecycles per 1,000 bridge API calls (Switchboard)', opsPerSec: 1000 / ours, baseline: 'meetings: lifecycles per 1,000 bridge API calls (TMS pattern, seed 000)', extra: { callsPerLifecycle: ours, dialOuts: 1, tmsCalls: tms, ratio: Number((tms / ours).toFixed(2)) } });
  }

  const saved = process.env.DATABASE_URL;
  try {
    delete process.env.DATABASE_URL;
    const unreachable = await postgresUnreachable(POSTGRES_URL);
    if (unreachable) context?.note(`meetings: PostgreSQL skipped (${unreachable})`);
    const onPostgres = async <T>(fn: () => Promise<T>) => {
      process.env.DATABASE_URL = POSTGRES_URL;
      try {
        return await fn();
      } finally {
        delete process.env.DATABASE_URL;
      }
    };
    const databases = (process.env.MEETINGS_BENCH_DATABASES ?? 'embedded,postgres').split(',');
    // "clients x bridges" pairs: the first is the setup of the earlier figures (8 clients, one bridge).
    const shapes = (process.env.MEETINGS_BENCH_BOOKING_SHAPES ?? '8x1,64x4').split(',').map((pair) => pair.split('x').map(Number) as [number, number]);
    // PostgreSQL also with this many instances, each a process of its own (1: only the single instance).
    const postgresInstances = Number(process.env.MEETINGS_BENCH_INSTANCES ?? 2);
    if (part('bookings', 'meetings: bookings/s')) {
      // Embedded and PostgreSQL alternate per shape, so each pair is measured at about the same load.
      for (const [clients, bridges] of shapes) {
        const embeddedName = `meetings: bookings/s with conflict check, HTTP, ${clients} clients, ${bridges} bridge${bridges > 1 ? 's' : ''} (embedded)`;
        if (databases.includes('embedded')) results.push(await bookingsPerSecond('embedded', clients, bridges));
        if (unreachable || !databases.includes('postgres')) continue;
        const single = await onPostgres(() => bookingsPerSecond('PostgreSQL', clients, bridges));
        results.push({ ...single, baseline: databases.includes('embedded') ? embeddedName : undefined });
        if (postgresInstances > 1) results.push({ ...(await onPostgres(() => bookingsPerSecond('PostgreSQL', clients, bridges, postgresInstances))), baseline: single.name });
      }
    }
    if (part('starts', 'meetings: start lateness')) {
      // #18: embedded at MEETINGS_BENCH_START_EMBEDDED_MEETINGS (2,000), PostgreSQL at MEETINGS_BENCH_STARTS
      // (10,000) with each count of MEETINGS_BENCH_START_INSTANCES (1,2,4), every instance a process.
      const embeddedMeetings = Number(process.env.MEETINGS_BENCH_START_EMBEDDED_MEETINGS ?? Math.min(START_MEETINGS, 2000));
      const embeddedBridges = Math.max(1, Math.round(START_BRIDGES * embeddedMeetings / START_MEETINGS));
      if (process.env.MEETINGS_BENCH_START_EMBEDDED !== 'false') results.push(await startLateness('embedded, 1 instance', 1, embeddedMeetings, embeddedBridges, context));
      const counts = (process.env.MEETINGS_BENCH_START_INSTANCES ?? '1,2,4').split(',').map(Number);
      if (!unreachable) for (const n of counts) results.push(await onPostgres(() => startLateness(`PostgreSQL, ${n} instance${n > 1 ? 's' : ''} (processes)`, n, START_MEETINGS, START_BRIDGES, context)));
    }
  } finally {
    if (saved === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = saved;
  }
  return results;
}

if (import.meta.main) console.table(await run());
