// Partner billing (P16): the report of a month over 1,000,000 subscriber-months, 10% of them
// changing package once inside the month (1,100,000 records) — goal ≤10 s and peak RSS ≤300 MB,
// the CSV written and served as a stream. Embedded and, when reachable, PostgreSQL, side by side.
// Each backend runs in a child process of its own, started as `switchboard start` starts the server
// (its V8 flags and environment, the compile cache, every area), so its peak RSS is the server's own: on PostgreSQL
// that includes the report's writer threads.
import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { missingServerEnv, SERVER_V8_FLAGS } from '../platform/node-runtime.js';
import type { BenchContext, BenchResult } from './bench-types.ts';
import { postgresUnreachable } from './postgres.ts';

const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SUBSCRIBERS = Number(process.env.BILLING_BENCH_SUBSCRIBERS ?? 1_000_000);
const MB = 1024 * 1024;

type ChildResult = {
  backend: string;
  subscribers: number;
  historyRows: number;
  seedMs: number;
  reportMs: number;
  jobMs: number;
  downloadMs: number;
  /** CPU of the server process (every thread: PGlite's, the writer threads) during the report and during the download. */
  reportCpuMs: number;
  downloadCpuMs: number;
  records: number;
  csvBytes: number;
  rssBeforeMb: number;
  peakRssDuringMb: number;
  /** Including the download (its client is another process). */
  peakRssWithDownloadMb: number;
  maxRssMb: number;
  /** SWITCHBOARD_BILLING_REPORT_THREADS of this report (0: on the server's thread). */
  threads: number;
};

