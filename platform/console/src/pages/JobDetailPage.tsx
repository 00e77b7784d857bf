import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { cancelJob, getJob, retryJob, terminalJobStates, type JobDetail } from '../api.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
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
    <div className="notice notice-error">
      <p className="notice-title">{attempt ? `Attempt ${attempt} failed` : 'The job failed'}</p>
      <p>{message ?? JSON.stringify(error)}</p>
      {code && (
        <p className="notice-meta">
          <span>
            Code <code>{code}</code>
          </span>
        </p>
      )}
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
  const retry = useMutation({ mutationFn: () => retryJob(id), onSuccess: afterChange });
  const cancel = useMutation({ mutationFn: () => cancelJob(id), onSuccess: afterChange });

  const data = job.data;
  const mayManage = can('jobs.manage');
  const canRetry = data && mayManage && (data.state === 'failed' || data.state === 'cancelled');
  const canCancel = data && mayManage && !terminalJobStates.includes(data.state);
  const busy = retry.isPending || cancel.isPending;

  return (
    <>
      <p className="breadcrumb">
        <Link to="/jobs">← All jobs</Link>
      </p>
      <PageHeader title={data ? data.title : 'Job'}>
        {data && <JobStateBadge state={data.state} />}
      </PageHeader>

      <ErrorNotice error={job.error} title="Could not load the job" />
      {job.isPending && <p role="status">Loading the job…</p>}

      {data && (
        <>
          <section className="card" aria-labelledby="job-progress-title">
            <div className="card-header">
              <h2 id="job-progress-title">Progress</h2>
              {(canRetry || canCancel) && (
                <div className="actions">
                  {canRetry && (
                    <button type="button" className="button button-primary" disabled={busy} onClick={() => retry.mutate()}>
                      {retry.isPending ? 'Retrying…' : 'Retry'}
                    </button>
                  )}
                  {canCancel && (
                    <button type="button" className="button button-danger" disabled={busy} onClick={() => cancel.mutate()}>
                      {cancel.isPending ? 'Cancelling…' : 'Cancel job'}
                    </button>
                  )}
                </div>
              )}
            </div>
            <ErrorNotice error={retry.error} title="Could not retry the job" />
            <ErrorNotice error={cancel.error} title="Could not cancel the job" />
            <JobProgress job={data} />
            {data.state !== 'completed' && <JobFailure error={data.error} />}
          </section>

          <section className="card" aria-labelledby="job-facts-title">
            <h2 id="job-facts-title">Details</h2>
            <dl className="facts">
              <dt>Job ID</dt>
              <dd>
                <code>{data.id}</code>
              </dd>
              <dt>Queue</dt>
              <dd>
                <code>{data.queue}</code>
              </dd>
              <dt>Entity</dt>
              <dd>{data.entityType ? `${data.entityType} ${data.entityId ?? ''}` : <span className="muted">—</span>}</dd>
              <dt>Attempts</dt>
              <dd>
                {data.attempts} of {data.maxAttempts}
              </dd>
              <dt>Created</dt>
              <dd>
                <Time value={data.createdAt} />
                {data.createdBy && <span className="muted"> by {data.createdBy}</span>}
              </dd>
              <dt>Started</dt>
              <dd>
                <Time value={data.startedAt} />
              </dd>
              <dt>Finished</dt>
              <dd>
                <Time value={data.finishedAt} />
              </dd>
              <dt>Last update</dt>
              <dd>
                <Time value={data.updatedAt} />
              </dd>
            </dl>
            <TimeZoneNote />
          </section>

          <section className="card" aria-labelledby="job-steps-title">
            <h2 id="job-steps-title">Steps</h2>
            {data.steps.length === 0 ? (
              <p className="muted">No steps recorded yet.</p>
            ) : (
              <div className="table-wrap">
                <table className="table">
                  <thead>
                    <tr>
                      <th scope="col">Step</th>
                      <th scope="col">State</th>
                      <th scope="col">Attempts</th>
                      <th scope="col">Started</th>
                      <th scope="col">Finished</th>
                      <th scope="col">Took</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.steps.map((step) => (
                      <tr key={step.stepKey}>
                        <td>
                          <code>{step.stepKey}</code>
                        </td>
                        <td>
                          <span className={`badge badge-step-${step.state}`}>{step.state}</span>
                        </td>
                        <td className="numeric">{step.attempts}</td>
                        <td>
                          <Time value={step.startedAt} />
                        </td>
                        <td>
                          <Time value={step.finishedAt} />
                        </td>
                        <td className="numeric">{duration(step.startedAt, step.finishedAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>

          <section className="card" aria-labelledby="job-data-title">
            <h2 id="job-data-title">Input and result</h2>
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
          </section>
        </>
      )}
    </>
  );
}
