import path from 'node:path';
import { createBridges } from './bridges.service.ts';
import { createBookings } from './bookings.service.ts';
import { createMeetings, type MeetingsOptions } from './meetings.service.ts';
import { createMeetingJobs } from './meetings.jobs.ts';
import { createBookingChangeJobs } from './booking-changes.jobs.ts';
import { createScheduler, type SchedulerOptions } from './meetings.scheduler.ts';
import { registerMeetingRoutes } from './meetings.routes.ts';
import { registerLabBridges } from './lab-bridges.ts';
import { meetingsAttention } from './attention.ts';
import type { AreaFactory } from '../platform/area.ts';

export type MeetingsAreaOptions = MeetingsOptions & SchedulerOptions & { scheduler?: boolean };

/** Meetings (M1–M15): CMS bridges, pools, bookings and running meetings. */
export function createMeetingsArea(options: MeetingsAreaOptions = {}): AreaFactory {
  return (services) => {
    const bridges = createBridges(services);
    const bookings = createBookings(services);
    const meetings = createMeetings(services, bridges, bookings, options);
    let scheduler: ReturnType<typeof createScheduler> | undefined;
    const jobs = createMeetingJobs({ bridges, meetings, onNodesDown: async (ids) => scheduler?.failoverFrom(ids) });
    scheduler = createScheduler(services, jobs, { ...options, extendSeries: () => bookings.extendOpenSeries() });
    return {
      name: 'meetings',
      migrations: path.join(import.meta.dirname, 'db', 'migrations'),
      jobs: [...Object.values(jobs), ...Object.values(createBookingChangeJobs(services))],
      routes: (app) => registerMeetingRoutes(app, services, { bridges, bookings, meetings, jobs }),
      ...meetingsAttention(services),
      async start() {
        if (services.config.labEnabled) await registerLabBridges(services, bridges, jobs).catch((error) => services.logger.error({ err: error }, 'registering the lab CMS clusters failed'));
        if (options.scheduler !== false && services.config.role !== 'web') scheduler!.start();
      },
      async stop() {
        await scheduler!.stop();
        await bridges.close();
      },
    };
  };
}

export const meetingsArea: AreaFactory = createMeetingsArea();
