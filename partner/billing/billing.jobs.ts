import { z } from 'zod';
import { defineJob } from '../../platform/jobs/define-job.ts';
import type { JobContext } from '../../platform/jobs/job-context.ts';

export type ReportWork = { generate(ctx: JobContext, input: { reportId: string; billingPeriod: string }): Promise<unknown> };

/** Retries after the first attempt; the last failure marks the report FAILED. */
export const REPORT_RETRY_LIMIT = 2;

/** P16: a billing report is computed from the subscriber history and written as CSV chunks. */
export function defineBillingJobs(work: ReportWork) {
  return {
    generateReport: defineJob({
      queue: 'partner.billing-report',
      input: z.object({ reportId: z.string().uuid(), billingPeriod: z.string().regex(/^\d{4}-\d{2}$/) }),
      title: (input) => `Billing report ${input.billingPeriod}`,
      entity: (input) => ({ type: 'billing-report', id: input.reportId }),
      retryLimit: REPORT_RETRY_LIMIT,
      retryDelaySeconds: 5,
      // A million subscriber-months take seconds; an hour is far beyond any real run.
      expireInSeconds: 3600,
      run: (ctx, input) => work.generate(ctx, input),
    }),
  };
}
