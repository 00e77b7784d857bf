import { useEffect, useState, type FormEvent } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { jobStates, listJobs, type Job, type JobState } from '../api.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { JobStateBadge, jobStateLabel } from '../components/JobState.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { Pager } from '../components/Pager.tsx';
import { ProgressBar } from '../components/ProgressBar.tsx';
import { Time, TimeZoneNote } from '../components/Time.tsx';

const PAGE_SIZE = 25;

export function JobProgress({ job }: { job: Job }) {
  const detail = [job.progressStep, job.progressMessage].filter(Boolean).join(' — ');
  return (
    <div className="job-progress">
      <div className="job-progress-line">
        <ProgressBar percent={job.progressPercent} state={job.state} label={`Progress of ${job.title}`} />
        <span className="job-progress-percent">{job.progressPercent}%</span>
      </div>
      {detail && <p className="job-progress-detail">{detail}</p>}
    </div>
  );
}

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
        <span className="live-indicator" title="The list is refreshed every second">
          <span className="live-dot" aria-hidden="true" /> Live
        </span>
      </PageHeader>
      <p className="page-intro">Long-running work of every area — provisioning, synchronisation, reports — with its progress. Open a job for its steps.</p>

      <form className="filters" onSubmit={applyFilters} aria-label="Filter jobs">
        <div className="field">
          <label htmlFor="jobs-state">State</label>
          <select id="jobs-state" value={stateInput} onChange={(event) => setStateInput(event.target.value as JobState | '')}>
            <option value="">Any state</option>
            {jobStates.map((value) => (
              <option key={value} value={value}>
                {jobStateLabel(value)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="jobs-queue">Queue</label>
          <input id="jobs-queue" value={queueInput} placeholder="e.g. meetings.sync-cospaces" onChange={(event) => setQueueInput(event.target.value)} />
        </div>
        <div className="field field-checkbox">
          <label>
            <input type="checkbox" checked={routine} onChange={(event) => update({ routine: event.target.checked ? 'true' : '', offset: '' })} /> Show routine system jobs (bridge status polls)
          </label>
        </div>
        <div className="filters-actions">
          <button type="submit" className="button button-primary">
            Apply filters
          </button>
          {filtered && (
            <button type="button" className="button button-secondary" onClick={clearFilters}>
              Clear
            </button>
          )}
        </div>
      </form>

      <ErrorNotice error={jobs.error} title="Could not load jobs" />

      {jobs.isPending ? (
        <p role="status">Loading jobs…</p>
      ) : jobs.data && jobs.data.items.length === 0 ? (
        <section className="empty-state">
          <p>{filtered ? 'No jobs match these filters.' : 'No jobs yet. Jobs appear here when an area starts long-running work.'}</p>
        </section>
      ) : jobs.data ? (
        <>
          <div className="table-wrap">
            <table className="table">
              <caption className="visually-hidden">Jobs, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Job</th>
                  <th scope="col">State</th>
                  <th scope="col" className="col-progress">
                    Progress
                  </th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {jobs.data.items.map((job) => (
                  <tr key={job.id}>
                    <td>
                      <Link to={`/jobs/${job.id}`} className="row-title">
                        {job.title}
                      </Link>
                      <span className="row-sub">
                        <code>{job.queue}</code>
                        {job.entityType && (
                          <>
                            {' · '}
                            {job.entityType} {job.entityId}
                          </>
                        )}
                      </span>
                    </td>
                    <td>
                      <JobStateBadge state={job.state} />
                    </td>
                    <td>
                      <JobProgress job={job} />
                    </td>
                    <td className="numeric">
                      {job.attempts} / {job.maxAttempts}
                    </td>
                    <td>
                      <Time value={job.createdAt} />
                      {job.createdBy && <span className="row-sub">by {job.createdBy}</span>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="table-foot">
            <TimeZoneNote />
            <Pager label="Jobs" total={jobs.data.total} offset={offset} limit={PAGE_SIZE} onChange={(next) => update({ offset: next ? String(next) : '' })} />
          </div>
        </>
      ) : null}
    </>
  );
}
