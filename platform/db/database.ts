import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { PgBoss } from 'pg-boss';
import * as schema from './schema.ts';
import { acquireDataDirLock, startEmbeddedPostgres } from './embedded.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';

export type Db = NodePgDatabase<typeof schema>;

/**
 * The pg client under a drizzle instance (the transaction's connection, or the pool): for a
 * repository's fixed SQL text sent as a named prepared statement, where building it with drizzle
 * for every batch costs more CPU than the statement.
 */
export const clientOf = (db: Db) => (db as Db & { $client: pg.ClientBase | pg.Pool }).$client;

/** Runs SQL on one connection: the pool, or the client of an open transaction (for pg-boss). */
export type SqlExecutor = { executeSql(text: string, values?: unknown[]): Promise<{ rows: any[] }> };

export type Database = {
  mode: 'embedded' | 'postgres';
  db: Db;
  pool: pg.Pool;
  sql: SqlExecutor;
  /**
   * Runs `fn` in one transaction. Use only the `tx` it is given inside: in embedded mode the pool
   * has one connection, and a query on the root `db` inside the callback would wait forever.
   * `first`: in embedded mode, the transaction takes the one connection before the queries and
   * transactions waiting without it, three turns in a row at most (see EmbeddedPool); for a group
   * commit that callers are waiting on. No effect on PostgreSQL.
   */
  transaction<T>(fn: (tx: Db, sql: SqlExecutor) => Promise<T>, options?: { first?: boolean }): Promise<T>;
  close(): Promise<void>;
};

const migrationsFolder = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/** The schema pg-boss (the job queue) keeps its tables in. */
export const JOB_QUEUE_SCHEMA = 'pgboss';

// Arbitrary constant shared by every Switchboard instance: serialises migrations across instances
// (drizzle's migrator takes no lock of its own, drizzle-team/drizzle-orm#874).
const MIGRATION_LOCK_KEY = 7_340_112_001;

export async function openDatabase(config: Config, logger?: Logger): Promise<Database> {
  let pool: pg.Pool;
  let closeEmbedded: (() => Promise<void>) | undefined;
  let releaseLock: (() => void) | undefined;
  if (config.embedded) {
    releaseLock = acquireDataDirLock(config.dataDir);
    try {
      const embedded = await startEmbeddedPostgres(config.dataDir, { cacheMb: config.embeddedCacheMb });
      closeEmbedded = embedded.close;
      // pg's pool closes a client idle for 10 s; the one connection lives as long as the process
      // instead (connecting anew costs a reset of the session, see EmbeddedPool).
      pool = new EmbeddedPool({ host: embedded.socketDir, port: embedded.port, user: 'postgres', database: 'postgres', max: 1, idleTimeoutMillis: 0 });
    } catch (error) {
      releaseLock();
      throw error;
    }
  } else {
    pool = new pg.Pool({ connectionString: config.databaseUrl, max: config.dbPoolSize });
  }
  pool.on('error', (error) => logger?.error({ err: error }, 'database connection error'));

  const db = drizzle(pool, { schema });
  // A drizzle instance builds the relational config of the whole schema (every table and relation):
  // per transaction that was ~3 % of the main thread under load. Pool clients live on, so each gets one.
  const clientDbs = new WeakMap<pg.PoolClient, Db>();
  const sql: SqlExecutor = { executeSql: (text, values) => pool.query(text, values as unknown[]) };

  return {
    mode: config.embedded ? 'embedded' : 'postgres',
    db,
    pool,
    sql,
    async transaction(fn, options) {
      const client = options?.first && pool instanceof EmbeddedPool ? await pool.connectFirst() : await pool.connect();
      let broken: Error | undefined;
      // A checked-out client whose socket breaks between statements emits 'error'; unheard, that
      // would end the process. Heard, the client is given back as broken and the pool replaces it.
      const onError = (error: Error) => (broken ??= error);
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        let tx = clientDbs.get(client);
        if (!tx) clientDbs.set(client, (tx = drizzle(client, { schema })));
        const result = await fn(tx, { executeSql: (text, values) => client.query(text, values as unknown[]) });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        // A connection that cannot even roll back is in a state nobody knows: the pool replaces it.
        broken ??= await client.query('ROLLBACK').then(() => undefined, (rollbackError: Error) => rollbackError);
        throw error;
      } finally {
        client.off('error', onError);
        client.release(broken);
      }
    },
    async close() {
      await pool.end();
      await closeEmbedded?.();
      releaseLock?.();
    },
  };
}

