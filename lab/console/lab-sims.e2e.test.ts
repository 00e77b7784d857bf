import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Locator, Page } from 'playwright-core';
import { signedInBrowser, skipBrowserTests as skip } from '../../test/support/browser.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../../test/support/test-switchboard.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import { getLab, labArea } from '../lab.area.ts';
import { partnerArea } from '../../partner/partner.area.ts';
import { licensingArea } from '../../licensing/licensing.area.ts';
import { getPartnerLab } from '../../partner/partner.lab.ts';

// S2–S5 from the console: every Lab simulator is browsable, the BroadWorks AS is drivable, and the
// CSSM's and UC publishers' faults and behaviour knobs are set from the page (checked on their wire).

describe('Lab page: BroadWorks, mail, Webex directory, CSSM and UC simulators in a browser', { skip }, () => {
  let t: TestSwitchboard;
  let browser: Browser;
  let page: Page;

  const openTab = async (name: string) => {
    await page.getByRole('tab', { name, exact: true }).click();
    await page.getByRole('tabpanel', { name }).getByRole('heading', { name, exact: true, level: 2 }).waitFor();
  };
  const confirm = (title: string, button: string) => page.getByRole('dialog', { name: title }).getByRole('button', { name: button }).click();
  /** From the keyboard (Space), as the sticky header may cover a switch scrolled into view. */
  const setSwitch = async (form: Locator, label: string, on: boolean) => {
    const input = form.getByRole('switch', { name: new RegExp(label) });
    if ((await input.isChecked()) !== on) await input.press('Space');
    await waitFor(`switch ${label} ${on ? 'on' : 'off'}`, async () => (await input.isChecked()) === on || undefined);
  };

  before(async () => {
    t = await startTestSwitchboard({ areas: [labArea, partnerArea, licensingArea], config: { lab: 'true', jobPollSeconds: 0.5 } });
    ({ browser, page } = await signedInBrowser(t, { width: 1400, height: 900 }));
    await page.getByRole('link', { name: 'Lab' }).click();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  test('the CMS tab still lists the CMS call bridges', async () => {
    await page.getByRole('heading', { name: /cms-lab-cluster/ }).waitFor();
    assert.equal(await page.getByRole('cell', { name: 'callbridge-solo', exact: true }).count(), 1);
  });

  test('BroadWorks AS: users with IM&P; assigning it sends the flow-through request, logged in the PSLog, and the subscriber appears', async () => {
    await openTab('BroadWorks');
    await page.getByRole('table', { name: 'Service providers' }).getByRole('cell', { name: 'LabSP', exact: true }).waitFor();
    const row = page.getByRole('table', { name: 'BroadWorks users' }).getByRole('row', { name: /alice@acme\.lab/ });
    assert.equal(await row.getByRole('cell', { name: 'off', exact: true }).count(), 1);
    await page.getByRole('heading', { name: 'The AS has sent no flow-through request yet' }).waitFor();

    await row.getByRole('button', { name: 'Assign IM&P' }).click();
    await row.getByRole('cell', { name: 'on', exact: true }).waitFor();
    const log = page.getByRole('table', { name: 'PSLog' }).getByRole('row', { name: /alice@acme\.lab/ });
    await log.getByRole('cell', { name: 'add', exact: true }).waitFor();
    assert.equal(await log.getByRole('cell', { name: '200', exact: true }).count(), 1);
    assert.match((await log.textContent()) ?? '', /<status>accepted<\/status>/);
    // Switchboard's side: the subscriber the flow-through created, listed under the Lab template.
    await page.getByRole('table', { name: 'Lab template subscribers' }).getByRole('cell', { name: 'alice@acme.lab', exact: true }).waitFor({ timeout: 30_000 });
    assert.equal(getPartnerLab(t.sb.services)!.broadworks.users.get('alice@acme.lab')!.integratedImp, true);
  });

  test('Mail and SMS: the consent email Switchboard sent over SMTP is listed, opens with its link clickable, and the link opens the move page', async () => {
    // Grace's email already owns a trial Webex account (the directory): once Initech exists (Frank, its
    // first user, is moved without asking), IM&P on for Grace sends her the P6 consent email.
    await openTab('BroadWorks');
    const users = page.getByRole('table', { name: 'BroadWorks users' });
    await users.getByRole('row', { name: /frank@initech\.lab/ }).getByRole('button', { name: 'Assign IM&P' }).click();
    await page.getByRole('table', { name: 'Lab template subscribers' }).getByRole('row', { name: /frank@initech\.lab/ }).getByRole('cell', { name: 'provisioned', exact: true }).waitFor({ timeout: 30_000 });
    await users.getByRole('row', { name: /grace@initech\.lab/ }).getByRole('button', { name: 'Assign IM&P' }).click();
    const subject = 'Move your Webex account to your service provider';
    await page.getByRole('table', { name: 'Emails' }).getByRole('row', { name: /grace@initech\.lab\.example/ }).getByRole('cell', { name: subject, exact: true }).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: `Open email ${subject} to grace@initech.lab.example` }).click();
    const link = page.getByRole('region', { name: 'Open email' }).getByRole('link', { name: /\/move-account\// });
    assert.match((await link.getAttribute('href')) ?? '', new RegExp(`^${t.url}/move-account/`));
    const [popup] = await Promise.all([page.waitForEvent('popup'), link.click()]);
    await popup.getByText('grace@initech.lab.example already has a Webex account').waitFor();
    await popup.close();
  });

  test('Webex directory: the pre-existing organisations and identities', async () => {
    await openTab('BroadWorks');
    const orgs = page.getByRole('table', { name: 'Webex organisations' });
    await orgs.getByRole('cell', { name: 'Lab Big Existing Inc', exact: true }).waitFor();
    assert.equal(await orgs.getByRole('row', { name: /Lab Big Existing Inc/ }).getByRole('cell', { name: '240', exact: true }).count(), 1);
    await page.getByRole('table', { name: 'Webex identities' }).getByRole('cell', { name: 'walter@freemail.lab.example', exact: true }).waitFor();
  });

  test('CSSM: the smart account with 1,285 virtual accounts, satellite-synced ones counted; a 429 fault reaches the wire and clears', async () => {
    await openTab('CSSM');
    const sa = page.getByRole('table', { name: 'Smart account HCS Lab Partner' });
    await sa.getByRole('cell', { name: 'lab-hcs.example.com', exact: true }).waitFor();
    assert.equal(await sa.getByRole('cell', { name: '1285', exact: true }).count(), 1);
    // Every 20th generated VA is on the satellite (cssm.seed.ts): 64 of them.
    assert.equal(await sa.getByRole('cell', { name: '64', exact: true }).count(), 1);
    await page.getByRole('table', { name: 'Licence usage of HCS Lab Partner' }).getByRole('row', { name: /HCS-DEMO.*HUCM_Foundation/ }).getByRole('cell', { name: '500', exact: true }).first().waitFor();

    const faultForm = page.getByRole('form', { name: 'CSSM fault' });
    await faultForm.getByLabel('Fault', { exact: true }).selectOption('rate-limited');
    await faultForm.getByLabel('Retry-After (s)').fill('30');
    await faultForm.getByRole('button', { name: 'Apply fault' }).click();
    await confirm('Make the CSSM fail?', 'Apply fault');
    await page.getByTestId('cssm-fault').getByText('429, Retry-After 30 s').waitFor();
    await page.getByRole('table', { name: 'Active faults' }).getByRole('row', { name: /CSSM.*429/ }).waitFor();
    const cssm = getLab(t.sb.services)!.cssm!;
    const tokenRequest = () => fetch(cssm.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&client_id=x&client_secret=y' });
    assert.equal((await tokenRequest()).status, 429);
    await faultForm.getByRole('button', { name: 'Clear CSSM fault' }).click();
    await page.getByTestId('cssm-fault').getByText('none', { exact: true }).waitFor();
    assert.notEqual((await tokenRequest()).status, 429);
  });

  test('CSSM behaviour from the page: a page size cap (refused out of range, under its field) and no totalRecords reach the VA listing', async () => {
    await openTab('CSSM');
    const form = page.getByRole('form', { name: 'CSSM behaviour' });
    await form.getByLabel('Page size cap').fill('0');
    await form.getByRole('button', { name: 'Save CSSM behaviour' }).click();
    await form.getByText('Enter the largest page: a whole number from 1 to 10000.').waitFor();
    await form.getByLabel('Page size cap').fill('7');
    await setSwitch(form, 'Says totalRecords', false);
    await form.getByRole('button', { name: 'Save CSSM behaviour' }).click();
    await page.getByText(/Pages of at most 7 virtual accounts, no totalRecords/).waitFor();
    // On the simulator's wire, with the Lab client's credentials: 7 VAs whatever limit asks, no count.
    const cssm = getLab(t.sb.services)!.cssm!;
    const { clientId, clientSecret } = cssm.clients[0];
    const token = (await (await fetch(cssm.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=client_credentials&client_id=${clientId}&client_secret=${clientSecret}` })).json()) as { access_token: string };
    const listing = (await (await fetch(`${cssm.url}/services/api/smart-accounts-and-licensing/v1/accounts/lab-hcs.example.com/customer/virtual-accounts?limit=50`, { headers: { authorization: `Bearer ${token.access_token}` } })).json()) as { virtualAccounts: unknown[]; totalRecords?: number };
    assert.equal(listing.virtualAccounts.length, 7);
    assert.equal(listing.totalRecords, undefined);
    await form.getByLabel('Page size cap').fill('1000');
    await setSwitch(form, 'Says totalRecords', true);
    await form.getByRole('button', { name: 'Save CSSM behaviour' }).click();
    await waitFor('CSSM paging restored', async () => (cssm.getPaging().maxPageSize === 1000 && cssm.getPaging().totalRecords) || undefined);
  });

  test('CUCM / Unity Connection: nodes with their roles, licensing mode and registration state; a fault shows', async () => {
    await openTab('CUCM / Unity Connection');
    const cucm = page.getByRole('table', { name: 'Nodes of cl1-alfa' });
    await cucm.getByRole('cell', { name: 'publisher', exact: true }).waitFor();
    assert.equal(await cucm.getByRole('cell', { name: 'subscriber', exact: true }).count(), 1);
    assert.equal(await cucm.getByRole('cell', { name: 'Enterprise', exact: true }).count(), 2);
    assert.equal(await cucm.getByRole('cell', { name: 'Unregistered', exact: true }).count(), 2);
    const cuc = page.getByRole('table', { name: 'Nodes of cluster2-test' });
    assert.equal(await cuc.getByRole('cell', { name: 'publisher', exact: true }).count(), 1);

    const faultForm = page.getByRole('form', { name: 'Fault of cluster2-test' });
    await faultForm.getByLabel('Fault', { exact: true }).selectOption('down');
    await faultForm.getByRole('button', { name: 'Apply fault' }).click();
    await confirm('Make cluster2-test fail?', 'Apply fault');
    await cuc.getByRole('cell', { name: 'down', exact: true }).waitFor();
    const sim = getLab(t.sb.services)!.ucClusters.find((c) => c.name === 'cluster2-test')!;
    await waitFor('UC fault applied', async () => sim.getFault().kind === 'down' || undefined);
    await assert.rejects(fetch(`${sim.publisherUrl}/`), 'a down publisher refuses connections');
    await faultForm.getByRole('button', { name: 'Clear fault' }).click();
    await cuc.getByRole('cell', { name: 'none', exact: true }).waitFor();
  });

  test('UC publisher behaviour from the page: a slow mode change, one reverted by the restart, 503 while restarting, fewer AXL versions', async () => {
    await openTab('CUCM / Unity Connection');
    const form = page.getByRole('form', { name: 'Behaviour of cl1-alfa' });
    await form.getByLabel('Mode change delay (ms)').fill('-1');
    await form.getByRole('button', { name: 'Save behaviour' }).click();
    await form.getByText('Enter the delay in milliseconds: a whole number from 0 to 3600000.').waitFor();
    await form.getByLabel('Mode change delay (ms)').fill('60000');
    await form.getByLabel('Mode changes reverted by the restart').fill('1');
    await setSwitch(form, '503 while restarting', true);
    const sim = getLab(t.sb.services)!.ucClusters.find((c) => c.name === 'cl1-alfa')!;
    const versions = sim.getBehaviour().axlVersions;
    await form.getByRole('checkbox', { name: versions[0], exact: true }).uncheck();
    await form.getByRole('button', { name: 'Save behaviour' }).click();
    await page.getByText("cl1-alfa's publisher behaves as set.").waitFor();
    const behaviour = sim.getBehaviour();
    assert.deepEqual({ modeChangeMs: behaviour.modeChangeMs, revertModeChanges: behaviour.revertModeChanges, restartUnavailable: behaviour.restartUnavailable, axlVersions: behaviour.axlVersions }, { modeChangeMs: 60_000, revertModeChanges: 1, restartUnavailable: true, axlVersions: versions.slice(1) });
    // The form shows what the simulator now holds.
    await waitFor('form shows the saved delay', async () => (await page.getByRole('form', { name: 'Behaviour of cl1-alfa' }).getByLabel('Mode change delay (ms)').inputValue()) === '60000' || undefined);
  });
});
