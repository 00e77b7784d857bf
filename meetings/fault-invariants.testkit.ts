// Issue #14 part 4: many meetings with dial-outs on a two-node Lab cluster while seeded random faults
// (down, 503, slow, POST /calls failing) hit random nodes at random moments, with or without CDRs.
// Checked throughout and at the end:
// - no two meetings ever share a call (occurrences, the calls journal, and the legs in every call);
// - once the nodes have been quiet for a while, no call of a meeting's space holds another meeting's
//   dial-outs, and dialling in with the meeting's passcode is accepted into the meeting's own call;
// - at the end: no call left on any node, every space back to its placeholder, every meeting started
//   (faults are shorter than meetings, so each could start on a healthy node).
// With `rooms` (#17): Lab CE codecs booked as One Button to Push rooms of some meetings (and of one
// meeting each after the run), some of those meetings cancelled, faults on the codecs too (down,
// refusing credentials, failing pushes, a restart that loses the stored bookings), and rooms pressing
// Join while their meetings run. Checked throughout: a room is in one call at most, once, and only
// its own meeting's; an endpoint's tickets match its connectivity; a panel Switchboard holds current
// holds exactly Switchboard's list. At the end: every panel holds exactly its bookings of the next
// 72 h (nothing of a cancelled or ended meeting, nothing lost, the other booking system's entry
// gone: both push methods replace the whole list, so Switchboard owns it), and no ticket is open.
// Used by meetings.fault-invariants.test.ts (small, both databases) and bench/meetings-faults.bench.ts.
import { ManualClock } from '../platform/clock.ts';
import { createCmsCluster, type CmsCluster, type CmsFaults } from '../lab/cms/cms.cluster.ts';
import { cmsClient } from '../lab/cms/cms.testkit.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { createMeetingsArea } from './meetings.area.ts';
import { createCeCodec, type CeCodec } from '../lab/ce/ce.simulator.ts';
import { labDialer } from '../lab/ce/ce.lab.ts';

