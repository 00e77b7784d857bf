import type { ReactNode } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { Alert, Anchor, Badge, Button, Code, Group, Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { cancelJob, getJob, retryJob, terminalJobStates, type JobDetail } from '../api.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { confirmAction, notifyError, notifySuccess } from '../components/feedback.tsx';
import { JobStateBadge } from '../components/JobState.tsx';
import { Json } from '../components/Json.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { Time, TimeZoneNote } from '../components/Time.tsx';
import { useCan } from '../session.tsx';
import { JobProgress } from './JobsPage.tsx';

function duration(from: string, to: string | null): string {
  if (!to) return '—';
  const ms = new Date(to).getTime() - new Date(from).getTime();
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function JobFailure({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  const { message, code, attempt } = (typeof error === 'object' ? error : { message: String(error) }) as { message?: string; code?: string; attempt?: number };
  return (
    <Alert color="red" variant="light" title={attempt ? `Attempt ${attempt} failed` : 'The job failed'} mt="md">
      <Text size="sm">{message ?? JSON.stringify(error)}</Text>
      {code && (
        <Text size="xs" c="dimmed" mt={4}>
          Code <Code>{code}</Code>
        </Text>
      )}
    </Alert>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed" fw={600} tt="uppercase">
        {label}
      </Text>
      <Text size="sm" component="div">
        {children}
      </Text>
    </div>
  );
}

export function JobDetailPage() {
  const { id = '' } = useParams();
  const can = useCan();
  const queryClient = useQueryClient();
  const job = useQuery({
    queryKey: ['job', id],
    queryFn: ({ signal }) => getJob(id, signal),
    refetchInterval: 1000,
  });

  const afterChange = (updated: { state: string }) => {
    queryClient.setQueryData<JobDetail>(['job', id], (current) => (current ? { ...current, state: updated.state as JobDetail['state'] } : current));
    void queryClient.invalidateQueries({ queryKey: ['job', id] });
    void queryClient.invalidateQueries({ queryKey: ['jobs'] });
  };
  const retry = useMutation({
    mutationFn: () => retryJob(id),
    onSuccess: (updated) => {
      afterChange(updated);
      notifySuccess('The job is queued again; it resumes after its last finished step.', 'Retrying');
    },
    onError: (error) => notifyError(error, 'Could not retry the job'),
  });
  const cancel = useMutation({
    mutationFn: () => cancelJob(id),
    onSuccess: (updated) => {
      afterChange(updated);
      notifySuccess('The job was cancelled. Retry resumes it where it stopped.', 'Cancelled');
    },
    onError: (error) => notifyError(error, 'Could not cancel the job'),
  });
  const confirmCancel = async () => {
    const confirmed = await confirmAction({
      title: 'Cancel this job?',
      message: 'The job stops at its next step. What it already did stays done; Retry resumes it later.',
      confirmLabel: 'Cancel job',
      danger: true,
    });
    if (confirmed) cancel.mutate();
  };

  const data = job.data;
  const mayManage = can('jobs.manage');
  const canRetry = data && mayManage && (data.state === 'failed' || data.state === 'cancelled');
  const canCancel = data && mayManage && !terminalJobStates.includes(data.state);
  const busy = retry.isPending || cancel.isPending;

  return (
    <>
      <Anchor component={Link} to="/jobs" size="sm" mb="xs" display="inline-block">
        ← All jobs
      </Anchor>
      <PageHeader title={data ? data.title : 'Job'}>{data && <JobStateBadge state={data.state} />}</PageHeader>

      <ErrorNotice error={job.error} title="Could not load the job" />
      {job.isPending && <Text role="status">Loading the job…</Text>}

      {data && (
        <Stack gap="md">
          <Paper component="section" aria-labelledby="job-progress-title">
            <Group justify="space-between" mb="sm">
              <Title order={2} fz="lg" id="job-progress-title">
                Progress
              </Title>
              {(canRetry || canCancel) && (
                <Group gap="xs">
                  {canRetry && (
                    <Button disabled={busy} loading={retry.isPending} onClick={() => retry.mutate()}>
                      Retry
                    </Button>
                  )}
                  {canCancel && (
                    <Button color="red" variant="light" disabled={busy} loading={cancel.isPending} onClick={() => void confirmCancel()}>
                      Cancel job
                    </Button>
                  )}
                </Group>
              )}
            </Group>
            <JobProgress job={data} />
            {data.state !== 'completed' && <JobFailure error={data.error} />}
          </Paper>

          <Paper component="section" aria-labelledby="job-facts-title">
            <Title order={2} fz="lg" id="job-facts-title" mb="sm">
              Details
            </Title>
            <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }} spacing="md">
              <Fact label="Job ID">
                <Code>{data.id}</Code>
              </Fact>
              <Fact label="Queue">
                <Code>{data.queue}</Code>
              </Fact>
              <Fact label="Entity">{data.entityType ? `${data.entityType} ${data.entityId ?? ''}` : '—'}</Fact>
              <Fact label="Attempts">
                {data.attempts} of {data.maxAttempts}
              </Fact>
              <Fact label="Created">
                <Time value={data.createdAt} />
                {data.createdBy && <Text span c="dimmed" size="sm"> by {data.createdBy}</Text>}
              </Fact>
              <Fact label="Started">
                <Time value={data.startedAt} />
              </Fact>
              <Fact label="Finished">
                <Time value={data.finishedAt} />
              </Fact>
              <Fact label="Last update">
                <Time value={data.updatedAt} />
              </Fact>
            </SimpleGrid>
            <TimeZoneNote />
          </Paper>

          <Paper component="section" aria-labelledby="job-steps-title">
            <Title order={2} fz="lg" id="job-steps-title" mb="sm">
              Steps
            </Title>
            {data.steps.length === 0 ? (
              <Text c="dimmed" size="sm">
                No steps recorded yet. Steps appear as the job journals its work.
              </Text>
            ) : (
              <Table.ScrollContainer minWidth={560}>
                <Table className="table" striped>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th scope="col">Step</Table.Th>
                      <Table.Th scope="col">State</Table.Th>
                      <Table.Th scope="col" ta="right">Attempts</Table.Th>
                      <Table.Th scope="col">Started</Table.Th>
                      <Table.Th scope="col">Finished</Table.Th>
                      <Table.Th scope="col" ta="right">Took</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {data.steps.map((step) => (
                      <Table.Tr key={step.stepKey}>
                        <Table.Td>
                          <Code>{step.stepKey}</Code>
                        </Table.Td>
                        <Table.Td>
                          <Badge variant="light" color={step.state === 'done' ? 'green' : 'blue'} tt="none">
                            {step.state}
                          </Badge>
                        </Table.Td>
                        <Table.Td ta="right">{step.attempts}</Table.Td>
                        <Table.Td>
                          <Time value={step.startedAt} />
                        </Table.Td>
                        <Table.Td>
                          <Time value={step.finishedAt} />
                        </Table.Td>
                        <Table.Td ta="right">{duration(step.startedAt, step.finishedAt)}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            )}
          </Paper>

          <Paper component="section" aria-labelledby="job-data-title">
            <Title order={2} fz="lg" id="job-data-title" mb="sm">
              Input and result
            </Title>
            <details>
              <summary>Input</summary>
              <Json value={data.input} />
            </details>
            <details>
              <summary>Result</summary>
              <Json value={data.result} />
            </details>
            {data.error !== null && data.error !== undefined && (
              <details>
                <summary>Last error</summary>
                <Json value={data.error} />
              </details>
            )}
          </Paper>
        </Stack>
      )}
    </>
  );
}
