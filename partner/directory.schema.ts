import { boolean, date, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

// Enterprises' BroadWorks directory sync, BroadWorks workspaces, and the daily package snapshots
// behind the partner's trend charts (P12, P15, the /v1 enterprises and workspaces APIs).

/** Directory sync of one enterprise (one customer org): the toggle and the last sync's outcome. */
export const enterpriseSync = pgTable('partner_enterprise_sync', {
  customerOrgId: uuid('customer_org_id').primaryKey(),
  enableDirSync: boolean('enable_dir_sync').notNull().default(false),
  /** NOT_SYNCED | IN_PROGRESS | COMPLETE | FAILED */
  syncStatus: text('sync_status').notNull().default('NOT_SYNCED'),
  lastSyncStartTime: timestamp('last_sync_start_time', { withTimezone: true }),
  lastSyncEndTime: timestamp('last_sync_end_time', { withTimezone: true }),
  lastSuccessfulSyncTime: timestamp('last_successful_sync_time', { withTimezone: true }),
  lastSyncTrackingId: text('last_sync_tracking_id'),
  /** usersAdded, usersUpdated, usersDeleted, machinesAdded, machinesUpdated, machinesDeleted of the last sync. */
  counts: jsonb('counts').$type<Record<string, number>>().notNull().default({}),
  errors: jsonb('errors').$type<{ errorCode: number; description: string }[]>().notNull().default([]),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
});

/** BroadWorks-only users and machines a directory sync brought into the org (not Webex subscribers). */
export const externalUsers = pgTable(
  'partner_external_users',
  {
    customerOrgId: uuid('customer_org_id').notNull(),
    userId: text('user_id').notNull(),
    /** user | machine */
    kind: text('kind').notNull(),
    firstName: text('first_name'),
    lastName: text('last_name'),
    extension: text('extension'),
    number: text('number'),
    mobile: text('mobile'),
    syncedAt: timestamp('synced_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.customerOrgId, t.userId] })],
);

/** BroadWorks workspaces (shared RoomOS devices) of existing customers. */
export const workspaces = pgTable(
  'partner_workspaces',
  {
    id: uuid('id').primaryKey(),
    customerOrgId: uuid('customer_org_id').notNull(),
    provisioningId: text('provisioning_id').notNull(),
    /** The workspace's BroadWorks user ID: unique like a subscriber's. */
    userId: text('user_id').notNull().unique(),
    spEnterpriseId: text('sp_enterprise_id').notNull(),
    displayName: text('display_name').notNull(),
    primaryPhoneNumber: text('primary_phone_number'),
    extension: text('extension'),
    created: timestamp('created', { withTimezone: true }).notNull(),
  },
  (t) => [index('partner_workspaces_org_idx').on(t.customerOrgId)],
);

/**
 * P15: provisioned users per package at the end of each UTC day, computed from the subscriber
 * history (so any past day can be recomputed); kept 13 months.
 */
export const usageSnapshots = pgTable(
  'partner_usage_snapshots',
  {
    day: date('day', { mode: 'string' }).notNull(),
    package: text('package').notNull(),
    users: integer('users').notNull(),
    computedAt: timestamp('computed_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.day, t.package] })],
);
