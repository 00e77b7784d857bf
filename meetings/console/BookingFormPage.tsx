import { useMemo, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Alert, Anchor, Button, Checkbox, Group, NativeSelect, NumberInput, Paper, Select, SimpleGrid, TagsInput, Text, TextInput, Title } from '@mantine/core';
import { DatePickerInput, TimeInput } from '@mantine/dates';
import { useForm } from '@mantine/form';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { notifySuccess } from '../../platform/console/src/components/feedback.tsx';
import { fieldErrors } from '../../platform/console/src/components/form-errors.ts';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import { Time, browserTimeZone } from '../../platform/console/src/components/Time.tsx';
import { meetingsApi as api, type Row } from './meetings-api.ts';
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
};

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
  const [booked, setBooked] = useState<{ booking: Row; firstMeetingId: string | null } | null>(null);
  const form = useForm<Values>({
    mode: 'controlled',
    initialValues: {
      title: '', date: initial.date, time: initial.time, durationMinutes: 60, timeZone: browserTimeZone,
      repeat: 'none', interval: 1, weekdays: [], ends: 'count', count: 10, until: null, customRule: '',
      dialOut: [], passcode: '', earlyJoinMinutes: 5, bridgeId: '',
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
      const detail = await api.booking(booking.id).catch(() => null);
      return { booking, firstMeetingId: (detail?.occurrences as Row[] | undefined)?.find((o) => o.state === 'scheduled')?.id ?? null };
    },
    onSuccess: (result) => {
      setBooked(result);
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
            Booked "{booked.booking.title}" — {booked.booking.occurrences ?? 1} meeting(s), first <Time value={booked.booking.startAt} />.{' '}
            {booked.firstMeetingId && <Anchor component={Link} to={`/meetings/${booked.firstMeetingId}`}>Open the meeting</Anchor>}
          </Alert>
        )}
      </Paper>
    </>
  );
}
