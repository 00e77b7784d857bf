import { z } from 'zod';
import { requireActor } from '../platform/auth/auth.plugin.ts';
import { pageOf, pageQuery } from '../platform/http/paging.ts';
import { dateTimeText, httpUrlInput, int4Query, timestampInput } from '../platform/http/inputs.ts';
import { normalizeFingerprint } from '../platform/http/external-client.ts';
import { bridgeAddressProblem, publicBridge, publicNode, type Bridges } from './bridges.service.ts';
import * as repo from './meetings.repository.ts';
import { CONNECT_MODES } from './endpoints.service.ts';
import { recurrenceProblem } from './recurrence.ts';
import { getRoutingPreference, readBookingChanges, setRoutingPreference } from './booking-changes.ts';
import type { FastifyRequest } from 'fastify';
import type { HttpApp } from '../platform/http/app-types.ts';
import type { PlatformServices } from '../platform/services.ts';
import type { Bookings } from './bookings.service.ts';
import type { Meetings } from './meetings.service.ts';
import type { MeetingJobs } from './meetings.jobs.ts';

const P = '/api/v1/meetings';
const id = z.strictObject({ id: z.string().uuid() });
const anyObject = z.record(z.string(), z.unknown());
const name = z.string().trim().max(200);
/** M1: one address or several separated by commas, each `host`, `host:port` or an http(s) URL of one. */
const bridgeAddresses = z.string().trim().min(1).max(2000).superRefine((text, ctx) => {
  const items = text.split(',').map((a) => a.trim()).filter(Boolean);
  if (!items.length) ctx.addIssue({ code: 'custom', message: 'Enter at least one IP address or DNS name.', input: text });
  for (const item of items) {
    const problem = bridgeAddressProblem(item);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, input: text });
  }
}).describe('IP address or DNS name, optionally :port (e.g. 10.0.0.1:445); several separated by commas');
const sipUri = z.string().trim().min(3).max(255).regex(/^(sip:)?[^\s@]+@[^\s@]+$/, 'a SIP URI such as alice@example.com');

