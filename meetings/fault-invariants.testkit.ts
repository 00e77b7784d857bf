// Issue #14 part 4: many meetings with dial-outs on a two-node Lab cluster while seeded random faults
// (down, 503, slow, POST /calls failing) hit random nodes at random moments, with or without CDRs.
// Checked throughout and at the end:
// - no two meetings ever share a call (occurrences, the calls journal, and the legs in every call);
// - once the nodes have been quiet for a while, no call of a meeting's space holds another meeting's
//   dial-outs, and dialling in with the meeting's passcode is accepted into the meeting's own call;
// - at the end: no call left on any node, every space back to its placeholder, every meeting started
//   (faults are shorter than meetings, so each could start on a healthy node).
// Used by meetings.fault-invariants.test.ts (small, both databases) and bench/meetings-faults.bench.ts.
import { ManualClock } from '../platform/clock.ts';
import { createCmsCluster, type CmsCluster, type CmsFaults } from '../lab/cms/cms.cluster.ts';
import { cmsClient } from '../lab/cms/cms.testkit.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { createMeetingsArea } from './meetings.area.ts';

export type FaultInvariantOptions = {
  seed: number;
  meetings: number;
  faults: number;
  slots: number;
  /** false: the nodes' CDR receivers are removed, so leg outcomes never come. */
  cdrs: boolean;
  /** Start instants: every 5 minutes from 08:10, this many of them. */
  instants?: number;
  log?: (line: string) => void;
};

export type FaultInvariantReport = {
  seed: number;
  meetings: number;
  booked: number;
  faults: number;
  faultKinds: Record<string, number>;
  started: number;
  failovers: number;
  leftCallsDeleted: number;
  dialIns: number;
  checks: number;
  violations: string[];
};

/** mulberry32: small, seeded, good enough to pick faults. */
export function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Fault = { at: number; until: number; node: string; kind: 'down' | 'busy' | 'slow' | 'post503'; applied?: boolean; cleared?: boolean };

