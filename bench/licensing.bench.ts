// Licensing (L2): a full virtual-account sync from the CSSM simulator — OAuth2 token, pages of 1,000
// over HTTP, satellite VAs dropped, the listing stored in one journalled transaction — for the seed's
// 1,285 VAs and for 100,000 (goal: ≤2 s for 1,285 and linear growth), embedded and, when reachable,
// PostgreSQL.
import { createCssmSimulator } from '../lab/cssm/cssm.simulator.ts';
import { seedLabSmartAccount } from '../lab/cssm/cssm.seed.ts';
import { startTestSwitchboard } from '../test/support/test-switchboard.ts';
import { createLicensingArea } from '../licensing/licensing.area.ts';
import type { BenchContext, BenchResult } from './bench-types.ts';
import { postgresUnreachable } from './postgres.ts';

const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SIZES = (process.env.LICENSING_BENCH_SIZES ?? '1285,100000').split(',').map(Number);

async function syncOnce(size: number, backend: 'embedded' | 'postgres'): Promise<BenchResult[]> {
  const previous = process.env.DATABASE_URL;
  if (backend === 'postgres') process.env.DATABASE_URL = POSTGRES_URL;
  else delete process.env.DATABASE_URL;
  const cssm = createCssmSimulator({ clock: { now: () => new Date(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) }, clients: [{ clientId: 'bench', clientSecret: 'bench-secret', domains: ['bench.example.com'] }] });
  const { satellite } = seedLabSmartAccount(cssm, { domain: 'bench.example.com', virtualAccounts: size });
  await cssm.start();
  const t = await startTestSwitchboard({ areas: [createLicensingArea({ syncPageSize: 1000 })], config: { jobPollSeconds: 0.5 } as never });
  try {
    const timeSync = async (jobId: string) => {
      for (;;) {
        const job = (await t.api('GET', `/api/v1/jobs/${jobId}`)).body;
        if (job.state === 'completed') return new Date(job.finishedAt).getTime() - new Date(job.startedAt).getTime();
        if (job.state === 'failed') throw new Error(`bench sync failed: ${JSON.stringify(job.error)}`);
        // The console polls a job every second; polling every 20 ms queued behind the one embedded
        // connection and slowed the job it measures (its own start and end times are what count).
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    const created = await t.api('POST', '/api/v1/licensing/smart-accounts', { domain: 'bench.example.com', clientId: 'bench', clientSecret: 'bench-secret', authGatewayUrl: cssm.tokenUrl, cssmServerUrl: cssm.apiBase });
    const firstMs = await timeSync(created.body.syncJobId);
    const again = await t.api('POST', `/api/v1/licensing/smart-accounts/${created.body.smartAccount.id}/sync`);
    const resyncMs = await timeSync(again.body.jobId);
    const list = performance.now();
    await t.api('GET', `/api/v1/licensing/virtual-accounts?name=Customer%200999&offset=0&limit=50`);
    const deep = await t.api('GET', `/api/v1/licensing/virtual-accounts?offset=${Math.max(0, size - 2000)}&limit=50`);
    const listMs = performance.now() - list;
    if (deep.status !== 200) throw new Error('bench: listing failed');
    const label = `licensing: sync ${size.toLocaleString('en')} VAs (${backend})`;
    return [
      { name: `${label}, first`, opsPerSec: Math.round((size / firstMs) * 1000), p50Ms: firstMs, extra: { virtualAccounts: size, satelliteIgnored: satellite, pageSize: 1000 } },
      { name: `${label}, again`, opsPerSec: Math.round((size / resyncMs) * 1000), p50Ms: resyncMs, baseline: `${label}, first` },
      { name: `licensing: VA summary filter + deep page at ${size.toLocaleString('en')} (${backend})`, p50Ms: Math.round(listMs / 2) },
    ];
  } finally {
    await t.close();
    await cssm.stop();
    if (previous === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = previous;
  }
}

export default async function run(context?: BenchContext): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const backends: Array<'embedded' | 'postgres'> = ['embedded'];
  if (!(await postgresUnreachable(POSTGRES_URL))) backends.push('postgres');
  else context?.note(`licensing: PostgreSQL at ${POSTGRES_URL} not reachable; embedded only`);
  for (const backend of backends) {
    for (const size of SIZES) results.push(...(await syncOnce(size, backend)));
  }
  return results;
}