const bridge = z.object({
  id: z.string(), name: z.string(), address: z.string(), baseUrl: z.string(), username: z.string(), systemType: z.string(),
  systemId: z.number().optional().describe('The bridge\'s SystemId in the TMSBA-compatible booking API (a TMS participant names it)'),
  ipZone: z.string().nullable(), timeZone: z.string(), usageType: z.string(), softwareVersion: z.string().nullable(), status: z.string(),
  connectivity: z.string(), uptimeSeconds: z.number().nullable(), callLegsActive: z.number().nullable(), callLegsMaxActive: z.number().nullable(),
  callLegsCompleted: z.number().nullable(), audioBitRateOutgoing: z.number().nullable(), audioBitRateIncoming: z.number().nullable(),
  videoBitRateOutgoing: z.number().nullable(), videoBitRateIncoming: z.number().nullable(), lastPolledAt: z.date().nullable(),
  sipDomain: z.string().nullable(), numericIdBase: z.number().nullable(), numericIdQuantity: z.number().nullable(), alternateAddress: z.string().nullable(),
  alternateUsername: z.string().nullable(), alternatePasswordSet: z.boolean(),
  maxConcurrentRequests: z.number().nullable().describe('API requests in flight at once to each node of the bridge, all Switchboard instances together (null: SWITCHBOARD_BRIDGE_MAX_CONCURRENT_REQUESTS)'), sipMode: z.boolean(), allowBooking: z.boolean(), allowIncomingSip: z.boolean(),
  allowOutgoingSip: z.boolean(), webBridgeUri: z.string().nullable(), endWarningMinutes: z.array(z.number()), callProfileId: z.string().nullable(),
  callLegProfileId: z.string().nullable(), spaceNamePrefix: z.string(), poolState: z.string(), poolSize: z.number(), clusterEnabled: z.boolean(),
  createdAt: z.date(), updatedAt: z.date(),
}).meta({ id: 'Bridge' });
const ticket = z.object({ id: z.number(), bridgeId: z.string(), kind: z.string(), title: z.string(), detail: z.string(), state: z.string(), openedAt: z.date(), closedAt: z.date().nullable() }).meta({ id: 'BridgeTicket' });
export const certificate = z.object({
  subject: z.string(), issuer: z.string(), validFrom: z.string().describe('ISO 8601, UTC'), validTo: z.string().describe('ISO 8601, UTC'),
  fingerprint: z.string().describe('SHA-256 of the certificate, upper-case hex pairs joined by colons'),
  trusted: z.boolean().describe('A trusted CA (system CAs plus SWITCHBOARD_TLS_CA_FILE) vouches for it'), trustError: z.string().nullable(),
}).meta({ id: 'Certificate' });
export const fingerprint = z.string().trim().max(200).refine((v) => normalizeFingerprint(v) !== null, 'a SHA-256 fingerprint: 64 hexadecimal digits, colons or spaces between pairs allowed');
const node = z.object({
  id: z.string(), callBridgeId: z.string(), name: z.string(),
  address: z.string().describe('The URL Switchboard reaches the node at'),
  advertisedAddress: z.string().nullable().describe('The address the cluster advertises for it (/callBridges/{id}); null when it advertises none'),
  addressOverride: z.string().nullable().describe('Set by the operator; null: derived from the advertised address with the scheme and port of the address the bridge was added by'),
  primary: z.boolean(), healthy: z.boolean(), lastError: z.string().nullable(), cdrReceiver: z.boolean().describe('Switchboard is registered as this node\'s CDR receiver'),
  certificateTrust: z.enum(['ca', 'pinned']).nullable().describe('ca: a trusted CA vouches for its certificate; pinned: certificateFingerprint is pinned; null: plain HTTP, or pinned on first contact'),
  certificateFingerprint: z.string().nullable().describe('SHA-256 of the accepted certificate'),
  certificate: certificate.nullable().describe('The accepted certificate'),
  presentedCertificate: certificate.nullable().describe('Another certificate the node presents now (Certificate Changed ticket): accept it to talk to the node again'),
}).meta({ id: 'BridgeNode' });
const booking = z.object({
  id: z.string(), bridgeId: z.string(), title: z.string(), organizer: z.string(), hasPasscode: z.boolean(), timeZone: z.string(), startAt: z.date(), endAt: z.date(),
  earlyJoinMinutes: z.number(), recurrence: z.string().nullable(), dialOut: z.array(z.string()), dialIn: z.array(z.string()), state: z.string(),
  createdBy: z.string(), createdAt: z.date(), updatedAt: z.date(), occurrences: z.number().optional(),
  conferenceId: z.number().describe('The booking\'s id in the TMSBA-compatible booking API (ConferenceId)'),
  version: z.number().describe('Moves with every change of the booking or one of its meetings'),
  externalSourceId: z.string().nullable().describe('The system that made the booking (TMSBA ExternalSourceId), if another did'),
  externalPrimaryKey: z.string().nullable().describe('The booking\'s key in that system (TMSBA ExternalPrimaryKey)'),
}).meta({ id: 'Booking' });
const occurrence = z.object({
  id: z.string(), bookingId: z.string(), bridgeId: z.string(), startAt: z.date(), endAt: z.date(), holdFrom: z.date(), state: z.string(), slot: z.number().nullable(),
  coSpaceId: z.string().nullable(), nodeId: z.string().nullable(), callId: z.string().nullable(), startedAt: z.date().nullable(), endedAt: z.date().nullable(),
  failovers: z.number(), error: z.string().nullable(), edited: z.boolean(), dialOut: z.array(z.string()).nullable().describe('This meeting\'s own dial-outs; null: the booking\'s'),
  conferenceId: z.number().describe('This meeting\'s own id in the TMSBA-compatible booking API'),
  recurrenceIdAt: z.date().nullable().describe('The start the series gave this meeting, when it was moved'),
}).meta({ id: 'MeetingOccurrence' });
const leg = z.object({ id: z.string(), remoteParty: z.string(), callLegId: z.string().nullable(), outcome: z.string(), attempts: z.number(), reason: z.string().nullable(), updatedAt: z.date() });
const liveLeg = z.object({
  callLegId: z.string(), remoteParty: z.string(), name: z.string(),
  state: z.string().nullable().describe('The bridge\'s leg state: initial, ringing, connected'),
  audioMuted: z.boolean().nullable(), videoMuted: z.boolean().nullable(),
}).meta({ id: 'LiveCallLeg' });
const cdr = z.object({ type: z.string(), at: z.date(), callId: z.string().nullable(), callLegId: z.string().nullable(), remoteParty: z.string().nullable(), reason: z.string().nullable() });
const trace = z.object({ id: z.number(), at: z.date(), node: z.string(), method: z.string(), path: z.string(), requestBody: z.string().nullable(), status: z.number().nullable(), size: z.number(), location: z.string().nullable(), responseBody: z.string().nullable(), durationMs: z.number(), error: z.string().nullable() }).meta({ id: 'BridgeApiExchange' });
const jobRef = z.object({ jobId: z.string() });

