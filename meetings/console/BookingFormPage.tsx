import { useMemo, useState } from 'react';
import { useDebouncedValue } from '@mantine/hooks';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Alert, Anchor, Button, Checkbox, Group, MultiSelect, NativeSelect, NumberInput, Paper, Select, SimpleGrid, Stack, TagsInput, Text, TextInput, Title } from '@mantine/core';
import { DatePickerInput, TimeInput } from '@mantine/dates';
import { useForm } from '@mantine/form';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { notifySuccess } from '../../platform/console/src/components/feedback.tsx';
import { fieldErrors } from '../../platform/console/src/components/form-errors.ts';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import { Time, browserTimeZone } from '../../platform/console/src/components/Time.tsx';
import { ApiError } from '../../platform/console/src/api.ts';
import { connectModes, meetingsApi as api, type ConnectMode, type Row } from './meetings-api.ts';
import { MeetingsNav, bridgeLabel } from './shared.tsx';

// /meetings/bookings/new (M8, M14): a booking in the words of a calendar — a day and a time in a
// time zone, how long, how it repeats — turned into the API's wall time and RRULE. The server's
// refusals come back under the field they are about, once.

const WEEKDAYS = [['MO', 'Mon'], ['TU', 'Tue'], ['WE', 'Wed'], ['TH', 'Thu'], ['FR', 'Fri'], ['SA', 'Sat'], ['SU', 'Sun']] as const;
const FREQ = { daily: 'DAILY', weekly: 'WEEKLY', monthly: 'MONTHLY' } as const;
const UNIT = { daily: 'day(s)', weekly: 'week(s)', monthly: 'month(s)' } as const;

