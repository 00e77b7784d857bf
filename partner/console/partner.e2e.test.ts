import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestSwitchboard, type TestSwitchboard } from '../../test/support/test-switchboard.ts';
import { partnerArea } from '../partner.area.ts';
import { createClusterAndTemplate, subscriberBody, waitFor, waitForStatus } from '../partner.testkit.ts';
import { insertHistoryRows } from '../billing/billing.repository.ts';

// The Partner console in a browser, walked as a newcomer would: the overview, customers searched
// and opened (P1), a subscriber provisioned from the form and its state followed without a reload
// (P9), templates created and edited with field messages (P3), the user status view with retry,
// package change and CSV (P9), restricted-by-partner mode confirmed when saved and seen by the
// customer admin (P14), analytics charted on day one (P15), a customer deleted (P8, P12).
const skip = process.env.DATABASE_URL ? 'browser tests run once, on the embedded database (DATABASE_URL is set)' : false;

describe('Partner pages in a browser', { skip }, () => {
  let t: TestSwitchboard;
  let browser: Browser;
  let page: Page;
  let template: any;
  let untrusted: any;
  let orgId: string;
  let good: any;
  let broken: any;
  const signIn = async (p: Page, username: string, password: string) => {
    await p.goto(`${t.url}/login`);
    await p.getByLabel('Username').fill(username);
    await p.getByLabel('Password').fill(password);
    await p.getByRole('button', { name: /sign in/i }).click();
    await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Partner', exact: true }).click();
  };
  const partnerNav = (name: string) => page.getByRole('navigation', { name: 'Partner' }).getByRole('link', { name, exact: true });
  const badge = (scope: ReturnType<Page['locator']> | Page, status: string) => scope.locator(`.badge[data-status="${status}"]`);

  before(async () => {
    t = await startTestSwitchboard({ areas: [partnerArea], config: { jobPollSeconds: 0.5 } });
    ({ template } = await createClusterAndTemplate(t, { name: 'e2e' }));
    untrusted = (await t.api('POST', '/api/v1/partner/templates', { name: 'e2e-untrusted', clusterId: template.clusterId, provisioningAccount: 'untrusted-prov', provisioningPassword: 'untrusted-secret', partnerAdminEmail: 'pa@e2e.example', trustedEmails: false })).body;
    // One provisioned user, and one in error: its email belongs to a free user of another org.
    const other = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(template.provisioningId, { spEnterpriseId: 'SP1+e2e-other', email: 'taken@e2e.example' }));
    await waitForStatus(t, other.body.id, ['provisioned']);
    await t.api('DELETE', `/v1/broadworks/subscribers/${other.body.id}`);
    const first = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(template.provisioningId, { spEnterpriseId: 'SP1+e2e', userId: 'good@e2e.bw' }));
    good = await waitForStatus(t, first.body.id, ['provisioned']);
    const second = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(template.provisioningId, { spEnterpriseId: 'SP1+e2e', userId: 'broken@e2e.bw', email: 'taken@e2e.example' }));
    broken = await waitForStatus(t, second.body.id, ['error']);
    orgId = (await t.api('GET', '/api/v1/partner/customers?q=SP1%2Be2e')).body.items.find((c: any) => c.spEnterpriseId === 'SP1+e2e').id;

    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    await signIn(page, t.admin.username, t.admin.password);
    await page.getByRole('heading', { name: 'Partner', level: 1 }).waitFor();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  test('the overview counts customers and templates; customers are searched by the server and a customer opens with its users', async () => {
    await waitFor('the counts', async () => (await page.getByLabel('Customers: 2').count()) === 1 && (await page.getByLabel('Templates: 2').count()) === 1);
    await page.getByRole('table', { name: 'BroadWorks clusters' }).getByRole('cell', { name: 'e2e', exact: true }).waitFor();

    await partnerNav('Customers').click();
    const table = page.getByRole('table', { name: 'Customers' });
    await table.getByRole('row', { name: /SP1\+e2e-other/ }).waitFor();
    await page.getByLabel('Search customers').fill('E2E-OTH');
    await waitFor('the search to narrow the list', async () => (await table.getByRole('row').count()) === 2);
    assert.match(page.url(), /\?q=E2E-OTH$/, 'the search is in the address');
    await page.getByLabel('Search customers').fill('no such customer');
    await page.getByText('No customer matches “no such customer”').waitFor();
    await page.getByRole('button', { name: 'Clear the search' }).click();
    await table.getByRole('row', { name: /SP1\+e2e\b(?!-)/ }).getByRole('link').click();

    await page.waitForURL(`**/partner/customers/${orgId}`);
    // A new org is restricted by partner: the banner says so.
    await page.getByRole('status', { name: 'Restricted by partner' }).waitFor();
    const users = page.getByRole('table', { name: /^Users of / });
    await badge(users.getByRole('row', { name: /good@e2e\.bw/ }), 'provisioned').waitFor();
    const brokenRow = users.getByRole('row', { name: /broken@e2e\.bw/ });
    await badge(brokenRow, 'error').waitFor();
    // Its error in words under the badge, as the API gives it.
    await brokenRow.getByText(broken.errors[0].description, { exact: false }).waitFor();
    assert.equal(await page.getByLabel('Standard: 1 provisioned').count(), 1);
  });

  test('Provision subscriber: field messages in plain words, then the new user’s badge changes by itself until provisioned', async () => {
    await partnerNav('Provision subscriber').click();
    const form = page.getByRole('form', { name: 'Provision subscriber' });
    await form.getByRole('button', { name: 'Provision subscriber' }).click();
    await form.getByText('Choose the customer template to provision with.').waitFor();
    await form.getByText('Enter a primary phone number or an extension.').waitFor();

    // An untrusted template: the user is pending until someone gives their email address.
    await form.getByLabel('Customer template').selectOption({ label: 'e2e-untrusted' });
    await form.getByLabel('BroadWorks enterprise ID').fill('SP1+e2e-new');
    await form.getByLabel('BroadWorks user ID').fill('newbie@e2e.bw');
    await form.getByLabel('First name').fill('Nina');
    await form.getByLabel('Last name').fill('Newbie');
    await form.getByLabel('Package').selectOption('premium');
    await form.getByLabel('Extension').fill('4711');
    await form.getByRole('button', { name: 'Provision subscriber' }).click();
    const result = page.getByRole('region', { name: 'Subscriber newbie@e2e.bw' });
    await badge(result, 'pending_email_input').waitFor();
    await result.getByText(/Waiting for the user to give an email address/).waitFor();

    // Someone enters the address (as the user would through the activation link); no reload here.
    const sub = (await t.api('GET', '/api/v1/partner/customers?q=e2e-new')).body;
    assert.equal(sub.total, 0, 'no organisation before the user is provisioned');
    const made = (await t.api('GET', '/v1/broadworks/subscribers?userId=newbie%40e2e.bw')).body.items[0];
    const internalId = Buffer.from(made.id, 'base64url').toString().split('/').pop();
    assert.equal((await t.api('POST', `/api/v1/partner/subscribers/${internalId}/retry`, { email: 'nina@e2e-new.example' })).status, 200);
    await badge(result, 'provisioned').waitFor({ timeout: 60_000 });
    await result.getByRole('link', { name: /^Open / }).click();
    await page.getByRole('table', { name: /^Users of / }).getByRole('row', { name: /newbie@e2e\.bw/ }).waitFor();

    // The server's refusal lands under its field too: this user ID is taken now.
    await partnerNav('Provision subscriber').click();
    await form.getByLabel('Customer template').selectOption({ label: 'e2e-template' });
    await form.getByLabel('BroadWorks enterprise ID').fill('SP1+e2e-new');
    await form.getByLabel('BroadWorks user ID').fill('newbie@e2e.bw');
    await form.getByLabel('First name').fill('Nina');
    await form.getByLabel('Last name').fill('Again');
    await form.getByLabel('Email').fill('nina.again@e2e-new.example');
    await form.getByLabel('Extension').fill('4712');
    await form.getByRole('button', { name: 'Provision subscriber' }).click();
    await form.getByText('The BroadWorks UserID is already associated with an existing user.').waitFor();
  });

  test('templates: a 1-character password is refused under its field; created, then edited (a blank password keeps the stored one)', async () => {
    await partnerNav('Templates').click();
    await page.getByRole('button', { name: 'New template' }).first().click();
    const form = page.getByRole('form', { name: 'New customer template' });
    await form.getByLabel('Template name').fill('Browser template');
    await form.getByLabel('Provisioning account name').fill('browser-prov');
    await form.getByLabel('Provisioning password').fill('x');
    await form.getByLabel('Partner admin email').fill('not an email');
    await form.getByRole('button', { name: 'Save template' }).click();
    await form.getByText('Use at least 8 characters (this one has 1).').waitFor();
    await form.getByText(/Enter the partner administrator’s email address/).waitFor();
    assert.equal((await t.api('GET', '/api/v1/partner/templates')).body.items.some((x: any) => x.name === 'Browser template'), false, 'nothing sent');

    await form.getByLabel('Provisioning password').fill('browser-secret');
    await form.getByLabel('Partner admin email').fill('pa@browser.example');
    await form.getByLabel('Provision Admin First').check();
    await form.getByRole('button', { name: 'Save template' }).click();
    await page.getByRole('table', { name: 'Customer templates' }).getByRole('row', { name: /Browser template/ }).waitFor();
    const created = (await t.api('GET', '/api/v1/partner/templates')).body.items.find((x: any) => x.name === 'Browser template');
    assert.equal(created.provisionAdminFirst, true);
    assert.equal(created.provisioningAccount, 'browser-prov');

    await page.getByRole('row', { name: /Browser template/ }).getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('form', { name: 'Edit template Browser template' });
    await edit.getByLabel('Trusted emails').uncheck();
    await edit.getByLabel('Default package').selectOption('premium');
    await edit.getByRole('button', { name: 'Save template' }).click();
    await page.getByRole('row', { name: /Browser template/ }).getByText('untrusted', { exact: true }).waitFor();
    const edited = (await t.api('GET', `/api/v1/partner/templates/${created.id}`)).body;
    assert.equal(edited.defaultPackage, 'premium');
    assert.equal(edited.trustedEmails, false);
    const audit = (await t.api('GET', `/api/v1/audit?action=partner.template.update&entityId=${created.id}`)).body.items[0];
    assert.equal(audit.after.provisioningPasswordChanged, false);
  });

  test('user status view: retry onboarding with a new email, change package, export CSV', async () => {
    await page.getByRole('row', { name: /e2e-template/ }).getByRole('button', { name: 'User status' }).click();
    const view = page.getByRole('table', { name: 'Users of e2e-template' });
    const row = view.getByRole('row', { name: /broken@e2e\.bw/ });
    await badge(row, 'error').waitFor();
    await row.getByRole('button', { name: 'Retry onboarding' }).click();
    const retry = page.getByRole('form', { name: 'Retry onboarding of broken@e2e.bw' });
    await retry.getByLabel('Email address').fill('fixed@e2e.example');
    await retry.getByRole('button', { name: 'Retry onboarding' }).click();
    await badge(row, 'provisioned').waitFor({ timeout: 60_000 });
    assert.equal((await waitForStatus(t, broken.id, ['provisioned'])).email, 'fixed@e2e.example');

    await page.getByLabel('Package of good@e2e.bw').selectOption('premium');
    // Applied asynchronously (updating → provisioned), as Webex does.
    await waitFor('the package change', async () => {
      const sub = (await t.api('GET', `/v1/broadworks/subscribers/${good.id}`)).body;
      return sub.status === 'provisioned' && sub.package === 'premium';
    });
    await waitFor('the console to show it', async () => (await page.getByLabel('Package of good@e2e.bw').inputValue()) === 'premium' && (await badge(view.getByRole('row', { name: /good@e2e\.bw/ }), 'provisioned').count()) === 1);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]);
    const csv = await fs.readFile((await download.path())!, 'utf8');
    assert.match(csv.split('\r\n')[0]!, /^userId,firstName,lastName,email/);
    assert.match(csv, /good@e2e\.bw/);
    assert.match(csv, /broken@e2e\.bw,.*fixed@e2e\.example/);
  });

  test('restricted-by-partner mode: the switch asks before saving; the customer admin sees the banner, then not', async () => {
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

    await page.goto(`${t.url}/partner/customers/${orgId}`);
    const toggle = page.getByRole('switch', { name: 'Restricted by partner mode' });
    await waitFor('the switch', async () => (await toggle.count()) === 1 && (await toggle.isChecked()));
    // Cancelled: nothing is saved.
    await toggle.click();
    const dialog = page.getByRole('dialog', { name: /Lift the restriction on/ });
    await dialog.getByText(/will be able to change every setting/).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await toggle.isChecked(), true);
    assert.equal((await t.api('GET', `/api/v1/partner/customers/${orgId}/settings`)).body.restrictedByPartner, true);
    // Confirmed: saved, and said so.
    await toggle.click();
    await dialog.getByRole('button', { name: 'Turn restricted mode off' }).click();
    await page.getByText('Restricted by partner: off').waitFor();
    await waitFor('the switch to follow the server', async () => !(await toggle.isChecked()));
    await waitFor('the banner to go', async () => (await page.getByRole('status', { name: 'Restricted by partner' }).count()) === 0);
    assert.equal((await t.api('GET', `/api/v1/partner/customers/${orgId}/settings`)).body.restrictedByPartner, false);

    await customer.reload();
    await customer.getByRole('heading', { name: 'Organisation settings' }).waitFor();
    await customer.getByRole('button', { name: 'Add user', disabled: false }).waitFor();
    assert.equal(await customer.getByRole('status', { name: 'Restricted by partner' }).count(), 0);
    await customer.getByLabel('Email').fill('new.user@e2e.example');
    await customer.getByRole('button', { name: 'Add user' }).click();
    await customer.getByRole('row', { name: /new\.user@e2e\.example/ }).waitFor();
    await context.close();
  });

  test('P15 analytics on day one: no snapshot taken, yet the chart and its table are there, counted from the history', async () => {
    await partnerNav('Analytics').click();
    const table = page.getByRole('table', { name: 'Users per package over time' });
    await table.waitFor();
    // The chart draws one line per package.
    await waitFor('four lines', async () => (await page.locator('.trend-chart .recharts-line').count()) === 4);
    const today = new Date().toISOString().slice(0, 10);
    const last = table.getByRole('row').last();
    assert.equal(await last.getByRole('cell').first().innerText(), today);
    const provisioned = (await t.api('GET', '/api/v1/partner/analytics')).body.usersPerPackage;
    assert.deepEqual((await last.getByRole('cell').allInnerTexts()).slice(1), ['softphone', 'basic', 'standard', 'premium'].map((p) => String(provisioned[p])));
    await page.getByText(/counted from the subscriber history/).waitFor();
    const snapshotJobs = await t.api('GET', '/api/v1/jobs?queue=partner.usage-snapshot');
    assert.equal(snapshotJobs.status, 200);
    assert.equal(snapshotJobs.body.total, 0, 'no snapshot job ran');

    // Three premium users provisioned ten days ago (history as the partner service records it): the
    // days since are counted from the history too, without a back-fill.
    const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000);
    const rows = [1, 2, 3].flatMap((k) => {
      const state = { subscriberId: `bbbbbbbb-0000-4000-8000-00000000000${k}`, userId: `trend${k}@e2e.bw`, spEnterpriseId: 'SP1+e2e-trend', package: 'premium', selfActivated: false, previous: null };
      return [
        { ...state, at: day(10), change: 'created', status: 'provisioning' },
        { ...state, at: day(10), change: 'status', status: 'provisioned' },
      ];
    });
    await insertHistoryRows(t.sb.services.database.db, rows);
    await page.reload();
    await table.waitFor();
    const tenDaysAgo = day(10).toISOString().slice(0, 10);
    await table.getByRole('row', { name: new RegExp(tenDaysAgo) }).waitFor();
    const premiumThen = await table.getByRole('row', { name: new RegExp(tenDaysAgo) }).getByRole('cell').last().innerText();
    assert.ok(Number(premiumThen) >= 3, `premium ten days ago: ${premiumThen}`);
    await page.getByText('Monthly', { exact: true }).click();
    await waitFor('monthly periods', async () => /^\d{4}-\d{2}$/.test(await table.getByRole('row').last().getByRole('cell').first().innerText()));
  });

  test('a customer is detached or deleted from its page: confirmed by name, its job followed to the end (P8, P12)', async () => {
    const made = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(template.provisioningId, { spEnterpriseId: 'SP1+e2e-gone', userId: 'gone@e2e.bw' }));
    await waitForStatus(t, made.body.id, ['provisioned']);
    const gone = (await t.api('GET', '/api/v1/partner/customers?q=e2e-gone')).body.items[0];
    await page.goto(`${t.url}/partner/customers/${gone.id}`);
    await page.getByRole('button', { name: 'Detach or delete' }).click();
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
    await page.getByRole('dialog').getByText('Completed', { exact: true }).waitFor({ timeout: 60_000 });
    assert.equal(await page.getByRole('progressbar', { name: 'Delete the organisation progress' }).getAttribute('aria-valuenow'), '100');
    await page.getByRole('button', { name: 'Close' }).click();
    await page.waitForURL('**/partner/customers');
    await page.getByRole('table', { name: 'Customers' }).waitFor();
    assert.equal(await page.getByRole('row', { name: /SP1\+e2e-gone/ }).count(), 0);
    assert.equal((await t.api('GET', `/api/v1/partner/customers/${gone.id}`)).status, 404);
  });
});
