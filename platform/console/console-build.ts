import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The console is a Vite build the server serves from dist/console. A fresh clone has no dist/, and
// `npm install && npm start` must still show the console: npm's `prepare` builds it at install,
// and `switchboard start` builds it again when it is missing or older than its sources (a `git
// pull` without a reinstall). The build is a child process so Vite never loads into the server.

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const consoleDistDir = path.join(repoRoot, 'dist/console');
const configFile = path.join(repoRoot, 'platform/console/vite.config.ts');

// Every area keeps its pages in <area>/console; the shell is platform/console.
const sourcePatterns = ['*/console/**/*.{ts,tsx,css,html}', 'platform/console/**/*.{ts,tsx,css,html}'];

export type ConsoleBuildState = 'current' | 'missing' | 'stale';

export function consoleBuildState(): ConsoleBuildState {
  const index = path.join(consoleDistDir, 'index.html');
  if (!fs.existsSync(index)) return 'missing';
  const builtAt = fs.statSync(index).mtimeMs;
  for (const pattern of sourcePatterns) {
    for (const file of fs.globSync(pattern, { cwd: repoRoot })) {
      if (file.includes('node_modules') || file.endsWith('.test.ts')) continue;
      if (fs.statSync(path.join(repoRoot, file)).mtimeMs > builtAt) return 'stale';
    }
  }
  if (fs.statSync(configFile).mtimeMs > builtAt) return 'stale';
  return 'current';
}

/** Vite's command-line entry, or null where dev dependencies were not installed (`--omit=dev`). */
function viteBin(): string | null {
  try {
    const packageJson = createRequire(import.meta.url).resolve('vite/package.json');
    const bin = path.join(path.dirname(packageJson), 'bin/vite.js');
    return fs.existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

export type ConsoleBuildResult = { built: boolean; state: ConsoleBuildState; error?: string };

/** Builds the console with the running Node (the project's Node 24) unless it is current. */
export function buildConsole({ force = false, quiet = false }: { force?: boolean; quiet?: boolean } = {}): ConsoleBuildResult {
  const state = consoleBuildState();
  if (state === 'current' && !force) return { built: false, state };
  const vite = viteBin();
  if (!vite) {
    return { built: false, state, error: 'Vite is not installed (dev dependencies omitted), so the console cannot be built here: run `npm install` without --omit=dev, or copy a built dist/console.' };
  }
  const result = spawnSync(process.execPath, [vite, 'build', '--config', configFile, '--logLevel', quiet ? 'error' : 'warn'], {
    cwd: repoRoot,
    stdio: quiet ? ['ignore', 'ignore', 'pipe'] : 'inherit',
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    const detail = quiet && result.stderr ? `: ${result.stderr.trim().split('\n').slice(-5).join(' ')}` : '';
    return { built: false, state, error: `the console build failed (exit ${result.status ?? result.signal})${detail}` };
  }
  return { built: true, state };
}

// `node platform/console/console-build.ts [--force]`: npm's prepare and `npm run build:console`.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = buildConsole({ force: process.argv.includes('--force') });
  if (result.error) {
    process.stderr.write(`switchboard: ${result.error}\n`);
    // At install time a missing Vite is not an error: the server says what to do when it starts.
    process.exit(result.error.startsWith('Vite is not installed') ? 0 : 1);
  }
  process.stdout.write(result.built ? `console built into ${path.relative(process.cwd(), consoleDistDir) || consoleDistDir}\n` : 'console is up to date\n');
}
