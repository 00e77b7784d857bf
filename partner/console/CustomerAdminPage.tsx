import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { request } from '../../platform/console/src/api.ts';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import type { OrgSettingsView } from './CustomerSettings.tsx';

// What a customer admin sees (Control Hub for their own org): the restricted-by-partner banner
// (P14), the org's settings with restricted controls read-only or hidden, its users.

type Access = { restrictedByPartner: boolean; banner: string | null; controls: { id: string; section: string; label: string; allowed: boolean; hidden: boolean }[] };
type User = { id: string; email: string; displayName: string; isAdmin: boolean; package: string | null; freeCalling: boolean; webexAssistant: boolean };

/** The settings a customer admin edits here, and the restricted control guarding each (null: none). */
const fields: { key: string; label: string; control: string | null; kind: 'text' | 'bool' | string[] }[] = [
  { key: 'companyName', label: 'Company name', control: 'account.company-name', kind: 'text' },
  { key: 'domain', label: 'Domain', control: 'settings.domain', kind: 'text' },
  { key: 'authenticationMode', label: 'Authentication', control: 'settings.authentication', kind: ['broadworks', 'webex', 'sso'] },
  { key: 'directorySync', label: 'Directory synchronisation', control: 'users.directory-sync', kind: 'bool' },
  { key: 'autoLicense', label: 'Automatic licence assignment', control: 'users.auto-license', kind: 'bool' },
  { key: 'callBehavior', label: 'Call behaviour', control: 'calling.behavior', kind: ['webex_app', 'jabber', 'third_party'] },
  { key: 'pstnConnection', label: 'PSTN connection', control: 'calling.pstn', kind: ['none', 'local_gateway', 'cisco_pstn'] },
  { key: 'webexAssistant', label: 'Webex Assistant', control: null, kind: 'bool' },
];

export function CustomerAdminPage({ orgId }: { orgId: string }) {
  const client = useQueryClient();
  const access = useQuery({ queryKey: ['customer', orgId, 'access'], queryFn: () => request<Access>(`/api/v1/partner/customers/${orgId}/access`) });
  const settings = useQuery({ queryKey: ['customer', orgId, 'settings'], queryFn: () => request<OrgSettingsView>(`/api/v1/partner/customers/${orgId}/settings`) });
  const users = useQuery({ queryKey: ['customer', orgId, 'users'], queryFn: () => request<{ items: User[] }>(`/api/v1/partner/customers/${orgId}/users`) });
  const patch = useMutation({
    mutationFn: (body: Record<string, unknown>) => request(`/api/v1/partner/customers/${orgId}/settings`, { method: 'PATCH', body }),
    onSettled: () => client.invalidateQueries({ queryKey: ['customer', orgId] }),
  });
  const [email, setEmail] = useState('');
  const addUser = useMutation({
    mutationFn: () => request(`/api/v1/partner/customers/${orgId}/users`, { method: 'POST', body: { email } }),
    onSuccess: () => setEmail(''),
    onSettled: () => client.invalidateQueries({ queryKey: ['customer', orgId] }),
  });
  const allowed = (control: string | null) => control === null || (access.data?.controls.find((c) => c.id === control)?.allowed ?? false);
  const hidden = (control: string | null) => control !== null && (access.data?.controls.find((c) => c.id === control)?.hidden ?? false);
  const s = settings.data as Record<string, unknown> | undefined;
  return (
    <>
      <PageHeader title={`Organisation — ${settings.data?.companyName ?? ''}`} />
      {access.data?.banner && (
        <div className="notice notice-info" role="status" aria-label="Restricted by partner">
          <p className="notice-title">Restricted by partner</p>
          <p>{access.data.banner}</p>
        </div>
      )}
      <ErrorNotice error={access.error ?? settings.error ?? users.error ?? patch.error ?? addUser.error} />
      <section aria-labelledby="org-settings">
        <h2 id="org-settings">Organisation settings</h2>
        {s && (
          <div className="form">
            {fields
              .filter((f) => !hidden(f.control))
              .map((f) => {
                const disabled = !allowed(f.control);
                const value = s[f.key];
                return (
                  <label key={f.key}>
                    {f.kind === 'bool' ? (
                      <>
                        <input type="checkbox" checked={Boolean(value)} disabled={disabled} onChange={(e) => patch.mutate({ [f.key]: e.target.checked })} /> {f.label}
                      </>
                    ) : Array.isArray(f.kind) ? (
                      <>
                        {f.label}{' '}
                        <select value={String(value ?? '')} disabled={disabled} onChange={(e) => patch.mutate({ [f.key]: e.target.value })}>
                          {f.kind.map((o) => (
                            <option key={o}>{o}</option>
                          ))}
                        </select>
                      </>
                    ) : (
                      <>
                        {f.label}{' '}
                        <input
                          defaultValue={String(value ?? '')}
                          disabled={disabled}
                          onBlur={(e) => e.target.value !== String(value ?? '') && patch.mutate({ [f.key]: e.target.value || null })}
                        />
                      </>
                    )}
                    {disabled && <span className="muted"> (managed by your partner)</span>}
                  </label>
                );
              })}
          </div>
        )}
      </section>
      <section aria-labelledby="org-users">
        <h2 id="org-users">Users</h2>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            addUser.mutate();
          }}
        >
          <label>
            Email <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} disabled={!allowed('users.manage')} required />
          </label>{' '}
          <button type="submit" disabled={!allowed('users.manage')}>
            Add user
          </button>
        </form>
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Name</th>
              <th scope="col">Package</th>
              <th scope="col">Admin</th>
              <th scope="col">Free calling</th>
              <th scope="col">Webex Assistant</th>
            </tr>
          </thead>
          <tbody>
            {(users.data?.items ?? []).map((u) => (
              <tr key={u.id}>
                <td>{u.email}</td>
                <td>{u.displayName}</td>
                <td>{u.package ?? '—'}</td>
                <td>{u.isAdmin ? 'yes' : 'no'}</td>
                <td>{u.freeCalling ? 'on' : 'off'}</td>
                <td>{u.webexAssistant ? 'on' : 'off'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}
