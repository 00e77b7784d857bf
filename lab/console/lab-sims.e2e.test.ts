import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { signedInBrowser, skipBrowserTests as skip } from '../../test/support/browser.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../../test/support/test-switchboard.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import { getLab, labArea } from '../lab.area.ts';
import { partnerArea } from '../../partner/partner.area.ts';
import { licensingArea } from '../../licensing/licensing.area.ts';
import { getPartnerLab } from '../../partner/partner.lab.ts';

// S2–S5 from the console: every Lab simulator is browsable, and the BroadWorks AS is drivable.

describe('Lab page: BroadWorks, mail, Webex directory, CSSM and UC simulators in a browser', { skip }, () => {
  let t: TestSwitchboard;
  let browser: Browser;
  let page: Page;

  const openTab = async (name: string) => {
    await page.getByRole('tab', { name, exact: true }).click();
    await page.getByRole('heading', { name, exact: true, level: 2 }).waitFor();
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
    await openTab('BroadWorks AS');
    await page.getByRole('table', { name: 'Service providers' }).getByRole('cell', { name: 'LabSP', exact: true }).waitFor();
    const row = page.getByRole('table', { name: 'BroadWorks users' }).getByRole('row', { name: /alice@acme\.lab/ });
    assert.equal(await row.getByRole('cell', { name: 'off', exact: true }).count(), 1);
    await page.getByRole('table', { name: 'PSLog' }).getByRole('cell', { name: 'The AS has sent no flow-through request yet.', exact: true }).waitFor();

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
    await openTab('BroadWorks AS');
    const users = page.getByRole('table', { name: 'BroadWorks users' });
    await users.getByRole('row', { name: /frank@initech\.lab/ }).getByRole('button', { name: 'Assign IM&P' }).click();
    await page.getByRole('table', { name: 'Lab template subscribers' }).getByRole('row', { name: /frank@initech\.lab/ }).getByRole('cell', { name: 'provisioned', exact: true }).waitFor({ timeout: 30_000 });
    await users.getByRole('row', { name: /grace@initech\.lab/ }).getByRole('button', { name: 'Assign IM&P' }).click();
    await openTab('Mail and SMS');
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
    await openTab('Webex directory');
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

    await page.getByRole('button', { name: '429 rate limited' }).click();
    await page.getByTestId('cssm-fault').getByText('429, Retry-After 30 s').waitFor();
    const cssm = getLab(t.sb.services)!.cssm!;
    const token = await fetch(cssm.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&client_id=x&client_secret=y' });
    assert.equal(token.status, 429);
    await page.getByRole('button', { name: 'Clear CSSM fault' }).click();
    await page.getByTestId('cssm-fault').getByText('none', { exact: true }).waitFor();
    assert.notEqual((await fetch(cssm.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&client_id=x&client_secret=y' })).status, 429);
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

    await page.getByRole('group', { name: 'Faults of cluster2-test' }).getByRole('button', { name: 'Down' }).click();
    await cuc.getByRole('cell', { name: 'down', exact: true }).waitFor();
    const sim = getLab(t.sb.services)!.ucClusters.find((c) => c.name === 'cluster2-test')!;
    await waitFor('UC fault applied', async () => sim.getFault().kind === 'down' || undefined);
    await page.getByRole('group', { name: 'Faults of cluster2-test' }).getByRole('button', { name: 'Clear fault' }).click();
    await cuc.getByRole('cell', { name: 'none', exact: true }).waitFor();
  });
});
