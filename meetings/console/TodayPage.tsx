import { useMemo } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Anchor, Button, Paper, SimpleGrid, Text, Title } from '@mantine/core';
import { BarChart } from '@mantine/charts';
import { DataTable, type Column } from '../../platform/console/src/components/DataTable.tsx';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import { Time, TimeZoneNote, browserTimeZone } from '../../platform/console/src/components/Time.tsx';
import { meetingsApi as api, type Row } from './meetings-api.ts';
import { MeetingStateBadge, MeetingsNav, bridgeLabel } from './shared.tsx';

// /meetings: what an operator watches during the day — meetings running now (read every few
// seconds), how busy each hour of today is, and the bridges with open tickets.

const LIVE_MS = 3000;
const RUNNING = ['starting', 'ongoing', 'ending'];

function startOfToday() {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d;
}

/** Meetings that overlap each hour of the day (in the browser's zone); cancelled ones do not count. */
export function meetingsPerHour(meetings: Row[], dayStart: Date) {
  return Array.from({ length: 24 }, (_, hour) => {
    const from = new Date(dayStart);
    from.setHours(hour);
    const to = new Date(dayStart);
    to.setHours(hour + 1);
    const count = meetings.filter((m) => m.state !== 'cancelled' && Date.parse(m.startAt) < to.getTime() && Date.parse(m.endAt) > from.getTime()).length;
    return { hour: `${String(hour).padStart(2, '0')}:00`, Meetings: count };
  });
}

export function TodayPage() {
  const dayStart = useMemo(startOfToday, []);
  const dayEnd = new Date(dayStart.getTime() + 86_400_000);
  const running = useQuery({ queryKey: ['meetings', 'running'], queryFn: ({ signal }) => api.meetings({ state: RUNNING, limit: 200 }, signal), refetchInterval: LIVE_MS });
  const today = useQuery({ queryKey: ['meetings', 'day', dayStart.toISOString()], queryFn: ({ signal }) => api.meetings({ from: dayStart.toISOString(), to: dayEnd.toISOString(), limit: 500 }, signal), refetchInterval: 30_000 });
  const bridges = useQuery({ queryKey: ['meetings', 'bridges'], queryFn: ({ signal }) => api.bridges(signal), refetchInterval: 10_000 });
  const perHour = useMemo(() => meetingsPerHour(today.data?.items ?? [], dayStart), [today.data, dayStart]);
  const bridgeOf = (id: string) => bridges.data?.items.find((b) => b.id === id);
  const withTickets = (bridges.data?.items ?? []).filter((b) => b.openTickets > 0 || b.acknowledgedTickets > 0);

  const columns: Column<Row>[] = [
    { key: 'title', header: 'Meeting', sortValue: (m) => m.title, searchValue: (m) => m.title, render: (m) => <Anchor component={Link} to={`/meetings/${m.id}`}>{m.title}</Anchor> },
    { key: 'state', header: 'State', sortValue: (m) => m.state, render: (m) => <MeetingStateBadge state={m.state} /> },
    { key: 'bridge', header: 'Bridge', sortValue: (m) => bridgeLabel(bridgeOf(m.bridgeId)), render: (m) => bridgeLabel(bridgeOf(m.bridgeId)) },
    { key: 'start', header: 'Start', sortValue: (m) => m.startAt, render: (m) => <Time value={m.startAt} /> },
    { key: 'end', header: 'End', sortValue: (m) => m.endAt, render: (m) => <Time value={m.endAt} /> },
  ];

  return (
    <>
      <PageHeader title="Meetings">
        <Text size="xs" c="dimmed" className="live-indicator">Live · read every {LIVE_MS / 1000} s</Text>
      </PageHeader>
      <MeetingsNav />
      <Paper component="section" aria-labelledby="running-title" mb="lg">
        <Title order={2} fz="lg" id="running-title" mb="sm">Running now</Title>
        <ErrorNotice error={running.error} title="Could not read the running meetings" />
        {running.data && (
          <DataTable
            caption="Running meetings"
            columns={columns}
            rows={running.data.items}
            rowKey={(m) => m.id}
            searchable={running.data.items.length > 10}
            pageSize={25}
            initialSort={{ key: 'start', direction: 'asc' }}
            empty={{ title: 'No meeting is running', description: 'Booked meetings start here on time, with their dial-outs. Book one, or open the calendar to see what is coming.', action: <Button component={Link} to="/meetings/bookings/new" size="xs">Book a meeting</Button> }}
            footer={<TimeZoneNote />}
          />
        )}
      </Paper>
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
        <Paper component="section" aria-labelledby="hours-title">
          <Title order={2} fz="lg" id="hours-title">Meetings per hour today</Title>
          <Text size="xs" c="dimmed" mb="sm">Meetings that run during each hour, in {browserTimeZone}: where the bridges are busiest.</Text>
          <ErrorNotice error={today.error} title="Could not read today's meetings" />
          <BarChart h={220} data={perHour} dataKey="hour" series={[{ name: 'Meetings', color: 'blue.6' }]} tickLine="y" xAxisProps={{ interval: 2 }} yAxisProps={{ allowDecimals: false }} aria-label="Meetings per hour today" />
          <Text size="sm" mt="xs">Meetings today: {(today.data?.items ?? []).filter((m) => m.state !== 'cancelled').length}.</Text>
        </Paper>
        <Paper component="section" aria-labelledby="bridge-tickets-title">
          <Title order={2} fz="lg" id="bridge-tickets-title" mb="sm">Bridges with tickets</Title>
          <ErrorNotice error={bridges.error} title="Could not read the bridges" />
          {bridges.data && bridges.data.items.length === 0 && (
            <Text size="sm">No bridge yet. <Anchor component={Link} to="/meetings/bridges">Add a Cisco Meeting Server</Anchor> so meetings have somewhere to run.</Text>
          )}
          {bridges.data && bridges.data.items.length > 0 && withTickets.length === 0 && <Text size="sm">No bridge has an open or acknowledged ticket.</Text>}
          {withTickets.map((b) => (
            <Text key={b.id} size="sm">
              <Anchor component={Link} to={`/meetings/bridges/${b.id}`}>{bridgeLabel(b)}</Anchor>: {b.openTickets} open, {b.acknowledgedTickets} acknowledged
            </Text>
          ))}
        </Paper>
      </SimpleGrid>
    </>
  );
}
