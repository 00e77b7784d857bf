// The `switchboard` command. Each area adds its commands from its own *.cli.ts through a
// register…Commands(program) function; this file only puts them together and turns errors into
// one clear line and an exit code (0 ok, 1 failure, 2 usage mistake).
import fs from 'node:fs';
import module from 'node:module';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { reportError, USAGE_EXIT_CODE } from '../platform/cli/cli-error.ts';
import { registerStartCommand } from '../platform/cli/start.cli.ts';
import { registerDbCommands } from '../platform/db/db.cli.ts';
import { registerAuthCommands } from '../platform/auth/auth.cli.ts';
import { registerJobCommands } from '../platform/jobs/jobs.cli.ts';
import { registerAuditCommands } from '../platform/audit/audit.cli.ts';
import { registerCmsLabCommands } from '../lab/cms/cms.cli.ts';
import { registerMeetingsCommands } from '../meetings/meetings.cli.ts';
import { registerEndpointCommands } from '../meetings/endpoints.cli.ts';
import { registerLicensingCommands } from '../licensing/licensing.cli.ts';
import { registerCssmLabCommands } from '../lab/cssm/cssm.cli.ts';
import { registerCucmLabCommands } from '../lab/cucm/cucm.cli.ts';
import { registerLabCommands } from '../lab/lab.cli.ts';
import { registerPartnerCommands } from '../partner/partner.cli.ts';

// Run directly (npm start), the modules above are already loaded, but start's server and areas are
// imported later and are the bulk: cache their compiled form (bin/switchboard.js does it for all).
module.enableCompileCache();

const packageJson = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('switchboard')
    .description('Self-hosted management of hosted collaboration: Meetings, Partner, Licensing, Lab')
    .version(packageJson.version, '-v, --version')
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      '\nAPI commands use SWITCHBOARD_URL and SWITCHBOARD_TOKEN when set, else what `switchboard login` stored.\nListings take --json for the API\'s raw JSON.',
    );

  // Areas load only for the commands that run them: API commands should start fast.
  const loadAreas = async () => (await import('./areas.ts')).areaFactories;
  registerStartCommand(program, { loadAreas });
  registerDbCommands(program, { loadAreas });
  registerAuthCommands(program);
  registerJobCommands(program);
  registerAuditCommands(program);
  registerCmsLabCommands(program);
  registerMeetingsCommands(program);
  registerEndpointCommands(program);
  registerLicensingCommands(program);
  registerCssmLabCommands(program);
  registerCucmLabCommands(program);
  registerLabCommands(program);
  registerPartnerCommands(program);

  // After every area registered: commander's own errors (unknown option, missing argument) are
  // thrown rather than exiting, on every command however it was created, so they get exit code 2.
  const throwInsteadOfExit = (command: Command) => {
    command.exitOverride();
    command.commands.forEach(throwInsteadOfExit);
  };
  throwInsteadOfExit(program);
  return program;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has already printed its message (or the help / version).
      process.exit(error.exitCode === 0 ? 0 : USAGE_EXIT_CODE);
    }
    // Exit now: an error may leave handles (sockets, timers) that would keep the process alive.
    process.exit(reportError(error));
  }
}

if (import.meta.main) await main();
