import { bigint, boolean, index, integer, jsonb, pgTable, primaryKey, serial, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { bookings } from './bookings.schema.ts';
import type { CertificateSummary } from '../platform/http/external-client.ts';

// #17: room endpoints (Cisco CE / RoomOS codecs) as bookable participants, and what was pushed to
// their touch panels (One Button to Push).

export const endpoints = pgTable(
  'meetings_endpoints',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull(),
    /** As entered: host or host:port, or an http(s) URL of one. */
    address: text('address').notNull(),
    baseUrl: text('base_url').notNull(),
    /** host:port: an endpoint is registered once. */
    hostKey: text('host_key').notNull(),
    username: text('username').notNull(),
    passwordSealed: text('password_sealed').notNull(),
    productId: text('product_id'),
    softwareVersion: text('software_version'),
    serialNumber: text('serial_number'),
    /** What a bridge dials for automatic connect; from SIP/Registration/URI unless entered. */
    sipUri: text('sip_uri'),
    webexRegistered: boolean('webex_registered').notNull().default(false),
    /** reachable | unreachable | auth_failed */
    connectivity: text('connectivity').notNull().default('reachable'),
    activeCalls: integer('active_calls'),
    uptimeSeconds: bigint('uptime_seconds', { mode: 'number' }),
    lastPolledAt: timestamp('last_polled_at', { withTimezone: true }),
    /** SHA-256 of the last bookings document the codec accepted (null: nothing pushed yet). */
    obtpPushedHash: text('obtp_pushed_hash'),
    obtpPushedAt: timestamp('obtp_pushed_at', { withTimezone: true }),
    obtpPushedCount: integer('obtp_pushed_count'),
    obtpMethod: text('obtp_method'),
    obtpLastError: text('obtp_last_error'),
    /**
     * How the codec's HTTPS certificate is trusted, as a bridge node's (#14): `ca` (a trusted CA
     * vouches for it) or `pinned` (certificateFingerprint, confirmed by the operator); null: plain
     * HTTP, or registered before certificates were kept (pinned on its next contact).
     */
    certificateTrust: text('certificate_trust').$type<'ca' | 'pinned'>(),
    certificateFingerprint: text('certificate_fingerprint'),
    certificate: jsonb('certificate').$type<CertificateSummary>(),
    /** A different certificate the codec presents now (the Certificate Changed ticket); null when none. */
    presentedCertificate: jsonb('presented_certificate').$type<CertificateSummary>(),
    /** Set on the endpoints the Lab registers: its codec's name (ports change on a clean Lab start). */
    labCodec: text('lab_codec'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [uniqueIndex('meetings_endpoints_host_key').on(t.hostKey), uniqueIndex('meetings_endpoints_lab_codec').on(t.labCodec)],
);

/** Like the bridges' M2 tickets: one open ticket per endpoint and kind, closed when the cause is gone. */
export const endpointTickets = pgTable(
  'meetings_endpoint_tickets',
  {
    id: serial('id').primaryKey(),
    endpointId: uuid('endpoint_id').notNull().references(() => endpoints.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    title: text('title').notNull(),
    detail: text('detail').notNull(),
    state: text('state').notNull().default('open'),
    openedAt: timestamp('opened_at', { withTimezone: true }).notNull(),
    closedAt: timestamp('closed_at', { withTimezone: true }),
  },
  (t) => [index('meetings_endpoint_tickets_endpoint').on(t.endpointId, t.state)],
);

/** The rooms a booking names, each with how it joins: obtp | automatic | manual. */
export const bookingRooms = pgTable(
  'meetings_booking_rooms',
  {
    bookingId: uuid('booking_id').notNull().references(() => bookings.id, { onDelete: 'cascade' }),
    endpointId: uuid('endpoint_id').notNull().references(() => endpoints.id, { onDelete: 'cascade' }),
    connectMode: text('connect_mode').notNull(),
    /** The booking is private on this room's panel (the codec shows no title). */
    private: boolean('private').notNull().default(false),
  },
  (t) => [primaryKey({ columns: [t.bookingId, t.endpointId] }), index('meetings_booking_rooms_endpoint').on(t.endpointId)],
);
