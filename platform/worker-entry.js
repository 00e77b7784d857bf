// The first module of every Switchboard worker thread (see worker-thread.ts). A worker has a module
// loader of its own: its TypeScript would be type-stripped again by a WebAssembly compiler that stays
// in the thread's memory (16 MB per thread, measured). Plain JavaScript, so it can turn on the
// compile cache (bin/switchboard.js does it for the main thread) before the first TypeScript module.
import module from 'node:module';
import { workerData } from 'node:worker_threads';

if (typeof module.enableCompileCache === 'function') module.enableCompileCache();
await import(workerData.module);