const bookingBody = {
  title: name.min(1),
  start: dateTimeText().describe('Wall time in timeZone (2026-03-02T10:00) or ISO with offset'),
  end: dateTimeText().optional(),
  durationMinutes: z.number({ error: 'Enter the length in minutes, such as 60.' }).int('Enter whole minutes.').min(1, 'A meeting lasts at least 1 minute.').max(10_080, 'A meeting lasts at most 7 days (10,080 minutes).').optional(),
  timeZone: z.string().min(1).max(64).describe('IANA time zone, e.g. Europe/Berlin'),
  organizer: name.min(1).optional(),
  passcode: z.string().regex(/^\d{0,20}$/, 'digits only').optional(),
  dialOut: z.array(sipUri).max(100).optional(),
  dialIn: z.array(name.min(1)).max(500).optional(),
  earlyJoinMinutes: z.number().int().min(0).max(60).optional(),
  recurrence: z.string().max(500).superRefine((text, ctx) => {
    const problem = recurrenceProblem(text);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, input: text });
  }).optional().describe('RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=MO,WE'),
  exceptions: z.array(dateTimeText()).max(1000).optional(),
  rooms: z.array(z.strictObject({ endpointId: z.string().uuid(), connectMode: z.enum(CONNECT_MODES) })).max(100).optional()
    .describe('#17: rooms (endpoints) booked with the meeting, in the same transaction; a room taken then refuses the booking (409 naming the room and the other meeting). obtp: Join on the panel; automatic: the bridge dials the room at start; manual: reserved only. On PATCH: replaces the rooms.'),
};

const origin = (request: FastifyRequest) => `${request.protocol}://${request.headers.host}`;

