// Issue #14 part 4, bench-sized: the fault invariants of meetings/fault-invariants.testkit.ts (no
// shared or left calls, spaces reset, dial-in with the passcode accepted, every meeting started) with
// more meetings and faults than the CI test, on the embedded database and, when reachable,
// PostgreSQL; one seed with CDRs and one without. A violation fails the bench.
// MEETINGS_FAULTS_BENCH_MEETINGS (40), _FAULTS (30), _SLOTS (10), _SEEDS (1414,4141), _DATABASES.
import { runFaultInvariants } from '../meetings/fault-invariants.testkit.ts';
import type { BenchContext, BenchResult } from './bench-types.ts';
import { postgresUnreachable } from './postgres.ts';

const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const MEETINGS = Number(process.env.MEETINGS_FAULTS_BENCH_MEETINGS ?? 40);
const FAULTS = Number(process.env.MEETINGS_FAULTS_BENCH_FAULTS ?? 30);
const SLOTS = Number(process.env.MEETINGS_FAULTS_BENCH_SLOTS ?? 10);
const SEEDS = (process.env.MEETINGS_FAULTS_BENCH_SEEDS ?? '1414,4141').split(',').map(Number);

export default async function run(context?: BenchContext): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const saved = process.env.DATABASE_URL;
  const databases = (process.env.MEETINGS_FAULTS_BENCH_DATABASES ?? 'embedded,postgres').split(',');
  const unreachable = databases.includes('postgres') ? await postgresUnreachable(POSTGRES_URL) : 'not asked for';
  if (unreachable && databases.includes('postgres')) context?.note(`PostgreSQL skipped (${unreachable})`);
  const failures: string[] = [];
  try {
    for (const database of databases) {
      if (database === 'postgres' && unreachable) continue;
      if (database === 'postgres') process.env.DATABASE_URL = POSTGRES_URL;
      else delete process.env.DATABASE_URL;
      for (const [n, seed] of SEEDS.entries()) {
        const cdrs = n % 2 === 0;
        const began = performance.now();
        const report = await runFaultInvariants({ seed, meetings: MEETINGS, faults: FAULTS, slots: SLOTS, cdrs, instants: 4, log: (line) => console.log(`  ${line}`) });
        const seconds = (performance.now() - began) / 1000;
        const label = database === 'postgres' ? 'PostgreSQL' : 'embedded';
        results.push({
          name: `meetings: fault invariants, seed ${seed}, CDRs ${cdrs ? 'on' : 'off'} (${label})`,
          extra: { booked: report.booked, started: report.started, faults: report.faults, faultKinds: JSON.stringify(report.faultKinds), failovers: report.failovers, leftCallsDeleted: report.leftCallsDeleted, dialIns: report.dialIns, checks: report.checks, violations: report.violations.length, seconds: Number(seconds.toFixed(1)) },
        });
        console.log(`  ${label} seed ${seed}: ${report.booked} meetings, ${report.faults} faults, ${report.failovers} failovers, ${report.leftCallsDeleted} left calls deleted, ${report.dialIns} dial-ins, ${report.violations.length} violations (${seconds.toFixed(0)} s)`);
        for (const v of report.violations.slice(0, 5)) console.log(`    violation: ${v}`);
        failures.push(...report.violations.map((v) => `${label} seed ${seed}: ${v}`));
      }
    }
  } finally {
    if (saved === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = saved;
  }
  if (failures.length) throw new Error(`fault invariants violated:\n${failures.slice(0, 20).join('\n')}`);
  return results;
}
