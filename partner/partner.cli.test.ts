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

// The partner CLI against a running server: tables, the status view and its CSV, a package change.
describe('switchboard partner CLI', () => {
  let t: TestSwitchboard;
  let templateId: string;
  let subscriberId: string;
  before(async () => {
    t = await startTestSwitchboard({ areas: [partnerArea], config: { jobPollSeconds: 0.5 } });
    const { template } = await createClusterAndTemplate(t, { name: 'cli-cluster' });
    templateId = template.id;
    const created = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(template.provisioningId, { userId: 'cli-user@sp.example', spEnterpriseId: 'SP1+cli' }));
    await waitForStatus(t, created.body.id, ['provisioned']);
    subscriberId = Buffer.from(created.body.id, 'base64url').toString().split('/').pop()!;
  });
  after(async () => t?.close());

  const cli = async (...args: string[]) =>
    (await run(process.execPath, [path.join(root, 'cli/main.ts'), ...args], { cwd: root, env: { ...process.env, SWITCHBOARD_URL: t.url, SWITCHBOARD_TOKEN: t.adminToken, XDG_CONFIG_HOME: '/nonexistent' } })).stdout;

  test('clusters, templates, customers and the user status view print as tables; --csv prints the export', async () => {
    assert.match(await cli('partner', 'clusters'), /cli-cluster/);
    assert.match(await cli('partner', 'templates'), /cli-cluster-template/);
    assert.match(await cli('partner', 'customers'), /SP1\+cli/);
    assert.match(await cli('partner', 'users', templateId), /cli-user@sp\.example.*provisioned/);
    const csv = await cli('partner', 'users', templateId, '--csv');
    assert.match(csv.split('\r\n')[0]!, /^userId,firstName/);
    assert.match(csv, /cli-user@sp\.example/);
    assert.match(await cli('partner', 'package', subscriberId, 'premium'), /updating/);
  });
});
