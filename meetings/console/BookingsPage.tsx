import { useState } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Button, Code, Group, SegmentedControl, Text } from '@mantine/core';
import { DataTable, type Column } from '../../platform/console/src/components/DataTable.tsx';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { confirmAction, notifyError, notifySuccess } from '../../platform/console/src/components/feedback.tsx';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import { Time, TimeZoneNote } from '../../platform/console/src/components/Time.tsx';
import { useCan } from '../../platform/console/src/session.tsx';
import { meetingsApi as api, type Row } from './meetings-api.ts';
import { MeetingsNav, bridgeLabel } from './shared.tsx';

// /meetings/bookings (M8): every booking, paged by the API, with cancel (confirmed first).

const PAGE_SIZE = 50;

export function BookingsPage() {
  const can = useCan();
  const client = useQueryClient();
  const [offset, setOffset] = useState(0);
  const [state, setState] = useState<'booked' | 'cancelled'>('booked');
  const bookings = useQuery({ queryKey: ['meetings', 'bookings', state, offset], queryFn: ({ signal }) => api.bookings({ state, offset, limit: PAGE_SIZE }, signal), placeholderData: keepPreviousData, refetchInterval: 15_000 });
  const bridges = useQuery({ queryKey: ['meetings', 'bridges'], queryFn: ({ signal }) => api.bridges(signal) });
  const cancel = useMutation({
    mutationFn: (b: Row) => api.cancelBooking(b.id),
    onSuccess: (b) => {
      notifySuccess(`"${b.title}" is cancelled; its meetings will not start.`, 'Booking cancelled');
      return client.invalidateQueries({ queryKey: ['meetings'] });
    },
    onError: (error) => notifyError(error, 'Could not cancel the booking'),
  });
  const askCancel = async (b: Row) => {
    if (await confirmAction({ title: `Cancel "${b.title}"?`, message: `Every meeting of this booking that has not started is cancelled and its pool slot freed (${b.occurrences ?? 1} meeting(s)). This cannot be undone.`, confirmLabel: 'Cancel booking', danger: true })) cancel.mutate(b);
  };
  const columns: Column<Row>[] = [
    { key: 'title', header: 'Title', sortValue: (b) => b.title, searchValue: (b) => `${b.title} ${b.organizer}`, render: (b) => b.title },
    { key: 'start', header: 'First meeting', sortValue: (b) => b.startAt, render: (b) => <Time value={b.startAt} /> },
    { key: 'recurrence', header: 'Repeats', sortValue: (b) => b.recurrence ?? '', render: (b) => (b.recurrence ? <Code>{b.recurrence}</Code> : 'once') },
    { key: 'occurrences', header: 'Meetings', numeric: true, sortValue: (b) => b.occurrences ?? 1, render: (b) => b.occurrences ?? 1 },
    { key: 'dialOut', header: 'Dial-outs', searchValue: (b) => b.dialOut.join(' '), render: (b) => b.dialOut.join(', ') || '—' },
    { key: 'bridge', header: 'Bridge', sortValue: (b) => bridgeLabel(bridges.data?.items.find((x) => x.id === b.bridgeId)), render: (b) => bridgeLabel(bridges.data?.items.find((x) => x.id === b.bridgeId)) },
    { key: 'organizer', header: 'Organizer', sortValue: (b) => b.organizer, render: (b) => b.organizer },
    ...(can('bookings.manage') && state === 'booked' ? [{ key: 'actions', header: <span className="visually-hidden">Actions</span>, render: (b: Row) => <Button size="compact-xs" variant="subtle" color="red" onClick={() => void askCancel(b)} aria-label={`Cancel ${b.title}`}>Cancel…</Button> }] : []),
  ];
  return (
    <>
      <PageHeader title="Bookings">
        {can('bookings.manage') && <Button component={Link} to="/meetings/bookings/new">Book a meeting</Button>}
      </PageHeader>
      <MeetingsNav />
      <Group mb="sm">
        <SegmentedControl aria-label="Bookings shown" value={state} onChange={(v) => { setState(v as typeof state); setOffset(0); }} data={[{ value: 'booked', label: 'Booked' }, { value: 'cancelled', label: 'Cancelled' }]} />
        <Text size="sm" c="dimmed">Open a meeting from the calendar or the Today page to control it.</Text>
      </Group>
      <ErrorNotice error={bookings.error} title="Could not read the bookings" />
      {bookings.data && (
        <DataTable caption="Bookings" columns={columns} rows={bookings.data.items} rowKey={(b) => b.id} searchable searchLabel="Search bookings" paging={{ total: bookings.data.total, offset, limit: PAGE_SIZE, onChange: setOffset }} footer={<TimeZoneNote />}
          empty={state === 'booked'
            ? { title: 'Nothing booked yet', description: 'Book a meeting: Switchboard reserves a scheduled space on a bridge, starts it on time and dials out to its participants.', action: <Button component={Link} to="/meetings/bookings/new" size="xs">Book a meeting</Button> }
            : { title: 'No cancelled booking' }} />
      )}
    </>
  );
}
