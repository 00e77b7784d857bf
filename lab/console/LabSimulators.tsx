import { Fragment, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Badge, Button, Code, Paper, Text, Title } from '@mantine/core';
import { ApiError, request, type Page } from '../../platform/console/src/api.ts';
import { DataTable, type Column } from '../../platform/console/src/components/DataTable.tsx';
import { EmptyState } from '../../platform/console/src/components/EmptyState.tsx';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { notifyError, notifySuccess } from '../../platform/console/src/components/feedback.tsx';
import { Time, TimeZoneNote } from '../../platform/console/src/components/Time.tsx';
import { useCan } from '../../platform/console/src/session.tsx';
import { enc } from './lab-api.ts';

// S2: the BroadWorks AS with its mail catcher and SMS sink, and the directory of pre-existing Webex
// accounts — started by the Partner area, read from the server's in-memory simulators, not from
// Switchboard's own records of them: what the outside world holds right now.

type BwUser = { userId: string; serviceProviderId: string; groupId: string; firstName: string; lastName: string; email?: string; phoneNumber?: string; extension?: string; integratedImp: boolean };
type PsLogEntry = { at: string; action: string; userId: string; url: string; status: number; response: string };
type ServiceProvider = { id: string; name: string; provisioningUrl: string | null; provisioningUserId: string | null; groups: Array<{ id: string; name: string }> };
type BwState = { baseUrl: string; state: { serviceProviders: ServiceProvider[]; users: BwUser[]; psLog: PsLogEntry[] } };
type Email = { id: number; at: string; from: string; to: string[]; subject: string; text: string };
type Sms = { id: number; at: string; to: string; text: string };
type Messages = { smtpPort: number; emails: Email[]; texts: Sms[] };
type WebexOrg = { id: string; name: string; userCount: number; userEmails: string[]; adminEmails: string[]; verifiedDomains: string[]; claimedDomains: string[]; licences: string; approvedPartnerAdmins: string[] };
type WebexIdentity = { id: string; email: string; displayName: string; kind: string; state: string; movedToOrgId: string | null; movedAt: string | null };
type Subscriber = { id: string; userId: string; email: string | null; spEnterpriseId: string; package: string; status: string; errorText: string | null };
type Template = { id: string; name: string };

/** A simulator whose area is not on this server answers 404 / 409: say so instead of an error box. */
function Unavailable({ error, what }: { error: unknown; what: string }) {
  if (error instanceof ApiError && (error.status === 404 || error.status === 409)) {
    return <EmptyState title={`${what} is not running on this server`}>It starts with the Partner area when the Lab is on: start Switchboard with the Partner area and <code>SWITCHBOARD_LAB=true</code>.</EmptyState>;
  }
  return <ErrorNotice error={error} />;
}

const mono = (text: string | null | undefined) => <Text ff="monospace" size="sm">{text ?? '—'}</Text>;

