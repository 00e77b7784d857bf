import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestSwitchboard, type TestSwitchboard } from '../../test/support/test-switchboard.ts';
import { partnerArea } from '../partner.area.ts';
import { createClusterAndTemplate, subscriberBody, waitFor, waitForStatus } from '../partner.testkit.ts';
import { insertHistoryRows } from '../billing/billing.repository.ts';

// The Partner console in a browser: templates created and edited (P3), the user status view with
// retry, package change and CSV export (P9), the restricted-by-partner banner of a customer admin (P14).
const skip = process.env.DATABASE_URL ? 'browser tests run once, on the embedded database (DATABASE_URL is set)' : false;

describe('Partner page in a browser', { skip }, () => {
  let t: TestSwitchboard;
  let browser: Browser;
  let page: Page;
  let template: any;
  let orgId: string;
  let good: any;
  let broken: any;
  const signIn = async (p: Page, username: string, password: string) => {
    await p.goto(`${t.url}/login`);
    await p.getByLabel('Username').fill(username);
    await p.getByLabel('Password').fill(password);
    await p.getByRole('button', { name: /sign in/i }).click();
    await p.getByRole('link', { name: 'Partner' }).click();
  };

  before(async () => {
    t = await startTestSwitchboard({ areas: [partnerArea], config: { jobPollSeconds: 0.5 } });
    template = (await createClusterAndTemplate(t, { name: 'e2e' })).template;
    // One provisioned user, and one in error: its email belongs to a free user of another org.
    const other = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(template.provisioningId, { spEnterpriseId: 'SP1+e2e-other', email: 'taken@e2e.example' }));
    await waitForStatus(t, other.body.id, ['provisioned']);
    await t.api('DELETE', `/v1/broadworks/subscribers/${other.body.id}`);
    const first = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(template.provisioningId, { spEnterpriseId: 'SP1+e2e', userId: 'good@e2e.bw' }));
    good = await waitForStatus(t, first.body.id, ['provisioned']);
    const second = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(template.provisioningId, { spEnterpriseId: 'SP1+e2e', userId: 'broken@e2e.bw', email: 'taken@e2e.example' }));
    broken = await waitForStatus(t, second.body.id, ['error']);
    orgId = (await t.api('GET', '/api/v1/partner/customers')).body.items.find((c: any) => c.spEnterpriseId === 'SP1+e2e').id;

    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    await signIn(page, t.admin.username, t.admin.password);
    await page.getByRole('heading', { name: 'Customer templates' }).waitFor();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  test('a template is created, then edited (a blank password keeps the stored one)', async () => {
    await page.getByRole('button', { name: 'New template' }).click();
    const form = page.getByRole('form', { name: 'New customer template' });
    await form.getByLabel('Template name').fill('Browser template');
    await form.getByLabel('Provisioning account name').fill('browser-prov');
    await form.getByLabel('Provisioning password').fill('browser-secret');
    await form.getByLabel('Partner admin email').fill('pa@browser.example');
    await form.getByLabel('Provision Admin First').check();
    await form.getByRole('button', { name: 'Save template' }).click();
    await page.getByRole('cell', { name: 'Browser template', exact: true }).waitFor();
    const created = (await t.api('GET', '/api/v1/partner/templates')).body.items.find((x: any) => x.name === 'Browser template');
    assert.equal(created.provisionAdminFirst, true);
    assert.equal(created.provisioningAccount, 'browser-prov');

    await page.getByRole('row', { name: /Browser template/ }).getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('form', { name: 'Edit template Browser template' });
    await edit.getByLabel('Trusted emails').uncheck();
    await edit.getByLabel('Default package').selectOption('premium');
    await edit.getByRole('button', { name: 'Save template' }).click();
    await page.getByRole('row', { name: /Browser template/ }).getByRole('cell', { name: 'untrusted', exact: true }).waitFor();
    const edited = (await t.api('GET', `/api/v1/partner/templates/${created.id}`)).body;
    assert.equal(edited.defaultPackage, 'premium');
    assert.equal(edited.trustedEmails, false);
    const audit = (await t.api('GET', `/api/v1/audit?action=partner.template.update&entityId=${created.id}`)).body.items[0];
    assert.equal(audit.after.provisioningPasswordChanged, false);
  });

  test('user status view: retry onboarding with a new email, change package, export CSV', async () => {
    await page.getByRole('row', { name: /e2e-template/ }).getByRole('button', { name: 'User status' }).click();
    const row = page.getByRole('row', { name: /broken@e2e\.bw/ });
    await row.getByRole('cell', { name: 'error', exact: true }).waitFor();
    page.once('dialog', (dialog) => void dialog.accept('fixed@e2e.example'));
    await row.getByRole('button', { name: 'Retry onboarding' }).click();
    await row.getByRole('cell', { name: 'provisioned', exact: true }).waitFor();
    assert.equal((await waitForStatus(t, broken.id, ['provisioned'])).email, 'fixed@e2e.example');

    await page.getByLabel('Package of good@e2e.bw').selectOption('premium');
    // Applied asynchronously (updating → provisioned), as Webex does.
    await waitFor('the package change', async () => {
      const sub = (await t.api('GET', `/v1/broadworks/subscribers/${good.id}`)).body;
      return sub.status === 'provisioned' && sub.package === 'premium';
    });
    await waitFor('the console to show it', async () => (await page.getByLabel('Package of good@e2e.bw').inputValue()) === 'premium');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]);
    const csv = await fs.readFile((await download.path())!, 'utf8');
    assert.match(csv.split('\r\n')[0]!, /^userId,firstName,lastName,email/);
    assert.match(csv, /good@e2e\.bw/);
    assert.match(csv, /broken@e2e\.bw,.*fixed@e2e\.example/);
  });

  test('a customer admin of a restricted org sees the banner and read-only controls; unrestricted, they go', async () => {
    const made = await t.api('POST', '/api/v1/users', { username: 'org.admin', role: 'customer_admin', password: 'customer-admin-password', customerOrgId: orgId });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const customer = await context.newPage();
    await signIn(customer, 'org.admin', 'customer-admin-password');
    const banner = customer.getByRole('status', { name: 'Restricted by partner' });
    await banner.waitFor();
    assert.match(await banner.innerText(), /you may not be able to update some/);
    assert.equal(await customer.getByLabel('Company name').isDisabled(), true);
    assert.equal(await customer.getByRole('button', { name: 'Add user' }).isDisabled(), true);
    assert.equal(await customer.getByLabel('PSTN connection').count(), 0, 'hidden while restricted');
    assert.equal(await customer.getByLabel('Webex Assistant').isDisabled(), false, 'not a restricted control');

    // The partner turns the mode off from its console.
    await page.getByRole('row', { name: /SP1\+e2e\b(?!-)/ }).getByRole('button', { name: 'Settings' }).click();
    const toggle = page.getByLabel('Restricted by partner mode');
    await toggle.click();
    await waitFor('the toggle to follow the server', async () => !(await toggle.isChecked()));
    await customer.reload();
    await customer.getByRole('heading', { name: 'Organisation settings' }).waitFor();
    await customer.getByRole('button', { name: 'Add user', disabled: false }).waitFor();
    assert.equal(await customer.getByRole('status', { name: 'Restricted by partner' }).count(), 0);
    assert.equal((await t.api('GET', `/api/v1/partner/customers/${orgId}/settings`)).body.restrictedByPartner, false);
    await customer.getByLabel('Email').fill('new.user@e2e.example');
    await customer.getByRole('button', { name: 'Add user' }).click();
    await customer.getByRole('row', { name: /new\.user@e2e\.example/ }).waitFor();
    await context.close();
  });

  test('P15: users per package over time — no snapshot yet, then the chart and its table, by interval', async () => {
    await page.getByText('No snapshots yet: the first is taken shortly after midnight UTC.').waitFor();
    // Three premium users provisioned ten days ago (history as the partner service records it).
    const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000);
    const rows = [1, 2, 3].flatMap((k) => {
      const state = { subscriberId: `bbbbbbbb-0000-4000-8000-00000000000${k}`, userId: `trend${k}@e2e.bw`, spEnterpriseId: 'SP1+e2e-trend', package: 'premium', selfActivated: false, previous: null };
      return [
        { ...state, at: day(10), change: 'created', status: 'provisioning' },
        { ...state, at: day(10), change: 'status', status: 'provisioned' },
      ];
    });
    await insertHistoryRows(t.sb.services.database.db, rows);
    const started = await t.api('POST', '/api/v1/partner/analytics/snapshots', { from: day(12).toISOString().slice(0, 10) });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    await waitFor('the snapshot job', async () => (await t.api('GET', `/api/v1/jobs/${started.body.jobId}`)).body.state === 'completed');

    await page.reload();
    const table = page.getByRole('table', { name: 'Users per package over time' });
    await table.waitFor();
    // The chart draws one line per package.
    assert.equal(await page.locator('.recharts-line').count(), 4);
    const monthly = table.getByRole('row').last();
    assert.match(await monthly.getByRole('cell').first().innerText(), /^\d{4}-\d{2}$/);
    assert.equal(await monthly.getByRole('cell').last().innerText(), '3', 'premium at the end of the last month shown');
    await page.getByRole('radio', { name: 'daily' }).check();
    await waitFor('daily periods', async () => /^\d{4}-\d{2}-\d{2}$/.test(await table.getByRole('row').last().getByRole('cell').first().innerText()));
    const daily = await table.getByRole('row').allInnerTexts();
    // Thirteen days are shown: before the users were provisioned, premium is 0; from then on, 3.
    assert.ok(daily.some((r) => /\t0$/.test(r)) && daily.some((r) => /\t3$/.test(r)), daily.join(' | '));
  });

  test('a customer is detached or deleted from the console: confirmed by name, its job followed to the end (P8, P12)', async () => {
    const made = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(template.provisioningId, { spEnterpriseId: 'SP1+e2e-gone', userId: 'gone@e2e.bw' }));
    await waitForStatus(t, made.body.id, ['provisioned']);
    const gone = (await t.api('GET', '/api/v1/partner/customers')).body.items.find((c: any) => c.spEnterpriseId === 'SP1+e2e-gone');
    await page.reload();
    await page.getByRole('row', { name: /SP1\+e2e-gone/ }).getByRole('button', { name: 'Detach or delete' }).click();
    const form = page.getByRole('form', { name: `Detach or delete ${gone.displayName}` });
    // An org the partner created cannot be detached: the refusal says what to do instead.
    await form.getByLabel('Type the organisation name to confirm').fill(gone.displayName);
    await form.getByRole('button', { name: 'Detach (standard flow)' }).click();
    await form.getByText(/not attached to an existing organisation: delete it instead/).waitFor();
    // Deleting needs the exact name.
    await form.getByLabel('Delete the organisation').check();
    await form.getByLabel('Type the organisation name to confirm').fill('wrong name');
    assert.equal(await form.getByRole('button', { name: 'Delete the organisation' }).isDisabled(), true);
    await form.getByLabel('Type the organisation name to confirm').fill(gone.displayName);
    await form.getByRole('button', { name: 'Delete the organisation' }).click();
    await page.getByText('Completed', { exact: true }).waitFor({ timeout: 60_000 });
    assert.equal((await page.getByRole('progressbar', { name: 'Delete the organisation progress' }).getAttribute('aria-valuenow')), '100');
    await page.getByRole('button', { name: 'Close' }).click();
    await waitFor('the customer to leave the list', async () => (await page.getByRole('row', { name: /SP1\+e2e-gone/ }).count()) === 0);
    assert.equal((await t.api('GET', `/api/v1/partner/customers/${gone.id}/settings`)).status, 404);
  });
});
