import { z } from 'zod';
import { requireActor } from '../platform/auth/auth.plugin.ts';
import { pageOf, pageQuery } from '../platform/http/paging.ts';
import { hostInput, httpUrlInput } from '../platform/http/inputs.ts';
import { normalizeFingerprint } from '../platform/http/external-client.ts';
import { clusterTypes, licenseModes, type Licensing } from './licensing.service.ts';
import type { HttpApp } from '../platform/http/app-types.ts';

const tags = ['Licensing'];
const idParams = z.strictObject({ id: z.string().uuid() });
// Hosts and URLs are parsed here: a proxy host "a b" used to be stored, then break the dashboard and the sync (#13).
const url = httpUrlInput();
const host = hostInput();
const port = z.number().int().min(1).max(65535);
const bool = z.enum(['true', 'false']).transform((v) => v === 'true');

const transportInput = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('direct') }),
  z.strictObject({ mode: z.literal('proxy'), host, port, username: z.string().min(1).max(200).optional(), password: z.string().min(1).max(500).optional() }),
  z.strictObject({ mode: z.literal('satellite'), host, port, registrationUrl: url.optional(), tokenUrl: url.optional() }),
]);

const smartAccountBody = z.strictObject({
  domain: z.string().min(3).max(255).describe('Smart Account domain name, e.g. example.com'),
  clientId: z.string().min(1).max(500),
  clientSecret: z.string().min(1).max(500).describe('Stored encrypted; never returned'),
  name: z.string().min(1).max(255).optional(),
  transport: transportInput.optional(),
  authGatewayUrl: url.optional().describe('OAuth2 token URL (default https://cloudsso.cisco.com/as/token.oauth2)'),
  cssmServerUrl: url.optional().describe('Smart Accounts & Licensing API base (default https://swapi.cisco.com/services/api/smart-accounts-and-licensing)'),
  deviceRegistrationUrl: url.optional().describe('Where clusters register in Direct mode (default Cisco Call Home)'),
  syncIntervalHours: z.number().int().min(1).max(24 * 7).optional(),
});

const smartAccount = z
  .object({
    id: z.string(),
    domain: z.string(),
    name: z.string().nullable(),
    clientId: z.string(),
    hasClientSecret: z.boolean(),
    transport: z.object({
      mode: z.enum(['direct', 'proxy', 'satellite']),
      proxyHost: z.string().nullable(),
      proxyPort: z.number().nullable(),
      proxyUsername: z.string().nullable(),
      hasProxyPassword: z.boolean(),
      satelliteHost: z.string().nullable(),
      satellitePort: z.number().nullable(),
      satelliteRegistrationUrl: z.string().nullable(),
      satelliteTokenUrl: z.string().nullable(),
    }),
    authGatewayUrl: z.string(),
    cssmServerUrl: z.string(),
    deviceRegistrationUrl: z.string(),
    syncIntervalHours: z.number(),
    status: z.string(),
    virtualAccountCount: z.number(),
    satelliteVirtualAccountCount: z.number(),
    lastSyncAt: z.date().nullable(),
    lastSyncJobId: z.string().nullable(),
    alerts: z.array(z.object({ severity: z.string(), message: z.string(), at: z.string(), acknowledgedAt: z.string().optional(), clusterId: z.string().optional().describe('Set on a publisher certificate alert: the cluster whose certificate to accept') })),
    createdAt: z.date(),
    updatedAt: z.date(),
  })
  .meta({ id: 'LicensingSmartAccount' });

const virtualAccount = z
  .object({
    id: z.string(),
    smartAccountId: z.string(),
    name: z.string(),
    description: z.string(),
    isDefault: z.boolean(),
    accessLevel: z.enum(['PUBLIC', 'PRIVATE']),
    licenseMode: z.enum(licenseModes).nullable(),
    removedFromCssm: z.boolean(),
    syncedAt: z.date(),
    smartAccountName: z.string().nullable(),
    domain: z.string(),
    clusterCount: z.number(),
  })
  .meta({ id: 'LicensingVirtualAccount' });