function BroadworksAs() {
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
    onSuccess: (result, { userId, isActive }) =>
      notifySuccess(result.sent ? `The AS sent the flow-through request for ${userId}; Switchboard answered ${result.status}.` : `${userId}: Integrated IM&P ${isActive ? 'on' : 'off'}; no flow-through request was sent.`, `Integrated IM&P ${isActive ? 'assigned' : 'removed'}`),
    onError: (error) => notifyError(error, 'The Integrated IM&P service could not be changed'),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['lab'] }),
  });
  if (bw.error) return <Unavailable error={bw.error} what="The BroadWorks AS simulator" />;
  if (!bw.data) return <Text c="dimmed">Loading…</Text>;
  const { serviceProviders, users, psLog } = bw.data.state;
  const groupName = (spId: string, groupId: string) => serviceProviders.find((sp) => sp.id === spId)?.groups.find((g) => g.id === groupId)?.name ?? groupId;

  const spColumns: Column<ServiceProvider>[] = [
    { key: 'id', header: 'Service provider', sortValue: (sp) => sp.id, render: (sp) => sp.id },
    { key: 'name', header: 'Name', sortValue: (sp) => sp.name, render: (sp) => sp.name },
    { key: 'groups', header: 'Enterprises', render: (sp) => sp.groups.map((g) => `${g.name} (${g.id})`).join(', ') },
    { key: 'url', header: 'Provisioning URL', render: (sp) => mono(sp.provisioningUrl) },
    { key: 'account', header: 'Provisioning account', render: (sp) => mono(sp.provisioningUserId) },
  ];
  const userColumns: Column<BwUser>[] = [
    { key: 'userId', header: 'User ID', sortValue: (u) => u.userId, searchValue: (u) => u.userId, render: (u) => mono(u.userId) },
    { key: 'name', header: 'Name', sortValue: (u) => `${u.lastName} ${u.firstName}`, searchValue: (u) => `${u.firstName} ${u.lastName}`, render: (u) => `${u.firstName} ${u.lastName}` },
    { key: 'group', header: 'Enterprise', sortValue: (u) => groupName(u.serviceProviderId, u.groupId), searchValue: (u) => groupName(u.serviceProviderId, u.groupId), render: (u) => groupName(u.serviceProviderId, u.groupId) },
    { key: 'email', header: 'Email', sortValue: (u) => u.email, searchValue: (u) => u.email, render: (u) => u.email ?? '' },
    { key: 'number', header: 'Number', render: (u) => `${u.phoneNumber ?? ''}${u.extension ? ` x${u.extension}` : ''}` },
    { key: 'imp', header: 'Integrated IM&P', sortValue: (u) => (u.integratedImp ? 0 : 1), render: (u) => (u.integratedImp ? 'on' : 'off') },
    ...(can('lab.manage')
      ? [{
          key: 'actions',
          header: <span className="visually-hidden">Actions</span>,
          render: (u: BwUser) => (
            <Button size="compact-xs" variant="default" loading={toggle.isPending && toggle.variables?.userId === u.userId} onClick={() => toggle.mutate({ userId: u.userId, isActive: !u.integratedImp })}>
              {u.integratedImp ? 'Remove IM&P' : 'Assign IM&P'}
            </Button>
          ),
        }]
      : []),
  ];
  const logColumns: Column<PsLogEntry & { n: number }>[] = [
    { key: 'at', header: 'Time', sortValue: (e) => e.at, render: (e) => <Time value={e.at} /> },
    { key: 'action', header: 'Action', sortValue: (e) => e.action, searchValue: (e) => e.action, render: (e) => e.action },
    { key: 'user', header: 'User', sortValue: (e) => e.userId, searchValue: (e) => e.userId, render: (e) => mono(e.userId) },
    { key: 'url', header: 'URL', render: (e) => mono(e.url) },
    { key: 'status', header: 'Status', sortValue: (e) => e.status, searchValue: (e) => String(e.status), render: (e) => e.status },
    { key: 'response', header: 'Answer', searchValue: (e) => e.response, render: (e) => <Text ff="monospace" size="xs">{e.response}</Text> },
  ];
  const subscriberColumns: Column<Subscriber>[] = [
    { key: 'userId', header: 'BroadWorks user ID', sortValue: (s) => s.userId, searchValue: (s) => s.userId, render: (s) => mono(s.userId) },
    { key: 'email', header: 'Email', sortValue: (s) => s.email, searchValue: (s) => s.email, render: (s) => s.email ?? '' },
    { key: 'enterprise', header: 'Enterprise', sortValue: (s) => s.spEnterpriseId, render: (s) => mono(s.spEnterpriseId) },
    { key: 'package', header: 'Package', render: (s) => s.package },
    { key: 'status', header: 'Status', sortValue: (s) => s.status, render: (s) => s.status },
    { key: 'error', header: 'Error', render: (s) => s.errorText ?? '' },
  ];

  return (
    <Paper component="section" aria-labelledby="lab-bw-as" mb="xl">
      <Title order={3} fz="lg" id="lab-bw-as">BroadWorks Application Server</Title>
      <Text size="sm" c="dimmed" mb="sm">
        XSI and authentication service at <Code>{bw.data.baseUrl}</Code>. Turning a user's Integrated IM&amp;P on or off makes the AS send its flow-through request to Switchboard, as a real AS does.
      </Text>
      <Title order={4} fz="md" mb="xs">Service providers</Title>
      <DataTable caption="Service providers" columns={spColumns} rows={serviceProviders} rowKey={(sp) => sp.id} empty={{ title: 'No service providers', description: 'The AS is seeded with one at start; run switchboard lab reset and restart to seed it again.' }} />
      <Title order={4} fz="md" mt="md" mb="xs">Users</Title>
      <DataTable caption="BroadWorks users" columns={userColumns} rows={users} rowKey={(u) => u.userId} searchable searchLabel="Search users" pageSize={25} empty={{ title: 'No users', description: 'The AS is seeded with users at start; run switchboard lab reset and restart to seed them again.' }} />
      <Title order={4} fz="md" mt="md" mb="xs">PSLog — flow-through requests and answers</Title>
      <DataTable
        caption="PSLog"
        columns={logColumns}
        rows={psLog.map((e, n) => ({ ...e, n }))}
        rowKey={(e) => String(e.n)}
        initialSort={{ key: 'at', direction: 'desc' }}
        searchable={psLog.length > 5}
        searchLabel="Search the PSLog"
        pageSize={25}
        footer={<TimeZoneNote />}
        empty={{ title: 'The AS has sent no flow-through request yet', description: 'Assign Integrated IM&P to a user above: the request and Switchboard\'s answer appear here.' }}
      />
      {labTemplate && (
        <>
          <Title order={4} fz="md" mt="md" mb="xs">Subscribers Switchboard provisioned from the Lab template</Title>
          <ErrorNotice error={subscribers.error} title="The subscribers could not be read" />
          <DataTable caption="Lab template subscribers" columns={subscriberColumns} rows={subscribers.data?.items ?? []} rowKey={(s) => s.id} searchable searchLabel="Search subscribers" pageSize={25} empty={{ title: 'No subscribers yet', description: 'Assign Integrated IM&P to a user above: Switchboard provisions the subscriber from the Lab template.' }} />
        </>
      )}
    </Paper>
  );
}

