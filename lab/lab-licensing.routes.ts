import { z } from 'zod';
import type { Actor } from '../platform/auth/actor.ts';
import { AppError } from '../platform/errors.ts';
import type { HttpApp } from '../platform/http/app-types.ts';
import type { PlatformServices } from '../platform/services.ts';
import { satelliteMarkerStyles, type CssmSimulator } from './cssm/cssm.simulator.ts';
import { AXL_SCHEMA_VERSIONS, type UcClusterSimulator } from './cucm/uc.simulator.ts';
import type { Lab } from './lab.area.ts';

// S3, S4, S5 read and driven from the console: what the CSSM and UC simulators the Licensing area
// registered in the Lab hold right now (in memory, not Switchboard's view of them), and their faults.

const cssmFault = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('none') }),
    z.strictObject({ kind: z.literal('unauthorized') }),
    z.strictObject({ kind: z.literal('forbidden') }),
    z.strictObject({ kind: z.literal('rate-limited'), retryAfterSeconds: z.number().int().min(0).max(86_400) }),
    z.strictObject({ kind: z.literal('server-error'), status: z.union([z.literal(500), z.literal(502), z.literal(503), z.literal(504)]) }),
    z.strictObject({ kind: z.literal('slow'), delayMs: z.number().int().min(1).max(600_000) }),
    z.strictObject({ kind: z.literal('down') }),
  ])
  .meta({ id: 'CssmFault' });
const cssmFaultState = z.object({ fault: cssmFault, fromCall: z.number().int(), includeTokenEndpoint: z.boolean() });
const cssmFaultBody = z.strictObject({
  fault: cssmFault,
  afterCalls: z.number().int().min(0).max(1_000_000).optional().describe('Let this many more calls succeed first'),
  includeTokenEndpoint: z.boolean().optional().describe('Whether the OAuth2 token endpoint fails too (default true)'),
});

// Behaviour knobs: where real counterparts may differ from our reading of them (S3/S4).
const cssmBehaviour = z
  .object({
    maxPageSize: z.number().int().min(1).max(10_000).describe('Largest page of the VA listing, whatever limit is asked'),
    totalRecords: z.boolean().describe('Whether the VA listing says totalRecords'),
    ignoreOffset: z.boolean().describe('Whether the VA listing ignores offset (always the first page: a listing that stops short)'),
    satelliteMarker: z.enum(satelliteMarkerStyles).describe('How a satellite-synced VA is marked in the listing'),
  })
  .meta({ id: 'LabCssmBehaviour' });
const cssmBehaviourBody = cssmBehaviour.partial().strict();

const ucBehaviour = z
  .object({
    modeChangeMs: z.number().int().min(0).max(3_600_000).describe('setDeploymentMode answers after this long (clock time); the old mode shows meanwhile'),
    revertModeChanges: z.number().int().min(0).max(10).describe('This many mode changes are lost by the restart (back in the old mode)'),
    registrationMs: z.number().int().min(0).max(3_600_000).describe('A registration shows "Registration In Progress" this long after its answer'),
    restartUnavailable: z.boolean().describe('While restarting, answer 503 instead of refusing connections'),
    axlVersions: z.array(z.enum(AXL_SCHEMA_VERSIONS)).min(1).describe('AXL schema versions the publisher answers (default from its version)'),
  })
  .meta({ id: 'LabUcBehaviour' });
const ucBehaviourBody = ucBehaviour.partial().strict();

const device = z.object({
  hostname: z.string(),
  productDescription: z.string(),
  productTagName: z.string(),
  serialNumber: z.string(),
  virtualAccount: z.string(),
  registeredAt: z.date(),
  usage: z.record(z.string(), z.number()),
});
const smartAccount = z.object({
  domain: z.string(),
  name: z.string(),
  id: z.number().int(),
  accountType: z.string(),
  virtualAccounts: z.number().int(),
  satelliteSynced: z.number().int().describe('Virtual accounts associated with an SSM On-Prem satellite (HCM-F ignores them)'),
  privateAccounts: z.number().int(),
  satellites: z.array(z.string()),
  registrationTokens: z.number().int(),
  devices: z.array(device),
  licenses: z.array(z.object({ virtualAccount: z.string(), license: z.string(), quantity: z.number().int(), inUse: z.number().int() })),
});
const cssmView = z
  .object({ running: z.boolean(), url: z.string().nullable(), tokenUrl: z.string().nullable(), apiCalls: z.number().int(), fault: cssmFaultState.nullable(), behaviour: cssmBehaviour.nullable(), smartAccounts: z.array(smartAccount) })
  .meta({ id: 'LabCssm' });

