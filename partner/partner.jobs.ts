import { z } from 'zod';
import { defineJob } from '../platform/jobs/define-job.ts';
import type { JobContext } from '../platform/jobs/job-context.ts';

export type SubscriberWork = {
  completeProvisioning(ctx: JobContext, input: { subscriberId: string }): Promise<unknown>;
  applyUpdate(ctx: JobContext, input: { subscriberId: string }): Promise<unknown>;
};

const subscriberInput = z.object({ subscriberId: z.string().uuid() });

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
