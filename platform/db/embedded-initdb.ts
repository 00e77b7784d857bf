// A new embedded database's initdb, in a process of its own that exits when it is done (started by
// embedded.ts on a first start). PGlite's initdb runs a second PostgreSQL instance and the initdb
// WebAssembly module beside the first; in the server's database thread the memory they touched
// stayed with the process for its lifetime (a first start idled about 40 MB above a restart, and
// up to hundreds of MB above it on a loaded machine). A process's memory all goes back when it exits.
import { PGlite } from '@electric-sql/pglite';

const [pgDir, cacheMb] = process.argv.slice(2);
if (!pgDir || !cacheMb) throw new Error('usage: embedded-initdb.ts <pg data dir> <shared_buffers MB>');
// The same start parameters as the database thread (embedded-worker.ts), so initdb's own start
// of the new database sizes its cache the same way.
const db = await PGlite.create(pgDir, { startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${cacheMb}MB`] });
// Closing checkpoints, so the database thread's first open replays nothing.
await db.close();
