import { Badge } from '@mantine/core';
import type { JobState } from '../api.ts';

const labels: Record<JobState, string> = {
  created: 'Queued',
  active: 'Running',
  retry: 'Waiting to retry',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

const colors: Record<JobState, string> = { created: 'gray', active: 'blue', retry: 'yellow', completed: 'green', failed: 'red', cancelled: 'gray' };

export const jobStateLabel = (state: JobState) => labels[state] ?? state;

export function JobStateBadge({ state }: { state: JobState }) {
  return (
    <Badge className="badge" color={colors[state] ?? 'gray'} variant="light" radius="sm" tt="none">
      {jobStateLabel(state)}
    </Badge>
  );
}