export type FaultInvariantOptions = {
  seed: number;
  meetings: number;
  faults: number;
  slots: number;
  /** false: the nodes' CDR receivers are removed, so leg outcomes never come. */
  cdrs: boolean;
  /** Start instants: every 5 minutes from 08:10, this many of them. */
  instants?: number;
  /** Room codecs (#17): this many, OBTP rooms of some meetings, with faults of their own. */
  rooms?: number;
  /** Faults on the codecs (default: 2 per room). */
  roomFaults?: number;
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
  /** #17: meetings booked with an OBTP room, of them cancelled, Joins pressed that connected, codec faults by kind. */
  roomMeetings: number;
  roomCancels: number;
  joins: number;
  roomFaultKinds: Record<string, number>;
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
type RoomFault = { at: number; until: number; codec: CeCodec; kind: 'down' | 'unauthorized' | 'push500' | 'restart'; applied?: boolean; cleared?: boolean };

export async function runFaultInvariants(options: FaultInvariantOptions): Promise<FaultInvariantReport> {
  const random = prng(options.seed);
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)];
  const log = options.log ?? (() => undefined);
  const clock = new ManualClock('2026-04-01T08:00:00Z');
  const t0 = clock.now().getTime();
  const names = ['n1', 'n2'];
  let cms: CmsCluster | undefined;
  let t: TestSwitchboard | undefined;
  const codecs: CeCodec[] = [];
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
    t = await startTestSwitchboard({ clock, areas: [createMeetingsArea({ tickMs: 1000, statusIntervalMs: pollMs, reconcileIntervalMs: 1e12, backoffMs: 100, obtpTickMs: 1000, endpointPollMs: pollMs })], config: { jobPollSeconds: 0.5 } as never });
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

    // #17: room codecs, registered over plain HTTP, each with another booking system's meeting on its
    // panel before Switchboard pushes anything; One Button to Push turned on.
    const endpointOf = new Map<CeCodec, string>();
    for (let i = 0; i < (options.rooms ?? 0); i++) {
      const codec = createCeCodec({ name: `room${i}`, clock, password: `room${i}-pw`, version: 'ce9.15.3.17.abc', dial: labDialer(() => [cms!]) });
      await codec.start();
      codecs.push(codec);
      codec.restoreBookings([{ id: `elsewhere-${i}`, title: 'Booked elsewhere', organizer: 'Other System', privacy: 'Public', startTime: new Date(t0 + 60 * 60_000).toISOString(), endTime: new Date(t0 + 90 * 60_000).toISOString(), startTimeBuffer: 0, endTimeBuffer: 0, number: '', protocol: 'SIP', connectMode: 'Manual' }]);
      const res = await api('POST', '/api/v1/meetings/endpoints', { address: codec.url, username: 'admin', password: `room${i}-pw`, tls: false, name: `Room ${i}` });
      if (res.status !== 201) throw new Error(`endpoint not registered: ${JSON.stringify(res.body)}`);
      endpointOf.set(codec, res.body.id);
    }
    if (codecs.length) await api('PUT', '/api/v1/meetings/settings/obtp', { enabled: true });

    // Meetings: 5 or 10 minutes at instants 5 minutes apart, 1–2 dial-outs each, their own passcode;
    // with rooms, about half have an OBTP room (and no passcode: the room joins with its dial string).
    const instants = options.instants ?? 3;
    const booked: { id: string; bookingId: string; index: number; passcode: string; endAt: number; startAt: number; room?: CeCodec; cancelAt?: number; cancelled?: boolean }[] = [];
    for (let index = 0; index < options.meetings; index++) {
      const start = t0 + 10 * 60_000 + Math.floor(random() * instants) * 5 * 60_000;
      const minutes = pick([5, 10]);
      let passcode = String(1000 + Math.floor(random() * 9000));
      const dialOut = Array.from({ length: 1 + Math.floor(random() * 2) }, (_, k) => `m${index}-${k}@example.com`);
      const room = codecs.length && random() < 0.5 ? pick(codecs) : undefined;
      const body = { title: `Meeting ${index}`, start: new Date(start).toISOString(), durationMinutes: minutes, timeZone: 'UTC', bridgeId, dialOut };
      let res = room ? await api('POST', '/api/v1/meetings/bookings', { ...body, rooms: [{ endpointId: endpointOf.get(room), connectMode: 'obtp' }] }) : undefined;
      const withRoom = res?.status === 201;
      if (withRoom) passcode = '';
      else res = await api('POST', '/api/v1/meetings/bookings', { ...body, passcode }); // no room, or the room is taken then
      if (res!.status !== 201) continue; // every slot taken at that instant
      const occ = (await api('GET', `/api/v1/meetings/bookings/${res!.body.id}`)).body.occurrences[0].id as string;
      // A quarter of the room meetings are cancelled before they start (after their push, mostly).
      const cancelAt = withRoom && random() < 0.25 ? t0 + 9 * 60_000 + Math.floor(random() * (start - t0 - 10 * 60_000)) : undefined;
      booked.push({ id: occ, bookingId: res!.body.id, index, passcode, startAt: start, endAt: start + minutes * 60_000, ...(withRoom ? { room } : {}), ...(cancelAt !== undefined ? { cancelAt } : {}) });
    }
    // One meeting per room after the run: what every panel must still hold at the end.
    const later = new Map<CeCodec, string>();
    for (const [i, codec] of codecs.entries()) {
      const res = await api('POST', '/api/v1/meetings/bookings', { title: `Later in room ${i}`, start: new Date(t0 + 3 * 60 * 60_000).toISOString(), durationMinutes: 30, timeZone: 'UTC', bridgeId, rooms: [{ endpointId: endpointOf.get(codec), connectMode: 'obtp' }] });
      if (res.status !== 201) throw new Error(`later booking refused: ${JSON.stringify(res.body)}`);
      later.set(codec, (await api('GET', `/api/v1/meetings/bookings/${res.body.id}`)).body.occurrences[0].id);
    }
    const laterIds = new Set(later.values());
    const lastEnd = Math.max(...booked.map((b) => b.endAt));
    const meetingOfParty = (party: string) => /^m(\d+)-/.exec(party)?.[1];

    // Faults: random node, kind, moment (from just before the first start to the last end), 5–40 s.
    const faults: Fault[] = Array.from({ length: options.faults }, () => {
      const at = t0 + 9 * 60_000 + Math.floor(random() * (lastEnd - t0 - 9 * 60_000));
      return { at, until: at + 5_000 + Math.floor(random() * 35_000), node: pick(names), kind: pick(['down', 'busy', 'slow', 'post503'] as const) };
    });
    const faultKinds: Record<string, number> = {};
    for (const f of faults) faultKinds[f.kind] = (faultKinds[f.kind] ?? 0) + 1;
    const roomFaults: RoomFault[] = codecs.length ? Array.from({ length: options.roomFaults ?? 2 * codecs.length }, () => {
      const at = t0 + 9 * 60_000 + Math.floor(random() * (lastEnd - t0 - 9 * 60_000));
      return { at, until: at + 5_000 + Math.floor(random() * 35_000), codec: pick(codecs), kind: pick(['down', 'unauthorized', 'push500', 'restart'] as const) };
    }) : [];
    const roomFaultKinds: Record<string, number> = {};
    for (const f of roomFaults) roomFaultKinds[f.kind] = (roomFaultKinds[f.kind] ?? 0) + 1;
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
    const endpointRow = async (codec: CeCodec) => (await db.query<{ connectivity: string }>('select connectivity from meetings_endpoints where id = $1', [endpointOf.get(codec)])).rows[0]!;
    const roomFaultsOf = (codec: CeCodec) => roomFaults.filter((f) => f.codec === codec && f.applied && !f.cleared);
    /**
     * Codec faults in force. A restart keeps the codec down until Switchboard has seen it down (a
     * condition, not a time: polls run as fast as the machine lets them), then comes back with its
     * stored bookings lost — the next poll finds it answering again and its panel is pushed in full.
     */
    async function applyRoomFaults(now: number) {
      for (const f of roomFaults) {
        if (!f.applied && now >= f.at) {
          f.applied = true;
          if (f.kind === 'push500') await f.codec.setFaults({ failNext: [{ path: '/bookingsputxml', count: 1 + Math.floor(random() * 4), status: 500 }] });
        }
        if (f.applied && !f.cleared && now >= f.until) {
          if (f.kind === 'restart') {
            if ((await endpointRow(f.codec)).connectivity === 'reachable') continue;
            const open = (await db.query('select 1 from meetings_endpoint_tickets where endpoint_id = $1 and kind = $2 and state <> $3', [endpointOf.get(f.codec), 'unreachable', 'closed'])).rowCount;
            if (!open) violate(`${f.codec.name} is seen down but has no open Connection Error ticket`);
            f.codec.restoreBookings([]);
          }
          f.cleared = true;
        }
      }
      for (const codec of codecs) {
        const kinds = new Set(roomFaultsOf(codec).map((f) => f.kind));
        const want = { down: kinds.has('down') || kinds.has('restart'), unauthorized: kinds.has('unauthorized') };
        const have = codec.getFaults();
        if (!!have.down !== want.down || !!have.unauthorized !== want.unauthorized) await codec.setFaults({ down: want.down || undefined, unauthorized: want.unauthorized || undefined });
      }
    }
    let joins = 0;
    /** The rooms' checks: calls they are in, tickets against connectivity, panels Switchboard holds current. */
    async function checkRooms(now: number, rows: Awaited<ReturnType<typeof occurrences>>) {
      const meetingOfCall = new Map(rows.filter((r) => r.call_id).map((r) => [r.call_id!, r.id]));
      for (const codec of codecs) {
        const calls = new Map<string, number>();
        for (const node of cms!.nodes) {
          for (const call of node.bridge.calls.values()) {
            const legs = [...call.legs].map((l) => node.bridge.legs.get(l)).filter((l) => l?.direction === 'incoming' && l.remoteParty === codec.sipUri).length;
            if (legs) calls.set(call.id, legs);
          }
        }
        if (calls.size > 1) violate(`${codec.name} is in ${calls.size} calls at once`);
        for (const [callId, legs] of calls) {
          if (legs > 1) violate(`${codec.name} is in call ${callId} ${legs} times`);
          const meeting = booked.find((b) => b.id === meetingOfCall.get(callId));
          if (meeting && meeting.room !== codec) violate(`${codec.name} is in the call of meeting ${meeting.index}, not one of its own`);
        }
        const faulty = roomFaultsOf(codec).length > 0;
        // Join: the room's meeting runs, its panel has the dial string, the room is not in it yet. Not
        // while a node has a fault: the Lab would take the call on any node (not Switchboard's doing).
        if (!faulty && !calls.size && names.every((n) => active.get(n)!.length === 0)) {
          const running = booked.find((b) => b.room === codec && !b.cancelled && rows.some((r) => r.id === b.id && r.state === 'ongoing' && r.call_id && r.end_at.getTime() - now > 10_000));
          if (running && codec.bookings().some((x) => x.id === running.id && x.number)) {
            const joined = await codec.join(running.id);
            if (joined.joined) joins++;
          }
        }
        // Tickets follow connectivity (they change in one transaction).
        const state = (await db.query<{ connectivity: string; kinds: string[] }>(`select e.connectivity, coalesce(array_agg(t.kind) filter (where t.kind is not null), '{}') as kinds from meetings_endpoints e left join meetings_endpoint_tickets t on t.endpoint_id = e.id and t.state <> 'closed' where e.id = $1 group by e.connectivity`, [endpointOf.get(codec)])).rows[0]!;
        if ((state.connectivity === 'unreachable') !== state.kinds.includes('unreachable')) violate(`${codec.name} is ${state.connectivity} with tickets ${state.kinds.join(', ') || 'none'}`);
        if ((state.connectivity === 'auth_failed') !== state.kinds.includes('auth_failed')) violate(`${codec.name} is ${state.connectivity} with tickets ${state.kinds.join(', ') || 'none'}`);
        // A panel Switchboard holds current, on a codec answering, holds exactly Switchboard's list.
        if (faulty || state.connectivity !== 'reachable') continue;
        const panel = (await api('GET', `/api/v1/meetings/endpoints/${endpointOf.get(codec)}/panel`)).body;
        if (!panel.current) continue;
        const wanted = (panel.items as { id: string }[]).map((x) => x.id).sort().join(',');
        const held = codec.bookings().map((x) => x.id).sort().join(',');
        // A push may land between the two reads: read the panel again before calling it a violation.
        if (held !== wanted && (await api('GET', `/api/v1/meetings/endpoints/${endpointOf.get(codec)}/panel`)).body.current && codec.bookings().map((x) => x.id).sort().join(',') !== wanted) {
          violate(`${codec.name}'s panel is said current but holds [${held}], not [${wanted}]`);
        }
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
      const rows = (await occurrences()).filter((r) => !laterIds.has(r.id));
      if (codecs.length) await checkRooms(now, rows);
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
        const dial = cms!.dialIn({ uri: `${r.uri}@lab.local`, passcode: meeting.passcode || undefined, remoteParty: `guest-${mine}@example.net`, node: nodeNames.get(r.node_id!) });
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
      await applyRoomFaults(now);
      for (const b of booked) {
        if (b.cancelAt !== undefined && !b.cancelled && now >= b.cancelAt) {
          b.cancelled = true;
          const res = await api('DELETE', `/api/v1/meetings/bookings/${b.bookingId}`);
          if (res.status >= 300) violate(`cancelling meeting ${b.index} answered ${res.status}`);
        }
      }
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
    for (const f of roomFaults) f.cleared = true;
    for (const codec of codecs) await codec.setFaults({ down: undefined, unauthorized: undefined, failNext: undefined });
    for (let i = 0; ; i++) {
      const rows = (await occurrences()).filter((r) => !laterIds.has(r.id));
      if (rows.every((r) => ['ended', 'failed', 'cancelled'].includes(r.state)) && i > 40) break;
      if (i > 2_000) {
        violate(`meetings never finished: ${rows.filter((r) => !['ended', 'failed', 'cancelled'].includes(r.state)).map((r) => r.state).join(', ')}`);
        break;
      }
      clock.advance(1_000);
      await sleep(20);
    }
    // Panels: each holds exactly its meeting after the run (72 h ahead), once Switchboard has pushed
    // what the faults held back (a failed push is sent again within 5 minutes) and no ticket is open.
    for (let i = 0; codecs.length; i++) {
      let settled = true;
      for (const codec of codecs) {
        const e = (await api('GET', `/api/v1/meetings/endpoints/${endpointOf.get(codec)}`)).body;
        const panel = (await api('GET', `/api/v1/meetings/endpoints/${endpointOf.get(codec)}/panel`)).body;
        const open = (e.tickets as { state: string }[]).filter((x) => x.state !== 'closed');
        if (e.connectivity !== 'reachable' || !panel.current || open.length || codec.bookings().map((x) => x.id).join(',') !== later.get(codec)) settled = false;
      }
      if (settled) break;
      // 100 steps of 5 s: past the 5-minute bucket a failed push is sent again in, and short enough in
      // real time that a panel that never settles is reported as such, not as the test's timeout.
      if (i > 100) {
        for (const codec of codecs) {
          const e = (await api('GET', `/api/v1/meetings/endpoints/${endpointOf.get(codec)}`)).body;
          violate(`${codec.name} never settled: ${e.connectivity}, holds [${codec.bookings().map((x) => `${x.id} ${x.title}`).join('; ')}], wanted [${later.get(codec)}], tickets ${(e.tickets as { title: string; state: string }[]).filter((x) => x.state !== 'closed').map((x) => x.title).join(', ') || 'none'}`);
        }
        break;
      }
      clock.advance(5_000);
      await sleep(50);
    }
    const rows = (await occurrences()).filter((r) => !laterIds.has(r.id) && !booked.find((b) => b.id === r.id)?.cancelled);
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
      roomMeetings: booked.filter((b) => b.room).length,
      roomCancels: booked.filter((b) => b.cancelled).length,
      joins,
      roomFaultKinds,
      violations,
    };
  } finally {
    await t?.close();
    for (const codec of codecs) await codec.stop();
    await cms?.stop();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
