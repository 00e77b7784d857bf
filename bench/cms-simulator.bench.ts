// How much load the CMS simulator takes (goal: ≥3,000 req/s on one core with keep-alive, so it is never
// the bottleneck of Meetings benchmarks) and what 100,000 coSpaces cost in memory (goal: ≤200 MB).
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createCmsCluster } from '../lab/cms/cms.cluster.ts';

import type { BenchContext, BenchResult } from './bench-types.ts';

type AutocannonResult = { requests: { average: number; total: number }; latency: { p50: number; p99: number; average: number }; non2xx: number; errors: number; timeouts: number };
type AutocannonOptions = { url: string; connections: number; pipelining?: number; duration: number; headers?: Record<string, string>; method?: string; body?: string };
const autocannon = createRequire(import.meta.url)('autocannon') as (options: AutocannonOptions) => Promise<AutocannonResult>;

const AUTH = `Basic ${Buffer.from('admin:admin').toString('base64')}`;
const DURATION_S = Number(process.env.CMS_BENCH_SECONDS ?? 5);

async function startWorker(spaces: number): Promise<{ baseUrl: string; stop: () => Promise<void> }> {
  const worker = new Worker(new URL('../lab/cms/cms.bench-worker.ts', import.meta.url), { workerData: { spaces } });
  const baseUrl = await new Promise<string>((resolve, reject) => {
    worker.once('message', (m: { baseUrl: string }) => resolve(m.baseUrl));
    worker.once('error', reject);
  });
  return {
    baseUrl,
    stop: async () => {
      const stopped = new Promise((resolve) => worker.once('message', resolve));
      worker.postMessage('stop');
      await stopped;
      await worker.terminate();
    },
  };
}

async function load(name: string, url: string, extra: Partial<AutocannonOptions> = {}): Promise<BenchResult> {
  const result = await autocannon({ url, connections: 10, duration: DURATION_S, headers: { authorization: AUTH }, ...extra });
  return {
    name,
    opsPerSec: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    extra: { requests: result.requests.total, non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts, connections: 10 },
  };
}

function gc() {
  setFlagsFromString('--expose_gc');
  const collect = runInNewContext('gc') as (() => void) | undefined;
  collect?.();
  collect?.();
}

async function memoryWith100kSpaces(): Promise<BenchResult> {
  gc();
  const before = process.memoryUsage();
  const cluster = await createCmsCluster({ name: 'memory', nodes: [{ name: 'mem-1' }], tickMs: 0 });
  const started = performance.now();
  // The pool the way TMS makes it: one bulk parameter set, one sync.
  const set = cluster.store.create('cospaceBulkParameterSets', new Map([['startIndex', '1'], ['endIndex', '100000'], ['coSpaceUriMapping', 'meet.$index$'], ['coSpaceNameMapping', 'Scheduled meeting $index$'], ['coSpaceCallIdMapping', '7$index$']]));
  const sync = cluster.store.createBulkSync(new Map([['cospaceBulkParameterSet', set.id]]), 0);
  cluster.store.runBulkSync(sync);
  const seconds = (performance.now() - started) / 1000;
  gc();
  const after = process.memoryUsage();
  const count = cluster.store.collections.coSpaces.size;
  const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;
  return {
    name: 'cms-simulator: memory with 100,000 coSpaces (bulk sync)',
    opsPerSec: Math.round(count / seconds),
    extra: { coSpaces: count, status: sync.status, heapUsedDeltaMB: mb(after.heapUsed - before.heapUsed), rssDeltaMB: mb(after.rss - before.rss), rssMB: mb(after.rss), goalMB: 200 },
  };
}

export default async function run(context?: BenchContext): Promise<BenchResult[]> {
  context?.note('cms-simulator: the simulator runs in a worker thread (one core); autocannon shares the machine, so a loaded machine lowers the figures.');
  const results: BenchResult[] = [];
  const server = await startWorker(100_000);
  try {
    // Warm-up: JIT and the GC settle after 100,000 spaces were created.
    await autocannon({ url: `${server.baseUrl}/api/v1/system/status`, connections: 10, duration: 1, headers: { authorization: AUTH } });
    results.push(await load('cms-simulator: GET /api/v1/system/status (keep-alive, 1 core)', `${server.baseUrl}/api/v1/system/status`));
    results.push(await load('cms-simulator: GET /api/v1/coSpaces?limit=10 of 100,000 (keep-alive, 1 core)', `${server.baseUrl}/api/v1/coSpaces?limit=10`));
    results.push(await load('cms-simulator: GET /api/v1/coSpaces?offset=50000&limit=10 of 100,000', `${server.baseUrl}/api/v1/coSpaces?offset=50000&limit=10`));
    results.push(
      await load('cms-simulator: POST /api/v1/calls (form body, Location)', `${server.baseUrl}/api/v1/calls`, {
        method: 'POST',
        body: 'name=bench',
        headers: { authorization: AUTH, 'content-type': 'application/x-www-form-urlencoded' },
      }),
    );
  } finally {
    await server.stop();
  }
  results.push(await memoryWith100kSpaces());
  return results;
}

if (import.meta.main) {
  for (const result of await run()) console.log(JSON.stringify(result));
}
