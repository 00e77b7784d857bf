import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { signedInBrowser, skipBrowserTests as skip } from '../../test/support/browser.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../../test/support/test-switchboard.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import { getLab, labArea } from '../../lab/lab.area.ts';
import { meetingsArea } from '../meetings.area.ts';

// #16 part 2 from the console: the TMS import page against the Lab TMS — the dry-run report, then
// the import job with its progress and outcome, the bookings then in Switchboard.
describe('TMS import page in a browser', { skip }, () => {
  let t: TestSwitchboard;
  let browser: Browser;
  let page: Page;

  before(async () => {
    t = await startTestSwitchboard({ areas: [labArea, meetingsArea], config: { lab: 'true', jobPollSeconds: 0.5 } });
    await waitFor('the Lab bridges with ready pools', async () => {
      const page = (await t.api('GET', '/api/v1/meetings/bridges')).body;
      return page.total === 2 && page.items.every((b: any) => b.poolState === 'ready');
    }, { timeoutMs: 120_000, intervalMs: 250 });
    ({ browser, page } = await signedInBrowser(t, { width: 1400, height: 900 }));
    await page.getByRole('link', { name: 'Meetings' }).first().waitFor();
    await page.goto(`${t.url}/meetings/tms-import`);
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  test('the dry run shows how systems map and what each booking would become, then Import books them with progress', async () => {
    const tms = getLab(t.sb.services)!.tms!;
    await page.getByLabel('TMS address').fill(tms.url);
    await page.getByLabel(/^User/).fill('tms-admin');
    await page.getByLabel(/^Password/).fill('tms-password');
    await page.getByRole('button', { name: 'Dry run' }).click();

    const systems = page.getByRole('table', { name: 'Systems' });
    const codian = systems.getByRole('row', { name: /Codian MCU 4510/ });
    await codian.getByText('Unmappable').waitFor({ timeout: 60_000 });
    assert.match((await codian.textContent()) ?? '', /No bridge has the address 10\.47\.0\.99/);
    assert.match((await systems.getByRole('row', { name: /Oslo Room Kit/ }).textContent()) ?? '', /Dial-out oslo\.room@lab\.local/);
    const bookings = page.getByRole('table', { name: 'Bookings' });
    assert.match((await bookings.getByRole('row', { name: /Sales kickoff/ }).textContent()) ?? '', /skipped.*Defective on TMS/);
    assert.match((await bookings.getByRole('row', { name: /Weekly ops review/ }).textContent()) ?? '', /create.*\(series\)/);
    assert.equal((await t.api('GET', '/api/v1/meetings/bookings')).body.total, 0, 'the dry run books nothing');

    await page.getByRole('button', { name: 'Import' }).click();
    await page.getByLabel('Import outcome').waitFor({ timeout: 120_000 });
    assert.match((await page.getByLabel('Import outcome').textContent()) ?? '', /2 created/);
    const booked = (await t.api('GET', '/api/v1/meetings/bookings?limit=100')).body;
    assert.deepEqual(booked.items.map((b: any) => b.title).sort(), ['Board meeting', 'Weekly ops review']);
  });
});
