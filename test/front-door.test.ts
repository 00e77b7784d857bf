import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { skipBrowserTests } from './support/browser.ts';
import { waitFor } from './support/wait-for.ts';

// X1 front door (#15): what a newcomer does — a fresh clone, the README's two commands
// (`npm install && npm start`) with the machine's own npm and Node, then the console at / in a
// browser, then SIGTERM to `npm start` as a process manager sends it.

const root = path.resolve(import.meta.dirname, '..');

/** The environment of a newcomer's shell: no npm script variables, no node_modules/.bin first on PATH. */
function newcomerEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('npm_') || key === 'INIT_CWD' || key === 'NODE' || key.startsWith('SWITCHBOARD_') || key === 'DATABASE_URL' || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  env.PATH = (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => !dir.includes('node_modules'))
    .join(path.delimiter);
  return { ...env, ...extra };
}

function listening(url: string): Promise<boolean> {
  return fetch(url, { signal: AbortSignal.timeout(2000) }).then(
    () => true,
    () => false,
  );
}

describe('front door: a fresh clone, npm install && npm start, the console at /', { skip: skipBrowserTests }, () => {
  const clone = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-front-door-'));
  const env = newcomerEnv({ SWITCHBOARD_PORT: '0', NO_COLOR: '1' });

  before(() => {
    const cloned = spawnSync('git', ['clone', '-q', root, clone], { encoding: 'utf8' });
    assert.equal(cloned.status, 0, cloned.stderr);
  });
  after(() => fs.rmSync(clone, { recursive: true, force: true }));

  test('npm install prints no warning and builds the console', () => {
    const install = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: clone, env, encoding: 'utf8', timeout: 540_000 });
    assert.equal(install.status, 0, `npm install failed:\n${install.stdout}\n${install.stderr}`);
    assert.doesNotMatch(`${install.stdout}\n${install.stderr}`, /EBADENGINE|npm warn/i, 'no engine or other npm warning on this machine’s Node');
    assert.ok(fs.existsSync(path.join(clone, 'dist/console/index.html')), 'install built the console');

    const help = spawnSync('npx', ['switchboard', '--help'], { cwd: clone, env, encoding: 'utf8', timeout: 120_000 });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /Usage: switchboard/);
    assert.equal(help.stderr.trim(), '', 'npx switchboard prints no warning');
  });

  test('npm start serves the console at /; SIGTERM to npm stops the server', async () => {
    const npm = spawn('npm', ['start'], { cwd: clone, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    npm.stdout!.on('data', (chunk) => (output += chunk));
    npm.stderr!.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => npm.on('exit', (code) => resolve(code)));
    try {
      const started = await waitFor('the console URL', () => (npm.exitCode !== null ? { exited: npm.exitCode } : output.match(/console at (http:\/\/\S+)/)?.[1]), { timeoutMs: 300_000 });
      assert.equal(typeof started, 'string', `npm start exited:\n${output}`);
      const url = started as string;
      // The framed first admin is a write of its own after the running lines: on a pipe it can
      // arrive a moment later.
      const admin = await waitFor('the first admin', () => output.match(/username: (\S+)\s*│\s*│\s*password: (\S+)/) ?? undefined, { timeoutMs: 30_000 }).catch(() => null);
      assert.ok(admin, `the first admin is printed:\n${output}`);

      const browser = await chromium.launch({
        executablePath: '/usr/bin/chromium',
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
        const errors: string[] = [];
        page.on('pageerror', (error) => errors.push(error.message));
        const response = await page.goto(`${url}/`);
        assert.equal(response?.status(), 200, 'GET / is the console, not a 404');
        await page.getByLabel('Username').fill(admin[1]);
        await page.getByLabel('Password').fill(admin[2]);
        await page.getByRole('button', { name: /sign in/i }).click();
        await page.getByRole('link', { name: /jobs/i }).first().waitFor({ timeout: 60_000 });
        assert.deepEqual(errors, [], 'no errors in the page');
      } finally {
        await browser.close();
      }

      npm.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 60_000))]);
      assert.notEqual(code, 'timeout', `npm start did not exit within 60 s of SIGTERM:\n${output}`);
      await waitFor('the server to stop listening', async () => !(await listening(`${url}/healthz`)), { timeoutMs: 30_000 });
      assert.match(output, /SIGTERM: stopping Switchboard/);
    } finally {
      if (npm.exitCode === null) npm.kill('SIGKILL');
      spawnSync('pkill', ['-KILL', '-f', path.join(clone, 'bin/switchboard.js')]);
    }
  });
});
