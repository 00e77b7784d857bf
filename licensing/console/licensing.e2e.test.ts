import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { signedInBrowser, skipBrowserTests } from '../../test/support/browser.ts';
import { ManualClock, systemClock } from '../../platform/clock.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../../test/support/test-switchboard.ts';
import { startForwardProxy, type ForwardProxy } from '../../test/support/forward-proxy.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import { createCssmSimulator, type CssmSimulator } from '../../lab/cssm/cssm.simulator.ts';
import { seedLabSmartAccount } from '../../lab/cssm/cssm.seed.ts';
import { createUcClusterSimulator, type UcClusterSimulator } from '../../lab/cucm/uc.simulator.ts';
import { createLicensingArea } from '../licensing.area.ts';

// L1–L7 from the console, as a newcomer works: sign in, open Licensing, add the smart account
// (behind an authenticated proxy) and watch its sync, sync again, add the CUCM cluster, assign it to
// a virtual account and watch the job's steps, then delete a smart account after confirming.
// The publisher's own clock is held by the test: it stays "restarting" after the license mode
// change until the test moves that clock, so the running job is seen on the pages deterministically.

describe('Licensing pages in a browser', { skip: skipBrowserTests, timeout: 600_000 }, () => {
  const domain = 'browser-hcs.example.com';
  const publisherClock = new ManualClock(new Date());
  let t: TestSwitchboard;
  let cssm: CssmSimulator;
  let cucm: UcClusterSimulator;
  let proxy: ForwardProxy;
  let browser: Browser;
  let page: Page;
  let satellite = 0;
  const pageErrors: string[] = [];

  before(async () => {
    cssm = createCssmSimulator({ clock: systemClock, clients: [{ clientId: 'ui-client', clientSecret: 'ui-secret', domains: [domain] }] });
    satellite = seedLabSmartAccount(cssm, { domain, name: 'Browser Partner', virtualAccounts: 1285 }).satellite;
    await cssm.start();
    cucm = createUcClusterSimulator({ name: 'cl1-alfa', type: 'CUCM', nodes: 2, clock: publisherClock, cssmUrl: cssm.url, rebootMs: 60_000, users: 20 });
    await cucm.start();
    proxy = await startForwardProxy({ username: 'hcs', password: 'proxy-pw' });
    t = await startTestSwitchboard({ areas: [createLicensingArea({ syncPageSize: 200, publisherPollMs: 300 })] });
    ({ browser, page } = await signedInBrowser(t, { width: 1400, height: 900 }));
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    await cucm?.stop();
    await proxy?.stop();
    await cssm?.stop();
  });

  const nav = (name: string) => page.getByRole('navigation', { name: 'Smart Licensing' }).getByRole('link', { name, exact: true });
  const smartAccounts = () => page.getByRole('table', { name: 'Smart accounts' });

  test('signed in, Home, then Licensing: the empty list says what to do; the form says what is wrong under each field', async () => {
    await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
    await page.getByRole('link', { name: 'Licensing' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Smart Licensing' }).waitFor();
    await page.getByRole('heading', { name: 'No smart account yet' }).waitFor();
    await page.getByRole('button', { name: 'Add smart account' }).click();
    const form = page.getByRole('form', { name: 'Add smart account' });
    await form.getByRole('button', { name: 'Add smart account' }).click();
    await form.getByText("Enter the smart account's domain, such as example.com.").waitFor();
    await form.getByText('Enter the client secret that goes with the client ID.').waitFor();
    // The API's refusal comes back under its field: 0.0.0.0 is no host to reach CSSM at (#13).
    await form.getByLabel('Domain name').fill(domain);
    await form.getByLabel('Client ID').fill('ui-client');
    await form.getByLabel(/^Client secret/).fill('ui-secret');
    await form.getByLabel('CSSM server').fill('https://0.0.0.0/api');
    await form.getByRole('button', { name: 'Add smart account' }).click();
    const cssmField = form.getByLabel('CSSM server');
    await waitFor('the CSSM server field marked invalid', async () => (await cssmField.getAttribute('aria-invalid')) === 'true');
    assert.equal((await t.api('GET', '/api/v1/licensing/smart-accounts')).body.total, 0, 'nothing was stored');
  });

  test('added with an authenticated proxy: the sync shows its progress through the proxy, and the list refreshes when it ends', async () => {
    const form = page.getByRole('form', { name: 'Add smart account' });
    await form.getByLabel('Transport').selectOption('proxy');
    await form.getByLabel('Proxy host').fill(proxy.host);
    await form.getByLabel('Proxy port').fill(String(proxy.port));
    await form.getByLabel('Proxy username (optional)').fill('hcs');
    await form.getByLabel('Proxy password', { exact: true }).fill('proxy-pw');
    await form.getByLabel('Authentication gateway').fill(cssm.tokenUrl);
    await form.getByLabel('CSSM server').fill(cssm.apiBase);
    // Slow pages, so the sync is seen running.
    cssm.setFault({ kind: 'slow', delayMs: 700 }, { includeTokenEndpoint: false });
    await form.getByRole('button', { name: 'Add smart account' }).click();
    await page.getByText('Smart account added').waitFor();
    await form.waitFor({ state: 'detached' });

    // Until the sync has read it from CSSM, the smart account is known by its domain.
    const row = smartAccounts().getByRole('row', { name: /browser-hcs\.example\.com/ });
    await row.getByRole('progressbar', { name: `Sync of ${domain}` }).waitFor({ timeout: 60_000 });
    await row.getByRole('cell', { name: '0', exact: true }).first().waitFor();
    await page.getByRole('heading', { name: 'No virtual accounts yet' }).waitFor();
    cssm.setFault({ kind: 'none' });
    await row.getByRole('link', { name: 'Last sync of Browser Partner: succeeded' }).waitFor({ timeout: 120_000 });
    // No reload: the sync's end refreshed the row and the virtual accounts below it.
    await row.getByRole('cell', { name: String(1285 - satellite), exact: true }).waitFor();
    await page.getByRole('table', { name: 'Virtual accounts' }).waitFor();
    await page.getByLabel('Filter virtual accounts by name').fill('HCS-DEMO');
    await page.getByRole('table', { name: 'Virtual accounts' }).getByRole('link', { name: 'HCS-DEMO', exact: true }).waitFor();
    assert.ok(proxy.requests.length > 0 && proxy.requests.every((r) => r.method === 'CONNECT' && r.allowed), 'CSSM was reached through the proxy, with its credentials');
  });

  test('Sync runs again from the list; the smart account page shows it and the licence usage', async () => {
    const first = (await t.api('GET', '/api/v1/licensing/smart-accounts')).body.items[0].lastSyncJobId;
    await smartAccounts().getByRole('button', { name: 'Sync Browser Partner' }).click();
    await page.getByText('Sync started').waitFor();
    const second = await waitFor('a second sync job', async () => {
      const sa = (await t.api('GET', '/api/v1/licensing/smart-accounts')).body.items[0];
      return sa.lastSyncJobId !== first && sa.lastSyncJobId;
    });
    const link = smartAccounts().getByRole('link', { name: 'Last sync of Browser Partner: succeeded' });
    await waitFor('the row to link the new sync', async () => (await link.getAttribute('href')) === `/licensing/jobs/${second}`, { timeoutMs: 120_000 });
    await smartAccounts().getByRole('link', { name: 'Browser Partner', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Smart account Browser Partner' }).waitFor();
    await page.getByRole('heading', { name: 'License usage' }).waitFor();
  });

  test('the Lab CUCM cluster is added from Clusters, with plain-word messages first', async () => {
    await nav('Clusters').click();
    await page.getByRole('heading', { name: 'No cluster yet' }).waitFor();
    await page.getByRole('button', { name: 'Add UC cluster' }).first().click();
    const form = page.getByRole('form', { name: 'Add UC cluster' });
    await form.getByRole('button', { name: 'Add cluster' }).click();
    await form.getByText('Enter the cluster name, as it should appear in the lists.').waitFor();
    await form.getByText('Enter the version, such as 14.0 (12.5 or later can be assigned).').waitFor();
    await form.getByLabel('Cluster name').fill(cucm.name);
    await form.getByLabel('Version').fill('14.0');
    await form.getByLabel('Publisher address').fill(cucm.publisherUrl);
    await form.getByLabel('Administrator user').fill(cucm.admin.username);
    await form.getByLabel(/^Administrator password/).fill(cucm.admin.password);
    await form.getByLabel('Platform user').fill(cucm.platform.username);
    await form.getByLabel(/^Platform password/).fill(cucm.platform.password);
    await form.getByRole('button', { name: 'Add cluster' }).click();
    await page.getByRole('heading', { level: 1, name: 'Cluster cl1-alfa' }).waitFor();
    await page.getByText('Not registered', { exact: true }).waitFor();
  });

  test('assigned to a virtual account from its page: the job page names the cluster and shows each step as it happens', async () => {
    await page.getByRole('button', { name: 'Assign to virtual account' }).click();
    const form = page.getByRole('form', { name: 'Assign cl1-alfa' });
    await form.getByRole('note').getByText(/restarts the publisher node automatically/).waitFor();
    await form.getByRole('button', { name: 'Assign' }).click();
    await form.getByText('Choose the virtual account whose licences the cluster should use.').waitFor();
    await form.getByLabel('Virtual account').fill('HCS-DEMO');
    await page.getByRole('option', { name: /^HCS-DEMO · no license mode/ }).click();
    await form.getByRole('button', { name: 'Assign' }).click();
    await form.getByText('HCS-DEMO has no license mode yet: choose the one its clusters use.').waitFor();
    await form.getByLabel('License mode of HCS-DEMO').selectOption('HCS');
    await form.getByRole('button', { name: 'Assign' }).click();

    await page.getByRole('heading', { level: 1, name: 'Assignment of Cluster cl1-alfa to HCS-DEMO Started' }).waitFor();
    const details = page.getByRole('region', { name: 'Details' });
    await details.getByRole('link', { name: 'Cluster cl1-alfa' }).waitFor();
    assert.doesNotMatch(await details.innerText(), /Smart Account/);
    const steps = page.getByRole('table', { name: 'Status Information' });
    const step = (name: string) => steps.getByRole('row', { name: new RegExp(`^${name} `) });
    assert.deepEqual(await steps.locator('tbody tr td:first-child').allInnerTexts(), ['Verification', 'License Mode Change', 'Transport Mode Change', 'Registration']);
    // The publisher restarts after the mode change and stays down until its clock moves.
    await step('Verification').getByText('Pass', { exact: true }).waitFor({ timeout: 60_000 });
    await step('License Mode Change').getByText('In Progress', { exact: true }).waitFor({ timeout: 60_000 });
    await step('Registration').getByText('Not Started', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Cancel job' }).waitFor();
  });

  test('the cluster list shows the running job and refreshes when it ends; the job page shows every step passed', async () => {
    await nav('Clusters').click();
    const row = page.getByRole('table', { name: 'Clusters' }).getByRole('row', { name: /cl1-alfa/ });
    await row.getByText('In progress', { exact: true }).waitFor();
    await row.getByText('Not registered', { exact: true }).waitFor();
    publisherClock.advance(61_000);
    await row.getByText('Succeeded', { exact: true }).waitFor({ timeout: 120_000 });
    await row.getByText('Registered', { exact: true }).waitFor();
    await row.getByRole('link', { name: 'HCS-DEMO', exact: true }).waitFor();
    await row.getByRole('link', { name: 'Latest job of cl1-alfa' }).click();
    const steps = page.getByRole('table', { name: 'Status Information' });
    const step = (name: string) => steps.getByRole('row', { name: new RegExp(`^${name} `) });
    for (const name of ['Verification', 'License Mode Change', 'Registration']) await step(name).getByText('Pass', { exact: true }).waitFor();
    await step('Transport Mode Change').getByText(/^(Pass|Not Applicable)$/).waitFor();
    await page.getByRole('heading', { level: 1, name: 'Assignment of Cluster cl1-alfa to HCS-DEMO completed' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Cancel job' }).count(), 0, 'a finished job cannot be cancelled');
    assert.equal(cucm.state.deploymentMode, 'HCS');
    assert.equal(cucm.state.registration.virtualAccount, 'HCS-DEMO');
  });

  test('the virtual account page lists its cluster, locks its license mode, and its Assign form says when nothing can be chosen', async () => {
    await page.getByRole('region', { name: 'Details' }).getByRole('link', { name: 'Cluster cl1-alfa' }).click();
    await page.getByRole('heading', { level: 1, name: 'Cluster cl1-alfa' }).waitFor();
    await page.getByText('Registered', { exact: true }).waitFor();
    await page.getByRole('link', { name: 'HCS-DEMO', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Virtual account HCS-DEMO' }).waitFor();
    await page.getByRole('table', { name: 'Clusters assigned to HCS-DEMO' }).getByRole('link', { name: 'cl1-alfa', exact: true }).waitFor();
    assert.equal(await page.getByLabel('License mode').isDisabled(), true, 'locked while a cluster is assigned');
    await page.getByRole('button', { name: 'Assign clusters' }).click();
    const form = page.getByRole('form', { name: 'Assign clusters to HCS-DEMO' });
    await form.getByText(/Every cluster is assigned already/).waitFor();
    await form.getByRole('button', { name: 'Assign', exact: true }).click();
    await form.getByText('Choose at least one cluster to assign.').waitFor();
    await form.getByRole('button', { name: 'Cancel' }).click();
    await form.waitFor({ state: 'detached' });
  });

  test('Delete asks first; cancelled it keeps the smart account, confirmed it goes; one with an assigned cluster is refused with the reason', async () => {
    const other = await t.api('POST', '/api/v1/licensing/smart-accounts', { domain: 'delete-me.example.com', name: 'Delete Me', clientId: 'x', clientSecret: 'y', authGatewayUrl: 'http://127.0.0.1:9/as/token.oauth2', cssmServerUrl: 'http://127.0.0.1:9/api' });
    assert.equal(other.status, 201, JSON.stringify(other.body));
    await nav('Smart accounts').click();
    await smartAccounts().getByRole('button', { name: 'Delete Delete Me' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete smart account Delete Me?' });
    await dialog.getByText(/CSSM is not changed/).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal((await t.api('GET', `/api/v1/licensing/smart-accounts/${other.body.smartAccount.id}`)).status, 200, 'cancelled: kept');

    await smartAccounts().getByRole('button', { name: 'Delete Delete Me' }).click();
    await dialog.getByRole('button', { name: 'Delete smart account' }).click();
    await page.getByText('Smart account deleted').waitFor();
    await smartAccounts().getByRole('link', { name: 'Delete Me', exact: true }).waitFor({ state: 'detached' });
    assert.equal((await t.api('GET', `/api/v1/licensing/smart-accounts/${other.body.smartAccount.id}`)).status, 404);

    await smartAccounts().getByRole('button', { name: 'Delete Browser Partner' }).click();
    await page.getByRole('dialog', { name: 'Delete smart account Browser Partner?' }).getByRole('button', { name: 'Delete smart account' }).click();
    await page.getByText(/still has 1 assigned cluster/).waitFor();
    assert.equal((await t.api('GET', '/api/v1/licensing/smart-accounts')).body.total, 1);
    assert.deepEqual(pageErrors, [], 'no script errors on the pages');
  });
});
