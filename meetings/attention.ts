import { roleHas } from '../platform/auth/roles.ts';
import { countBridgesAndBookings, countTicketsByState, newestOpenTickets } from './attention.repository.ts';
import type { Area } from '../platform/area.ts';
import type { PlatformServices } from '../platform/services.ts';

/** M2 on the home page: open bridge tickets (acknowledged ones counted aside), and the first steps. */
export function meetingsAttention({ database }: Pick<PlatformServices, 'database'>): Pick<Area, 'attention' | 'firstSteps'> {
  return {
    async attention(actor) {
      if (!roleHas(actor.role, 'meetings.read')) return [];
      const [states, newest] = await Promise.all([countTicketsByState(database.db), newestOpenTickets(database.db, 5)]);
      const mayAcknowledge = roleHas(actor.role, 'bridges.manage');
      const open = states.open ?? 0;
      const bridgesWithOpen = new Set(newest.map((t) => t.bridgeId));
      return [
        {
          key: 'meetings.tickets',
          area: 'meetings',
          title: 'Open bridge tickets',
          summary: 'tickets raised on bridges that nobody has acknowledged yet',
          count: open,
          acknowledged: states.acknowledged ?? 0,
          severity: 'critical',
          // One bridge: its page, where the tickets are; several: the bridge list.
          href: open > 0 && open === newest.length && bridgesWithOpen.size === 1 ? `/meetings/bridges/${newest[0].bridgeId}` : '/meetings/tickets',
          entries: newest.map((t) => ({
            id: String(t.id),
            label: `#${t.id} ${t.title}`,
            detail: `${t.bridgeName || 'Unnamed bridge'}${t.detail ? ` — ${t.detail}` : ''}`,
            at: t.openedAt,
            href: `/meetings/bridges/${t.bridgeId}`,
            ...(mayAcknowledge ? { acknowledge: `/api/v1/meetings/bridges/${t.bridgeId}/tickets/${t.id}/acknowledge` } : {}),
          })),
        },
      ];
    },
    async firstSteps(actor) {
      if (!roleHas(actor.role, 'meetings.read')) return [];
      const counts = await countBridgesAndBookings(database.db);
      return [
        { key: 'meetings.bridge', area: 'meetings', title: 'Add a bridge', description: 'Register a Cisco Meeting Server cluster so meetings have somewhere to run.', href: '/meetings/bridges', done: counts.bridges > 0 },
        { key: 'meetings.booking', area: 'meetings', title: 'Book a meeting', description: 'Book a scheduled space on a bridge; Switchboard starts and ends it on time.', href: '/meetings/bookings/new', done: counts.bookings > 0 },
      ];
    },
  };
}
