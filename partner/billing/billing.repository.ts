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
 * One chunk's bytes, one at a time: the download never holds more than one in memory. Read in
 * PostgreSQL's binary result format (the bytes as they are) rather than as text, where a bytea comes
 * as a hex string twice its size: 2 MB strings per 1 MB chunk, which the download left in the
 * server's heap until a full collection (RSS 434–491 MB during a 194 MB download, against the
 * report's ~300 MB). Only the one bytea column is in the binary format; nothing else to decode.
 * Undefined when the chunk is gone (the report was deleted meanwhile).
 */
export async function readChunk(pool: Pick<pg.Pool, 'query'>, reportId: string, seq: number): Promise<Buffer | undefined> {
  // `binary` is a per-query option of pg's Query that its type definitions leave out.
  const query = { text: 'select data from partner_billing_report_chunks where report_id = $1 and seq = $2', values: [reportId, seq], binary: true } as pg.QueryConfig;
  const { rows } = await pool.query<{ data: Buffer }>(query);
  return rows[0]?.data;
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