const ucFault = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('none') }),
    z.strictObject({ kind: z.literal('down') }),
    z.strictObject({ kind: z.literal('server-error') }),
    z.strictObject({ kind: z.literal('slow'), delayMs: z.number().int().min(1).max(600_000) }),
  ])
  .meta({ id: 'UcFault' });
const ucCluster = z.object({
  name: z.string(),
  type: z.enum(['CUCM', 'CUC']),
  version: z.string(),
  publisherUrl: z.string(),
  nodes: z.array(z.object({ name: z.string(), url: z.string(), role: z.enum(['publisher', 'subscriber']) })),
  deploymentMode: z.string().describe('Licensing mode: Enterprise, HCS or HCS-LE'),
  transportMode: z.string(),
  transportUrl: z.string(),
  registration: z.object({ status: z.string(), smartAccount: z.string().nullable(), virtualAccount: z.string().nullable(), registeredAt: z.date().nullable(), lastRenewal: z.date().nullable(), exportControlled: z.string(), failedReason: z.string().nullable() }),
  authorization: z.string(),
  evaluationRemaining: z.string().describe('days:hours:minutes of the 90-day evaluation'),
  rebooting: z.boolean(),
  reboots: z.number().int(),
  users: z.number().int(),
  fault: ucFault,
  behaviour: ucBehaviour,
});
const ucView = z.object({ running: z.boolean(), clusters: z.array(ucCluster) }).meta({ id: 'LabUcClusters' });
const clusterParams = z.strictObject({ cluster: z.string().min(1).max(100) });

function describeCssm(cssm: CssmSimulator | null): z.infer<typeof cssmView> {
  if (!cssm) return { running: false, url: null, tokenUrl: null, apiCalls: 0, fault: null, behaviour: null, smartAccounts: [] };
  const smartAccounts = [...cssm.accounts.values()].map((account) => {
    const vas = [...account.virtualAccounts.values()];
    const satellites = [...new Set(vas.flatMap((va) => (va.satelliteName ? [va.satelliteName] : [])))];
    // Usage is what registered product instances request, against the pools the VA owns.
    const usage = new Map<string, { virtualAccount: string; license: string; quantity: number; inUse: number }>();
    const entry = (virtualAccount: string, license: string) => {
      const key = `${virtualAccount}\u0000${license}`;
      let found = usage.get(key);
      if (!found) usage.set(key, (found = { virtualAccount, license, quantity: 0, inUse: 0 }));
      return found;
    };
    for (const [va, pools] of account.licenses) for (const pool of pools) entry(va, pool.license).quantity += pool.quantity;
    for (const d of account.devices) for (const [license, count] of Object.entries(d.usage)) entry(d.virtualAccount, license).inUse += count;
    return {
      domain: account.domain,
      name: account.name,
      id: account.id,
      accountType: account.accountType,
      virtualAccounts: vas.length,
      satelliteSynced: vas.filter((va) => va.satelliteName).length,
      privateAccounts: vas.filter((va) => va.commerceAccessLevel === 'PRIVATE').length,
      satellites,
      registrationTokens: account.tokens.length,
      devices: account.devices.map((d) => ({ hostname: d.hostname, productDescription: d.productDescription, productTagName: d.productTagName, serialNumber: d.udi.udiSerialNumber, virtualAccount: d.virtualAccount, registeredAt: d.registeredAt, usage: d.usage })),
      licenses: [...usage.values()].sort((a, b) => a.virtualAccount.localeCompare(b.virtualAccount) || a.license.localeCompare(b.license)),
    };
  });
  return { running: true, url: cssm.url, tokenUrl: cssm.tokenUrl, apiCalls: cssm.calls, fault: cssm.getFault(), behaviour: cssmBehaviourOf(cssm), smartAccounts };
}

