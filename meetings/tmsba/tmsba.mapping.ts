import { AppError } from '../../platform/errors.ts';
import { parseIsoDateTime } from '../../platform/http/inputs.ts';

// TMSBA (#16) wire values <-> Switchboard's bookings: times, recurrence patterns <-> RRULE, statuses.
// Sources and decisions: meetings/README.md, "TMSBA-compatible booking API".

/** The newest API version this facade speaks (TMS 15.11, [REAL22]); a client may not announce more. */
export const SERVER_API_VERSION = 22;

/** The fault codes of reference/tmsba.md §7 (Cisco's numbers) that Switchboard answers with. */
export const TMS_ERROR = {
  MEETINGNOTFOUND: -2147218302,
  SYSTEMNOTFOUND: -2147218301,
  SYSTEM_ALREADY_BOOKED: -2147218300,
  MEETINGNOTACTIVE: -2147218272,
  MEETINGISDELETED: -2147218271,
  CANNOTBOOKINTHEPAST: -2147218269,
  NO_ACCESS_TO_CONFERENCE: -2147218266,
  ERR_USER_NOT_FOUND: -2147218255,
  ERR_CLIENT_SESSION_EXPIRED: -2147218253,
  INSTANCE_NOT_FOUND_WITHIN_PATTERN: -2147218252,
  ERR_CLIENT_SESSION_BLANK: -2147218247,
} as const;

/** A fault's TMS code travels in `details.tmsErrorCode` of the one error type. */
export function tmsError(code: ConstructorParameters<typeof AppError>[0], tmsCode: number, message: string, details: Record<string, unknown> = {}) {
  return new AppError(code, message, { ...details, tmsErrorCode: tmsCode });
}

/**
 * UTC on the wire, ending in Z: `2021-01-28 07:00:00Z` from API v14 on (what TMS 15 answers),
 * `2021-01-28T07:00:00Z` before ([G14 p37], [G6 p18]).
 */
export function formatUtc(instant: Date, version: number): string {
  const iso = instant.toISOString().slice(0, 19);
  return `${version >= 14 ? iso.replace('T', ' ') : iso}Z`;
}

/** Either spelling, and the ISO form with a T, but always UTC: a time without the Z is refused, as TMS does. */
export function parseUtc(value: unknown, field: string): Date {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw invalid(field, 'is not a date and time');
    return value;
  }
  const text = String(value ?? '').trim();
  if (!/(Z|[+-]00:?00)$/i.test(text)) throw invalid(field, `must be a UTC time ending in Z, such as 2026-03-02 10:00:00Z (got "${text}")`);
  const parsed = parseIsoDateTime(text.replace(' ', 'T').replace(/z$/, 'Z'));
  if (!parsed) throw invalid(field, `is not a date and time on the calendar (got "${text}")`);
  return new Date(parsed.wall.getTime() - (parsed.offsetMinutes ?? 0) * 60_000);
}

export function invalid(field: string, message: string) {
  return new AppError('VALIDATION_FAILED', `${field} ${message}.`, { issues: [{ path: field, message }] });
}

// ---- recurrence ------------------------------------------------------------------------------------

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;
const RRULE_DAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'] as const;
type Day = (typeof DAYS)[number];

export type RecurrencePattern = {
  FrequencyType?: string;
  Interval?: number;
  DaysOfWeek?: { DayOfWeek?: Day | Day[] } | null;
  FirstDayOfWeek?: string;
  BySetPosition?: number;
  ByMonthDay?: number;
  PatternEndType?: string;
  PatternEndDateUTC?: string;
  FirstOccurrenceRecInstanceIdUTC?: string;
  PatternInstances?: number;
  Exceptions?: { RecurrenceException?: RecurrenceException | RecurrenceException[] } | null;
};
export type RecurrenceException = {
  ExceptionType?: string;
  RecurrenceIdUTC?: string;
  RecurrenceIdRange?: string;
  ModifiedMask?: number;
  ModifiedData?: Record<string, unknown>;
};

export const asList = <T>(value: T | T[] | undefined | null): T[] => (value === undefined || value === null ? [] : Array.isArray(value) ? value : [value]);

const toRruleDay = (day: string, field: string) => {
  const n = DAYS.indexOf(day as Day);
  if (n < 0) throw invalid(field, `must be a day name (Sunday … Saturday), not "${day}"`);
  return RRULE_DAYS[n];
};

