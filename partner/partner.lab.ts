import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { setDirectorySource } from './organizations.service.ts';
import { createBroadworksSimulator, type BroadworksSimulator } from '../lab/broadworks/broadworks.simulator.ts';
import { createMailCatcher, createSmsSink, type CaughtMail, type MailCatcher, type SmsSink } from '../lab/mail/mail-catcher.ts';
import { getLabState, portOr0, startRemembered } from '../lab/lab.state.ts';
import type { BwUser, ImpSettings, PsLogEntry } from '../lab/broadworks/broadworks.simulator.ts';
import { createSmtpMailer, type Mailer } from '../platform/mail/mailer.ts';
import { systemActor } from '../platform/auth/actor.ts';
import { AppError } from '../platform/errors.ts';
import { bridgePath } from './flow-through.routes.ts';
import { insertWebexOrg, listWebexOrgs } from './partner.repository.ts';
import type { HttpApp } from '../platform/http/app-types.ts';
import type { PlatformServices } from '../platform/services.ts';
import type { Partner } from './partner.service.ts';

// The partner side of the Lab (S2): a BroadWorks AS simulator wired to a demo cluster and template,
// with a few enterprises whose Integrated IM&P points at the template's Provisioning Bridge.

export type PartnerLab = { broadworks: BroadworksSimulator; mail: MailCatcher; mailer: Mailer; sms: SmsSink; templateId: string; provisioningId: string; serviceProviderId: string };

const labs = new WeakMap<PlatformServices, PartnerLab>();
export const getPartnerLab = (services: PlatformServices) => labs.get(services);

export const demoEnterprises = [
  { groupId: 'acme', name: 'Acme Corporation', users: ['alice', 'bob', 'carol'] },
  { groupId: 'globex', name: 'Globex', users: ['dave', 'erin'] },
  { groupId: 'initech', name: 'Initech', users: ['frank', 'grace'] },
];

/** What the Lab's AS, mail catcher and SMS sink keep across a restart (lab/README.md). */
type PartnerLabState = {
  broadworks: { port: number; serviceProviders: Array<{ id: string; name: string; imp: ImpSettings | null; groups: Array<{ id: string; name: string }> }>; users: BwUser[]; psLog: PsLogEntry[] };
  mail: { port: number; messages: CaughtMail[] };
  sms: SmsSink['messages'];
};

