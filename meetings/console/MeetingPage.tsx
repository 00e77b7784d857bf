import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { Anchor, Badge, Button, Group, NumberInput, Paper, SimpleGrid, Table, TagsInput, Text, TextInput, Timeline, Title } from '@mantine/core';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { confirmAction, notifyError, notifySuccess } from '../../platform/console/src/components/feedback.tsx';
import { fieldErrors } from '../../platform/console/src/components/form-errors.ts';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import { Time, TimeZoneNote } from '../../platform/console/src/components/Time.tsx';
import { useCan } from '../../platform/console/src/session.tsx';
import { meetingsApi as api, type Row } from './meetings-api.ts';
import { MeetingStateBadge, MeetingsNav, OutcomeBadge } from './shared.tsx';

// /meetings/<id> (M8–M13): one meeting. While it runs, the page reads it from the bridge every
// LIVE_MS — who is in it, connected or not, muted or not, whether it is locked — and controls it:
// mute, drop, add a participant, lock, banner message, extend, end (confirmed first).

const LIVE_MS = 2000;

export function MeetingPage() {
  const { id = '' } = useParams();
  const can = useCan();
  const meeting = useQuery({ queryKey: ['meetings', 'meeting', id], queryFn: ({ signal }) => api.meeting(id, signal), refetchInterval: LIVE_MS });
  const m = meeting.data;
  const live = m?.state === 'ongoing';
  const control = live && can('meetings.control');
  return (
    <>
      <PageHeader title={m ? m.title : 'Meeting'}>
        {live && <Text size="xs" c="dimmed" className="live-indicator">Live · read from the bridge every {LIVE_MS / 1000} s</Text>}
      </PageHeader>
      <MeetingsNav />
      <ErrorNotice error={meeting.error} title="Could not read the meeting" />
      {!m && !meeting.error && <Text role="status">Loading…</Text>}
      {m && (
        <>
          <Group gap="sm" mb="md" aria-label="Meeting summary" role="group">
            <MeetingStateBadge state={m.state} />
            {live && m.locked !== null && <Badge variant="light" color={m.locked ? 'orange' : 'gray'} tt="none">{m.locked ? 'Locked' : 'Unlocked'}</Badge>}
            <Text size="sm"><Time value={m.startAt} /> – <Time value={m.endAt} /></Text>
            <Text size="sm" c="dimmed">slot {m.slot ?? '—'} · failovers {m.failovers} · organizer {m.organizer}</Text>
          </Group>
          {m.error && <Text c="red" size="sm" mb="sm">{m.error}</Text>}
          {control && <LiveControls meeting={m} />}
          <Participants meeting={m} control={!!control} />
          <Rooms meeting={m} />
          {m.state === 'scheduled' && can('bookings.manage') && (
            <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="lg" mt="lg">
              <OccurrenceSchedule meeting={m} />
              <OccurrenceDialOuts meeting={m} />
            </SimpleGrid>
          )}
          <History meeting={m} />
        </>
      )}
    </>
  );
}

/** Runs a control call, says what it did, and reads the meeting again at once. */
function useControl(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ fn }: { fn: () => Promise<unknown>; done: string }) => fn(),
    onSuccess: (_data, { done }) => {
      notifySuccess(done);
      return client.invalidateQueries({ queryKey: ['meetings', 'meeting', id] });
    },
    // A refused field (the URI to dial) is shown under the field instead, once.
    onError: (error) => {
      if (Object.keys(fieldErrors(error)).length === 0) notifyError(error);
    },
  });
}

