import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { ActionIcon, Anchor, Badge, Button, Group, List, NativeSelect, Paper, PasswordInput, SimpleGrid, Table, Text, TextInput, Title, VisuallyHidden } from '@mantine/core';
import { useForm } from '@mantine/form';
import { DataTable, type Column } from '../../platform/console/src/components/DataTable.tsx';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { notifyError, notifySuccess } from '../../platform/console/src/components/feedback.tsx';
import { fieldErrors } from '../../platform/console/src/components/form-errors.ts';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import { browserTimeZone } from '../../platform/console/src/components/Time.tsx';
import { useCan } from '../../platform/console/src/session.tsx';
import { meetingsApi as api, type Row } from './meetings-api.ts';
import { MeetingsNav, bridgeLabel } from './shared.tsx';
import { confirmCertificate, untrustedCertificate } from '../../platform/console/src/components/CertificateDialog.tsx';
import { cmsCertificateHint } from './certificates.tsx';

// /meetings/bridges (M1, M2, M14): the bridges with their ticket counts, adding one, and the order
// automatic routing prefers them in.

export function BridgesPage() {
  const can = useCan();
  const bridges = useQuery({ queryKey: ['meetings', 'bridges'], queryFn: ({ signal }) => api.bridges(signal), refetchInterval: 5000 });
  const items = bridges.data?.items ?? [];
  const columns: Column<Row>[] = [
    { key: 'name', header: 'System name', sortValue: (b) => bridgeLabel(b), searchValue: (b) => `${bridgeLabel(b)} ${b.address}`, render: (b) => <Anchor component={Link} to={`/meetings/bridges/${b.id}`}>{bridgeLabel(b)}</Anchor> },
    { key: 'address', header: 'Address', sortValue: (b) => b.address, searchValue: (b) => b.address, render: (b) => b.address },
    { key: 'tickets', header: 'Tickets', sortValue: (b) => b.openTickets * 1000 + b.acknowledgedTickets, render: (b) => <TicketCounts bridge={b} /> },
    { key: 'status', header: 'Status', sortValue: (b) => b.status, render: (b) => b.status },
    { key: 'connectivity', header: 'Connectivity', sortValue: (b) => b.connectivity, render: (b) => (b.connectivity === 'reachable' ? 'Reachable on LAN' : b.connectivity) },
    { key: 'pool', header: 'Pool', sortValue: (b) => b.poolSize, numeric: true, render: (b) => `${b.poolSize} (${b.poolState})` },
    { key: 'version', header: 'Version', sortValue: (b) => b.softwareVersion, render: (b) => b.softwareVersion ?? '—' },
  ];
  return (
    <>
      <PageHeader title="Bridges" />
      <MeetingsNav />
      <ErrorNotice error={bridges.error} title="Could not read the bridges" />
      {bridges.data && (
        <DataTable
          caption="Bridges"
          columns={columns}
          rows={items}
          rowKey={(b) => b.id}
          searchable
          searchLabel="Search bridges"
          pageSize={25}
          empty={{ title: 'No bridge yet', description: 'Add a Cisco Meeting Server below (the Lab\'s CMS simulator works too): its address, and the API user and password.' }}
        />
      )}
      {can('bridges.manage') && <AddBridgeForm />}
      <RoutingPreference bridges={items} editable={can('bridges.manage')} />
    </>
  );
}

/** M2: open tickets in red, acknowledged ones beside them, as the bridge list of TMS shows them. */
export function TicketCounts({ bridge }: { bridge: Row }) {
  if (!bridge.openTickets && !bridge.acknowledgedTickets) return <Text size="sm" c="dimmed">none</Text>;
  return (
    <Group gap={4} wrap="nowrap">
      {bridge.openTickets > 0 && <Badge color="red" variant="light" tt="none">{bridge.openTickets} open</Badge>}
      {bridge.acknowledgedTickets > 0 && <Badge color="gray" variant="light" tt="none">{bridge.acknowledgedTickets} acknowledged</Badge>}
    </Group>
  );
}

