import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Badge, Button, Group, NumberInput, Paper, SimpleGrid, Stack, Switch, Table, Text, Title } from '@mantine/core';
import { EmptyState } from '../../platform/console/src/components/EmptyState.tsx';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { confirmAction, notifyError, notifySuccess } from '../../platform/console/src/components/feedback.tsx';
import { Time, TimeZoneNote } from '../../platform/console/src/components/Time.tsx';
import { useCan } from '../../platform/console/src/session.tsx';
import { ceApi, describeCeFaults, type CeBooking, type CeCodec, type CeFaults } from './lab-api.ts';

// #17: the Lab's room codecs — each one's software (which decides how bookings are pushed to it), its
// touch panel as the codec holds it (what Switchboard pushed, not what Switchboard thinks it pushed),
// the Join button that makes the codec dial the space on the Lab CMS, its calls, and its faults.

const reasonWords: Record<string, string> = {
  noNumber: 'the booking has no number to dial',
  noSuchBooking: 'the panel no longer holds that booking',
  noSuchSpace: 'no Lab CMS has a space with that URI',
  noRoute: 'the codec has no route to a bridge',
  notYet: 'the meeting has not opened yet (Join opens at the start, less its early-join buffer)',
  over: 'the meeting is over',
  nodeDown: 'the CMS node is down',
  wrongPasscode: 'the space wants a passcode',
  participantLimitReached: 'the meeting is full',
};

