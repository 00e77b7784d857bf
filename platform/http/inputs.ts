import net from 'node:net';
import { z } from 'zod';

// The one place a route's schema gets its dates, times, integers, hosts and URLs from (#13). A value
// a caller typed is checked here, by parsing it, so a mistake is a 400 VALIDATION_FAILED naming the
// field — never a database error (a 500) or a connection to something that cannot be meant.

// ---- integers -------------------------------------------------------------------------------------

/** PostgreSQL `integer` (int4): an id, counter or code column holds nothing outside this range. */
export const INT4_MIN = -2_147_483_648;
export const INT4_MAX = 2_147_483_647;

/** An integer in a JSON body that fits an `integer` column; narrow it further with .min()/.max(). */
export const int4 = () => z.number().int().min(INT4_MIN).max(INT4_MAX);

/** The same from a query string or path parameter (text coerced to a number). */
export const int4Query = () => z.coerce.number().int().min(INT4_MIN).max(INT4_MAX);

// ---- dates and times ------------------------------------------------------------------------------

// JavaScript dates reach ±275,760 years and roll impossible days over (2026-02-30 is read as March 2);
// PostgreSQL's date and timestamptz refuse year 0 and drizzle writes years past 9999 in a form
// PostgreSQL refuses. So a time is taken only in the years 1–9999, and only on a real calendar day.
export const EARLIEST = new Date('0001-01-01T00:00:00.000Z');
export const LATEST = new Date('9999-12-31T23:59:59.999Z');
const YEARS = 'must be in the years 0001–9999';

const isLeapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
const daysIn = (year: number, month: number) => (month === 2 ? (isLeapYear(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31);

/** Year 1–9999, month 1–12, and a day that month has. */
export const isCalendarDay = (year: number, month: number, day: number) =>
  Number.isInteger(year) && year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month);

export type IsoDateTime = {
  /** The date and time as written, as a Date whose UTC fields are those numbers. */
  wall: Date;
  /** The offset written after it (Z = 0), in minutes east of UTC; null: none was written. */
  offsetMinutes: number | null;
};

const isoDateTime = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * `2026-03-02`, `2026-03-02T10:00`, `2026-03-02T10:00:30.5`, each optionally with `Z` or `+01:00`:
 * the parts, checked field by field (a real calendar day, 00:00–23:59:59); undefined otherwise.
 */
export function parseIsoDateTime(text: string): IsoDateTime | undefined {
  const m = isoDateTime.exec(text.trim());
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number);
  if (!isCalendarDay(year, month, day) || hour > 23 || minute > 59 || second > 59) return undefined;
  if (m[8] && !m[4]) return undefined;
  let offsetMinutes: number | null = null;
  if (m[8]) {
    const o = /^([+-])(\d{2}):?(\d{2})?$/.exec(m[8]);
    if (o) {
      const [h, mm] = [Number(o[2]), Number(o[3] ?? 0)];
      if (h > 23 || mm > 59) return undefined;
      offsetMinutes = (o[1] === '-' ? -1 : 1) * (h * 60 + mm);
    } else offsetMinutes = 0;
  }
  const wall = new Date(0);
  wall.setUTCFullYear(year, month - 1, day);
  wall.setUTCHours(hour, minute, second, Math.floor(Number(`0.${m[7] ?? '0'}`) * 1000));
  return { wall, offsetMinutes };
}

/** Epoch milliseconds or an ISO 8601 time (no offset: UTC) → the instant; undefined when it is neither. */
export function parseTimestamp(value: unknown): Date | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? new Date(value) : undefined;
  if (typeof value !== 'string') return undefined;
  if (/^-?\d{1,16}$/.test(value.trim())) return new Date(Number(value));
  const parsed = parseIsoDateTime(value);
  return parsed && new Date(parsed.wall.getTime() - (parsed.offsetMinutes ?? 0) * 60_000);
}

const inRange = (date: Date) => !Number.isNaN(date.getTime()) && date >= EARLIEST && date <= LATEST;

/** An ISO 8601 time (or epoch milliseconds) from a caller, on a real calendar day in the years 1–9999. */
export const timestampInput = () =>
  z
    .preprocess((value, ctx) => {
      if (value instanceof Date) return value;
      const date = parseTimestamp(value);
      if (!date) {
        ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 time on a real calendar day (2026-11-27T09:00:00Z) or epoch milliseconds', input: value });
        return z.NEVER;
      }
      if (!inRange(date)) {
        ctx.addIssue({ code: 'custom', message: YEARS, input: value });
        return z.NEVER;
      }
      return date;
    }, z.date())
    // A parsed date has no JSON Schema of its own (it would show as `{}` in the OpenAPI document).
    .meta({ type: 'string', format: 'date-time', description: 'ISO 8601 time, e.g. 2026-11-27T09:00:00Z (no offset: UTC; epoch milliseconds are accepted too)' });

/**
 * The same, kept as the text the caller sent (where it is echoed back, e.g. in a next-page link);
 * read it with `parseTimestamp`.
 */
export const timestampText = () =>
  z
    .string()
    .max(64)
    .refine((text) => {
      const date = parseTimestamp(text);
      return date !== undefined && inRange(date);
    }, 'must be epoch milliseconds or an ISO 8601 time (2026-11-27T09:00:00Z) on a real calendar day in the years 0001–9999');

