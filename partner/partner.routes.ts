import { z } from 'zod';
import { requireActor } from '../platform/auth/auth.plugin.ts';
import { AppError } from '../platform/errors.ts';
import { pageOf, pageQuery } from '../platform/http/paging.ts';
import { httpUrlInput } from '../platform/http/inputs.ts';
import { packages, subscriberStatuses, type Partner } from './partner.service.ts';
import type { HttpApp } from '../platform/http/app-types.ts';
import type { PlatformServices } from '../platform/services.ts';
import type { SubscriberRow } from './partner.repository.ts';
import { provisionBody } from './subscribers.routes.ts';
import { PROVISIONING_PASSWORD_MIN } from './templates.service.ts';

// The partner's own console API (Partner Hub's screens): clusters, templates, customers, the user
// status view with its CSV, analytics. Platform envelope, unlike the Webex-compatible /v1.

const idParams = z.strictObject({ id: z.string().uuid() });
const url = httpUrlInput();

const cluster = z
  .object({
    id: z.string(),
    name: z.string(),
    xsiActionsUrl: z.string(),
    xsiEventsUrl: z.string(),
    authServiceUrl: z.string(),
    dasUrl: z.string().nullable(),
    xspAdpUrl: z.string().nullable(),
    ctiUrl: z.string().nullable(),
    callHistory: z.boolean(),
    dndSync: z.boolean(),
    paStatusSync: z.boolean(),
    createdAt: z.date(),
    updatedAt: z.date(),
    customers: z.number().int().optional(),
    templates: z.number().int().optional(),
  })
  .meta({ id: 'BroadWorksCluster' });
const clusterBody = z.strictObject({
  name: z.string().min(1).max(200),
  xsiActionsUrl: url.describe('Must end in /v2.0/'),
  xsiEventsUrl: url.describe('Must end in /v2.0/'),
  authServiceUrl: url,
  dasUrl: url.nullable().optional(),
  xspAdpUrl: url.nullable().optional(),
  ctiUrl: url.nullable().optional(),
  callHistory: z.boolean().optional().describe('One-way: cannot be turned off once on'),
  dndSync: z.boolean().optional().describe('One-way: cannot be turned off once on'),
  paStatusSync: z.boolean().optional().describe('One-way: cannot be turned off once on'),
});

const template = z
  .object({
    id: z.string(),
    clusterId: z.string(),
    name: z.string(),
    provisioningId: z.string(),
    provisioningAccount: z.string(),
    provisioningPasswordSet: z.boolean(),
    trustedEmails: z.boolean(),
    defaultPackage: z.enum(packages),
    partnerAdminEmail: z.string(),
    provisionExistingOrgs: z.boolean(),
    adminInviteOnAttach: z.boolean(),
    disableFreeCalling: z.boolean(),
    prefillEmail: z.boolean(),
    provisionAdminFirst: z.boolean(),
    allowSelfActivation: z.boolean(),
    wholesale: z.boolean(),
    createdAt: z.date(),
    updatedAt: z.date(),
  })
  .meta({ id: 'CustomerTemplate' });
const templateBody = z.strictObject({
  name: z.string().min(1).max(200),
  clusterId: z.string().uuid(),
  provisioningAccount: z.string().min(1).max(200),
  provisioningPassword: z.string().max(200).optional().describe(`Required on create, at least ${PROVISIONING_PASSWORD_MIN} characters; blank or absent on edit keeps the stored one. Never returned.`),
  trustedEmails: z.boolean().optional(),
  defaultPackage: z.enum(packages).optional(),
  partnerAdminEmail: z.string().email().max(320),
  provisionExistingOrgs: z.boolean().optional().describe('On by default'),
  adminInviteOnAttach: z.boolean().optional(),
  disableFreeCalling: z.boolean().optional(),
  prefillEmail: z.boolean().optional(),
  provisionAdminFirst: z.boolean().optional(),
  allowSelfActivation: z.boolean().optional(),
  wholesale: z.boolean().optional(),
});

const statusRow = z
  .object({
    id: z.string(),
    userId: z.string(),
    firstName: z.string(),
    lastName: z.string(),
    email: z.string().nullable(),
    spEnterpriseId: z.string(),
    package: z.string(),
    status: z.enum(subscriberStatuses),
    errorCode: z.number().nullable(),
    errorText: z.string().nullable(),
    selfActivated: z.boolean(),
    lastStatusChange: z.date(),
  })
  .meta({ id: 'SubscriberStatusRow' });

