// #16 part 3, the figures: (1) the import from a running TMS — the Lab TMS seeded with
// TMS_BENCH_BOOKINGS conferences (a tenth of them weekly series), `import-tms` run through the API
// as a job, its time and bookings/s; (2) in the same run, on the same bridges with the same number
// of clients, the TMSBA facade's SaveConference (with the slot conflict check) beside the REST
// booking rate. Embedded and, when reachable, PostgreSQL (BENCH_DATABASE_URL), as the other benches.
import os from 'node:os';
import { Agent, request } from 'undici';
import { ManualClock } from '../platform/clock.ts';
import { createCmsCluster, type CmsCluster } from '../lab/cms/cms.cluster.ts';
import { createTmsSimulator } from '../lab/tms/tms.simulator.ts';
import { formatUtc } from '../meetings/tmsba/tmsba.mapping.ts';
import { BOOKING_NS, BOOKING_PATH, REMOTE_SETUP_NS, REMOTE_SETUP_PATH } from '../meetings/tmsba/tmsba.routes.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { createMeetingsArea } from '../meetings/meetings.area.ts';
import type { BenchContext, BenchResult } from './bench-types.ts';
import { postgresUnreachable } from './postgres.ts';

const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const BOOKINGS = Number(process.env.TMS_BENCH_BOOKINGS ?? 10_000);
const BRIDGES = Number(process.env.TMS_BENCH_BRIDGES ?? 10);
/** Meetings at the same hour on one bridge: the pool holds this many slots (plus a spare). */
const PER_HOUR = Number(process.env.TMS_BENCH_PER_HOUR ?? 10);
const CLIENTS = Number(process.env.TMS_BENCH_CLIENTS ?? 8);
const RATE_BOOKINGS = Number(process.env.TMS_BENCH_RATE_BOOKINGS ?? 600);

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = '2026-03-02T08:00:00Z';
/** The first day bookings are placed on: tomorrow, whole days, so none straddles "now". */
const BASE = Date.parse('2026-03-03T00:00:00Z');
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

/**
 * The k-th one-hour meeting on a bridge, from day `fromDay` on: PER_HOUR at each of 06:00–17:00 UTC,
 * so every one finds a free slot and the conflict check runs on a filled pool, never refusing.
 */
function singleSlot(k: number, fromDay: number): number {
  const perDay = 12 * PER_HOUR;
  return BASE + (fromDay + Math.floor(k / perDay)) * DAY + (6 + Math.floor((k % perDay) / PER_HOUR)) * HOUR;
}

