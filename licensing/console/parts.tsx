import { useState } from 'react';
import { Link } from 'react-router';
import { AreaNav } from '../../platform/console/src/components/AreaNav.tsx';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Anchor, Badge, Button, Group, NativeSelect, Paper, Progress, Stack, Text, Title } from '@mantine/core';
import { BarChart } from '@mantine/charts';
import { request } from '../../platform/console/src/api.ts';
import { DataTable } from '../../platform/console/src/components/DataTable.tsx';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { confirmAction, notifyError, notifySuccess } from '../../platform/console/src/components/feedback.tsx';
import { useCan } from '../../platform/console/src/session.tsx';
import { base, smartAccountLabel, useRefreshLicensing, useWatchedJob, type Alert, type Dashboard, type JobStatus, type SmartAccount } from './licensing-api.ts';

/** The area's own navigation, under the page header (the shell links to /licensing). */
export function LicensingNav() {
  return (
    <AreaNav
      label="Smart Licensing"
      sections={[
        { to: '/licensing', label: 'Smart accounts', end: true },
        { to: '/licensing/clusters', label: 'Clusters' },
        { to: '/licensing/jobs', label: 'Jobs' },
      ]}
    />
  );
}

const statusLabel: Record<JobStatus, string> = { IN_PROGRESS: 'In progress', SUCCEEDED: 'Succeeded', FAILED: 'Failed' };
const statusColor: Record<JobStatus, string> = { IN_PROGRESS: 'blue', SUCCEEDED: 'green', FAILED: 'red' };

export function JobStatusBadge({ status }: { status: JobStatus }) {
  return (
    <Badge className="badge" variant="light" radius="sm" tt="none" color={statusColor[status] ?? 'gray'}>
      {statusLabel[status] ?? status}
    </Badge>
  );
}

/** A job's status, kept current while it runs (its end refreshes the lists on the page). */
export function LiveJobStatus({ id }: { id: string }) {
  const job = useWatchedJob(id);
  return job.data ? <JobStatusBadge status={job.data.status} /> : null;
}

const stepColor: Record<string, string> = { Pass: 'green', Fail: 'red', 'In Progress': 'blue', 'Not Applicable': 'gray', 'Not Started': 'gray' };

/** A step as HCM-F's Status Information names it: Not Started, In Progress, Pass, Fail, Not Applicable. */
export function StepBadge({ state }: { state: string }) {
  return (
    <Badge variant={state === 'Not Started' ? 'outline' : 'light'} radius="sm" tt="none" color={stepColor[state] ?? 'gray'}>
      {state}
    </Badge>
  );
}

const clusterStatusLabel: Record<string, string> = {
  DEREGISTERED: 'Not registered',
  MANUALLY_REGISTERED: 'Registered',
  MANUAL_REGISTRATION_FAILED: 'Registration failed',
  DEREGISTRATION_FAILED: 'Deregistration failed',
};
const clusterStatusColor: Record<string, string> = { MANUALLY_REGISTERED: 'green', MANUAL_REGISTRATION_FAILED: 'red', DEREGISTRATION_FAILED: 'red' };

/** The cluster's registration (§6.3 status), in words, with the status code for those who know it. */
export function RegistrationBadge({ status }: { status: string }) {
  return (
    <Badge variant="light" radius="sm" tt="none" color={clusterStatusColor[status] ?? 'gray'} title={status}>
      {clusterStatusLabel[status] ?? status}
    </Badge>
  );
}

