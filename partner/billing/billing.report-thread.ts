import { fork } from 'node:child_process';
import pg from 'pg';
import { writeReportCsv, type ReportInput, type ReportOutput, type ReportProgress } from './billing.report-writer.ts';

// P16: on PostgreSQL a report is written by a child process of its own. A million subscriber-months
// are seconds of CPU-bound work: in the server process they would hold its event loop between
// batches and grow its heap by the report's garbage; in a child they run on the other core with a
// small young generation, and the server only relays progress. (The embedded database has one
// connection, owned by the server process, so there the report is written in-process.)

type ChildMessage = { type: 'progress'; progress: ReportProgress } | { type: 'done'; output: ReportOutput & { maxRssMb: number } } | { type: 'error'; message: string };
type ParentMessage = { connectionString: string; input: ReportInput };

/**
 * V8 flags of the child: a young generation of 2 × 8 MB instead of Node's default (up to 2 × 32 MB)
 * keeps its peak RSS low; the report's garbage is short-lived rows and lines.
 */
const CHILD_EXEC_ARGV = ['--max-semi-space-size=8'];

/** Writes the report in a child process; rejects with the child's error, or when `signal` aborts (the child is killed). */
export function writeReportInChildProcess(connectionString: string, input: ReportInput, onProgress: (progress: ReportProgress) => Promise<void>, signal: AbortSignal): Promise<ReportOutput & { maxRssMb: number }> {
  return new Promise((resolve, reject) => {
    // The connection string travels over the IPC channel, never in argv or the environment (visible in ps).
    const child = fork(import.meta.filename, ['--billing-report-child'], { execArgv: CHILD_EXEC_ARGV, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let settled = false;
    const settle = (error: Error | null, output?: ReportOutput & { maxRssMb: number }) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', abort);
      if (error) {
        if (child.exitCode === null) child.kill('SIGKILL');
        reject(error);
      } else resolve(output!);
    };
    const abort = () => settle(signal.reason instanceof Error ? signal.reason : new Error('The billing report was stopped.'));
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort);
    // Progress is relayed in order; a failed relay (the job was cancelled) stops the child.
    let relay = Promise.resolve();
    let answered = false;
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'progress') relay = relay.then(() => onProgress(message.progress)).catch((error) => settle(error));
      else {
        answered = true;
        relay.then(() => (message.type === 'done' ? settle(null, message.output) : settle(new Error(message.message))));
      }
    });
    child.on('error', (error) => settle(error));
    child.on('exit', (code, exitSignal) => {
      if (!answered) settle(new Error(`The billing report process ended before finishing (${exitSignal ?? `exit code ${code}`}).`));
    });
    child.send({ connectionString, input } satisfies ParentMessage);
  });
}

async function runChild(message: ParentMessage) {
  const send = (m: ChildMessage) => new Promise<void>((resolve) => process.send!(m, () => resolve()));
  // Two connections: the cursor's read-only transaction holds one; the chunk inserts use the other.
  const pool = new pg.Pool({ connectionString: message.connectionString, max: 2 });
  try {
    const output = await writeReportCsv({ mode: 'postgres', pool }, message.input, (progress) => send({ type: 'progress', progress }));
    // resourceUsage().maxRSS is in kilobytes.
    await send({ type: 'done', output: { ...output, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) } });
  } catch (error) {
    await send({ type: 'error', message: (error as Error).message });
  } finally {
    await pool.end().catch(() => undefined);
    process.disconnect();
  }
}

if (process.argv[2] === '--billing-report-child' && process.send) {
  // The server went away: nobody waits for this report any more.
  process.on('disconnect', () => process.exit(0));
  process.once('message', (message: ParentMessage) => void runChild(message));
}
