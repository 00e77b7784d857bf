import { z } from 'zod';
import { requireActor } from '../platform/auth/auth.plugin.ts';
import { pageOf, pageQuery } from '../platform/http/paging.ts';
import { timestampInput } from '../platform/http/inputs.ts';
import { bridgeAddressProblem } from './bridges.service.ts';
import { certificate, fingerprint } from './meetings.routes.ts';
import { CSV_MAX_ROWS, readEndpointsCsv } from './endpoints.csv.ts';
import { CONNECT_MODES, type Endpoints } from './endpoints.service.ts';
import { hashOf, OBTP_HORIZON_MS, pushMethodFor, type Obtp } from './obtp.service.ts';
import type { HttpApp } from '../platform/http/app-types.ts';
import type { PlatformServices } from '../platform/services.ts';
import type { EndpointJobs } from './endpoints.jobs.ts';

// #17: room endpoints, rooms of bookings, One Button to Push.

const P = '/api/v1/meetings';
const tags = ['Meetings'];
const id = z.strictObject({ id: z.string().uuid() });
const address = z.string().trim().min(1).max(300).superRefine((text, ctx) => {
  const problem = bridgeAddressProblem(text);
  if (problem) ctx.addIssue({ code: 'custom', message: problem, input: text });
}).describe('IP address or DNS name of the codec, optionally :port, or an http(s) URL of one');
const sipUri = z.string().trim().min(3).max(255).regex(/^(sip:)?[^\s@]+@[^\s@]+$/, 'a SIP URI such as room1@example.com');
const endpointInput = z.strictObject({
  address,
  username: z.string().min(1).max(200),
  password: z.string().min(1).max(200),
  name: z.string().trim().max(200).optional(),
  tls: z.boolean().optional().describe('HTTPS (default; codecs ship self-signed certificates: confirm its fingerprint with trustFingerprint) or plain HTTP'),
  sipUri: sipUri.optional().describe('What a bridge dials for automatic connect; default: the codec\'s SIP registration URI'),
  trustFingerprint: fingerprint.optional().describe('The SHA-256 fingerprint of the codec\'s certificate the operator confirmed (from the CERTIFICATE_NOT_TRUSTED answer); it is pinned'),
});

const endpoint = z.object({
  id: z.string(), name: z.string(), address: z.string(), baseUrl: z.string(), hostKey: z.string(), username: z.string(),
  productId: z.string().nullable(), softwareVersion: z.string().nullable(), serialNumber: z.string().nullable(), sipUri: z.string().nullable(),
  webexRegistered: z.boolean(), connectivity: z.string(), activeCalls: z.number().nullable(), uptimeSeconds: z.number().nullable(), lastPolledAt: z.date().nullable(),
  obtpPushedAt: z.date().nullable().describe('When the codec last accepted its bookings'), obtpPushedCount: z.number().nullable(), obtpMethod: z.string().nullable(),
  obtpLastError: z.string().nullable(),
  certificateTrust: z.enum(['ca', 'pinned']).nullable().describe('ca: a trusted CA vouches for its certificate; pinned: certificateFingerprint is pinned; null: plain HTTP, or pinned on its next contact'),
  certificateFingerprint: z.string().nullable().describe('SHA-256 of the accepted certificate'),
  certificate: certificate.nullable().describe('The accepted certificate'),
  presentedCertificate: certificate.nullable().describe('Another certificate the codec presents now (Certificate Changed ticket; connectivity certificate_changed): nothing is sent to it until it is accepted'),
  createdAt: z.date(), updatedAt: z.date(),
}).meta({ id: 'Endpoint' });
const ticket = z.object({ id: z.number(), endpointId: z.string(), kind: z.string(), title: z.string(), detail: z.string(), state: z.string(), openedAt: z.date(), closedAt: z.date().nullable() }).meta({ id: 'EndpointTicket' });
const rooms = z.object({ private: z.boolean(), items: z.array(z.object({ endpointId: z.string(), name: z.string(), connectMode: z.enum(CONNECT_MODES) })) }).meta({ id: 'BookingRooms' });
const obtpSetting = z.object({ enabled: z.boolean(), updatedAt: z.date().nullable(), updatedBy: z.string().nullable(), notice: z.string() }).meta({ id: 'ObtpSetting' });

