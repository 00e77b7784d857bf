import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '../platform/clock.ts';
import { createCmsCluster, type CmsCluster } from '../lab/cms/cms.cluster.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { createMeetingsArea } from './meetings.area.ts';
import { pruneBookingChanges, recordBookingChange } from './booking-changes.ts';

// M8 change feed of bookings, M14 routing preference ("prefer CMS"), M8 per-occurrence dial-outs.
describe('Meetings: change feed, routing preference, per-occurrence dial-outs', () => {
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  let east: CmsCluster;
  let west: CmsCluster;
  let t: TestSwitchboard;
  const ids: Record<string, string> = {};

  async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, stepMs = 500, timeoutMs = 40_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      clock.advance(stepMs);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  const book = (body: Record<string, unknown>) => t.api('POST', '/api/v1/meetings/bookings', { durationMinutes: 60, timeZone: 'UTC', ...body });
  const feed = (since: number, limit = 100) => t.api('GET', `/api/v1/meetings/bookings/changes?since=${since}&limit=${limit}`);
  /** Polls like an integration would: page after page until the feed has nothing more. */
  async function drain(since: number, limit = 100) {
    const items: any[] = [];
    let cursor = since;
    for (;;) {
      const page = await feed(cursor, limit);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      items.push(...page.body.items);
      assert.ok(page.body.cursor >= cursor, 'the cursor never goes back');
      cursor = page.body.cursor;
      if (!page.body.hasMore) return { items, cursor };
    }
  }

  async function addBridge(cms: CmsCluster, name: string, zone: string, base: number, quantity: number) {
    const added = await t.api('POST', '/api/v1/meetings/bridges', { address: cms.nodes[0].baseUrl, username: 'admin', password: 'admin', name, ipZone: zone });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const id = added.body.items[0].id;
    const patched = await t.api('PATCH', `/api/v1/meetings/bridges/${id}`, { sipDomain: 'lab.local', numericIdBase: base, numericIdQuantity: quantity });
    await until('pool', async () => (await t.api('GET', `/api/v1/jobs/${patched.body.poolSyncJobId}`)).body.state === 'completed');
    return id;
  }

  before(async () => {
    east = await createCmsCluster({ name: 'east', nodes: [{ name: 'east-1', host: '127.0.0.1', port: 0 }], clock });
    west = await createCmsCluster({ name: 'west', nodes: [{ name: 'west-1', host: '127.0.0.1', port: 0 }], clock });
    for (const c of [east, west]) {
      await c.start();
      c.store.create('outboundDialPlanRules', new Map([['domain', '*'], ['priority', '0']]));
    }
    t = await startTestSwitchboard({ clock, areas: [createMeetingsArea({ tickMs: 1000, statusIntervalMs: 600_000, backoffMs: 200, reconcileIntervalMs: 1e12 })], config: { jobPollSeconds: 0.5 } as never });
    ids.east = await addBridge(east, 'East CMS', 'East', 1, 3);
    ids.west = await addBridge(west, 'West CMS', 'West', 500, 1);
  });
  after(async () => {
    await t?.close();
    await east?.stop();
    await west?.stop();
  });

  test('change feed: create, edit, cancel and one-meeting edits come in order, paged, after the cursor', async () => {
    const start = await drain(0);
    const a = await book({ title: 'Feed A', start: '2026-03-10T09:00:00Z', bridgeId: ids.east });
    const b = await book({ title: 'Feed B', start: '2026-03-11T09:00:00Z', recurrence: 'FREQ=DAILY;COUNT=3', bridgeId: ids.east });
    assert.equal(a.status, 201);
    assert.equal(b.status, 201);
    assert.equal((await t.api('PATCH', `/api/v1/meetings/bookings/${a.body.id}`, { title: 'Feed A (moved)', start: '2026-03-10T10:00:00Z' })).status, 200);
    const occ = (await t.api('GET', `/api/v1/meetings/bookings/${b.body.id}`)).body.occurrences[1];
    assert.equal((await t.api('PATCH', `/api/v1/meetings/bookings/${b.body.id}/occurrences/${occ.id}`, { cancel: true })).status, 200);
    assert.equal((await t.api('DELETE', `/api/v1/meetings/bookings/${a.body.id}`)).status, 200);
    // A refused booking changes nothing, so it is not in the feed.
    assert.equal((await book({ title: 'Refused', start: '2026-03-10T09:00:00Z', timeZone: 'Mars/Base' })).status, 400);

    const paged = await drain(start.cursor, 2);
    assert.deepEqual(paged.items.map((c) => [c.change, c.booking.title]), [
      ['created', 'Feed A (moved)'], ['created', 'Feed B'], ['updated', 'Feed A (moved)'], ['occurrence-cancelled', 'Feed B'], ['cancelled', 'Feed A (moved)'],
    ]);
    assert.equal(paged.items[3].occurrenceId, occ.id);
    assert.equal(paged.items[4].booking.state, 'cancelled', 'each change carries the booking as it is now');
    assert.equal(paged.items[0].actor, 'token:test-admin');
    const seqs = paged.items.map((c) => c.seq);
    assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y));
    assert.equal(new Set(seqs).size, seqs.length);
    assert.equal(paged.cursor, seqs.at(-1));
    // Polling again from the last cursor gives nothing new, and the same cursor back.
    const again = await feed(paged.cursor);
    assert.deepEqual([again.body.items.length, again.body.cursor, again.body.hasMore], [0, paged.cursor, false]);
    // Reading is repeatable: the numbers do not change.
    assert.deepEqual((await drain(start.cursor)).items.map((c) => c.seq), seqs);
    assert.equal((await feed(-1)).status, 400);
    assert.equal((await feed(0, 501)).status, 400);
  });

  test('change feed: nothing is missed or repeated while bookings are written concurrently with the polls', async () => {
    let { cursor } = await drain(0);
    const seen: any[] = [];
    let writing = true;
    const poller = (async () => {
      while (writing) {
        const page = await drain(cursor, 3);
        seen.push(...page.items);
        cursor = page.cursor;
      }
    })();
    const created = await Promise.all(Array.from({ length: 24 }, (_, i) => book({ title: `Concurrent ${i}`, start: `2026-04-${String(1 + i).padStart(2, '0')}T09:00:00Z`, bridgeId: ids.east })));
    const cancelled = await Promise.all(created.slice(0, 8).map((r) => t.api('DELETE', `/api/v1/meetings/bookings/${r.body.id}`)));
    writing = false;
    await poller;
    seen.push(...(await drain(cursor)).items);
    assert.ok(created.every((r) => r.status === 201) && cancelled.every((r) => r.status === 200));
    const key = (c: any) => `${c.change}:${c.bookingId}`;
    const expected = [...created.map((r) => `created:${r.body.id}`), ...created.slice(0, 8).map((r) => `cancelled:${r.body.id}`)].sort();
    assert.deepEqual(seen.map(key).sort(), expected);
    const seqs = seen.map((c) => c.seq);
    assert.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]), 'numbers rise strictly across pages');
  });

  // A writer whose transaction commits after a poller has read past newer changes: only PostgreSQL
  // runs transactions side by side (the embedded engine runs one at a time).
  test('change feed: a change committed late still comes after the cursor', { skip: process.env.DATABASE_URL ? false : 'needs concurrent transactions (PostgreSQL)' }, async () => {
    const { cursor } = await drain(0);
    const late = await book({ title: 'Late', start: '2026-05-20T09:00:00Z', bridgeId: ids.east });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let inserted!: () => void;
    const insertedP = new Promise<void>((r) => (inserted = r));
    const services = t.sb.services;
    const slow = services.database.transaction(async (tx) => {
      await recordBookingChange(tx, { bookingId: late.body.id, change: 'updated', actor: { type: 'system', id: null, name: 'slow-writer', role: 'system', customerOrgId: null }, at: clock.now() });
      inserted();
      await held;
    });
    await insertedP;
    const fast = await book({ title: 'Fast', start: '2026-05-21T09:00:00Z', bridgeId: ids.east });
    const first = await drain(cursor);
    assert.deepEqual(first.items.map((c) => [c.change, c.bookingId]), [['created', late.body.id], ['created', fast.body.id]]);
    release();
    await slow;
    const second = await drain(first.cursor);
    assert.deepEqual(second.items.map((c) => [c.change, c.actor]), [['updated', 'slow-writer']]);
  });

  test('M14 routing preference: preferred bridges first, in order; a full one is passed over; zone still wins', async () => {
    const initial = await t.api('GET', '/api/v1/meetings/settings/routing');
    assert.deepEqual(initial.body.preferredBridgeIds, []);
    // Without a preference the bigger pool (East, 3 slots) is chosen.
    const plain = await book({ title: 'Unpreferred', start: '2026-06-01T09:00:00Z' });
    assert.equal(plain.body.bridgeId, ids.east);

    const set = await t.api('PUT', '/api/v1/meetings/settings/routing', { preferredBridgeIds: [ids.west, ids.east] });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.equal(set.body.updatedBy, 'token:test-admin');
    assert.deepEqual((await t.api('GET', '/api/v1/meetings/settings/routing')).body.preferredBridgeIds, [ids.west, ids.east]);
    const first = await book({ title: 'Preferred', start: '2026-06-02T09:00:00Z' });
    assert.equal(first.body.bridgeId, ids.west);
    const second = await book({ title: 'West is full', start: '2026-06-02T09:30:00Z' });
    assert.equal(second.status, 201);
    assert.equal(second.body.bridgeId, ids.east);
    const zoned = await book({ title: 'Zone East', start: '2026-06-03T09:00:00Z', zone: 'East' });
    assert.equal(zoned.body.bridgeId, ids.east);

    const twice = await t.api('PUT', '/api/v1/meetings/settings/routing', { preferredBridgeIds: [ids.west, ids.west] });
    assert.equal(twice.status, 400);
    assert.match(twice.body.error.message, /listed twice/);
    const unknown = await t.api('PUT', '/api/v1/meetings/settings/routing', { preferredBridgeIds: ['00000000-0000-4000-8000-000000000000'] });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.error.message, /does not exist/);
    assert.equal((await t.api('PUT', '/api/v1/meetings/settings/routing', { preferredBridgeIds: ['west'] })).status, 400);
    const booker = await t.tokenFor('booker');
    assert.equal((await t.api('PUT', '/api/v1/meetings/settings/routing', { preferredBridgeIds: [] }, { token: booker })).status, 403);
    assert.equal((await t.api('GET', '/api/v1/meetings/settings/routing', undefined, { token: booker })).status, 200);
    const audit = await t.api('GET', '/api/v1/audit?action=meetings.routing-preference');
    assert.equal(audit.body.items.length, 1);
    assert.equal((await t.api('PUT', '/api/v1/meetings/settings/routing', { preferredBridgeIds: [] })).status, 200);
  });

  test('M8 per-occurrence dial-outs: one meeting of a series dials its own list, the series keeps its own', async () => {
    const res = await book({ title: 'Daily with guests', start: '2026-07-01T09:00:00Z', durationMinutes: 30, recurrence: 'FREQ=DAILY;COUNT=3', dialOut: ['alice@example.com'], bridgeId: ids.east });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const occs = (await t.api('GET', `/api/v1/meetings/bookings/${res.body.id}`)).body.occurrences;
    const path = (o: any) => `/api/v1/meetings/bookings/${res.body.id}/occurrences/${o.id}`;
    const { cursor } = await drain(0);
    const edited = await t.api('PATCH', path(occs[1]), { dialOut: ['bob@example.com', 'carol@example.com'] });
    assert.equal(edited.status, 200, JSON.stringify(edited.body));
    assert.deepEqual(edited.body.dialOut, ['bob@example.com', 'carol@example.com']);
    assert.equal(edited.body.startAt, occs[1].startAt, 'the time is untouched');
    assert.equal((await t.api('PATCH', path(occs[1]), { dialOut: ['not a uri'] })).status, 400);
    assert.equal((await t.api('PATCH', path(occs[1]), {})).status, 400);
    const detail = (await t.api('GET', `/api/v1/meetings/bookings/${res.body.id}`)).body;
    assert.deepEqual(detail.dialOut, ['alice@example.com']);
    assert.deepEqual(detail.occurrences.map((o: any) => o.dialOut), [null, ['bob@example.com', 'carol@example.com'], null]);
    assert.deepEqual((await drain(cursor)).items.map((c) => [c.change, c.occurrenceId]), [['occurrence-updated', occs[1].id]]);

    const legsOf = async (id: string) => (await t.api('GET', `/api/v1/meetings/meetings/${id}`)).body.legs.map((l: any) => l.remoteParty).sort();
    clock.set('2026-07-01T09:00:00Z');
    await until('first meeting dialled', async () => (await legsOf(occs[0].id)).length === 1);
    assert.deepEqual(await legsOf(occs[0].id), ['alice@example.com']);
    clock.set('2026-07-02T09:00:00Z');
    await until('second meeting dialled', async () => (await legsOf(occs[1].id)).length === 2);
    assert.deepEqual(await legsOf(occs[1].id), ['bob@example.com', 'carol@example.com']);
    const running = await t.api('PATCH', path(occs[1]), { dialOut: ['dave@example.com'] });
    assert.equal(running.status, 409, 'a started meeting is changed by live control, not by editing the booking');
    // null returns a meeting to the series' list.
    assert.deepEqual((await t.api('PATCH', path(occs[2]), { dialOut: null })).body.dialOut, null);
  });

  test('CLI: bridges routing, bookings changes, bookings occurrence', async () => {
    const env = { ...process.env, SWITCHBOARD_URL: t.url, SWITCHBOARD_TOKEN: t.adminToken, HOME: '/nonexistent', NODE_COMPILE_CACHE: path.join(os.tmpdir(), 'switchboard-cli-test-compile-cache') };
    const cli = (...args: string[]) => new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(import.meta.dirname, '..', 'cli', 'main.ts'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c) => (stdout += c));
      child.stderr.on('data', (c) => (stderr += c));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    const set = await cli('bridges', 'routing', '--prefer', `${ids.west},${ids.east}`);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, new RegExp(`1\\s+${ids.west}\\s+West CMS[\\s\\S]*2\\s+${ids.east}\\s+East CMS`));
    const bad = await cli('bridges', 'routing', '--prefer', 'west');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /uuid|UUID/);
    assert.equal((await cli('bridges', 'routing', '--clear')).code, 0);
    assert.deepEqual((await t.api('GET', '/api/v1/meetings/settings/routing')).body.preferredBridgeIds, []);

    const { cursor } = await drain(0);
    const res = await book({ title: 'From the CLI', start: '2026-08-03T09:00:00Z', recurrence: 'FREQ=WEEKLY;COUNT=2', dialOut: ['alice@example.com'], bridgeId: ids.east });
    const occ = (await t.api('GET', `/api/v1/meetings/bookings/${res.body.id}`)).body.occurrences[1];
    const edited = await cli('bookings', 'occurrence', res.body.id, occ.id, '--dial-out', 'erin@example.com');
    assert.equal(edited.code, 0, edited.stderr);
    assert.match(edited.stdout, /dials erin@example.com/);
    const changes = await cli('bookings', 'changes', '--since', String(cursor), '--json');
    assert.equal(changes.code, 0, changes.stderr);
    assert.deepEqual(JSON.parse(changes.stdout).items.map((c: any) => c.change), ['created', 'occurrence-updated']);
  });

  // Last: it moves the clock 91 days on.
  test('change feed pruning: older than the retention goes, a reader further behind gets 410 with where to resume', async () => {
    const inDays = (days: number) => new Date(clock.now().getTime() + days * 86_400_000).toISOString();
    const old = await book({ title: 'Read, then pruned', start: inDays(200), bridgeId: ids.west });
    assert.equal(old.status, 201, JSON.stringify(old.body));
    const cursor = (await drain(0)).cursor;
    // Booked now but not yet read by anybody: unnumbered, so it is kept whatever its age.
    const unread = await book({ title: 'Unread before the prune', start: inDays(201), bridgeId: ids.west });
    assert.equal(unread.status, 201, JSON.stringify(unread.body));
    clock.advance(91 * 86_400_000);
    const recent = await book({ title: 'After the prune', start: inDays(111), bridgeId: ids.west });
    assert.equal(recent.status, 201, JSON.stringify(recent.body));

    const pruned = await pruneBookingChanges(t.sb.services);
    assert.ok(pruned.deleted >= 1, JSON.stringify(pruned));
    assert.equal(pruned.prunedThrough, cursor);
    const gone = await feed(0);
    assert.equal(gone.status, 410, JSON.stringify(gone.body));
    assert.equal(gone.body.error.code, 'GONE');
    assert.match(gone.body.error.message, new RegExp(`read the bookings again, then follow the feed with since=${cursor}`));
    assert.deepEqual(gone.body.error.details, { prunedThrough: cursor, since: 0 });
    assert.ok(gone.body.error.trackingId);
    assert.equal((await feed(cursor - 1)).status, 410);
    // From the watermark on, nothing was lost: the unread change and the new one, in order.
    const rest = await drain(cursor);
    const mine = rest.items.filter((c: any) => [unread.body.id, recent.body.id].includes(c.bookingId));
    assert.deepEqual(mine.map((c: any) => [c.bookingId, c.change]), [[unread.body.id, 'created'], [recent.body.id, 'created']]);
    assert.ok(rest.items.every((c: any) => c.seq > cursor));
    // Now read, the old unread change goes at the next prune; the new one stays; then nothing more.
    const unreadSeq = mine[0].seq;
    assert.deepEqual(await pruneBookingChanges(t.sb.services), { deleted: 1, prunedThrough: unreadSeq, olderThan: pruned.olderThan });
    assert.deepEqual(await pruneBookingChanges(t.sb.services), { deleted: 0, prunedThrough: unreadSeq, olderThan: pruned.olderThan });
    assert.deepEqual((await drain(unreadSeq)).items.filter((c: any) => c.bookingId === recent.body.id).map((c: any) => c.change), ['created']);
  });
});
