import { roleHas } from '../platform/auth/roles.ts';
import { countAllSubscribers, subscribersInError } from './attention.repository.ts';
import type { Area } from '../platform/area.ts';
import type { PlatformServices } from '../platform/services.ts';

/** The home page: subscribers whose provisioning ended in `error` (P5), and the first step. */
export function partnerAttention({ database }: Pick<PlatformServices, 'database'>): Pick<Area, 'attention' | 'firstSteps'> {
  return {
    async attention(actor) {
      if (!roleHas(actor.role, 'partner.read')) return [];
      const found = await subscribersInError(database.db, 5);
      return [
        {
          key: 'partner.subscribers-error',
          area: 'partner',
          title: 'Subscribers in error',
          summary: 'subscribers whose provisioning failed; fix the cause and provision them again',
          count: found.total,
          severity: 'critical',
          href: '/partner',
          entries: found.newest.map((s) => ({ id: s.id, label: s.email ?? s.userId, detail: s.errors.map((e) => e.description).join('; ') || undefined, at: s.at })),
        },
      ];
    },
    async firstSteps(actor) {
      if (!roleHas(actor.role, 'partner.read')) return [];
      return [{ key: 'partner.subscriber', area: 'partner', title: 'Provision a subscriber', description: 'Set up a customer template, then provision a BroadWorks subscriber into Webex.', href: '/partner', done: (await countAllSubscribers(database.db)) > 0 }];
    },
  };
}
