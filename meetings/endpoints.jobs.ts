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
      // claimed together, their endpoints and lists read and their outcomes recorded for all at
      // once, the codecs called side by side (obtp.pushMany: one push at a time per codec, at most
      // SWITCHBOARD_OBTP_PUSH_CONCURRENCY in the process).
      batch: {
        size: 50,
        run: (jobs) => deps.obtp.pushMany(jobs.map(({ ctx, input }) => ({ ctx, endpointId: input.endpointId }))),
      },
    }),
  };
}

export type EndpointJobs = ReturnType<typeof createEndpointJobs>;
