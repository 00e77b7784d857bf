import { z } from 'zod';
import { requireActor } from '../platform/auth/auth.plugin.ts';
import { dayInput } from '../platform/http/inputs.ts';
import { packages } from './partner.service.ts';
import type { HttpApp } from '../platform/http/app-types.ts';
import type { PlatformServices } from '../platform/services.ts';
import type { Organizations } from './organizations.service.ts';

// Console API (platform envelope) for what Partner Hub does to a whole customer: detach it from an
// existing org (P8), delete it with everything in it (P12), and the package trends (P15).

const idParams = z.strictObject({ id: z.string().uuid() });
const day = dayInput();
const started = z.object({ jobId: z.string(), state: z.string() });
const point = z.object({ period: z.string(), asOf: z.string(), source: z.enum(['snapshot', 'history']).describe('snapshot: stored at the end of the day; history: counted from the subscriber history (today so far, days not yet snapshotted)'), ...Object.fromEntries(packages.map((p) => [p, z.number().int()])) });

export function registerCustomerRoutes(app: HttpApp, services: PlatformServices, orgs: Organizations) {
  app.route({
    method: 'POST',
    url: '/api/v1/partner/customers/:id/detach',
    config: { access: 'partner.manage' },
    schema: {
      tags: ['Partner'],
      summary: 'P8: detach an enterprise from the existing Webex org it was attached to (a job: workspaces, subscribers, pending users, calling config)',
      params: idParams,
      body: z.strictObject({ flow: z.enum(['standard', 'hybrid']).describe('standard: subscriber data deleted, subscription deactivated; hybrid: subscriptions unchanged') }),
      response: { 202: started },
    },
    handler: async (request, reply) => reply.status(202).send(await orgs.organizations.detach(request.params.id, request.body.flow, requireActor(request))),
  });

  app.route({
    method: 'POST',
    url: '/api/v1/partner/customers/:id/delete',
    config: { access: 'partner.manage' },
    schema: {
      tags: ['Partner'],
      summary: 'P12: delete a customer organisation — a job deletes all its people, disables directory sync, then deletes the org',
      params: idParams,
      response: { 202: started },
    },
    handler: async (request, reply) => reply.status(202).send(await orgs.organizations.teardown(request.params.id, requireActor(request))),
  });

  app.route({
    method: 'GET',
    url: '/api/v1/partner/analytics/trends',
    config: { access: 'partner.read' },
    schema: {
      tags: ['Partner'],
      summary: 'P15: provisioned users per package over time (end of each UTC day / week / month, up to today so far), 13 months kept; days without a snapshot are counted from the subscriber history',
      querystring: z.strictObject({ interval: z.enum(['daily', 'weekly', 'monthly']).default('daily'), from: day.optional(), to: day.optional() }),
      response: { 200: z.object({ interval: z.string(), from: z.string(), to: z.string(), timezone: z.string(), points: z.array(point) }) },
    },
    handler: async (request) => orgs.analytics.trends(request.query.interval, { from: request.query.from, to: request.query.to }),
  });

  app.route({
    method: 'POST',
    url: '/api/v1/partner/analytics/snapshots',
    config: { access: 'partner.manage' },
    schema: {
      tags: ['Partner'],
      summary: 'P15: compute the daily package snapshots now (back-fill from the subscriber history; the job also runs daily at 00:15 UTC)',
      body: z.strictObject({ from: day.optional(), to: day.optional() }),
      response: { 202: z.object({ jobId: z.string() }) },
    },
    handler: async (request, reply) => {
      const actor = requireActor(request);
      const job = await services.jobs.send(orgs.jobs.usageSnapshot, request.body, { actor });
      await services.audit.record({ actor, action: 'partner.analytics.snapshot', entityType: 'job', entityId: job.id, after: request.body });
      return reply.status(202).send({ jobId: job.id });
    },
  });
}
