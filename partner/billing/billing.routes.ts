import { Readable } from 'node:stream';
import { z } from 'zod';
import { requireActor } from '../../platform/auth/auth.plugin.ts';
import { webexErrorBody } from '../webex-errors.ts';
import { packages } from '../partner.service.ts';
import type { FastifyRequest } from 'fastify';
import type { HttpApp } from '../../platform/http/app-types.ts';
import type { Billing } from './billing.service.ts';

// P16: the Webex-compatible BroadWorks Billing Reports API (/v1/broadworks/billing/reports: same
// paths, fields, statuses and error body) and the console's billing API (/api/v1/partner/billing).

const errorResponses = { 400: webexErrorBody, 401: webexErrorBody, 403: webexErrorBody, 404: webexErrorBody, 409: webexErrorBody };
const reportStatus = z.enum(['IN_PROGRESS', 'COMPLETED', 'FAILED']);
const reportSchema = z
  .object({
    id: z.string(),
    billingPeriod: z.string(),
    status: reportStatus,
    created: z.string(),
    createdBy: z.string(),
    tempDownloadURL: z.string().optional(),
    errors: z.array(z.object({ code: z.number(), description: z.string() })).optional(),
  })
  .meta({ id: 'BroadWorksBillingReport' });
const listReportSchema = z.object({ id: z.string(), billingPeriod: z.string(), status: reportStatus });
const idParams = z.strictObject({ id: z.string().min(1).max(200) });
const periodBody = z.strictObject({ billingPeriod: z.string().max(32).describe('The year and month (YYYY-MM) to report') });
const listQuery = z.strictObject({
  before: z.string().max(32).optional().describe('Only reports of billing periods before this month (YYYY-MM)'),
  after: z.string().max(32).optional().describe('Only reports of billing periods after this month (YYYY-MM)'),
  sortBy: z.enum(['id', 'status', 'billingPeriod']).default('billingPeriod'),
});

const baseUrl = (request: FastifyRequest) => `${request.protocol}://${request.host}`;

export function registerBillingRoutes(app: HttpApp, billing: Billing) {
  registerConsoleRoutes(app, billing);
  return app.register(async (scope) => {
    const v1 = scope as HttpApp;
    const tags = ['BroadWorks Billing Reports'];

    v1.route({
      method: 'GET',
      url: '/v1/broadworks/billing/reports',
      config: { access: 'billing.read' },
      schema: { tags, summary: 'List BroadWorks Billing Reports', querystring: listQuery, response: { 200: z.object({ items: z.array(listReportSchema) }), ...errorResponses } },
      handler: async (request) => ({
        items: (await billing.reports.list(request.query)).map((found) => {
          const { id, billingPeriod, status } = billing.reports.view(found);
          return { id, billingPeriod, status };
        }),
      }),
    });

    v1.route({
      method: 'POST',
      url: '/v1/broadworks/billing/reports',
      config: { access: 'billing.manage' },
      schema: { tags, summary: 'Create a BroadWorks Billing Report (answers at once; a job generates it)', body: periodBody, response: { 200: z.object({ id: z.string() }), ...errorResponses } },
      handler: async (request) => ({ id: (await billing.reports.create(request.body.billingPeriod, requireActor(request), request.id)).reportId }),
    });

    v1.route({
      method: 'GET',
      url: '/v1/broadworks/billing/reports/:id',
      config: { access: 'billing.read' },
      schema: { tags, summary: 'Get a BroadWorks Billing Report (with a temporary download link once COMPLETED)', params: idParams, response: { 200: reportSchema, ...errorResponses } },
      handler: async (request) => billing.reports.view(await billing.reports.get(request.params.id), baseUrl(request)),
    });

    v1.route({
      method: 'DELETE',
      url: '/v1/broadworks/billing/reports/:id',
      config: { access: 'billing.manage' },
      schema: { tags, summary: 'Delete a BroadWorks Billing Report', params: idParams, response: { 204: z.null(), ...errorResponses } },
      handler: async (request, reply) => {
        await billing.reports.remove(request.params.id, requireActor(request), request.id);
        return reply.status(204).send(null);
      },
    });

    // The temporary download link (tempDownloadURL): the sealed token is the credential, as a
    // signed URL is on Webex's content servers, so the route itself is public.
    v1.route({
      method: 'GET',
      url: '/v1/broadworks/billing/reports/:id/download',
      config: { access: 'public' },
      schema: {
        tags,
        summary: 'Download a billing report as CSV (temporary link from Get a BroadWorks Billing Report)',
        params: idParams,
        querystring: z.strictObject({ token: z.string().min(1).max(2000), expires: z.string().max(20).optional() }),
        produces: ['text/csv'],
        response: { 200: z.string().describe('The CSV, streamed'), 403: webexErrorBody, 404: webexErrorBody, 409: webexErrorBody },
      },
      handler: async (request, reply) => {
        const download = await billing.reports.openDownload(request.params.id, request.query.token);
        reply.type('text/csv; charset=utf-8').header('Content-Disposition', `attachment; filename="billing-report-${download.billingPeriod}.csv"`);
        if (download.byteSize !== null) reply.header('Content-Length', String(download.byteSize));
        // A stream is sent as it is (never serialised), with backpressure: a stored chunk (about 1 MB)
        // is read when the socket has taken the pieces of the last, one piece buffered ahead (not
        // Readable.from's default of 16).
        return reply.send(Readable.from(download.chunks, { highWaterMark: 1 }) as never);
      },
    });
  });
}

