import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../config.ts';
import { AppError } from '../errors.ts';
import { migrateDatabase, openDatabase, type Database } from './database.ts';
import { acquireDataDirLock, startEmbeddedPostgres } from './embedded.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import type { LockDataDirMessage } from '../../test/fixtures/lock-data-dir.ts';
import type { OpenDatabaseMessage } from '../../test/fixtures/open-database.ts';

// X1: the embedded database keeps its data across restarts and kill -9, one process owns a data
// directory, and migrations are idempotent and safe to run from several instances at once.

const repoRoot = path.resolve(import.meta.dirname, '../..');
const openDatabaseScript = path.join(repoRoot, 'test/fixtures/open-database.ts');
const lockDataDirScript = path.join(repoRoot, 'test/fixtures/lock-data-dir.ts');
const postgres = Boolean(process.env.DATABASE_URL);
const lockPath = (dataDir: string) => path.join(dataDir, 'switchboard.lock');

/** Runs test/fixtures/open-database.ts on `dataDir`, collecting its messages. */
/** Pids of this process's children (Linux: /proc/<pid>/task/<pid>/children). */
function childPids(): number[] {
  return fs.readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
}

function openInChild(dataDir: string, mode: 'try' | 'write') {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  delete env.NODE_TEST_CONTEXT;
  const child = fork(openDatabaseScript, [dataDir, mode], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const messages: OpenDatabaseMessage[] = [];
  child.on('message', (message: OpenDatabaseMessage) => messages.push(message));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, messages, exited, output: () => output };
}

const kill9 = async (child: ChildProcess, exited: Promise<{ signal: NodeJS.Signals | null }>) => {
  child.kill('SIGKILL');
  assert.equal((await exited).signal, 'SIGKILL');
};

