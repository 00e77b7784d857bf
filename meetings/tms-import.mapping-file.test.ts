import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MappingFileError, parseMappingFile } from './tms-import.mapping-file.ts';

// #16 part 2/round 2: the import's mapping file as JSON or as CSV (system,bridge,ignore).
describe('TMS import mapping file', () => {
  test('CSV: header in any case and order, BOM, comments, blank lines, quoted names; ignore as true/yes/x', () => {
    const csv = '\uFEFFSystem, Ignore ,Bridge\n# the old MCUs\n"Codian MCU 4510, Oslo",,cms-oslo.example.com\n\n42,yes,\nLegacy gateway,x,\n';
    assert.deepEqual(parseMappingFile('systems.CSV', csv), [
      { system: 'Codian MCU 4510, Oslo', bridge: 'cms-oslo.example.com' },
      { system: '42', ignore: true },
      { system: 'Legacy gateway', ignore: true },
    ]);
  });

  test('CSV: the row that is wrong is named', () => {
    assert.throws(() => parseMappingFile('m.csv', 'system,bridge,ignore\nA,b1,\nB,,\n'), (e: unknown) => e instanceof MappingFileError && /row 3: give a bridge for B/.test(e.message));
    assert.throws(() => parseMappingFile('m.csv', 'system,bridge,ignore\nA,b1,maybe\n'), /row 2: ignore is "maybe"/);
    assert.throws(() => parseMappingFile('m.csv', 'name,bridge\nA,b1\n'), /header row naming the columns system, bridge, ignore \(found: name, bridge\)/);
    assert.throws(() => parseMappingFile('m.csv', 'system,bridge\n"A,b1\n'), /cannot be read as CSV/);
  });

  test('JSON: a list or { systems }, as before; anything else refused', () => {
    const lines = [{ system: 'A', bridge: 'b1' }, { system: 'B', ignore: true }];
    assert.deepEqual(parseMappingFile('m.json', JSON.stringify(lines)), lines);
    assert.deepEqual(parseMappingFile('m.json', JSON.stringify({ systems: lines })), lines);
    assert.throws(() => parseMappingFile('m.json', '{"a":1}'), /neither a list nor/);
    assert.throws(() => parseMappingFile('m.json', 'system,bridge'), /cannot be read as JSON/);
  });
});
