import { Link, useParams } from 'react-router';
import { useMutation } from '@tanstack/react-query';
import { Alert, Anchor, Button, Code, Group, Paper, Progress, SimpleGrid, Table, Text, Title, VisuallyHidden } from '@mantine/core';
import { request } from '../../platform/console/src/api.ts';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { confirmAction, notifyError, notifySuccess } from '../../platform/console/src/components/feedback.tsx';
import { PageHeader } from '../../platform/console/src/components/PageHeader.tsx';
import { Time, TimeZoneNote } from '../../platform/console/src/components/Time.tsx';
import { useCan } from '../../platform/console/src/session.tsx';
import { base, useRefreshLicensing, useWatchedJob, type JobDetails } from './licensing-api.ts';
import { JobStatusBadge, LicensingNav, StepBadge } from './parts.tsx';
import { Fact } from './SmartAccountPage.tsx';

/** Where the job's entity lives: the cluster an assignment works on, the smart account a sync reads. */
function EntityLink({ job }: { job: JobDetails }) {
  const label = `${job.entityType} ${job.entityName}`;
  if (job.clusterId) return <Anchor component={Link} to={`/licensing/clusters/${job.clusterId}`}>{label}</Anchor>;
  if (job.smartAccountId) return <Anchor component={Link} to={`/licensing/smart-accounts/${job.smartAccountId}`}>{label}</Anchor>;
  return <>{label}</>;
}

/**
 * HCM-F's Job Details for one licensing job: its steps as the HLM runs them (Verification, License
 * Mode Change, Transport Mode Change, Registration — or Authentication, Virtual Accounts for a sync),
 * each step's state as it changes, the error and recommended action, and Cancel / Restart.
 */
export function JobPage() {
  const { id = '' } = useParams();
  const can = useCan();
  const refresh = useRefreshLicensing();
  const job = useWatchedJob(id);
  const restart = useMutation({
    mutationFn: () => request(`${base}/jobs/${id}/restart`, { method: 'POST' }),
    onSuccess: () => {
      notifySuccess('The job runs again from the step that failed; steps that passed are not repeated.', 'Restarted');
      void refresh();
    },
    onError: (error) => notifyError(error, 'Could not restart the job'),
  });
  const cancel = useMutation({
    mutationFn: () => request(`${base}/jobs/${id}/cancel`, { method: 'POST' }),
    onSuccess: () => {
      notifySuccess('The job stopped. Steps that passed stay done; Restart carries on from there.', 'Cancelled');
      void refresh();
    },
    onError: (error) => notifyError(error, 'Could not cancel the job'),
  });
  const askCancel = async () => {
    if (await confirmAction({ title: 'Cancel this job?', message: 'It stops at its next check (a publisher restart already under way finishes). Steps that passed stay done; the job can be restarted.', confirmLabel: 'Cancel job', danger: true })) cancel.mutate();
  };
  const askRestart = async () => {
    if (await confirmAction({ title: 'Restart this job?', message: 'It runs again from the step that failed. A license mode change restarts the publisher node.', confirmLabel: 'Restart job' })) restart.mutate();
  };
  const j = job.data;
  const mayManage = can('licensing.manage');
  const steps = j ? Object.entries(j.progressInfo) : [];
  return (
    <>
      <Anchor component={Link} to="/licensing/jobs" size="sm" mb="xs" display="inline-block">← Licensing jobs</Anchor>
      <PageHeader title={j ? j.description : 'Licensing job'}>{j && <JobStatusBadge status={j.status} />}</PageHeader>
      <LicensingNav />
      <ErrorNotice error={job.error} title="Could not load the job" />
      {j && (
        <>
          <Paper component="section" aria-labelledby="job-steps" mb="md">
            <Group justify="space-between" mb="sm">
              <Title order={2} fz="lg" id="job-steps">Status information</Title>
              {mayManage && (
                <Group gap="xs">
                  {j.isCancelable && <Button color="red" variant="light" loading={cancel.isPending} onClick={() => void askCancel()}>Cancel job</Button>}
                  {j.isRestartable && <Button loading={restart.isPending} onClick={() => void askRestart()}>Restart</Button>}
                </Group>
              )}
            </Group>
            {j.status === 'IN_PROGRESS' && (
              <>
                <Progress.Root size="sm" mb={4}>
                  <Progress.Section value={j.progressPercent} aria-label="Job progress" />
                </Progress.Root>
                <Text size="xs" c="dimmed" mb="sm">{j.progressPercent}%{j.progressMessage ? ` · ${j.progressMessage}` : ''}</Text>
              </>
            )}
            <Table className="table" striped>
              <VisuallyHidden component="caption">Status Information</VisuallyHidden>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Step</Table.Th>
                  <Table.Th scope="col">State</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {steps.map(([step, state]) => (
                  <Table.Tr key={step}>
                    <Table.Td>{step}</Table.Td>
                    <Table.Td><StepBadge state={state} /></Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
            {j.status === 'FAILED' && (j.errorDescription || j.recommendedAction) && (
              <Alert color="red" variant="light" mt="md" title={j.errorCode ? `Failed (${j.errorCode})` : 'Failed'}>
                {j.errorDescription && <Text size="sm">{j.errorDescription}</Text>}
                {j.recommendedAction && <Text size="sm" mt={4}><strong>Recommended action:</strong> {j.recommendedAction}</Text>}
              </Alert>
            )}
          </Paper>
          <Paper component="section" aria-labelledby="job-facts">
            <Title order={2} fz="lg" id="job-facts" mb="sm">Details</Title>
            <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }} spacing="md">
              <Fact label="Entity"><EntityLink job={j} /></Fact>
              <Fact label="Job type">{j.jobType}</Fact>
              <Fact label="Initiated"><Time value={j.startedAt} />{j.createdBy && <Text span c="dimmed" size="sm"> by {j.createdBy}</Text>}</Fact>
              <Fact label="Completed"><Time value={j.finishedAt} /></Fact>
              <Fact label="Attempts">{j.attempts}</Fact>
              <Fact label="Job record"><Anchor component={Link} to={`/jobs/${j.id}`}><Code>{j.id.slice(0, 8)}</Code> in Jobs</Anchor></Fact>
            </SimpleGrid>
            <TimeZoneNote />
          </Paper>
        </>
      )}
    </>
  );
}
