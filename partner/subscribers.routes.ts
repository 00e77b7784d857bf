import { z } from 'zod';
import { requireActor } from '../platform/auth/auth.plugin.ts';
import { parseTimestamp, timestampText } from '../platform/http/inputs.ts';
import { packages, subscriberStatuses, type Partner } from './partner.service.ts';
import { fromWebexId, toWebexId, webexCodes, webexError, webexErrorBody } from './webex-errors.ts';
import type { FastifyRequest } from 'fastify';
import type { HttpApp } from '../platform/http/app-types.ts';
import type { SubscriberRow } from './partner.repository.ts';

// The Webex-compatible BroadWorks Subscribers API (https://webexapis.com/v1/broadworks/subscribers):
// same paths, fields, statuses, limits and error body, so partner scripts run against us unchanged.

export const subscriberSchema = z
  .object({
    id: z.string(),
    personId: z.string().optional(),
    userId: z.string(),
    spEnterpriseId: z.string(),
    firstName: z.string(),
    lastName: z.string(),
    email: z.string().optional(),
    primaryPhoneNumber: z.string().optional(),
    mobilePhoneNumber: z.string().optional(),
    extension: z.string().optional(),
    package: z.enum(packages),
    status: z.enum(subscriberStatuses),
    errors: z.array(z.object({ errorCode: z.number(), description: z.string() })),
    created: z.string(),
    lastStatusChange: z.string(),
    provisioningId: z.string(),
    selfActivated: z.boolean(),
    language: z.string().optional(),
    timezone: z.string().optional(),
  })
  .meta({ id: 'BroadWorksSubscriber' });

const opt = (value: string | null) => (value === null || value === '' ? undefined : value);

/** Our row → the Webex Subscriber object (`personId` only once provisioned, as documented). */
export function subscriberView(row: SubscriberRow): z.infer<typeof subscriberSchema> {
  return {
    id: toWebexId('SUBSCRIBER', row.id),
    ...(row.status === 'provisioned' && row.personId ? { personId: toWebexId('PEOPLE', row.personId) } : {}),
    userId: row.userId,
    spEnterpriseId: row.spEnterpriseId,
    firstName: row.firstName,
    lastName: row.lastName,
    email: opt(row.email),
    primaryPhoneNumber: opt(row.primaryPhoneNumber),
    mobilePhoneNumber: opt(row.mobilePhoneNumber),
    extension: opt(row.extension),
    package: row.package as (typeof packages)[number],
    status: row.status as (typeof subscriberStatuses)[number],
    errors: row.errors ?? [],
    created: row.created.toISOString(),
    lastStatusChange: row.lastStatusChange.toISOString(),
    provisioningId: row.provisioningId,
    selfActivated: row.selfActivated,
    language: row.language ?? 'en',
    timezone: opt(row.timezone),
  };
}

/** Epoch milliseconds preferred, ISO 8601 accepted (as Webex documents for lastStatusChange/after). */
export function parseInstant(field: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  // The route's schema (timestampText) refused anything else already; this is the conversion.
  const date = parseTimestamp(value);
  if (!date) throw webexError('VALIDATION_FAILED', webexCodes.INVALID_PARAMETER, `${field} must be epoch milliseconds or an ISO 8601 date-time.`, field);
  return date;
}

function subscriberId(param: string): string {
  const id = fromWebexId('SUBSCRIBER', param);
  if (!id) throw webexError('NOT_FOUND', webexCodes.SUBSCRIBER_NOT_FOUND, `Subscriber ${param} does not exist.`);
  return id;
}

const text = (max = 255) => z.string().max(max);
export const provisionBody = z.strictObject({
  provisioningId: text(),
  userId: text().min(1),
  spEnterpriseId: text().min(1),
  firstName: text(),
  lastName: text(),
  package: z.enum(packages),
  primaryPhoneNumber: text(64).optional(),
  mobilePhoneNumber: text(64).optional(),
  extension: text(32).optional(),
  email: text(320).optional(),
  language: text(16).optional(),
  timezone: text(64).optional(),
  spEnterpriseGroupId: text().optional(),
});
const updateBody = z.strictObject({
  userId: text().min(1).optional(),
  firstName: text().optional(),
  lastName: text().optional(),
  primaryPhoneNumber: text(64).optional(),
  mobilePhoneNumber: text(64).optional(),
  extension: text(32).optional(),
  timezone: text(64).optional(),
  language: text(16).optional(),
  package: z.enum(packages).optional(),
  spEnterpriseGroupId: text().optional(),
});
const precheckBody = provisionBody.partial().extend({ email: text(320), customerInfo: z.strictObject({ primaryEmail: text(320) }).optional() });
const listQuery = z.strictObject({
  userId: z.string().max(255).optional(),
  personId: z.string().max(255).optional(),
  email: z.string().max(320).optional(),
  provisioningId: z.string().max(255).optional(),
  spEnterpriseId: z.string().max(255).optional(),
  lastStatusChange: timestampText().optional(),
  status: z.string().max(300).optional().describe('One status or several, comma separated (status=error,provisioned)'),
  after: timestampText().optional(),
  selfActivated: z.enum(['true', 'false']).optional(),
  max: z.coerce.number().int().min(1).max(100).default(50).describe('Page size, up to 100 (default 50)'),
  start: z.coerce.number().int().min(0).max(10_000_000).default(0).describe('Where the page starts; follow the Link header rather than setting it'),
});
const idParams = z.strictObject({ subscriberId: z.string().min(1).max(200) });
export const errorResponses = { 400: webexErrorBody, 401: webexErrorBody, 403: webexErrorBody, 404: webexErrorBody, 409: webexErrorBody };

