import { z } from 'zod';
import { defineJob } from '../platform/jobs/define-job.ts';
import type { JobContext } from '../platform/jobs/job-context.ts';

export type OrganizationWork = {
  directorySync(ctx: JobContext, input: { customerOrgId: string; trackingId: string }): Promise<unknown>;
  deleteOrganization(ctx: JobContext, input: { customerOrgId: string }): Promise<unknown>;
  detachOrganization(ctx: JobContext, input: { customerOrgId: string; flow: 'standard' | 'hybrid' }): Promise<unknown>;
  usageSnapshot(ctx: JobContext, input: { from?: string; to?: string }): Promise<unknown>;
};

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

/** Directory sync, organisation deletion and detach (P8, P12), and the daily package snapshot (P15). */
export function defineOrganizationJobs(work: OrganizationWork) {
  return {
    directorySync: defineJob({
      queue: 'partner.directory-sync',
      input: z.object({ customerOrgId: z.string().uuid(), trackingId: z.string() }),
      title: (input) => `Directory sync of customer ${input.customerOrgId}`,
      entity: (input) => ({ type: 'customerOrg', id: input.customerOrgId }),
      retryLimit: 2,
      retryDelaySeconds: 2,
      run: (ctx, input) => work.directorySync(ctx, input),
    }),
    deleteOrganization: defineJob({
      queue: 'partner.delete-organization',
      input: z.object({ customerOrgId: z.string().uuid() }),
      title: (input) => `Delete customer organisation ${input.customerOrgId}`,
      entity: (input) => ({ type: 'customerOrg', id: input.customerOrgId }),
      retryLimit: 3,
      retryDelaySeconds: 2,
      run: (ctx, input) => work.deleteOrganization(ctx, input),
    }),
    detachOrganization: defineJob({
      queue: 'partner.detach-organization',
      input: z.object({ customerOrgId: z.string().uuid(), flow: z.enum(['standard', 'hybrid']) }),
      title: (input) => `Detach customer ${input.customerOrgId} (${input.flow} flow)`,
      entity: (input) => ({ type: 'customerOrg', id: input.customerOrgId }),
      retryLimit: 3,
      retryDelaySeconds: 2,
      run: (ctx, input) => work.detachOrganization(ctx, input),
    }),
    usageSnapshot: defineJob({
      queue: 'partner.usage-snapshot',
      input: z.object({ from: day.optional(), to: day.optional() }),
      title: (input) => (input.from ? `Package snapshots ${input.from}…${input.to ?? 'yesterday'}` : 'Daily package snapshot'),
      retryLimit: 3,
      retryDelaySeconds: 30,
      // Shortly after midnight UTC: yesterday is complete (charts are in GMT, as Partner Hub's).
      cron: { expression: '15 0 * * *', input: {} },
      run: (ctx, input) => work.usageSnapshot(ctx, input),
    }),
  };
}
