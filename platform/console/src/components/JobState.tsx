import type { JobState } from '../api.ts';

const labels: Record<JobState, string> = {
  created: 'Queued',
  active: 'Running',
  retry: 'Waiting to retry',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export const jobStateLabel = (state: JobState) => labels[state] ?? state;

export function JobStateBadge({ state }: { state: JobState }) {
  return <span className={`badge badge-${state}`}>{jobStateLabel(state)}</span>;
}
