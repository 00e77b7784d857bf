import { AppError } from '../platform/errors.ts';
import type { Actor } from '../platform/auth/actor.ts';
import type { CustomerOrgRow } from './partner.repository.ts';

// P14 restricted-by-partner mode. It is a setting of the customer org, not a role: a customer admin
// of a restricted org keeps their role's rights minus these controls (seed 001, "Restrictions").
// Partner admins are never restricted. User details (names, display name, primary email) stay
// editable: the seed lists them among the views but says they "can be edited".

export const restrictedControls = [
  { id: 'users.manage', section: 'Users', label: 'Manage users: add or modify users manually or by CSV', hidden: false },
  { id: 'users.claim', section: 'Users', label: 'Claim users', hidden: false },
  { id: 'users.auto-license', section: 'Users', label: 'Automatic licence assignment', hidden: false },
  { id: 'users.directory-sync', section: 'Users', label: 'Directory synchronisation settings', hidden: false },
  { id: 'users.package', section: 'Users', label: "Reset a user's package", hidden: false },
  { id: 'users.services', section: 'Users', label: "Edit a user's services (messaging, meetings, calling)", hidden: false },
  { id: 'users.service-status', section: 'Users', label: 'Full status of hybrid services and the software upgrade channel', hidden: true },
  { id: 'users.primary-work-number', section: 'Users', label: 'Primary work number', hidden: false },
  { id: 'account.company-name', section: 'Account', label: 'Company name', hidden: false },
  { id: 'settings.domain', section: 'Organisation settings', label: 'Domains', hidden: false },
  { id: 'settings.email', section: 'Organisation settings', label: 'Email: suppress admin-invite emails, email language', hidden: false },
  { id: 'settings.authentication', section: 'Organisation settings', label: 'Authentication and SSO', hidden: false },
  { id: 'calling.app-priority', section: 'Calling', label: 'Call settings: call priority of the app options', hidden: false },
  { id: 'calling.behavior', section: 'Calling', label: 'Call behaviour', hidden: false },
  { id: 'calling.pstn', section: 'Calling', label: 'Location > PSTN: local gateway and Cisco PSTN', hidden: true },
  { id: 'services.migrations', section: 'Services', label: 'Migrations', hidden: true },
  { id: 'services.connected-uc', section: 'Services', label: 'Connected UC', hidden: true },
] as const;

export type ControlId = (typeof restrictedControls)[number]['id'];
const byId = new Map(restrictedControls.map((c) => [c.id as ControlId, c]));

export const RESTRICTED_BANNER = 'Restricted by partner mode is on for this organisation: your partner manages some settings, and you may not be able to update some user, organisation and calling settings.';

const isCustomerAdmin = (actor: Actor) => actor.role === 'customer_admin';

/** A customer admin acts in their own organisation only. */
export function checkOrgScope(actor: Actor, orgId: string) {
  if (isCustomerAdmin(actor) && actor.customerOrgId !== orgId) {
    throw new AppError('FORBIDDEN', 'A customer administrator can only manage their own organisation.', { customerOrgId: orgId });
  }
}

/** Restricted when the actor is a customer admin of a restricted org: role rights − restrictions. */
export const isRestrictedFor = (actor: Actor, org: Pick<CustomerOrgRow, 'restricted'>) => isCustomerAdmin(actor) && org.restricted;

export function checkControls(actor: Actor, org: Pick<CustomerOrgRow, 'id' | 'restricted' | 'displayName'>, controls: ControlId[]) {
  checkOrgScope(actor, org.id);
  if (!isRestrictedFor(actor, org) || controls.length === 0) return;
  const denied = [...new Set(controls)].map((id) => byId.get(id)!);
  throw new AppError(
    'FORBIDDEN',
    `${denied.map((c) => `"${c.label}"`).join(', ')} ${denied.length > 1 ? 'are' : 'is'} restricted by your partner (restricted-by-partner mode is on for ${org.displayName}); only a partner administrator can change ${denied.length > 1 ? 'them' : 'it'}.`,
    { restrictedByPartner: true, controls: denied.map((c) => c.id) },
  );
}

/** Partner-only settings (release schedule, media configuration tags): never a customer admin's. */
export function checkPartnerOnly(actor: Actor, what: string[]) {
  if (isCustomerAdmin(actor) && what.length) {
    throw new AppError('FORBIDDEN', `Only a partner administrator can change ${what.join(', ')}.`, { partnerOnly: what });
  }
}

/** What the console shows: the banner and, per control, whether this actor may use it. */
export function accessFor(actor: Actor, org: Pick<CustomerOrgRow, 'id' | 'restricted' | 'displayName'>) {
  checkOrgScope(actor, org.id);
  const restricted = isRestrictedFor(actor, org);
  return {
    customerOrgId: org.id,
    restrictedByPartner: org.restricted,
    banner: restricted ? RESTRICTED_BANNER : null,
    controls: restrictedControls.map((c) => ({ id: c.id as string, section: c.section as string, label: c.label as string, allowed: !restricted, hidden: restricted && c.hidden })),
  };
}