const summarySchema = z.object({
  subscribers: z.number(),
  byPackage: z.record(z.string(), z.object({ records: z.number(), quantity: z.number() })),
  byCustomer: z.record(z.string(), z.object({ records: z.number(), quantity: z.number(), byPackage: z.record(z.string(), z.number()) })),
});
const detailSchema = reportSchema.extend({
  reportId: z.string(),
  jobId: z.string().nullable(),
  progressPercent: z.number(),
  createdByName: z.string(),
  completedAt: z.string().nullable(),
  recordCount: z.number().nullable(),
  byteSize: z.number().nullable(),
  summary: summarySchema.nullable(),
});
const recordSchema = z.object({
  resellerName: z.string(),
  billingId: z.string(),
  spEnterpriseId: z.string(),
  internal: z.string(),
  userId: z.string(),
  subscriberId: z.string(),
  selfActivated: z.string(),
  firstStartDate: z.string(),
  billingStartDate: z.string(),
  billingEndDate: z.string(),
  package: z.string(),
  quantity: z.string(),
});

function registerConsoleRoutes(app: HttpApp, billing: Billing) {
  const tags = ['Partner billing'];
  app.route({
    method: 'GET',
    url: '/api/v1/partner/billing/reports',
    config: { access: 'billing.read' },
    schema: { tags, summary: 'Billing reports with their totals', response: { 200: z.object({ items: z.array(detailSchema) }) } },
    handler: async (request) => ({ items: (await billing.reports.list({ sortBy: 'billingPeriod' })).map((found) => billing.reports.detail(found, baseUrl(request))) }),
  });
  app.route({
    method: 'POST',
    url: '/api/v1/partner/billing/reports',
    config: { access: 'billing.manage' },
    schema: { tags, summary: 'Create the billing report of a month (a job generates it)', body: periodBody, response: { 201: z.object({ id: z.string(), reportId: z.string(), jobId: z.string() }) } },
    handler: async (request, reply) => reply.status(201).send(await billing.reports.create(request.body.billingPeriod, requireActor(request), request.id)),
  });
  app.route({
    method: 'GET',
    url: '/api/v1/partner/billing/reports/:id',
    config: { access: 'billing.read' },
    schema: { tags, summary: 'A billing report: status, job, totals by package and customer, download link', params: idParams, response: { 200: detailSchema } },
    handler: async (request) => billing.reports.detail(await billing.reports.get(request.params.id), baseUrl(request)),
  });
  app.route({
    method: 'DELETE',
    url: '/api/v1/partner/billing/reports/:id',
    config: { access: 'billing.manage' },
    schema: { tags, summary: 'Delete a billing report (its month can then be reported again)', params: idParams, response: { 204: z.null() } },
    handler: async (request, reply) => {
      await billing.reports.remove(request.params.id, requireActor(request), request.id);
      return reply.status(204).send(null);
    },
  });
  app.route({
    method: 'GET',
    url: '/api/v1/partner/billing/reports/:id/records',
    config: { access: 'billing.read' },
    schema: {
      tags,
      summary: "A completed report's records, filtered",
      params: idParams,
      querystring: z.strictObject({
        spEnterpriseId: z.string().max(255).optional(),
        package: z.enum(packages).optional(),
        userId: z.string().max(255).optional().describe('Part of the BroadWorks user ID'),
        offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
        limit: z.coerce.number().int().min(1).max(500).default(50),
      }),
      response: { 200: z.object({ items: z.array(recordSchema), total: z.number(), offset: z.number(), limit: z.number() }) },
    },
    handler: async (request) => billing.reports.records(request.params.id, request.query),
  });
  app.route({
    method: 'GET',
    url: '/api/v1/partner/billing/settings',
    config: { access: 'billing.read' },
    schema: { tags, summary: 'The reseller name printed on billing records', response: { 200: z.object({ resellerName: z.string(), isDefault: z.boolean() }) } },
    handler: async () => billing.settings.get(),
  });
  app.route({
    method: 'PUT',
    url: '/api/v1/partner/billing/settings',
    config: { access: 'billing.manage' },
    schema: { tags, summary: 'Set the reseller name', body: z.strictObject({ resellerName: z.string().trim().min(1).max(255) }), response: { 200: z.object({ resellerName: z.string(), isDefault: z.boolean() }) } },
    handler: async (request) => billing.settings.set(request.body.resellerName, requireActor(request)),
  });
  const customer = z.object({ spEnterpriseId: z.string(), billingId: z.string().nullable(), internalTrial: z.boolean() });
  app.route({
    method: 'GET',
    url: '/api/v1/partner/billing/customers',
    config: { access: 'billing.read' },
    schema: { tags, summary: 'Billing IDs and internal-trial flags of customers', response: { 200: z.object({ items: z.array(customer) }) } },
    handler: async () => ({ items: await billing.customers.list() }),
  });
  app.route({
    method: 'PUT',
    url: '/api/v1/partner/billing/customers/:spEnterpriseId',
    config: { access: 'billing.manage' },
    schema: {
      tags,
      summary: "Set a customer's billing ID and internal-trial flag",
      params: z.strictObject({ spEnterpriseId: z.string().min(1).max(255) }),
      body: z.strictObject({ billingId: z.string().trim().max(255).nullable(), internalTrial: z.boolean() }),
      response: { 200: customer },
    },
    handler: async (request) => billing.customers.set(request.params.spEnterpriseId, { billingId: request.body.billingId || null, internalTrial: request.body.internalTrial }, requireActor(request)),
  });
}
