import { Fragment, useState, type ReactNode } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, request, type Page } from '../../platform/console/src/api.ts';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { Time } from '../../platform/console/src/components/Time.tsx';
import { useCan } from '../../platform/console/src/session.tsx';

// The Lab's other simulators (S2–S5), each read from the server's in-memory simulator, not from
// Switchboard's own records of them: what the outside world holds right now.

type BwUser = { userId: string; serviceProviderId: string; groupId: string; firstName: string; lastName: string; email?: string; phoneNumber?: string; extension?: string; integratedImp: boolean };
type PsLogEntry = { at: string; action: string; userId: string; url: string; status: number; response: string };
type BwState = {
  baseUrl: string;
  state: { serviceProviders: Array<{ id: string; name: string; provisioningUrl: string | null; provisioningUserId: string | null; groups: Array<{ id: string; name: string }> }>; users: BwUser[]; psLog: PsLogEntry[] };
};
type Messages = {
  smtpPort: number;
  emails: Array<{ id: number; at: string; from: string; to: string[]; subject: string; text: string }>;
  texts: Array<{ id: number; at: string; to: string; text: string }>;
};
type WebexOrg = { id: string; name: string; userCount: number; userEmails: string[]; adminEmails: string[]; verifiedDomains: string[]; claimedDomains: string[]; licences: string; approvedPartnerAdmins: string[] };
type WebexIdentity = { id: string; email: string; displayName: string; kind: string; state: string; movedToOrgId: string | null; movedAt: string | null };
type Subscriber = { id: string; userId: string; email: string | null; spEnterpriseId: string; package: string; status: string; errorText: string | null };
type Template = { id: string; name: string };
type CssmFault = { kind: string; retryAfterSeconds?: number; status?: number; delayMs?: number };
type Cssm = {
  running: boolean;
  url: string | null;
  tokenUrl: string | null;
  apiCalls: number;
  fault: { fault: CssmFault; fromCall: number; includeTokenEndpoint: boolean } | null;
  smartAccounts: Array<{
    domain: string; name: string; id: number; accountType: string; virtualAccounts: number; satelliteSynced: number; privateAccounts: number; satellites: string[]; registrationTokens: number;
    devices: Array<{ hostname: string; productDescription: string; serialNumber: string; virtualAccount: string; registeredAt: string; usage: Record<string, number> }>;
    licenses: Array<{ virtualAccount: string; license: string; quantity: number; inUse: number }>;
  }>;
};
type UcFault = { kind: string; delayMs?: number };
type UcCluster = {
  name: string; type: string; version: string; publisherUrl: string; nodes: Array<{ name: string; url: string; role: string }>;
  deploymentMode: string; transportMode: string; transportUrl: string;
  registration: { status: string; smartAccount: string | null; virtualAccount: string | null; registeredAt: string | null; lastRenewal: string | null; exportControlled: string; failedReason: string | null };
  authorization: string; evaluationRemaining: string; rebooting: boolean; reboots: number; users: number; fault: UcFault;
};

const enc = encodeURIComponent;

/** A simulator whose area is not on this server answers 404 / 409: say so instead of an error box. */
function Unavailable({ error, what }: { error: unknown; what: string }) {
  if (error instanceof ApiError && (error.status === 404 || error.status === 409)) return <p className="muted">{what} is not running on this server (its area is off or the Lab is off).</p>;
  return <ErrorNotice error={error} />;
}

function Table({ label, head, children, empty, cols }: { label: string; head: string[]; children: ReactNode[]; empty: string; cols?: number }) {
  return (
    <div className="table-wrap">
      <table className="table" aria-label={label}>
        <thead><tr>{head.map((h) => <th key={h}>{h}</th>)}</tr></thead>
        <tbody>
          {children.length === 0 && <tr><td colSpan={cols ?? head.length} className="muted">{empty}</td></tr>}
          {children}
        </tbody>
      </table>
    </div>
  );
}

