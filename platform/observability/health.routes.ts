import { z } from 'zod';
import type { HttpApp } from '../http/app-types.ts';
import type { PlatformServices } from '../services.ts';

/** How long /readyz waits for the database to answer before saying it is not ready. */
const READY_TIMEOUT_MS = 5_000;

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
      // A database that cannot answer (its connections all taken and none coming back, a hung
      // embedded worker) would otherwise leave the probe waiting as long as it does.
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
      });
      const answered = database.pool.query('select 1');
      answered.catch(() => undefined); // still pending when the probe has given up
      try {
        await Promise.race([answered, timedOut]);
        return { status: 'ready' as const, database: database.mode };
      } catch (error) {
        return reply.status(503).send({ status: 'not-ready' as const, reason: `database: ${(error as Error).message}` });
      } finally {
        clearTimeout(timer);
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
