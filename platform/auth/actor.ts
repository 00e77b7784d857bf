import type { Role } from './roles.ts';

/** Who is acting: a signed-in user, an API token, or Switchboard itself (scheduler, jobs). */
export type Actor = {
  type: 'user' | 'token' | 'system';
  id: string | null;
  name: string;
  role: Role | 'system';
  /** Customer admins act inside one customer organisation only. */
  customerOrgId: string | null;
};

export const systemActor = (name = 'switchboard'): Actor => ({
  type: 'system',
  id: null,
  name,
  role: 'system',
  customerOrgId: null,
});
