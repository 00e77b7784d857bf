import crypto from 'node:crypto';
import { systemActor } from '../platform/auth/actor.ts';
import { createCssmSimulator, type CssmSimulator } from '../lab/cssm/cssm.simulator.ts';
import { LAB_DOMAIN, LAB_SMART_ACCOUNT, seedLabSmartAccount } from '../lab/cssm/cssm.seed.ts';
import { createUcClusterSimulator, type UcClusterSimulator } from '../lab/cucm/uc.simulator.ts';
import { getLab } from '../lab/lab.area.ts';
import * as repo from './licensing.repository.ts';
import type { Licensing } from './licensing.service.ts';
import type { PlatformServices } from '../platform/services.ts';

// The licensing Lab (S3, S4) inside the server: a CSSM simulator seeded with the seed's smart
// account, a 2-node CUCM and a Unity Connection cluster that register against it, all registered
// in Switchboard so a newcomer sees data. Simulator state lives in memory: after a restart the
// clusters are unregistered again while Switchboard may still show them assigned (unassign/assign).
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
  // A new secret per start: the lab smart account is updated with it on every start.
  const clientSecret = crypto.randomBytes(18).toString('base64url');
  const cssm = createCssmSimulator({ clock: services.clock, clients: [{ clientId, clientSecret, domains: [LAB_DOMAIN] }] });
  seedLabSmartAccount(cssm, { virtualAccounts: options.virtualAccounts ?? 1285 });
  await cssm.start();
  const clusters = [
    createUcClusterSimulator({ name: 'cl1-alfa', type: 'CUCM', nodes: 2, clock: services.clock, cssmUrl: cssm.url, rebootMs: options.rebootMs ?? 20_000, users: 40 }),
    createUcClusterSimulator({ name: 'cluster2-test', type: 'CUC', nodes: 1, clock: services.clock, cssmUrl: cssm.url, rebootMs: options.rebootMs ?? 20_000, users: 25 }),
  ];
  for (const c of clusters) await c.start();
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
