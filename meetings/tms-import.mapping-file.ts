import { parse } from 'csv-parse/sync';
import type { SystemMapping } from './tms-import.service.ts';

// The TMS import's mapping file (#16 part 2), as the CLI reads it: JSON — a list, or { systems: [...] }
// — or, for a name ending in .csv, CSV with a header row naming the columns system, bridge, ignore
// (a spreadsheet's export). The API validates the lines either way (mappingLine); here only the
// file's own shape is checked, with the line it is wrong on.

const TRUE = new Set(['true', 'yes', 'y', '1', 'x']);
const FALSE = new Set(['', 'false', 'no', 'n', '0']);

export class MappingFileError extends Error {}

export function parseMappingFile(fileName: string, text: string): SystemMapping[] {
  if (/\.csv$/i.test(fileName)) return parseCsv(text);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new MappingFileError(`cannot be read as JSON: ${(error as Error).message}`);
  }
  const lines = Array.isArray(parsed) ? parsed : (parsed as { systems?: unknown } | null)?.systems;
  if (!Array.isArray(lines)) throw new MappingFileError('is JSON but neither a list nor { "systems": [...] }');
  return lines as SystemMapping[];
}

function parseCsv(text: string): SystemMapping[] {
  let rows: Record<string, string>[];
  try {
    rows = parse(text, {
      bom: true,
      columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
      skip_empty_lines: true,
      trim: true,
      comment: '#',
      relax_column_count_less: true,
    });
  } catch (error) {
    throw new MappingFileError(`cannot be read as CSV: ${(error as Error).message}`);
  }
  if (rows.length === 0) return [];
  const columns = Object.keys(rows[0]!);
  const unknown = columns.filter((c) => !['system', 'bridge', 'ignore'].includes(c));
  if (!columns.includes('system') || unknown.length) {
    throw new MappingFileError(`needs a header row naming the columns system, bridge, ignore (found: ${columns.join(', ')})`);
  }
  return rows.map((row, i) => {
    // Line numbers as a spreadsheet shows them: the header is line 1 (comments and blank lines aside).
    const where = `row ${i + 2}`;
    const system = row.system ?? '';
    if (!system) throw new MappingFileError(`${where}: the system column is empty`);
    const ignoreText = (row.ignore ?? '').toLowerCase();
    if (!TRUE.has(ignoreText) && !FALSE.has(ignoreText)) throw new MappingFileError(`${where}: ignore is "${row.ignore}"; use true or false (or leave it empty)`);
    const ignore = TRUE.has(ignoreText);
    const bridge = row.bridge || undefined;
    if (!ignore && !bridge) throw new MappingFileError(`${where}: give a bridge for ${system}, or ignore it`);
    return { system, ...(bridge ? { bridge } : {}), ...(ignore ? { ignore: true } : {}) };
  });
}