function AddBridgeForm() {
  const client = useQueryClient();
  const form = useForm({
    mode: 'controlled',
    initialValues: { address: '', username: '', password: '', ipZone: '', timeZone: browserTimeZone },
    validate: {
      address: (v) => (v.trim() ? null : 'Enter the IP address or DNS name of the bridge.'),
      username: (v) => (v.trim() ? null : 'Enter the API user of the bridge.'),
      password: (v) => (v ? null : 'Enter the API user\'s password.'),
    },
  });
  const add = useMutation({
    mutationFn: async (v: typeof form.values) => {
      const body = { ...v, address: v.address.trim(), ipZone: v.ipZone.trim() || undefined, tls: !v.address.trim().startsWith('http://') };
      try {
        return await api.addBridge(body);
      } catch (error) {
        // Trust on first use (M1): the bridge's certificate is shown; trusting it repeats the add with its fingerprint.
        const certificate = untrustedCertificate(error);
        if (!certificate) throw error;
        const trusted = await confirmCertificate(certificate, 'Trust this bridge\'s certificate?', `${body.address} presents a certificate no trusted CA vouches for.`, 'Trust and add', cmsCertificateHint);
        if (!trusted) throw error;
        return api.addBridge({ ...body, trustFingerprint: certificate.fingerprint });
      }
    },
    onSuccess: (data) => {
      const added = data.items.filter((r) => r.id).length;
      notifySuccess(`${added} of ${data.items.length} system(s) added.`, 'Add bridge');
      if (added) form.setFieldValue('password', '');
      return client.invalidateQueries({ queryKey: ['meetings', 'bridges'] });
    },
    onError: (error) => {
      const errors = fieldErrors(error);
      form.setErrors(errors);
      if (!Object.keys(errors).length) notifyError(error, 'Could not add the bridge');
    },
  });
  const fieldCount = Object.keys(fieldErrors(add.error)).length;
  return (
    <Paper component="form" aria-label="Add bridge" onSubmit={form.onSubmit((v) => add.mutate(v))} noValidate mt="lg">
      <Title order={2} fz="lg">Add Cisco Meeting Server</Title>
      <Text size="sm" c="dimmed" mb="sm">IP addresses or DNS names, comma-separated; host:port allowed (10.0.0.1:445). The API user and password are mandatory.</Text>
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 5 }} spacing="sm">
        <TextInput label="Addresses" {...form.getInputProps('address')} />
        <TextInput label="Username" autoComplete="off" {...form.getInputProps('username')} />
        <PasswordInput label="Password" autoComplete="new-password" {...form.getInputProps('password')} />
        <TextInput label="IP zone" description="Optional" {...form.getInputProps('ipZone')} />
        <TextInput label="Time zone" {...form.getInputProps('timeZone')} />
      </SimpleGrid>
      {/* Field problems are shown under the fields; anything else here, once. */}
      {fieldCount === 0 && <ErrorNotice error={add.error} title="Could not add the bridge" />}
      <Group mt="sm"><Button type="submit" loading={add.isPending}>Add</Button></Group>
      {add.data && (
        <Table mt="sm" aria-label="Added systems">
          <Table.Thead><Table.Tr><Table.Th>Network address</Table.Th><Table.Th>System name</Table.Th><Table.Th>System type</Table.Th><Table.Th>Description</Table.Th></Table.Tr></Table.Thead>
          <Table.Tbody>
            {add.data.items.map((r) => (
              <Table.Tr key={r.address}>
                <Table.Td>{r.address}</Table.Td><Table.Td>{r.systemName}</Table.Td><Table.Td>{r.systemType}</Table.Td>
                <Table.Td>{r.description}{r.error ? ` — ${r.error.message}` : ''}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Paper>
  );
}

/** M14 "prefer CMS": the bridges automatic routing tries first, in order (see README, Decisions). */
function RoutingPreference({ bridges, editable }: { bridges: Row[]; editable: boolean }) {
  const client = useQueryClient();
  const saved = useQuery({ queryKey: ['meetings', 'routing'], queryFn: ({ signal }) => api.routing(signal) });
  const [order, setOrder] = useState<string[] | null>(null);
  const [pick, setPick] = useState('');
  const current = order ?? (saved.data?.preferredBridgeIds as string[] | undefined) ?? [];
  const save = useMutation({
    mutationFn: () => api.setRouting(current),
    onSuccess: (data) => {
      client.setQueryData(['meetings', 'routing'], data);
      setOrder(null);
      notifySuccess('Routing preference saved.');
    },
  });
  const label = (id: string) => {
    const b = bridges.find((x) => x.id === id);
    return b ? bridgeLabel(b) : id;
  };
  const move = (index: number, by: number) => {
    const next = [...current];
    [next[index], next[index + by]] = [next[index + by], next[index]];
    setOrder(next);
  };
  const others = bridges.filter((b) => !current.includes(b.id));
  return (
    <Paper component="section" aria-label="Routing preference" mt="lg">
      <Title order={2} fz="lg">Routing preference</Title>
      <Text size="sm" c="dimmed" mb="sm">Bookings without a chosen bridge go to a bridge in the booking's zone, then to these bridges in this order, then by free slots and load. A full bridge is passed over. Every bridge here is a Cisco Meeting Server, so "prefer CMS" is this order.</Text>
      {current.length === 0 ? <Text size="sm">No preferred bridges: routing by zone, free slots and load.</Text> : (
        <List type="ordered" spacing={4}>
          {current.map((id, i) => (
            <List.Item key={id}>
              <Group gap="xs">
                {label(id)}
                {editable && (
                  <>
                    <ActionIcon variant="default" size="sm" disabled={i === 0} onClick={() => move(i, -1)} aria-label={`Move ${label(id)} up`}>↑</ActionIcon>
                    <ActionIcon variant="default" size="sm" disabled={i === current.length - 1} onClick={() => move(i, 1)} aria-label={`Move ${label(id)} down`}>↓</ActionIcon>
                    <Button size="compact-xs" variant="subtle" color="red" onClick={() => setOrder(current.filter((x) => x !== id))} aria-label={`Remove ${label(id)}`}>Remove</Button>
                  </>
                )}
              </Group>
            </List.Item>
          ))}
        </List>
      )}
      {editable && (
        <Group mt="sm" align="flex-end">
          <NativeSelect label={<VisuallyHidden>Bridge to prefer</VisuallyHidden>} aria-label="Bridge to prefer" value={pick} onChange={(e) => setPick(e.currentTarget.value)} data={[{ value: '', label: 'Choose a bridge…' }, ...others.map((b) => ({ value: b.id, label: bridgeLabel(b) }))]} />
          <Button variant="default" disabled={!pick} onClick={() => { setOrder([...current, pick]); setPick(''); }}>Prefer</Button>
          <Button disabled={order === null} loading={save.isPending} onClick={() => save.mutate()}>Save order</Button>
        </Group>
      )}
      <ErrorNotice error={save.error} title="Could not save the order" />
      {save.isSuccess && order === null && <Text size="sm" c="green" role="status" mt="xs">Routing preference saved.</Text>}
    </Paper>
  );
}
