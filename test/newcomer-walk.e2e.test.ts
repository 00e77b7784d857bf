import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { signedInBrowser, skipBrowserTests } from './support/browser.ts';
import { startTestSwitchboard, type TestSwitchboard } from './support/test-switchboard.ts';
import { labArea } from '../lab/lab.area.ts';
import { createMeetingsArea } from '../meetings/meetings.area.ts';
import { licensingArea } from '../licensing/licensing.area.ts';
import { partnerArea } from '../partner/partner.area.ts';

// The newcomer's first minute (#15), across the areas and kept short: sign in as the admin, land on
// Home, see a count per area with its link, and follow each link to a page that loads. What each
// page does is its area's own browser test.

const cards: Array<{ title: string; path: RegExp }> = [
  { title: 'Open bridge tickets', path: /^\/meetings/ },
  { title: 'Subscribers in error', path: /^\/partner/ },
  { title: 'Smart-account alerts', path: /^\/licensing/ },
  { title: 'Simulator faults', path: /^\/lab/ },
  { title: 'Failed jobs', path: /^\/jobs/ },
];

describe('a newcomer walks the console', { skip: skipBrowserTests, timeout: 300_000 }, () => {
  let t: TestSwitchboard;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    t = await startTestSwitchboard({ areas: [labArea, createMeetingsArea({ scheduler: false }), licensingArea, partnerArea], config: { lab: 'true' } as never });
    ({ browser, page } = await signedInBrowser(t, { width: 1400, height: 900 }));
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });
  after(async () => {
    await browser?.close().catch(() => undefined);
    await t?.close();
  });

  test('signing in lands on Home, with a count and a link for every area', async () => {
    await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/');
    for (const { title } of cards) {
      const card = page.getByRole('region', { name: title, exact: true });
      const count = card.locator('.attention-count');
      await count.waitFor();
      assert.match(await count.innerText(), /^\d+$/, `${title} shows a count`);
      await card.getByRole('link', { name: `Open ${title.toLowerCase()}` }).waitFor();
    }
  });

  for (const { title, path } of cards) {
    test(`"${title}" leads to its page`, async () => {
      await page.getByRole('navigation').getByRole('link', { name: 'Home', exact: true }).first().click();
      await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
      await page.getByRole('region', { name: title, exact: true }).getByRole('link', { name: `Open ${title.toLowerCase()}` }).click();
      await page.waitForURL((url) => path.test(url.pathname));
      const heading = page.getByRole('heading', { level: 1 }).first();
      await heading.waitFor();
      assert.notEqual(await heading.innerText(), 'Page not found');
      assert.equal(await page.getByRole('alert').filter({ hasText: /failed|went wrong|not allowed/i }).count(), 0, `${title}: the page loaded without an error`);
    });
  }

  test('no script errors on the way', () => {
    assert.deepEqual(pageErrors, []);
  });
});
