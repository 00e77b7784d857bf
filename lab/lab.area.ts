import crypto from 'node:crypto';
import path from 'node:path';
import { createCmsCluster, type CmsCluster } from './cms/cms.cluster.ts';
import { registerLabRoutes } from './lab.routes.ts';
import { registerLabLicensingRoutes } from './lab-licensing.routes.ts';
import { getLabState, openLabState, portOr0, setLabState, startRemembered } from './lab.state.ts';
import { restoreCmsCluster, snapshotCmsCluster, type CmsClusterState } from './cms/cms.state.ts';
import { labAttention } from './attention.ts';
import { startLabCodecs } from './ce/ce.lab.ts';
import { registerLabCeRoutes } from './ce/ce.routes.ts';
import type { CeCodec } from './ce/ce.simulator.ts';
import { createTmsSimulator, type TmsSimulator, type TmsSimulatorState } from './tms/tms.simulator.ts';
import { seedTmsLab } from './tms/tms.seed.ts';
import type { CssmSimulator } from './cssm/cssm.simulator.ts';
import type { UcClusterSimulator } from './cucm/uc.simulator.ts';
import type { AreaFactory } from '../platform/area.ts';
import type { PlatformServices } from '../platform/services.ts';

/**
 * A simulated CMS cluster this process runs, with the API credentials a client needs. `restored`:
 * it came back from the data directory with the same ports and credentials (nothing to relink).
 */
export type LabCmsCluster = { cluster: CmsCluster; username: string; password: string; restored: boolean };

export type Lab = {
  enabled: boolean;
  cmsClusters: LabCmsCluster[];
  /** Registered by the Licensing area when it starts its Lab (S3, S4); empty without it. */
  cssm: CssmSimulator | null;
  ucClusters: UcClusterSimulator[];
  /** Room codecs (CE / RoomOS) whose Join dials into the Lab's CMS clusters (#17). */
  ceCodecs: CeCodec[];
  /** The Lab TMS (#16): what `switchboard meetings import-tms` is tried against. */
  tms: TmsSimulator | null;
};

/** What the Lab TMS keeps across restarts: its port, user and everything booked on it. */
type TmsLabState = { port: number; users: { username: string; password: string }[]; state: TmsSimulatorState };

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

/**
 * Moves with every change a saved CMS holds: the configuration store's changes, its system
 * profiles and number of bulk syncs, the nodes' CDR receivers (not in the store) and the cluster's
 * run-time settings, if it has any.
 */
function cmsChangeKey(storeChanges: number, clusters: CmsCluster[]): string {
  const parts: unknown[] = [storeChanges];
  for (const cluster of clusters) {
    // /system/profiles and a cleared sync list change the store without its change event.
    parts.push(cluster.store.systemProfiles, cluster.store.bulkSyncs.size);
    for (const node of cluster.nodes) for (const r of node.bridge.cdr.receivers.values()) parts.push(r.id, r.url);
    parts.push((cluster as unknown as { getVariance?: () => unknown }).getVariance?.() ?? null);
  }
  return JSON.stringify(parts);
}

