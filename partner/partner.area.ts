import path from 'node:path';
import { registerActivationRoutes } from './activation.routes.ts';
import { provisioningBridgeErrorDialect, registerFlowThroughRoutes } from './flow-through.routes.ts';
import { registerPartnerLabRoutes, startPartnerLab, getPartnerLab, serverUrl } from './partner.lab.ts';
import { createPartner } from './partner.service.ts';
import { registerPartnerRoutes } from './partner.routes.ts';
import { registerSubscriberRoutes } from './subscribers.routes.ts';
import { createBilling } from './billing/billing.service.ts';
import { registerBillingRoutes } from './billing/billing.routes.ts';
import { createOrganizations } from './organizations.service.ts';
import { registerEnterpriseRoutes } from './enterprises.routes.ts';
import { registerPeopleRoutes } from './people.routes.ts';
import { webexErrorDialect } from './webex-errors.ts';
import { partnerAttention } from './attention.ts';
import { registerCustomerRoutes } from './customers.routes.ts';
import { createOrgSettings } from './org-settings.service.ts';
import { registerOrgSettingsRoutes } from './org-settings.routes.ts';
import { createUserMigration } from './user-migration.service.ts';
import { consentTokens, registerUserMigrationRoutes } from './user-migration.routes.ts';
import type { AreaFactory } from '../platform/area.ts';
import type { HttpApp } from '../platform/http/app-types.ts';

/** P1–P17: Webex-for-BroadWorks provisioning, billing reports (P16), its Webex-compatible /v1 API and its console API. */
export const partnerArea: AreaFactory = (services) => {
  const partner = createPartner(services);
  const billing = createBilling(services);
  const orgs = createOrganizations(services);
  // P13/P14 org settings, P6 consent moves and P3 Provision Admin First hook into provisioning.
  const orgSettings = createOrgSettings(services, partner);
  const userMigration = createUserMigration(services, partner, {
    mailer: () => channels.mailer(),
    consentLink: (subscriberId, email, expiresAt) => `${channels.baseUrl()}/move-account/${consentTokens(services).make(subscriberId, email, expiresAt)}`,
  });
  let http: HttpApp | null = null;
  const channels = {
    // The platform's outgoing mail: the relay (SWITCHBOARD_SMTP_URL), or the Lab's catcher when the Lab runs.
    mailer: () => services.mail.mailer(),
    sms: () => getPartnerLab(services)?.sms ?? null,
    baseUrl: () => serverUrl(http!, services),
  };
  return {
    name: 'partner',
    migrations: path.join(import.meta.dirname, 'db', 'migrations'),
    jobs: [...Object.values(partner.jobs), ...Object.values(userMigration.jobs), ...Object.values(orgs.jobs), ...Object.values(billing.jobs)],
    errorDialects: [webexErrorDialect, provisioningBridgeErrorDialect],
    ...partnerAttention(services),
    routes: async (app) => {
      http = app;
      await registerSubscriberRoutes(app, partner);
      await registerBillingRoutes(app, billing);
      await registerEnterpriseRoutes(app, orgs);
      await registerPeopleRoutes(app, orgs);
      registerCustomerRoutes(app, services, orgs);
      await registerFlowThroughRoutes(app, services, partner);
      registerPartnerRoutes(app, services, partner);
      registerOrgSettingsRoutes(app, orgSettings);
      await registerUserMigrationRoutes(app, services, userMigration);
      await registerActivationRoutes(app, services, partner, channels);
      registerPartnerLabRoutes(app, services);
    },
    async start() {
      if (services.config.labEnabled && services.config.role !== 'worker') {
        await startPartnerLab(services, partner, () => serverUrl(http!, services));
        await userMigration.seedLabIdentities();
      }
    },
    async stop() {
      const lab = getPartnerLab(services);
      await lab?.broadworks.stop();
      await lab?.mail.stop();
    },
  };
};