const fingerprint = z.string().trim().max(200).refine((v) => normalizeFingerprint(v) !== null, 'a SHA-256 fingerprint: 64 hexadecimal digits, colons or spaces between pairs allowed');
const certificate = z.object({
  subject: z.string(), issuer: z.string(), validFrom: z.string(), validTo: z.string(), fingerprint: z.string().describe('SHA-256, upper-case hex pairs joined by colons'),
  trusted: z.boolean().describe('A trusted CA (system CAs plus SWITCHBOARD_TLS_CA_FILE) vouches for it'), trustError: z.string().nullable(),
}).meta({ id: 'LicensingPublisherCertificate' });

const clusterBody = z.strictObject({
  name: z.string().min(1).max(200),
  type: z.enum(clusterTypes).describe('CUCM (Unified CM) or CUC (Unity Connection)'),
  version: z.string().min(1).max(50),
  publisherUrl: url.nullable().optional().describe('https://publisher:8443'),
  adminUsername: z.string().min(1).max(200).nullable().optional(),
  adminPassword: z.string().min(1).max(500).nullable().optional(),
  platformUsername: z.string().min(1).max(200).nullable().optional(),
  platformPassword: z.string().min(1).max(500).nullable().optional(),
  trustFingerprint: fingerprint.optional().describe('SHA-256 fingerprint of the publisher\'s certificate you confirmed (from the CERTIFICATE_NOT_TRUSTED answer): pinned'),
});

const cluster = z
  .object({
    id: z.string(),
    name: z.string(),
    type: z.enum(clusterTypes),
    version: z.string(),
    publisherUrl: z.string().nullable(),
    adminUsername: z.string().nullable(),
    hasAdminPassword: z.boolean(),
    platformUsername: z.string().nullable(),
    hasPlatformPassword: z.boolean(),
    virtualAccountId: z.string().nullable(),
    virtualAccountName: z.string().nullable(),
    smartAccountId: z.string().nullable(),
    smartAccountName: z.string().nullable(),
    status: z.string(),
    jobStatus: z.string().nullable(),
    productUdi: z.string().nullable(),
    lastOperationId: z.string().nullable(),
    lastCheck: z.record(z.string(), z.unknown()).nullable(),
    certificateTrust: z.enum(['ca', 'pinned']).nullable().describe('How the publisher\'s certificate is trusted; null: plain HTTP, or pinned on first contact'),
    certificateFingerprint: z.string().nullable(),
    certificate: certificate.nullable(),
    presentedCertificate: certificate.nullable().describe('Another certificate the publisher presents now: jobs fail until it is accepted'),
    createdAt: z.date(),
    updatedAt: z.date(),
  })
  .meta({ id: 'LicensingCluster' });

const operation = z
  .object({
    id: z.string(),
    jobType: z.string(),
    operation: z.enum(['assign', 'unassign', 'reassign', 'sync']),
    entityType: z.string(),
    entityName: z.string(),
    clusterId: z.string().nullable(),
    smartAccountId: z.string().nullable(),
    virtualAccountId: z.string().nullable(),
    targetVirtualAccountId: z.string().nullable(),
    description: z.string(),
    status: z.enum(['IN_PROGRESS', 'SUCCEEDED', 'FAILED']),
    progressInfo: z.record(z.string(), z.string()),
    statusInformation: z.string(),
    errorCode: z.string().nullable(),
    errorDescription: z.string().nullable(),
    recommendedAction: z.string().nullable(),
    isRestartable: z.boolean(),
    isCancelable: z.boolean(),
    createdBy: z.string().nullable(),
    startedAt: z.date(),
    finishedAt: z.date().nullable(),
  })
  .meta({ id: 'LicensingJob' });

const operationStarted = z.object({ jobId: z.string(), operation: z.string(), description: z.string(), warning: z.string().nullable() });

