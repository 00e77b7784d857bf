// The platform's first benches (issue 2, "Proof"): job throughput and authenticated GET latency
// under load, each on the embedded database and on PostgreSQL. PostgreSQL is the baseline, so the
// ratio column reads embedded ÷ PostgreSQL.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import pg from 'pg';
import { z } from 'zod';
import { createSwitchboard, type Switchboard } from '../platform/app.ts';
import { systemActor } from '../platform/auth/actor.ts';
import { defineJob, type JobDefinition } from '../platform/jobs/define-job.ts';
import { createTestDatabase, type TestDatabase } from '../test/support/test-database.ts';
import type { BenchContext, BenchResult } from './bench-types.ts';

const JOBS = Number(process.env.BENCH_JOBS ?? 500);
const WARMUP_JOBS = 20;
/** Callers sending at once: an API under use sends from several requests concurrently. */
const SENDERS = 10;
const HTTP_CONNECTIONS = 10;
const HTTP_SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 5);
const HTTP_PATH = '/api/v1/jobs?limit=20';
/** Defaults are the product's; BENCH_JOB_CONCURRENCY / BENCH_JOB_POLL_SECONDS measure other settings. */
const jobSettings = { jobConcurrency: process.env.BENCH_JOB_CONCURRENCY, jobPollSeconds: process.env.BENCH_JOB_POLL_SECONDS };
const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const system = systemActor('bench');
const payload = z.object({ n: z.number().int() });
const noop = defineJob({ queue: 'bench.noop', input: payload, title: ({ n }) => `bench noop ${n}`, run: async (_ctx, { n }) => ({ n }) });
const warmup = defineJob({ queue: 'bench.warmup', input: payload, title: ({ n }) => `bench warm-up ${n}`, run: async () => null });

type Backend = { label: 'PostgreSQL' | 'embedded'; databaseUrl: string | undefined };

export default async function run(context: BenchContext): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const backends: Backend[] = [];
  const unreachable = await postgresProblem(POSTGRES_URL);
  if (unreachable) context.note(`PostgreSQL skipped: ${redactUrl(POSTGRES_URL)} unreachable (${unreachable}); set BENCH_DATABASE_URL`);
  else backends.push({ label: 'PostgreSQL', databaseUrl: POSTGRES_URL });
  backends.push({ label: 'embedded', databaseUrl: undefined });

  const enqueueName = (label: string) => `jobs: enqueue, ${SENDERS} callers (${label})`;
  const jobsName = (label: string) => `jobs: ${JOBS} noop end-to-end (${label})`;
  const httpName = (label: string) => `http: authenticated GET job list, ${HTTP_CONNECTIONS} conn (${label})`;

  for (const backend of backends) {
    const wantEnqueue = context.wants(enqueueName(backend.label));
    const wantJobs = context.wants(jobsName(backend.label));
    const wantHttp = context.wants(httpName(backend.label));
    if (!wantEnqueue && !wantJobs && !wantHttp) continue;
    const baseline = backend.label === 'embedded' && !unreachable ? 'PostgreSQL' : undefined;
    console.log(`  ${backend.label}: starting`);
    const { sb, database } = await startSwitchboard(backend);
    try {
      await sendAndDrain(sb, warmup, WARMUP_JOBS);
      // The HTTP bench lists jobs, so the table holds the same rows whether or not `jobs` ran.
      const jobs = await sendAndDrain(sb, noop, JOBS);
      if (wantEnqueue) {
        results.push({
          name: enqueueName(backend.label),
          opsPerSec: JOBS / (jobs.sendMs / 1000),
          p50Ms: round(jobs.sendLatency.p50, 100),
          p99Ms: round(jobs.sendLatency.p99, 100),
          baseline: baseline && enqueueName(baseline),
          extra: { jobs: JOBS, senders: SENDERS, latency: 'one jobs.send (record + queue insert, one transaction)' },
        });
      }
      if (wantJobs) {
        results.push({
          name: jobsName(backend.label),
          opsPerSec: JOBS / (jobs.totalMs / 1000),
          p50Ms: jobs.latency.p50,
          p99Ms: jobs.latency.p99,
          baseline: baseline && jobsName(baseline),
          extra: { jobs: JOBS, senders: SENDERS, sendMs: round(jobs.sendMs), totalMs: round(jobs.totalMs), concurrencyPerQueue: sb.services.config.jobConcurrency, pollSeconds: sb.services.config.jobPollSeconds, latency: 'created → finished, per job', note: 'drains at most jobConcurrency/jobPollSeconds jobs/s per queue per process (pg-boss polls after every job)' },
        });
        console.log(`  ${backend.label}: ${JOBS} jobs in ${(jobs.totalMs / 1000).toFixed(2)} s`);
      }
      if (wantHttp) {
        const token = (await sb.services.auth.createApiToken({ name: 'bench', role: 'read_only_admin' }, system)).token;
        const url = (await sb.listen()) + HTTP_PATH;
        await loadTest(url, token, 1); // warm-up: JIT, pool connections, plan caches
        const load = await loadTest(url, token, HTTP_SECONDS);
        if (load.non2xx > 0 || load.errors > 0) throw new Error(`GET ${HTTP_PATH} on ${backend.label}: ${load.non2xx} non-2xx, ${load.errors} errors`);
        results.push({
          name: httpName(backend.label),
          opsPerSec: load.requests.total / load.duration,
          p50Ms: load.latency.p50,
          p99Ms: load.latency.p99,
          baseline: baseline && httpName(baseline),
          extra: { path: HTTP_PATH, connections: HTTP_CONNECTIONS, seconds: HTTP_SECONDS, requests: load.requests.total, maxMs: load.latency.max, rowsInTable: JOBS + WARMUP_JOBS, token: 'read_only_admin API token' },
        });
        console.log(`  ${backend.label}: ${load.requests.total} GETs, p99 ${load.latency.p99} ms`);
      }
    } finally {
      await sb.close();
      await database.drop();
    }
  }
  return results;
}

