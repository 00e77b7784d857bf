import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { signedInBrowser } from '../../test/support/browser.ts';
import { advanceClockUntil } from '../../test/support/wait-for.ts';
import { ManualClock } from '../../platform/clock.ts';
import { createCmsCluster, type CmsCluster } from '../../lab/cms/cms.cluster.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../../test/support/test-switchboard.ts';
import { createMeetingsArea } from '../meetings.area.ts';

// Issue #14 (M1, M2) in the console: adding an HTTPS bridge with a self-signed certificate shows it in
// a confirm dialog (subject, issuer, validity, fingerprint); a renewed certificate is accepted from
// the bridge's cluster table after the same dialog.
const skip = process.env.DATABASE_URL ? 'browser tests run once, on the embedded database (DATABASE_URL is set)' : false;

describe('Meetings console: bridge certificates', { skip }, () => {
  const clock = new ManualClock(new Date());
  const certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-console-certs-'));
  let cms: CmsCluster;
  let t: TestSwitchboard;
  let browser: Browser;
  let page: Page;

  const until = (what: string, probe: () => Promise<boolean>, stepMs = 200, timeoutMs = 45_000) => advanceClockUntil(clock, what, probe, { stepMs, timeoutMs });

  before(async () => {
    cms = await createCmsCluster({ name: 'tls-console', nodes: [{ name: 'tls-1', host: '127.0.0.1', port: 0, https: true }], clock, certDir });
    await cms.start();
    t = await startTestSwitchboard({ clock, areas: [createMeetingsArea({ tickMs: 1000, statusIntervalMs: 600_000, backoffMs: 200, reconcileIntervalMs: 1e12 })], config: { jobPollSeconds: 0.5 } as never });
    ({ browser, page } = await signedInBrowser(t, { width: 1280, height: 900 }));
    await page.getByRole('link', { name: 'Meetings' }).click();
    // Bridges are added on their own page since the Bridges/Bridge pages.
    await page.getByRole('link', { name: 'Bridges', exact: true }).first().click();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    await cms?.stop();
    fs.rmSync(certDir, { recursive: true, force: true });
  });

  test('M1: the add shows the certificate; trusting it adds the bridge with it pinned', async () => {
    const fingerprint = cms.certificateFingerprint('tls-1')!;
    const form = page.getByRole('form', { name: 'Add bridge' });
    await form.getByLabel('Addresses').fill(cms.nodes[0].baseUrl.replace('https://', ''));
    await form.getByLabel('Username').fill('admin');
    await form.getByLabel('Password', { exact: true }).fill('admin');
    await form.getByRole('button', { name: 'Add' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Trust this bridge\'s certificate?').waitFor();
    assert.equal((await dialog.getByTestId('certificate-fingerprint').textContent())?.trim(), fingerprint);
    await dialog.getByText('CN=127.0.0.1').first().waitFor();
    await dialog.getByRole('button', { name: 'Trust and add' }).click();
    await page.getByRole('table', { name: 'Added systems' }).getByRole('cell', { name: 'System added despite warnings', exact: true }).waitFor();
    const bridges = (await t.api('GET', '/api/v1/meetings/bridges')).body.items;
    assert.equal(bridges.length, 1);
    const nodes = (await t.api('GET', `/api/v1/meetings/bridges/${bridges[0].id}/nodes`)).body.items;
    assert.equal(nodes[0].certificateFingerprint, fingerprint);
    assert.equal(nodes[0].certificateTrust, 'pinned');
  });

  test('M2: a renewed certificate shows as changed; accepting it after the dialog pins it and closes the ticket', async () => {
    const bridgeId = (await t.api('GET', '/api/v1/meetings/bridges')).body.items[0].id;
    const { fingerprint } = await cms.rotateCertificate('tls-1');
    const job = (await t.api('POST', `/api/v1/meetings/bridges/${bridgeId}/poll`)).body.jobId;
    await until('the poll', async () => ['completed', 'failed'].includes((await t.api('GET', `/api/v1/jobs/${job}`)).body.state));
    await page.goto(`${t.url}/meetings/bridges/${bridgeId}`);
    await page.getByText('Certificate Changed').first().waitFor();
    const cell = page.getByLabel('Certificate of tls-1');
    await cell.getByText(fingerprint).waitFor();
    await cell.getByRole('button', { name: 'Accept new certificate' }).click();
    const dialog = page.getByRole('dialog');
    assert.equal((await dialog.getByTestId('certificate-fingerprint').textContent())?.trim(), fingerprint);
    await dialog.getByRole('button', { name: 'Accept certificate' }).click();
    await until('the pin', async () => (await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/nodes`)).body.items[0].certificateFingerprint === fingerprint);
    await cell.getByRole('button', { name: 'Accept new certificate' }).waitFor({ state: 'detached' });
    const open = (await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/tickets`)).body.items.filter((x: any) => x.state !== 'closed' && x.title === 'Certificate Changed');
    assert.equal(open.length, 0);
  });
});