const statusView = (row: SubscriberRow) => ({
  id: row.id,
  userId: row.userId,
  firstName: row.firstName,
  lastName: row.lastName,
  email: row.email,
  spEnterpriseId: row.spEnterpriseId,
  package: row.package,
  status: row.status as (typeof subscriberStatuses)[number],
  errorCode: row.errors?.[0]?.errorCode ?? null,
  errorText: row.errors?.map((e) => `${e.errorCode}: ${e.description}`).join('; ') || null,
  selfActivated: row.selfActivated,
  lastStatusChange: row.lastStatusChange,
});

const csvCell = (value: unknown) => {
  const s = value === null || value === undefined ? '' : value instanceof Date ? value.toISOString() : String(value);
  // A leading =, +, - or @ would be a formula in a spreadsheet.
  const safe = /^[=+\-@]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

const statusQuery = z.strictObject({
  ...pageQuery,
  excludeProvisioned: z.enum(['true', 'false']).optional().describe('Hide provisioned users'),
  status: z.enum(subscriberStatuses).optional(),
});

const customer = z.object({
  id: z.string(),
  spEnterpriseId: z.string(),
  displayName: z.string(),
  templateId: z.string(),
  restricted: z.boolean(),
  state: z.string(),
  createdAt: z.date(),
  packages: z.record(z.string(), z.number()),
});

export function registerPartnerRoutes(app: HttpApp, _services: PlatformServices, partner: Partner) {
  // ── clusters (P4) ──
  app.route({
    method: 'GET',
    url: '/api/v1/partner/clusters',
    config: { access: 'partner.read' },
    schema: { tags: ['Partner'], summary: 'BroadWorks clusters', response: { 200: z.object({ items: z.array(cluster) }) } },
    handler: async () => ({ items: await partner.clusters.list() }),
  });
  app.route({
    method: 'POST',
    url: '/api/v1/partner/clusters',
    config: { access: 'partner.manage' },
    schema: { tags: ['Partner'], summary: 'Add a BroadWorks cluster', body: clusterBody, response: { 201: cluster } },
    handler: async (request, reply) => reply.status(201).send(await partner.clusters.create(request.body, requireActor(request))),
  });
  app.route({
    method: 'GET',
    url: '/api/v1/partner/clusters/:id',
    config: { access: 'partner.read' },
    schema: { tags: ['Partner'], summary: 'A BroadWorks cluster with its customer and template counts', params: idParams, response: { 200: cluster } },
    handler: async (request) => partner.clusters.get(request.params.id),
  });
  app.route({
    method: 'POST',
    url: '/api/v1/partner/clusters/:id/check',
    config: { access: 'partner.read' },
    schema: {
      tags: ['Partner'],
      summary: 'Check the interfaces of a cluster: reachability, HTTP answer, certificate expiry (P17)',
      params: idParams,
      response: {
        200: z.object({
          clusterId: z.string(),
          ok: z.boolean(),
          interfaces: z.array(z.object({ name: z.string(), url: z.string(), ok: z.boolean(), status: z.number().nullable(), ms: z.number(), certificateExpiresAt: z.date().nullable(), certificateWarning: z.string().nullable(), error: z.string().nullable() })),
        }),
      },
    },
    handler: async (request) => partner.clusters.check(request.params.id),
  });
  app.route({
    method: 'PATCH',
    url: '/api/v1/partner/clusters/:id',
    config: { access: 'partner.manage' },
    schema: {
      tags: ['Partner'],
      summary: 'Edit a cluster (XSI/DAS/XSP URLs, PA and DND sync refused with more than 50 customers; sync toggles are one-way)',
      params: idParams,
      body: clusterBody.partial(),
      response: { 200: cluster },
    },
    handler: async (request) => partner.clusters.update(request.params.id, request.body, requireActor(request)),
  });
  app.route({
    method: 'DELETE',
    url: '/api/v1/partner/clusters/:id',
    config: { access: 'partner.manage' },
    schema: { tags: ['Partner'], summary: 'Delete a cluster (refused while templates use it)', params: idParams, response: { 204: z.null() } },
    handler: async (request, reply) => {
      await partner.clusters.remove(request.params.id, requireActor(request));
      return reply.status(204).send(null);
    },
  });

  // ── templates (P3) ──
  app.route({
    method: 'GET',
    url: '/api/v1/partner/templates',
    config: { access: 'partner.read' },
    schema: { tags: ['Partner'], summary: 'Customer templates', response: { 200: z.object({ items: z.array(template) }) } },
    handler: async () => ({ items: await partner.templates.list() }),
  });
  app.route({
    method: 'POST',
    url: '/api/v1/partner/templates',
    config: { access: 'partner.manage' },
    schema: { tags: ['Partner'], summary: 'Create a customer template (its provisioning ID is generated)', body: templateBody, response: { 201: template } },
    handler: async (request, reply) => reply.status(201).send(await partner.templates.create(request.body, requireActor(request))),
  });
  app.route({
    method: 'GET',
    url: '/api/v1/partner/templates/:id',
    config: { access: 'partner.read' },
    schema: { tags: ['Partner'], summary: 'A customer template', params: idParams, response: { 200: template } },
    handler: async (request) => partner.templates.get(request.params.id),
  });
  app.route({
    method: 'PATCH',
    url: '/api/v1/partner/templates/:id',
    config: { access: 'partner.manage' },
    schema: { tags: ['Partner'], summary: 'Edit a customer template (a blank password keeps the stored one)', params: idParams, body: templateBody.partial(), response: { 200: template } },
    handler: async (request) => partner.templates.update(request.params.id, request.body, requireActor(request)),
  });
  app.route({
    method: 'DELETE',
    url: '/api/v1/partner/templates/:id',
    config: { access: 'partner.manage' },
    schema: { tags: ['Partner'], summary: 'Delete a customer template (refused while customers or subscribers use it)', params: idParams, response: { 204: z.null() } },
    handler: async (request, reply) => {
      await partner.templates.remove(request.params.id, requireActor(request));
      return reply.status(204).send(null);
    },
  });

  // ── user status view (P5, P9) ──
  const statusFilter = (templateId: string, query: { excludeProvisioned?: 'true' | 'false'; status?: string }) => ({
    templateId,
    statuses: query.status ? [query.status] : undefined,
    excludeStatuses: query.excludeProvisioned === 'true' ? ['provisioned'] : undefined,
  });
  app.route({
    method: 'GET',
    url: '/api/v1/partner/templates/:id/users',
    config: { access: 'partner.read' },
    schema: { tags: ['Partner'], summary: 'User status view of a template: BroadWorks ID, package, state, error', params: idParams, querystring: statusQuery, response: { 200: pageOf(statusRow) } },
    handler: async (request) => {
      await partner.templates.get(request.params.id);
      const { offset, limit } = request.query;
      const filter = statusFilter(request.params.id, request.query);
      const [rows, total] = await Promise.all([partner.subscribers.list(filter, { offset, limit }), partner.subscribers.count(filter)]);
      return { items: rows.map(statusView), total, offset, limit };
    },
  });
  app.route({
    method: 'GET',
    url: '/api/v1/partner/templates/:id/users.csv',
    config: { access: 'partner.read' },
    schema: {
      tags: ['Partner'],
      summary: 'The user status view as CSV',
      params: idParams,
      querystring: z.strictObject({ excludeProvisioned: z.enum(['true', 'false']).optional(), status: z.enum(subscriberStatuses).optional() }),
      produces: ['text/csv'],
      response: { 200: z.string().describe('The CSV') },
    },
    handler: async (request, reply) => {
      const tpl = await partner.templates.get(request.params.id);
      const filter = statusFilter(request.params.id, request.query);
      const columns = ['userId', 'firstName', 'lastName', 'email', 'spEnterpriseId', 'package', 'status', 'errorCode', 'errorText', 'selfActivated', 'lastStatusChange'] as const;
      const lines = [columns.join(',')];
      for (let offset = 0; ; offset += 1000) {
        const rows = await partner.subscribers.list(filter, { offset, limit: 1000 });
        for (const row of rows.map(statusView)) lines.push(columns.map((c) => csvCell(row[c])).join(','));
        if (rows.length < 1000) break;
      }
      return reply
        .type('text/csv; charset=utf-8')
        .header('Content-Disposition', `attachment; filename="${tpl.name.replace(/[^\w.-]+/g, '_')}-users.csv"`)
        .send(`${lines.join('\r\n')}\r\n`);
    },
  });
  app.route({
    method: 'POST',
    url: '/api/v1/partner/subscribers/:id/retry',
    config: { access: 'partner.manage' },
    schema: { tags: ['Partner'], summary: 'Retry onboarding of an errored or pending user, optionally with a valid email', params: idParams, body: z.strictObject({ email: z.string().email().max(320).optional() }), response: { 200: statusRow } },
    handler: async (request) => statusView(await partner.subscribers.retry(request.params.id, request.body.email, requireActor(request))),
  });
  app.route({
    method: 'POST',
    url: '/api/v1/partner/subscribers/:id/package',
    config: { access: 'partner.manage' },
    schema: { tags: ['Partner'], summary: 'Change the package of a user (applied asynchronously)', params: idParams, body: z.strictObject({ package: z.enum(packages) }), response: { 200: statusRow } },
    handler: async (request) => statusView(await partner.subscribers.update(request.params.id, { package: request.body.package }, requireActor(request), request.id)),
  });
  app.route({
    method: 'GET',
    url: '/api/v1/partner/subscribers/:id',
    config: { access: 'partner.read' },
    schema: { tags: ['Partner'], summary: 'One user of the status view: package, state, error (what the console follows after provisioning)', params: idParams, response: { 200: statusRow } },
    handler: async (request) => statusView(await partner.subscribers.get(request.params.id)),
  });
  app.route({
    method: 'DELETE',
    url: '/api/v1/partner/subscribers/:id',
    config: { access: 'partner.manage' },
    schema: { tags: ['Partner'], summary: 'Delete a user from the status view (removes the subscriber; the Webex user stays as a free user)', params: idParams, response: { 204: z.null() } },
    handler: async (request, reply) => {
      await partner.subscribers.remove(request.params.id, requireActor(request), request.id);
      return reply.status(204).send(null);
    },
  });
  app.route({
    method: 'GET',
    url: '/api/v1/partner/subscribers/:id/history',
    config: { access: 'partner.read' },
    schema: {
      tags: ['Partner'],
      summary: 'Every status, package and user ID change of a subscriber (what billing prorates from)',
      params: idParams,
      response: { 200: z.object({ items: z.array(z.object({ at: z.date(), change: z.string(), userId: z.string(), package: z.string(), status: z.string(), previous: z.string().nullable() })) }) },
    },
    handler: async (request) => ({ items: await partner.subscribers.history(request.params.id) }),
  });

  // ── customers and analytics (P1, P15) ──
  app.route({
    method: 'GET',
    url: '/api/v1/partner/customers',
    config: { access: 'partner.read' },
    schema: {
      tags: ['Partner'],
      summary: 'Customer organisations with their package counts, by name; searched and paged',
      querystring: z.strictObject({
        q: z.string().trim().max(200).optional().describe('Part of the organisation name or BroadWorks enterprise ID, any case'),
        offset: pageQuery.offset,
        // Callers written before paging read `items` whole: the default page is the largest.
        limit: z.coerce.number().int().min(1).max(500).default(500).describe('Items to return (1–500, default 500)'),
      }),
      response: { 200: pageOf(customer) },
    },
    handler: async (request) => partner.customers.find(request.query.q || undefined, { offset: request.query.offset, limit: request.query.limit }),
  });
  app.route({
    method: 'GET',
    url: '/api/v1/partner/customers/:id',
    config: { access: 'partner.read' },
    schema: { tags: ['Partner'], summary: 'A customer organisation with its package counts', params: idParams, response: { 200: customer } },
    handler: async (request) => partner.customers.get(request.params.id),
  });
  app.route({
    method: 'GET',
    url: '/api/v1/partner/customers/:id/subscribers',
    config: { access: 'partner.read' },
    schema: { tags: ['Partner'], summary: "User status view of a customer: its enterprise's subscribers with package, state and error", params: idParams, querystring: statusQuery, response: { 200: pageOf(statusRow) } },
    handler: async (request) => {
      const org = await partner.customers.get(request.params.id);
      const { offset, limit } = request.query;
      const filter = {
        spEnterpriseId: org.spEnterpriseId,
        statuses: request.query.status ? [request.query.status] : undefined,
        excludeStatuses: request.query.excludeProvisioned === 'true' ? ['provisioned'] : undefined,
      };
      const [rows, total] = await Promise.all([partner.subscribers.list(filter, { offset, limit }), partner.subscribers.count(filter)]);
      return { items: rows.map(statusView), total, offset, limit };
    },
  });
  app.route({
    method: 'POST',
    url: '/api/v1/partner/subscribers',
    config: { access: 'partner.manage', errors: ['CONFLICT', 'FORBIDDEN', 'NOT_FOUND'] },
    schema: {
      tags: ['Partner'],
      summary: "Provision a subscriber from the console: the /v1 API's fields and rules, answered in the platform envelope (a refused field is named in details.issues)",
      body: provisionBody,
      response: { 200: statusRow },
    },
    handler: async (request) => {
      try {
        return statusView(await partner.subscribers.provision(request.body, requireActor(request), { source: 'api', trackingId: request.id }));
      } catch (error) {
        // The /v1 rules name the refused field Webex's way (fieldName); the console's forms read issues.
        if (!(error instanceof AppError)) throw error;
        const details = (error.details ?? {}) as { webexErrors?: { description: string; fieldName?: string }[] };
        if (!details.webexErrors) throw error;
        const issues = details.webexErrors.filter((e) => e.fieldName).map((e) => ({ path: e.fieldName!, message: e.description }));
        throw new AppError(error.code, error.message, { ...details, issues });
      }
    },
  });
  app.route({
    method: 'GET',
    url: '/api/v1/partner/analytics',
    config: { access: 'partner.read' },
    schema: { tags: ['Partner'], summary: 'Provisioned users per package, and customers with package counts', response: { 200: z.object({ usersPerPackage: z.record(z.string(), z.number()), customers: z.array(customer) }) } },
    handler: async () => partner.analytics(),
  });

}
