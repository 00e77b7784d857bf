// M8: a booking's recurrence is an RFC 5545 RRULE. The rrule library's own refusals name its
// internals ("Invalid frequency: undefined undefined", "Cannot read properties of undefined"), so
// the rule is checked here first, part by part, and the problem is named in words a booker can act on.

const FREQUENCIES = ['YEARLY', 'MONTHLY', 'WEEKLY', 'DAILY', 'HOURLY', 'MINUTELY', 'SECONDLY'];
const DAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];
const PARTS = ['FREQ', 'INTERVAL', 'COUNT', 'UNTIL', 'BYDAY', 'BYMONTHDAY', 'BYMONTH', 'BYSETPOS', 'BYYEARDAY', 'BYWEEKNO', 'BYHOUR', 'BYMINUTE', 'BYSECOND', 'WKST'];
/** Inclusive ranges of the numeric BY… parts (negative values count from the end where RFC 5545 allows it). */
const RANGES: Record<string, [number, number, boolean]> = {
  BYMONTHDAY: [1, 31, true], BYMONTH: [1, 12, false], BYSETPOS: [1, 366, true], BYYEARDAY: [1, 366, true],
  BYWEEKNO: [1, 53, true], BYHOUR: [0, 23, false], BYMINUTE: [0, 59, false], BYSECOND: [0, 60, false],
};
const EXAMPLE = 'such as FREQ=WEEKLY;BYDAY=MO,WE';

/** The rule as stored and handed to the rrule library, which takes upper case only and no empty part. */
export function normalizeRecurrence(text: string): string {
  return text.trim().replace(/^RRULE:/i, '').split(';').map((part) => part.trim()).filter(Boolean).join(';').toUpperCase();
}

/** What is wrong with `text` as a recurrence rule, in plain words; null when it reads as one. */
export function recurrenceProblem(text: string): string | null {
  const rule = text.trim().replace(/^RRULE:/i, '');
  if (!rule) return `Enter a repeat rule, ${EXAMPLE}, or leave the field empty for a single meeting.`;
  const seen = new Set<string>();
  for (const part of rule.split(';')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().toUpperCase();
    const value = eq < 0 ? '' : part.slice(eq + 1).trim().toUpperCase();
    if (name === 'DTSTART' || name === 'TZID') return 'Leave out DTSTART and TZID: the start and time zone fields give them.';
    if (!PARTS.includes(name)) return `"${part}" is not part of a repeat rule: use parts such as FREQ, INTERVAL, COUNT, UNTIL and BYDAY, ${EXAMPLE}.`;
    if (eq < 0 || !value) return `${name} has no value: write ${name}=…`;
    if (seen.has(name)) return `${name} is given twice.`;
    seen.add(name);
    const list = value.split(',');
    switch (name) {
      case 'FREQ':
        if (!FREQUENCIES.includes(value)) return `"${value}" is not a frequency: use FREQ=DAILY, WEEKLY, MONTHLY or YEARLY.`;
        break;
      case 'INTERVAL':
      case 'COUNT':
        if (!/^\d{1,6}$/.test(value) || Number(value) < 1) return `${name} must be a whole number of at least 1, not "${value}".`;
        break;
      case 'UNTIL':
        if (!/^\d{8}(T\d{6}Z?)?$/.test(value)) return `UNTIL must be a date such as 20261231 or 20261231T235959Z, not "${value}".`;
        break;
      case 'BYDAY':
      case 'WKST':
        for (const day of list) {
          const m = day.match(/^([+-]?\d{1,2})?([A-Z]{2})$/);
          if (!m || !DAYS.includes(m[2]) || (name === 'WKST' && m[1])) return `"${day}" is not a weekday: use MO, TU, WE, TH, FR, SA or SU${name === 'BYDAY' ? ' (2MO: the second Monday)' : ''}.`;
          if (m[1] && (Math.abs(Number(m[1])) < 1 || Math.abs(Number(m[1])) > 53)) return `"${day}": the number before the weekday is 1–53 (or -1 for the last).`;
        }
        if (name === 'WKST' && list.length > 1) return 'WKST is one weekday.';
        break;
      default: {
        const [low, high, negative] = RANGES[name];
        for (const item of list) {
          const n = Number(item);
          const ok = /^[+-]?\d+$/.test(item) && ((n >= low && n <= high) || (negative && n <= -low && n >= -high));
          if (!ok) return `${name} takes numbers from ${low} to ${high}${negative ? ` (or -${high} to -${low}, counted from the end)` : ''}, not "${item}".`;
        }
      }
    }
  }
  if (!seen.has('FREQ')) return `Say how often it repeats with FREQ, ${EXAMPLE}.`;
  if (seen.has('COUNT') && seen.has('UNTIL')) return 'Give COUNT or UNTIL, not both.';
  return null;
}
