import crypto from 'node:crypto';
import { systemActor } from '../platform/auth/actor.ts';
import { createCssmSimulator, type CssmSimulator } from '../lab/cssm/cssm.simulator.ts';
import { LAB_DOMAIN, LAB_SMART_ACCOUNT, seedLabSmartAccount } from '../lab/cssm/cssm.seed.ts';
import { createUcClusterSimulator, type UcClusterSimulator } from '../lab/cucm/uc.simulator.ts';
import { getLab } from '../lab/lab.area.ts';
import { getLabState, portOr0, startRemembered } from '../lab/lab.state.ts';
import { restoreCssm, snapshotCssm, type CssmState } from '../lab/cssm/cssm.state.ts';
import { restoreUcCluster, snapshotUcCluster, type UcState } from '../lab/cucm/uc.state.ts';
import * as repo from './licensing.repository.ts';
import type { Licensing } from './licensing.service.ts';
import type { PlatformServices } from '../platform/services.ts';

// The licensing Lab (S3, S4) inside the server: a CSSM simulator seeded with the seed's smart
// account, a 2-node CUCM and a Unity Connection cluster that register against it, all registered
// in Switchboard so a newcomer sees data. Their state and ports are kept in the data directory
// (lab/lab.state.ts): after a restart a cluster Switchboard assigned is still registered.
export type LicensingLab = { cssm: CssmSimulator; clusters: UcClusterSimulator[]; clientId: string; clientSecret: string };

export const licensingOf = new WeakMap<PlatformServices, Licensing>();
const labs = new WeakMap<PlatformServices, LicensingLab>();

export function getLicensingLab(services: PlatformServices): LicensingLab | undefined {
  return labs.get(services);
}

/** Starts the licensing Lab once per server (the Lab area may call it too); registers it in Switchboard. */
export async function startLicensingLab(services: PlatformServices, options: { virtualAccounts?: number; rebootMs?: number } = {}): Promise<LicensingLab> {
  const existing = labs.get(services);
  if (existing) return existing;
  const licensing = licensingOf.get(services);
  if (!licensing) throw new Error('startLicensingLab needs the licensing area on this server');
  const clientId = 'switchboard-lab';
  const state = getLabState(services);
  const saved = state?.load<{ clientSecret: string; cssm: CssmState; clusters: UcState[] }>('licensing');
  // A new secret on a clean start (the lab smart account is updated with it); the saved one after a restart.
  const clientSecret = saved?.clientSecret ?? crypto.randomBytes(18).toString('base64url');
  const cssm = await startRemembered(
    async (fresh) => {
      const sim = createCssmSimulator({ clock: services.clock, port: fresh ? 0 : await portOr0(saved?.cssm.port), clients: [{ clientId, clientSecret, domains: [LAB_DOMAIN] }] });
      if (saved) restoreCssm(sim, saved.cssm);
      else seedLabSmartAccount(sim, { virtualAccounts: options.virtualAccounts ?? 1285 });
      return sim;
    },
    (sim) => sim.start(),
    services.logger,
    'cssm',
  );
  const specs = [
    { name: 'cl1-alfa', type: 'CUCM' as const, nodes: 2, users: 40 },
    { name: 'cluster2-test', type: 'CUC' as const, nodes: 1, users: 25 },
  ];
  const clusters: UcClusterSimulator[] = [];
  for (const spec of specs) {
    const previous = saved?.clusters.find((c) => c.name === spec.name);
    clusters.push(
      await startRemembered(
        async (fresh) => {
          const ports = [];
          for (let i = 0; i < spec.nodes; i++) ports.push(fresh ? 0 : await portOr0(previous?.ports[i]));
          const sim = createUcClusterSimulator({ ...spec, ports, clock: services.clock, cssmUrl: cssm.url, rebootMs: options.rebootMs ?? 20_000 });
          if (previous) restoreUcCluster(sim, previous);
          return sim;
        },
        (sim) => sim.start(),
        services.logger,
        `uc ${spec.name}`,
      ),
    );
  }
  state?.track('licensing', () => ({ clientSecret, cssm: snapshotCssm(cssm), clusters: clusters.map(snapshotUcCluster) }));
  const lab: LicensingLab = { cssm, clusters, clientId, clientSecret };
  labs.set(services, lab);
  // The Lab area's registry makes them browsable in the console Lab page (S2–S4).
  const registry = getLab(services);
  if (registry) Object.assign(registry, { cssm, ucClusters: clusters });

  const actor = systemActor('lab');
  const db = services.database.db;
  const saFields = { clientId, clientSecret, name: LAB_SMART_ACCOUNT, authGatewayUrl: cssm.tokenUrl, cssmServerUrl: cssm.apiBase, deviceRegistrationUrl: `${cssm.url}/sim/agent` };
  const sa = await repo.findSmartAccountByDomain(db, LAB_DOMAIN);
  if (sa) {
    await licensing.updateSmartAccount(sa.id, saFields, actor);
    await licensing.syncSmartAccount(sa.id, actor).catch(() => undefined);
  } else {
    await licensing.configureSmartAccount({ domain: LAB_DOMAIN, ...saFields }, actor);
  }
  for (const c of clusters) {
    const fields = { type: c.type, version: c.version, publisherUrl: c.publisherUrl, adminUsername: c.admin.username, adminPassword: c.admin.password, platformUsername: c.platform.username, platformPassword: c.platform.password };
    const row = await repo.findClusterByName(db, c.name);
    if (row) await licensing.updateCluster(row.id, { publisherUrl: c.publisherUrl, adminPassword: c.admin.password, platformPassword: c.platform.password }, actor);
    else await licensing.addCluster({ name: c.name, ...fields }, actor);
  }
  services.logger.info({ cssm: cssm.url, clusters: clusters.map((c) => ({ name: c.name, nodes: c.nodes.map((n) => n.url) })) }, 'licensing lab started');
  return lab;
}

export async function stopLicensingLab(services: PlatformServices) {
  const lab = labs.get(services);
  if (!lab) return;
  labs.delete(services);
  const registry = getLab(services);
  if (registry?.cssm === lab.cssm) Object.assign(registry, { cssm: null, ucClusters: [] });
  for (const c of lab.clusters) await c.stop();
  await lab.cssm.stop();
}
