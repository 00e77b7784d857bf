import type { JobDefinition } from './jobs/define-job.ts';
import type { HttpApp } from './http/app-types.ts';
import type { ErrorDialect } from './http/error-handler.ts';
import type { Actor } from './auth/actor.ts';
import type { AttentionItem, FirstStep } from './attention/attention.ts';
import type { PlatformServices } from './services.ts';

/**
 * An area (meetings, partner, licensing, lab) plugs into the platform through this shape: its
 * routes, its job definitions, and what it starts and stops with the server.
 */
export type Area = {
  name: string;
  /** The area's migrations folder (`<area>/db/migrations`, made by drizzle-kit from its schema). */
  migrations?: string;
  jobs?: JobDefinition[];
  routes?: (app: HttpApp) => void | Promise<void>;
  /** The error body of the area's routes under a prefix that speaks another product's API (partner's /v1). */
  errorDialects?: ErrorDialect[];
  /**
   * What needs attention now in this area (the console home page, GET /api/v1/attention): counts
   * with the console page where each is handled. Only what the actor's role may read in the area.
   */
  attention?: (actor: Actor) => Promise<AttentionItem[]>;
  /** First steps of an empty install in this area (add a bridge…), each marked done once it is. */
  firstSteps?: (actor: Actor) => Promise<FirstStep[]>;
  /** Runs after migrations and job queues are up (e.g. the Lab starts its simulators). */
  start?: () => Promise<void>;
  stop?: () => Promise<void>;
};

/** Builds an area. It must not touch the database: its migrations run after all factories. */
export type AreaFactory = (services: PlatformServices) => Area | Promise<Area>;
