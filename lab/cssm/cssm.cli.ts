// `switchboard lab cssm` — a standalone CSSM simulator (S3) seeded like the Lab's smart account.
import type { Command } from 'commander';
import { systemClock } from '../../platform/clock.ts';
import { createCssmSimulator } from './cssm.simulator.ts';
import { LAB_DOMAIN, seedLabSmartAccount } from './cssm.seed.ts';

export function registerCssmLabCommands(program: Command): Command {
  const lab = program.commands.find((c) => c.name() === 'lab') ?? program.command('lab').description('Wire-faithful simulators of the systems Switchboard manages');
  lab
    .command('cssm')
    .description('Start a simulated Cisco Smart Software Manager (OAuth2 token endpoint + Smart Accounts & Licensing APIs)')
    .option('--port <p>', 'port (0 = ephemeral)', '8600')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--domain <domain>', 'smart account domain', LAB_DOMAIN)
    .option('--client-id <id>', 'API client ID', 'switchboard-lab')
    .option('--client-secret <secret>', 'API client secret', 'switchboard-lab-secret')
    .option('--virtual-accounts <n>', 'virtual accounts to seed', '1285')
    .option('--satellite-every <n>', 'every n-th virtual account is satellite-synced', '20')
    .option('--page-size <n>', 'default and largest page of the virtual-account list', '1000')
    .option('--token-lifetime <s>', 'access token lifetime (expires_in)', '3599')
    .action(async (o: { port: string; host: string; domain: string; clientId: string; clientSecret: string; virtualAccounts: string; satelliteEvery: string; pageSize: string; tokenLifetime: string }) => {
      const pageSize = Number(o.pageSize) || 1000;
      const sim = createCssmSimulator({ host: o.host, port: Number(o.port) || 0, clock: systemClock, clients: [{ clientId: o.clientId, clientSecret: o.clientSecret, domains: [o.domain] }], pageSize, maxPageSize: pageSize, tokenLifetimeSeconds: Number(o.tokenLifetime) || 3599 });
      const seeded = seedLabSmartAccount(sim, { domain: o.domain, virtualAccounts: Number(o.virtualAccounts) || 0, satelliteEvery: Number(o.satelliteEvery) || 20 });
      await sim.start();
      console.log(
        [
          'CSSM simulator is running (Ctrl+C to stop)',
          `  token endpoint:  ${sim.tokenUrl}   (also /oauth2/default/v1/token, /backend/oauth/token)`,
          `  API base:        ${sim.apiBase}`,
          `  client:          ${o.clientId} / ${o.clientSecret}`,
          `  smart account:   ${o.domain} with ${o.virtualAccounts} virtual accounts (${seeded.satellite} satellite-synced)`,
          `  device agent:    ${sim.url}/sim/agent   (what the UC simulators register through)`,
        ].join('\n'),
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await sim.stop();
    });
  return lab;
}
