import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Alert, Anchor, Button, Group, NativeSelect, Paper, SimpleGrid, Title } from '@mantine/core';
import { request } from '../../platform/console/src/api.ts';
import { DataTable } from '../../platform/console/src/components/DataTable.tsx';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { confirmAction, notifyError, notifySuccess } from '../../platform/console/src/components/feedback.tsx';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import { useCan } from '../../platform/console/src/session.tsx';
import { AssignClustersForm, StartedJobs } from './forms.tsx';
import { base, clusterTypeLabel, licenseModes, listClusters, useRefreshLicensing, whileRunning, type Cluster, type Started, type VirtualAccount } from './licensing-api.ts';
import { JobStatusBadge, LicensingNav, RegistrationBadge } from './parts.tsx';
import { Fact } from './SmartAccountPage.tsx';

/** Starts an unassign after saying what it does; the cluster's list row then shows the job. */
export function useUnassign() {
  const refresh = useRefreshLicensing();
  const unassign = useMutation({
    mutationFn: (cluster: Cluster) => request<Started>(`${base}/clusters/${cluster.id}/unassign`, { method: 'POST' }),
    onSuccess: (job) => {
      notifySuccess(job.description, 'Unassigning');
      void refresh();
    },
    onError: (error) => notifyError(error, 'Could not unassign the cluster'),
  });
  const ask = async (cluster: Cluster) => {
    const confirmed = await confirmAction({
      title: `Unassign ${cluster.name}?`,
      message: `${cluster.name} is deregistered from ${cluster.virtualAccountName ?? 'its virtual account'} and stops using its licences.`,
      confirmLabel: 'Unassign',
      danger: true,
    });
    if (confirmed) unassign.mutate(cluster);
  };
  return { ask, pending: unassign.isPending };
}

/** Clusters with their registration and latest job; asked again while one of those jobs runs. */
export function ClusterTable({ caption, query, empty, showVirtualAccount = true }: { caption: string; query: Record<string, string | boolean | undefined>; empty: { title: string; description: string; action?: React.ReactNode }; showVirtualAccount?: boolean }) {
  const can = useCan();
  const unassign = useUnassign();
  const [offset, setOffset] = useState(0);
  const limit = 50;
  const list = useQuery({
    queryKey: ['licensing', 'clusters', query, offset],
    queryFn: ({ signal }) => listClusters({ ...query, offset, limit }, signal),
    refetchInterval: (q) => whileRunning(Boolean(q.state.data?.items.some((c) => c.jobStatus === 'IN_PROGRESS'))),
  });
  return (
    <>
      <ErrorNotice error={list.error} title="Could not load the clusters" />
      {list.data && (
        <DataTable<Cluster>
          caption={caption}
          rows={list.data.items}
          rowKey={(c) => c.id}
          paging={{ total: list.data.total, offset, limit, onChange: setOffset }}
          empty={empty}
          columns={[
            { key: 'name', header: 'Name', sortValue: (c) => c.name, render: (c) => <Anchor component={Link} to={`/licensing/clusters/${c.id}`}>{c.name}</Anchor> },
            { key: 'type', header: 'Type', sortValue: (c) => c.type, render: (c) => clusterTypeLabel(c.type) },
            { key: 'version', header: 'Version', sortValue: (c) => c.version, render: (c) => c.version },
            ...(showVirtualAccount ? [{ key: 'va', header: 'Virtual account', sortValue: (c: Cluster) => c.virtualAccountName, render: (c: Cluster) => (c.virtualAccountId ? <Anchor component={Link} to={`/licensing/virtual-accounts/${c.virtualAccountId}`}>{c.virtualAccountName}</Anchor> : '—') }] : []),
            { key: 'status', header: 'Registration', sortValue: (c) => c.status, render: (c) => <RegistrationBadge status={c.status} /> },
            { key: 'job', header: 'Latest job', sortValue: (c) => c.jobStatus, render: (c) => (c.lastOperationId && c.jobStatus ? <Anchor component={Link} to={`/licensing/jobs/${c.lastOperationId}`} aria-label={`Latest job of ${c.name}`}><JobStatusBadge status={c.jobStatus} /></Anchor> : '—') },
            ...(can('licensing.manage') && !showVirtualAccount
              ? [{ key: 'actions', header: 'Actions', render: (c: Cluster) => <Button size="compact-xs" variant="light" color="red" disabled={unassign.pending || c.jobStatus === 'IN_PROGRESS'} onClick={() => void unassign.ask(c)}>Unassign</Button> }]
              : []),
          ]}
        />
      )}
    </>
  );
}

