import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Locator, Page } from 'playwright-core';
import { signedInBrowser, skipBrowserTests as skip } from '../../test/support/browser.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../../test/support/test-switchboard.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import { getLab, labArea } from '../lab.area.ts';

// S1/S5 from the console: a tester breaks a simulated call bridge, changes how the cluster behaves,
// and watches the calls on it — each checked on the simulator's own wire.

describe('Lab page: CMS tab in a browser', { skip }, () => {
  let t: TestSwitchboard;
  let browser: Browser;
  let page: Page;
  const basic = (username: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` });
  const dialog = (name: string | RegExp) => page.getByRole('dialog', { name });
  const nodeRow = (cluster: string, node: string) => page.getByRole('table', { name: `Call bridges of ${cluster}` }).getByRole('row', { name: new RegExp(node) });
  /** From the keyboard (Space), as the sticky header may cover a switch scrolled into view. */
  const setSwitch = async (form: Locator, label: string, on: boolean) => {
    const input = form.getByRole('switch', { name: new RegExp(label) });
    if ((await input.isChecked()) !== on) await input.press('Space');
    await waitFor(`switch ${label} ${on ? 'on' : 'off'}`, async () => (await input.isChecked()) === on || undefined);
  };

  before(async () => {
    t = await startTestSwitchboard({ areas: [labArea], config: { lab: 'true' } });
    ({ browser, page } = await signedInBrowser(t, { width: 1400, height: 900 }));
    await page.getByRole('link', { name: 'Lab' }).click();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  test('lists both lab CMS deployments and their call bridges, with no fault in force', async () => {
    await page.getByRole('heading', { name: /cms-lab-cluster/ }).waitFor();
    assert.equal(await page.getByRole('heading', { name: /cms-lab-single/ }).count(), 1);
    assert.equal(await page.getByRole('cell', { name: 'callbridge-b', exact: true }).count(), 1);
    await page.getByTestId('no-active-faults').waitFor();
  });

  test('faults: cancelling the confirmation changes nothing; confirming makes the node answer 503, listed under Active faults and in the trace; Clear restores it', async () => {
    const { cluster, username, password } = getLab(t.sb.services)!.cmsClusters[1];
    const auth = basic(username, password);
    const solo = nodeRow('cms-lab-single', 'callbridge-solo');
    await solo.getByRole('button', { name: 'Faults…' }).click();
    const form = page.getByRole('form', { name: 'Faults of callbridge-solo' });
    await setSwitch(form, '503 busy', true);
    await form.getByRole('button', { name: 'Apply faults' }).click();
    await dialog('Apply these faults to callbridge-solo?').getByText(/503 busy until you clear it/).waitFor();
    await dialog('Apply these faults to callbridge-solo?').getByRole('button', { name: 'Cancel' }).click();
    await dialog('Apply these faults to callbridge-solo?').waitFor({ state: 'detached' });
    assert.deepEqual(cluster.getFaults('callbridge-solo'), {}, 'nothing applied without confirmation');

    await form.getByRole('button', { name: 'Apply faults' }).click();
    await dialog('Apply these faults to callbridge-solo?').getByRole('button', { name: 'Apply faults' }).click();
    await solo.getByRole('cell', { name: '503 busy', exact: true }).waitFor();
    await page.getByRole('table', { name: 'Active faults' }).getByRole('row', { name: /cms-lab-single \/ callbridge-solo.*503 busy/ }).waitFor();
    assert.equal((await fetch(`${cluster.nodes[0].baseUrl}/api/v1/coSpaces`, { headers: auth })).status, 503);
    await solo.getByRole('button', { name: 'API trace' }).click();
    await page.getByRole('table', { name: /API trace of callbridge-solo/ }).getByRole('cell', { name: 'GET /api/v1/coSpaces', exact: true }).first().waitFor();

    await page.getByRole('button', { name: 'Clear the fault of cms-lab-single / callbridge-solo' }).click();
    await solo.getByRole('cell', { name: 'none', exact: true }).waitFor();
    await page.getByTestId('no-active-faults').waitFor();
    assert.equal((await fetch(`${cluster.nodes[0].baseUrl}/api/v1/coSpaces`, { headers: auth })).status, 200);
    await solo.getByRole('button', { name: 'API trace' }).click();
  });

  test('a slow delay and a node page cap with any value; a value out of range is refused under its field', async () => {
    const { cluster } = getLab(t.sb.services)!.cmsClusters[1];
    const solo = nodeRow('cms-lab-single', 'callbridge-solo');
    await solo.getByRole('button', { name: 'Faults…' }).click();
    const form = page.getByRole('form', { name: 'Faults of callbridge-solo' });
    await form.getByLabel('Node page cap').fill('0');
    await form.getByRole('button', { name: 'Apply faults' }).click();
    await form.getByText('Enter a whole number from 1 to 1000, or leave it empty.').waitFor();
    await form.getByLabel('Node page cap').fill('4');
    await form.getByLabel('Slow (ms)').fill('250');
    await form.getByRole('button', { name: 'Apply faults' }).click();
    await dialog('Apply these faults to callbridge-solo?').getByRole('button', { name: 'Apply faults' }).click();
    await solo.getByRole('cell', { name: 'slow (250 ms), page cap 4', exact: true }).waitFor();
    assert.deepEqual(cluster.getFaults('callbridge-solo'), { slowMs: 250, pageCap: 4 });
    await solo.getByRole('button', { name: 'Clear faults' }).click();
    await solo.getByRole('cell', { name: 'none', exact: true }).waitFor();
  });

  test('the cluster\'s behaviour: advertised scheme, CDRs off and a page cap set from the page change the simulator\'s answers; the trace masks secrets', async () => {
    const { cluster, username, password } = getLab(t.sb.services)!.cmsClusters[0];
    const auth = basic(username, password);
    const form = page.getByRole('form', { name: `Behaviour of ${cluster.name}` });
    await form.getByLabel('Node addresses in /callBridges').selectOption('https');
    await setSwitch(form, 'Send CDRs', false);
    await form.getByLabel('Page cap').fill('1001');
    await form.getByRole('button', { name: 'Save behaviour' }).click();
    await form.getByText('Enter a whole number from 1 to 1000, or leave it empty.').waitFor();
    await form.getByLabel('Page cap').fill('2');
    await form.getByLabel('Requests at once per node').fill('6');
    await form.getByLabel('Answer when busy').selectOption('429');
    await form.getByRole('button', { name: 'Save behaviour' }).click();
    await page.getByLabel(`Settings of ${cluster.name}`).getByText(/no CDRs sent; page cap 2; .*6 requests at once per node, more answered 429/).waitFor();
    await page.getByRole('cell', { name: cluster.nodes[1].baseUrl.replace('http://', 'https://'), exact: true }).waitFor();
    assert.deepEqual(cluster.getVariance(), { advertiseScheme: 'https', cdrs: false, pageCap: 2, forgetBulkSyncsOnRestart: false, maxConcurrentRequests: 6, throttleStatus: 429 });
    // On the wire: the Call Bridge table advertises https, and a page holds 2 objects whatever limit asks.
    assert.match(await (await fetch(`${cluster.nodes[0].baseUrl}/api/v1/callBridges/${cluster.nodes[1].callBridgeId}`, { headers: auth })).text(), new RegExp(`<address>${cluster.nodes[1].baseUrl.replace('http://', 'https://')}</address>`));
    const form2 = { ...auth, 'content-type': 'application/x-www-form-urlencoded' };
    for (const i of [1, 2, 3]) await fetch(`${cluster.nodes[0].baseUrl}/api/v1/coSpaces`, { method: 'POST', headers: form2, body: `name=Masked+${i}&uri=masked${i}&secret=TopSecret42&passcode=8642` });
    assert.equal([...(await (await fetch(`${cluster.nodes[0].baseUrl}/api/v1/coSpaces?limit=10`, { headers: auth })).text()).matchAll(/<coSpace id=/g)].length, 2);

    const row = nodeRow(cluster.name, 'callbridge-a');
    await row.getByRole('button', { name: 'API trace' }).click();
    const trace = page.getByRole('table', { name: /API trace of callbridge-a/ });
    await trace.getByRole('cell', { name: /secret=\*\*\*\*\*/ }).first().waitFor();
    assert.equal(await trace.getByText(/TopSecret42|8642/).count(), 0);
    await row.getByRole('button', { name: 'API trace' }).click();

    await form.getByLabel('Node addresses in /callBridges').selectOption('');
    await setSwitch(form, 'Send CDRs', true);
    await form.getByLabel('Page cap').fill('');
    await form.getByLabel('Requests at once per node').fill('');
    await form.getByLabel('Answer when busy').selectOption('503');
    await form.getByRole('button', { name: 'Save behaviour' }).click();
    await page.getByLabel(`Settings of ${cluster.name}`).getByText(/as reached; CDRs sent; page cap 10; .*no limit on requests at once/).waitFor();
    assert.deepEqual(cluster.getVariance(), { advertiseScheme: null, cdrs: true, pageCap: null, forgetBulkSyncsOnRestart: false, maxConcurrentRequests: null, throttleStatus: 503 });
  });

  test('Restart asks first, then the node restarts (audited)', async () => {
    const row = nodeRow('cms-lab-cluster', 'callbridge-b');
    await row.getByRole('button', { name: 'Restart' }).click();
    await dialog('Restart callbridge-b?').getByRole('button', { name: 'Restart node' }).click();
    await page.getByText('callbridge-b closed its listener and opened it again.').waitFor();
    const audit = await t.api('GET', '/api/v1/audit?action=lab.cms.restart');
    assert.equal(audit.body.total, 1);
    assert.equal(audit.body.items[0].entityId, 'cms-lab-cluster/callbridge-b');
  });

  test('a call made on the Lab CMS appears live in the CMS tab with its participants and their state, and leaves when it ends', async () => {
    const { cluster, username, password } = getLab(t.sb.services)!.cmsClusters[0];
    const form = { ...basic(username, password), 'content-type': 'application/x-www-form-urlencoded' };
    const node = cluster.nodes[1];
    const post = async (path: string, body: string) => (await fetch(`${node.baseUrl}/api/v1${path}`, { method: 'POST', headers: form, body })).headers.get('location')!.split('/').pop()!;
    const section = page.getByRole('region', { name: `Cisco Meeting Server — ${cluster.name}` });
    await section.getByText('No active calls').waitFor();

    const call = await post('/calls', 'name=Weekly+sync');
    await post(`/calls/${call}/callLegs`, 'remoteParty=alice%40example.com');
    await post(`/calls/${call}/participants`, 'remoteParty=bob%40example.com');
    const row = section.getByRole('table', { name: `Calls on ${cluster.name}` }).getByRole('row', { name: /Weekly sync/ });
    await row.getByRole('cell', { name: node.name, exact: true }).waitFor();
    const participants = row.getByRole('list', { name: 'Participants of Weekly sync' });
    await participants.getByRole('listitem').filter({ hasText: 'alice@example.com' }).waitFor();
    assert.equal(await participants.getByRole('listitem').count(), 2);
    // The dial-out rings, then is answered (the simulator's timing): the page follows without a reload.
    await participants.getByRole('listitem').filter({ hasText: 'bob@example.com' }).getByText('connected', { exact: true }).waitFor({ timeout: 30_000 });

    await fetch(`${node.baseUrl}/api/v1/calls/${call}`, { method: 'DELETE', headers: form });
    await section.getByText('No active calls').waitFor();
    await waitFor('call gone from the simulator', async () => node.bridge.calls.size === 0 || undefined);
  });
});
