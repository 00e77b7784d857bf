import { z } from 'zod';
import { defineJob } from '../platform/jobs/define-job.ts';
import { PUSH_RETRIES, type Obtp } from './obtp.service.ts';
import type { Endpoints } from './endpoints.service.ts';

// #17: the endpoints' status polls and the OBTP pushes.
export function createEndpointJobs(deps: { endpoints: Endpoints; obtp: Obtp }) {
  const endpointInput = z.object({ endpointId: z.string().uuid() });
  return {
    pollEndpoint: defineJob({
      queue: 'meetings.poll-endpoint',
      input: endpointInput,
      title: () => 'Poll endpoint status',
      entity: (i) => ({ type: 'endpoint', id: i.endpointId }),
      routine: true,
      retryLimit: 0,
      run: (_ctx, i) => deps.endpoints.poll(i.endpointId),
    }),
    pushBookings: defineJob({
      queue: 'meetings.obtp-push',
      input: endpointInput,
      title: () => 'Push bookings to an endpoint (One Button to Push)',
      entity: (i) => ({ type: 'endpoint', id: i.endpointId }),
      retryLimit: PUSH_RETRIES,
      retryDelaySeconds: 1,
      retryDelayMaxSeconds: 30,
      run: (ctx, i) => deps.obtp.push(ctx, i.endpointId),
      // A push is one short HTTP exchange with one codec: up to 50 waiting pushes are fetched and
      // claimed together and run side by side (pushes to one endpoint one after the other, see
      // obtp.push), so a bulk change reaches a thousand panels in seconds, not at one job per fetch.
      batch: {
        size: 50,
        run: (jobs) => Promise.all(jobs.map(({ ctx, input }) => deps.obtp.push(ctx, input.endpointId).then((result) => ({ result }), (error: unknown) => ({ error })))),
      },
    }),
  };
}

export type EndpointJobs = ReturnType<typeof createEndpointJobs>;
