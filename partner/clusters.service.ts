import crypto from 'node:crypto';
import tls from 'node:tls';
import { AppError, notFound } from '../platform/errors.ts';
import * as repo from './clusters.repository.ts';
import type { Actor } from '../platform/auth/actor.ts';
import type { Db } from '../platform/db/database.ts';
import type { PlatformServices } from '../platform/services.ts';

// BroadWorks clusters of the partner org (P4) and their checks (P17).

/** More customers than this on a cluster: interface and sync edits go through Cisco TAC. */
export const CLUSTER_EDIT_CUSTOMER_LIMIT = 50;
const protectedClusterFields = ['xsiActionsUrl', 'xsiEventsUrl', 'dasUrl', 'xspAdpUrl', 'paStatusSync', 'dndSync'] as const;
const oneWayToggles = ['callHistory', 'dndSync', 'paStatusSync'] as const;

export type ClusterInput = {
  name: string;
  xsiActionsUrl: string;
  xsiEventsUrl: string;
  authServiceUrl: string;
  dasUrl?: string | null;
  xspAdpUrl?: string | null;
  ctiUrl?: string | null;
  callHistory?: boolean;
  dndSync?: boolean;
  paStatusSync?: boolean;
};

/** The peer certificate of an HTTPS URL (expiry only; trust is the HTTP client's business). */
function certificateOf(url: string): Promise<{ validTo: Date } | null> {
  const target = new URL(url);
  return new Promise((resolve) => {
    const socket = tls.connect({ host: target.hostname, port: Number(target.port || 443), servername: target.hostname, rejectUnauthorized: false, timeout: 5_000 }, () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      resolve(cert?.valid_to ? { validTo: new Date(cert.valid_to) } : null);
    });
    socket.on('error', () => resolve(null));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(null);
    });
  });
}

function checkXsiUrl(field: string, value: string) {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AppError('VALIDATION_FAILED', `${field} is not a URL.`, { field });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new AppError('VALIDATION_FAILED', `${field} must be an http(s) URL.`, { field });
  if (!url.pathname.endsWith('/v2.0/')) throw new AppError('VALIDATION_FAILED', `${field} must end in /v2.0/ (for example https://xsp.example.com/com.broadsoft.xsi-actions/v2.0/).`, { field });
}

export type Clusters = ReturnType<typeof createClusters>;

