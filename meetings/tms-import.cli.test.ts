import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { waitFor } from '../test/support/wait-for.ts';
import { getLab, labArea } from '../lab/lab.area.ts';
import { meetingsArea } from './meetings.area.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');

// #16 part 2: `switchboard meetings import-tms` against the Lab TMS — the dry-run report, the import
// job followed to its end, and --follow picking up a change made on the TMS until it is stopped.
describe('switchboard meetings import-tms', () => {
  let t: TestSwitchboard;
  const env = () => ({ ...process.env, SWITCHBOARD_URL: t.url, SWITCHBOARD_TOKEN: t.adminToken, SWITCHBOARD_TMS_PASSWORD: 'tms-password', XDG_CONFIG_HOME: '/nonexistent' });
  const args = () => ['meetings', 'import-tms', '--url', getLab(t.sb.services)!.tms!.url, '--user', 'tms-admin'];
  const cli = (...extra: string[]) => run(process.execPath, [path.join(root, 'cli/main.ts'), ...args(), ...extra], { cwd: root, env: env() });

  before(async () => {
    t = await startTestSwitchboard({ areas: [labArea, meetingsArea], config: { lab: 'true', jobPollSeconds: 0.5 } });
    await waitFor('the Lab bridges with ready pools', async () => {
      const page = (await t.api('GET', '/api/v1/meetings/bridges')).body;
      return page.total === 2 && page.items.every((b: any) => b.poolState === 'ready');
    }, { timeoutMs: 120_000, intervalMs: 250 });
  });
  after(async () => t?.close());

  test('--dry-run prints the systems and bookings with reasons and books nothing', async () => {
    const { stdout } = await cli('--dry-run');
    assert.match(stdout, /Codian MCU 4510.*unmappable.*No bridge has the address 10\.47\.0\.99/);
    assert.match(stdout, /Oslo Room Kit.*dial-out oslo\.room@lab\.local/);
    assert.match(stdout, /skipped.*Sales kickoff \(defective\).*Defective on TMS/);
    assert.match(stdout, /2 create, 0 update, 0 unchanged, 0 conflict, 1 unmappable, 2 skipped/);
    assert.equal((await t.api('GET', '/api/v1/meetings/bookings')).body.total, 0);
    await assert.rejects(cli('--dry-run', '--mapping', '/nonexistent/mapping.json'), (error: any) => error.code === 2 && /mapping file/.test(error.stderr));

    // A CSV mapping file (system,bridge,ignore): the MCU Switchboard has no bridge for is left out.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tms-mapping-'));
    const csv = path.join(dir, 'mapping.csv');
    fs.writeFileSync(csv, 'system,bridge,ignore\nCodian MCU 4510,,true\n');
    const mapped = await cli('--dry-run', '--mapping', csv);
    assert.match(mapped.stdout, /Codian MCU 4510.*ignored\s+mapping file/);
    assert.match(mapped.stdout, /, 0 unmappable,/);
    fs.writeFileSync(csv, 'system,bridge,ignore\nCodian MCU 4510,,\n');
    await assert.rejects(cli('--dry-run', '--mapping', csv), (error: any) => error.code === 2 && /row 2: give a bridge for Codian MCU 4510/.test(error.stderr));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the import runs as a job to its end; --follow then imports a change made on the TMS until stopped', async () => {
    const { stdout } = await cli();
    assert.match(stdout, /Job .* completed: Import bookings from TMS/);
    assert.match(stdout, /2 created/);
    assert.equal((await t.api('GET', '/api/v1/meetings/bookings')).body.total, 2);

    const tms = getLab(t.sb.services)!.tms!;
    const child = spawn(process.execPath, [path.join(root, 'cli/main.ts'), ...args(), '--follow', '--interval', '5'], { cwd: root, env: env() });
    let out = '';
    child.stdout.on('data', (chunk) => (out += String(chunk)));
    child.stderr.on('data', (chunk) => (out += String(chunk)));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor('the CLI to follow', () => /Following .* from transaction \d+/.test(out), { timeoutMs: 120_000 });
      const board = tms.state.conferences.find((c) => c.Title === 'Board meeting')!;
      tms.update(board.ConferenceId, { Title: 'Board meeting (renamed on TMS)' });
      await waitFor('the change imported', () => /update\s+\d+ Board meeting \(renamed on TMS\)/.test(out), { timeoutMs: 120_000 });
      const titles = (await t.api('GET', '/api/v1/meetings/bookings?limit=100')).body.items.map((b: any) => b.title);
      assert.ok(titles.includes('Board meeting (renamed on TMS)'), JSON.stringify(titles));
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0, out);
    assert.match(out, /Stopped at transaction \d+/);
  });
});