/** The latest sync of a smart account: its progress while it runs (refreshing the lists when it ends), then its outcome. */
export function SyncState({ jobId, name }: { jobId: string; name: string }) {
  const job = useWatchedJob(jobId);
  const j = job.data;
  if (!j) return null;
  if (j.status === 'IN_PROGRESS') {
    return (
      <Stack gap={2} miw={140}>
        <Progress.Root size="sm">
          <Progress.Section value={j.progressPercent} aria-label={`Sync of ${name}`} />
        </Progress.Root>
        <Text size="xs" c="dimmed">
          {j.progressPercent}%{j.progressMessage ? ` · ${j.progressMessage}` : ''}
        </Text>
      </Stack>
    );
  }
  return (
    <Anchor component={Link} to={`/licensing/jobs/${j.id}`} size="sm" aria-label={`Last sync of ${name}: ${j.status === 'SUCCEEDED' ? 'succeeded' : 'failed'}`}>
      <JobStatusBadge status={j.status} />
    </Anchor>
  );
}

/** Starts a manual sync; the row's SyncState then shows it. */
export function useSync() {
  const refresh = useRefreshLicensing();
  return useMutation({
    mutationFn: (sa: SmartAccount) => request<{ jobId: string }>(`${base}/smart-accounts/${sa.id}/sync`, { method: 'POST' }),
    onSuccess: (_r, sa) => {
      notifySuccess(`Reading the virtual accounts of ${smartAccountLabel(sa)} from CSSM. Its progress shows beside it.`, 'Sync started');
      void refresh();
    },
    onError: (error) => notifyError(error, 'Could not start the sync'),
  });
}

/** Deletes a smart account after saying what goes (its virtual accounts in Switchboard; CSSM is not changed). */
export function useDeleteSmartAccount(onDeleted?: () => void) {
  const refresh = useRefreshLicensing();
  const remove = useMutation({
    mutationFn: (sa: SmartAccount) => request(`${base}/smart-accounts/${sa.id}`, { method: 'DELETE' }),
    onSuccess: (_r, sa) => {
      notifySuccess(`${smartAccountLabel(sa)} and its virtual accounts were removed from Switchboard.`, 'Smart account deleted');
      void refresh();
      onDeleted?.();
    },
    onError: (error) => notifyError(error, 'Could not delete the smart account'),
  });
  const ask = async (sa: SmartAccount) => {
    const confirmed = await confirmAction({
      title: `Delete smart account ${smartAccountLabel(sa)}?`,
      message: `Its ${sa.virtualAccountCount} virtual accounts are removed from Switchboard; CSSM is not changed. It is refused while clusters are assigned to them.`,
      confirmLabel: 'Delete smart account',
      danger: true,
    });
    if (confirmed) remove.mutate(sa);
  };
  return { ask, pending: remove.isPending };
}

/** A smart account's alerts from its last sync; Acknowledge stops them counting on the home page. */
export function AlertsList({ accounts }: { accounts: SmartAccount[] }) {
  const can = useCan();
  const refresh = useRefreshLicensing();
  const acknowledge = useMutation({
    mutationFn: (sa: SmartAccount) => request<{ acknowledged: number }>(`${base}/smart-accounts/${sa.id}/alerts/acknowledge`, { method: 'POST' }),
    onSuccess: (r, sa) => {
      notifySuccess(`${r.acknowledged} alert${r.acknowledged === 1 ? '' : 's'} of ${smartAccountLabel(sa)} acknowledged. They stay listed here.`, 'Acknowledged');
      void refresh();
    },
    onError: (error) => notifyError(error, 'Could not acknowledge the alerts'),
  });
  const rows = accounts.flatMap((sa) => sa.alerts.map((alert, index) => ({ sa, alert, key: `${sa.id}-${index}` })));
  return (
    <DataTable<{ sa: SmartAccount; alert: Alert; key: string }>
      caption="Smart-account alerts"
      rows={rows}
      rowKey={(r) => r.key}
      empty={{ title: 'No alerts', description: 'A sync raises an alert when CSSM refuses it or a virtual account with clusters disappears from CSSM.' }}
      initialSort={{ key: 'state', direction: 'asc' }}
      columns={[
        { key: 'sa', header: 'Smart account', sortValue: (r) => smartAccountLabel(r.sa), render: (r) => <Anchor component={Link} to={`/licensing/smart-accounts/${r.sa.id}`}>{smartAccountLabel(r.sa)}</Anchor> },
        { key: 'severity', header: 'Severity', sortValue: (r) => r.alert.severity, render: (r) => <Badge variant="light" tt="none" color={r.alert.severity === 'Major' ? 'red' : 'yellow'}>{r.alert.severity}</Badge> },
        { key: 'message', header: 'Alert', render: (r) => r.alert.message },
        {
          key: 'state',
          header: 'State',
          sortValue: (r) => (r.alert.acknowledgedAt ? 1 : 0),
          render: (r) =>
            r.alert.acknowledgedAt ? (
              <Text size="sm" c="dimmed">Acknowledged</Text>
            ) : can('licensing.manage') ? (
              <Button size="compact-xs" variant="default" loading={acknowledge.isPending && acknowledge.variables?.id === r.sa.id} onClick={() => acknowledge.mutate(r.sa)} aria-label={`Acknowledge the alerts of ${smartAccountLabel(r.sa)}`}>
                Acknowledge
              </Button>
            ) : (
              <Text size="sm">Open</Text>
            ),
        },
      ]}
    />
  );
}

