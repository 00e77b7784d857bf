// The role matrix: the one place that says which role may do what. Every route names the
// permission it needs (route option `access`), and platform/auth/auth.plugin.ts enforces it.
export const roles = [
  'partner_full_admin',
  'sales_full_admin',
  'read_only_admin',
  'customer_admin',
  'booker',
] as const;

export type Role = (typeof roles)[number];

export const roleLabels: Record<Role, string> = {
  partner_full_admin: 'Partner full admin',
  sales_full_admin: 'Sales full admin',
  read_only_admin: 'Read-only admin',
  customer_admin: 'Customer admin',
  booker: 'Booker',
};

const everyone: Role[] = [...roles];
const admins: Role[] = ['partner_full_admin', 'sales_full_admin', 'read_only_admin'];
const writers: Role[] = ['partner_full_admin', 'sales_full_admin'];

/** permission → roles granted it. Areas add their permissions here as they arrive. */
export const permissions = {
  'session.self': everyone,
  'users.read': admins,
  'users.manage': ['partner_full_admin'],
  'tokens.manage': ['partner_full_admin'],
  // The home page: every role has one; each area's items follow that area's own read permission.
  'attention.read': everyone,
  'jobs.read': everyone,
  'jobs.manage': writers,
  'audit.read': admins,
  'lab.read': admins,
  'lab.manage': ['partner_full_admin'],
  // Partner provisioning (P1–P15): the precheck is partner-full-admin only, as Webex documents.
  'partner.read': admins,
  'partner.manage': writers,
  'partner.precheck': ['partner_full_admin'],
  // /v1/people and /v1/organizations (P12): customer admins too, inside their own org (checked per org).
  'partner.people.read': [...admins, 'customer_admin'],
  'partner.people.delete': [...writers, 'customer_admin'],
  // Billing reports (P16): partner/sales full admins create and delete, read-only admins read.
  'billing.read': admins,
  'billing.manage': writers,
  // A customer org's Control Hub settings (P13/P14): partner admins in any org, a customer admin in
  // their own only (checked per org); restricted-by-partner mode takes controls away from the latter.
  'customer.read': [...admins, 'customer_admin'],
  'customer.manage': [...writers, 'customer_admin'],
  'meetings.read': everyone,
  'bridges.manage': writers,
  'bookings.manage': [...writers, 'booker'],
  'meetings.control': [...writers, 'booker'],
  // One Button to Push (#17): turning it on accepts Cisco's terms for the API it uses.
  'meetings.obtp.manage': ['partner_full_admin'],
  // Licensing (L1–L8): smart accounts, virtual accounts, cluster assignment jobs.
  'licensing.read': admins,
  'licensing.manage': writers,
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof permissions;

export function roleHas(role: Role | 'system', permission: Permission): boolean {
  if (role === 'system') return true;
  return (permissions[permission] as readonly Role[]).includes(role);
}
