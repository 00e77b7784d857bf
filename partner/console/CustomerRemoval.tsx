import { useEffect, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Anchor, Button, Group, Modal, Radio, Stack, Text, TextInput } from '@mantine/core';
import { getJob, request, terminalJobStates } from '../../platform/console/src/api.ts';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { notifySuccess } from '../../platform/console/src/components/feedback.tsx';
import { JobStateBadge } from '../../platform/console/src/components/JobState.tsx';
import { ProgressBar } from '../../platform/console/src/components/ProgressBar.tsx';

// Partner Hub's "Detach from partner" (P8) and "Delete the organisation" (P12) for one customer:
// confirmed by typing the organisation's name; each is a job, which the dialog follows to the end.

type Action = 'detach-standard' | 'detach-hybrid' | 'delete';
const actions: Record<Action, { label: string; explain: string }> = {
  'detach-standard': {
    label: 'Detach (standard flow)',
    explain: 'Workspaces, subscribers, pending users and the calling configuration are removed; the subscriber data is deleted and the Webex for BroadWorks subscription deactivated.',
  },
  'detach-hybrid': {
    label: 'Detach (hybrid flow)',
    explain: 'Workspaces, subscribers, pending users and the calling configuration are removed; the people stay as free Webex users and the subscriptions are unchanged.',
  },
  delete: { label: 'Delete the organisation', explain: 'All its people are deleted, directory sync is disabled, then the organisation is deleted.' },
};

export function CustomerRemoval({ orgId, name, onClose, onFinished }: { orgId: string; name: string; onClose: () => void; onFinished?: (action: Action, state: string) => void }) {
  const client = useQueryClient();
  const [action, setAction] = useState<Action>('detach-standard');
  const [confirmed, setConfirmed] = useState('');
  const start = useMutation({
    mutationFn: () =>
      action === 'delete'
        ? request<{ jobId: string }>(`/api/v1/partner/customers/${orgId}/delete`, { method: 'POST' })
        : request<{ jobId: string }>(`/api/v1/partner/customers/${orgId}/detach`, { method: 'POST', body: { flow: action === 'detach-hybrid' ? 'hybrid' : 'standard' } }),
  });
  const jobId = start.data?.jobId;
  const job = useQuery({
    queryKey: ['jobs', jobId],
    queryFn: ({ signal }) => getJob(jobId!, signal),
    enabled: Boolean(jobId),
    refetchInterval: (query) => (query.state.data && terminalJobStates.includes(query.state.data.state) ? false : 1_000),
  });
  const finished = job.data && terminalJobStates.includes(job.data.state) ? job.data.state : null;
  useEffect(() => {
    if (!finished) return;
    if (finished === 'completed') notifySuccess(`${actions[action].label}: ${name} done.`);
    void client.invalidateQueries({ queryKey: ['partner'] });
    onFinished?.(action, finished);
    // Once, when the job ends.
  }, [finished]);
  return (
    <Modal opened onClose={onClose} title={`Detach or delete — ${name}`} size="lg" closeOnClickOutside={!jobId || Boolean(finished)}>
      {!jobId && (
        <form
          aria-label={`Detach or delete ${name}`}
          onSubmit={(e) => {
            e.preventDefault();
            start.mutate();
          }}
        >
          <Stack gap="sm">
            <Radio.Group label="What to do" value={action} onChange={(value) => setAction(value as Action)}>
              <Stack gap={6} mt={6}>
                {(Object.keys(actions) as Action[]).map((a) => (
                  <Radio key={a} value={a} label={actions[a].label} />
                ))}
              </Stack>
            </Radio.Group>
            <Text size="sm">{actions[action].explain} This cannot be undone.</Text>
            <TextInput label="Type the organisation name to confirm" description={name} value={confirmed} onChange={(e) => setConfirmed(e.currentTarget.value)} autoComplete="off" />
            <ErrorNotice error={start.error} title={`Could not start: ${actions[action].label}`} />
            <Group justify="flex-end">
              <Button variant="default" onClick={onClose}>
                Cancel
              </Button>
              <Button type="submit" color="red" disabled={confirmed !== name} loading={start.isPending}>
                {actions[action].label}
              </Button>
            </Group>
          </Stack>
        </form>
      )}
      {jobId && (
        <Stack gap="sm">
          <Group gap="sm">
            <Text size="sm">{actions[action].label}:</Text>
            {job.data ? <JobStateBadge state={job.data.state} /> : <Text size="sm">starting</Text>}
            <Anchor component={Link} to={`/jobs/${jobId}`} size="sm">
              job details
            </Anchor>
          </Group>
          <ProgressBar percent={job.data?.progressPercent ?? 0} label={`${actions[action].label} progress`} state={job.data?.state} />
          {job.data?.progressStep && <Text size="sm">{job.data.progressStep}</Text>}
          {finished && (
            <Group justify="flex-end">
              <Button onClick={onClose}>Close</Button>
            </Group>
          )}
        </Stack>
      )}
    </Modal>
  );
}