function LiveControls({ meeting: m }: { meeting: Row }) {
  const navigate = useNavigate();
  const act = useControl(m.id);
  const run = (done: string, fn: () => Promise<unknown>) => act.mutateAsync({ fn, done }).catch(() => undefined);
  const [uri, setUri] = useState('');
  const [message, setMessage] = useState('');
  const [minutes, setMinutes] = useState<number | string>(15);
  const [dialError, setDialError] = useState<string | undefined>();
  const end = async () => {
    const yes = await confirmAction({ title: 'End this meeting now?', message: `Everyone in "${m.title}" is disconnected and the meeting's slot is freed. This cannot be undone.`, confirmLabel: 'End meeting', danger: true });
    if (yes) await run('Ending the meeting: participants are being disconnected.', () => api.end(m.id));
  };
  return (
    <Paper component="section" aria-label="Meeting controls" mb="lg">
      <Group gap="sm" align="flex-end" wrap="wrap">
        {m.locked
          ? <Button variant="default" onClick={() => run('Unlocked: participants can join again.', () => api.updateCall(m.id, { locked: false }))}>Unlock</Button>
          : <Button variant="default" onClick={() => run('Locked: nobody else can join.', () => api.updateCall(m.id, { locked: true }))}>Lock</Button>}
        <NumberInput label="Minutes" w={90} min={1} max={480} allowDecimal={false} value={minutes} onChange={setMinutes} />
        <Button variant="default" disabled={!Number(minutes)} onClick={() => run(`Extended by ${minutes} minutes.`, () => api.extend(m.id, Number(minutes)))}>Extend</Button>
        <Button color="red" onClick={() => void end()}>End now…</Button>
        <Button variant="subtle" onClick={() => navigate('/meetings')}>Back to today</Button>
      </Group>
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="sm" mt="sm">
        <Group component="form" align="flex-start" gap="xs" wrap="nowrap" aria-label="Add participant" onSubmit={(e) => {
          e.preventDefault();
          setDialError(undefined);
          void act.mutateAsync({ fn: () => api.dial(m.id, uri.trim()), done: `Dialling ${uri.trim()}.` }).then(() => setUri(''), (error) => setDialError(fieldErrors(error).remoteParty));
        }}>
          <TextInput label="Dial out to" placeholder="alice@example.com" value={uri} onChange={(e) => setUri(e.currentTarget.value)} error={dialError} style={{ flex: 1 }} />
          <Button type="submit" mt={24} variant="default" disabled={!uri.trim()}>Add participant</Button>
        </Group>
        <Group component="form" align="flex-start" gap="xs" wrap="nowrap" aria-label="Banner message" onSubmit={(e) => { e.preventDefault(); void run(`Message shown: "${message}".`, () => api.updateCall(m.id, { messageText: message })); }}>
          <TextInput label="Message" description={m.messageText ? `Showing: "${m.messageText}"` : 'Shown to everyone for a minute'} value={message} onChange={(e) => setMessage(e.currentTarget.value)} style={{ flex: 1 }} />
          <Button type="submit" mt={24} variant="default" disabled={!message}>Send message</Button>
        </Group>
      </SimpleGrid>
    </Paper>
  );
}

type Participant = { key: string; remoteParty: string; connection: string; reason: string | null; callLegId: string | null; audioMuted: boolean | null; videoMuted: boolean | null; onBridge: boolean };

/** Switchboard's dial-outs (with their outcome) joined with the legs the bridge has now (state, mutes); a leg on the bridge Switchboard did not place (someone dialled in) is listed too. */
function participantsOf(m: Row): Participant[] {
  const liveLegs: Row[] = m.liveLegs ?? [];
  const byLeg = new Map(liveLegs.map((l) => [l.callLegId, l]));
  const rows: Participant[] = (m.legs as Row[]).map((l) => {
    const onBridge = l.callLegId ? byLeg.get(l.callLegId) : undefined;
    if (onBridge) byLeg.delete(l.callLegId);
    return {
      key: l.id, remoteParty: l.remoteParty, reason: l.reason, callLegId: l.callLegId,
      // The leg's own record says failed or dropped; while it is on the bridge, the bridge's state is the news.
      connection: onBridge?.state ?? l.outcome,
      audioMuted: onBridge?.audioMuted ?? null, videoMuted: onBridge?.videoMuted ?? null, onBridge: !!onBridge,
    };
  });
  for (const l of byLeg.values()) rows.push({ key: l.callLegId, remoteParty: l.remoteParty || l.name, reason: null, callLegId: l.callLegId, connection: l.state ?? 'connected', audioMuted: l.audioMuted, videoMuted: l.videoMuted, onBridge: true });
  return rows;
}

