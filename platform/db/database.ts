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
   */
  transaction<T>(fn: (tx: Db, sql: SqlExecutor) => Promise<T>): Promise<T>;
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
      const embedded = await startEmbeddedPostgres(config.dataDir);
      closeEmbedded = embedded.close;
      // The socket server takes one connection at a time and refuses another until it has seen the
      // previous one close. pg's pool closes a client idle for 10 s and connects anew on the next
      // query: under load that new connection could arrive first and be refused (ECONNRESET/EPIPE on
      // whatever query came next, a 500). The one connection lives as long as the process.
      pool = new pg.Pool({ host: embedded.socketDir, port: embedded.port, user: 'postgres', database: 'postgres', max: 1, idleTimeoutMillis: 0 });
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
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        let tx = clientDbs.get(client);
        if (!tx) clientDbs.set(client, (tx = drizzle(client, { schema })));
        const result = await fn(tx, { executeSql: (text, values) => client.query(text, values as unknown[]) });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async close() {
      await pool.end();
      await closeEmbedded?.();
      releaseLock?.();
    },
  };
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
