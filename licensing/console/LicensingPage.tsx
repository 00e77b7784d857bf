import { useState, type FormEvent } from 'react';
import { NavLink, Route, Routes, Link, useParams, useSearchParams } from 'react-router';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { request, type Page } from '../../platform/console/src/api.ts';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import { Pager } from '../../platform/console/src/components/Pager.tsx';
import { Time } from '../../platform/console/src/components/Time.tsx';
import { useCan } from '../../platform/console/src/session.tsx';

// The seed's Smart Licensing screens (HCM-F: Infrastructure Manager > Smart Licensing), nested
// under /licensing: Smart Account Summary, Configure Smart Account (with Transport), Virtual
// Account Summary / Edit with Assign, Cluster Summary, Jobs, License Dashboard.

type SmartAccount = {
  id: string;
  domain: string;
  name: string | null;
  clientId: string;
  hasClientSecret: boolean;
  transport: { mode: 'direct' | 'proxy' | 'satellite'; proxyHost: string | null; proxyPort: number | null; satelliteHost: string | null; satellitePort: number | null };
  authGatewayUrl: string;
  cssmServerUrl: string;
  status: string;
  virtualAccountCount: number;
  lastSyncAt: string | null;
  lastSyncJobId: string | null;
  alerts: Array<{ severity: string; message: string }>;
};
type VirtualAccount = { id: string; name: string; description: string; smartAccountName: string | null; domain: string; accessLevel: string; licenseMode: string | null; clusterCount: number; clusters?: Array<{ id: string; name: string; type: string; version: string; status: string }> };
type Cluster = { id: string; name: string; type: string; version: string; smartAccountName: string | null; virtualAccountName: string | null; virtualAccountId: string | null; status: string; jobStatus: string | null; lastOperationId: string | null };
type Operation = { id: string; jobType: string; entityType: string; entityName: string; description: string; status: string; progressInfo: Record<string, string>; errorDescription: string | null; recommendedAction: string | null; isRestartable: boolean; isCancelable: boolean; startedAt: string; finishedAt: string | null };

type OperationDetails = Operation & { progressPercent: number; progressMessage: string | null };

const base = '/api/v1/licensing';
const typeLabel = (t: string) => (t === 'CUCM' ? 'CUCM' : 'CUCXN');

function SubNav() {
  const links: Array<[string, string]> = [
    ['/licensing', 'Smart Account Summary'],
    ['/licensing/configure', 'Configure Smart Account'],
    ['/licensing/virtual-accounts', 'Virtual Account Summary'],
    ['/licensing/clusters', 'Cluster Summary'],
    ['/licensing/jobs', 'Jobs'],
  ];
  return (
    <nav className="filters" aria-label="Smart Licensing">
      {links.map(([to, label]) => (
        <NavLink key={to} to={to} end className={({ isActive }) => `button button-small${isActive ? ' button-primary' : ''}`}>
          {label}
        </NavLink>
      ))}
    </nav>
  );
}

