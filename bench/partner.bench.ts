// Partner provisioning: (1) flow-through — N XML `add` requests to the Provisioning Bridge as the
// BroadWorks AS sends them (HTTP Basic, one per user), accepted per second (goal ≥500/s) and the
// time until every subscriber is provisioned by the jobs; (2) `GET /v1/broadworks/subscribers` p99
// with filters and max=100 over a large table seeded with generate_series (1,000,000 on PostgreSQL).
// Embedded and PostgreSQL side by side.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { sql } from 'drizzle-orm';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { partnerArea } from '../partner/partner.area.ts';
import { bridgePath } from '../partner/flow-through.routes.ts';
import type { BenchContext, BenchResult } from './bench-types.ts';
import { postgresUnreachable } from './postgres.ts';
import { addXml } from './partner-adds.worker.ts';

const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const FLOW_THROUGH = Number(process.env.PARTNER_BENCH_REQUESTS ?? 10_000);
const CONCURRENCY = Number(process.env.PARTNER_BENCH_CONCURRENCY ?? 32);
/** Where the AS's requests come from: a thread of their own (`thread`), or the server's event loop (`process`, the shape before 2026-12-07). */
const CLIENT = process.env.PARTNER_BENCH_CLIENT ?? 'thread';
if (CLIENT !== 'thread' && CLIENT !== 'process') throw new Error(`PARTNER_BENCH_CLIENT must be thread or process, not ${CLIENT}`);
const LIST_SIZE = { postgres: Number(process.env.PARTNER_BENCH_SUBSCRIBERS ?? 1_000_000), embedded: Number(process.env.PARTNER_BENCH_SUBSCRIBERS_EMBEDDED ?? 100_000) };
const LIST_REQUESTS = 200;
const BACKENDS = (process.env.PARTNER_BENCH_BACKENDS ?? 'embedded,postgres').split(',');
/** Stop waiting for the jobs after this long (the accept rate is measured regardless). */
const PROVISION_WAIT_MS = Number(process.env.PARTNER_BENCH_WAIT_SECONDS ?? 1800) * 1000;

async function withSwitchboard<T>(backend: 'embedded' | 'postgres', run: (t: TestSwitchboard) => Promise<T>) {
  const previous = process.env.DATABASE_URL;
  if (backend === 'postgres') process.env.DATABASE_URL = POSTGRES_URL;
  else delete process.env.DATABASE_URL;
  const t = await startTestSwitchboard({ areas: [partnerArea], config: { jobPollSeconds: 0.5 } as never });
  try {
    return await run(t);
  } finally {
    await t.close();
    if (previous === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = previous;
  }
}

async function template(t: TestSwitchboard) {
  const cluster = await t.api('POST', '/api/v1/partner/clusters', {
    name: 'bench',
    xsiActionsUrl: 'https://xsp.example.com/com.broadsoft.xsi-actions/v2.0/',
    xsiEventsUrl: 'https://xsp.example.com/com.broadsoft.xsi-events/v2.0/',
    authServiceUrl: 'https://xsp.example.com/authService',
  });
  const made = await t.api('POST', '/api/v1/partner/templates', { name: 'bench-template', clusterId: cluster.body.id, provisioningAccount: 'bench', provisioningPassword: 'bench-secret', partnerAdminEmail: 'admin@partner.example' });
  if (made.status !== 201) throw new Error(`bench: template ${JSON.stringify(made.body)}`);
  return made.body as { id: string; provisioningId: string };
}

const count = async (t: TestSwitchboard, status: string) => {
  const result = await t.sb.services.database.db.execute(sql`select count(*)::int as n from partner_subscribers where status = ${status}`);
  return (result.rows[0] as { n: number }).n;
};

async function flowThrough(backend: 'embedded' | 'postgres'): Promise<BenchResult[]> {
  return withSwitchboard(backend, async (t) => {
    const { provisioningId } = await template(t);
    const url = t.url + bridgePath(provisioningId);
    const authorization = `Basic ${Buffer.from('bench:bench-secret').toString('base64')}`;
    const cpuBefore = process.cpuUsage();
    const sent = CLIENT === 'thread' ? await sendFromThread(url, authorization) : await sendInProcess(url, authorization);
    // CPU of this process per add during the accepts (every thread: the server, PGlite's worker, and
    // an in-process client; a client thread's own CPU is taken out): on a shared machine it moves
    // far less with the load than the rate does.
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMsPerAdd = Math.round((((cpu.user + cpu.system) / 1000 - (sent.clientCpuMs ?? 0)) / FLOW_THROUGH) * 100) / 100;
    const clientCpuMsPerAdd = sent.clientCpuMs === undefined ? undefined : Math.round((sent.clientCpuMs / FLOW_THROUGH) * 100) / 100;
    const acceptedAt = performance.now();
    let provisioned = 0;
    for (;;) {
      provisioned = await count(t, 'provisioned');
      if (provisioned + sent.failed >= FLOW_THROUGH || performance.now() - acceptedAt > PROVISION_WAIT_MS) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const allMs = sent.ms + performance.now() - acceptedAt;
    const label = `partner: ${FLOW_THROUGH.toLocaleString('en')} flow-through adds (${backend}${CLIENT === 'thread' ? '' : ', client in process'})`;
    const cpuText = CLIENT === 'thread' ? `${cpuMsPerAdd} ms CPU of the server per add (client thread ${clientCpuMsPerAdd} ms)` : `${cpuMsPerAdd} ms CPU of the process per add`;
    console.log(`  ${label}: ${Math.round((FLOW_THROUGH / sent.ms) * 1000)}/s accepted, ${cpuText}, load ${os.loadavg()[0]!.toFixed(2)}`);
    const results: BenchResult[] = [
      { name: `${label}, accepted`, opsPerSec: Math.round((FLOW_THROUGH / sent.ms) * 1000), p50Ms: Math.round(sent.ms), extra: { concurrency: CONCURRENCY, client: CLIENT, failed: sent.failed, cpuMsPerAdd, ...(clientCpuMsPerAdd === undefined ? {} : { clientCpuMsPerAdd }) } },
      { name: `${label}, all provisioned`, opsPerSec: Math.round((provisioned / allMs) * 1000), p50Ms: Math.round(allMs), extra: { provisioned } },
    ];
    return results;
  });
}

type Sent = { ms: number; failed: number; clientCpuMs?: number };

/** The AS as another machine would be: a thread of its own (partner-adds.worker.ts). */
async function sendFromThread(url: string, authorization: string): Promise<Sent> {
  const worker = new Worker(new URL('./partner-adds.worker.ts', import.meta.url), { workerData: { url, authorization, requests: FLOW_THROUGH, concurrency: CONCURRENCY } });
  try {
    const outcome = await new Promise<Sent & { type: string; error?: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    if (outcome.type !== 'done') throw new Error(`bench: ${outcome.error}`);
    return outcome;
  } finally {
    await worker.terminate();
  }
}

/** The shape before 2026-12-07: fetch on the server's own event loop (PARTNER_BENCH_CLIENT=process). */
async function sendInProcess(url: string, authorization: string): Promise<Sent> {
  let next = 0;
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < FLOW_THROUGH; i = next++) {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/xml', authorization }, body: addXml(i) });
        const text = await res.text();
        if (res.status !== 200 || !text.includes('<status>accepted</status>')) failed += 1;
      }
    }),
  );
  return { ms: performance.now() - started, failed };
}