export function VirtualAccountPage() {
  const { id = '' } = useParams();
  const can = useCan();
  const refresh = useRefreshLicensing();
  const [assigning, setAssigning] = useState(false);
  const [started, setStarted] = useState<Started[]>([]);
  const query = useQuery({ queryKey: ['licensing', 'va', id], queryFn: ({ signal }) => request<VirtualAccount & { clusters: unknown[] }>(`${base}/virtual-accounts/${id}`, { signal }) });
  const mode = useMutation({
    mutationFn: (licenseMode: string | null) => request(`${base}/virtual-accounts/${id}`, { method: 'PATCH', body: { licenseMode } }),
    onSuccess: (_r, licenseMode) => {
      notifySuccess(licenseMode ? `Clusters assigned here will use license mode ${licenseMode}.` : 'The license mode was cleared.', 'License mode saved');
      void refresh();
    },
    onError: (error) => notifyError(error, 'Could not change the license mode'),
  });
  const va = query.data;
  const mayManage = can('licensing.manage');
  const locked = (va?.clusters.length ?? 0) > 0;
  return (
    <>
      <Anchor component={Link} to={va ? `/licensing/smart-accounts/${va.smartAccountId}` : '/licensing'} size="sm" mb="xs" display="inline-block">← {va?.smartAccountName ?? 'Smart accounts'}</Anchor>
      <PageHeader title={va ? `Virtual account ${va.name}` : 'Virtual account'}>
        {va && mayManage && <Button onClick={() => setAssigning(true)} disabled={!va.licenseMode} title={va.licenseMode ? undefined : 'Set the license mode first'}>Assign clusters</Button>}
      </PageHeader>
      <LicensingNav />
      <ErrorNotice error={query.error} title="Could not load the virtual account" />
      {va && (
        <>
          <AssignClustersForm va={va} opened={assigning} onClose={() => setAssigning(false)} onStarted={setStarted} />
          {started.length > 0 && <Alert color="blue" variant="light" role="status" mb="md" title="Started"><StartedJobs jobs={started} /></Alert>}
          {va.removedFromCssm && <Alert color="red" variant="light" mb="md">CSSM no longer lists this virtual account. It is kept while clusters are assigned to it: move them to another virtual account.</Alert>}
          <Paper component="section" aria-labelledby="va-facts" mb="md">
            <Title order={2} fz="lg" id="va-facts" mb="sm">Details</Title>
            <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }} spacing="md">
              <Fact label="Description">{va.description || '—'}</Fact>
              <Fact label="Smart account">{va.smartAccountName} ({va.domain})</Fact>
              <Fact label="Access level">{va.accessLevel}</Fact>
              <Fact label="License mode">
                <Group gap="xs">
                  <NativeSelect
                    aria-label="License mode"
                    size="xs"
                    value={va.licenseMode ?? ''}
                    disabled={!mayManage || locked || mode.isPending}
                    title={locked ? 'The license mode cannot change while clusters are assigned' : undefined}
                    data={[{ value: '', label: 'Not set' }, ...licenseModes.map((m) => ({ value: m, label: m }))]}
                    onChange={(e) => mode.mutate(e.currentTarget.value || null)}
                  />
                </Group>
              </Fact>
            </SimpleGrid>
          </Paper>
          <Paper component="section" aria-labelledby="va-clusters">
            <Title order={2} fz="lg" id="va-clusters" mb="sm">Assigned clusters</Title>
            <ClusterTable
              caption={`Clusters assigned to ${va.name}`}
              query={{ virtualAccountId: va.id }}
              showVirtualAccount={false}
              empty={{ title: 'No cluster assigned', description: va.licenseMode ? 'Assign clusters to license them from this virtual account.' : 'Set the license mode, then assign clusters to license them from this virtual account.' }}
            />
          </Paper>
        </>
      )}
    </>
  );
}