export function registerLicensingRoutes(app: HttpApp, licensing: Licensing) {
  const base = '/api/v1/licensing';

  // ── L1 smart accounts ──
  app.route({
    method: 'POST',
    url: `${base}/smart-accounts`,
    config: { access: 'licensing.manage' },
    schema: { tags, summary: 'Configure smart account access (starts the first sync)', body: smartAccountBody, response: { 201: z.object({ smartAccount, syncJobId: z.string() }) } },
    handler: async (request, reply) => reply.status(201).send(await licensing.configureSmartAccount(request.body, requireActor(request))),
  });
  app.route({
    method: 'GET',
    url: `${base}/smart-accounts`,
    config: { access: 'licensing.read' },
    schema: { tags, summary: 'Smart Account Summary', querystring: z.strictObject({ ...pageQuery, q: z.string().max(255).optional() }), response: { 200: pageOf(smartAccount) } },
    handler: async (request) => {
      const { offset, limit, ...filter } = request.query;
      return { ...(await licensing.listSmartAccounts(filter, { offset, limit })), offset, limit };
    },
  });
  app.route({
    method: 'GET',
    url: `${base}/smart-accounts/:id`,
    config: { access: 'licensing.read' },
    schema: { tags, summary: 'A smart account', params: idParams, response: { 200: smartAccount } },
    handler: async (request) => licensing.getSmartAccount(request.params.id),
  });
  app.route({
    method: 'PATCH',
    url: `${base}/smart-accounts/:id`,
    config: { access: 'licensing.manage' },
    schema: { tags, summary: 'Change credentials or transport settings', params: idParams, body: smartAccountBody.partial(), response: { 200: smartAccount } },
    handler: async (request) => licensing.updateSmartAccount(request.params.id, request.body, requireActor(request)),
  });
  app.route({
    method: 'DELETE',
    url: `${base}/smart-accounts/:id`,
    config: { access: 'licensing.manage' },
    schema: { tags, summary: 'Remove a smart account (no cluster may be assigned)', params: idParams, response: { 204: z.null() } },
    handler: async (request, reply) => {
      await licensing.deleteSmartAccount(request.params.id, requireActor(request));
      return reply.status(204).send(null);
    },
  });
  app.route({
    method: 'POST',
    url: `${base}/smart-accounts/:id/sync`,
    config: { access: 'licensing.manage' },
    schema: { tags, summary: 'Sync virtual accounts from CSSM now (a job)', params: idParams, response: { 202: z.object({ jobId: z.string() }) } },
    handler: async (request, reply) => reply.status(202).send(await licensing.syncSmartAccount(request.params.id, requireActor(request))),
  });

  // ── L3 virtual accounts ──
  app.route({
    method: 'GET',
    url: `${base}/virtual-accounts`,
    config: { access: 'licensing.read' },
    schema: {
      tags,
      summary: 'Virtual Account Summary',
      querystring: z.strictObject({
        ...pageQuery,
        smartAccountId: z.string().uuid().optional(),
        name: z.string().max(255).optional().describe('Substring of the name'),
        accessLevel: z.enum(['PUBLIC', 'PRIVATE']).optional(),
        licenseMode: z.enum([...licenseModes, 'none']).optional(),
        hasClusters: bool.optional(),
      }),
      response: { 200: pageOf(virtualAccount) },
    },
    handler: async (request) => {
      const { offset, limit, ...filter } = request.query;
      return { ...(await licensing.listVirtualAccounts(filter, { offset, limit })), offset, limit };
    },
  });
  app.route({
    method: 'GET',
    url: `${base}/virtual-accounts/:id`,
    config: { access: 'licensing.read' },
    schema: { tags, summary: 'Edit Virtual Account view: details and assigned clusters', params: idParams, response: { 200: virtualAccount.extend({ clusters: z.array(z.object({ id: z.string(), name: z.string(), type: z.string(), version: z.string(), status: z.string() })) }) } },
    handler: async (request) => licensing.getVirtualAccount(request.params.id),
  });
  app.route({
    method: 'PATCH',
    url: `${base}/virtual-accounts/:id`,
    config: { access: 'licensing.manage' },
    schema: { tags, summary: 'Set the license mode (locked while clusters are assigned)', params: idParams, body: z.strictObject({ licenseMode: z.enum(licenseModes).nullable() }), response: { 200: virtualAccount.omit({ smartAccountName: true, domain: true, clusterCount: true }) } },
    handler: async (request) => licensing.updateVirtualAccount(request.params.id, request.body, requireActor(request)),
  });
  app.route({
    method: 'POST',
    url: `${base}/virtual-accounts/:id/assign`,
    config: { access: 'licensing.manage' },
    schema: {
      tags,
      summary: 'Assign clusters to the virtual account (one job per cluster). The publisher restarts when its license mode changes.',
      params: idParams,
      body: z.strictObject({ clusterIds: z.array(z.string().uuid()).min(1).max(100) }),
      response: { 202: z.object({ jobs: z.array(operationStarted) }) },
    },
    handler: async (request, reply) => {
      const actor = requireActor(request);
      const jobs = [];
      for (const clusterId of request.body.clusterIds) jobs.push(await licensing.assign(request.params.id, clusterId, actor));
      return reply.status(202).send({ jobs });
    },
  });

  // ── L4 / L6 clusters ──
  app.route({
    method: 'POST',
    url: `${base}/clusters`,
    config: { access: 'licensing.manage', errors: ['CERTIFICATE_NOT_TRUSTED'] },
    schema: { tags, summary: 'Add a UC cluster to the inventory', description: 'An HTTPS publisher\'s certificate is read first (a TLS handshake, nothing sent). One no trusted CA vouches for is refused with 422 CERTIFICATE_NOT_TRUSTED, the certificate in `details.certificate`; add the cluster again with `trustFingerprint` and it is pinned. A publisher that does not answer is pinned on first contact.', body: clusterBody, response: { 201: cluster } },
    handler: async (request, reply) => reply.status(201).send({ ...(await licensing.addCluster(request.body, requireActor(request))), virtualAccountName: null, smartAccountId: null, smartAccountName: null, jobStatus: null }),
  });
  app.route({
    method: 'GET',
    url: `${base}/clusters`,
    config: { access: 'licensing.read' },
    schema: {
      tags,
      summary: 'Cluster Summary',
      querystring: z.strictObject({
        ...pageQuery,
        name: z.string().max(200).optional(),
        type: z.enum(clusterTypes).optional(),
        status: z.string().max(50).optional(),
        virtualAccountId: z.string().uuid().optional(),
        smartAccountId: z.string().uuid().optional(),
        assigned: bool.optional(),
      }),
      response: { 200: pageOf(cluster) },
    },
    handler: async (request) => {
      const { offset, limit, ...filter } = request.query;
      return { ...(await licensing.listClusters(filter, { offset, limit })), offset, limit };
    },
  });
  app.route({
    method: 'GET',
    url: `${base}/clusters/:id`,
    config: { access: 'licensing.read' },
    schema: { tags, summary: 'A cluster', params: idParams, response: { 200: cluster } },
    handler: async (request) => licensing.getCluster(request.params.id),
  });
  app.route({
    method: 'PATCH',
    url: `${base}/clusters/:id`,
    config: { access: 'licensing.manage', errors: ['CERTIFICATE_NOT_TRUSTED'] },
    schema: { tags, summary: 'Change a cluster (address, version, credentials); a new publisher address has its certificate trusted afresh (as when added)', params: idParams, body: clusterBody.partial(), response: { 200: cluster } },
    handler: async (request) => {
      await licensing.updateCluster(request.params.id, request.body, requireActor(request));
      return licensing.getCluster(request.params.id);
    },
  });
  app.route({
    method: 'DELETE',
    url: `${base}/clusters/:id`,
    config: { access: 'licensing.manage' },
    schema: { tags, summary: 'Remove an unassigned cluster', params: idParams, response: { 204: z.null() } },
    handler: async (request, reply) => {
      await licensing.deleteCluster(request.params.id, requireActor(request));
      return reply.status(204).send(null);
    },
  });
  app.route({
    method: 'POST',
    url: `${base}/clusters/:id/certificate/accept`,
    config: { access: 'licensing.manage', errors: ['CERTIFICATE_NOT_TRUSTED', 'UPSTREAM_UNREACHABLE'] },
    schema: { tags, summary: 'Accept the certificate the publisher presents now (a renewed one): pinned, its alert cleared, jobs run again', params: idParams, body: z.strictObject({ fingerprint }), response: { 200: cluster } },
    handler: async (request) => {
      await licensing.acceptClusterCertificate(request.params.id, request.body.fingerprint, requireActor(request));
      return licensing.getCluster(request.params.id);
    },
  });
  app.route({
    method: 'POST',
    url: `${base}/clusters/:id/check`,
    config: { access: 'licensing.manage' },
    schema: { tags, summary: 'Connectivity check: version (AXL/CUPI), license mode (PAWS), licensing status', params: idParams, response: { 200: z.object({ ok: z.boolean() }).catchall(z.unknown()) } },
    handler: async (request) => licensing.checkCluster(request.params.id, requireActor(request)),
  });
  app.route({
    method: 'POST',
    url: `${base}/clusters/:id/unassign`,
    config: { access: 'licensing.manage' },
    schema: { tags, summary: 'Unassign the cluster from its virtual account (a job)', params: idParams, response: { 202: operationStarted } },
    handler: async (request, reply) => reply.status(202).send(await licensing.unassign(request.params.id, requireActor(request))),
  });
  app.route({
    method: 'POST',
    url: `${base}/clusters/:id/reassign`,
    config: { access: 'licensing.manage' },
    schema: { tags, summary: 'Move the cluster to another virtual account (a job)', params: idParams, body: z.strictObject({ virtualAccountId: z.string().uuid() }), response: { 202: operationStarted } },
    handler: async (request, reply) => reply.status(202).send(await licensing.reassign(request.params.id, request.body.virtualAccountId, requireActor(request))),
  });

  // ── L7 jobs ──
  app.route({
    method: 'GET',
    url: `${base}/jobs`,
    config: { access: 'licensing.read' },
    schema: {
      tags,
      summary: 'Licensing jobs (sync, assign, unassign, reassign), newest first',
      querystring: z.strictObject({
        ...pageQuery,
        operation: z.enum(['assign', 'unassign', 'reassign', 'sync']).optional(),
        status: z.enum(['IN_PROGRESS', 'SUCCEEDED', 'FAILED']).optional(),
        clusterId: z.string().uuid().optional(),
        smartAccountId: z.string().uuid().optional(),
        virtualAccountId: z.string().uuid().optional(),
      }),
      response: { 200: pageOf(operation) },
    },
    handler: async (request) => {
      const { offset, limit, ...filter } = request.query;
      return { ...(await licensing.listOperations(filter, { offset, limit })), offset, limit };
    },
  });
  app.route({
    method: 'GET',
    url: `${base}/jobs/:id`,
    config: { access: 'licensing.read' },
    schema: { tags, summary: 'Job details: steps, error description, recommended action', params: idParams, response: { 200: operation.extend({ jobState: z.string(), attempts: z.number(), progressPercent: z.number(), progressMessage: z.string().nullable() }) } },
    handler: async (request) => licensing.getOperation(request.params.id),
  });
  app.route({
    method: 'POST',
    url: `${base}/jobs/:id/restart`,
    config: { access: 'licensing.manage' },
    schema: { tags, summary: 'Restart a failed job (steps that passed are not repeated)', params: idParams, response: { 202: z.object({ id: z.string(), status: z.string() }) } },
    handler: async (request, reply) => reply.status(202).send(await licensing.restartOperation(request.params.id, requireActor(request))),
  });
  app.route({
    method: 'POST',
    url: `${base}/jobs/:id/cancel`,
    config: { access: 'licensing.manage' },
    schema: { tags, summary: 'Cancel a running job (one waiting on its publisher stops at its next poll); it can then be restarted', params: idParams, response: { 200: z.object({ id: z.string(), status: z.string() }) } },
    handler: async (request) => licensing.cancelOperation(request.params.id, requireActor(request)),
  });

  // ── L8 dashboard ──
  app.route({
    method: 'GET',
    url: `${base}/smart-accounts/:id/dashboard`,
    config: { access: 'licensing.read', errors: ['UPSTREAM_FAILED', 'UPSTREAM_UNREACHABLE', 'UPSTREAM_REFUSED_CREDENTIALS'] },
    schema: {
      tags,
      summary: 'License dashboard: usage and compliance per virtual account and per cluster (live from CSSM)',
      params: idParams,
      querystring: z.strictObject({ virtualAccount: z.string().max(255).optional() }),
      response: {
        200: z.object({
          smartAccount: z.object({ id: z.string(), name: z.string(), domain: z.string() }),
          virtualAccounts: z.array(z.object({ name: z.string(), compliance: z.string(), licenses: z.array(z.object({ license: z.string(), quantity: z.number(), inUse: z.number(), available: z.number(), status: z.string() })) })),
          clusters: z.array(z.object({ id: z.string(), name: z.string(), type: z.string(), virtualAccount: z.string(), registered: z.boolean(), compliance: z.string(), usage: z.array(z.object({ license: z.string(), inUse: z.number(), status: z.string() })) })),
        }),
      },
    },
    handler: async (request) => licensing.dashboard(request.params.id, request.query),
  });
}
