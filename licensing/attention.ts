import { z } from 'zod';
import { requireActor } from '../platform/auth/auth.plugin.ts';
import { roleHas } from '../platform/auth/roles.ts';
import { notFound } from '../platform/errors.ts';
import { clustersWithChangedCertificate, countClusters, smartAccountsWithAlerts } from './attention.repository.ts';
import { findSmartAccount, updateSmartAccount } from './licensing.repository.ts';
import type { Area } from '../platform/area.ts';
import type { HttpApp } from '../platform/http/app-types.ts';
import type { PlatformServices } from '../platform/services.ts';

type Alert = { severity: 'Minor' | 'Major'; message: string; at: string; acknowledgedAt?: string };

/**
 * A sync writes a smart account's alerts afresh; an alert it raises again (same message) keeps
 * the acknowledgement it had, so acknowledging is not undone by the next sync.
 */
export function carryAcknowledgement(previous: readonly Alert[], next: Alert[]): Alert[] {
  const acknowledged = new Map(previous.filter((a) => a.acknowledgedAt).map((a) => [a.message, a.acknowledgedAt!]));
  return next.map((a) => (acknowledged.has(a.message) ? { ...a, acknowledgedAt: acknowledged.get(a.message) } : a));
}

/**
 * The home page: smart-account alerts nobody has acknowledged (L1); publisher certificates that
 * changed (L4) — counted until accepted, not acknowledgeable, since every request to the publisher is
 * refused meanwhile, and an unassigned cluster has no smart account to carry an alert; the first step.
 */
export function licensingAttention({ database }: Pick<PlatformServices, 'database'>): Pick<Area, 'attention' | 'firstSteps'> {
  return {
    async attention(actor) {
      if (!roleHas(actor.role, 'licensing.read')) return [];
      const [accounts, changed] = await Promise.all([smartAccountsWithAlerts(database.db), clustersWithChangedCertificate(database.db)]);
      const mayAcknowledge = roleHas(actor.role, 'licensing.manage');
      let open = 0;
      let acknowledged = 0;
      const entries = [];
      for (const sa of accounts) {
        const unacknowledged = (sa.alerts as Alert[]).filter((a) => !a.acknowledgedAt);
        open += unacknowledged.length;
        acknowledged += sa.alerts.length - unacknowledged.length;
        if (unacknowledged.length === 0 || entries.length >= 5) continue;
        entries.push({
          id: sa.id,
          label: `${sa.name ?? sa.domain}: ${unacknowledged.length} alert${unacknowledged.length === 1 ? '' : 's'}`,
          detail: unacknowledged.map((a) => `${a.severity}: ${a.message}`).join('; '),
          at: new Date(unacknowledged[0].at),
          ...(mayAcknowledge ? { acknowledge: `/api/v1/licensing/smart-accounts/${sa.id}/alerts/acknowledge` } : {}),
        });
      }
      const certificates = {
        key: 'licensing.certificates',
        area: 'licensing',
        title: 'Changed publisher certificates',
        summary: 'UC publishers presenting another certificate than the accepted one: every request to them is refused until it is accepted',
        count: changed.length,
        severity: 'critical' as const,
        href: changed.length === 1 ? `/licensing/clusters/${changed[0].id}` : '/licensing/clusters',
        entries: changed.slice(0, 5).map((c) => ({
          id: c.id,
          label: `${c.name}: certificate changed${c.virtualAccountId ? '' : ' (not assigned)'}`,
          detail: `accepted SHA-256 ${c.certificateFingerprint ?? 'none'}, presented SHA-256 ${c.presentedCertificate!.fingerprint}`,
          at: c.updatedAt,
          href: `/licensing/clusters/${c.id}`,
        })),
      };
      return [certificates, { key: 'licensing.alerts', area: 'licensing', title: 'Smart-account alerts', summary: 'smart-account alerts from the last sync that nobody has acknowledged', count: open, acknowledged, severity: 'warning', href: '/licensing', entries }];
    },
    async firstSteps(actor) {
      if (!roleHas(actor.role, 'licensing.read')) return [];
      const clusters = await countClusters(database.db);
      return [{ key: 'licensing.cluster', area: 'licensing', title: 'Assign a cluster', description: 'Add a CUCM or Unity Connection cluster and assign it to a virtual account for licences.', href: '/licensing/clusters', done: clusters.assigned > 0 }];
    },
  };
}

/** POST /api/v1/licensing/smart-accounts/{id}/alerts/acknowledge: the home page's acknowledge. */
export function registerLicensingAttentionRoutes(app: HttpApp, { database, audit, clock }: PlatformServices) {
  app.route({
    method: 'POST',
    url: '/api/v1/licensing/smart-accounts/:id/alerts/acknowledge',
    config: { access: 'licensing.manage' },
    schema: {
      tags: ['Licensing'],
      summary: 'Acknowledge the alerts of a smart account (they stay listed, no longer counted as needing attention)',
      params: z.strictObject({ id: z.string().uuid() }),
      response: { 200: z.object({ acknowledged: z.number().int() }) },
    },
    handler: async (request) => {
      const actor = requireActor(request);
      return database.transaction(async (tx) => {
        const sa = await findSmartAccount(tx, request.params.id);
        if (!sa) throw notFound('Smart account', request.params.id);
        const at = clock.now().toISOString();
        const before = sa.alerts as Alert[];
        const after = before.map((a) => (a.acknowledgedAt ? a : { ...a, acknowledgedAt: at }));
        const acknowledged = before.filter((a) => !a.acknowledgedAt).length;
        if (acknowledged > 0) {
          await updateSmartAccount(tx, sa.id, { alerts: after });
          await audit.record({ actor, action: 'licensing.smart-account.alerts.acknowledge', entityType: 'licensing_smart_account', entityId: sa.id, before: { alerts: before }, after: { alerts: after }, trackingId: request.id }, tx);
        }
        return { acknowledged };
      });
    },
  });
}
