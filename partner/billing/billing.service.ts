import crypto from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { AppError } from '../../platform/errors.ts';
import { systemActor, type Actor } from '../../platform/auth/actor.ts';
import { isJobStopped, type JobContext } from '../../platform/jobs/job-context.ts';
import { webexError } from '../webex-errors.ts';
import { defineBillingJobs, REPORT_RETRY_LIMIT } from './billing.jobs.ts';
import * as repo from './billing.repository.ts';
import type { ReportWithJob } from './billing.repository.ts';
import type { BillingSummary } from './billing.schema.ts';
import { csvColumns, monthOf, type BillingMonth, type CsvRecord } from './billing.proration.ts';
import { writeReportCsv, type ReportInput, type ReportOutput, type ReportProgress } from './billing.report-writer.ts';
import { prepareHistoryScan, type SubscriberRange } from './billing.history.ts';
import { writeReportInThread } from './billing.report-thread.ts';
import type { PlatformServices } from '../../platform/services.ts';

// P16: monthly billing reports, prorated from partner_subscriber_history only (so a past month's
// report is the same whenever it is made); the rules are in billing.proration.ts.

/** The temporary download link's lifetime. */
export const DOWNLOAD_LINK_SECONDS = 3600;

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

const PERIOD = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** `YYYY-MM` → the month in UTC (28–31 days, leap years by the calendar). */
export function billingMonth(period: string): BillingMonth {
  const match = PERIOD.exec(period);
  if (!match || Number(match[1]) < 1970) {
    throw webexError('VALIDATION_FAILED', billingCodes.INVALID_PARAMETER, `Invalid Parameter: billingPeriod must be a month as YYYY-MM (for example 2021-05); got "${period}".`, 'billingPeriod');
  }
  return monthOf(Number(match[1]), Number(match[2]));
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

export function createBilling(services: Pick<PlatformServices, 'database' | 'clock' | 'audit' | 'secrets' | 'jobs' | 'config'>, options: { historyBatchSize?: number } = {}) {
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
    for (const seq of await repo.listChunkSeqs(db, reportId)) {
      const pieces = await repo.readChunkPieces(database.pool, reportId, seq, DOWNLOAD_PIECE_BYTES);
      // Deleted while it was being downloaded: the response ends short of its length, as a cut connection would.
      if (!pieces.length) throw new AppError('NOT_FOUND', 'The billing report was deleted during its download.');
      yield* pieces;
    }
  }

  async function* lines(reportId: string): AsyncGenerator<string> {
    let first = true;
    // The pieces end anywhere, also inside a line or a character: the rest waits for the next piece.
    const decoder = new StringDecoder('utf8');
    let rest = '';
    for await (const piece of chunks(reportId)) {
      const text = rest + decoder.write(piece);
      const parts = text.split('\r\n');
      rest = parts.pop()!;
      for (const line of parts) {
        if (first) {
          first = false;
          continue; // the header
        }
        if (line) yield line;
      }
    }
    rest += decoder.end();
    if (rest && !first) yield rest;
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
    await ctx.progress({ step: 'reading history', percent: 0 });
    // A new attempt starts over: what an interrupted one wrote goes.
    await repo.deleteChunks(db, report.id);
    const input: ReportInput = {
      reportId: report.id,
      billingPeriod: billingMonth(report.billingPeriod).period,
      resellerName: (await repo.findSettings(db))?.resellerName ?? (await repo.findPartnerOrgName(db)) ?? 'Partner',
      customers: (await repo.listCustomers(db)).map(({ spEnterpriseId, billingId, internalTrial }) => ({ spEnterpriseId, billingId, internalTrial })),
      historyBatchSize: options.historyBatchSize,
    };
    await prepareHistoryScan(database);
    // SWITCHBOARD_BILLING_REPORT_THREADS worker threads on PostgreSQL (0: on the server's thread);
    // embedded, the one connection belongs to the server's thread.
    const threads = database.mode === 'postgres' && database.pool.options.connectionString ? services.config.billingReportThreads : 0;
    const lanes = laneRanges(Math.max(threads, 1));
    const laneInputs: ReportInput[] = lanes.map((range, k) => ({ ...input, lane: { range, firstSeq: k * LANE_SEQ_SPAN, header: k === 0 } }));
    // Each lane reports its own percent; the job shows their mean.
    const percents = lanes.map(() => 0);
    let shown = 0;
    const progressOf = (k: number) => async (p: ReportProgress) => {
      percents[k] = p.percent;
      const percent = Math.floor(percents.reduce((a, b) => a + b, 0) / lanes.length);
      if (percent <= shown) return;
      shown = percent;
      await ctx.progress({ percent, step: 'reading history', message: lanes.length > 1 ? `${lanes.length} lanes; lane ${k + 1}: ${p.message}` : p.message });
    };
    const stop = new AbortController();
    const onAbort = () => stop.abort(ctx.signal.reason);
    ctx.signal.addEventListener('abort', onAbort);
    let outputs: ReportOutput[];
    try {
      outputs = await Promise.all(
        laneInputs.map((laneInput, k) =>
          (threads > 0
            ? writeReportInThread(database.pool.options.connectionString!, laneInput, progressOf(k), stop.signal)
            : writeReportCsv(database, laneInput, progressOf(k))
          ).catch((error) => {
            // One lane failed: the others stop too.
            stop.abort(error);
            throw error;
          }),
        ),
      );
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
    }
    const { records: recordCount, subscribers, bytes, summary } = mergeLaneOutputs(outputs);
    await ctx.transact('complete', async (tx) => {
      if (!(await repo.updateReport(tx, report.id, { status: 'COMPLETED', completedAt: clock.now(), recordCount, byteSize: bytes, summary, errors: [] }))) return;
      await audit.record({ actor: systemActor('billing'), action: 'partner.billing.report.complete', entityType: 'billing-report', entityId: report.id, after: { billingPeriod: report.billingPeriod, recordCount, subscribers, byteSize: bytes } }, tx);
    });
    return { records: recordCount, subscribers, bytes, lanes: lanes.length };
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

/** The download reads each stored chunk in pieces of this size (see readChunkPieces). */
const DOWNLOAD_PIECE_BYTES = 32 << 10;

/** Chunk numbers of lane k start at k × this: a lane would need a terabyte of CSV to reach the next. */
const LANE_SEQ_SPAN = 1_000_000;

/**
 * The subscriber ID space cut into `n` equal parts by the first 32 bits. Subscriber IDs are random
 * UUIDs, so each part holds about 1/n of the subscribers, and the parts in order are the report's order.
 */
export function laneRanges(n: number): SubscriberRange[] {
  const bound = (k: number) => (k === 0 || k === n ? null : `${Math.floor((k * 0x1_0000_0000) / n).toString(16).padStart(8, '0')}-0000-0000-0000-000000000000`);
  return Array.from({ length: n }, (_, k) => ({ from: bound(k), to: bound(k + 1) }));
}

/** The report's totals from its lanes' (lanes hold disjoint subscribers). */
export function mergeLaneOutputs(outputs: ReportOutput[]): ReportOutput {
  const summary: BillingSummary = { subscribers: 0, byPackage: {}, byCustomer: {} };
  let records = 0;
  let bytes = 0;
  // Sums of 4-decimal quantities are kept in ten-thousandths while adding, so they stay exact.
  const q4 = (q: number) => Math.round(q * 10_000);
  for (const o of outputs) {
    records += o.records;
    bytes += o.bytes;
    summary.subscribers += o.summary.subscribers;
    for (const [pkg, v] of Object.entries(o.summary.byPackage)) {
      const t = (summary.byPackage[pkg] ??= { records: 0, quantity: 0 });
      t.records += v.records;
      t.quantity = (q4(t.quantity) + q4(v.quantity)) / 10_000;
    }
    for (const [customer, v] of Object.entries(o.summary.byCustomer)) {
      const t = (summary.byCustomer[customer] ??= { records: 0, quantity: 0, byPackage: {} });
      t.records += v.records;
      t.quantity = (q4(t.quantity) + q4(v.quantity)) / 10_000;
      for (const [pkg, q] of Object.entries(v.byPackage)) t.byPackage[pkg] = (q4(t.byPackage[pkg] ?? 0) + q4(q)) / 10_000;
    }
  }
  return { records, subscribers: summary.subscribers, bytes, summary };
}
