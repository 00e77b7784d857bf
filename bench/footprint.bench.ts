// Idle memory of a server started as `switchboard start` starts it (#18 part 1): RSS once the
// pollers have settled, for the whole product and with parts switched off, so each part's cost is
// the difference between two variants started the same way.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { BenchContext, BenchResult } from './bench-types.ts';

const MB = 1024 * 1024;
const root = path.resolve(import.meta.dirname, '..');
const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** A database of its own on the PostgreSQL server, recreated per run: nothing else's tables in it. */
const PG_DATABASE = 'switchboard_footprint_bench';
/** Seconds the server idles after /readyz before sampling starts: first polls, cron, the Lab's start. */
const IDLE_SECONDS = Number(process.env.FOOTPRINT_BENCH_IDLE_SECONDS ?? 20);
/** RSS is read every second; settled when the last SETTLE_SAMPLES span at most SETTLE_MB. */
const SETTLE_SAMPLES = Number(process.env.FOOTPRINT_BENCH_SETTLE_SAMPLES ?? 10);
const SETTLE_MB = 3;
/** Sampling gives up (and reports the last window) after this many seconds. */
const SETTLE_LIMIT_SECONDS = 120;

type Variant = { key: string; label: string; env: Record<string, string>; database: 'embedded' | 'postgres'; restart?: boolean };

const variants: Variant[] = [
  { key: 'full', label: 'embedded, Lab on, every area (first start)', env: {}, database: 'embedded' },
  { key: 'full-restart', label: 'embedded, Lab on, every area (restart on the same data dir)', env: {}, database: 'embedded', restart: true },
  // The parts' variants restart on the data directory of the variant before them, as full-restart
  // does, so that their difference to full-restart is the part alone and not a first start's extra.
  { key: 'no-lab', label: 'embedded, Lab off (restart)', env: { SWITCHBOARD_LAB: 'false' }, database: 'embedded', restart: true },
  { key: 'web', label: 'embedded, Lab on, role web: no job workers, no scheduler (restart)', env: { SWITCHBOARD_ROLE: 'web' }, database: 'embedded', restart: true },
  { key: 'postgres', label: 'PostgreSQL, Lab on, every area', env: { SWITCHBOARD_LAB: 'true' }, database: 'postgres' },
];

type Sample = { rssMb: number; rssAnonMb: number; rssFileMb: number; threads: number };
type Measured = Sample & { heapUsedMb: number; heapTotalMb: number; externalMb: number; arrayBuffersMb: number; settledAfterS: number; settled: boolean; startMs: number };

function readStatus(pid: number): Sample {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(status.match(new RegExp(`${field}:\\s+(\\d+)`))?.[1] ?? 0);
  return { rssMb: kb('VmRSS') / 1024, rssAnonMb: kb('RssAnon') / 1024, rssFileMb: kb('RssFile') / 1024, threads: kb('Threads') };
}