const count = async (database: Database, table: string) => Number((await database.pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n);

/** What migrations produce: tables, applied migrations, pg-boss's schema version. */
async function schemaSnapshot(database: Database) {
  const { rows } = await database.pool.query(`SELECT table_schema || '.' || table_name AS name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`);
  const applied = (await database.pool.query('SELECT hash FROM drizzle.__drizzle_migrations ORDER BY id')).rows.map((r) => r.hash);
  const boss = (await database.pool.query('SELECT version FROM pgboss.version')).rows;
  return { tables: rows.map((r) => r.name as string), applied, boss };
}
const migrationFiles = () => fs.readdirSync(path.join(repoRoot, 'platform/db/migrations')).filter((file) => file.endsWith('.sql'));

describe('embedded database (X1)', { skip: postgres ? 'embedded mode only (DATABASE_URL is set)' : false }, () => {
  const dirs: TestDatabase[] = [];
  const open: Database[] = [];
  after(async () => {
    for (const database of open) await database.close().catch(() => undefined);
    for (const dir of dirs) await dir.drop();
  });
  const freshDataDir = async () => {
    const database = await createTestDatabase();
    dirs.push(database);
    return database.config;
  };
  const openTracked = async (config: ReturnType<typeof loadConfig>) => {
    const database = await openDatabase(config);
    open.push(database);
    return database;
  };
  const closeTracked = async (database: Database) => {
    await database.close();
    open.splice(open.indexOf(database), 1);
  };

  // The first three tests share one data directory and its owner, in order (PGlite opens are slow).
  let config: ReturnType<typeof loadConfig>;
  let owner: Database;
  let checksum: string;
  const checksumOf = async (database: Database) => (await database.pool.query(`SELECT md5(string_agg(payload, ',' ORDER BY n)) AS checksum FROM restart_rows`)).rows[0].checksum as string;

  test('a second process on the same data directory is refused with DATA_DIR_LOCKED naming it; the owner is unharmed', { timeout: 90_000 }, async () => {
    config = await freshDataDir();
    owner = await openTracked(config);
    await owner.pool.query('CREATE TABLE restart_rows (n integer PRIMARY KEY, payload text NOT NULL)');
    await owner.pool.query(`INSERT INTO restart_rows SELECT n, md5(n::text) FROM generate_series(1, 20000) AS n`);
    checksum = await checksumOf(owner);

    const second = openInChild(config.dataDir, 'try');
    const { code } = await second.exited;
    assert.equal(code, 3, second.output());
    const [refusal] = second.messages;
    assert.ok(refusal.type === 'refused', JSON.stringify(refusal));
    assert.equal(refusal.code, 'DATA_DIR_LOCKED');
    assert.ok(refusal.message.includes(config.dataDir), refusal.message);
    assert.ok(refusal.message.includes(String(process.pid)), 'it names the owning process');

    // the owner still works and its data is intact
    await owner.pool.query(`INSERT INTO restart_rows VALUES (20001, 'written after the refusal')`);
    checksum = await checksumOf(owner);
    assert.equal(await count(owner, 'restart_rows'), 20001);
    assert.equal(JSON.parse(fs.readFileSync(lockPath(config.dataDir), 'utf8')).pid, process.pid);
  });

  test('a second open in the same process is refused too', async () => {
    await assert.rejects(openDatabase(config), (error: unknown) => {
      assert.ok(error instanceof AppError);
      assert.equal(error.code, 'DATA_DIR_LOCKED');
      assert.ok(error.message.includes(config.dataDir));
      return true;
    });
    assert.equal(await count(owner, 'restart_rows'), 20001, 'the owner is unharmed');
  });

  test('a restart keeps all data, and migrating again on start changes nothing', { timeout: 90_000 }, async () => {
    const users = await count(owner, 'users');
    const schemaBefore = await schemaSnapshot(owner);
    assert.equal(schemaBefore.applied.length, migrationFiles().length);
    await closeTracked(owner);
    assert.equal(fs.existsSync(lockPath(config.dataDir)), false, 'a clean close releases the data directory');

    const reopened = await openTracked(config);
    assert.equal(await count(reopened, 'restart_rows'), 20001);
    assert.equal(await checksumOf(reopened), checksum);
    assert.equal(await count(reopened, 'users'), users);
    await migrateDatabase(reopened);
    await migrateDatabase(reopened);
    assert.deepEqual(await schemaSnapshot(reopened), schemaBefore);
    await closeTracked(reopened);
  });

  test('a new data directory: initdb runs in a process of its own, and the database thread opens what it made (#18)', { timeout: 120_000 }, async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-initdb-'));
    dirs.push({ config: loadConfig({ dataDir, logLevel: 'silent' }, {}), drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }) });
    const before = new Set(childPids());
    const started = startEmbeddedPostgres(dataDir);
    // The initdb process shows up as a child of this one, and is gone before the database answers.
    const initdb = await waitFor('the initdb process', () => childPids().find((pid) => !before.has(pid)), { timeoutMs: 60_000 });
    const server = await started;
    try {
      assert.equal(childPids().includes(initdb), false, 'the initdb process has exited');
      assert.ok(fs.existsSync(path.join(dataDir, 'pg', 'PG_VERSION')));
      const client = new pg.Client({ host: server.socketDir, port: server.port, user: 'postgres', database: 'postgres' });
      await client.connect();
      try {
        assert.equal((await client.query('SELECT current_setting($1) AS value', ['shared_buffers'])).rows[0].value, '16MB');
      } finally {
        await client.end();
      }
    } finally {
      await server.close();
    }
  });

  test('kill -9 of the owning process: the next open takes the lock over and finds every committed row', { timeout: 90_000 }, async () => {
    const config = await freshDataDir();
    const writer = openInChild(config.dataDir, 'write');
    // Every row the writer heard committed must survive; kill it in the middle of its stream.
    await waitFor('the writer to commit 200 rows', () => writer.messages.some((m) => m.type === 'committed' && m.n >= 200), { timeoutMs: 60_000 });
    await kill9(writer.child, writer.exited);
    const acknowledged = Math.max(...writer.messages.map((m) => (m.type === 'committed' ? m.n : 0)));
    const stale = JSON.parse(fs.readFileSync(lockPath(config.dataDir), 'utf8'));
    assert.equal(stale.pid, writer.child.pid, 'the dead process left its lock behind');

    const reopened = await openTracked(config);
    const { rows } = await reopened.pool.query('SELECT count(*)::int AS n, min(n) AS first, max(n) AS last FROM crash_rows');
    assert.ok(rows[0].n >= acknowledged, `${rows[0].n} rows survived, ${acknowledged} were acknowledged`);
    assert.equal(rows[0].first, 1);
    assert.equal(rows[0].last, rows[0].n, 'no committed row is missing');
    assert.equal(JSON.parse(fs.readFileSync(lockPath(config.dataDir), 'utf8')).pid, process.pid);
    // the database is healthy, not just readable
    await reopened.pool.query('INSERT INTO crash_rows (n, payload) VALUES ($1, $2)', [rows[0].n + 1, 'after the crash']);
    await migrateDatabase(reopened);
    await closeTracked(reopened);
  });

});

