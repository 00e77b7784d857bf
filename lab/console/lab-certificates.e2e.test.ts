import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { signedInBrowser, skipBrowserTests as skip } from '../../test/support/browser.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../../test/support/test-switchboard.ts';
import { labArea } from '../lab.area.ts';
import { licensingArea } from '../../licensing/licensing.area.ts';

// Issue #14 on the Lab page: the certificate renew buttons are there for whoever may break the Lab,
// and say why they cannot act when the simulator serves plain HTTP (the embedded Lab's clusters do).
// Renewing an HTTPS simulator's certificate is tested through the API in meetings/ and licensing/.
describe('Lab page: certificate renew buttons', { skip }, () => {
  let t: TestSwitchboard;
  let browser: Browser;
  let page: Page;

  before(async () => {
    t = await startTestSwitchboard({ areas: [labArea, licensingArea], config: { lab: 'true' } });
    ({ browser, page } = await signedInBrowser(t, { width: 1400, height: 900 }));
    await page.getByRole('link', { name: 'Lab' }).click();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  test('CMS: a plain-HTTP call bridge shows no certificate and its Renew certificate button is disabled', async () => {
    const row = page.getByRole('table', { name: /Call bridges of / }).first().getByRole('row', { name: /plain HTTP: no certificate to renew/ }).first();
    await row.waitFor();
    assert.equal(await row.getByRole('button', { name: 'Renew certificate' }).isDisabled(), true);
  });

  test('UC: a plain-HTTP publisher\'s Renew publisher certificate is disabled, saying why', async () => {
    await page.getByRole('tab', { name: 'CUCM / Unity Connection', exact: true }).click();
    const section = page.getByRole('region', { name: /cl1-alfa/ });
    await section.getByText('The publisher serves plain HTTP: it has no certificate to renew.').waitFor();
    assert.equal(await section.getByRole('button', { name: 'Renew publisher certificate' }).isDisabled(), true);
  });
});
