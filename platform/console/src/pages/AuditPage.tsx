import { Fragment, useEffect, useState, type FormEvent } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { Button, Code, Group, Paper, SimpleGrid, Table, Text, TextInput, Title, VisuallyHidden } from '@mantine/core';
import { DateTimePicker } from '@mantine/dates';
import { listAudit, type AuditEvent } from '../api.ts';
import { EmptyState } from '../components/EmptyState.tsx';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { Json } from '../components/Json.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { Pager } from '../components/Pager.tsx';
import { browserTimeZone, isoToLocalInput, localInputToIso, Time, TimeZoneNote } from '../components/Time.tsx';

const PAGE_SIZE = 50;
const knownActions = ['session.login', 'user.create', 'user.update', 'token.create', 'token.revoke', 'job.retry', 'job.cancel'];
const knownEntityTypes = ['user', 'api_token', 'job'];
const filterKeys = ['action', 'actor', 'entityType', 'from', 'to'] as const;
type FilterKey = (typeof filterKeys)[number];
type Filters = Record<FilterKey, string>;

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const show = (value: unknown) => (value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value));
// The date pickers hold local wall times as 'YYYY-MM-DD HH:mm:ss' (the browser's zone).
const isoToPicker = (iso: string | null) => (iso ? isoToLocalInput(iso).replace('T', ' ') : '');
const pickerToIso = (value: string) => localInputToIso(value.replace(' ', 'T'));

/** Before and after side by side; for two records, field by field with the changed ones marked. */
function Changes({ event }: { event: AuditEvent }) {
  const { before, after } = event;
  if ((before === null || isPlainObject(before)) && (after === null || isPlainObject(after))) {
    const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])];
    return (
      <Table className="table table-compact changes" withTableBorder>
        <VisuallyHidden component="caption">Changes of {event.action}</VisuallyHidden>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Before</th>
            <th scope="col">After</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((key) => {
            const was = before?.[key];
            const now = after?.[key];
            const changed = before !== null && after !== null && JSON.stringify(was) !== JSON.stringify(now);
            return (
              <tr key={key} className={changed ? 'changed' : undefined} style={changed ? { background: 'var(--mantine-color-yellow-0)' } : undefined}>
                <th scope="row">
                  <code>{key}</code>
                  {changed && <VisuallyHidden> (changed)</VisuallyHidden>}
                </th>
                <td>{before === null ? <Text span c="dimmed">—</Text> : <code className="value">{show(was)}</code>}</td>
                <td>{after === null ? <Text span c="dimmed">—</Text> : <code className="value">{show(now)}</code>}</td>
              </tr>
            );
          })}
        </tbody>
      </Table>
    );
  }
  return (
    <SimpleGrid cols={2} className="changes-raw">
      <div>
        <Title order={3} fz="sm">Before</Title>
        <Json value={before} />
      </div>
      <div>
        <Title order={3} fz="sm">After</Title>
        <Json value={after} />
      </div>
    </SimpleGrid>
  );
}

