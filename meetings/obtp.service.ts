import crypto from 'node:crypto';
import { AppError } from '../platform/errors.ts';
import * as repo from './endpoints.repository.ts';
import type { Actor } from '../platform/auth/actor.ts';
import type { JobContext } from '../platform/jobs/job-context.ts';
import type { PlatformServices } from '../platform/services.ts';
import { ceVersion, type ObtpBooking, type PushMethod } from './ce.connector.ts';
import type { Endpoints, TicketCauses } from './endpoints.service.ts';
import { certificateErrorOf } from './endpoints.service.ts';
import type { EndpointRow } from './endpoints.repository.ts';
import { createRequestLimit } from '../platform/http/request-limit.ts';

// #17 part 2: One Button to Push. Each endpoint's panel holds its OBTP meetings of the next 72 hours
// (TMS: "72 hours worth of calendar information per request", cms_tms.md §4.2). Switchboard keeps a
// hash of the document each codec last accepted; a round compares it with what the panel should hold
// now and sends a push job for every endpoint that differs. Booking, change, cancel, extend, a
// meeting's space being opened, a meeting entering the horizon and an endpoint answering again all
// show up as such a difference, so one mechanism covers them all.

/** How far ahead a panel's bookings reach. */
export const OBTP_HORIZON_MS = 72 * 3_600_000;
/** Retries of one push before its ticket opens (backoff 1 s doubling to 30 s). */
export const PUSH_RETRIES = 3;

/**
 * How an endpoint takes bookings (ce_xapi.md §6, §7): a Webex-registered codec refuses local
 * `bookingsputxml` [OBTP-EMU] and takes `xCommand Bookings Put` from CE 9.14 on [RX-XAPI]; below
 * 9.14 it has no method (null). Every other codec gets `bookingsputxml`, the push TMS used, reported
 * on TC 7.3 to CE 9.x registered on premises or not at all; `Bookings Put` is documented for them only
 * from RoomOS 11.14 and not verified there, so it is not used (as Mividas does).
 */
export function pushMethodFor(endpoint: { softwareVersion: string | null; webexRegistered: boolean }): PushMethod | null {
  if (!endpoint.webexRegistered) return 'bookingsputxml';
  const { major, minor } = ceVersion(endpoint.softwareVersion ?? '');
  return major > 9 || (major === 9 && minor >= 14) ? 'bookingsPut' : null;
}

export const hashOf = (list: ObtpBooking[]) => crypto.createHash('sha256').update(JSON.stringify(list)).digest('base64url');

export type Obtp = ReturnType<typeof createObtp>;

