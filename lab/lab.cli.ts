// `switchboard lab reset` — forget the Lab's saved state (lab/README.md, *State across restarts*), so
// the next start seeds the default simulators again. Refused while a server owns the data directory.
import type { Command } from 'commander';

export function registerLabCommands(program: Command): Command {
  const lab = program.commands.find((c) => c.name() === 'lab') ?? program.command('lab').description('Wire-faithful simulators of the systems Switchboard manages');
  lab
    .command('reset')
    .description("Delete the Lab's saved simulator state and ports (<data dir>/lab/*.json): the next start begins clean")
    .option('--data-dir <dir>', 'data directory (SWITCHBOARD_DATA_DIR)')
    .action(async (options: { dataDir?: string }) => {
      const { loadConfig } = await import('../platform/config.ts');
      const { resetLabState } = await import('./lab.state.ts');
      const config = loadConfig({ dataDir: options.dataDir });
      const { dir, removed } = resetLabState(config.dataDir);
      if (removed.length === 0) {
        process.stdout.write(`No saved Lab state in ${dir}: the next start begins clean.\n`);
        return;
      }
      process.stdout.write(`Removed the saved Lab state from ${dir}:\n${removed.map((f) => `  ${f}\n`).join('')}The next start begins with the default Lab.\n`);
    });
  return lab;
}
