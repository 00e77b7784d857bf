import * as repo from './meetings.repository.ts';
import { getLab } from '../lab/lab.area.ts';
import type { PlatformServices } from '../platform/services.ts';
import type { Bridges } from './bridges.service.ts';
import type { MeetingJobs } from './meetings.jobs.ts';

const system = { type: 'system' as const, id: null, name: 'lab', role: 'system' as const, customerOrgId: null };

/**
 * `npm start`: the Lab's CMS clusters become bridges with a 10-slot pool, so a newcomer can book a
 * meeting at once. A lab cluster is known by its name (`labCluster`). The Lab keeps its clusters'
 * ports, password and configuration in the data directory: one that came back as it was (`restored`)
 * is left as it is registered. One that starts clean (first start, `switchboard lab reset`) or on
 * other ports has new ones: the bridge registered last time is pointed at the new address and its
 * pool synced again, never added a second time.
 */
export async function registerLabBridges(services: PlatformServices, bridges: Bridges, jobs: MeetingJobs) {
  const lab = getLab(services);
  if (!lab?.enabled) return;
  const db = services.database.db;
  const base = services.config.publicUrl ?? (services.config.port ? `http://${services.config.host === '0.0.0.0' ? '127.0.0.1' : services.config.host}:${services.config.port}` : undefined);
  let index = 0;
  for (const { cluster, username, password, restored } of lab.cmsClusters) {
    const address = cluster.nodes[0].baseUrl;
    const tls = address.startsWith('https');
    const found = await repo.findBridgeByLabCluster(db, cluster.name);
    let bridgeId: string;
    if (found) {
      bridgeId = found.id;
      if (!restored || found.address !== address) await bridges.relinkLab(found.id, { address, username, password, tls }, system, base);
    } else {
      // The Lab knows its own self-signed certificate: it confirms it, as an operator would.
      const trustFingerprint = cluster.certificateFingerprint(cluster.nodes[0].name) ?? undefined;
      const [result] = await bridges.add({ address, username, password, tls, name: `Lab ${index + 1}`, timeZone: 'UTC', ipZone: 'Lab', labCluster: cluster.name, trustFingerprint }, system, base);
      bridgeId = result.id!;
    }
    const { after, syncPool } = await bridges.update(bridgeId, { sipDomain: 'lab.local', numericIdBase: 1000 * (index + 1), numericIdQuantity: 10 }, system);
    if (syncPool || after.poolState !== 'ready') await services.jobs.send(jobs.syncPool, { bridgeId }, { actor: system });
    index++;
  }
}
