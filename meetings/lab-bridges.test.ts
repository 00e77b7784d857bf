import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getLab, labArea } from '../lab/lab.area.ts';
import { createSwitchboard, type Switchboard } from '../platform/app.ts';
import { createTestDatabase, type TestDatabase } from '../test/support/test-database.ts';
import { waitFor } from '../test/support/wait-for.ts';
import { meetingsArea } from './meetings.area.ts';
import net from 'node:net';
import { resetLabState } from '../lab/lab.state.ts';

// `npm start`: with the Lab on, its CMS clusters are registered as bridges with a ready pool — once.
// The Lab keeps its clusters (ports, passwords, spaces) across restarts; after `lab reset`, or when a
// remembered port is taken, they come back on new ports: a restart must find the same bridges again.
describe('Lab CMS clusters become bridges', () => {
  let database: TestDatabase;
  let sb: Switchboard | undefined;
  let url = '';
  let token = '';

  async function start() {
    sb = await createSwitchboard({ areas: [labArea, meetingsArea], config: database.config, createFirstAdmin: true });
    url = await sb.listen();
    token = (await sb.services.auth.createApiToken({ name: 'lab-test', role: 'partner_full_admin' }, { type: 'system', id: null, name: 'test', role: 'system', customerOrgId: null })).token;
  }
  async function api(method: string, path: string, body?: unknown) {
    const response = await fetch(url + path, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    return { status: response.status, body: (await response.json()) as any };
  }
  /** The bridges, once every pool is synced against the lab clusters running now. */
  async function readyBridges() {
    const lab = getLab(sb!.services)!;
    const addresses = lab.cmsClusters.map((c) => c.cluster.nodes[0].baseUrl).sort();
    return waitFor('lab bridges with pools on the current lab', async () => {
      const page = (await api('GET', '/api/v1/meetings/bridges')).body;
      const current = JSON.stringify(page.items.map((b: any) => b.baseUrl).sort()) === JSON.stringify(addresses);
      return current && page.items.every((b: any) => b.poolState === 'ready') && page;
    }, { timeoutMs: 90_000, intervalMs: 250 });
  }

  before(async () => {
    database = await createTestDatabase({ lab: 'true', jobPollSeconds: 0.5 } as never);
    await start();
  });
  after(async () => {
    await sb?.close();
    await database?.drop();
  });

  let first: any[] = [];
  let booking: any;
  test('both lab clusters are bridges, the 2-node one with its cluster, pools synced, bookable', async () => {
    const page = await readyBridges();
    assert.equal(page.total, 2);
    first = page.items;
    const nodes = await Promise.all(first.map(async (b: any) => (await api('GET', `/api/v1/meetings/bridges/${b.id}/nodes`)).body.items.length));
    assert.deepEqual(nodes.sort(), [1, 2]);
    const booked = await api('POST', '/api/v1/meetings/bookings', { title: 'First meeting', start: new Date(Date.now() + 3_600_000).toISOString(), durationMinutes: 30, timeZone: 'UTC' });
    assert.equal(booked.status, 201, JSON.stringify(booked.body));
    booking = booked.body;
  });

  test('after `lab reset` and a restart (new ports, new passwords) the same bridges point at the new lab; none is added', async () => {
    await sb!.close();
    sb = undefined;
    resetLabState(database.config.dataDir);
    await start();
    const lab = getLab(sb!.services)!;
    const page = await readyBridges();
    assert.equal(page.total, 2, 'no bridge was added');
    assert.deepEqual(page.items.map((b: any) => b.id).sort(), first.map((b) => b.id).sort());
    for (const bridge of page.items) {
      const cluster = lab.cmsClusters.find((c) => c.cluster.nodes[0].baseUrl === bridge.baseUrl)!.cluster;
      const nodes = (await api('GET', `/api/v1/meetings/bridges/${bridge.id}/nodes`)).body.items;
      assert.deepEqual(nodes.map((n: any) => n.address).sort(), cluster.nodes.map((n) => n.baseUrl).sort(), 'every node follows its new port');
      // The pool was made again on the new (empty) simulator: each slot is a space there.
      const pool = (await api('GET', `/api/v1/meetings/bridges/${bridge.id}/pool`)).body.items;
      assert.equal(pool.length, 10);
      for (const slot of pool) assert.ok(cluster.store.get('coSpaces', slot.coSpaceId), `slot ${slot.slot} is a space on the new lab`);
      const status = await api('GET', `/api/v1/meetings/bridges/${bridge.id}`);
      assert.equal(status.body.connectivity, 'reachable');
    }
    // What was booked before the restart is still booked, and booking goes on.
    assert.equal((await api('GET', `/api/v1/meetings/bookings/${booking.id}`)).body.state, 'booked');
    const again = await api('POST', '/api/v1/meetings/bookings', { title: 'After the restart', start: new Date(Date.now() + 3_600_000).toISOString(), durationMinutes: 30, timeZone: 'UTC', bridgeId: booking.bridgeId });
    assert.equal(again.status, 201, JSON.stringify(again.body));
  });

  const relinks = async () => (await api('GET', '/api/v1/audit?action=bridge.relink&limit=100')).body.items.length;
  const addresses = (page: any) => page.items.map((b: any) => b.baseUrl).sort();

  test('after a plain restart the lab comes back on the same ports with its spaces: the bridges are left as registered', async () => {
    const before = await readyBridges();
    const relinked = await relinks();
    await sb!.close();
    sb = undefined;
    await start();
    const page = await readyBridges();
    assert.deepEqual(addresses(page), addresses(before), 'same addresses');
    assert.equal(await relinks(), relinked, 'no relink');
    const lab = getLab(sb!.services)!;
    for (const bridge of page.items) {
      const cluster = lab.cmsClusters.find((c) => c.cluster.nodes[0].baseUrl === bridge.baseUrl)!.cluster;
      const pool = (await api('GET', `/api/v1/meetings/bridges/${bridge.id}/pool`)).body.items;
      for (const slot of pool) assert.ok(cluster.store.get('coSpaces', slot.coSpaceId), `slot ${slot.slot} is still a space on the lab`);
    }
  });

  test('a remembered port taken by another program: that cluster starts clean on new ports and its bridge is relinked to it', async () => {
    const before = await readyBridges();
    const relinked = await relinks();
    const single = getLab(sb!.services)!.cmsClusters.find((c) => c.cluster.name === 'cms-lab-single')!.cluster;
    const taken = single.nodes[0].port;
    await sb!.close();
    sb = undefined;
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(taken, '127.0.0.1', () => resolve()));
    try {
      await start();
      const lab = getLab(sb!.services)!;
      const moved = lab.cmsClusters.find((c) => c.cluster.name === 'cms-lab-single')!.cluster;
      assert.notEqual(moved.nodes[0].port, taken);
      const page = await readyBridges();
      assert.equal(page.total, 2);
      assert.ok(addresses(page).includes(moved.nodes[0].baseUrl));
      assert.ok(!addresses(page).includes(`http://127.0.0.1:${taken}`));
      assert.equal(await relinks(), relinked + 1, 'only the moved cluster was relinked');
      assert.ok(addresses(before).includes(lab.cmsClusters.find((c) => c.cluster.name === 'cms-lab-cluster')!.cluster.nodes[0].baseUrl), 'the other cluster kept its port');
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });
});
