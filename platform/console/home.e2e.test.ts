import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import type { Browser, Page } from 'playwright-core';
import { signedInBrowser, skipBrowserTests } from '../../test/support/browser.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../../test/support/test-switchboard.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import { defineJob } from '../jobs/define-job.ts';
import { AppError } from '../errors.ts';
import { systemActor } from '../auth/actor.ts';
import { labArea } from '../../lab/lab.area.ts';
import { createMeetingsArea } from '../../meetings/meetings.area.ts';
import { licensingArea } from '../../licensing/licensing.area.ts';
import { partnerArea } from '../../partner/partner.area.ts';

// The home page (#15): signing in lands on it; each area's count is there with the link to where it
// is handled; a ticket is acknowledged from it; it follows what happens without a reload.

const SCREENSHOT = '/tmp/console-home.png';

const failing = defineJob({
  queue: 'demo.provision-subscriber',
  input: z.object({ subscriber: z.string() }),
  title: (input) => `Provision subscriber ${input.subscriber}`,
  retryLimit: 0,
  async run() {
    throw new AppError('UPSTREAM_UNREACHABLE', 'The Webex API did not answer within 30 s.');
  },
});

describe('home page in a browser', { skip: skipBrowserTests }, () => {
  let t: TestSwitchboard;
  let browser: Browser;
  let page: Page;
  let bridge: { id: string; name: string };
  const pageErrors: string[] = [];

  before(async () => {
    t = await startTestSwitchboard({ areas: [labArea, createMeetingsArea({ scheduler: false }), licensingArea, partnerArea], jobs: [failing], config: { lab: 'true', jobPollSeconds: 0.5 } as never });
    const { id } = await t.sb.services.jobs.send(failing, { subscriber: 'alice@example.com' }, { actor: systemActor('home-e2e') });
    await waitFor('the job failed', async () => (await t.api('GET', `/api/v1/jobs/${id}`)).body.state === 'failed');
    bridge = await waitFor('a Lab bridge registered', async () => (await t.api('GET', '/api/v1/meetings/bridges')).body.items?.[0]);
    assert.equal((await t.api('POST', `/api/v1/meetings/bridges/${bridge.id}/tickets`, { title: 'Rack power check', detail: 'PDU B alarm' })).status, 201);
    const lab = (await t.api('GET', '/api/v1/lab')).body;
    assert.equal((await t.api('PUT', `/api/v1/lab/cms/${lab.cms[0].name}/nodes/${lab.cms[0].nodes[0].name}/faults`, { busy: true })).status, 200);
    ({ browser, page } = await signedInBrowser(t, { width: 1440, height: 900 }));
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });
  after(async () => {
    await browser?.close().catch(() => undefined);
    await t?.close();
  });

  const card = (title: string) => page.getByRole('region', { name: title, exact: true });

  test('signing in lands on Home, with a count per area; screenshot at 1440x900', async () => {
    await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/');
    await card('Failed jobs').getByLabel('1 failed jobs').waitFor();
    await card('Open bridge tickets').getByText('#', { exact: false }).first().waitFor();
    assert.match(await card('Simulator faults').innerText(), /busy/);
    assert.match(await card('Open bridge tickets').innerText(), /Rack power check/);
    await card('Subscribers in error').waitFor();
    await card('Smart-account alerts').waitFor();
    await page.screenshot({ path: SCREENSHOT, fullPage: false });
  });

  test('a ticket is acknowledged from the home page and leaves the count', async () => {
    const tickets = card('Open bridge tickets');
    const before = Number(await tickets.locator('.attention-count').innerText());
    await tickets.getByRole('button', { name: /^Acknowledge #\d+ Rack power check/ }).click();
    await page.getByText(/Rack power check acknowledged/).waitFor();
    await page.waitForFunction((n) => document.querySelector('[data-key="meetings.tickets"] .attention-count')?.textContent === String(n), before - 1);
    assert.match(await tickets.innerText(), /1 acknowledged/);
  });

  test('the count follows the areas without a reload (a Lab fault cleared)', async () => {
    const lab = (await t.api('GET', '/api/v1/lab')).body;
    assert.equal((await t.api('DELETE', `/api/v1/lab/cms/${lab.cms[0].name}/nodes/${lab.cms[0].nodes[0].name}/faults`)).status, 200);
    await card('Simulator faults').getByLabel('0 simulator faults').waitFor({ timeout: 30_000 });
  });

  test("a count's link leads to where it is handled", async () => {
    await page.getByRole('link', { name: 'Open failed jobs' }).click();
    await page.waitForURL(/\/jobs\?state=failed$/);
    await page.getByRole('row', { name: /Provision subscriber alice@example.com.*Failed/ }).waitFor();
  });

  test('no script errors happened in the page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
