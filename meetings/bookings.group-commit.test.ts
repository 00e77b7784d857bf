import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { ManualClock } from '../platform/clock.ts';
import { createCmsCluster, type CmsCluster } from '../lab/cms/cms.cluster.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { createMeetingsArea } from './meetings.area.ts';
import { createBookings, windows, type BookingInput } from './bookings.service.ts';
import type { Actor } from '../platform/auth/actor.ts';

// M8 group commit: bookings for one bridge that arrive while a decision runs are decided together,
// in arrival order, each against the pool at every instant (including the ones accepted before it
// in the batch); each accepted booking has its audit record and change-feed entry, a refused one
// neither; and a request that fails the batch's transaction fails alone.
describe('Meetings: bookings decided by group commit', () => {
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  const actor: Actor = { type: 'system', id: null, name: 'group-commit-test', role: 'system', customerOrgId: null };
  let cms: CmsCluster;
  let cms2: CmsCluster;
  let t: TestSwitchboard;
  let bridgeId: string;
  let bridge2Id: string;
  let bookings: ReturnType<typeof createBookings>;

  before(async () => {
    cms = await createCmsCluster({ name: 'gc', nodes: [{ name: 'gc-1', host: '127.0.0.1', port: 0 }], clock });
    await cms.start();
    t = await startTestSwitchboard({ clock, areas: [createMeetingsArea({ tickMs: 1000, statusIntervalMs: 600_000 })], config: { jobPollSeconds: 0.5 } as never });
    cms2 = await createCmsCluster({ name: 'gc2', nodes: [{ name: 'gc2-1', host: '127.0.0.1', port: 0 }], clock });
    await cms2.start();
    const addBridge = async (cluster: CmsCluster, name: string, quantity: number) => {
      const added = await t.api('POST', '/api/v1/meetings/bridges', { address: cluster.nodes[0].baseUrl, username: 'admin', password: 'admin', name });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      const id = added.body.items[0].id as string;
      const patched = await t.api('PATCH', `/api/v1/meetings/bridges/${id}`, { sipDomain: 'lab.local', numericIdBase: 1, numericIdQuantity: quantity });
      const deadline = Date.now() + 40_000;
      while ((await t.api('GET', `/api/v1/jobs/${patched.body.poolSyncJobId}`)).body.state !== 'completed') {
        if (Date.now() > deadline) throw new Error('pool sync timed out');
        clock.advance(500);
        await new Promise((r) => setTimeout(r, 25));
      }
      return id;
    };
    bridgeId = await addBridge(cms, 'Group CMS', 3);
    bridge2Id = await addBridge(cms2, 'Group CMS 2', 1);
    // A service of its own: calls made one after another without waiting arrive in that order.
    bookings = createBookings(t.sb.services);
  });
  after(async () => {
    await t?.close();
    await cms?.stop();
    await cms2?.stop();
  });

  const input = (title: string, start: string, end: string, on = bridgeId): BookingInput => ({ title, start, end, timeZone: 'UTC', bridgeId: on });
  const cursorNow = async () => {
    let since = 0;
    for (;;) {
      const page = (await t.api('GET', `/api/v1/meetings/bookings/changes?since=${since}&limit=500`)).body;
      since = page.cursor;
      if (!page.hasMore) return since;
    }
  };
  const createdAfter = async (since: number) => (await t.api('GET', `/api/v1/meetings/bookings/changes?since=${since}&limit=500`)).body.items.filter((c: any) => c.change === 'created').map((c: any) => c.bookingId);
  const auditedCreates = async () => ((await t.api('GET', '/api/v1/audit?action=booking.create&limit=200')).body.items as { entityId: string }[]).map((e) => e.entityId);

  /** Counts the decisions (advisory locks taken) while `fn` runs. */
  async function countDecisions<T>(fn: () => Promise<T>): Promise<{ result: T; decisions: number }> {
    const query = pg.Client.prototype.query;
    let decisions = 0;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string })?.text;
      if (text?.includes('pg_advisory_xact_lock') && JSON.stringify(args).includes('meetings.schedule:')) decisions++;
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
    try {
      return { result: await fn(), decisions };
    } finally {
      pg.Client.prototype.query = query;
    }
  }

  test('windows: the instants to read, overlapping and touching meetings merged', () => {
    const at = (hh: string) => new Date(`2026-03-05T${hh}:00Z`);
    const i = (from: string, to: string) => ({ holdFrom: at(from), startAt: at(from), endAt: at(to) });
    assert.deepEqual(windows([i('12:00', '13:00'), i('09:00', '10:00'), i('09:30', '11:00'), i('11:00', '11:30')]), [{ from: at('09:00'), to: at('11:30') }, { from: at('12:00'), to: at('13:00') }]);
    assert.deepEqual(windows([]), []);
  });

  test('a burst is decided together in arrival order, against every instant; audit and feed per accepted booking', async () => {
    // Pool of 3: A and B hold 2 slots from 10:00 to 10:30, B alone after.
    const a = await bookings.create(input('A', '2026-03-05T09:00', '2026-03-05T10:30'), actor);
    const b = await bookings.create(input('B', '2026-03-05T10:00', '2026-03-05T11:00'), actor);
    const since = await cursorNow();
    const { result, decisions } = await countDecisions(() => Promise.allSettled([
      bookings.create(input('C1', '2026-03-05T10:15', '2026-03-05T10:45'), actor), // 3rd slot from 10:15
      bookings.create(input('C2', '2026-03-05T10:20', '2026-03-05T10:40'), actor), // full at 10:20 (A, B, C1)
      bookings.create(input('C3', '2026-03-05T10:30', '2026-03-05T11:00'), actor), // A has ended: B, C1, C3
      bookings.create(input('C4', '2026-03-05T10:40', '2026-03-05T10:50'), actor), // full at 10:40 (B, C1, C3)
      bookings.create(input('C5', '2026-03-05T11:00', '2026-03-05T12:00'), actor), // everything has ended
    ]));
    assert.ok(decisions >= 1 && decisions <= 2, `${decisions} decisions for 5 requests: the burst was not grouped`);
    assert.deepEqual(result.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    const refusal = (n: number) => (result[n] as PromiseRejectedResult).reason;
    assert.equal(refusal(1).code, 'CONFLICT');
    assert.match(refusal(1).message, /No free meeting slot on Group CMS at 2026-03-05 10:20 \(UTC\): all 3 slots are booked/);
    assert.match(refusal(3).message, /at 2026-03-05 10:40 \(UTC\)/);
    const accepted = [0, 2, 4].map((n) => (result[n] as PromiseFulfilledResult<{ id: string; title: string }>).value);
    assert.deepEqual(accepted.map((x) => x.title), ['C1', 'C3', 'C5']);

    assert.deepEqual(await createdAfter(since), accepted.map((x) => x.id), 'one feed entry per accepted booking, in arrival order');
    const audited = await auditedCreates();
    for (const x of [a, b, ...accepted]) assert.equal(audited.filter((id) => id === x.id).length, 1, `one audit record for ${x.title}`);
    assert.equal(audited.length, 5, 'refused requests leave no audit record');
    for (const x of accepted) {
      const stored = (await t.api('GET', `/api/v1/meetings/bookings/${x.id}`)).body;
      assert.equal(stored.title, x.title);
      assert.equal(stored.occurrences.length, 1);
      assert.equal(stored.occurrences[0].state, 'scheduled');
    }
  });

  test('a request that fails the batch transaction fails alone; the others are booked once', async () => {
    const since = await cursorNow();
    const auditedBefore = (await auditedCreates()).length;
    // PostgreSQL refuses NUL in text: this row fails the batch's insert as a whole.
    const result = await Promise.allSettled([
      bookings.create(input('D1', '2026-03-06T09:00', '2026-03-06T10:00'), actor),
      bookings.create(input('D2', '2026-03-06T09:00', '2026-03-06T10:00'), actor),
      bookings.create(input('bad\u0000title', '2026-03-06T09:00', '2026-03-06T10:00'), actor),
      bookings.create(input('D3', '2026-03-06T09:00', '2026-03-06T10:00'), actor),
      bookings.create(input('D4', '2026-03-06T09:00', '2026-03-06T10:00'), actor), // the pool (3) is full
    ]);
    assert.deepEqual(result.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'rejected']);
    assert.notEqual((result[2] as PromiseRejectedResult).reason.code, 'CONFLICT');
    assert.match((result[4] as PromiseRejectedResult).reason.message, /at 2026-03-06 09:00 \(UTC\)/);
    const ids = [0, 1, 3].map((n) => (result[n] as PromiseFulfilledResult<{ id: string }>).value.id);
    assert.deepEqual(await createdAfter(since), ids);
    assert.equal((await auditedCreates()).length, auditedBefore + 3);
    const listed = (await t.api('GET', `/api/v1/meetings/bookings?bridgeId=${bridgeId}&limit=100`)).body.items.filter((x: any) => x.startAt === '2026-03-06T09:00:00.000Z');
    assert.equal(listed.length, 3);
  });
  test('one batch decides requests for several bridges, each against its own pool; an unknown bridge fails alone', async () => {
    const since = await cursorNow();
    const auditedBefore = (await auditedCreates()).length;
    await bookings.create(input('E0', '2026-03-07T09:00', '2026-03-07T10:00'), actor); // the next burst waits for this decision
    const { result, decisions } = await countDecisions(() => Promise.allSettled([
      bookings.create(input('E1', '2026-03-07T09:00', '2026-03-07T10:00'), actor),
      bookings.create(input('F1', '2026-03-07T09:00', '2026-03-07T10:00', bridge2Id), actor),
      bookings.create(input('F2', '2026-03-07T09:30', '2026-03-07T10:30', bridge2Id), actor), // pool of 1, held by F1
      bookings.create(input('G1', '2026-03-07T09:00', '2026-03-07T10:00', '00000000-0000-4000-8000-00000000dead'), actor),
      bookings.create(input('E2', '2026-03-07T09:30', '2026-03-07T10:30'), actor), // 3rd slot of Group CMS
      bookings.create(input('E3', '2026-03-07T09:45', '2026-03-07T10:00'), actor), // Group CMS full
    ]));
    assert.ok(decisions >= 1 && decisions <= 2, `${decisions} decisions for 6 requests on 3 bridges: the burst was not grouped`);
    assert.deepEqual(result.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled', 'rejected']);
    const refusal = (n: number) => (result[n] as PromiseRejectedResult).reason;
    assert.equal(refusal(2).code, 'CONFLICT');
    assert.match(refusal(2).message, /No free meeting slot on Group CMS 2 at 2026-03-07 09:30 \(UTC\): all 1 slots are booked/);
    assert.equal(refusal(3).code, 'NOT_FOUND');
    assert.match(refusal(5).message, /No free meeting slot on Group CMS at 2026-03-07 09:45 \(UTC\): all 3 slots are booked/);
    const accepted = [0, 1, 4].map((n) => (result[n] as PromiseFulfilledResult<{ id: string; title: string; bridgeId: string }>).value);
    assert.deepEqual(accepted.map((x) => [x.title, x.bridgeId]), [['E1', bridgeId], ['F1', bridge2Id], ['E2', bridgeId]]);
    const created = await createdAfter(since);
    assert.deepEqual(created.slice(1), accepted.map((x) => x.id), 'feed entries in arrival order across bridges');
    assert.equal((await auditedCreates()).length, auditedBefore + 4);
    const stored = (await t.api('GET', `/api/v1/meetings/bookings/${accepted[1].id}`)).body;
    assert.equal(stored.bridgeId, bridge2Id);
    assert.deepEqual(stored.occurrences.map((o: any) => [o.bridgeId, o.state]), [[bridge2Id, 'scheduled']]);
  });

  test('two instances (two group commits, two connections) race for the last slots: one winner per bridge', async () => {
    // Each service has a queue of its own, as two Switchboard processes would; only the advisory
    // locks keep their batches from deciding on the same holds.
    const other = createBookings(t.sb.services);
    const race = (n: number) => {
      const service = n % 2 ? other : bookings;
      return n % 3 === 0 ? service.create(input(`R${n}`, '2026-03-08T09:00', '2026-03-08T10:00', bridge2Id), actor) : service.create(input(`S${n}`, '2026-03-08T09:00', '2026-03-08T10:00'), actor);
    };
    const result = await Promise.allSettled(Array.from({ length: 12 }, (_, n) => race(n)));
    const won = result.flatMap((r) => (r.status === 'fulfilled' ? [(r.value as { bridgeId: string }).bridgeId] : []));
    assert.equal(won.filter((id) => id === bridge2Id).length, 1, 'one winner for the one slot of Group CMS 2');
    assert.equal(won.filter((id) => id === bridgeId).length, 3, 'three winners for the three slots of Group CMS');
    for (const r of result) if (r.status === 'rejected') assert.equal(r.reason.code, 'CONFLICT');
    const listed = (await t.api('GET', `/api/v1/meetings/bookings?limit=100&from=2026-03-08T00:00:00Z`)).body.items.filter((x: any) => x.startAt === '2026-03-08T09:00:00.000Z');
    assert.equal(listed.length, 4);
  });
});
