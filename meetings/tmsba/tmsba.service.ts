import { AppError } from '../../platform/errors.ts';
import { roleHas } from '../../platform/auth/roles.ts';
import { findUserByUsername, findUsers } from '../../platform/auth/auth.repository.ts';
import { readBookingChanges } from '../booking-changes.ts';
import { formatInZone } from '../zoned-time.ts';
import * as reads from './tmsba.repository.ts';
import { findBooking, findBookingByExternalId } from '../meetings.repository.ts';
import {
  CONFERENCE_STATUSES, TMS_ERROR, asList, formatUtc, invalid, parseUtc, patternToRrule, rruleToPattern, statusMatches, statusOf, tmsError,
  type ConferenceStatus, type RecurrenceException, type RecurrencePattern,
} from './tmsba.mapping.ts';
import type { Actor } from '../../platform/auth/actor.ts';
import type { PlatformServices } from '../../platform/services.ts';
import type { BookingInput, BookingMode, Bookings } from '../bookings.service.ts';
import type { Meetings } from '../meetings.service.ts';
import type { BookingRow, BridgeRow, OccurrenceRow } from '../meetings.repository.ts';
import type { Mailer } from '../../platform/mail/mailer.ts';

// The TMSBA operations (#16) on Switchboard's bookings: a Conference is a booking (a series as a
// whole) or one meeting of a series; every rule stays in bookings.service.ts and meetings.service.ts.

/** What one SOAP request carries besides its body: who calls, which API version it speaks. */
export type TmsbaCall = { actor: Actor; version: number; trackingId: string };

/** Switchboard's outgoing email (platform/mail). */
export type BookingMailer = Mailer;

type Conference = Record<string, any>;

const DEFAULT_DURATION_MINUTES = 60;
const LIST_LIMIT = 5000;
const FEED_PAGE = 1000;
const sipUri = /^(sip:)?[^\s@]+@[^\s@]+$/;

export type Tmsba = ReturnType<typeof createTmsba>;

