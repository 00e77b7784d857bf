import { z } from 'zod';
import { requireActor } from '../platform/auth/auth.plugin.ts';
import { packages } from './partner.service.ts';
import type { HttpApp } from '../platform/http/app-types.ts';
import type { OrgSettings } from './org-settings.service.ts';

// A customer org's Control Hub API (P13 settings, P14 restricted-by-partner mode): partner admins
// for any org, customer admins for their own; the partner's release schedule and restricted toggle.

const orgParams = z.strictObject({ id: z.string().uuid() });
const personParams = z.strictObject({ id: z.string().uuid(), personId: z.string().uuid() });

const release = z.object({ deferDays: z.number().int(), source: z.enum(['partner', 'org']), appRelease: z.string() });
const settings = z
  .object({
    customerOrgId: z.string(),
    companyName: z.string(),
    restrictedByPartner: z.boolean(),
    banner: z.string().nullable(),
    domain: z.string().nullable(),
    suppressAdminInviteEmails: z.boolean().nullable(),
    emailLanguage: z.string().nullable(),
    authenticationMode: z.string().nullable(),
    autoLicense: z.boolean().nullable(),
    directorySync: z.boolean().nullable(),
    appCallPriority: z.string().nullable(),
    callBehavior: z.string().nullable(),
    pstnConnection: z.string().nullable().describe('null: hidden from a customer admin of a restricted org'),
    migrationsService: z.boolean().nullable().describe('null: hidden from a customer admin of a restricted org'),
    connectedUc: z.boolean().nullable().describe('null: hidden from a customer admin of a restricted org'),
    webexAssistant: z.boolean().nullable(),
    videoCalls: z.boolean().nullable(),
    screenShareInCalls: z.boolean().nullable(),
    incomingCallMedia: z.string().nullable(),
    release,
  })
  .meta({ id: 'CustomerOrgSettings' });
const settingsPatch = z.strictObject({
  companyName: z.string().trim().min(1).max(200).optional(),
  domain: z.string().trim().min(3).max(253).regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, 'a domain name such as example.com').nullable().optional(),
  suppressAdminInviteEmails: z.boolean().optional(),
  emailLanguage: z.string().min(2).max(10).optional(),
  authenticationMode: z.enum(['broadworks', 'webex', 'sso']).optional(),
  autoLicense: z.boolean().optional(),
  directorySync: z.boolean().optional(),
  appCallPriority: z.enum(['broadworks', 'webex']).optional(),
  callBehavior: z.enum(['webex_app', 'jabber', 'third_party']).optional(),
  pstnConnection: z.enum(['none', 'local_gateway', 'cisco_pstn']).optional(),
  migrationsService: z.boolean().optional(),
  connectedUc: z.boolean().optional(),
  webexAssistant: z.boolean().optional().describe('Partner and customer admins'),
  videoCalls: z.boolean().optional().describe('Partner admins only'),
  screenShareInCalls: z.boolean().optional().describe('Partner admins only'),
  incomingCallMedia: z.enum(['video', 'audio']).optional().describe('Partner admins only'),
  releaseDeferDays: z.number().int().min(0).max(90).nullable().optional().describe('Partner admins only; null follows the partner schedule'),
});
const services = z.record(z.string(), z.boolean());
const user = z
  .object({
    id: z.string(),
    email: z.string(),
    firstName: z.string().nullable(),
    lastName: z.string().nullable(),
    displayName: z.string(),
    isAdmin: z.boolean(),
    package: z.string().nullable(),
    subscriberId: z.string().nullable(),
    subscriberStatus: z.string().nullable(),
    primaryWorkNumber: z.string().nullable(),
    services,
    freeCalling: z.boolean(),
    webexAssistant: z.boolean(),
  })
  .meta({ id: 'CustomerOrgUser' });

