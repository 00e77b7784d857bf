import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../platform/clock.ts';
import { createCmsCluster, type CmsCluster } from '../lab/cms/cms.cluster.ts';
import { createCeCodec, type CeCodec } from '../lab/ce/ce.simulator.ts';
import { labDialer } from '../lab/ce/ce.lab.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { createMeetingsArea } from './meetings.area.ts';

// #17: rooms booked with the booking itself (one transaction), and every later change of a
// booking's times — PATCH, a moved meeting of a series, extending a running meeting — checked
// against its rooms: a room taken then refuses the change with the room and the other meeting
// named, and nothing of the change stays.
const host = (url: string) => url.replace(/^https?:\/\//, '');

describe('Rooms on the booking (#17)', () => {
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  let cms: CmsCluster;
  let t: TestSwitchboard;
  let bridgeId: string;
  const codecs: CeCodec[] = [];
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
  const book = (title: string, start: string, extra: Record<string, unknown> = {}) =>
    t.api('POST', '/api/v1/meetings/bookings', { title, start, durationMinutes: 60, timeZone: 'UTC', bridgeId, ...extra });
  const bookingCount = async () => (await t.api('GET', '/api/v1/meetings/bookings?limit=100')).body.total;

  before(async () => {
    cms = await createCmsCluster({ name: 'rooms', nodes: [{ name: 'cb1', host: '127.0.0.1', port: 0 }], users: [{ name: 'admin', password: 'secret-pw' }], clock });
    await cms.start();
    cms.store.create('outboundDialPlanRules', new Map([['domain', '*'], ['priority', '0']]));
    cms.store.create('inboundDialPlanRules', new Map([['domain', 'lab.local']]));
    const dial = labDialer(() => [cms]);
    for (const name of ['boardroom', 'huddle', 'studio']) {
      const c = createCeCodec({ name, clock, password: `${name}-pw`, version: 'ce9.15.3.17.abc', dial });
      await c.start();
      codecs.push(c);
    }
    t = await startTestSwitchboard({ clock, areas: [createMeetingsArea({ tickMs: 1000, statusIntervalMs: 5000, backoffMs: 200, reconcileIntervalMs: 1e12, obtpTickMs: 1e12, endpointPollMs: 1e12 })], config: { jobPollSeconds: 0.5 } as never });
    const added = await t.api('POST', '/api/v1/meetings/bridges', { address: host(cms.nodes[0].baseUrl), username: 'admin', password: 'secret-pw', tls: false, name: 'CMS' });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    bridgeId = added.body.items[0].id;
    const patched = await t.api('PATCH', `/api/v1/meetings/bridges/${bridgeId}`, { sipDomain: 'lab.local', numericIdBase: 100, numericIdQuantity: 6 });
    await until('pool synced', async () => ['completed', 'failed'].includes((await t.api('GET', `/api/v1/jobs/${patched.body.poolSyncJobId}`)).body.state));
    for (const c of codecs) {
      const res = await t.api('POST', '/api/v1/meetings/endpoints', { address: host(c.url), username: 'admin', password: `${c.name}-pw`, tls: false, name: c.name[0].toUpperCase() + c.name.slice(1) });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      ids[c.name] = res.body.id;
    }
  });
  after(async () => {
    await t?.close();
    for (const c of codecs) await c.stop();
    await cms?.stop();
  });

  test('rooms are booked with the booking; a room taken refuses the whole booking with the room and the other meeting', async () => {
    const first = await book('Board meeting', '2026-03-02T10:00', { rooms: [{ endpointId: ids.boardroom, connectMode: 'obtp' }, { endpointId: ids.huddle, connectMode: 'automatic' }] });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    ids.board = first.body.id;
    assert.deepEqual(first.body.dialOut, ['huddle@lab.local'], 'the automatic room is dialled at start');
    const rooms = (await t.api('GET', `/api/v1/meetings/bookings/${ids.board}/rooms`)).body;
    assert.deepEqual(rooms.items.map((r: any) => [r.name, r.connectMode]).sort(), [['Boardroom', 'obtp'], ['Huddle', 'automatic']]);

    const count = await bookingCount();
    const clash = await book('Sales sync', '2026-03-02T10:30', { rooms: [{ endpointId: ids.studio, connectMode: 'obtp' }, { endpointId: ids.boardroom, connectMode: 'manual' }] });
    assert.equal(clash.status, 409, JSON.stringify(clash.body));
    assert.equal(clash.body.error.code, 'CONFLICT');
    assert.match(clash.body.error.message, /^Boardroom is already booked from .*10:00.* to .*11:00.* \(Board meeting\)/);
    assert.ok(clash.body.error.trackingId);
    assert.equal(await bookingCount(), count, 'nothing of the refused booking stays');
    const studioBusy = await t.api('GET', `/api/v1/meetings/endpoints/${ids.studio}/busy?from=2026-03-02T00:00:00Z&to=2026-03-03T00:00:00Z`);
    assert.deepEqual(studioBusy.body.items, [], 'the other room of the refused booking is not held');

    const unknown = await book('Ghost room', '2026-03-02T15:00', { rooms: [{ endpointId: '00000000-0000-4000-8000-000000000000', connectMode: 'obtp' }] });
    assert.equal(unknown.status, 404);
    const twice = await book('Twice', '2026-03-02T15:00', { rooms: [{ endpointId: ids.studio, connectMode: 'obtp' }, { endpointId: ids.studio, connectMode: 'manual' }] });
    assert.equal(twice.status, 400);
    const bad = await book('Bad mode', '2026-03-02T15:00', { rooms: [{ endpointId: ids.studio, connectMode: 'carrier-pigeon' }] });
    assert.equal(bad.status, 400);

    // Back to back is not a conflict; the same time in another room is not either.
    const after = await book('After the board', '2026-03-02T11:00', { rooms: [{ endpointId: ids.boardroom, connectMode: 'obtp' }] });
    assert.equal(after.status, 201, JSON.stringify(after.body));
    ids.after = after.body.id;
    const elsewhere = await book('Studio session', '2026-03-02T10:00', { rooms: [{ endpointId: ids.studio, connectMode: 'obtp' }] });
    assert.equal(elsewhere.status, 201, JSON.stringify(elsewhere.body));
    ids.studioSession = elsewhere.body.id;
  });

  test('PATCH: a new time or new rooms that clash are refused and nothing changes; PUT /rooms goes through the same check', async () => {
    const beforeEdit = (await t.api('GET', `/api/v1/meetings/bookings/${ids.after}`)).body;
    const moved = await t.api('PATCH', `/api/v1/meetings/bookings/${ids.after}`, { start: '2026-03-02T10:30', title: 'Moved onto the board' });
    assert.equal(moved.status, 409, JSON.stringify(moved.body));
    assert.match(moved.body.error.message, /^Boardroom is already booked .*\(Board meeting\)/);
    const afterEdit = (await t.api('GET', `/api/v1/meetings/bookings/${ids.after}`)).body;
    assert.equal(afterEdit.title, 'After the board');
    assert.equal(afterEdit.startAt, beforeEdit.startAt);
    assert.deepEqual(afterEdit.occurrences.map((o: any) => [o.id, o.startAt]), beforeEdit.occurrences.map((o: any) => [o.id, o.startAt]));

    const ok = await t.api('PATCH', `/api/v1/meetings/bookings/${ids.after}`, { start: '2026-03-02T11:30' });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));

    // New rooms on PATCH: the studio is taken at 10:00 by the studio session.
    const roomsClash = await t.api('PATCH', `/api/v1/meetings/bookings/${ids.board}`, { title: 'Board meeting (studio)', rooms: [{ endpointId: ids.studio, connectMode: 'automatic' }] });
    assert.equal(roomsClash.status, 409, JSON.stringify(roomsClash.body));
    assert.match(roomsClash.body.error.message, /^Studio is already booked .*\(Studio session\)/);
    const board = (await t.api('GET', `/api/v1/meetings/bookings/${ids.board}`)).body;
    assert.equal(board.title, 'Board meeting');
    assert.deepEqual(board.dialOut, ['huddle@lab.local']);
    assert.equal((await t.api('GET', `/api/v1/meetings/bookings/${ids.board}/rooms`)).body.items.length, 2);

    // PATCH rooms that fit: the automatic room's URI replaces the previous one in the dial-outs.
    const swapped = await t.api('PATCH', `/api/v1/meetings/bookings/${ids.board}`, { rooms: [{ endpointId: ids.boardroom, connectMode: 'obtp' }] });
    assert.equal(swapped.status, 200, JSON.stringify(swapped.body));
    assert.deepEqual(swapped.body.dialOut, []);

    const put = await t.api('PUT', `/api/v1/meetings/bookings/${ids.studioSession}/rooms`, { rooms: [{ endpointId: ids.boardroom, connectMode: 'obtp' }], private: true });
    assert.equal(put.status, 409, JSON.stringify(put.body));
    assert.match(put.body.error.message, /^Boardroom is already booked/);
    const putOk = await t.api('PUT', `/api/v1/meetings/bookings/${ids.studioSession}/rooms`, { rooms: [{ endpointId: ids.studio, connectMode: 'obtp' }, { endpointId: ids.huddle, connectMode: 'automatic' }], private: true });
    assert.equal(putOk.status, 200, JSON.stringify(putOk.body));
    assert.equal(putOk.body.private, true);
    assert.deepEqual((await t.api('GET', `/api/v1/meetings/bookings/${ids.studioSession}`)).body.dialOut, ['huddle@lab.local']);
  });

  test('a moved meeting of a series is checked against its rooms', async () => {
    const series = await book('Daily stand-up', '2026-03-03T09:00', { durationMinutes: 30, recurrence: 'FREQ=DAILY;COUNT=3', rooms: [{ endpointId: ids.huddle, connectMode: 'obtp' }] });
    assert.equal(series.status, 201, JSON.stringify(series.body));
    const other = await book('Huddle interview', '2026-03-04T14:00', { rooms: [{ endpointId: ids.huddle, connectMode: 'manual' }] });
    assert.equal(other.status, 201, JSON.stringify(other.body));
    const occurrences = (await t.api('GET', `/api/v1/meetings/bookings/${series.body.id}`)).body.occurrences;
    const second = occurrences.find((o: any) => o.startAt.startsWith('2026-03-04'));
    const move = await t.api('PATCH', `/api/v1/meetings/bookings/${series.body.id}/occurrences/${second.id}`, { start: '2026-03-04T14:15' });
    assert.equal(move.status, 409, JSON.stringify(move.body));
    assert.match(move.body.error.message, /^Huddle is already booked .*\(Huddle interview\)/);
    const still = (await t.api('GET', `/api/v1/meetings/bookings/${series.body.id}`)).body.occurrences.find((o: any) => o.id === second.id);
    assert.equal(still.startAt, second.startAt);
    assert.equal(still.state, 'scheduled');
    const fine = await t.api('PATCH', `/api/v1/meetings/bookings/${series.body.id}/occurrences/${second.id}`, { start: '2026-03-04T15:00' });
    assert.equal(fine.status, 200, JSON.stringify(fine.body));
  });

  test('extending a running meeting into its room\'s next meeting is refused', async () => {
    const board = (await t.api('GET', `/api/v1/meetings/bookings/${ids.board}`)).body;
    const occId = board.occurrences[0].id;
    const next = await book('Right after', '2026-03-02T11:00', { durationMinutes: 20, rooms: [{ endpointId: ids.boardroom, connectMode: 'obtp' }] });
    assert.equal(next.status, 201, JSON.stringify(next.body));
    clock.set('2026-03-02T10:05:00Z');
    await until('meeting ongoing', async () => (await t.api('GET', `/api/v1/meetings/meetings/${occId}`)).body.state === 'ongoing');
    const extend = await t.api('POST', `/api/v1/meetings/meetings/${occId}/extend`, { minutes: 15 });
    assert.equal(extend.status, 409, JSON.stringify(extend.body));
    assert.match(extend.body.error.message, /^Boardroom is already booked .*\(Right after\)/);
    assert.equal((await t.api('GET', `/api/v1/meetings/meetings/${occId}`)).body.endAt, '2026-03-02T11:00:00.000Z');
  });

  test('the daily extension of an open-ended series does not book its room twice: the meeting is kept as failed naming the room', async () => {
    // Materialised 400 days ahead at booking; 20 days later the daily extension adds the next ones,
    // and one of them falls on a meeting that holds the studio.
    const series = await book('Daily review', '2026-03-05T16:00', { durationMinutes: 30, recurrence: 'FREQ=DAILY', rooms: [{ endpointId: ids.studio, connectMode: 'obtp' }] });
    assert.equal(series.status, 201, JSON.stringify(series.body));
    const booked = (await t.api('GET', `/api/v1/meetings/bookings/${series.body.id}`)).body.occurrences.length;
    const lastBooked = (await t.api('GET', `/api/v1/meetings/bookings/${series.body.id}`)).body.occurrences.at(-1).startAt;
    assert.ok(lastBooked < '2027-04-15', lastBooked);
    const offsite = await book('Offsite planning', '2027-04-15T15:30', { durationMinutes: 120, rooms: [{ endpointId: ids.studio, connectMode: 'manual' }] });
    assert.equal(offsite.status, 201, JSON.stringify(offsite.body));

    clock.set(new Date(clock.now().getTime() + 20 * 86_400_000));
    const occurrences = await until('series extended', async () => {
      const occs = (await t.api('GET', `/api/v1/meetings/bookings/${series.body.id}`)).body.occurrences;
      return occs.length > booked && occs;
    }, 1000);
    const clash = occurrences.find((o: any) => o.startAt === '2027-04-15T16:00:00.000Z');
    assert.ok(clash, 'the meeting of that day is listed');
    assert.equal(clash.state, 'failed');
    assert.match(clash.error, /^Studio is already booked from .*15:30.* to .*17:30.* \(Offsite planning\)/);
    for (const day of ['2027-04-14', '2027-04-16']) {
      assert.equal(occurrences.find((o: any) => o.startAt === `${day}T16:00:00.000Z`)?.state, 'scheduled', `${day} is added`);
    }
    const busy = (await t.api('GET', `/api/v1/meetings/endpoints/${ids.studio}/busy?from=2027-04-15T00:00:00Z&to=2027-04-16T00:00:00Z`)).body.items;
    assert.deepEqual(busy.map((b: any) => b.title), ['Offsite planning'], 'the studio holds one meeting then');
  });
});
