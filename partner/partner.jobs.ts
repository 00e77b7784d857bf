import { z } from 'zod';
import { defineJob } from '../platform/jobs/define-job.ts';
import type { BatchOutcome, JobBatch, JobContext } from '../platform/jobs/job-context.ts';

export type SubscriberWork = {
  completeProvisioning(ctx: JobContext, input: { subscriberId: string }): Promise<unknown>;
  completeProvisioningTogether(jobs: { ctx: JobContext; input: { subscriberId: string } }[], batch: JobBatch): Promise<(BatchOutcome | undefined)[]>;
  applyUpdate(ctx: JobContext, input: { subscriberId: string }): Promise<unknown>;
};

const subscriberInput = z.object({ subscriberId: z.string().uuid() });

/**
 * Provisioning jobs taken together (P2 flow-through, goal ≥500/s): about half of a job's statements
 * were the runner's bookkeeping, paid once per batch this way; the subscribers of a batch are
 * provisioned in one transaction. Small enough that a batch's transaction stays short.
 */
export const PROVISION_BATCH_SIZE = 25;

export type PartnerJobs = ReturnType<typeof definePartnerJobs>;

/** The asynchronous halves of provisioning and updating (P2, P11): the request answered, these finish. */
export function definePartnerJobs(work: SubscriberWork) {
  return {
    provisionSubscriber: defineJob({
      queue: 'partner.provision-subscriber',
      input: subscriberInput,
      title: (input) => `Provision subscriber ${input.subscriberId}`,
      entity: (input) => ({ type: 'subscriber', id: input.subscriberId }),
      retryLimit: 3,
      retryDelaySeconds: 2,
      run: (ctx, input) => work.completeProvisioning(ctx, input),
      batch: { size: PROVISION_BATCH_SIZE, run: (jobs, batch) => work.completeProvisioningTogether(jobs, batch) },
    }),
    updateSubscriber: defineJob({
      queue: 'partner.update-subscriber',
      input: subscriberInput,
      title: (input) => `Update subscriber ${input.subscriberId}`,
      entity: (input) => ({ type: 'subscriber', id: input.subscriberId }),
      retryLimit: 3,
      retryDelaySeconds: 2,
      run: (ctx, input) => work.applyUpdate(ctx, input),
    }),
  };
}
