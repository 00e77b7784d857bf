import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { z } from 'zod';
import { createSwitchboard, type Switchboard } from '../app.ts';
import { loadConfig } from '../config.ts';
import { defineJob } from '../jobs/define-job.ts';
import { AppError } from '../errors.ts';
import { systemActor } from '../auth/actor.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const consoleDist = path.join(repoRoot, 'dist/console');
const SCREENSHOT = '/tmp/console-jobs.png';
const TIME_ZONE = 'America/New_York';

// The browser tests need a fresh embedded database; with DATABASE_URL they would share it, and
// the server-side suites already cover PostgreSQL. They run once, on the embedded database.
const skip = process.env.DATABASE_URL ? 'browser tests run once, on the embedded database (DATABASE_URL is set)' : false;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Jobs in every interesting state, so the Jobs page has something true to show.
const slowSync = defineJob({
  queue: 'demo.sync-cospaces',
  input: z.object({ bridge: z.string() }),
  title: (input) => `Synchronise coSpaces from ${input.bridge}`,
  entity: (input) => ({ type: 'bridge', id: input.bridge }),
  retryLimit: 0,
  async run(ctx) {
    await ctx.progress({ percent: 10, step: 'connect', message: 'Connecting to the bridge' });
    await ctx.step('connect', async () => ({ ok: true }));
    await ctx.progress({ percent: 40, step: 'sync', message: 'Synchronised 4 of 10 coSpaces' });
    // Holds at 40 % until cancelled (progress() throws once the job is cancelled).
    for (let i = 0; i < 600 && !ctx.signal.aborted; i++) {
      await sleep(200);
      await ctx.progress({});
    }
    return { synced: 10 };
  },
});
const failing = defineJob({
  queue: 'demo.provision-subscriber',
  input: z.object({ subscriber: z.string() }),
  title: (input) => `Provision subscriber ${input.subscriber}`,
  retryLimit: 0,
  async run(ctx) {
    await ctx.progress({ percent: 50, step: 'create-user', message: 'Creating the Webex user' });
    await ctx.step('lookup', async () => ({ found: true }));
    throw new AppError('UPSTREAM_UNREACHABLE', 'The Webex API did not answer within 30 s.');
  },
});
const quick = defineJob({
  queue: 'demo.license-report',
  input: z.object({ account: z.string() }),
  title: (input) => `Licence usage report for ${input.account}`,
  retryLimit: 0,
  async run(ctx) {
    await ctx.step('fetch', async () => ({ licences: 3 }));
    await ctx.progress({ percent: 100, step: 'done', message: 'Report ready' });
    return { licences: 3 };
  },
});

function ensureConsoleBuilt() {
  if (fs.existsSync(path.join(consoleDist, 'index.html'))) return;
  // The test runner builds the console first; run on its own, this test builds it.
  const env = { ...process.env, PATH: `${path.join(repoRoot, 'node_modules/.bin')}${path.delimiter}${process.env.PATH ?? ''}` };
  execFileSync('npm', ['run', 'build:console'], { cwd: repoRoot, env, stdio: 'inherit' });
}

