import { z } from 'zod';
import { defineJob } from '../platform/jobs/define-job.ts';
import { pruneBookingChanges } from './booking-changes.ts';
import type { PlatformServices } from '../platform/services.ts';

/** M8: the change feed of bookings keeps SWITCHBOARD_BOOKING_CHANGE_RETENTION_DAYS days. */
export function createBookingChangeJobs(services: PlatformServices) {
  return {
    pruneBookingChanges: defineJob({
      queue: 'meetings.prune-booking-changes',
      input: z.object({}),
      title: () => 'Prune the change feed of bookings',
      retryLimit: 3,
      retryDelaySeconds: 60,
      // Daily, at a quiet hour (UTC); pg-boss runs each occurrence once across instances.
      cron: { expression: '40 3 * * *', input: {} },
      // Idempotent (deletes what is older than the retention): no journal needed on a retry.
      run: () => pruneBookingChanges(services),
    }),
  };
}
