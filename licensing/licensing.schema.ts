import type { CertificateSummary } from '../platform/http/external-client.ts';
import { boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

// L1–L8: smart accounts (CSSM access and transport), their virtual accounts (synced), UC clusters
// (inventory) and the cluster operations HCM-F shows as jobs with four steps.

export const smartAccounts = pgTable('licensing_smart_accounts', {
  id: uuid('id').primaryKey(),
  domain: text('domain').notNull().unique(),
  name: text('name'),
  clientId: text('client_id').notNull(),
  /** Sealed with services.secrets; never returned. */
  clientSecret: text('client_secret').notNull(),
  /** direct | proxy | satellite */
  transportMode: text('transport_mode').notNull().default('direct'),
  proxyHost: text('proxy_host'),
  proxyPort: integer('proxy_port'),
  proxyUsername: text('proxy_username'),
  proxyPassword: text('proxy_password'),
  satelliteHost: text('satellite_host'),
  satellitePort: integer('satellite_port'),
  satelliteRegistrationUrl: text('satellite_registration_url'),
  satelliteTokenUrl: text('satellite_token_url'),
  authGatewayUrl: text('auth_gateway_url').notNull(),
  cssmServerUrl: text('cssm_server_url').notNull(),
  /** URL clusters register to when transport is direct (Cisco's Call Home; the Lab's CSSM in the lab). */
  deviceRegistrationUrl: text('device_registration_url').notNull(),
  syncIntervalHours: integer('sync_interval_hours').notNull().default(24),
  /** never-synced | active | error */
  status: text('status').notNull().default('never-synced'),
  virtualAccountCount: integer('virtual_account_count').notNull().default(0),
  satelliteVirtualAccountCount: integer('satellite_virtual_account_count').notNull().default(0),
  lastSyncAt: timestamp('last_sync_at', { withTimezone: true }),
  lastSyncJobId: uuid('last_sync_job_id'),
  /** `clusterId`: a publisher certificate alert, kept by syncs until the certificate is accepted. */
  alerts: jsonb('alerts').$type<Array<{ severity: 'Minor' | 'Major'; message: string; at: string; acknowledgedAt?: string; clusterId?: string }>>().notNull().default([]),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
});

export const virtualAccounts = pgTable(
  'licensing_virtual_accounts',
  {
    id: uuid('id').primaryKey(),
    smartAccountId: uuid('smart_account_id')
      .notNull()
      .references(() => smartAccounts.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    isDefault: boolean('is_default').notNull().default(false),
    /** PUBLIC | PRIVATE */
    accessLevel: text('access_level').notNull(),
    /** Enterprise | HCS | HCS-LE; held only here, not in CSSM (HCM-F does the same). */
    licenseMode: text('license_mode'),
    /** Gone from CSSM at the last sync but still holding clusters. */
    removedFromCssm: boolean('removed_from_cssm').notNull().default(false),
    lastSyncJobId: uuid('last_sync_job_id'),
    syncedAt: timestamp('synced_at', { withTimezone: true }).notNull(),
  },
  (t) => [uniqueIndex('licensing_va_sa_name_idx').on(t.smartAccountId, t.name), index('licensing_va_name_idx').on(t.name, t.id)],
);

export const ucClusters = pgTable(
  'licensing_clusters',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull().unique(),
    /** CUCM | CUC */
    type: text('type').notNull(),
    version: text('version').notNull(),
    /** https://host:8443 */
    publisherUrl: text('publisher_url'),
    adminUsername: text('admin_username'),
    adminPassword: text('admin_password'),
    platformUsername: text('platform_username'),
    platformPassword: text('platform_password'),
    virtualAccountId: uuid('virtual_account_id').references(() => virtualAccounts.id),
    /** HCM-F's Cluster Summary status (DEREGISTERED, MANUALLY_REGISTERED, MANUAL_REGISTRATION_FAILED, …) */
    status: text('status').notNull().default('DEREGISTERED'),
    productUdi: text('product_udi'),
    lastOperationId: uuid('last_operation_id'),
    lastCheck: jsonb('last_check').$type<Record<string, unknown>>(),
    /**
     * How the publisher's HTTPS certificate is trusted: `ca`, `pinned` (certificateFingerprint), or null
     * (plain HTTP, not reachable when added, or added before certificates were kept: pinned on first contact).
     */
    certificateTrust: text('certificate_trust').$type<'ca' | 'pinned'>(),
    certificateFingerprint: text('certificate_fingerprint'),
    certificate: jsonb('certificate').$type<CertificateSummary>(),
    /** Another certificate the publisher presents now (alert raised, jobs blocked until accepted). */
    presentedCertificate: jsonb('presented_certificate').$type<CertificateSummary>(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('licensing_clusters_va_idx').on(t.virtualAccountId)],
);

export const clusterOperations = pgTable(
  'licensing_operations',
  {
    /** The platform job's id. */
    id: uuid('id').primaryKey(),
    /** assign | unassign | reassign | sync */
    operation: text('operation').notNull(),
    entityType: text('entity_type').notNull(),
    entityName: text('entity_name').notNull(),
    clusterId: uuid('cluster_id'),
    smartAccountId: uuid('smart_account_id'),
    virtualAccountId: uuid('virtual_account_id'),
    targetVirtualAccountId: uuid('target_virtual_account_id'),
    description: text('description').notNull(),
    /** IN_PROGRESS | SUCCEEDED | FAILED */
    status: text('status').notNull(),
    progressInfo: jsonb('progress_info').$type<Record<string, string>>().notNull(),
    errorCode: text('error_code'),
    errorDescription: text('error_description'),
    recommendedAction: text('recommended_action'),
    createdBy: text('created_by'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [index('licensing_operations_cluster_idx').on(t.clusterId), index('licensing_operations_started_idx').on(t.startedAt)],
);
