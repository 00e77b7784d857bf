import path from 'node:path';
import { createPartner } from './partner.service.ts';
import { registerPartnerRoutes } from './partner.routes.ts';
import { registerSubscriberRoutes } from './subscribers.routes.ts';
import type { AreaFactory } from '../platform/area.ts';

/** P1–P15, P17: Webex-for-BroadWorks provisioning, its Webex-compatible /v1 API and its console API. */
export const partnerArea: AreaFactory = (services) => {
  const partner = createPartner(services);
  return {
    name: 'partner',
    migrations: path.join(import.meta.dirname, 'db', 'migrations'),
    jobs: Object.values(partner.jobs),
    routes: async (app) => {
      await registerSubscriberRoutes(app, partner);
      registerPartnerRoutes(app, services, partner);
    },
  };
};
