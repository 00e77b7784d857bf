import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startTestSwitchboard, type TestSwitchboard } from '../../test/support/test-switchboard.ts';
import { partnerArea } from '../partner.area.ts';
import { insertHistoryRows } from './billing.repository.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

// `switchboard billing create|list|get|delete|download` against a running server (P16).
describe('switchboard billing CLI', () => {
  let t: TestSwitchboard;
  before(async () => {
    t = await startTestSwitchboard({ areas: [partnerArea], config: { jobPollSeconds: 0.5 } });
    const row = { userId: 'cli@sp', spEnterpriseId: 'SP9+cli', package: 'basic', status: 'provisioning', selfActivated: true, previous: null };
    const id = 'bbbbbbbb-0000-4000-8000-000000000001';
    await insertHistoryRows(t.sb.services.database.db, [
      { ...row, subscriberId: id, at: new Date('2021-06-01T10:00:00Z'), change: 'created' },
      { ...row, subscriberId: id, at: new Date('2021-06-01T10:00:05Z'), change: 'status', status: 'provisioned' },
      { ...row, subscriberId: id, at: new Date('2021-06-16T10:00:00Z'), change: 'package', status: 'provisioned', package: 'premium', previous: 'basic' },
    ]);
  });
  after(async () => t?.close());

  const cli = (...args: string[]) =>
    run(process.execPath, [path.join(root, 'cli/main.ts'), ...args], { cwd: root, env: { ...process.env, SWITCHBOARD_URL: t.url, SWITCHBOARD_TOKEN: t.adminToken, XDG_CONFIG_HOME: '/nonexistent' } });
  const fails = async (args: string[]) => {
    try {
      await cli(...args);
    } catch (error) {
      return error as { code: number; stderr: string };
    }
    assert.fail(`${args.join(' ')} should have failed`);
  };

  test('create follows the job with progress and prints the totals; list, get, download, delete', async () => {
    const created = await cli('billing', 'create', '2021-06');
    assert.match(created.stderr, /Job .*Billing report 2021-06/);
    assert.match(created.stderr, /100%\s+completed/);
    assert.match(created.stdout, /completed: Billing report 2021-06/);
    assert.match(created.stdout, /Status:\s+COMPLETED/);
    assert.match(created.stdout, /Records:\s+2/);
    assert.match(created.stdout, /basic\s+1\s+0\.5000/);
    assert.match(created.stdout, /premium\s+1\s+0\.5000/);
    const id = /ID:\s+(\S+)/.exec(created.stdout)![1]!;

    assert.match((await cli('billing', 'list')).stdout, new RegExp(`${id}\\s+2021-06\\s+COMPLETED\\s+2`));
    assert.match((await cli('billing', 'get', id)).stdout, /Billing period:\s+2021-06/);

    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'billing-cli-')), 'june.csv');
    await cli('billing', 'download', id, '--output', file);
    const lines = fs.readFileSync(file, 'utf8').split('\r\n').filter(Boolean);
    assert.equal(lines.length, 3);
    assert.match(lines[1]!, /,SP9\+cli,false,cli@sp,\S+,true,2021-06-01,2021-06-01,2021-06-15,basic,0\.5$/);
    assert.match(lines[2]!, /,2021-06-16,2021-06-30,premium,0\.5$/);
    assert.equal((await cli('billing', 'download', id)).stdout, fs.readFileSync(file, 'utf8'));

    const again = await fails(['billing', 'create', '2021-06', '--no-wait']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists.*Delete it first/);

    assert.match((await cli('billing', 'delete', id)).stdout, /Deleted/);
    assert.doesNotMatch((await cli('billing', 'list')).stdout, /2021-06/);
  });

  test('a bad month is refused with a clear message and a non-zero exit code', async () => {
    const bad = await fails(['billing', 'create', '2021-6']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /YYYY-MM/);
    const missing = await fails(['billing', 'get', 'nope']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /not found/i);
  });
});
