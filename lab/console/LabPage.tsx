import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { request } from '../../platform/console/src/api.ts';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import { useCan } from '../../platform/console/src/session.tsx';
import { BroadworksSection, CssmSection, MessagesSection, UcSection, WebexDirectorySection } from './LabSimulators.tsx';

type Faults = { down?: boolean; hang?: boolean; slowMs?: number; busy?: boolean; unauthorized?: boolean; malformedXml?: boolean; pageCap?: number; failNext?: unknown[] };
type LabNode = { name: string; callBridgeId: string; baseUrl: string; advertisedAddress: string; up: boolean; faults: Faults };
type Variance = { advertiseScheme?: 'http' | 'https' | null; cdrs?: boolean; pageCap?: number | null; forgetBulkSyncsOnRestart?: boolean };
type LabOverview = { enabled: boolean; cms: Array<{ name: string; username: string; settings: Variance; nodes: LabNode[] }> };

// How a real cluster may differ from the Lab's default one (the API takes any page cap).
const varianceSwitches: Array<{ label: string; on: (v: Variance) => boolean; toggle: (v: Variance) => Variance }> = [
  { label: 'Advertise https', on: (v) => v.advertiseScheme === 'https', toggle: (v) => ({ advertiseScheme: v.advertiseScheme === 'https' ? null : 'https' }) },
  { label: 'Advertise http', on: (v) => v.advertiseScheme === 'http', toggle: (v) => ({ advertiseScheme: v.advertiseScheme === 'http' ? null : 'http' }) },
  { label: 'CDRs off', on: (v) => v.cdrs === false, toggle: (v) => ({ cdrs: v.cdrs === false }) },
  { label: 'Page cap 3', on: (v) => v.pageCap === 3, toggle: (v) => ({ pageCap: v.pageCap === 3 ? null : 3 }) },
  { label: 'Forget bulk syncs on restart', on: (v) => !!v.forgetBulkSyncsOnRestart, toggle: (v) => ({ forgetBulkSyncsOnRestart: !v.forgetBulkSyncsOnRestart }) },
];

function describeVariance(v: Variance): string {
  const parts = [
    v.advertiseScheme ? `node addresses advertised as ${v.advertiseScheme}` : 'node addresses advertised as reached',
    v.cdrs === false ? 'no CDRs sent' : 'CDRs sent',
    `page cap ${v.pageCap ?? 10}`,
    v.forgetBulkSyncsOnRestart ? 'bulk syncs forgotten on restart' : 'bulk syncs kept on restart',
  ];
  return parts.join('; ');
}
type TraceEntry = { n: number; at: string; method: string; path: string; status?: number; size?: number; location?: string; requestBody?: string; fault?: string };

// The switches a tester flips most (S5); the API takes the full fault set.
const faultSwitches: Array<{ label: string; patch: Faults; on: (f: Faults) => boolean }> = [
  { label: 'Down', patch: { down: true }, on: (f) => !!f.down },
  { label: 'Hang', patch: { hang: true }, on: (f) => !!f.hang },
  { label: 'Slow 2 s', patch: { slowMs: 2000 }, on: (f) => (f.slowMs ?? 0) > 0 },
  { label: '503 busy', patch: { busy: true }, on: (f) => !!f.busy },
  { label: '401 always', patch: { unauthorized: true }, on: (f) => !!f.unauthorized },
  { label: 'Malformed XML', patch: { malformedXml: true }, on: (f) => !!f.malformedXml },
];

function activeFaults(faults: Faults): string {
  const names = faultSwitches.filter((s) => s.on(faults)).map((s) => s.label);
  if (faults.pageCap) names.push(`page cap ${faults.pageCap}`);
  if (faults.failNext?.length) names.push(`${faults.failNext.length} scripted failure(s)`);
  return names.length ? names.join(', ') : 'none';
}

