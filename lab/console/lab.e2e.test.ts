import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { signedInBrowser, skipBrowserTests as skip } from '../../test/support/browser.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../../test/support/test-switchboard.ts';
import { getLab, labArea } from '../lab.area.ts';

// S5 from the console: a tester breaks a simulated call bridge and sees it break.

describe('Lab page in a browser', { skip }, () => {
  let t: TestSwitchboard;
  let browser: Browser;
  let page: Page;

  before(async () => {
    t = await startTestSwitchboard({ areas: [labArea], config: { lab: 'true' } });
    ({ browser, page } = await signedInBrowser(t));
    await page.getByRole('link', { name: 'Lab' }).click();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  test('lists both lab CMS deployments and their call bridges', async () => {
    await page.getByRole('heading', { name: /cms-lab-cluster/ }).waitFor();
    assert.equal(await page.getByRole('heading', { name: /cms-lab-single/ }).count(), 1);
    assert.equal(await page.getByRole('cell', { name: 'callbridge-b', exact: true }).count(), 1);
  });

  test('"503 busy" makes the node answer 503 and shows in the trace; "Clear faults" restores it', async () => {
    const solo = page.getByRole('row', { name: /callbridge-solo/ });
    await solo.getByRole('button', { name: '503 busy' }).click();
    await solo.getByRole('cell', { name: '503 busy', exact: true }).waitFor();
    const { cluster, username, password } = getLab(t.sb.services)!.cmsClusters[1];
    const auth = { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
    assert.equal((await fetch(`${cluster.nodes[0].baseUrl}/api/v1/coSpaces`, { headers: auth })).status, 503);
    await solo.getByRole('button', { name: 'API trace' }).click();
    await page.getByRole('table', { name: /API trace of callbridge-solo/ }).getByRole('cell', { name: 'GET /api/v1/coSpaces', exact: true }).waitFor();
    await solo.getByRole('button', { name: 'Clear faults' }).click();
    await solo.getByRole('cell', { name: 'none', exact: true }).waitFor();
    assert.equal((await fetch(`${cluster.nodes[0].baseUrl}/api/v1/coSpaces`, { headers: auth })).status, 200);
  });

  test('the cluster\'s behaviour: "Advertise https" and "CDRs off" change the simulator and show; the trace masks secrets', async () => {
    const { cluster, username, password } = getLab(t.sb.services)!.cmsClusters[0];
    const changes = page.getByLabel(`Change the behaviour of ${cluster.name}`);
    await changes.getByRole('button', { name: 'Advertise https' }).click();
    await page.getByRole('cell', { name: cluster.nodes[1].baseUrl.replace('http://', 'https://'), exact: true }).waitFor();
    await changes.getByRole('button', { name: 'CDRs off' }).click();
    await page.getByLabel(`Settings of ${cluster.name}`).getByText(/no CDRs sent/).waitFor();
    assert.deepEqual({ advertiseScheme: cluster.getVariance().advertiseScheme, cdrs: cluster.getVariance().cdrs }, { advertiseScheme: 'https', cdrs: false });
    const auth = { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' };
    await fetch(`${cluster.nodes[0].baseUrl}/api/v1/coSpaces`, { method: 'POST', headers: auth, body: 'name=Masked&uri=masked1&secret=TopSecret42&passcode=8642' });
    const row = page.getByRole('row', { name: /callbridge-a/ });
    await row.getByRole('button', { name: 'API trace' }).click();
    const trace = page.getByRole('table', { name: /API trace of callbridge-a/ });
    await trace.getByRole('cell', { name: /secret=\*\*\*\*\*/ }).first().waitFor();
    assert.equal(await trace.getByText(/TopSecret42|8642/).count(), 0);
    await changes.getByRole('button', { name: 'Advertise https' }).click();
    await changes.getByRole('button', { name: 'CDRs off' }).click();
    await page.getByLabel(`Settings of ${cluster.name}`).getByText(/as reached; CDRs sent;/).waitFor();
  });
});
