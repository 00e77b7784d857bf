import { bigint, boolean, customType, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

// Billing reports (P16): one report per billing month, its CSV stored in chunks (so it is written
// and served as a stream, from any instance), and the billing attributes our model lacked.

export type BillingSummary = {
  /** Sum of quantities (4 decimals) per package and per customer enterprise. */
  byPackage: Record<string, { records: number; quantity: number }>;
  byCustomer: Record<string, { records: number; quantity: number; byPackage: Record<string, number> }>;
  subscribers: number;
};

export const billingReports = pgTable(
  'partner_billing_reports',
  {
    id: uuid('id').primaryKey(),
    /** `YYYY-MM`; unique: a month is reported again only after its report is deleted. */
    billingPeriod: text('billing_period').notNull().unique(),
    /** IN_PROGRESS | COMPLETED | FAILED (the Webex statuses). */
    status: text('status').notNull(),
    jobId: uuid('job_id'),
    created: timestamp('created', { withTimezone: true }).notNull(),
    /** The actor who asked for it (user/token id) and its name. */
    createdById: text('created_by_id'),
    createdByName: text('created_by_name').notNull(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    recordCount: integer('record_count'),
    byteSize: bigint('byte_size', { mode: 'number' }),
    summary: jsonb('summary').$type<BillingSummary>(),
    errors: jsonb('errors').$type<{ code: number; description: string }[]>().notNull().default([]),
  },
  (t) => [index('partner_billing_reports_created_idx').on(t.created)],
);

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

/** The report's CSV in order (about 1 MB each), UTF-8. */
export const billingReportChunks = pgTable(
  'partner_billing_report_chunks',
  {
    reportId: uuid('report_id')
      .notNull()
      .references(() => billingReports.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    data: bytea('data').notNull(),
  },
  (t) => [primaryKey({ columns: [t.reportId, t.seq] })],
);

/**
 * Billing attributes of a customer (BroadWorks enterprise): the partner's billing ID for it and
 * whether it is an internal trial. Keyed by spEnterpriseId, as the history is, so that a customer
 * organisation deleted since keeps its attributes for past months.
 */
export const billingCustomers = pgTable('partner_billing_customers', {
  spEnterpriseId: text('sp_enterprise_id').primaryKey(),
  billingId: text('billing_id'),
  internalTrial: boolean('internal_trial').notNull().default(false),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
});

/** Partner-wide billing settings (one row, id 'partner'): the reseller name printed on every record. */
export const billingSettings = pgTable('partner_billing_settings', {
  id: text('id').primaryKey(),
  resellerName: text('reseller_name').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
});
