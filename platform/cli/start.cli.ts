import { Option, type Command } from 'commander';
import { CliError } from './cli-error.ts';
import { printFramed } from './output.ts';
import type { AreaFactory } from '../area.ts';

// `switchboard start` (what `npm start` runs): the server, the job workers and the scheduler in
// one process, with flags over the environment.

type StartOptions = { port?: string; host?: string; dataDir?: string; databaseUrl?: string; role?: string; lab: boolean };

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'EADDRINUSE') return new CliError('PORT_IN_USE', `Port ${port} on ${host} is already in use.`, { hint: 'Stop the other process, or start with --port <n> (0 = any free port).' });
  if (code === 'EACCES') return new CliError('PORT_FORBIDDEN', `This user may not listen on port ${port} of ${host}.`, { hint: 'Use a port above 1023, e.g. --port 8080.' });
  if (code === 'EADDRNOTAVAIL') return new CliError('HOST_UNAVAILABLE', `${host} is not an address of this machine.`, { hint: 'Use --host 127.0.0.1 or 0.0.0.0.' });
  return error;
}

/** `loadAreas` is called only when the command runs: areas are heavy, and `--help` should not wait. */
export function registerStartCommand(program: Command, { loadAreas }: { loadAreas: () => Promise<AreaFactory[]> }) {
  program
    .command('start')
    .description('Run Switchboard: API, console, job workers and scheduler (embedded database unless DATABASE_URL is set)')
    .option('--port <port>', 'HTTP port, 0 = any free port (SWITCHBOARD_PORT, default 8080)')
    .option('--host <address>', 'address to listen on, 0.0.0.0 for all (SWITCHBOARD_HOST, default 127.0.0.1)')
    .option('--data-dir <dir>', 'embedded database, lock and secret key (SWITCHBOARD_DATA_DIR, default ./data)')
    .option('--database-url <url>', 'PostgreSQL URL instead of the embedded database (DATABASE_URL)')
    .addOption(new Option('--role <role>', 'what this instance runs (SWITCHBOARD_ROLE, default all)').choices(['all', 'web', 'worker']))
    .option('--no-lab', 'do not start the Lab simulators (SWITCHBOARD_LAB=false)')
    .action(async (options: StartOptions, command: Command) => {
      // Loaded here so that API commands (jobs, audit, …) start fast.
      const { loadConfig } = await import('../config.ts');
      const config = loadConfig({
        port: options.port,
        host: options.host,
        dataDir: options.dataDir,
        databaseUrl: options.databaseUrl,
        role: options.role,
        lab: command.getOptionValueSource('lab') === 'cli' ? String(options.lab) : undefined,
      });

      // Signals are taken from the start, so a Ctrl+C during startup still closes the database
      // cleanly (and releases the data directory) once startup has finished.
      let stopRequested = false;
      let firstSignalAt = 0;
      let stop: (() => Promise<void>) | null = null;
      const onSignal = (signal: NodeJS.Signals) => {
        const now = Date.now();
        if (stopRequested) {
          // A terminal's Ctrl+C reaches both bin/switchboard.js and this process, which forwards it
          // too: one press can arrive twice. A later, deliberate second signal forces the exit.
          if (now - firstSignalAt < 1000) return;
          process.stderr.write(`${signal} again: exiting without a clean shutdown.\n`);
          process.exit(1);
        }
        stopRequested = true;
        firstSignalAt = now;
        process.stderr.write(`${signal}: stopping Switchboard…\n`);
        void stop?.();
      };
      for (const signal of SIGNALS) process.on(signal, onSignal);
      // bench/footprint.bench.ts reads the main thread's heap figures, which /proc cannot tell, from
      // outside the process: SIGUSR2 prints them as one JSON line (never without the variable, so a
      // stray signal cannot write into a production log).
      if (process.env.SWITCHBOARD_MEMORY_REPORT === '1') {
        process.on('SIGUSR2', () => process.stdout.write(`${JSON.stringify({ memoryUsage: process.memoryUsage() })}\n`));
      }

      if (config.role !== 'worker') {
        // A fresh clone whose install skipped `prepare`, or sources newer than the build (a pull).
        const { buildConsole, consoleBuildState } = await import('../console/console-build.ts');
        const state = consoleBuildState();
        if (state !== 'current') {
          process.stderr.write(state === 'missing' ? 'Building the console (first start)…\n' : 'The console is older than its sources: building it…\n');
          const built = buildConsole({ quiet: true });
          if (built.error) process.stderr.write(`warning: ${built.error}. The API works; / explains how to build the console.\n`);
        }
      }

      const { createSwitchboard } = await import('../app.ts');
      const { describeDatabase } = await import('../db/db.cli.ts');

      const sb = await createSwitchboard({ config, areas: await loadAreas() });
      // The first admin exists from here on and its password is nowhere else: whatever happens
      // next (port taken, Ctrl+C during startup), the user must have seen it.
      const showFirstAdmin = () => {
        if (!sb.firstAdmin) return;
        printFramed([
          'First start: an administrator was created. Sign in to the console with',
          `  username: ${sb.firstAdmin.username}`,
          `  password: ${sb.firstAdmin.password}`,
          'This password is shown only this once and is not stored anywhere in clear.',
          'Change it after signing in; add more users in the console or with `switchboard users create`.',
        ]);
      };
      let url: string;
      try {
        url = await sb.listen();
      } catch (error) {
        showFirstAdmin();
        await sb.close().catch(() => undefined);
        throw listenError(error, config.host, config.port);
      }

      stop = async () => {
        try {
          await sb.close();
          process.stderr.write('Switchboard stopped.\n');
          process.exit(0);
        } catch (error) {
          process.stderr.write(`Error while stopping: ${(error as Error).message}\n`);
          process.exit(1);
        }
      };
      if (stopRequested) {
        showFirstAdmin();
        return stop();
      }

      const consoleUrl = config.publicUrl ?? url;
      const lines = [
        `Switchboard is running: console at ${consoleUrl}`,
        `  API ${consoleUrl}/api/v1 (docs at ${consoleUrl}/api/docs), listening on ${url}`,
        `  ${describeDatabase(config)}; role ${config.role}${config.labEnabled ? '; Lab on' : ''}. Ctrl+C stops.`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      if (sb.firstAdmin) showFirstAdmin();
      else if ((await sb.services.auth.listUsers({ offset: 0, limit: 1 })).total === 0) {
        process.stdout.write('No users yet: create the first administrator with `switchboard admin create --username <name>`.\n');
      }
    });
}
