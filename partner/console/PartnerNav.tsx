import { NavLink as RouterNavLink, useLocation } from 'react-router';
import { Button, Group } from '@mantine/core';
import { useCan } from '../../platform/console/src/session.tsx';
import type { Permission } from '../../platform/auth/roles.ts';

// The Partner area's pages, one per route, as Partner Hub lays them out.

const sections: { to: string; label: string; needs?: Permission }[] = [
  { to: '/partner', label: 'Overview' },
  { to: '/partner/customers', label: 'Customers' },
  { to: '/partner/templates', label: 'Templates' },
  { to: '/partner/provision', label: 'Provision subscriber', needs: 'partner.manage' },
  { to: '/partner/analytics', label: 'Analytics' },
  { to: '/partner/billing', label: 'Billing', needs: 'billing.read' },
];

export function PartnerNav() {
  const can = useCan();
  const { pathname } = useLocation();
  return (
    <Group component="nav" aria-label="Partner" gap={4} mb="md" wrap="wrap">
      {sections
        .filter((s) => !s.needs || can(s.needs))
        .map((s) => {
          const active = s.to === '/partner' ? pathname === '/partner' || pathname === '/partner/' : pathname === s.to || pathname.startsWith(`${s.to}/`);
          return (
            <Button key={s.to} component={RouterNavLink} to={s.to} end={s.to === '/partner'} size="xs" variant={active ? 'filled' : 'subtle'} aria-current={active ? 'page' : undefined}>
              {s.label}
            </Button>
          );
        })}
    </Group>
  );
}
