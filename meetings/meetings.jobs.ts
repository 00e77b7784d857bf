import { z } from 'zod';
import { defineJob } from '../platform/jobs/define-job.ts';
import type { Bridges } from './bridges.service.ts';
import type { Meetings } from './meetings.service.ts';

/**
 * Meetings one start job carries at most (the scheduler splits bigger bursts). A burst is cut into
 * one batch per job worker of all instances; a cap below that leaves batches queued behind the first
 * ones (10,000 meetings on one instance of 4 workers are 4 batches of 2,500; the claim is still a
 * handful of statements).
 */
export const START_BATCH = 2_500;
/**
 * A start job is retried (backoff 1 s doubling to 10 s) until its meetings have started or their
 * booked time is over (startMany gives up a meeting at its end); this only bounds a runaway job: a day.
 */
const START_RETRIES = 8_640;

// The Meetings area's long work. Every bridge call inside goes through ctx.step (exactly once).
export function createMeetingJobs(deps: { bridges: Bridges; meetings: Meetings; onNodesDown: (nodeIds: string[]) => Promise<void> }) {
  const bridgeInput = z.object({ bridgeId: z.string().uuid() });
  const occurrenceInput = z.object({ occurrenceId: z.string().uuid() });
  return {
    syncPool: defineJob({
      queue: 'meetings.sync-pool',
      input: bridgeInput,
      title: () => 'Sync the scheduled-space pool',
      entity: (i) => ({ type: 'bridge', id: i.bridgeId }),
      retryLimit: 3,
      retryDelaySeconds: 5,
      run: (ctx, i) => deps.meetings.syncPool(ctx, i.bridgeId),
    }),
    reconcilePool: defineJob({
      queue: 'meetings.reconcile-pool',
      input: bridgeInput,
      title: () => 'Check the scheduled-space pool for drift',
      entity: (i) => ({ type: 'bridge', id: i.bridgeId }),
      retryLimit: 2,
      retryDelaySeconds: 5,
      run: (ctx, i) => deps.meetings.reconcilePool(ctx, i.bridgeId),
    }),
    pollStatus: defineJob({
      queue: 'meetings.poll-status',
      input: bridgeInput,
      title: () => 'Poll bridge status',
      entity: (i) => ({ type: 'bridge', id: i.bridgeId }),
      routine: true,
      retryLimit: 0,
      run: async (_ctx, i) => {
        const result = await deps.bridges.poll(i.bridgeId);
        await deps.onNodesDown(result.down);
        // Calls left on nodes that were down are deleted once they answer, on every poll until gone.
        const left = await deps.meetings.sweepLeftCalls(i.bridgeId);
        return { connectivity: result.connectivity, down: result.down.length, leftCalls: left };
      },
    }),
    startMeeting: defineJob({
      // One queue for both shapes: jobs of one meeting queued before batched starts still run.
      queue: 'meetings.start-meeting',
      input: z.union([
        z.object({ at: z.string().datetime().optional(), occurrenceIds: z.array(z.string().uuid()).min(1).max(START_BATCH) }),
        occurrenceInput,
      ]),
      title: (i) => ('occurrenceIds' in i && i.occurrenceIds.length > 1 ? `Start ${i.occurrenceIds.length} meetings` : 'Start a meeting'),
      entity: (i) => ('occurrenceIds' in i ? (i.occurrenceIds.length === 1 ? { type: 'meeting', id: i.occurrenceIds[0] } : undefined) : { type: 'meeting', id: i.occurrenceId }),
      retryLimit: START_RETRIES,
      retryDelaySeconds: 1,
      retryDelayMaxSeconds: 10,
      // One job carries up to START_BATCH meetings: a few per process in flight start them all.
      run: (ctx, i) => deps.meetings.startMany(ctx, 'occurrenceIds' in i ? i : { occurrenceIds: [i.occurrenceId] }, { finalAttempt: ctx.attempt > START_RETRIES }),
    }),
    endMeeting: defineJob({
      queue: 'meetings.end-meeting',
      input: occurrenceInput,
      title: () => 'End a meeting',
      entity: (i) => ({ type: 'meeting', id: i.occurrenceId }),
      // Retried until done: a bridge unreachable at end time must not keep the slot forever.
      retryLimit: 100,
      retryDelaySeconds: 1,
      retryDelayMaxSeconds: 30,
      run: (ctx, i) => deps.meetings.end(ctx, i.occurrenceId),
    }),
    failover: defineJob({
      queue: 'meetings.failover',
      input: occurrenceInput,
      title: () => 'Move a live meeting to a healthy node',
      entity: (i) => ({ type: 'meeting', id: i.occurrenceId }),
      retryLimit: 10,
      retryDelaySeconds: 1,
      retryDelayMaxSeconds: 5,
      run: (ctx, i) => deps.meetings.failover(ctx, i.occurrenceId),
    }),
    warn: defineJob({
      queue: 'meetings.end-warning',
      input: occurrenceInput.extend({ minutes: z.number().int() }),
      title: (i) => `Warn ${i.minutes} min before the end`,
      entity: (i) => ({ type: 'meeting', id: i.occurrenceId }),
      retryLimit: 1,
      run: async (_ctx, i) => deps.meetings.warn(i.occurrenceId, i.minutes),
    }),
  };
}

export type MeetingJobs = ReturnType<typeof createMeetingJobs>;
