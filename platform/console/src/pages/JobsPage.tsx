import { useEffect, useState, type FormEvent } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { Anchor, Button, Checkbox, Code, Group, NativeSelect, Paper, Stack, Text, TextInput } from '@mantine/core';
import { jobStates, listJobs, type Job, type JobState } from '../api.ts';
import { DataTable, type Column } from '../components/DataTable.tsx';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { JobStateBadge, jobStateLabel } from '../components/JobState.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { ProgressBar } from '../components/ProgressBar.tsx';
import { Time, TimeZoneNote } from '../components/Time.tsx';

const PAGE_SIZE = 25;

export function JobProgress({ job }: { job: Job }) {
  const detail = [job.progressStep, job.progressMessage].filter(Boolean).join(' — ');
  return (
    <Stack gap={2} className="job-progress">
      <Group gap="xs" wrap="nowrap">
        <ProgressBar percent={job.progressPercent} state={job.state} label={`Progress of ${job.title}`} />
        <Text size="xs" c="dimmed" w={36} ta="right">
          {job.progressPercent}%
        </Text>
      </Group>
      {detail && (
        <Text size="xs" c="dimmed" className="job-progress-detail">
          {detail}
        </Text>
      )}
    </Stack>
  );
}

const columns: Column<Job>[] = [
  {
    key: 'title',
    header: 'Job',
    sortValue: (job) => job.title,
    searchValue: (job) => `${job.title} ${job.queue} ${job.entityId ?? ''}`,
    render: (job) => (
      <>
        <Anchor component={Link} to={`/jobs/${job.id}`} fw={500} size="sm">
          {job.title}
        </Anchor>
        <Text size="xs" c="dimmed">
          <Code>{job.queue}</Code>
          {job.entityType && ` · ${job.entityType} ${job.entityId ?? ''}`}
        </Text>
      </>
    ),
  },
  { key: 'state', header: 'State', sortValue: (job) => jobStateLabel(job.state), render: (job) => <JobStateBadge state={job.state} /> },
  { key: 'progress', header: 'Progress', width: 260, sortValue: (job) => job.progressPercent, render: (job) => <JobProgress job={job} /> },
  { key: 'attempts', header: 'Attempts', numeric: true, sortValue: (job) => job.attempts, render: (job) => `${job.attempts} / ${job.maxAttempts}` },
  {
    key: 'created',
    header: 'Created',
    sortValue: (job) => job.createdAt,
    render: (job) => (
      <>
        <Time value={job.createdAt} />
        {job.createdBy && (
          <Text size="xs" c="dimmed">
            by {job.createdBy}
          </Text>
        )}
      </>
    ),
  },
];

export function JobsPage() {
  const [params, setParams] = useSearchParams();
  const state = (params.get('state') ?? '') as JobState | '';
  const queue = params.get('queue') ?? '';
  const routine = params.get('routine') === 'true';
  const offset = Math.max(0, Number(params.get('offset')) || 0);
  const [queueInput, setQueueInput] = useState(queue);
  const [stateInput, setStateInput] = useState<JobState | ''>(state);
  // Back/forward changes the URL; the form follows it.
  useEffect(() => {
    setQueueInput(queue);
    setStateInput(state);
  }, [queue, state]);

  const jobs = useQuery({
    queryKey: ['jobs', { state, queue, routine, offset }],
    queryFn: ({ signal }) => listJobs({ state, queue, offset, limit: PAGE_SIZE, ...(routine ? { includeRoutine: 'true' } : {}) }, signal),
    // Progress is live: the list is read again every second while the page is visible.
    refetchInterval: 1000,
    placeholderData: keepPreviousData,
  });

  const update = (next: Record<string, string>) => {
    const merged = new URLSearchParams(params);
    for (const [key, value] of Object.entries(next)) {
      if (value) merged.set(key, value);
      else merged.delete(key);
    }
    setParams(merged);
  };
  const applyFilters = (event: FormEvent) => {
    event.preventDefault();
    update({ state: stateInput, queue: queueInput.trim(), offset: '' });
  };
  const clearFilters = () => {
    setStateInput('');
    setQueueInput('');
    update({ state: '', queue: '', offset: '' });
  };
  const filtered = Boolean(state || queue);

  return (
    <>
      <PageHeader title="Jobs">
        <Text size="xs" c="dimmed" className="live-indicator" title="The list is refreshed every second">
          ● Live
        </Text>
      </PageHeader>
      <Text c="dimmed" mb="md">
        Long-running work of every area — provisioning, synchronisation, reports — with its progress. Open a job for its steps.
      </Text>

      <Paper component="form" onSubmit={applyFilters} aria-label="Filter jobs" mb="md" p="md">
        <Group align="flex-end" gap="md" wrap="wrap">
          <NativeSelect id="jobs-state" label="State" value={stateInput} onChange={(event) => setStateInput(event.currentTarget.value as JobState | '')} data={[{ value: '', label: 'Any state' }, ...jobStates.map((value) => ({ value, label: jobStateLabel(value) }))]} w={200} />
          <TextInput id="jobs-queue" label="Queue" value={queueInput} placeholder="e.g. meetings.sync-cospaces" onChange={(event) => setQueueInput(event.currentTarget.value)} w={260} />
          <Group gap="xs">
            <Button type="submit">Apply filters</Button>
            {filtered && (
              <Button type="button" variant="default" onClick={clearFilters}>
                Clear
              </Button>
            )}
          </Group>
        </Group>
        <Checkbox mt="sm" size="sm" label="Show routine system jobs (bridge status polls)" checked={routine} onChange={(event) => update({ routine: event.currentTarget.checked ? 'true' : '', offset: '' })} />
      </Paper>

      <ErrorNotice error={jobs.error} title="Could not load jobs" />

      {jobs.isPending ? (
        <Text role="status">Loading jobs…</Text>
      ) : jobs.data ? (
        <Paper p="md">
          <DataTable
            caption="Jobs, newest first"
            columns={columns}
            rows={jobs.data.items}
            rowKey={(job) => job.id}
            paging={{ total: jobs.data.total, offset, limit: PAGE_SIZE, onChange: (next) => update({ offset: next ? String(next) : '' }) }}
            empty={
              filtered
                ? { title: 'No jobs match these filters', description: 'Choose another state or queue, or clear the filters to see every job.', action: <Button variant="default" onClick={clearFilters}>Clear filters</Button> }
                : { title: 'No jobs yet', description: 'Jobs appear here when an area starts long-running work: adding a bridge, provisioning subscribers, syncing a smart account, a billing report.' }
            }
            footer={<TimeZoneNote />}
          />
        </Paper>
      ) : null}
    </>
  );
}