export async function startPartnerLab(services: PlatformServices, partner: Partner, switchboardUrl: () => string): Promise<PartnerLab> {
  const actor = systemActor('lab');
  const state = getLabState(services);
  const saved = state?.load<PartnerLabState>('partner');
  const broadworks = await startRemembered(
    async (fresh) => {
      const sim = createBroadworksSimulator({ clock: services.clock, port: fresh ? 0 : await portOr0(saved?.broadworks.port), resolveUrl: (url) => (url.startsWith('/') ? switchboardUrl() + url : url) });
      for (const sp of saved?.broadworks.serviceProviders ?? []) {
        sim.addServiceProvider(sp);
        for (const group of sp.groups) sim.addGroup(sp.id, group.id, group.name);
      }
      // Users as they were, Integrated IM&P on or off (no flow-through is sent for them again).
      for (const user of saved?.broadworks.users ?? []) sim.users.set(user.userId, user);
      sim.psLog.push(...(saved?.broadworks.psLog ?? []));
      return sim;
    },
    (sim) => sim.start(),
    services.logger,
    'broadworks',
  );
  const base = broadworks.baseUrl;
  const clusterFields = {
    xsiActionsUrl: `${base}/com.broadsoft.xsi-actions/v2.0/`,
    xsiEventsUrl: `${base}/com.broadsoft.xsi-events/v2.0/`,
    authServiceUrl: `${base}/authService`,
  };
  // The simulator keeps its port across restarts unless it was taken: the demo cluster follows it.
  const clusters = await partner.clusters.list();
  const existing = clusters.find((c) => c.name === 'Lab BroadWorks');
  const cluster = existing ? await partner.clusters.update(existing.id, clusterFields, actor).catch(() => existing) : await partner.clusters.create({ name: 'Lab BroadWorks', ...clusterFields }, actor);
  // The AS holds the provisioning password in clear; a fresh one per start keeps it out of the database.
  const password = crypto.randomBytes(12).toString('base64url');
  const templates = await partner.templates.list();
  const found = templates.find((t) => t.name === 'Lab template');
  const template = found
    ? await partner.templates.update(found.id, { provisioningPassword: password }, actor)
    : await partner.templates.create({ name: 'Lab template', clusterId: cluster.id, provisioningAccount: 'lab-provisioning', provisioningPassword: password, partnerAdminEmail: 'partner.admin@lab.example', defaultPackage: 'standard' }, actor);

  const serviceProviderId = 'LabSP';
  const imp = { provisioningUrl: bridgePath(template.provisioningId), provisioningUserId: template.provisioningAccount, provisioningPassword: password };
  if (broadworks.serviceProviders.has(serviceProviderId)) broadworks.setImpSettings(serviceProviderId, imp);
  else broadworks.addServiceProvider({ id: serviceProviderId, name: 'Lab Service Provider', imp });
  let n = 1000;
  for (const enterprise of saved ? [] : demoEnterprises) {
    broadworks.addGroup(serviceProviderId, enterprise.groupId, enterprise.name);
    for (const name of enterprise.users) {
      n += 1;
      broadworks.addUser({
        userId: `${name}@${enterprise.groupId}.lab`,
        serviceProviderId,
        groupId: enterprise.groupId,
        firstName: name[0]!.toUpperCase() + name.slice(1),
        lastName: enterprise.name.split(' ')[0]!,
        email: `${name}@${enterprise.groupId}.lab.example`,
        phoneNumber: `+1-555-0${n}`,
        extension: String(n),
        password: `${name}-bw-password`,
      });
    }
  }
  // The directory of Webex organisations that existed before (P6/P7): one small, one needing approval.
  const knownOrgs = await listWebexOrgs(services.database.db);
  const seedOrgs = [
    { name: 'Lab Small Existing Co', userCount: 12, userEmails: ['owner@smallco.lab.example'], adminEmails: ['owner@smallco.lab.example'], licences: 'none' },
    { name: 'Lab Big Existing Inc', userCount: 240, userEmails: ['cio@bigco.lab.example'], adminEmails: ['cio@bigco.lab.example', 'it1@bigco.lab.example', 'it2@bigco.lab.example'], verifiedDomains: ['bigco.lab.example'], licences: 'active' },
  ];
  for (const org of seedOrgs) {
    if (!knownOrgs.some((e) => e.name === org.name)) await insertWebexOrg(services.database.db, { id: crypto.randomUUID(), ...org, createdAt: services.clock.now() });
  }
  const mail = await startRemembered(
    async (fresh) => {
      const catcher = createMailCatcher({ clock: services.clock, port: fresh ? 0 : await portOr0(saved?.mail.port) });
      catcher.restore(saved?.mail.messages ?? []);
      return catcher;
    },
    (catcher) => catcher.start(),
    services.logger,
    'mail',
  );
  const smtp = { host: '127.0.0.1', port: mail.port };
  const mailer = createSmtpMailer({ host: smtp.host, port: smtp.port, from: 'no-reply@switchboard.lab' });
  const sms = createSmsSink(services.clock);
  sms.restore(saved?.sms ?? []);
  state?.track('partner', (): PartnerLabState => ({
    broadworks: {
      port: Number(new URL(broadworks.baseUrl).port),
      // The provisioning password is made new on every start: not kept.
      serviceProviders: [...broadworks.serviceProviders.values()].map((sp) => ({ id: sp.id, name: sp.name, imp: sp.imp && { ...sp.imp, provisioningPassword: '' }, groups: [...sp.groups.values()] })),
      users: [...broadworks.users.values()],
      psLog: broadworks.psLog,
    },
    mail: { port: mail.port, messages: mail.messages },
    sms: sms.messages,
  }));
  const lab = { broadworks, mail, mailer, sms, templateId: template.id, provisioningId: template.provisioningId, serviceProviderId };
  labs.set(services, lab);
  // The catcher is the platform's mail transport while the Lab runs: every area's mail lands in it.
  services.mail.useTransport(mailer);
  // Directory sync reads the Lab AS: its users without Integrated IM&P are the BroadWorks-only ones.
  setDirectorySource(services, async ({ spEnterpriseId }) =>
    [...broadworks.users.values()]
      .filter((u) => `${u.serviceProviderId}+${u.groupId}` === spEnterpriseId && !u.integratedImp)
      .map((u) => ({ userId: u.userId, kind: 'user' as const, firstName: u.firstName, lastName: u.lastName, extension: u.extension, number: u.phoneNumber, mobile: u.mobilePhoneNumber })),
  );
  services.logger.info({ broadworks: base, template: template.name }, 'lab BroadWorks AS started');
  return lab;
}

