// Partner billing (P16): the report of a month over 1,000,000 subscriber-months, 10% of them
// changing package once inside the month (1,100,000 records) — goal ≤10 s and peak RSS ≤300 MB,
// the CSV written and served as a stream. Embedded and, when reachable, PostgreSQL, side by side.
// Each backend runs in a child process of its own, so its peak RSS is its own.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { BenchContext, BenchResult } from './bench-types.ts';

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
  records: number;
  csvBytes: number;
  rssBeforeMb: number;
  peakRssDuringMb: number;
  /** Including the download, whose client is this process as well. */
  peakRssWithDownloadMb: number;
  maxRssMb: number;
  /** Writer child processes (PostgreSQL): the largest peak RSS of one, and their sum. */
  writerMaxRssMb: number | null;
  writersTotalMaxRssMb: number | null;
  /** SWITCHBOARD_BILLING_REPORT_PROCESSES of this report (0: in the server process). */
  processes: number;
};

async function postgresReachable() {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/** In the child: a Switchboard on a fresh database, seeded with SQL, one report made and downloaded. */
async function child(backend: 'embedded' | 'postgres'): Promise<ChildResult[]> {
  if (backend === 'postgres') process.env.DATABASE_URL = POSTGRES_URL;
  else delete process.env.DATABASE_URL;
  const { startTestSwitchboard } = await import('../test/support/test-switchboard.ts');
  const { partnerArea } = await import('../partner/partner.area.ts');
  const t = await startTestSwitchboard({ areas: [partnerArea], config: { jobPollSeconds: 0.5 } as never });
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

    // PostgreSQL: one report per count of writer processes (SWITCHBOARD_BILLING_REPORT_PROCESSES), on
    // the same history, each deleted before the next; embedded writes in the server process.
    const variants = backend === 'postgres' ? (process.env.BILLING_BENCH_PROCESSES ?? '2,1').split(',').map(Number) : [0];
    const results: ChildResult[] = [];
    for (const processes of variants) {
      t.sb.services.config.billingReportProcesses = processes;
      results.push({ ...(await reportOnce()), processes });
    }
    return results;

    async function reportOnce(): Promise<Omit<ChildResult, 'processes'>> {
      const rssBefore = process.memoryUsage.rss();
      let peak = rssBefore;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 25);
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
      // The server's peak while it made the report; the download below runs in this process too.
      const peakDuringReport = Math.max(peak, process.memoryUsage.rss());
      if (report.status !== 'COMPLETED') throw new Error(`report ${report.status}: ${JSON.stringify(report.errors)}`);
      const detail = (await t.api('GET', `/api/v1/partner/billing/reports/${created.body.id}`)).body;
      const job = (await t.api('GET', `/api/v1/jobs/${detail.jobId}`)).body;
      const jobMs = new Date(job.finishedAt).getTime() - new Date(job.startedAt).getTime();

      // The download, streamed and counted (never held whole).
      const downloadStart = performance.now();
      const res = await fetch(report.tempDownloadURL);
      let csvBytes = 0;
      let lines = 0;
      for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
        csvBytes += part.length;
        for (let i = 0; i < part.length; i++) if (part[i] === 10) lines++;
      }
      const downloadMs = performance.now() - downloadStart;
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
        records: detail.recordCount,
        csvBytes,
        rssBeforeMb: Math.round(rssBefore / MB),
        peakRssDuringMb: Math.round(peakDuringReport / MB),
        peakRssWithDownloadMb: Math.round(peak / MB),
        // resourceUsage().maxRSS is in kilobytes.
        maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
        writerMaxRssMb: job.result?.maxRssMb ?? null,
        writersTotalMaxRssMb: job.result?.totalMaxRssMb ?? null,
      };
    }
  } finally {
    await t.close();
  }
}

async function runChild(backend: 'embedded' | 'postgres'): Promise<ChildResult[]> {
  const { stdout } = await promisify(execFile)(process.execPath, [import.meta.filename, '--child', backend], {
    cwd: path.resolve(import.meta.dirname, '..'),
    maxBuffer: 16 * MB,
    env: { ...process.env },
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
    if (await postgresReachable()) backends.push('postgres');
    else context?.note(`PostgreSQL at ${POSTGRES_URL} not reachable; embedded only`);
  }
  if (wanted.includes('embedded')) backends.push('embedded');
  const results: BenchResult[] = [];
  const nameOf = (backend: string, processes: number) =>
    `billing: report over ${SUBSCRIBERS.toLocaleString('en')} subscriber-months, 10% changing package (${backend}${backend === 'postgres' ? `, ${processes ? `${processes} writer process${processes > 1 ? 'es' : ''}` : 'in the server process'}` : ''})`;
  let baseline: string | undefined;
  for (const backend of backends) {
    for (const r of await runChild(backend)) {
      const name = nameOf(backend, r.processes);
      results.push({
        name,
        opsPerSec: Math.round((r.records / r.reportMs) * 1000),
        p50Ms: r.reportMs,
        // Ratios against the first report (PostgreSQL with the default writer processes).
        baseline,
        extra: {
          records: r.records,
          historyRows: r.historyRows,
          jobMs: r.jobMs,
          seedMs: r.seedMs,
          downloadMs: r.downloadMs,
          csvMb: Math.round(r.csvBytes / MB),
          serverRssBeforeMb: r.rssBeforeMb,
          serverPeakRssDuringReportMb: r.peakRssDuringMb,
          serverAndDownloadClientPeakRssMb: r.peakRssWithDownloadMb,
          writerProcessPeakRssMb: r.writerMaxRssMb ?? 'none',
          writerProcessesPeakRssSumMb: r.writersTotalMaxRssMb ?? 'none',
          loadavg: (await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' '),
        },
      });
      baseline ??= name;
      console.log(`  ${name}: ${JSON.stringify(r)}`);
    }
  }
  return results;
}

if (process.argv[2] === '--child') {
  const result = await child(process.argv[3] as 'embedded' | 'postgres');
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}
