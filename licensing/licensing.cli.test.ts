import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { licensingArea } from './licensing.area.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');

// `switchboard licensing smart-accounts delete <id>` (issue #14: a smart account could be deleted
// only through the API).
describe('switchboard licensing smart-accounts delete', () => {
  let t: TestSwitchboard;
  before(async () => {
    t = await startTestSwitchboard({ areas: [licensingArea] });
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

  test('deletes the smart account with a message saying what went; an unknown one fails with exit code 1; the listing still works', async () => {
    // An unreachable CSSM: the first sync fails, the smart account stays.
    const created = await t.api('POST', '/api/v1/licensing/smart-accounts', { domain: 'gone.example.com', name: 'Gone Partner', clientId: 'c', clientSecret: 's', authGatewayUrl: 'http://127.0.0.1:9/as/token.oauth2', cssmServerUrl: 'http://127.0.0.1:9/api' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.smartAccount.id;
    assert.match((await cli('licensing', 'smart-accounts')).stdout, /gone\.example\.com/);
    const deleted = await cli('licensing', 'smart-accounts', 'delete', id);
    assert.match(deleted.stdout, /Smart account Gone Partner \(gone\.example\.com\) deleted from Switchboard with its 0 virtual accounts; CSSM is not changed\./);
    assert.equal((await t.api('GET', `/api/v1/licensing/smart-accounts/${id}`)).status, 404);
    const again = await fails('licensing', 'smart-accounts', 'delete', id);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^Error: Smart account .* does not exist\. \(code NOT_FOUND/m);
    const usage = await fails('licensing', 'smart-accounts', 'delete');
    assert.equal(usage.code, 2, 'a missing id is a usage error');
    const audit = await t.api('GET', '/api/v1/audit?action=licensing.smart-account.delete');
    assert.equal(audit.body.items.length, 1);
  });
});