export function registerMeetingRoutes(app: HttpApp, services: PlatformServices, deps: { bridges: Bridges; bookings: Bookings; meetings: Meetings; jobs: MeetingJobs }) {
  const { bridges, bookings, meetings, jobs } = deps;
  const db = services.database.db;
  const tags = ['Meetings'];
  const sendSync = async (bridgeId: string, request: FastifyRequest) => (await services.jobs.send(jobs.syncPool, { bridgeId }, { actor: requireActor(request) })).id;

  // ---- bridges (M1–M7, M15) ----
  app.route({
    method: 'GET', url: `${P}/bridges`, config: { access: 'meetings.read' },
    schema: { tags, summary: 'Bridges, each with its open and acknowledged ticket counts (M2)', querystring: z.strictObject(pageQuery), response: { 200: pageOf(bridge.extend({ openTickets: z.number().int(), acknowledgedTickets: z.number().int() })) } },
    handler: async (request) => {
      const page = await repo.listBridges(db, request.query);
      const counts = await repo.ticketCounts(db, page.items.map((b) => b.id));
      return { items: page.items.map((b) => ({ ...publicBridge(b), openTickets: counts.get(b.id)?.open ?? 0, acknowledgedTickets: counts.get(b.id)?.acknowledged ?? 0 })), total: page.total, ...request.query };
    },
  });
  app.route({
    method: 'POST', url: `${P}/bridges`, config: { access: 'bridges.manage' },
    schema: {
      tags, summary: 'Add one or several CMS (comma-separated addresses, host:port allowed)',
      description: 'An HTTPS bridge\'s certificate is read first. One no trusted CA vouches for is refused with 422 CERTIFICATE_NOT_TRUSTED, its subject, issuer, validity and SHA-256 fingerprint in `details.certificate`; add it again with `trustFingerprint` set to that fingerprint and it is pinned.',
      body: z.strictObject({ address: bridgeAddresses, username: z.string().min(1).max(200), password: z.string().min(1).max(200), tls: z.boolean().optional(), name: name.optional(), ipZone: name.optional(), timeZone: z.string().max(64).optional(), usageType: name.optional(), trustFingerprint: fingerprint.optional().describe('The SHA-256 fingerprint of the certificate the operator confirmed (from the CERTIFICATE_NOT_TRUSTED answer)') }),
      response: { 201: z.object({ items: z.array(z.object({ id: z.string().nullable(), address: z.string(), systemName: z.string().nullable(), systemType: z.string().nullable(), description: z.string(), warnings: z.array(z.string()), nodes: z.number(), certificate: certificate.extend({ trust: z.enum(['ca', 'pinned']) }).nullable().optional(), error: z.object({ code: z.string(), message: z.string() }).nullable() })) }) },
    },
    handler: async (request, reply) => {
      const items = await bridges.add(request.body, requireActor(request), services.config.publicUrl ?? origin(request));
      return reply.code(201).send({ items });
    },
  });
  app.route({
    method: 'GET', url: `${P}/bridges/:id`, config: { access: 'meetings.read' },
    schema: { tags, summary: 'A bridge with its status, open tickets and this week\'s bookings', params: id, response: { 200: bridge.extend({ tickets: z.array(ticket), nodes: z.array(node), weekBookings: z.number() }) } },
    handler: async (request) => {
      const b = await bridges.getBridge(request.params.id);
      const now = services.clock.now();
      return { ...publicBridge(b), tickets: await repo.listTickets(db, b.id, ['open', 'acknowledged']), nodes: (await repo.listNodes(db, b.id)).map(publicNode), weekBookings: await repo.countUpcoming(db, b.id, now, new Date(now.getTime() + 7 * 86_400_000)) };
    },
  });
  app.route({
    method: 'PATCH', url: `${P}/bridges/:id`, config: { access: 'bridges.manage' },
    schema: {
      tags, summary: 'Edit settings (M4); pool settings start a pool sync', params: id,
      body: z.strictObject({
        name: name.optional(), username: z.string().min(1).max(200).optional(), password: z.string().min(1).max(200).optional(), ipZone: name.nullable().optional(), timeZone: z.string().max(64).optional(), usageType: name.optional(),
        sipDomain: z.string().trim().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i, 'a domain such as video.example.com').nullable().optional(),
        numericIdBase: z.number().int().min(0).max(9_999_999_999).nullable().optional(),
        numericIdQuantity: z.number().int().min(1).max(10_000).nullable().optional(),
        alternateAddress: z.string().trim().max(300).superRefine((text, ctx) => {
          const problem = bridgeAddressProblem(text);
          if (problem) ctx.addIssue({ code: 'custom', message: problem, input: text });
        }).nullable().optional(), alternateUsername: z.string().max(200).nullable().optional(), alternatePassword: z.string().max(200).nullable().optional(),
        maxConcurrentRequests: z.number().int().min(1).max(1000).nullable().optional().describe('API requests in flight at once to each node, all instances together; each instance sends at most its share (the limit ÷ SWITCHBOARD_INSTANCES, at least 1). null: the configured default'),
        sipMode: z.boolean().optional(), allowBooking: z.boolean().optional(), allowIncomingSip: z.boolean().optional(), allowOutgoingSip: z.boolean().optional(),
        webBridgeUri: httpUrlInput().nullable().optional(), endWarningMinutes: z.array(z.number().int().min(1).max(60)).max(5).optional(),
        spaceNamePrefix: z.string().trim().min(1).max(60).regex(/^[^$\\]+$/, 'no $ or \\').optional(),
      }),
      response: { 200: bridge.extend({ poolSyncJobId: z.string().nullable() }) },
    },
    handler: async (request) => {
      const { after, syncPool } = await bridges.update(request.params.id, request.body, requireActor(request));
      return { ...publicBridge(after), poolSyncJobId: syncPool ? await sendSync(after.id, request) : null };
    },
  });
  app.route({
    method: 'DELETE', url: `${P}/bridges/:id`, config: { access: 'bridges.manage' },
    schema: { tags, summary: 'Remove a bridge without booked meetings', params: id, response: { 204: z.null() } },
    handler: async (request, reply) => {
      await bridges.remove(request.params.id, requireActor(request));
      return reply.code(204).send(null);
    },
  });
  app.route({
    method: 'GET', url: `${P}/bridges/:id/tickets`, config: { access: 'meetings.read' },
    schema: { tags, summary: 'Tickets (M2)', params: id, querystring: z.strictObject({ state: z.enum(['open', 'acknowledged', 'closed']).optional() }), response: { 200: z.object({ items: z.array(ticket) }) } },
    handler: async (request) => ({ items: await repo.listTickets(db, request.params.id, request.query.state ? [request.query.state] : undefined) }),
  });
  app.route({
    method: 'POST', url: `${P}/bridges/:id/tickets`, config: { access: 'bridges.manage' },
    schema: { tags, summary: 'Add a custom ticket', params: id, body: z.strictObject({ title: name.min(1), detail: z.string().max(4000).default('') }), response: { 201: ticket } },
    handler: async (request, reply) => reply.code(201).send(await bridges.addCustomTicket(request.params.id, request.body, requireActor(request))),
  });
  app.route({
    method: 'POST', url: `${P}/bridges/:id/tickets/:ticketId/:action`, config: { access: 'bridges.manage' },
    schema: { tags, summary: 'Acknowledge or close a ticket', params: z.strictObject({ id: z.string().uuid(), ticketId: int4Query(), action: z.enum(['acknowledge', 'close']) }), response: { 200: ticket } },
    handler: async (request) => bridges.setTicketState(request.params.id, request.params.ticketId, request.params.action === 'close' ? 'closed' : 'acknowledged', requireActor(request)),
  });
  app.route({
    method: 'GET', url: `${P}/bridges/:id/nodes`, config: { access: 'meetings.read' },
    schema: { tags, summary: 'Clustering: the call bridges of the cluster (M5)', params: id, response: { 200: z.object({ items: z.array(node) }) } },
    handler: async (request) => ({ items: (await repo.listNodes(db, request.params.id)).map(publicNode) }),
  });
  app.route({
    method: 'PATCH', url: `${P}/bridges/:id/nodes/:nodeId`, config: { access: 'bridges.manage' },
    schema: {
      tags, summary: 'Set how Switchboard reaches a node of the cluster (M4/M5); address null goes back to the advertised one',
      params: z.strictObject({ id: z.string().uuid(), nodeId: z.string().uuid() }),
      body: z.strictObject({
        address: z
          .string()
          .trim()
          .min(1)
          .max(300)
          .superRefine((text, ctx) => {
            const problem = bridgeAddressProblem(text);
            if (problem) ctx.addIssue({ code: 'custom', message: problem, input: text });
          })
          .nullable()
          .describe('host, host:port or a URL; a bare host uses the scheme the bridge was added with'),
      }),
      response: { 200: node },
    },
    handler: async (request) => bridges.setNodeAddress(request.params.id, request.params.nodeId, request.body.address, requireActor(request), services.config.publicUrl ?? origin(request)),
  });
  app.route({
    method: 'POST', url: `${P}/bridges/:id/nodes/:nodeId/certificate/accept`, config: { access: 'bridges.manage' },
    schema: {
      tags, summary: 'Accept the certificate a node presents now (a renewed one; closes the Certificate Changed ticket)',
      description: 'The fingerprint must be the one the node presents (the ticket and `presentedCertificate` name it); it is pinned. Otherwise 422 CERTIFICATE_NOT_TRUSTED with the certificate the node presents.',
      params: z.strictObject({ id: z.string().uuid(), nodeId: z.string().uuid() }),
      body: z.strictObject({ fingerprint }),
      response: { 200: node },
    },
    handler: async (request) => bridges.acceptCertificate(request.params.id, request.params.nodeId, request.body.fingerprint, requireActor(request)),
  });
  app.route({
    method: 'GET', url: `${P}/bridges/:id/pool`, config: { access: 'meetings.read' },
    schema: { tags, summary: 'Scheduled-space pool slots (M7)', params: id, response: { 200: z.object({ items: z.array(z.object({ slot: z.number(), coSpaceId: z.string(), uri: z.string(), callId: z.string(), occurrenceId: z.string().nullable() })) }) } },
    handler: async (request) => ({ items: await repo.listSlots(db, request.params.id) }),
  });
  app.route({
    method: 'POST', url: `${P}/bridges/:id/pool/sync`, config: { access: 'bridges.manage' },
    schema: { tags, summary: 'Sync the pool again (job)', params: id, response: { 202: jobRef } },
    handler: async (request, reply) => {
      await bridges.getBridge(request.params.id);
      return reply.code(202).send({ jobId: await sendSync(request.params.id, request) });
    },
  });
  app.route({
    method: 'POST', url: `${P}/bridges/:id/pool/reconcile`, config: { access: 'bridges.manage' },
    schema: { tags, summary: 'Check the pool for drift on the bridge and repair it (job)', params: id, response: { 202: jobRef } },
    handler: async (request, reply) => {
      await bridges.getBridge(request.params.id);
      return reply.code(202).send({ jobId: (await services.jobs.send(jobs.reconcilePool, { bridgeId: request.params.id }, { actor: requireActor(request) })).id });
    },
  });
  app.route({
    method: 'GET', url: `${P}/bookings.ics`, config: { access: 'meetings.read' },
    schema: { tags, summary: 'iCalendar feed of an organizer\'s meetings', querystring: z.strictObject({ organizer: z.string().min(1).max(200) }), produces: ['text/calendar'], response: { 200: z.string() } },
    handler: async (request, reply) => reply.type('text/calendar; charset=utf-8').send(await bookings.ical({ organizer: request.query.organizer })),
  });
  app.route({
    method: 'POST', url: `${P}/bridges/:id/poll`, config: { access: 'bridges.manage' },
    schema: { tags, summary: 'Poll status now (M3)', params: id, response: { 202: jobRef } },
    handler: async (request, reply) => reply.code(202).send({ jobId: (await services.jobs.send(jobs.pollStatus, { bridgeId: request.params.id }, { actor: requireActor(request) })).id }),
  });
  app.route({
    method: 'GET', url: `${P}/bridges/:id/trace`, config: { access: 'meetings.read' },
    schema: {
      tags, summary: 'API trace (M15), newest first, secrets masked', params: id,
      querystring: z.strictObject({ ...pageQuery, from: timestampInput().optional(), to: timestampInput().optional(), method: z.enum(['GET', 'POST', 'PUT', 'DELETE']).optional(), path: z.string().max(300).optional(), status: int4Query().optional() }),
      response: { 200: pageOf(trace) },
    },
    handler: async (request) => {
      await bridges.flushTrace();
      const { offset, limit, ...filter } = request.query;
      return { ...(await repo.findTrace(db, { bridgeId: request.params.id, ...filter }, { offset, limit })), offset, limit };
    },
  });
  app.route({
    method: 'GET', url: `${P}/bridges/:id/calendar.ics`, config: { access: 'meetings.read' },
    schema: { tags, summary: 'iCalendar feed of the bridge\'s meetings', params: id, produces: ['text/calendar'], response: { 200: z.string() } },
    handler: async (request, reply) => reply.type('text/calendar; charset=utf-8').send(await bookings.ical({ bridgeId: request.params.id })),
  });

  // ---- bookings (M8, M14) ----
  app.route({
    method: 'GET', url: `${P}/bookings`, config: { access: 'meetings.read' },
    schema: { tags, summary: 'Bookings', querystring: z.strictObject({ ...pageQuery, bridgeId: z.string().uuid().optional(), organizer: z.string().max(200).optional(), from: timestampInput().optional(), to: timestampInput().optional(), state: z.enum(['booked', 'cancelled']).optional() }), response: { 200: pageOf(booking) } },
    handler: async (request) => {
      const { offset, limit, ...filter } = request.query;
      return { ...(await bookings.list(filter, { offset, limit })), offset, limit };
    },
  });
  app.route({
    method: 'POST', url: `${P}/bookings`, config: { access: 'bookings.manage', errors: ['CONFLICT', 'NOT_FOUND', 'INVALID_STATE'] },
    schema: { tags, summary: 'Book a meeting (refused with the conflicting time when no slot is free)', body: z.strictObject({ ...bookingBody, bridgeId: z.string().uuid().optional(), zone: name.optional() }), response: { 201: booking } },
    handler: async (request, reply) => reply.code(201).send(await bookings.create(request.body, requireActor(request))),
  });
  app.route({
    method: 'GET', url: `${P}/bookings/:id`, config: { access: 'meetings.read' },
    schema: { tags, summary: 'A booking with its occurrences', params: id, response: { 200: booking.extend({ occurrences: z.array(occurrence) }) } },
    handler: async (request) => bookings.get(request.params.id),
  });
  app.route({
    method: 'PATCH', url: `${P}/bookings/:id`, config: { access: 'bookings.manage', errors: ['CONFLICT', 'INVALID_STATE'] },
    schema: { tags, summary: 'Edit a booking', params: id, body: z.strictObject(Object.fromEntries(Object.entries(bookingBody).map(([k, v]) => [k, v.optional()])) as { [K in keyof typeof bookingBody]: z.ZodOptional<(typeof bookingBody)[K]> }), response: { 200: booking } },
    handler: async (request) => bookings.update(request.params.id, request.body, requireActor(request)),
  });
  app.route({
    method: 'DELETE', url: `${P}/bookings/:id`, config: { access: 'bookings.manage' },
    schema: { tags, summary: 'Cancel a booking', params: id, response: { 200: booking } },
    handler: async (request) => bookings.cancel(request.params.id, requireActor(request)),
  });
  app.route({
    method: 'PATCH', url: `${P}/bookings/:id/occurrences/:occurrenceId`, config: { access: 'bookings.manage' },
    schema: { tags, summary: 'Move or cancel one meeting of a series, or set its own dial-outs (null: the series\' list)', params: z.strictObject({ id: z.string().uuid(), occurrenceId: z.string().uuid() }), body: z.strictObject({ start: dateTimeText().optional(), end: dateTimeText().optional(), cancel: z.boolean().optional(), dialOut: z.array(sipUri).max(100).nullable().optional() }), response: { 200: occurrence } },
    handler: async (request) => bookings.updateOccurrence(request.params.id, request.params.occurrenceId, request.body, requireActor(request)),
  });
  app.route({
    method: 'GET', url: `${P}/bookings/:id/ical`, config: { access: 'meetings.read' },
    schema: { tags, summary: 'iCalendar export of a booking', params: id, produces: ['text/calendar'], response: { 200: z.string() } },
    handler: async (request, reply) => reply.type('text/calendar; charset=utf-8').send(await bookings.ical({ bookingId: request.params.id })),
  });

  // ---- change feed of bookings (M8) and routing preference (M14) ----
  const change = z.object({
    seq: z.number().int().describe('Position in the feed; pass the last one seen as `since`'),
    change: z.enum(['created', 'updated', 'cancelled', 'occurrence-updated', 'occurrence-cancelled', 'series-extended']),
    at: z.date(), actor: z.string(), bookingId: z.string(), occurrenceId: z.string().nullable(),
    booking: booking.nullable().describe('The booking as it is now'),
  }).meta({ id: 'BookingChange' });
  app.route({
    method: 'GET', url: `${P}/bookings/changes`, config: { access: 'meetings.read' },
    schema: {
      tags, summary: 'Change feed of bookings: created, edited, cancelled since a cursor, oldest first',
      description: 'Entries are kept SWITCHBOARD_BOOKING_CHANGE_RETENTION_DAYS days (default 90). A `since` below what was pruned answers 410 GONE with `details.prunedThrough`: read the bookings again, then follow the feed from that number.',
      querystring: z.strictObject({ since: z.coerce.number().int().min(0).default(0).describe('The `cursor` of the previous page (0: from the beginning)'), limit: z.coerce.number().int().min(1).max(500).default(100) }),
      response: { 200: z.object({ items: z.array(change), cursor: z.number().int(), hasMore: z.boolean() }) },
    },
    handler: async (request) => {
      const page = await readBookingChanges(services, request.query.since, request.query.limit);
      return {
        items: page.items.map(({ change: c, booking: b }) => ({ seq: c.seq!, change: c.change as never, at: c.at, actor: c.actor, bookingId: c.bookingId, occurrenceId: c.occurrenceId, booking: b ? bookings.publicBooking(b) : null })),
        cursor: page.cursor, hasMore: page.hasMore,
      };
    },
  });
  const routing = z.object({ preferredBridgeIds: z.array(z.string()), updatedAt: z.date().nullable(), updatedBy: z.string().nullable() }).meta({ id: 'RoutingPreference' });
  app.route({
    method: 'GET', url: `${P}/settings/routing`, config: { access: 'meetings.read' },
    schema: { tags, summary: 'Routing preference ("prefer CMS"): bridges tried first, in order', response: { 200: routing } },
    handler: async () => getRoutingPreference(db),
  });
  app.route({
    method: 'PUT', url: `${P}/settings/routing`, config: { access: 'bridges.manage' },
    schema: { tags, summary: 'Set the routing preference: automatic routing tries these bridges first, in order, before free slots and load; a full one is passed over', body: z.strictObject({ preferredBridgeIds: z.array(z.string().uuid()).max(100) }), response: { 200: routing } },
    handler: async (request) => setRoutingPreference(services, request.body, requireActor(request)),
  });

  // ---- meetings (M9–M13) ----
  app.route({
    method: 'GET', url: `${P}/meetings`, config: { access: 'meetings.read' },
    schema: { tags, summary: 'Meetings (occurrences), by state', querystring: z.strictObject({ ...pageQuery, bridgeId: z.string().uuid().optional(), state: z.union([z.string(), z.array(z.string())]).optional(), from: timestampInput().optional(), to: timestampInput().optional() }), response: { 200: pageOf(occurrence.extend({ title: z.string(), organizer: z.string(), timeZone: z.string() })) } },
    handler: async (request) => {
      const { offset, limit, state, ...filter } = request.query;
      const page = await repo.findMeetings(db, { ...filter, states: state === undefined ? undefined : Array.isArray(state) ? state : [state] }, { offset, limit });
      return { items: page.items.map((r) => ({ ...r.occurrence, title: r.title, organizer: r.organizer, timeZone: r.timeZone })), total: page.total, offset, limit };
    },
  });
  app.route({
    method: 'GET', url: `${P}/meetings/:id`, config: { access: 'meetings.read' },
    schema: { tags, summary: 'A meeting: legs with outcomes, history (CDRs); live=true asks the bridge', params: id, querystring: z.strictObject({ live: z.enum(['true', 'false']).optional() }), response: { 200: occurrence.extend({ title: z.string(), organizer: z.string(), timeZone: z.string(), legs: z.array(leg), history: z.array(cdr),
      liveLegs: z.array(liveLeg).nullable().describe('With live=true on an ongoing meeting: the call legs the bridge has now; else null'),
      locked: z.boolean().nullable().describe('With live=true: the call is locked (nobody else can join); null when not asked or not known'),
      messageText: z.string().nullable().describe('With live=true: the banner message the call shows') }) } },
    handler: async (request) => meetings.get(request.params.id, { live: request.query.live === 'true' }) as never,
  });
  app.route({
    method: 'POST', url: `${P}/meetings/:id/extend`, config: { access: 'meetings.control' },
    schema: { tags, summary: 'Extend (M11)', params: id, body: z.strictObject({ minutes: z.number().int().min(1).max(480) }), response: { 200: z.object({ id: z.string(), endAt: z.date() }) } },
    handler: async (request) => meetings.extend(request.params.id, request.body.minutes, requireActor(request)),
  });
  app.route({
    method: 'POST', url: `${P}/meetings/:id/end`, config: { access: 'meetings.control' },
    schema: { tags, summary: 'End now (M12)', params: id, response: { 200: z.object({ id: z.string(), endAt: z.date(), jobId: z.string().nullable() }) } },
    handler: async (request) => {
      const result = await meetings.endNow(request.params.id, requireActor(request));
      const sent = await services.jobs.send(jobs.endMeeting, { occurrenceId: request.params.id }, { actor: requireActor(request), idempotencyKey: `end:${request.params.id}:${result.endAt.getTime()}` });
      return { ...result, jobId: sent.id };
    },
  });
  app.route({
    method: 'POST', url: `${P}/meetings/:id/participants`, config: { access: 'meetings.control' },
    schema: { tags, summary: 'Add a participant (dial out)', params: id, body: z.strictObject({ remoteParty: sipUri }), response: { 200: anyObject } },
    handler: async (request) => (await meetings.control(request.params.id, { type: 'addParticipant', remoteParty: request.body.remoteParty }, requireActor(request))) as Record<string, unknown>,
  });
  app.route({
    method: 'DELETE', url: `${P}/meetings/:id/legs/:callLegId`, config: { access: 'meetings.control' },
    schema: { tags, summary: 'Drop a call leg', params: z.strictObject({ id: z.string().uuid(), callLegId: z.string().min(1).max(100) }), response: { 200: anyObject } },
    handler: async (request) => (await meetings.control(request.params.id, { type: 'dropLeg', callLegId: request.params.callLegId }, requireActor(request))) as Record<string, unknown>,
  });
  app.route({
    method: 'PATCH', url: `${P}/meetings/:id/legs/:callLegId`, config: { access: 'meetings.control' },
    schema: { tags, summary: 'Mute or unmute a leg\'s audio or video', params: z.strictObject({ id: z.string().uuid(), callLegId: z.string().min(1).max(100) }), body: z.strictObject({ audioMuted: z.boolean().optional(), videoMuted: z.boolean().optional() }), response: { 200: anyObject } },
    handler: async (request) => (await meetings.control(request.params.id, { type: 'muteLeg', callLegId: request.params.callLegId, audio: request.body.audioMuted, video: request.body.videoMuted }, requireActor(request))) as Record<string, unknown>,
  });
  app.route({
    method: 'PATCH', url: `${P}/meetings/:id`, config: { access: 'meetings.control' },
    schema: { tags, summary: 'Lock the meeting or show a banner message', params: id, body: z.strictObject({ locked: z.boolean().optional(), messageText: z.string().max(500).optional() }), response: { 200: anyObject } },
    handler: async (request) => (await meetings.control(request.params.id, { type: 'updateCall', ...request.body }, requireActor(request))) as Record<string, unknown>,
  });

  // ---- CDR receiver: the bridges post their records here (token in the path) ----
  app.register(async (scope) => {
    scope.addContentTypeParser(['text/xml', 'application/xml'], { parseAs: 'string' }, (_request, body, done) => done(null, body));
    (scope as unknown as HttpApp).route({
      method: 'POST', url: `${P}/cdr/:bridgeId/:token`, config: { access: 'public' },
      schema: { tags, summary: 'CDR receiver for the bridges (meeting history)', params: z.strictObject({ bridgeId: z.string().uuid(), token: z.string().min(10).max(100) }), response: { 200: z.object({ received: z.number() }) } },
      handler: async (request) => meetings.receiveCdrs(request.params.bridgeId, request.params.token, String(request.body ?? '')),
    });
  });
}
