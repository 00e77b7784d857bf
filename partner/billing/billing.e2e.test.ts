import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { signedInBrowser } from '../../test/support/browser.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../../test/support/test-switchboard.ts';
import { partnerArea } from '../partner.area.ts';
import { insertHistoryRows } from './billing.repository.ts';

// P16 in the console: create a month's report, watch it complete, read the totals by package and
// customer, filter the records, delete it.
const skip = process.env.DATABASE_URL ? 'browser tests run once, on the embedded database (DATABASE_URL is set)' : false;

describe('Billing page in a browser', { skip }, () => {
  let t: TestSwitchboard;
  let browser: Browser;
  let page: Page;

  before(async () => {
    t = await startTestSwitchboard({ areas: [partnerArea], config: { jobPollSeconds: 0.5 } });
    const rows: Parameters<typeof insertHistoryRows>[1] = [];
    const subscriber = (n: number, userId: string, spEnterpriseId: string, pkg: string, provisioned: string, change?: [string, string]) => {
      const id = `cccccccc-0000-4000-8000-${String(n).padStart(12, '0')}`;
      const base = { subscriberId: id, userId, spEnterpriseId, package: pkg, selfActivated: false, previous: null };
      rows.push({ ...base, at: new Date(provisioned), change: 'created', status: 'provisioning' }, { ...base, at: new Date(provisioned), change: 'status', status: 'provisioned' });
      if (change) rows.push({ ...base, at: new Date(change[0]), change: 'package', status: 'provisioned', package: change[1], previous: pkg });
    };
    subscriber(1, 'ann@acme', 'SP+acme', 'basic', '2021-01-01T00:00:00Z');
    subscriber(2, 'bob@acme', 'SP+acme', 'basic', '2021-01-01T00:00:00Z', ['2021-05-17T12:00:00Z', 'premium']);
    subscriber(3, 'cy@globex', 'SP+globex', 'standard', '2021-05-21T09:00:00Z');
    await insertHistoryRows(t.sb.services.database.db, rows);
    ({ browser, page } = await signedInBrowser(t, { width: 1400, height: 900 }));
    await page.getByRole('link', { name: 'Billing' }).click();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  test('create a report, see it complete with totals by package and customer, filter its records', async () => {
    // exact: the empty list's title, "No billing reports yet.", is a heading that contains the page's.
    await page.getByRole('heading', { name: 'Billing reports', exact: true }).waitFor();
    await page.getByLabel('Billing month').fill('2021-05');
    await page.getByRole('button', { name: 'Create report' }).click();
    const row = page.getByRole('table', { name: 'Billing reports' }).getByRole('row', { name: /2021-05/ });
    await row.getByRole('cell', { name: 'COMPLETED', exact: true }).waitFor({ timeout: 60_000 });
    assert.equal(await row.getByRole('cell', { name: '4', exact: true }).count(), 1);
    await row.getByRole('button', { name: 'Show 2021-05' }).click();

    // May has 31 days: bob is basic 16 days (0.5161) then premium 15 (0.4839); cy standard from the 21st (11 days, 0.3548).
    const byPackage = page.getByRole('table', { name: 'Totals by package' });
    await byPackage.getByRole('row', { name: /basic/ }).waitFor();
    assert.deepEqual(await byPackage.getByRole('row', { name: /basic/ }).getByRole('cell').allInnerTexts(), ['basic', '2', '1.5161']);
    assert.deepEqual(await byPackage.getByRole('row', { name: /premium/ }).getByRole('cell').allInnerTexts(), ['premium', '1', '0.4839']);
    assert.deepEqual(await byPackage.getByRole('row', { name: /standard/ }).getByRole('cell').allInnerTexts(), ['standard', '1', '0.3548']);
    const byCustomer = page.getByRole('table', { name: 'Totals by customer' });
    assert.deepEqual(await byCustomer.getByRole('row', { name: /SP\+acme/ }).getByRole('cell').allInnerTexts(), ['SP+acme', '3', '2.0000', '', '1.5161', '', '0.4839']);

    const records = page.getByRole('table', { name: 'Billing records 2021-05' });
    await records.getByRole('cell', { name: 'cy@globex', exact: true }).waitFor();
    assert.equal(await records.getByRole('row').count(), 5);
    await page.getByRole('combobox', { name: 'Customer' }).selectOption('SP+acme');
    await records.getByRole('cell', { name: 'cy@globex', exact: true }).waitFor({ state: 'detached' });
    await records.getByRole('cell', { name: 'ann@acme', exact: true }).waitFor();
    assert.equal(await records.getByRole('row').count(), 4);
    await page.getByRole('combobox', { name: 'Package' }).selectOption('premium');
    await records.getByRole('cell', { name: 'ann@acme', exact: true }).waitFor({ state: 'detached' });
    await records.getByRole('cell', { name: 'bob@acme', exact: true }).waitFor();
    assert.deepEqual(await records.getByRole('row', { name: /bob@acme/ }).getByRole('cell').allInnerTexts(), ['SP+acme', '', 'no', 'bob@acme', 'no', '2021-01-01', '2021-05-17', '2021-05-31', 'premium', '0.4839']);
    await page.getByRole('combobox', { name: 'Package' }).selectOption('');
    await page.getByRole('combobox', { name: 'Customer' }).selectOption('');
    await page.getByRole('searchbox', { name: 'User ID' }).fill('ann');
    await records.getByRole('cell', { name: 'bob@acme', exact: true }).waitFor({ state: 'detached' });
    await records.getByRole('cell', { name: 'ann@acme', exact: true }).waitFor();
    assert.deepEqual(await records.getByRole('row', { name: /ann@acme/ }).getByRole('cell').allInnerTexts(), ['SP+acme', '', 'no', 'ann@acme', 'no', '2021-01-01', '2021-05-01', '2021-05-31', 'basic', '1']);

    // The CSV link works from the page.
    const href = await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href');
    const csv = await (await fetch(href!)).text();
    assert.equal(csv.split('\r\n').filter(Boolean).length, 5);
  });

  test('creating the same month again shows the 409; deleting frees it', async () => {
    await page.getByLabel('Billing month').fill('2021-05');
    await page.getByRole('button', { name: 'Create report' }).click();
    await page.getByText(/already exists.*Delete it first/).waitFor();
    await page.getByRole('button', { name: 'Delete 2021-05' }).click();
    await page.getByRole('dialog', { name: 'Delete the billing report of 2021-05?' }).getByRole('button', { name: 'Delete report' }).click();
    await page.getByText('No billing reports yet.').waitFor();
  });
});