function SmartAccountSummary() {
  const can = useCan();
  const client = useQueryClient();
  const list = useQuery({ queryKey: ['licensing', 'sa'], queryFn: () => request<Page<SmartAccount>>(`${base}/smart-accounts`, { query: { limit: 100 } }), refetchInterval: 5000 });
  const sync = useMutation({ mutationFn: (id: string) => request<{ jobId: string }>(`${base}/smart-accounts/${id}/sync`, { method: 'POST' }), onSuccess: () => client.invalidateQueries({ queryKey: ['licensing'] }) });
  const remove = useMutation({ mutationFn: (id: string) => request(`${base}/smart-accounts/${id}`, { method: 'DELETE' }), onSuccess: () => client.invalidateQueries({ queryKey: ['licensing'] }) });
  const confirmDelete = (sa: SmartAccount) =>
    window.confirm(`Delete Smart Account ${sa.name ?? sa.domain} (${sa.domain})?\n\nIts ${sa.virtualAccountCount} virtual accounts are removed from Switchboard; CSSM is not changed. It is refused while clusters are assigned to them.`) && remove.mutate(sa.id);
  return (
    <section className="section">
      <PageHeader title="Smart Account Summary" />
      <SubNav />
      {list.error ? <ErrorNotice error={list.error} /> : null}
      {sync.error ? <ErrorNotice error={sync.error} /> : null}
      {remove.error ? <ErrorNotice error={remove.error} /> : null}
      <div className="table-wrap">
        <table className="table" aria-label="Smart accounts">
          <thead><tr><th>Name</th><th>Domain</th><th>Type</th><th>Status</th><th className="numeric">VA#</th><th>Last SyncUp</th><th>Sync</th><th>Alerts</th><th /></tr></thead>
          <tbody>
            {list.data?.items.length === 0 && <tr><td colSpan={9} className="muted">No smart account yet. <Link to="/licensing/configure">Configure one.</Link></td></tr>}
            {list.data?.items.map((sa) => (
              <tr key={sa.id}>
                <td><Link to={`/licensing/virtual-accounts?smartAccountId=${sa.id}`}>{sa.name ?? sa.domain}</Link></td>
                <td>{sa.domain}</td>
                <td>{sa.transport.mode === 'satellite' ? 'Satellite' : 'CSSM'}</td>
                <td><span className={`badge badge-${sa.status === 'active' ? 'active' : sa.status === 'error' ? 'failed' : 'created'}`}>{sa.status}</span></td>
                <td className="numeric">{sa.virtualAccountCount}</td>
                <td><Time value={sa.lastSyncAt} /></td>
                <td>{sa.lastSyncJobId ? <SyncState jobId={sa.lastSyncJobId} name={sa.name ?? sa.domain} /> : null}</td>
                <td>{sa.alerts.map((a) => `${a.severity}: ${a.message}`).join('; ')}</td>
                <td className="actions">
                  {can('licensing.manage') && <button type="button" className="button button-small" onClick={() => sync.mutate(sa.id)} disabled={sync.isPending}>Perform Manual Sync</button>}
                  <Link className="button button-small" to={`/licensing/dashboard/${sa.id}`}>License Dashboard</Link>
                  <Link className="button button-small" to={`/licensing/configure/${sa.id}`}>Edit</Link>
                  {can('licensing.manage') && <button type="button" className="button button-small button-danger" onClick={() => confirmDelete(sa)} disabled={remove.isPending}>Delete</button>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** The latest sync of a smart account: a progress bar while it runs, then its outcome. */
function SyncState({ jobId, name }: { jobId: string; name: string }) {
  const client = useQueryClient();
  const job = useQuery({
    queryKey: ['licensing', 'job', jobId],
    queryFn: () => request<OperationDetails>(`${base}/jobs/${jobId}`),
    refetchInterval: (query) => (query.state.data?.status === 'IN_PROGRESS' ? 1000 : false),
  });
  const status = job.data?.status;
  const [seen, setSeen] = useState<string | undefined>(undefined);
  // When a sync ends, the account's counts and last sync time change too.
  if (status !== seen) {
    setSeen(status);
    if (seen === 'IN_PROGRESS') void client.invalidateQueries({ queryKey: ['licensing', 'sa'] });
  }
  const j = job.data;
  if (!j) return null;
  if (j.status === 'IN_PROGRESS') {
    return (
      <div className="sync-progress">
        <progress max={100} value={j.progressPercent} aria-label={`Sync of ${name}`} /> {j.progressPercent}%
        {j.progressMessage ? <div className="muted">{j.progressMessage}</div> : null}
      </div>
    );
  }
  return <Link to={`/licensing/jobs/${j.id}`}>{j.status === 'SUCCEEDED' ? 'Succeeded' : `Failed: ${j.errorDescription ?? ''}`}</Link>;
}

function ConfigureSmartAccount() {
  const { id } = useParams();
  const client = useQueryClient();
  const existing = useQuery({ queryKey: ['licensing', 'sa', id], queryFn: () => request<SmartAccount>(`${base}/smart-accounts/${id}`), enabled: Boolean(id) });
  const [form, setForm] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const value = (k: string, fallback = '') => form[k] ?? fallback;
  const set = (k: string) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const sa = existing.data;
  const mode = form.mode ?? sa?.transport.mode ?? 'direct';
  const save = useMutation({
    mutationFn: async () => {
      const transport = mode === 'proxy' ? { mode, host: value('proxyHost', sa?.transport.proxyHost ?? ''), port: Number(value('proxyPort', String(sa?.transport.proxyPort ?? ''))), ...(form.proxyUsername ? { username: form.proxyUsername, password: form.proxyPassword } : {}) } : mode === 'satellite' ? { mode, host: value('satelliteHost', sa?.transport.satelliteHost ?? ''), port: Number(value('satellitePort', String(sa?.transport.satellitePort ?? '8443'))) } : { mode };
      const body: Record<string, unknown> = { transport };
      for (const k of ['domain', 'clientId', 'clientSecret', 'name', 'authGatewayUrl', 'cssmServerUrl']) if (form[k]) body[k] = form[k];
      if (sa) return request<SmartAccount>(`${base}/smart-accounts/${sa.id}`, { method: 'PATCH', body });
      return request<{ syncJobId: string }>(`${base}/smart-accounts`, { method: 'POST', body });
    },
    onSuccess: () => {
      setMessage(sa ? 'Saved.' : 'Configured. Fetching all the Virtual Accounts may take up to an hour; its progress shows in the Smart Account Summary.');
      client.invalidateQueries({ queryKey: ['licensing'] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <section className="section">
      <PageHeader title="Configure Smart Account Access" />
      <SubNav />
      {save.error ? <ErrorNotice error={save.error} /> : null}
      {message ? <div className="notice notice-success" role="status">{message} <Link to="/licensing">Smart Account Summary</Link></div> : null}
      <form className="card form-grid" onSubmit={submit} aria-label="Configure smart account">
        <h2>General Information</h2>
        <label className="field">* Domain Name<input required={!sa} defaultValue={sa?.domain} onChange={set('domain')} /></label>
        <label className="field">* Client ID<input required={!sa} defaultValue={sa?.clientId} onChange={set('clientId')} /></label>
        <label className="field">* Client Secret<input type="password" required={!sa} placeholder={sa?.hasClientSecret ? '(stored — leave empty to keep)' : ''} onChange={set('clientSecret')} autoComplete="off" /></label>
        <label className="field">Smart Account Name<input defaultValue={sa?.name ?? ''} onChange={set('name')} /></label>
        <p className="hint">Note: Configuring Smart account will fetch all the Virtual Accounts, which can take up to an hour. Virtual Accounts which are synced from Satellite will be ignored.</p>
        <h2>Transport Settings</h2>
        <label className="field">Transport Mode
          <select value={mode} onChange={set('mode')}>
            <option value="direct">Direct</option>
            <option value="proxy">HTTP/HTTPS Proxy</option>
            <option value="satellite">Satellite / SSM On-Prem</option>
          </select>
        </label>
        {mode === 'proxy' && (
          <>
            <label className="field">Proxy Hostname/IP<input defaultValue={sa?.transport.proxyHost ?? ''} onChange={set('proxyHost')} /></label>
            <label className="field">Proxy Port<input inputMode="numeric" defaultValue={sa?.transport.proxyPort ?? ''} onChange={set('proxyPort')} /></label>
            <label className="field">Proxy Username (optional)<input onChange={set('proxyUsername')} /></label>
            <label className="field">Proxy Password<input type="password" onChange={set('proxyPassword')} autoComplete="off" /></label>
          </>
        )}
        {mode === 'satellite' && (
          <>
            <label className="field">Satellite Hostname<input defaultValue={sa?.transport.satelliteHost ?? ''} onChange={set('satelliteHost')} /></label>
            <label className="field">Satellite Port<input inputMode="numeric" defaultValue={sa?.transport.satellitePort ?? '8443'} onChange={set('satellitePort')} /></label>
          </>
        )}
        <label className="field">Authentication Gateway<input defaultValue={sa?.authGatewayUrl ?? 'https://cloudsso.cisco.com/as/token.oauth2'} onChange={set('authGatewayUrl')} /></label>
        <label className="field">CSSM Server<input defaultValue={sa?.cssmServerUrl ?? 'https://swapi.cisco.com/services/api/smart-accounts-and-licensing'} onChange={set('cssmServerUrl')} /></label>
        <p className="hint">Note: This proxy will only be used by Switchboard to communicate with CSSM.</p>
        <div className="actions"><button type="submit" className="button button-primary" disabled={save.isPending}>Save</button></div>
      </form>
    </section>
  );
}

function VirtualAccountSummary() {
  const [params] = useSearchParams();
  const [name, setName] = useState('');
  const [offset, setOffset] = useState(0);
  const smartAccountId = params.get('smartAccountId') ?? undefined;
  const list = useQuery({
    queryKey: ['licensing', 'va', smartAccountId, name, offset],
    queryFn: () => request<Page<VirtualAccount>>(`${base}/virtual-accounts`, { query: { smartAccountId, name, offset, limit: 50 } }),
    placeholderData: keepPreviousData,
  });
  return (
    <section className="section">
      <PageHeader title="Virtual Accounts" />
      <SubNav />
      <div className="filters">
        <label className="field">Filter by name<input value={name} onChange={(e) => { setName(e.target.value); setOffset(0); }} aria-label="Filter virtual accounts by name" /></label>
      </div>
      {list.error ? <ErrorNotice error={list.error} /> : null}
      <div className="table-wrap">
        <table className="table" aria-label="Virtual accounts">
          <thead><tr><th>Name</th><th>SA Name</th><th>Access Level</th><th>License Mode</th><th className="numeric">Clusters #</th></tr></thead>
          <tbody>
            {list.data?.items.map((va) => (
              <tr key={va.id}>
                <td><Link to={`/licensing/virtual-accounts/${va.id}`}>{va.name}</Link></td>
                <td>{va.smartAccountName}</td>
                <td>{va.accessLevel}</td>
                <td>{va.licenseMode ?? '—'}</td>
                <td className="numeric">{va.clusterCount}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {list.data && <p className="table-foot">{list.data.items.length} of {list.data.total} items shown</p>}
      {list.data && <Pager total={list.data.total} offset={offset} limit={50} onChange={setOffset} label="Virtual accounts" />}
    </section>
  );
}

function EditVirtualAccount() {
  const { id } = useParams();
  const can = useCan();
  const client = useQueryClient();
  const [picking, setPicking] = useState(false);
  const [picked, setPicked] = useState<string[]>([]);
  const [started, setStarted] = useState<Array<{ jobId: string; description: string; warning: string | null }>>([]);
  const va = useQuery({ queryKey: ['licensing', 'va', id], queryFn: () => request<VirtualAccount>(`${base}/virtual-accounts/${id}`), refetchInterval: 3000 });
  const free = useQuery({ queryKey: ['licensing', 'clusters', 'free'], queryFn: () => request<Page<Cluster>>(`${base}/clusters`, { query: { assigned: false, limit: 500 } }), enabled: picking });
  const mode = useMutation({ mutationFn: (licenseMode: string | null) => request(`${base}/virtual-accounts/${id}`, { method: 'PATCH', body: { licenseMode } }), onSuccess: () => client.invalidateQueries({ queryKey: ['licensing'] }) });
  const assign = useMutation({
    mutationFn: () => request<{ jobs: Array<{ jobId: string; description: string; warning: string | null }> }>(`${base}/virtual-accounts/${id}/assign`, { method: 'POST', body: { clusterIds: picked } }),
    onSuccess: (r) => {
      setStarted(r.jobs);
      setPicking(false);
      setPicked([]);
      client.invalidateQueries({ queryKey: ['licensing'] });
    },
  });
  const unassign = useMutation({ mutationFn: (clusterId: string) => request(`${base}/clusters/${clusterId}/unassign`, { method: 'POST' }), onSuccess: () => client.invalidateQueries({ queryKey: ['licensing'] }) });
  if (va.error) return <ErrorNotice error={va.error} />;
  const v = va.data;
  if (!v) return <p className="page-loading">Loading…</p>;
  return (
    <section className="section">
      <PageHeader title={`Edit Virtual Account - ${v.name}`} />
      <SubNav />
      {[mode.error, assign.error, unassign.error].map((e, i) => (e ? <ErrorNotice key={i} error={e} /> : null))}
      {started.length > 0 && (
        <div className="notice notice-info" role="status">
          {started.map((j) => (
            <div key={j.jobId}><Link to={`/licensing/jobs/${j.jobId}`}>{j.description}</Link>{j.warning ? ` — ${j.warning}` : ''}</div>
          ))}
        </div>
      )}
      <div className="card">
        <h2>General Information</h2>
        <dl className="facts">
          <dt>Name</dt><dd>{v.name}</dd>
          <dt>Description</dt><dd>{v.description}</dd>
          <dt>Smart Account Name</dt><dd>{v.smartAccountName}</dd>
          <dt>Domain Name</dt><dd>{v.domain}</dd>
          <dt>License Mode</dt>
          <dd>
            <select aria-label="License Mode" value={v.licenseMode ?? ''} disabled={!can('licensing.manage') || (v.clusters?.length ?? 0) > 0 || mode.isPending} title={(v.clusters?.length ?? 0) > 0 ? 'The license mode cannot change while clusters are assigned' : ''} onChange={(e) => mode.mutate(e.target.value || null)}>
              <option value="">— not set —</option>
              <option value="Enterprise">Enterprise</option>
              <option value="HCS">HCS</option>
              <option value="HCS-LE">HCS-LE</option>
            </select>
          </dd>
          <dt>Commercial Access Level</dt><dd>{v.accessLevel}</dd>
        </dl>
      </div>
      <div className="card">
        <h2>Clusters Assigned to {v.name}</h2>
        <p className="hint">Note: Assigning a cluster will cause the publisher node to restart automatically.</p>
        {can('licensing.manage') && (
          <div className="actions">
            <button type="button" className="button button-primary" onClick={() => setPicking(true)} disabled={!v.licenseMode} title={v.licenseMode ? '' : 'Set the License Mode first'}>Assign</button>
            <button type="button" className="button" onClick={() => client.invalidateQueries({ queryKey: ['licensing'] })}>Refresh</button>
          </div>
        )}
        <table className="table" aria-label="Assigned clusters">
          <thead><tr><th>Name</th><th>Type</th><th>Version</th><th>Status</th><th /></tr></thead>
          <tbody>
            {v.clusters?.length === 0 && <tr><td colSpan={5} className="muted">0 item</td></tr>}
            {v.clusters?.map((c) => (
              <tr key={c.id}>
                <td>{c.name}</td><td>{typeLabel(c.type)}</td><td>{c.version}</td><td>{c.status}</td>
                <td>{can('licensing.manage') && <button type="button" className="button button-small" onClick={() => unassign.mutate(c.id)}>Unassign</button>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {picking && (
        <div className="card" role="dialog" aria-label={`Assign Clusters to ${v.name}`}>
          <h2>Assign Clusters to {v.name}</h2>
          <p className="notice notice-info" role="note">Assigning a cluster restarts its publisher node automatically when its license mode changes (to {v.licenseMode}).</p>
          {free.data?.items.length === 0 && <p className="muted">Every cluster is assigned already. Add clusters in the Cluster Summary.</p>}
          {free.error ? <ErrorNotice error={free.error} /> : null}
          <table className="table" aria-label="Clusters to assign">
            <thead><tr><th /><th>Name</th><th>Type</th></tr></thead>
            <tbody>
              {free.data?.items.map((c) => (
                <tr key={c.id}>
                  <td><input type="checkbox" aria-label={`Select ${c.name}`} checked={picked.includes(c.id)} onChange={(e) => setPicked(e.target.checked ? [...picked, c.id] : picked.filter((p) => p !== c.id))} /></td>
                  <td>{c.name}</td><td>{typeLabel(c.type)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="actions">
            <button type="button" className="button button-primary" disabled={picked.length === 0 || assign.isPending} onClick={() => assign.mutate()}>Assign</button>
            <button type="button" className="button" onClick={() => setPicking(false)}>Cancel</button>
          </div>
        </div>
      )}
    </section>
  );
}

function ClusterSummary() {
  const [offset, setOffset] = useState(0);
  const list = useQuery({ queryKey: ['licensing', 'clusters', offset], queryFn: () => request<Page<Cluster>>(`${base}/clusters`, { query: { offset, limit: 50 } }), refetchInterval: 3000, placeholderData: keepPreviousData });
  return (
    <section className="section">
      <PageHeader title="Cluster Summary" />
      <SubNav />
      {list.error ? <ErrorNotice error={list.error} /> : null}
      <div className="table-wrap">
        <table className="table" aria-label="Clusters">
          <thead><tr><th>Name</th><th>Type</th><th>Version</th><th>Smart Account</th><th>Virtual Account</th><th>Status</th><th>Job Status</th></tr></thead>
          <tbody>
            {list.data?.items.map((c) => (
              <tr key={c.id}>
                <td>{c.name}</td>
                <td>{typeLabel(c.type)}</td>
                <td>{c.version}</td>
                <td>{c.smartAccountName ?? ''}</td>
                <td>{c.virtualAccountId ? <Link to={`/licensing/virtual-accounts/${c.virtualAccountId}`}>{c.virtualAccountName}</Link> : ''}</td>
                <td>{c.status}</td>
                <td>{c.lastOperationId ? <Link to={`/licensing/jobs/${c.lastOperationId}`}>{c.jobStatus}</Link> : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {list.data && <Pager total={list.data.total} offset={offset} limit={50} onChange={setOffset} label="Clusters" />}
    </section>
  );
}

function JobsView() {
  const [status, setStatus] = useState('');
  const [offset, setOffset] = useState(0);
  const list = useQuery({ queryKey: ['licensing', 'jobs', status, offset], queryFn: () => request<Page<Operation>>(`${base}/jobs`, { query: { status, offset, limit: 50 } }), refetchInterval: 2000, placeholderData: keepPreviousData });
  return (
    <section className="section">
      <PageHeader title="Jobs" />
      <SubNav />
      <div className="filters">
        <label className="field">Status
          <select value={status} onChange={(e) => { setStatus(e.target.value); setOffset(0); }}>
            <option value="">All</option><option value="IN_PROGRESS">In progress</option><option value="SUCCEEDED">Succeeded</option><option value="FAILED">Failed</option>
          </select>
        </label>
      </div>
      {list.error ? <ErrorNotice error={list.error} /> : null}
      <div className="table-wrap">
        <table className="table" aria-label="Licensing jobs">
          <thead><tr><th>Job Type</th><th>Description</th><th>Entity Type</th><th>Status</th><th>Date/Time Completed</th></tr></thead>
          <tbody>
            {list.data?.items.map((j) => (
              <tr key={j.id}>
                <td>{j.jobType}</td>
                <td><Link to={`/licensing/jobs/${j.id}`}>{j.description}</Link></td>
                <td>{j.entityType}</td>
                <td><span className={`badge badge-${j.status === 'SUCCEEDED' ? 'active' : j.status === 'FAILED' ? 'failed' : 'retry'}`}>{j.status}</span></td>
                <td><Time value={j.finishedAt} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {list.data && <Pager total={list.data.total} offset={offset} limit={50} onChange={setOffset} label="Jobs" />}
    </section>
  );
}

function JobDetails() {
  const { id } = useParams();
  const can = useCan();
  const client = useQueryClient();
  const job = useQuery({ queryKey: ['licensing', 'job', id], queryFn: () => request<OperationDetails>(`${base}/jobs/${id}`), refetchInterval: 1500 });
  const restart = useMutation({ mutationFn: () => request(`${base}/jobs/${id}/restart`, { method: 'POST' }), onSuccess: () => client.invalidateQueries({ queryKey: ['licensing'] }) });
  const cancel = useMutation({ mutationFn: () => request(`${base}/jobs/${id}/cancel`, { method: 'POST' }), onSuccess: () => client.invalidateQueries({ queryKey: ['licensing'] }) });
  if (job.error) return <ErrorNotice error={job.error} />;
  const j = job.data;
  if (!j) return <p className="page-loading">Loading…</p>;
  return (
    <section className="section">
      <PageHeader title="Job Details" />
      <SubNav />
      {restart.error ? <ErrorNotice error={restart.error} /> : null}
      {cancel.error ? <ErrorNotice error={cancel.error} /> : null}
      <div className="card">
        <dl className="facts">
          <dt>Job Type</dt><dd>{j.jobType}</dd>
          <dt>Entity Type</dt><dd>{j.entityType}</dd>
          <dt>Date/Time Initiated</dt><dd><Time value={j.startedAt} /></dd>
          <dt>Date/Time Completed</dt><dd><Time value={j.finishedAt} /></dd>
          <dt>Status</dt><dd>{j.status} ({j.progressPercent}%){j.status === 'IN_PROGRESS' && j.progressMessage ? ` — ${j.progressMessage}` : ''}</dd>
          <dt>Entity Name</dt><dd>{j.entityName}</dd>
          <dt>Description</dt><dd>{j.description}</dd>
          <dt>Status Information</dt>
          <dd>
            <table className="table" aria-label="Status Information">
              <thead><tr><th>Step</th><th>Status</th></tr></thead>
              <tbody>{Object.entries(j.progressInfo).map(([k, v]) => <tr key={k}><td>{k}</td><td>{v}</td></tr>)}</tbody>
            </table>
          </dd>
          {j.errorDescription && (<><dt>Error</dt><dd>{j.errorDescription}</dd></>)}
          <dt>Recommended Action</dt><dd>{j.recommendedAction ?? ''}</dd>
        </dl>
        {j.isRestartable && can('licensing.manage') && <button type="button" className="button button-primary" onClick={() => restart.mutate()} disabled={restart.isPending}>Restart</button>}
        {j.isCancelable && can('licensing.manage') && <button type="button" className="button" onClick={() => window.confirm('Cancel this job? Steps that passed are kept; it can be restarted.') && cancel.mutate()} disabled={cancel.isPending}>Cancel</button>}
      </div>
    </section>
  );
}

type Dashboard = {
  smartAccount: { name: string; domain: string };
  virtualAccounts: Array<{ name: string; compliance: string; licenses: Array<{ license: string; quantity: number; inUse: number; available: number; status: string }> }>;
  clusters: Array<{ id: string; name: string; type: string; virtualAccount: string; registered: boolean; compliance: string; usage: Array<{ license: string; inUse: number; status: string }> }>;
};

function LicenseDashboard() {
  const { id } = useParams();
  const data = useQuery({ queryKey: ['licensing', 'dashboard', id], queryFn: () => request<Dashboard>(`${base}/smart-accounts/${id}/dashboard`) });
  return (
    <section className="section">
      <PageHeader title="License Dashboard" />
      <SubNav />
      {data.error ? <ErrorNotice error={data.error} /> : null}
      {data.data?.virtualAccounts.length === 0 && <p className="muted">No cluster is assigned yet: usage appears per virtual account once clusters register.</p>}
      {data.data?.virtualAccounts.map((va) => (
        <div className="card" key={va.name}>
          <h2>{va.name} — {va.compliance}</h2>
          <table className="table" aria-label={`Licences of ${va.name}`}>
            <thead><tr><th>License</th><th className="numeric">Quantity</th><th className="numeric">In Use</th><th className="numeric">Available</th><th>Status</th></tr></thead>
            <tbody>{va.licenses.map((l) => <tr key={l.license}><td>{l.license}</td><td className="numeric">{l.quantity}</td><td className="numeric">{l.inUse}</td><td className="numeric">{l.available}</td><td>{l.status}</td></tr>)}</tbody>
          </table>
        </div>
      ))}
      {data.data && data.data.clusters.length > 0 && (
        <div className="card">
          <h2>Usage per cluster</h2>
          <table className="table" aria-label="Usage per cluster">
            <thead><tr><th>Cluster</th><th>Virtual Account</th><th>Usage</th><th>Compliance</th></tr></thead>
            <tbody>{data.data.clusters.map((c) => <tr key={c.id}><td>{c.name}</td><td>{c.virtualAccount}</td><td>{c.usage.map((u) => `${u.license}: ${u.inUse}`).join(', ')}</td><td>{c.compliance}</td></tr>)}</tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function LicensingPage() {
  return (
    <Routes>
      <Route index element={<SmartAccountSummary />} />
      <Route path="configure" element={<ConfigureSmartAccount />} />
      <Route path="configure/:id" element={<ConfigureSmartAccount />} />
      <Route path="virtual-accounts" element={<VirtualAccountSummary />} />
      <Route path="virtual-accounts/:id" element={<EditVirtualAccount />} />
      <Route path="clusters" element={<ClusterSummary />} />
      <Route path="jobs" element={<JobsView />} />
      <Route path="jobs/:id" element={<JobDetails />} />
      <Route path="dashboard/:id" element={<LicenseDashboard />} />
    </Routes>
  );
}