async function startSwitchboard(backend: Backend): Promise<{ sb: Switchboard; database: TestDatabase }> {
  // createTestDatabase picks its server from process.env.DATABASE_URL: set it for this call only.
  const saved = process.env.DATABASE_URL;
  if (backend.databaseUrl) process.env.DATABASE_URL = backend.databaseUrl;
  else delete process.env.DATABASE_URL;
  let database: TestDatabase;
  try {
    database = await createTestDatabase(jobSettings);
  } finally {
    if (saved === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = saved;
  }
  try {
    const sb = await createSwitchboard({ config: database.config, jobs: [noop, warmup], createFirstAdmin: false });
    return { sb, database };
  } catch (error) {
    await database.drop();
    throw error;
  }
}

/** Sends `count` jobs from SENDERS concurrent callers and waits until every one has completed. */
async function sendAndDrain(sb: Switchboard, definition: JobDefinition<{ n: number }>, count: number) {
  const { jobs } = sb.services;
  const began = performance.now();
  let next = 0;
  const sendLatencies: number[] = [];
  await Promise.all(
    Array.from({ length: Math.min(SENDERS, count) }, async () => {
      while (next < count) {
        const sendBegan = performance.now();
        await jobs.send(definition, { n: next++ }, { actor: system });
        sendLatencies.push(performance.now() - sendBegan);
      }
    }),
  );
  const sendMs = performance.now() - began;
  sendLatencies.sort((a, b) => a - b);
  const deadline = Date.now() + 300_000;
  for (;;) {
    const done = await jobs.list({ queue: definition.queue, state: ['completed'] }, { offset: 0, limit: 1 });
    if (done.total >= count) break;
    const failed = await jobs.list({ queue: definition.queue, state: ['failed', 'retry'] }, { offset: 0, limit: 1 });
    if (failed.total > 0) throw new Error(`${failed.total} ${definition.queue} job(s) failed: ${JSON.stringify(failed.items[0]?.error)}`);
    if (Date.now() > deadline) throw new Error(`${definition.queue}: only ${done.total} of ${count} jobs completed in 5 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const totalMs = performance.now() - began;
  const records = await jobs.list({ queue: definition.queue }, { offset: 0, limit: count });
  const latencies = records.items.map((job) => job.finishedAt!.getTime() - job.createdAt.getTime()).sort((a, b) => a - b);
  return {
    sendMs,
    totalMs,
    sendLatency: { p50: percentile(sendLatencies, 50), p99: percentile(sendLatencies, 99) },
    latency: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
  };
}

type LoadResult = {
  duration: number;
  errors: number;
  non2xx: number;
  latency: { p50: number; p99: number; max: number };
  requests: { total: number };
};

/** autocannon in a process of its own, so the load generator does not share the server's event loop. */
async function loadTest(url: string, token: string, seconds: number): Promise<LoadResult> {
  const cli = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
  const args = [cli, '--json', '-c', String(HTTP_CONNECTIONS), '-d', String(seconds), '-H', `authorization=Bearer ${token}`, url];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`autocannon exited ${code}: ${stderr.trim()}`);
  return JSON.parse(stdout) as LoadResult;
}

async function postgresProblem(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return error instanceof Error ? error.message || error.name : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const round = (value: number, per = 10) => Math.round(value * per) / per;
const redactUrl = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