export function createObtp(services: PlatformServices, endpoints: Endpoints, hooks: { onEnabled?: () => void } = {}) {
  const { database, clock, audit } = services;
  const db = database.db;
  const inFlight = new Map<string, Promise<void>>();
  const codecRequests = createRequestLimit(services.config.obtpPushConcurrency);

  /** What each endpoint's panel should hold now (endpoints without OBTP meetings are absent). */
  async function desired(endpointIds?: string[]): Promise<Map<string, ObtpBooking[]>> {
    const now = clock.now();
    const rows = await repo.obtpMeetings(db, now, new Date(now.getTime() + OBTP_HORIZON_MS), endpointIds);
    const out = new Map<string, ObtpBooking[]>();
    for (const r of rows) {
      let list = out.get(r.endpointId);
      if (!list) out.set(r.endpointId, (list = []));
      list.push({
        // The meeting's id: a series' meetings are bookings of their own on the panel, and a push
        // repeated or retried names the same bookings again rather than adding any.
        id: r.occurrenceId,
        title: r.title,
        organizer: r.organizer,
        privacy: r.private ? 'Private' : 'Public',
        start: r.startAt,
        end: r.endAt,
        // Join works from when the meeting's space opens (start − early join), not before.
        startBufferSeconds: r.earlyJoinMinutes * 60,
        endBufferSeconds: 0,
        number: r.uri && r.sipDomain ? `${r.uri}@${r.sipDomain}` : '',
      });
    }
    return out;
  }

  return {
    desired,

    async setting() {
      return repo.readObtpSetting(db);
    },

    async setEnabled(enabled: boolean, actor: Actor) {
      const result = await database.transaction(async (tx) => {
        const before = await repo.readObtpSetting(tx);
        const now = clock.now();
        await repo.writeObtpSetting(tx, enabled, now, actor.name);
        await audit.record({ actor, action: 'meetings.obtp-setting', entityType: 'meetings-settings', entityId: 'obtp', before: { enabled: before.enabled }, after: { enabled } }, tx);
        return { enabled, updatedAt: now, updatedBy: actor.name };
      });
      if (enabled) hooks.onEnabled?.();
      return result;
    },

    /**
     * One round: the endpoints whose panel differs from what it should hold, with the hash of what
     * it should hold. Nothing while OBTP is off. Endpoints that do not answer are left to their
     * status poll (they are pushed in full when they answer again); an endpoint never pushed to and
     * with nothing to show is left alone (its panel may be someone else's).
     */
    async due(): Promise<{ endpointId: string; hash: string; from: string | null }[]> {
      if (!(await repo.readObtpSetting(db)).enabled) return [];
      const wanted = await desired();
      const out: { endpointId: string; hash: string; from: string | null }[] = [];
      for (const e of await repo.obtpCandidates(db)) {
        if (e.connectivity !== 'reachable') continue;
        const list = wanted.get(e.id) ?? [];
        if (!list.length && e.obtpPushedHash === null) continue;
        const hash = hashOf(list);
        if (hash !== e.obtpPushedHash) out.push({ endpointId: e.id, hash, from: e.obtpPushedHash });
      }
      return out;
    },

    /**
     * Replaces the endpoint's bookings with what its panel should hold now (read at run time, so a
     * late or repeated job pushes the latest, never an older list). Both methods replace the whole
     * list, so repeating a push changes nothing: no journal step is needed. The last attempt that
     * fails opens *Booking Push Failed*; a push that succeeds closes it.
     */
    async push(ctx: JobContext, endpointId: string) {
      const [outcome] = await pushMany([{ ctx, endpointId }]);
      if ('error' in outcome) throw outcome.error;
      return outcome.result;
    },

    /** `push` for a batch of jobs, answered in order (a job's failure does not fail the others). */
    pushMany,
  };

  /**
   * The pushes of a batch of jobs (#17 part 4): the setting, the endpoints and their lists read in
   * three statements for all of them, the codecs called side by side (at most
   * `SWITCHBOARD_OBTP_PUSH_CONCURRENCY` at once in this process, one at a time per codec), and what
   * they accepted or refused recorded in one transaction. Per job, pushing alone cost about seven
   * statements and a transaction of its own on the embedded database's one connection.
   */
  async function pushMany(items: { ctx: JobContext; endpointId: string }[]): Promise<PushOutcome[]> {
    const ids = [...new Set(items.map((i) => i.endpointId))];
    // Pushes to one endpoint run one after the other in this process: both methods replace the
    // whole list, so an older list must not land after a newer one. A push waits for the one under
    // way (and then reads the list, so it finds the panel current when nothing changed since).
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const previous = ids.map((id) => inFlight.get(id)).filter((p) => p !== undefined);
    for (const id of ids) inFlight.set(id, mine);
    try {
      await Promise.all(previous);
      // An endpoint named by several jobs of the batch is pushed once; its last attempt counts.
      const final = new Set(items.filter((i) => i.ctx.attempt > PUSH_RETRIES).map((i) => i.endpointId));
      const outcomes = await pushEndpoints(ids, final);
      return items.map((i) => outcomes.get(i.endpointId)!);
    } finally {
      release();
      for (const id of ids) if (inFlight.get(id) === mine) inFlight.delete(id);
    }
  }

  async function pushEndpoints(ids: string[], final: Set<string>): Promise<Map<string, PushOutcome>> {
    const outcomes = new Map<string, PushOutcome>();
    if (!(await repo.readObtpSetting(db)).enabled) {
      for (const id of ids) outcomes.set(id, { result: { skipped: 'OBTP is off' } });
      return outcomes;
    }
    const rows = new Map((await repo.findEndpointsByIds(db, ids)).map((e) => [e.id, e]));
    const lists = await desired(ids);
    const causes = new Map<string, TicketCauses>();
    const pushes: { endpoint: EndpointRow; method: PushMethod; list: ObtpBooking[]; hash: string }[] = [];
    for (const id of ids) {
      const endpoint = rows.get(id);
      if (!endpoint) {
        outcomes.set(id, { result: { skipped: 'endpoint removed' } });
        continue;
      }
      // Known not to answer since the job was sent: its status poll marks the panel stale when it
      // answers again, and the next round pushes it in full.
      if (endpoint.connectivity !== 'reachable') {
        outcomes.set(id, { result: { skipped: `endpoint ${endpoint.connectivity}` } });
        continue;
      }
      const method = pushMethodFor(endpoint);
      if (!method) {
        causes.set(id, { obtp_unsupported: `${endpoint.name} is registered to Webex on ${endpoint.softwareVersion ?? 'unknown software'}: bookings can be pushed to it from CE 9.14 on (xCommand Bookings Put).` });
        outcomes.set(id, { result: { skipped: 'no push method for this software' } });
        continue;
      }
      const list = lists.get(id) ?? [];
      const hash = hashOf(list);
      // A job queued behind another push to the same endpoint may find the panel current already.
      if (hash === endpoint.obtpPushedHash) outcomes.set(id, { result: { pushed: 0, current: true } });
      else pushes.push({ endpoint, method, list, hash });
    }
    const accepted: { id: string; hash: string; count: number; method: string }[] = [];
    const refused: { id: string; message: string }[] = [];
    await Promise.all(pushes.map(async ({ endpoint, method, list, hash }) => {
      try {
        await codecRequests.run(() => endpoints.connectorFor(endpoint).pushBookings(method, list));
        accepted.push({ id: endpoint.id, hash, count: list.length, method });
        causes.set(endpoint.id, { obtp_push_failed: false, obtp_unsupported: false });
        outcomes.set(endpoint.id, { result: { pushed: list.length, method } });
      } catch (error) {
        // A changed certificate is not a failed push: the endpoint gets its Certificate Changed
        // ticket and nothing more is sent to it until the certificate is accepted.
        const certificate = certificateErrorOf(error);
        if (certificate) {
          await endpoints.certificateRefused(endpoint.id, certificate, endpoint.certificateFingerprint);
          outcomes.set(endpoint.id, { result: { skipped: 'certificate changed' } });
          return;
        }
        const message = error instanceof Error ? error.message : String(error);
        refused.push({ id: endpoint.id, message });
        if (final.has(endpoint.id)) causes.set(endpoint.id, { obtp_push_failed: message });
        outcomes.set(endpoint.id, { error: error instanceof AppError ? error : new AppError('UPSTREAM_FAILED', message) });
      }
    }));
    if (accepted.length || refused.length || causes.size) {
      await database.transaction(async (tx) => {
        await repo.recordObtpPushes(tx, accepted, clock.now());
        await repo.recordObtpPushErrors(tx, refused);
        await endpoints.reconcileTicketsOf(tx, causes);
      });
    }
    return outcomes;
  }
}

export type PushOutcome = { result: unknown } | { error: unknown };
