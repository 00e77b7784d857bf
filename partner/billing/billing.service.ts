import crypto from 'node:crypto';
import { AppError } from '../../platform/errors.ts';
import { systemActor, type Actor } from '../../platform/auth/actor.ts';
import { isJobStopped, type JobContext } from '../../platform/jobs/job-context.ts';
import { webexError } from '../webex-errors.ts';
import { defineBillingJobs, REPORT_RETRY_LIMIT } from './billing.jobs.ts';
import * as repo from './billing.repository.ts';
import type { BillingSummary } from './billing.schema.ts';
import type { HistoryRow, ReportWithJob } from './billing.repository.ts';
import type { PlatformServices } from '../../platform/services.ts';

// P16: monthly billing reports, prorated from partner_subscriber_history only (so a past month's
// report is the same whenever it is made). The rules, as documented in partner/README.md:
// - unit: calendar days in UTC; a day is billed to the LAST billable state the subscriber held at
//   any moment of that day (a package or user-ID change bills its day to the new value; a removal
//   day and a provisioning day are billed);
// - billable: status provisioned or updating (the service keeps running while an update is applied);
//   pending_*, provisioning and error are not;
// - one record per run of consecutive billed days with the same user ID, package, enterprise and
//   self-activation; quantity = days / days in the month, rounded half-up to 4 decimals.

const DAY_MS = 86_400_000;
export const billableStatuses: ReadonlySet<string> = new Set(['provisioned', 'updating']);
/** The temporary download link's lifetime. */
export const DOWNLOAD_LINK_SECONDS = 3600;
/** CSV chunk size in the database (about). */
const CHUNK_BYTES = 1 << 20;

/** Webex-style error codes of billing reports (2024 is Webex's "Billing Report not found."). */
export const billingCodes = {
  INVALID_PARAMETER: 1003,
  REPORT_NOT_FOUND: 2024,
  /** Ours: a report of this month exists; delete it first. */
  REPORT_EXISTS: 2025,
  /** Ours: the download link is invalid or has expired. */
  DOWNLOAD_LINK_INVALID: 2026,
  /** Ours: the report is not COMPLETED, so there is nothing to download. */
  REPORT_NOT_READY: 2027,
  INTERNAL: 1500,
} as const;

export type BillingMonth = { period: string; startMs: number; endMs: number; days: number; dates: string[] };

const PERIOD = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** `YYYY-MM` → the month in UTC (28–31 days, leap years by the calendar). */
export function billingMonth(period: string): BillingMonth {
  const match = PERIOD.exec(period);
  if (!match || Number(match[1]) < 1970) {
    throw webexError('VALIDATION_FAILED', billingCodes.INVALID_PARAMETER, `Invalid Parameter: billingPeriod must be a month as YYYY-MM (for example 2021-05); got "${period}".`, 'billingPeriod');
  }
  const year = Number(match[1]);
  const month = Number(match[2]);
  const startMs = Date.UTC(year, month - 1, 1);
  const endMs = Date.UTC(year, month, 1);
  const days = Math.round((endMs - startMs) / DAY_MS);
  const dates = Array.from({ length: days }, (_, d) => `${period}-${String(d + 1).padStart(2, '0')}`);
  return { period, startMs, endMs, days, dates };
}

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

/** The Webex-style report ID: unpadded base64url of `ciscospark://us/BILLING_REPORT/<uuid>`. */
export const toReportId = (uuid: string) => Buffer.from(`ciscospark://us/BILLING_REPORT/${uuid}`).toString('base64url');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function fromReportId(id: string): string | null {
  if (UUID.test(id)) return id.toLowerCase();
  const decoded = Buffer.from(id, 'base64url').toString('utf8');
  const uuid = decoded.startsWith('ciscospark://us/BILLING_REPORT/') ? decoded.slice('ciscospark://us/BILLING_REPORT/'.length) : '';
  return UUID.test(uuid) ? uuid.toLowerCase() : null;
}
const toSubscriberId = (uuid: string) => Buffer.from(`ciscospark://us/SUBSCRIBER/${uuid}`).toString('base64url');