export function createClusters(services: Pick<PlatformServices, 'database' | 'clock' | 'audit'>, partnerOrgId: (tx: Db) => Promise<string>) {
  const { database, clock, audit } = services;
  const db = database.db;
  const clusterView = (row: repo.ClusterRow) => row;

  async function createCluster(input: ClusterInput, actor: Actor) {
    checkXsiUrl('xsiActionsUrl', input.xsiActionsUrl);
    checkXsiUrl('xsiEventsUrl', input.xsiEventsUrl);
    return database.transaction(async (tx) => {
      if (await repo.findClusterByName(tx, input.name)) throw new AppError('ALREADY_EXISTS', `A cluster named ${input.name} exists.`, { name: input.name });
      const now = clock.now();
      const row = {
        id: crypto.randomUUID(),
        partnerOrgId: await partnerOrgId(tx),
        name: input.name,
        xsiActionsUrl: input.xsiActionsUrl,
        xsiEventsUrl: input.xsiEventsUrl,
        authServiceUrl: input.authServiceUrl,
        dasUrl: input.dasUrl ?? null,
        xspAdpUrl: input.xspAdpUrl ?? null,
        ctiUrl: input.ctiUrl ?? null,
        callHistory: input.callHistory ?? false,
        dndSync: input.dndSync ?? false,
        paStatusSync: input.paStatusSync ?? false,
        createdAt: now,
        updatedAt: now,
      };
      await repo.insertCluster(tx, row);
      await audit.record({ actor, action: 'partner.cluster.create', entityType: 'broadworksCluster', entityId: row.id, after: row }, tx);
      return clusterView(row);
    });
  }

  async function getCluster(id: string) {
    const row = await repo.findCluster(db, id);
    if (!row) throw notFound('Cluster', id);
    return { ...clusterView(row), customers: await repo.countCustomersOfCluster(db, id), templates: await repo.countTemplatesOfCluster(db, id) };
  }

  async function updateCluster(id: string, patch: Partial<ClusterInput>, actor: Actor) {
    if (patch.xsiActionsUrl !== undefined) checkXsiUrl('xsiActionsUrl', patch.xsiActionsUrl);
    if (patch.xsiEventsUrl !== undefined) checkXsiUrl('xsiEventsUrl', patch.xsiEventsUrl);
    return database.transaction(async (tx) => {
      const before = await repo.findCluster(tx, id);
      if (!before) throw notFound('Cluster', id);
      const changed = (Object.keys(patch) as (keyof ClusterInput)[]).filter((k) => patch[k] !== undefined && (patch[k] ?? null) !== (before[k as keyof repo.ClusterRow] ?? null));
      for (const toggle of oneWayToggles) {
        if (changed.includes(toggle) && before[toggle] && patch[toggle] === false) {
          throw new AppError('INVALID_STATE', `${toggle} is a one-way toggle: once enabled it cannot be disabled here (open a Cisco TAC case).`, { field: toggle });
        }
      }
      const guarded = changed.filter((k) => (protectedClusterFields as readonly string[]).includes(k));
      if (guarded.length) {
        const customers = await repo.countCustomersOfCluster(tx, id);
        if (customers > CLUSTER_EDIT_CUSTOMER_LIMIT) {
          throw new AppError(
            'INVALID_STATE',
            `Cluster ${before.name} has ${customers} customers (more than ${CLUSTER_EDIT_CUSTOMER_LIMIT}): changing ${guarded.join(', ')} is not supported; contact Cisco TAC.`,
            { fields: guarded, customers, limit: CLUSTER_EDIT_CUSTOMER_LIMIT },
          );
        }
      }
      if (patch.name && patch.name !== before.name && (await repo.findClusterByName(tx, patch.name))) throw new AppError('ALREADY_EXISTS', `A cluster named ${patch.name} exists.`);
      const values = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      await repo.updateCluster(tx, id, { ...values, updatedAt: clock.now() });
      const after = (await repo.findCluster(tx, id))!;
      await audit.record({ actor, action: 'partner.cluster.update', entityType: 'broadworksCluster', entityId: id, before, after }, tx);
      return clusterView(after);
    });
  }

  async function deleteCluster(id: string, actor: Actor) {
    await database.transaction(async (tx) => {
      const before = await repo.findCluster(tx, id);
      if (!before) throw notFound('Cluster', id);
      const templates = await repo.countTemplatesOfCluster(tx, id);
      if (templates > 0) throw new AppError('CONFLICT', `Cluster ${before.name} has ${templates} template(s); delete or move them first.`, { templates });
      await repo.deleteCluster(tx, id);
      await audit.record({ actor, action: 'partner.cluster.delete', entityType: 'broadworksCluster', entityId: id, before }, tx);
    });
  }

  /**
   * P4/P17: probes each interface of a cluster (XSI actions, XSI events, auth service, DAS, XSP/ADP):
   * reachable and answering, and for HTTPS the certificate's expiry (warning within 30 days).
   */
  async function checkCluster(id: string) {
    const cluster = await repo.findCluster(db, id);
    if (!cluster) throw notFound('Cluster', id);
    const interfaces = [
      ['xsiActions', cluster.xsiActionsUrl],
      ['xsiEvents', cluster.xsiEventsUrl],
      ['authService', cluster.authServiceUrl],
      ['das', cluster.dasUrl],
      ['xspAdp', cluster.xspAdpUrl],
    ].filter((entry): entry is [string, string] => Boolean(entry[1]));
    const results = await Promise.all(
      interfaces.map(async ([name, url]) => {
        const started = clock.now().getTime();
        const certificate = url.startsWith('https:') ? await certificateOf(url) : null;
        try {
          const res = await fetch(url, { method: 'GET', signal: AbortSignal.timeout(5_000) });
          await res.arrayBuffer();
          const ok = res.status < 500 && res.status !== 404;
          const expiresAt = certificate?.validTo ?? null;
          const daysLeft = expiresAt ? Math.floor((expiresAt.getTime() - clock.now().getTime()) / 86_400_000) : null;
          return { name, url, ok, status: res.status, ms: clock.now().getTime() - started, certificateExpiresAt: expiresAt, certificateWarning: daysLeft !== null && daysLeft < 30 ? `The certificate expires in ${daysLeft} days.` : null, error: ok ? null : `HTTP ${res.status}` };
        } catch (error) {
          return { name, url, ok: false, status: null, ms: clock.now().getTime() - started, certificateExpiresAt: certificate?.validTo ?? null, certificateWarning: null, error: (error as Error).message };
        }
      }),
    );
    return { clusterId: id, ok: results.every((r) => r.ok), interfaces: results };
  }

  return { list: () => repo.listClusters(db), check: checkCluster, get: getCluster, create: createCluster, update: updateCluster, remove: deleteCluster };
}
