import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { signedInBrowser, skipBrowserTests } from '../../test/support/browser.ts';
import { ManualClock } from '../../platform/clock.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../../test/support/test-switchboard.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import { createUcClusterSimulator, type UcClusterSimulator } from '../../lab/cucm/uc.simulator.ts';
import { createLicensingArea } from '../licensing.area.ts';

// Issue #14 (L4) in the console: adding a cluster whose HTTPS publisher has a self-signed certificate
// shows it in a confirm dialog and pins it; a renewed certificate shows on the cluster's page and on
// the home page (the cluster is not assigned: no smart account carries an alert) and is accepted
// from the cluster's page after the same dialog.
describe('Licensing console: publisher certificates', { skip: skipBrowserTests, timeout: 300_000 }, () => {
  const publisherClock = new ManualClock(new Date());
  const certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-console-uc-certs-'));
  let cucm: UcClusterSimulator;
  let t: TestSwitchboard;
  let browser: Browser;
  let page: Page;
  let clusterId: string;

  before(async () => {
    cucm = createUcClusterSimulator({ name: 'cl-tls-ui', type: 'CUCM', clock: publisherClock, cssmUrl: 'http://127.0.0.1:9', rebootMs: 0, users: 5, https: true, certDir });
    await cucm.start();
    t = await startTestSwitchboard({ areas: [createLicensingArea({ publisherPollMs: 300 })] });
    ({ browser, page } = await signedInBrowser(t, { width: 1400, height: 900 }));
    // Signed in once Home shows; a page load before that would land on the sign-in page.
    await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    await cucm?.stop();
    fs.rmSync(certDir, { recursive: true, force: true });
  });

  const certificateDialog = (title: string) => page.getByRole('dialog').filter({ hasText: title });

  test('L4: the add shows the publisher certificate; trusting it adds the cluster with it pinned', async () => {
    const fingerprint = cucm.certificateFingerprint()!;
    await page.goto(`${t.url}/licensing/clusters`);
    await page.getByRole('button', { name: 'Add UC cluster' }).first().click();
    const form = page.getByRole('form', { name: 'Add UC cluster' });
    await form.getByLabel('Cluster name').fill(cucm.name);
    await form.getByLabel('Version').fill('14.0');
    await form.getByLabel('Publisher address').fill(cucm.publisherUrl);
    await form.getByLabel('Administrator user').fill(cucm.admin.username);
    await form.getByLabel(/^Administrator password/).fill(cucm.admin.password);
    await form.getByLabel('Platform user').fill(cucm.platform.username);
    await form.getByLabel(/^Platform password/).fill(cucm.platform.password);
    await form.getByRole('button', { name: 'Add cluster' }).click();
    const dialog = certificateDialog('Trust this publisher\'s certificate?');
    await dialog.waitFor();
    assert.equal((await dialog.getByTestId('certificate-fingerprint').textContent())?.trim(), fingerprint);
    await dialog.getByText('CN=127.0.0.1').first().waitFor();
    await dialog.getByRole('button', { name: 'Trust and add' }).click();
    await page.getByRole('heading', { level: 1, name: `Cluster ${cucm.name}` }).waitFor();
    const section = page.getByRole('region', { name: 'Publisher certificate' });
    await section.getByText('Pinned (trusted on first use)').waitFor();
    assert.equal((await section.getByTestId('cluster-certificate-fingerprint').textContent())?.trim(), fingerprint);
    const clusters = (await t.api('GET', '/api/v1/licensing/clusters')).body.items;
    assert.equal(clusters.length, 1);
    clusterId = clusters[0].id;
    assert.equal(clusters[0].certificateTrust, 'pinned');
    assert.equal(clusters[0].certificateFingerprint, fingerprint);
  });

  test('L4: cancelling the dialog adds nothing and says why', async () => {
    await page.goto(`${t.url}/licensing/clusters`);
    await page.getByRole('button', { name: 'Add UC cluster' }).first().click();
    const form = page.getByRole('form', { name: 'Add UC cluster' });
    await form.getByLabel('Cluster name').fill('cl-tls-other');
    await form.getByLabel('Version').fill('14.0');
    await form.getByLabel('Publisher address').fill(cucm.publisherUrl);
    await form.getByLabel('Administrator user').fill('a');
    await form.getByLabel(/^Administrator password/).fill('b');
    await form.getByLabel('Platform user').fill('c');
    await form.getByLabel(/^Platform password/).fill('d');
    await form.getByRole('button', { name: 'Add cluster' }).click();
    const dialog = certificateDialog('Trust this publisher\'s certificate?');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await form.getByText(/no trusted CA vouches for|not trusted/i).first().waitFor();
    assert.equal((await t.api('GET', '/api/v1/licensing/clusters')).body.total, 1, 'nothing added');
    await form.getByRole('button', { name: 'Cancel' }).click();
  });

  test('L4: a renewed certificate shows on the home page and the cluster page; accepting it after the dialog pins it', async () => {
    const oldFingerprint = cucm.certificateFingerprint()!;
    const { fingerprint } = await cucm.rotateCertificate();
    const check = await t.api('POST', `/api/v1/licensing/clusters/${clusterId}/check`);
    assert.notEqual(check.body.ok, true, JSON.stringify(check.body));

    await page.goto(`${t.url}/`);
    const card = page.getByRole('region', { name: 'Changed publisher certificates' });
    await card.getByLabel('1 changed publisher certificates').waitFor();
    await card.getByRole('link', { name: `${cucm.name}: certificate changed (not assigned)` }).click();
    await page.getByRole('heading', { level: 1, name: `Cluster ${cucm.name}` }).waitFor();

    const section = page.getByRole('region', { name: 'Publisher certificate' });
    assert.equal((await section.getByTestId('cluster-presented-fingerprint').textContent())?.trim(), fingerprint);
    assert.equal((await section.getByTestId('cluster-certificate-fingerprint').textContent())?.trim(), oldFingerprint);
    await section.getByRole('button', { name: 'Accept new certificate' }).click();
    const dialog = certificateDialog(`Accept the new certificate of ${cucm.name}?`);
    assert.equal((await dialog.getByTestId('certificate-fingerprint').textContent())?.trim(), fingerprint);
    await dialog.getByRole('button', { name: 'Accept certificate' }).click();
    await section.getByRole('button', { name: 'Accept new certificate' }).waitFor({ state: 'detached' });
    assert.equal((await section.getByTestId('cluster-certificate-fingerprint').textContent())?.trim(), fingerprint);
    const cluster = await waitFor('the pin', async () => {
      const c = (await t.api('GET', `/api/v1/licensing/clusters/${clusterId}`)).body;
      return c.certificateFingerprint === fingerprint ? c : false;
    });
    assert.equal(cluster.presentedCertificate, null);
    assert.equal((await t.api('GET', '/api/v1/attention')).body.items.find((i: any) => i.key === 'licensing.certificates').count, 0);
  });
});
