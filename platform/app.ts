import { createAuditLog } from './audit/audit.service.ts';
import { registerAuditRoutes } from './audit/audit.routes.ts';
import { registerAttentionRoutes } from './attention/attention.routes.ts';
import { createAuth } from './auth/auth.service.ts';
import { registerAuthRoutes } from './auth/auth.routes.ts';
import { systemClock, type Clock } from './clock.ts';
import { loadConfig, type Config } from './config.ts';
import { migrateDatabase, openDatabase } from './db/database.ts';
import { buildHttpServer } from './http/server.ts';
import { createJobs } from './jobs/jobs.service.ts';
import { registerJobRoutes } from './jobs/jobs.routes.ts';
import { createLogger, type Logger } from './logger.ts';
import { registerHealthRoutes } from './observability/health.routes.ts';
import { createMetrics } from './observability/metrics.ts';
import { createSecretBox, loadSecretKey } from './secrets/secret-box.ts';
import { createMailService } from './mail/mailer.ts';
import type { Area, AreaFactory } from './area.ts';
import type { HttpApp } from './http/app-types.ts';
import type { JobDefinition } from './jobs/define-job.ts';
import type { PlatformServices } from './services.ts';

export type SwitchboardOptions = {
  config?: Config;
  clock?: Clock;
  logger?: Logger;
  areas?: AreaFactory[];
  /** Extra job types (tests of the job engine register theirs here). */
  jobs?: JobDefinition[];
  /** Create the first admin on an empty embedded database (default: true when embedded). */
  createFirstAdmin?: boolean;
};

export type Switchboard = {
  services: PlatformServices;
  http: HttpApp;
  areas: Area[];
  /** Set when this start created the first admin: shown once, never stored in clear. */
  firstAdmin: { username: string; password: string } | null;
  /** Listens on config.host:config.port (0 = any free port); returns the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
};

/** The composition root: opens the database, migrates, starts jobs, builds the HTTP server. */
export async function createSwitchboard(options: SwitchboardOptions = {}): Promise<Switchboard> {
  const config = options.config ?? loadConfig();
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel);
  const secrets = createSecretBox(loadSecretKey(config));
  const database = await openDatabase(config, logger);
  let ready = false;
  // What has started, so a failing start stops it again (pg-boss timers or a listening simulator
  // would otherwise keep the process alive with its database closed).
  const started: Array<() => Promise<unknown>> = [];
  try {
    const metrics = createMetrics();
    const audit = createAuditLog({ db: database.db, clock });
    const auth = createAuth({ db: database.db, clock, config, audit });
    const jobs = createJobs({ database, config, clock, logger, audit });
    const services: PlatformServices = { config, clock, logger, database, audit, auth, jobs, metrics, secrets, mail: createMailService(config) };

    const areas: Area[] = [];
    for (const factory of options.areas ?? []) areas.push(await factory(services));
    await migrateDatabase(database, areas.flatMap((area) => (area.migrations ? [{ name: area.name, folder: area.migrations }] : [])));
    jobs.register([...(options.jobs ?? []), ...areas.flatMap((area) => area.jobs ?? [])]);

    const http = await buildHttpServer(services, [
      (app) => registerHealthRoutes(app, services, () => ready),
      (app) => registerAuthRoutes(app, services),
      (app) => registerJobRoutes(app, services),
      (app) => registerAuditRoutes(app, services),
      (app) => registerAttentionRoutes(app, services, areas.map((area) => ({ area: area.name, attention: area.attention, firstSteps: area.firstSteps }))),
      ...areas.flatMap((area) => (area.routes ? [area.routes] : [])),
    ], areas.flatMap((area) => area.errorDialects ?? []));

    started.push(() => http.close());
    started.push(() => jobs.stop());
    // Queues first (areas may send jobs as they start), workers after the areas: a job resumed
    // after a restart must see what the areas load at start (e.g. the Lab's new addresses).
    await jobs.start({ work: false });
    for (const area of areas) {
      await area.start?.();
      if (area.stop) started.push(() => area.stop!());
    }
    if (config.role !== 'web') await jobs.work();
    // Last, so that a start failing above leaves no admin whose one-time password nobody saw.
    const firstAdmin = (options.createFirstAdmin ?? config.embedded) ? await auth.ensureFirstAdmin() : null;
    ready = true;

    let closed = false;
    return {
      services,
      http,
      areas,
      firstAdmin,
      async listen() {
        await http.listen({ host: config.host, port: config.port });
        const address = http.server.address();
        const port = typeof address === 'object' && address ? address.port : config.port;
        const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
        return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
      },
      async close() {
        if (closed) return;
        closed = true;
        ready = false;
        await http.close();
        for (const area of [...areas].reverse()) await area.stop?.().catch((error) => logger.error({ err: error, area: area.name }, 'area stop failed'));
        await jobs.stop();
        await database.close();
      },
    };
  } catch (error) {
    for (const stop of started.reverse()) await stop().catch((stopError) => logger.error({ err: stopError }, 'stopping after a failed start failed'));
    await database.close().catch(() => undefined);
    throw error;
  }
}