/** In the child: a Switchboard on a fresh database, seeded with SQL, one report made and downloaded. */
async function child(backend: 'embedded' | 'postgres'): Promise<ChildResult[]> {
  if (backend === 'postgres') process.env.DATABASE_URL = POSTGRES_URL;
  else delete process.env.DATABASE_URL;
  const { startTestSwitchboard } = await import('../test/support/test-switchboard.ts');
  const { areaFactories } = await import('../cli/areas.ts');
  const t = await startTestSwitchboard({ areas: areaFactories, config: { jobPollSeconds: 0.5 } as never });
  try {
    const pool = t.sb.services.database.pool;
    const seedStart = performance.now();
    // Subscribers provisioned over the year before March 2021 (created, then provisioned a minute
    // later); every tenth changes package once in March, on a day spread over the month.
    await pool.query(`
      insert into partner_subscriber_history (subscriber_id, at, change, user_id, sp_enterprise_id, package, status, self_activated)
      select md5('bench' || g)::uuid, timestamptz '2021-02-28 12:00Z' - make_interval(days => g % 365), 'created',
             'user' || g || '@bench.example', 'SP+ent' || (g % 1000), (array['softphone','basic','standard','premium'])[1 + g % 4], 'provisioning', g % 7 = 0
      from generate_series(1, $1::int) g`, [SUBSCRIBERS]);
    await pool.query(`
      insert into partner_subscriber_history (subscriber_id, at, change, user_id, sp_enterprise_id, package, status, self_activated)
      select md5('bench' || g)::uuid, timestamptz '2021-02-28 12:01Z' - make_interval(days => g % 365), 'status',
             'user' || g || '@bench.example', 'SP+ent' || (g % 1000), (array['softphone','basic','standard','premium'])[1 + g % 4], 'provisioned', g % 7 = 0
      from generate_series(1, $1::int) g`, [SUBSCRIBERS]);
    await pool.query(`
      insert into partner_subscriber_history (subscriber_id, at, change, user_id, sp_enterprise_id, package, status, self_activated, previous)
      select md5('bench' || g)::uuid, timestamptz '2021-03-01 09:00Z' + make_interval(days => (g / 10) % 31), 'package',
             'user' || g || '@bench.example', 'SP+ent' || (g % 1000), (array['softphone','basic','standard','premium'])[1 + (g + 1) % 4], 'provisioned', g % 7 = 0,
             (array['softphone','basic','standard','premium'])[1 + g % 4]
      from generate_series(10, $1::int, 10) g`, [SUBSCRIBERS]);
    await pool.query('analyze partner_subscriber_history');
    const historyRows = Number((await pool.query('select count(*)::int as n from partner_subscriber_history')).rows[0].n);
    const seedMs = performance.now() - seedStart;

    // PostgreSQL: one report per count of writer threads (SWITCHBOARD_BILLING_REPORT_THREADS), on
    // the same history, each deleted before the next; embedded writes on the server's thread.
    const variants = backend === 'postgres' ? (process.env.BILLING_BENCH_THREADS ?? '1,2').split(',').map(Number) : [0];
    const results: ChildResult[] = [];
    for (const threads of variants) {
      t.sb.services.config.billingReportThreads = threads;
      results.push({ ...(await reportOnce()), threads });
    }
    return results;

    async function reportOnce(): Promise<Omit<ChildResult, 'threads'>> {
      const rssBefore = process.memoryUsage.rss();
      let peak = rssBefore;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 25);
      const cpuBefore = process.cpuUsage();
      const began = performance.now();
      const created = await t.api('POST', '/v1/broadworks/billing/reports', { billingPeriod: '2021-03' });
      if (created.status !== 200) throw new Error(`create failed: ${JSON.stringify(created.body)}`);
      let report: any;
      for (;;) {
        report = (await t.api('GET', `/v1/broadworks/billing/reports/${created.body.id}`)).body;
        if (report.status !== 'IN_PROGRESS') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const reportMs = performance.now() - began;
      const reportCpu = process.cpuUsage(cpuBefore);
      // The server's peak while it made the report.
      const peakDuringReport = Math.max(peak, process.memoryUsage.rss());
      if (report.status !== 'COMPLETED') throw new Error(`report ${report.status}: ${JSON.stringify(report.errors)}`);
      const detail = (await t.api('GET', `/api/v1/partner/billing/reports/${created.body.id}`)).body;
      const job = (await t.api('GET', `/api/v1/jobs/${detail.jobId}`)).body;
      const jobMs = new Date(job.finishedAt).getTime() - new Date(job.startedAt).getTime();

      // The download, streamed and counted (never held whole).
      const downloadStart = performance.now();
      const downloadCpuBefore = process.cpuUsage();
      // The client is a process of its own, so the peak RSS below is the server's alone.
      const { csvBytes, lines } = await download(report.tempDownloadURL);
      const downloadMs = performance.now() - downloadStart;
      const downloadCpu = process.cpuUsage(downloadCpuBefore);
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage.rss());
      if (lines - 1 !== detail.recordCount) throw new Error(`CSV has ${lines - 1} records, the report says ${detail.recordCount}`);
      await t.api('DELETE', `/v1/broadworks/billing/reports/${created.body.id}`);
      return {
        backend,
        subscribers: SUBSCRIBERS,
        historyRows,
        seedMs: Math.round(seedMs),
        reportMs: Math.round(reportMs),
        jobMs,
        downloadMs: Math.round(downloadMs),
        reportCpuMs: Math.round((reportCpu.user + reportCpu.system) / 1000),
        downloadCpuMs: Math.round((downloadCpu.user + downloadCpu.system) / 1000),
        records: detail.recordCount,
        csvBytes,
        rssBeforeMb: Math.round(rssBefore / MB),
        peakRssDuringMb: Math.round(peakDuringReport / MB),
        peakRssWithDownloadMb: Math.round(peak / MB),
        // resourceUsage().maxRSS is in kilobytes.
        maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      };
    }
  } finally {
    await t.close();
  }
}

/** Downloads the CSV in a child process, streamed and counted (never held whole). */
async function download(url: string): Promise<{ csvBytes: number; lines: number }> {
  const { stdout } = await promisify(execFile)(process.execPath, [import.meta.filename, '--download', url], { maxBuffer: MB });
  return JSON.parse(stdout.trim()) as { csvBytes: number; lines: number };
}

