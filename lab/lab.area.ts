import crypto from 'node:crypto';
import path from 'node:path';
import { createCmsCluster, type CmsCluster } from './cms/cms.cluster.ts';
import { registerLabRoutes } from './lab.routes.ts';
import { registerLabLicensingRoutes } from './lab-licensing.routes.ts';
import { labAttention } from './attention.ts';
import type { CssmSimulator } from './cssm/cssm.simulator.ts';
import type { UcClusterSimulator } from './cucm/uc.simulator.ts';
import type { AreaFactory } from '../platform/area.ts';
import type { PlatformServices } from '../platform/services.ts';

/** A simulated CMS cluster this process runs, with the API credentials a client needs. */
export type LabCmsCluster = { cluster: CmsCluster; username: string; password: string };

export type Lab = {
  enabled: boolean;
  cmsClusters: LabCmsCluster[];
  /** Registered by the Licensing area when it starts its Lab (S3, S4); empty without it. */
  cssm: CssmSimulator | null;
  ucClusters: UcClusterSimulator[];
};

// Areas that need the Lab (Meetings registers the CMS clusters as bridges) find it through the
// services object of their own server; several servers in one process (tests) each have theirs.
const labs = new WeakMap<PlatformServices, Lab>();

export function getLab(services: PlatformServices): Lab | undefined {
  return labs.get(services);
}

/** The default lab of `npm start`: one 2-node CMS cluster and one single-node CMS, on loopback. */
export const defaultLabClusters = [
  { name: 'cms-lab-cluster', nodes: ['callbridge-a', 'callbridge-b'] },
  { name: 'cms-lab-single', nodes: ['callbridge-solo'] },
];

export const labArea: AreaFactory = (services) => {
  const lab: Lab = { enabled: services.config.labEnabled, cmsClusters: [], cssm: null, ucClusters: [] };
  labs.set(services, lab);
  return {
    name: 'lab',
    ...labAttention(lab),
    routes: (app) => {
      registerLabRoutes(app, services, lab);
      registerLabLicensingRoutes(app, services, lab);
    },
    async start() {
      if (!lab.enabled) return;
      for (const spec of defaultLabClusters) {
        // A new password per start: the lab's bridges are registered again on every start.
        const username = 'admin';
        const password = crypto.randomBytes(12).toString('base64url');
        const cluster = await createCmsCluster({
          name: spec.name,
          users: [{ name: username, password }],
          clock: services.clock,
          certDir: path.join(services.config.dataDir, 'lab', 'cms-tls'),
          nodes: spec.nodes.map((name) => ({ name, host: '127.0.0.1', port: 0 })),
        });
        await cluster.start();
        // A fresh CMS routes nothing; the lab's must be dialable out of and into.
        cluster.store.create('outboundDialPlanRules', new Map([['domain', '*'], ['priority', '0']]));
        cluster.store.create('inboundDialPlanRules', new Map([['domain', 'lab.local']]));
        lab.cmsClusters.push({ cluster, username, password });
        services.logger.info({ cluster: spec.name, nodes: cluster.nodes.map((n) => n.baseUrl) }, 'lab CMS cluster started');
      }
    },
    async stop() {
      for (const { cluster } of lab.cmsClusters.splice(0)) await cluster.stop();
    },
  };
};
