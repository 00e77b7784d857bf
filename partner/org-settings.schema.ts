import { boolean, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

// P13/P14: what a customer organisation's Control Hub settings hold, the partner-wide release
// schedule, and the per-user settings Control Hub shows (services, work number, free calling).

/** One row per customer org; created on first write (absent = defaults). */
export const orgSettings = pgTable('partner_org_settings', {
  customerOrgId: uuid('customer_org_id').primaryKey(),
  /** Control Hub settings keyed by field (see org-settings.service.ts for the list and defaults). */
  values: jsonb('values').$type<Record<string, unknown>>().notNull().default({}),
  /** P13: days this org defers Cisco's monthly release; null follows the partner default. */
  releaseDeferDays: integer('release_defer_days'),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
});

/** P13: the partner-wide release schedule (one row per partner org). */
export const releaseSettings = pgTable('partner_release_settings', {
  partnerOrgId: uuid('partner_org_id').primaryKey(),
  deferDays: integer('defer_days').notNull().default(0),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
});

/** Per-person Control Hub settings; free calling is fixed from the template when the person is provisioned. */
export const personSettings = pgTable(
  'partner_person_settings',
  {
    personId: uuid('person_id').primaryKey(),
    customerOrgId: uuid('customer_org_id').notNull(),
    freeCalling: boolean('free_calling').notNull().default(true),
    displayName: text('display_name'),
    primaryWorkNumber: text('primary_work_number'),
    /** messaging, meetings, calling: on/off per service. */
    services: jsonb('services').$type<Record<string, boolean>>().notNull().default({ messaging: true, meetings: true, calling: true }),
    /** Webex-for-BroadWorks package of a person added in Control Hub (no subscriber). */
    package: text('package'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('partner_person_settings_org_idx').on(t.customerOrgId)],
);
