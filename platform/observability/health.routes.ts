import { z } from 'zod';
import type { HttpApp } from '../http/app-types.ts';
import type { PlatformServices } from '../services.ts';

export function registerHealthRoutes(app: HttpApp, { database, metrics, jobs }: PlatformServices, isReady: () => boolean) {
  app.route({
    method: 'GET',
    url: '/healthz',
    // Probed every few seconds by load balancers and scrapers: logged only when something is wrong.
    logLevel: 'warn',
    config: { access: 'public' },
    schema: { tags: ['Health'], summary: 'Liveness: the process serves HTTP', response: { 200: z.object({ status: z.literal('ok') }) } },
    handler: async () => ({ status: 'ok' as const }),
  });

  app.route({
    method: 'GET',
    url: '/readyz',
    // Probed every few seconds by load balancers and scrapers: logged only when something is wrong.
    logLevel: 'warn',
    config: { access: 'public' },
    schema: { tags: ['Health'], summary: 'Readiness: database reachable and jobs started', response: { 200: z.object({ status: z.literal('ready'), database: z.string() }), 503: z.object({ status: z.literal('not-ready'), reason: z.string() }) } },
    handler: async (_request, reply) => {
      if (!isReady()) return reply.status(503).send({ status: 'not-ready' as const, reason: 'starting' });
      try {
        await database.pool.query('select 1');
        return { status: 'ready' as const, database: database.mode };
      } catch (error) {
        return reply.status(503).send({ status: 'not-ready' as const, reason: `database: ${(error as Error).message}` });
      }
    },
  });

  app.route({
    method: 'GET',
    url: '/metrics',
    // Probed every few seconds by load balancers and scrapers: logged only when something is wrong.
    logLevel: 'warn',
    config: { access: 'public' },
    schema: { hide: true },
    handler: async (_request, reply) => {
      metrics.jobs.reset();
      for (const row of await jobs.countsByQueueAndState()) metrics.jobs.set({ queue: row.queue, state: row.state }, row.count);
      reply.type(metrics.registry.contentType);
      return metrics.registry.metrics();
    },
  });
}
