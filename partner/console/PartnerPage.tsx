import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { request, type Page } from '../../platform/console/src/api.ts';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import { useActor } from '../../platform/console/src/session.tsx';
import { CustomerAdminPage } from './CustomerAdminPage.tsx';
import { CustomerRemoval } from './CustomerRemoval.tsx';
import { CustomerSettings, ReleaseSchedule } from './CustomerSettings.tsx';
import { TemplateForm, type TemplateFields } from './TemplateForm.tsx';
import { TrendsChart } from './TrendsChart.tsx';

// Partner Hub's screens for Webex for BroadWorks: analytics (P15), customers (P1), templates (P3)
// with their user status view (P5, P9), clusters (P4).

const packages = ['softphone', 'basic', 'standard', 'premium'] as const;
type Customer = { id: string; spEnterpriseId: string; displayName: string; restricted: boolean; packages: Record<string, number> };
type Template = { id: string; name: string; provisioningId: string; clusterId: string; defaultPackage: string; trustedEmails: boolean; allowSelfActivation: boolean; partnerAdminEmail: string };
type Cluster = { id: string; name: string; xsiActionsUrl: string; xsiEventsUrl: string; authServiceUrl: string; dndSync: boolean };
type StatusRow = { id: string; userId: string; firstName: string; lastName: string; email: string | null; package: string; status: string; errorText: string | null };

