import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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

  test('a TMS fault reaches the import as the fault it is, on HTTP 500 (as TMS answers) and on a 4xx', async () => {
    const tms = getLab(t.sb.services)!.tms!;
    // The same TMS behind a proxy that moves a fault's status to 400 (a SOAP 1.2 Sender, or a facade that answers 4xx).
    const proxy = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k))) as Record<string, string>;
      const answer = await fetch(`${tms.url}${req.url}`, { method: req.method, headers, body: req.method === 'POST' ? Buffer.concat(chunks) : undefined });
      res.writeHead(answer.status === 500 ? 400 : answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/xml' });
      res.end(Buffer.from(await answer.arrayBuffer()));
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      assert.equal((await t.api('PUT', '/api/v1/lab/tms/fault', { kind: 'server-error' })).status, 200);
      for (const url of [tms.url, `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`]) {
        const faulted = await t.api('POST', '/api/v1/meetings/tms-import/dry-run', { url, username: 'tms-admin', password: 'tms-password' });
        assert.equal(faulted.status, 502, JSON.stringify(faulted.body));
        assert.equal(faulted.body.error.code, 'UPSTREAM_FAILED');
        assert.match(faulted.body.error.message, /answered .* with a fault: Unspecified Exception \(Lab fault\)/);
        assert.equal(faulted.body.error.details.tmsErrorCode, -2147219500);
      }
    } finally {
      await t.api('PUT', '/api/v1/lab/tms/fault', { kind: 'none' });
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });
});
