import { z } from 'zod';
import { requireActor } from '../auth/auth.plugin.ts';
import { roleHas } from '../auth/roles.ts';
import { collectAttention, type AttentionItem, type AttentionSource } from './attention.ts';
import type { HttpApp } from '../http/app-types.ts';
import type { PlatformServices } from '../services.ts';

const entry = z.object({
  id: z.string(),
  label: z.string(),
  detail: z.string().optional(),
  at: z.date().nullable().optional(),
  href: z.string().optional(),
  acknowledge: z.string().optional().describe('API path to POST (no body) that acknowledges it; only when your role may'),
});

const item = z
  .object({
    key: z.string(),
    area: z.string(),
    title: z.string(),
    summary: z.string(),
    count: z.number().int(),
    severity: z.enum(['info', 'warning', 'critical']),
    href: z.string().describe('Console path where it is handled'),
    acknowledged: z.number().int().optional(),
    entries: z.array(entry),
  })
  .meta({ id: 'AttentionItem' });

const firstStep = z.object({ key: z.string(), area: z.string(), title: z.string(), description: z.string(), href: z.string(), done: z.boolean() }).meta({ id: 'FirstStep' });

const report = z
  .object({
    items: z.array(item),
    firstSteps: z.array(firstStep),
    unavailable: z.array(z.object({ area: z.string(), message: z.string() })),
    at: z.date(),
  })
  .meta({ id: 'Attention' });

/** Jobs that failed in the last week, and unfinished jobs with no change for a quarter of an hour. */
const FAILED_WINDOW_MS = 7 * 86_400_000;
const STUCK_AFTER_MS = 15 * 60_000;

export function jobsAttention({ jobs, clock }: Pick<PlatformServices, 'jobs' | 'clock'>): AttentionSource {
  return {
    area: 'platform',
    async attention(actor) {
      if (!roleHas(actor.role, 'jobs.read')) return [];
      const now = clock.now().getTime();
      const found = await jobs.needingAttention({ failedSince: new Date(now - FAILED_WINDOW_MS), stuckBefore: new Date(now - STUCK_AFTER_MS), limit: 5 });
      const entryOf = (job: (typeof found.failed)[number]) => ({ id: job.id, label: job.title, detail: job.queue, at: job.finishedAt ?? job.updatedAt, href: `/jobs/${job.id}` });
      const items: AttentionItem[] = [
        { key: 'jobs.failed', area: 'jobs', title: 'Failed jobs', summary: 'jobs that failed in the last 7 days', count: found.failedTotal, severity: 'critical', href: '/jobs?state=failed', entries: found.failed.map(entryOf) },
        { key: 'jobs.stuck', area: 'jobs', title: 'Stuck jobs', summary: 'queued or running jobs with no progress for 15 minutes', count: found.stuckTotal, severity: 'warning', href: '/jobs?state=active', entries: found.stuck.map(entryOf) },
      ];
      return items;
    },
  };
}

export function registerAttentionRoutes(app: HttpApp, services: PlatformServices, sources: AttentionSource[]) {
  app.route({
    method: 'GET',
    url: '/api/v1/attention',
    config: { access: 'attention.read' },
    schema: {
      tags: ['Attention'],
      summary: 'What needs attention now, per area (the console home page), and the first steps of an empty install',
      description: 'Each area counts what its own read permission lets the caller see; an area the role may not read contributes nothing.',
      response: { 200: report },
    },
    handler: async (request) => {
      const actor = requireActor(request);
      const result = await collectAttention([jobsAttention(services), ...sources], actor, (area, error) => request.log.error({ err: error, area }, 'attention of an area failed'));
      return { ...result, at: services.clock.now() };
    },
  });
}