async function until(clock: ManualClock, what: string, probe: () => Promise<boolean>, timeoutMs = 3_600_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    // A little clock time for the job runner and the schedulers; bookings are a day or more ahead.
    clock.advance(100);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function setup(clock: ManualClock) {
  const clusters: CmsCluster[] = [];
  for (let b = 0; b < BRIDGES; b++) {
    const cms = await createCmsCluster({ name: `tms-bench-${b + 1}`, nodes: [{ name: 'CallBridge-Core1', host: '127.0.0.1', port: 0 }], clock });
    await cms.start();
    cms.store.create('outboundDialPlanRules', new Map([['domain', '*'], ['priority', '0']]));
    clusters.push(cms);
  }
  const t = await startTestSwitchboard({ clock, areas: [createMeetingsArea({ tickMs: 1000, statusIntervalMs: 1e12, reconcileIntervalMs: 1e12 })], config: { jobPollSeconds: 0.5 } as never });
  const system = { type: 'system' as const, id: null, name: 'bench', role: 'system' as const, customerOrgId: null };
  const booker = { username: 'tmsxe-bench', password: 'tmsxe-bench-password-1' };
  await t.sb.services.auth.createUser({ ...booker, role: 'booker' }, system);
  const bridges: { id: string; name: string; address: string }[] = [];
  for (const [b, cms] of clusters.entries()) {
    const name = `Bench ${b + 1}`;
    const added = await t.api('POST', '/api/v1/meetings/bridges', { address: cms.nodes[0].baseUrl, username: 'admin', password: 'admin', name });
    if (added.status !== 201) throw new Error(`bench: adding a bridge: ${JSON.stringify(added.body)}`);
    const id = added.body.items[0].id as string;
    const patched = await t.api('PATCH', `/api/v1/meetings/bridges/${id}`, { sipDomain: 'lab.local', numericIdBase: 1, numericIdQuantity: PER_HOUR + 1 });
    await until(clock, 'the pool sync', async () => (await t.api('GET', `/api/v1/jobs/${patched.body.poolSyncJobId}`)).body.state === 'completed');
    bridges.push({ id, name, address: cms.nodes[0].baseUrl });
  }
  return { t, bridges, booker, stop: async () => { for (const cms of clusters) await cms.stop(); } };
}

/** The Lab TMS with BOOKINGS conferences: every tenth a weekly series of 4 (evenings, 19:00–22:00), the rest single meetings. */
async function seededTms(clock: ManualClock, bridges: { address: string }[]) {
  const tms = createTmsSimulator({ clock });
  await tms.start();
  const systems = bridges.map((b, n) => tms.addSystem({ SystemName: `MCU ${n + 1}`, SystemType: 'Cisco Meeting Server', NetworkAddress: b.address, SystemCategory: 'Equipment' }).SystemId);
  const singles = new Array<number>(bridges.length).fill(0);
  const series = new Array<number>(bridges.length).fill(0);
  let occurrences = 0;
  for (let i = 0; i < BOOKINGS; i++) {
    // Shifted by one every ten, so the series (every tenth) are spread over the bridges too.
    const b = (i + Math.floor(i / 10)) % bridges.length;
    if (i % 10 === 9) {
      // 7 weekdays × 3 evening hours per bridge; PER_HOUR series may share one.
      const k = series[b]++;
      const cell = Math.floor(k / PER_HOUR);
      const start = BASE + (cell % 7) * DAY + (19 + (Math.floor(cell / 7) % 3)) * HOUR;
      if (cell >= 21) throw new Error('bench: too many series for the bridges; raise TMS_BENCH_BRIDGES or TMS_BENCH_PER_HOUR');
      tms.book({
        Title: `Series ${i}`, start: new Date(start).toISOString(), end: new Date(start + HOUR).toISOString(), OwnerUserName: 'bench', systemIds: [systems[b]!], external: [],
        pattern: { FrequencyType: 'Weekly', Interval: 1, DaysOfWeek: { DayOfWeek: [WEEKDAYS[new Date(start).getUTCDay()] as 'Monday'] }, FirstDayOfWeek: 'Sunday', BySetPosition: 0, PatternEndType: 'EndByInstances', PatternInstances: 4 },
      });
      occurrences += 4;
    } else {
      const start = singleSlot(singles[b]++, 0);
      tms.book({ Title: `Meeting ${i}`, start: new Date(start).toISOString(), end: new Date(start + HOUR).toISOString(), OwnerUserName: 'bench', systemIds: [systems[b]!], external: [] });
      occurrences++;
    }
  }
  // The REST and SOAP rates book after the imported meetings' days.
  const lastDay = Math.ceil(Math.max(...singles) / (12 * PER_HOUR)) + 28;
  return { tms, occurrences, lastDay };
}

/** Runs `count` bookings from CLIENTS concurrent clients; `send(i)` books the i-th and tells whether it was refused. */
async function rate(count: number, send: (i: number) => Promise<void>) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      await send(i);
      latencies.push(performance.now() - t0);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!;
  return { opsPerSec: count / seconds, p50Ms: pct(0.5), p99Ms: pct(0.99), seconds };
}

const soapEnvelope = (ns: string, header: string, body: string) =>
  `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:tns="${ns}"><soap:Header>${header}</soap:Header><soap:Body>${body}</soap:Body></soap:Envelope>`;