/**
 * A TMSBA pattern as the RFC 5545 RRULE bookings recur by (in UTC: TMSBA's days are UTC days).
 * Unlike TMS there is no 100-occurrence limit, and yearly and never-ending series are taken
 * (bookings materialise 400 days ahead and extend open-ended series daily). `Default` (a single
 * meeting inside a series TMSXE keeps elsewhere) is no recurrence.
 */
export function patternToRrule(pattern: RecurrencePattern, firstStart: Date): string | undefined {
  const frequency = String(pattern.FrequencyType ?? 'Default');
  if (frequency === 'Default') return undefined;
  const interval = Number(pattern.Interval ?? 1);
  if (!Number.isInteger(interval) || interval < 1 || interval > 1000) throw invalid('RecurrencePattern.Interval', 'must be a whole number from 1 to 1000');
  const days = asList(pattern.DaysOfWeek?.DayOfWeek).map((d) => toRruleDay(String(d), 'RecurrencePattern.DaysOfWeek'));
  const parts: string[] = [];
  switch (frequency) {
    case 'Daily':
      parts.push('FREQ=DAILY');
      break;
    case 'DailyWeekday':
      parts.push('FREQ=WEEKLY', 'BYDAY=MO,TU,WE,TH,FR');
      break;
    case 'Weekly':
      parts.push('FREQ=WEEKLY', `BYDAY=${(days.length ? days : [RRULE_DAYS[firstStart.getUTCDay()]]).join(',')}`);
      break;
    case 'Monthly': {
      parts.push('FREQ=MONTHLY');
      const setPosition = Number(pattern.BySetPosition ?? 0);
      const monthDay = pattern.ByMonthDay === undefined || pattern.ByMonthDay === null ? 0 : Number(pattern.ByMonthDay);
      if (setPosition && monthDay) throw invalid('RecurrencePattern', 'gives both BySetPosition and ByMonthDay; a monthly pattern takes one of them');
      if (setPosition) {
        if (!days.length) throw invalid('RecurrencePattern.DaysOfWeek', 'must name the weekday of a monthly pattern by BySetPosition');
        if (!Number.isInteger(setPosition) || setPosition < -5 || setPosition > 5) throw invalid('RecurrencePattern.BySetPosition', 'must be −5 … 5 (−1 = last)');
        parts.push(`BYDAY=${days.join(',')}`, `BYSETPOS=${setPosition}`);
      } else {
        const day = monthDay || firstStart.getUTCDate();
        if (!Number.isInteger(day) || day < -31 || day > 31 || day === 0) throw invalid('RecurrencePattern.ByMonthDay', 'must be a day of the month (1 … 31, or −1 … −31 from the end)');
        parts.push(`BYMONTHDAY=${day}`);
      }
      break;
    }
    case 'Yearly':
      parts.push('FREQ=YEARLY');
      break;
    default:
      throw invalid('RecurrencePattern.FrequencyType', `${frequency} is not supported (a series repeats at most daily: Daily, DailyWeekday, Weekly, Monthly or Yearly)`);
  }
  if (interval !== 1) parts.push(`INTERVAL=${interval}`);
  if (pattern.FirstDayOfWeek && pattern.FirstDayOfWeek !== 'Sunday') parts.push(`WKST=${toRruleDay(String(pattern.FirstDayOfWeek), 'RecurrencePattern.FirstDayOfWeek')}`);
  else if (frequency === 'Weekly' && interval > 1) parts.push('WKST=SU');
  const end = String(pattern.PatternEndType ?? 'Default');
  if (end === 'EndByInstances') {
    const count = Number(pattern.PatternInstances);
    if (!Number.isInteger(count) || count < 1 || count > 100_000) throw invalid('RecurrencePattern.PatternInstances', 'must be a whole number of meetings, at least 1');
    parts.push(`COUNT=${count}`);
  } else if (end === 'EndByDate') {
    const until = parseUtc(pattern.PatternEndDateUTC, 'RecurrencePattern.PatternEndDateUTC');
    parts.push(`UNTIL=${until.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')}`);
  } else if (end !== 'EndNever' && end !== 'Default') {
    throw invalid('RecurrencePattern.PatternEndType', `must be EndByDate, EndByInstances, EndNever or Default, not "${end}"`);
  }
  return parts.join(';');
}

