import crypto from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import client from 'prom-client';
import { AppError, notFound } from '../platform/errors.ts';
import * as repo from './meetings.repository.ts';
import { assertRoomsFree } from './rooms.guard.ts';
import * as starts from './meeting-starts.repository.ts';
import * as calls from './meeting-calls.repository.ts';
import type { Actor } from '../platform/auth/actor.ts';
import type { JobContext } from '../platform/jobs/job-context.ts';
import type { Db } from '../platform/db/database.ts';
import type { PlatformServices } from '../platform/services.ts';
import type { Bookings } from './bookings.service.ts';
import { hashCdrToken, type Bridges } from './bridges.service.ts';
import type { BridgeRow, NodeRow, OccurrenceRow } from './meetings.repository.ts';
import type { CmsConnector } from './cms.connector.ts';

// M7 pool sync, M9 start, M10 control, M11 extend, M12 end, M13 failover, CDR history.
// A lifecycle with one dial-out costs 5 bridge calls: PUT space, POST call, POST leg, PUT space, DELETE call.

/** Meeting lifecycles in flight per bridge while a batch starts: a burst must not flood one bridge. */
const STARTS_PER_BRIDGE = 8;
/** How long a start job waits (clock time) for slots the previous meetings' ends free, polling every SLOT_POLL_MS. */
const SLOT_WAIT_MS = 30_000;
const SLOT_POLL_MS = 500;
/** How long an end waits for a failover's unanswered POST /calls before it counts it as left (clock ms). */
const FAILOVER_POST_WAIT_MS = 120_000;
/** How many times a pool sync queues its bulk sync again when the bridge forgot it (restarts). */
const MAX_SYNC_REQUEUES = 5;
/** Live view (M10): the legs whose own document is read for state and mutes; the rest are named only. */
const LIVE_LEG_DETAILS = 50;

const system: Actor = { type: 'system', id: null, name: 'scheduler', role: 'system', customerOrgId: null };

export type MeetingsOptions = {
  /** Attempts per bridge call inside a job before the job itself retries (default 3). */
  callAttempts?: number;
  /** First backoff between attempts, clock ms (doubles each time). */
  backoffMs?: number;
  /** Failed attempts of a start job after which its meetings' tickets and alarm are raised (default 3); it is retried until their end. */
  startAlarmAttempts?: number;
};

export type Meetings = ReturnType<typeof createMeetings>;

