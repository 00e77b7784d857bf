import { useState } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { Anchor, Badge, Button, Code, Group, NativeSelect, Paper, SimpleGrid, Table, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { DataTable, type Column } from '../../platform/console/src/components/DataTable.tsx';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { confirmAction, notifyError, notifySuccess } from '../../platform/console/src/components/feedback.tsx';
import { fieldErrors } from '../../platform/console/src/components/form-errors.ts';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import { Time, TimeZoneNote } from '../../platform/console/src/components/Time.tsx';
import { useCan } from '../../platform/console/src/session.tsx';
import { meetingsApi as api, type Row } from './meetings-api.ts';
import { MeetingsNav, bridgeLabel } from './shared.tsx';
import { NodeCertificate } from './certificates.tsx';

// /meetings/bridges/<id> (M2–M7, M15): status, tickets (acknowledge, close), cluster nodes and how
// each is reached, the scheduled-space pool, settings, and the API trace.

export function BridgePage() {
  const { id = '' } = useParams();
  const can = useCan();
  const bridge = useQuery({ queryKey: ['meetings', 'bridge', id], queryFn: ({ signal }) => api.bridge(id, signal), refetchInterval: 3000 });
  const b = bridge.data;
  return (
    <>
      <PageHeader title={b ? bridgeLabel(b) : 'Bridge'} />
      <MeetingsNav />
      <ErrorNotice error={bridge.error} title="Could not read the bridge" />
      {!b && !bridge.error && <Text role="status">Loading…</Text>}
      {b && (
        <>
          <Text mb="md">
            {b.systemType} · Status: {b.status} · Address: {b.address} · Connectivity: {b.connectivity === 'reachable' ? 'Reachable on LAN' : b.connectivity} · pool {b.poolSize} ({b.poolState})
          </Text>
          <Tickets bridgeId={id} tickets={b.tickets} manage={can('bridges.manage')} />
          <SystemStatus bridge={b} />
          <Nodes bridgeId={id} nodes={b.nodes} manage={can('bridges.manage')} />
          <Pool bridgeId={id} />
          {can('bridges.manage') && <Settings bridge={b} />}
          <Trace bridgeId={id} />
        </>
      )}
    </>
  );
}

function Tickets({ bridgeId, tickets, manage }: { bridgeId: string; tickets: Row[]; manage: boolean }) {
  const client = useQueryClient();
  const act = useMutation({
    mutationFn: ({ ticket, action }: { ticket: Row; action: 'acknowledge' | 'close' }) => api.ticketAction(bridgeId, ticket.id, action),
    onSuccess: (t, { action }) => {
      notifySuccess(`Ticket #${t.id} ${action === 'close' ? 'closed' : 'acknowledged'}.`);
      return client.invalidateQueries({ queryKey: ['meetings'] });
    },
    onError: (error) => notifyError(error, 'Could not change the ticket'),
  });
  const close = async (ticket: Row) => {
    if (await confirmAction({ title: `Close ticket #${ticket.id}?`, message: 'A closed ticket leaves the list. If the problem is still there, the bridge opens a new ticket when it is next polled.', confirmLabel: 'Close ticket' })) act.mutate({ ticket, action: 'close' });
  };
  const columns: Column<Row>[] = [
    { key: 'id', header: '#', sortValue: (t) => t.id, numeric: true, render: (t) => t.id },
    { key: 'title', header: 'Ticket', sortValue: (t) => t.title, searchValue: (t) => `${t.title} ${t.detail}`, render: (t) => (<><Text size="sm" fw={500}>{t.title}</Text><Text size="xs" c="dimmed">{t.detail}</Text></>) },
    { key: 'state', header: 'State', sortValue: (t) => t.state, render: (t) => <Badge variant="light" tt="none" color={t.state === 'open' ? 'red' : 'gray'}>{t.state}</Badge> },
    { key: 'opened', header: 'Opened', sortValue: (t) => t.openedAt, render: (t) => <Time value={t.openedAt} /> },
    ...(manage ? [{
      key: 'actions', header: <span className="visually-hidden">Actions</span>,
      render: (t: Row) => (
        <Group gap={4} wrap="nowrap">
          {t.state === 'open' && <Button size="compact-xs" variant="default" onClick={() => act.mutate({ ticket: t, action: 'acknowledge' })} aria-label={`Acknowledge ticket ${t.id}`}>Acknowledge</Button>}
          <Button size="compact-xs" variant="subtle" onClick={() => void close(t)} aria-label={`Close ticket ${t.id}`}>Close</Button>
        </Group>
      ),
    }] : []),
  ];
  return (
    <Paper component="section" aria-labelledby="tickets-title" mb="lg">
      <Title order={2} fz="lg" id="tickets-title" mb="sm">Tickets</Title>
      <DataTable caption="Tickets" columns={columns} rows={tickets} rowKey={(t) => String(t.id)} pageSize={10} initialSort={{ key: 'id', direction: 'desc' }}
        empty={{ title: '✓ System has no open or acknowledged tickets', description: 'The bridge is polled regularly; problems it reports (a blank system name, credentials refused, a node down) open a ticket here.' }} />
    </Paper>
  );
}

function SystemStatus({ bridge: b }: { bridge: Row }) {
  const rows: [string, string][] = [
    ['Call Bridge uptime', b.uptimeSeconds === null ? '—' : `${b.uptimeSeconds} s`],
    ['Call legs active / max / completed', `${b.callLegsActive ?? 0} / ${b.callLegsMaxActive ?? 0} / ${b.callLegsCompleted ?? 0}`],
    ['Audio bit rate out / in', `${b.audioBitRateOutgoing ?? 0} / ${b.audioBitRateIncoming ?? 0}`],
    ['Video bit rate out / in', `${b.videoBitRateOutgoing ?? 0} / ${b.videoBitRateIncoming ?? 0}`],
    ['Software version', b.softwareVersion ?? '—'],
    ['Bookings this week', String(b.weekBookings)],
  ];
  return (
    <Paper component="section" aria-labelledby="status-title" mb="lg">
      <Title order={2} fz="lg" id="status-title" mb="sm">System status</Title>
      <SimpleGrid cols={{ base: 2, md: 3 }} spacing="xs">
        {rows.map(([label, value]) => (
          <div key={label}><Text size="xs" c="dimmed">{label}</Text><Text size="sm">{value}</Text></div>
        ))}
      </SimpleGrid>
    </Paper>
  );
}

function Nodes({ bridgeId, nodes, manage }: { bridgeId: string; nodes: Row[]; manage: boolean }) {
  return (
    <Paper component="section" aria-labelledby="nodes-title" mb="lg">
      <Title order={2} fz="lg" id="nodes-title">Clustering</Title>
      <Text size="sm" c="dimmed" mb="sm">Nodes are reached at what the cluster advertises, with the scheme and port of the address this bridge was added by, unless you enter an address.</Text>
      <Table.ScrollContainer minWidth={1000}>
        <Table striped aria-label="Nodes">
          <Table.Thead><Table.Tr><Table.Th>System name</Table.Th><Table.Th>Reached at</Table.Th><Table.Th>Advertised</Table.Th><Table.Th>Primary</Table.Th><Table.Th>Healthy</Table.Th><Table.Th>CDRs</Table.Th><Table.Th>Certificate</Table.Th>{manage && <Table.Th>Change address</Table.Th>}</Table.Tr></Table.Thead>
          <Table.Tbody>
            {nodes.map((n) => (
              <Table.Tr key={n.id}>
                <Table.Td>{n.name}</Table.Td>
                <Table.Td>{n.address}{n.addressOverride ? ' (entered)' : ''}</Table.Td>
                <Table.Td>{n.advertisedAddress ?? '—'}</Table.Td>
                <Table.Td>{n.primary ? '✓' : ''}</Table.Td>
                <Table.Td>{n.healthy ? (n.lastError ? `yes — ${n.lastError}` : 'yes') : `no — ${n.lastError ?? ''}`}</Table.Td>
                <Table.Td>{n.cdrReceiver ? 'receiving' : 'none'}</Table.Td>
                <Table.Td><NodeCertificate bridgeId={bridgeId} node={n} manage={manage} /></Table.Td>
                {manage && <Table.Td><NodeAddressForm bridgeId={bridgeId} node={n} /></Table.Td>}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Paper>
  );
}

/** M4/M5: how Switchboard reaches one node; "Use advertised" goes back to the derived address. */
function NodeAddressForm({ bridgeId, node }: { bridgeId: string; node: Row }) {
  const client = useQueryClient();
  const [address, setAddress] = useState('');
  const change = useMutation({
    mutationFn: (value: string | null) => api.setNodeAddress(bridgeId, node.id, value),
    onSuccess: (_data, value) => {
      setAddress('');
      notifySuccess(value ? `${node.name} is reached at ${value} now.` : `${node.name} is reached at its advertised address again.`);
      return client.invalidateQueries({ queryKey: ['meetings', 'bridge', bridgeId] });
    },
  });
  const error = fieldErrors(change.error).address;
  return (
    <Group component="form" gap={4} wrap="nowrap" align="flex-start" onSubmit={(e) => { e.preventDefault(); if (address.trim()) change.mutate(address.trim()); }} aria-label={`Address of ${node.name}`}>
      <TextInput size="xs" aria-label={`New address of ${node.name}`} placeholder="host:port or URL" value={address} onChange={(e) => setAddress(e.currentTarget.value)} error={error} />
      <Button size="xs" type="submit" variant="default" disabled={!address.trim()} loading={change.isPending}>Set</Button>
      {node.addressOverride && <Button size="xs" variant="subtle" disabled={change.isPending} onClick={() => change.mutate(null)}>Use advertised</Button>}
      {!error && <ErrorNotice error={change.error} title="Could not change the address" />}
    </Group>
  );
}

function Pool({ bridgeId }: { bridgeId: string }) {
  const pool = useQuery({ queryKey: ['meetings', 'pool', bridgeId], queryFn: ({ signal }) => api.pool(bridgeId, signal), refetchInterval: 5000 });
  const columns: Column<Row>[] = [
    { key: 'slot', header: 'Slot', sortValue: (s) => s.slot, numeric: true, render: (s) => s.slot },
    { key: 'uri', header: 'URI', sortValue: (s) => s.uri, searchValue: (s) => s.uri, render: (s) => s.uri },
    { key: 'coSpace', header: 'coSpace', render: (s) => <Code>{s.coSpaceId}</Code> },
    { key: 'meeting', header: 'Held by', sortValue: (s) => s.occurrenceId ?? '', render: (s) => (s.occurrenceId ? <Anchor component={Link} to={`/meetings/${s.occurrenceId}`}>a meeting</Anchor> : <Text size="sm" c="dimmed">free</Text>) },
  ];
  return (
    <Paper component="section" aria-labelledby="pool-title" mb="lg">
      <Title order={2} fz="lg" id="pool-title" mb="sm">Scheduled-space pool</Title>
      <ErrorNotice error={pool.error} title="Could not read the pool" />
      {pool.data && <DataTable caption="Pool slots" columns={columns} rows={pool.data.items} rowKey={(s) => String(s.slot)} pageSize={20} initialSort={{ key: 'slot', direction: 'asc' }}
        empty={{ title: 'No pool yet', description: 'Set a domain, a numeric ID base and a quantity in the settings below: Switchboard creates that many scheduled spaces on the bridge, one per meeting at a time.' }} />}
    </Paper>
  );
}

const settingKeys = ['name', 'sipDomain', 'numericIdBase', 'numericIdQuantity', 'maxConcurrentRequests', 'alternateAddress', 'alternateUsername', 'alternatePassword'] as const;

/** A filled-in setting as the API takes it: numbers as numbers; "default" gives the request limit back to the configured default. */
function settingValue(key: string, value: string) {
  if (key === 'maxConcurrentRequests') return value.trim().toLowerCase() === 'default' ? null : Number(value);
  return key.startsWith('numeric') ? Number(value) : value.trim();
}

function Settings({ bridge: b }: { bridge: Row }) {
  const client = useQueryClient();
  const form = useForm({ mode: 'controlled', initialValues: Object.fromEntries(settingKeys.map((k) => [k, ''])) as Record<(typeof settingKeys)[number], string> });
  const save = useMutation({
    // Only the fields filled in change; an empty field keeps the bridge's value.
    mutationFn: (values: typeof form.values) => api.updateBridge(b.id, Object.fromEntries(Object.entries(values).filter(([, v]) => v.trim() !== '').map(([k, v]) => [k, settingValue(k, v)]))),
    onSuccess: (data) => {
      form.reset();
      notifySuccess(data.poolSyncJobId ? 'Saved. Pool sync started.' : 'Saved.', bridgeLabel(data));
      return client.invalidateQueries({ queryKey: ['meetings'] });
    },
    onError: (error) => form.setErrors(fieldErrors(error)),
  });
  const fieldCount = Object.keys(fieldErrors(save.error)).length;
  return (
    <Paper component="form" aria-label="Settings" mb="lg" onSubmit={form.onSubmit((v) => save.mutate(v))} noValidate>
      <Title order={2} fz="lg">Settings</Title>
      <Text size="sm" c="dimmed" mb="sm">Current: domain {b.sipDomain ?? '—'}, numeric ID base {b.numericIdBase ?? '—'}, quantity {b.numericIdQuantity ?? '—'}, API requests at once per node {b.maxConcurrentRequests ?? 'default'}. Fill in only what changes.</Text>
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }} spacing="sm">
        <TextInput label="Name" placeholder={b.name} {...form.getInputProps('name')} />
        <TextInput label="Domain" placeholder={b.sipDomain ?? 'video.example.com'} {...form.getInputProps('sipDomain')} />
        <TextInput label="Numeric ID base" inputMode="numeric" {...form.getInputProps('numericIdBase')} />
        <TextInput label="Numeric ID quantity" inputMode="numeric" {...form.getInputProps('numericIdQuantity')} />
        <TextInput label="API requests at once per node" description="All instances together; “default” for the configured one" placeholder={String(b.maxConcurrentRequests ?? 'default')} {...form.getInputProps('maxConcurrentRequests')} />
        <TextInput label="Alternate address" placeholder={b.alternateAddress ?? 'host or host:port'} {...form.getInputProps('alternateAddress')} />
        <TextInput label="Alternate user" placeholder={b.alternateUsername ?? 'same as the bridge'} {...form.getInputProps('alternateUsername')} />
        <TextInput label="Alternate password" type="password" placeholder={b.alternatePasswordSet ? 'set' : 'not set'} {...form.getInputProps('alternatePassword')} />
      </SimpleGrid>
      {fieldCount === 0 && <ErrorNotice error={save.error} title="Could not save the settings" />}
      <Group mt="sm"><Button type="submit" loading={save.isPending}>Save</Button></Group>
      {save.data?.poolSyncJobId && <Text size="sm" mt="xs" role="status">Pool sync started: <Anchor component={Link} to={`/jobs/${save.data.poolSyncJobId}`}>follow the job</Anchor>.</Text>}
    </Paper>
  );
}

function Trace({ bridgeId }: { bridgeId: string }) {
  const [filter, setFilter] = useState({ method: '', path: '', status: '' });
  const [offset, setOffset] = useState(0);
  const limit = 25;
  const trace = useQuery({ queryKey: ['meetings', 'trace', bridgeId, filter, offset], queryFn: ({ signal }) => api.trace(bridgeId, { ...filter, offset, limit }, signal), placeholderData: keepPreviousData });
  const set = (key: keyof typeof filter) => (value: string) => { setFilter({ ...filter, [key]: value }); setOffset(0); };
  const columns: Column<Row>[] = [
    { key: 'at', header: 'Time', render: (e) => <Time value={e.at} /> },
    { key: 'node', header: 'Node', render: (e) => e.node },
    { key: 'request', header: 'Request', render: (e) => <span style={{ overflowWrap: 'anywhere' }}>{e.method} {e.path}</span> },
    { key: 'body', header: 'Body', render: (e) => <Code style={{ overflowWrap: 'anywhere', maxWidth: '28rem', display: 'block' }}>{e.requestBody}</Code> },
    { key: 'status', header: 'Status', render: (e) => e.status ?? e.error },
    { key: 'size', header: 'Size', numeric: true, render: (e) => e.size },
    { key: 'location', header: 'Location', render: (e) => <span style={{ overflowWrap: 'anywhere' }}>{e.location}</span> },
  ];
  return (
    <Paper component="section" aria-labelledby="trace-title" mb="lg">
      <Title order={2} fz="lg" id="trace-title" mb="sm">API trace</Title>
      <Group mb="sm" align="flex-end">
        <NativeSelect label="Method" value={filter.method} onChange={(e) => set('method')(e.currentTarget.value)} data={[{ value: '', label: 'Any method' }, 'GET', 'POST', 'PUT', 'DELETE']} />
        <TextInput label="Path contains" value={filter.path} onChange={(e) => set('path')(e.currentTarget.value)} />
        <TextInput label="Status" value={filter.status} onChange={(e) => set('status')(e.currentTarget.value)} w={100} />
      </Group>
      <ErrorNotice error={trace.error} title="Could not read the trace" />
      {trace.data && <DataTable caption="API trace" columns={columns} rows={trace.data.items} rowKey={(e) => String(e.id)} paging={{ total: trace.data.total, offset, limit, onChange: setOffset }} footer={<TimeZoneNote />}
        empty={{ title: 'Nothing matches', description: 'Every request Switchboard sends to this bridge is listed here; change or clear the filters.' }} />}
    </Paper>
  );
}
