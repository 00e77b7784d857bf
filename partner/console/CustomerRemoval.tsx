import { useEffect, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { getJob, request, terminalJobStates } from '../../platform/console/src/api.ts';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { JobStateBadge } from '../../platform/console/src/components/JobState.tsx';
import { ProgressBar } from '../../platform/console/src/components/ProgressBar.tsx';

// Partner Hub's "Detach from partner" (P8) and "Delete the organisation" (P12) for one customer:
// each is a job; the panel follows it to the end.

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

export function CustomerRemoval({ orgId, name, onClose }: { orgId: string; name: string; onClose: () => void }) {
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
  const finished = job.data && terminalJobStates.includes(job.data.state);
  // The customer list and counts change when the job ends.
  useEffect(() => {
    if (finished) void client.invalidateQueries({ queryKey: ['partner'] });
  }, [finished, client]);
  return (
    <section aria-labelledby={`remove-${orgId}`} className="panel">
      <h3 id={`remove-${orgId}`}>Detach or delete — {name}</h3>
      {!jobId && (
        <form
          aria-label={`Detach or delete ${name}`}
          onSubmit={(e) => {
            e.preventDefault();
            start.mutate();
          }}
        >
          <fieldset>
            <legend>What to do</legend>
            {(Object.keys(actions) as Action[]).map((a) => (
              <label key={a} style={{ display: 'block' }}>
                <input type="radio" name="action" value={a} checked={action === a} onChange={() => setAction(a)} /> {actions[a].label}
              </label>
            ))}
          </fieldset>
          <p>{actions[action].explain} This cannot be undone.</p>
          <label>
            Type the organisation name to confirm <input value={confirmed} onChange={(e) => setConfirmed(e.target.value)} />
          </label>{' '}
          <button type="submit" disabled={confirmed !== name || start.isPending}>
            {actions[action].label}
          </button>{' '}
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          {start.error && <ErrorNotice error={start.error} />}
        </form>
      )}
      {jobId && (
        <div>
          <p>
            {actions[action].label}: {job.data ? <JobStateBadge state={job.data.state} /> : 'starting'} <Link to={`/jobs/${jobId}`}>job details</Link>
          </p>
          <ProgressBar percent={job.data?.progressPercent ?? 0} label={`${actions[action].label} progress`} state={job.data?.state} />
          {job.data?.progressStep && <p>{job.data.progressStep}</p>}
          {finished && (
            <button type="button" onClick={onClose}>
              Close
            </button>
          )}
        </div>
      )}
    </section>
  );
}