async function resetEmbeddedSession(client: pg.ClientBase) {
  // A connection that died inside an extended-protocol exchange can leave the session discarding
  // messages until the next Sync; this first statement goes as Parse/Bind/Execute/Sync and ends that.
  await client.query({ text: 'ROLLBACK', queryMode: 'extended' } as pg.QueryConfig);
  await client.query('ROLLBACK');
  await client.query('DISCARD ALL');
}

/**
 * Embedded: turns that go first (`connectFirst`) before one waiting without goes (EmbeddedPool).
 * 3 gave 244 and 214 accepts/s against 198 and 185 with 1, alternated (partner bench, 3,000 adds,
 * load 25–29).
 */
const FIRST_TURNS_IN_A_ROW = 3;

/** How often a new embedded connection is tried before the query waiting for it fails. */
const EMBEDDED_CONNECT_ATTEMPTS = 5;

/**
 * The embedded database's pool (one connection). PGlite has one session, and every connection to
 * its socket is served by it: whatever a connection leaves there — named prepared statements, an
 * open or failed transaction, cursors, session settings and advisory locks — is still there for the
 * next connection, whose new pg client knows none of it (it would prepare `meetings.lock-schedules`
 * again and fail with "already exists" for ever, issue #13). So:
 * - a statement that fails is an answer, not a broken connection: the client is kept, with the
 *   statements it prepared (pg's pool would discard it and connect anew), after a ROLLBACK (a
 *   multi-statement query that failed after its BEGIN leaves the session in a failed transaction);
 * - a new connection (the first, or one replacing a broken one) first resets the session to what a
 *   new PostgreSQL connection has: ROLLBACK, then DISCARD ALL;
 * - connecting is tried again for a moment when refused (the socket server admits a few connections,
 *   so that one replacing a broken connection is not refused while the old one is torn down:
 *   embedded-worker.ts);
 * - the connection is handed out in turns kept here rather than in pg-pool's queue: a transaction
 *   asking to go first (`connectFirst`, a group commit whose callers wait) goes before those waiting
 *   without, but after FIRST_TURNS_IN_A_ROW such turns one waiting without goes, so none waits for
 *   ever. With pg-pool's one queue an accept batch waited behind every job-queue poll asked for while
 *   the batch before it ran (36 workers polling every 0.5 s in the partner bench): 9 s of a 15 s run
 *   of 3,000 adds (measured, #18).
 */
class EmbeddedPool extends pg.Pool {
  #inUse = false;
  /** Turns in a row that went first while others waited. */
  #firstInARow = 0;
  readonly #waitingFirst: Array<() => void> = [];
  readonly #waiting: Array<() => void> = [];

  constructor(config: pg.PoolConfig) {
    super({ ...config, onConnect: resetEmbeddedSession });
  }

  #turn(first: boolean): Promise<void> {
    if (!this.#inUse) {
      this.#inUse = true;
      this.#firstInARow = 0;
      return Promise.resolve();
    }
    return new Promise((resolve) => (first ? this.#waitingFirst : this.#waiting).push(resolve));
  }

  #nextTurn() {
    const first = this.#waitingFirst.length > 0 && !(this.#firstInARow >= FIRST_TURNS_IN_A_ROW && this.#waiting.length > 0);
    const next = first ? this.#waitingFirst.shift() : this.#waiting.shift();
    this.#firstInARow = first && this.#waiting.length > 0 ? this.#firstInARow + 1 : 0;
    if (next) next();
    else this.#inUse = false;
  }

