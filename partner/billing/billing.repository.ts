import { asc, desc, eq, sql } from 'drizzle-orm';
import { billingCustomers, billingReportChunks, billingReports, billingSettings } from './billing.schema.ts';
import { partnerOrgs, subscriberHistory } from '../partner.schema.ts';
import { jobRecords } from '../../platform/jobs/jobs.schema.ts';
import type { Db } from '../../platform/db/database.ts';
import type pg from 'pg';

export type BillingReportRow = typeof billingReports.$inferSelect;
export type BillingCustomerRow = typeof billingCustomers.$inferSelect;

// ── reports ──
export async function insertReport(db: Db, row: typeof billingReports.$inferInsert) {
  await db.insert(billingReports).values(row);
}
export async function updateReport(db: Db, id: string, patch: Partial<typeof billingReports.$inferInsert>) {
  const updated = await db.update(billingReports).set(patch).where(eq(billingReports.id, id)).returning({ id: billingReports.id });
  return updated.length > 0;
}
export async function deleteReport(db: Db, id: string) {
  await db.delete(billingReports).where(eq(billingReports.id, id));
}

/** A report with the state of its job: a report whose job failed or was cancelled is FAILED. */
const reportWithJob = {
  report: billingReports,
  jobState: jobRecords.state,
  jobError: jobRecords.error,
  progressPercent: jobRecords.progressPercent,
};
export type ReportWithJob = { report: BillingReportRow; jobState: string | null; jobError: unknown; progressPercent: number | null };

export async function findReport(db: Db, id: string): Promise<ReportWithJob | undefined> {
  const [row] = await db.select(reportWithJob).from(billingReports).leftJoin(jobRecords, eq(jobRecords.id, billingReports.jobId)).where(eq(billingReports.id, id));
  return row;
}
export async function findReportByPeriod(db: Db, billingPeriod: string) {
  const [row] = await db.select().from(billingReports).where(eq(billingReports.billingPeriod, billingPeriod));
  return row;
}
export type ReportSort = 'id' | 'status' | 'billingPeriod';
export async function listReports(db: Db, filter: { before?: string; after?: string; sortBy: ReportSort }): Promise<ReportWithJob[]> {
  const conditions = [];
  // `before`/`after` are months (YYYY-MM), compared with the billing period (text order is month order).
  if (filter.before) conditions.push(sql`${billingReports.billingPeriod} < ${filter.before}`);
  if (filter.after) conditions.push(sql`${billingReports.billingPeriod} > ${filter.after}`);
  const order = { id: asc(billingReports.id), status: asc(billingReports.status), billingPeriod: desc(billingReports.billingPeriod) }[filter.sortBy];
  const where = conditions.length ? sql.join(conditions, sql` and `) : undefined;
  return db.select(reportWithJob).from(billingReports).leftJoin(jobRecords, eq(jobRecords.id, billingReports.jobId)).where(where).orderBy(order, desc(billingReports.billingPeriod));
}

// ── CSV chunks ──
export async function deleteChunks(db: Db, reportId: string) {
  await db.delete(billingReportChunks).where(eq(billingReportChunks.reportId, reportId));
}
/** The report's chunk numbers in order (lanes number theirs from far apart starts: there are gaps). */
export async function listChunkSeqs(db: Db, reportId: string): Promise<number[]> {
  const rows = await db.select({ seq: billingReportChunks.seq }).from(billingReportChunks).where(eq(billingReportChunks.reportId, reportId)).orderBy(asc(billingReportChunks.seq));
  return rows.map((r) => r.seq);
}
/**
 * One chunk's bytes in pieces of at most `piece` bytes, in order (empty when the chunk is gone, the
 * report deleted meanwhile). Read in PostgreSQL's binary result format: as text a bytea arrives as a
 * hex string twice its size.
 * A whole chunk arrives as one 1 MB message, for which the driver grows its receive buffer by
 * doubling — 64 KB, 128 KB … 2 MB, a new buffer each — about 4 MB of short-lived buffers per chunk;
 * pieces of 32 KB fit the buffer the driver keeps and reuses. The pieces are copied out of it (the
 * driver's values are views of that buffer, which the next message overwrites).
 */
export async function readChunkPieces(pool: Pick<pg.Pool, 'query'>, reportId: string, seq: number, piece: number): Promise<Buffer[]> {
  const query = {
    // The chunk is decompressed once (`|| ''` makes it a plain value; `offset 0` keeps it computed
    // once, not per piece): a piece of the stored value would decompress it up to the piece's end.
    text: `select substring(c.data from s * $3 + 1 for $3)
      from (select data || ''::bytea as data from partner_billing_report_chunks where report_id = $1 and seq = $2 offset 0) c,
        generate_series(0, (octet_length(c.data) - 1) / $3) s
      order by s`,
    values: [reportId, seq, piece],
    binary: true,
    rowMode: 'array',
  } as pg.QueryConfig;
  const { rows } = await pool.query<[Buffer]>(query);
  return rows.map((r) => Buffer.from(r[0]));
}

export type { HistoryRow } from './billing.proration.ts';

/** For tests and tools that write history directly (the partner service records it as it happens). */
export async function insertHistoryRows(db: Db, rows: Array<typeof subscriberHistory.$inferInsert>) {
  if (rows.length) await db.insert(subscriberHistory).values(rows);
}

// ── billing attributes ──
export const listCustomers = (db: Db) => db.select().from(billingCustomers).orderBy(asc(billingCustomers.spEnterpriseId));
export async function upsertCustomer(db: Db, row: typeof billingCustomers.$inferInsert) {
  await db.insert(billingCustomers).values(row).onConflictDoUpdate({ target: billingCustomers.spEnterpriseId, set: { billingId: row.billingId, internalTrial: row.internalTrial, updatedAt: row.updatedAt } });
}
export async function findSettings(db: Db) {
  const [row] = await db.select().from(billingSettings).where(eq(billingSettings.id, 'partner'));
  return row;
}
export async function upsertSettings(db: Db, resellerName: string, at: Date) {
  await db.insert(billingSettings).values({ id: 'partner', resellerName, updatedAt: at }).onConflictDoUpdate({ target: billingSettings.id, set: { resellerName, updatedAt: at } });
}
export async function findPartnerOrgName(db: Db) {
  const [row] = await db.select({ name: partnerOrgs.name }).from(partnerOrgs).orderBy(asc(partnerOrgs.createdAt)).limit(1);
  return row?.name;
}
