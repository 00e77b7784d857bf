import { chromium, type Browser, type Page } from 'playwright-core';
import type { TestSwitchboard } from './test-switchboard.ts';

/** Browser tests run once, on the embedded database: the reason to skip them when DATABASE_URL is set. */
export const skipBrowserTests = process.env.DATABASE_URL ? 'browser tests run once, on the embedded database (DATABASE_URL is set)' : false;

/** Headless Chromium signed in to the console as the test admin (flags keep it off the network). */
export async function signedInBrowser(t: TestSwitchboard, viewport = { width: 1280, height: 800 }): Promise<{ browser: Browser; page: Page }> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport });
  await page.goto(`${t.url}/login`);
  await page.getByLabel('Username').fill(t.admin.username);
  await page.getByLabel('Password').fill(t.admin.password);
  await page.getByRole('button', { name: /sign in/i }).click();
  return { browser, page };
}
