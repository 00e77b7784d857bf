import path from 'node:path';
import { createLicensing, type LicensingOptions } from './licensing.service.ts';
import { registerLicensingRoutes } from './licensing.routes.ts';
import { licensingAttention, registerLicensingAttentionRoutes } from './attention.ts';
import { startLicensingLab, stopLicensingLab, licensingOf } from './licensing.lab.ts';
import type { AreaFactory } from '../platform/area.ts';

/** L1–L8: smart accounts, virtual accounts and UC cluster assignment jobs against CSSM. */
export function createLicensingArea(options: LicensingOptions = {}): AreaFactory {
  return (services) => {
    const licensing = createLicensing(services, options);
    licensingOf.set(services, licensing);
    return {
      name: 'licensing',
      migrations: path.join(import.meta.dirname, 'db', 'migrations'),
      jobs: [licensing.jobs.sync, licensing.jobs.syncDue, licensing.jobs.clusterOperation],
      routes: (app) => {
        registerLicensingRoutes(app, licensing);
        registerLicensingAttentionRoutes(app, services);
      },
      ...licensingAttention(services),
      async start() {
        // The Lab: a CSSM with the seed's 1,285 virtual accounts and a CUCM and a Unity Connection cluster.
        if (services.config.labEnabled) await startLicensingLab(services);
      },
      async stop() {
        await stopLicensingLab(services);
      },
    };
  };
}

export const licensingArea: AreaFactory = createLicensingArea();
