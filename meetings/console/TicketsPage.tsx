import { useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Anchor, Badge, Button, Group, Text } from '@mantine/core';
import { DataTable, type Column } from '../../platform/console/src/components/DataTable.tsx';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { notifyError, notifySuccess } from '../../platform/console/src/components/feedback.tsx';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import { Time, TimeZoneNote } from '../../platform/console/src/components/Time.tsx';
import { useCan } from '../../platform/console/src/session.tsx';
import { meetingsApi as api, type Row } from './meetings-api.ts';
import { MeetingsNav, bridgeLabel } from './shared.tsx';

// /meetings/tickets (M2): the open and acknowledged tickets of every bridge, in one list.

export function TicketsPage() {
  const can = useCan();
  const client = useQueryClient();
  const bridges = useQuery({ queryKey: ['meetings', 'bridges'], queryFn: ({ signal }) => api.bridges(signal), refetchInterval: 10_000 });
  // Only bridges that have tickets are asked (the list carries the counts).
  const withTickets = (bridges.data?.items ?? []).filter((b) => b.openTickets > 0 || b.acknowledgedTickets > 0);
  const lists = useQueries({ queries: withTickets.map((b) => ({ queryKey: ['meetings', 'tickets', b.id], queryFn: ({ signal }: { signal: AbortSignal }) => api.tickets(b.id, signal), refetchInterval: 10_000 })) });
  const tickets: Row[] = lists.flatMap((q, i) => (q.data?.items ?? []).filter((t: Row) => t.state !== 'closed').map((t: Row): Row => ({ ...t, bridge: withTickets[i] })));
  const acknowledge = useMutation({
    mutationFn: (t: Row) => api.ticketAction(t.bridgeId, t.id, 'acknowledge'),
    onSuccess: (t) => {
      notifySuccess(`Ticket #${t.id} acknowledged.`);
      return client.invalidateQueries({ queryKey: ['meetings'] });
    },
    onError: (error) => notifyError(error, 'Could not acknowledge the ticket'),
  });
  const columns: Column<Row>[] = [
    { key: 'id', header: '#', numeric: true, sortValue: (t) => t.id, render: (t) => t.id },
    { key: 'bridge', header: 'Bridge', sortValue: (t) => bridgeLabel(t.bridge), searchValue: (t) => bridgeLabel(t.bridge), render: (t) => <Anchor component={Link} to={`/meetings/bridges/${t.bridgeId}`}>{bridgeLabel(t.bridge)}</Anchor> },
    { key: 'title', header: 'Ticket', sortValue: (t) => t.title, searchValue: (t) => `${t.title} ${t.detail}`, render: (t) => (<><Text size="sm" fw={500}>{t.title}</Text><Text size="xs" c="dimmed">{t.detail}</Text></>) },
    { key: 'state', header: 'State', sortValue: (t) => t.state, render: (t) => <Badge variant="light" tt="none" color={t.state === 'open' ? 'red' : 'gray'}>{t.state}</Badge> },
    { key: 'opened', header: 'Opened', sortValue: (t) => t.openedAt, render: (t) => <Time value={t.openedAt} /> },
    ...(can('bridges.manage') ? [{ key: 'actions', header: <span className="visually-hidden">Actions</span>, render: (t: Row) => (t.state === 'open' ? <Button size="compact-xs" variant="default" onClick={() => acknowledge.mutate(t)} aria-label={`Acknowledge ticket ${t.id}`}>Acknowledge</Button> : null) }] : []),
  ];
  return (
    <>
      <PageHeader title="Tickets" />
      <MeetingsNav />
      <Text size="sm" c="dimmed" mb="sm">Problems the bridges report when they are polled. Acknowledge a ticket to say someone is on it; it closes when the bridge is well again.</Text>
      <ErrorNotice error={bridges.error ?? lists.find((q) => q.error)?.error} title="Could not read the tickets" />
      {bridges.data && (
        <DataTable caption="Tickets" columns={columns} rows={tickets} rowKey={(t) => `${t.bridgeId}-${t.id}`} searchable pageSize={25} initialSort={{ key: 'id', direction: 'desc' }} footer={<TimeZoneNote />}
          empty={{ title: 'No open tickets', description: bridges.data.items.length ? 'Every bridge is well. New problems appear here within a poll.' : 'Add a bridge first: its tickets are listed here.' }} />
      )}
      <Group mt="sm"><Anchor component={Link} to="/meetings/bridges" size="sm">All bridges</Anchor></Group>
    </>
  );
}
