// P16 proration: one subscriber's history → its billing records for a month, and the CSV line of a
// record. Pure and free of the ORM and the HTTP layer, because it also runs in the report's writer
// threads (billing.report-thread.ts), which should start small. The rules, as documented in
// partner/README.md:
// - unit: calendar days in UTC; a day is billed to the LAST billable state the subscriber held at
//   any moment of that day (a package or user-ID change bills its day to the new value; a removal
//   day and a provisioning day are billed);
// - billable: status provisioned or updating (the service keeps running while an update is applied);
//   pending_*, provisioning and error are not;
// - one record per run of consecutive billed days with the same user ID, package, enterprise and
//   self-activation; quantity = days / days in the month, rounded half-up to 4 decimals.

/** One row of partner_subscriber_history: the whole state after a change. */
export type HistoryRow = {
  subscriberId: string;
  atMs: number;
  change: string;
  userId: string;
  spEnterpriseId: string;
  package: string;
  status: string;
  selfActivated: boolean;
};

export type BillingMonth = { period: string; startMs: number; endMs: number; days: number; dates: string[] };

const DAY_MS = 86_400_000;

/** The month `year`-`month` (1–12) in UTC: 28–31 days, leap years by the calendar. */
export function monthOf(year: number, month: number): BillingMonth {
  const period = `${year}-${String(month).padStart(2, '0')}`;
  const startMs = Date.UTC(year, month - 1, 1);
  const endMs = Date.UTC(year, month, 1);
  const days = Math.round((endMs - startMs) / DAY_MS);
  const dates = Array.from({ length: days }, (_, d) => `${period}-${String(d + 1).padStart(2, '0')}`);
  return { period, startMs, endMs, days, dates };
}

export const billableStatuses: ReadonlySet<string> = new Set(['provisioned', 'updating']);
export type BillingRecord = {
  subscriberId: string;
  userId: string;
  spEnterpriseId: string;
  package: string;
  selfActivated: boolean;
  firstStartDate: string;
  billingStartDate: string;
  billingEndDate: string;
  days: number;
  /** Quantity in ten-thousandths (exact integer sums); quantity = quantity4 / 10000. */
  quantity4: number;
};

const sameBilling = (a: HistoryRow, b: HistoryRow) => a.userId === b.userId && a.package === b.package && a.spEnterpriseId === b.spEnterpriseId && a.selfActivated === b.selfActivated;

// Reused across subscribers: the state billed on each day of the month.
let slots: Array<HistoryRow | null> = [];
// UTC dates of first starts, by day number since the epoch (a report formats few distinct days).
const dateByDay = new Map<number, string>();
function utcDateOf(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  let date = dateByDay.get(day);
  if (date === undefined) {
    date = new Date(day * DAY_MS).toISOString().slice(0, 10);
    if (dateByDay.size > 100_000) dateByDay.clear();
    dateByDay.set(day, date);
  }
  return date;
}

/** Marks every day of the month a billable state was held; later states overwrite earlier ones. */
function hold(state: HistoryRow | null, fromDay: number, toDay: number, days: number) {
  if (!state || !billableStatuses.has(state.status)) return;
  const last = Math.min(toDay, days - 1);
  for (let d = Math.max(fromDay, 0); d <= last; d++) slots[d] = state;
}

/**
 * One subscriber's records for the month from its history rows `rows[from..to)` (time order, all
 * before the month's end). Each day ends up with the last billable state held during it.
 */
export function prorateSubscriber(rows: HistoryRow[], month: BillingMonth, out: BillingRecord[] = [], from = 0, to = rows.length): BillingRecord[] {
  const days = month.days;
  // Most subscribers did not change during the month: the state they entered it with is billed
  // for the whole month (or not at all), without walking its days.
  if (to > from && rows[to - 1]!.atMs < month.startMs) {
    const state = rows[to - 1]!;
    if (state.change === 'removed' || !billableStatuses.has(state.status)) return out;
    let first = from;
    while (rows[first]!.change === 'removed' || !billableStatuses.has(rows[first]!.status)) first++;
    out.push({
      subscriberId: state.subscriberId,
      userId: state.userId,
      spEnterpriseId: state.spEnterpriseId,
      package: state.package,
      selfActivated: state.selfActivated,
      firstStartDate: utcDateOf(rows[first]!.atMs),
      billingStartDate: month.dates[0]!,
      billingEndDate: month.dates[days - 1]!,
      days,
      quantity4: 10_000,
    });
    return out;
  }
  if (slots.length !== days) slots = new Array(days).fill(null);
  else slots.fill(null);
  let current: HistoryRow | null = null;
  let currentFrom = 0;
  let firstStartMs: number | null = null;
  for (let i = from; i < to; i++) {
    const row = rows[i]!;
    const day = Math.floor((row.atMs - month.startMs) / DAY_MS);
    hold(current, currentFrom, day, days);
    if (row.change === 'removed') {
      current = null;
      continue;
    }
    current = row;
    currentFrom = day;
    if (firstStartMs === null && billableStatuses.has(row.status)) firstStartMs = row.atMs;
  }
  hold(current, currentFrom, days - 1, days);
  if (firstStartMs === null) return out;

  const firstStartDate = utcDateOf(firstStartMs);
  let runStart = -1;
  let run: HistoryRow | null = null;
  for (let d = 0; d <= days; d++) {
    const state = d < days ? slots[d]! : null;
    if (run && (!state || !sameBilling(state, run))) {
      const n = d - runStart;
      out.push({
        subscriberId: run.subscriberId,
        userId: run.userId,
        spEnterpriseId: run.spEnterpriseId,
        package: run.package,
        selfActivated: run.selfActivated,
        firstStartDate,
        billingStartDate: month.dates[runStart]!,
        billingEndDate: month.dates[d - 1]!,
        days: n,
        quantity4: Math.round((n * 10_000) / days),
      });
      run = null;
    }
    if (state && !run) {
      run = state;
      runStart = d;
    }
  }
  return out;
}

// The prefix is 27 bytes, whole 3-byte groups of base64, so its encoding is a constant the ID's follows.
const SUBSCRIBER_ID_PREFIX = Buffer.from('ciscospark://us/SUBSCRIBER/').toString('base64url');
export const toSubscriberId = (uuid: string) => SUBSCRIBER_ID_PREFIX + Buffer.from(uuid).toString('base64url');

export const csvColumns = ['resellerName', 'billingId', 'spEnterpriseId', 'internal', 'userId', 'subscriberId', 'selfActivated', 'firstStartDate', 'billingStartDate', 'billingEndDate', 'package', 'quantity'] as const;
export type CsvRecord = Record<(typeof csvColumns)[number], string>;

export const csvField = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
export const formatQuantity = (q4: number) => String(q4 / 10_000);