export function createMeetings(services: PlatformServices, bridges: Bridges, bookings: Bookings, options: MeetingsOptions = {}) {
  const { database, clock, audit, logger } = services;
  const db = database.db;
  const attempts = options.callAttempts ?? 3;
  const backoff = options.backoffMs ?? 1000;
  const startAlarmAttempts = options.startAlarmAttempts ?? 3;
  // The alarm of a start that fails (the platform has no alarm list: a metric to alert on, a ticket
  // per meeting on its bridge, an error log line). One registry per server; tests build services twice.
  const startFailures = (services.metrics.registry.getSingleMetric('switchboard_meeting_start_failures_total') as client.Counter<'outcome'> | undefined) ??
    new client.Counter({ name: 'switchboard_meeting_start_failures_total', help: 'Meetings whose start failed: retrying (ticket raised, tried again until the end) or given-up', labelNames: ['outcome'] as const, registers: [services.metrics.registry] });

  async function openStartTicket(tx: Db, bridgeId: string, detail: string) {
    const ticket = await repo.insertTicket(tx, { bridgeId, kind: 'start_failed', title: 'Meeting Start Failed', detail, openedAt: clock.now() });
    await audit.record({ actor: system, action: 'ticket.open', entityType: 'bridge', entityId: bridgeId, after: ticket }, tx);
    return ticket;
  }
  async function closeStartTicket(tx: Db, bridgeId: string, ticketId: number) {
    const ticket = (await repo.listTickets(tx, bridgeId, ['open', 'acknowledged'])).find((t) => t.id === ticketId);
    if (!ticket) return;
    await repo.updateTicket(tx, ticketId, { state: 'closed', closedAt: clock.now() });
    await audit.record({ actor: system, action: 'ticket.close', entityType: 'bridge', entityId: bridgeId, before: ticket, after: { ...ticket, state: 'closed' } }, tx);
  }

  /** A bridge call retried with backoff on the clock; refusals (4xx) are not retried. */
  async function retrying<T>(what: () => Promise<T>, tries = attempts): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await what();
      } catch (error) {
        const status = (error as AppError).details && ((error as AppError).details as { status?: number }).status;
        const refused = typeof status === 'number' && status >= 400 && status < 500 && status !== 401 && status !== 408 && status !== 429;
        if (attempt >= tries || refused) throw error;
        await clock.sleep(backoff * 2 ** (attempt - 1));
      }
    }
  }

  const isUnreachable = (error: unknown) => error instanceof AppError && (error.code === 'UPSTREAM_UNREACHABLE' || (error.details as { status?: number })?.status === 503);

  async function healthyNodes(bridge: BridgeRow, prefer?: string | null, known?: NodeRow[]): Promise<NodeRow[]> {
    const nodes = known ? [...known] : await repo.listNodes(db, bridge.id);
    const rank = (n: NodeRow) => (n.id === prefer ? 0 : 1) * 4 + (n.healthy ? 0 : 2) + (n.primary ? 0 : 1);
    return nodes.sort((a, b) => rank(a) - rank(b));
  }

  async function markNode(node: NodeRow, healthy: boolean, error?: unknown) {
    await repo.updateNode(db, node.id, { healthy, lastError: healthy ? null : ((error as Error)?.message ?? 'failed') });
    // The batch's other meetings hold the same node rows: they skip a dead node at once.
    node.healthy = healthy;
  }

  /** Runs `fn` on the first node of the cluster that answers; a node that does not is marked down. */
  async function onAnyNode<T>(bridge: BridgeRow, prefer: string | null | undefined, fn: (c: CmsConnector, node: NodeRow) => Promise<T>, known?: NodeRow[]): Promise<{ result: T; node: NodeRow }> {
    let lastError: unknown;
    for (const node of await healthyNodes(bridge, prefer, known)) {
      try {
        const result = await retrying(() => fn(bridges.connectorForNode(bridge, node), node));
        if (!node.healthy) await markNode(node, true);
        return { result, node };
      } catch (error) {
        lastError = error;
        if (!isUnreachable(error)) throw error;
        await markNode(node, false, error);
      }
    }
    throw lastError ?? new AppError('SERVICE_UNAVAILABLE', `No node of ${bridge.name || bridge.address} answers.`);
  }

  async function load(occurrenceId: string) {
    const occ = await repo.findOccurrence(db, occurrenceId);
    if (!occ) throw notFound('Meeting', occurrenceId);
    const booking = (await repo.findBooking(db, occ.bookingId))!;
    const bridge = await bridges.getBridge(occ.bridgeId);
    return { occ, booking, bridge };
  }

  async function placeLegs(ctx: JobContext | undefined, bridge: BridgeRow, node: NodeRow, callId: string, legRows: repo.LegRow[], keyPrefix: string) {
    const connector = bridges.connectorForNode(bridge, node);
    await Promise.all(
      legRows.map(async (leg) => {
        let tries = 0;
        const place = async () => {
          tries++;
          return retrying(() => connector.post(`/calls/${callId}/callLegs`, { remoteParty: leg.remoteParty }));
        };
        try {
          const callLegId = ctx ? await ctx.step(`${keyPrefix}:${leg.remoteParty}`, place) : await place();
          await repo.updateLeg(db, leg.id, { callLegId, outcome: 'placed', attempts: tries, updatedAt: clock.now() });
        } catch (error) {
          await repo.updateLeg(db, leg.id, { outcome: 'failed', attempts: tries, reason: (error as Error).message, updatedAt: clock.now() });
        }
      }),
    );
  }

  /** One dial-out of a batch start: its outcome is returned for a batched write, not written here. */
  async function placeLeg(bridge: BridgeRow, node: NodeRow, callId: string, leg: repo.LegRow): Promise<starts.LegOutcome> {
    let tries = 0;
    try {
      const callLegId = await retrying(() => {
        tries++;
        return bridges.connectorForNode(bridge, node).post(`/calls/${callId}/callLegs`, { remoteParty: leg.remoteParty });
      });
      return { id: leg.id, callLegId, outcome: 'placed', attempts: tries, reason: null, updatedAt: clock.now() };
    } catch (error) {
      return { id: leg.id, callLegId: null, outcome: 'failed', attempts: tries, reason: (error as Error).message, updatedAt: clock.now() };
    }
  }

  /** The node never took the request: no call can have come of it. */
  const notSent = (error: unknown) => {
    if (!(error instanceof AppError)) return false;
    const details = (error.details ?? {}) as { status?: number; network?: string };
    if (error.code === 'UPSTREAM_UNREACHABLE') return ['refused', 'unknown-host', 'tls', 'proxy-refused'].includes(details.network ?? '');
    return typeof details.status === 'number' && ((details.status >= 400 && details.status < 500) || details.status === 503);
  };
  const recordIntent = groupCommit<calls.CallIntent, void>(async (items) => {
    await calls.insertIntents(db, items, clock.now());
    return items.map(() => undefined);
  });

  /**
   * POST /calls for the space on the first node that takes it, each POST journalled (meeting, node)
   * before it is sent: a later attempt then asks only that node whether the call exists. A POST the
   * node provably never took (refused connection, 503, 4xx) is settled at once.
   */
  async function postCall(bridge: BridgeRow, nodes: NodeRow[], occurrenceId: string, coSpaceId: string, prefer: string | null | undefined, skip: Set<string>, journal: (intent: calls.CallIntent) => Promise<boolean | void> = recordIntent): Promise<{ callId: string; nodeId: string; journalId: string }> {
    let lastError: unknown;
    for (const node of await healthyNodes(bridge, prefer, nodes)) {
      if (skip.has(node.id)) continue;
      const journalId = crypto.randomUUID();
      if ((await journal({ id: journalId, occurrenceId, bridgeId: bridge.id, nodeId: node.id, coSpaceId })) === false) throw new AppError('INVALID_STATE', 'The meeting is no longer ongoing: no call is made for it.', { reason: 'notOngoing' });
      let unknown = false;
      try {
        const callId = await retrying(() =>
          bridges.connectorForNode(bridge, node).post('/calls', { coSpace: coSpaceId }).catch((error) => {
            if (!notSent(error)) unknown = true;
            throw error;
          }),
        );
        if (!node.healthy) await markNode(node, true);
        return { callId, nodeId: node.id, journalId };
      } catch (error) {
        lastError = error;
        if (!unknown) await calls.settleCall(db, journalId, { state: 'gone', reason: (error as Error).message }, clock.now());
        if (!isUnreachable(error)) throw error;
        await markNode(node, false, error);
      }
    }
    throw lastError ?? new AppError('SERVICE_UNAVAILABLE', `No node of ${bridge.name || bridge.address} answers.`);
  }

  /**
   * Deletes the calls of `rows` (left on their nodes) where the node answers. A row without a call ID
   * (a POST whose answer was lost) stands for whatever call of its space the node holds, spared the
   * calls a meeting has as live or a start is posting there. Returns the nodes still holding one.
   */
  async function deleteLeftCalls(bridge: BridgeRow, nodes: NodeRow[], rows: calls.MeetingCallRow[], options: { skipUnhealthy: boolean }): Promise<{ blocked: Set<string>; deleted: number }> {
    const blocked = new Set<string>();
    let deleted = 0;
    for (const row of rows) {
      const node = nodes.find((n) => n.id === row.nodeId);
      if (!node) {
        await calls.settleCall(db, row.id, { state: 'gone', reason: 'node removed' }, clock.now());
        continue;
      }
      if (options.skipUnhealthy && !node.healthy) {
        blocked.add(node.id);
        continue;
      }
      const connector = bridges.connectorForNode(bridge, node);
      try {
        let ids: string[];
        if (row.callId) ids = [row.callId];
        else {
          const active = await calls.activeOnSpace(db, node.id, row.coSpaceId);
          // A start posting there now: its call cannot be told apart yet; looked at again later.
          if (active.some((c) => c.state === 'posting')) {
            blocked.add(node.id);
            continue;
          }
          const spared = new Set(active.map((c) => c.callId));
          ids = (await retrying(() => connector.list('calls', 'call', { coSpaceFilter: row.coSpaceId }), 1)).map((c) => String(c['@_id'])).filter((id) => !spared.has(id));
        }
        for (const id of ids) {
          await retrying(() => connector.delete(`/calls/${id}`), 1).catch((error) => {
            if (((error as AppError).details as { status?: number } | undefined)?.status !== 404) throw error;
          });
        }
        await database.transaction(async (tx) => {
          await calls.settleCall(tx, row.id, { state: 'gone', reason: `deleted: ${row.reason ?? 'left'}` }, clock.now());
          await audit.record({ actor: system, action: 'meeting.left-call-deleted', entityType: 'meeting', entityId: row.occurrenceId, after: { node: node.name, coSpaceId: row.coSpaceId, callIds: ids } }, tx);
        });
        deleted += ids.length;
      } catch (error) {
        if (!isUnreachable(error)) logger.warn({ err: error, bridge: bridge.id, node: node.name }, 'deleting a left call failed');
        blocked.add(node.id);
      }
    }
    return { blocked, deleted };
  }

  /**
   * A recovered start or failover: the calls its journal says were POSTed and not answered. Only
   * those nodes are asked (GET /calls?coSpaceFilter). A call there is adopted unless another meeting's
   * journal knows it or may have left an unknown one on that node; a node that does not answer gets
   * its entry `left` (deleted when it is back) and the start goes on elsewhere.
   */
  async function recoverCall(bridge: BridgeRow, nodes: NodeRow[], occurrenceId: string, coSpaceId: string, exclude?: string | null): Promise<{ callId: string; nodeId: string; journalId: string } | undefined> {
    const posted = (await calls.callsOf(db, occurrenceId)).filter((r) => r.state === 'posting' && r.nodeId !== exclude);
    let adopted: { callId: string; nodeId: string; journalId: string } | undefined;
    for (const row of posted) {
      const node = nodes.find((n) => n.id === row.nodeId);
      if (!node || adopted) {
        // Another entry was adopted: a second call of this meeting's, if any, is deleted like a left one.
        await calls.settleCall(db, row.id, node ? { state: 'left', reason: 'a second POST of a recovered start' } : { state: 'gone', reason: 'node removed' }, clock.now());
        continue;
      }
      const connector = bridges.connectorForNode(bridge, node);
      let found: string[];
      try {
        found = (await retrying(() => connector.list('calls', 'call', { coSpaceFilter: coSpaceId }))).map((c) => String(c['@_id']));
        if (!node.healthy) await markNode(node, true);
      } catch (error) {
        if (!isUnreachable(error)) throw error;
        await markNode(node, false, error);
        await calls.settleCall(db, row.id, { state: 'left', reason: `${node.name} did not answer when the start was recovered` }, clock.now());
        continue;
      }
      const others = await calls.othersOnSpace(db, node.id, coSpaceId, occurrenceId);
      const foreign = new Set(others.flatMap((o) => (o.callId ? [o.callId] : [])));
      const unknownOther = others.some((o) => !o.callId && (o.state === 'posting' || o.state === 'left'));
      const mine = unknownOther ? undefined : found.find((id) => !foreign.has(id));
      if (mine) adopted = { callId: mine, nodeId: node.id, journalId: row.id };
      else await calls.settleCall(db, row.id, { state: 'gone', reason: found.length ? 'calls found are not this meeting\'s' : 'no call was created' }, clock.now());
    }
    return adopted;
  }

  /** A recovered start's space: PUT again unless it already is this meeting's (a found call skips the PUT). */
  async function ensureSpace(bridge: BridgeRow, node: NodeRow, coSpaceId: string, title: string, passcode: string) {
    const connector = bridges.connectorForNode(bridge, node);
    const space = (await retrying(() => connector.get(`/coSpaces/${coSpaceId}`))).coSpace ?? {};
    if (String(space.name ?? '') === title && String(space.nonMemberAccess ?? '') === 'true' && String(space.passcode ?? '') === passcode) return false;
    await retrying(() => connector.put(`/coSpaces/${coSpaceId}`, { name: title, nonMemberAccess: true, passcode, secret: crypto.randomUUID() }));
    return true;
  }

  /** A space of this pool as the bulk sync made it: `<prefix><index>`, URI and call ID `<index>`. */
  function isPlaceholder(bridge: BridgeRow, space: Record<string, unknown>, base: number, quantity: number) {
    const index = Number(space.uri);
    return Number.isInteger(index) && index >= base && index < base + quantity && String(space.callId ?? '') === String(index) && String(space.name ?? '') === `${bridge.spaceNamePrefix}${index}`;
  }

  function spacePlaceholder(bridge: BridgeRow, slot: { slot: number }) {
    return `${bridge.spaceNamePrefix}${(bridge.numericIdBase ?? 1) + slot.slot - 1}`;
  }

  return {
    /** M7: bulk parameter set + sync, polled to completion; the slots become local state. */
    async syncPool(ctx: JobContext, bridgeId: string) {
      const bridge = await bridges.getBridge(bridgeId);
      if (!bridge.sipDomain || bridge.numericIdBase === null || !bridge.numericIdQuantity) throw new AppError('INVALID_STATE', 'Set Domain, Numeric ID Base and Numeric ID Quantity first.');
      const connector = await bridges.primaryConnector(bridge);
      const base = bridge.numericIdBase;
      const quantity = bridge.numericIdQuantity;
      await ctx.progress({ percent: 5, step: 'parameter set' });
      const form = {
        startIndex: base,
        endIndex: base + quantity - 1,
        coSpaceUriMapping: '$index$',
        coSpaceNameMapping: `${bridge.spaceNamePrefix}$index$`,
        coSpaceCallIdMapping: '$index$',
        callProfile: bridge.callProfileId ?? undefined,
        callLegProfile: bridge.callLegProfileId ?? undefined,
        nonMemberAccess: false,
      };
      const setId = await ctx.step(`parameter-set:${base}:${quantity}`, async () => {
        if (bridge.bulkParameterSetId) {
          await retrying(() => connector.put(`/cospaceBulkParameterSets/${bridge.bulkParameterSetId}`, form));
          return bridge.bulkParameterSetId;
        }
        return retrying(() => connector.post('/cospaceBulkParameterSets', form));
      });
      await ctx.transact('remember-set', async (tx) => repo.updateBridge(tx, bridgeId, { bulkParameterSetId: setId, poolState: 'syncing' }));
      // A bridge that restarts may forget a queued or running sync (404 cospaceBulkSyncDoesNotExist):
      // a new one is queued, each under its own journal key so a retried job does not queue it twice.
      const queueSync = (generation: number) => ctx.step(generation === 0 ? 'sync' : `sync:${generation}`, () => retrying(() => connector.post('/cospaceBulkSyncs', { cospaceBulkParameterSet: setId })));
      let generation = 0;
      let syncId = await queueSync(generation);
      await ctx.progress({ percent: 20, step: 'syncing', message: `bulk sync ${syncId}` });
      for (let poll = 0; ; poll++) {
        const doc = await retrying(() => connector.get(`/cospaceBulkSyncs/${syncId}`)).catch((error: unknown) => {
          if ((error as AppError).details && ((error as AppError).details as { reason?: string }).reason === 'cospaceBulkSyncDoesNotExist' && generation < MAX_SYNC_REQUEUES) return undefined;
          throw error;
        });
        if (!doc) {
          generation++;
          logger.warn({ bridge: bridgeId, sync: syncId }, 'the bridge forgot the bulk sync; queueing it again');
          syncId = await queueSync(generation);
          await ctx.progress({ step: 'syncing', message: `bulk sync ${syncId} (the bridge forgot the previous one)` });
          continue;
        }
        const status = String(doc.cospaceBulkSync?.status ?? '');
        if (status === 'complete') break;
        if (status.startsWith('failed')) {
          await repo.updateBridge(db, bridgeId, { poolState: 'failed' });
          throw new AppError('UPSTREAM_FAILED', `The bridge's bulk sync ended in ${status}.`, { reason: status });
        }
        await ctx.progress({ percent: Math.min(80, 20 + poll * 5), step: 'syncing', message: status });
        await clock.sleep(1000);
      }
      await ctx.progress({ percent: 85, step: 'reading spaces' });
      // CMS cannot list a parameter set's spaces; `filter` on the name prefix reads the pool and
      // what else happens to carry that prefix (kept only when its name, URI and call ID fit a slot).
      const spaces = await retrying(() => connector.list('coSpaces', 'coSpace', { filter: bridge.spaceNamePrefix }));
      const byIndex = new Map(spaces.filter((s) => isPlaceholder(bridge, s, base, quantity)).map((s) => [Number(s.uri), s]));
      await ctx.transact('slots', async (tx) => {
        for (let slot = 1; slot <= quantity; slot++) {
          const space = byIndex.get(base + slot - 1);
          if (!space) throw new AppError('UPSTREAM_FAILED', `The bulk sync did not create space ${base + slot - 1}.`);
          await repo.upsertSlot(tx, { bridgeId, slot, coSpaceId: String(space['@_id']), uri: String(space.uri ?? ''), callId: String(space.callId ?? '') });
        }
        await repo.deleteSlotsAbove(tx, bridgeId, quantity);
        await repo.updateBridge(tx, bridgeId, { poolState: 'ready', poolSize: quantity });
        await audit.record({ actor: system, action: 'bridge.pool-synced', entityType: 'bridge', entityId: bridgeId, after: { quantity, base, parameterSet: setId } }, tx);
      });
      await ctx.progress({ percent: 100, step: 'done', message: `${quantity} spaces` });
      return { quantity, parameterSet: setId, sync: syncId };
    },

    /** M7: spaces missing or changed on the bridge raise a ticket and are put back; a clean run closes it. */
    async reconcilePool(ctx: JobContext, bridgeId: string) {
      const bridge = await bridges.getBridge(bridgeId);
      if (bridge.poolState !== 'ready' || !bridge.bulkParameterSetId) return { skipped: bridge.poolState };
      // Free slots' spaces carry the placeholder name: one `filter` on the prefix reads them, page by
      // page. A space it does not return (renamed for a meeting, renamed on the bridge, deleted) is
      // read alone, so the cost follows the pool, not the bridge's other spaces.
      const { result: spaces } = await onAnyNode(bridge, null, (c) => c.list('coSpaces', 'coSpace', { filter: bridge.spaceNamePrefix }));
      const byId = new Map(spaces.map((space) => [String(space['@_id']), space]));
      const slots = await repo.listSlots(db, bridgeId);
      for (const slot of slots) {
        if (byId.has(slot.coSpaceId)) continue;
        const { result: alone } = await onAnyNode(bridge, null, async (c) => {
          try {
            return (await c.get(`/coSpaces/${slot.coSpaceId}`)).coSpace as Record<string, unknown> | undefined;
          } catch (error) {
            if (((error as AppError).details as { status?: number } | undefined)?.status === 404) return undefined;
            throw error;
          }
        });
        if (alone) byId.set(slot.coSpaceId, { ...alone, '@_id': slot.coSpaceId });
      }
      const drift: string[] = [];
      const repairs: { slot: number; coSpaceId: string | null; index: number; name: string }[] = [];
      for (const slot of slots) {
        const index = (bridge.numericIdBase ?? 1) + slot.slot - 1;
        const name = spacePlaceholder(bridge, slot);
        const space = byId.get(slot.coSpaceId);
        if (!space) {
          drift.push(`space ${name} is missing`);
          repairs.push({ slot: slot.slot, coSpaceId: null, index, name });
        } else if (String(space.uri ?? '') !== String(index) || String(space.callId ?? '') !== String(index) || (slot.occurrenceId === null && String(space.name ?? '') !== name)) {
          drift.push(`space ${name} was changed on the bridge`);
          repairs.push({ slot: slot.slot, coSpaceId: slot.coSpaceId, index, name });
        }
      }
      await ctx.transact('ticket', async (tx) => {
        await bridges.reconcileTickets(tx, bridge, { pool_drift: drift.length ? `Scheduled-space pool drift: ${drift.join('; ')}. Switchboard repaired it.` : false });
      });
      for (const repair of repairs) {
        const form = { name: repair.name, uri: String(repair.index), callId: String(repair.index), callProfile: bridge.callProfileId ?? undefined, callLegProfile: bridge.callLegProfileId ?? undefined, nonMemberAccess: false };
        const coSpaceId = await ctx.step(`repair:${repair.slot}`, async () => {
          if (repair.coSpaceId) {
            await onAnyNode(bridge, null, (c) => c.put(`/coSpaces/${repair.coSpaceId}`, form));
            return repair.coSpaceId;
          }
          return (await onAnyNode(bridge, null, (c) => c.post('/coSpaces', form))).result;
        });
        await ctx.transact(`slot:${repair.slot}`, async (tx) => {
          await repo.upsertSlot(tx, { bridgeId, slot: repair.slot, coSpaceId, uri: String(repair.index), callId: String(repair.index) });
          await audit.record({ actor: system, action: 'bridge.pool-repaired', entityType: 'bridge', entityId: bridgeId, after: repair }, tx);
        });
      }
      return { drift: drift.length };
    },

    /**
     * M9, batched: the due meetings of `occurrenceIds` (any bridges) are claimed in one transaction,
     * each with the lowest free slot of its bridge; then per meeting PUT the space, POST the call, one
     * POST per dial-out — at most STARTS_PER_BRIDGE meetings in flight per bridge, all bridges at
     * once. What the bridges answered is written by group commit (one transaction for every meeting
     * that finished while the previous one ran). Crash safety: a claimed meeting carries this job's
     * id; a later attempt of the job finds it still `starting` and asks the bridge whether its call
     * exists (GET /calls?coSpaceFilter) before starting it again, and settles dial-outs left placing.
     * A meeting that fails is retried with the job; after the last attempt it is `failed` and its
     * slot free.
     */
    async startMany(ctx: JobContext, input: { at?: string; occurrenceIds: string[] }, options: { finalAttempt: boolean }) {
      // Read before the instant (the job is sent ahead): at the instant only the claim is left
      // between the due time and the first bridge call. An edit of the booking in these few seconds
      // is not seen by this start, as if it had come just after it.
      const details = new Map((await starts.startDetails(db, input.occurrenceIds)).map((d) => [d.id, d]));
      const loaded = await starts.bridgesWithNodes(db, [...new Set([...details.values()].map((d) => d.bridgeId))]);
      // Sent ahead of its instant (the scheduler looks a little ahead): nothing starts early.
      if (input.at) {
        const due = Date.parse(input.at);
        while (clock.now().getTime() < due) await clock.sleep(due - clock.now().getTime());
      }
      // The fence: an attempt that no longer owns the job stops here, before it claims anything.
      await ctx.progress({ step: 'claim' });
      const first = await database.transaction((tx) => starts.claimStarts(tx, ctx.jobId, input.occurrenceIds, clock.now()));
      const claimed = first.claimed;
      let waiting = first.waiting;
      const unsettled = ctx.attempt > 1 ? await starts.ongoingOfJob(db, ctx.jobId, input.occurrenceIds) : [];
      if (!claimed.length && !unsettled.length && !waiting.length) return { started: 0, waiting: 0 };
      const bridgeOf = new Map(loaded.bridges.map((b) => [b.id, b]));
      const nodesOf = (bridgeId: string) => loaded.nodes.filter((n) => n.bridgeId === bridgeId);

      const recordStarted = groupCommit<{ claim: starts.ClaimedStart; callId: string; nodeId: string; journalId: string; adopted: boolean }, repo.LegRow[] | undefined>(async (items) =>
        database.transaction(async (tx) => {
          const now = clock.now();
          const recorded = new Set(await starts.markStarted(tx, ctx.jobId, items.map((i) => ({ id: i.claim.id, callId: i.callId, nodeId: i.nodeId, startedAt: now }))));
          const legRows = new Map(items.map((i) => [i.claim.id, (details.get(i.claim.id)?.dialOut ?? []).map((remoteParty) => ({ id: crypto.randomUUID(), occurrenceId: i.claim.id, remoteParty, outcome: 'placing', attempts: 0, updatedAt: now, callLegId: null, reason: null }))]));
          const mine = items.filter((i) => recorded.has(i.claim.id));
          await calls.markLive(tx, mine.map((i) => ({ id: i.journalId, occurrenceId: i.claim.id, callId: i.callId })), now);
          await repo.insertLegs(tx, mine.flatMap((i) => legRows.get(i.claim.id)!));
          await audit.recordMany(mine.map((i) => ({ actor: system, action: 'meeting.start', entityType: 'meeting', entityId: i.claim.id, after: { bookingId: details.get(i.claim.id)?.bookingId, slot: i.claim.slot, callId: i.callId, ...(i.adopted ? { recovered: true } : i.claim.recovered ? { attempt: ctx.attempt } : {}) } })), tx);
          // A start that failed before raised a ticket: the cause is gone (M2).
          for (const i of mine) {
            const ticketId = details.get(i.claim.id)?.startTicketId;
            if (ticketId) await closeStartTicket(tx, i.claim.bridgeId, ticketId);
          }
          // Not recorded: the claim is no longer this job's (cannot happen while the fence holds).
          return items.map((i) => (recorded.has(i.claim.id) ? legRows.get(i.claim.id) : undefined));
        }),
      );
      const recordLegs = groupCommit<starts.LegOutcome, void>(async (items) => {
        await starts.recordLegOutcomes(db, items);
        return items.map(() => undefined);
      });

      const failures: { id: string; error: unknown }[] = [];
      let started = 0;
      // Calls meetings left on nodes that did not answer, for the spaces of this batch: deleted before
      // a space is opened to a new meeting, so nobody dials into (or is handed) an old call.
      const left = new Map<string, calls.MeetingCallRow[]>();
      for (const row of await calls.leftCalls(db, { bridgeIds: [...bridgeOf.keys()] })) left.set(row.coSpaceId, [...(left.get(row.coSpaceId) ?? []), row]);
      // New meetings take the healthy nodes of their cluster in turn: a burst uses every node's
      // request limit, not the primary's alone (the meeting's requests then stay on its node).
      const turns = new Map<string, number>();
      const nextNode = (bridgeId: string, nodes: NodeRow[]) => {
        const candidates = nodes.some((n) => n.healthy) ? nodes.filter((n) => n.healthy) : nodes;
        const turn = turns.get(bridgeId) ?? 0;
        turns.set(bridgeId, turn + 1);
        return candidates[turn % candidates.length]?.id;
      };
      const lifecycle = async (claim: starts.ClaimedStart) => {
        const bridge = bridgeOf.get(claim.bridgeId)!;
        const nodes = nodesOf(claim.bridgeId);
        const detail = details.get(claim.id)!;
        try {
          const passcode = detail.passcodeSealed ? services.secrets.open(detail.passcodeSealed) : '';
          const leftHere = left.get(claim.coSpaceId);
          // Nodes still holding an old call of this space get no new one (POST would hand it back).
          // Tried even on nodes marked down: one may be back before the next poll says so, and a
          // participant dialling in there would join the old call.
          const { blocked } = leftHere ? await deleteLeftCalls(bridge, nodes, leftHere, { skipUnhealthy: false }) : { blocked: new Set<string>() };
          let call = claim.recovered ? await recoverCall(bridge, nodes, claim.id, claim.coSpaceId) : undefined;
          if (call && blocked.has(call.nodeId)) call = undefined;
          const adopted = !!call;
          if (call) await ensureSpace(bridge, nodes.find((n) => n.id === call!.nodeId)!, claim.coSpaceId, detail.title, passcode);
          else {
            const { node: spaceNode } = await onAnyNode(bridge, claim.nodeId ?? nextNode(bridge.id, nodes), (c) => c.put(`/coSpaces/${claim.coSpaceId}`, { name: detail.title, nonMemberAccess: true, passcode, secret: crypto.randomUUID() }), nodes);
            call = await postCall(bridge, nodes, claim.id, claim.coSpaceId, spaceNode.id, blocked);
          }
          const legRows = await recordStarted({ claim, ...call, adopted });
          if (!legRows) return;
          started++;
          const node = nodes.find((n) => n.id === call!.nodeId)!;
          await Promise.all(legRows.map((leg) => placeLeg(bridge, node, call!.callId, leg).then(recordLegs)));
        } catch (error) {
          failures.push({ id: claim.id, error });
        }
      };
      // Dial-outs a died attempt left `placing`: placed if the bridge has the leg, else placed now.
      const settleLegs = async (occ: { id: string; bridgeId: string; callId: string | null; nodeId: string | null }, placing: repo.LegRow[]) => {
        const bridge = bridgeOf.get(occ.bridgeId)!;
        const node = nodesOf(occ.bridgeId).find((n) => n.id === occ.nodeId);
        if (!node || !occ.callId) return;
        const connector = bridges.connectorForNode(bridge, node);
        const onBridge = await retrying(() => connector.list(`calls/${occ.callId}/callLegs`, 'callLeg')).catch(() => undefined);
        await Promise.all(placing.map(async (leg) => {
          const found = onBridge?.find((l) => String(l.remoteParty ?? '') === leg.remoteParty);
          if (found) return recordLegs({ id: leg.id, callLegId: String(found['@_id']), outcome: 'placed', attempts: leg.attempts, reason: null, updatedAt: clock.now() });
          if (onBridge) return recordLegs(await placeLeg(bridge, node, occ.callId!, leg));
        }));
      };

      const runClaims = (list: starts.ClaimedStart[]) => {
        const byBridge = new Map<string, starts.ClaimedStart[]>();
        for (const claim of list) {
          const same = byBridge.get(claim.bridgeId);
          if (same) same.push(claim);
          else byBridge.set(claim.bridgeId, [claim]);
        }
        return Promise.all([...byBridge.values()].map((group) => inParallel(group, STARTS_PER_BRIDGE, lifecycle)));
      };
      const placing = unsettled.length ? await starts.placingLegs(db, unsettled.map((o) => o.id)) : [];
      await Promise.all([
        runClaims(claimed),
        ...unsettled.filter((occ) => placing.some((l) => l.occurrenceId === occ.id)).map((occ) => settleLegs(occ, placing.filter((l) => l.occurrenceId === occ.id))),
      ]);
      // Slots still held by the meetings before these (their ends run at this same instant): the
      // rest are claimed as the ends free slots, for up to SLOT_WAIT_MS, not after the job's backoff.
      let claimedCount = claimed.length;
      const waitUntil = clock.now().getTime() + SLOT_WAIT_MS;
      while (waiting.length && clock.now().getTime() < waitUntil) {
        await clock.sleep(SLOT_POLL_MS);
        await ctx.progress({ step: 'waiting for free slots', message: `${waiting.length} meetings` });
        const next = await database.transaction((tx) => starts.claimStarts(tx, ctx.jobId, waiting, clock.now()));
        waiting = next.waiting;
        claimedCount += next.claimed.length;
        await runClaims(next.claimed);
      }

      // A meeting that did not start is tried again (the job's backoff) for as long as its booked
      // time lasts; after START_ALARM_ATTEMPTS failed attempts a ticket and the alarm are raised once.
      // It is given up (`failed`, its slot free) only at its end, or at the job's very last attempt.
      const now = clock.now();
      const over = failures.filter((f) => options.finalAttempt || (details.get(f.id)?.endAt.getTime() ?? 0) <= now.getTime());
      const retried = failures.filter((f) => !over.includes(f));
      const message = (f: { error: unknown }) => (f.error as Error)?.message ?? String(f.error);
      if (over.length) {
        await database.transaction(async (tx) => {
          const given = await starts.markStartsFailed(tx, ctx.jobId, over.map((f) => ({ id: f.id, error: message(f) })));
          await calls.leavePosting(tx, given, 'the start was given up with its POST unanswered', now);
          for (const id of given) {
            const f = over.find((x) => x.id === id)!;
            const detail = details.get(id);
            const bridge = bridgeOf.get(detail?.bridgeId ?? '');
            if (bridge && !detail?.startTicketId) await openStartTicket(tx, bridge.id, `"${detail?.title}" (meeting ${id}) did not start and was given up at ${now.toISOString()}: ${message(f)}`);
          }
          await audit.recordMany(given.map((id) => ({ actor: system, action: 'meeting.start-failed', entityType: 'meeting', entityId: id, after: { error: message(over.find((f) => f.id === id)!) } })), tx);
          startFailures.inc({ outcome: 'given-up' }, given.length);
        });
      }
      if (retried.length) {
        const alarm = ctx.attempt >= startAlarmAttempts ? retried.filter((f) => !details.get(f.id)?.startTicketId) : [];
        await database.transaction(async (tx) => {
          const tickets = new Map<string, number>();
          for (const f of alarm) {
            const detail = details.get(f.id)!;
            const ticket = await openStartTicket(tx, detail.bridgeId, `"${detail.title}" (meeting ${f.id}) did not start after ${ctx.attempt} attempts: ${message(f)}. Switchboard tries again until ${detail.endAt.toISOString()}.`);
            tickets.set(f.id, ticket.id);
          }
          await starts.noteStartsFailing(tx, retried.map((f) => ({ id: f.id, error: message(f), ticketId: tickets.get(f.id) ?? null })));
          if (alarm.length) await audit.recordMany(alarm.map((f) => ({ actor: system, action: 'meeting.start-failing', entityType: 'meeting', entityId: f.id, after: { error: message(f), attempts: ctx.attempt } })), tx);
        });
        if (alarm.length) {
          startFailures.inc({ outcome: 'retrying' }, alarm.length);
          logger.error({ meetings: alarm.map((f) => f.id), attempt: ctx.attempt }, 'meetings did not start; retried until their end');
        }
        const first = retried[0].error;
        throw new AppError(first instanceof AppError ? first.code : 'UPSTREAM_FAILED', `${retried.length} of ${claimedCount} meetings did not start; the job retries them: ${(first as Error)?.message ?? first}`, { failed: retried.map((f) => f.id) });
      }
      // Meetings with no free slot yet stay scheduled and are claimed by a later attempt, while they last.
      waiting = waiting.filter((id) => (details.get(id)?.endAt.getTime() ?? 0) > now.getTime());
      if (waiting.length && !options.finalAttempt) throw new AppError('CONFLICT', `No free slot to start ${waiting.length} meeting(s) yet; ${started} started.`, { waiting });
      return { started, failed: failures.length, waiting: waiting.length };
    },

    /** M12: the space back to its placeholder (no access, new secret), then the call deleted. */
    async end(ctx: JobContext, occurrenceId: string) {
      const { occ: before, bridge } = await load(occurrenceId);
      if (before.state === 'ended' || before.state === 'cancelled') return { skipped: before.state };
      if (before.state === 'scheduled') {
        await ctx.transact('cancel-unstarted', (tx) => repo.updateOccurrence(tx, occurrenceId, { state: 'cancelled' }));
        return { skipped: 'not started' };
      }
      await ctx.transact('ending', (tx) => repo.updateOccurrence(tx, occurrenceId, { state: 'ending' }));
      // Read again: a failover may have moved the meeting to a new call before it was `ending`.
      const occ = (await repo.findOccurrence(db, occurrenceId))!;
      const slot = await repo.findSlotOf(db, occurrenceId);
      if (slot) {
        await ctx.step('reset-space', async () => {
          await onAnyNode(bridge, occ.nodeId, (c) => c.put(`/coSpaces/${slot.coSpaceId}`, { name: spacePlaceholder(bridge, slot), nonMemberAccess: false, passcode: '', regenerateSecret: true }));
          return true;
        });
      }
      if (occ.callId && occ.nodeId) {
        await ctx.step('delete-call', async () => {
          const node = (await repo.listNodes(db, bridge.id)).find((n) => n.id === occ.nodeId);
          if (!node) return true;
          try {
            await retrying(() => bridges.connectorForNode(bridge, node).delete(`/calls/${occ.callId}`));
          } catch (error) {
            // Already gone (ended on the bridge, or the node restarted): the goal is reached.
            if ((error as AppError).details && ((error as AppError).details as { status?: number }).status === 404) return true;
            throw error;
          }
          return true;
        });
      }
      // A failover's POST still unanswered: the slot is not handed on until it is (its call would be
      // the next meeting's: a POST for the space on that node hands it back). One never answered
      // after FAILOVER_POST_WAIT_MS is given up as left.
      const journal = await calls.callsOf(db, occurrenceId);
      if (journal.some((r) => r.state === 'posting' && clock.now().getTime() - r.createdAt.getTime() < FAILOVER_POST_WAIT_MS)) {
        throw new AppError('CONFLICT', 'A failover of this meeting is making a call; the end waits for it.', { reason: 'failoverInFlight' });
      }
      await calls.leavePosting(db, [occurrenceId], 'a POST never answered before the end', clock.now());
      await calls.leaveOtherLive(db, occurrenceId, occ.callId, clock.now());
      // Calls this meeting left on nodes that failed: deleted now where the node answers; the rest
      // stay journalled and every bridge poll tries again (sweepLeftCalls).
      const left = await calls.leftCalls(db, { bridgeIds: [bridge.id], occurrenceId });
      if (left.length) await deleteLeftCalls(bridge, await repo.listNodes(db, bridge.id), left, { skipUnhealthy: false });
      await ctx.transact('free-slot', async (tx) => {
        await calls.endLiveCalls(tx, occurrenceId, clock.now());
        await repo.releaseSlot(tx, occurrenceId);
        await repo.updateOccurrence(tx, occurrenceId, { state: 'ended', endedAt: clock.now() });
        await audit.record({ actor: system, action: 'meeting.end', entityType: 'meeting', entityId: occurrenceId, after: { slot: slot?.slot } }, tx);
      });
      return { ended: true };
    },

    /**
     * After each bridge poll: calls meetings left on nodes that did not answer (failover, a start
     * recovered or given up while its POST was unanswered) are deleted on the nodes that answer again.
     */
    async sweepLeftCalls(bridgeId: string) {
      const left = await calls.leftCalls(db, { bridgeIds: [bridgeId] });
      if (!left.length) return { left: 0, deleted: 0 };
      const bridge = await bridges.getBridge(bridgeId);
      const { blocked, deleted } = await deleteLeftCalls(bridge, await repo.listNodes(db, bridgeId), left, { skipUnhealthy: true });
      return { left: left.length, deleted, waiting: blocked.size };
    },

    /** M13: a live meeting whose node died is re-created on a healthy node of the cluster. */
    async failover(ctx: JobContext, occurrenceId: string) {
      const { occ, booking, bridge } = await load(occurrenceId);
      if (occ.state !== 'ongoing' || !occ.coSpaceId) return { skipped: occ.state };
      const oldNode = occ.nodeId;
      const moved = await ctx.step('recreate-call', async () => {
        const all = await repo.listNodes(db, bridge.id);
        const nodes = (await healthyNodes(bridge, null, all)).filter((n) => n.id !== oldNode && n.healthy);
        if (!nodes.length) throw new AppError('SERVICE_UNAVAILABLE', `No healthy node of ${bridge.name || bridge.address} to move "${booking.title}" to.`);
        const left = await calls.leftCalls(db, { bridgeIds: [bridge.id], coSpaceId: occ.coSpaceId! });
        const { blocked } = await deleteLeftCalls(bridge, all, left, { skipUnhealthy: false });
        // An attempt that died after its POST: only the nodes it posted to are asked, and only a call
        // this meeting's journal can own is adopted.
        const recovered = await recoverCall(bridge, all, occurrenceId, occ.coSpaceId!, oldNode);
        const call = recovered && !blocked.has(recovered.nodeId)
          ? recovered
          : await postCall(bridge, nodes, occurrenceId, occ.coSpaceId!, nodes[0].id, new Set([...blocked, ...(oldNode ? [oldNode] : [])]), (intent) => database.transaction((tx) => calls.insertFailoverIntent(tx, intent, clock.now()))).catch((error) => {
              if ((error as AppError).details && ((error as AppError).details as { reason?: string }).reason === 'notOngoing') return null;
              throw error;
            });
        return call && { ...call, nodeName: all.find((n) => n.id === call.nodeId)!.name };
      });
      if (!moved) return { skipped: 'no longer ongoing' };
      const legRows = await ctx.transact('moved', async (tx) => {
        const now = clock.now();
        // The end may have begun since the check above: the new call is then left, not the meeting's.
        if (!(await starts.moveCall(tx, occurrenceId, occ.callId, { callId: moved.callId, nodeId: moved.nodeId, failovers: occ.failovers + 1 }))) {
          await calls.markLive(tx, [{ id: moved.journalId, occurrenceId, callId: moved.callId }], now);
          await calls.settleCall(tx, moved.journalId, { state: 'left', reason: 'made by a failover as the meeting ended' }, now);
          return null;
        }
        // The old call stays on the node that stopped answering: recorded, deleted when it is back.
        if (occ.callId && oldNode) await calls.leaveCall(tx, { id: crypto.randomUUID(), occurrenceId, bridgeId: bridge.id, nodeId: oldNode, coSpaceId: occ.coSpaceId!, callId: occ.callId, reason: 'left by a failover' }, now);
        await calls.markLive(tx, [{ id: moved.journalId, occurrenceId, callId: moved.callId }], now);
        await repo.deleteLegs(tx, occurrenceId);
        const rows = (occ.dialOut ?? booking.dialOut).map((remoteParty) => ({ id: crypto.randomUUID(), occurrenceId, remoteParty, outcome: 'placing', attempts: 0, updatedAt: now, callLegId: null, reason: null }));
        await repo.insertLegs(tx, rows);
        const detail = `"${booking.title}" moved to ${moved.nodeName} at ${now.toISOString()} after its node failed.`;
        await repo.insertTicket(tx, { bridgeId: bridge.id, kind: 'failover', title: 'Meeting Failover', detail, openedAt: now });
        await audit.record({ actor: system, action: 'meeting.failover', entityType: 'meeting', entityId: occurrenceId, before: { nodeId: oldNode, callId: occ.callId }, after: { nodeId: moved.nodeId, callId: moved.callId } }, tx);
        return rows;
      });
      if (!legRows) {
        const left = await calls.leftCalls(db, { bridgeIds: [bridge.id], occurrenceId });
        await deleteLeftCalls(bridge, await repo.listNodes(db, bridge.id), left, { skipUnhealthy: false });
        return { skipped: 'ended while it moved' };
      }
      const node = (await repo.listNodes(db, bridge.id)).find((n) => n.id === moved.nodeId)!;
      await placeLegs(ctx, bridge, node, moved.callId, legRows, `failover-leg:${occ.failovers}`);
      return moved;
    },

    async warn(occurrenceId: string, minutes: number) {
      const { occ, bridge } = await load(occurrenceId);
      if (occ.state !== 'ongoing' || !occ.callId || occ.warned.includes(minutes)) return;
      const node = (await repo.listNodes(db, bridge.id)).find((n) => n.id === occ.nodeId)!;
      await retrying(() => bridges.connectorForNode(bridge, node).put(`/calls/${occ.callId}`, { messageText: `This meeting ends in ${minutes} minute${minutes === 1 ? '' : 's'}.`, messagePosition: 'top', messageDuration: 30 }));
      await repo.updateOccurrence(db, occurrenceId, { warned: [...occ.warned, minutes] });
    },

    async get(occurrenceId: string, options: { live?: boolean } = {}) {
      const { occ, booking, bridge } = await load(occurrenceId);
      const legRows = await repo.listLegs(db, occurrenceId);
      const history = await repo.listCdrs(db, occurrenceId);
      let live: LiveLeg[] | undefined;
      let call: LiveCall | undefined;
      if (options.live && occ.state === 'ongoing' && occ.callId && occ.nodeId) {
        const node = (await repo.listNodes(db, bridge.id)).find((n) => n.id === occ.nodeId)!;
        const c = bridges.connectorForNode(bridge, node);
        // The collection names the legs only; their state and mutes are in each leg's own document
        // (as the CMS API has it), read together and capped so a huge call does not flood the node.
        const [items, callDoc] = await Promise.all([
          c.list(`calls/${occ.callId}/callLegs`, 'callLeg').catch(() => undefined),
          c.get(`/calls/${occ.callId}`).catch(() => undefined),
        ]);
        if (callDoc?.call) call = { locked: String(callDoc.call.locked) === 'true', messageText: callDoc.call.messageText ? String(callDoc.call.messageText) : null };
        live = items && (await Promise.all(items.map(async (l, index): Promise<LiveLeg> => {
          const base = { callLegId: String(l['@_id']), remoteParty: String(l.remoteParty ?? ''), name: String(l.name ?? '') };
          const doc = index < LIVE_LEG_DETAILS ? (await c.get(`/callLegs/${base.callLegId}`).catch(() => undefined))?.callLeg : undefined;
          if (!doc) return { ...base, state: null, audioMuted: null, videoMuted: null };
          return { ...base, state: doc.status?.state ? String(doc.status.state) : null, audioMuted: String(doc.configuration?.rxAudioMute) === 'true', videoMuted: String(doc.configuration?.rxVideoMute) === 'true' };
        })));
      }
      return { ...publicOccurrence(occ), title: booking.title, organizer: booking.organizer, timeZone: booking.timeZone, legs: legRows, history, liveLegs: live ?? null, locked: call?.locked ?? null, messageText: call?.messageText ?? null };
    },

    /** M11: move the end; refused when the pool has no slot for the added time. */
    async extend(occurrenceId: string, minutes: number, actor: Actor) {
      const { occ, booking, bridge } = await load(occurrenceId);
      if (occ.state !== 'ongoing') throw new AppError('INVALID_STATE', `Only an ongoing meeting can be extended; this one is ${occ.state}.`);
      const newEnd = new Date(occ.endAt.getTime() + minutes * 60_000);
      await database.transaction(async (tx) => {
        await repo.lockBridgeSchedule(tx, bridge.id);
        const holds = (await repo.overlappingHolds(tx, bridge.id, occ.endAt, newEnd)).filter((h) => h.id !== occurrenceId);
        const { peakOverlap } = await import('./bridges.service.ts');
        const peak = peakOverlap(holds.map((h) => [Math.max(h.holdFrom.getTime(), occ.endAt.getTime()), Math.min(h.endAt.getTime(), newEnd.getTime())]));
        if (peak.count >= bridge.poolSize) {
          const { formatInZone } = await import('./zoned-time.ts');
          throw new AppError('CONFLICT', `The meeting cannot be extended: every slot is booked at ${formatInZone(new Date(peak.at), booking.timeZone)}.`, { at: new Date(peak.at) });
        }
        await repo.updateOccurrence(tx, occurrenceId, { endAt: newEnd, warned: [] });
        // #17: its rooms must be free for the added time too.
        await assertRoomsFree(tx, booking.id, booking.timeZone, clock.now());
        await audit.record({ actor, action: 'meeting.extend', entityType: 'meeting', entityId: occurrenceId, before: { endAt: occ.endAt }, after: { endAt: newEnd } }, tx);
      });
      // As TMS does: the space is PUT again, a reference on the bridge that the meeting was extended.
      const slot = await repo.findSlotOf(db, occurrenceId);
      if (slot) await onAnyNode(bridge, occ.nodeId, (c) => c.put(`/coSpaces/${slot.coSpaceId}`, { name: booking.title, nonMemberAccess: true })).catch((error) => logger.warn({ err: error }, 'extend PUT failed'));
      return { id: occurrenceId, endAt: newEnd };
    },

    /** M10: live control through the node the call runs on. */
    async control(occurrenceId: string, action: ControlAction, actor: Actor) {
      const { occ, bridge } = await load(occurrenceId);
      if (occ.state !== 'ongoing' || !occ.callId || !occ.nodeId) throw new AppError('INVALID_STATE', `The meeting is ${occ.state}, not ongoing.`);
      const node = (await repo.listNodes(db, bridge.id)).find((n) => n.id === occ.nodeId)!;
      const c = bridges.connectorForNode(bridge, node);
      let result: unknown = { ok: true };
      switch (action.type) {
        case 'addParticipant': {
          const legId = crypto.randomUUID();
          await repo.insertLegs(db, [{ id: legId, occurrenceId, remoteParty: action.remoteParty, outcome: 'placing', attempts: 0, updatedAt: clock.now() }]);
          const rows = (await repo.listLegs(db, occurrenceId)).filter((l) => l.id === legId);
          await placeLegs(undefined, bridge, node, occ.callId, rows, 'manual');
          result = (await repo.listLegs(db, occurrenceId)).find((l) => l.id === legId);
          break;
        }
        case 'dropLeg': {
          // Marked first: the bridge's callLegEnd CDR may arrive before the DELETE's answer.
          const leg = await repo.findLegByCallLegId(db, action.callLegId);
          if (leg) await repo.updateLeg(db, leg.id, { outcome: 'dropped', updatedAt: clock.now() });
          try {
            await retrying(() => c.delete(`/callLegs/${action.callLegId}`));
          } catch (error) {
            if (leg) await repo.updateLeg(db, leg.id, { outcome: leg.outcome, updatedAt: clock.now() });
            throw error;
          }
          break;
        }
        case 'muteLeg':
          await retrying(() => c.put(`/callLegs/${action.callLegId}`, { rxAudioMute: action.audio, rxVideoMute: action.video }));
          break;
        case 'updateCall':
          await retrying(() => c.put(`/calls/${occ.callId}`, { locked: action.locked, messageText: action.messageText, messagePosition: action.messageText !== undefined ? 'middle' : undefined, messageDuration: action.messageText !== undefined ? 60 : undefined }));
          break;
      }
      await audit.record({ actor, action: `meeting.${action.type}`, entityType: 'meeting', entityId: occurrenceId, after: action });
      return result;
    },

    /** Ends now: the end moves to now and the end job runs. */
    async endNow(occurrenceId: string, actor: Actor) {
      const { occ } = await load(occurrenceId);
      if (!['ongoing', 'starting', 'scheduled'].includes(occ.state)) throw new AppError('INVALID_STATE', `The meeting is ${occ.state}.`);
      const now = clock.now();
      await database.transaction(async (tx) => {
        await repo.updateOccurrence(tx, occurrenceId, occ.state === 'scheduled' ? { state: 'cancelled' } : { endAt: now });
        await audit.record({ actor, action: 'meeting.end-now', entityType: 'meeting', entityId: occurrenceId, before: { endAt: occ.endAt }, after: { endAt: now } }, tx);
      });
      return { id: occurrenceId, endAt: now };
    },

    /** CDRs from a node: meeting history, and each dial-out's outcome. */
    async receiveCdrs(bridgeId: string, token: string, xml: string) {
      const bridge = await repo.findBridge(db, bridgeId);
      // Only the token's hash is stored; the hashes are compared in constant time.
      if (!bridge || !bridge.cdrTokenHash || !timingSafe(bridge.cdrTokenHash, hashCdrToken(token))) throw new AppError('UNAUTHENTICATED', 'Unknown CDR receiver.');
      const doc = cdrParser.parse(xml) as { records?: { record?: any[] } };
      const records = doc.records?.record ?? [];
      // One read of the legs and one of the meetings for the whole batch: a burst of starts sends
      // thousands of records, and a read per record kept the (embedded: single) connection busy.
      const parsed = records.map((r) => {
        const body = r.callLeg ?? r.call ?? {};
        return { r, type: String(r['@_type']), body, callLegId: r.callLeg ? String(body['@_id']) : null, callId: r.call ? String(body['@_id']) : body.call ? String(body.call) : null };
      });
      const legOf = new Map((await repo.findLegsByCallLegIds(db, [...new Set(parsed.flatMap((p) => (p.callLegId ? [p.callLegId] : [])))])).map((l) => [l.callLegId!, l]));
      const occOfCall = new Map((await repo.findOccurrencesByCalls(db, bridgeId, [...new Set(parsed.flatMap((p) => (p.callId ? [p.callId] : [])))])).map((o) => [o.callId!, o.id]));
      const rows = [];
      for (const { r, type, body, callLegId, callId } of parsed) {
        const leg = callLegId ? legOf.get(callLegId) : undefined;
        const occurrenceId = (callId ? occOfCall.get(callId) : undefined) ?? leg?.occurrenceId ?? null;
        rows.push({ id: crypto.randomUUID(), bridgeId, occurrenceId, type, at: new Date(String(r['@_time'])), callId, callLegId, remoteParty: body.remoteParty ? String(body.remoteParty) : null, reason: body.reason ? String(body.reason) : null });
        if (leg && type === 'callLegUpdate' && String(body.state) === 'connected') {
          leg.outcome = 'connected';
          await repo.updateLeg(db, leg.id, { outcome: 'connected', updatedAt: clock.now() });
        }
        if (leg && type === 'callLegEnd') {
          const outcome = leg.outcome === 'dropped' ? 'dropped' : leg.outcome === 'connected' ? 'ended' : 'failed';
          leg.outcome = outcome;
          await repo.updateLeg(db, leg.id, { outcome, reason: String(body.reason ?? ''), updatedAt: clock.now() });
        }
      }
      await repo.insertCdrs(db, rows);
      return { received: rows.length };
    },
  };
}

