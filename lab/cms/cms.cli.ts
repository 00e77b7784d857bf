// `switchboard lab cms` — start a standalone simulated CMS cluster so anyone can point a CMS client at it.
import type { Command } from 'commander';
import { createCmsCluster, type CmsUser } from './cms.cluster.ts';

type CmsLabOptions = {
  nodes: string;
  port: string;
  host: string;
  https?: boolean;
  user: string;
  password: string;
  pageCap: string;
  controlPort?: string;
  certDir: string;
  softwareVersion: string;
  name: string;
  trace?: boolean;
  noDialPlan?: boolean;
  dialPlan?: boolean;
};

export function registerCmsLabCommands(program: Command): Command {
  const lab = program.commands.find((c) => c.name() === 'lab') ?? program.command('lab').description('Wire-faithful simulators of the systems Switchboard manages');
  lab
    .command('cms')
    .description('Start a simulated Cisco Meeting Server cluster (one HTTP(S) listener per Call Bridge)')
    .option('--nodes <n>', 'number of Call Bridges', '2')
    .option('--port <p>', 'port of the first node; the others take the next ports (0 = ephemeral)', '8443')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--https', 'serve HTTPS with a self-signed certificate generated on first run')
    .option('--user <name>', 'API user', 'admin')
    .option('--password <password>', 'API password', 'admin')
    .option('--page-cap <n>', 'server page cap for collection GETs', '10')
    .option('--control-port <p>', 'separate always-on port for the lab control API (/lab/v1)')
    .option('--cert-dir <dir>', 'where the self-signed certificate is kept', 'data/lab/cms-tls')
    .option('--software-version <v>', 'what /system/status reports', '2.9.1')
    .option('--name <name>', 'cluster name', 'cms-lab')
    .option('--no-dial-plan', 'do not seed catch-all outbound and inbound dial plan rules')
    .option('--trace', 'print every node\'s API trace as it happens')
    .action(async (options: CmsLabOptions) => {
      const count = Math.max(1, Number.parseInt(options.nodes, 10) || 1);
      const firstPort = Number.parseInt(options.port, 10) || 0;
      const users: CmsUser[] = [{ name: options.user, password: options.password }];
      const cluster = await createCmsCluster({
        name: options.name,
        users,
        pageCap: Number.parseInt(options.pageCap, 10) || 10,
        softwareVersion: options.softwareVersion,
        certDir: options.certDir,
        controlPort: options.controlPort === undefined ? undefined : Number.parseInt(options.controlPort, 10) || 0,
        nodes: Array.from({ length: count }, (_, i) => ({
          name: `callbridge-${i + 1}`,
          host: options.host,
          port: firstPort === 0 ? 0 : firstPort + i,
          https: options.https ?? false,
        })),
      });
      await cluster.start();
      if (options.dialPlan !== false) {
        // A fresh CMS routes nothing; a lab that anyone can dial out of needs a catch-all rule.
        cluster.store.create('outboundDialPlanRules', new Map([['domain', '*'], ['priority', '0']]));
        cluster.store.create('inboundDialPlanRules', new Map([['domain', 'lab.local']]));
      }
      const lines = [`CMS lab cluster "${cluster.name}" is running (Ctrl+C to stop)`, `  API user: ${options.user} / password: ${options.password}`];
      for (const node of cluster.nodes) lines.push(`  ${node.name}: ${node.baseUrl}/api/v1   (call bridge id ${node.callBridgeId})`);
      lines.push(`  lab control API: ${cluster.controlUrl || cluster.nodes[0].baseUrl}/lab/v1  (faults, trace, dial-in)`);
      if (options.dialPlan !== false) lines.push('  dial plan: outbound "*", inbound "lab.local" (dial-in URIs: <space uri>@lab.local)');
      console.log(lines.join('\n'));
      if (options.trace) for (const node of cluster.nodes) cluster.onTrace(node.name, (_entry, formatted) => console.log(formatted.map((l) => `${node.name} ${l}`).join('\n')));
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await cluster.stop();
    });
  return lab;
}
