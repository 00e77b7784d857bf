import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';
import { startWorkerThread } from '../../platform/worker-thread.ts';
import { writeReportCsv, type ReportInput, type ReportOutput, type ReportProgress } from './billing.report-writer.ts';

// P16: on PostgreSQL a report's lanes are written by worker threads. A million subscriber-months are
// seconds of CPU-bound work: on the server's thread they would hold its event loop between batches
// and grow its heap by the report's garbage; in a thread they run on the other core, in a heap of
// their own whose size is bounded (below), and the server only relays progress. Threads rather than
// child processes: a process costs the Node binary, its start-up and its module graph again (a writer
// process peaked at 184 MB RSS, a writer thread adds about 60 MB to the server's). (The embedded
// database has one connection, owned by the server's thread, so there the report is written there.)

type ThreadMessage = { type: 'progress'; progress: ReportProgress } | { type: 'done'; output: ReportOutput } | { type: 'error'; message: string };
type ThreadData = { connectionString: string; input: ReportInput };

/**
 * The writer's heap. The young generation holds a few batches of rows (5,000 each) at a time. Where
 * the process has --max-semi-space-size (a server started by `switchboard start`:
 * platform/node-runtime.js), that flag sizes every isolate's young generation and the limit here is
 * ignored (measured: a writer's new space 37 MB with the flag at 16, whatever it asked for). The
 * old generation's limit also steers V8's heap growth, which without it let each writer's heap reach
 * 70–80 MB of dead rows between full collections (the live set is about 11 MB). 128 MB leaves room
 * for a partner with a very large customer list; a writer that still runs out fails the report with
 * the message below, and nothing else.
 */
const WRITER_HEAP = { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 128 };

/** Writes a lane of the report in a worker thread; rejects with its error, or when `signal` aborts (the thread is stopped). */
export function writeReportInThread(connectionString: string, input: ReportInput, onProgress: (progress: ReportProgress) => Promise<void>, signal: AbortSignal): Promise<ReportOutput> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortReason(signal));
    // The connection string stays in this process's memory: never in argv or the environment.
    const worker = startWorkerThread(new URL(import.meta.url), { data: { connectionString, input } satisfies ThreadData, resourceLimits: WRITER_HEAP });
    let settled = false;
    const settle = (error: Error | null, output?: ReportOutput) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', abort);
      if (error) {
        // terminate() stops the thread even inside a loop; its connections close with it.
        void worker.terminate();
        reject(error);
      } else resolve(output!);
    };
    const abort = () => settle(abortReason(signal));
    signal.addEventListener('abort', abort);
    // Progress is relayed in order; a failed relay (the job was cancelled) stops the thread.
    let relay = Promise.resolve();
    let answered = false;
    worker.on('message', (message: ThreadMessage) => {
      if (message.type === 'progress') relay = relay.then(() => onProgress(message.progress)).catch((error) => settle(error));
      else {
        answered = true;
        relay.then(() => (message.type === 'done' ? settle(null, message.output) : settle(new Error(message.message))));
      }
    });
    worker.on('error', (error: Error & { code?: string }) =>
      settle(error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? new Error(`The billing report's writer ran out of its ${WRITER_HEAP.maxOldGenerationSizeMb} MB heap.`) : error),
    );
    worker.on('exit', (code) => {
      if (!answered) settle(new Error(`The billing report's writer stopped before finishing (exit code ${code}).`));
    });
  });
}

const abortReason = (signal: AbortSignal) => (signal.reason instanceof Error ? signal.reason : new Error('The billing report was stopped.'));

async function runThread({ connectionString, input }: ThreadData) {
  const send = (m: ThreadMessage) => parentPort!.postMessage(m);
  // Two connections: the cursor's read-only transaction holds one; the chunk inserts use the other.
  const pool = new pg.Pool({ connectionString, max: 2 });
  try {
    send({ type: 'done', output: await writeReportCsv({ mode: 'postgres', pool }, input, async (progress) => send({ type: 'progress', progress })) });
  } catch (error) {
    send({ type: 'error', message: (error as Error).message });
  } finally {
    await pool.end().catch(() => undefined);
  }
}

if (!isMainThread && (workerData as { module?: string })?.module === import.meta.url) await runThread((workerData as { data: ThreadData }).data);
