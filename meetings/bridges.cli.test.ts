import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { waitFor } from '../test/support/wait-for.ts';
import { labArea } from '../lab/lab.area.ts';
import { meetingsArea } from './meetings.area.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');

// #18: a bridge's concurrent-request limit (the API's maxConcurrentRequests) from the CLI.
describe('switchboard bridges set --max-concurrent-requests', () => {
  let t: TestSwitchboard;
  let bridgeId: string;
  const cli = (...args: string[]) => run(process.execPath, [path.join(root, 'cli/main.ts'), 'bridges', ...args], { cwd: root, env: { ...process.env, SWITCHBOARD_URL: t.url, SWITCHBOARD_TOKEN: t.adminToken, XDG_CONFIG_HOME: '/nonexistent' } });
  const limitOf = async () => (await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}`)).body.maxConcurrentRequests;

  before(async () => {
    t = await startTestSwitchboard({ areas: [labArea, meetingsArea], config: { lab: 'true', jobPollSeconds: 0.5 } });
    bridgeId = await waitFor('a Lab bridge', async () => (await t.api('GET', '/api/v1/meetings/bridges')).body.items[0]?.id, { timeoutMs: 120_000, intervalMs: 250 });
  });
  after(async () => t?.close());

  test('sets the limit, shows it, and "default" gives it back to the configured default', async () => {
    assert.equal(await limitOf(), null);
    await cli('set', bridgeId, '--max-concurrent-requests', '6');
    assert.equal(await limitOf(), 6);
    const { stdout } = await cli('show', bridgeId);
    assert.match(stdout, /API requests at once per node:\s+6\n/);
    await cli('set', bridgeId, '--max-concurrent-requests', 'default');
    assert.equal(await limitOf(), null);
    assert.match((await cli('show', bridgeId)).stdout, /API requests at once per node:\s+default/);
  });

  test('a limit out of range is refused before anything is sent', async () => {
    await cli('set', bridgeId, '--max-concurrent-requests', '7');
    await assert.rejects(cli('set', bridgeId, '--max-concurrent-requests', '0'), (error: any) => error.code !== 0 && /whole number from 1 to 1000/.test(error.stderr));
    assert.equal(await limitOf(), 7, 'unchanged');
  });
});
