import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { createSwitchboard } from '../platform/app.ts';
import { systemActor } from '../platform/auth/actor.ts';
import { defineJob } from '../platform/jobs/define-job.ts';
import { createTestDatabase, embeddedTemplateDir, type TestDatabase } from '../test/support/test-database.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { missingServerEnv, missingServerFlags, SERVER_ENV, SERVER_V8_FLAGS } from '../platform/node-runtime.js';

// X5: the `switchboard` CLI as a user runs it — a child process — against a real server on a fresh
// database (embedded, or PostgreSQL when DATABASE_URL is set).

const root = path.resolve(import.meta.dirname, '..');
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-cli-home-'));

/** The parent's environment without anything that would point the CLI elsewhere. */
function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    TZ: 'Europe/Berlin',
    // Dozens of CLI processes start here; Node's compile cache spares each one the type stripping.
    NODE_COMPILE_CACHE: path.join(os.tmpdir(), 'switchboard-cli-test-compile-cache'),
  };
  for (const name of Object.keys(env)) if (name.startsWith('SWITCHBOARD_')) delete env[name];
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

type Run = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

// Asynchronous on purpose: the server under test lives in this process, so a spawnSync would
// block the very event loop that has to answer the CLI.
function run(args: string[], env: NodeJS.ProcessEnv, options: { command?: string; script?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.command ?? process.execPath, [options.script ?? 'cli/main.ts', ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    // Generous: on a busy CI machine a command that boots the embedded database can take minutes.
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Polls until `probe` gives a value; `gaveUp` names a reason to stop early (the server exited). */
async function poll<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000, gaveUp: () => string | null = () => null): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reason = gaveUp();
    if (reason) throw new Error(`gave up waiting for ${what}: ${reason}`);
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== null && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const quick = defineJob({
  queue: 'cli-test.quick',
  input: z.object({ key: z.string() }),
  title: (input) => `Quick ${input.key}`,
  run: async (ctx, input) => {
    await ctx.progress({ percent: 50, step: 'halfway', message: `working on ${input.key}` });
    await ctx.step('effect', async () => input.key);
    return { done: input.key };
  },
});

const failing = defineJob({
  queue: 'cli-test.failing',
  input: z.object({ key: z.string() }),
  title: (input) => `Failing ${input.key}`,
  retryLimit: 0,
  run: async () => {
    throw new Error('the far end said no');
  },
});

const uuidPattern = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

// The three groups are independent (each its own database), so they run side by side.
describe('switchboard CLI', { concurrency: true }, () => {
  describe('API commands against a running server', { concurrency: 4 }, () => {
    let ts: TestSwitchboard;
    let env: NodeJS.ProcessEnv;
    const actor = systemActor('cli-test');
    const jobState = async (id: string) => (await ts.api<{ state: string }>('GET', `/api/v1/jobs/${id}`)).body.state;

    before(async () => {
      ts = await startTestSwitchboard({ jobs: [quick, failing], config: { jobPollSeconds: 0.5 } });
      env = cleanEnv({ SWITCHBOARD_URL: ts.url, SWITCHBOARD_TOKEN: ts.adminToken });
    });
    after(async () => ts?.close());

    test('jobs list --json, jobs show and jobs watch follow a job to completion (exit 0)', async () => {
      const { id } = await ts.sb.services.jobs.send(quick, { key: 'a' }, { actor });
      const watched = await run(['jobs', 'watch', id, '--interval', '200'], env);
      assert.equal(watched.code, 0, watched.stderr);
      assert.match(watched.stdout, new RegExp(`Job ${id} completed: Quick a`));
      assert.match(watched.stderr, /100%\s+completed/, 'progress lines when not on a terminal');

      const listed = await run(['jobs', 'list', '--json', '--queue', 'cli-test.quick'], env);
      assert.equal(listed.code, 0, listed.stderr);
      const page = JSON.parse(listed.stdout);
      assert.ok(page.items.some((job: { id: string; state: string }) => job.id === id && job.state === 'completed'));
      assert.equal(typeof page.total, 'number');

      const table = await run(['jobs', 'list', '--state', 'completed,failed'], env);
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stdout, /^ID\s+QUEUE\s+STATE/m);
      assert.ok(table.stdout.includes(id));
      assert.match(table.stdout, /Times in Europe\/Berlin\./);
      assert.match(table.stdout, /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT\+[12]/, 'times in the local zone, zone shown');

      const shown = await run(['jobs', 'show', id, '--json'], env);
      assert.equal(shown.code, 0, shown.stderr);
      const job = JSON.parse(shown.stdout);
      assert.deepEqual(job.steps.map((s: { stepKey: string }) => s.stepKey), ['effect']);
      const human = await run(['jobs', 'show', id], env);
      assert.match(human.stdout, /State:\s+completed/);
      assert.match(human.stdout, /Steps \(1\):\nSTEP\s+STATE\s+TRIES[^\n]*\neffect\s+done/);
    });

    test('jobs watch exits 1 on a failed job; retry and cancel go through the API', async () => {
      const { id } = await ts.sb.services.jobs.send(failing, { key: 'b' }, { actor });
      const watched = await run(['jobs', 'watch', id, '--interval', '200'], env);
      assert.equal(watched.code, 1);
      assert.match(watched.stderr, new RegExp(`Error: Job ${id} \\(Failing b\\) failed: the far end said no\\. \\(code JOB_FAILED\\)`));

      const retried = await run(['jobs', 'retry', id], env);
      assert.equal(retried.code, 0, retried.stderr);
      assert.match(retried.stdout, /queued again/);

      const later = await ts.sb.services.jobs.send(quick, { key: 'later' }, { actor, startAfter: new Date(Date.now() + 3600_000) });
      const cancelled = await run(['jobs', 'cancel', later.id], env);
      assert.equal(cancelled.code, 0, cancelled.stderr);
      assert.match(cancelled.stdout, /cancelled/);
      assert.equal(await jobState(later.id), 'cancelled');
      const again = await run(['jobs', 'cancel', later.id], env);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /code INVALID_STATE, tracking ID /);
    });

    test('an unknown job is an error with the tracking ID (exit 1); a bad flag is a usage error (exit 2)', async () => {
      const missing = crypto.randomUUID();
      const result = await run(['jobs', 'show', missing], env);
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`^Error: Job ${missing} does not exist\\. \\(code NOT_FOUND, tracking ID [^)]+\\)$`, 'm'));
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
      const usage = await run(['jobs', 'list', '--limit', 'lots'], env);
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /--limit/);
    });

    test('users create (generated password shown once), users list, audit --json shows the change', async () => {
      const created = await run(['users', 'create', '--username', 'carol', '--role', 'read_only_admin', '--display-name', 'Carol'], env);
      assert.equal(created.code, 0, created.stderr);
      const password = created.stdout.match(/Password for carol: (\S+)/)?.[1];
      assert.ok(password, created.stdout);
      const signIn = await ts.api('POST', '/api/v1/session', { username: 'carol', password }, { token: null });
      assert.equal(signIn.status, 200, 'the printed password works');

      const listed = await run(['users', 'list', '--json'], env);
      assert.equal(listed.code, 0, listed.stderr);
      const carol = JSON.parse(listed.stdout).items.find((u: { username: string }) => u.username === 'carol');
      assert.equal(carol.role, 'read_only_admin');
      const table = await run(['users', 'list'], env);
      assert.match(table.stdout, /carol\s+Carol\s+Read-only admin/);

      const audit = await run(['audit', '--action', 'user.create', '--entity-id', carol.id, '--json'], env);
      assert.equal(audit.code, 0, audit.stderr);
      const events = JSON.parse(audit.stdout).items;
      assert.equal(events.length, 1);
      assert.equal(events[0].entityType, 'user');
      assert.equal(events[0].actorName, 'token:test-admin');
      assert.ok(!audit.stdout.includes(password), 'no password in the audit log');
      const human = await run(['audit', '--entity-type', 'user', '--from', '2000-01-01'], env);
      assert.equal(human.code, 0, human.stderr);
      assert.match(human.stdout, /^TIME\s+ACTOR\s+ACTION/m);
      assert.match(human.stdout, /user\.create/);

      const duplicate = await run(['users', 'create', '--username', 'carol', '--role', 'booker'], env);
      assert.equal(duplicate.code, 1);
      assert.match(duplicate.stderr, /already exists\. \(code ALREADY_EXISTS, tracking ID /);
    });

    test('tokens create shows the token once; it works, is listed without its secret, and can be revoked', async () => {
      const created = await run(['tokens', 'create', '--name', 'ci robot', '--role', 'read_only_admin'], env);
      assert.equal(created.code, 0, created.stderr);
      const token = created.stdout.match(/Token: (sbt_\S+)/)?.[1];
      assert.ok(token, created.stdout);
      const id = created.stdout.match(new RegExp(`ID (${uuidPattern.source})`))?.[1];

      const asRobot = cleanEnv({ SWITCHBOARD_URL: ts.url, SWITCHBOARD_TOKEN: token });
      const whoami = await run(['whoami', '--json'], asRobot);
      assert.equal(whoami.code, 0, whoami.stderr);
      assert.equal(JSON.parse(whoami.stdout).actor.role, 'read_only_admin');
      const forbidden = await run(['users', 'create', '--username', 'mallory', '--role', 'partner_full_admin'], asRobot);
      assert.equal(forbidden.code, 1);
      assert.match(forbidden.stderr, /code FORBIDDEN, tracking ID /);

      const listed = await run(['tokens', 'list', '--json'], env);
      assert.ok(JSON.parse(listed.stdout).items.some((t: { id: string }) => t.id === id));
      assert.ok(!listed.stdout.includes(token), 'the secret is never listed');

      const revoked = await run(['tokens', 'revoke', id!], env);
      assert.equal(revoked.code, 0, revoked.stderr);
      const afterRevoke = await run(['whoami'], asRobot);
      assert.equal(afterRevoke.code, 1);
      assert.match(afterRevoke.stderr, /code UNAUTHENTICATED/);
    });

    test('login stores url and token (mode 0600) that later commands use; logout revokes it', async () => {
      const ownHome = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-cli-login-'));
      const loginEnv = cleanEnv({ HOME: ownHome, XDG_CONFIG_HOME: undefined, SWITCHBOARD_PASSWORD: ts.admin.password });
      const login = await run(['login', '--url', ts.url, '--username', ts.admin.username], loginEnv);
      assert.equal(login.code, 0, login.stderr);
      assert.match(login.stdout, new RegExp(`Signed in to ${ts.url} as admin`));
      assert.ok(!login.stdout.includes(ts.admin.password));
      const file = path.join(ownHome, '.config', 'switchboard', 'credentials.json');
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      const stored = JSON.parse(fs.readFileSync(file, 'utf8'));
      assert.equal(stored.url, ts.url);
      assert.match(stored.token, /^sbt_/);
      assert.ok(!login.stdout.includes(stored.token), 'the stored token is not printed');

      const listed = await run(['jobs', 'list', '--json'], loginEnv);
      assert.equal(listed.code, 0, listed.stderr);

      // The environment wins over the file.
      const elsewhere = await run(['jobs', 'list'], { ...loginEnv, SWITCHBOARD_URL: 'http://127.0.0.1:9' });
      assert.equal(elsewhere.code, 1);
      assert.match(elsewhere.stderr, /No API token for http:\/\/127\.0\.0\.1:9/, 'a stored token is never sent to another server');

      const logout = await run(['logout'], loginEnv);
      assert.equal(logout.code, 0, logout.stderr);
      assert.ok(!fs.existsSync(file));
      const revoked = await ts.api('GET', '/api/v1/jobs', undefined, { token: stored.token });
      assert.equal(revoked.status, 401, 'logout revoked the token');

      const wrong = await run(['login', '--url', ts.url, '--username', 'admin', '--password', 'not-the-password'], loginEnv);
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /Wrong username or password\. \(code INVALID_CREDENTIALS, tracking ID /);
    });

    test('a server that is not there: one clear line naming the URL, exit 1', async () => {
      const port = await new Promise<number>((resolve) => {
        const server = net.createServer().listen(0, '127.0.0.1', () => {
          const { port } = server.address() as net.AddressInfo;
          server.close(() => resolve(port));
        });
      });
      const result = await run(['jobs', 'list'], cleanEnv({ SWITCHBOARD_URL: `http://127.0.0.1:${port}`, SWITCHBOARD_TOKEN: 'sbt_whatever' }));
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`^Error: Cannot reach Switchboard at http://127\\.0\\.0\\.1:${port}: connection refused\\. \\(code UNREACHABLE\\)$`, 'm'));
      assert.ok(!result.stderr.includes('sbt_whatever'));
      const none = await run(['audit'], cleanEnv());
      assert.equal(none.code, 1);
      assert.match(none.stderr, /No Switchboard server is configured/);
    });
  });

  describe('database commands', () => {
    let database: TestDatabase;
    let env: NodeJS.ProcessEnv;

    before(async () => {
      database = await createTestDatabase();
      const { config } = database;
      env = cleanEnv({
        DATABASE_URL: config.embedded ? undefined : config.databaseUrl,
        SWITCHBOARD_DATA_DIR: config.dataDir,
        SWITCHBOARD_SECRET_KEY: config.secretKey,
        SWITCHBOARD_LOG_LEVEL: 'warn',
      });
    });
    after(async () => database?.drop());

    test('migrate applies what is pending and says so; admin create makes a working admin and token', async () => {
      const migrated = await run(['migrate'], env);
      assert.equal(migrated.code, 0, migrated.stderr);
      assert.match(migrated.stdout, /^Migrated the (embedded database in|PostgreSQL) /);
      assert.match(migrated.stdout, /platform: (applied \d+ migrations? \(\d{4}_\w+.*\); \d+ in all|up to date \(\d+ migrations?\))\./);

      const created = await run(['admin', 'create', '--username', 'root', '--token'], env);
      assert.equal(created.code, 0, created.stderr);
      assert.match(created.stdout, /Created Partner full admin root/);
      const password = created.stdout.match(/Password: (\S+)/)?.[1];
      const token = created.stdout.match(/API token: (sbt_\S+)/)?.[1];
      assert.ok(password && token, created.stdout);

      const weak = await run(['admin', 'create', '--username', 'weak', '--password', 'short'], env);
      assert.equal(weak.code, 2);

      // What admin create wrote works on a server started on that database.
      const sb = await createSwitchboard({ config: database.config });
      try {
        const url = await sb.listen();
        const session = await fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'root', password }) });
        assert.equal(session.status, 200);
        const listed = await run(['audit', '--action', 'user.create', '--json'], cleanEnv({ SWITCHBOARD_URL: url, SWITCHBOARD_TOKEN: token }));
        assert.equal(listed.code, 0, listed.stderr);
        assert.match(JSON.parse(listed.stdout).items[0].actorName, /^cli/);
      } finally {
        await sb.close();
      }
    });
  });

  describe('switchboard start', () => {
    const children: ChildProcess[] = [];
    after(() => {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    });

    function startServer(env: NodeJS.ProcessEnv, script = 'cli/main.ts') {
      const child = spawn(process.execPath, [script, 'start', '--no-lab'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      const output = { stdout: '', stderr: '' };
      child.stdout!.on('data', (chunk) => (output.stdout += chunk));
      child.stderr!.on('data', (chunk) => (output.stderr += chunk));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const failed = () => (child.exitCode !== null ? `start exited with ${child.exitCode}: ${output.stderr}` : null);
      return { child, output, exited, failed };
    }

    test('first start of an embedded install prints the admin once; readyz; a second start is refused; SIGTERM exits 0', async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-cli-start-'));
      fs.cpSync(await embeddedTemplateDir(), dataDir, { recursive: true });
      fs.rmSync(path.join(dataDir, 'switchboard.lock'), { force: true });
      const env = cleanEnv({ DATABASE_URL: undefined, SWITCHBOARD_DATA_DIR: dataDir, SWITCHBOARD_PORT: '0', SWITCHBOARD_LOG_LEVEL: 'warn' });
      try {
        const server = startServer(env);
        const url = await poll('the console URL', async () => server.output.stdout.match(/console at (http:\/\/\S+)/)?.[1], 300_000, server.failed);
        const credentials = await poll('the first admin', async () => {
          const match = server.output.stdout.match(/username: (\S+)\s*│\s*│\s*password: (\S+)/);
          return match ? { username: match[1], password: match[2] } : null;
        });
        assert.equal(credentials.username, 'admin');
        assert.match(server.output.stdout, /shown only this once/);
        const ready = await poll('readyz', async () => {
          const response = await fetch(`${url}/readyz`);
          return response.status === 200 ? response.json() : null;
        });
        assert.deepEqual(ready, { status: 'ready', database: 'embedded' });
        const session = await fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(credentials) });
        assert.equal(session.status, 200, 'the printed credentials sign in');

        const second = await run(['start', '--no-lab'], env);
        assert.notEqual(second.code, 0);
        assert.match(second.stderr, new RegExp(`^Error: The data directory ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by another Switchboard process \\(pid ${server.child.pid}, .*\\(code DATA_DIR_LOCKED\\)$`, 'm'));
        assert.doesNotMatch(second.stderr, /\n\s+at /, 'no stack trace');
        assert.equal(second.stderr.trim().split('\n').length, 1, 'one line');

        server.child.kill('SIGTERM');
        assert.equal(await server.exited, 0, server.output.stderr);
        assert.ok(!fs.existsSync(path.join(dataDir, 'switchboard.lock')), 'the data directory is released');
        assert.match(server.output.stderr, /SIGTERM: stopping Switchboard/);
      } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    });

    test('start on PostgreSQL with no users says how to create the first admin', { skip: !process.env.DATABASE_URL && 'needs DATABASE_URL' }, async () => {
      const database = await createTestDatabase();
      try {
        const env = cleanEnv({
          DATABASE_URL: database.config.databaseUrl,
          SWITCHBOARD_SECRET_KEY: database.config.secretKey,
          SWITCHBOARD_PORT: '0',
          SWITCHBOARD_LOG_LEVEL: 'warn',
        });
        const server = startServer(env);
        await poll('the admin create hint', async () => server.output.stdout.includes('switchboard admin create'), 300_000, server.failed);
        assert.doesNotMatch(server.output.stdout, /password:/);
        server.child.kill('SIGTERM');
        assert.equal(await server.exited, 0, server.output.stderr);
      } finally {
        await database.drop();
      }
    });

    test('bin/switchboard.js start runs the server with its V8 flags and environment, in the same process; a flag or variable given wins', async () => {
      assert.deepEqual(missingServerFlags([], undefined), SERVER_V8_FLAGS);
      assert.deepEqual(missingServerEnv({}), SERVER_ENV);
      assert.deepEqual(missingServerEnv({ MALLOC_MMAP_THRESHOLD_: '65536' }), {}, 'a value in the environment wins');
      assert.deepEqual(missingServerFlags(['--max-semi-space-size=4'], undefined), [], 'a flag on the command line wins');
      assert.deepEqual(missingServerFlags([], '--max_semi_space_size=64 --trace-warnings'), [], 'and one in NODE_OPTIONS');
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-cli-start-'));
      fs.cpSync(await embeddedTemplateDir(), dataDir, { recursive: true });
      fs.rmSync(path.join(dataDir, 'switchboard.lock'), { force: true });
      const env = cleanEnv({ DATABASE_URL: undefined, SWITCHBOARD_DATA_DIR: dataDir, SWITCHBOARD_PORT: '0', SWITCHBOARD_LOG_LEVEL: 'warn' });
      try {
        const server = startServer(env, 'bin/switchboard.js');
        await poll('the console URL', async () => server.output.stdout.match(/console at (http:\/\/\S+)/)?.[1], 300_000, server.failed);
        // execve: the PID we started is the server, now with the flag.
        const commandLine = fs.readFileSync(`/proc/${server.child.pid}/cmdline`, 'utf8').split('\0');
        for (const flag of SERVER_V8_FLAGS) assert.ok(commandLine.includes(flag), `${flag} in ${commandLine.join(' ')}`);
        const environment = fs.readFileSync(`/proc/${server.child.pid}/environ`, 'utf8').split('\0');
        for (const [name, value] of Object.entries(SERVER_ENV)) assert.ok(environment.includes(`${name}=${value}`), `${name}=${value} in the server's environment`);
        server.child.kill('SIGTERM');
        assert.equal(await server.exited, 0, server.output.stderr);
      } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    });

    test('bin/switchboard.js started by an older Node re-executes itself with the project\'s Node 24', async (t) => {
      const oldNode = '/usr/bin/node';
      if (!fs.existsSync(oldNode)) return t.skip('no /usr/bin/node');
      const version = await run(['--version'], cleanEnv(), { command: oldNode, script: 'bin/switchboard.js' });
      assert.equal(version.code, 0, version.stderr);
      assert.equal(version.stdout.trim(), JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version);
      const help = await run(['jobs', '--help'], cleanEnv(), { command: oldNode, script: 'bin/switchboard.js' });
      assert.equal(help.code, 0);
      assert.match(help.stdout, /watch \[options\] <id>/);
      const usage = await run(['no-such-command'], cleanEnv(), { command: oldNode, script: 'bin/switchboard.js' });
      assert.equal(usage.code, 2, 'the exit code comes through');
    });
  });
});