async function onDatabase(label: string, context?: BenchContext): Promise<BenchResult[]> {
  const clock = new ManualClock(NOW);
  const { t, bridges, booker, stop } = await setup(clock);
  const { tms, occurrences, lastDay } = await seededTms(clock, bridges);
  const dispatcher = new Agent({ connections: CLIENTS, pipelining: 1 });
  try {
    // ---- the import, as a job through the API ---------------------------------------------------
    const load = os.loadavg()[0];
    const began = performance.now();
    const sent = await t.api('POST', '/api/v1/meetings/tms-import', { url: tms.url, username: 'tms-admin', password: 'tms-password' });
    if (sent.status !== 202) throw new Error(`bench: import-tms: ${JSON.stringify(sent.body)}`);
    let job: any;
    await until(clock, 'the import job', async () => {
      job = (await t.api('GET', `/api/v1/jobs/${sent.body.jobId}`)).body;
      return ['completed', 'failed', 'cancelled'].includes(job.state);
    });
    const seconds = (performance.now() - began) / 1000;
    if (job.state !== 'completed') throw new Error(`bench: the import ${job.state}: ${JSON.stringify(job.error)}`);
    const outcomes = job.result?.outcomes ?? {};
    if (outcomes.created !== BOOKINGS) throw new Error(`bench: the import created ${outcomes.created} of ${BOOKINGS}: ${JSON.stringify(outcomes)}`);
    context?.note(`import (${label}): ${BOOKINGS} conferences (${occurrences} meetings) in ${seconds.toFixed(1)} s, load average ${load.toFixed(1)} at its start`);
    const results: BenchResult[] = [{
      name: `tms: import-tms job, ${BOOKINGS} bookings (a tenth weekly series), ${BRIDGES} bridges (${label})`,
      opsPerSec: BOOKINGS / seconds,
      extra: { bookings: BOOKINGS, meetings: occurrences, seconds: Number(seconds.toFixed(1)), bridges: BRIDGES, loadAverage: Number(load.toFixed(1)) },
    }];

    // ---- REST and SaveConference, same clients, same bridges ------------------------------------
    const restName = `tms: REST bookings/s with conflict check, ${CLIENTS} clients, ${BRIDGES} bridges (${label})`;
    const rest = await rate(RATE_BOOKINGS, async (i) => {
      const start = singleSlot(Math.floor(i / bridges.length), lastDay);
      const response = await request(`${t.url}/api/v1/meetings/bookings`, {
        method: 'POST', dispatcher,
        headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title: `REST ${i}`, start: new Date(start).toISOString().slice(0, 16), durationMinutes: 60, timeZone: 'UTC', bridgeId: bridges[i % bridges.length]!.id }),
      });
      const text = await response.body.text();
      if (response.statusCode !== 201) throw new Error(`bench: REST booking ${response.statusCode} ${text}`);
    });
    results.push({ name: restName, opsPerSec: rest.opsPerSec, p50Ms: rest.p50Ms, p99Ms: rest.p99Ms, extra: { bookings: RATE_BOOKINGS, clients: CLIENTS, bridges: BRIDGES } });

    const basic = `Basic ${Buffer.from(`${booker.username}:${booker.password}`).toString('base64')}`;
    const soapCall = async (path: string, ns: string, action: string, header: string, body: string) => {
      const response = await request(`${t.url}${path}`, { method: 'POST', dispatcher, headers: { authorization: basic, 'content-type': 'text/xml; charset=utf-8', soapaction: `"${ns}${action}"` }, body: soapEnvelope(ns, header, body) });
      return { status: response.statusCode, text: await response.body.text() };
    };
    // The facade's SystemIds of the bridges, and a ClientSession as a TMSXE client gets one (from the blank-session fault).
    const systems = await soapCall(REMOTE_SETUP_PATH, REMOTE_SETUP_NS, 'GetSystems', '', '<tns:GetSystems/>');
    const systemOf = new Map<string, number>();
    for (const block of systems.text.split(/<(?:\w+:)?TMSSystem>/).slice(1)) {
      const id = /<(?:\w+:)?SystemId>(\d+)</.exec(block)?.[1];
      const name = /<(?:\w+:)?SystemName>([^<]*)</.exec(block)?.[1];
      if (id && name) systemOf.set(name, Number(id));
    }
    const blank = await soapCall(BOOKING_PATH, BOOKING_NS, 'GetDefaultConference', '<tns:ExternalAPIVersionSoapHeader><tns:ClientVersionIn>22</tns:ClientVersionIn></tns:ExternalAPIVersionSoapHeader>', '<tns:GetDefaultConference/>');
    const session = /<clientsessionid>([^<]+)</.exec(blank.text)?.[1];
    if (!session) throw new Error(`bench: no ClientSession suggested: ${blank.status} ${blank.text.slice(0, 500)}`);
    const versionHeader = `<tns:ExternalAPIVersionSoapHeader><tns:ClientVersionIn>22</tns:ClientVersionIn><tns:ClientSession>${session}</tns:ClientSession></tns:ExternalAPIVersionSoapHeader>`;
    const soap = await rate(RATE_BOOKINGS, async (i) => {
      const bridge = bridges[i % bridges.length]!;
      const systemId = systemOf.get(bridge.name);
      if (systemId === undefined) throw new Error(`bench: GetSystems does not list ${bridge.name}`);
      // The day after the REST bookings' days: the same filling of the same pools.
      const start = singleSlot(Math.floor(i / bridges.length), lastDay + Math.ceil(RATE_BOOKINGS / bridges.length / (12 * PER_HOUR)) + 1);
      const conference = `<tns:ConferenceId>-1</tns:ConferenceId><tns:Title>SOAP ${i}</tns:Title><tns:StartTimeUTC>${formatUtc(new Date(start), 22)}</tns:StartTimeUTC><tns:EndTimeUTC>${formatUtc(new Date(start + HOUR), 22)}</tns:EndTimeUTC>` +
        '<tns:OwnerId>0</tns:OwnerId><tns:ConferenceType>Automatic Call Launch</tns:ConferenceType><tns:Bandwidth>Default</tns:Bandwidth><tns:PictureMode>Default</tns:PictureMode><tns:Encrypted>Default</tns:Encrypted>' +
        '<tns:DataConference>Default</tns:DataConference><tns:ShowExtendOption>Default</tns:ShowExtendOption><tns:ISDNRestrict>false</tns:ISDNRestrict>' +
        `<tns:Participants><tns:Participant><tns:ParticipantId>${systemId}</tns:ParticipantId><tns:ParticipantCallType>TMS</tns:ParticipantCallType></tns:Participant></tns:Participants>`;
      const answer = await soapCall(BOOKING_PATH, BOOKING_NS, 'SaveConference', versionHeader, `<tns:SaveConference><tns:Conference>${conference}</tns:Conference></tns:SaveConference>`);
      if (answer.status !== 200) throw new Error(`bench: SaveConference ${answer.status} ${answer.text.slice(0, 800)}`);
    });
    results.push({ name: `tms: TMSBA SaveConference/s with conflict check, ${CLIENTS} clients, ${BRIDGES} bridges (${label})`, opsPerSec: soap.opsPerSec, p50Ms: soap.p50Ms, p99Ms: soap.p99Ms, baseline: restName, extra: { bookings: RATE_BOOKINGS, clients: CLIENTS, bridges: BRIDGES } });
    return results;
  } finally {
    await dispatcher.close();
    await tms.stop();
    await t.close();
    await stop();
  }
}

export default async function run(context?: BenchContext): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const databases = (process.env.TMS_BENCH_DATABASES ?? 'embedded,postgres').split(',');
  const saved = process.env.DATABASE_URL;
  try {
    delete process.env.DATABASE_URL;
    if (databases.includes('embedded')) results.push(...(await onDatabase('embedded', context)));
    if (databases.includes('postgres')) {
      const unreachable = await postgresUnreachable(POSTGRES_URL);
      if (unreachable) context?.note(`PostgreSQL skipped (${unreachable})`);
      else {
        process.env.DATABASE_URL = POSTGRES_URL;
        results.push(...(await onDatabase('PostgreSQL', context)));
      }
    }
  } finally {
    if (saved === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = saved;
  }
  return results;
}

if (import.meta.main) console.table(await run());