export function registerOrgSettingsRoutes(app: HttpApp, orgs: OrgSettings) {
  const base = '/api/v1/partner/customers/:id';
  app.route({
    method: 'GET',
    url: `${base}/access`,
    config: { access: 'customer.read' },
    schema: {
      tags: ['Partner'],
      summary: 'What the caller may do in this org: restricted-by-partner mode, its banner, each restricted control (P14)',
      params: orgParams,
      response: { 200: z.object({ customerOrgId: z.string(), restrictedByPartner: z.boolean(), banner: z.string().nullable(), controls: z.array(z.object({ id: z.string(), section: z.string(), label: z.string(), allowed: z.boolean(), hidden: z.boolean() })) }) },
    },
    handler: async (request) => orgs.access(requireActor(request), request.params.id),
  });
  app.route({
    method: 'GET',
    url: `${base}/settings`,
    config: { access: 'customer.read' },
    schema: { tags: ['Partner'], summary: 'Control Hub settings of a customer org, with its release schedule (P13)', params: orgParams, response: { 200: settings } },
    handler: async (request) => orgs.get(requireActor(request), request.params.id),
  });
  app.route({
    method: 'PATCH',
    url: `${base}/settings`,
    config: { access: 'customer.manage' },
    schema: { tags: ['Partner'], summary: 'Change Control Hub settings (restricted controls refused to customer admins of a restricted org; media tags and release schedule partner-only)', params: orgParams, body: settingsPatch, response: { 200: settings } },
    handler: async (request) => orgs.update(requireActor(request), request.params.id, request.body, request.id),
  });
  app.route({
    method: 'PUT',
    url: `${base}/restricted`,
    config: { access: 'partner.manage' },
    schema: { tags: ['Partner'], summary: 'Turn restricted-by-partner mode on or off for a customer org (P14)', params: orgParams, body: z.strictObject({ restricted: z.boolean() }), response: { 200: z.object({ id: z.string(), restricted: z.boolean(), displayName: z.string() }) } },
    handler: async (request) => orgs.setRestricted(requireActor(request), request.params.id, request.body.restricted, request.id),
  });

  app.route({
    method: 'GET',
    url: `${base}/users`,
    config: { access: 'customer.read' },
    schema: { tags: ['Partner'], summary: 'The users of a customer org as Control Hub shows them (package, services, free calling, Webex Assistant)', params: orgParams, response: { 200: z.object({ items: z.array(user) }) } },
    handler: async (request) => ({ items: await orgs.users.list(requireActor(request), request.params.id) }),
  });
  app.route({
    method: 'POST',
    url: `${base}/users`,
    config: { access: 'customer.manage' },
    schema: {
      tags: ['Partner'],
      summary: 'Add a user manually (restricted control "Manage users")',
      params: orgParams,
      body: z.strictObject({ email: z.string().email().max(320), firstName: z.string().max(100).optional(), lastName: z.string().max(100).optional(), package: z.enum(packages).optional() }),
      response: { 201: user },
    },
    handler: async (request, reply) => reply.status(201).send(await orgs.users.add(requireActor(request), request.params.id, request.body, request.id)),
  });
  app.route({
    method: 'POST',
    url: `${base}/users/import`,
    config: { access: 'customer.manage' },
    schema: {
      tags: ['Partner'],
      summary: 'Add users from CSV (header email,firstName,lastName[,package]; restricted control "Manage users")',
      params: orgParams,
      body: z.strictObject({ csv: z.string().min(1).max(1_000_000) }),
      response: { 200: z.object({ added: z.array(z.string()), errors: z.array(z.object({ line: z.number(), message: z.string() })) }) },
    },
    handler: async (request) => orgs.users.import(requireActor(request), request.params.id, request.body.csv, request.id),
  });
  app.route({
    method: 'POST',
    url: `${base}/users/claim`,
    config: { access: 'customer.manage' },
    schema: {
      tags: ['Partner'],
      summary: 'Claim consumer, free or trial Webex accounts in the org domain (restricted control "Claim users")',
      params: orgParams,
      body: z.strictObject({ emails: z.array(z.string().email().max(320)).min(1).max(1000) }),
      response: { 200: z.object({ claimed: z.array(z.string()), skipped: z.array(z.object({ email: z.string(), reason: z.string() })) }) },
    },
    handler: async (request) => orgs.users.claim(requireActor(request), request.params.id, request.body.emails, request.id),
  });
  app.route({
    method: 'PATCH',
    url: `${base}/users/:personId`,
    config: { access: 'customer.manage' },
    schema: {
      tags: ['Partner'],
      summary: 'Edit a user: details stay editable; package, services and primary work number are restricted controls',
      params: personParams,
      body: z.strictObject({
        firstName: z.string().max(100).optional(),
        lastName: z.string().max(100).optional(),
        displayName: z.string().max(200).optional(),
        email: z.string().email().max(320).optional(),
        package: z.enum(packages).optional(),
        services: z.strictObject({ messaging: z.boolean().optional(), meetings: z.boolean().optional(), calling: z.boolean().optional() }).optional(),
        primaryWorkNumber: z.string().max(40).nullable().optional(),
      }),
      response: { 200: user },
    },
    handler: async (request) => orgs.users.update(requireActor(request), request.params.id, request.params.personId, request.body as Parameters<OrgSettings['users']['update']>[3], request.id),
  });
  app.route({
    method: 'GET',
    url: `${base}/users/:personId/service-status`,
    config: { access: 'customer.read' },
    schema: {
      tags: ['Partner'],
      summary: 'Full service status of a user and the software upgrade channel (hidden from customer admins of a restricted org)',
      params: personParams,
      response: { 200: z.object({ personId: z.string(), services: z.array(z.object({ service: z.string(), state: z.string() })), broadworksCalling: z.object({ subscriberId: z.string(), status: z.string(), package: z.string() }).nullable(), upgradeChannel: release }) },
    },
    handler: async (request) => orgs.users.serviceStatus(requireActor(request), request.params.id, request.params.personId),
  });

  const schedule = z.object({ deferDays: z.number().int(), appRelease: z.string(), ciscoRelease: z.string(), orgOverrides: z.number().int() });
  app.route({
    method: 'GET',
    url: '/api/v1/partner/release-schedule',
    config: { access: 'partner.read' },
    schema: { tags: ['Partner'], summary: "The partner's release schedule: days Cisco's monthly Webex App release is deferred (P13)", response: { 200: schedule } },
    handler: async () => orgs.releaseSchedule.get(),
  });
  app.route({
    method: 'PUT',
    url: '/api/v1/partner/release-schedule',
    config: { access: 'partner.manage' },
    schema: {
      tags: ['Partner'],
      summary: 'Set the partner release schedule; cascade: every customer follows it (their own schedules are dropped)',
      body: z.strictObject({ deferDays: z.number().int().min(0).max(90), cascade: z.boolean().optional() }),
      response: { 200: schedule },
    },
    handler: async (request) => orgs.releaseSchedule.set(requireActor(request), request.body, request.id),
  });
}