/** The RRULE a booking recurs by, as a TMSBA pattern (its days are the booking's zone's; see README). */
export function rruleToPattern(rrule: string, firstStart: Date, version: number): RecurrencePattern {
  const fields = new Map(rrule.split(';').map((p) => p.split('=') as [string, string]));
  const freq = fields.get('FREQ');
  const byDay = (fields.get('BYDAY') ?? '').split(',').filter(Boolean);
  const dayNames = byDay.map((d) => DAYS[RRULE_DAYS.indexOf(d.slice(-2) as (typeof RRULE_DAYS)[number])]).filter(Boolean);
  const weekdays = byDay.length === 5 && ['MO', 'TU', 'WE', 'TH', 'FR'].every((d) => byDay.includes(d));
  const frequency = freq === 'DAILY' ? 'Daily' : freq === 'WEEKLY' ? (weekdays && !fields.has('INTERVAL') ? 'DailyWeekday' : 'Weekly') : freq === 'MONTHLY' ? 'Monthly' : freq === 'YEARLY' ? 'Yearly' : 'Default';
  const count = fields.get('COUNT');
  const until = fields.get('UNTIL');
  const pattern: RecurrencePattern = {
    FrequencyType: frequency,
    Interval: Number(fields.get('INTERVAL') ?? 1),
    ...(dayNames.length && frequency !== 'DailyWeekday' ? { DaysOfWeek: { DayOfWeek: dayNames } } : {}),
    FirstDayOfWeek: fields.has('WKST') ? DAYS[RRULE_DAYS.indexOf(fields.get('WKST') as (typeof RRULE_DAYS)[number])] : 'Sunday',
    BySetPosition: Number(fields.get('BYSETPOS') ?? 0),
    ...(version >= 22 && fields.has('BYMONTHDAY') ? { ByMonthDay: Number(fields.get('BYMONTHDAY')) } : {}),
    PatternEndType: count ? 'EndByInstances' : until ? 'EndByDate' : 'EndNever',
    ...(until ? { PatternEndDateUTC: formatUtc(parseRruleUntil(until), version) } : {}),
    ...(count ? { FirstOccurrenceRecInstanceIdUTC: formatUtc(firstStart, version) } : {}),
    PatternInstances: count ? Number(count) : 0,
  };
  return pattern;
}

function parseRruleUntil(value: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2}))?/.exec(value);
  if (!m) return new Date(NaN);
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)));
}

// ---- status --------------------------------------------------------------------------------------

export type ConferenceStatus = 'All' | 'AllExceptDeleted' | 'Pending' | 'Ongoing' | 'Finished' | 'PendingAndOngoing' | 'MeetingRequest' | 'Rejected' | 'NotSaved' | 'Defective' | 'Deleted';
export const CONFERENCE_STATUSES: ConferenceStatus[] = ['All', 'AllExceptDeleted', 'Pending', 'Ongoing', 'Finished', 'PendingAndOngoing', 'MeetingRequest', 'Rejected', 'NotSaved', 'Defective', 'Deleted'];

/** One meeting's TMS status from its booking's and its own state. */
export function statusOf(bookingState: string, occurrenceState: string | undefined): ConferenceStatus {
  if (bookingState === 'defective' || occurrenceState === 'defective') return 'Defective';
  if (bookingState === 'cancelled' || occurrenceState === 'cancelled') return 'Deleted';
  switch (occurrenceState) {
    case 'starting':
    case 'ongoing':
    case 'ending':
      return 'Ongoing';
    case 'ended':
    case 'failed':
      return 'Finished';
    default:
      return 'Pending';
  }
}

/** Whether a meeting in `status` is asked for by a ConferenceStatus filter. */
export function statusMatches(filter: ConferenceStatus, status: ConferenceStatus): boolean {
  switch (filter) {
    case 'All':
      return true;
    case 'AllExceptDeleted':
      return status !== 'Deleted';
    case 'PendingAndOngoing':
      return status === 'Pending' || status === 'Ongoing';
    default:
      // MeetingRequest, Rejected and NotSaved: Switchboard has no approval step, so none is ever in them.
      return status === filter;
  }
}
