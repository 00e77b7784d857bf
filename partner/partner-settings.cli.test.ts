import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { partnerArea } from './partner.area.ts';
import { createClusterAndTemplate, subscriberBody, waitForStatus } from './partner.testkit.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');

// The CLI for org settings (P13), restricted-by-partner mode (P14) and the release schedule.
describe('switchboard partner settings CLI', () => {
  let t: TestSwitchboard;
  let orgId: string;
  before(async () => {
    t = await startTestSwitchboard({ areas: [partnerArea], config: { jobPollSeconds: 0.5 } });
    const { template } = await createClusterAndTemplate(t, { name: 'cli-settings' });
    const created = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(template.provisioningId, { spEnterpriseId: 'SP1+clisettings' }));
    await waitForStatus(t, created.body.id, ['provisioned']);
    orgId = (await t.api('GET', '/api/v1/partner/customers')).body.items[0].id;
  });
  after(async () => t?.close());

  const cli = (token: string, ...args: string[]) =>
    run(process.execPath, [path.join(root, 'cli/main.ts'), ...args], { cwd: root, env: { ...process.env, SWITCHBOARD_URL: t.url, SWITCHBOARD_TOKEN: token, XDG_CONFIG_HOME: '/nonexistent' } });

  test('settings, access, restricted on/off and the release schedule; a restricted customer admin gets a clear error and a non-zero exit', async () => {
    assert.match((await cli(t.adminToken, 'partner', 'settings', orgId, '--set', 'autoLicense=true', '--set', 'domain=cli.example')).stdout, /autoLicense\s+true/);
    const customer = await t.tokenFor('customer_admin', orgId);
    const access = (await cli(customer, 'partner', 'access', orgId)).stdout;
    assert.match(access, /Restricted by partner: on/);
    assert.match(access, /Authentication and SSO\s+read-only/);
    await assert.rejects(cli(customer, 'partner', 'settings', orgId, '--set', 'directorySync=true'), (error: any) => {
      assert.notEqual(error.code, 0);
      assert.match(error.stderr, /Directory synchronisation settings" is restricted by your partner/);
      return true;
    });
    assert.match((await cli(t.adminToken, 'partner', 'restricted', orgId, 'off')).stdout, /restricted by partner off/);
    assert.match((await cli(customer, 'partner', 'settings', orgId, '--set', 'directorySync=true')).stdout, /directorySync\s+true/);
    await assert.rejects(cli(t.adminToken, 'partner', 'restricted', orgId, 'maybe'), (error: any) => error.code === 2);
    assert.match((await cli(t.adminToken, 'partner', 'release-schedule', '--defer-days', '30', '--cascade')).stdout, /Deferral: 30 days/);
    assert.match((await cli(t.adminToken, 'partner', 'release-schedule')).stdout, /0 customer\(s\) with their own schedule/);
  });
});
