import { z } from 'zod';
import { AppError } from '../platform/errors.ts';
import type { HttpApp } from '../platform/http/app-types.ts';
import type { PlatformServices } from '../platform/services.ts';
import type { Lab } from './lab.area.ts';

// null or false clears a fault (as the control API's PUT does), so a form can send the whole set at once.
const faults = z
  .strictObject({
    down: z.boolean().nullable().optional(),
    hang: z.boolean().nullable().optional(),
    slowMs: z.number().int().min(0).max(600_000).nullable().optional(),
    busy: z.boolean().nullable().optional(),
    unauthorized: z.boolean().nullable().optional(),
    malformedXml: z.boolean().nullable().optional(),
    pageCap: z.number().int().min(1).max(1000).nullable().optional(),
    failNext: z.array(z.strictObject({ path: z.string().min(1).max(500), method: z.string().regex(/^(GET|POST|PUT|DELETE)$/, 'GET, POST, PUT or DELETE').optional(), count: z.number().int().min(1).max(10_000), status: z.number().int().min(400).max(599).optional(), body: z.string().max(10_000).optional() })).max(20).nullable().optional(),
  })
  .meta({ id: 'CmsFaults' });

const variance = z
  .strictObject({
    advertiseScheme: z.enum(['http', 'https']).nullable().optional().describe('/callBridges shows node addresses with this scheme (null: the one each node listens with)'),
    cdrs: z.boolean().optional().describe('false: the bridges send no CDRs to any receiver'),
    pageCap: z.number().int().min(1).max(1000).nullable().optional().describe('At most this many objects per page, whatever limit asks (null: the cluster default, 10)'),
    forgetBulkSyncsOnRestart: z.boolean().optional().describe('A node that restarts has forgotten every coSpace bulk sync'),
    maxConcurrentRequests: z.number().int().min(1).max(10_000).nullable().optional().describe('API requests each node serves at once; one more is answered throttleStatus (null: no limit)'),
    throttleStatus: z.union([z.literal(503), z.literal(429)]).nullable().optional().describe('The answer beyond maxConcurrentRequests: 503 as a busy CMS answers (null: the default, 503), or 429 with Retry-After'),
  })
  .meta({ id: 'CmsVariance' });

const node = z.object({ name: z.string(), callBridgeId: z.string(), baseUrl: z.string(), advertisedAddress: z.string(), up: z.boolean(), faults, certificateFingerprint: z.string().nullable().describe('SHA-256 of the self-signed certificate the node presents; null: plain HTTP'),
  concurrency: z.object({ inFlight: z.number().int(), peak: z.number().int().describe('The most API requests in flight at once since the start, refused ones included'), throttled: z.number().int().describe('Requests refused for maxConcurrentRequests'), requests: z.number().int() }).optional() });
const cmsCluster = z.object({ name: z.string(), username: z.string(), settings: variance, nodes: z.array(node) }).meta({ id: 'LabCmsCluster' });
const clusterParams = z.strictObject({ cluster: z.string().min(1).max(100) });
const traceEntry = z.object({
  n: z.number().int(), at: z.string(), method: z.string(), path: z.string(), from: z.string(),
  status: z.number().int().optional(), size: z.number().int().optional(), location: z.string().optional(),
  requestBody: z.string().optional(), fault: z.string().optional(),
});
const callLeg = z.object({
  id: z.string(),
  participantId: z.string(),
  name: z.string().describe('The participant name CMS shows'),
  remoteParty: z.string(),
  direction: z.enum(['incoming', 'outgoing']),
  state: z.enum(['initial', 'ringing', 'connected']),
  createdAt: z.string().describe('UTC'),
  connectedAt: z.string().nullable(),
});
const labCall = z
  .object({ id: z.string(), name: z.string(), node: z.string(), callType: z.enum(['coSpace', 'adHoc']), coSpaceId: z.string().nullable(), startedAt: z.string(), legs: z.array(callLeg) })
  .meta({ id: 'LabCmsCall' });
const tmsFault = z
  .strictObject({ kind: z.enum(['none', 'down', 'server-error', 'slow']), delayMs: z.number().int().min(0).max(600_000).optional() })
  .meta({ id: 'TmsFault' });
const labTms = z.object({ url: z.string(), username: z.string(), systems: z.number().int(), conferences: z.number().int(), transactions: z.number().int(), fault: tmsFault }).meta({ id: 'LabTms' });
const nodeParams = z.strictObject({ cluster: z.string().min(1).max(100), node: z.string().min(1).max(100) });