const timeZones = (() => {
  const zones: string[] = (Intl as unknown as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
  return [...new Set(['UTC', browserTimeZone, ...zones])];
})();

/** The wall date (YYYY-MM-DD) and time (HH:mm) of now in `timeZone`, rounded up to the next half hour. */
function nextHalfHour(timeZone: string) {
  const at = new Date(Math.ceil(Date.now() / 1_800_000) * 1_800_000);
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at).map((x) => [x.type, x.value]));
  return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}` };
}

type Repeat = 'none' | 'daily' | 'weekly' | 'monthly' | 'custom';
type Values = {
  title: string; date: string | null; time: string; durationMinutes: number | string; timeZone: string;
  repeat: Repeat; interval: number | string; weekdays: string[]; ends: 'never' | 'count' | 'until'; count: number | string; until: string | null; customRule: string;
  dialOut: string[]; passcode: string; earlyJoinMinutes: number | string; bridgeId: string;
  rooms: string[]; roomModes: Record<string, ConnectMode>;
};

/** The UTC instant of a wall date and time in `timeZone` (two passes settle a daylight saving edge). */
export function wallTimeToUtc(date: string, time: string, timeZone: string): Date {
  const [y, mo, d] = date.split('-').map(Number);
  const [h, mi] = time.split(':').map(Number);
  const wall = Date.UTC(y!, mo! - 1, d!, h!, mi!);
  const offsetAt = (at: number) => {
    const p = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(at)).map((x) => [x.type, Number(x.value)]));
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) - Math.floor(at / 60_000) * 60_000;
  };
  let at = wall - offsetAt(wall);
  at = wall - offsetAt(at);
  return new Date(at);
}

/** Each chosen room's other meetings overlapping [from, to), read from the rooms' free/busy. */
function RoomsFreeBusy({ rooms, names, from, to }: { rooms: string[]; names: Map<string, string>; from: Date | null; to: Date | null }) {
  const span = from && to ? [from.toISOString(), to.toISOString()] as const : null;
  const busy = useQuery({
    queryKey: ['meetings', 'rooms-busy', rooms, span],
    enabled: !!span && rooms.length > 0,
    queryFn: async ({ signal }) => Promise.all(rooms.map(async (id) => ({ id, items: (await api.busy(id, span![0], span![1], signal)).items }))),
  });
  if (!rooms.length || !span) return null;
  if (busy.error) return <ErrorNotice error={busy.error} title="Could not read the rooms' free/busy" />;
  if (!busy.data) return <Text size="xs" c="dimmed">Reading the rooms' free/busy…</Text>;
  return (
    <ul aria-label="Rooms free/busy" style={{ margin: 0, paddingLeft: 18 }}>
      {busy.data.map(({ id, items }) => (
        <li key={id}>
          {items.length === 0 ? (
            <Text size="sm" c="green.8">{names.get(id) ?? id} is free then.</Text>
          ) : (
            <Text size="sm" c="red.8">
              {names.get(id) ?? id} is busy then: {items.map((b, i) => <span key={b.occurrenceId}>{i > 0 && '; '}{b.private ? 'a private meeting' : `"${b.title}"`} (<Time value={b.startAt} /> – <Time value={b.endAt} />)</span>)}. Choose another time or another room.
            </Text>
          )}
        </li>
      ))}
    </ul>
  );
}

/** The RRULE of the repeat fields; undefined for a single meeting. */
export function recurrenceOf(v: Pick<Values, 'repeat' | 'interval' | 'weekdays' | 'ends' | 'count' | 'until' | 'customRule'>): string | undefined {
  if (v.repeat === 'none') return undefined;
  if (v.repeat === 'custom') return v.customRule.trim();
  const parts = [`FREQ=${FREQ[v.repeat]}`];
  if (Number(v.interval) > 1) parts.push(`INTERVAL=${Number(v.interval)}`);
  if (v.repeat === 'weekly' && v.weekdays.length) parts.push(`BYDAY=${v.weekdays.join(',')}`);
  if (v.ends === 'count' && v.count !== '') parts.push(`COUNT=${Number(v.count)}`);
  if (v.ends === 'until' && v.until) parts.push(`UNTIL=${v.until.replaceAll('-', '')}`);
  return parts.join(';');
}

export function BookingFormPage() {
  const client = useQueryClient();
  const bridges = useQuery({ queryKey: ['meetings', 'bridges'], queryFn: ({ signal }) => api.bridges(signal) });
  const initial = useMemo(() => nextHalfHour(browserTimeZone), []);
  const endpoints = useQuery({ queryKey: ['meetings', 'endpoints'], queryFn: ({ signal }) => api.endpoints(signal) });
  const [booked, setBooked] = useState<{ booking: Row; firstMeetingId: string | null; rooms: number; roomsError?: unknown } | null>(null);
  const form = useForm<Values>({
    mode: 'controlled',
    initialValues: {
      title: '', date: initial.date, time: initial.time, durationMinutes: 60, timeZone: browserTimeZone,
      repeat: 'none', interval: 1, weekdays: [], ends: 'count', count: 10, until: null, customRule: '',
      dialOut: [], passcode: '', earlyJoinMinutes: 5, bridgeId: '',
      rooms: [], roomModes: {},
    },
    // What the form itself can tell before sending; the server checks everything again.
    validate: {
      title: (v) => (v.trim() ? null : 'Give the meeting a title.'),
      date: (v) => (v ? null : 'Choose the day of the meeting.'),
      time: (v) => (/^\d{2}:\d{2}/.test(v) ? null : 'Enter the start time, such as 09:30.'),
      weekdays: (v, values) => (values.repeat === 'weekly' && v.length === 0 ? 'Choose at least one weekday.' : null),
      until: (v, values) => (values.repeat !== 'none' && values.repeat !== 'custom' && values.ends === 'until' && !v ? 'Choose the last day of the series.' : null),
      customRule: (v, values) => (values.repeat === 'custom' && !v.trim() ? 'Enter a repeat rule, such as FREQ=WEEKLY;BYDAY=MO,WE.' : null),
    },
  });
  const v = form.values;
  // The API's field names → this form's fields (a recurrence problem belongs to the repeat fields).
  const fieldOf = (path: string) => {
    const top = path.split('.')[0];
    if (top === 'start' || top === 'end') return 'date';
    if (top === 'recurrence') return v.repeat === 'custom' ? 'customRule' : 'repeat';
    return top;
  };
  const book = useMutation({
    mutationFn: async (values: Values) => {
      const booking = await api.book({
        title: values.title.trim(),
        start: `${values.date}T${values.time.slice(0, 5)}`,
        durationMinutes: values.durationMinutes === '' ? undefined : Number(values.durationMinutes),
        timeZone: values.timeZone,
        dialOut: values.dialOut.length ? values.dialOut : undefined,
        passcode: values.passcode || undefined,
        earlyJoinMinutes: values.earlyJoinMinutes === '' ? 0 : Number(values.earlyJoinMinutes),
        recurrence: recurrenceOf(values),
        bridgeId: values.bridgeId || undefined,
      });
      // The rooms are set once the booking exists; a room taken then leaves the booking without rooms,
      // said under the rooms field, so the rooms can be changed and set again from the meeting.
      let roomsError: unknown;
      if (values.rooms.length) {
        await api.setRooms(booking.id, values.rooms.map((endpointId) => ({ endpointId, connectMode: values.roomModes[endpointId] ?? 'obtp' }))).catch((error: unknown) => { roomsError = error; });
      }
      const detail = await api.booking(booking.id).catch(() => null);
      return { booking, roomsError, rooms: values.rooms.length, firstMeetingId: (detail?.occurrences as Row[] | undefined)?.find((o) => o.state === 'scheduled')?.id ?? null };
    },
    onSuccess: (result) => {
      setBooked(result);
      if (result.roomsError) form.setFieldError('rooms', `Booked without its rooms: ${result.roomsError instanceof ApiError ? result.roomsError.message : String(result.roomsError)}`);
      notifySuccess(`"${result.booking.title}": ${result.booking.occurrences ?? 1} meeting(s) booked.`, 'Booked');
      return client.invalidateQueries({ queryKey: ['meetings'] });
    },
    onError: (error) => {
      const errors: Record<string, string> = {};
      for (const [path, message] of Object.entries(fieldErrors(error))) errors[fieldOf(path)] ??= message;
      form.setErrors(errors);
    },
  });
  const mapped = Object.keys(fieldErrors(book.error)).map(fieldOf);
  // Shown above the button only when no field carries the problem (a conflict, an end before the start).
  const unplaced = book.error && (mapped.length === 0 || mapped.some((f) => !(f in form.values)));
  const repeating = v.repeat !== 'none' && v.repeat !== 'custom';
  const roomNames = new Map((endpoints.data?.items ?? []).map((e) => [e.id as string, e.name as string]));
  // Free/busy follows the chosen time once the typing settles.
  const [when] = useDebouncedValue(`${v.date ?? ''}|${v.time}|${v.timeZone}|${v.durationMinutes}`, 400);
  const span = useMemo(() => {
    const [date, time, timeZone, minutes] = when.split('|');
    if (!date || !/^\d{2}:\d{2}/.test(time!) || !Number(minutes)) return null;
    try {
      const from = wallTimeToUtc(date, time!.slice(0, 5), timeZone!);
      return { from, to: new Date(from.getTime() + Number(minutes) * 60_000) };
    } catch {
      return null;
    }
  }, [when]);

  return (
    <>
      <PageHeader title="Book a meeting" />
      <MeetingsNav />
      <Paper component="form" aria-label="Book a meeting" onSubmit={form.onSubmit((values) => { setBooked(null); book.mutate(values); })} noValidate>
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }} spacing="sm">
          <TextInput label="Title" {...form.getInputProps('title')} />
          <DatePickerInput label="Date" valueFormat="ddd D MMM YYYY" {...form.getInputProps('date')} />
          <TimeInput label="Start time" description={`Wall time in ${v.timeZone}`} {...form.getInputProps('time')} />
          <NumberInput label="Duration (minutes)" allowDecimal={false} {...form.getInputProps('durationMinutes')} />
          <Select label="Time zone" searchable data={timeZones} allowDeselect={false} limit={50} {...form.getInputProps('timeZone')} />
          <NumberInput label="Early join (minutes)" description="Participants may join this early" allowDecimal={false} {...form.getInputProps('earlyJoinMinutes')} />
          <TextInput label="Passcode" description="Digits only; optional" inputMode="numeric" {...form.getInputProps('passcode')} />
          <NativeSelect label="Bridge" data={[{ value: '', label: 'Route automatically' }, ...(bridges.data?.items ?? []).map((b) => ({ value: b.id, label: bridgeLabel(b) }))]} {...form.getInputProps('bridgeId')} />
        </SimpleGrid>
        <MultiSelect
          mt="sm" label="Rooms" searchable clearable
          description={v.repeat === 'none' ? 'Room endpoints taking part; free/busy is for the chosen time' : 'Room endpoints taking part; free/busy is for the first meeting'}
          placeholder={endpoints.data && endpoints.data.items.length === 0 ? 'No rooms registered' : 'Choose rooms'}
          data={(endpoints.data?.items ?? []).map((e) => ({ value: e.id, label: e.name }))}
          {...form.getInputProps('rooms')}
        />
        {v.rooms.length > 0 && (
          <Stack gap={4} mt={4}>
            {v.rooms.map((id) => (
              <NativeSelect key={id} size="xs" label={`How ${roomNames.get(id) ?? 'the room'} joins`} data={connectModes} value={v.roomModes[id] ?? 'obtp'} onChange={(e) => form.setFieldValue('roomModes', { ...v.roomModes, [id]: e.currentTarget.value as ConnectMode })} />
            ))}
            <RoomsFreeBusy rooms={v.rooms} names={roomNames} from={span?.from ?? null} to={span?.to ?? null} />
          </Stack>
        )}
        <TagsInput mt="sm" label="Dial out to" description="SIP URIs such as alice@example.com; press Enter after each" splitChars={[',', ' ']} {...form.getInputProps('dialOut')} />

        <Title order={2} fz="md" mt="lg" mb="xs">Repeats</Title>
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }} spacing="sm">
          <NativeSelect label="Repeats" data={[{ value: 'none', label: 'Does not repeat' }, { value: 'daily', label: 'Daily' }, { value: 'weekly', label: 'Weekly' }, { value: 'monthly', label: 'Monthly' }, { value: 'custom', label: 'Custom rule (RRULE)' }]} {...form.getInputProps('repeat')} />
          {repeating && <NumberInput label={`Every … ${UNIT[v.repeat as keyof typeof UNIT]}`} min={1} allowDecimal={false} {...form.getInputProps('interval')} />}
          {repeating && <NativeSelect label="Ends" data={[{ value: 'count', label: 'After a number of meetings' }, { value: 'until', label: 'On a day' }, { value: 'never', label: 'Never' }]} {...form.getInputProps('ends')} />}
          {repeating && v.ends === 'count' && <NumberInput label="Number of meetings" min={1} allowDecimal={false} {...form.getInputProps('count')} />}
          {repeating && v.ends === 'until' && <DatePickerInput label="Last day" valueFormat="ddd D MMM YYYY" {...form.getInputProps('until')} />}
          {v.repeat === 'custom' && <TextInput label="Repeat rule" description="RFC 5545 RRULE, such as FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10" {...form.getInputProps('customRule')} />}
        </SimpleGrid>
        {v.repeat === 'weekly' && (
          <Checkbox.Group mt="sm" label="On" {...form.getInputProps('weekdays')}>
            <Group gap="sm" mt={4}>{WEEKDAYS.map(([value, label]) => <Checkbox key={value} value={value} label={label} />)}</Group>
          </Checkbox.Group>
        )}
        {v.repeat !== 'none' && <Text size="xs" c="dimmed" mt="xs">Times repeat in {v.timeZone}'s wall time: 10:00 stays 10:00 across daylight saving changes. A series repeats at most daily.</Text>}

        {unplaced && <ErrorNotice error={book.error} title="Not booked" />}
        <Group mt="md"><Button type="submit" loading={book.isPending}>Book</Button></Group>
        {booked && (
          <Alert color="green" variant="light" role="status" mt="sm" title="Booked">
            Booked "{booked.booking.title}" — {booked.booking.occurrences ?? 1} meeting(s), first <Time value={booked.booking.startAt} />{booked.rooms > 0 && !booked.roomsError ? `, with ${booked.rooms} room(s)` : ''}.{' '}
            {booked.firstMeetingId && <Anchor component={Link} to={`/meetings/${booked.firstMeetingId}`}>Open the meeting</Anchor>}
          </Alert>
        )}
      </Paper>
    </>
  );
}