export const csvColumns = ['resellerName', 'billingId', 'spEnterpriseId', 'internal', 'userId', 'subscriberId', 'selfActivated', 'firstStartDate', 'billingStartDate', 'billingEndDate', 'package', 'quantity'] as const;
export type CsvRecord = Record<(typeof csvColumns)[number], string>;

const csvField = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
const formatQuantity = (q4: number) => String(q4 / 10_000);

/** Parses one line of our CSV (fields quoted when they hold a comma, quote or line break). */
export function parseCsvLine(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new AppError('INTERNAL', 'A stored billing report line is malformed.');
        value += line.slice(i, q);
        if (line[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      fields.push(value);
      i++; // the comma
    } else {
      const comma = line.indexOf(',', i);
      const end = comma < 0 ? line.length : comma;
      fields.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return fields;
}

export type ReportView = {
  id: string;
  billingPeriod: string;
  status: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  created: string;
  createdBy: string;
  tempDownloadURL?: string;
  errors?: { code: number; description: string }[];
};

export type RecordFilter = { spEnterpriseId?: string; package?: string; userId?: string; offset: number; limit: number };

export type Billing = ReturnType<typeof createBilling>;

export function createBilling(services: Pick<PlatformServices, 'database' | 'clock' | 'audit' | 'secrets' | 'jobs'>, options: { historyBatchSize?: number } = {}) {
  const { database, clock, audit, secrets } = services;
  const db = database.db;

  const status = (found: ReportWithJob): ReportView['status'] => {
    const { report, jobState } = found;
    if (report.status === 'IN_PROGRESS' && (jobState === 'failed' || jobState === 'cancelled')) return 'FAILED';
    return report.status as ReportView['status'];
  };

  function notFound(id: string) {
    return webexError('NOT_FOUND', billingCodes.REPORT_NOT_FOUND, `Billing Report not found: ${id}.`);
  }

  async function load(id: string) {
    const uuid = fromReportId(id);
    const found = uuid ? await repo.findReport(db, uuid) : undefined;
    if (!found) throw notFound(id);
    return found;
  }

  function downloadLink(reportId: string, baseUrl: string) {
    const expires = clock.now().getTime() + DOWNLOAD_LINK_SECONDS * 1000;
    // Sealed (AES-GCM, authenticated) with the secret box: cannot be forged or altered.
    const token = secrets.seal(JSON.stringify({ r: reportId, e: expires }));
    return `${baseUrl}/v1/broadworks/billing/reports/${toReportId(reportId)}/download?token=${encodeURIComponent(token)}&expires=${Math.floor(expires / 1000)}`;
  }

  function view(found: ReportWithJob, baseUrl?: string): ReportView {
    const { report } = found;
    const current = status(found);
    const errors = current === 'FAILED' ? (report.errors.length ? report.errors : [{ code: billingCodes.INTERNAL, description: jobErrorMessage(found.jobError) }]) : undefined;
    return {
      id: toReportId(report.id),
      billingPeriod: report.billingPeriod,
      status: current,
      created: report.created.toISOString(),
      createdBy: report.createdById && UUID.test(report.createdById) ? Buffer.from(`ciscospark://us/PEOPLE/${report.createdById}`).toString('base64url') : report.createdByName,
      ...(current === 'COMPLETED' && baseUrl ? { tempDownloadURL: downloadLink(report.id, baseUrl) } : {}),
      ...(errors ? { errors } : {}),
    };
  }

  /** The console's view: the Webex fields plus the job, totals and size. */
  function detail(found: ReportWithJob, baseUrl?: string) {
    const { report } = found;
    return {
      ...view(found, baseUrl),
      reportId: report.id,
      jobId: report.jobId,
      progressPercent: found.progressPercent ?? 0,
      createdByName: report.createdByName,
      completedAt: report.completedAt?.toISOString() ?? null,
      recordCount: report.recordCount,
      byteSize: report.byteSize,
      summary: report.summary ?? null,
    };
  }

  async function create(billingPeriod: string, actor: Actor, trackingId?: string) {
    const month = billingMonth(billingPeriod);
    if (month.startMs > clock.now().getTime()) {
      throw webexError('VALIDATION_FAILED', billingCodes.INVALID_PARAMETER, `Invalid Parameter: billing period ${billingPeriod} has not started yet.`, 'billingPeriod');
    }
    const conflict = (existingId: string) =>
      webexError('CONFLICT', billingCodes.REPORT_EXISTS, `A billing report for ${billingPeriod} already exists (${toReportId(existingId)}). Delete it first to create it again.`, 'billingPeriod');
    try {
      return await database.transaction(async (tx, sql) => {
        const existing = await repo.findReportByPeriod(tx, billingPeriod);
        if (existing) throw conflict(existing.id);
        const id = crypto.randomUUID();
        const created = clock.now();
        await repo.insertReport(tx, { id, billingPeriod, status: 'IN_PROGRESS', created, createdById: actor.id, createdByName: actor.name });
        const job = await services.jobs.send(jobs.generateReport, { reportId: id, billingPeriod }, { actor, tx: { db: tx, sql } });
        await repo.updateReport(tx, id, { jobId: job.id });
        await audit.record({ actor, action: 'partner.billing.report.create', entityType: 'billing-report', entityId: id, after: { billingPeriod, jobId: job.id }, trackingId }, tx);
        return { id, reportId: toReportId(id), jobId: job.id };
      });
    } catch (error) {
      // Two creations of one month at once: the unique period decides, the loser gets the 409.
      const code = (error as { code?: string; cause?: { code?: string } }).code ?? (error as { cause?: { code?: string } }).cause?.code;
      if (code === '23505') {
        const existing = await repo.findReportByPeriod(db, billingPeriod);
        if (existing) throw conflict(existing.id);
      }
      throw error;
    }
  }

  async function remove(id: string, actor: Actor, trackingId?: string) {
    const found = await load(id);
    await database.transaction(async (tx) => {
      await repo.deleteReport(tx, found.report.id);
      const { summary: _summary, ...before } = found.report;
      await audit.record({ actor, action: 'partner.billing.report.delete', entityType: 'billing-report', entityId: found.report.id, before, trackingId }, tx);
    });
  }

  async function list(filter: { before?: string; after?: string; sortBy: repo.ReportSort }) {
    for (const [field, value] of [['before', filter.before], ['after', filter.after]] as const) {
      if (value !== undefined && !PERIOD.test(value)) throw webexError('VALIDATION_FAILED', billingCodes.INVALID_PARAMETER, `Invalid Parameter: ${field} must be a month as YYYY-MM.`, field);
    }
    return repo.listReports(db, filter);
  }

  /** Checks a download link and streams the report's CSV chunk by chunk. */
  async function openDownload(id: string, token: string) {
    const uuid = fromReportId(id);
    let payload: { r?: unknown; e?: unknown } = {};
    try {
      payload = JSON.parse(secrets.open(token));
    } catch {
      // not ours, altered, or sealed under another key
    }
    if (!uuid || payload.r !== uuid || typeof payload.e !== 'number') {
      throw webexError('FORBIDDEN', billingCodes.DOWNLOAD_LINK_INVALID, 'The download link is not valid. Get a new one with GET /v1/broadworks/billing/reports/{id}.');
    }
    if (clock.now().getTime() > payload.e) {
      throw webexError('FORBIDDEN', billingCodes.DOWNLOAD_LINK_INVALID, `The download link expired at ${new Date(payload.e).toISOString()}. Get a new one with GET /v1/broadworks/billing/reports/{id}.`);
    }
    const found = await repo.findReport(db, uuid);
    if (!found) throw notFound(id);
    if (status(found) !== 'COMPLETED') throw webexError('INVALID_STATE', billingCodes.REPORT_NOT_READY, `Billing report ${id} is ${status(found)}; there is nothing to download.`);
    return { billingPeriod: found.report.billingPeriod, byteSize: found.report.byteSize, chunks: chunks(uuid) };
  }

  async function* chunks(reportId: string): AsyncGenerator<Buffer> {
    for (let seq = 0; ; seq++) {
      const data = await repo.findChunk(db, reportId, seq);
      if (!data) return;
      yield data;
    }
  }

  async function* lines(reportId: string): AsyncGenerator<string> {
    let first = true;
    for await (const chunk of chunks(reportId)) {
      // Chunks always end at a line end (see generate).
      const text = chunk.toString('utf8');
      for (const line of text.split('\r\n')) {
        if (first) {
          first = false;
          continue; // the header
        }
        if (line) yield line;
      }
    }
  }

  /** The records of a completed report, filtered, for the console (read from the stored CSV). */
  async function records(id: string, filter: RecordFilter) {
    const found = await load(id);
    if (status(found) !== 'COMPLETED') throw new AppError('INVALID_STATE', `Billing report ${found.report.billingPeriod} is ${status(found)}; its records are not there yet.`);
    const items: CsvRecord[] = [];
    let total = 0;
    const needle = filter.userId?.toLowerCase();
    for await (const line of lines(found.report.id)) {
      const fields = parseCsvLine(line);
      const record = Object.fromEntries(csvColumns.map((c, i) => [c, fields[i] ?? ''])) as CsvRecord;
      if (filter.spEnterpriseId && record.spEnterpriseId !== filter.spEnterpriseId) continue;
      if (filter.package && record.package !== filter.package) continue;
      if (needle && !record.userId.toLowerCase().includes(needle)) continue;
      if (total >= filter.offset && items.length < filter.limit) items.push(record);
      total++;
    }
    return { items, total, offset: filter.offset, limit: filter.limit };
  }

  async function generate(ctx: JobContext, input: { reportId: string }) {
    const found = await repo.findReport(db, input.reportId);
    if (!found) return { skipped: 'the report was deleted' };
    if (found.report.status === 'COMPLETED') return { records: found.report.recordCount };
    try {
      return await write(ctx, found.report);
    } catch (error) {
      if (isJobStopped(error)) throw error;
      // Deleted while it was being written (its chunks' foreign key fails): nothing left to do.
      if (!(await repo.findReport(db, input.reportId))) return { skipped: 'the report was deleted' };
      if (ctx.attempt > REPORT_RETRY_LIMIT) {
        await repo.updateReport(db, input.reportId, { status: 'FAILED', errors: [{ code: billingCodes.INTERNAL, description: (error as Error).message }] });
      }
      throw error;
    }
  }

  async function write(ctx: JobContext, report: repo.BillingReportRow) {
    const month = billingMonth(report.billingPeriod);
    await ctx.progress({ step: 'reading history', percent: 0 });
    // A new attempt starts over: what an interrupted one wrote goes.
    await repo.deleteChunks(db, report.id);
    const resellerName = (await repo.findSettings(db))?.resellerName ?? (await repo.findPartnerOrgName(db)) ?? 'Partner';
    const customers = new Map((await repo.listCustomers(db)).map((c) => [c.spEnterpriseId, c]));
    const resellerField = csvField(resellerName);

    let parts: string[] = [csvColumns.join(',') + '\r\n'];
    let pending = parts[0]!.length;
    let seq = 0;
    let bytes = 0;
    let recordCount = 0;
    let subscribers = 0;
    const byPackage = new Map<string, { records: number; q4: number }>();
    const byCustomer = new Map<string, { records: number; q4: number; byPackage: Map<string, number> }>();
    const flush = async () => {
      if (!parts.length) return;
      const data = Buffer.from(parts.join(''), 'utf8');
      parts = [];
      pending = 0;
      bytes += data.length;
      await repo.insertChunk(db, report.id, seq++, data);
    };

    const out: BillingRecord[] = [];
    let lastPercent = 0;
    let lastProgressAt = 0;
    for await (const batch of repo.historyBySubscriber(database, month.endMs, options.historyBatchSize)) {
      let i = 0;
      while (i < batch.length) {
        const subscriberId = batch[i]!.subscriberId;
        let j = i + 1;
        while (j < batch.length && batch[j]!.subscriberId === subscriberId) j++;
        out.length = 0;
        prorateSubscriber(batch, month, out, i, j);
        i = j;
        if (!out.length) continue;
        subscribers++;
        const webexSubscriberId = toSubscriberId(subscriberId);
        for (const r of out) {
          const customer = customers.get(r.spEnterpriseId);
          const line = `${resellerField},${csvField(customer?.billingId ?? '')},${csvField(r.spEnterpriseId)},${customer?.internalTrial ? 'true' : 'false'},${csvField(r.userId)},${webexSubscriberId},${r.selfActivated},${r.firstStartDate},${r.billingStartDate},${r.billingEndDate},${r.package},${formatQuantity(r.quantity4)}\r\n`;
          parts.push(line);
          pending += line.length;
          recordCount++;
          const p = byPackage.get(r.package) ?? byPackage.set(r.package, { records: 0, q4: 0 }).get(r.package)!;
          p.records++;
          p.q4 += r.quantity4;
          const c = byCustomer.get(r.spEnterpriseId) ?? byCustomer.set(r.spEnterpriseId, { records: 0, q4: 0, byPackage: new Map() }).get(r.spEnterpriseId)!;
          c.records++;
          c.q4 += r.quantity4;
          c.byPackage.set(r.package, (c.byPackage.get(r.package) ?? 0) + r.quantity4);
        }
      }
      if (pending >= CHUNK_BYTES) await flush();
      // Subscriber IDs are random UUIDs read in order: how far the last one is through the UUID
      // space estimates how far through the history we are, without counting it first.
      const percent = Math.floor((parseInt(batch[batch.length - 1]!.subscriberId.slice(0, 8), 16) / 0x1_0000_0000) * 95);
      // At most one progress write a second: each is a database round trip.
      const now = clock.now().getTime();
      if (percent > lastPercent && now - lastProgressAt >= 1000) {
        lastPercent = percent;
        lastProgressAt = now;
        await ctx.progress({ percent, step: 'reading history', message: `${subscribers.toLocaleString('en')} subscribers, ${recordCount.toLocaleString('en')} records` });
      }
    }
    await flush();

    const quantity = (q4: number) => q4 / 10_000;
    const summary: BillingSummary = {
      subscribers,
      byPackage: Object.fromEntries([...byPackage].map(([k, v]) => [k, { records: v.records, quantity: quantity(v.q4) }])),
      byCustomer: Object.fromEntries(
        [...byCustomer].map(([k, v]) => [k, { records: v.records, quantity: quantity(v.q4), byPackage: Object.fromEntries([...v.byPackage].map(([p, q]) => [p, quantity(q)])) }]),
      ),
    };
    await ctx.transact('complete', async (tx) => {
      if (!(await repo.updateReport(tx, report.id, { status: 'COMPLETED', completedAt: clock.now(), recordCount, byteSize: bytes, summary, errors: [] }))) return;
      await audit.record({ actor: systemActor('billing'), action: 'partner.billing.report.complete', entityType: 'billing-report', entityId: report.id, after: { billingPeriod: report.billingPeriod, recordCount, subscribers, byteSize: bytes } }, tx);
    });
    return { records: recordCount, subscribers, bytes };
  }

  // ── billing attributes our model lacked (P16) ──
  async function settings() {
    const row = await repo.findSettings(db);
    return { resellerName: row?.resellerName ?? (await repo.findPartnerOrgName(db)) ?? 'Partner', isDefault: !row };
  }
  async function setSettings(resellerName: string, actor: Actor) {
    await database.transaction(async (tx) => {
      const before = await repo.findSettings(tx);
      await repo.upsertSettings(tx, resellerName, clock.now());
      await audit.record({ actor, action: 'partner.billing.settings.update', entityType: 'billing-settings', entityId: 'partner', before: before ?? null, after: { resellerName } }, tx);
    });
    return settings();
  }
  async function setCustomer(spEnterpriseId: string, input: { billingId: string | null; internalTrial: boolean }, actor: Actor) {
    await database.transaction(async (tx) => {
      await repo.upsertCustomer(tx, { spEnterpriseId, billingId: input.billingId, internalTrial: input.internalTrial, updatedAt: clock.now() });
      await audit.record({ actor, action: 'partner.billing.customer.update', entityType: 'billing-customer', entityId: spEnterpriseId, after: input }, tx);
    });
    return { spEnterpriseId, ...input };
  }

  const jobs = defineBillingJobs({ generate });

  return {
    jobs,
    reports: { create, list, get: load, remove, view, detail, openDownload, records },
    settings: { get: settings, set: setSettings },
    customers: { list: async () => (await repo.listCustomers(db)).map(({ spEnterpriseId, billingId, internalTrial }) => ({ spEnterpriseId, billingId, internalTrial })), set: setCustomer },
    generate,
  };
}

function jobErrorMessage(error: unknown): string {
  const message = typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : undefined;
  return typeof message === 'string' ? message : 'Report generation failed.';
}
