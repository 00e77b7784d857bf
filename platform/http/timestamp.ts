import { z } from 'zod';

// JavaScript dates reach ±275,760 years, PostgreSQL's timestamptz does not (and drizzle writes
// years past 9999 in a form PostgreSQL refuses): a time given by a caller is checked here, so an
// absurd one is a 400 rather than a database error.
const earliest = new Date('0001-01-01T00:00:00.000Z');
const latest = new Date('9999-12-31T23:59:59.999Z');

/** An ISO 8601 time (or epoch milliseconds) from a caller, in the years 1–9999. */
export const timestampInput = () =>
  z.coerce
    .date()
    .min(earliest, 'must be in the years 1–9999')
    .max(latest, 'must be in the years 1–9999')
    // A coerced date has no JSON Schema of its own (it would show as `{}` in the OpenAPI document).
    .meta({ type: 'string', format: 'date-time', description: 'ISO 8601 time, e.g. 2026-11-27T09:00:00Z (epoch milliseconds are accepted too)' });
