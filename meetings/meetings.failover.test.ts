import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../platform/clock.ts';
import { createCmsCluster, type CmsCluster } from '../lab/cms/cms.cluster.ts';
import type { TraceEntry } from '../lab/cms/cms.trace.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { createMeetingsArea } from './meetings.area.ts';

// Issue #14 part 1 (M9, M12, M13): starts and failovers under faults. A meeting adopts only a call its
// own journal says it created; calls left on a node that was down are deleted when it is back; a start
// does not wait for a node that does not answer; a failed start is retried until the meeting's end,
// with a ticket and the alarm. Status polls are sent by the tests (POST …/poll), so they decide when a
// failover or a sweep of left calls can happen.
describe('Meetings: start and failover faults (#14)', () => {
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  let cms: CmsCluster;
  let t: TestSwitchboard;
  let bridgeId: string;
  const [a, b] = ['cb-a', 'cb-b'];

  /**
   * Polls `probe`, moving the clock between polls. The Lab's slowness (`slowMs`) is clock time while a
   * request's timeout is real time (10 s): left to the pace of this loop, a slow answer arrives late or
   * not at all on a loaded machine (a status poll timed out marks the slow node down). So a request a
   * slow node holds is answered at once — the clock moves on by its `slowMs` — unless `hold` keeps it
   * in flight: then the clock moves by `stepMs` at most, never as far as that answer. Otherwise the
   * clock moves `stepMs` (backoff between retries sleeps on it).
   */
  async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, stepMs = 500, timeoutMs = 40_000, options: { hold?: (entry: TraceEntry) => boolean } = {}): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      const slow = held();
      const kept = slow.filter((e) => options.hold?.(e));
      if (kept.length) {
        // The clock moves, but never as far as the held request's answer (its sleep began at `at` or later).
        const answerAt = Math.min(...kept.map((e) => Date.parse(e.at) + e.slowMs));
        clock.advance(Math.max(0, Math.min(stepMs, answerAt - clock.now().getTime() - 1)));
      } else if (slow.length) {
        for (const e of slow) released.add(e.key);
        clock.advance(Math.max(...slow.map((e) => e.slowMs)));
      } else clock.advance(stepMs);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  /** Requests released by moving the clock (an answer the client gave up on keeps no status). */
  const released = new Set<string>();
  /** Requests slow nodes hold now: the Lab marks them `slow` just before it sleeps on the clock. */
  function held() {
    return cms.nodes.flatMap((n) => {
      const slowMs = cms.getFaults(n.name).slowMs ?? 0;
      return slowMs > 0 ? cms.trace(n.name).filter((e) => e.status === undefined && e.fault === 'slow' && !released.has(`${n.name}:${e.n}`)).map((e) => ({ ...e, key: `${n.name}:${e.n}`, slowMs })) : [];
    });
  }
  const meeting = async (id: string) => (await t.api('GET', `/api/v1/meetings/meetings/${id}`)).body;
  const nodes = async () => (await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/nodes`)).body.items as { id: string; name: string; healthy: boolean }[];
  const nodeName = async (nodeId: string) => (await nodes()).find((n) => n.id === nodeId)!.name;
  const tickets = async (state: string) => (await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/tickets?state=${state}`)).body.items as { id: number; title: string; detail: string }[];
  async function book(title: string, startIso: string, options: { dialOut?: string[]; passcode?: string; minutes?: number } = {}) {
    const res = await t.api('POST', '/api/v1/meetings/bookings', { title, start: startIso, durationMinutes: options.minutes ?? 30, timeZone: 'UTC', bridgeId, dialOut: options.dialOut ?? [], passcode: options.passcode });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return (await t.api('GET', `/api/v1/meetings/bookings/${res.body.id}`)).body.occurrences[0].id as string;
  }
  async function poll() {
    const job = await t.api('POST', `/api/v1/meetings/bridges/${bridgeId}/poll`);
    await until('poll', async () => ['completed', 'failed'].includes((await t.api('GET', `/api/v1/jobs/${job.body.jobId}`)).body.state));
  }
  async function end(id: string) {
    await t.api('POST', `/api/v1/meetings/meetings/${id}/end`);
    await until('ended', async () => (await meeting(id)).state === 'ended');
  }
  /** The calls every node of the cluster holds for a space. */
  const callsOfSpace = (coSpaceId: string) => cms.nodes.flatMap((n) => [...n.bridge.calls.values()].filter((c) => c.coSpace === coSpaceId).map((c) => ({ node: n.name, id: c.id, remoteParties: [...c.legs].map((l) => n.bridge.legs.get(l)?.remoteParty) })));
  /** 503 answers to space PUTs a node gave since `since` (its trace index). */
  const busyAnswers = (node: string, since: number) => cms.trace(node, since).filter((e) => e.status === 503 && e.method === 'PUT' && e.path.startsWith('/api/v1/coSpaces/')).length;

  before(async () => {
    cms = await createCmsCluster({ name: 'failover', nodes: [{ name: a, host: '127.0.0.1', port: 0 }, { name: b, host: '127.0.0.1', port: 0 }], clock });
    await cms.start();
    cms.store.create('outboundDialPlanRules', new Map([['domain', '*'], ['priority', '0']]));
    cms.store.create('inboundDialPlanRules', new Map([['domain', 'lab.local']]));
    t = await startTestSwitchboard({ clock, areas: [createMeetingsArea({ tickMs: 1000, statusIntervalMs: 1e12, reconcileIntervalMs: 1e12, backoffMs: 50, startAlarmAttempts: 2 })], config: { jobPollSeconds: 0.5 } as never });
    const added = await t.api('POST', '/api/v1/meetings/bridges', { address: cms.nodes[0].baseUrl, username: 'admin', password: 'admin', name: 'Failover' });
    bridgeId = added.body.items[0].id;
    const patched = await t.api('PATCH', `/api/v1/meetings/bridges/${bridgeId}`, { sipDomain: 'lab.local', numericIdBase: 100, numericIdQuantity: 2 });
    await until('pool', async () => (await t.api('GET', `/api/v1/jobs/${patched.body.poolSyncJobId}`)).body.state === 'completed');
  });
  after(async () => {
    await t?.close();
    await cms?.stop();
  });

  test('privacy: the call a failover left on a node is never adopted by the next meeting on the slot, and is deleted once the node is back', async () => {
    // Meeting 1 runs on B (A down at its start), with a dial-out.
    await cms.setFaults(a, { down: true });
    const first = await book('Board', '2026-03-02T08:10:00Z', { dialOut: ['alice@example.com'], passcode: '1111' });
    clock.set('2026-03-02T08:10:00Z');
    const m1 = await until('meeting 1 on B', async () => {
      const m = await meeting(first);
      return m.state === 'ongoing' && m.legs.some((l: any) => ['placed', 'connected'].includes(l.outcome)) && m;
    });
    assert.equal(await nodeName(m1.nodeId), b);
    await cms.clearFaults(a);
    await poll();
    // B goes down: the meeting moves to A (new call, dial-out placed again).
    await cms.setFaults(b, { down: true });
    await poll();
    const moved = await until('failover to A', async () => {
      const m = await meeting(first);
      return m.failovers === 1 && m.legs.some((l: any) => ['placed', 'connected'].includes(l.outcome)) && m;
    });
    assert.equal(await nodeName(moved.nodeId), a);
    // It ends while B is still down: only the call on A can be deleted now.
    await end(first);
    // B comes back with the old call and Alice still on it; no poll has run since.
    await cms.clearFaults(b);
    const slot = m1.slot;
    const space = (await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/pool`)).body.items.find((s: any) => s.slot === slot).coSpaceId as string;
    assert.deepEqual(callsOfSpace(space).map((c) => [c.node, c.id]), [[b, m1.callId]], 'the old call is on B');

    // Meeting 2 on the same slot: its first attempt fails (both nodes 503), the retry starts it.
    const second = await book('Private', '2026-03-02T09:00:00Z', { passcode: '4321' });
    await cms.setFaults(a, { busy: true });
    await cms.setFaults(b, { busy: true });
    const sinceA = cms.trace(a).length;
    const sinceB = cms.trace(b).length;
    clock.set('2026-03-02T09:00:00Z');
    await until('first attempt failed', async () => busyAnswers(a, sinceA) >= 3 && busyAnswers(b, sinceB) >= 3, 100);
    await cms.clearFaults(a);
    await cms.clearFaults(b);
    const m2 = await until('meeting 2 started', async () => {
      const m = await meeting(second);
      return m.state === 'ongoing' && m;
    }, 200);
    assert.equal(m2.slot, slot, 'the same slot');
    assert.notEqual(m2.callId, m1.callId, 'not the call meeting 1 left on B');
    assert.notEqual(m2.callId, moved.callId);
    const calls = callsOfSpace(space);
    assert.deepEqual(calls.map((c) => c.id), [m2.callId], `only meeting 2's call is on the bridges: ${JSON.stringify(calls)}`);
    assert.deepEqual(calls[0].remoteParties, [], 'nobody from meeting 1 is in it');
    const audit = JSON.stringify((await t.api('GET', `/api/v1/audit?action=meeting.start&entityId=${second}`)).body);
    assert.ok(!audit.includes('"recovered":true'), audit);
    // Dialling in with the booked passcode is accepted, into meeting 2's call.
    const dial = cms.dialIn({ uri: `${100 + slot - 1}@lab.local`, passcode: '4321', remoteParty: 'carol@example.com', node: await nodeName(m2.nodeId) });
    assert.ok(dial.admitted, JSON.stringify(dial));
    assert.equal(dial.admitted && dial.callId, m2.callId);
    await end(second);
    assert.deepEqual(callsOfSpace(space), []);
  });

  test('a call left on a node that was down is deleted by the next poll once the node answers', async () => {
    const id = await book('Sweep', '2026-03-02T10:00:00Z', { dialOut: ['dave@example.com'] });
    clock.set('2026-03-02T10:00:00Z');
    const m = await until('started', async () => {
      const x = await meeting(id);
      return x.state === 'ongoing' && x;
    });
    const from = await nodeName(m.nodeId);
    const to = from === a ? b : a;
    await cms.setFaults(from, { down: true });
    await poll();
    const moved = await until('failover', async () => {
      const x = await meeting(id);
      return x.failovers === 1 && x;
    });
    assert.equal(await nodeName(moved.nodeId), to);
    await cms.clearFaults(from);
    assert.ok(callsOfSpace(m.coSpaceId).some((c) => c.id === m.callId), 'the old call is still there');
    await poll();
    const left = callsOfSpace(m.coSpaceId);
    assert.deepEqual(left.map((c) => [c.node, c.id]), [[to, moved.callId]], JSON.stringify(left));
    const audit = JSON.stringify((await t.api('GET', `/api/v1/audit?action=meeting.left-call-deleted&entityId=${id}`)).body);
    assert.ok(audit.includes(m.callId), audit);
    await end(id);
    assert.deepEqual(callsOfSpace(m.coSpaceId), []);
  });

  test('an end that begins while a failover is making the new call: the new call is not handed to the next meeting on the slot', async () => {
    await poll();
    const id = await book('Raced', '2026-03-02T10:30:00Z', { dialOut: ['frank@example.com'] });
    clock.set('2026-03-02T10:30:00Z');
    const m = await until('started', async () => {
      const x = await meeting(id);
      return x.state === 'ongoing' && x;
    });
    const from = await nodeName(m.nodeId);
    const to = from === a ? b : a;
    // The other node answers slowly (clock time). Its answer to the poll's status request is released
    // at once (it stays healthy: the failover's target); the failover's POST /calls is held in flight.
    await cms.setFaults(to, { slowMs: 20_000 });
    await cms.setFaults(from, { down: true });
    const postingCall = (e: TraceEntry) => e.method === 'POST' && e.path === '/api/v1/calls';
    const hold = { hold: postingCall };
    const since = cms.trace(to).at(-1)?.n ?? 0;
    const job = await t.api('POST', `/api/v1/meetings/bridges/${bridgeId}/poll`);
    assert.ok(job.body.jobId);
    const db = t.sb.services.database.pool;
    try {
      await until('failover POST journalled and in flight', async () => (await db.query(`select 1 from meetings_calls where occurrence_id = $1 and state = 'posting'`, [id])).rowCount && cms.trace(to, since).some((e) => postingCall(e) && e.status === undefined), 100, 40_000, hold);
      // The meeting ends now, while that POST has not been answered (the clock stands still until it is
      // ending); its old node comes back.
      const ending = await t.api('POST', `/api/v1/meetings/meetings/${id}/end`);
      await until('ending', async () => (await meeting(id)).state === 'ending', 0, 40_000, hold);
      await cms.clearFaults(from);
      // The end waits for the failover's POST; then the POST is answered.
      await until('the end waiting for the failover', async () => {
        const endJob = (await t.api('GET', `/api/v1/jobs/${ending.body.jobId}`)).body;
        return endJob.error?.code === 'CONFLICT' && /failover/.test(endJob.error.message);
      }, 100, 40_000, hold);
      assert.ok(cms.trace(to, since).some((e) => postingCall(e) && e.status === undefined), 'the POST is still in flight');
      await until('ended', async () => (await meeting(id)).state === 'ended', 500, 60_000);
    } finally {
      await cms.clearFaults(to);
      await cms.clearFaults(from);
    }
    await poll();
    assert.deepEqual(callsOfSpace(m.coSpaceId), [], 'no call of the meeting is left on any node');
    const ended = await meeting(id);
    assert.equal(ended.failovers, 0, 'the failover did not move an ending meeting');
  });

  test('a start does not wait for a node that does not answer: with A down and B busy for a while, it starts on B as soon as B answers', async () => {
    await poll();
    await cms.setFaults(a, { down: true });
    await cms.setFaults(b, { busy: true });
    const id = await book('Healthy B', '2026-03-02T11:00:00Z', { dialOut: ['erin@example.com'] });
    const sinceB = cms.trace(b).length;
    clock.set('2026-03-02T11:00:00Z');
    // The first attempt fails on A's refusals and B's 503s; then B answers again. The retries (the
    // claim recovered) must not insist on asking A whether a call exists: no POST was ever sent.
    await until('first attempt failed', async () => busyAnswers(b, sinceB) >= 3, 100);
    await cms.clearFaults(b);
    const m = await until('started on B while A is still down', async () => {
      const x = await meeting(id);
      return x.state === 'ongoing' && x;
    }, 200);
    assert.equal(await nodeName(m.nodeId), b);
    assert.equal(cms.getFaults(a).down, true);
    await end(id);
    await cms.clearFaults(a);
    await poll();
  });

  test('a failed start is tried again until the meeting ends: ticket and alarm while it fails, ticket closed once it starts', async () => {
    await cms.setFaults(a, { busy: true });
    await cms.setFaults(b, { busy: true });
    const id = await book('Retried', '2026-03-02T12:00:00Z', { minutes: 60 });
    clock.set('2026-03-02T12:00:00Z');
    const ticket = await until('Meeting Start Failed ticket', async () => (await tickets('open')).find((x) => x.title === 'Meeting Start Failed' && x.detail.includes(id)), 200);
    assert.match(ticket.detail, /Retried/);
    const failing = await meeting(id);
    assert.equal(failing.state, 'starting', 'still being started, not given up');
    assert.ok(failing.error, 'the error is shown');
    const metrics = await fetch(`${t.url}/metrics`).then((r) => r.text());
    assert.match(metrics, /switchboard_meeting_start_failures_total\{outcome="retrying"\} [1-9]/);
    await cms.clearFaults(a);
    await cms.clearFaults(b);
    const m = await until('started after the nodes recovered', async () => {
      const x = await meeting(id);
      return x.state === 'ongoing' && x;
    }, 200);
    assert.equal(m.error, null);
    assert.ok(!(await tickets('open')).some((x) => x.id === ticket.id), 'the ticket closed itself');
    await end(id);
  });

  test('a start that fails until the end of the meeting is given up then: failed, slot free, ticket', async () => {
    await cms.setFaults(a, { busy: true });
    await cms.setFaults(b, { busy: true });
    const id = await book('Hopeless', '2026-03-02T14:00:00Z', { minutes: 5 });
    clock.set('2026-03-02T14:00:00Z');
    // 5 minutes of clock time, then an attempt after the end: the job's retries wait in real time (up
    // to 10 s each), so on a loaded machine this takes longer than the default 40 s.
    const m = await until('given up', async () => {
      const x = await meeting(id);
      return x.state === 'failed' && x;
    }, 2_000, 120_000);
    assert.ok(clock.now().getTime() >= new Date('2026-03-02T14:05:00Z').getTime(), 'not before its end');
    assert.ok(m.error);
    const pool = (await t.api('GET', `/api/v1/meetings/bridges/${bridgeId}/pool`)).body.items;
    assert.ok(pool.every((s: any) => s.occurrenceId !== id), 'its slot is free');
    assert.ok((await tickets('open')).some((x) => x.title === 'Meeting Start Failed' && x.detail.includes(id)));
    await cms.clearFaults(a);
    await cms.clearFaults(b);
  });
});