export function AuditPage() {
  const [params, setParams] = useSearchParams();
  const applied = Object.fromEntries(filterKeys.map((key) => [key, params.get(key) ?? ''])) as Filters;
  const offset = Math.max(0, Number(params.get('offset')) || 0);
  const [form, setForm] = useState<Filters>({ ...applied, from: isoToPicker(applied.from || null), to: isoToPicker(applied.to || null) });
  const [expanded, setExpanded] = useState<Set<number>>(new Set());
  const appliedKey = filterKeys.map((key) => applied[key]).join('\u0000');
  // Back/forward changes the URL; the form follows it.
  useEffect(() => {
    setForm({ ...applied, from: isoToPicker(applied.from || null), to: isoToPicker(applied.to || null) });
  }, [appliedKey]);

  const audit = useQuery({
    queryKey: ['audit', applied, offset],
    queryFn: ({ signal }) => listAudit({ ...applied, offset, limit: PAGE_SIZE }, signal),
    placeholderData: keepPreviousData,
  });

  const setSearch = (next: Partial<Filters> & { offset?: string }) => {
    const merged = new URLSearchParams(params);
    for (const [key, value] of Object.entries(next)) {
      if (value) merged.set(key, value);
      else merged.delete(key);
    }
    setParams(merged);
  };
  const apply = (event: FormEvent) => {
    event.preventDefault();
    const to = pickerToIso(form.to);
    setSearch({
      action: form.action.trim(),
      actor: form.actor.trim(),
      entityType: form.entityType.trim(),
      from: pickerToIso(form.from) ?? '',
      // The "to" minute is inclusive: up to its last millisecond.
      to: to ? new Date(new Date(to).getTime() + 59_999).toISOString() : '',
      offset: '',
    });
  };
  const clear = () => setSearch({ action: '', actor: '', entityType: '', from: '', to: '', offset: '' });
  const filtered = filterKeys.some((key) => applied[key]);
  const toggle = (id: number) =>
    setExpanded((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const set = (key: FilterKey) => (value: string | null) => setForm((current) => ({ ...current, [key]: value ?? '' }));

  return (
    <>
      <PageHeader title="Audit log" />
      <Text c="dimmed" mb="md">
        Every change made through Switchboard, by whom, and what it changed. Newest first.
      </Text>

      <Paper component="form" onSubmit={apply} aria-label="Filter the audit log" mb="md" p="md">
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 5 }} spacing="sm">
          {/* Native suggestions (datalist): a dropdown over the form would cover its buttons. */}
          <TextInput id="audit-action" label="Action" placeholder="e.g. user.create" list="audit-actions" value={form.action} onChange={(event) => set('action')(event.currentTarget.value)} />
          <TextInput id="audit-actor" label="Actor" placeholder="username or token:name" value={form.actor} onChange={(event) => set('actor')(event.currentTarget.value)} />
          <TextInput id="audit-entity-type" label="Entity type" placeholder="e.g. user" list="audit-entity-types" value={form.entityType} onChange={(event) => set('entityType')(event.currentTarget.value)} />
          <DateTimePicker id="audit-from" label={`From (${browserTimeZone})`} placeholder="Any time" clearable valueFormat="YYYY-MM-DD HH:mm" value={form.from || null} onChange={set('from')} />
          <DateTimePicker id="audit-to" label={`To (${browserTimeZone})`} placeholder="Any time" clearable valueFormat="YYYY-MM-DD HH:mm" value={form.to || null} onChange={set('to')} />
        </SimpleGrid>
        <datalist id="audit-actions">
          {knownActions.map((action) => (
            <option key={action} value={action} />
          ))}
        </datalist>
        <datalist id="audit-entity-types">
          {knownEntityTypes.map((type) => (
            <option key={type} value={type} />
          ))}
        </datalist>
        <Group gap="xs" mt="sm">
          <Button type="submit">Apply filters</Button>
          {filtered && (
            <Button type="button" variant="default" onClick={clear}>
              Clear
            </Button>
          )}
        </Group>
      </Paper>

      <ErrorNotice error={audit.error} title="Could not load the audit log" />

      {audit.isPending ? (
        <Text role="status">Loading the audit log…</Text>
      ) : audit.data && audit.data.items.length === 0 ? (
        filtered ? (
          <EmptyState title="No events match these filters" action={<Button variant="default" onClick={clear}>Clear filters</Button>}>
            Widen the time range or clear a filter. Actions are named like <Code>user.create</Code>; the actor is a username or <Code>token:name</Code>.
          </EmptyState>
        ) : (
          <EmptyState title="Nothing has been audited yet">Every sign-in and every change made through Switchboard is recorded here.</EmptyState>
        )
      ) : audit.data ? (
        <Paper p="md">
          <Table.ScrollContainer minWidth={720}>
            <Table className="table audit-table" striped highlightOnHover verticalSpacing="xs">
              <VisuallyHidden component="caption">Audit events, newest first</VisuallyHidden>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Time</Table.Th>
                  <Table.Th scope="col">Actor</Table.Th>
                  <Table.Th scope="col">Action</Table.Th>
                  <Table.Th scope="col">Entity</Table.Th>
                  <Table.Th scope="col">Tracking ID</Table.Th>
                  <Table.Th scope="col">
                    <VisuallyHidden>Changes</VisuallyHidden>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {audit.data.items.map((event) => {
                  const hasChanges = event.before !== null || event.after !== null;
                  const open = expanded.has(event.id);
                  return (
                    <Fragment key={event.id}>
                      <Table.Tr>
                        <Table.Td style={{ whiteSpace: 'nowrap' }}>
                          <Time value={event.at} />
                        </Table.Td>
                        <Table.Td>
                          {event.actorName}
                          <Text size="xs" c="dimmed">
                            {event.actorType}
                          </Text>
                        </Table.Td>
                        <Table.Td>
                          <Code>{event.action}</Code>
                        </Table.Td>
                        <Table.Td>
                          {event.entityType}
                          {event.entityId && (
                            <Text size="xs" c="dimmed" ff="monospace">
                              {event.entityId}
                            </Text>
                          )}
                        </Table.Td>
                        <Table.Td>{event.trackingId ? <Code className="tracking-id">{event.trackingId}</Code> : <Text span c="dimmed">—</Text>}</Table.Td>
                        <Table.Td style={{ whiteSpace: 'nowrap' }}>
                          {hasChanges && (
                            <Button size="compact-xs" variant="default" aria-expanded={open} aria-controls={open ? `audit-changes-${event.id}` : undefined} onClick={() => toggle(event.id)}>
                              {open ? 'Hide changes' : 'Show changes'}
                            </Button>
                          )}
                        </Table.Td>
                      </Table.Tr>
                      {open && (
                        <Table.Tr id={`audit-changes-${event.id}`}>
                          <Table.Td colSpan={6}>
                            <Changes event={event} />
                          </Table.Td>
                        </Table.Tr>
                      )}
                    </Fragment>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Group justify="space-between" mt="xs">
            <TimeZoneNote />
            <Pager label="Audit log" total={audit.data.total} offset={offset} limit={PAGE_SIZE} onChange={(next) => setSearch({ offset: next ? String(next) : '' })} />
          </Group>
        </Paper>
      ) : null}
    </>
  );
}