export const labArea: AreaFactory = (services) => {
  const lab: Lab = { enabled: services.config.labEnabled, cmsClusters: [], cssm: null, ucClusters: [], ceCodecs: [], tms: null };
  labs.set(services, lab);

  async function startCluster(spec: (typeof defaultLabClusters)[number], saved: CmsClusterState | undefined): Promise<LabCmsCluster> {
    // A cluster comes back as it was only on all its remembered ports. Otherwise it starts clean
    // (new ports, new password, empty configuration), as after `lab reset`, and Meetings relinks its
    // bridge, which makes the profiles, CDR receivers and pool again on an empty CMS.
    let kept = saved;
    if (saved) {
      for (const name of spec.nodes) {
        const port = saved.nodes.find((n) => n.name === name)?.port;
        if (!port || (await portOr0(port)) !== port) kept = undefined;
      }
      if (!kept) services.logger.warn({ cluster: spec.name }, 'a remembered Lab CMS port is taken: the cluster starts clean on new ports');
    }
    let username = 'admin';
    let password = '';
    const cluster = await startRemembered(
      async (fresh) => {
        if (fresh) kept = undefined;
        username = kept?.users[0]?.name ?? 'admin';
        // A new password on a clean start; the saved one (a real CMS keeps its users) after a restart.
        password = kept?.users[0]?.password ?? crypto.randomBytes(12).toString('base64url');
        const made = await createCmsCluster({
          name: spec.name,
          users: [{ name: username, password }],
          clock: services.clock,
          certDir: path.join(services.config.dataDir, 'lab', 'cms-tls'),
          nodes: spec.nodes.map((name) => {
            const node = kept?.nodes.find((n) => n.name === name);
            return { name, host: '127.0.0.1', port: node?.port ?? 0, callBridgeId: node?.callBridgeId };
          }),
        });
        if (kept) restoreCmsCluster(made, kept);
        return made;
      },
      (made) => made.start(),
      services.logger,
      `cms ${spec.name}`,
    );
    if (!kept) {
      // A fresh CMS routes nothing; the lab's must be dialable out of and into.
      cluster.store.create('outboundDialPlanRules', new Map([['domain', '*'], ['priority', '0']]));
      cluster.store.create('inboundDialPlanRules', new Map([['domain', 'lab.local']]));
    }
    services.logger.info({ cluster: spec.name, nodes: cluster.nodes.map((n) => n.baseUrl), restored: !!kept }, 'lab CMS cluster started');
    return { cluster, username, password, restored: !!kept };
  }

  /**
   * The Lab TMS: back as it was on its remembered port, or fresh, with systems and
   * bookings seeded on the Lab CMS clusters' addresses (the bridges Meetings registers for them).
   */
  async function startTms(saved: TmsLabState | undefined): Promise<TmsSimulator> {
    const sim = await startRemembered(
      async (fresh) => {
        const kept = fresh ? undefined : saved;
        const port = kept ? await portOr0(kept.port) : 0;
        return createTmsSimulator({
          name: 'tms-lab',
          clock: services.clock,
          port,
          // The simulator's documented Lab credentials (lab/README.md), as `lab cucm` has: it listens on loopback only.
          users: kept?.users,
          state: kept ? structuredClone(kept.state) : undefined,
        });
      },
      (made) => made.start(),
      services.logger,
      'tms',
    );
    if (!saved) seedTmsLab(sim, { now: services.clock.now(), cmsAddresses: lab.cmsClusters.map(({ cluster }) => cluster.nodes[0].baseUrl.replace(/^https?:\/\//, '')) });
    services.logger.info({ url: sim.url, restored: !!saved }, 'lab TMS started');
    return sim;
  }

  return {
    name: 'lab',
    ...labAttention(lab),
    routes: (app) => {
      registerLabRoutes(app, services, lab);
      registerLabLicensingRoutes(app, services, lab);
      registerLabCeRoutes(app, services, lab);
    },
    async start() {
      if (!lab.enabled) return;
      const state = openLabState(services.config.dataDir, services.logger);
      setLabState(services, state);
      try {
        const saved = state.load<CmsClusterState[]>('cms') ?? [];
        for (const spec of defaultLabClusters) lab.cmsClusters.push(await startCluster(spec, saved.find((c) => c.name === spec.name)));
        // The clusters themselves, not the registry's list: stop() empties that before the last save.
        const clusters = lab.cmsClusters.map(({ cluster }) => cluster);
        let changes = 0;
        for (const cluster of clusters) cluster.store.onChange(() => changes++);
        state.track('cms', () => clusters.map(snapshotCmsCluster), () => cmsChangeKey(changes, clusters));
        lab.ceCodecs.push(...(await startLabCodecs({ clock: services.clock, logger: services.logger, state, clusters: () => lab.cmsClusters.map((c) => c.cluster) })));
        lab.tms = await startTms(state.load<TmsLabState>('tms'));
        const tms = lab.tms;
        state.track('tms', (): TmsLabState => ({ port: Number(new URL(tms.url).port), users: tms.users, state: tms.state }), () => String(tms.changes));
      } catch (error) {
        for (const codec of lab.ceCodecs.splice(0)) await codec.stop();
        await lab.tms?.stop();
        lab.tms = null;
        for (const { cluster } of lab.cmsClusters.splice(0)) await cluster.stop();
        setLabState(services, undefined);
        state.close();
        throw error;
      }
    },
    async stop() {
      for (const codec of lab.ceCodecs.splice(0)) await codec.stop();
      await lab.tms?.stop();
      for (const { cluster } of lab.cmsClusters.splice(0)) await cluster.stop();
      // Last area to stop: the other areas' simulators are stopped by now and saved as they ended.
      getLabState(services)?.close();
      setLabState(services, undefined);
    },
  };
};
