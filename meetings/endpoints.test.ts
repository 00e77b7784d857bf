import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../platform/clock.ts';
import { createCmsCluster, type CmsCluster } from '../lab/cms/cms.cluster.ts';
import { createCeCodec, type CeCodec } from '../lab/ce/ce.simulator.ts';
import { labDialer } from '../lab/ce/ce.lab.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { waitFor } from '../test/support/wait-for.ts';
import { createMeetingsArea } from './meetings.area.ts';

// #17 end to end against the Lab's CMS and CE codec simulators: endpoints registered and polled
// (tickets), rooms booked (conflicts, free/busy, calendar, connect modes), One Button to Push (off
// until turned on, pushed on book/change/cancel, method by software, idempotent, retried with a
// ticket, full refresh after the endpoint comes back), Join → the room is a call leg of the meeting.
const host = (url: string) => url.replace(/^https?:\/\//, '');

describe('Room endpoints and One Button to Push (#17)', () => {
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  let cms: CmsCluster;
  let t: TestSwitchboard;
  let bridgeId: string;
  // An on-premises CE 9.15 codec (bookingsputxml), a Webex-registered RoomOS 11.14 (Bookings Put),
  // and a Webex-registered CE 9.10 (no method).
  let boardroom: CeCodec;
  let huddle: CeCodec;
  let old: CeCodec;
  const ids: Record<string, string> = {};

  async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, stepMs = 500, timeoutMs = 180_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      clock.advance(stepMs);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  const endpoint = async (name: string) => (await t.api('GET', `/api/v1/meetings/endpoints/${ids[name]}`)).body;

  before(async () => {
    cms = await createCmsCluster({ name: 'rooms', nodes: [{ name: 'cb1', host: '127.0.0.1', port: 0 }], users: [{ name: 'admin', password: 'secret-pw' }], clock });
    await cms.start();
    cms.store.create('outboundDialPlanRules', new Map([['domain', '*'], ['priority', '0']]));
    cms.store.create('inboundDialPlanRules', new Map([['domain', 'lab.local']]));
    const dial = labDialer(() => [cms]);
    boardroom = createCeCodec({ name: 'boardroom', clock, password: 'board-pw', version: 'ce9.15.3.17.abc', dial });
    huddle = createCeCodec({ name: 'huddle', clock, password: 'huddle-pw', version: 'ce11.14.2.3.def', webexRegistered: true, dial });
    old = createCeCodec({ name: 'old', clock, password: 'old-pw', version: 'ce9.10.1.2.aaa', webexRegistered: true, dial });
    for (const c of [boardroom, huddle, old]) await c.start();
    t = await startTestSwitchboard({ clock, areas: [createMeetingsArea({ tickMs: 1000, statusIntervalMs: 5000, backoffMs: 200, reconcileIntervalMs: 1e12, obtpTickMs: 1000, endpointPollMs: 1e12 })], config: { jobPollSeconds: 0.5 } as never });
    const added = await t.api('POST', '/api/v1/meetings/bridges', { address: host(cms.nodes[0].baseUrl), username: 'admin', password: 'secret-pw', tls: false, name: 'CMS' });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    bridgeId = added.body.items[0].id;
    const patched = await t.api('PATCH', `/api/v1/meetings/bridges/${bridgeId}`, { sipDomain: 'lab.local', numericIdBase: 100, numericIdQuantity: 4 });
    await until('pool synced', async () => ['completed', 'failed'].includes((await t.api('GET', `/api/v1/jobs/${patched.body.poolSyncJobId}`)).body.state));
  });
  after(async () => {
    await t?.close();
    for (const c of [boardroom, huddle, old]) await c?.stop();
    await cms?.stop();
  });

  test('registration: identity read over xAPI, password sealed, wrong password 422, a duplicate 409, bulk reports each row', async () => {
    const wrong = await t.api('POST', '/api/v1/meetings/endpoints', { address: host(boardroom.url), username: 'admin', password: 'nope', tls: false });
    assert.equal(wrong.status, 422);
    assert.equal(wrong.body.error.code, 'UPSTREAM_REFUSED_CREDENTIALS');
    assert.ok(wrong.body.error.trackingId);
    const bad = await t.api('POST', '/api/v1/meetings/endpoints', { address: '0.0.0.0', username: 'admin', password: 'x' });
    assert.equal(bad.status, 400);

    const res = await t.api('POST', '/api/v1/meetings/endpoints', { address: host(boardroom.url), username: 'admin', password: 'board-pw', tls: false, name: 'Boardroom' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.productId, 'Cisco Webex Room Kit');
    assert.equal(res.body.softwareVersion, 'ce9.15.3.17.abc');
    assert.equal(res.body.sipUri, 'boardroom@lab.local');
    assert.equal(JSON.stringify(res.body).includes('board-pw'), false);
    assert.equal('passwordSealed' in res.body, false);
    ids.boardroom = res.body.id;
    const again = await t.api('POST', '/api/v1/meetings/endpoints', { address: host(boardroom.url), username: 'admin', password: 'board-pw', tls: false });
    assert.equal(again.status, 409);

    const bulk = await t.api('POST', '/api/v1/meetings/endpoints/bulk', {
      endpoints: [
        { address: host(huddle.url), username: 'admin', password: 'huddle-pw', tls: false, name: 'Huddle' },
        { address: host(old.url), username: 'admin', password: 'wrong', tls: false },
        { address: '127.0.0.1:1', username: 'admin', password: 'x', tls: false },
        { address: host(old.url), username: 'admin', password: 'old-pw', tls: false, name: 'Old' },
      ],
    });
    assert.equal(bulk.status, 200, JSON.stringify(bulk.body));
    assert.equal(bulk.body.added, 2);
    assert.deepEqual(bulk.body.results.map((r: any) => [r.row, r.ok, r.error?.code ?? null]), [[1, true, null], [2, false, 'UPSTREAM_REFUSED_CREDENTIALS'], [3, false, 'UPSTREAM_UNREACHABLE'], [4, true, null]]);
    ids.huddle = bulk.body.results[0].endpoint.id;
    ids.old = bulk.body.results[3].endpoint.id;
    assert.equal((await endpoint('huddle')).webexRegistered, true);
    assert.equal((await endpoint('boardroom')).pushMethod, 'bookingsputxml');
    assert.equal((await endpoint('huddle')).pushMethod, 'bookingsPut');
    assert.equal((await endpoint('old')).pushMethod, null);
  });

  test('status polls raise and close Authentication Failed and Connection Error tickets', async () => {
    const poll = async () => {
      const job = await t.api('POST', `/api/v1/meetings/endpoints/${ids.old}/poll`);
      assert.equal(job.status, 202);
      await waitFor('poll done', async () => ['completed', 'failed'].includes((await t.api('GET', `/api/v1/jobs/${job.body.jobId}`)).body.state), { timeoutMs: 120_000 });
      return endpoint('old');
    };
    await old.setFaults({ unauthorized: true });
    let e = await poll();
    assert.equal(e.connectivity, 'auth_failed');
    assert.deepEqual(e.tickets.filter((x: any) => x.state === 'open').map((x: any) => x.title), ['Authentication Failed']);
    await old.setFaults({ unauthorized: undefined, down: true });
    e = await poll();
    assert.equal(e.connectivity, 'unreachable');
    assert.deepEqual(e.tickets.filter((x: any) => x.state === 'open').map((x: any) => x.title), ['Connection Error']);
    await old.setFaults({ down: undefined });
    e = await poll();
    assert.equal(e.connectivity, 'reachable');
    assert.deepEqual(e.tickets.filter((x: any) => x.state === 'open'), []);
    assert.equal(e.tickets.length, 2);
  });

  let bookingId: string;
  test('rooms: a room is taken once at a time (409 naming the other meeting), free/busy and the room calendar; automatic rooms become dial-outs', async () => {
    const book = (title: string, start: string, extra: Record<string, unknown> = {}) => t.api('POST', '/api/v1/meetings/bookings', { title, start, durationMinutes: 60, timeZone: 'UTC', bridgeId, ...extra });
    const first = await book('Quarterly review', '2026-03-02T10:00', { earlyJoinMinutes: 5 });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    bookingId = first.body.id;
    const set = await t.api('PUT', `/api/v1/meetings/bookings/${bookingId}/rooms`, { rooms: [{ endpointId: ids.boardroom, connectMode: 'obtp' }, { endpointId: ids.huddle, connectMode: 'obtp' }] });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.deepEqual(set.body.items.map((r: any) => r.connectMode), ['obtp', 'obtp']);

    const second = await book('Overlapping', '2026-03-02T10:30');
    const taken = await t.api('PUT', `/api/v1/meetings/bookings/${second.body.id}/rooms`, { rooms: [{ endpointId: ids.boardroom, connectMode: 'manual' }] });
    assert.equal(taken.status, 409);
    assert.match(taken.body.error.message, /Boardroom is already booked from 2026-03-02 10:00 .* \(Quarterly review\)/);
    const auto = await t.api('PUT', `/api/v1/meetings/bookings/${second.body.id}/rooms`, { rooms: [{ endpointId: ids.old, connectMode: 'automatic' }] });
    assert.equal(auto.status, 200, JSON.stringify(auto.body));
    assert.deepEqual((await t.api('GET', `/api/v1/meetings/bookings/${second.body.id}`)).body.dialOut, ['old@lab.local']);
    const manual = await t.api('PUT', `/api/v1/meetings/bookings/${second.body.id}/rooms`, { rooms: [{ endpointId: ids.old, connectMode: 'manual' }] });
    assert.equal(manual.status, 200);
    assert.deepEqual((await t.api('GET', `/api/v1/meetings/bookings/${second.body.id}`)).body.dialOut, [], 'the room is no longer dialled');
    assert.equal((await t.api('DELETE', `/api/v1/meetings/bookings/${second.body.id}`)).status, 200);

    const busy = await t.api('GET', `/api/v1/meetings/endpoints/${ids.boardroom}/busy?from=2026-03-02T00:00:00Z&to=2026-03-03T00:00:00Z`);
    assert.equal(busy.status, 200, JSON.stringify(busy.body));
    assert.deepEqual(busy.body.items.map((b: any) => [b.title, b.startAt, b.endAt]), [['Quarterly review', '2026-03-02T10:00:00.000Z', '2026-03-02T11:00:00.000Z']]);
    const ics = await t.api('GET', `/api/v1/meetings/endpoints/${ids.boardroom}/calendar.ics`);
    assert.equal(ics.status, 200);
    assert.match(String(ics.body), /SUMMARY:Quarterly review/);
    assert.doesNotMatch(String(ics.body), /Overlapping/);
  });

  test('OBTP is off until an administrator turns it on; the setting carries Cisco\'s terms', async () => {
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(boardroom.pushes().length, 0);
    const setting = await t.api('GET', '/api/v1/meetings/settings/obtp');
    assert.equal(setting.body.enabled, false);
    assert.match(setting.body.notice, /permission from Cisco for commercial use/);
    const booker = await t.tokenFor('sales_full_admin');
    assert.equal((await t.api('PUT', '/api/v1/meetings/settings/obtp', { enabled: true }, { token: booker })).status, 403);
    const on = await t.api('PUT', '/api/v1/meetings/settings/obtp', { enabled: true });
    assert.equal(on.status, 200);
    assert.equal(on.body.enabled, true);
  });

  test('push on booking, by the method of each codec\'s software; a repeated round pushes nothing; change and cancel reach the panel', async () => {
    await until('both panels hold the meeting', async () => boardroom.bookings().length === 1 && huddle.bookings().length === 1);
    assert.equal(boardroom.pushes().at(-1)!.method, 'bookingsputxml');
    assert.equal(huddle.pushes().at(-1)!.method, 'Bookings Put');
    const [b] = boardroom.bookings();
    assert.equal(b.title, 'Quarterly review');
    assert.equal(b.startTime, '2026-03-02T10:00:00Z');
    assert.equal(b.endTime, '2026-03-02T11:00:00Z');
    assert.equal(b.startTimeBuffer, 300);
    assert.equal(b.number, '', 'no dial string before the meeting\'s space is opened');
    assert.equal((await boardroom.join(b.id)).joined, false);
    // idempotent: later rounds find every panel current
    const pushed = boardroom.pushes().length;
    for (let i = 0; i < 4; i++) {
      clock.advance(1000);
      await new Promise((r) => setTimeout(r, 150));
    }
    assert.equal(boardroom.pushes().length, pushed);
    const panel = await t.api('GET', `/api/v1/meetings/endpoints/${ids.boardroom}/panel`);
    assert.equal(panel.body.current, true);

    // change
    assert.equal((await t.api('PATCH', `/api/v1/meetings/bookings/${bookingId}`, { title: 'Quarterly review (moved)', start: '2026-03-02T10:15:00Z', durationMinutes: 45 })).status, 200);
    await until('panel shows the change', async () => boardroom.bookings()[0]?.title === 'Quarterly review (moved)' && huddle.bookings()[0]?.title === 'Quarterly review (moved)');
    assert.equal(boardroom.bookings()[0].startTime, '2026-03-02T10:15:00Z');
    assert.equal(boardroom.bookings()[0].endTime, '2026-03-02T11:00:00Z');

    // cancel
    const extra = await t.api('POST', '/api/v1/meetings/bookings', { title: 'To cancel', start: '2026-03-02T13:00', durationMinutes: 30, timeZone: 'UTC', bridgeId });
    await t.api('PUT', `/api/v1/meetings/bookings/${extra.body.id}/rooms`, { rooms: [{ endpointId: ids.boardroom, connectMode: 'obtp' }] });
    await until('panel shows two', async () => boardroom.bookings().length === 2);
    assert.equal((await t.api('DELETE', `/api/v1/meetings/bookings/${extra.body.id}`)).status, 200);
    await until('panel drops the cancelled one', async () => boardroom.bookings().length === 1);
  });

  test('a codec with no push method gets a ticket, not retries', async () => {
    const other = await t.api('POST', '/api/v1/meetings/bookings', { title: 'Old room', start: '2026-03-02T15:00', durationMinutes: 30, timeZone: 'UTC', bridgeId });
    await t.api('PUT', `/api/v1/meetings/bookings/${other.body.id}/rooms`, { rooms: [{ endpointId: ids.old, connectMode: 'obtp' }] });
    const e = await until('ticket', async () => {
      const x = await endpoint('old');
      return x.tickets.some((k: any) => k.state === 'open' && k.title === 'One Button to Push Not Supported') && x;
    });
    assert.equal(old.pushes().length, 0);
    assert.match(e.tickets.find((k: any) => k.kind === 'obtp_unsupported').detail, /CE 9\.14/);
  });

  test('a push that keeps failing is retried, then raises Booking Push Failed; the next push that succeeds closes it', async () => {
    await boardroom.setFaults({ failNext: [{ path: '/bookingsputxml', count: 1000, status: 500 }] });
    assert.equal((await t.api('PATCH', `/api/v1/meetings/bookings/${bookingId}`, { title: 'Quarterly review (failing)' })).status, 200);
    // Retries wait on pg-boss's own timers (1 s, 2 s, 4 s): real time passes, the clock moves slowly.
    const ticketed = await until('ticket after the last retry', async () => {
      const x = await endpoint('boardroom');
      return x.tickets.some((k: any) => k.state === 'open' && k.kind === 'obtp_push_failed') && x;
    }, 50, 300_000);
    assert.match(ticketed.obtpLastError, /HTTP 500/);
    assert.ok(1000 - boardroom.getFaults().failNext![0].count >= 4, 'the first attempt and three retries');
    assert.notEqual(boardroom.bookings()[0].title, 'Quarterly review (failing)');
    await boardroom.setFaults({ failNext: [] });
    // A failed push is sent again in the next 5-minute bucket of clock time while the panel is behind.
    clock.advance(5 * 60_000);
    await until('panel current again', async () => boardroom.bookings()[0]?.title === 'Quarterly review (failing)');
    await until('ticket closed', async () => !(await endpoint('boardroom')).tickets.some((k: any) => k.state === 'open' && k.kind === 'obtp_push_failed'));
  });

  test('an endpoint that comes back after being unreachable gets its bookings in full', async () => {
    const poll = async () => {
      const job = await t.api('POST', `/api/v1/meetings/endpoints/${ids.huddle}/poll`);
      await waitFor('poll done', async () => ['completed', 'failed'].includes((await t.api('GET', `/api/v1/jobs/${job.body.jobId}`)).body.state), { timeoutMs: 120_000 });
    };
    await huddle.setFaults({ down: true });
    await poll();
    assert.equal((await endpoint('huddle')).connectivity, 'unreachable');
    // While it is away its panel loses its bookings (a restart) and nothing is pushed to it.
    huddle.restoreBookings([]);
    const before = huddle.pushes().length;
    await huddle.setFaults({ down: undefined });
    for (let i = 0; i < 3; i++) {
      clock.advance(1000);
      await new Promise((r) => setTimeout(r, 150));
    }
    assert.equal(huddle.pushes().length, before, 'not pushed while known unreachable');
    await poll();
    await until('full refresh', async () => huddle.bookings().length === 1);
    assert.equal(huddle.bookings()[0].title, 'Quarterly review (failing)');
  });

  test('Join: once the meeting\'s space is open the panel gets its URI, and pressing Join puts the room in the meeting on the CMS', async () => {
    const booking = await t.api('GET', `/api/v1/meetings/bookings/${bookingId}`);
    const occId = booking.body.occurrences[0].id;
    clock.set('2026-03-02T10:10:00Z');
    let last: unknown;
    const ongoing = await until('meeting ongoing', async () => {
      const m = await t.api('GET', `/api/v1/meetings/meetings/${occId}`);
      last = { state: m.body.state, error: m.body.error, startAt: m.body.startAt, holdFrom: m.body.holdFrom, now: clock.now() };
      return m.body.state === 'ongoing' && m.body;
    }).catch((error) => {
      throw new Error(`${error.message}: ${JSON.stringify(last)}`);
    });
    await until('panel has the dial string', async () => boardroom.bookings()[0]?.number);
    const [b] = boardroom.bookings();
    assert.equal(b.number, `${100 + ongoing.slot - 1}@lab.local`);
    assert.equal(b.connectMode, 'OBTP');
    const joined = await boardroom.join(b.id);
    assert.equal(joined.joined, true, JSON.stringify(joined));
    const legs = [...cms.nodes[0].bridge.legs.values()].filter((l) => l.call === ongoing.callId);
    assert.ok(legs.some((l) => l.remoteParty === 'boardroom@lab.local' && l.state === 'connected'), 'the room is a call leg of the meeting');
    // a room dials into its own meeting only: Huddle's panel has the same meeting, Join too.
    // Each panel is pushed on its own, so Huddle's may get the number a moment after Boardroom's.
    await until('huddle panel has the dial string', async () => huddle.bookings()[0]?.number);
    const huddleJoin = await huddle.join(huddle.bookings()[0].id);
    assert.equal(huddleJoin.joined, true, JSON.stringify(huddleJoin));
  });
});
