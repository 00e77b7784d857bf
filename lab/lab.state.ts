// Issue #14 part 3: the Lab's simulators keep their state and ports in the data directory, so a
// restarted Switchboard finds them as it left them (a CUCM it registered is still registered, a
// BroadWorks user it provisioned still has IM&P on). One JSON file per simulator family under
// `<data dir>/lab/`, written atomically (temp file + rename) when it changed — checked every
// second — and when the server stops; `switchboard lab reset` deletes them.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { acquireDataDirLock } from '../platform/db/embedded.ts';
import { AppError } from '../platform/errors.ts';
import type { Logger } from '../platform/logger.ts';
import type { PlatformServices } from '../platform/services.ts';

/** Bumped when a saved shape changes incompatibly: an older file is then ignored (clean start). */
export const LAB_STATE_VERSION = 1;

type Tracked = { snapshot: () => unknown; changeKey?: () => string; key?: string; written: string | null };

export type LabState = {
  dir: string;
  /** What this simulator family saved last time (undefined: start clean). */
  load<T>(name: string): T | undefined;
  /**
   * From now on the family's snapshot is saved when it changes and when the Lab stops. With
   * `changeKey` (cheap, different after any change) the snapshot is taken only when the key moved:
   * a CMS with 100,000 spaces is not serialised every second.
   */
  track(name: string, snapshot: () => unknown, changeKey?: () => string): void;
  /** Writes every tracked family whose snapshot changed since it was last written. */
  flush(): void;
  /** Flushes, stops watching and releases the Lab's lock. */
  close(): void;
};

const CHECK_MS = 1000;

export const labStateDir = (dataDir: string) => path.join(path.resolve(dataDir), 'lab');

/** The files the Lab keeps its state in (what `lab reset` removes). */
export function labStateFiles(dataDir: string): string[] {
  const dir = labStateDir(dataDir);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json') || f.endsWith('.json.tmp'))
    .sort()
    .map((f) => path.join(dir, f));
}

function lockLabDir(dataDir: string): () => void {
  try {
    return acquireDataDirLock(labStateDir(dataDir));
  } catch (error) {
    if (error instanceof AppError && error.code === 'DATA_DIR_LOCKED') {
      const pid = (error.details as { pid?: number }).pid;
      throw new AppError('DATA_DIR_LOCKED', `The Lab state in ${labStateDir(dataDir)} belongs to a running Switchboard${pid ? ` (pid ${pid})` : ''}: stop it first.`, error.details as Record<string, unknown>);
    }
    throw error;
  }
}

function writeAtomically(file: string, text: string) {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, text, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/**
 * Opens the Lab's state in the data directory (both with the embedded database and PostgreSQL) and
 * takes the Lab's lock (`<data dir>/lab/switchboard.lock`), so `lab reset` cannot pull the state
 * from under a running server.
 */
export function openLabState(dataDir: string, logger: Logger): LabState {
  const dir = labStateDir(dataDir);
  const release = lockLabDir(dataDir);
  const tracked = new Map<string, Tracked>();
  const file = (name: string) => path.join(dir, `${name}.json`);

  function write(name: string, entry: Tracked) {
    const key = entry.changeKey?.();
    if (key !== undefined && key === entry.key) return;
    let text: string;
    try {
      text = JSON.stringify({ version: LAB_STATE_VERSION, state: entry.snapshot() });
    } catch (error) {
      logger.error({ err: error, simulator: name }, 'lab state snapshot failed');
      return;
    }
    if (text === entry.written) {
      entry.key = key;
      return;
    }
    try {
      writeAtomically(file(name), text);
      entry.written = text;
      entry.key = key;
    } catch (error) {
      logger.error({ err: error, file: file(name) }, 'lab state could not be saved');
    }
  }

  const flush = () => {
    for (const [name, entry] of tracked) write(name, entry);
  };
  const timer = setInterval(flush, CHECK_MS);
  timer.unref();
  let closed = false;

  return {
    dir,
    load<T>(name: string): T | undefined {
      let text: string;
      try {
        text = fs.readFileSync(file(name), 'utf8');
      } catch {
        return undefined;
      }
      try {
        const parsed = JSON.parse(text) as { version?: number; state?: T };
        if (parsed.version !== LAB_STATE_VERSION) {
          logger.warn({ file: file(name), version: parsed.version }, 'lab state of another version ignored: this simulator starts clean');
          return undefined;
        }
        return parsed.state;
      } catch (error) {
        logger.warn({ err: error, file: file(name) }, 'lab state unreadable: this simulator starts clean');
        return undefined;
      }
    },
    track(name, snapshot, changeKey) {
      const entry: Tracked = { snapshot, changeKey, written: null };
      tracked.set(name, entry);
      write(name, entry);
    },
    flush,
    close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      flush();
      tracked.clear();
      release();
    },
  };
}

/**
 * `switchboard lab reset`: deletes the saved Lab state so the next start seeds the defaults again.
 * Refused while a server owns it (the Lab's lock, in both database modes).
 */
export function resetLabState(dataDir: string): { dir: string; removed: string[] } {
  const release = lockLabDir(dataDir);
  try {
    const removed = labStateFiles(dataDir);
    for (const f of removed) fs.rmSync(f, { force: true });
    return { dir: labStateDir(dataDir), removed };
  } finally {
    release();
  }
}

// Each server's Lab state, for the areas that start simulators (Lab, Partner, Licensing).
const states = new WeakMap<PlatformServices, LabState>();
export const getLabState = (services: PlatformServices) => states.get(services);
export const setLabState = (services: PlatformServices, state: LabState | undefined) => (state ? states.set(services, state) : states.delete(services));

/** The remembered port when nothing listens on it now, else 0 (any free port). */
export async function portOr0(port: number | undefined, host = '127.0.0.1'): Promise<number> {
  if (!port) return 0;
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(0));
    probe.listen(port, host, () => probe.close(() => resolve(port)));
  });
}

/**
 * Starts a simulator on its remembered ports; when one is taken meanwhile (between the probe and the
 * listen), it is made again on fresh ports. `make(fresh)` builds it (and restores its state).
 */
export async function startRemembered<T extends { stop(): Promise<void> }>(make: (fresh: boolean) => Promise<T>, start: (sim: T) => Promise<unknown>, logger: Logger, what: string): Promise<T> {
  const sim = await make(false);
  try {
    await start(sim);
    return sim;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    logger.warn({ simulator: what }, 'a remembered Lab port is taken: the simulator takes new ones');
    await sim.stop().catch(() => undefined);
    const again = await make(true);
    await start(again);
    return again;
  }
}