  /** `connect`, going before those waiting without asking to (FIRST_TURNS_IN_A_ROW turns in a row at most). */
  connectFirst(): Promise<pg.PoolClient> {
    return this.#connectInTurn(true);
  }

  async #connectInTurn(first: boolean): Promise<pg.PoolClient> {
    await this.#turn(first);
    let client: pg.PoolClient;
    try {
      client = await this.#connectRetrying();
    } catch (error) {
      this.#nextTurn();
      throw error;
    }
    // pg-pool gives the client a new release function at every checkout: the turn ends with it.
    const release = client.release;
    let released = false;
    client.release = (err?: Error | boolean) => {
      try {
        release.call(client, err);
      } finally {
        if (!released) {
          released = true;
          this.#nextTurn();
        }
      }
    };
    return client;
  }

  async #connectRetrying(): Promise<pg.PoolClient> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await super.connect();
      } catch (error) {
        if (attempt >= EMBEDDED_CONNECT_ATTEMPTS || error instanceof pg.DatabaseError || this.ending) throw error;
        await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt));
      }
    }
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: any) => void) => void): void;
  override connect(callback?: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: any) => void) => void): Promise<pg.PoolClient> | void {
    const connecting = this.#connectInTurn(false);
    if (!callback) return connecting;
    connecting.then((client) => callback(undefined, client, client.release), (error: Error) => callback(error, undefined, () => undefined));
  }

  override query(...args: any[]): any {
    const callback = typeof args[args.length - 1] === 'function' ? args.pop() : undefined;
    const running = (async () => {
      const client = await this.connect();
      let discard: Error | undefined;
      const onError = (error: Error) => (discard ??= error);
      client.on('error', onError);
      try {
        return await client.query(args[0], args[1]);
      } catch (error) {
        // A multi-statement query that failed after its BEGIN leaves the session in a failed
        // transaction (and PGlite's ReadyForQuery can still say idle): it is rolled back here.
        const answered = error instanceof pg.DatabaseError && error.severity === 'ERROR';
        if (!answered) discard ??= error as Error;
        else if (!discard) discard = await client.query('ROLLBACK').then(() => undefined, (rollbackError: Error) => rollbackError);
        throw error;
      } finally {
        client.off('error', onError);
        client.release(discard);
      }
    })();
    if (!callback) return running;
    running.then((result) => callback(undefined, result), (error: unknown) => callback(error));
  }
}

/**
 * A set of migrations with its own journal table. The platform's come first; each area keeps its
 * own folder (`<area>/db/migrations`), so areas evolve their tables independently.
 */
export type MigrationSet = { name: string; folder: string };

export const platformMigrations: MigrationSet = { name: 'platform', folder: migrationsFolder };

/**
 * Applies pending migrations of every set, in order, then installs or upgrades the job queue's
 * schema; safe to call from several instances at once.
 */
export async function migrateDatabase(database: Database, areaSets: MigrationSet[] = []): Promise<void> {
  const client = await database.pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      for (const set of [platformMigrations, ...areaSets]) {
        const migrationsTable = set.name === 'platform' ? '__drizzle_migrations' : `__drizzle_migrations_${set.name}`;
        await migrate(drizzle(client, { schema }), { migrationsFolder: set.folder, migrationsTable });
      }
      await migrateJobQueue({ executeSql: (text, values) => client.query(text, values as unknown[]) });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}

/**
 * pg-boss installs its schema when it starts, but two instances starting together on a fresh
 * database race in CREATE SCHEMA and one dies (duplicate pg_namespace key). Installing it here,
 * under the migration lock and on the lock's own connection (the embedded pool has only one), makes
 * that a migration like any other; the jobs service's own start then finds it current.
 */
async function migrateJobQueue(db: SqlExecutor): Promise<void> {
  const boss = new PgBoss({ db, schema: JOB_QUEUE_SCHEMA, supervise: false, schedule: false, registerInstance: false });
  boss.on('error', () => undefined); // start() rejects with the same error
  await boss.start();
  await boss.stop({ graceful: false, close: false });
}
