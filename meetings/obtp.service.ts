import crypto from 'node:crypto';
import { AppError } from '../platform/errors.ts';
import * as repo from './endpoints.repository.ts';
import type { Actor } from '../platform/auth/actor.ts';
import type { JobContext } from '../platform/jobs/job-context.ts';
import type { PlatformServices } from '../platform/services.ts';
import { ceVersion, type ObtpBooking, type PushMethod } from './ce.connector.ts';
import type { Endpoints } from './endpoints.service.ts';
import { certificateErrorOf } from './endpoints.service.ts';

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
  const inFlight = new Map<string, Promise<unknown>>();

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
    push(ctx: JobContext, endpointId: string) {
      // Pushes to one endpoint run one after the other in this process: both methods replace the
      // whole list, so an older list must not land after a newer one.
      const previous = inFlight.get(endpointId) ?? Promise.resolve();
      const next = previous.catch(() => undefined).then(() => pushNow(ctx, endpointId));
      inFlight.set(endpointId, next);
      void next.catch(() => undefined).finally(() => {
        if (inFlight.get(endpointId) === next) inFlight.delete(endpointId);
      });
      return next;
    },
  };

  async function pushNow(ctx: JobContext, endpointId: string) {
      if (!(await repo.readObtpSetting(db)).enabled) return { skipped: 'OBTP is off' };
      const endpoint = await repo.findEndpoint(db, endpointId);
      if (!endpoint) return { skipped: 'endpoint removed' };
      // Nothing goes to a codec whose certificate changed until it is accepted (its ticket says so).
      if (endpoint.connectivity === 'certificate_changed') return { skipped: 'certificate changed' };
      const method = pushMethodFor(endpoint);
      if (!method) {
        await database.transaction((tx) => endpoints.reconcileTickets(tx, endpointId, { obtp_unsupported: `${endpoint.name} is registered to Webex on ${endpoint.softwareVersion ?? 'unknown software'}: bookings can be pushed to it from CE 9.14 on (xCommand Bookings Put).` }));
        return { skipped: 'no push method for this software' };
      }
      const list = (await desired([endpointId])).get(endpointId) ?? [];
      const hash = hashOf(list);
      // A job queued behind another push to the same endpoint may find the panel current already.
      if (hash === endpoint.obtpPushedHash) return { pushed: 0, current: true };
      try {
        await endpoints.connectorFor(endpoint).pushBookings(method, list);
      } catch (error) {
        const refused = certificateErrorOf(error);
        if (refused) {
          await endpoints.certificateRefused(endpointId, refused, endpoint.certificateFingerprint);
          return { skipped: 'certificate changed' };
        }
        const message = error instanceof Error ? error.message : String(error);
        const final = ctx.attempt > PUSH_RETRIES;
        await database.transaction(async (tx) => {
          await repo.updateEndpoint(tx, endpointId, { obtpLastError: message });
          if (final) await endpoints.reconcileTickets(tx, endpointId, { obtp_push_failed: message });
        });
        if (error instanceof AppError) throw error;
        throw new AppError('UPSTREAM_FAILED', message);
      }
      await database.transaction(async (tx) => {
        await repo.updateEndpoint(tx, endpointId, { obtpPushedHash: hash, obtpPushedAt: clock.now(), obtpPushedCount: list.length, obtpMethod: method, obtpLastError: null });
        await endpoints.reconcileTickets(tx, endpointId, { obtp_push_failed: false, obtp_unsupported: false });
      });
      return { pushed: list.length, method };
  }
}
