import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import { effectKey, type EffectJobInput } from '../../test/fixtures/effect-job.ts';
import type { JobServerCommand, JobServerMessage } from '../../test/fixtures/job-server.ts';

// X2 proof: a job's external effects happen exactly once, across competing server processes and
// across a kill -9 in the middle of a step. Effects land on an "effect sink" run here, which counts
// every application of every effect key and never deduplicates: a repeated effect shows up as 2.

const repoRoot = path.resolve(import.meta.dirname, '../..');
const jobServerScript = path.join(repoRoot, 'test/fixtures/job-server.ts');

type Sink = {
  url: string;
  applied: Map<string, number>;
  appliedByPid: Map<string, number>;
  /** Resolves when the sink receives `key`, which it then never answers (the request hangs). */
  holdOnce(key: string): Promise<void>;
  close(): Promise<void>;
};

async function startEffectSink(): Promise<Sink> {
  const applied = new Map<string, number>();
  const appliedByPid = new Map<string, number>();
  const holds = new Map<string, () => void>();
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://sink');
    const key = decodeURIComponent(url.pathname.replace(/^\/effects\//, ''));
    if (request.method === 'POST') {
      applied.set(key, (applied.get(key) ?? 0) + 1);
      const pid = String(request.headers['x-worker-pid']);
      appliedByPid.set(pid, (appliedByPid.get(pid) ?? 0) + 1);
      const hold = holds.get(key);
      if (hold) {
        holds.delete(key);
        hold();
        return; // applied, but the caller never hears so: it dies waiting
      }
      response.setHeader('content-type', 'application/json').end(JSON.stringify({ applied: true }));
    } else {
      response.setHeader('content-type', 'application/json').end(JSON.stringify({ applied: applied.has(key) }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    applied,
    appliedByPid,
    holdOnce: (key) => new Promise<void>((resolve) => holds.set(key, resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type JobServer = {
  pid: number;
  url: string;
  child: ChildProcess;
  output: () => string;
  request<T = any>(command: JobServerCommand): Promise<T>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
};

let requestIds = 0;

/** Starts test/fixtures/job-server.ts (Node 24, this process's execPath) on the test database. */
async function startJobServer(database: TestDatabase): Promise<JobServer> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DATABASE_URL;
  delete env.NODE_TEST_CONTEXT;
  Object.assign(env, {
    SWITCHBOARD_DATA_DIR: database.config.dataDir,
    SWITCHBOARD_SECRET_KEY: database.config.secretKey,
    SWITCHBOARD_JOB_POLL_SECONDS: '0.5',
    SWITCHBOARD_LOG_LEVEL: process.env.SWITCHBOARD_TEST_LOG_LEVEL ?? 'warn',
  });
  if (database.config.databaseUrl) env.DATABASE_URL = database.config.databaseUrl;
  const child = fork(jobServerScript, [], { env, execPath: process.execPath, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      if (code !== 0 && signal !== 'SIGKILL') process.stderr.write(`job server ${child.pid} exited (${code ?? signal}). Its output:\n${output}\n`);
      resolve({ code, signal });
    }),
  );
  const pending = new Map<number, { resolve: (value: any) => void; reject: (error: Error) => void }>();
  child.on('message', (message: JobServerMessage) => {
    if (message.type !== 'reply') return;
    const waiter = pending.get(message.requestId);
    pending.delete(message.requestId);
    if (message.ok) waiter?.resolve(message.value);
    else waiter?.reject(Object.assign(new Error(message.error.message), { code: message.error.code }));
  });
  const ready = await new Promise<{ url: string; pid: number }>((resolve, reject) => {
    child.on('message', (message: JobServerMessage) => message.type === 'ready' && resolve(message));
    exited.then(({ code, signal }) => reject(new Error(`job server exited (${code ?? signal}) before it was ready:\n${output}`)));
  });
  return {
    pid: ready.pid,
    url: ready.url,
    child,
    output: () => output,
    request(command) {
      const requestId = ++requestIds;
      return new Promise((resolve, reject) => {
        pending.set(requestId, { resolve, reject });
        child.send({ ...command, requestId });
      });
    },
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        process.stderr.write(`job server ${child.pid} did not stop within 20 s of SIGTERM; killing it. Its output:\n${output}\n`);
        child.kill('SIGKILL');
      }, 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

const postgres = Boolean(process.env.DATABASE_URL);

describe('exactly-once effects across processes (X2)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error) => console.error(error));
  });

  test(
    'two server processes on one PostgreSQL database, 500 jobs: every effect applied exactly once',
    { skip: postgres ? false : 'needs PostgreSQL (set DATABASE_URL); the embedded database has one owner process', timeout: 110_000 },
    async () => {
      const database = await createTestDatabase();
      cleanups.push(() => database.drop());
      const sink = await startEffectSink();
      cleanups.push(() => sink.close());
      // Started together: migrations and pg-boss's schema install race, and must not fail.
      const [a, b] = await Promise.all([startJobServer(database), startJobServer(database)]);
      cleanups.push(() => a.stop(), () => b.stop());

      const inputs: EffectJobInput[] = Array.from({ length: 500 }, (_, i) => ({ sinkUrl: sink.url, key: `job-${i}`, steps: 2 }));
      const ids: string[] = await a.request({ type: 'send', inputs });
      assert.equal(new Set(ids).size, 500);

      const client = new pg.Client({ connectionString: database.config.databaseUrl });
      await client.connect();
      cleanups.push(() => client.end());
      const completed = async () => (await client.query(`SELECT count(*)::int AS n FROM job_records WHERE queue = 'proof.effects' AND state = 'completed'`)).rows[0].n as number;
      await waitFor('500 completed jobs', async () => (await completed()) === 500, { timeoutMs: 90_000, intervalMs: 250 });

     
      const { rows: states } = await client.query(`SELECT state, count(*)::int AS n FROM job_records GROUP BY state`);
      assert.deepEqual(states, [{ state: 'completed', n: 500 }]);
      const { rows: steps } = await client.query(`SELECT state, count(*)::int AS n, max(attempts)::int AS attempts FROM job_steps GROUP BY state`);
      assert.deepEqual(steps, [{ state: 'done', n: 1000, attempts: 1 }]);

      assert.equal(sink.applied.size, 1000, 'every effect key was applied');
      const repeated = [...sink.applied].filter(([, count]) => count !== 1);
      assert.deepEqual(repeated, [], 'no effect was applied twice');
      for (const input of inputs) for (const step of [1, 2]) assert.equal(sink.applied.get(effectKey(input.key, step)), 1);
      // both processes took part
      assert.ok((sink.appliedByPid.get(String(a.pid)) ?? 0) > 0, `process A applied no effect: ${JSON.stringify([...sink.appliedByPid])}`);
      assert.ok((sink.appliedByPid.get(String(b.pid)) ?? 0) > 0, `process B applied no effect: ${JSON.stringify([...sink.appliedByPid])}`);
    },
  );

  test(`kill -9 in the middle of a 3-step job, restart: it completes and each effect happened once (${postgres ? 'PostgreSQL' : 'embedded'})`, { timeout: 110_000 }, async () => {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const sink = await startEffectSink();
    cleanups.push(() => sink.close());

    const first = await startJobServer(database);
    cleanups.push(() => first.stop());
    const step2Received = sink.holdOnce(effectKey('crash', 2));
    const [id]: string[] = await first.request({ type: 'send', inputs: [{ sinkUrl: sink.url, key: 'crash', steps: 3 }] });

    await step2Received;
    const before = await first.request({ type: 'get', id });
    assert.equal(before.state, 'active');
    assert.deepEqual(before.steps.map((s: any) => [s.stepKey, s.state]), [['effect-1', 'done'], ['effect-2', 'started']]);
    first.child.kill('SIGKILL');
    assert.equal((await first.exited).signal, 'SIGKILL');

    // Same database, same data directory (the embedded lock names a dead process now).
    const second = await startJobServer(database);
    cleanups.push(() => second.stop());
    const job = await waitFor(
      'the interrupted job to complete in the restarted server',
      async () => {
        const current = await second.request({ type: 'get', id });
        return current.state === 'completed' ? current : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );

   
    assert.deepEqual(Object.fromEntries(sink.applied), { 'crash/step-1': 1, 'crash/step-2': 1, 'crash/step-3': 1 });
    assert.equal(job.attempts, 2, 'pg-boss ran the job again after the crash');
    assert.deepEqual(job.result, { effects: 3 });
    const steps = Object.fromEntries(job.steps.map((s: any) => [s.stepKey, s]));
    assert.equal(steps['effect-1'].attempts, 1, 'step 1 was journalled done and not run again');
    assert.equal(steps['effect-2'].state, 'done');
    assert.equal(steps['effect-2'].attempts, 1, 'step 2 was verified against the sink, not run again');
    assert.equal(steps['effect-3'].state, 'done');
    assert.equal(sink.appliedByPid.get(String(second.pid)), 1, 'the restarted process applied only step 3');
    await second.stop();
  });
});
