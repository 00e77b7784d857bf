// `switchboard lab cucm` — a standalone CUCM or Unity Connection cluster (S4): PAWS, AXL or CUPI.
import type { Command } from 'commander';
import { systemClock } from '../../platform/clock.ts';
import { createUcClusterSimulator } from './uc.simulator.ts';

export function registerCucmLabCommands(program: Command): Command {
  const lab = program.commands.find((c) => c.name() === 'lab') ?? program.command('lab').description('Wire-faithful simulators of the systems Switchboard manages');
  lab
    .command('cucm')
    .description('Start a simulated CUCM (or --type CUC Unity Connection) cluster; the first node is the publisher')
    .option('--nodes <n>', 'nodes (the first is the publisher)', '2')
    .option('--type <type>', 'CUCM or CUC', 'CUCM')
    .option('--name <name>', 'cluster name', 'cl1-alfa')
    .option('--version <v>', 'product version', '')
    .option('--port <p>', 'port of the publisher; the others take the next ports (0 = ephemeral)', '8701')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--cssm-url <url>', 'the CSSM simulator the Smart Agent registers with', 'http://127.0.0.1:8600')
    .option('--admin <user:password>', 'application admin (AXL / CUPI)', 'administrator:admin-password')
    .option('--platform <user:password>', 'platform admin (PAWS)', 'platformadmin:platform-password')
    .option('--reboot-seconds <s>', 'how long the publisher restarts after a license mode change', '20')
    .option('--mode <mode>', 'initial deployment mode: Enterprise, HCS, HCS-LE', 'Enterprise')
    .action(async (o: { nodes: string; type: string; name: string; version: string; port: string; host: string; cssmUrl: string; admin: string; platform: string; rebootSeconds: string; mode: string }) => {
      const split = (v: string) => {
        const i = v.indexOf(':');
        return { username: v.slice(0, i), password: v.slice(i + 1) };
      };
      const sim = createUcClusterSimulator({
        name: o.name,
        type: o.type.toUpperCase() === 'CUC' ? 'CUC' : 'CUCM',
        version: o.version || undefined,
        nodes: Math.max(1, Number(o.nodes) || 1),
        host: o.host,
        port: Number(o.port) || 0,
        clock: systemClock,
        cssmUrl: o.cssmUrl,
        admin: split(o.admin),
        platform: split(o.platform),
        rebootMs: (Number(o.rebootSeconds) || 0) * 1000,
        deploymentMode: (['Enterprise', 'HCS', 'HCS-LE'].includes(o.mode) ? o.mode : 'Enterprise') as 'Enterprise',
      });
      await sim.start();
      const lines = [`${sim.type} cluster "${sim.name}" ${sim.version} is running (Ctrl+C to stop)`, `  admin ${sim.admin.username}/${sim.admin.password}, platform ${sim.platform.username}/${sim.platform.password}`];
      for (const node of sim.nodes) lines.push(`  ${node.name}${node.publisher ? ' (publisher)' : ''}: ${node.url}  ${sim.type === 'CUCM' ? '/axl/' : '/vmrest/smartlicense/'}  /platform-services/services/DeploymentModeService`);
      lines.push(`  registers with CSSM at ${o.cssmUrl}`);
      console.log(lines.join('\n'));
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await sim.stop();
    });
  return lab;
}
