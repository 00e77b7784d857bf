import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSwitchboard, type TestSwitchboard } from '../../test/support/test-switchboard.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import { meetingsArea } from '../../meetings/meetings.area.ts';
import { getLab, labArea } from '../lab.area.ts';

// #16 part 2 with `npm start`'s Lab: the Lab TMS is seeded on the Lab CMS clusters' addresses, so a
// dry run against it maps its MCUs to the Lab bridges by address; its fault knob reaches the import.
describe('Lab TMS', () => {
  let t: TestSwitchboard;
  before(async () => {
    t = await startTestSwitchboard({ areas: [labArea, meetingsArea], config: { lab: 'true' } });
  });
  after(async () => t?.close());

  test('runs with the Lab, is shown by GET /api/v1/lab, and its MCUs map to the Lab bridges by address', async () => {
    const shown = (await t.api('GET', '/api/v1/lab')).body.tms;
    const tms = getLab(t.sb.services)!.tms!;
    assert.equal(shown.url, tms.url);
    assert.equal(shown.username, 'tms-admin');
    assert.equal(shown.systems, 5, 'two MCUs (one per Lab cluster), two endpoints, the Codian MCU');
    assert.equal(JSON.stringify(shown).includes('tms-password'), false);
    // Pools ready: before that a bridge takes no booking, and the dry run would say conflict.
    const bridges = await waitFor('the Lab bridges with ready pools', async () => {
      const page = (await t.api('GET', '/api/v1/meetings/bridges')).body;
      return page.total === 2 && page.items.every((b: any) => b.poolState === 'ready') && page.items;
    }, { timeoutMs: 120_000, intervalMs: 250 });

    const res = await t.api('POST', '/api/v1/meetings/tms-import/dry-run', { url: tms.url, username: 'tms-admin', password: 'tms-password' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const mcus = res.body.systems.filter((s: any) => s.type === 'Cisco Meeting Server');
    assert.equal(mcus.length, 2);
    for (const mcu of mcus) {
      assert.equal(mcu.mappedAs, 'bridge', JSON.stringify(mcu));
      assert.equal(mcu.by, 'address');
      assert.ok(bridges.some((b: any) => b.id === mcu.bridgeId));
    }
    assert.equal(res.body.systems.find((s: any) => s.name === 'Codian MCU 4510').mappedAs, 'unmappable');
    assert.deepEqual(res.body.items.map((i: any) => i.action).sort(), ['create', 'create', 'skipped', 'skipped', 'unmappable']);
  });

  test('the Lab TMS fault knob: down makes the dry run a 504; clearing it restores the TMS', async () => {
    const tms = getLab(t.sb.services)!.tms!;
    const set = await t.api('PUT', '/api/v1/lab/tms/fault', { kind: 'down' });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    const down = await t.api('POST', '/api/v1/meetings/tms-import/dry-run', { url: tms.url, username: 'tms-admin', password: 'tms-password' });
    assert.equal(down.status, 504, JSON.stringify(down.body));
    assert.equal((await t.api('PUT', '/api/v1/lab/tms/fault', { kind: 'none' })).status, 200);
    assert.equal((await t.api('POST', '/api/v1/meetings/tms-import/dry-run', { url: tms.url, username: 'tms-admin', password: 'tms-password' })).status, 200);
    assert.equal((await t.api('PUT', '/api/v1/lab/tms/fault', { kind: 'sideways' })).status, 400);
  });
});