export function linkHeader(request: FastifyRequest, query: Record<string, unknown>, start: number, max: number, hasNext: boolean) {
  const base = `${request.protocol}://${request.host}${request.url.split('?')[0]}`;
  const at = (s: number) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && k !== 'start' && k !== 'max') params.set(k, String(v));
    params.set('max', String(max));
    if (s > 0) params.set('start', String(s));
    return `${base}?${params}`;
  };
  const links = [`<${at(0)}>; rel="first"`];
  if (start > 0) links.push(`<${at(Math.max(0, start - max))}>; rel="prev"`);
  if (hasNext) links.push(`<${at(start + max)}>; rel="next"`);
  return links.join(', ');
}

export function registerSubscriberRoutes(app: HttpApp, partner: Partner) {
  // /v1 errors (auth, validation, rules) take the Webex body: partner.area.ts's errorDialects.
  return app.register(async (scope) => {
    const v1 = scope as HttpApp;

    v1.route({
      method: 'GET',
      url: '/v1/broadworks/subscribers',
      config: { access: 'partner.read' },
      schema: { tags: ['BroadWorks Subscribers'], summary: 'List BroadWorks Subscribers', querystring: listQuery, response: { 200: z.object({ items: z.array(subscriberSchema) }), ...errorResponses } },
      handler: async (request, reply) => {
        const q = request.query;
        const statuses = q.status?.split(',').map((s) => s.trim()).filter(Boolean);
        for (const s of statuses ?? []) {
          if (!(subscriberStatuses as readonly string[]).includes(s)) throw webexError('VALIDATION_FAILED', webexCodes.INVALID_PARAMETER, `status ${s} is not one of ${subscriberStatuses.join(', ')}.`, 'status');
        }
        const personId = q.personId === undefined ? undefined : fromWebexId('PEOPLE', q.personId);
        if (q.personId !== undefined && !personId) return { items: [] };
        const filter = {
          userId: q.userId,
          personId: personId ?? undefined,
          email: q.email,
          provisioningId: q.provisioningId,
          spEnterpriseId: q.spEnterpriseId,
          statuses,
          lastStatusChangeAfter: parseInstant('lastStatusChange', q.lastStatusChange),
          createdAfter: parseInstant('after', q.after),
          selfActivated: q.selfActivated === undefined ? undefined : q.selfActivated === 'true',
        };
        // One extra row tells whether there is a next page without counting the whole table.
        const rows = await partner.subscribers.list(filter, { offset: q.start, limit: q.max + 1 });
        reply.header('Link', linkHeader(request, q, q.start, q.max, rows.length > q.max));
        return { items: rows.slice(0, q.max).map(subscriberView) };
      },
    });

    v1.route({
      method: 'POST',
      url: '/v1/broadworks/subscribers',
      config: { access: 'partner.manage' },
      schema: { tags: ['BroadWorks Subscribers'], summary: 'Provision a BroadWorks Subscriber (answers provisioning; a job completes it)', body: provisionBody, response: { 200: subscriberSchema, ...errorResponses } },
      handler: async (request) => subscriberView(await partner.subscribers.provision(request.body, requireActor(request), { source: 'api', trackingId: request.id })),
    });

    v1.route({
      method: 'POST',
      url: '/v1/broadworks/subscribers/validate',
      config: { access: 'partner.precheck' },
      schema: {
        tags: ['BroadWorks Subscribers'],
        summary: 'Precheck a BroadWorks Subscriber Provisioning',
        body: precheckBody,
        response: { 200: z.object({ message: z.string(), info: z.object({ infoCode: z.number(), description: z.string() }) }), ...errorResponses },
      },
      handler: async (request) => partner.subscribers.precheck(request.body),
    });

    v1.route({
      method: 'GET',
      url: '/v1/broadworks/subscribers/:subscriberId',
      config: { access: 'partner.read' },
      schema: { tags: ['BroadWorks Subscribers'], summary: 'Get a BroadWorks Subscriber', params: idParams, response: { 200: subscriberSchema, ...errorResponses } },
      handler: async (request) => subscriberView(await partner.subscribers.get(subscriberId(request.params.subscriberId))),
    });

    v1.route({
      method: 'PUT',
      url: '/v1/broadworks/subscribers/:subscriberId',
      config: { access: 'partner.manage' },
      schema: { tags: ['BroadWorks Subscribers'], summary: 'Update a BroadWorks Subscriber (answers updating; a job applies it)', params: idParams, body: updateBody, response: { 200: subscriberSchema, ...errorResponses } },
      handler: async (request) => {
        const { spEnterpriseGroupId: _group, ...change } = request.body;
        if (!Object.keys(change).length) throw webexError('VALIDATION_FAILED', webexCodes.NULL_PARAMETER, 'Nothing to update.', 'package');
        return subscriberView(await partner.subscribers.update(subscriberId(request.params.subscriberId), change, requireActor(request), request.id));
      },
    });

    v1.route({
      method: 'DELETE',
      url: '/v1/broadworks/subscribers/:subscriberId',
      config: { access: 'partner.manage' },
      schema: { tags: ['BroadWorks Subscribers'], summary: 'Remove a BroadWorks Subscriber (the Webex user stays, as a free user)', params: idParams, response: { 204: z.null(), ...errorResponses } },
      handler: async (request, reply) => {
        await partner.subscribers.remove(subscriberId(request.params.subscriberId), requireActor(request), request.id);
        return reply.status(204).send(null);
      },
    });
  });
}

