import { parse } from 'csv-parse/sync';
import type { z } from 'zod';
import { AppError } from '../platform/errors.ts';
import type { EndpointInput } from './endpoints.service.ts';

// #17: endpoints registered in bulk from a CSV file (TMS's "add systems" list). csv-parse does the
// RFC 4180 reading (quotes, embedded commas and line breaks, a BOM from spreadsheet exports); this
// module maps the header's columns onto the registration body and keeps each row's line number so
// a refused row can be found in the file.

/** Header names accepted for each field (case, spaces, `-` and `_` ignored). */
const COLUMNS: Record<string, keyof EndpointInput> = {
  address: 'address', host: 'address',
  username: 'username', user: 'username',
  password: 'password',
  name: 'name', systemname: 'name',
  sipuri: 'sipUri', sip: 'sipUri',
  tls: 'tls', https: 'tls',
  // The SHA-256 the operator confirmed for the row's HTTPS certificate (#17): pinned when it matches.
  fingerprint: 'trustFingerprint', trustfingerprint: 'trustFingerprint', sha256: 'trustFingerprint', sha256fingerprint: 'trustFingerprint',
};
export const CSV_REQUIRED_COLUMNS = ['address', 'username', 'password'] as const;
export const CSV_MAX_ROWS = 1000;

const normalise = (header: string) => header.toLowerCase().replace(/[\s_-]+/g, '');

export type CsvRow = { line: number; address: string; input?: EndpointInput; error?: { code: 'VALIDATION_FAILED'; message: string } };

function booleanCell(text: string): boolean | undefined | string {
  const v = text.trim().toLowerCase();
  if (v === '') return undefined;
  if (['true', 'yes', 'y', '1', 'https'].includes(v)) return true;
  if (['false', 'no', 'n', '0', 'http'].includes(v)) return false;
  return text;
}

/**
 * Reads the CSV into one entry per data row: the registration body, or why the row cannot be one.
 * A file that cannot be read as CSV, has no usable header or too many rows is refused whole (400).
 */
export function readEndpointsCsv(text: string, schema: z.ZodType<EndpointInput>): CsvRow[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    // Line breaks made one kind first: csv-parse counts a CRLF inside a quoted field as two lines,
    // and a line break has no meaning in any endpoint field.
    const parsed = parse(text.replace(/\r\n?/g, '\n'), { bom: true, info: true, relax_column_count: true, skip_empty_lines: true }) as unknown as { record: string[]; info: { lines: number } }[];
    // info.lines is the line a record ends on; a user looks for the line it starts on.
    records = parsed.map(({ record, info }) => ({
      record: record.map((cell) => cell.trim()),
      info: { lines: info.lines - record.reduce((n, cell) => n + (cell.match(/\n/g)?.length ?? 0), 0) },
    }));
  } catch (error) {
    throw new AppError('VALIDATION_FAILED', `The CSV cannot be read: ${(error as Error).message}`);
  }
  const [header, ...rows] = records;
  if (!header) throw new AppError('VALIDATION_FAILED', 'The CSV is empty: a header row naming the columns (address, username, password, name, sipUri, tls, fingerprint) is required.');
  const fields = header.record.map((h) => COLUMNS[normalise(h)]);
  const missing = CSV_REQUIRED_COLUMNS.filter((c) => !fields.includes(c));
  if (missing.length) throw new AppError('VALIDATION_FAILED', `Line ${header.info.lines}: the header row lacks ${missing.join(', ')} (the first row must name the columns).`);
  const unknown = header.record.filter((_, i) => !fields[i]);
  if (unknown.length) throw new AppError('VALIDATION_FAILED', `Line ${header.info.lines}: unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')}; the columns are address, username, password, name, sipUri, tls, fingerprint.`);
  const duplicate = fields.find((f, i) => fields.indexOf(f) !== i);
  if (duplicate) throw new AppError('VALIDATION_FAILED', `Line ${header.info.lines}: two columns give ${duplicate}.`);
  if (rows.length === 0) throw new AppError('VALIDATION_FAILED', 'The CSV has a header row but no endpoints.');
  if (rows.length > CSV_MAX_ROWS) throw new AppError('VALIDATION_FAILED', `The CSV has ${rows.length} endpoints; at most ${CSV_MAX_ROWS} at once.`);

  return rows.map(({ record, info }) => {
    const line = info.lines;
    const cells: Record<string, unknown> = {};
    fields.forEach((field, i) => {
      const cell = record[i] ?? '';
      if (field === 'tls') {
        const b = booleanCell(cell);
        if (b !== undefined) cells.tls = b;
      } else if (cell !== '' || CSV_REQUIRED_COLUMNS.includes(field as never)) cells[field!] = cell;
    });
    const address = typeof cells.address === 'string' ? cells.address : '';
    if (record.length > fields.length) return { line, address, error: { code: 'VALIDATION_FAILED', message: `Line ${line}: ${record.length} values for ${fields.length} columns.` } };
    const parsed = schema.safeParse(cells);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'row'}: ${i.message}`).join('; ');
      return { line, address, error: { code: 'VALIDATION_FAILED', message: `Line ${line}: ${problems}` } };
    }
    return { line, address, input: parsed.data };
  });
}