// ── S2: BroadWorks AS ──
export function BroadworksSection() {
  const can = useCan();
  const queryClient = useQueryClient();
  const bw = useQuery({ queryKey: ['lab', 'broadworks'], queryFn: () => request<BwState>('/api/v1/partner/lab/broadworks'), refetchInterval: 3000 });
  // Switchboard's side of the flow-through: the Lab template's subscribers (P1/P2).
  const templates = useQuery({ queryKey: ['lab', 'templates'], queryFn: () => request<{ items: Template[] }>('/api/v1/partner/templates'), enabled: can('partner.read') });
  const labTemplate = templates.data?.items.find((t) => t.name === 'Lab template');
  const subscribers = useQuery({
    queryKey: ['lab', 'subscribers', labTemplate?.id],
    queryFn: () => request<Page<Subscriber>>(`/api/v1/partner/templates/${enc(labTemplate!.id)}/users?limit=100`),
    enabled: !!labTemplate,
    refetchInterval: 3000,
  });
  const toggle = useMutation({
    mutationFn: ({ userId, isActive }: { userId: string; isActive: boolean }) => request<{ sent: boolean; status?: number }>(`/api/v1/partner/lab/broadworks/users/${enc(userId)}/integrated-imp`, { method: 'PUT', body: { isActive } }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['lab'] }),
  });
  if (bw.error) return <Unavailable error={bw.error} what="The BroadWorks AS simulator" />;
  if (!bw.data) return <p className="muted">Loading…</p>;
  const { serviceProviders, users, psLog } = bw.data.state;
  const groupName = (spId: string, groupId: string) => serviceProviders.find((sp) => sp.id === spId)?.groups.find((g) => g.id === groupId)?.name ?? groupId;
  return (
    <>
      <p className="muted">XSI and authentication service at <code>{bw.data.baseUrl}</code>. Turning a user's Integrated IM&amp;P on or off makes the AS send its flow-through request to Switchboard, as a real AS does.</p>
      {toggle.error && <ErrorNotice error={toggle.error} title="The Integrated IM&P service could not be changed" />}
      <h3>Service providers</h3>
      <Table label="Service providers" head={['Service provider', 'Name', 'Enterprises', 'Provisioning URL', 'Provisioning account']} empty="No service providers.">
        {serviceProviders.map((sp) => (
          <tr key={sp.id}>
            <td>{sp.id}</td>
            <td>{sp.name}</td>
            <td>{sp.groups.map((g) => `${g.name} (${g.id})`).join(', ')}</td>
            <td className="mono">{sp.provisioningUrl ?? '—'}</td>
            <td className="mono">{sp.provisioningUserId ?? '—'}</td>
          </tr>
        ))}
      </Table>
      <h3>Users</h3>
      <Table label="BroadWorks users" head={['User ID', 'Name', 'Enterprise', 'Email', 'Number', 'Integrated IM&P', 'Actions']} empty="No users.">
        {users.map((u) => (
          <tr key={u.userId}>
            <td className="mono">{u.userId}</td>
            <td>{u.firstName} {u.lastName}</td>
            <td>{groupName(u.serviceProviderId, u.groupId)}</td>
            <td>{u.email ?? ''}</td>
            <td className="nowrap">{u.phoneNumber ?? ''}{u.extension ? ` x${u.extension}` : ''}</td>
            <td>{u.integratedImp ? 'on' : 'off'}</td>
            <td>
              {can('lab.manage') && (
                <button type="button" className="button button-small" disabled={toggle.isPending} onClick={() => toggle.mutate({ userId: u.userId, isActive: !u.integratedImp })}>
                  {u.integratedImp ? 'Remove IM&P' : 'Assign IM&P'}
                </button>
              )}
            </td>
          </tr>
        ))}
      </Table>
      <h3>PSLog — flow-through requests and answers</h3>
      <Table label="PSLog" head={['Time', 'Action', 'User', 'URL', 'Status', 'Answer']} empty="The AS has sent no flow-through request yet.">
        {[...psLog].reverse().map((e, i) => (
          <tr key={`${e.at}-${i}`}>
            <td className="nowrap"><Time value={e.at} /></td>
            <td>{e.action}</td>
            <td className="mono">{e.userId}</td>
            <td className="mono">{e.url}</td>
            <td>{e.status}</td>
            <td className="mono">{e.response}</td>
          </tr>
        ))}
      </Table>
      {labTemplate && (
        <>
          <h3>Subscribers Switchboard provisioned from the Lab template</h3>
          {subscribers.error && <ErrorNotice error={subscribers.error} />}
          <Table label="Lab template subscribers" head={['BroadWorks user ID', 'Email', 'Enterprise', 'Package', 'Status', 'Error']} empty="No subscribers yet: assign Integrated IM&P to a user above.">
            {(subscribers.data?.items ?? []).map((s) => (
              <tr key={s.id}>
                <td className="mono">{s.userId}</td>
                <td>{s.email ?? ''}</td>
                <td className="mono">{s.spEnterpriseId}</td>
                <td>{s.package}</td>
                <td>{s.status}</td>
                <td>{s.errorText ?? ''}</td>
              </tr>
            ))}
          </Table>
        </>
      )}
    </>
  );
}

