import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, index, integer, jsonb, pgTable, primaryKey, serial, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { CertificateSummary } from '../platform/http/external-client.ts';

// A bridge is what TMS calls a system: one CMS (or one CMS cluster, reached through the node it was
// added by). Its call bridges (nodes) share the space configuration; calls live on one node.
export const bridges = pgTable('meetings_bridges', {
  id: uuid('id').primaryKey(),
  /** Blank until someone names it (CMS has no system name): the Blank System Name ticket. */
  name: text('name').notNull().default(''),
  /** As entered: host or host:port. */
  address: text('address').notNull(),
  baseUrl: text('base_url').notNull(),
  username: text('username').notNull(),
  passwordSealed: text('password_sealed').notNull(),
  systemType: text('system_type').notNull().default('Cisco Meeting Server'),
  ipZone: text('ip_zone'),
  timeZone: text('time_zone').notNull().default('UTC'),
  usageType: text('usage_type').notNull().default('Meeting Room'),
  softwareVersion: text('software_version'),
  clusterEnabled: boolean('cluster_enabled').notNull().default(false),
  connectivity: text('connectivity').notNull().default('reachable'),
  uptimeSeconds: bigint('uptime_seconds', { mode: 'number' }),
  callLegsActive: integer('call_legs_active'),
  callLegsMaxActive: integer('call_legs_max_active'),
  callLegsCompleted: integer('call_legs_completed'),
  audioBitRateOutgoing: bigint('audio_bit_rate_outgoing', { mode: 'number' }),
  audioBitRateIncoming: bigint('audio_bit_rate_incoming', { mode: 'number' }),
  videoBitRateOutgoing: bigint('video_bit_rate_outgoing', { mode: 'number' }),
  videoBitRateIncoming: bigint('video_bit_rate_incoming', { mode: 'number' }),
  lastPolledAt: timestamp('last_polled_at', { withTimezone: true }),
  // M4 settings
  sipDomain: text('sip_domain'),
  numericIdBase: bigint('numeric_id_base', { mode: 'number' }),
  numericIdQuantity: integer('numeric_id_quantity'),
  alternateAddress: text('alternate_address'),
  alternateUsername: text('alternate_username'),
  alternatePasswordSealed: text('alternate_password_sealed'),
  sipMode: boolean('sip_mode').notNull().default(true),
  allowBooking: boolean('allow_booking').notNull().default(true),
  /** API requests in flight at once to each node of the bridge, all instances together; null: SWITCHBOARD_BRIDGE_MAX_CONCURRENT_REQUESTS. */
  maxConcurrentRequests: integer('max_concurrent_requests'),
  /** The bridge's SystemId in the TMSBA-compatible API (#16): a TMS participant of a conference names it (sequence in bookings.schema.ts). */
  systemId: integer('system_id').notNull().default(sql`nextval('meetings_conference_ids')`),
  allowIncomingSip: boolean('allow_incoming_sip').notNull().default(true),
  allowOutgoingSip: boolean('allow_outgoing_sip').notNull().default(true),
  webBridgeUri: text('web_bridge_uri'),
  /** Minutes before the end at which a banner warns the participants. */
  endWarningMinutes: jsonb('end_warning_minutes').$type<number[]>().notNull().default([]),
  // M6 profiles
  callProfileId: text('call_profile_id'),
  callLegProfileId: text('call_leg_profile_id'),
  // M7 pool
  spaceNamePrefix: text('space_name_prefix').notNull().default('TMS_Scheduled_Meeting_'),
  bulkParameterSetId: text('bulk_parameter_set_id'),
  poolState: text('pool_state').notNull().default('none'),
  poolSize: integer('pool_size').notNull().default(0),
  /** SHA-256 (hex) of the CDR receiver URL's token: the token is a credential, the database keeps only its hash. */
  cdrTokenHash: text('cdr_token_hash'),
  /** The same token sealed (platform/secrets): to register a receiver on a node later. */
  cdrTokenSealed: text('cdr_token_sealed'),
  /**
   * Set on the bridges the Lab registers: its cluster's name. The Lab's ports and passwords change on
   * every start; this is how the same lab cluster finds its bridge again instead of adding another.
   */
  labCluster: text('lab_cluster'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
}, (t) => [uniqueIndex('meetings_bridges_lab_cluster').on(t.labCluster), uniqueIndex('meetings_bridges_system_id').on(t.systemId)]);

/** The call bridges of a bridge's cluster, found through /callBridges (M5). */
export const bridgeNodes = pgTable(
  'meetings_bridge_nodes',
  {
    id: uuid('id').primaryKey(),
    bridgeId: uuid('bridge_id').notNull().references(() => bridges.id, { onDelete: 'cascade' }),
    callBridgeId: text('call_bridge_id').notNull(),
    name: text('name').notNull(),
    /**
     * The URL Switchboard reaches this node at: the operator's override, else the address the
     * cluster advertises with the scheme and port policy of the address the bridge was added by.
     */
    address: text('address').notNull(),
    /** As /callBridges shows it, e.g. https://14.80.82.31 (null: none advertised, or stored before it was kept). */
    advertisedAddress: text('advertised_address'),
    /** Set by the operator (M4/M5): used instead of what discovery derives, kept across relinks. */
    addressOverride: text('address_override'),
    /** host:port, the key a second add of the same node is refused by. */
    hostKey: text('host_key').notNull(),
    primary: boolean('is_primary').notNull().default(false),
    healthy: boolean('healthy').notNull().default(true),
    lastError: text('last_error'),
    cdrReceiverId: text('cdr_receiver_id'),
    /**
     * How this node's HTTPS certificate is trusted: `ca` (a trusted CA vouches for it), `pinned`
     * (this fingerprint, confirmed by the operator or pinned on first contact), null (plain HTTP, or
     * not contacted over HTTPS since this column exists: pinned on first contact).
     */
    certificateTrust: text('certificate_trust').$type<'ca' | 'pinned'>(),
    /** SHA-256 of the certificate accepted (`AB:CD:…`): the pin when `pinned`, the one last accepted when `ca`. */
    certificateFingerprint: text('certificate_fingerprint'),
    /** Subject, issuer, validity of that certificate (PeerCertificate), for the operator to see. */
    certificate: jsonb('certificate').$type<CertificateSummary>(),
    /** A different certificate the node presents now (the Certificate Changed ticket); null when none. */
    presentedCertificate: jsonb('presented_certificate').$type<CertificateSummary>(),
  },
  (t) => [uniqueIndex('meetings_bridge_nodes_host_key').on(t.hostKey), index('meetings_bridge_nodes_bridge').on(t.bridgeId)],
);

/** M2: numbered like TMS's (#35, #37); one open ticket per bridge and kind, custom ones aside. */
export const tickets = pgTable(
  'meetings_tickets',
  {
    id: serial('id').primaryKey(),
    bridgeId: uuid('bridge_id').notNull().references(() => bridges.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    title: text('title').notNull(),
    detail: text('detail').notNull(),
    state: text('state').notNull().default('open'),
    openedAt: timestamp('opened_at', { withTimezone: true }).notNull(),
    closedAt: timestamp('closed_at', { withTimezone: true }),
  },
  (t) => [index('meetings_tickets_bridge').on(t.bridgeId, t.state)],
);

/** M7/M9: the pool's spaces, the local authoritative slot state (no listing of coSpaces to start). */
export const poolSlots = pgTable(
  'meetings_pool_slots',
  {
    bridgeId: uuid('bridge_id').notNull().references(() => bridges.id, { onDelete: 'cascade' }),
    slot: integer('slot').notNull(),
    coSpaceId: text('co_space_id').notNull(),
    uri: text('uri').notNull(),
    callId: text('call_id').notNull(),
    occurrenceId: uuid('occurrence_id'),
  },
  (t) => [primaryKey({ columns: [t.bridgeId, t.slot] })],
);

/** M15: every exchange with a bridge, secrets masked. */
export const apiTrace = pgTable(
  'meetings_api_trace',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    bridgeId: uuid('bridge_id').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    node: text('node').notNull(),
    method: text('method').notNull(),
    path: text('path').notNull(),
    requestBody: text('request_body'),
    status: integer('status'),
    size: integer('size').notNull().default(0),
    location: text('location'),
    responseBody: text('response_body'),
    durationMs: integer('duration_ms').notNull(),
    error: text('error'),
  },
  (t) => [index('meetings_api_trace_bridge_at').on(t.bridgeId, t.at)],
);
