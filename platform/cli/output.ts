import { InvalidArgumentError, type Command } from 'commander';

// Output helpers shared by every *.cli.ts: tables for people, raw JSON for scripts (--json), times
// in the user's own time zone, and the framed box for a secret shown once.

const out = (text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);

export function printJson(value: unknown) {
  out(JSON.stringify(value, null, 2));
}

/** The IANA name of the zone times are shown in (the process's: TZ, else the system's). */
export const localTimeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

let timeFormat: Intl.DateTimeFormat | undefined;

/** `2026-01-31 14:05:09 GMT+1`: local time, sortable, with the zone so it cannot be misread. */
export function formatTime(value: string | Date | null | undefined): string {
  if (value === null || value === undefined || value === '') return '';
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  timeFormat ??= new Intl.DateTimeFormat('en-US', {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short',
  });
  const part = Object.fromEntries(timeFormat.formatToParts(date).map((p) => [p.type, p.value]));
  return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}:${part.second} ${part.timeZoneName}`;
}

export type Column<T> = { header: string; value: (row: T) => string | number | boolean | null | undefined; maxWidth?: number };

const cell = (value: unknown, maxWidth = 60) => {
  const text = value === null || value === undefined ? '' : String(value).replace(/\s+/g, ' ');
  return text.length > maxWidth ? `${text.slice(0, maxWidth - 1)}…` : text;
};

export function printTable<T>(columns: Column<T>[], rows: T[]) {
  const cells = rows.map((row) => columns.map((column) => cell(column.value(row), column.maxWidth)));
  const widths = columns.map((column, i) => Math.max(column.header.length, ...cells.map((r) => r[i].length)));
  const line = (values: string[]) => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]))).join('  ').trimEnd();
  out(line(columns.map((c) => c.header)));
  for (const row of cells) out(line(row));
}

export function printFields(fields: Array<[string, unknown]>) {
  const width = Math.max(...fields.map(([name]) => name.length));
  for (const [name, value] of fields) out(`${`${name}:`.padEnd(width + 2)}${value === null || value === undefined || value === '' ? '-' : String(value)}`);
}

export type Page<T> = { items: T[]; total: number; offset: number; limit: number };

/** Prints a page as a table, or "No … found.", then where in the list it is and the time zone. */
export function printPage<T>(page: Page<T>, columns: Column<T>[], noun: string, { times = true } = {}) {
  if (page.items.length === 0) {
    out(page.total > 0 ? `No ${noun} at offset ${page.offset} (${page.total} in all).` : `No ${noun} found.`);
    return;
  }
  printTable(columns, page.items);
  const first = page.offset + 1;
  const last = page.offset + page.items.length;
  const more = last < page.total ? ` (next page: --offset ${last})` : '';
  out(`\n${first}–${last} of ${page.total} ${noun}${more}.${times ? ` Times in ${localTimeZone()}.` : ''}`);
}

/** A framed message for a secret the user sees this once (generated password, new API token). */
export function printFramed(lines: string[]) {
  const width = Math.max(...lines.map((l) => l.length));
  const rule = '─'.repeat(width + 2);
  out(['', `┌${rule}┐`, ...lines.map((l) => `│ ${l.padEnd(width)} │`), `└${rule}┘`, ''].join('\n'));
}

export function parseInteger(min: number, max: number) {
  return (raw: string) => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`);
    return value;
  };
}

/** --limit / --offset / --json, the same on every listing. */
export function listingOptions(command: Command, { defaultLimit = 50 } = {}) {
  return command
    .option('--limit <n>', 'items to show (1–500)', parseInteger(1, 500), defaultLimit)
    .option('--offset <n>', 'items to skip', parseInteger(0, 10_000_000), 0)
    .option('--json', 'print the API\'s JSON instead of a table');
}
