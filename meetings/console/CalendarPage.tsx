import { useState } from 'react';
import { useQueries, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Anchor, Button, Group, NativeSelect, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import { TimeZoneNote } from '../../platform/console/src/components/Time.tsx';
import { meetingsApi as api } from './meetings-api.ts';
import { MeetingStateBadge, MeetingsNav, bridgeLabel } from './shared.tsx';

// /meetings/calendar (M8, #17): a week of meetings, per bridge or all, or one room's calendar (its
// free/busy), in the browser's time zone; each meeting names its rooms.

const DAY = 86_400_000;

function startOfWeek(date: Date) {
  const d = new Date(date);
  d.setHours(0, 0, 0, 0);
  d.setDate(d.getDate() - ((d.getDay() + 6) % 7));
  return d;
}

const dayTitle = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short' });
const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

export function CalendarPage() {
  const [week, setWeek] = useState(() => startOfWeek(new Date()));
  const [bridgeId, setBridgeId] = useState('');
  const [roomId, setRoomId] = useState('');
  const bridges = useQuery({ queryKey: ['meetings', 'bridges'], queryFn: ({ signal }) => api.bridges(signal) });
  const endpoints = useQuery({ queryKey: ['meetings', 'endpoints'], queryFn: ({ signal }) => api.endpoints(signal) });
  const to = new Date(week.getTime() + 7 * DAY);
  // A room's calendar is its free/busy for the week (every bridge); otherwise the meetings of a bridge or all.
  const meetings = useQuery({
    queryKey: ['meetings', 'calendar', week.toISOString(), bridgeId, roomId],
    queryFn: async ({ signal }) => {
      if (!roomId) return api.meetings({ from: week.toISOString(), to: to.toISOString(), bridgeId, limit: 500 }, signal);
      const busy = await api.busy(roomId, week.toISOString(), to.toISOString(), signal);
      return { items: busy.items.map((b) => ({ id: b.occurrenceId, bookingId: b.bookingId, title: b.private ? 'Private meeting' : b.title, startAt: b.startAt, endAt: b.endAt, state: b.state })) };
    },
    refetchInterval: 15_000,
  });
  const bookingIds = [...new Set((meetings.data?.items ?? []).map((m) => m.bookingId as string))];
  const rooms = useQueries({ queries: bookingIds.map((id) => ({ queryKey: ['meetings', 'booking-rooms', id], queryFn: ({ signal }: { signal: AbortSignal }) => api.rooms(id, signal), staleTime: 15_000 })) });
  const roomsOf = new Map(bookingIds.map((id, i) => [id, rooms[i]?.data?.items ?? []]));
  const room = endpoints.data?.items.find((e) => e.id === roomId);
  // Days are built by the calendar, not by adding 24 h: a daylight saving change keeps midnight.
  const days = Array.from({ length: 7 }, (_, i) => { const d = new Date(week); d.setDate(d.getDate() + i); return d; });
  const items = meetings.data?.items ?? [];
  return (
    <>
      <PageHeader title="Calendar" />
      <MeetingsNav />
      <Group mb="sm" align="flex-end">
        <Button variant="default" onClick={() => setWeek(startOfWeek(new Date(week.getTime() - 3 * DAY)))}>← Previous week</Button>
        <Title order={2} fz="md">Week of {week.toDateString()}</Title>
        <Button variant="default" onClick={() => setWeek(startOfWeek(new Date(week.getTime() + 10 * DAY)))}>Next week →</Button>
        <Button variant="subtle" onClick={() => setWeek(startOfWeek(new Date()))}>This week</Button>
        {!roomId && <NativeSelect aria-label="Bridge" value={bridgeId} onChange={(e) => setBridgeId(e.currentTarget.value)} data={[{ value: '', label: 'All bridges' }, ...(bridges.data?.items ?? []).map((b) => ({ value: b.id, label: bridgeLabel(b) }))]} />}
        <NativeSelect aria-label="Room" value={roomId} onChange={(e) => setRoomId(e.currentTarget.value)} data={[{ value: '', label: 'All rooms' }, ...(endpoints.data?.items ?? []).map((e) => ({ value: e.id, label: e.name }))]} />
        {room && <Anchor href={api.roomCalendarUrl(room.id)} size="sm">iCalendar feed of {room.name}</Anchor>}
      </Group>
      <ErrorNotice error={meetings.error} title="Could not read the meetings" />
      {meetings.data && items.length === 0 && <Text size="sm" mb="sm">No meetings this week. <Anchor component={Link} to="/meetings/bookings/new">Book a meeting</Anchor>, or look at another week.</Text>}
      <SimpleGrid cols={{ base: 1, sm: 3, lg: 7 }} spacing="xs">
        {days.map((day) => (
          <Paper key={day.toISOString()} p="xs" withBorder component="section" aria-label={day.toDateString()}>
            <Title order={3} fz="sm" mb="xs">{dayTitle.format(day)}</Title>
            <Stack gap={6}>
              {items.filter((m) => new Date(m.startAt).toDateString() === day.toDateString()).map((m) => (
                <div key={m.id}>
                  <Anchor component={Link} to={`/meetings/${m.id}`} size="sm">{clock.format(new Date(m.startAt))} {m.title}</Anchor>
                  <div><MeetingStateBadge state={m.state} /></div>
                  {(roomsOf.get(m.bookingId) ?? []).length > 0 && <Text size="xs" c="dimmed">Rooms: {roomsOf.get(m.bookingId)!.map((r) => r.name).join(', ')}</Text>}
                </div>
              ))}
            </Stack>
          </Paper>
        ))}
      </SimpleGrid>
      <TimeZoneNote />
    </>
  );
}
