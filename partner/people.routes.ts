import { z } from 'zod';
import { requireActor } from '../platform/auth/auth.plugin.ts';
import { errorResponses, linkHeader } from './subscribers.routes.ts';
import { fromWebexId, toWebexId, webexCodes, webexError } from './webex-errors.ts';
import type { HttpApp } from '../platform/http/app-types.ts';
import type { Organizations } from './organizations.service.ts';
import type { CustomerOrgRow, PersonRow, SubscriberRow } from './partner.repository.ts';

// The Webex People and Organizations APIs, as far as Webex for BroadWorks uses them: look-ups, full
// deletion of a person (P12) and deletion of a customer organisation (asynchronous, like Webex's).

/** The one admin role this model has: a customer org's full administrator. */
export const FULL_ADMIN_ROLE = toWebexId('ROLE', '00000000-0000-4000-8000-00000000f0a1');

const personSchema = z
  .object({
    id: z.string(),
    emails: z.array(z.string()),
    phoneNumbers: z.array(z.object({ type: z.enum(['work', 'work_extension', 'mobile', 'fax']), value: z.string(), primary: z.boolean().optional() })).optional(),
    extension: z.string().optional(),
    displayName: z.string(),
    firstName: z.string().optional(),
    lastName: z.string().optional(),
    orgId: z.string(),
    roles: z.array(z.string()),
    created: z.string(),
    type: z.literal('person'),
    invitePending: z.enum(['true', 'false']),
    loginEnabled: z.enum(['true', 'false']),
  })
  .meta({ id: 'Person' });
const organizationSchema = z.object({ id: z.string(), displayName: z.string(), created: z.string() }).meta({ id: 'Organization' });

function personView(person: PersonRow, subscriber: SubscriberRow | undefined): z.infer<typeof personSchema> {
  const phoneNumbers: NonNullable<z.infer<typeof personSchema>['phoneNumbers']> = [];
  if (subscriber?.primaryPhoneNumber) phoneNumbers.push({ type: 'work', value: subscriber.primaryPhoneNumber, primary: true });
  if (subscriber?.extension) phoneNumbers.push({ type: 'work_extension', value: subscriber.extension, primary: !subscriber.primaryPhoneNumber });
  if (subscriber?.mobilePhoneNumber) phoneNumbers.push({ type: 'mobile', value: subscriber.mobilePhoneNumber, primary: false });
  const displayName = [person.firstName, person.lastName].filter(Boolean).join(' ') || person.email;
  return {
    id: toWebexId('PEOPLE', person.id),
    emails: [person.email],
    ...(phoneNumbers.length ? { phoneNumbers } : {}),
    ...(subscriber?.extension ? { extension: subscriber.extension } : {}),
    displayName,
    ...(person.firstName ? { firstName: person.firstName } : {}),
    ...(person.lastName ? { lastName: person.lastName } : {}),
    orgId: toWebexId('ORGANIZATION', person.customerOrgId!),
    roles: person.isAdmin ? [FULL_ADMIN_ROLE] : [],
    created: person.createdAt.toISOString(),
    type: 'person',
    invitePending: 'false',
    loginEnabled: 'true',
  };
}

const organizationView = (org: CustomerOrgRow) => ({ id: toWebexId('ORGANIZATION', org.id), displayName: org.displayName, created: org.createdAt.toISOString() });

function personId(param: string) {
  const id = fromWebexId('PEOPLE', param);
  if (!id) throw webexError('NOT_FOUND', webexCodes.PERSON_NOT_FOUND, `Person ${param} does not exist.`);
  return id;
}
function orgId(param: string) {
  const id = fromWebexId('ORGANIZATION', param);
  if (!id) throw webexError('NOT_FOUND', webexCodes.ORGANIZATION_NOT_FOUND, `Organization ${param} does not exist.`);
  return id;
}

const bool = z.enum(['true', 'false']);
const listQuery = z.strictObject({
  email: z.string().max(320).optional(),
  displayName: z.string().max(255).optional().describe('People whose name starts with this'),
  id: z.string().max(85 * 120).optional().describe('Up to 85 person IDs, comma separated'),
  orgId: z.string().max(255).optional(),
  roles: z.string().max(2000).optional().describe('Role IDs, comma separated'),
  callingData: bool.optional().describe('Accepted; Webex Calling data does not apply to BroadWorks users'),
  locationId: z.string().max(255).optional(),
  excludeStatus: bool.optional(),
  max: z.coerce.number().int().min(1).max(1000).default(100),
  start: z.coerce.number().int().min(0).max(10_000_000).default(0).describe('Where the page starts; follow the Link header rather than setting it'),
});