function Analytics() {
  const [settingsOf, setSettingsOf] = useState<Customer | null>(null);
  const [removing, setRemoving] = useState<Customer | null>(null);
  const analytics = useQuery({ queryKey: ['partner', 'analytics'], queryFn: () => request<{ usersPerPackage: Record<string, number>; customers: Customer[] }>('/api/v1/partner/analytics') });
  if (analytics.error) return <ErrorNotice error={analytics.error} />;
  const counts = analytics.data?.usersPerPackage ?? {};
  const max = Math.max(1, ...Object.values(counts));
  return (
    <section aria-labelledby="analytics">
      <h2 id="analytics">Users per package</h2>
      <div className="bar-chart" role="img" aria-label={packages.map((p) => `${p}: ${counts[p] ?? 0}`).join(', ')}>
        {packages.map((p) => (
          <div key={p} className="bar-row">
            <span className="bar-label">{p}</span>
            <span className="bar" style={{ display: 'inline-block', width: `${((counts[p] ?? 0) / max) * 60}%`, minWidth: 2, background: 'currentColor', height: '0.8em' }} />
            <span className="bar-value"> {counts[p] ?? 0}</span>
          </div>
        ))}
      </div>
      <TrendsChart />
      <h2>Customers</h2>
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Organisation</th>
            <th scope="col">Enterprise</th>
            <th scope="col">Restricted</th>
            {packages.map((p) => (
              <th key={p} scope="col">
                {p}
              </th>
            ))}
            <th scope="col" />
          </tr>
        </thead>
        <tbody>
          {(analytics.data?.customers ?? []).map((c) => (
            <tr key={c.id}>
              <td>{c.displayName}</td>
              <td>
                <code>{c.spEnterpriseId}</code>
              </td>
              <td>{c.restricted ? 'yes' : 'no'}</td>
              {packages.map((p) => (
                <td key={p}>{c.packages[p] ?? 0}</td>
              ))}
              <td>
                <button type="button" onClick={() => setSettingsOf(c)}>
                  Settings
                </button>{' '}
                <button type="button" onClick={() => setRemoving(c)}>
                  Detach or delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {removing && <CustomerRemoval key={removing.id} orgId={removing.id} name={removing.displayName} onClose={() => setRemoving(null)} />}
      {settingsOf && <CustomerSettings key={settingsOf.id} orgId={settingsOf.id} name={settingsOf.displayName} />}
    </section>
  );
}

function StatusView({ template }: { template: Template }) {
  const [excludeProvisioned, setExclude] = useState(false);
  const client = useQueryClient();
  const key = ['partner', 'status', template.id, excludeProvisioned];
  const rows = useQuery({
    queryKey: key,
    queryFn: () => request<Page<StatusRow>>(`/api/v1/partner/templates/${template.id}/users`, { query: { excludeProvisioned: excludeProvisioned ? 'true' : undefined, limit: 200 } }),
    // Provisioning and package changes finish in a job: follow them until they settle.
    refetchInterval: (query) => (query.state.data?.items.some((r) => r.status === 'provisioning' || r.status === 'updating') ? 2_000 : false),
  });
  const act = useMutation({
    mutationFn: (run: () => Promise<unknown>) => run(),
    onSettled: () => client.invalidateQueries({ queryKey: ['partner'] }),
  });
  return (
    <section aria-labelledby={`status-${template.id}`}>
      <h3 id={`status-${template.id}`}>User status — {template.name}</h3>
      <label>
        <input type="checkbox" checked={excludeProvisioned} onChange={(e) => setExclude(e.target.checked)} /> Exclude provisioned users
      </label>{' '}
      <a href={`/api/v1/partner/templates/${template.id}/users.csv${excludeProvisioned ? '?excludeProvisioned=true' : ''}`} download>
        Export CSV
      </a>
      {rows.error && <ErrorNotice error={rows.error} />}
      {act.error && <ErrorNotice error={act.error} />}
      <table className="table">
        <thead>
          <tr>
            <th scope="col">BroadWorks ID</th>
            <th scope="col">Name</th>
            <th scope="col">Package</th>
            <th scope="col">State</th>
            <th scope="col">Error</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {(rows.data?.items ?? []).map((row) => (
            <tr key={row.id}>
              <td>
                <code>{row.userId}</code>
              </td>
              <td>
                {row.firstName} {row.lastName}
              </td>
              <td>
                <select
                  aria-label={`Package of ${row.userId}`}
                  value={row.package}
                  onChange={(e) => {
                    // Read now: the mutation runs later, when React has put the controlled value back.
                    const pkg = e.target.value;
                    act.mutate(() => request(`/api/v1/partner/subscribers/${row.id}/package`, { method: 'POST', body: { package: pkg } }));
                  }}
                >
                  {packages.map((p) => (
                    <option key={p}>{p}</option>
                  ))}
                </select>
              </td>
              <td>{row.status}</td>
              <td>
                {row.errorText}
                {row.errorText && (
                  <button type="button" onClick={() => void navigator.clipboard?.writeText(row.errorText ?? '')}>
                    Copy error text
                  </button>
                )}
              </td>
              <td>
                {row.status !== 'provisioned' && row.status !== 'provisioning' && row.status !== 'updating' && (
                  <button
                    type="button"
                    onClick={() => {
                      const email = window.prompt('Email address for this user', row.email ?? '');
                      if (email) act.mutate(() => request(`/api/v1/partner/subscribers/${row.id}/retry`, { method: 'POST', body: { email } }));
                    }}
                  >
                    Retry onboarding
                  </button>
                )}
                <button type="button" onClick={() => window.confirm(`Delete ${row.userId}?`) && act.mutate(() => request(`/api/v1/partner/subscribers/${row.id}`, { method: 'DELETE' }))}>
                  Delete user
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** A customer admin sees their own org (Control Hub); partner admins see Partner Hub. */
export function PartnerPage() {
  const actor = useActor();
  return actor.role === 'customer_admin' && actor.customerOrgId ? <CustomerAdminPage orgId={actor.customerOrgId} /> : <PartnerHub />;
}

function PartnerHub() {
  const [editing, setEditing] = useState<TemplateFields | 'new' | null>(null);
  const templates = useQuery({ queryKey: ['partner', 'templates'], queryFn: () => request<{ items: Template[] }>('/api/v1/partner/templates') });
  const clusters = useQuery({ queryKey: ['partner', 'clusters'], queryFn: () => request<{ items: Cluster[] }>('/api/v1/partner/clusters') });
  const [selected, setSelected] = useState<string | null>(null);
  const template = templates.data?.items.find((t) => t.id === selected);
  return (
    <>
      <PageHeader title="Partner" />
      <Analytics />
      <ReleaseSchedule />
      <section aria-labelledby="templates">
        <h2 id="templates">Customer templates</h2>
        {templates.error && <ErrorNotice error={templates.error} />}
        <button type="button" onClick={() => setEditing('new')} disabled={!clusters.data?.items.length}>
          New template
        </button>
        {editing && (
          <TemplateForm key={editing === 'new' ? 'new' : editing.id} template={editing === 'new' ? undefined : editing} clusters={clusters.data?.items ?? []} onDone={() => setEditing(null)} />
        )}
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Provisioning ID</th>
              <th scope="col">Default package</th>
              <th scope="col">Emails</th>
              <th scope="col">Self-activation</th>
              <th scope="col" />
            </tr>
          </thead>
          <tbody>
            {(templates.data?.items ?? []).map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td>
                  <code>{t.provisioningId}</code>
                </td>
                <td>{t.defaultPackage}</td>
                <td>{t.trustedEmails ? 'trusted' : 'untrusted'}</td>
                <td>{t.allowSelfActivation ? <code>{`/self-activate/${t.provisioningId}`}</code> : 'off'}</td>
                <td>
                  <button type="button" onClick={() => setSelected(t.id)}>
                    User status
                  </button>{' '}
                  <button type="button" onClick={() => setEditing(t as unknown as TemplateFields)}>
                    Edit
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {template && <StatusView template={template} />}
      </section>
      <section aria-labelledby="clusters">
        <h2 id="clusters">BroadWorks clusters</h2>
        {clusters.error && <ErrorNotice error={clusters.error} />}
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">XSI actions</th>
              <th scope="col">XSI events</th>
              <th scope="col">Auth service</th>
            </tr>
          </thead>
          <tbody>
            {(clusters.data?.items ?? []).map((c) => (
              <tr key={c.id}>
                <td>{c.name}</td>
                <td>
                  <code>{c.xsiActionsUrl}</code>
                </td>
                <td>
                  <code>{c.xsiEventsUrl}</code>
                </td>
                <td>
                  <code>{c.authServiceUrl}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}
