import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorkerThread } from '../worker-thread.ts';
import { AppError } from '../errors.ts';

export type EmbeddedServer = {
  /** Directory holding the socket, as `pg` expects it in `host`. */
  socketDir: string;
  port: number;
  close(): Promise<void>;
};

const LOCK_FILE = 'switchboard.lock';
/** A takeover mutex older than this was left by a process that died while taking over. */
const TAKEOVER_STALE_MS = 10_000;

type LockOwner = { pid: number; host: string; since: string; startedAt?: string | null };

// Data directories this process holds: a second open in the same process must be refused too, and
// a lock naming our own pid that is not in here was left by an earlier process with that pid.
const heldDataDirs = new Set<string>();

/**
 * PGlite takes no lock on its data directory and a second process opening it corrupts it
 * (electric-sql/pglite#1106), so the data directory is owned through a lock file naming the owner
 * (pid, and where the system tells, the process's start time). A lock whose owner is gone (kill -9)
 * is taken over, also when its pid now belongs to another process, as after a container restart.
 */
export function acquireDataDirLock(dataDir: string): () => void {
  const dir = path.resolve(dataDir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const lockPath = path.join(dir, LOCK_FILE);
  if (heldDataDirs.has(dir)) {
    throw new AppError('DATA_DIR_LOCKED', `The data directory ${dir} is already open in this process (pid ${process.pid}).`, { dataDir: dir, pid: process.pid });
  }
  const mine: LockOwner = { pid: process.pid, host: os.hostname(), since: new Date().toISOString(), startedAt: processStartedAt(process.pid) };
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      const fd = fs.openSync(lockPath, 'wx', 0o600);
      fs.writeSync(fd, JSON.stringify(mine));
      fs.closeSync(fd);
      heldDataDirs.add(dir);
      return () => {
        heldDataDirs.delete(dir);
        if (readLockOwner(lockPath).owner?.pid === process.pid) fs.rmSync(lockPath, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const { owner, raw } = readLockOwner(lockPath);
    if (raw === null) continue; // released meanwhile: try again
    if (owner && owner.host !== os.hostname()) {
      throw new AppError(
        'DATA_DIR_LOCKED',
        `The data directory ${dir} is locked by host ${owner.host} (pid ${owner.pid}). Remove ${lockPath} only if that host no longer uses it.`,
        { dataDir: dir, host: owner.host, pid: owner.pid },
      );
    }
    if (owner && ownerIsRunning(owner)) {
      throw new AppError(
        'DATA_DIR_LOCKED',
        `The data directory ${dir} is in use by another Switchboard process (pid ${owner.pid}, since ${owner.since}). ` +
          'Stop that process, or start this one with another --data-dir.',
        { dataDir: dir, pid: owner.pid },
      );
    }
    // A half-written lock (its writer died between create and write) is as stale as a dead owner's,
    // unless it is brand new: then its writer may still be writing.
    if (!owner && Date.now() - mtimeOf(lockPath) < 2_000) {
      sleepSync(20);
      continue;
    }
    removeStaleLock(lockPath, raw);
  }
  throw new AppError('DATA_DIR_LOCKED', `Could not lock the data directory ${dir}.`, { dataDir: dir });
}

/**
 * Removes the lock judged stale, unless another starter replaced it meanwhile: without the
 * takeover mutex, two starters could both judge the old lock stale and one would delete the
 * other's fresh lock, leaving both running on the same directory.
 */
function removeStaleLock(lockPath: string, staleContent: string) {
  const mutex = `${lockPath}.takeover`;
  try {
    fs.mkdirSync(mutex);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    if (Date.now() - mtimeOf(mutex) > TAKEOVER_STALE_MS) fs.rmSync(mutex, { recursive: true, force: true });
    else sleepSync(20);
    return;
  }
  try {
    if (readLockOwner(lockPath).raw === staleContent) fs.rmSync(lockPath, { force: true });
  } finally {
    fs.rmSync(mutex, { recursive: true, force: true });
  }
}

function readLockOwner(lockPath: string): { owner: LockOwner | null; raw: string | null } {
  let raw: string;
  try {
    raw = fs.readFileSync(lockPath, 'utf8');
  } catch {
    return { owner: null, raw: null };
  }
  try {
    const owner = JSON.parse(raw);
    return { owner: Number.isInteger(owner?.pid) ? owner : null, raw };
  } catch {
    return { owner: null, raw };
  }
}

function ownerIsRunning(owner: LockOwner): boolean {
  // Our pid, but not a directory we hold: an earlier process that had our pid left it.
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // The pid is taken; it is still the owner only if it is the same process (same start time).
  // Where the start time cannot be told (not Linux, or an older lock), assume it is.
  if (!owner.startedAt) return true;
  const now = processStartedAt(owner.pid);
  return now === null || now === owner.startedAt;
}

/** `<boot id>:<start time in clock ticks>` from /proc on Linux; null elsewhere. */
function processStartedAt(pid: number): string | null {
  try {
    const bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the command name, which is in parentheses and may itself contain spaces
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTicks = fields[19];
    return startTicks ? `${bootId}:${startTicks}` : null;
  } catch {
    return null;
  }
}

function mtimeOf(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function sleepSync(ms: number) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Starts PGlite (data in `<dataDir>/pg`) behind a Unix socket in a worker thread. `cacheMb` is its
 * shared_buffers (SWITCHBOARD_EMBEDDED_CACHE_MB): PostgreSQL's own page cache, which PGlite
 * allocates and touches whole at start, so all of it is resident from the first second.
 */
export async function startEmbeddedPostgres(dataDir: string, { cacheMb = 16 }: { cacheMb?: number } = {}): Promise<EmbeddedServer> {
  const pgDir = path.join(dataDir, 'pg');
  fs.mkdirSync(pgDir, { recursive: true, mode: 0o700 });
  // PGlite runs initdb where PG_VERSION is missing (the same test as PGlite's own).
  if (!fs.existsSync(path.join(pgDir, 'PG_VERSION'))) await initdbInOwnProcess(pgDir, cacheMb);
  // Unix socket paths are limited to ~107 bytes, so the socket lives in a short private tmp dir.
  const socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-'));
  const port = 5432;
  const socketPath = path.join(socketDir, `.s.PGSQL.${port}`);
  const worker = startWorkerThread(new URL('./embedded-worker.ts', import.meta.url), { data: { pgDir, socketPath, cacheMb } });
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


/** Runs embedded-initdb.ts in a child process (see there why) and waits for it to exit. */
async function initdbInOwnProcess(pgDir: string, cacheMb: number): Promise<void> {
  const script = fileURLToPath(new URL('./embedded-initdb.ts', import.meta.url));
  const child = spawn(process.execPath, [script, pgDir, String(cacheMb)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (exitCode, signal) => resolve(signal ? null : exitCode));
  });
  if (code !== 0) {
    throw new AppError('SERVICE_UNAVAILABLE', `The embedded database in ${pgDir} could not be created (initdb exited ${code ?? 'on a signal'}): ${stderr.trim()}`);
  }
}
