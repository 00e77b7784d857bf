import crypto from 'node:crypto';
import rrulePkg from 'rrule';
import { normalizeRecurrence, recurrenceProblem } from './recurrence.ts';
import ical from 'ical-generator';
import { AppError, notFound } from '../platform/errors.ts';
import { EARLIEST, LATEST } from '../platform/http/inputs.ts';
import * as repo from './meetings.repository.ts';
import { peakOverlap } from './bridges.service.ts';
import { getRoutingPreference, preferenceRank, recordBookingChange } from './booking-changes.ts';
import { bridgesWithHolds, insertBookingBatch, lockSchedules } from './bookings.repository.ts';
import { assertTimeZone, formatInZone, fromWallTime, parseZoned, wallTime } from './zoned-time.ts';
import { findEndpointsByIds, findRoomConflictAt, lockEndpointSchedules, replaceRooms, roomsOfBooking } from './endpoints.repository.ts';
import { assertRoomsFree, resolveRooms, type RoomChoice } from './rooms.guard.ts';
import type { Actor } from '../platform/auth/actor.ts';
import type { Db } from '../platform/db/database.ts';
import type { PlatformServices } from '../platform/services.ts';
import type { BookingRow, BridgeRow } from './meetings.repository.ts';

const { rrulestr, RRule } = rrulePkg as unknown as typeof import('rrule');

// M8, M14: bookings take one pool slot per occurrence; a booking is refused when, at some instant of
// one of its occurrences, every slot of the bridge is already held. Decisions on one bridge are
// serialised by an advisory lock, so concurrent requests for the last slot have exactly one winner.

/** Recurring series are materialised this far ahead (their own COUNT or UNTIL may end them sooner). */
export const RECURRENCE_HORIZON_DAYS = 400;
/** The most meetings a series may have within the horizon (a daily series has 400). */
export const MAX_SERIES_MEETINGS = 1000;

export type BookingInput = {
  title: string;
  start: string;
  end?: string;
  durationMinutes?: number;
  timeZone: string;
  organizer?: string;
  passcode?: string;
  dialOut?: string[];
  dialIn?: string[];
  earlyJoinMinutes?: number;
  recurrence?: string;
  exceptions?: string[];
  bridgeId?: string;
  zone?: string;
  /** Who made the booking elsewhere, and its key there (TMSBA ExternalSourceId / ExternalPrimaryKey). */
  externalSourceId?: string;
  externalPrimaryKey?: string;
  /** #17: rooms booked with the booking, in its transaction (a room taken then refuses the booking). */
  rooms?: RoomChoice[];
};

/**
 * How a booking that does not fit is answered (TMSBA booking modes, #16): `strict` refuses it;
 * `best-effort` keeps it as `defective` — it holds no slot, so it conflicts with nothing, and it never starts.
 */
export type BookingMode = 'strict' | 'best-effort';

type Interval = { startAt: Date; endAt: Date; holdFrom: Date };

type CreatedBooking = Omit<BookingRow, 'passcodeSealed'> & { hasPasscode: boolean; occurrences: number };

function span(intervals: Interval[]) {
  let from = Infinity;
  let to = -Infinity;
  for (const i of intervals) {
    from = Math.min(from, i.holdFrom.getTime());
    to = Math.max(to, i.endAt.getTime());
  }
  return { from: new Date(from), to: new Date(to) };
}

/** The instants `intervals` hold a slot, overlapping ones merged: what a decision must read. */
export function windows(intervals: Interval[]): { from: Date; to: Date }[] {
  const sorted = intervals.map((i) => [i.holdFrom.getTime(), i.endAt.getTime()]).sort((a, b) => a[0] - b[0]);
  const merged: number[][] = [];
  for (const [from, to] of sorted) {
    const last = merged.at(-1);
    if (last && from <= last[1]) last[1] = Math.max(last[1], to);
    else merged.push([from, to]);
  }
  return merged.map(([from, to]) => ({ from: new Date(from), to: new Date(to) }));
}

/** The first instant of `intervals` at which every one of `poolSize` slots is held by `holds`. */
function conflictAmong(holds: [number, number][], poolSize: number, intervals: Interval[]) {
  for (const interval of intervals) {
    const s = interval.holdFrom.getTime();
    const e = interval.endAt.getTime();
    const overlapping: [number, number][] = [];
    for (const [hs, he] of holds) if (hs < e && he > s) overlapping.push([Math.max(hs, s), Math.min(he, e)]);
    if (overlapping.length < poolSize) continue;
    const peak = peakOverlap(overlapping);
    if (peak.count >= poolSize) return { at: new Date(peak.at), booked: peak.count };
  }
  return undefined;
}

