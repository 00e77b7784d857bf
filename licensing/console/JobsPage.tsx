import { useState } from 'react';
import { Link } from 'react-router';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Anchor, Group, NativeSelect, Paper } from '@mantine/core';
import { DataTable } from '../../platform/console/src/components/DataTable.tsx';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import { Time, TimeZoneNote } from '../../platform/console/src/components/Time.tsx';
import { listJobs, whileRunning, type Job } from './licensing-api.ts';
import { JobStatusBadge, LicensingNav } from './parts.tsx';

/** Licensing jobs, newest first, paged by the server; asked again while one it shows is running. */
export function JobTable({ caption, query, empty }: { caption: string; query: Record<string, string | undefined>; empty: { title: string; description: string } }) {
  const [offset, setOffset] = useState(0);
  const limit = 50;
  const list = useQuery({
    queryKey: ['licensing', 'jobs', query, offset],
    queryFn: ({ signal }) => listJobs({ ...query, offset, limit }, signal),
    placeholderData: keepPreviousData,
    refetchInterval: (q) => whileRunning(Boolean(q.state.data?.items.some((j) => j.status === 'IN_PROGRESS'))),
  });
  return (
    <>
      <ErrorNotice error={list.error} title="Could not load the jobs" />
      {list.data && (
        <DataTable<Job>
          caption={caption}
          rows={list.data.items}
          rowKey={(j) => j.id}
          paging={{ total: list.data.total, offset, limit, onChange: setOffset }}
          empty={empty}
          columns={[
            { key: 'description', header: 'Description', sortValue: (j) => j.description, render: (j) => <Anchor component={Link} to={`/licensing/jobs/${j.id}`}>{j.description}</Anchor> },
            { key: 'type', header: 'Job type', sortValue: (j) => j.jobType, render: (j) => j.jobType },
            { key: 'entity', header: 'Entity', sortValue: (j) => `${j.entityType} ${j.entityName}`, render: (j) => `${j.entityType} ${j.entityName}` },
            { key: 'status', header: 'Status', sortValue: (j) => j.status, render: (j) => <JobStatusBadge status={j.status} /> },
            { key: 'started', header: 'Started', sortValue: (j) => j.startedAt, render: (j) => <Time value={j.startedAt} /> },
            { key: 'finished', header: 'Completed', sortValue: (j) => j.finishedAt, render: (j) => <Time value={j.finishedAt} /> },
          ]}
          footer={<TimeZoneNote />}
        />
      )}
    </>
  );
}

export function JobsPage() {
  const [status, setStatus] = useState('');
  const [operation, setOperation] = useState('');
  return (
    <>
      <PageHeader title="Licensing jobs" />
      <LicensingNav />
      <Paper component="section" aria-label="Licensing jobs">
        <Group align="flex-end" gap="sm" mb="sm">
          <NativeSelect label="Status" value={status} onChange={(e) => setStatus(e.currentTarget.value)} data={[{ value: '', label: 'All' }, { value: 'IN_PROGRESS', label: 'In progress' }, { value: 'SUCCEEDED', label: 'Succeeded' }, { value: 'FAILED', label: 'Failed' }]} />
          <NativeSelect label="Kind" value={operation} onChange={(e) => setOperation(e.currentTarget.value)} data={[{ value: '', label: 'All' }, { value: 'sync', label: 'Sync' }, { value: 'assign', label: 'Assignment' }, { value: 'unassign', label: 'Unassignment' }, { value: 'reassign', label: 'Reassignment' }]} />
        </Group>
        <JobTable
          caption="Licensing jobs"
          query={{ status: status || undefined, operation: operation || undefined }}
          empty={status || operation ? { title: 'No job matches', description: 'Choose All in the filters to see every job.' } : { title: 'No licensing job yet', description: 'Adding or syncing a smart account, and assigning a cluster, each start a job that shows here.' }}
        />
      </Paper>
    </>
  );
}
