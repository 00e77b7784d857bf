// One Button to Push at scale (#17): Switchboard keeps the panels of N simulated room codecs (default
// 1,000, OBTP_BENCH_ENDPOINTS) with 5 bookings each. Measured: the first full push once OBTP is turned
// on (pushes/s, time until every panel holds its 5 bookings), and after a bulk change (one booking of
// every room renamed through the API) the time until every panel shows it. The OBTP round runs at its
// default interval (5 s), on the real clock; embedded database, then PostgreSQL (OBTP_BENCH_DATABASES,
// BENCH_DATABASE_URL; left out with a note when it does not answer).
import os from 'node:os';
import { systemClock } from '../platform/clock.ts';
import { createCmsCluster } from '../lab/cms/cms.cluster.ts';
import { createCeCodec, type CeCodec } from '../lab/ce/ce.simulator.ts';
import { startTestSwitchboard } from '../test/support/test-switchboard.ts';
import { createMeetingsArea } from '../meetings/meetings.area.ts';
import type { BenchContext, BenchResult } from './bench-types.ts';
import { postgresUnreachable } from './postgres.ts';

const ENDPOINTS = Number(process.env.OBTP_BENCH_ENDPOINTS ?? 1000);
const PER_ROOM = 5;
const CONCURRENCY = 16;
const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DATABASES = (process.env.OBTP_BENCH_DATABASES ?? 'embedded,postgres').split(',');

async function inParallel<T>(items: T[], fn: (item: T, index: number) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  }));
}