/** A call leg as the bridge reports it now; state and mutes are null when its document was not read. */
export type LiveLeg = { callLegId: string; remoteParty: string; name: string; state: string | null; audioMuted: boolean | null; videoMuted: boolean | null };
type LiveCall = { locked: boolean; messageText: string | null };

export type ControlAction =
  | { type: 'addParticipant'; remoteParty: string }
  | { type: 'dropLeg'; callLegId: string }
  | { type: 'muteLeg'; callLegId: string; audio?: boolean; video?: boolean }
  | { type: 'updateCall'; locked?: boolean; messageText?: string };

const cdrParser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false, isArray: (name) => name === 'record' });

function timingSafe(a: string, b: string) {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

export function publicOccurrence(o: OccurrenceRow) {
  return o;
}

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function inParallel<T>(items: T[], limit: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/**
 * Group commit: items that arrive while a write runs go together into the next one, so a burst of
 * N costs a few writes, not N, and the first item never waits. `write` returns one answer per item.
 */
function groupCommit<T, R>(write: (items: T[]) => Promise<R[]>) {
  let pending: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  let running = false;
  async function drain() {
    running = true;
    while (pending.length) {
      const batch = pending;
      pending = [];
      try {
        const answers = await write(batch.map((p) => p.item));
        batch.forEach((p, i) => p.resolve(answers[i]));
      } catch (error) {
        for (const p of batch) p.reject(error);
      }
    }
    running = false;
  }
  return (item: T) =>
    new Promise<R>((resolve, reject) => {
      pending.push({ item, resolve, reject });
      if (!running) void drain();
    });
}
