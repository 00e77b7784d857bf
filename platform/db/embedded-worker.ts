// Runs PGlite in its own thread and serves it over the PostgreSQL wire protocol on a Unix socket,
// so that the main thread uses the same `pg` driver as in PostgreSQL mode and a slow query never
// blocks HTTP serving (PGlite executes WASM on the calling thread).
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

type Input = { pgDir: string; socketPath: string; cacheMb: number };
// Started through platform/worker-thread.ts, which passes our data as workerData.data.
const { pgDir, socketPath, cacheMb } = (workerData as { data: Input }).data;

async function main() {
  // initdb writes shared_buffers = 128MB into postgresql.conf, and PGlite touches all of it at start:
  // that page cache was a third of an idle server's RSS. A command-line setting wins over the file,
  // so data directories made before keep working; PGlite's own parameters stay first.
  const db = await PGlite.create(pgDir, { startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${cacheMb}MB`] });
  // pglite-socket can interleave extended-protocol messages of concurrent connections
  // (electric-sql/pglite#1046), so the main thread's pool has one connection. The server still admits
  // a few: a connection replacing a broken one can arrive before the server has seen the old one
  // close, and a refused connection stays counted by the socket server (net.Server maxConnections)
  // until its peer closes it — with a limit of 1, after one refusal no connection was admitted again
  // (issue #13). Whatever the old connection left in PGlite's one session is reset by the new one.
  const server = new PGLiteSocketServer({ db, path: socketPath, maxConnections: 4 });
  await server.start();
  parentPort!.postMessage({ type: 'ready' });
  parentPort!.on('message', async (message: { type: string }) => {
    if (message.type !== 'close') return;
    try {
      await server.stop();
      // Closing checkpoints the WAL, so the next open does not replay it.
      await db.close();
      parentPort!.postMessage({ type: 'closed' });
    } catch (error) {
      parentPort!.postMessage({ type: 'closed', error: String(error) });
    }
  });
}

main().catch((error) => {
  parentPort!.postMessage({ type: 'failed', error: error instanceof Error ? error.stack ?? error.message : String(error) });
});