/** Shown wherever OBTP is turned on (ce_xapi.md §8, [RX-TOS]). */
export const OBTP_NOTICE =
  'Cisco: offering a scheduled-meeting join experience such as One Button to Push through xCommand Bookings Put, the private bookingsputxml or any other API needs separate permission from Cisco for commercial use; use solely for your own internal business operations is allowed (devsupport@webex.com). Bookings Put may need a Webex-registered device on some software.';

export function registerEndpointRoutes(app: HttpApp, services: PlatformServices, deps: { endpoints: Endpoints; obtp: Obtp; jobs: EndpointJobs }) {
  const { endpoints, obtp, jobs } = deps;

  app.route({
    method: 'GET', url: `${P}/endpoints`, config: { access: 'meetings.read' },
    schema: { tags, summary: 'Room endpoints (Cisco CE / RoomOS codecs)', querystring: z.strictObject(pageQuery), response: { 200: pageOf(endpoint) } },
    handler: async (request) => ({ ...(await endpoints.list(request.query)), offset: request.query.offset, limit: request.query.limit }),
  });
  app.route({
    method: 'POST', url: `${P}/endpoints`, config: { access: 'bridges.manage', errors: ['ALREADY_EXISTS', 'UPSTREAM_REFUSED_CREDENTIALS', 'UPSTREAM_FAILED', 'UPSTREAM_UNREACHABLE', 'CERTIFICATE_NOT_TRUSTED'] },
    schema: {
      tags, summary: 'Register a room endpoint: its identity is read over its HTTP API (getxml, Basic auth)',
      description: 'An HTTPS codec\'s certificate is read first (a TLS handshake; nothing else is sent). One no trusted CA vouches for is refused with 422 CERTIFICATE_NOT_TRUSTED, its subject, issuer, validity and SHA-256 fingerprint in `details.certificate`; register it again with `trustFingerprint` set to that fingerprint and it is pinned.',
      body: endpointInput, response: { 201: endpoint },
    },
    handler: async (request, reply) => reply.code(201).send(await endpoints.add(request.body, requireActor(request))),
  });
  app.route({
    method: 'POST', url: `${P}/endpoints/bulk`, config: { access: 'bridges.manage' },
    schema: {
      tags,
      summary: 'Register several endpoints, as a list or as CSV; each row is registered or refused on its own',
      description: 'Either `endpoints` (a list of registration bodies) or `csv`: the text of a CSV file whose first row names the columns '
        + '(address, username, password required; name, sipUri, tls, fingerprint optional; tls true/false, default true). '
        + 'An HTTPS codec no trusted CA vouches for is refused in its row with CERTIFICATE_NOT_TRUSTED and its certificate in `error.certificate`; '
        + 'its `fingerprint` cell (or `trustFingerprint` in a list row) set to the SHA-256 fingerprint the operator confirmed registers it, pinned. '
        + `Up to ${CSV_MAX_ROWS} rows. Each result has the row's number and, for CSV, its line in the file.`,
      body: z.union([
        z.strictObject({ endpoints: z.array(endpointInput).min(1).max(CSV_MAX_ROWS) }),
        z.strictObject({ csv: z.string().min(1).max(2_000_000).describe('The CSV file\'s text (UTF-8; a BOM is ignored)') }),
      ]),
      response: { 200: z.object({ added: z.number(), refused: z.number(), results: z.array(z.object({ row: z.number(), line: z.number().optional().describe('Line of the CSV the row ends on'), address: z.string(), ok: z.boolean(), endpoint: endpoint.optional(), error: z.object({ code: z.string(), message: z.string(), certificate: certificate.optional().describe('CERTIFICATE_NOT_TRUSTED: the certificate the codec presents') }).optional() })) }) },
    },
    handler: async (request) => 'csv' in request.body
      ? endpoints.addCsvRows(readEndpointsCsv(request.body.csv, endpointInput), requireActor(request))
      : endpoints.addMany(request.body.endpoints, requireActor(request)),
  });
  app.route({
    method: 'GET', url: `${P}/endpoints/:id`, config: { access: 'meetings.read' },
    schema: { tags, summary: 'An endpoint with its tickets', params: id, response: { 200: endpoint.extend({ tickets: z.array(ticket), pushMethod: z.string().nullable().describe('How its bookings are pushed, from its software (null: it takes none)') }) } },
    handler: async (request) => {
      const e = await endpoints.get(request.params.id);
      return { ...e, pushMethod: pushMethodFor(e) };
    },
  });
  app.route({
    method: 'PATCH', url: `${P}/endpoints/:id`, config: { access: 'bridges.manage' },
    schema: { tags, summary: 'Rename an endpoint, change its credentials or SIP URI', params: id, body: z.strictObject({ name: z.string().trim().min(1).max(200).optional(), username: z.string().min(1).max(200).optional(), password: z.string().min(1).max(200).optional(), sipUri: sipUri.nullable().optional() }), response: { 200: endpoint } },
    handler: async (request) => endpoints.update(request.params.id, request.body, requireActor(request)),
  });
  app.route({
    method: 'DELETE', url: `${P}/endpoints/:id`, config: { access: 'bridges.manage' },
    schema: { tags, summary: 'Remove an endpoint (it leaves the bookings that name it)', params: id, response: { 204: z.null() } },
    handler: async (request, reply) => {
      await endpoints.remove(request.params.id, requireActor(request));
      return reply.code(204).send(null);
    },
  });
  app.route({
    method: 'POST', url: `${P}/endpoints/:id/poll`, config: { access: 'bridges.manage' },
    schema: { tags, summary: 'Poll an endpoint\'s status now', params: id, response: { 202: z.object({ jobId: z.string() }) } },
    handler: async (request, reply) => {
      await endpoints.getEndpoint(request.params.id);
      return reply.code(202).send({ jobId: (await services.jobs.send(jobs.pollEndpoint, { endpointId: request.params.id }, { actor: requireActor(request) })).id });
    },
  });
  app.route({
    method: 'POST', url: `${P}/endpoints/:id/tickets/:ticketId/acknowledge`, config: { access: 'bridges.manage', errors: ['INVALID_STATE'] },
    schema: { tags, summary: 'Acknowledge an endpoint ticket', params: z.strictObject({ id: z.string().uuid(), ticketId: z.coerce.number().int().min(1).max(2_147_483_647) }), response: { 200: ticket } },
    handler: async (request) => endpoints.acknowledgeTicket(request.params.id, request.params.ticketId, requireActor(request)),
  });
  app.route({
    method: 'POST', url: `${P}/endpoints/:id/certificate/accept`, config: { access: 'bridges.manage', errors: ['CERTIFICATE_NOT_TRUSTED', 'INVALID_STATE', 'UPSTREAM_UNREACHABLE'] },
    schema: {
      tags, summary: 'Accept the certificate an endpoint presents now (a renewed one; closes the Certificate Changed ticket)',
      description: 'The fingerprint must be the one the codec presents (the ticket and `presentedCertificate` name it); it is pinned, and the endpoint is polled at once. Otherwise 422 CERTIFICATE_NOT_TRUSTED with the certificate the codec presents; a plain-HTTP endpoint is 409 INVALID_STATE.',
      params: id, body: z.strictObject({ fingerprint }),
      response: { 200: endpoint.extend({ tickets: z.array(ticket) }) },
    },
    handler: async (request) => endpoints.acceptCertificate(request.params.id, request.body.fingerprint, requireActor(request)),
  });
  app.route({
    method: 'GET', url: `${P}/endpoints/:id/busy`, config: { access: 'meetings.read' },
    schema: {
      tags, summary: 'Free/busy of a room: its meetings overlapping [from, to)', params: id,
      querystring: z.strictObject({ from: timestampInput(), to: timestampInput() }),
      response: { 200: z.object({ items: z.array(z.object({ occurrenceId: z.string(), bookingId: z.string(), title: z.string(), organizer: z.string(), startAt: z.date(), endAt: z.date(), state: z.string(), connectMode: z.string(), private: z.boolean() })) }) },
    },
    handler: async (request) => endpoints.busy(request.params.id, new Date(request.query.from), new Date(request.query.to)),
  });
  app.route({
    method: 'GET', url: `${P}/endpoints/:id/calendar.ics`, config: { access: 'meetings.read' },
    schema: { tags, summary: 'iCalendar feed of a room', params: id, produces: ['text/calendar'], response: { 200: z.string() } },
    handler: async (request, reply) => reply.type('text/calendar; charset=utf-8').send(await endpoints.ical(request.params.id)),
  });
  app.route({
    method: 'GET', url: `${P}/endpoints/:id/panel`, config: { access: 'meetings.read' },
    schema: {
      tags, summary: 'What the room\'s touch panel should hold (its OBTP meetings of the next 72 hours) and whether it does', params: id,
      response: { 200: z.object({ current: z.boolean(), pushedAt: z.date().nullable(), method: z.string().nullable(), horizonHours: z.number(), items: z.array(z.object({ id: z.string(), title: z.string(), organizer: z.string(), privacy: z.string(), start: z.date(), end: z.date(), startBufferSeconds: z.number(), endBufferSeconds: z.number(), number: z.string() })) }) },
    },
    handler: async (request) => {
      const e = await endpoints.getEndpoint(request.params.id);
      const items = (await obtp.desired([e.id])).get(e.id) ?? [];
      return { current: e.obtpPushedHash === hashOf(items), pushedAt: e.obtpPushedAt, method: pushMethodFor(e), horizonHours: OBTP_HORIZON_MS / 3_600_000, items };
    },
  });

  // ---- rooms of a booking ----
  app.route({
    method: 'GET', url: `${P}/bookings/:id/rooms`, config: { access: 'meetings.read' },
    schema: { tags, summary: 'The rooms (endpoints) a booking names, with their connect modes', params: id, response: { 200: rooms } },
    handler: async (request) => endpoints.rooms(request.params.id),
  });
  app.route({
    method: 'PUT', url: `${P}/bookings/:id/rooms`, config: { access: 'bookings.manage', errors: ['CONFLICT', 'INVALID_STATE'] },
    schema: {
      tags, summary: 'Set the rooms of a booking (refused with the other meeting when a room is taken then). obtp: the room dials in with Join; automatic: the bridge dials the room at start; manual: reserved only',
      params: id,
      body: z.strictObject({ rooms: z.array(z.strictObject({ endpointId: z.string().uuid(), connectMode: z.enum(CONNECT_MODES) })).max(100), private: z.boolean().optional().describe('Panels show the meeting without its title') }),
      response: { 200: rooms },
    },
    handler: async (request) => endpoints.setRooms(request.params.id, request.body, requireActor(request)),
  });

  // ---- the OBTP setting ----
  app.route({
    method: 'GET', url: `${P}/settings/obtp`, config: { access: 'meetings.read' },
    schema: { tags, summary: 'Whether One Button to Push is on (off until an administrator turns it on), with Cisco\'s terms', response: { 200: obtpSetting } },
    handler: async () => ({ ...(await obtp.setting()), notice: OBTP_NOTICE }),
  });
  app.route({
    method: 'PUT', url: `${P}/settings/obtp`, config: { access: 'meetings.obtp.manage' },
    schema: { tags, summary: 'Turn One Button to Push on or off', body: z.strictObject({ enabled: z.boolean() }), response: { 200: obtpSetting } },
    handler: async (request) => ({ ...(await obtp.setEnabled(request.body.enabled, requireActor(request))), notice: OBTP_NOTICE }),
  });
}