export async function runFaultInvariants(options: FaultInvariantOptions): Promise<FaultInvariantReport> {
  const random = prng(options.seed);
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)];
  const log = options.log ?? (() => undefined);
  const clock = new ManualClock('2026-04-01T08:00:00Z');
  const t0 = clock.now().getTime();
  const names = ['n1', 'n2'];
  let cms: CmsCluster | undefined;
  let t: TestSwitchboard | undefined;
  const violations: string[] = [];
  const violate = (what: string) => {
    if (violations.length < 50) violations.push(`${new Date(clock.now()).toISOString()} ${what}`);
  };
  try {
    cms = await createCmsCluster({ name: `faults-${options.seed}`, nodes: names.map((name) => ({ name, host: '127.0.0.1', port: 0 })), clock });
    await cms.start();
    cms.store.create('outboundDialPlanRules', new Map([['domain', '*'], ['priority', '0']]));
    cms.store.create('inboundDialPlanRules', new Map([['domain', 'lab.local']]));
    const pollMs = 5_000;
    t = await startTestSwitchboard({ clock, areas: [createMeetingsArea({ tickMs: 1000, statusIntervalMs: pollMs, reconcileIntervalMs: 1e12, backoffMs: 100 })], config: { jobPollSeconds: 0.5 } as never });
    const api = t.api;
    const added = await api('POST', '/api/v1/meetings/bridges', { address: cms.nodes[0].baseUrl, username: 'admin', password: 'admin', name: 'Faults' });
    const bridgeId = added.body.items[0].id as string;
    const patched = await api('PATCH', `/api/v1/meetings/bridges/${bridgeId}`, { sipDomain: 'lab.local', numericIdBase: 500, numericIdQuantity: options.slots });
    for (let i = 0; (await api('GET', `/api/v1/jobs/${patched.body.poolSyncJobId}`)).body.state !== 'completed'; i++) {
      if (i > 400) throw new Error('the pool did not sync');
      clock.advance(500);
      await sleep(20);
    }
    if (!options.cdrs) {
      for (const node of cms.nodes) {
        const c = cmsClient(node.baseUrl);
        const list = await c('GET', '/api/v1/system/cdrReceivers');
        for (const id of [...list.body.matchAll(/<cdrReceiver id="([^"]+)"/g)].map((m) => m[1])) await c('DELETE', `/api/v1/system/cdrReceivers/${id}`);
      }
    }
    const db = t.sb.services.database.pool;
    const pool = (await db.query<{ slot: number; co_space_id: string; uri: string }>('select slot, co_space_id, uri from meetings_pool_slots where bridge_id = $1 order by slot', [bridgeId])).rows;
    const placeholder = new Map(pool.map((p) => [p.co_space_id, `TMS_Scheduled_Meeting_${p.uri}`]));

    // Meetings: 5 or 10 minutes at instants 5 minutes apart, 1–2 dial-outs each, their own passcode.
    const instants = options.instants ?? 3;
    const booked: { id: string; index: number; passcode: string; endAt: number }[] = [];
    for (let index = 0; index < options.meetings; index++) {
      const start = t0 + 10 * 60_000 + Math.floor(random() * instants) * 5 * 60_000;
      const minutes = pick([5, 10]);
      const passcode = String(1000 + Math.floor(random() * 9000));
      const dialOut = Array.from({ length: 1 + Math.floor(random() * 2) }, (_, k) => `m${index}-${k}@example.com`);
      const res = await api('POST', '/api/v1/meetings/bookings', { title: `Meeting ${index}`, start: new Date(start).toISOString(), durationMinutes: minutes, timeZone: 'UTC', bridgeId, dialOut, passcode });
      if (res.status !== 201) continue; // every slot taken at that instant
      const occ = (await api('GET', `/api/v1/meetings/bookings/${res.body.id}`)).body.occurrences[0].id as string;
      booked.push({ id: occ, index, passcode, endAt: start + minutes * 60_000 });
    }
    const lastEnd = Math.max(...booked.map((b) => b.endAt));
    const meetingOfParty = (party: string) => /^m(\d+)-/.exec(party)?.[1];

    // Faults: random node, kind, moment (from just before the first start to the last end), 5–40 s.
    const faults: Fault[] = Array.from({ length: options.faults }, () => {
      const at = t0 + 9 * 60_000 + Math.floor(random() * (lastEnd - t0 - 9 * 60_000));
      return { at, until: at + 5_000 + Math.floor(random() * 35_000), node: pick(names), kind: pick(['down', 'busy', 'slow', 'post503'] as const) };
    });
    const faultKinds: Record<string, number> = {};
    for (const f of faults) faultKinds[f.kind] = (faultKinds[f.kind] ?? 0) + 1;
    log(`seed ${options.seed}: ${booked.length} meetings booked of ${options.meetings}, ${faults.length} faults ${JSON.stringify(faultKinds)}, CDRs ${options.cdrs ? 'on' : 'off'}`);

    const active = new Map<string, Fault[]>(names.map((n) => [n, []]));
    async function applyFaults(now: number) {
      for (const f of faults) {
        if (!f.applied && now >= f.at) {
          f.applied = true;
          active.get(f.node)!.push(f);
        }
        if (f.applied && !f.cleared && now >= f.until) {
          f.cleared = true;
          active.set(f.node, active.get(f.node)!.filter((x) => x !== f));
        }
      }
      for (const name of names) {
        const kinds = new Set(active.get(name)!.map((f) => f.kind));
        const want: CmsFaults = { down: kinds.has('down') || undefined, busy: kinds.has('busy') || undefined, slowMs: kinds.has('slow') ? 3_000 : undefined };
        const have = cms!.getFaults(name);
        if (!!have.down !== !!want.down || !!have.busy !== !!want.busy || (have.slowMs ?? 0) !== (want.slowMs ?? 0)) await cms!.setFaults(name, { down: want.down ?? false, busy: want.busy ?? false, slowMs: want.slowMs });
        if (kinds.has('post503') && !have.failNext?.length) await cms!.setFaults(name, { failNext: [{ path: '/api/v1/calls', method: 'POST', count: 2, status: 503 }] });
      }
    }
    let quietSince = t0;
    const callOwner = new Map<string, string>();
    let dialIns = 0;
    let checks = 0;

    /** What the database says about the booked meetings. */
    const occurrences = async () =>
      (await db.query<{ id: string; state: string; call_id: string | null; node_id: string | null; co_space_id: string | null; started_at: Date | null; end_at: Date; uri: string | null }>(
        `select o.id, o.state, o.call_id, o.node_id, o.co_space_id, o.started_at, o.end_at, p.uri from meetings_occurrences o left join meetings_pool_slots p on p.bridge_id = o.bridge_id and p.occurrence_id = o.id where o.bridge_id = $1`,
        [bridgeId],
      )).rows;
    const nodeNames = new Map((await db.query<{ id: string; name: string }>('select id, name from meetings_bridge_nodes where bridge_id = $1', [bridgeId])).rows.map((r) => [r.id, r.name]));

    async function check(now: number) {
      checks++;
      const rows = await occurrences();
      const live = rows.filter((r) => (r.state === 'ongoing' || r.state === 'ending') && r.call_id);
      const seen = new Map<string, string>();
      for (const r of live) {
        if (seen.has(r.call_id!)) violate(`meetings ${seen.get(r.call_id!)} and ${r.id} share call ${r.call_id}`);
        seen.set(r.call_id!, r.id);
        const before = callOwner.get(r.call_id!);
        if (before && before !== r.id) violate(`call ${r.call_id} of meeting ${before} is now meeting ${r.id}'s`);
        callOwner.set(r.call_id!, r.id);
      }
      const indexOf = new Map(booked.map((b) => [b.id, String(b.index)]));
      // Every call on every node: the dial-outs in it belong to one meeting.
      for (const node of cms!.nodes) {
        for (const call of node.bridge.calls.values()) {
          const owners = new Set([...call.legs].map((l) => node.bridge.legs.get(l)).filter((l) => l?.direction === 'outgoing').map((l) => meetingOfParty(l!.remoteParty)));
          if (owners.size > 1) violate(`call ${call.id} on ${node.name} holds dial-outs of meetings ${[...owners].join(', ')}`);
        }
      }
      const quiet = names.every((n) => active.get(n)!.length === 0) && now - quietSince >= 3 * pollMs && !rows.some((r) => r.state === 'starting');
      if (!quiet || now - lastDialIns < 30_000) return;
      lastDialIns = now;
      for (const r of rows.filter((x) => x.state === 'ongoing' && x.call_id && x.node_id && x.end_at.getTime() - now > 10_000)) {
        const mine = indexOf.get(r.id);
        // Calls of this meeting's space on any node hold no other meeting's dial-outs.
        for (const node of cms!.nodes) {
          for (const call of node.bridge.calls.values()) {
            if (call.coSpace !== r.co_space_id) continue;
            const others = [...call.legs].map((l) => node.bridge.legs.get(l)).filter((l) => l?.direction === 'outgoing' && meetingOfParty(l.remoteParty) !== mine);
            if (others.length) violate(`space of meeting ${mine} has call ${call.id} on ${node.name} with ${others.map((l) => l!.remoteParty).join(', ')}`);
          }
        }
        const meeting = booked.find((b) => b.id === r.id)!;
        const dial = cms!.dialIn({ uri: `${r.uri}@lab.local`, passcode: meeting.passcode, remoteParty: `guest-${mine}@example.net`, node: nodeNames.get(r.node_id!) });
        dialIns++;
        if (!dial.admitted) violate(`dialling in to meeting ${mine} with its passcode was refused: ${dial.reason}`);
        else {
          if (dial.callId !== r.call_id) violate(`dialling in to meeting ${mine} joined call ${dial.callId}, not its call ${r.call_id}`);
          cms!.nodes.find((n) => n.name === dial.node)!.bridge.hangUp(dial.callLegId);
        }
      }
    }

    // Time moves 2 s a step, 0.25 s while a start or a failover is under way (job retries wait in
    // real time: at the fast pace a meeting would be over before its retry).
    let last = 0;
    let lastDialIns = 0;
    clock.set(new Date(t0 + 9 * 60_000));
    for (let now = clock.now().getTime(); now < lastEnd + 60_000; now = clock.now().getTime()) {
      await applyFaults(now);
      if (names.some((n) => active.get(n)!.length)) quietSince = now;
      if (now - last >= 5_000) {
        last = now;
        await check(now);
      }
      const busy = (await db.query(`select 1 from meetings_occurrences o left join meetings_bridge_nodes n on n.id = o.node_id where o.bridge_id = $1 and (o.state = 'starting' or (o.state = 'ongoing' and n.healthy = false)) limit 1`, [bridgeId])).rowCount;
      clock.advance(busy ? 250 : 2_000);
      await sleep(20);
    }
    // Faults over: everything ends, polls sweep what was left; then the final checks.
    for (const name of names) await cms.clearFaults(name);
    for (let i = 0; ; i++) {
      const rows = await occurrences();
      if (rows.every((r) => ['ended', 'failed', 'cancelled'].includes(r.state)) && i > 40) break;
      if (i > 2_000) {
        violate(`meetings never finished: ${rows.filter((r) => !['ended', 'failed', 'cancelled'].includes(r.state)).map((r) => r.state).join(', ')}`);
        break;
      }
      clock.advance(1_000);
      await sleep(20);
    }
    const rows = await occurrences();
    for (const r of rows) if (!r.started_at) violate(`meeting ${booked.find((b) => b.id === r.id)?.index} never started (${r.state})`);
    for (const node of cms.nodes) for (const call of node.bridge.calls.values()) violate(`call ${call.id} (space ${call.coSpace}) left on ${node.name} with ${[...call.legs].map((l) => node.bridge.legs.get(l)?.remoteParty).join(', ') || 'nobody'}`);
    for (const [id, name] of placeholder) {
      const space = cms.store.collections.coSpaces.get(id);
      if (!space) violate(`space ${name} is gone`);
      else if (space.v.name !== name || space.v.nonMemberAccess !== 'false' || (space.v.passcode ?? '') !== '') violate(`space ${name} is not its placeholder: ${JSON.stringify({ name: space.v.name, nonMemberAccess: space.v.nonMemberAccess, passcode: space.v.passcode ? '*' : '' })}`);
    }
    const shared = (await db.query<{ call_id: string }>(`select call_id from meetings_calls where call_id is not null group by call_id having count(distinct occurrence_id) > 1`)).rows;
    for (const s of shared) violate(`call ${s.call_id} is in the journal of several meetings`);
    const audit = async (action: string) => (await db.query(`select count(*)::int as n from audit_events where action = $1`, [action])).rows[0]?.n ?? 0;
    return {
      seed: options.seed,
      meetings: options.meetings,
      booked: booked.length,
      faults: faults.length,
      faultKinds,
      started: rows.filter((r) => r.started_at).length,
      failovers: await audit('meeting.failover'),
      leftCallsDeleted: await audit('meeting.left-call-deleted'),
      dialIns,
      checks,
      violations,
    };
  } finally {
    await t?.close();
    await cms?.stop();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