function Trace({ cluster, node }: { cluster: string; node: string }) {
  const trace = useQuery({
    queryKey: ['lab', 'trace', cluster, node],
    queryFn: () => request<{ entries: TraceEntry[] }>(`/api/v1/lab/cms/${encodeURIComponent(cluster)}/nodes/${encodeURIComponent(node)}/trace`),
    refetchInterval: 2000,
  });
  if (trace.error) return <ErrorNotice error={trace.error} />;
  const entries = [...(trace.data?.entries ?? [])].reverse().slice(0, 100);
  return (
    <div className="table-wrap">
      <table className="table" aria-label={`API trace of ${node}`}>
        <thead>
          <tr><th>#</th><th>Time (UTC)</th><th>Request</th><th>Form body</th><th>Status</th><th>Size</th><th>Location</th><th>Fault</th></tr>
        </thead>
        <tbody>
          {entries.length === 0 && (
            <tr><td colSpan={8} className="muted">No API requests yet.</td></tr>
          )}
          {entries.map((e) => (
            <tr key={e.n}>
              <td>{e.n}</td>
              <td className="nowrap mono">{e.at.replace('T', ' ').replace(/\.\d+Z$/, '')}</td>
              <td className="mono">{e.method} {e.path}</td>
              <td className="mono">{e.requestBody ?? ''}</td>
              <td>{e.status ?? '—'}</td>
              <td>{e.size ?? ''}</td>
              <td className="mono">{e.location ?? ''}</td>
              <td>{e.fault ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// One tab per simulator family (S1–S4); CMS first, it is what Meetings drives.
const tabs = [
  { id: 'cms', label: 'CMS', render: () => <CmsSection /> },
  { id: 'broadworks', label: 'BroadWorks AS', render: () => <BroadworksSection /> },
  { id: 'messages', label: 'Mail and SMS', render: () => <MessagesSection /> },
  { id: 'webex', label: 'Webex directory', render: () => <WebexDirectorySection /> },
  { id: 'cssm', label: 'CSSM', render: () => <CssmSection /> },
  { id: 'uc', label: 'CUCM / Unity Connection', render: () => <UcSection /> },
] as const;

export function LabPage() {
  const [tab, setTab] = useState<(typeof tabs)[number]['id']>('cms');
  const current = tabs.find((t) => t.id === tab)!;
  return (
    <>
      <PageHeader title="Lab" />
      <p className="page-intro">Wire-faithful simulators of the systems Switchboard manages, running inside this server on loopback. Break them on purpose to see how Switchboard copes.</p>
      <div className="actions" role="tablist" aria-label="Simulators">
        {tabs.map((t) => (
          <button key={t.id} type="button" role="tab" id={`lab-tab-${t.id}`} aria-selected={t.id === tab} aria-controls={`lab-panel-${t.id}`} className={t.id === tab ? 'button button-primary' : 'button'} onClick={() => setTab(t.id)}>
            {t.label}
          </button>
        ))}
      </div>
      <section className="card" role="tabpanel" id={`lab-panel-${current.id}`} aria-labelledby={`lab-tab-${current.id}`}>
        <h2>{current.label}</h2>
        {current.render()}
      </section>
    </>
  );
}

function CmsSection() {
  const can = useCan();
  const queryClient = useQueryClient();
  const [selected, setSelected] = useState<{ cluster: string; node: string } | null>(null);
  const overview = useQuery({ queryKey: ['lab'], queryFn: () => request<LabOverview>('/api/v1/lab'), refetchInterval: 3000 });
  const change = useMutation({
    mutationFn: ({ cluster, node, patch }: { cluster: string; node: string; patch: Faults | null }) =>
      request<Faults>(`/api/v1/lab/cms/${encodeURIComponent(cluster)}/nodes/${encodeURIComponent(node)}/faults`, patch ? { method: 'PUT', body: patch } : { method: 'DELETE' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['lab'] }),
  });
  const settings = useMutation({
    mutationFn: ({ cluster, patch }: { cluster: string; patch: Variance }) => request<Variance>(`/api/v1/lab/cms/${encodeURIComponent(cluster)}/settings`, { method: 'PUT', body: patch }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['lab'] }),
  });
  const restart = useMutation({
    mutationFn: ({ cluster, node }: { cluster: string; node: string }) => request(`/api/v1/lab/cms/${encodeURIComponent(cluster)}/nodes/${encodeURIComponent(node)}/restart`, { method: 'POST' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['lab'] }),
  });

  return (
    <>
      {overview.error && <ErrorNotice error={overview.error} />}
      {change.error && <ErrorNotice error={change.error} title="The fault could not be changed" />}
      {settings.error && <ErrorNotice error={settings.error} title="The setting could not be changed" />}
      {restart.error && <ErrorNotice error={restart.error} title="The node could not be restarted" />}
      {overview.data && !overview.data.enabled && (
        <div><p>The Lab is off on this server (it starts by default with the embedded database; set <code>SWITCHBOARD_LAB=true</code> to start it).</p></div>
      )}
      {overview.data?.cms.map((cluster) => (
        <section className="section" key={cluster.name} aria-labelledby={`cluster-${cluster.name}`}>
          <h3 id={`cluster-${cluster.name}`}>Cisco Meeting Server — {cluster.name}</h3>
          <p className="muted">API user <code>{cluster.username}</code>; {cluster.nodes.length === 1 ? 'a single call bridge' : `a cluster of ${cluster.nodes.length} call bridges sharing one space database`}.</p>
          <p aria-label={`Settings of ${cluster.name}`}>Behaviour: {describeVariance(cluster.settings)}.</p>
          {can('lab.manage') && (
            <div className="actions" aria-label={`Change the behaviour of ${cluster.name}`}>
              {varianceSwitches.map((s) => (
                <button key={s.label} type="button" className="button button-small" aria-pressed={s.on(cluster.settings)} disabled={settings.isPending} onClick={() => settings.mutate({ cluster: cluster.name, patch: s.toggle(cluster.settings) })}>
                  {s.label}
                </button>
              ))}
            </div>
          )}
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr><th>Call bridge</th><th>API</th><th>Advertised in /callBridges</th><th>State</th><th>Faults</th><th>Actions</th></tr>
              </thead>
              <tbody>
                {cluster.nodes.map((node) => (
                  <tr key={node.name}>
                    <td>{node.name}</td>
                    <td className="mono">{node.baseUrl}/api/v1</td>
                    <td className="mono">{node.advertisedAddress}</td>
                    <td>{node.up ? 'listening' : 'down'}</td>
                    <td>{activeFaults(node.faults)}</td>
                    <td>
                      <div className="actions">
                        {can('lab.manage') &&
                          faultSwitches.map((s) => (
                            <button key={s.label} type="button" className="button button-small" aria-pressed={s.on(node.faults)} disabled={change.isPending} onClick={() => change.mutate({ cluster: cluster.name, node: node.name, patch: s.patch })}>
                              {s.label}
                            </button>
                          ))}
                        {can('lab.manage') && (
                          <button type="button" className="button button-small button-primary" disabled={change.isPending} onClick={() => change.mutate({ cluster: cluster.name, node: node.name, patch: null })}>
                            Clear faults
                          </button>
                        )}
                        {can('lab.manage') && (
                          <button type="button" className="button button-small" disabled={restart.isPending} onClick={() => restart.mutate({ cluster: cluster.name, node: node.name })}>
                            Restart
                          </button>
                        )}
                        <button type="button" className="button button-small" onClick={() => setSelected({ cluster: cluster.name, node: node.name })}>
                          API trace
                        </button>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {selected?.cluster === cluster.name && (
            <div className="section">
              <h4>API trace of {selected.node}</h4>
              <p className="muted">Passcodes and secrets are shown as *****. Newest first; refreshes every 2 s.</p>
              <Trace cluster={selected.cluster} node={selected.node} />
            </div>
          )}
        </section>
      ))}
    </>
  );
}