/** Message text with its http(s) links clickable (activation, validation, approval links). */
function LinkedText({ text }: { text: string }) {
  const parts = text.split(/(https?:\/\/[^\s<>"]+)/g);
  return (
    <pre className="json">
      {parts.map((part, i) =>
        i % 2 === 1 ? (
          <a key={i} href={part} target="_blank" rel="noreferrer">{part}</a>
        ) : (
          <Fragment key={i}>{part}</Fragment>
        ),
      )}
    </pre>
  );
}

// ── S2: mail catcher and SMS sink ──
export function MessagesSection() {
  const [open, setOpen] = useState<{ kind: 'email' | 'sms'; id: number } | null>(null);
  const messages = useQuery({ queryKey: ['lab', 'messages'], queryFn: () => request<Messages>('/api/v1/partner/lab/messages'), refetchInterval: 3000 });
  if (messages.error) return <Unavailable error={messages.error} what="The mail catcher" />;
  if (!messages.data) return <p className="muted">Loading…</p>;
  const { emails, texts, smtpPort } = messages.data;
  const email = open?.kind === 'email' ? emails.find((m) => m.id === open.id) : undefined;
  const sms = open?.kind === 'sms' ? texts.find((m) => m.id === open.id) : undefined;
  return (
    <>
      <p className="muted">Every email Switchboard sends in the Lab goes over real SMTP to the catcher on port {smtpPort}; texts go to the SMS sink. Newest first.</p>
      <h3>Emails ({emails.length})</h3>
      <Table label="Emails" head={['Time', 'To', 'Subject', '']} empty="No email caught yet.">
        {[...emails].reverse().map((m) => (
          <tr key={m.id}>
            <td className="nowrap"><Time value={m.at} /></td>
            <td>{m.to.join(', ')}</td>
            <td>{m.subject}</td>
            <td><button type="button" className="button button-small" aria-label={`Open email ${m.subject} to ${m.to.join(', ')}`} onClick={() => setOpen({ kind: 'email', id: m.id })}>Open</button></td>
          </tr>
        ))}
      </Table>
      {email && (
        <div className="section" aria-label="Open email" role="region">
          <h3>{email.subject}</h3>
          <p className="muted">From {email.from} to {email.to.join(', ')}, <Time value={email.at} /></p>
          <LinkedText text={email.text} />
        </div>
      )}
      <h3>Texts ({texts.length})</h3>
      <Table label="Texts" head={['Time', 'To', 'Text', '']} empty="No text received yet.">
        {[...texts].reverse().map((m) => (
          <tr key={m.id}>
            <td className="nowrap"><Time value={m.at} /></td>
            <td className="mono">{m.to}</td>
            <td>{m.text.length > 80 ? `${m.text.slice(0, 80)}…` : m.text}</td>
            <td><button type="button" className="button button-small" onClick={() => setOpen({ kind: 'sms', id: m.id })}>Open</button></td>
          </tr>
        ))}
      </Table>
      {sms && (
        <div className="section" aria-label="Open text" role="region">
          <h3>Text to {sms.to}</h3>
          <LinkedText text={sms.text} />
        </div>
      )}
    </>
  );
}

// ── S2: directory of pre-existing Webex identities and organisations (P6/P7) ──
export function WebexDirectorySection() {
  const orgs = useQuery({ queryKey: ['lab', 'webex-orgs'], queryFn: () => request<{ items: WebexOrg[] }>('/api/v1/partner/lab/webex-orgs'), refetchInterval: 5000 });
  const identities = useQuery({ queryKey: ['lab', 'webex-identities'], queryFn: () => request<{ items: WebexIdentity[] }>('/api/v1/partner/lab/webex-identities'), refetchInterval: 5000 });
  return (
    <>
      <p className="muted">What already exists in Webex before a partner onboards a user or customer: accounts a subscriber's email may already own (P6) and organisations a customer may already have (P7).</p>
      <h3>Organisations</h3>
      {orgs.error ? <Unavailable error={orgs.error} what="The Webex directory" /> : (
        <Table label="Webex organisations" head={['Organisation', 'Users', 'Admins', 'Verified domains', 'Claimed domains', 'Licences', 'Approved partner admins']} empty="No organisations in the directory.">
          {(orgs.data?.items ?? []).map((o) => (
            <tr key={o.id}>
              <td>{o.name}</td>
              <td className="numeric">{o.userCount}</td>
              <td>{o.adminEmails.join(', ')}</td>
              <td>{o.verifiedDomains.join(', ')}</td>
              <td>{o.claimedDomains.join(', ')}</td>
              <td>{o.licences}</td>
              <td>{o.approvedPartnerAdmins.join(', ')}</td>
            </tr>
          ))}
        </Table>
      )}
      <h3>Identities</h3>
      {identities.error ? <Unavailable error={identities.error} what="The Webex directory" /> : (
        <Table label="Webex identities" head={['Email', 'Name', 'Account', 'State', 'Moved']} empty="No identities in the directory.">
          {(identities.data?.items ?? []).map((i) => (
            <tr key={i.id}>
              <td>{i.email}</td>
              <td>{i.displayName}</td>
              <td>{i.kind}</td>
              <td>{i.state}</td>
              <td>{i.movedAt ? <Time value={i.movedAt} /> : ''}</td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}

const cssmFaults: Array<{ label: string; fault: CssmFault }> = [
  { label: '401 unauthorized', fault: { kind: 'unauthorized' } },
  { label: '429 rate limited', fault: { kind: 'rate-limited', retryAfterSeconds: 30 } },
  { label: '503 unavailable', fault: { kind: 'server-error', status: 503 } },
  { label: 'Slow 5 s', fault: { kind: 'slow', delayMs: 5000 } },
  { label: 'Down', fault: { kind: 'down' } },
];

function describeCssmFault(f: CssmFault): string {
  if (f.kind === 'none') return 'none';
  if (f.kind === 'rate-limited') return `429, Retry-After ${f.retryAfterSeconds} s`;
  if (f.kind === 'server-error') return `HTTP ${f.status}`;
  if (f.kind === 'slow') return `slow (${f.delayMs} ms)`;
  if (f.kind === 'unauthorized') return '401 on every API call';
  if (f.kind === 'forbidden') return '403 on every API call';
  return f.kind;
}

// ── S3: CSSM ──
export function CssmSection() {
  const can = useCan();
  const queryClient = useQueryClient();
  const cssm = useQuery({ queryKey: ['lab', 'cssm'], queryFn: () => request<Cssm>('/api/v1/lab/cssm'), refetchInterval: 3000 });
  const change = useMutation({
    mutationFn: (fault: CssmFault | null) => request('/api/v1/lab/cssm/fault', fault ? { method: 'PUT', body: { fault } } : { method: 'DELETE' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['lab', 'cssm'] }),
  });
  if (cssm.error) return <ErrorNotice error={cssm.error} />;
  if (!cssm.data) return <p className="muted">Loading…</p>;
  if (!cssm.data.running) return <p className="muted">The CSSM simulator is not running on this server (it starts with the Licensing area when the Lab is on).</p>;
  const { fault } = cssm.data;
  return (
    <>
      <p className="muted">OAuth2 token endpoint <code>{cssm.data.tokenUrl}</code>; API at <code>{cssm.data.url}</code>; {cssm.data.apiCalls} API calls so far.</p>
      {change.error && <ErrorNotice error={change.error} title="The fault could not be changed" />}
      <div className="actions" aria-label="CSSM faults" role="group">
        <span>Fault: <strong data-testid="cssm-fault">{fault ? describeCssmFault(fault.fault) : 'none'}</strong></span>
        {can('lab.manage') && cssmFaults.map((f) => (
          <button key={f.label} type="button" className="button button-small" aria-pressed={fault?.fault.kind === f.fault.kind} disabled={change.isPending} onClick={() => change.mutate(f.fault)}>{f.label}</button>
        ))}
        {can('lab.manage') && <button type="button" className="button button-small button-primary" disabled={change.isPending} onClick={() => change.mutate(null)}>Clear CSSM fault</button>}
      </div>
      {cssm.data.smartAccounts.map((sa) => (
        <div className="section" key={sa.domain}>
          <h3>Smart account {sa.name}</h3>
          <Table label={`Smart account ${sa.name}`} head={['Domain', 'Account ID', 'Type', 'Virtual accounts', 'Satellite-synced', 'Private', 'Registration tokens']} empty="">
            {[
              <tr key="sa">
                <td className="mono">{sa.domain}</td>
                <td>{sa.id}</td>
                <td>{sa.accountType}</td>
                <td className="numeric">{sa.virtualAccounts}</td>
                <td className="numeric" title={`On ${sa.satellites.join(', ')}: ignored by the sync (L2)`}>{sa.satelliteSynced}</td>
                <td className="numeric">{sa.privateAccounts}</td>
                <td className="numeric">{sa.registrationTokens}</td>
              </tr>,
            ]}
          </Table>
          <h4>Registered product instances</h4>
          <Table label={`Registered devices of ${sa.name}`} head={['Host', 'Product', 'Serial number', 'Virtual account', 'Registered', 'Licences requested']} empty="No product instance registered yet: assign a cluster to a virtual account in Licensing.">
            {sa.devices.map((d) => (
              <tr key={d.serialNumber}>
                <td>{d.hostname}</td>
                <td>{d.productDescription}</td>
                <td className="mono">{d.serialNumber}</td>
                <td>{d.virtualAccount}</td>
                <td className="nowrap"><Time value={d.registeredAt} /></td>
                <td>{Object.entries(d.usage).map(([k, v]) => `${k} ${v}`).join(', ')}</td>
              </tr>
            ))}
          </Table>
          <h4>Licence usage</h4>
          <Table label={`Licence usage of ${sa.name}`} head={['Virtual account', 'Licence', 'Owned', 'In use', 'Balance']} empty="No licences.">
            {sa.licenses.map((l) => (
              <tr key={`${l.virtualAccount}/${l.license}`}>
                <td>{l.virtualAccount}</td>
                <td className="mono">{l.license}</td>
                <td className="numeric">{l.quantity}</td>
                <td className="numeric">{l.inUse}</td>
                <td className="numeric">{l.quantity - l.inUse}</td>
              </tr>
            ))}
          </Table>
        </div>
      ))}
    </>
  );
}

const ucFaults: Array<{ label: string; fault: UcFault }> = [
  { label: 'Down', fault: { kind: 'down' } },
  { label: '500 error', fault: { kind: 'server-error' } },
  { label: 'Slow 5 s', fault: { kind: 'slow', delayMs: 5000 } },
];

// ── S4: CUCM / Unity Connection ──
export function UcSection() {
  const can = useCan();
  const queryClient = useQueryClient();
  const uc = useQuery({ queryKey: ['lab', 'uc'], queryFn: () => request<{ running: boolean; clusters: UcCluster[] }>('/api/v1/lab/uc'), refetchInterval: 3000 });
  const change = useMutation({
    mutationFn: ({ cluster, fault }: { cluster: string; fault: UcFault | null }) => request(`/api/v1/lab/uc/${enc(cluster)}/fault`, fault ? { method: 'PUT', body: fault } : { method: 'DELETE' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['lab', 'uc'] }),
  });
  if (uc.error) return <ErrorNotice error={uc.error} />;
  if (!uc.data) return <p className="muted">Loading…</p>;
  if (!uc.data.running) return <p className="muted">No CUCM or Unity Connection simulator is running on this server (they start with the Licensing area when the Lab is on).</p>;
  return (
    <>
      {change.error && <ErrorNotice error={change.error} title="The fault could not be changed" />}
      {uc.data.clusters.map((c) => (
        <div className="section" key={c.name}>
          <h3>{c.type === 'CUCM' ? 'Unified CM' : 'Unity Connection'} — {c.name}</h3>
          <p className="muted">Version {c.version}; {c.users} users; transport {c.transportMode} ({c.transportUrl}){c.rebooting ? '; the publisher is restarting after a licensing mode change' : ''}.</p>
          <Table label={`Nodes of ${c.name}`} head={['Node', 'Role', 'URL', 'Licensing mode', 'Registration', 'Smart account / virtual account', 'Authorization', 'Fault']} empty="No nodes.">
            {c.nodes.map((n) => (
              <tr key={n.name}>
                <td>{n.name}</td>
                <td>{n.role}</td>
                <td className="mono">{n.url}</td>
                <td>{c.deploymentMode}</td>
                <td>{c.registration.status}{c.registration.failedReason ? ` (${c.registration.failedReason})` : ''}</td>
                <td>{c.registration.smartAccount ? `${c.registration.smartAccount} / ${c.registration.virtualAccount}` : '—'}</td>
                <td>{c.authorization}{c.authorization === 'Evaluation Mode' ? ` (${c.evaluationRemaining} left)` : ''}</td>
                <td>{c.fault.kind === 'slow' ? `slow (${c.fault.delayMs} ms)` : c.fault.kind}</td>
              </tr>
            ))}
          </Table>
          {can('lab.manage') && (
            <div className="actions" role="group" aria-label={`Faults of ${c.name}`}>
              {ucFaults.map((f) => (
                <button key={f.label} type="button" className="button button-small" aria-pressed={c.fault.kind === f.fault.kind} disabled={change.isPending} onClick={() => change.mutate({ cluster: c.name, fault: f.fault })}>{f.label}</button>
              ))}
              <button type="button" className="button button-small button-primary" disabled={change.isPending} onClick={() => change.mutate({ cluster: c.name, fault: null })}>Clear fault</button>
            </div>
          )}
        </div>
      ))}
    </>
  );
}