/** Message text with its http(s) links clickable (activation, validation, approval links). */
function LinkedText({ text }: { text: string }) {
  const parts = text.split(/(https?:\/\/[^\s<>"]+)/g);
  return (
    <Text component="pre" size="sm" style={{ whiteSpace: 'pre-wrap' }}>
      {parts.map((part, i) =>
        i % 2 === 1 ? (
          <a key={i} href={part} target="_blank" rel="noreferrer">{part}</a>
        ) : (
          <Fragment key={i}>{part}</Fragment>
        ),
      )}
    </Text>
  );
}

function MailAndSms() {
  const [open, setOpen] = useState<{ kind: 'email' | 'sms'; id: number } | null>(null);
  const messages = useQuery({ queryKey: ['lab', 'messages'], queryFn: () => request<Messages>('/api/v1/partner/lab/messages'), refetchInterval: 3000 });
  if (messages.error) return <Unavailable error={messages.error} what="The mail catcher" />;
  if (!messages.data) return <Text c="dimmed">Loading…</Text>;
  const { emails, texts, smtpPort } = messages.data;
  const email = open?.kind === 'email' ? emails.find((m) => m.id === open.id) : undefined;
  const sms = open?.kind === 'sms' ? texts.find((m) => m.id === open.id) : undefined;
  const emailColumns: Column<Email>[] = [
    { key: 'at', header: 'Time', sortValue: (m) => m.at, render: (m) => <Time value={m.at} /> },
    { key: 'to', header: 'To', sortValue: (m) => m.to.join(', '), searchValue: (m) => m.to.join(', '), render: (m) => m.to.join(', ') },
    { key: 'subject', header: 'Subject', sortValue: (m) => m.subject, searchValue: (m) => m.subject, render: (m) => m.subject },
    { key: 'open', header: <span className="visually-hidden">Actions</span>, render: (m) => <Button size="compact-xs" variant="default" aria-label={`Open email ${m.subject} to ${m.to.join(', ')}`} onClick={() => setOpen({ kind: 'email', id: m.id })}>Open</Button> },
  ];
  const smsColumns: Column<Sms>[] = [
    { key: 'at', header: 'Time', sortValue: (m) => m.at, render: (m) => <Time value={m.at} /> },
    { key: 'to', header: 'To', sortValue: (m) => m.to, searchValue: (m) => m.to, render: (m) => mono(m.to) },
    { key: 'text', header: 'Text', searchValue: (m) => m.text, render: (m) => (m.text.length > 80 ? `${m.text.slice(0, 80)}…` : m.text) },
    { key: 'open', header: <span className="visually-hidden">Actions</span>, render: (m) => <Button size="compact-xs" variant="default" aria-label={`Open text to ${m.to}`} onClick={() => setOpen({ kind: 'sms', id: m.id })}>Open</Button> },
  ];
  return (
    <Paper component="section" aria-labelledby="lab-mail" mb="xl">
      <Title order={3} fz="lg" id="lab-mail">Mail and SMS</Title>
      <Text size="sm" c="dimmed" mb="sm">Every email Switchboard sends in the Lab goes over real SMTP to the catcher on port {smtpPort}; texts go to the SMS sink.</Text>
      <Title order={4} fz="md" mb="xs">Emails ({emails.length})</Title>
      <DataTable caption="Emails" columns={emailColumns} rows={emails} rowKey={(m) => String(m.id)} initialSort={{ key: 'at', direction: 'desc' }} searchable={emails.length > 5} searchLabel="Search emails" pageSize={20} footer={<TimeZoneNote />} empty={{ title: 'No email caught yet', description: 'Emails Switchboard sends (activation, consent, approval) land here.' }} />
      {email && (
        <Paper withBorder p="md" mt="sm" aria-label="Open email" role="region">
          <Title order={4} fz="md">{email.subject}</Title>
          <Text size="sm" c="dimmed">From {email.from} to {email.to.join(', ')}, <Time value={email.at} /></Text>
          <LinkedText text={email.text} />
        </Paper>
      )}
      <Title order={4} fz="md" mt="md" mb="xs">Texts ({texts.length})</Title>
      <DataTable caption="Texts" columns={smsColumns} rows={texts} rowKey={(m) => String(m.id)} initialSort={{ key: 'at', direction: 'desc' }} pageSize={20} empty={{ title: 'No text received yet', description: 'Texts Switchboard sends (validation codes) land here.' }} />
      {sms && (
        <Paper withBorder p="md" mt="sm" aria-label="Open text" role="region">
          <Title order={4} fz="md">Text to {sms.to}</Title>
          <LinkedText text={sms.text} />
        </Paper>
      )}
    </Paper>
  );
}

// P6/P7: what already exists in Webex before a partner onboards a user or customer.
function WebexDirectory() {
  const orgs = useQuery({ queryKey: ['lab', 'webex-orgs'], queryFn: () => request<{ items: WebexOrg[] }>('/api/v1/partner/lab/webex-orgs'), refetchInterval: 5000 });
  const identities = useQuery({ queryKey: ['lab', 'webex-identities'], queryFn: () => request<{ items: WebexIdentity[] }>('/api/v1/partner/lab/webex-identities'), refetchInterval: 5000 });
  const orgColumns: Column<WebexOrg>[] = [
    { key: 'name', header: 'Organisation', sortValue: (o) => o.name, searchValue: (o) => o.name, render: (o) => o.name },
    { key: 'users', header: 'Users', numeric: true, sortValue: (o) => o.userCount, render: (o) => o.userCount },
    { key: 'admins', header: 'Admins', searchValue: (o) => o.adminEmails.join(' '), render: (o) => o.adminEmails.join(', ') },
    { key: 'verified', header: 'Verified domains', searchValue: (o) => o.verifiedDomains.join(' '), render: (o) => o.verifiedDomains.join(', ') },
    { key: 'claimed', header: 'Claimed domains', render: (o) => o.claimedDomains.join(', ') },
    { key: 'licences', header: 'Licences', render: (o) => o.licences },
    { key: 'partners', header: 'Approved partner admins', render: (o) => o.approvedPartnerAdmins.join(', ') },
  ];
  const identityColumns: Column<WebexIdentity>[] = [
    { key: 'email', header: 'Email', sortValue: (i) => i.email, searchValue: (i) => i.email, render: (i) => i.email },
    { key: 'name', header: 'Name', sortValue: (i) => i.displayName, searchValue: (i) => i.displayName, render: (i) => i.displayName },
    { key: 'kind', header: 'Account', sortValue: (i) => i.kind, render: (i) => i.kind },
    { key: 'state', header: 'State', sortValue: (i) => i.state, render: (i) => i.state },
    { key: 'moved', header: 'Moved', sortValue: (i) => i.movedAt, render: (i) => (i.movedAt ? <Time value={i.movedAt} /> : <Badge variant="light" color="gray" tt="none">not moved</Badge>) },
  ];
  return (
    <Paper component="section" aria-labelledby="lab-webex" mb="xl">
      <Title order={3} fz="lg" id="lab-webex">Webex directory</Title>
      <Text size="sm" c="dimmed" mb="sm">What already exists in Webex before a partner onboards a user or customer: accounts a subscriber's email may already own (P6) and organisations a customer may already have (P7).</Text>
      <Title order={4} fz="md" mb="xs">Organisations</Title>
      {orgs.error ? <Unavailable error={orgs.error} what="The Webex directory" /> : orgs.data && <DataTable caption="Webex organisations" columns={orgColumns} rows={orgs.data.items} rowKey={(o) => o.id} searchable searchLabel="Search organisations" pageSize={20} empty={{ title: 'No organisations in the directory', description: 'The directory is seeded when the Partner area first starts its Lab.' }} />}
      <Title order={4} fz="md" mt="md" mb="xs">Identities</Title>
      {identities.error ? <Unavailable error={identities.error} what="The Webex directory" /> : identities.data && <DataTable caption="Webex identities" columns={identityColumns} rows={identities.data.items} rowKey={(i) => i.id} searchable searchLabel="Search identities" pageSize={20} footer={<TimeZoneNote />} empty={{ title: 'No identities in the directory', description: 'The directory is seeded when the Partner area first starts its Lab.' }} />}
    </Paper>
  );
}

/** The Partner area's Lab: the AS, the mail and SMS sinks it sends through, and the Webex directory. */
export function BroadworksTab() {
  return (
    <>
      <BroadworksAs />
      <MailAndSms />
      <WebexDirectory />
    </>
  );
}