function cssmBehaviourOf(cssm: CssmSimulator): z.infer<typeof cssmBehaviour> {
  return { ...cssm.getPaging(), satelliteMarker: cssm.getSatelliteMarker() };
}

function describeUc(services: PlatformServices, c: UcClusterSimulator): z.infer<typeof ucCluster> {
  const status = c.licenseStatus();
  const s = c.state;
  return {
    name: c.name,
    type: c.type,
    version: c.version,
    publisherUrl: c.publisherUrl,
    nodes: c.nodes.map((n) => ({ name: n.name, url: n.url, role: n.publisher ? 'publisher' : 'subscriber' })),
    deploymentMode: s.deploymentMode,
    transportMode: s.transport.transportMode,
    transportUrl: s.transport.url,
    registration: { ...s.registration, status: status.registration },
    authorization: status.authorization,
    evaluationRemaining: status.evaluationRemaining,
    rebooting: services.clock.now().getTime() < s.rebootingUntil,
    reboots: s.reboots,
    users: s.users,
    fault: c.getFault(),
    behaviour: c.getBehaviour() as z.infer<typeof ucBehaviour>,
  };
}

export function registerLabLicensingRoutes(app: HttpApp, services: PlatformServices, lab: Lab) {
  const runningCssm = () => {
    if (!lab.cssm) throw new AppError('INVALID_STATE', 'The Lab CSSM is not running (it starts with the Licensing area when the Lab is on).');
    return lab.cssm;
  };
  const findCluster = (name: string) => {
    const found = lab.ucClusters.find((c) => c.name === name);
    if (!found) throw new AppError('NOT_FOUND', `The Lab has no UC cluster ${name}.`, { cluster: name });
    return found;
  };

  app.route({
    method: 'GET',
    url: '/api/v1/lab/cssm',
    config: { access: 'lab.read' },
    schema: { tags: ['Lab'], summary: 'The simulated CSSM (S3): smart accounts, virtual and satellite-synced accounts, registered product instances, licence usage, fault', response: { 200: cssmView } },
    handler: async () => describeCssm(lab.cssm),
  });

  const setCssmFault = async (request: { actor: Actor | null; id: string }, body: z.infer<typeof cssmFaultBody>, action: string) => {
    const cssm = runningCssm();
    const before = cssm.getFault();
    cssm.setFault(body.fault, { afterCalls: body.afterCalls, includeTokenEndpoint: body.includeTokenEndpoint });
    const after = cssm.getFault();
    await services.audit.record({ actor: request.actor!, action, entityType: 'lab_cssm', entityId: cssm.url, before, after, trackingId: request.id });
    return after;
  };
  app.route({
    method: 'PUT',
    url: '/api/v1/lab/cssm/fault',
    config: { access: 'lab.manage' },
    schema: { tags: ['Lab'], summary: 'Make the simulated CSSM fail (S5): 401, 403, 429 with Retry-After, 5xx, slow or down', body: cssmFaultBody, response: { 200: cssmFaultState } },
    handler: async (request) => setCssmFault(request, request.body, 'lab.cssm.fault.set'),
  });
  app.route({
    method: 'DELETE',
    url: '/api/v1/lab/cssm/fault',
    config: { access: 'lab.manage' },
    schema: { tags: ['Lab'], summary: 'Clear the simulated CSSM fault', response: { 200: cssmFaultState } },
    handler: async (request) => setCssmFault(request, { fault: { kind: 'none' } }, 'lab.cssm.fault.clear'),
  });

  app.route({
    method: 'GET',
    url: '/api/v1/lab/uc',
    config: { access: 'lab.read' },
    schema: { tags: ['Lab'], summary: 'The simulated CUCM and Unity Connection clusters (S4): nodes and roles, licensing mode, transport, registration, fault', response: { 200: ucView } },
    handler: async () => ({ running: lab.ucClusters.length > 0, clusters: lab.ucClusters.map((c) => describeUc(services, c)) }),
  });

  const setUcFault = async (request: { actor: Actor | null; id: string }, name: string, fault: z.infer<typeof ucFault>, action: string) => {
    const cluster = findCluster(name);
    const before = cluster.getFault();
    cluster.setFault(fault);
    await services.audit.record({ actor: request.actor!, action, entityType: 'lab_uc_cluster', entityId: name, before, after: fault, trackingId: request.id });
    return fault;
  };
  app.route({
    method: 'PUT',
    url: '/api/v1/lab/uc/:cluster/fault',
    config: { access: 'lab.manage' },
    schema: { tags: ['Lab'], summary: 'Make a simulated UC cluster fail (S5): down, 500 or slow', params: clusterParams, body: ucFault, response: { 200: ucFault } },
    handler: async (request) => setUcFault(request, request.params.cluster, request.body, 'lab.uc.fault.set'),
  });
  app.route({
    method: 'POST',
    url: '/api/v1/lab/uc/:cluster/certificate/rotate',
    config: { access: 'lab.manage' },
    schema: { tags: ['Lab'], summary: 'Give a simulated UC cluster\'s publisher a new self-signed certificate (a renewed one: Licensing raises an alert); 409 for a plain-HTTP cluster', params: clusterParams, response: { 200: z.object({ fingerprint: z.string() }) } },
    handler: async (request) => {
      const cluster = findCluster(request.params.cluster);
      const before = cluster.certificateFingerprint();
      const rotated = await cluster.rotateCertificate();
      await services.audit.record({ actor: request.actor!, action: 'lab.uc.certificate-rotate', entityType: 'lab_uc_cluster', entityId: request.params.cluster, before: { fingerprint: before }, after: rotated, trackingId: request.id });
      return rotated;
    },
  });
  app.route({
    method: 'DELETE',
    url: '/api/v1/lab/uc/:cluster/fault',
    config: { access: 'lab.manage' },
    schema: { tags: ['Lab'], summary: 'Clear the fault of a simulated UC cluster', params: clusterParams, response: { 200: ucFault } },
    handler: async (request) => setUcFault(request, request.params.cluster, { kind: 'none' }, 'lab.uc.fault.clear'),
  });

  app.route({
    method: 'PUT',
    url: '/api/v1/lab/cssm/behaviour',
    config: { access: 'lab.manage' },
    schema: { tags: ['Lab'], summary: 'Make the simulated CSSM behave another way (S3): a page size cap, no totalRecords, another satellite marker', body: cssmBehaviourBody, response: { 200: cssmBehaviour } },
    handler: async (request) => {
      const cssm = runningCssm();
      const before = cssmBehaviourOf(cssm);
      const { satelliteMarker, ...paging } = request.body;
      cssm.setPaging(paging);
      if (satelliteMarker) cssm.setSatelliteMarker(satelliteMarker);
      const after = cssmBehaviourOf(cssm);
      await services.audit.record({ actor: request.actor!, action: 'lab.cssm.behaviour.set', entityType: 'lab_cssm', entityId: cssm.url, before, after, trackingId: request.id });
      return after;
    },
  });
  app.route({
    method: 'PUT',
    url: '/api/v1/lab/uc/:cluster/behaviour',
    config: { access: 'lab.manage' },
    schema: { tags: ['Lab'], summary: 'Make a simulated UC publisher behave another way (S4): slow or lost mode changes, registration in progress, 503 while restarting, AXL versions', params: clusterParams, body: ucBehaviourBody, response: { 200: ucBehaviour } },
    handler: async (request) => {
      const cluster = findCluster(request.params.cluster);
      const before = cluster.getBehaviour();
      const after = cluster.setBehaviour(request.body) as z.infer<typeof ucBehaviour>;
      await services.audit.record({ actor: request.actor!, action: 'lab.uc.behaviour.set', entityType: 'lab_uc_cluster', entityId: cluster.name, before, after, trackingId: request.id });
      return after;
    },
  });
}