describe('data directory lock (X1)', () => {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });
  const scratchDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-lock-'));
    dirs.push(dir);
    return dir;
  };
  const writeLock = (dir: string, owner: object) => fs.writeFileSync(lockPath(dir), JSON.stringify(owner));
  const forkLocker = (dir: string) => {
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const child = fork(lockDataDirScript, [dir], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const messages: LockDataDirMessage[] = [];
    child.on('message', (message: LockDataDirMessage) => messages.push(message));
    return { child, messages };
  };
  const deadPid = async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    return child.pid!;
  };

  test('a lock whose process is gone is taken over; a lock naming this pid but not held here is stale (container restarted with the same pid)', async () => {
    const dir = scratchDir();
    writeLock(dir, { pid: await deadPid(), host: os.hostname(), since: '2020-01-01T00:00:00.000Z' });
    acquireDataDirLock(dir)();
    writeLock(dir, { pid: process.pid, host: os.hostname(), since: '2020-01-01T00:00:00.000Z' });
    const release = acquireDataDirLock(dir);
    assert.equal(JSON.parse(fs.readFileSync(lockPath(dir), 'utf8')).since === '2020-01-01T00:00:00.000Z', false);
    release();
    assert.equal(fs.existsSync(lockPath(dir)), false);
  });

  test('a live owner keeps its lock; the same pid with another start time is another process, and its lock is stale', { timeout: 60_000 }, async () => {
    const dir = scratchDir();
    const owner = forkLocker(dir);
    try {
      await waitFor('the owner to be ready', () => owner.messages.some((m) => m.type === 'ready'), { timeoutMs: 60_000 });
      owner.child.send('go');
      await waitFor('the owner to lock', () => owner.messages.some((m) => m.type === 'locked'), { timeoutMs: 30_000 });
      assert.throws(() => acquireDataDirLock(dir), (error: unknown) => error instanceof AppError && error.code === 'DATA_DIR_LOCKED' && error.message.includes(String(owner.child.pid)));

      const lock = JSON.parse(fs.readFileSync(lockPath(dir), 'utf8'));
      assert.ok(lock.startedAt, 'the lock records when its owner started');
      writeLock(dir, { ...lock, startedAt: 'another-boot:1' });
      acquireDataDirLock(dir)();
    } finally {
      owner.child.kill('SIGKILL');
    }
  });

  test('several processes racing for one stale lock: exactly one wins, the others are refused', { timeout: 90_000 }, async () => {
    const dir = scratchDir();
    const racers = Array.from({ length: 6 }, () => forkLocker(dir));
    try {
      await waitFor('every racer to be ready', () => racers.every((r) => r.messages.some((m) => m.type === 'ready')), { timeoutMs: 60_000 });
      writeLock(dir, { pid: await deadPid(), host: os.hostname(), since: '2020-01-01T00:00:00.000Z' });
      for (const racer of racers) racer.child.send('go');
      await waitFor('every racer to answer', () => racers.every((r) => r.messages.length === 2), { timeoutMs: 30_000 });
      const outcomes = racers.map((r) => r.messages[1]);
      assert.equal(outcomes.filter((m) => m.type === 'locked').length, 1, JSON.stringify(outcomes));
      for (const refused of outcomes.filter((m) => m.type !== 'locked')) assert.equal(refused.type === 'refused' && refused.code, 'DATA_DIR_LOCKED');
      const winner = racers[outcomes.findIndex((m) => m.type === 'locked')];
      assert.equal(JSON.parse(fs.readFileSync(lockPath(dir), 'utf8')).pid, winner.child.pid);
    } finally {
      for (const racer of racers) racer.child.kill('SIGKILL');
    }
  });
});

describe('migrations (X1)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error) => console.error(error));
  });

  test('migrations applied on start are idempotent', { skip: postgres ? false : 'embedded: covered by the restart test above', timeout: 90_000 }, async () => {
    const testDatabase = await createTestDatabase();
    cleanups.push(() => testDatabase.drop());
    const database = await openDatabase(testDatabase.config);
    cleanups.push(() => database.close());
    await migrateDatabase(database);
    const first = await schemaSnapshot(database);
    assert.equal(first.applied.length, migrationFiles().length);
    assert.ok(first.tables.includes('public.job_records') && first.tables.includes('pgboss.job'));
    await migrateDatabase(database);
    await migrateDatabase(database);
    assert.deepEqual(await schemaSnapshot(database), first);
  });

  test('concurrent migrate from several pools on one fresh PostgreSQL database is safe', { skip: postgres ? false : 'needs PostgreSQL (set DATABASE_URL)', timeout: 90_000 }, async () => {
    const testDatabase = await createTestDatabase();
    cleanups.push(() => testDatabase.drop());
    const databases = await Promise.all([1, 2, 3, 4].map(() => openDatabase(testDatabase.config)));
    cleanups.push(async () => {
      for (const database of databases) await database.close();
    });
    await Promise.all(databases.map((database) => migrateDatabase(database)));

    const client = new pg.Client({ connectionString: testDatabase.config.databaseUrl });
    await client.connect();
    cleanups.push(() => client.end());
    const applied = (await client.query('SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations')).rows[0].n;
    // pg_locks spans the server: other test files' databases (meetings' booking locks) are not ours.
    assert.equal(applied, migrationFiles().length, 'each migration recorded once');
    assert.equal((await client.query(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'pgboss'`)).rows[0].n, 1);
    assert.equal((await client.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`)).rows[0].n, 0, 'the migration lock is released');
  });
});
