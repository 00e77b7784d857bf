import { AppError } from '../platform/errors.ts';
import { findBookingByExternalId, findBookingsByExternalIds, listBridges, listOccurrences, type BookingRow, type BridgeRow } from './meetings.repository.ts';
import { RECURRENCE_HORIZON_DAYS, type BookingInput, type Bookings } from './bookings.service.ts';
import { asList, parseUtc, patternToRrule, type RecurrencePattern } from './tmsba/tmsba.mapping.ts';
import { inParallel } from './meetings.service.ts';
import { connectTms, type TmsConnection, type TmsSource, type WireConference, type WireSystem } from './tms-import.connector.ts';
import type { Actor } from '../platform/auth/actor.ts';
import type { JobContext } from '../platform/jobs/job-context.ts';
import type { PlatformServices } from '../platform/services.ts';

// #16 part 2: a running TMS's systems and future bookings, read through TMSBA, as Switchboard
// bookings. Every booking goes through bookings.service.ts (its pool rules, audit, change feed); the
// TMS's ExternalSourceId/ExternalPrimaryKey stay on it, so a re-run updates instead of duplicating
// and TMSXE-style clients find their bookings on the facade after cut-over. Decisions: meetings/README.md,
// "Import from a running TMS".

/** One line of the mapping file: a TMS system (SystemId or SystemName) to a bridge (id, name or address), or ignored. */
export type SystemMapping = { system: string; bridge?: string; ignore?: boolean };
export type ImportOptions = { mapping?: SystemMapping[]; horizonDays?: number };

export type SystemReport = {
  systemId: number;
  name: string;
  type: string;
  address: string;
  /** bridge: the conference runs there; dial-out: the system is called at its SIP URI; ignored: left out (mapping file). */
  mappedAs: 'bridge' | 'dial-out' | 'ignored' | 'unmappable';
  bridgeId?: string;
  bridgeName?: string;
  dialOut?: string;
  by?: 'address' | 'mapping file' | 'SIP URI';
  reason?: string;
};

export type ImportAction = 'create' | 'update' | 'unchanged' | 'conflict' | 'unmappable' | 'skipped';
export type ItemReport = {
  conferenceId: number;
  title: string;
  start: string;
  end: string;
  series: boolean;
  externalSourceId: string;
  externalPrimaryKey: string;
  action: ImportAction;
  reason?: string;
  bookingId?: string;
  bridgeId?: string;
};

export type ImportReport = {
  tms: string;
  readAt: string;
  horizonEnd: string;
  /** The last TMS transaction before the read: `--follow` replays changes after it. */
  cursor: number;
  systems: SystemReport[];
  items: ItemReport[];
  totals: Record<ImportAction, number>;
};

/** What an import did with each booking (the job's result and the follow's answer). */
export type ImportOutcome = ImportReport & { outcomes: Record<'created' | 'updated' | 'unchanged' | 'cancelled' | 'conflict' | 'failed' | 'not imported', number> };

type Modification = { at: Date; start: Date; end: Date };
type Plan = { item: ItemReport; input?: BookingInput & { start: string; end: string }; modifications: Modification[]; existing?: BookingRow };

const ACTIONS: ImportAction[] = ['create', 'update', 'unchanged', 'conflict', 'unmappable', 'skipped'];
/** The source a conference without external ids is kept under: the TMS's host, its ConferenceId the key. */
const sourceOf = (host: string) => `TMS ${host}`;
const normalAddress = (address: string) => address.trim().toLowerCase().replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '').replace(/:(80|443)$/, '');
const sipish = /^(sip:)?[^\s@]+@[^\s@]+$/i;
const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
/**
 * Conferences read, planned and booked at once. One at a time, each waited for its round trips
 * (10,000 bookings took minutes); several in flight let the bookings' group commit decide them
 * together, a few transactions instead of one each (bench/README.md, "tms"). The TMS is read at
 * TMS_READS_AT_ONCE only, as a client of a server others use too.
 */
