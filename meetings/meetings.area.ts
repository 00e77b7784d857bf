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
import { createEndpoints } from './endpoints.service.ts';
import { createObtp } from './obtp.service.ts';
import { createEndpointJobs } from './endpoints.jobs.ts';
import { createEndpointScheduler, type EndpointSchedulerOptions } from './endpoints.scheduler.ts';
import { registerEndpointRoutes } from './endpoints.routes.ts';
import { registerLabEndpoints } from './lab-endpoints.ts';
import { createTmsba, type BookingMailer } from './tmsba/tmsba.service.ts';
import { registerTmsbaRoutes, tmsbaErrorDialect } from './tmsba/tmsba.routes.ts';
import { createTmsImport } from './tms-import.service.ts';
import { createTmsImportJobs } from './tms-import.jobs.ts';
import { registerTmsImportRoutes } from './tms-import.routes.ts';
import type { AreaFactory } from '../platform/area.ts';

export type MeetingsAreaOptions = MeetingsOptions & SchedulerOptions & EndpointSchedulerOptions & {
  scheduler?: boolean;
  /** Where TMSBA confirmation mails go; default: the Lab's mail catcher when it runs, else SWITCHBOARD_SMTP_URL. */
  mailer?: () => BookingMailer | null;
};

/** Meetings (M1–M15): CMS bridges, pools, bookings and running meetings. */
export function createMeetingsArea(options: MeetingsAreaOptions = {}): AreaFactory {
  return (services) => {
    const bridges = createBridges(services);
    const bookings = createBookings(services);
    const meetings = createMeetings(services, bridges, bookings, options);
    let scheduler: ReturnType<typeof createScheduler> | undefined;
    const jobs = createMeetingJobs({ bridges, meetings, onNodesDown: async (ids) => scheduler?.failoverFrom(ids) });
    scheduler = createScheduler(services, jobs, { ...options, extendSeries: () => bookings.extendOpenSeries() });
    // #17: room endpoints and One Button to Push.
    let endpointScheduler: ReturnType<typeof createEndpointScheduler> | undefined;
    const endpoints = createEndpoints(services, bookings, { onRoomsChanged: () => endpointScheduler?.kick() });
    const obtp = createObtp(services, endpoints, { onEnabled: () => endpointScheduler?.kick() });
    const endpointJobs = createEndpointJobs({ endpoints, obtp });
    endpointScheduler = createEndpointScheduler(services, endpointJobs, obtp, options);
    // The platform's one outgoing mail (platform/mail): the relay, or the Lab's catcher when the Lab runs.
    const tmsba = createTmsba(services, { bookings, meetings, mailer: options.mailer ?? (() => services.mail.mailer()) });
    const tmsImport = createTmsImport(services, { bookings });
    const tmsImportJobs = createTmsImportJobs(services, tmsImport);
    return {
      name: 'meetings',
      migrations: path.join(import.meta.dirname, 'db', 'migrations'),
      jobs: [...Object.values(jobs), ...Object.values(createBookingChangeJobs(services)), ...Object.values(endpointJobs), ...Object.values(tmsImportJobs)],
      routes: async (app) => {
        await registerMeetingRoutes(app, services, { bridges, bookings, meetings, jobs });
        await registerEndpointRoutes(app, services, { endpoints, obtp, jobs: endpointJobs });
        await registerTmsbaRoutes(app, services, tmsba);
        registerTmsImportRoutes(app, services, { tmsImport, jobs: tmsImportJobs });
      },
      errorDialects: [tmsbaErrorDialect],
      ...meetingsAttention(services),
      async start() {
        if (services.config.labEnabled) await registerLabBridges(services, bridges, jobs).catch((error) => services.logger.error({ err: error }, 'registering the lab CMS clusters failed'));
        if (services.config.labEnabled) await registerLabEndpoints(services, endpoints).catch((error) => services.logger.error({ err: error }, 'registering the lab codecs failed'));
        if (options.scheduler !== false && services.config.role !== 'web') {
          scheduler!.start();
          endpointScheduler!.start();
        }
      },
      async stop() {
        await scheduler!.stop();
        await endpointScheduler!.stop();
        await bridges.close();
        await endpoints.close();
      },
    };
  };
}

export const meetingsArea: AreaFactory = createMeetingsArea();
