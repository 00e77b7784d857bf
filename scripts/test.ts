// `npm test`: type-check, build the console, prepare the test database template, then run every
// *.test.ts with Node's test runner. Set DATABASE_URL to run the same suite on PostgreSQL;
// SWITCHBOARD_TEST_CONCURRENCY sets how many test files run at once (default 4).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { embeddedTemplateDir } from '../test/support/test-database.ts';
import { buildConsole } from '../platform/console/console-build.ts';

const root = path.resolve(import.meta.dirname, '..');
const bin = (name: string) => path.join(root, 'node_modules/.bin', name);
const env = { ...process.env, PATH: `${path.join(root, 'node_modules/.bin')}:${process.env.PATH}` };

function run(label: string, command: string, args: string[]) {
  console.log(`\n== ${label}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env });
  if (result.status !== 0) {
    console.error(`${label} failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
}

const args = process.argv.slice(2);
const only = args.filter((a) => !a.startsWith('--'));

if (!args.includes('--no-typecheck')) run('type-check', bin('tsc'), ['-p', 'tsconfig.json']);
if (!args.includes('--no-build')) {
  console.log('\n== build console');
  const built = buildConsole({ force: true });
  if (built.error) {
    console.error(built.error);
    process.exit(1);
  }
}
if (!process.env.DATABASE_URL) {
  console.log('\n== embedded database template');
  console.log(await embeddedTemplateDir());
}

const files = only.length
  ? only
  : fs
      .globSync('{platform,meetings,partner,licensing,lab,cli,test}/**/*.test.ts', { cwd: root })
      .filter((file) => !file.includes('node_modules'))
      .sort();
console.log(`\n== ${files.length} test files on ${process.env.DATABASE_URL ? 'PostgreSQL' : 'the embedded database'}`);
// Test files spend most of their time waiting (child processes, the browser, job polling), so more
// run at once than there are CPUs: measured on 2 CPUs, 26 files took 999 s at 2 and 686 s at 4.
const concurrency = Number(process.env.SWITCHBOARD_TEST_CONCURRENCY ?? 4);
// --test-force-exit: a file whose tests are over (passed, failed or timed out) ends even if something
// it started still holds the event loop, so one hung test costs its timeout, not the CI budget.
run('tests', process.execPath, ['--test', '--test-reporter=spec', `--test-concurrency=${concurrency}`, '--test-timeout=600000', '--test-force-exit', ...files]);