/**
 * Licences per virtual account, read live from CSSM: consumed against available per licence type,
 * as a chart (where there is more than one type to compare) and as a table.
 */
export function LicenseUsage({ smartAccountId }: { smartAccountId: string }) {
  const dashboard = useQuery({
    queryKey: ['licensing', 'dashboard', smartAccountId],
    queryFn: ({ signal }) => request<Dashboard>(`${base}/smart-accounts/${smartAccountId}/dashboard`, { signal }),
  });
  const [chosen, setChosen] = useState<string | null>(null);
  const vas = dashboard.data?.virtualAccounts ?? [];
  const va = vas.find((v) => v.name === chosen) ?? vas[0];
  return (
    <Paper component="section" aria-labelledby={`usage-${smartAccountId}`} mb="md">
      <Group justify="space-between" mb="sm">
        <Title order={2} fz="lg" id={`usage-${smartAccountId}`}>
          License usage
        </Title>
        {vas.length > 1 && <NativeSelect aria-label="Virtual account" size="xs" data={vas.map((v) => v.name)} value={va?.name} onChange={(e) => setChosen(e.currentTarget.value)} />}
      </Group>
      <ErrorNotice error={dashboard.error} title="License usage is read from CSSM, which did not answer" />
      {dashboard.isPending && <Text size="sm" role="status">Reading licences from CSSM…</Text>}
      {dashboard.data && !va && <Text size="sm" c="dimmed">No virtual account has licences yet: usage appears here once a cluster is assigned and registers.</Text>}
      {va && (
        <>
          <Text size="sm" mb="xs">
            {va.name}: <strong>{va.compliance}</strong>
          </Text>
          {va.licenses.length > 1 && (
            <BarChart
              h={220}
              data={va.licenses.map((l) => ({ license: l.license, Consumed: l.inUse, Available: Math.max(l.available, 0) }))}
              dataKey="license"
              type="stacked"
              series={[
                { name: 'Consumed', color: 'blue.6' },
                { name: 'Available', color: 'teal.4' },
              ]}
              withLegend
              aria-label={`Consumed and available licences of ${va.name}`}
            />
          )}
          <DataTable
            caption={`Licences of ${va.name}`}
            rows={va.licenses}
            rowKey={(l) => l.license}
            columns={[
              { key: 'license', header: 'License', sortValue: (l) => l.license, render: (l) => l.license },
              { key: 'quantity', header: 'Quantity', numeric: true, sortValue: (l) => l.quantity, render: (l) => l.quantity },
              { key: 'inUse', header: 'Consumed', numeric: true, sortValue: (l) => l.inUse, render: (l) => l.inUse },
              { key: 'available', header: 'Available', numeric: true, sortValue: (l) => l.available, render: (l) => l.available },
              { key: 'status', header: 'Status', sortValue: (l) => l.status, render: (l) => l.status },
            ]}
          />
        </>
      )}
    </Paper>
  );
}
