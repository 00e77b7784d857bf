import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { AppError } from '../errors.ts';

export type EmbeddedServer = {
  /** Directory holding the socket, as `pg` expects it in `host`. */
  socketDir: string;
  port: number;
  close(): Promise<void>;
};

const LOCK_FILE = 'switchboard.lock';

/**
 * PGlite takes no lock on its data directory and a second process opening it corrupts it
 * (electric-sql/pglite#1106), so the data directory is owned through a lock file holding the
 * owner's pid. A lock whose process is gone (kill -9) is taken over.
 */
export function acquireDataDirLock(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const lockPath = path.join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(lockPath, 'wx', 0o600);
      fs.writeSync(fd, JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString() }));
      fs.closeSync(fd);
      return () => {
        try {
          const owner = JSON.parse(fs.readFileSync(lockPath, 'utf8'));
          if (owner.pid === process.pid) fs.unlinkSync(lockPath);
        } catch {
          // already gone
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = readLockOwner(lockPath);
      if (owner && owner.host === os.hostname() && isAlive(owner.pid)) {
        throw new AppError(
          'DATA_DIR_LOCKED',
          `The data directory ${dataDir} is in use by another Switchboard process (pid ${owner.pid}, since ${owner.since}). ` +
            'Stop that process, or start this one with another --data-dir.',
          { dataDir, pid: owner.pid },
        );
      }
      if (owner && owner.host !== os.hostname()) {
        throw new AppError(
          'DATA_DIR_LOCKED',
          `The data directory ${dataDir} is locked by host ${owner.host} (pid ${owner.pid}). Remove ${lockPath} only if that host no longer uses it.`,
          { dataDir, host: owner.host },
        );
      }
      fs.rmSync(lockPath, { force: true });
    }
  }
  throw new AppError('DATA_DIR_LOCKED', `Could not lock the data directory ${dataDir}.`, { dataDir });
}

function readLockOwner(lockPath: string): { pid: number; host: string; since: string } | null {
  try {
    return JSON.parse(fs.readFileSync(lockPath, 'utf8'));
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Starts PGlite (data in `<dataDir>/pg`) behind a Unix socket in a worker thread. */
export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedServer> {
  const pgDir = path.join(dataDir, 'pg');
  fs.mkdirSync(pgDir, { recursive: true, mode: 0o700 });
  // Unix socket paths are limited to ~107 bytes, so the socket lives in a short private tmp dir.
  const socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-'));
  const port = 5432;
  const socketPath = path.join(socketDir, `.s.PGSQL.${port}`);
  const worker = new Worker(new URL('./embedded-worker.ts', import.meta.url), {
    workerData: { pgDir, socketPath },
  });
  await new Promise<void>((resolve, reject) => {
    const onMessage = (message: { type: string; error?: string }) => {
      if (message.type === 'ready') {
        worker.off('message', onMessage);
        resolve();
      } else if (message.type === 'failed') {
        reject(new AppError('SERVICE_UNAVAILABLE', `The embedded database in ${pgDir} could not start: ${message.error}`));
      }
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
  });
  let closed = false;
  return {
    socketDir,
    port,
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 10_000);
        worker.on('message', (message: { type: string }) => {
          if (message.type === 'closed') {
            clearTimeout(timer);
            resolve();
          }
        });
        worker.postMessage({ type: 'close' });
      });
      await worker.terminate();
      fs.rmSync(socketDir, { recursive: true, force: true });
    },
  };
}

