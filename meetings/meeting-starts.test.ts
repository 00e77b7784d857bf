import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { ManualClock } from '../platform/clock.ts';
import { createSwitchboard, type Switchboard } from '../platform/app.ts';
import { createJobContext } from '../platform/jobs/job-context.ts';
import { claimJobAttempt, insertJobRecord } from '../platform/jobs/jobs.repository.ts';
import { createCmsCluster, type CmsCluster } from '../lab/cms/cms.cluster.ts';
import { cmsClient } from '../lab/cms/cms.testkit.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { createMeetingsArea } from './meetings.area.ts';
import { createBridges, type Bridges } from './bridges.service.ts';
import { createBookings } from './bookings.service.ts';
import { createMeetings, type Meetings } from './meetings.service.ts';
import { claimStarts } from './meeting-starts.repository.ts';
import { insertIntents } from './meeting-calls.repository.ts';
import { startBatches } from './meetings.scheduler.ts';
import { START_BATCH } from './meetings.jobs.ts';

// M9 batched starts: a start job claims many meetings at once. Each meeting is started exactly once
// however many jobs (and instances) claim it, and a claimed start whose attempt died is recovered by
// asking the bridge, never started twice.
describe('Meetings: batched starts', () => {
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  let cms: CmsCluster;
  let t: TestSwitchboard;
  let second: Switchboard | undefined;
  let bridgeId: string;
  let bridges: Bridges;
  let meetings: Meetings;
  const system = { type: 'system' as const, id: null, name: 'test', role: 'system' as const, customerOrgId: null };

  async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const meeting = async (id: string) => (await t.api('GET', `/api/v1/meetings/meetings/${id}`)).body;
  async function book(title: string, startIso: string) {
    const res = await t.api('POST', '/api/v1/meetings/bookings', { title, start: startIso, durationMinutes: 30, timeZone: 'UTC', bridgeId });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return (await t.api('GET', `/api/v1/meetings/bookings/${res.body.id}`)).body.occurrences[0].id as string;
  }
  /** POST /calls that reached the bridge for these spaces (every node). */
  const callPosts = () => cms.nodes.flatMap((n) => cms.trace(n.name).map((e, i) => ({ ...e, key: `${n.name}#${i}` }))).filter((e) => e.method === 'POST' && e.path === '/api/v1/calls').map((e) => `${e.key} ${new URLSearchParams(e.requestBody ?? '').get('coSpace')}`);
  /** The spaces of the POST /calls made since `before` (a snapshot of callPosts()). */
  const postsSince = (before: string[]) => {
    const seen = new Set(before);
    return callPosts().filter((p) => !seen.has(p)).map((p) => p.split(' ')[1]);
  };
  const startDefinition = (sb: Switchboard) => sb.services.jobs.definitions().find((d) => d.queue === 'meetings.start-meeting')!;

  /** A job attempt as the runner makes it: a record, the attempt claimed, a context fenced on it. */
  async function attemptOf(jobId: string, attempt: number) {
    const { database } = t.sb.services;
    if (attempt === 1) await insertJobRecord(database.db, { id: jobId, queue: 'meetings.start-meeting', title: 'test', state: 'created', maxAttempts: 6, createdAt: clock.now(), updatedAt: clock.now() });
    assert.ok(await claimJobAttempt(database.db, jobId, attempt, clock.now()));
    return createJobContext({ jobId, attempt, database, clock, logger: t.sb.services.logger, signal: new AbortController().signal });
  }

  before(async () => {
    cms = await createCmsCluster({ name: 'starts', nodes: [{ name: 'cb-1', host: '127.0.0.1', port: 0 }, { name: 'cb-2', host: '127.0.0.1', port: 0 }], clock });
    await cms.start();
    cms.store.create('outboundDialPlanRules', new Map([['domain', '*'], ['priority', '0']]));
    // No scheduler: the tests send and run the start jobs themselves.
    const area = () => createMeetingsArea({ scheduler: false, backoffMs: 50, statusIntervalMs: 1e12, reconcileIntervalMs: 1e12 });
    t = await startTestSwitchboard({ clock, areas: [area()], config: { jobPollSeconds: 0.5 } as never });
    // On PostgreSQL a second instance shares the database (the embedded one admits one process).
    if (t.sb.services.config.databaseUrl) second = await createSwitchboard({ clock, areas: [area()], config: t.sb.services.config });
    const added = await t.api('POST', '/api/v1/meetings/bridges', { address: cms.nodes[0].baseUrl, username: 'admin', password: 'admin', name: 'Starts' });
    bridgeId = added.body.items[0].id;
    const patched = await t.api('PATCH', `/api/v1/meetings/bridges/${bridgeId}`, { sipDomain: 'lab.local', numericIdBase: 1, numericIdQuantity: 8 });
    await until('pool', async () => {
      clock.advance(1000);
      return (await t.api('GET', `/api/v1/jobs/${patched.body.poolSyncJobId}`)).body.state === 'completed';
    });
    bridges = createBridges(t.sb.services);
    meetings = createMeetings(t.sb.services, bridges, createBookings(t.sb.services), { backoffMs: 50 });
  });
  after(async () => {
    await bridges?.close();
    await second?.close();
    await t?.close();
    await cms?.stop();
  });

  test('the scheduler batches due meetings per instant, bridge by bridge, at most START_BATCH a job', () => {
    const at = new Date('2026-03-02T09:00:00Z');
    const later = new Date('2026-03-02T09:30:00Z');
    const due = [
      ...Array.from({ length: START_BATCH + 50 }, (_, i) => ({ id: `b-${String(i).padStart(5, '0')}`, bridgeId: 'b', holdFrom: at })),
      ...Array.from({ length: 10 }, (_, i) => ({ id: `a-${i}`, bridgeId: 'a', holdFrom: at })),
      { id: 'late', bridgeId: 'a', holdFrom: later },
    ];
    const batches = startBatches(due.reverse());
    assert.deepEqual(batches.map((b) => [b.at, b.ids.length]), [[later.getTime(), 1], [at.getTime(), START_BATCH], [at.getTime(), 60]]);
    assert.deepEqual(batches[1].ids.slice(0, 2), ['a-0', 'a-1'], 'ordered by bridge, then id: every instance cuts the same batches');
    assert.equal(new Set(batches.flatMap((b) => b.ids)).size, due.length);
    // #18: with 2 instances of 4 job workers, a burst is cut into 8 equal parts so every worker gets one.
    const spread = startBatches(due, 8).filter((b) => b.at === at.getTime());
    const part = Math.ceil((START_BATCH + 60) / 8);
    assert.deepEqual(spread.map((b) => b.ids.length), [...Array(7).fill(part), START_BATCH + 60 - 7 * part]);
    assert.deepEqual(spread.flatMap((b) => b.ids), batches.slice(1).flatMap((b) => b.ids), 'the same order, cut more finely');
  });

  test('with several instances each bridge\'s meetings are dealt over them (lanes), lane after lane', () => {
    const at = new Date('2026-03-02T09:00:00Z');
    const due = ['a', 'b', 'c'].flatMap((bridgeId) => Array.from({ length: 6 }, (_, i) => ({ id: `${bridgeId}-${i}`, bridgeId, holdFrom: at })));
    // 2 instances × 2 workers: 4 batches, the first two of lane 0 (every other meeting of each bridge).
    const batches = startBatches([...due].reverse(), 4, 2);
    assert.deepEqual(batches.map((b) => b.ids), [
      ['a-0', 'a-2', 'a-4', 'b-0', 'b-2'],
      ['b-4', 'c-0', 'c-2', 'c-4'],
      ['a-1', 'a-3', 'a-5', 'b-1', 'b-3'],
      ['b-5', 'c-1', 'c-3', 'c-5'],
    ]);
    const lane = (ids: string[]) => new Set(ids.map((id) => Number(id.split('-')[1]) % 2));
    for (const b of batches) assert.equal(lane(b.ids).size, 1, 'a batch holds one lane');
    assert.deepEqual(startBatches(due, 4, 2), batches, 'the same cut whatever order the meetings were read in');
  });

  test('overlapping start jobs (two instances on PostgreSQL) start each meeting exactly once, lowest slots first', async () => {
    clock.set('2026-03-02T08:30:00Z');
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await book(`Overlap ${i}`, '2026-03-02T09:00:00Z'));
    clock.set('2026-03-02T09:00:00Z');
    const postsBefore = callPosts();
    const sends = [
      { sb: t.sb, ids },
      { sb: second ?? t.sb, ids: ids.slice(2).reverse() },
      { sb: second ?? t.sb, ids: ids.slice(0, 3) },
      { sb: t.sb, ids: ids.slice(1, 5) },
    ];
    const jobs = await Promise.all(sends.map(({ sb, ids: list }, n) => sb.services.jobs.send(startDefinition(sb), { occurrenceIds: list }, { actor: system, idempotencyKey: `test-overlap:${n}` })));
    const done = await until('jobs finished', async () => {
      const records = await Promise.all(jobs.map(async (j) => (await t.api('GET', `/api/v1/jobs/${j.id}`)).body));
      return records.every((r) => ['completed', 'failed'].includes(r.state)) && records;
    });
    assert.deepEqual(done.map((r) => r.state), ['completed', 'completed', 'completed', 'completed'], JSON.stringify(done.map((r) => r.error)));
    assert.equal(done.reduce((sum, r) => sum + r.result.started, 0), 6, 'six starts in all, whichever job made them');
    const started = await Promise.all(ids.map(meeting));
    assert.deepEqual(started.map((m) => m.state), Array(6).fill('ongoing'));
    assert.deepEqual(started.map((m) => m.slot).sort(), [1, 2, 3, 4, 5, 6]);
    const posts = postsSince(postsBefore);
    assert.equal(posts.length, 6, 'one POST /calls per meeting');
    assert.deepEqual(new Set(posts), new Set(started.map((m) => m.coSpaceId)));
    const audit = (await t.api('GET', '/api/v1/audit?action=meeting.start&limit=100')).body.items.filter((e: any) => ids.includes(e.entityId));
    assert.equal(audit.length, 6, 'one audit entry per start');
    const pool = (await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/pool`)).body.items;
    assert.deepEqual(pool.filter((s: any) => s.occurrenceId).map((s: any) => s.slot), [1, 2, 3, 4, 5, 6]);
    for (const id of ids) await t.api('POST', `/api/v1/meetings/meetings/${id}/end`);
    // End jobs are sent by the scheduler, which is off here: end them through the service's job.
    const endDefinition = t.sb.services.jobs.definitions().find((d) => d.queue === 'meetings.end-meeting')!;
    await Promise.all(ids.map((id) => t.sb.services.jobs.send(endDefinition, { occurrenceId: id }, { actor: system })));
    await until('ended', async () => (await Promise.all(ids.map(meeting))).every((m) => m.state === 'ended'));
  });

  test('a claimed start whose attempt died after POST /calls is recovered from the bridge, not started twice', async () => {
    clock.set('2026-03-02T10:30:00Z');
    const [posted, unposted] = [await book('Died after the call', '2026-03-02T11:00:00Z'), await book('Died before the call', '2026-03-02T11:00:00Z')];
    clock.set('2026-03-02T11:00:00Z');
    const jobId = crypto.randomUUID();
    const { database } = t.sb.services;
    // Attempt 1 claims both meetings, journals the first one's POST /calls to cb-2 (as every POST is,
    // before it is sent), puts up its call, and dies before writing the answer down.
    await attemptOf(jobId, 1);
    const { claimed } = await database.transaction((tx) => claimStarts(tx, jobId, [posted, unposted], clock.now()));
    assert.equal(claimed.length, 2);
    const first = claimed.find((c) => c.id === posted)!;
    const cb2 = (await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/nodes`)).body.items.find((n: any) => n.name === 'cb-2').id;
    await insertIntents(database.db, [{ id: crypto.randomUUID(), occurrenceId: posted, bridgeId, nodeId: cb2, coSpaceId: first.coSpaceId }], clock.now());
    const node = cmsClient(cms.nodes[1].baseUrl);
    assert.equal((await node('PUT', `/api/v1/coSpaces/${first.coSpaceId}`, { name: 'Died after the call', nonMemberAccess: 'true' })).status, 200);
    const created = await node('POST', '/api/v1/calls', { coSpace: first.coSpaceId });
    assert.equal(created.status, 200);
    const callId = created.headers.get('location')!.split('/').pop()!;
    assert.equal((await meeting(posted)).state, 'starting');

    // Another job listing the same meetings finds them claimed and leaves them alone.
    const other = await meetings.startMany(await attemptOf(crypto.randomUUID(), 1), { occurrenceIds: [posted, unposted] }, { finalAttempt: false });
    assert.deepEqual(other, { started: 0, waiting: 0 });

    const postsBefore = callPosts();
    const result = await meetings.startMany(await attemptOf(jobId, 2), { occurrenceIds: [posted, unposted] }, { finalAttempt: false });
    assert.deepEqual(result, { started: 2, failed: 0, waiting: 0 });
    const recovered = await meeting(posted);
    assert.equal(recovered.state, 'ongoing');
    assert.equal(recovered.callId, callId, 'the call the died attempt made');
    assert.equal(recovered.nodeId, (await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/nodes`)).body.items.find((n: any) => n.name === 'cb-2').id);
    const restarted = await meeting(unposted);
    assert.equal(restarted.state, 'ongoing');
    const posts = postsSince(postsBefore);
    assert.deepEqual(posts, [restarted.coSpaceId], 'only the meeting without a call got a POST /calls');
    const audit = (await t.api('GET', `/api/v1/audit?action=meeting.start&entityId=${posted}`)).body.items;
    assert.equal(audit.length, 1);
    assert.equal(audit[0].after.recovered, true);
  });

  test('a start the bridge refuses on every attempt ends failed with its slot free; the job retries before that', async () => {
    clock.set('2026-03-02T12:30:00Z');
    const id = await book('Refused', '2026-03-02T13:00:00Z');
    clock.set('2026-03-02T13:00:00Z');
    const jobId = crypto.randomUUID();
    for (const n of cms.nodes) await cms.setFaults(n.name, { failNext: [{ path: '/api/v1/coSpaces/', method: 'PUT', count: 100, status: 400 }] });
    try {
      await assert.rejects(meetings.startMany(await attemptOf(jobId, 1), { occurrenceIds: [id] }, { finalAttempt: false }), /1 of 1 meetings did not start/);
      assert.equal((await meeting(id)).state, 'starting', 'kept for the next attempt');
      const last = await meetings.startMany(await attemptOf(jobId, 2), { occurrenceIds: [id] }, { finalAttempt: true });
      assert.deepEqual(last, { started: 0, failed: 1, waiting: 0 });
    } finally {
      for (const n of cms.nodes) await cms.clearFaults(n.name);
    }
    const failed = await meeting(id);
    assert.equal(failed.state, 'failed');
    assert.match(failed.error, /400|refused|invalid/i);
    const pool = (await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/pool`)).body.items;
    assert.equal(pool.some((s: any) => s.occurrenceId === id), false, 'the slot is free again');
  });

  test('back to back: meetings due while the previous ones still hold every slot start as their ends free them, in one attempt', async () => {
    clock.set('2026-03-02T13:30:00Z');
    const held = (await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/pool`)).body.items.filter((s: any) => s.occurrenceId).length;
    const free = 8 - held;
    const before: string[] = [];
    const afterThem: string[] = [];
    for (let i = 0; i < free; i++) before.push(await book(`Before ${i}`, '2026-03-02T14:00:00Z'));
    for (let i = 0; i < free; i++) afterThem.push(await book(`After ${i}`, '2026-03-02T14:30:00Z'));
    clock.set('2026-03-02T14:00:00Z');
    const firstJob = await t.sb.services.jobs.send(startDefinition(t.sb), { occurrenceIds: before }, { actor: system, idempotencyKey: 'test-b2b:before' });
    await until('first meetings started', async () => (await t.api('GET', `/api/v1/jobs/${firstJob.id}`)).body.state === 'completed');
    clock.set('2026-03-02T14:30:00Z');
    const job = await t.sb.services.jobs.send(startDefinition(t.sb), { occurrenceIds: afterThem }, { actor: system, idempotencyKey: 'test-b2b:after' });
    await until('the job waits for slots', async () => (await t.api('GET', `/api/v1/jobs/${job.id}`)).body.progressStep === 'claim');
    assert.deepEqual((await Promise.all(afterThem.map(meeting))).map((m) => m.state), Array(free).fill('scheduled'), 'no slot yet');
    const endDefinition = t.sb.services.jobs.definitions().find((d) => d.queue === 'meetings.end-meeting')!;
    await Promise.all(before.map((id) => t.sb.services.jobs.send(endDefinition, { occurrenceId: id }, { actor: system })));
    const done = await until('started after the ends', async () => {
      clock.advance(500);
      const record = (await t.api('GET', `/api/v1/jobs/${job.id}`)).body;
      return ['completed', 'failed'].includes(record.state) && record;
    });
    assert.equal(done.state, 'completed', JSON.stringify(done.error));
    assert.equal(done.attempts, 1, 'waited in the attempt, not through retries');
    assert.deepEqual(done.result, { started: free, failed: 0, waiting: 0 });
    assert.deepEqual((await Promise.all(afterThem.map(meeting))).map((m) => m.state), Array(free).fill('ongoing'));
    assert.deepEqual((await Promise.all(before.map(meeting))).map((m) => m.state), Array(free).fill('ended'));
  });
});
