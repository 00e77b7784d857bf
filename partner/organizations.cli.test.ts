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

// The enterprise, deletion, detach and trends commands against a running server.
describe('switchboard partner CLI: enterprises, deletion, detach, trends', () => {
  let t: TestSwitchboard;
  let personId: string;
  let customerId: string;
  before(async () => {
    t = await startTestSwitchboard({ areas: [partnerArea], config: { jobPollSeconds: 0.5 } });
    const { template } = await createClusterAndTemplate(t, { name: 'cli-org-cluster' });
    const created = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(template.provisioningId, { spEnterpriseId: 'CLI+org' }));
    personId = (await waitForStatus(t, created.body.id, ['provisioned'])).personId;
    customerId = (await t.api('GET', '/api/v1/partner/customers')).body.items[0].id;
  });
  after(async () => t?.close());

  const cli = (...args: string[]) => run(process.execPath, [path.join(root, 'cli/main.ts'), ...args], { cwd: root, env: { ...process.env, SWITCHBOARD_URL: t.url, SWITCHBOARD_TOKEN: t.adminToken, XDG_CONFIG_HOME: '/nonexistent' } });
  const fails = async (...args: string[]) => {
    try {
      await cli(...args);
    } catch (error) {
      return error as { code: number; stderr: string };
    }
    assert.fail(`${args.join(' ')} should have failed`);
  };

  test('enterprises and dirsync; delete-person refuses the last admin without --force; detach of a partner-made org fails; trends print', async () => {
    assert.match((await cli('partner', 'enterprises')).stdout, /CLI\+org\s+off\s+NOT_SYNCED/);
    assert.match((await cli('partner', 'dirsync', 'CLI+org', '--enable')).stdout, /"enableDirSync": true/);
    assert.match((await cli('partner', 'enterprises', '--starts-with', 'CLI')).stdout, /CLI\+org\s+on/);
    const lastAdmin = await fails('partner', 'delete-person', personId);
    assert.notEqual(lastAdmin.code, 0);
    assert.match(lastAdmin.stderr, /last full administrator/);
    assert.match((await cli('partner', 'delete-person', personId, '--force')).stdout, /deleted/);
    const detach = await fails('partner', 'detach', customerId, '--flow', 'standard');
    assert.match(detach.stderr, /delete it instead/);
    assert.match((await fails('partner', 'detach', customerId, '--flow', 'sideways')).stderr, /standard or hybrid/);
    assert.match((await cli('partner', 'trends', '--interval', 'daily')).stdout, /PERIOD\s+AS OF\s+SOFTPHONE/);
  });
});
