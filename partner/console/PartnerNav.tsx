import { AreaNav, type AreaSection } from '../../platform/console/src/components/AreaNav.tsx';

// The Partner area's pages, one per route, as Partner Hub lays them out.

const sections: AreaSection[] = [
  { to: '/partner', label: 'Overview', end: true },
  { to: '/partner/customers', label: 'Customers' },
  { to: '/partner/templates', label: 'Templates' },
  { to: '/partner/provision', label: 'Provision subscriber', needs: 'partner.manage' },
  { to: '/partner/analytics', label: 'Analytics' },
  { to: '/partner/billing', label: 'Billing', needs: 'billing.read' },
];

export function PartnerNav() {
  return <AreaNav label="Partner" sections={sections} />;
}