export function registerLabRoutes(app: HttpApp, services: PlatformServices, lab: Lab) {
  const describe = () =>
    lab.cmsClusters.map(({ cluster, username }) => {
      const described = cluster.describe();
      return {
        name: cluster.name,
        username,
        settings: described.variance,
        nodes: described.nodes.map((n) => ({ name: n.name, callBridgeId: n.callBridgeId, baseUrl: n.baseUrl, advertisedAddress: n.advertisedAddress, up: n.up, faults: n.faults, certificateFingerprint: n.certificateFingerprint })),
      };
    });

  const describeTms = () => {
    const tms = lab.tms;
    if (!tms) return null;
    return { url: tms.url, username: tms.users[0]?.username ?? '', systems: tms.state.systems.length, conferences: tms.state.conferences.filter((c) => !c.deleted).length, transactions: tms.state.transactions.length, fault: tms.getFault() };
  };

  const findCluster = (clusterName: string) => {
    const entry = lab.cmsClusters.find((c) => c.cluster.name === clusterName);
    if (!entry) throw new AppError('NOT_FOUND', `The lab has no CMS cluster ${clusterName}.`, { cluster: clusterName });
    return entry.cluster;
  };

  const findNode = (clusterName: string, nodeName: string) => {
    const entry = lab.cmsClusters.find((c) => c.cluster.name === clusterName);
    if (!entry) throw new AppError('NOT_FOUND', `The lab has no CMS cluster ${clusterName}.`, { cluster: clusterName });
    if (!entry.cluster.nodes.some((n) => n.name === nodeName)) throw new AppError('NOT_FOUND', `Cluster ${clusterName} has no node ${nodeName}.`, { node: nodeName });
    return entry.cluster;
  };

  app.route({
    method: 'GET',
    url: '/api/v1/lab',
    config: { access: 'lab.read' },
    schema: { tags: ['Lab'], summary: 'The simulators running in this process', response: { 200: z.object({ enabled: z.boolean(), cms: z.array(cmsCluster), tms: labTms.nullable() }) } },
    handler: async () => ({ enabled: lab.enabled, cms: describe(), tms: describeTms() }),
  });

  app.route({
    method: 'PUT',
    url: '/api/v1/lab/tms/fault',
    config: { access: 'lab.manage', errors: ['INVALID_STATE'] },
    schema: { tags: ['Lab'], summary: 'Make the Lab TMS refuse connections, answer 500 or answer late (#16)', body: tmsFault, response: { 200: tmsFault } },
    handler: async (request) => {
      if (!lab.tms) throw new AppError('INVALID_STATE', 'The Lab TMS is not running (the Lab is off).');
      const before = lab.tms.getFault();
      const after = request.body.kind === 'slow' ? { kind: 'slow' as const, delayMs: request.body.delayMs ?? 5000 } : { kind: request.body.kind };
      lab.tms.setFault(after as never);
      await services.audit.record({ actor: request.actor!, action: 'lab.faults.set', entityType: 'lab_tms', entityId: lab.tms.name, before, after, trackingId: request.id });
      return after;
    },
  });

  app.route({
    method: 'GET',
    url: '/api/v1/lab/cms/:cluster/calls',
    config: { access: 'lab.read' },
    schema: { tags: ['Lab'], summary: "A simulated CMS cluster's active calls on every node, each with its call legs (participants) and their state", params: clusterParams, response: { 200: z.object({ calls: z.array(labCall) }) } },
    handler: async (request) => {
      const cluster = findCluster(request.params.cluster);
      const iso = (ms: number) => new Date(ms).toISOString();
      // Read from each bridge's memory: what the simulated CMS would answer to /calls and /callLegs.
      const calls = cluster.nodes.flatMap((node) =>
        [...node.bridge.calls.values()].map((call) => ({
          id: call.id,
          name: call.name,
          node: node.name,
          callType: call.callType,
          coSpaceId: call.coSpace ?? null,
          startedAt: iso(call.startedAt),
          legs: [...call.legs].flatMap((id) => {
            const leg = node.bridge.legs.get(id);
            if (!leg || leg.ended) return [];
            return [{ id: leg.id, participantId: leg.participant, name: leg.name, remoteParty: leg.remoteParty, direction: leg.direction, state: leg.state, createdAt: iso(leg.createdAt), connectedAt: leg.connectedAt === undefined ? null : iso(leg.connectedAt) }];
          }),
        })),
      );
      return { calls };
    },
  });

  app.route({
    method: 'PUT',
    url: '/api/v1/lab/cms/:cluster/nodes/:node/faults',
    config: { access: 'lab.manage' },
    schema: { tags: ['Lab'], summary: 'Inject faults into a simulated CMS node (S5); omitted fields keep their value', params: nodeParams, body: faults, response: { 200: faults } },
    handler: async (request) => {
      const cluster = findNode(request.params.cluster, request.params.node);
      const before = cluster.getFaults(request.params.node);
      const after = await cluster.setFaults(request.params.node, request.body);
      await services.audit.record({ actor: request.actor!, action: 'lab.faults.set', entityType: 'lab_cms_node', entityId: `${request.params.cluster}/${request.params.node}`, before, after, trackingId: request.id });
      return after;
    },
  });

  app.route({
    method: 'DELETE',
    url: '/api/v1/lab/cms/:cluster/nodes/:node/faults',
    config: { access: 'lab.manage' },
    schema: { tags: ['Lab'], summary: 'Clear every fault of a simulated CMS node', params: nodeParams, response: { 200: faults } },
    handler: async (request) => {
      const cluster = findNode(request.params.cluster, request.params.node);
      const before = cluster.getFaults(request.params.node);
      const after = await cluster.clearFaults(request.params.node);
      await services.audit.record({ actor: request.actor!, action: 'lab.faults.clear', entityType: 'lab_cms_node', entityId: `${request.params.cluster}/${request.params.node}`, before, after, trackingId: request.id });
      return after;
    },
  });

  app.route({
    method: 'GET',
    url: '/api/v1/lab/cms/:cluster/settings',
    config: { access: 'lab.read' },
    schema: { tags: ['Lab'], summary: 'How a simulated CMS cluster differs from the default one (advertised scheme, CDRs, page cap, bulk syncs on restart)', params: clusterParams, response: { 200: variance } },
    handler: async (request) => findCluster(request.params.cluster).getVariance(),
  });

  app.route({
    method: 'PUT',
    url: '/api/v1/lab/cms/:cluster/settings',
    config: { access: 'lab.manage' },
    schema: { tags: ['Lab'], summary: 'Change how a simulated CMS cluster behaves; omitted fields keep their value', params: clusterParams, body: variance, response: { 200: variance } },
    handler: async (request) => {
      const cluster = findCluster(request.params.cluster);
      const before = cluster.getVariance();
      const after = cluster.setVariance(request.body);
      await services.audit.record({ actor: request.actor!, action: 'lab.cms.settings', entityType: 'lab_cms_cluster', entityId: request.params.cluster, before, after, trackingId: request.id });
      return after;
    },
  });

  app.route({
    method: 'POST',
    url: '/api/v1/lab/cms/:cluster/nodes/:node/certificate/rotate',
    config: { access: 'lab.manage' },
    schema: { tags: ['Lab'], summary: 'Give a simulated CMS node a new self-signed certificate (a renewed certificate: Meetings raises Certificate Changed); 409 for a plain-HTTP node', params: nodeParams, response: { 200: z.object({ fingerprint: z.string() }) } },
    handler: async (request) => {
      const cluster = findNode(request.params.cluster, request.params.node);
      const before = cluster.certificateFingerprint(request.params.node);
      const rotated = await cluster.rotateCertificate(request.params.node);
      await services.audit.record({ actor: request.actor!, action: 'lab.cms.certificate-rotate', entityType: 'lab_cms_node', entityId: `${request.params.cluster}/${request.params.node}`, before: { fingerprint: before }, after: rotated, trackingId: request.id });
      return rotated;
    },
  });

  app.route({
    method: 'POST',
    url: '/api/v1/lab/cms/:cluster/nodes/:node/restart',
    config: { access: 'lab.manage' },
    schema: { tags: ['Lab'], summary: 'Restart a simulated CMS node: its listener closes and opens again (with forgetBulkSyncsOnRestart, its bulk syncs are gone)', params: nodeParams, response: { 200: z.object({ restarted: z.boolean() }) } },
    handler: async (request) => {
      const cluster = findNode(request.params.cluster, request.params.node);
      await cluster.restart(request.params.node);
      await services.audit.record({ actor: request.actor!, action: 'lab.cms.restart', entityType: 'lab_cms_node', entityId: `${request.params.cluster}/${request.params.node}`, trackingId: request.id });
      return { restarted: true };
    },
  });

  app.route({
    method: 'GET',
    url: '/api/v1/lab/cms/:cluster/nodes/:node/trace',
    config: { access: 'lab.read' },
    schema: {
      tags: ['Lab'],
      summary: "A simulated CMS node's API trace, passcodes and secrets masked",
      params: nodeParams,
      querystring: z.strictObject({ since: z.coerce.number().int().min(0).default(0).describe('Only entries after this number') }),
      response: { 200: z.object({ entries: z.array(traceEntry), text: z.string() }) },
    },
    handler: async (request) => {
      const cluster = findNode(request.params.cluster, request.params.node);
      const entries = cluster.trace(request.params.node, request.query.since).map(({ n, at, method, path, from, status, size, location, requestBody, fault }) => ({ n, at, method, path, from, status, size, location, requestBody, fault }));
      return { entries, text: cluster.traceText(request.params.node, request.query.since) };
    },
  });
}
