import type { JobDefinition } from './jobs/define-job.ts';
import type { HttpApp } from './http/app-types.ts';
import type { PlatformServices } from './services.ts';

/**
 * An area (meetings, partner, licensing, lab) plugs into the platform through this shape: its
 * routes, its job definitions, and what it starts and stops with the server.
 */
export type Area = {
  name: string;
  jobs?: JobDefinition[];
  routes?: (app: HttpApp) => void | Promise<void>;
  /** Runs after migrations and job queues are up (e.g. the Lab starts its simulators). */
  start?: () => Promise<void>;
  stop?: () => Promise<void>;
};

export type AreaFactory = (services: PlatformServices) => Area | Promise<Area>;