/** A calendar day `YYYY-MM-DD` (years 0001–9999), kept as the text. */
export const dayInput = () =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'a day as YYYY-MM-DD')
    .refine((text) => isCalendarDay(Number(text.slice(0, 4)), Number(text.slice(5, 7)), Number(text.slice(8, 10))), 'not a day of the calendar (YYYY-MM-DD, years 0001–9999)');

/**
 * A date and time kept as the text, because a time zone applied later gives it its meaning
 * (`2026-03-02T10:00` wall time, or with `Z`/an offset): a real calendar day in the years 1–9999.
 */
export const dateTimeText = () =>
  z
    .string()
    .max(40)
    .refine((text) => {
      const parsed = parseIsoDateTime(text);
      return parsed !== undefined && parsed.wall >= EARLIEST && parsed.wall <= LATEST;
    }, 'must be a date and time on a real calendar day in the years 0001–9999, e.g. 2026-03-02T10:00 or 2026-03-02T10:00:00+01:00');

// ---- hosts and URLs -------------------------------------------------------------------------------

const dnsLabel = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/**
 * Why `host` (an IP address or DNS name, no port) cannot be something we connect to, or undefined
 * when it can. Refused: the unspecified addresses (0.0.0.0, ::, and `0`, which URL parsers read as
 * 0.0.0.0 — a connection to it reaches this very machine), broadcast and multicast addresses, and
 * names whose last label is all digits (`10.1`, `1.2.3`, `0`: neither an address nor a DNS name).
 */
export function hostProblem(host: string): string | undefined {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const family = net.isIP(bare);
  if (family === 4) {
    const [a] = bare.split('.').map(Number);
    if (bare === '0.0.0.0' || a === 0) return 'is an unspecified address, not a host';
    if (bare === '255.255.255.255') return 'is the broadcast address, not a host';
    if (a >= 224 && a <= 239) return 'is a multicast address, not a host';
    return undefined;
  }
  if (family === 6) {
    const canonical = new URL(`http://[${bare}]`).hostname;
    if (canonical === '[::]' || canonical === '[::ffff:0:0]') return 'is an unspecified address, not a host';
    if (/^\[ff/i.test(canonical)) return 'is a multicast address, not a host';
    return undefined;
  }
  if (host !== bare) return 'is not an IPv6 address';
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (!name || name.length > 253) return 'is not an IP address or DNS name';
  const labels = name.split('.');
  if (!labels.every((l) => dnsLabel.test(l))) return 'is not an IP address or DNS name (letters, digits and hyphens between dots)';
  if (/^\d+$/.test(labels[labels.length - 1])) return 'is not an IP address (four numbers 0–255) or DNS name';
  return undefined;
}

export type HostPort = { host: string; port: number | null };

/**
 * `host`, `host:port`, `[ipv6]`, `[ipv6]:port` or a bare IPv6 address → its parts, or the reason it
 * is none of them.
 */
export function parseHostPort(text: string): HostPort | { problem: string } {
  const value = text.trim();
  let host = value;
  let port: string | undefined;
  const bracketed = /^(\[[^\]]*\])(?::(\d*))?$/.exec(value);
  if (bracketed) [host, port] = [bracketed[1], bracketed[2]];
  else if (net.isIPv6(value)) host = `[${value}]`;
  else if (value.includes(':')) {
    const at = value.lastIndexOf(':');
    [host, port] = [value.slice(0, at), value.slice(at + 1)];
  }
  const problem = hostProblem(host);
  if (problem) return { problem: `"${value}" ${problem}` };
  if (port !== undefined) {
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return { problem: `"${value}" has no port 1–65535 after the colon` };
  }
  return { host, port: port === undefined ? null : Number(port) };
}

/** An IP address or DNS name, no port (a proxy, a satellite). */
export const hostInput = () =>
  z
    .string()
    .trim()
    .min(1)
    .max(255)
    .superRefine((text, ctx) => {
      const problem = hostProblem(text);
      if (problem) ctx.addIssue({ code: 'custom', message: `"${text}" ${problem}`, input: text });
    })
    // Kept bare: whoever connects to it adds the brackets an IPv6 address needs next to a port.
    .transform((text) => text.replace(/^\[(.*)\]$/, '$1'))
    .describe('IP address or DNS name');

/** An IP address or DNS name, optionally with `:port`. */
export const hostPortInput = () =>
  z
    .string()
    .trim()
    .min(1)
    .max(300)
    .superRefine((text, ctx) => {
      const parsed = parseHostPort(text);
      if ('problem' in parsed) ctx.addIssue({ code: 'custom', message: parsed.problem, input: text });
    })
    .describe('IP address or DNS name, optionally with :port');

/** Why `text` is not an http(s) URL of a host we could reach, or undefined. */
export function httpUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http:// or https:// URL';
  // The URL parser accepts hosts no resolver does (`0`, `1.2.3`); the host must be one as written.
  const written = /^https?:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/i.exec(text)?.[1] ?? url.hostname;
  const problem = hostProblem(written);
  return problem ? `has a host that ${problem}` : undefined;
}

/** An http:// or https:// URL whose host is an IP address or DNS name. */
export const httpUrlInput = () =>
  z
    .string()
    .trim()
    .max(2000)
    .superRefine((text, ctx) => {
      const problem = httpUrlProblem(text);
      if (problem) ctx.addIssue({ code: 'custom', message: `"${text}" ${problem}`, input: text });
    })
    .meta({ type: 'string', format: 'uri' });
