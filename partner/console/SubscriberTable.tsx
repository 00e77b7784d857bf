import { useState, type ReactNode } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Anchor, Button, Checkbox, Group, Modal, NativeSelect, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { request, type Page } from '../../platform/console/src/api.ts';
import { DataTable, type Column } from '../../platform/console/src/components/DataTable.tsx';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { confirmAction, notifyError, notifySuccess } from '../../platform/console/src/components/feedback.tsx';
import { fieldErrors } from '../../platform/console/src/components/form-errors.ts';
import { Time, TimeZoneNote, formatTime } from '../../platform/console/src/components/Time.tsx';
import { useCan } from '../../platform/console/src/session.tsx';
import { movingStates, packageOptions, type StatusRow } from './partner-api.ts';
import { StatusCell, statusLabel } from './SubscriberStatus.tsx';

// The user status view (P5, P9) of a template or a customer: each user's state as a badge with the
// reason it waits, read again by itself — every 2 s while a job is at work on one, else every 10 s —
// with Partner Hub's actions: change package, retry onboarding (with a valid email), delete.

const PAGE_SIZE = 50;
const FAST_MS = 2_000;
const SLOW_MS = 10_000;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function RetryModal({ row, onClose, onDone }: { row: StatusRow; onClose: () => void; onDone: () => void }) {
  const form = useForm({
    mode: 'controlled',
    initialValues: { email: row.email ?? '' },
    validate: { email: (value) => (!value || EMAIL.test(value.trim()) ? null : 'Enter an email address such as name@example.com, or leave it blank to keep the one on record.') },
  });
  const retry = useMutation({
    mutationFn: (email: string) => request<StatusRow>(`/api/v1/partner/subscribers/${row.id}/retry`, { method: 'POST', body: email ? { email } : {} }),
    onSuccess: (after) => {
      notifySuccess(`${row.userId} is ${statusLabel(after.status).toLowerCase()} again.`, 'Onboarding retried');
      onDone();
      onClose();
    },
    onError: (error) => form.setErrors(fieldErrors(error)),
  });
  return (
    <Modal opened onClose={onClose} title={`Retry onboarding of ${row.userId}`}>
      <form onSubmit={form.onSubmit((values) => retry.mutate(values.email.trim()))} aria-label={`Retry onboarding of ${row.userId}`} noValidate>
        <Stack gap="sm">
          <TextInput label="Email address" description="The address Webex will use for this user." type="email" data-autofocus {...form.getInputProps('email')} />
          <ErrorNotice error={retry.error} title="Could not retry" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={retry.isPending}>
              Retry onboarding
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

export function SubscriberTable({
  caption,
  queryKey,
  fetchPage,
  csvHref,
  empty,
}: {
  caption: string;
  queryKey: readonly unknown[];
  fetchPage: (query: { excludeProvisioned?: string; offset: number; limit: number }, signal?: AbortSignal) => Promise<Page<StatusRow>>;
  csvHref?: (excludeProvisioned: boolean) => string;
  empty: { title: string; description: string; action?: ReactNode };
}) {
  const can = useCan();
  const client = useQueryClient();
  const [offset, setOffset] = useState(0);
  const [excludeProvisioned, setExclude] = useState(false);
  const [retrying, setRetrying] = useState<StatusRow | null>(null);
  const rows = useQuery({
    queryKey: [...queryKey, excludeProvisioned, offset],
    queryFn: ({ signal }) => fetchPage({ excludeProvisioned: excludeProvisioned ? 'true' : undefined, offset, limit: PAGE_SIZE }, signal),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => (query.state.data?.items.some((r) => movingStates.includes(r.status)) ? FAST_MS : SLOW_MS),
  });
  const refresh = () => client.invalidateQueries({ queryKey: ['partner'] });
  const changePackage = useMutation({
    mutationFn: ({ row, pkg }: { row: StatusRow; pkg: string }) => request<StatusRow>(`/api/v1/partner/subscribers/${row.id}/package`, { method: 'POST', body: { package: pkg } }),
    onSuccess: (_after, { row, pkg }) => notifySuccess(`${row.userId} moves to ${pkg}; Webex applies it in a moment.`, 'Package change sent'),
    onError: (error) => notifyError(error, 'Could not change the package'),
    onSettled: refresh,
  });
  const remove = useMutation({
    mutationFn: (row: StatusRow) => request(`/api/v1/partner/subscribers/${row.id}`, { method: 'DELETE' }),
    onSuccess: (_r, row) => notifySuccess(`${row.userId} is no longer a subscriber; the Webex user stays as a free user.`, 'User deleted'),
    onError: (error) => notifyError(error, 'Could not delete the user'),
    onSettled: refresh,
  });
  const manage = can('partner.manage');
  const columns: Column<StatusRow>[] = [
    { key: 'userId', header: 'BroadWorks ID', sortValue: (r) => r.userId, searchValue: (r) => r.userId, render: (r) => <Text ff="monospace" size="sm">{r.userId}</Text> },
    { key: 'name', header: 'Name', sortValue: (r) => `${r.lastName} ${r.firstName}`, searchValue: (r) => `${r.firstName} ${r.lastName} ${r.email ?? ''}`, render: (r) => (
      <>
        {r.firstName} {r.lastName}
        {r.email && (
          <Text size="xs" c="dimmed">
            {r.email}
          </Text>
        )}
      </>
    ) },
    {
      key: 'package',
      header: 'Package',
      sortValue: (r) => r.package,
      render: (r) =>
        manage ? (
          <NativeSelect
            aria-label={`Package of ${r.userId}`}
            data={packageOptions}
            value={r.package}
            size="xs"
            disabled={movingStates.includes(r.status)}
            onChange={(event) => changePackage.mutate({ row: r, pkg: event.currentTarget.value })}
          />
        ) : (
          r.package
        ),
    },
    { key: 'status', header: 'State', sortValue: (r) => r.status, searchValue: (r) => statusLabel(r.status), render: (r) => <StatusCell row={r} /> },
    { key: 'changed', header: 'Last change', sortValue: (r) => r.lastStatusChange, render: (r) => <Time value={r.lastStatusChange} /> },
  ];
  if (manage) {
    columns.push({
      key: 'actions',
      header: 'Actions',
      render: (r) => (
        <Group gap={4} wrap="nowrap">
          {(r.status === 'error' || r.status.startsWith('pending_')) && (
            <Button size="compact-xs" variant="light" onClick={() => setRetrying(r)}>
              Retry onboarding
            </Button>
          )}
          {r.errorText && (
            <Button size="compact-xs" variant="subtle" onClick={() => void navigator.clipboard?.writeText(r.errorText ?? '').then(() => notifySuccess('Error text copied.'))}>
              Copy error text
            </Button>
          )}
          <Button
            size="compact-xs"
            variant="subtle"
            color="red"
            onClick={async () => {
              const ok = await confirmAction({
                title: `Delete ${r.userId}?`,
                message: `${r.firstName} ${r.lastName} stops being a subscriber. Their Webex user stays, as a free user. BroadWorks can provision them again later.`,
                confirmLabel: 'Delete user',
                danger: true,
              });
              if (ok) remove.mutate(r);
            }}
          >
            Delete user
          </Button>
        </Group>
      ),
    });
  }
  const data = rows.data;
  return (
    <Stack gap="xs">
      <Group justify="space-between" align="center">
        <Checkbox label="Exclude provisioned users" checked={excludeProvisioned} onChange={(event) => { setExclude(event.currentTarget.checked); setOffset(0); }} />
        <Group gap="md">
          {data && (
            <Text size="xs" c="dimmed" className="live-indicator" role="status">
              Live · refreshed {formatTime(new Date(rows.dataUpdatedAt).toISOString())}
            </Text>
          )}
          {csvHref && (
            <Anchor href={csvHref(excludeProvisioned)} download size="sm">
              Export CSV
            </Anchor>
          )}
        </Group>
      </Group>
      <ErrorNotice error={rows.error} title="Could not read the users" />
      {data && (
        <DataTable
          caption={caption}
          columns={columns}
          rows={data.items}
          rowKey={(r) => r.id}
          searchable={data.total > 5}
          searchLabel="Search the users shown"
          paging={{ total: data.total, offset, limit: PAGE_SIZE, onChange: setOffset }}
          empty={excludeProvisioned ? { title: 'Every user is provisioned', description: 'Clear "Exclude provisioned users" to see them.' } : empty}
          footer={<TimeZoneNote />}
        />
      )}
      {retrying && <RetryModal row={retrying} onClose={() => setRetrying(null)} onDone={refresh} />}
    </Stack>
  );
}