const PLANS_AT_ONCE = 16;
const BOOKINGS_AT_ONCE = 32;
const TMS_READS_AT_ONCE = 4;

export type TmsImport = ReturnType<typeof createTmsImport>;

export function createTmsImport(services: PlatformServices, deps: { bookings: Bookings }) {
  const { database, clock, metrics } = services;
  const { bookings } = deps;
  const db = database.db;

  const open = (source: TmsSource) => connectTms(source, { metrics, ca: services.config.tlsCa });

  // ---- systems → bridges ---------------------------------------------------------------------------

  function mapSystems(systems: WireSystem[], bridges: BridgeRow[], mapping: SystemMapping[]): SystemReport[] {
    const findBridge = (ref: string) => bridges.find((b) => b.id === ref || (b.name && b.name.toLowerCase() === ref.toLowerCase()) || normalAddress(b.address) === normalAddress(ref));
    return systems.map((s) => {
      const base = { systemId: s.SystemId, name: String(s.SystemName ?? ''), type: String(s.SystemType ?? ''), address: String(s.NetworkAddress ?? '') };
      const line = mapping.find((m) => m.system === String(s.SystemId)) ?? mapping.find((m) => m.system.toLowerCase() === base.name.toLowerCase());
      if (line?.ignore) return { ...base, mappedAs: 'ignored' as const, by: 'mapping file' as const };
      if (line?.bridge) {
        const bridge = findBridge(line.bridge);
        if (!bridge) return { ...base, mappedAs: 'unmappable' as const, reason: `The mapping file names bridge "${line.bridge}", which Switchboard does not have (give its id, name or address).` };
        return { ...base, mappedAs: 'bridge' as const, bridgeId: bridge.id, bridgeName: bridge.name || bridge.address, by: 'mapping file' as const };
      }
      const byAddress = base.address ? bridges.find((b) => normalAddress(b.address) === normalAddress(base.address)) : undefined;
      if (byAddress) return { ...base, mappedAs: 'bridge' as const, bridgeId: byAddress.id, bridgeName: byAddress.name || byAddress.address, by: 'address' as const };
      const sip = String(s.SIPUri ?? '').trim();
      if (sip && sipish.test(sip)) return { ...base, mappedAs: 'dial-out' as const, dialOut: sip, by: 'SIP URI' as const };
      return { ...base, mappedAs: 'unmappable' as const, reason: `No bridge has the address ${base.address || '(none)'}, the system has no SIP URI to dial, and the mapping file does not name it.` };
    });
  }

  // ---- conferences → bookings ------------------------------------------------------------------------

  /** The series or single booking behind each listed meeting, read once each. */
  async function readConferences(tms: TmsConnection, systemIds: number[], from: Date, to: Date) {
    const meetings = systemIds.length ? await tms.getConferencesForSystems(systemIds, from, to) : [];
    const byId = new Map<number, { listed: WireConference[] }>();
    for (const m of meetings) {
      const id = Number(m.ConferenceId);
      const entry = byId.get(id) ?? { listed: [] };
      entry.listed.push(m);
      byId.set(id, entry);
    }
    const entries = [...byId];
    const result = new Array<{ conference: WireConference; listed: WireConference[] }>(entries.length);
    await inParallel(entries.map((entry, n) => ({ entry, n })), TMS_READS_AT_ONCE, async ({ entry: [id, { listed }], n }) => {
      const series = listed.some((m) => m.RecurrenceInstanceIdUTC || m.RecurrencePattern);
      // A listed single may come without participants (as GetConferencesForUser answers): then read it.
      const conference = series ? await tms.getRecurrentConferenceById(id) : listed[0].Participants ? listed[0] : await tms.getConferenceById(id);
      result[n] = { conference, listed };
    });
    return result;
  }

  async function planOne(conference: WireConference, listed: WireConference[], systems: Map<number, SystemReport>, host: string, actor: Actor): Promise<Plan> {
    const prepared = prepareOne(conference, listed, systems, host, actor);
    if (!prepared.input) return prepared;
    const existing = await findBookingByExternalId(db, prepared.input.externalSourceId!, prepared.input.externalPrimaryKey!);
    return existing ? againstExisting(prepared, existing) : againstCheck(prepared, await bookings.checkMany([prepared.input]).then((a) => a[0]));
  }

  /** What a conference asks for, before anything is read from the database: a Plan without input is its answer already. */
  function prepareOne(conference: WireConference, listed: WireConference[], systems: Map<number, SystemReport>, host: string, actor: Actor): Plan {
    const now = clock.now();
    const pattern = conference.RecurrencePattern as RecurrencePattern | undefined;
    const series = Boolean(pattern && pattern.FrequencyType && pattern.FrequencyType !== 'Default');
    const externalSourceId = String(conference.ExternalSourceId ?? '').trim() && String(conference.ExternalPrimaryKey ?? '').trim() ? String(conference.ExternalSourceId).trim() : sourceOf(host);
    const externalPrimaryKey = externalSourceId === sourceOf(host) ? String(conference.ConferenceId) : String(conference.ExternalPrimaryKey).trim();
    const item: ItemReport = {
      conferenceId: Number(conference.ConferenceId),
      title: String(conference.Title ?? ''),
      start: String(conference.StartTimeUTC ?? ''),
      end: String(conference.EndTimeUTC ?? ''),
      series,
      externalSourceId,
      externalPrimaryKey,
      action: 'create',
    };
    const skip = (action: ImportAction, reason: string): Plan => ({ item: { ...item, action, reason }, modifications: [] });
    const status = String(conference.ConferenceState?.Status ?? listed[0]?.ConferenceState?.Status ?? 'Pending');
    // ⚠ Decision (README): a defective booking never ran on TMS either; it is reported, not imported.
    if (status === 'Defective' || listed.some((m) => m.ConferenceState?.Status === 'Defective')) return skip('skipped', 'Defective on TMS (saved with BestEffortForced, never launched): fix it on TMS and run the import again.');
    if (status === 'Deleted' || Number(conference.ConferenceId) < 0) return skip('skipped', 'Deleted on TMS.');
    if (!series && status === 'Ongoing') return skip('skipped', 'Running now on TMS: it ends there; only meetings that have not started are imported.');

    let start: Date;
    let end: Date;
    try {
      start = parseUtc(conference.StartTimeUTC, 'StartTimeUTC');
      end = parseUtc(conference.EndTimeUTC, 'EndTimeUTC');
    } catch (error) {
      return skip('unmappable', (error as Error).message);
    }

    // Participants: the bridge it runs on, endpoints called at their SIP URI, dial-outs and dial-ins.
    const bridgeIds = new Set<string>();
    const dialOut: string[] = [];
    const dialIn: string[] = [];
    const problems: string[] = [];
    for (const p of asList<any>(conference.Participants?.Participant)) {
      const type = String(p?.ParticipantCallType ?? '');
      const nameOrNumber = String(p?.NameOrNumber ?? '').trim();
      if (type === 'TMS' || type === 'TMS Master Participant') {
        const system = systems.get(Number(p.ParticipantId));
        if (!system) problems.push(`system ${p.ParticipantId} (${nameOrNumber}) is not among the TMS's systems (GetSystems)`);
        else if (system.mappedAs === 'bridge') bridgeIds.add(system.bridgeId!);
        else if (system.mappedAs === 'dial-out') dialOut.push(system.dialOut!);
        else if (system.mappedAs === 'unmappable') problems.push(`system "${system.name}" (${system.address || 'no address'}) maps to nothing: ${system.reason}`);
      } else if (type.endsWith('->')) {
        if (sipish.test(nameOrNumber)) dialOut.push(nameOrNumber);
        else problems.push(`the dial-out ${nameOrNumber} (${type}) is not a SIP URI: Switchboard dials out over SIP only`);
      } else if (type.endsWith('<-')) {
        dialIn.push(nameOrNumber || type);
      } else problems.push(`participant ${nameOrNumber} has call type "${type}", which Switchboard does not book`);
    }
    if (bridgeIds.size > 1) problems.push(`it runs on ${bridgeIds.size} bridges (cascaded): a Switchboard meeting runs on one`);
    if (problems.length) return skip('unmappable', `${problems.join('; ')}.`);

    const input: BookingInput & { start: string; end: string } = {
      title: item.title.trim() || 'Scheduled Meeting',
      start: start.toISOString(),
      end: end.toISOString(),
      timeZone: 'UTC',
      organizer: String(conference.OwnerUserName ?? '').trim().toLowerCase() || actor.name,
      dialOut,
      dialIn,
      externalSourceId,
      externalPrimaryKey,
      ...(bridgeIds.size ? { bridgeId: [...bridgeIds][0] } : {}),
    };
    const modifications: Modification[] = [];
    if (series) {
      try {
        input.recurrence = patternToRrule(pattern!, start);
        const deleted: string[] = [];
        for (const e of asList(pattern!.Exceptions?.RecurrenceException)) {
          const at = parseUtc(e.RecurrenceIdUTC, 'RecurrenceIdUTC');
          if (e.ExceptionType === 'DELETE') deleted.push(at.toISOString());
          else if (e.ExceptionType === 'MODIFY') {
            const m = { at, start: parseUtc(e.ModifiedData?.StartTimeUTC, 'ModifiedData.StartTimeUTC'), end: parseUtc(e.ModifiedData?.EndTimeUTC, 'ModifiedData.EndTimeUTC') };
            // A moved meeting that has started stays with TMS, as the series' started meetings do.
            if (m.start > now) modifications.push(m);
            else deleted.push(at.toISOString());
          }
        }
        // ⚠ Decision (README): the meetings of the series that have started (an ongoing one included)
        // stay with TMS; the series is imported from its next meeting on.
        for (const i of bookings.expand({ ...input, exceptions: deleted })) if (i.startAt <= now) deleted.push(i.startAt.toISOString());
        input.exceptions = deleted;
        bookings.expand(input);
      } catch (error) {
        if (error instanceof AppError && error.code === 'VALIDATION_FAILED') {
          return skip(/no meeting/.test(error.message) ? 'skipped' : 'unmappable', /no meeting/.test(error.message) ? 'Every meeting of the series has started or is over.' : `Its recurrence cannot be booked: ${error.message}`);
        }
        throw error;
      }
    }

    return { item, input, modifications };
  }

  /** A prepared conference whose external ids Switchboard has booked already. */
  async function againstExisting({ item, input, modifications }: Plan, existing: BookingRow): Promise<Plan> {
    const withExisting = { item: { ...item, bookingId: existing.id, bridgeId: existing.bridgeId }, input, modifications, existing };
    if (existing.state !== 'booked') return { ...withExisting, item: { ...withExisting.item, action: 'skipped', reason: `Its booking in Switchboard is ${existing.state}; it is left as it is.` } };
    if (input!.bridgeId && input!.bridgeId !== existing.bridgeId) return { ...withExisting, item: { ...withExisting.item, action: 'conflict', reason: 'It moved to another bridge on TMS; a booking keeps its bridge: cancel it in Switchboard and run the import again.' } };
    const unchanged = await sameAsBooked(existing, input!, modifications);
    return { ...withExisting, item: { ...withExisting.item, action: unchanged ? 'unchanged' : 'update' } };
  }

  /** A prepared new conference, with the answer of the booking check. */
  function againstCheck({ item, input, modifications }: Plan, check: Awaited<ReturnType<Bookings['checkMany']>>[number]): Plan {
    if ('invalid' in check) return { item: { ...item, action: 'unmappable', reason: check.invalid.message }, modifications: [] };
    if ('conflict' in check) return { item: { ...item, action: 'conflict', reason: check.conflict.message, bridgeId: input!.bridgeId }, input, modifications };
    return { item: { ...item, action: 'create', bridgeId: check.bridgeId }, input, modifications };
  }

  /** Whether the booking already has what TMS has: title, people, and the same future meetings. */
  async function sameAsBooked(existing: BookingRow, input: BookingInput & { start: string; end: string }, modifications: Modification[]) {
    if (existing.title !== input.title || existing.organizer !== input.organizer) return false;
    if (!same(existing.dialOut, input.dialOut ?? []) || !same(existing.dialIn, input.dialIn ?? [])) return false;
    if ((existing.recurrence ?? undefined) !== input.recurrence) return false;
    const now = clock.now().getTime();
    const moved = new Map(modifications.map((m) => [m.at.getTime(), m]));
    const expected = bookings.expand(input).map((i) => moved.get(i.startAt.getTime()) ?? { start: i.startAt, end: i.endAt }).filter((i) => i.end.getTime() > now).map((i) => `${i.start.toISOString()}/${i.end.toISOString()}`).sort();
    const booked = (await listOccurrences(db, existing.id, 5000)).filter((o) => o.state !== 'cancelled' && o.endAt.getTime() > now).map((o) => `${o.startAt.toISOString()}/${o.endAt.toISOString()}`).sort();
    return same(expected, booked);
  }

  async function plan(tms: TmsConnection, options: ImportOptions, actor: Actor): Promise<{ report: ImportReport; plans: Plan[] }> {
    const now = clock.now();
    const horizonDays = options.horizonDays ?? RECURRENCE_HORIZON_DAYS;
    const horizonEnd = new Date(now.getTime() + horizonDays * 86_400_000);
    // The cursor first: a change made while we read is replayed by --follow (the import is idempotent).
    const cursor = Math.max(0, ...(await tms.getTransactionsSince(0)).map((t) => t.TransactionId));
    const wireSystems = await tms.getSystems();
    const systemReports = mapSystems(wireSystems, (await listBridges(db)).items, options.mapping ?? []);
    const systems = new Map(systemReports.map((s) => [s.systemId, s]));
    const read = await readConferences(tms, wireSystems.map((s) => s.SystemId), now, horizonEnd);
    // Prepared first, then the database read for all of them at once: their bookings by external id,
    // and the new ones' check (one statement per 500, not three per conference).
    const plans = read.map(({ conference, listed }) => prepareOne(conference, listed, systems, tms.host, actor));
    const wanted = plans.filter((p) => p.input);
    const existing = new Map((await findBookingsByExternalIds(db, wanted.map((p) => ({ externalSourceId: p.input!.externalSourceId!, externalPrimaryKey: p.input!.externalPrimaryKey! })))).map((b) => [`${b.externalSourceId}\n${b.externalPrimaryKey}`, b]));
    const known = (p: Plan) => existing.get(`${p.input!.externalSourceId}\n${p.input!.externalPrimaryKey}`);
    const fresh = wanted.filter((p) => !known(p));
    const checks = await bookings.checkMany(fresh.map((p) => p.input!));
    const decided = new Map<Plan, Plan>(fresh.map((p, n) => [p, againstCheck(p, checks[n]!)]));
    await inParallel(wanted.filter((p) => known(p)), PLANS_AT_ONCE, async (p) => {
      decided.set(p, await againstExisting(p, known(p)!));
    });
    for (const [n, p] of plans.entries()) plans[n] = decided.get(p) ?? p;
    plans.sort((a, b) => a.item.start.localeCompare(b.item.start) || a.item.conferenceId - b.item.conferenceId);
    const totals = Object.fromEntries(ACTIONS.map((a) => [a, 0])) as Record<ImportAction, number>;
    for (const p of plans) totals[p.item.action]++;
    return { report: { tms: tms.baseUrl, readAt: now.toISOString(), horizonEnd: horizonEnd.toISOString(), cursor, systems: systemReports, items: plans.map((p) => p.item), totals }, plans };
  }

  /** Books one planned conference; a conflict or a refusal is that booking's outcome, not the import's failure. */
  async function apply(p: Plan, actor: Actor): Promise<ItemReport & { outcome: keyof ImportOutcome['outcomes'] }> {
    const item = p.item;
    if (item.action === 'unchanged') return { ...item, outcome: 'unchanged' };
    if (!p.input || (item.action !== 'create' && item.action !== 'update')) return { ...item, outcome: item.action === 'conflict' ? 'conflict' : 'not imported' };
    try {
      let bookingId: string;
      let bridgeId: string;
      if (item.action === 'create') {
        const created = await bookings.create(p.input, actor, 'strict');
        bookingId = created.id;
        bridgeId = created.bridgeId;
      } else {
        const { title, start, end, timeZone, organizer, dialOut, dialIn, recurrence, exceptions } = p.input;
        const updated = await bookings.update(p.existing!.id, { title, start, end, timeZone, organizer, dialOut, dialIn, recurrence, exceptions: exceptions ?? [] }, actor);
        bookingId = updated.id;
        bridgeId = updated.bridgeId;
      }
      if (p.modifications.length) {
        const occurrences = await listOccurrences(db, bookingId, 5000);
        for (const m of p.modifications) {
          const occ = occurrences.find((o) => (o.recurrenceIdAt ?? o.startAt).getTime() === m.at.getTime());
          if (occ && (occ.startAt.getTime() !== m.start.getTime() || occ.endAt.getTime() !== m.end.getTime())) await bookings.updateOccurrence(bookingId, occ.id, { start: m.start.toISOString(), end: m.end.toISOString() }, actor);
        }
      }
      return { ...item, bookingId, bridgeId, outcome: item.action === 'create' ? 'created' : 'updated' };
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      return { ...item, action: error.code === 'CONFLICT' ? 'conflict' : item.action, reason: error.message, outcome: error.code === 'CONFLICT' ? 'conflict' : 'failed' };
    }
  }

  function outcomeOf(report: ImportReport, applied: (ItemReport & { outcome: keyof ImportOutcome['outcomes'] })[]): ImportOutcome {
    const outcomes = { created: 0, updated: 0, unchanged: 0, cancelled: 0, conflict: 0, failed: 0, 'not imported': 0 };
    for (const a of applied) outcomes[a.outcome]++;
    return { ...report, items: applied.map(({ outcome, ...rest }) => ({ ...rest, ...(outcome === 'failed' ? { action: 'skipped' as const } : {}) })), outcomes };
  }

  return {
    /** The dry run: what would be imported, what conflicts, what cannot be mapped and why. Changes nothing. */
    async dryRun(source: TmsSource, options: ImportOptions, actor: Actor): Promise<ImportReport> {
      const tms = await open(source);
      try {
        return (await plan(tms, options, actor)).report;
      } finally {
        await tms.close();
      }
    },

    /** The import (the job's work): plans again (TMS may have changed since the dry run), then books, with progress. */
    async run(ctx: Pick<JobContext, 'progress'>, source: TmsSource, options: ImportOptions, actor: Actor): Promise<ImportOutcome> {
      const tms = await open(source);
      try {
        await ctx.progress({ percent: 0, step: 'Reading the TMS' });
        const { report, plans } = await plan(tms, options, actor);
        const applied = new Array<Awaited<ReturnType<typeof apply>>>(plans.length);
        let done = 0;
        let shown = -1;
        // One progress write after the other, so the percentage shown never goes back.
        let progress = Promise.resolve();
        // In plan order (by start), several at a time: two that conflict with each other are decided
        // in the order they reach the group commit, which is plan order within one batch but may not
        // be across the requests in flight; either way one is booked and the other reported.
        await inParallel(plans.map((p, n) => ({ p, n })), BOOKINGS_AT_ONCE, async ({ p, n }) => {
          applied[n] = await apply(p, actor);
          const percent = Math.floor((++done / plans.length) * 100);
          if (percent !== shown) {
            shown = percent;
            const message = `${done} of ${plans.length}`;
            progress = progress.then(() => ctx.progress({ percent, step: 'Importing bookings', message }));
            await progress;
          }
        });
        return outcomeOf(report, applied);
      } finally {
        await tms.close();
      }
    },

    /**
     * One round of `--follow`: the TMS's transactions after `cursor`, each changed conference read
     * and imported again (a deleted one is cancelled here). Answers the new cursor.
     */
    async follow(source: TmsSource, options: ImportOptions & { cursor: number }, actor: Actor): Promise<ImportOutcome> {
      const tms = await open(source);
      try {
        const now = clock.now();
        const horizonEnd = new Date(now.getTime() + (options.horizonDays ?? RECURRENCE_HORIZON_DAYS) * 86_400_000);
        const transactions = await tms.getTransactionsSince(options.cursor);
        const cursor = Math.max(options.cursor, ...transactions.map((t) => t.TransactionId));
        const changed = [...new Set(transactions.map((t) => t.ConferenceId).filter((id) => id > 0))];
        const wireSystems = await tms.getSystems();
        const systemReports = mapSystems(wireSystems, (await listBridges(db)).items, options.mapping ?? []);
        const systems = new Map(systemReports.map((s) => [s.systemId, s]));
        const applied: (ItemReport & { outcome: keyof ImportOutcome['outcomes'] })[] = [];
        for (const id of changed) {
          let conference: WireConference;
          try {
            conference = await tms.getRecurrentConferenceById(id);
          } catch (error) {
            if (error instanceof AppError && error.code === 'UPSTREAM_FAILED') {
              applied.push({ conferenceId: id, title: '', start: '', end: '', series: false, externalSourceId: sourceOf(tms.host), externalPrimaryKey: String(id), action: 'skipped', reason: error.message, outcome: 'failed' });
              continue;
            }
            throw error;
          }
          const deleted = Number(conference.ConferenceId) < 0 || conference.ConferenceState?.Status === 'Deleted';
          if (deleted) {
            applied.push(await cancelImported(conference, tms.host, actor));
            continue;
          }
          const start = String(conference.StartTimeUTC ?? '');
          const pattern = conference.RecurrencePattern as RecurrencePattern | undefined;
          // A single meeting beyond the horizon waits for a later run, as the first import left it.
          if (!pattern?.FrequencyType && start && parseUtc(start, 'StartTimeUTC') > horizonEnd) continue;
          applied.push(await apply(await planOne(conference, [conference], systems, tms.host, actor), actor));
        }
        const totals = Object.fromEntries(ACTIONS.map((a) => [a, 0])) as Record<ImportAction, number>;
        for (const a of applied) totals[a.action]++;
        return outcomeOf({ tms: tms.baseUrl, readAt: now.toISOString(), horizonEnd: horizonEnd.toISOString(), cursor, systems: systemReports, items: applied, totals }, applied);
      } finally {
        await tms.close();
      }
    },
  };

  async function cancelImported(conference: WireConference, host: string, actor: Actor): Promise<ItemReport & { outcome: keyof ImportOutcome['outcomes'] }> {
    const id = Math.abs(Number(conference.ConferenceId));
    const keyed = conference.ExternalSourceId && conference.ExternalPrimaryKey;
    const source = keyed ? String(conference.ExternalSourceId) : sourceOf(host);
    const key = keyed ? String(conference.ExternalPrimaryKey) : String(id);
    const item: ItemReport = { conferenceId: id, title: String(conference.Title ?? ''), start: String(conference.StartTimeUTC ?? ''), end: String(conference.EndTimeUTC ?? ''), series: Boolean(conference.RecurrencePattern), externalSourceId: source, externalPrimaryKey: key, action: 'update', reason: 'Deleted on TMS.' };
    const existing = await findBookingByExternalId(db, source, key);
    if (!existing || existing.state === 'cancelled') return { ...item, action: 'unchanged', outcome: 'unchanged' };
    await bookings.cancel(existing.id, actor);
    return { ...item, bookingId: existing.id, bridgeId: existing.bridgeId, outcome: 'cancelled' };
  }
}