/** The Lab's BroadWorks AS, browsable and drivable from the console and the API. */
export function registerPartnerLabRoutes(app: HttpApp, services: PlatformServices) {
  const lab = () => {
    const found = getPartnerLab(services);
    if (!found) throw new AppError('INVALID_STATE', 'The Lab is not running (start Switchboard with the Lab enabled).');
    return found;
  };
  app.route({
    method: 'GET',
    url: '/api/v1/partner/lab/broadworks',
    config: { access: 'lab.read' },
    schema: { tags: ['Lab'], summary: 'The simulated BroadWorks AS: service providers, groups, users (IM&P on/off) and its PSLog of flow-through requests', response: { 200: z.object({ baseUrl: z.string(), state: z.unknown() }) } },
    handler: async () => {
      const { broadworks } = lab();
      const state = await (await fetch(`${broadworks.baseUrl}/lab/state`)).json();
      return { baseUrl: broadworks.baseUrl, state };
    },
  });
  app.route({
    method: 'GET',
    url: '/api/v1/partner/lab/webex-orgs',
    config: { access: 'lab.read' },
    schema: {
      tags: ['Lab'],
      summary: 'The directory of pre-existing Webex organisations (users, admins, verified/claimed domains, licences, approvals) for P6–P7',
      response: { 200: z.object({ items: z.array(z.object({ id: z.string(), name: z.string(), userCount: z.number(), userEmails: z.array(z.string()), adminEmails: z.array(z.string()), verifiedDomains: z.array(z.string()), claimedDomains: z.array(z.string()), licences: z.string(), approvedPartnerAdmins: z.array(z.string()) })) }) },
    },
    handler: async () => ({ items: await listWebexOrgs(services.database.db) }),
  });
  app.route({
    method: 'GET',
    url: '/api/v1/partner/lab/messages',
    config: { access: 'lab.read' },
    schema: {
      tags: ['Lab'],
      summary: 'What Switchboard sent: emails caught by the Lab mail catcher (over SMTP) and texts in the SMS sink',
      response: {
        200: z.object({
          smtpPort: z.number(),
          emails: z.array(z.object({ id: z.number(), at: z.string(), from: z.string(), to: z.array(z.string()), subject: z.string(), text: z.string() })),
          texts: z.array(z.object({ id: z.number(), at: z.string(), to: z.string(), text: z.string() })),
        }),
      },
    },
    handler: async () => {
      const { mail, sms } = lab();
      return { smtpPort: mail.port, emails: mail.messages.map(({ raw: _raw, ...m }) => m), texts: sms.messages };
    },
  });
  app.route({
    method: 'PUT',
    url: '/api/v1/partner/lab/broadworks/users/:userId/integrated-imp',
    config: { access: 'lab.manage' },
    schema: {
      tags: ['Lab'],
      summary: 'Turn a simulated user’s Integrated IM&P on or off (the AS sends the flow-through request)',
      params: z.strictObject({ userId: z.string().min(1).max(255) }),
      body: z.strictObject({ isActive: z.boolean() }),
      response: { 200: z.object({ sent: z.boolean(), status: z.number().optional(), response: z.string().optional() }) },
    },
    handler: async (request) => {
      const { broadworks } = lab();
      if (!broadworks.users.has(request.params.userId)) throw new AppError('NOT_FOUND', `The Lab AS has no user ${request.params.userId}.`);
      const entry = await broadworks.setIntegratedImp(request.params.userId, request.body.isActive);
      return entry ? { sent: true, status: entry.status, response: entry.response } : { sent: false };
    },
  });
}

export function serverUrl(app: HttpApp, services: PlatformServices): string {
  const address = app.server.address() as AddressInfo | null;
  if (services.config.publicUrl) return services.config.publicUrl.replace(/\/$/, '');
  if (!address) throw new Error('Switchboard is not listening yet');
  const host = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}
