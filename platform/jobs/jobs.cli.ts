import { InvalidArgumentError, type Command } from 'commander';
import { apiClientFromEnvironment } from '../cli/credentials.ts';
import { formatTime, listingOptions, localTimeZone, printFields, printJson, printPage, printTable, parseInteger, type Page } from '../cli/output.ts';
import { followJob, type JobView } from '../cli/watch-job.ts';

// `switchboard jobs …`: the job list, one job with its steps, retry, cancel, and a live watch.

const jobStates = ['created', 'active', 'retry', 'completed', 'failed', 'cancelled'];

function parseStates(raw: string, previous: string[] = []): string[] {
  const states = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = states.filter((s) => !jobStates.includes(s));
  if (unknown.length) throw new InvalidArgumentError(`unknown state ${unknown.join(', ')} (one of ${jobStates.join(', ')}).`);
  return [...previous, ...states];
}

const jobPath = (id: string) => `/api/v1/jobs/${encodeURIComponent(id)}`;
const progress = (job: JobView) => `${job.progressPercent}%`;
const errorText = (error: unknown) => (error && typeof error === 'object' && 'message' in error ? String((error as { message: unknown }).message) : error ? JSON.stringify(error) : '');

export function registerJobCommands(program: Command) {
  const jobs = program.command('jobs').description('Long-running operations: list, inspect, retry, cancel, watch');

  listingOptions(
    jobs
      .command('list')
      .description('List jobs, newest first')
      .option('--state <states>', `only these states, comma-separated or repeated (${jobStates.join(', ')})`, parseStates)
      .option('--queue <queue>', 'only this job type, e.g. meetings.start-meeting')
      .option('--entity-type <type>', 'only jobs about this kind of entity')
      .option('--entity-id <id>', 'only jobs about this entity')
      .option('--routine', 'also list routine system jobs (bridge status polls)'),
  ).action(async (options: { state?: string[]; queue?: string; entityType?: string; entityId?: string; routine?: boolean; limit: number; offset: number; json?: boolean }) => {
    const client = apiClientFromEnvironment();
    const page = await client.get<Page<JobView>>('/api/v1/jobs', {
      state: options.state, queue: options.queue, entityType: options.entityType, entityId: options.entityId, limit: options.limit, offset: options.offset,
      includeRoutine: options.routine ? 'true' : undefined,
    });
    if (options.json) return printJson(page);
    printPage(page, [
      { header: 'ID', value: (j) => j.id },
      { header: 'QUEUE', value: (j) => j.queue },
      { header: 'STATE', value: (j) => j.state },
      { header: 'PROGRESS', value: progress },
      { header: 'TRIES', value: (j) => `${j.attempts}/${j.maxAttempts}` },
      { header: 'CREATED', value: (j) => formatTime(j.createdAt) },
      { header: 'TITLE', value: (j) => j.title, maxWidth: 50 },
    ], 'jobs');
  });

  jobs
    .command('show')
    .description('One job: its progress, outcome and steps')
    .argument('<id>', 'job ID')
    .option('--json', 'print the API\'s JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const job = await apiClientFromEnvironment().get<JobView>(jobPath(id));
      if (options.json) return printJson(job);
      printFields([
        ['ID', job.id],
        ['Title', job.title],
        ['Queue', job.queue],
        ['Entity', job.entityType ? `${job.entityType} ${job.entityId ?? ''}`.trim() : null],
        ['State', job.state],
        ['Progress', `${progress(job)}${job.progressStep ? ` — ${job.progressStep}` : ''}${job.progressMessage ? `: ${job.progressMessage}` : ''}`],
        ['Attempts', `${job.attempts} of ${job.maxAttempts}`],
        ['Created', `${formatTime(job.createdAt)}${job.createdBy ? ` by ${job.createdBy}` : ''}`],
        ['Started', formatTime(job.startedAt)],
        ['Finished', formatTime(job.finishedAt)],
        ...(job.error ? [['Error', errorText(job.error)] as [string, unknown]] : []),
        ...(job.result !== null && job.result !== undefined ? [['Result', JSON.stringify(job.result)] as [string, unknown]] : []),
      ]);
      const steps = job.steps ?? [];
      process.stdout.write(`\nSteps (${steps.length}):\n`);
      if (steps.length) {
        printTable([
          { header: 'STEP', value: (s) => s.stepKey },
          { header: 'STATE', value: (s) => s.state },
          { header: 'TRIES', value: (s) => s.attempts },
          { header: 'STARTED', value: (s) => formatTime(s.startedAt) },
          { header: 'FINISHED', value: (s) => formatTime(s.finishedAt) },
        ], steps);
      }
      process.stdout.write(`\nTimes in ${localTimeZone()}.\n`);
    });

  jobs
    .command('retry')
    .description('Run a failed or cancelled job again (steps already done are not repeated)')
    .argument('<id>', 'job ID')
    .option('--watch', 'follow the job with a progress bar until it ends')
    .action(async (id: string, options: { watch?: boolean }) => {
      const client = apiClientFromEnvironment();
      const result = await client.post<{ id: string; state: string }>(`${jobPath(id)}/retry`);
      process.stdout.write(`Job ${result.id} queued again (${result.state}).\n`);
      if (options.watch) await followJob(client, result.id);
    });

  jobs
    .command('cancel')
    .description('Cancel a job that has not finished')
    .argument('<id>', 'job ID')
    .action(async (id: string) => {
      const result = await apiClientFromEnvironment().post<{ id: string; state: string }>(`${jobPath(id)}/cancel`);
      process.stdout.write(`Job ${result.id} ${result.state}.\n`);
    });

  jobs
    .command('watch')
    .description('Follow a job with a progress bar; exits 0 when it completes, 1 when it fails or is cancelled')
    .argument('<id>', 'job ID')
    .option('--interval <ms>', 'poll interval in milliseconds', parseInteger(100, 60_000), 500)
    .action(async (id: string, options: { interval: number }) => {
      await followJob(apiClientFromEnvironment(), id, { intervalMs: options.interval });
    });

  return jobs;
}