export function registerPeopleRoutes(app: HttpApp, orgs: Organizations) {
  return app.register(async (scope) => {
    const v1 = scope as HttpApp;

    v1.route({
      method: 'GET',
      url: '/v1/people',
      config: { access: 'partner.people.read' },
      schema: { tags: ['People'], summary: 'List People (of the customer organisations the caller manages)', querystring: listQuery, response: { 200: z.object({ items: z.array(personSchema), notFoundIds: z.array(z.string()).optional() }), ...errorResponses } },
      handler: async (request, reply) => {
        const q = request.query;
        const max = q.callingData === 'true' ? Math.min(q.max, 100) : q.locationId ? Math.min(q.max, 50) : q.max;
        const idParams = q.id?.split(',').map((s) => s.trim()).filter(Boolean);
        if (idParams && idParams.length > 85) throw webexError('VALIDATION_FAILED', webexCodes.INVALID_PARAMETER_SIZE, 'Invalid Parameter Size: id accepts up to 85 person IDs.', 'id');
        const ids = idParams?.map((p) => ({ param: p, uuid: fromWebexId('PEOPLE', p) }));
        let customerOrgId: string | undefined;
        if (q.orgId !== undefined) {
          customerOrgId = fromWebexId('ORGANIZATION', q.orgId) ?? undefined;
          if (!customerOrgId) return { items: [] };
        }
        const roleIds = q.roles?.split(',').map((s) => s.trim()).filter(Boolean);
        // No locations in BroadWorks customer orgs; an unknown role matches nobody.
        if (q.locationId !== undefined || (roleIds && roleIds.some((r) => r !== FULL_ADMIN_ROLE))) return { items: [] };
        const rows = await orgs.people.list(
          { customerOrgId, email: q.email, displayNamePrefix: q.displayName, ids: ids?.map((i) => i.uuid).filter((u): u is string => Boolean(u)), adminsOnly: Boolean(roleIds?.length) },
          { offset: q.start, limit: max + 1 },
          requireActor(request),
        );
        reply.header('Link', linkHeader(request, q, q.start, max, rows.length > max));
        const items = rows.slice(0, max).map((r) => personView(r.person, r.subscriber));
        if (!ids) return { items };
        const found = new Set(rows.map((r) => r.person.id));
        return { items, notFoundIds: ids.filter((i) => !i.uuid || !found.has(i.uuid)).map((i) => i.param) };
      },
    });

    v1.route({
      method: 'GET',
      url: '/v1/people/:personId',
      config: { access: 'partner.people.read' },
      schema: { tags: ['People'], summary: 'Get Person Details', params: z.strictObject({ personId: z.string().min(1).max(256) }), querystring: z.strictObject({ callingData: bool.optional() }), response: { 200: personSchema, ...errorResponses } },
      handler: async (request) => {
        const person = await orgs.people.get(personId(request.params.personId), requireActor(request));
        return personView(person, await orgs.people.subscriberOf(person.id));
      },
    });

    v1.route({
      method: 'DELETE',
      url: '/v1/people/:personId',
      config: { access: 'partner.people.delete' },
      schema: {
        tags: ['People'],
        summary: 'Delete a Person (full deletion; its BroadWorks subscriber goes too). The last full administrator of an org is refused (409, 1012) unless force=true',
        params: z.strictObject({ personId: z.string().min(1).max(256) }),
        querystring: z.strictObject({ force: bool.optional().describe('Ours: delete even the last full administrator (no automatic transfer)') }),
        response: { 204: z.null(), ...errorResponses },
      },
      handler: async (request, reply) => {
        await orgs.people.delete(personId(request.params.personId), requireActor(request), { force: request.query.force === 'true', trackingId: request.id });
        return reply.status(204).send(null);
      },
    });

    v1.route({
      method: 'GET',
      url: '/v1/organizations',
      config: { access: 'partner.people.read' },
      schema: { tags: ['Organizations'], summary: 'List Organizations (not paginated, as Webex)', response: { 200: z.object({ items: z.array(organizationSchema) }), ...errorResponses } },
      handler: async (request) => ({ items: (await orgs.organizations.list(requireActor(request))).filter((o) => o.state === 'active').map(organizationView) }),
    });

    v1.route({
      method: 'GET',
      url: '/v1/organizations/:orgId',
      config: { access: 'partner.people.read' },
      schema: { tags: ['Organizations'], summary: 'Get Organization Details', params: z.strictObject({ orgId: z.string().min(1).max(256) }), response: { 200: organizationSchema, ...errorResponses } },
      handler: async (request) => organizationView(await orgs.organizations.get(orgId(request.params.orgId), requireActor(request))),
    });

    v1.route({
      method: 'DELETE',
      url: '/v1/organizations/:orgId',
      config: { access: 'partner.manage' },
      schema: {
        tags: ['Organizations'],
        summary: 'Delete an Organization: 409 while directory sync is on, subscribers remain or it has more than 1 user; else 204 and a job deletes it',
        params: z.strictObject({ orgId: z.string().min(1).max(256) }),
        response: { 204: z.null(), ...errorResponses },
      },
      handler: async (request, reply) => {
        await orgs.organizations.delete(orgId(request.params.orgId), requireActor(request), request.id);
        return reply.status(204).send(null);
      },
    });
  });
}
