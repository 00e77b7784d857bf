import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts `module` (a file URL of a TypeScript module) in a worker thread through worker-entry.js,
 * so the thread uses the compile cache. The module reads its own data from `workerData.data`.
 */
export function startWorkerThread(module: URL, options: Omit<WorkerOptions, 'workerData'> & { data?: unknown } = {}): Worker {
  const { data, ...rest } = options;
  return new Worker(new URL('./worker-entry.js', import.meta.url), { ...rest, workerData: { module: module.href, data } });
}