describe('console in a browser', { skip }, () => {
  let sb: Switchboard;
  let baseUrl: string;
  let dataDir: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let admin: { username: string; password: string };
  const ids: Record<string, string> = {};
  const pageErrors: string[] = [];
  const bookerPassword = 'booker-password-1234';

  before(async () => {
    ensureConsoleBuilt();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-console-e2e-'));
    sb = await createSwitchboard({
      config: loadConfig({ dataDir, port: 0, logLevel: 'warn', lab: 'false' }),
      createFirstAdmin: true,
      jobs: [slowSync, failing, quick],
    });
    admin = sb.firstAdmin!;
    baseUrl = await sb.listen();
    const actor = systemActor('console-e2e');
    ids.slow = (await sb.services.jobs.send(slowSync, { bridge: 'cms1.example.net' }, { actor })).id;
    ids.failing = (await sb.services.jobs.send(failing, { subscriber: 'alice@example.com' }, { actor })).id;
    ids.quick = (await sb.services.jobs.send(quick, { account: 'Acme Corp' }, { actor })).id;

    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    // A zone other than the server's UTC proves times are shown in the browser's zone.
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, timezoneId: TIME_ZONE, locale: 'en-US' });
    context.setDefaultTimeout(15_000);
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  after(async () => {
    await context?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await sb?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('an unknown page without a session sends to the sign-in page', async () => {
    await page.goto(`${baseUrl}/audit`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/login');
    assert.equal(new URL(page.url()).searchParams.get('next'), '/audit');
  });

  test('a wrong password shows the error with its tracking ID', async () => {
    await page.getByLabel('Username').fill(admin.username);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const text = await alert.innerText();
    assert.match(text, /Wrong username or password/);
    assert.match(text, /INVALID_CREDENTIALS/);
    assert.match(text, /Tracking ID\s+SB_[0-9a-f-]{36}/);
    assert.equal(new URL(page.url()).pathname, '/login');
  });

  test('signing in returns to the page asked for', async () => {
    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/audit');
  });

  test('Tab from the top of the page reaches the nav links', async () => {
    await page.goto(`${baseUrl}/jobs`);
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    const reached: string[] = [];
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      reached.push(await page.evaluate(() => {
        const element = document.activeElement as HTMLElement | null;
        return element?.closest('nav[aria-label="Main"]') ? `nav:${element.textContent}` : (element?.textContent ?? '');
      }));
    }
    assert.equal(reached[0], 'Skip to content');
    for (const name of ['Home', 'Meetings', 'Partner', 'Licensing', 'Lab', 'Jobs', 'Audit', 'Administration']) {
      assert.ok(reached.includes(`nav:${name}`), `Tab reaches ${name}: ${reached.join(' | ')}`);
    }
    // The focused link shows a focus ring.
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    assert.notEqual(outline, 'none');
  });

  test('each area has its page in the shell, reached from the navigation', async () => {
    const areas = [['Meetings', '/meetings', 'Meetings'], ['Partner', '/partner', 'Partner'], ['Licensing', '/licensing', 'Smart Licensing'], ['Lab', '/lab', 'Lab']];
    for (const [name, pathname, heading] of areas) {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
      await page.getByRole('heading', { level: 1, name: heading, exact: true }).waitFor();
      assert.equal(new URL(page.url()).pathname.startsWith(pathname), true);
    }
  });

  test('Jobs lists jobs with live progress, filters by state; screenshot at 1280x800', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Jobs' }).click();
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    // Live: the slow job reaches 40 % and the failing one fails while the page is open.
    const slowProgress = page.getByRole('progressbar', { name: 'Progress of Synchronise coSpaces from cms1.example.net' });
    await page.waitForFunction(() => document.querySelector('[aria-label="Progress of Synchronise coSpaces from cms1.example.net"]')?.getAttribute('aria-valuenow') === '40', null, { timeout: 20_000 });
    assert.equal(await slowProgress.getAttribute('aria-valuenow'), '40');
    await page.getByText('sync — Synchronised 4 of 10 coSpaces').waitFor();
    await page.getByRole('row', { name: /Provision subscriber alice@example.com.*Failed/ }).waitFor({ timeout: 20_000 });
    await page.getByRole('row', { name: /Licence usage report for Acme Corp.*Completed/ }).waitFor({ timeout: 20_000 });
    assert.match(await page.locator('.timezone-note').first().innerText(), new RegExp(TIME_ZONE));
    await page.screenshot({ path: SCREENSHOT, fullPage: false });

    await page.getByLabel('State').selectOption('failed');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/state=failed/);
    await page.getByRole('link', { name: 'Synchronise coSpaces from cms1.example.net' }).waitFor({ state: 'detached' });
    assert.equal(await page.getByRole('row').count(), 2); // header + the failed job
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByRole('link', { name: 'Synchronise coSpaces from cms1.example.net' }).waitFor();
  });

  test('a job detail shows steps; Cancel and Retry appear only when they apply', async () => {
    await page.getByRole('link', { name: 'Synchronise coSpaces from cms1.example.net' }).click();
    await page.getByRole('heading', { name: 'Steps' }).waitFor();
    await page.getByRole('cell', { name: 'connect', exact: true }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Retry' }).count(), 0);
    await page.getByRole('button', { name: 'Cancel job' }).click();
    // Cancelling asks first, saying what it does.
    const dialog = page.getByRole('dialog', { name: 'Cancel this job?' });
    await dialog.getByText('What it already did stays done').waitFor();
    await dialog.getByRole('button', { name: 'Cancel job' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Retry' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Cancel job' }).count(), 0);
    assert.match(await page.locator('.page-header .badge').innerText(), /Cancelled/);

    await page.goto(`${baseUrl}/jobs/${ids.failing}`);
    await page.getByText('The Webex API did not answer within 30 s.').first().waitFor();
    assert.equal(await page.getByRole('button', { name: 'Cancel job' }).count(), 0);
    const retried = page.waitForResponse((response) => response.url().endsWith(`/api/v1/jobs/${ids.failing}/retry`));
    await page.getByRole('button', { name: 'Retry' }).click();
    assert.equal((await retried).status(), 200);

    // A job that does not exist: the API's error, with its tracking ID.
    await page.goto(`${baseUrl}/jobs/00000000-0000-4000-8000-000000000000`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /does not exist[\s\S]*NOT_FOUND[\s\S]*Tracking ID\s+SB_/);
  });

  test('Audit shows the session.login event, times in the browser zone, changes expandable, filters', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    const login = page.getByRole('row', { name: /session\.login/ }).first();
    await login.waitFor();
    assert.match(await login.innerText(), /admin/);
    // America/New_York is EST or EDT depending on the date.
    assert.match(await login.locator('time').innerText(), /E[SD]T/);
    assert.match(await page.locator('.timezone-note').innerText(), new RegExp(TIME_ZONE));

    const cancelRow = page.getByRole('row', { name: /job\.cancel/ });
    await cancelRow.getByRole('button', { name: 'Show changes' }).click();
    const changes = page.locator('.changes');
    await changes.waitFor();
    const changed = await changes.locator('tr.changed').allInnerTexts();
    assert.equal(changed.length, 1);
    assert.match(changed[0], /state[\s\S]*active\s+cancelled/);
    await cancelRow.getByRole('button', { name: 'Hide changes' }).click();
    await changes.waitFor({ state: 'detached' });

    await page.getByLabel('Action').fill('job.cancel');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/action=job\.cancel/);
    await page.getByRole('row', { name: /session\.login/ }).waitFor({ state: 'detached' });
    assert.equal(await page.getByRole('row', { name: /job\.cancel/ }).count(), 1);
  });

  test('Administration: create a booker and an API token, shown once', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Administration' }).click();
    await page.getByRole('heading', { name: 'Administration' }).waitFor();

    await page.getByLabel('Username').fill('bea.booker');
    await page.locator('#user-role').selectOption('booker');
    await page.getByLabel('Password', { exact: true }).fill(bookerPassword);
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('status').filter({ hasText: 'User bea.booker created with role Booker' }).waitFor();
    await page.getByRole('row', { name: /bea\.booker.*Booker.*Active/ }).waitFor();

    await page.getByLabel('Name', { exact: true }).fill('provisioning-script');
    await page.locator('#token-role').selectOption('sales_full_admin');
    await page.getByRole('button', { name: 'Create token' }).click();
    const tokenInput = page.getByRole('textbox', { name: 'Your new API token' });
    await tokenInput.waitFor();
    const token = await tokenInput.inputValue();
    assert.match(token, /^sbt_/);
    assert.match(await page.locator('.token-once').innerText(), /only time it is shown/);
    // The token works against the API…
    const me = await fetch(`${baseUrl}/api/v1/session`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(((await me.json()) as { actor: { role: string } }).actor.role, 'sales_full_admin');
    // …and is never shown again: the list has only its prefix.
    await page.getByRole('button', { name: 'I have copied it' }).click();
    await tokenInput.waitFor({ state: 'detached' });
    const row = page.getByRole('row', { name: /provisioning-script/ });
    await row.waitFor();
    assert.ok(!(await page.content()).includes(token));
    assert.match(await row.innerText(), new RegExp(`${token.slice(0, 10)}…`));
  });

  test('sign-out returns to the sign-in page and the session is gone', async () => {
    await page.getByRole('button', { name: /^admin Partner full admin/ }).click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByText('You have signed out.').waitFor();
    await page.goto(`${baseUrl}/jobs`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  });

  test('a booker sees no admin pages, and a 403 says not allowed for your role', async () => {
    await page.getByLabel('Username').fill('bea.booker');
    await page.getByLabel('Password').fill(bookerPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // The sign-out test left the sign-in page asked to return to /jobs.
    await page.getByRole('heading', { level: 1, name: 'Jobs' }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Main' });
    assert.equal(await nav.getByRole('link', { name: 'Audit' }).count(), 0);
    assert.equal(await nav.getByRole('link', { name: 'Administration' }).count(), 0);
    // Bookers may read jobs but not retry or cancel them.
    await page.goto(`${baseUrl}/jobs/${ids.slow}`);
    await page.getByRole('heading', { name: 'Steps' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Retry' }).count(), 0);

    await page.goto(`${baseUrl}/audit`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /Not allowed for your role[\s\S]*booker[\s\S]*Tracking ID/);
  });

  test('no script errors happened in the page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