async function waitUntil<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`footprint: ${what} not within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${PG_DATABASE} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${PG_DATABASE}`);
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Starts `bin/switchboard.js start` (it re-executes itself with the server's V8 flags and environment, same pid). */
async function measure(variant: Variant, dataDir: string): Promise<Measured> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    SWITCHBOARD_DATA_DIR: dataDir,
    // Any free port, read back from the start banner: a port chosen here first could be taken by
    // the time the server binds it (the Lab's simulators bind ports of their own meanwhile).
    SWITCHBOARD_PORT: '0',
    SWITCHBOARD_LOG_LEVEL: 'error',
    SWITCHBOARD_MEMORY_REPORT: '1',
    ...variant.env,
  };
  delete env.DATABASE_URL;
  if (variant.database === 'postgres') {
    const url = new URL(POSTGRES_URL);
    url.pathname = `/${PG_DATABASE}`;
    env.DATABASE_URL = url.toString();
    env.SWITCHBOARD_SECRET_KEY = Buffer.alloc(32, 7).toString('base64');
  }
  const began = performance.now();
  const child: ChildProcess = spawn(process.execPath, [path.join(root, 'bin/switchboard.js'), 'start'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitUntil('/readyz', 300_000, async () => {
      if (child.exitCode !== null) throw new Error(`footprint: the server exited (${child.exitCode}): ${stderr.slice(-2000)}`);
      const url = stdout.match(/listening on (http:\/\/\S+)/)?.[1];
      if (!url) return undefined;
      const res = await fetch(`${url}/readyz`);
      return res.status === 200 ? true : undefined;
    }).catch((error) => {
      throw new Error(`${(error as Error).message}\n${stderr.slice(-2000)}`);
    });
    const startMs = Math.round(performance.now() - began);
    await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
    const window: Sample[] = [];
    const sampling = performance.now();
    let settled = false;
    while ((performance.now() - sampling) / 1000 < SETTLE_LIMIT_SECONDS) {
      window.push(readStatus(child.pid!));
      if (window.length > SETTLE_SAMPLES) window.shift();
      const rss = window.map((s) => s.rssMb);
      if (window.length === SETTLE_SAMPLES && Math.max(...rss) - Math.min(...rss) <= SETTLE_MB) {
        settled = true;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const last = window[window.length - 1]!;
    const mark = stdout.length;
    child.kill('SIGUSR2');
    const usage = await waitUntil('the memory report', 10_000, async () => {
      const line = stdout.slice(mark).split('\n').find((l) => l.startsWith('{"memoryUsage"'));
      return line ? (JSON.parse(line) as { memoryUsage: NodeJS.MemoryUsage }).memoryUsage : undefined;
    });
    return {
      ...last,
      heapUsedMb: usage.heapUsed / MB,
      heapTotalMb: usage.heapTotal / MB,
      externalMb: usage.external / MB,
      arrayBuffersMb: usage.arrayBuffers / MB,
      settledAfterS: Math.round(IDLE_SECONDS + (performance.now() - sampling) / 1000),
      settled,
      startMs,
    };
  } finally {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
}

export default async function run(context?: BenchContext): Promise<BenchResult[]> {
  const wanted = (process.env.FOOTPRINT_BENCH_VARIANTS ?? variants.map((v) => v.key).join(',')).split(',');
  const chosen = variants.filter((v) => wanted.includes(v.key));
  const results: BenchResult[] = [];
  const measured = new Map<string, Measured>();
  const baseName = (v: Variant) => `footprint: idle RSS, ${v.label}`;
  let dataDir = '';
  for (const variant of chosen) {
    if (variant.database === 'postgres' && !(await postgresReachable())) {
      context?.note(`PostgreSQL at ${POSTGRES_URL} not reachable: the PostgreSQL variant (PGlite's share) left out`);
      continue;
    }
    // A restart reuses the data directory of the variant before it; every other variant starts fresh.
    if (!variant.restart || !dataDir) {
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-footprint-'));
    }
    const m = await measure(variant, dataDir);
    measured.set(variant.key, m);
    const loadavg = os.loadavg().map((l) => l.toFixed(2)).join(' ');
    console.log(`  ${variant.key}: ${JSON.stringify({ ...m, loadavg })}`);
    results.push({
      name: baseName(variant),
      extra: {
        rssMb: Math.round(m.rssMb),
        rssAnonMb: Math.round(m.rssAnonMb),
        rssFileMb: Math.round(m.rssFileMb),
        threads: m.threads,
        // The main thread's heap swings by tens of MB with the timing of its next full GC (its idle
        // pollers allocate ~3 MB/s, so V8's memory reducer never runs): the rest of the RSS is what
        // compares between variants and runs.
        rssOutsideMainHeapMb: Math.round(m.rssMb - m.heapTotalMb),
        mainHeapUsedMb: Math.round(m.heapUsedMb),
        mainHeapTotalMb: Math.round(m.heapTotalMb),
        mainExternalMb: Math.round(m.externalMb),
        mainArrayBuffersMb: Math.round(m.arrayBuffersMb),
        readyAfterMs: m.startMs,
        sampledAfterS: m.settledAfterS,
        settled: m.settled ? 'yes' : `no (RSS moved more than ${SETTLE_MB} MB over ${SETTLE_SAMPLES} s)`,
        loadavg,
      },
    });
  }
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  // Each part's cost: the difference between the whole product and the variant without it.
  const full = measured.get('full-restart') ?? measured.get('full');
  const share = (key: string, part: string) => {
    const other = measured.get(key);
    if (!full || !other) return;
    const outside = (m: Measured) => Math.round(m.rssMb - m.heapTotalMb);
    context?.note(
      `${part}: ${Math.round(full.rssMb - other.rssMb)} MB (whole ${Math.round(full.rssMb)} − ${key} ${Math.round(other.rssMb)}); ` +
        `outside the main thread's heap ${outside(full) - outside(other)} MB (${outside(full)} − ${outside(other)})`,
    );
  };
  share('no-lab', 'Lab');
  share('web', 'job workers and scheduler');
  share('postgres', 'PGlite (embedded database) over a PostgreSQL connection pool');
  return results;
}