export function createTmsba(services: PlatformServices, deps: { bookings: Bookings; meetings: Meetings; mailer: () => BookingMailer | null }) {
  const { database, clock, logger } = services;
  const { bookings, meetings } = deps;
  const db = database.db;

  function requireBooker(call: TmsbaCall) {
    if (!roleHas(call.actor.role, 'bookings.manage')) {
      throw tmsError('FORBIDDEN', TMS_ERROR.NO_ACCESS_TO_CONFERENCE, `Your role (${call.actor.role}) may not book (needs bookings.manage: booker and up).`, { permission: 'bookings.manage', role: call.actor.role });
    }
  }

  /** Bookers act on their own bookings; admins with bookings.manage on anyone's (TMS: "Book on behalf of"). */
  function mayActFor(call: TmsbaCall, organizer: string) {
    return call.actor.role !== 'booker' || call.actor.name === organizer;
  }

  async function load(conferenceId: unknown, call: TmsbaCall) {
    const id = int(conferenceId, 'ConferenceId');
    const found = await reads.findByConferenceId(db, id);
    if (!found) throw tmsError('NOT_FOUND', TMS_ERROR.MEETINGNOTFOUND, `No conference with ConferenceId ${id}.`, { conferenceId: id });
    if (!mayActFor(call, found.booking.organizer)) throw tmsError('FORBIDDEN', TMS_ERROR.NO_ACCESS_TO_CONFERENCE, `Conference ${id} belongs to ${found.booking.organizer}; a booker acts on their own conferences only.`, { conferenceId: id });
    return found;
  }

  async function loadByExternalId(source: unknown, key: unknown, call: TmsbaCall) {
    const s = text(source, 'ExternalSourceId');
    const k = text(key, 'ExternalConferenceId');
    const booking = await findBookingByExternalId(db, s, k);
    if (!booking) throw tmsError('NOT_FOUND', TMS_ERROR.MEETINGNOTFOUND, `No conference from ${s} with key ${k}.`, { externalSourceId: s, externalPrimaryKey: k });
    if (!mayActFor(call, booking.organizer)) throw tmsError('FORBIDDEN', TMS_ERROR.NO_ACCESS_TO_CONFERENCE, `That conference belongs to ${booking.organizer}.`);
    return booking;
  }

  // ---- Booking -> Conference --------------------------------------------------------------------

  /** The TMS id a meeting is shown with: its booking's for a single meeting, its own in a series. */
  const conferenceIdOf = (booking: BookingRow, occurrence?: OccurrenceRow) => (booking.recurrence && occurrence ? occurrence.conferenceId : booking.conferenceId);

  /**
   * A Conference in the schema's element order (the serialiser writes keys in insertion order).
   * `occurrence`: one meeting; none: the booking (a series with its pattern and exceptions).
   */
  async function toConference(booking: BookingRow, call: TmsbaCall, options: { occurrence?: OccurrenceRow; occurrences?: OccurrenceRow[]; brief?: boolean; bridge?: BridgeRow } = {}): Promise<Conference> {
    const v = call.version;
    const all = options.occurrences ?? (await reads.listOccurrencesOf(db, booking.id));
    const occurrence = options.occurrence;
    const first = all[0];
    const series = Boolean(booking.recurrence);
    const shown = occurrence ?? (series ? undefined : first);
    const start = shown?.startAt ?? booking.startAt;
    const end = shown?.endAt ?? booking.endAt;
    const bridge = options.bridge ?? (await reads.findBridgeById(db, booking.bridgeId));
    const c: Conference = { ConferenceId: conferenceIdOf(booking, occurrence), Title: booking.title, StartTimeUTC: formatUtc(start, v), EndTimeUTC: formatUtc(end, v) };
    if (series && occurrence) {
      c.RecurrenceInstanceIdUTC = formatUtc(occurrence.recurrenceIdAt ?? occurrence.startAt, v);
      if (occurrence.state === 'cancelled') c.RecurrenceInstanceType = 'deleted';
      else if (occurrence.edited) c.RecurrenceInstanceType = 'modify';
      c.FirstOccurrenceRecInstanceIdUTC = formatUtc(booking.startAt, v);
    }
    if (series && !occurrence) {
      c.FirstOccurrenceRecInstanceIdUTC = formatUtc(booking.startAt, v);
      c.RecurrencePattern = { ...rruleToPattern(booking.recurrence!, booking.startAt, v), Exceptions: options.brief ? undefined : { RecurrenceException: exceptionsOf(booking, all, v) } };
      if (options.brief) delete c.RecurrencePattern.Exceptions;
    }
    Object.assign(c, {
      // Switchboard's users have no numeric id: 0 (⚠ README).
      OwnerId: 0,
      OwnerUserName: booking.organizer,
      ConferenceType: 'Automatic Call Launch',
      Bandwidth: 'Default',
      PictureMode: 'Default',
      Encrypted: 'Default',
      DataConference: 'Default',
      ShowExtendOption: 'Default',
      // The conference's PIN is a secret (sealed at rest, never answered): not sent back.
      ISDNRestrict: false,
    });
    if (booking.externalSourceId) c.ExternalSourceId = booking.externalSourceId;
    if (booking.externalPrimaryKey) c.ExternalPrimaryKey = booking.externalPrimaryKey;
    if (!options.brief) c.Participants = participantsOf(booking, occurrence, bridge);
    if (v >= 14) {
      c.ConferenceState = { Status: statusOf(booking.state, (occurrence ?? (series ? undefined : first))?.state) };
      // The save after a read must carry it: a booking changed meanwhile is refused (optimistic lock).
      c.Version = booking.version;
    }
    return c;
  }

  function participantsOf(booking: BookingRow, occurrence: OccurrenceRow | undefined, bridge: BridgeRow | undefined) {
    const list: Conference[] = [];
    if (bridge) list.push({ ParticipantId: bridge.systemId, NameOrNumber: bridge.name || bridge.address, ParticipantCallType: 'TMS' });
    let n = 1;
    for (const uri of occurrence?.dialOut ?? booking.dialOut) list.push({ ParticipantId: n++, NameOrNumber: uri, ParticipantCallType: 'SIP ->' });
    for (const name of booking.dialIn) list.push({ ParticipantId: n++, NameOrNumber: name, ParticipantCallType: 'SIP <-' });
    return { Participant: list };
  }

  /** Meetings the series gave that are gone or cancelled (DELETE) or moved (MODIFY). */
  function exceptionsOf(booking: BookingRow, all: OccurrenceRow[], v: number): RecurrenceException[] {
    const result: RecurrenceException[] = [];
    const present = new Set(all.map((o) => (o.recurrenceIdAt ?? o.startAt).getTime()));
    try {
      const nominal = bookings.expand({ title: booking.title, start: booking.startAt.toISOString(), end: booking.endAt.toISOString(), timeZone: booking.timeZone, recurrence: booking.recurrence!, earlyJoinMinutes: booking.earlyJoinMinutes });
      const last = all.at(-1)?.startAt.getTime() ?? 0;
      for (const i of nominal) {
        if (i.startAt.getTime() > last) break;
        if (!present.has(i.startAt.getTime())) result.push({ ExceptionType: 'DELETE', RecurrenceIdUTC: formatUtc(i.startAt, v), RecurrenceIdRange: 'None', ModifiedMask: 0 });
      }
    } catch {
      // A series whose pattern gives nothing any more (all of it past): only its rows tell.
    }
    for (const o of all) {
      const id = formatUtc(o.recurrenceIdAt ?? o.startAt, v);
      if (o.state === 'cancelled') result.push({ ExceptionType: 'DELETE', RecurrenceIdUTC: id, RecurrenceIdRange: 'None', ModifiedMask: 0 });
      else if (o.edited && o.recurrenceIdAt) {
        result.push({ ExceptionType: 'MODIFY', RecurrenceIdUTC: id, RecurrenceIdRange: 'None', ModifiedMask: 0, ModifiedData: { ConferenceId: o.conferenceId, Title: booking.title, StartTimeUTC: formatUtc(o.startAt, v), EndTimeUTC: formatUtc(o.endAt, v), OwnerId: 0, ConferenceType: 'Automatic Call Launch', Bandwidth: 'Default', PictureMode: 'Default', Encrypted: 'Default', DataConference: 'Default', ShowExtendOption: 'Default', ISDNRestrict: false } });
      }
    }
    return result.sort((a, b) => String(a.RecurrenceIdUTC).localeCompare(String(b.RecurrenceIdUTC)));
  }

  // ---- Conference -> booking --------------------------------------------------------------------

  type Parsed = {
    input: BookingInput & { start: string; end: string };
    modifications: { at: Date; start: Date; end: Date }[];
    patternGiven: boolean;
    participantsGiven: boolean;
  };

  async function fromConference(conference: Conference | undefined, call: TmsbaCall, existing?: BookingRow): Promise<Parsed> {
    if (!conference || typeof conference !== 'object') throw invalid('Conference', 'is missing');
    const start = parseUtc(conference.StartTimeUTC, 'Conference.StartTimeUTC');
    const end = parseUtc(conference.EndTimeUTC, 'Conference.EndTimeUTC');
    if (end <= start) throw invalid('Conference.EndTimeUTC', 'must be after StartTimeUTC');
    const title = conference.Title === undefined || conference.Title === null || String(conference.Title).trim() === '' ? (existing?.title ?? 'Scheduled Meeting') : String(conference.Title);
    if (title.length > 255) throw invalid('Conference.Title', 'is longer than 255 characters');
    const input: Parsed['input'] = { title, start: start.toISOString(), end: end.toISOString(), timeZone: existing?.timeZone ?? 'UTC' };

    const owner = conference.OwnerUserName ? String(conference.OwnerUserName).toLowerCase() : undefined;
    if (owner && owner !== (existing?.organizer ?? call.actor.name)) {
      if (call.actor.role === 'booker') throw tmsError('FORBIDDEN', TMS_ERROR.NO_ACCESS_TO_CONFERENCE, `A booker books for themselves only (OwnerUserName ${owner}).`, { owner });
      if (!(await findUserByUsername(db, owner))) throw tmsError('NOT_FOUND', TMS_ERROR.ERR_USER_NOT_FOUND, `No user named ${owner}.`, { owner });
    }
    if (!existing) input.organizer = owner ?? call.actor.name;
    else if (owner) input.organizer = owner;

    if (conference.Password !== undefined && conference.Password !== null && String(conference.Password) !== '') {
      const pin = String(conference.Password);
      if (!/^\d{1,20}$/.test(pin)) throw invalid('Conference.Password', 'must be digits only (at most 20): it is the meeting\'s PIN');
      input.passcode = pin;
    }

    const participantsGiven = conference.Participants !== undefined && conference.Participants !== null;
    if (participantsGiven) {
      const dialOut: string[] = [];
      const dialIn: string[] = [];
      let bridge: BridgeRow | undefined;
      for (const [i, p] of asList<Conference>(conference.Participants?.Participant).entries()) {
        const field = `Conference.Participants[${i}]`;
        const type = String(p?.ParticipantCallType ?? '');
        const nameOrNumber = String(p?.NameOrNumber ?? '').trim();
        if (type === 'TMS' || type === 'TMS Master Participant') {
          const systemId = int(p.ParticipantId, `${field}.ParticipantId`);
          const found = await reads.findBridgeBySystemId(db, systemId);
          if (!found) throw tmsError('NOT_FOUND', TMS_ERROR.SYSTEMNOTFOUND, `No system with SystemId ${systemId} (GetSystems lists them).`, { systemId });
          if (bridge && bridge.id !== found.id) throw invalid(field, 'names a second bridge: a conference runs on one bridge');
          bridge = found;
        } else if (type.endsWith('->')) {
          if (!sipUri.test(nameOrNumber) || nameOrNumber.length > 255) throw invalid(`${field}.NameOrNumber`, `must be a SIP URI such as alice@example.com (Switchboard dials out over SIP), not "${nameOrNumber}"`);
          dialOut.push(nameOrNumber);
        } else if (type.endsWith('<-')) {
          if (!nameOrNumber || nameOrNumber.length > 255) throw invalid(`${field}.NameOrNumber`, 'must name the dial-in participant (1–255 characters)');
          dialIn.push(nameOrNumber);
        } else {
          throw invalid(`${field}.ParticipantCallType`, `${type || '(none)'} is not supported (TMS, dial-outs "… ->" and dial-ins "… <-" are)`);
        }
      }
      if (dialOut.length > 100) throw invalid('Conference.Participants', 'has more than 100 dial-outs');
      input.dialOut = dialOut;
      input.dialIn = dialIn;
      if (bridge) input.bridgeId = bridge.id;
    }

    const pattern = conference.RecurrencePattern as RecurrencePattern | undefined;
    const modifications: Parsed['modifications'] = [];
    let patternGiven = false;
    if (pattern && typeof pattern === 'object') {
      const rrule = patternToRrule(pattern, start);
      if (rrule) {
        patternGiven = true;
        input.recurrence = rrule;
        // TMSBA's days are UTC days: the series recurs in UTC (⚠ README: ConferenceTimeZoneRules are not applied).
        input.timeZone = 'UTC';
        const deleted: string[] = [];
        for (const [i, e] of asList(pattern.Exceptions?.RecurrenceException).entries()) {
          const field = `RecurrencePattern.Exceptions[${i}]`;
          const at = parseUtc(e.RecurrenceIdUTC, `${field}.RecurrenceIdUTC`);
          if (e.RecurrenceIdRange && e.RecurrenceIdRange !== 'None' && e.RecurrenceIdRange !== 'Default') throw invalid(`${field}.RecurrenceIdRange`, 'must be None: an exception changes one meeting');
          if (e.ExceptionType === 'DELETE') deleted.push(at.toISOString());
          else if (e.ExceptionType === 'MODIFY') {
            const data = e.ModifiedData ?? {};
            modifications.push({ at, start: parseUtc(data.StartTimeUTC, `${field}.ModifiedData.StartTimeUTC`), end: parseUtc(data.EndTimeUTC, `${field}.ModifiedData.EndTimeUTC`) });
          } else throw invalid(`${field}.ExceptionType`, `${e.ExceptionType ?? '(none)'} is not supported (DELETE and MODIFY are; add a meeting with SaveConference)`);
        }
        input.exceptions = deleted;
      }
    }
    if (existing && !patternGiven && existing.recurrence) {
      // A series saved without its pattern stays the series it was.
      input.recurrence = existing.recurrence;
    }
    if (conference.ExternalSourceId) input.externalSourceId = text(conference.ExternalSourceId, 'Conference.ExternalSourceId');
    if (conference.ExternalPrimaryKey) input.externalPrimaryKey = text(conference.ExternalPrimaryKey, 'Conference.ExternalPrimaryKey');
    return { input, modifications, patternGiven, participantsGiven };
  }

  async function applyModifications(booking: { id: string }, modifications: Parsed['modifications'], call: TmsbaCall) {
    if (!modifications.length) return;
    const all = await reads.listOccurrencesOf(db, booking.id);
    for (const m of modifications) {
      const occ = all.find((o) => (o.recurrenceIdAt ?? o.startAt).getTime() === m.at.getTime());
      if (!occ) throw tmsError('NOT_FOUND', TMS_ERROR.INSTANCE_NOT_FOUND_WITHIN_PATTERN, `No such occurrence: the series has no meeting at ${m.at.toISOString()}.`, { recurrenceIdUTC: m.at });
      await bookings.updateOccurrence(booking.id, occ.id, { start: m.start.toISOString(), end: m.end.toISOString() }, call.actor);
    }
  }

  /** Save lookup of reference/tmsba.md §8: external key first, then ConferenceId (<= 0: new). */
  async function existingFor(conference: Conference, call: TmsbaCall): Promise<BookingRow | undefined> {
    if (conference?.ExternalSourceId && conference?.ExternalPrimaryKey) {
        const found = await findBookingByExternalId(db, String(conference.ExternalSourceId), String(conference.ExternalPrimaryKey));
      if (found) {
        if (!mayActFor(call, found.organizer)) throw tmsError('FORBIDDEN', TMS_ERROR.NO_ACCESS_TO_CONFERENCE, `That conference belongs to ${found.organizer}.`);
        return found;
      }
    }
    const id = conference?.ConferenceId === undefined || conference?.ConferenceId === null || conference?.ConferenceId === '' ? -1 : int(conference.ConferenceId, 'Conference.ConferenceId');
    if (id <= 0) return undefined;
    return (await load(id, call)).booking;
  }

  function conflictFault(error: unknown): never {
    if (error instanceof AppError && error.code === 'CONFLICT') throw tmsError('CONFLICT', TMS_ERROR.SYSTEM_ALREADY_BOOKED, error.message, asRecord(error.details));
    throw error;
  }

  async function save(conference: Conference, mode: BookingMode, call: TmsbaCall, mail: boolean): Promise<Conference> {
    requireBooker(call);
    const existing = await existingFor(conference, call);
    const parsed = await fromConference(conference, call, existing);
    let bookingId: string;
    if (!existing) {
      if (new Date(parsed.input.end) <= clock.now()) throw tmsError('VALIDATION_FAILED', TMS_ERROR.CANNOTBOOKINTHEPAST, 'The conference is over already: it cannot be booked in the past.');
      const created = await bookings.create(parsed.input, call.actor, mode).catch(conflictFault);
      bookingId = created.id;
    } else {
      bookingId = existing.id;
      if (existing.state === 'cancelled') throw tmsError('INVALID_STATE', TMS_ERROR.MEETINGISDELETED, `Conference ${existing.conferenceId} is deleted.`);
      if (conference.Version !== undefined && conference.Version !== null && String(conference.Version) !== '' && Number(conference.Version) !== existing.version) {
        throw new AppError('CONFLICT', `Conference ${existing.conferenceId} changed since Version ${conference.Version} was read (now ${existing.version}): read it again and save again.`, { version: existing.version });
      }
      if (parsed.input.bridgeId && parsed.input.bridgeId !== existing.bridgeId) throw invalid('Conference.Participants', 'names another bridge than the one the conference is booked on: moving a conference to another bridge is not supported');
      await bookings.update(existing.id, patchFor(existing, parsed), call.actor).catch(conflictFault);
    }
    await applyModifications({ id: bookingId }, parsed.modifications, call).catch(conflictFault);
    const booking = await bookingById(bookingId);
    const answer = await toConference(booking, call);
    if (mail) void sendConfirmation(booking, conference, call);
    return answer;
  }

  async function bookingById(id: string) {
    return (await findBooking(db, id))!;
  }

  /** Only what changed goes to the update: unchanged times would re-create the series' meetings (and drop their edits). */
  function patchFor(existing: BookingRow, parsed: Parsed): Partial<BookingInput> {
    const { input } = parsed;
    const patch: Partial<BookingInput> = {};
    if (input.title !== existing.title) patch.title = input.title;
    if (input.organizer && input.organizer !== existing.organizer) patch.organizer = input.organizer;
    if (input.passcode !== undefined) patch.passcode = input.passcode;
    if (parsed.participantsGiven) {
      patch.dialOut = input.dialOut;
      patch.dialIn = input.dialIn;
    }
    const timesChanged = new Date(input.start).getTime() !== existing.startAt.getTime() || new Date(input.end).getTime() !== existing.endAt.getTime();
    const recurrenceChanged = parsed.patternGiven && (input.recurrence !== existing.recurrence || (input.exceptions?.length ?? 0) > 0);
    if (timesChanged || recurrenceChanged) {
      patch.start = input.start;
      patch.end = input.end;
      if (parsed.patternGiven) {
        patch.recurrence = input.recurrence;
        patch.exceptions = input.exceptions;
        patch.timeZone = input.timeZone;
      }
    }
    return patch;
  }

  // ---- mail ---------------------------------------------------------------------------------------

  async function inviteText(booking: BookingRow) {
    const zone = booking.timeZone;
    const lines = [
      `${booking.title}`,
      '',
      `When: ${formatInZone(booking.startAt, zone)} – ${formatInZone(booking.endAt, zone)}${booking.recurrence ? ` (repeats: ${booking.recurrence})` : ''}`,
      `UTC: ${formatUtc(booking.startAt, 22)} – ${formatUtc(booking.endAt, 22)}`,
      `Organizer: ${booking.organizer}`,
      `Conference ID: ${booking.conferenceId}`,
    ];
    if (booking.dialOut.length) lines.push(`Called at the start: ${booking.dialOut.join(', ')}`);
    if (booking.dialIn.length) lines.push(`Joining: ${booking.dialIn.join(', ')}`);
    // The meeting's space is chosen when it starts; the PIN is a secret and is not written here.
    lines.push('', booking.passcodeSealed ? 'The meeting has a PIN; the organizer gives it to the participants.' : 'The meeting has no PIN.');
    if (booking.state === 'defective') lines.push('', 'This booking could not be given a meeting slot (Defective): it will not start.');
    return lines.join('\n');
  }

  async function sendConfirmation(booking: BookingRow, conference: Conference, call: TmsbaCall) {
    const to = [...String(conference.EmailTo ?? '').split(/[;,]/), String(conference.OwnerEmailAddress ?? '')].map((s) => s.trim()).filter((s) => /^[^\s@]+@[^\s@]+$/.test(s));
    const mailer = deps.mailer();
    if (!to.length || !mailer) {
      logger.info({ trackingId: call.trackingId, conferenceId: booking.conferenceId, recipients: to.length, mailer: Boolean(mailer) }, 'TMSBA confirmation mail not sent: no recipient or no mail relay');
      return;
    }
    try {
      await mailer.send({ to, subject: `Booking confirmation: ${booking.title}`, text: await inviteText(booking) });
    } catch (error) {
      // The booking is saved; a relay failing must not turn the save into a fault.
      logger.warn({ err: error, trackingId: call.trackingId, conferenceId: booking.conferenceId }, 'TMSBA confirmation mail failed');
    }
  }

  // ---- operations ---------------------------------------------------------------------------------

  return {
    async GetDefaultConference(call: TmsbaCall) {
      const start = new Date(Math.floor(clock.now().getTime() / 1000) * 1000);
      const c: Conference = {
        ConferenceId: -1, Title: 'Scheduled Meeting', StartTimeUTC: formatUtc(start, call.version), EndTimeUTC: formatUtc(new Date(start.getTime() + DEFAULT_DURATION_MINUTES * 60_000), call.version),
        OwnerId: 0, OwnerUserName: call.actor.name, ConferenceType: 'Automatic Call Launch', Bandwidth: 'Default', PictureMode: 'Default', Encrypted: 'Default', DataConference: 'Default', ShowExtendOption: 'Default', ISDNRestrict: false,
        Participants: { Participant: [] },
      };
      if (call.version >= 14) Object.assign(c, { ConferenceState: { Status: 'NotSaved' }, Version: 0 });
      return c;
    },

    save: (conference: Conference, mode: BookingMode, call: TmsbaCall, mail: boolean) => save(conference, mode, call, mail),

    /** All or nothing: new conferences only (⚠ README); when one fails, the ones saved before it are cancelled again. */
    async saveAll(conferences: Conference[], oneTransaction: unknown, call: TmsbaCall, mail: boolean) {
      requireBooker(call);
      if (oneTransaction !== true && String(oneTransaction) !== 'true' && String(oneTransaction) !== '1') throw invalid('oneTransaction', 'must be true: only all-or-nothing saves are supported');
      if (!conferences.length) throw invalid('Conferences', 'is empty');
      for (const [i, c] of conferences.entries()) {
        if (await existingFor(c, call)) throw invalid(`Conferences[${i}]`, 'is an existing conference: SaveConferences creates new conferences only');
      }
      const saved: Conference[] = [];
      try {
        for (const c of conferences) saved.push(await save(c, 'strict', call, mail));
      } catch (error) {
        for (const c of saved) {
          const found = await reads.findByConferenceId(db, c.ConferenceId);
          if (found) await bookings.cancel(found.booking.id, call.actor);
        }
        throw error;
      }
      return saved;
    },

    async saveRecInstance(conference: Conference, call: TmsbaCall) {
      requireBooker(call);
      if (!conference || typeof conference !== 'object') throw invalid('Conference', 'is missing');
      const { booking, occurrence } = await load(conference.ConferenceId, call);
      let occ = occurrence;
      if (!occ) {
        if (!booking.recurrence) throw invalid('Conference.ConferenceId', 'is not a series: save a single conference with SaveConference');
        const at = parseUtc(conference.RecurrenceInstanceIdUTC, 'Conference.RecurrenceInstanceIdUTC');
        occ = (await reads.listOccurrencesOf(db, booking.id)).find((o) => (o.recurrenceIdAt ?? o.startAt).getTime() === at.getTime());
        if (!occ) throw tmsError('NOT_FOUND', TMS_ERROR.INSTANCE_NOT_FOUND_WITHIN_PATTERN, `No such occurrence: the series has no meeting at ${at.toISOString()}.`);
      }
      const start = parseUtc(conference.StartTimeUTC, 'Conference.StartTimeUTC');
      const end = parseUtc(conference.EndTimeUTC, 'Conference.EndTimeUTC');
      const patch: { start?: string; end?: string; dialOut?: string[] } = {};
      if (start.getTime() !== occ.startAt.getTime() || end.getTime() !== occ.endAt.getTime()) Object.assign(patch, { start: start.toISOString(), end: end.toISOString() });
      if (conference.Participants) {
        const parsed = await fromConference({ ...conference, RecurrencePattern: undefined }, call, booking);
        patch.dialOut = parsed.input.dialOut;
      }
      if (Object.keys(patch).length) await bookings.updateOccurrence(booking.id, occ.id, patch, call.actor).catch(conflictFault);
      const fresh = (await reads.listOccurrencesOf(db, booking.id)).find((o) => o.id === occ!.id)!;
      return toConference((await bookingById(booking.id)), call, { occurrence: fresh });
    },

    async getById(conferenceId: unknown, call: TmsbaCall) {
      const { booking, occurrence } = await load(conferenceId, call);
      return toConference(booking, call, { occurrence });
    },

    async getRecurrentById(conferenceId: unknown, call: TmsbaCall) {
      const { booking } = await load(conferenceId, call);
      return toConference(booking, call);
    },

    async forUser(args: { UserName?: unknown; StartTime?: unknown; EndTime?: unknown; ConferenceStatus?: unknown }, call: TmsbaCall) {
      const user = args.UserName ? String(args.UserName).toLowerCase() : call.actor.name;
      if (user !== call.actor.name && call.actor.role === 'booker') throw tmsError('FORBIDDEN', TMS_ERROR.NO_ACCESS_TO_CONFERENCE, 'A booker sees their own conferences only.');
      return list({ organizer: user }, args, call);
    },

    async forSystems(args: { SystemIds?: { int?: unknown }; StartTime?: unknown; EndTime?: unknown; ConferenceStatus?: unknown }, call: TmsbaCall) {
      const ids = asList(args.SystemIds?.int).map((v, i) => int(v, `SystemIds[${i}]`));
      const found = await reads.findBridgesBySystemIds(db, ids);
      const missing = ids.find((id) => !found.some((b) => b.systemId === id));
      if (missing !== undefined) throw tmsError('NOT_FOUND', TMS_ERROR.SYSTEMNOTFOUND, `No system with SystemId ${missing}.`, { systemId: missing });
      const rows = await list({ bridgeIds: found.map((b) => b.id) }, args, call);
      // Free/busy for any booker: other people's meetings are shown without their participants anyway.
      return rows;
    },

    async getIdByExternalId(args: { ExternalSourceId?: unknown; ExternalConferenceId?: unknown; RecurrenceIdUTC?: unknown }, call: TmsbaCall) {
      const booking = await loadByExternalId(args.ExternalSourceId, args.ExternalConferenceId, call);
      if (args.RecurrenceIdUTC && booking.recurrence) {
        const at = parseUtc(args.RecurrenceIdUTC, 'RecurrenceIdUTC');
        const occ = (await reads.listOccurrencesOf(db, booking.id)).find((o) => (o.recurrenceIdAt ?? o.startAt).getTime() === at.getTime());
        if (!occ) throw tmsError('NOT_FOUND', TMS_ERROR.INSTANCE_NOT_FOUND_WITHIN_PATTERN, `No such occurrence: the series has no meeting at ${at.toISOString()}.`);
        return occ.conferenceId;
      }
      return booking.conferenceId;
    },

    async deleteById(conferenceId: unknown, call: TmsbaCall) {
      requireBooker(call);
      const { booking } = await load(conferenceId, call);
      await bookings.cancel(booking.id, call.actor);
    },

    async deleteByExternalId(args: { ExternalSourceId?: unknown; ExternalConferenceId?: unknown }, call: TmsbaCall) {
      requireBooker(call);
      const booking = await loadByExternalId(args.ExternalSourceId, args.ExternalConferenceId, call);
      await bookings.cancel(booking.id, call.actor);
    },

    async deleteRecInstance(args: { ConferenceId?: unknown; RecurrenceIdUTC?: unknown; ExternalSourceId?: unknown; ExternalConferenceId?: unknown }, call: TmsbaCall) {
      requireBooker(call);
      let booking: BookingRow;
      let occurrence: OccurrenceRow | undefined;
      if (args.ConferenceId !== undefined) ({ booking, occurrence } = await load(args.ConferenceId, call));
      else booking = await loadByExternalId(args.ExternalSourceId, args.ExternalConferenceId, call);
      if (!occurrence) {
        if (!booking.recurrence) throw invalid('ConferenceId', 'is not a series: delete a single conference with DeleteConferenceById');
        const at = parseUtc(args.RecurrenceIdUTC, 'RecurrenceIdUTC');
        occurrence = (await reads.listOccurrencesOf(db, booking.id)).find((o) => (o.recurrenceIdAt ?? o.startAt).getTime() === at.getTime());
        if (!occurrence) throw tmsError('NOT_FOUND', TMS_ERROR.INSTANCE_NOT_FOUND_WITHIN_PATTERN, `No such occurrence: the series has no meeting at ${at.toISOString()}.`);
      }
      await bookings.updateOccurrence(booking.id, occurrence.id, { cancel: true }, call.actor);
    },

    async end(args: { ConferenceId?: unknown; ExternalSourceId?: unknown; ExternalConferenceId?: unknown }, call: TmsbaCall) {
      if (!roleHas(call.actor.role, 'meetings.control')) throw tmsError('FORBIDDEN', TMS_ERROR.NO_ACCESS_TO_CONFERENCE, `Your role (${call.actor.role}) may not end meetings.`);
      let booking: BookingRow;
      let occurrence: OccurrenceRow | undefined;
      if (args.ConferenceId !== undefined) ({ booking, occurrence } = await load(args.ConferenceId, call));
      else booking = await loadByExternalId(args.ExternalSourceId, args.ExternalConferenceId, call);
      const running = ['starting', 'ongoing'];
      const target = occurrence ?? (await reads.listOccurrencesOf(db, booking.id)).find((o) => running.includes(o.state));
      if (!target || !running.includes(target.state)) throw tmsError('INVALID_STATE', TMS_ERROR.MEETINGNOTACTIVE, `Conference ${conferenceIdOf(booking, occurrence)} is not ongoing.`);
      await meetings.endNow(target.id, call.actor);
    },

    async transactionsSince(currentTransactionId: unknown, withExternalIds: boolean, call: TmsbaCall) {
      const since = int(currentTransactionId ?? 0, 'CurrentTransactionId');
      if (since < 0) throw invalid('CurrentTransactionId', 'must be 0 or a TransactionId you were given');
      const page = await readBookingChanges(services, since, FEED_PAGE);
      const visible = page.items.filter((i) => i.booking && mayActFor(call, i.booking.organizer));
      const transactions: Conference[] = visible.map(({ change, booking }) => ({
        TransactionId: change.seq,
        ConferenceId: booking!.conferenceId,
        TransType: change.change === 'created' ? 'New' : change.change === 'cancelled' ? 'Deleted' : 'Updated',
        PerformedByUserId: 0,
        ...(withExternalIds ? { ...(booking!.externalSourceId ? { ExternalSourceId: booking!.externalSourceId } : {}), ...(booking!.externalPrimaryKey ? { ExternalPrimaryKey: booking!.externalPrimaryKey } : {}) } : {}),
      }));
      // More than a page: the list ends with ListIncomplete at the last id given; ask again from there.
      if (page.hasMore) transactions.push({ TransactionId: page.cursor, ConferenceId: -1, TransType: 'ListIncomplete', PerformedByUserId: 0 });
      return transactions;
    },

    async inviteMail(conferenceId: unknown, call: TmsbaCall) {
      const { booking } = await load(conferenceId, call);
      return inviteText(booking);
    },

    // ---- Remote Setup ----

    async systems() {
      const rows = await reads.listBridgeSystems(db);
      return rows.map(toSystem);
    },

    async systemById(systemId: unknown) {
      const id = int(systemId, 'TMSSystemId');
      const bridge = await reads.findBridgeBySystemId(db, id);
      if (!bridge) throw tmsError('NOT_FOUND', TMS_ERROR.SYSTEMNOTFOUND, `No system with SystemId ${id}.`, { systemId: id });
      return toSystem(bridge);
    },

    async users() {
      const { items } = await findUsers(db, { offset: 0, limit: 10_000 });
      return items.filter((u) => !u.disabled && roleHas(u.role as Actor['role'], 'bookings.manage')).map((u) => ({ DisplayName: u.displayName, UserName: u.username, IsHiddenUser: false, TimeZone: 'UTC' }));
    },

    rights(call: TmsbaCall) {
      const admin = call.actor.role === 'partner_full_admin';
      const onBehalf = call.actor.role === 'system' || (roleHas(call.actor.role, 'bookings.manage') && call.actor.role !== 'booker');
      return { siteAdmin: admin, serviceUser: onBehalf, bookOnBehalf: onBehalf, localAdmin: admin };
    },

  };

  function toSystem(bridge: BridgeRow) {
    return {
      SystemId: bridge.systemId,
      SystemName: bridge.name || bridge.address,
      Manufacturer: 'Cisco',
      Description: 'Cisco Meeting Server (scheduled-space pool)',
      SystemType: bridge.systemType,
      NetworkAddress: bridge.address,
      TimeZone: { TimezoneName: bridge.timeZone ?? 'UTC', GMTOffset: 0 },
      // A bridge is bookable equipment (TMS lists MCUs apart from endpoints; ⚠ README).
      SystemCategory: { systemCategory: 'Equipment' },
      SystemStatus: { systemStatus: bridge.connectivity !== 'reachable' ? 'NoResponse' : (bridge.callLegsActive ?? 0) > 0 ? 'InCall' : 'Idle' },
    };
  }

  async function list(filter: { organizer?: string; bridgeIds?: string[] }, args: { StartTime?: unknown; EndTime?: unknown; ConferenceStatus?: unknown }, call: TmsbaCall) {
    const from = parseUtc(args.StartTime, 'StartTime');
    const to = parseUtc(args.EndTime, 'EndTime');
    if (to <= from) throw invalid('EndTime', 'must be after StartTime');
    const status = String(args.ConferenceStatus ?? 'All') as ConferenceStatus;
    if (!CONFERENCE_STATUSES.includes(status)) throw invalid('ConferenceStatus', `must be one of ${CONFERENCE_STATUSES.join(', ')}`);
    const rows = await reads.meetingsBetween(db, filter, from, to, LIST_LIMIT);
    const bridgesById = new Map((await reads.listBridgeSystems(db)).map((b) => [b.id, b]));
    const out: Conference[] = [];
    for (const { booking, occurrence } of rows) {
      if (!statusMatches(status, statusOf(booking.state, occurrence.state))) continue;
      out.push(await toConference(booking, call, { occurrence, occurrences: [occurrence], brief: true, bridge: bridgesById.get(booking.bridgeId) }));
    }
    return out;
  }
}

function int(value: unknown, field: string): number {
  const n = typeof value === 'number' ? value : Number(String(value ?? '').trim());
  if (!Number.isInteger(n) || n < -2_147_483_648 || n > 2_147_483_647 || String(value ?? '').trim() === '') throw invalid(field, `must be a whole number (int), not "${String(value ?? '')}"`);
  return n;
}

function text(value: unknown, field: string): string {
  const s = String(value ?? '').trim();
  if (!s || s.length > 255) throw invalid(field, 'must be 1–255 characters');
  return s;
}

const asRecord = (d: unknown): Record<string, unknown> => (d && typeof d === 'object' && !Array.isArray(d) ? (d as Record<string, unknown>) : {});
