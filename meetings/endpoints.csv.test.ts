import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ManualClock } from '../platform/clock.ts';
import { createCeCodec, type CeCodec } from '../lab/ce/ce.simulator.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { createMeetingsArea } from './meetings.area.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const host = (url: string) => url.replace(/^https?:\/\//, '');

// #17: endpoints registered in bulk from CSV — header required, per-row results with the file's line
// numbers, bad rows reported while good rows are registered — over the API and `switchboard endpoints`.
describe('Endpoints from CSV (#17)', () => {
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  let t: TestSwitchboard;
  let lobby: CeCodec;
  let studio: CeCodec;
  let annex: CeCodec;
  let dir: string;
  const cli = (...args: string[]) => run(process.execPath, [path.join(root, 'cli/main.ts'), ...args], {
    cwd: root, env: { ...process.env, SWITCHBOARD_URL: t.url, SWITCHBOARD_TOKEN: t.adminToken, XDG_CONFIG_HOME: '/nonexistent' },
  });

  before(async () => {
    lobby = createCeCodec({ name: 'lobby', clock, password: 'lobby-pw' });
    studio = createCeCodec({ name: 'studio', clock, password: 'studio-pw' });
    annex = createCeCodec({ name: 'annex', clock, password: 'annex-pw' });
    for (const c of [lobby, studio, annex]) await c.start();
    t = await startTestSwitchboard({ clock, areas: [createMeetingsArea({ endpointPollMs: 1e12, obtpTickMs: 1e12, reconcileIntervalMs: 1e12 })], config: { jobPollSeconds: 0.5 } as never });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'endpoints-csv-'));
  });
  after(async () => {
    await t?.close();
    for (const c of [lobby, studio, annex]) await c?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('good rows are registered and bad rows reported with their line numbers', async () => {
    const csv = [
      '\uFEFFAddress,Username,Password,Name,SIP URI,TLS',
      `${host(lobby.url)},admin,lobby-pw,"Lobby, ground floor",,false`,
      '',
      `${host(studio.url)},admin,wrong-pw,Studio,,no`,
      `0.0.0.0,admin,x,Nowhere,,false`,
      `${host(studio.url)},admin,,Studio,,false`,
      `${host(studio.url)},admin,studio-pw,"Studio ""B""`,
      `2nd floor",studio.b@lab.local,maybe`,
      `${host(studio.url)},admin,studio-pw,Studio,sip:studio.b@lab.local,false`,
      `${host(lobby.url)},admin,lobby-pw,Lobby again,,false`,
    ].join('\r\n');
    const res = await t.api('POST', '/api/v1/meetings/endpoints/bulk', { csv });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.results.map((r: any) => [r.line, r.ok, r.error?.code ?? null]), [
      [2, true, null],
      [4, false, 'UPSTREAM_REFUSED_CREDENTIALS'],
      [5, false, 'VALIDATION_FAILED'],
      [6, false, 'VALIDATION_FAILED'],
      [7, false, 'VALIDATION_FAILED'],
      [9, true, null],
      [10, false, 'ALREADY_EXISTS'],
    ]);
    assert.equal(res.body.added, 2);
    assert.equal(res.body.refused, 5);
    const byLine = new Map(res.body.results.map((r: any) => [r.line, r]));
    assert.match((byLine.get(6) as any).error.message, /^Line 6: password/);
    assert.match((byLine.get(7) as any).error.message, /^Line 7: tls/);
    assert.equal((byLine.get(2) as any).endpoint.name, 'Lobby, ground floor');
    assert.equal((byLine.get(9) as any).endpoint.sipUri, 'studio.b@lab.local');
    assert.equal((byLine.get(9) as any).endpoint.productId, 'Cisco Webex Room Kit');
    assert.equal(JSON.stringify(res.body).includes('lobby-pw'), false);
    const listed = (await t.api('GET', '/api/v1/meetings/endpoints')).body;
    assert.deepEqual(listed.items.map((e: any) => e.name).sort(), ['Lobby, ground floor', 'Studio']);
  });

  test('a file without a usable header is refused whole with a 400', async () => {
    for (const [csv, why] of [
      [`${host(annex.url)},admin,annex-pw`, /header row lacks/],
      ['address,username,password,room\nx,y,z,w', /unknown column "room"/],
      ['address,username,password', /no endpoints/],
      ['address,username,password\n"unterminated,admin,pw', /cannot be read/],
    ] as const) {
      const res = await t.api('POST', '/api/v1/meetings/endpoints/bulk', { csv });
      assert.equal(res.status, 400, csv);
      assert.equal(res.body.error.code, 'VALIDATION_FAILED');
      assert.match(res.body.error.message, why);
      assert.ok(res.body.error.trackingId);
    }
    const both = await t.api('POST', '/api/v1/meetings/endpoints/bulk', { csv: 'address,username,password\na,b,c', endpoints: [] });
    assert.equal(both.status, 400);
    assert.equal((await t.api('GET', '/api/v1/meetings/endpoints')).body.total, 2);
  });

  test('switchboard endpoints add --csv, list and remove', async () => {
    const file = path.join(dir, 'rooms.csv');
    fs.writeFileSync(file, `address,username,password,name,tls\n${host(annex.url)},admin,annex-pw,Annex,false\n${host(annex.url)},admin,annex-pw,Annex twice,false\n`);
    const refused = await cli('endpoints', 'add', '--csv', file).then(() => null, (error) => error);
    assert.ok(refused, 'a partly refused file exits non-zero');
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /2\s+\S+\s+registered Annex/);
    assert.match(refused.stdout, /3\s+\S+\s+ALREADY_EXISTS/);
    assert.match(refused.stdout, /1 registered, 1 refused\./);

    const { stdout: listed } = await cli('endpoints', 'list');
    assert.match(listed, /Annex/);
    assert.match(listed, /Lobby, ground floor/);
    const annexId = (await t.api('GET', '/api/v1/meetings/endpoints')).body.items.find((e: any) => e.name === 'Annex').id;
    const { stdout: removed } = await cli('endpoints', 'remove', annexId);
    assert.match(removed, /Removed endpoint/);
    assert.equal((await t.api('GET', `/api/v1/meetings/endpoints/${annexId}`)).status, 404);

    const missing = await cli('endpoints', 'add', '--csv', path.join(dir, 'none.csv')).then(() => null, (error) => error);
    assert.equal(missing?.code, 2);
  });
});
