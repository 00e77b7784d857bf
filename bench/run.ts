// `npm run bench [-- word ...]`: runs bench/*.bench.ts (all of them, or those whose file or result
// names contain one of the words), prints a table and writes the figures to bench/results/.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchContext, BenchModule, BenchResult } from './bench-types.ts';

const benchDir = import.meta.dirname;
const root = path.resolve(benchDir, '..');

type Ratios = { opsPerSec?: number; p50Ms?: number; p99Ms?: number };
type Row = BenchResult & { file: string; ratio?: Ratios };

const filters = process.argv.slice(2).filter((arg) => !arg.startsWith('-')).map((arg) => arg.toLowerCase());
const matches = (name: string) => filters.length === 0 || filters.some((word) => name.toLowerCase().includes(word));

const allFiles = fs
  .readdirSync(benchDir)
  .filter((file) => file.endsWith('.bench.ts'))
  .sort();
const stemOf = (file: string) => file.replace(/\.bench\.ts$/, '');
// Words naming files (`-- platform`) run just those files; other words run every file and keep the
// matching results (`-- jobs`), since only the files know their result names.
// A word that is a file's whole stem names that file alone (`-- meetings` is not also meetings-faults).
const exactFiles = allFiles.filter((file) => filters.includes(stemOf(file)));
const namedFiles = exactFiles.length ? exactFiles : filters.length ? allFiles.filter((file) => matches(stemOf(file))) : [];
const files = namedFiles.length ? namedFiles : allFiles;

const rows: Row[] = [];
const notes: string[] = [];
const failures: { file: string; error: string }[] = [];
const startedAt = new Date();
// Figures from a busy machine are not comparable with a quiet one's: keep the load next to them.
const loadAtStart = os.loadavg()[0];

for (const file of files) {
  const stem = stemOf(file);
  // A file named on the command line runs whole; otherwise it runs only for matching results.
  const wholeFile = exactFiles.length ? exactFiles.includes(file) : matches(stem);
  const wants = (name: string) => wholeFile || matches(name);
  const context: BenchContext = {
    filters,
    wants,
    note(message) {
      notes.push(message.startsWith(`${stem}:`) ? message : `${stem}: ${message}`);
      console.log(`  note: ${message}`);
    },
  };
  console.log(`\n== ${file}`);
  const began = performance.now();
  try {
    const module = (await import(pathToFileURL(path.join(benchDir, file)).href)) as BenchModule;
    const results = await module.default(context);
    const kept = results.filter((r) => wants(r.name));
    for (const result of kept) rows.push({ ...result, file });
    const filtered = kept.length < results.length ? ` (${kept.length} asked for)` : '';
    console.log(`  ${results.length} result(s)${filtered} in ${((performance.now() - began) / 1000).toFixed(1)} s`);
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    failures.push({ file, error: message });
    console.error(`  FAILED: ${message}`);
  }
}

for (const row of rows) {
  if (!row.baseline) continue;
  const base = rows.find((other) => other.name === row.baseline);
  if (!base) {
    notes.push(`${row.name}: baseline "${row.baseline}" was not measured in this run`);
    continue;
  }
  const ratio = (a?: number, b?: number) => (a !== undefined && b !== undefined && b !== 0 ? a / b : undefined);
  row.ratio = { opsPerSec: ratio(row.opsPerSec, base.opsPerSec), p50Ms: ratio(row.p50Ms, base.p50Ms), p99Ms: ratio(row.p99Ms, base.p99Ms) };
}

printTable(rows);
console.log(`load average (1 min) ${loadAtStart.toFixed(1)} at start, ${os.loadavg()[0].toFixed(1)} at end, ${os.cpus().length} CPUs`);
for (const note of notes) console.log(`note: ${note}`);

if (rows.length > 0 || failures.length > 0) {
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const out = path.join(benchDir, 'results', `${stamp}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const report = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    filters,
    machine: { loadAverage1m: { start: round2(loadAtStart), end: round2(os.loadavg()[0]) }, node: process.version, platform: `${os.platform()} ${os.release()}`, arch: os.arch(), cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30) },
    commit: gitCommit(),
    results: rows,
    notes,
    failures,
  };
  fs.writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  console.log(`\nwrote ${path.relative(root, out)}`);
}

if (filters.length > 0 && rows.length === 0 && failures.length === 0) {
  console.error(`No bench result matches ${filters.join(', ')}.`);
  process.exit(1);
}
// Benches start servers and pools; a leftover timer must not keep the process (and CI) waiting.
process.exit(failures.length > 0 ? 1 : 0);

function printTable(list: Row[]) {
  const number = (value: number | undefined, digits: number) => (value === undefined ? '' : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));
  const times = (value: number | undefined, label: string) => (value === undefined ? [] : [`${label} ${value.toFixed(2)}×`]);
  const header = ['name', 'ops/s', 'p50 ms', 'p99 ms', 'vs baseline'];
  const body = list.map((row) => [
    row.name,
    number(row.opsPerSec, row.opsPerSec !== undefined && row.opsPerSec < 100 ? 1 : 0),
    number(row.p50Ms, 2),
    number(row.p99Ms, 2),
    row.ratio ? [...times(row.ratio.opsPerSec, 'ops/s'), ...times(row.ratio.p50Ms, 'p50'), ...times(row.ratio.p99Ms, 'p99')].join(', ') : row.baseline ? 'n/a' : '',
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((cells) => cells[column].length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 || column === 4 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ').trimEnd();
  console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const cells of body) console.log(line(cells));
  if (list.some((row) => row.ratio)) console.log('(vs baseline: this result ÷ its baseline; ops/s above 1 is faster, p50/p99 below 1 is faster)');
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}
