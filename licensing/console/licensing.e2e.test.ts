import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { signedInBrowser } from '../../test/support/browser.ts';
import { systemClock } from '../../platform/clock.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../../test/support/test-switchboard.ts';
import { startForwardProxy, type ForwardProxy } from '../../test/support/forward-proxy.ts';
import { createCssmSimulator, type CssmSimulator } from '../../lab/cssm/cssm.simulator.ts';
import { seedLabSmartAccount } from '../../lab/cssm/cssm.seed.ts';
import { createUcClusterSimulator, type UcClusterSimulator } from '../../lab/cucm/uc.simulator.ts';
import { createLicensingArea } from '../licensing.area.ts';

// L1–L7 from the console, as an HCM-F administrator works: configure the smart account with a
// proxy transport, watch the sync, read the summaries, assign a cluster (with the publisher restart
// warning) and follow the job's steps.
const skip = process.env.DATABASE_URL ? 'browser tests run once, on the embedded database (DATABASE_URL is set)' : false;

describe('Licensing pages in a browser', { skip, timeout: 600_000 }, () => {
  const domain = 'browser-hcs.example.com';
  let t: TestSwitchboard;
  let cssm: CssmSimulator;
  let cucm: UcClusterSimulator;
  let proxy: ForwardProxy;
  let browser: Browser;
  let page: Page;
  let satellite = 0;

  before(async () => {
    cssm = createCssmSimulator({ clock: systemClock, clients: [{ clientId: 'ui-client', clientSecret: 'ui-secret', domains: [domain] }] });
    satellite = seedLabSmartAccount(cssm, { domain, name: 'Browser Partner', virtualAccounts: 1285 }).satellite;
    await cssm.start();
    cucm = createUcClusterSimulator({ name: 'cl1-alfa', type: 'CUCM', nodes: 2, clock: systemClock, cssmUrl: cssm.url, rebootMs: 1500, users: 20 });
    await cucm.start();
    proxy = await startForwardProxy({ username: 'hcs', password: 'proxy-pw' });
    t = await startTestSwitchboard({ areas: [createLicensingArea({ syncPageSize: 200, publisherPollMs: 500 })] });
    // The cluster inventory (L4) is set up through the API; its page is not what this test is about.
    const cluster = await t.api('POST', '/api/v1/licensing/clusters', { name: cucm.name, type: 'CUCM', version: '14.0', publisherUrl: cucm.publisherUrl, adminUsername: cucm.admin.username, adminPassword: cucm.admin.password, platformUsername: cucm.platform.username, platformPassword: cucm.platform.password });
    assert.equal(cluster.status, 201, JSON.stringify(cluster.body));
    ({ browser, page } = await signedInBrowser(t, { width: 1400, height: 900 }));
    await page.getByRole('link', { name: 'Licensing' }).click();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    await cucm?.stop();
    await proxy?.stop();
    await cssm?.stop();
  });

  test('Configure Smart Account with an authenticated proxy; the sync shows its progress and goes through the proxy', async () => {
    await page.getByRole('heading', { name: 'Smart Account Summary' }).waitFor();
    await page.getByText('No smart account yet.').waitFor();
    await page.getByRole('navigation', { name: 'Smart Licensing' }).getByRole('link', { name: 'Configure Smart Account' }).click();
    const form = page.getByRole('form', { name: 'Configure smart account' });
    await form.getByLabel('* Domain Name').fill(domain);
    await form.getByLabel('* Client ID').fill('ui-client');
    await form.getByLabel('* Client Secret').fill('ui-secret');
    await form.getByLabel('Transport Mode').selectOption('proxy');
    await form.getByLabel('Proxy Hostname/IP').fill(proxy.host);
    await form.getByLabel('Proxy Port').fill(String(proxy.port));
    await form.getByLabel('Proxy Username (optional)').fill('hcs');
    await form.getByLabel('Proxy Password').fill('proxy-pw');
    await form.getByLabel('Authentication Gateway').fill(cssm.tokenUrl);
    await form.getByLabel('CSSM Server').fill(cssm.apiBase);
    // Slow pages, so the sync is seen running.
    cssm.setFault({ kind: 'slow', delayMs: 700 }, { includeTokenEndpoint: false });
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').getByText(/Configured\./).waitFor();
    await page.getByRole('status').getByRole('link', { name: 'Smart Account Summary' }).click();

    const progress = page.getByRole('progressbar', { name: `Sync of ${domain}` });
    await progress.waitFor({ timeout: 60_000 });
    cssm.setFault({ kind: 'none' });
    const row = page.getByRole('table', { name: 'Smart accounts' }).getByRole('row', { name: /browser-hcs\.example\.com/ });
    await row.getByRole('link', { name: 'Succeeded', exact: true }).waitFor({ timeout: 120_000 });
    await row.getByRole('cell', { name: String(1285 - satellite), exact: true }).waitFor();
    await row.getByRole('cell', { name: 'Browser Partner', exact: true }).waitFor();
    assert.ok(proxy.requests.length > 0 && proxy.requests.every((r) => r.method === 'CONNECT' && r.allowed), 'CSSM was reached through the proxy, with its credentials');
  });

  test('Virtual Account Summary filters by name; Assign warns about the publisher restart and starts the job', async () => {
    await page.getByRole('navigation', { name: 'Smart Licensing' }).getByRole('link', { name: 'Virtual Account Summary' }).click();
    const table = page.getByRole('table', { name: 'Virtual accounts' });
    await table.getByRole('row').nth(1).waitFor();
    await page.getByLabel('Filter virtual accounts by name').fill('HCS-DEMO');
    await page.getByText(/^1 of 1 items shown$/).waitFor();
    await table.getByRole('link', { name: 'HCS-DEMO', exact: true }).click();
    await page.getByRole('heading', { name: 'Edit Virtual Account - HCS-DEMO' }).waitFor();
    const assign = page.getByRole('button', { name: 'Assign', exact: true });
    assert.equal(await assign.isDisabled(), true, 'no license mode yet: Assign is disabled');
    await page.getByLabel('License Mode').selectOption('HCS');
    await assign.and(page.locator(':enabled')).waitFor();
    await assign.click();
    const dialog = page.getByRole('dialog', { name: 'Assign Clusters to HCS-DEMO' });
    await dialog.getByRole('note').getByText(/restarts its publisher node automatically/).waitFor();
    await dialog.getByLabel('Select cl1-alfa').check();
    await dialog.getByRole('button', { name: 'Assign', exact: true }).click();
    const started = page.getByRole('status');
    await started.getByRole('link', { name: 'Assignment of Cluster cl1-alfa to HCS-DEMO Started' }).waitFor();
    await started.getByText(/may restart the publisher node automatically/).waitFor();
  });

  test('Jobs lists the assignment; its details show the four steps reaching Pass', async () => {
    await page.getByRole('navigation', { name: 'Smart Licensing' }).getByRole('link', { name: 'Jobs' }).click();
    const jobs = page.getByRole('table', { name: 'Licensing jobs' });
    await jobs.getByRole('link', { name: /Assignment of Cluster cl1-alfa to HCS-DEMO/ }).click();
    await page.getByRole('heading', { name: 'Job Details' }).waitFor();
    const steps = page.getByRole('table', { name: 'Status Information' });
    const step = (name: string) => steps.getByRole('row', { name: new RegExp(`^${name} `) });
    for (const name of ['Verification', 'License Mode Change', 'Registration']) await step(name).getByRole('cell', { name: 'Pass', exact: true }).waitFor({ timeout: 120_000 });
    await step('Transport Mode Change').getByRole('cell', { name: 'Pass', exact: true }).waitFor();
    await page.getByText(/^SUCCEEDED \(100%\)/).waitFor();
    assert.equal(cucm.state.deploymentMode, 'HCS');
    assert.equal(cucm.state.registration.virtualAccount, 'HCS-DEMO');
  });

  test('Cluster Summary shows the cluster registered to its VA, linking to the job', async () => {
    await page.getByRole('navigation', { name: 'Smart Licensing' }).getByRole('link', { name: 'Cluster Summary' }).click();
    const row = page.getByRole('table', { name: 'Clusters' }).getByRole('row', { name: /cl1-alfa/ });
    await row.getByRole('cell', { name: 'MANUALLY_REGISTERED', exact: true }).waitFor();
    await row.getByRole('cell', { name: 'CUCM', exact: true }).waitFor();
    await row.getByRole('link', { name: 'HCS-DEMO', exact: true }).waitFor();
    await row.getByRole('link', { name: 'SUCCEEDED', exact: true }).click();
    await page.getByRole('heading', { name: 'Job Details' }).waitFor();
  });

  test('Delete on the Smart Account Summary asks first; confirmed, the smart account goes; one with assigned clusters is refused with the reason', async () => {
    const other = await t.api('POST', '/api/v1/licensing/smart-accounts', { domain: 'delete-me.example.com', name: 'Delete Me', clientId: 'x', clientSecret: 'y', authGatewayUrl: 'http://127.0.0.1:9/as/token.oauth2', cssmServerUrl: 'http://127.0.0.1:9/api' });
    assert.equal(other.status, 201, JSON.stringify(other.body));
    await page.getByRole('navigation', { name: 'Smart Licensing' }).getByRole('link', { name: 'Smart Account Summary' }).click();
    const table = page.getByRole('table', { name: 'Smart accounts' });
    const row = table.getByRole('row').filter({ hasText: 'delete-me.example.com' });
    let asked = '';
    page.once('dialog', (dialog) => {
      asked = dialog.message();
      void dialog.dismiss();
    });
    await row.getByRole('button', { name: 'Delete' }).click();
    await waitUntil(() => asked !== '');
    assert.match(asked, /Delete Smart Account Delete Me \(delete-me\.example\.com\)\?/);
    assert.match(asked, /CSSM is not changed/);
    assert.equal((await t.api('GET', `/api/v1/licensing/smart-accounts/${other.body.smartAccount.id}`)).status, 200, 'dismissed: kept');
    page.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: 'Delete' }).click();
    await row.waitFor({ state: 'detached' });
    assert.equal((await t.api('GET', `/api/v1/licensing/smart-accounts/${other.body.smartAccount.id}`)).status, 404);

    page.once('dialog', (dialog) => void dialog.accept());
    await table.getByRole('row').filter({ hasText: domain }).getByRole('button', { name: 'Delete' }).click();
    await page.getByText(/still has 1 assigned cluster/).waitFor();
  });
});

async function waitUntil(condition: () => boolean) {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
}
