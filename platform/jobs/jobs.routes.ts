import { z } from 'zod';
import { requireActor } from '../auth/auth.plugin.ts';
import { pageOf, pageQuery } from '../http/paging.ts';
import type { HttpApp } from '../http/app-types.ts';
import type { PlatformServices } from '../services.ts';

export const jobStates = ['created', 'active', 'retry', 'completed', 'failed', 'cancelled'] as const;

const job = z
  .object({
    id: z.string().uuid(),
    queue: z.string(),
    title: z.string(),
    entityType: z.string().nullable(),
    entityId: z.string().nullable(),
    state: z.enum(jobStates),
    progressPercent: z.number().int(),
    progressStep: z.string().nullable(),
    progressMessage: z.string().nullable(),
    attempts: z.number().int(),
    maxAttempts: z.number().int(),
    input: z.unknown(),
    result: z.unknown(),
    error: z.unknown(),
    createdBy: z.string().nullable(),
    createdAt: z.date(),
    startedAt: z.date().nullable(),
    finishedAt: z.date().nullable(),
    updatedAt: z.date(),
  })
  .meta({ id: 'Job' });
const jobStep = z.object({ stepKey: z.string(), state: z.string(), attempts: z.number().int(), startedAt: z.date(), finishedAt: z.date().nullable() });
const idParams = z.strictObject({ id: z.string().uuid() });

export function registerJobRoutes(app: HttpApp, { jobs }: PlatformServices) {
  app.route({
    method: 'GET',
    url: '/api/v1/jobs',
    config: { access: 'jobs.read' },
    schema: {
      tags: ['Jobs'],
      summary: 'List jobs, newest first',
      querystring: z.strictObject({
        ...pageQuery,
        queue: z.string().max(200).optional(),
        state: z.union([z.enum(jobStates), z.array(z.enum(jobStates))]).optional().describe('One state, or several (state=a&state=b)'),
        entityType: z.string().max(100).optional(),
        entityId: z.string().max(200).optional(),
        includeRoutine: z.enum(['true', 'false']).optional().describe('Also list routine system jobs (bridge status polls); default false'),
      }),
      response: { 200: pageOf(job) },
    },
    handler: async (request) => {
      const { offset, limit, state, includeRoutine, ...filter } = request.query;
      const states = state === undefined ? undefined : Array.isArray(state) ? state : [state];
      const page = await jobs.list({ ...filter, state: states, includeRoutine: includeRoutine === 'true' }, { offset, limit });
      return { ...page, items: page.items as z.infer<typeof job>[], offset, limit };
    },
  });

  app.route({
    method: 'GET',
    url: '/api/v1/jobs/:id',
    config: { access: 'jobs.read' },
    schema: { tags: ['Jobs'], summary: 'A job with its progress and steps', params: idParams, response: { 200: job.extend({ steps: z.array(jobStep) }) } },
    handler: async (request) => (await jobs.get(request.params.id)) as z.infer<typeof job> & { steps: z.infer<typeof jobStep>[] },
  });

  app.route({
    method: 'POST',
    url: '/api/v1/jobs/:id/retry',
    config: { access: 'jobs.manage', errors: ['INVALID_STATE'] },
    schema: { tags: ['Jobs'], summary: 'Run a failed or cancelled job again (steps already done are not repeated)', params: idParams, response: { 200: z.object({ id: z.string(), state: z.string() }) } },
    handler: async (request) => jobs.retry(request.params.id, requireActor(request), request.id),
  });

  app.route({
    method: 'POST',
    url: '/api/v1/jobs/:id/cancel',
    config: { access: 'jobs.manage', errors: ['INVALID_STATE'] },
    schema: { tags: ['Jobs'], summary: 'Cancel a job that has not finished', params: idParams, response: { 200: z.object({ id: z.string(), state: z.string() }) } },
    handler: async (request) => jobs.cancel(request.params.id, requireActor(request), request.id),
  });
}