async function until(what: string, probe: () => boolean, timeoutMs = 900_000) {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export default async function run(context?: BenchContext): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const saved = process.env.DATABASE_URL;
  try {
    for (const database of DATABASES) {
      if (database === 'embedded') {
        delete process.env.DATABASE_URL;
        results.push(...(await runOn('embedded', context)));
      } else if (database === 'postgres') {
        const unreachable = await postgresUnreachable(POSTGRES_URL);
        if (unreachable) {
          context?.note(`PostgreSQL left out (${unreachable})`);
          continue;
        }
        process.env.DATABASE_URL = POSTGRES_URL;
        results.push(...(await runOn('PostgreSQL', context)));
      }
    }
  } finally {
    if (saved === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = saved;
  }
  return results;
}

async function runOn(label: string, context?: BenchContext): Promise<BenchResult[]> {
  const load = () => Number((os.loadavg()[0]).toFixed(1));
  const loadAtStart = load();
  const cms = await createCmsCluster({ name: 'obtp-bench', nodes: [{ name: 'cb1', host: '127.0.0.1', port: 0 }], users: [{ name: 'admin', password: 'admin' }], clock: systemClock });
  await cms.start();
  const codecs: CeCodec[] = [];
  for (let i = 0; i < ENDPOINTS; i++) codecs.push(createCeCodec({ name: `room-${i}`, clock: systemClock, password: 'pw', version: 'ce9.15.3.17' }));
  for (const c of codecs) await c.start();
  const t = await startTestSwitchboard({ areas: [createMeetingsArea({ statusIntervalMs: 1e12, reconcileIntervalMs: 1e12, endpointPollMs: 1e12 })], config: { jobPollSeconds: 0.5 } as never });
  try {
    const bridge = await t.api('POST', '/api/v1/meetings/bridges', { address: cms.nodes[0].baseUrl.replace(/^https?:\/\//, ''), username: 'admin', password: 'admin', tls: false, name: 'CMS' });
    const bridgeId = bridge.body.items[0].id;
    const patched = await t.api('PATCH', `/api/v1/meetings/bridges/${bridgeId}`, { sipDomain: 'lab.local', numericIdBase: 1, numericIdQuantity: ENDPOINTS });
    for (;;) {
      const job = await t.api('GET', `/api/v1/jobs/${patched.body.poolSyncJobId}`);
      if (job.body.state === 'completed') break;
      if (job.body.state === 'failed') throw new Error(`pool sync failed: ${JSON.stringify(job.body.error)}`);
      await new Promise((r) => setTimeout(r, 200));
    }

    // Register the endpoints in bulk, 100 rows a request.
    const registered = performance.now();
    const endpointIds: string[] = [];
    for (let i = 0; i < ENDPOINTS; i += 100) {
      const rows = codecs.slice(i, i + 100).map((c) => ({ address: c.url.replace(/^https?:\/\//, ''), username: 'admin', password: 'pw', tls: false, name: c.name }));
      const res = await t.api('POST', '/api/v1/meetings/endpoints/bulk', { endpoints: rows });
      if (res.body.refused) throw new Error(`bulk registration refused rows: ${JSON.stringify(res.body.results.find((r: any) => !r.ok))}`);
      endpointIds.push(...res.body.results.map((r: any) => r.endpoint.id));
    }
    const registerSeconds = (performance.now() - registered) / 1000;

    // 5 bookings per room, tomorrow, one an hour; each names its room (OBTP).
    const day = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const jobs = endpointIds.flatMap((endpointId) => Array.from({ length: PER_ROOM }, (_, k) => ({ endpointId, k })));
    const firstBookingOf = new Map<string, string>();
    const booked = performance.now();
    await inParallel(jobs, async ({ endpointId, k }) => {
      const res = await t.api('POST', '/api/v1/meetings/bookings', { title: `Meeting ${k}`, start: `${day}T${String(8 + k).padStart(2, '0')}:00`, durationMinutes: 30, timeZone: 'UTC', bridgeId });
      if (res.status !== 201) throw new Error(`booking refused: ${JSON.stringify(res.body)}`);
      if (k === 0) firstBookingOf.set(endpointId, res.body.id);
      const rooms = await t.api('PUT', `/api/v1/meetings/bookings/${res.body.id}/rooms`, { rooms: [{ endpointId, connectMode: 'obtp' }] });
      if (rooms.status !== 200) throw new Error(`rooms refused: ${JSON.stringify(rooms.body)}`);
    });
    const bookSeconds = (performance.now() - booked) / 1000;

    // OBTP on: every panel gets its 5 bookings.
    const on = performance.now();
    await t.api('PUT', '/api/v1/meetings/settings/obtp', { enabled: true });
    await until('every panel filled', () => codecs.every((c) => c.bookings().length === PER_ROOM));
    const fillSeconds = (performance.now() - on) / 1000;

    // Bulk change: the first booking of every room renamed.
    const changed = performance.now();
    await inParallel([...firstBookingOf.entries()], async ([, bookingId]) => {
      const res = await t.api('PATCH', `/api/v1/meetings/bookings/${bookingId}`, { title: 'Meeting 0 (renamed)' });
      if (res.status !== 200) throw new Error(`change refused: ${JSON.stringify(res.body)}`);
    });
    const changesSent = (performance.now() - changed) / 1000;
    await until('every panel current', () => codecs.every((c) => c.bookings().some((b) => b.title === 'Meeting 0 (renamed)')));
    const currentSeconds = (performance.now() - changed) / 1000;
    // Pushes the codecs received in all (the first push and the renames: 2 per panel at best).
    const pushes = codecs.reduce((n, c) => n + c.pushes().length, 0);
    const round = (x: number) => Math.round(x * 10) / 10;
    context?.note(`${label}: ${ENDPOINTS} endpoints registered in ${registerSeconds.toFixed(1)} s (bulk, 100 a request); ${ENDPOINTS * PER_ROOM} bookings with their room in ${bookSeconds.toFixed(1)} s`);
    return [
      { name: `obtp: first push to ${ENDPOINTS} panels × ${PER_ROOM} bookings (${label})`, opsPerSec: round(ENDPOINTS / fillSeconds), extra: { seconds: round(fillSeconds), endpoints: ENDPOINTS, bookingsPerPanel: PER_ROOM, loadAtStart } },
      {
        name: `obtp: ${ENDPOINTS} bookings renamed → every panel current (${label})`,
        opsPerSec: round(ENDPOINTS / currentSeconds),
        // The renames go through the bookings API (16 clients); what follows the last one is OBTP's.
        extra: { secondsUntilEveryPanelCurrent: round(currentSeconds), secondsToSendTheChanges: round(changesSent), secondsAfterTheLastChange: round(currentSeconds - changesSent), pushesPerPanel: round(pushes / ENDPOINTS), obtpRoundSeconds: 5, loadAtEnd: load() },
      },
    ];
  } finally {
    await t.close();
    for (const c of codecs) await c.stop();
    await cms.stop();
  }
}

if (import.meta.main) console.table(await run());