function Panel({ codec }: { codec: CeCodec }) {
  const can = useCan();
  const queryClient = useQueryClient();
  const join = useMutation({
    mutationFn: (b: CeBooking) => ceApi.join(codec.name, b.id),
    onSuccess: (result, b) => (result.joined ? notifySuccess(`${codec.name} dialled ${b.number} and is in "${b.title}".`, 'Joined') : notifyError(new Error(`${codec.name} did not join: ${reasonWords[result.reason ?? ''] ?? result.reason ?? 'refused'}.`), 'Not joined')),
    onError: (error) => notifyError(error, 'Join failed'),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['lab', 'ce'] }),
  });
  const bookings = [...codec.bookings].sort((a, b) => a.startTime.localeCompare(b.startTime));
  if (bookings.length === 0) return <Text size="sm" c="dimmed">The panel shows no meetings: nothing has been pushed to this codec, or its meetings are over.</Text>;
  return (
    <Table aria-label={`Touch panel of ${codec.name}`}>
      <Table.Thead><Table.Tr><Table.Th>Meeting</Table.Th><Table.Th>When</Table.Th><Table.Th>Dials</Table.Th><Table.Th><span className="visually-hidden">Join</span></Table.Th></Table.Tr></Table.Thead>
      <Table.Tbody>
        {bookings.map((b) => (
          <Table.Tr key={b.id}>
            <Table.Td>{b.title || (b.privacy === 'Private' ? 'Private meeting' : '(no title)')}<Text size="xs" c="dimmed">{b.organizer}</Text></Table.Td>
            <Table.Td><Time value={b.startTime} /> – <Time value={b.endTime} /></Table.Td>
            <Table.Td><Text size="sm" ff="monospace">{b.number || '—'}</Text></Table.Td>
            <Table.Td>
              {b.number && b.connectMode === 'OBTP' && can('lab.manage') && (
                <Button size="compact-sm" color="green" aria-label={`Join ${b.title || 'the meeting'} on ${codec.name}`} loading={join.isPending && join.variables?.id === b.id} onClick={() => join.mutate(b)}>Join</Button>
              )}
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function CodecFaults({ codec }: { codec: CeCodec }) {
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<CeFaults>({ down: codec.faults.down, unauthorized: codec.faults.unauthorized, slowMs: codec.faults.slowMs });
  const apply = useMutation({
    mutationFn: (faults: CeFaults | null) => (faults ? ceApi.setFaults(codec.name, faults) : ceApi.clearFaults(codec.name)),
    onSuccess: (after) => {
      const words = describeCeFaults(after);
      setDraft({ down: after.down, unauthorized: after.unauthorized, slowMs: after.slowMs });
      notifySuccess(words.length ? `${codec.name}: ${words.join(', ')}.` : `${codec.name} answers normally.`, 'Faults applied');
    },
    onError: (error) => notifyError(error, 'The faults could not be applied'),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['lab'] }),
  });
  const submit = async () => {
    // The whole set: a switch turned off here clears its fault (the API keeps omitted keys).
    const faults: CeFaults = { down: !!draft.down, unauthorized: !!draft.unauthorized, slowMs: draft.slowMs ?? 0 };
    const words = describeCeFaults(faults);
    const ok = await confirmAction({
      title: `Apply these faults to ${codec.name}?`,
      message: words.length ? `${codec.name} will be ${words.join(', ')} until you clear it; Switchboard's polls and pushes to it fail or slow down meanwhile.` : `${codec.name} will answer normally.`,
      confirmLabel: 'Apply faults',
      danger: words.length > 0,
    });
    if (ok) apply.mutate(faults);
  };
  const active = describeCeFaults(codec.faults);
  return (
    <Stack gap="xs" aria-label={`Faults of ${codec.name}`} role="group">
      <Title order={4} fz="sm">Faults {active.length > 0 && <Badge color="red" variant="light" tt="none">{active.join(', ')}</Badge>}</Title>
      <Group align="end">
        <Switch label="Down (connections refused)" checked={!!draft.down} onChange={(e) => setDraft({ ...draft, down: e.currentTarget.checked })} />
        <Switch label="401 on every request" checked={!!draft.unauthorized} onChange={(e) => setDraft({ ...draft, unauthorized: e.currentTarget.checked })} />
        <NumberInput label="Slow (ms)" w={120} min={0} max={600_000} allowDecimal={false} value={draft.slowMs ?? ''} onChange={(value) => setDraft({ ...draft, slowMs: value === '' ? undefined : Number(value) })} />
        <Button variant="default" onClick={() => void submit()} loading={apply.isPending && apply.variables !== null}>Apply faults</Button>
        {active.length > 0 && <Button variant="subtle" onClick={() => apply.mutate(null)} loading={apply.isPending && apply.variables === null}>Clear</Button>}
      </Group>
    </Stack>
  );
}

function Codec({ codec }: { codec: CeCodec }) {
  const can = useCan();
  const last = codec.pushes.at(-1);
  const calls = codec.calls.filter((c) => c.status === 'Connected');
  return (
    <Paper component="section" withBorder p="md" mb="md" aria-label={`Codec ${codec.name}`}>
      <Group justify="space-between" mb="xs">
        <Title order={3} fz="md">{codec.name}</Title>
        {calls.length > 0 && <Badge color="green" variant="light" tt="none">In a call: {calls.map((c) => c.number).join(', ')}</Badge>}
      </Group>
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }} spacing="xs" mb="sm">
        <Text size="sm">{codec.productId}</Text>
        <Text size="sm">Software <Text span ff="monospace" size="sm">{codec.version}</Text>{codec.webexRegistered ? ' · Webex-registered' : ' · on-premises'}</Text>
        <Text size="sm">SIP <Text span ff="monospace" size="sm">{codec.sipUri}</Text> · <Text span ff="monospace" size="sm">{codec.url}</Text></Text>
        <Text size="sm">{last ? <>Last push: {last.count} booking(s) by {last.method}, <Time value={last.at} /></> : 'No bookings pushed yet'}</Text>
      </SimpleGrid>
      <Title order={4} fz="sm" mb={4}>Touch panel</Title>
      <Panel codec={codec} />
      {can('lab.manage') && <Paper mt="sm"><CodecFaults key={JSON.stringify(codec.faults)} codec={codec} /></Paper>}
    </Paper>
  );
}

export function CeTab() {
  const codecs = useQuery({ queryKey: ['lab', 'ce'], queryFn: ceApi.codecs, refetchInterval: 3000 });
  if (codecs.error) return <ErrorNotice error={codecs.error} title="Could not read the Lab codecs" />;
  if (!codecs.data) return <Text c="dimmed">Loading…</Text>;
  if (codecs.data.items.length === 0) return <EmptyState title="No room codecs are running">They start with the Lab and the Meetings area; each becomes a room endpoint named "Lab" and its name.</EmptyState>;
  return (
    <>
      <Text size="sm" c="dimmed" mb="sm">Each codec's panel lists the meetings Switchboard pushed to it (One Button to Push, turned on by an administrator on Meetings › Rooms). Join makes the codec dial the meeting's space on the Lab CMS.</Text>
      {codecs.data.items.map((c) => <Codec key={c.name} codec={c} />)}
      <TimeZoneNote />
    </>
  );
}