async function listP99(backend: 'embedded' | 'postgres'): Promise<BenchResult[]> {
  const size = LIST_SIZE[backend];
  return withSwitchboard(backend, async (t) => {
    const { id: templateId, provisioningId } = await template(t);
    const seedStarted = performance.now();
    // 1,000 enterprises; 1 in 50 errored, 1 in 20 pending email; created one minute apart.
    await t.sb.services.database.db.execute(sql`
      insert into partner_subscribers (id, user_id, sp_enterprise_id, template_id, provisioning_id, first_name, last_name, email, primary_phone_number, package, status, errors, self_activated, source, created, last_status_change)
      select gen_random_uuid(), 'u' || g || '@bench.sp', 'BenchSP+g' || (g % 1000), ${templateId}, ${provisioningId}, 'User', 'N' || g, 'u' || g || '@bench.example', '+1-555-' || g,
             (array['softphone','basic','standard','premium'])[1 + g % 4],
             case when g % 50 = 0 then 'error' when g % 20 = 0 then 'pending_email_input' else 'provisioned' end,
             '[]'::jsonb, g % 10 = 0, 'api',
             timestamptz '2025-01-01' + g * interval '1 minute', timestamptz '2025-01-01' + g * interval '1 minute'
      from generate_series(1, ${size}) g`);
    await t.sb.services.database.db.execute(sql`analyze partner_subscribers`);
    const seedMs = performance.now() - seedStarted;
    const queries = [
      ['spEnterpriseId', () => `spEnterpriseId=${encodeURIComponent(`BenchSP+g${Math.floor(Math.random() * 1000)}`)}&max=100`],
      ['status=error', () => `status=error&max=100`],
      ['provisioningId + status=provisioned,error', () => `provisioningId=${encodeURIComponent(provisioningId)}&status=provisioned,error&max=100`],
      ['after + selfActivated', () => `after=${new Date(Date.parse('2025-01-01') + Math.floor(Math.random() * size) * 60_000).toISOString()}&selfActivated=true&max=100`],
      ['userId', () => `userId=${encodeURIComponent(`u${1 + Math.floor(Math.random() * size)}@bench.sp`)}&max=100`],
    ] as const;
    const results: BenchResult[] = [];
    for (const [name, query] of queries) {
      const times: number[] = [];
      for (let i = 0; i < LIST_REQUESTS; i++) {
        const started = performance.now();
        const res = await t.api('GET', `/v1/broadworks/subscribers?${query()}`);
        times.push(performance.now() - started);
        if (res.status !== 200) throw new Error(`bench: list ${res.status} ${JSON.stringify(res.body)}`);
      }
      times.sort((a, b) => a - b);
      results.push({
        name: `partner: list subscribers ${name}, max=100, ${size.toLocaleString('en')} rows (${backend})`,
        p50Ms: Math.round(times[Math.floor(times.length / 2)]! * 10) / 10,
        p99Ms: Math.round(times[Math.floor(times.length * 0.99)]! * 10) / 10,
        extra: { requests: LIST_REQUESTS, seedMs: Math.round(seedMs) },
      });
    }
    return results;
  });
}

export default async function run(context?: BenchContext): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const backends: Array<'embedded' | 'postgres'> = [];
  if (BACKENDS.includes('embedded')) backends.push('embedded');
  if (BACKENDS.includes('postgres') && !(await postgresUnreachable(POSTGRES_URL))) backends.push('postgres');
  else context?.note(`partner: PostgreSQL at ${POSTGRES_URL} not reachable; embedded only`);
  const parts = (process.env.PARTNER_BENCH_PARTS ?? 'flow-through,list subscribers').split(',');
  const wants = (name: string) => parts.includes(name) && (!context || context.wants(name));
  for (const backend of backends) if (wants('flow-through')) results.push(...(await flowThrough(backend)));
  for (const backend of backends) if (wants('list subscribers')) results.push(...(await listP99(backend)));
  context?.note(`partner: load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  return results;
}
