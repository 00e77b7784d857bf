// What a Lab CMS cluster keeps across a restart of Switchboard (lab/README.md, *State across
// restarts*): a real CMS keeps its configuration database — coSpaces with their access methods and
// members, profiles, tenants, dial plan, bulk parameter sets and syncs — and each Call Bridge's CDR
// receivers and API users; it loses its calls, call legs and participants, its counters and alarms.
// The Lab keeps the node ports and Call Bridge ids too, so Switchboard finds the cluster where it
// left it. Faults are not kept: a restarted node comes back healthy.
import type { CmsCluster, CmsUser } from './cms.cluster.ts';
import type { BulkSync, CmsObject } from './cms.store.ts';
import type { CollectionKey } from './cms.schema.ts';

export type CmsClusterState = {
  name: string;
  users: CmsUser[];
  nodes: Array<{ name: string; callBridgeId: string; port: number; https: boolean; cdrReceivers: Array<{ id: string; url: string }> }>;
  collections: Partial<Record<CollectionKey, CmsObject[]>>;
  systemProfiles: Record<string, string>;
  bulkSyncs: BulkSync[];
  /** The cluster's variance knobs (getVariance/setVariance). */
  settings?: ReturnType<CmsCluster['getVariance']>;
};

export function snapshotCmsCluster(cluster: CmsCluster): CmsClusterState {
  const store = cluster.store;
  const own = new Set(cluster.nodes.map((n) => n.callBridgeId));
  const collections: Partial<Record<CollectionKey, CmsObject[]>> = {};
  for (const [key, map] of Object.entries(store.collections) as Array<[CollectionKey, Map<string, CmsObject>]>) {
    // The nodes' own Call Bridge rows are written again by start() with their current addresses.
    const objects = [...map.values()].filter((o) => !(key === 'callBridges' && own.has(o.id)));
    if (objects.length > 0) collections[key] = objects;
  }
  const settings = cluster.getVariance();
  return {
    name: cluster.name,
    users: cluster.users.map((u) => ({ ...u })),
    nodes: cluster.nodes.map((n) => ({ name: n.name, callBridgeId: n.callBridgeId, port: n.port, https: n.https, cdrReceivers: [...n.bridge.cdr.receivers.values()].map((r) => ({ id: r.id, url: r.url })) })),
    collections,
    systemProfiles: { ...store.systemProfiles },
    bulkSyncs: [...store.bulkSyncs.values()].map((s) => ({ ...s })),
    ...(settings !== undefined ? { settings } : {}),
  };
}

/**
 * Puts a saved configuration into a cluster made (not yet started) with the saved nodes' names,
 * ports, Call Bridge ids and users. A bulk sync that had not finished runs to its end now.
 */
export function restoreCmsCluster(cluster: CmsCluster, state: CmsClusterState) {
  const store = cluster.store;
  for (const [key, objects] of Object.entries(state.collections) as Array<[CollectionKey, CmsObject[]]>) {
    const map = store.collections[key];
    if (!map) continue;
    for (const obj of objects) {
      map.set(obj.id, obj);
      // The same URI / call ID index the store keeps for spaces and access methods.
      if (key === 'coSpaces' || key === 'accessMethods') {
        for (const [index, value] of [[store.uriOwners, obj.v.uri], [store.uriOwners, obj.v.secondaryUri], [store.callIdOwners, obj.v.callId]] as const) {
          if (!value) continue;
          const owners = index.get(value.toLowerCase());
          if (owners) owners.push(obj);
          else index.set(value.toLowerCase(), [obj]);
        }
      }
    }
    store.touch(key);
  }
  Object.assign(store.systemProfiles, state.systemProfiles);
  for (const sync of state.bulkSyncs) store.bulkSyncs.set(sync.id, { ...sync });
  for (const sync of store.bulkSyncs.values()) if (sync.status === 'pending' || sync.status === 'running') store.runBulkSync(sync);
  for (const saved of state.nodes) {
    const node = cluster.nodes.find((n) => n.name === saved.name);
    if (!node) continue;
    for (const r of saved.cdrReceivers) node.bridge.cdr.receivers.set(r.id, { id: r.id, url: r.url, next: 0, inFlight: false, failing: false, delivered: 0, attempts: 0 });
  }
  if (state.settings !== undefined) cluster.setVariance(state.settings);
}