function MuteBadge({ muted, what }: { muted: boolean | null; what: string }) {
  if (muted === null) return <Text size="sm" c="dimmed">—</Text>;
  return <Badge variant="light" color={muted ? 'orange' : 'green'} tt="none">{muted ? `${what} muted` : `${what} on`}</Badge>;
}

function Participants({ meeting: m, control }: { meeting: Row; control: boolean }) {
  const act = useControl(m.id);
  const run = (done: string, fn: () => Promise<unknown>) => act.mutate({ fn, done });
  const rows = participantsOf(m);
  const drop = async (p: Participant) => {
    if (await confirmAction({ title: `Drop ${p.remoteParty}?`, message: 'The bridge disconnects this participant. You can dial them again with Add participant.', confirmLabel: 'Drop', danger: true })) run(`Dropped ${p.remoteParty}.`, () => api.drop(m.id, p.callLegId!));
  };
  return (
    <Paper component="section" aria-labelledby="participants-title" mb="lg">
      <Title order={2} fz="lg" id="participants-title" mb="sm">Participants</Title>
      {rows.length === 0 ? (
        <Text size="sm" c="dimmed">{m.state === 'ongoing' ? 'Nobody is in the meeting. Add a participant to dial out to them.' : 'No dial-outs. Participants who dial in are listed here while the meeting runs.'}</Text>
      ) : (
        <Table.ScrollContainer minWidth={720}>
          <Table striped aria-label="Participants">
            <Table.Thead><Table.Tr><Table.Th>Participant</Table.Th><Table.Th>Connection</Table.Th><Table.Th>Audio</Table.Th><Table.Th>Video</Table.Th><Table.Th>Reason</Table.Th>{control && <Table.Th><span className="visually-hidden">Actions</span></Table.Th>}</Table.Tr></Table.Thead>
            <Table.Tbody>
              {rows.map((p) => (
                <Table.Tr key={p.key}>
                  <Table.Td>{p.remoteParty}</Table.Td>
                  <Table.Td><OutcomeBadge outcome={p.connection} /></Table.Td>
                  <Table.Td><MuteBadge muted={p.audioMuted} what="Audio" /></Table.Td>
                  <Table.Td><MuteBadge muted={p.videoMuted} what="Video" /></Table.Td>
                  <Table.Td>{p.reason ?? ''}</Table.Td>
                  {control && (
                    <Table.Td>
                      {p.onBridge && p.callLegId && (
                        <Group gap={4} wrap="nowrap">
                          {p.audioMuted
                            ? <Button size="compact-xs" variant="default" onClick={() => run(`Unmuted ${p.remoteParty}.`, () => api.mute(m.id, p.callLegId!, { audioMuted: false }))}>Unmute</Button>
                            : <Button size="compact-xs" variant="default" onClick={() => run(`Muted ${p.remoteParty}.`, () => api.mute(m.id, p.callLegId!, { audioMuted: true }))}>Mute</Button>}
                          {p.videoMuted
                            ? <Button size="compact-xs" variant="default" onClick={() => run(`Video of ${p.remoteParty} on again.`, () => api.mute(m.id, p.callLegId!, { videoMuted: false }))}>Start video</Button>
                            : <Button size="compact-xs" variant="default" onClick={() => run(`Video of ${p.remoteParty} stopped.`, () => api.mute(m.id, p.callLegId!, { videoMuted: true }))}>Stop video</Button>}
                          <Button size="compact-xs" variant="subtle" color="red" onClick={() => void drop(p)}>Drop</Button>
                        </Group>
                      )}
                    </Table.Td>
                  )}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Paper>
  );
}

function History({ meeting: m }: { meeting: Row }) {
  const history: Row[] = m.history;
  return (
    <Paper component="section" aria-labelledby="history-title" mb="lg">
      <Title order={2} fz="lg" id="history-title" mb="sm">History</Title>
      {history.length === 0 ? <Text size="sm" c="dimmed">The bridge's call records (CDRs) appear here once the meeting starts.</Text> : (
        <Timeline bulletSize={12} lineWidth={2}>
          {/* Only callLegStart CDRs carry the remote party; the others name the leg by its ID. */}
          {history.map((h, i) => (
            <Timeline.Item key={i} title={<Text size="sm" fw={500}>{`${h.type} ${h.remoteParty ?? (m.legs as Row[]).find((l) => l.callLegId && l.callLegId === h.callLegId)?.remoteParty ?? ''}`.trim()}</Text>}>
              <Text size="xs" c="dimmed"><Time value={h.at} />{h.reason ? ` · ${h.reason}` : ''}</Text>
            </Timeline.Item>
          ))}
        </Timeline>
      )}
      <TimeZoneNote />
    </Paper>
  );
}

/** `date` as the wall time of a datetime-local input in `timeZone` (YYYY-MM-DDTHH:mm). */
function wallTime(date: string | Date, timeZone: string) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(date)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

/** M8: one scheduled meeting of a series is moved or cancelled; the rest of the series stays. */
function OccurrenceSchedule({ meeting }: { meeting: Row }) {
  const client = useQueryClient();
  const timeZone: string = meeting.timeZone;
  const [edit, setEdit] = useState<{ start: string; end: string } | null>(null);
  const change = useMutation({
    mutationFn: (body: Row) => api.updateOccurrence(meeting.bookingId, meeting.id, body),
    onSuccess: (data) => {
      setEdit(null);
      notifySuccess(data.state === 'cancelled' ? 'This meeting is cancelled; the rest of the series stays.' : 'Moved; the rest of the series keeps its times.');
      return client.invalidateQueries({ queryKey: ['meetings'] });
    },
  });
  const value = edit ?? { start: wallTime(meeting.startAt, timeZone), end: wallTime(meeting.endAt, timeZone) };
  const cancel = async () => {
    if (await confirmAction({ title: 'Cancel this meeting?', message: 'Only this meeting is cancelled and its slot freed; the rest of the series stays booked.', confirmLabel: 'Cancel this meeting', danger: true })) change.mutate({ cancel: true });
  };
  const errors = fieldErrors(change.error);
  return (
    <Paper component="form" aria-label="Move or cancel this meeting" onSubmit={(e) => { e.preventDefault(); change.mutate({ start: value.start, end: value.end }); }}>
      <Title order={2} fz="lg">Move or cancel this meeting</Title>
      <Text size="sm" c="dimmed" mb="sm">Only this meeting changes; the rest of the series keeps its times. Times are in {timeZone}.</Text>
      <SimpleGrid cols={2} spacing="sm">
        <TextInput type="datetime-local" label="New start" required value={value.start} onChange={(e) => setEdit({ ...value, start: e.currentTarget.value })} error={errors.start} />
        <TextInput type="datetime-local" label="New end" required value={value.end} onChange={(e) => setEdit({ ...value, end: e.currentTarget.value })} error={errors.end} />
      </SimpleGrid>
      {!errors.start && !errors.end && <ErrorNotice error={change.error} title="Not changed" />}
      <Group mt="sm">
        <Button type="submit" disabled={!edit} loading={change.isPending}>Move this meeting</Button>
        <Button color="red" variant="light" disabled={change.isPending} onClick={() => void cancel()}>Cancel this meeting…</Button>
      </Group>
      {change.isSuccess && !edit && change.data?.state === 'scheduled' && <Text size="sm" role="status" mt="xs">Moved: this meeting now starts <Time value={change.data.startAt} />.</Text>}
    </Paper>
  );
}

/** M8: a scheduled meeting of a series can dial its own participants; the series keeps its list. */
function OccurrenceDialOuts({ meeting }: { meeting: Row }) {
  const client = useQueryClient();
  const booking = useQuery({ queryKey: ['meetings', 'booking', meeting.bookingId], queryFn: ({ signal }) => api.booking(meeting.bookingId, signal) });
  const [list, setList] = useState<string[] | null>(null);
  const own: string[] | null = meeting.dialOut ?? null;
  const series: string[] = booking.data?.dialOut ?? [];
  const save = useMutation({
    mutationFn: (dialOut: string[] | null) => api.updateOccurrence(meeting.bookingId, meeting.id, { dialOut }),
    onSuccess: (data) => {
      setList(null);
      notifySuccess(`This meeting dials ${(data.dialOut ?? series).join(', ') || 'nobody'}.`);
      return client.invalidateQueries({ queryKey: ['meetings', 'meeting', meeting.id] });
    },
  });
  const value = list ?? own ?? series;
  const error = Object.values(fieldErrors(save.error))[0];
  return (
    <Paper component="form" aria-label="Dial-outs of this meeting" onSubmit={(e) => { e.preventDefault(); save.mutate(value); }}>
      <Title order={2} fz="lg">Dial-outs of this meeting</Title>
      <Text size="sm" c="dimmed" mb="sm">{own ? 'This meeting has its own list; the rest of the series dials: ' : 'Same as the series: '}{series.join(', ') || 'nobody'}.</Text>
      <TagsInput label="Dial out to" description="SIP URIs; press Enter after each" splitChars={[',', ' ']} value={value} onChange={setList} error={error} />
      {!error && <ErrorNotice error={save.error} title="Not saved" />}
      <Group mt="sm">
        <Button type="submit" loading={save.isPending}>Save for this meeting</Button>
        {own && <Button variant="default" disabled={save.isPending} onClick={() => save.mutate(null)}>Use the series' list</Button>}
      </Group>
      {save.isSuccess && list === null && <Text size="sm" role="status" mt="xs">Saved: this meeting dials {(save.data?.dialOut ?? series).join(', ') || 'nobody'}.</Text>}
      <Text size="xs" mt="xs"><Anchor component={Link} to="/meetings/bookings">All bookings</Anchor></Text>
    </Paper>
  );
}

const modeWords: Record<string, string> = { obtp: 'One Button to Push', automatic: 'Automatic', manual: 'Manual' };
const bareUri = (uri: string | null | undefined) => (uri ?? '').replace(/^sips?:/i, '').toLowerCase();

/** #17: the booking's rooms, how each joins, and whether it is on the bridge now (a leg from its SIP URI). */
function Rooms({ meeting: m }: { meeting: Row }) {
  const rooms = useQuery({ queryKey: ['meetings', 'booking-rooms', m.bookingId], queryFn: ({ signal }) => api.rooms(m.bookingId, signal) });
  const endpoints = useQuery({ queryKey: ['meetings', 'endpoints'], queryFn: ({ signal }) => api.endpoints(signal), enabled: (rooms.data?.items.length ?? 0) > 0 });
  if (rooms.error) return <ErrorNotice error={rooms.error} title="Could not read the meeting's rooms" />;
  if (!rooms.data || rooms.data.items.length === 0) return null;
  const parties = participantsOf(m).filter((p) => p.onBridge).map((p) => bareUri(p.remoteParty));
  const joined = (endpointId: string) => {
    const uri = bareUri(endpoints.data?.items.find((e) => e.id === endpointId)?.sipUri);
    return !!uri && parties.includes(uri);
  };
  return (
    <Paper component="section" aria-labelledby="rooms-title" mb="lg">
      <Title order={2} fz="lg" id="rooms-title" mb="sm">Rooms</Title>
      <Table>
        <Table.Thead><Table.Tr><Table.Th>Room</Table.Th><Table.Th>Joins by</Table.Th><Table.Th>In the meeting</Table.Th></Table.Tr></Table.Thead>
        <Table.Tbody>
          {rooms.data.items.map((r) => (
            <Table.Tr key={r.endpointId}>
              <Table.Td>{r.name}</Table.Td>
              <Table.Td>{modeWords[r.connectMode] ?? r.connectMode}</Table.Td>
              <Table.Td>{m.state === 'ongoing' ? (joined(r.endpointId) ? <Badge color="green" variant="light" tt="none">joined</Badge> : <Badge color="gray" variant="light" tt="none">not joined</Badge>) : <Text size="sm" c="dimmed">—</Text>}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Paper>
  );
}
