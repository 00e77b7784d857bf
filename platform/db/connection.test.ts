import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { clientOf, openDatabase, type Database } from './database.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database.ts';
import { waitFor } from '../../test/support/wait-for.ts';

// Issue #13: a failed statement, a failed or cancelled transaction or a broken socket never leaves a
// connection unusable. On the embedded database every connection shares PGlite's one session, so
// what a connection leaves there (named prepared statements, an open or failed transaction) must not
// break the next one; on PostgreSQL the same sequences must hold too.
const postgres = Boolean(process.env.DATABASE_URL);

describe(`database connections after failures (#13, ${postgres ? 'PostgreSQL' : 'embedded'})`, { timeout: 120_000 }, () => {
  let testDb: TestDatabase;
  let database: Database;
  before(async () => {
    testDb = await createTestDatabase();
    database = await openDatabase(testDb.config);
    await database.pool.query('create table if not exists connection_test (n int primary key)');
  });
  after(async () => {
    await database?.close();
    await testDb?.drop();
  });

  /** A transaction sending named prepared statements, as the bookings and accepts do (clientOf). */
  const namedTransaction = (n: number) =>
    database.transaction(async (tx) => {
      await clientOf(tx).query({ name: 'connection-test.lock', text: 'select pg_advisory_xact_lock(hashtext($1::text))', values: ['connection-test'] });
      await clientOf(tx).query({ name: 'connection-test.insert', text: 'insert into connection_test (n) values ($1::int)', values: [n] });
      return (await clientOf(tx).query({ name: 'connection-test.count', text: 'select count(*)::int as count from connection_test where n = $1::int', values: [n] })).rows[0].count as number;
    });
  const rowsWith = async (n: number) => (await database.pool.query('select count(*)::int as count from connection_test where n = $1', [n])).rows[0].count as number;
  /** The socket of the pool's connection, destroyed under the client (as when the peer goes away). */
  const breakSocket = (client: pg.PoolClient) => (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();

  test('a statement that fails on the pool: the next transactions with named statements succeed', async () => {
    assert.equal(await namedTransaction(1), 1);
    await assert.rejects(database.pool.query('select 1/0'), /division by zero/);
    assert.equal(await namedTransaction(2), 1);
    await assert.rejects(database.db.execute('select * from no_such_table'), /no_such_table/);
    assert.equal(await namedTransaction(3), 1);
    assert.equal(await namedTransaction(4), 1);
  });

  test('a transaction that fails after its named statements: the same transaction again succeeds', async () => {
    assert.equal(await namedTransaction(10), 1);
    await assert.rejects(namedTransaction(10), /duplicate key/);
    await assert.rejects(
      database.transaction(async (tx) => {
        await clientOf(tx).query({ name: 'connection-test.lock', text: 'select pg_advisory_xact_lock(hashtext($1::text))', values: ['connection-test'] });
        await clientOf(tx).query('select 1/0');
      }),
      /division by zero/,
    );
    assert.equal(await namedTransaction(11), 1);
  });

  test('a multi-statement query that fails after BEGIN leaves no failed transaction behind', async () => {
    await assert.rejects(database.pool.query('begin; insert into connection_test values (20); select 1/0; commit;'), /division by zero/);
    assert.equal(await rowsWith(20), 0);
    assert.equal(await namedTransaction(21), 1);
    assert.equal(await rowsWith(21), 1, 'committed, not inside a transaction left open');
  });

  test('the socket breaks inside a transaction: it fails, rolls back, and the next one reconnects', async () => {
    assert.equal(await namedTransaction(30), 1);
    await assert.rejects(
      database.transaction(async (tx, sql) => {
        await sql.executeSql('insert into connection_test values (31)');
        breakSocket(clientOf(tx) as pg.PoolClient);
        await sql.executeSql('select 1');
      }),
    );
    assert.equal(await rowsWith(31), 0, 'the broken transaction was rolled back');
    assert.equal(await namedTransaction(32), 1);
    assert.equal(await rowsWith(32), 1);
  });

  test('the socket breaks inside a failed transaction while the connection is checked out: the next connection starts clean', async () => {
    const client = await database.pool.connect();
    client.on('error', () => undefined); // the break, heard by whoever holds the client
    await client.query('begin');
    await client.query({ name: 'connection-test.count', text: 'select count(*)::int as count from connection_test where n = $1::int', values: [40] });
    await assert.rejects(client.query('select 1/0'));
    const ended = new Promise((resolve) => client.once('end', resolve));
    breakSocket(client);
    await ended;
    client.release(new Error('socket broken'));
    assert.equal(await namedTransaction(41), 1);
    assert.equal(await rowsWith(41), 1);
  });

  test('an idle connection whose socket breaks is replaced', async () => {
    assert.equal(await namedTransaction(50), 1);
    const client = await database.pool.connect();
    client.release();
    const ended = new Promise((resolve) => client.once('end', resolve));
    breakSocket(client);
    await ended;
    assert.equal(await namedTransaction(51), 1);
    assert.equal(await rowsWith(51), 1);
  });

  test('a connection that dies inside an extended-protocol exchange that failed: the next connection is not left waiting for a Sync', async () => {
    const client = await database.pool.connect();
    const failed = new Promise((resolve) => client.on('error', resolve)); // the Parse's error, then the break's
    // Half an exchange, as a connection killed between its messages leaves it: a Parse that fails,
    // no Sync. PostgreSQL then discards every message of that session until a Sync.
    const connection = (client as unknown as { connection: { parse(q: object): void; flush(): void } }).connection;
    connection.parse({ text: 'select from no_such_table_either', name: '', types: [] });
    connection.flush();
    await failed;
    const ended = new Promise((resolve) => client.once('end', resolve));
    breakSocket(client);
    await ended;
    client.release(new Error('socket broken'));
    assert.equal(await namedTransaction(70), 1);
  });

  test('a cancelled statement (pg_cancel_backend) fails its transaction only', { skip: postgres ? false : 'PGlite serves no cancel requests (pglite-socket ignores them)' }, async () => {
    const running = database.transaction(async (tx) => {
      await clientOf(tx).query({ name: 'connection-test.lock', text: 'select pg_advisory_xact_lock(hashtext($1::text))', values: ['connection-test'] });
      await clientOf(tx).query(`select pg_sleep(120) as "connection-test-sleep"`);
    });
    const cancelled = assert.rejects(running, /cancel/);
    await waitFor('the sleeping statement to be cancelled', async () => (await database.pool.query(`select pg_cancel_backend(pid) as done from pg_stat_activity where query like '%"connection-test-sleep"%' and pid <> pg_backend_pid()`)).rows.some((r) => r.done));
    await cancelled;
    assert.equal(await namedTransaction(60), 1);
  });
  test('embedded: a transaction asking to go first takes the connection before those waiting without, and they still go (#18)', { skip: postgres ? 'one connection only embedded' : false }, async () => {
    const order: string[] = [];
    // Held while the others ask, so all of them wait for the one connection.
    let letGo!: () => void;
    const holding = new Promise<void>((resolve) => (letGo = resolve));
    let held!: () => void;
    const isHeld = new Promise<void>((resolve) => (held = resolve));
    const holder = database.transaction(async () => {
      held();
      await holding;
    });
    await isHeld;
    const others = ['q1', 'q2'].map((name) => database.pool.query('select 1').then(() => order.push(name)));
    const firsts = ['f1', 'f2', 'f3', 'f4', 'f5'].map((name) => database.transaction(async (tx) => void (await clientOf(tx).query('select 1')), { first: true }).then(() => order.push(name)));
    letGo();
    await Promise.all([holder, ...others, ...firsts]);
    // Three turns go first, then one waiting without, then three more (or fewer) going first.
    assert.deepEqual(order, ['f1', 'f2', 'f3', 'q1', 'f4', 'f5', 'q2']);
  });
});
