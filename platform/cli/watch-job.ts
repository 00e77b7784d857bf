import cliProgress from 'cli-progress';
import { CliError } from './cli-error.ts';
import type { ApiClient } from './api-client.ts';

// Every long operation of every area is a job; its CLI command starts it and then follows it here
// with a progress bar, so `meetings … --wait`, `licensing … --wait` and `jobs watch` look alike.

export type JobStep = { stepKey: string; state: string; attempts: number; startedAt: string; finishedAt: string | null };

export type JobView = {
  id: string;
  queue: string;
  title: string;
  entityType: string | null;
  entityId: string | null;
  state: 'created' | 'active' | 'retry' | 'completed' | 'failed' | 'cancelled';
  progressPercent: number;
  progressStep: string | null;
  progressMessage: string | null;
  attempts: number;
  maxAttempts: number;
  input: unknown;
  result: unknown;
  error: unknown;
  createdBy: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
  steps?: JobStep[];
};

export const terminalJobStates: ReadonlyArray<JobView['state']> = ['completed', 'failed', 'cancelled'];

export type WatchOptions = {
  /** Poll interval (default 500 ms). */
  intervalMs?: number;
  /** Where the bar goes (default stderr, so stdout stays clean for --json and pipes). */
  stream?: NodeJS.WriteStream;
  /** A server that stays unreachable this long ends the watch (default 60 s): restarts are ridden out. */
  unreachableForMs?: number;
};

const describeStep = (job: JobView) => [job.progressStep, job.progressMessage].filter(Boolean).join(': ');
const errorMessage = (error: unknown) =>
  typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string' ? (error as { message: string }).message : error ? JSON.stringify(error) : '';

/**
 * Polls GET /api/v1/jobs/:id until the job is completed, failed or cancelled, drawing a progress
 * bar on a terminal (one line per change otherwise). Returns the final job; never throws for a
 * failed job — see `followJob` for that.
 */
export async function watchJob(client: ApiClient, id: string, options: WatchOptions = {}): Promise<JobView> {
  const intervalMs = options.intervalMs ?? 500;
  const stream = options.stream ?? process.stderr;
  const unreachableForMs = options.unreachableForMs ?? 60_000;
  const path = `/api/v1/jobs/${encodeURIComponent(id)}`;
  let job = await client.get<JobView>(path);

  const bar = stream.isTTY
    ? new cliProgress.SingleBar(
        { format: '{bar} {percentage}% | {state} | {detail}', stream, hideCursor: true, barsize: 30, clearOnComplete: false, linewrap: false },
        cliProgress.Presets.shades_classic,
      )
    : null;
  let lastLine = '';
  const show = (current: JobView) => {
    const detail = describeStep(current) || current.title;
    if (bar) {
      bar.update(current.progressPercent, { state: current.state, detail });
      return;
    }
    const line = `${String(current.progressPercent).padStart(3)}%  ${current.state}  ${detail}`;
    if (line !== lastLine) stream.write(`${line}\n`);
    lastLine = line;
  };

  // Ctrl+C stops watching, not the job: restore the cursor and say so.
  const onInterrupt = () => {
    bar?.stop();
    stream.write(`Stopped watching; job ${id} goes on on the server (switchboard jobs watch ${id}).\n`);
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  try {
    if (!bar) stream.write(`Job ${job.id}: ${job.title}\n`);
    bar?.start(100, job.progressPercent, { state: job.state, detail: describeStep(job) || job.title });
    show(job);
    let unreachableSince: number | null = null;
    while (!terminalJobStates.includes(job.state)) {
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
      try {
        job = await client.get<JobView>(path);
        unreachableSince = null;
      } catch (error) {
        if (!(error instanceof CliError) || error.code !== 'UNREACHABLE') throw error;
        unreachableSince ??= Date.now();
        if (Date.now() - unreachableSince > unreachableForMs) throw error;
        continue;
      }
      show(job);
    }
    return job;
  } finally {
    bar?.stop();
    process.off('SIGINT', onInterrupt);
  }
}

/**
 * Watches a job to its end and prints the outcome; a failed or cancelled job becomes a CliError
 * (exit 1). Area CLIs call this after starting a job when the user wants to wait for it.
 */
export async function followJob(client: ApiClient, id: string, options: WatchOptions = {}): Promise<JobView> {
  const job = await watchJob(client, id, options);
  if (job.state === 'completed') {
    process.stdout.write(`Job ${job.id} completed: ${job.title}\n`);
    return job;
  }
  const reason = job.state === 'failed' ? errorMessage(job.error) : '';
  throw new CliError(job.state === 'failed' ? 'JOB_FAILED' : 'JOB_CANCELLED', `Job ${job.id} (${job.title}) ${job.state}${reason ? `: ${reason}` : ''}.`, {
    hint: job.state === 'failed' ? `See its steps with \`switchboard jobs show ${job.id}\`; run it again with \`switchboard jobs retry ${job.id}\`.` : null,
  });
}
