import * as dir from './directory.repository.ts';
import { packages, type Package } from './partner.service.ts';
import type { JobContext } from '../platform/jobs/job-context.ts';
import type { PlatformServices } from '../platform/services.ts';

// P15 trends: provisioned users per package at the end of every UTC day, kept 13 months. Each day
// is computed from the subscriber history, so a missed day (or a new installation) back-fills.

export const RETENTION_MONTHS = 13;
export type Interval = 'daily' | 'weekly' | 'monthly';
/** `source`: a stored snapshot, or counted from the subscriber history when the day has none (yet). */
export type TrendPoint = { period: string; asOf: string; source: 'snapshot' | 'history' } & Record<Package, number>;

const DAY_MS = 86_400_000;
export const isoDay = (date: Date) => date.toISOString().slice(0, 10);
const parseDay = (day: string) => new Date(`${day}T00:00:00.000Z`);
const addDays = (day: string, n: number) => isoDay(new Date(parseDay(day).getTime() + n * DAY_MS));

/** The first day still kept: 13 months before today (UTC). */
export function retentionStart(today: string) {
  const d = parseDay(today);
  return isoDay(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - RETENTION_MONTHS, d.getUTCDate())));
}

/** Monday of the ISO week of `day`. */
function weekOf(day: string) {
  const d = parseDay(day);
  return addDays(day, -((d.getUTCDay() + 6) % 7));
}

export function createUsageSnapshots(services: PlatformServices) {
  const { database, clock } = services;
  const db = database.db;

  async function snapshotDay(day: string) {
    return database.transaction(async (tx) => {
      const counts = await dir.packageCountsAt(tx, parseDay(addDays(day, 1)));
      const byPackage = Object.fromEntries(packages.map((p) => [p, 0])) as Record<Package, number>;
      for (const c of counts) if (c.package in byPackage) byPackage[c.package as Package] = c.n;
      for (const p of packages) await dir.upsertSnapshot(tx, { day, package: p, users: byPackage[p], computedAt: clock.now() });
      return byPackage;
    });
  }

  /**
   * The cron job (daily) and the back-fill: every day from `from` (default: the day after the last
   * snapshot, else 13 months ago) to `to` (default and at most: yesterday), then the prune.
   */
  async function run(ctx: JobContext, input: { from?: string; to?: string }) {
    const today = isoDay(clock.now());
    const yesterday = addDays(today, -1);
    const oldest = retentionStart(today);
    const latest = await dir.latestSnapshotDay(db);
    let from = input.from ?? (latest ? addDays(latest, 1) : oldest);
    if (from < oldest) from = oldest;
    const to = input.to && input.to < yesterday ? input.to : yesterday;
    const days: string[] = [];
    for (let d = from; d <= to; d = addDays(d, 1)) days.push(d);
    for (const [i, day] of days.entries()) {
      await ctx.step(`day:${day}`, () => snapshotDay(day));
      if (i % 30 === 0) await ctx.progress({ step: `snapshot ${day}`, percent: Math.round((i / days.length) * 100) });
    }
    const pruned = await ctx.transact('prune', (tx) => dir.pruneSnapshots(tx, oldest));
    return { from: days[0] ?? null, to: days.at(-1) ?? null, days: days.length, pruned, keptFrom: oldest };
  }

  /**
   * Users per package over time: daily points, or the last day of each week / month in range, up to
   * today (so far). Days after the last snapshot (all days, before the first one) are counted from
   * the subscriber history as the snapshot job would: a new installation has its trend on day one,
   * and today is never missing. Days before the history starts have nothing to count.
   */
  async function trends(interval: Interval, range: { from?: string; to?: string } = {}) {
    const today = isoDay(clock.now());
    const to = range.to && range.to < today ? range.to : today;
    const oldest = retentionStart(today);
    const from = range.from && range.from > oldest ? range.from : oldest;
    const [rows, latest, firstChange] = await Promise.all([dir.findSnapshots(db, from, to), dir.latestSnapshotDay(db), dir.firstHistoryAt(db)]);
    const byDay = new Map<string, { counts: Record<Package, number>; source: TrendPoint['source'] }>();
    const zero = () => Object.fromEntries(packages.map((p) => [p, 0])) as Record<Package, number>;
    for (const r of rows) {
      const day = byDay.get(r.day) ?? { counts: zero(), source: 'snapshot' as const };
      day.counts[r.package as Package] = r.users;
      byDay.set(r.day, day);
    }
    if (firstChange) {
      let day = latest ? addDays(latest, 1) : isoDay(firstChange);
      if (day < from) day = from;
      for (; day <= to; day = addDays(day, 1)) {
        // Up to the day's end, as its snapshot will be (today: every change recorded so far).
        const counts = zero();
        for (const c of await dir.packageCountsAt(db, parseDay(addDays(day, 1)))) if (c.package in counts) counts[c.package as Package] = c.n;
        byDay.set(day, { counts, source: 'history' });
      }
    }
    const key = (day: string) => (interval === 'daily' ? day : interval === 'weekly' ? weekOf(day) : day.slice(0, 7));
    const points = new Map<string, TrendPoint>();
    // Days ascend, so the last write per period is its latest day: the period's end-of-period users.
    for (const day of [...byDay.keys()].sort()) {
      const { counts, source } = byDay.get(day)!;
      points.set(key(day), { period: key(day), asOf: day, source, ...counts });
    }
    return { interval, from, to, timezone: 'UTC', points: [...points.values()] };
  }

  return { run, trends, snapshotDay };
}