async function runChild(backend: 'embedded' | 'postgres'): Promise<ChildResult[]> {
  // bin/switchboard.js turns the compile cache on before loading any TypeScript; here the
  // environment does it, in the directory Node uses by default.
  const { stdout } = await promisify(execFile)(process.execPath, [...SERVER_V8_FLAGS, import.meta.filename, '--child', backend], {
    cwd: path.resolve(import.meta.dirname, '..'),
    maxBuffer: 16 * MB,
    env: { ...process.env, ...missingServerEnv(process.env), NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE ?? path.join(os.tmpdir(), 'node-compile-cache') },
  });
  const line = stdout.trim().split('\n').pop()!;
  return JSON.parse(line) as ChildResult[];
}

export default async function run(context?: BenchContext): Promise<BenchResult[]> {
  // PostgreSQL first: on a shared machine its figure is the one that must not be lost to a timeout.
  // BILLING_BENCH_BACKENDS=postgres (or embedded) runs one of them.
  const wanted = (process.env.BILLING_BENCH_BACKENDS ?? 'postgres,embedded').split(',');
  const backends: Array<'embedded' | 'postgres'> = [];
  if (wanted.includes('postgres')) {
    if (!(await postgresUnreachable(POSTGRES_URL))) backends.push('postgres');
    else context?.note(`PostgreSQL at ${POSTGRES_URL} not reachable; embedded only`);
  }
  if (wanted.includes('embedded')) backends.push('embedded');
  const results: BenchResult[] = [];
  const nameOf = (backend: string, threads: number) =>
    `billing: report over ${SUBSCRIBERS.toLocaleString('en')} subscriber-months, 10% changing package (${backend}${backend === 'postgres' ? `, ${threads ? `${threads} writer thread${threads > 1 ? 's' : ''}` : "on the server's thread"}` : ''})`;
  let baseline: string | undefined;
  for (const backend of backends) {
    for (const r of await runChild(backend)) {
      const name = nameOf(backend, r.threads);
      results.push({
        name,
        opsPerSec: Math.round((r.records / r.reportMs) * 1000),
        p50Ms: r.reportMs,
        // Ratios against the first report (PostgreSQL with the default writer threads).
        baseline,
        extra: {
          records: r.records,
          historyRows: r.historyRows,
          jobMs: r.jobMs,
          seedMs: r.seedMs,
          downloadMs: r.downloadMs,
          // Less dependent on the machine's load than the times: the server process's CPU, every thread.
          reportCpuMs: r.reportCpuMs,
          downloadCpuMs: r.downloadCpuMs,
          csvMb: Math.round(r.csvBytes / MB),
          serverRssBeforeMb: r.rssBeforeMb,
          // The server process, writer threads included: the goal's figure.
          serverPeakRssDuringReportMb: r.peakRssDuringMb,
          serverPeakRssWithDownloadMb: r.peakRssWithDownloadMb,
          maxRssMb: r.maxRssMb,
          loadavg: (await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' '),
        },
      });
      baseline ??= name;
      console.log(`  ${name}: ${JSON.stringify(r)}`);
    }
  }
  return results;
}

if (process.argv[2] === '--download') {
  const res = await fetch(process.argv[3]!);
  if (!res.ok) throw new Error(`download: HTTP ${res.status}`);
  let csvBytes = 0;
  let lines = 0;
  for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
    csvBytes += part.length;
    for (let i = 0; i < part.length; i++) if (part[i] === 10) lines++;
  }
  // Exit once written: the fetch's keep-alive connection would hold the process for seconds.
  process.stdout.write(`${JSON.stringify({ csvBytes, lines })}\n`, () => process.exit(0));
}

if (process.argv[2] === '--child') {
  const result = await child(process.argv[3] as 'embedded' | 'postgres');
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}