/**
 * A meeting (from its early join to its end) lies in the years 1–9999: the route checks the times the
 * caller typed, but an end computed from a start and a duration, or a wall time in a zone behind UTC,
 * can still fall past 9999-12-31 — which the database refuses (#13).
 */
function assertStorable(holdFrom: Date, endAt: Date, zone: string) {
  if (holdFrom < EARLIEST || endAt > LATEST) {
    const iso = (d: Date) => (Number.isNaN(d.getTime()) ? 'an invalid time' : d.toISOString());
    throw new AppError('VALIDATION_FAILED', `A meeting must lie in the years 0001–9999 (UTC): this one would run from ${iso(holdFrom)} to ${iso(endAt)} (early join included; time zone ${zone}).`, { holdFrom, endAt });
  }
}

export type Bookings = ReturnType<typeof createBookings>;

export function createBookings(services: PlatformServices) {
  const { database, clock, audit, secrets } = services;
  const db = database.db;

  function expand(input: Required<Pick<BookingInput, 'start' | 'timeZone'>> & BookingInput): Interval[] {
    const zone = assertTimeZone(input.timeZone);
    const startAt = parseZoned(input.start, zone);
    const endAt = input.end ? parseZoned(input.end, zone) : input.durationMinutes ? new Date(startAt.getTime() + input.durationMinutes * 60_000) : undefined;
    if (!endAt) throw new AppError('VALIDATION_FAILED', 'Give the end or the duration of the meeting.', { issues: [{ path: 'durationMinutes', message: 'Give the end or the duration of the meeting.' }] });
    const duration = endAt.getTime() - startAt.getTime();
    if (duration <= 0) throw new AppError('VALIDATION_FAILED', 'The meeting must end after it starts.', { start: startAt, end: endAt });
    if (duration > 7 * 86_400_000) throw new AppError('VALIDATION_FAILED', 'A meeting lasts at most 7 days.');
    const early = (input.earlyJoinMinutes ?? 0) * 60_000;
    assertStorable(new Date(startAt.getTime() - early), endAt, zone);
    if (!input.recurrence) return [{ startAt, endAt, holdFrom: new Date(startAt.getTime() - early) }];
    // Recurrence is computed in wall time, so 10:00 stays 10:00 across daylight saving changes.
    // The field's problem is also an issue under `recurrence`, so a form shows it beside the field.
    const refuse = (message: string) => new AppError('VALIDATION_FAILED', message, { recurrence: input.recurrence, issues: [{ path: 'recurrence', message }] });
    const problem = recurrenceProblem(input.recurrence);
    if (problem) throw refuse(problem);
    let rule;
    try {
      rule = rrulestr(`RRULE:${normalizeRecurrence(input.recurrence)}`, { dtstart: wallTime(startAt, zone) });
    } catch (error) {
      throw refuse(`The repeat rule is not accepted: ${(error as Error).message}.`);
    }
    // FREQ=SECONDLY (or DAILY with every BYMINUTE) is a valid RRULE, and materialising it for the
    // horizon took gigabytes and minutes of the server (#13): a series repeats at most daily, and
    // gives at most MAX_SERIES_MEETINGS meetings within the horizon.
    if (rule.options.freq > RRule.DAILY) throw refuse('A series repeats at most daily (FREQ=DAILY, WEEKLY, MONTHLY or YEARLY).');
    const exceptions = new Set((input.exceptions ?? []).map((e) => parseZoned(e, zone).getTime()));
    const horizon = wallTime(new Date(clock.now().getTime() + RECURRENCE_HORIZON_DAYS * 86_400_000), zone);
    const result: Interval[] = [];
    const walls = rule.between(new Date(wallTime(startAt, zone).getTime() - 1), horizon, true, (_wall, count) => count <= MAX_SERIES_MEETINGS);
    if (walls.length > MAX_SERIES_MEETINGS) {
      throw refuse(`The recurrence gives more than ${MAX_SERIES_MEETINGS} meetings in the next ${RECURRENCE_HORIZON_DAYS} days.`);
    }
    for (const wall of walls) {
      const s = fromWallTime(wall, zone);
      // The calendar ends with year 9999 (what the database stores): so does the series.
      if (s.getTime() + duration > LATEST.getTime()) break;
      if (exceptions.has(s.getTime())) continue;
      result.push({ startAt: s, endAt: new Date(s.getTime() + duration), holdFrom: new Date(s.getTime() - early) });
    }
    if (result.length === 0) throw refuse('The recurrence gives no meeting.');
    return result;
  }

  /** The first instant at which one more meeting would not fit in the bridge's pool, if any. */
  async function findConflict(tx: Db, bridge: BridgeRow, intervals: Interval[], excludeBookingId?: string) {
    if (bridge.poolSize <= 0) return { at: intervals[0].holdFrom, booked: 0 };
    const { from, to } = span(intervals);
    const holds = (await repo.overlappingHolds(tx, bridge.id, from, to, excludeBookingId)).map((h) => [h.holdFrom.getTime(), h.endAt.getTime()] as [number, number]);
    return conflictAmong(holds, bridge.poolSize, intervals);
  }

  /** M14: bridges that could take the booking, best first (zone, preferred order, free slots, load). */
  async function candidates(tx: Db, input: BookingInput): Promise<Pick<BridgeRow, 'id'>[]> {
    // The decision reads the bridge under its lock (and says when it does not exist).
    if (input.bridgeId) return [{ id: input.bridgeId }];
    const all = (await repo.listBridges(tx)).items.filter((b) => b.allowBooking && b.poolSize > 0 && b.systemType === 'Cisco Meeting Server');
    const preference = await getRoutingPreference(tx);
    const score = (b: BridgeRow) => [input.zone && b.ipZone === input.zone ? 0 : 1, preferenceRank(preference, b.id), -(b.poolSize), b.callLegsActive ?? 0];
    return all.sort((a, b) => {
      const [x, y] = [score(a), score(b)];
      return x[0] - y[0] || x[1] - y[1] || x[2] - y[2] || x[3] - y[3];
    });
  }

  async function withBridgeLock<T>(bridgeId: string, fn: (tx: Db, bridge: BridgeRow) => Promise<T>): Promise<T> {
    return database.transaction(async (tx) => {
      await repo.lockBridgeSchedule(tx, bridgeId);
      const bridge = await repo.findBridge(tx, bridgeId);
      if (!bridge) throw notFound('Bridge', bridgeId);
      return fn(tx, bridge);
    });
  }

  // Group commit (M8 throughput): requests that arrive while a decision runs wait and are decided
  // together in the next transaction, whatever their bridges — one statement takes the locks of the
  // batch's bridges, one reads them with their holds, one inserts the rows and audit records — each
  // in arrival order against its bridge's holds, including those accepted before it in the batch.
  // One batch at a time per process: the batches are larger, and the statements per booking fewer
  // (each costs the main thread a socket write and PostgreSQL a wake-up). Across processes the
  // advisory locks still serialise the decisions per bridge, so concurrent requests for the last
  // slot keep exactly one winner.
  type Request = { input: BookingInput; intervals: Interval[]; actor: Actor; now: Date; defective?: boolean };
  type Waiting = Request & { bridgeId: string; resolve: (booking: CreatedBooking) => void; reject: (error: unknown) => void };
  let waiting: Waiting[] | undefined;

  function decide(bridgeId: string, request: Request): Promise<CreatedBooking> {
    return new Promise((resolve, reject) => {
      const entry = { ...request, bridgeId, resolve, reject };
      if (waiting) return void waiting.push(entry);
      waiting = [entry];
      void drain(waiting);
    });
  }

  async function drain(queue: Waiting[]) {
    while (queue.length) await decideBatch(queue.splice(0, 200));
    waiting = undefined;
  }

  async function decideBatch(batch: Waiting[]) {
    let outcomes: ({ booking: CreatedBooking } | { error: AppError })[];
    try {
      outcomes = await database.transaction(async (tx) => {
        const bridgeIds = [...new Set(batch.map((r) => r.bridgeId))];
        await lockSchedules(tx, bridgeIds);
        const found = await bridgesWithHolds(tx, bridgeIds.flatMap((bridgeId) => windows(batch.filter((r) => r.bridgeId === bridgeId).flatMap((r) => r.intervals)).map((w) => ({ bridgeId, ...w }))));
        const rows: BookingRow[] = [];
        const decided = batch.map(({ bridgeId, input, intervals, actor, now, defective }): { booking: CreatedBooking } | { error: AppError } => {
          const entry = found.get(bridgeId);
          if (!entry) return { error: notFound('Bridge', bridgeId) };
          const { bridge, holds } = entry;
          if (!defective) {
            if (!bridge.allowBooking) return { error: new AppError('INVALID_STATE', `${bridge.name || bridge.address} does not allow booking.`, { bridgeId: bridge.id }) };
            const conflict = bridge.poolSize <= 0 ? { at: intervals[0].holdFrom, booked: 0 } : conflictAmong(holds, bridge.poolSize, intervals);
            if (conflict) return { error: conflictError(bridge, conflict.at, input.timeZone, conflict.booked) };
            for (const i of intervals) holds.push([i.holdFrom.getTime(), i.endAt.getTime()]);
          }
          const row: BookingRow = {
            id: crypto.randomUUID(),
            bridgeId: bridge.id,
            title: input.title.trim(),
            organizer: input.organizer ?? actor.name,
            passcodeSealed: input.passcode ? secrets.seal(input.passcode) : null,
            timeZone: input.timeZone,
            startAt: intervals[0].startAt,
            endAt: intervals[0].endAt,
            earlyJoinMinutes: input.earlyJoinMinutes ?? 0,
            recurrence: input.recurrence ? normalizeRecurrence(input.recurrence) : null,
            dialOut: input.dialOut ?? [],
            dialIn: input.dialIn ?? [],
            state: defective ? 'defective' : 'booked',
            createdBy: actor.name,
            createdAt: now,
            updatedAt: now,
            // Given by the insert (the sequence); set from its answer below.
            conferenceId: 0,
            version: 1,
            externalSourceId: input.externalSourceId ?? null,
            externalPrimaryKey: input.externalPrimaryKey ?? null,
          };
          rows.push(row);
          return { booking: { ...publicBooking(row), occurrences: intervals.length } };
        });
        if (rows.length) {
          // One audit record and one feed entry per booking; the batch's rows go in one statement.
          const accepted = batch.flatMap((r, n) => {
            const outcome = decided[n];
            return 'booking' in outcome ? [{ request: r, booking: outcome.booking }] : [];
          });
          const conferenceIdOf = await insertBookingBatch(tx, {
            bookings: rows,
            occurrences: accepted.flatMap(({ request, booking }) => request.intervals.map((i) => ({ id: crypto.randomUUID(), bookingId: booking.id, bridgeId: booking.bridgeId, ...i, state: request.defective ? 'defective' : 'scheduled' }))),
            changes: accepted.map(({ request, booking }) => ({ bookingId: booking.id, change: 'created', actor: request.actor.name, at: request.now })),
            auditJson: audit.prepareMany(accepted.map(({ request, booking }) => ({ actor: request.actor, action: 'booking.create', entityType: 'booking', entityId: booking.id, after: booking }))),
          });
          for (const { booking } of accepted) booking.conferenceId = conferenceIdOf.get(booking.id) ?? 0;
          // Rooms: all the batch's locked at once (sorted), then each booking checked against the
          // others. A conflict fails the batch, which then decides each request alone: the one
          // whose room is taken is refused with it, the others are booked.
          const withRooms = accepted.filter(({ request }) => request.input.rooms?.length && !request.defective);
          if (withRooms.length) {
            await lockEndpointSchedules(tx, [...new Set(withRooms.flatMap(({ request }) => request.input.rooms!.map((r) => r.endpointId)))]);
            for (const { request, booking } of withRooms) {
              await replaceRooms(tx, booking.id, request.input.rooms!.map((r) => ({ bookingId: booking.id, endpointId: r.endpointId, connectMode: r.connectMode, private: false })));
              await assertRoomsFree(tx, booking.id, request.input.timeZone, request.now, request.input.rooms!.map((r) => r.endpointId));
            }
          }
        }
        return decided;
      });
    } catch (error) {
      if (batch.length === 1) return batch[0].reject(error);
      // Something failed the whole transaction: decide each alone, so one request cannot fail others.
      for (const request of batch) await decideBatch([request]);
      return;
    }
    batch.forEach((request, n) => {
      const outcome = outcomes[n];
      if ('booking' in outcome) request.resolve(outcome.booking);
      else request.reject(outcome.error);
    });
  }

  function conflictError(bridge: Pick<BridgeRow, 'id' | 'name' | 'address' | 'poolSize'>, at: Date, zone: string, booked: number) {
    if (bridge.poolSize <= 0) return new AppError('CONFLICT', `${bridge.name || bridge.address} has no scheduled-space pool yet (set Domain, Numeric ID Base and Numeric ID Quantity).`, { bridgeId: bridge.id });
    return new AppError('CONFLICT', `No free meeting slot on ${bridge.name || bridge.address} at ${formatInZone(at, zone)}: all ${bridge.poolSize} slots are booked (${booked} meetings).`, { bridgeId: bridge.id, at, slots: bridge.poolSize, booked });
  }

  /** Two saves of one external booking at once: the second meets the unique index, and is told so (not a 500). */
  function duplicateExternalId(error: unknown): never {
    const e = error as { code?: string; constraint?: string };
    if (e?.code === '23505' && e.constraint === 'meetings_bookings_external_id') throw new AppError('ALREADY_EXISTS', 'A booking with this ExternalSourceId and ExternalPrimaryKey exists already.');
    throw error;
  }

  function publicBooking(b: BookingRow) {
    const { passcodeSealed, ...rest } = b;
    return { ...rest, hasPasscode: passcodeSealed !== null };
  }

  return {
    expand,
    publicBooking,

    async create(input: BookingInput, actor: Actor, mode: BookingMode = 'strict') {
      if (input.rooms?.length) {
        // Automatic rooms are dialled at start as the booking's dial-outs are.
        const { automaticUris } = await resolveRooms(db, input.rooms);
        input = { ...input, dialOut: [...new Set([...(input.dialOut ?? []), ...automaticUris])] };
      }
      const intervals = expand(input);
      const now = clock.now();
      if (intervals[intervals.length - 1].endAt <= now) throw new AppError('VALIDATION_FAILED', 'The meeting is over already.');
      if (input.externalSourceId && input.externalPrimaryKey && (await repo.findBookingByExternalId(db, input.externalSourceId, input.externalPrimaryKey))) {
        throw new AppError('ALREADY_EXISTS', `A booking from ${input.externalSourceId} with key ${input.externalPrimaryKey} exists already.`, { externalSourceId: input.externalSourceId, externalPrimaryKey: input.externalPrimaryKey });
      }
      const bridgesToTry = await candidates(db, input);
      if (bridgesToTry.length === 0) {
        // Best effort still needs a bridge to keep the booking on: any Meeting Server will do.
        const anyBridge = mode === 'best-effort' && !input.bridgeId ? (await repo.listBridges(db)).items.find((b) => b.systemType === 'Cisco Meeting Server') : undefined;
        if (anyBridge) return decide(anyBridge.id, { input, intervals, actor, now, defective: true }).catch(duplicateExternalId);
        throw new AppError('CONFLICT', 'No bridge takes bookings (none has a scheduled-space pool, or booking is not allowed).');
      }
      let lastConflict: AppError | undefined;
      for (const candidate of bridgesToTry) {
        try {
          return await decide(candidate.id, { input, intervals, actor, now }).catch(duplicateExternalId);
        } catch (error) {
          if (error instanceof AppError && (error.code === 'CONFLICT' || error.code === 'INVALID_STATE') && (!input.bridgeId || mode === 'best-effort')) {
            lastConflict = error;
            continue;
          }
          throw error;
        }
      }
      if (mode === 'best-effort') return decide(bridgesToTry[0].id, { input, intervals, actor, now, defective: true }).catch(duplicateExternalId);
      throw lastConflict!;
    },

    /**
     * Whether `input` would be booked now, without booking it: the bridge it would take, or the
     * conflict that refuses it (dry runs such as the TMS import's, #16). Read without the bridge's
     * lock: the answer can change before a real booking, which decides again.
     */
    async check(input: BookingInput): Promise<{ bridgeId: string } | { conflict: AppError }> {
      const intervals = expand(input);
      const bridgesToTry = await candidates(db, input);
      if (bridgesToTry.length === 0) return { conflict: new AppError('CONFLICT', 'No bridge takes bookings (none has a scheduled-space pool, or booking is not allowed).') };
      let last: AppError | undefined;
      for (const candidate of bridgesToTry) {
        const bridge = await repo.findBridge(db, candidate.id);
        if (!bridge) throw notFound('Bridge', candidate.id);
        const conflict = await findConflict(db, bridge, intervals);
        if (!conflict) return { bridgeId: bridge.id };
        last = conflictError(bridge, conflict.at, input.timeZone, conflict.booked);
      }
      return { conflict: last! };
    },

    /**
     * `check` for many inputs at once (the TMS import's plan, #16): those naming their bridge are
     * checked against holds read in one statement per 500 inputs instead of two each; the others
     * (and a bridge that does not exist) as `check` does. Each is checked against the database
     * only, not against the others. A VALIDATION_FAILED of one input is its answer (`invalid`).
     */
    async checkMany(inputs: BookingInput[]): Promise<({ bridgeId: string } | { conflict: AppError } | { invalid: AppError })[]> {
      const answers = new Array<{ bridgeId: string } | { conflict: AppError } | { invalid: AppError }>(inputs.length);
      const alone: number[] = [];
      const named: { n: number; bridgeId: string; intervals: Interval[] }[] = [];
      for (const [n, input] of inputs.entries()) {
        if (!input.bridgeId) {
          alone.push(n);
          continue;
        }
        try {
          named.push({ n, bridgeId: input.bridgeId, intervals: expand(input) });
        } catch (error) {
          if (!(error instanceof AppError && error.code === 'VALIDATION_FAILED')) throw error;
          answers[n] = { invalid: error };
        }
      }
      for (let i = 0; i < named.length; i += 500) {
        const chunk = named.slice(i, i + 500);
        const found = await bridgesWithHolds(db, chunk.flatMap(({ bridgeId, intervals }) => windows(intervals).map((w) => ({ bridgeId, ...w }))));
        for (const { n, bridgeId, intervals } of chunk) {
          const entry = found.get(bridgeId);
          if (!entry) {
            alone.push(n);
            continue;
          }
          const { bridge, holds } = entry;
          const conflict = bridge.poolSize <= 0 ? { at: intervals[0].holdFrom, booked: 0 } : conflictAmong(holds, bridge.poolSize, intervals);
          answers[n] = conflict ? { conflict: conflictError(bridge, conflict.at, inputs[n].timeZone, conflict.booked) } : { bridgeId };
        }
      }
      for (const n of alone) {
        answers[n] = await this.check(inputs[n]).catch((error) => {
          if (error instanceof AppError && error.code === 'VALIDATION_FAILED') return { invalid: error };
          throw error;
        });
      }
      return answers;
    },

    async get(id: string) {
      const booking = await repo.findBooking(db, id);
      if (!booking) throw notFound('Booking', id);
      return { ...publicBooking(booking), occurrences: await repo.listOccurrences(db, id) };
    },

    async list(filter: repo.BookingFilter, page: { offset: number; limit: number }) {
      const result = await repo.findBookings(db, filter, page);
      return { ...result, items: result.items.map(publicBooking) };
    },

    /** Edits a booking: its scheduled occurrences are replaced and checked again. */
    async update(id: string, patch: Partial<BookingInput>, actor: Actor, options: { roomsPrivate?: boolean } = {}) {
      const before = await repo.findBooking(db, id);
      if (!before) throw notFound('Booking', id);
      if (before.state !== 'booked') throw new AppError('INVALID_STATE', `Booking ${id} is ${before.state}.`, { state: before.state });
      const rooms = patch.rooms ? await resolveRooms(db, patch.rooms) : undefined;
      const zone = patch.timeZone ?? before.timeZone;
      const merged: BookingInput = {
        title: patch.title ?? before.title,
        start: patch.start ?? before.startAt.toISOString(),
        end: patch.end ?? (patch.durationMinutes ? undefined : patch.start ? undefined : before.endAt.toISOString()),
        durationMinutes: patch.durationMinutes ?? (patch.start && !patch.end ? (before.endAt.getTime() - before.startAt.getTime()) / 60_000 : undefined),
        timeZone: zone,
        earlyJoinMinutes: patch.earlyJoinMinutes ?? before.earlyJoinMinutes,
        recurrence: patch.recurrence ?? before.recurrence ?? undefined,
        exceptions: patch.exceptions,
      };
      const timesChanged = patch.start !== undefined || patch.end !== undefined || patch.durationMinutes !== undefined || patch.recurrence !== undefined || patch.exceptions !== undefined || patch.earlyJoinMinutes !== undefined || patch.timeZone !== undefined;
      const now = clock.now();
      const intervals = timesChanged ? expand(merged).filter((i) => i.endAt > now) : undefined;
      return withBridgeLock(before.bridgeId, async (tx, bridge) => {
        if (intervals) {
          if (intervals.length === 0) throw new AppError('VALIDATION_FAILED', 'The edited booking has no meeting in the future.');
          const conflict = await findConflict(tx, bridge, intervals, id);
          if (conflict) throw conflictError(bridge, conflict.at, zone, conflict.booked);
        }
        const changes: Partial<BookingRow> = { updatedAt: now, version: before.version + 1 };
        if (patch.title !== undefined) changes.title = patch.title.trim();
        if (patch.organizer !== undefined) changes.organizer = patch.organizer;
        if (patch.passcode !== undefined) changes.passcodeSealed = patch.passcode ? secrets.seal(patch.passcode) : null;
        if (patch.dialOut !== undefined) changes.dialOut = patch.dialOut;
        if (patch.dialIn !== undefined) changes.dialIn = patch.dialIn;
        if (patch.rooms && rooms) {
          // The booking's automatic rooms are its dial-outs: the previous ones are replaced there, other dial-outs stay.
          const previous = await roomsOfBooking(tx, id);
          const dropped = new Set((await findEndpointsByIds(tx, previous.filter((r) => r.connectMode === 'automatic').map((r) => r.endpointId))).flatMap((e) => (e.sipUri ? [e.sipUri] : [])));
          const dialOut = [...new Set([...(changes.dialOut ?? before.dialOut).filter((uri) => !dropped.has(uri.replace(/^sip:/i, ''))), ...rooms.automaticUris])];
          if (dialOut.join('\n') !== before.dialOut.join('\n')) changes.dialOut = dialOut;
          const roomsPrivate = options.roomsPrivate ?? previous.some((r) => r.private);
          await replaceRooms(tx, id, patch.rooms.map((r) => ({ bookingId: id, endpointId: r.endpointId, connectMode: r.connectMode, private: roomsPrivate })));
          await audit.record({ actor, action: 'booking.rooms', entityType: 'booking', entityId: id, before: previous, after: { rooms: patch.rooms, private: roomsPrivate } }, tx);
        }
        if (intervals) {
          Object.assign(changes, { timeZone: zone, startAt: intervals[0].startAt, endAt: intervals[0].endAt, earlyJoinMinutes: merged.earlyJoinMinutes, recurrence: merged.recurrence ? normalizeRecurrence(merged.recurrence) : null });
          await repo.deleteScheduledOccurrences(tx, id);
          await repo.insertOccurrences(tx, intervals.map((i) => ({ id: crypto.randomUUID(), bookingId: id, bridgeId: bridge.id, ...i, state: 'scheduled' })));
        }
        // New times or new rooms: the rooms must be free then (a conflict undoes the whole edit).
        if (intervals || patch.rooms) await assertRoomsFree(tx, id, zone, now);
        await repo.updateBooking(tx, id, changes);
        const after = { ...before, ...changes };
        await audit.record({ actor, action: 'booking.update', entityType: 'booking', entityId: id, before: publicBooking(before), after: publicBooking(after) }, tx);
        await recordBookingChange(tx, { bookingId: id, change: 'updated', actor, at: now });
        return publicBooking(after);
      });
    },

    async cancel(id: string, actor: Actor) {
      const before = await repo.findBooking(db, id);
      if (!before) throw notFound('Booking', id);
      return withBridgeLock(before.bridgeId, async (tx) => {
        if (before.state === 'cancelled') return publicBooking(before);
        await repo.cancelScheduledOccurrences(tx, id);
        await repo.updateBooking(tx, id, { state: 'cancelled', updatedAt: clock.now(), version: before.version + 1 });
        await recordBookingChange(tx, { bookingId: id, change: 'cancelled', actor, at: clock.now() });
        await audit.record({ actor, action: 'booking.cancel', entityType: 'booking', entityId: id, before: publicBooking(before), after: { ...publicBooking(before), state: 'cancelled' } }, tx);
        return { ...publicBooking(before), state: 'cancelled' };
      });
    },

    /**
     * Per-occurrence edit: move or cancel one meeting of a series, or give it its own dial-outs
     * (`dialOut: null` returns it to the series' list) (M8).
     */
    async updateOccurrence(bookingId: string, occurrenceId: string, patch: { start?: string; end?: string; cancel?: boolean; dialOut?: string[] | null }, actor: Actor) {
      const booking = await repo.findBooking(db, bookingId);
      if (!booking) throw notFound('Booking', bookingId);
      return withBridgeLock(booking.bridgeId, async (tx, bridge) => {
        const occ = await repo.findOccurrence(tx, occurrenceId, { forUpdate: true });
        if (!occ || occ.bookingId !== bookingId) throw notFound('Occurrence', occurrenceId);
        if (occ.state !== 'scheduled') throw new AppError('INVALID_STATE', `This meeting is ${occ.state}; only scheduled meetings can be edited.`);
        let changes: Partial<repo.OccurrenceRow>;
        if (patch.cancel) changes = { state: 'cancelled' };
        else if (patch.start === undefined && patch.end === undefined) {
          if (patch.dialOut === undefined) throw new AppError('VALIDATION_FAILED', 'Give a new start, end or dial-out list, or cancel the meeting.');
          changes = { dialOut: patch.dialOut, edited: true };
        } else {
          const startAt = patch.start ? parseZoned(patch.start, booking.timeZone) : occ.startAt;
          const endAt = patch.end ? parseZoned(patch.end, booking.timeZone) : new Date(startAt.getTime() + (occ.endAt.getTime() - occ.startAt.getTime()));
          if (endAt <= startAt) throw new AppError('VALIDATION_FAILED', 'The meeting must end after it starts.');
          const holdFrom = new Date(startAt.getTime() - booking.earlyJoinMinutes * 60_000);
          assertStorable(holdFrom, endAt, booking.timeZone);
          await repo.updateOccurrence(tx, occ.id, { state: 'cancelled' });
          const conflict = await findConflict(tx, bridge, [{ startAt, endAt, holdFrom }]);
          if (conflict) throw conflictError(bridge, conflict.at, booking.timeZone, conflict.booked);
          changes = { startAt, endAt, holdFrom, state: 'scheduled', edited: true, recurrenceIdAt: occ.recurrenceIdAt ?? occ.startAt, ...(patch.dialOut !== undefined ? { dialOut: patch.dialOut } : {}) };
        }
        await repo.updateOccurrence(tx, occ.id, changes);
        if (changes.startAt) await assertRoomsFree(tx, bookingId, booking.timeZone, clock.now());
        await repo.bumpBookingVersion(tx, bookingId, clock.now());
        await audit.record({ actor, action: patch.cancel ? 'occurrence.cancel' : 'occurrence.update', entityType: 'booking', entityId: bookingId, before: occ, after: { ...occ, ...changes } }, tx);
        await recordBookingChange(tx, { bookingId, occurrenceId: occ.id, change: patch.cancel ? 'occurrence-cancelled' : 'occurrence-updated', actor, at: clock.now() });
        return { ...occ, ...changes };
      });
    },

    /**
     * Series without COUNT or UNTIL have no last meeting: once a day the scheduler materialises
     * what has come inside the horizon. A meeting that no longer fits is kept as failed with the reason.
     */
    async extendOpenSeries() {
      const now = clock.now();
      let added = 0;
      for (const booking of await repo.openEndedSeries(db)) {
        if (/;?(COUNT|UNTIL)=/i.test(booking.recurrence ?? '')) continue;
        const last = await repo.lastOccurrenceStart(db, booking.id);
        if (last && last.getTime() > now.getTime() + (RECURRENCE_HORIZON_DAYS - 7) * 86_400_000) continue;
        const intervals = expand({ title: booking.title, start: booking.startAt.toISOString(), end: booking.endAt.toISOString(), timeZone: booking.timeZone, recurrence: booking.recurrence!, earlyJoinMinutes: booking.earlyJoinMinutes }).filter((i) => !last || i.startAt > last);
        if (!intervals.length) continue;
        await withBridgeLock(booking.bridgeId, async (tx, bridge) => {
          // Another instance may have extended the series meanwhile: decide again under the lock.
          const lastNow = await repo.lastOccurrenceStart(tx, booking.id);
          // #17: the series' rooms are one place at one time too. Rooms belong to the booking, not
          // to a meeting, so a meeting whose room is taken then is kept as failed naming the room
          // and the other meeting, as one whose bridge is full; the room is never booked twice.
          const rooms = (await roomsOfBooking(tx, booking.id)).map((r) => r.endpointId);
          await lockEndpointSchedules(tx, rooms);
          const roomNames = new Map((await findEndpointsByIds(tx, rooms)).map((e) => [e.id, e.name]));
          const rows = [];
          for (const interval of intervals.filter((i) => !lastNow || i.startAt > lastNow)) {
            const conflict = await findConflict(tx, bridge, [interval]);
            const room = conflict ? undefined : await findRoomConflictAt(tx, booking.id, rooms, interval.startAt, interval.endAt);
            const error = conflict ? conflictError(bridge, conflict.at, booking.timeZone, conflict.booked).message
              : room ? `${roomNames.get(room.endpointId) ?? room.endpointId} is already booked from ${formatInZone(room.startAt, booking.timeZone)} to ${formatInZone(room.endAt, booking.timeZone)} (${room.title}).`
              : null;
            rows.push({ id: crypto.randomUUID(), bookingId: booking.id, bridgeId: bridge.id, ...interval, state: error ? 'failed' : 'scheduled', error });
            if (!error) await repo.insertOccurrences(tx, [rows.pop()!]);
          }
          await repo.insertOccurrences(tx, rows);
          const scheduler = { type: 'system' as const, id: null, name: 'scheduler', role: 'system' as const, customerOrgId: null };
          await audit.record({ actor: scheduler, action: 'booking.series-extended', entityType: 'booking', entityId: booking.id, after: { added: intervals.length, refused: rows.length } }, tx);
          await recordBookingChange(tx, { bookingId: booking.id, change: 'series-extended', actor: scheduler, at: clock.now() });
        });
        added += intervals.length;
      }
      return { added };
    },

    /** iCalendar: one booking (its series), or a feed of a bridge's or an organizer's meetings. */
    async ical(filter: { bookingId?: string; bridgeId?: string; organizer?: string }) {
      const calendar = ical({ name: 'Switchboard meetings', prodId: { company: 'Switchboard', product: 'meetings' } });
      if (filter.bookingId) {
        const booking = await repo.findBooking(db, filter.bookingId);
        if (!booking) throw notFound('Booking', filter.bookingId);
        const occs = await repo.listOccurrences(db, booking.id, 5000);
        for (const occ of occs) {
          calendar.createEvent({ id: occ.id, start: occ.startAt, end: occ.endAt, timezone: booking.timeZone, summary: booking.title, description: `Organizer: ${booking.organizer}`, stamp: booking.updatedAt, ...(occ.state === 'cancelled' ? { status: 'CANCELLED' as never } : {}) });
        }
      } else {
        const now = clock.now();
        const rows = await repo.upcomingOccurrences(db, { bridgeId: filter.bridgeId, organizer: filter.organizer }, new Date(now.getTime() - 30 * 86_400_000), new Date(now.getTime() + 366 * 86_400_000));
        for (const { occurrence, booking } of rows) calendar.createEvent({ id: occurrence.id, start: occurrence.startAt, end: occurrence.endAt, timezone: booking.timeZone, summary: booking.title, description: `Organizer: ${booking.organizer}`, stamp: booking.updatedAt });
      }
      return calendar.toString();
    },

    passcodeOf(booking: BookingRow): string | undefined {
      return booking.passcodeSealed ? secrets.open(booking.passcodeSealed) : undefined;
    },
  };
}
