import type { Command } from 'commander';
import { apiClientFromEnvironment } from '../platform/cli/credentials.ts';
import { formatTime, listingOptions, printFields, printJson, printPage, type Page } from '../platform/cli/output.ts';
import { watchJob } from '../platform/cli/watch-job.ts';
import { CliError } from '../platform/cli/cli-error.ts';

// `switchboard licensing …`: smart accounts, virtual accounts, clusters and the cluster jobs, with
// a progress bar for syncs and assignments (L1–L8).
const base = '/api/v1/licensing';
type Row = Record<string, any>;

async function follow(jobId: string, json?: boolean) {
  const client = apiClientFromEnvironment();
  await watchJob(client, jobId);
  const op = await client.get<Row>(`${base}/jobs/${jobId}`);
  if (json) return printJson(op);
  printOperation(op);
  if (op.status === 'FAILED') throw new CliError(op.errorCode ?? 'JOB_FAILED', op.errorDescription ?? 'The job failed.', { hint: op.recommendedAction ? `Recommended action: ${op.recommendedAction}` : null });
}

function printOperation(op: Row) {
  printFields([
    ['Job', op.id],
    ['Job Type', op.jobType],
    ['Entity Type', op.entityType],
    ['Entity Name', op.entityName],
    ['Date/Time Initiated', formatTime(op.startedAt)],
    ['Date/Time Completed', formatTime(op.finishedAt)],
    ['Status', op.status],
    ['Description', op.description],
    ['Status Information', Object.entries(op.progressInfo ?? {}).map(([k, v]) => `${k} - ${v}`).join(', ')],
    ['Error', op.errorDescription ?? ''],
    ['Recommended Action', op.recommendedAction ?? ''],
  ]);
}

export function registerLicensingCommands(program: Command): Command {
  const licensing = program.command('licensing').description('Smart Licensing: smart accounts, virtual accounts, UC cluster assignment (L1–L8)');

  const smartAccounts = listingOptions(licensing.command('smart-accounts').description('Smart Account Summary; `smart-accounts delete <id>` deletes one'));
  smartAccounts.action(async (o: { limit: number; offset: number; json?: boolean }) => {
    const page = await apiClientFromEnvironment().get<Page<Row>>(`${base}/smart-accounts`, { limit: o.limit, offset: o.offset });
    if (o.json) return printJson(page);
    printPage(page, [
      { header: 'ID', value: (r) => r.id },
      { header: 'NAME', value: (r) => r.name },
      { header: 'DOMAIN', value: (r) => r.domain },
      { header: 'STATUS', value: (r) => r.status },
      { header: 'VA#', value: (r) => r.virtualAccountCount },
      { header: 'LAST SYNC', value: (r) => formatTime(r.lastSyncAt) },
      { header: 'ALERTS', value: (r) => r.alerts.length },
    ], 'smart accounts');
  });

  smartAccounts
    .command('delete')
    .description('Delete a smart account from Switchboard with its virtual accounts (CSSM is not changed); refused while clusters are assigned to them')
    .argument('<id>', 'smart account ID (see `switchboard licensing smart-accounts`)')
    .action(async (id: string) => {
      const client = apiClientFromEnvironment();
      const sa = await client.get<Row>(`${base}/smart-accounts/${id}`);
      await client.delete(`${base}/smart-accounts/${id}`);
      console.log(`Smart account ${sa.name ?? sa.domain} (${sa.domain}) deleted from Switchboard with its ${sa.virtualAccountCount} virtual accounts; CSSM is not changed.`);
    });

  licensing
    .command('configure')
    .description('Configure smart account access (starts the first sync)')
    .requiredOption('--domain <domain>', 'Smart Account domain name')
    .requiredOption('--client-id <id>', 'API client ID')
    .requiredOption('--client-secret <secret>', 'API client secret (stored encrypted)')
    .option('--name <name>', 'Smart Account name')
    .option('--proxy <host:port>', 'reach CSSM through this HTTP/HTTPS proxy')
    .option('--auth-gateway <url>', 'OAuth2 token URL')
    .option('--cssm-server <url>', 'Smart Accounts & Licensing API base URL')
    .option('--no-wait', 'do not follow the sync job')
    .action(async (o: { domain: string; clientId: string; clientSecret: string; name?: string; proxy?: string; authGateway?: string; cssmServer?: string; wait: boolean }) => {
      const [host, port] = (o.proxy ?? '').split(':');
      const result = await apiClientFromEnvironment().post<Row>(`${base}/smart-accounts`, {
        domain: o.domain,
        clientId: o.clientId,
        clientSecret: o.clientSecret,
        name: o.name,
        transport: o.proxy ? { mode: 'proxy', host, port: Number(port) } : undefined,
        authGatewayUrl: o.authGateway,
        cssmServerUrl: o.cssmServer,
      });
      console.log(`Smart account ${result.smartAccount.domain} configured (${result.smartAccount.id}); sync job ${result.syncJobId}`);
      if (o.wait) await follow(result.syncJobId);
    });

  licensing
    .command('sync')
    .description('Sync virtual accounts from CSSM, with a progress bar')
    .argument('<smartAccountId>')
    .option('--no-wait', 'do not follow the job')
    .action(async (id: string, o: { wait: boolean }) => {
      const { jobId } = await apiClientFromEnvironment().post<{ jobId: string }>(`${base}/smart-accounts/${id}/sync`);
      console.log(`Sync job ${jobId}`);
      if (o.wait) await follow(jobId);
    });

  listingOptions(
    licensing
      .command('virtual-accounts')
      .description('Virtual Account Summary')
      .option('--smart-account <id>')
      .option('--name <text>', 'name contains')
      .option('--access-level <level>', 'PUBLIC or PRIVATE'),
  ).action(async (o: { smartAccount?: string; name?: string; accessLevel?: string; limit: number; offset: number; json?: boolean }) => {
    const page = await apiClientFromEnvironment().get<Page<Row>>(`${base}/virtual-accounts`, { smartAccountId: o.smartAccount, name: o.name, accessLevel: o.accessLevel, limit: o.limit, offset: o.offset });
    if (o.json) return printJson(page);
    printPage(page, [
      { header: 'ID', value: (r) => r.id },
      { header: 'NAME', value: (r) => r.name, maxWidth: 40 },
      { header: 'SA NAME', value: (r) => r.smartAccountName },
      { header: 'ACCESS LEVEL', value: (r) => r.accessLevel },
      { header: 'LICENSE MODE', value: (r) => r.licenseMode ?? '' },
      { header: 'CLUSTERS#', value: (r) => r.clusterCount },
    ], 'virtual accounts', { times: false });
  });

  licensing
    .command('license-mode')
    .description('Set the license mode of a virtual account (Enterprise, HCS, HCS-LE)')
    .argument('<virtualAccountId>')
    .argument('<mode>')
    .action(async (id: string, mode: string) => {
      const va = await apiClientFromEnvironment().patch<Row>(`${base}/virtual-accounts/${id}`, { licenseMode: mode });
      console.log(`${va.name}: license mode ${va.licenseMode}`);
    });

  listingOptions(licensing.command('clusters').description('Cluster Summary').option('--type <type>', 'CUCM or CUC')).action(async (o: { type?: string; limit: number; offset: number; json?: boolean }) => {
    const page = await apiClientFromEnvironment().get<Page<Row>>(`${base}/clusters`, { type: o.type, limit: o.limit, offset: o.offset });
    if (o.json) return printJson(page);
    printPage(page, [
      { header: 'ID', value: (r) => r.id },
      { header: 'NAME', value: (r) => r.name },
      { header: 'TYPE', value: (r) => r.type },
      { header: 'VERSION', value: (r) => r.version },
      { header: 'SMART ACCOUNT', value: (r) => r.smartAccountName ?? '' },
      { header: 'VIRTUAL ACCOUNT', value: (r) => r.virtualAccountName ?? '' },
      { header: 'STATUS', value: (r) => r.status },
      { header: 'JOB STATUS', value: (r) => r.jobStatus ?? '' },
    ], 'clusters', { times: false });
  });

  const jobCommand = (name: string, description: string, args: string[], request: (...values: string[]) => Promise<Row>) => {
    const command = licensing.command(name).description(description);
    for (const a of args) command.argument(`<${a}>`);
    command.option('--no-wait', 'do not follow the job').option('--json', 'print the job as JSON');
    command.action(async (...values: unknown[]) => {
      const o = values[args.length] as { wait: boolean; json?: boolean };
      const started = await request(...(values.slice(0, args.length) as string[]));
      const jobs: Row[] = started.jobs ?? [started];
      for (const j of jobs) {
        if (j.warning) console.error(`Note: ${j.warning}`);
        console.log(`${j.description} (job ${j.jobId})`);
        if (o.wait) await follow(j.jobId, o.json);
      }
    });
  };
  jobCommand('assign', 'Assign a cluster to a virtual account (the publisher restarts if its license mode changes)', ['virtualAccountId', 'clusterId'], (va, cluster) => apiClientFromEnvironment().post(`${base}/virtual-accounts/${va}/assign`, { clusterIds: [cluster] }));
  jobCommand('unassign', 'Unassign a cluster from its virtual account', ['clusterId'], (cluster) => apiClientFromEnvironment().post(`${base}/clusters/${cluster}/unassign`));
  jobCommand('reassign', 'Move a cluster to another virtual account', ['clusterId', 'virtualAccountId'], (cluster, va) => apiClientFromEnvironment().post(`${base}/clusters/${cluster}/reassign`, { virtualAccountId: va }));

  listingOptions(
    licensing
      .command('jobs')
      .description('Licensing jobs, newest first')
      .option('--status <status>', 'IN_PROGRESS, SUCCEEDED or FAILED')
      .option('--operation <op>', 'assign, unassign, reassign or sync'),
  ).action(async (o: { status?: string; operation?: string; limit: number; offset: number; json?: boolean }) => {
    const page = await apiClientFromEnvironment().get<Page<Row>>(`${base}/jobs`, { status: o.status, operation: o.operation, limit: o.limit, offset: o.offset });
    if (o.json) return printJson(page);
    printPage(page, [
      { header: 'ID', value: (r) => r.id },
      { header: 'TYPE', value: (r) => r.jobType },
      { header: 'STATUS', value: (r) => r.status },
      { header: 'STARTED', value: (r) => formatTime(r.startedAt) },
      { header: 'DESCRIPTION', value: (r) => r.description, maxWidth: 60 },
    ], 'jobs', { times: false });
  });

  licensing
    .command('job')
    .description('One licensing job: steps, error and recommended action')
    .argument('<id>')
    .option('--json')
    .action(async (id: string, o: { json?: boolean }) => {
      const op = await apiClientFromEnvironment().get<Row>(`${base}/jobs/${id}`);
      if (o.json) return printJson(op);
      printOperation(op);
    });

  licensing
    .command('restart')
    .description('Restart a failed licensing job (steps that passed are not repeated)')
    .argument('<id>')
    .option('--no-wait', 'do not follow the job')
    .action(async (id: string, o: { wait: boolean }) => {
      await apiClientFromEnvironment().post(`${base}/jobs/${id}/restart`);
      if (o.wait) await follow(id);
    });

  licensing
    .command('accept-certificate')
    .description('Accept the certificate a cluster\'s publisher presents now (a renewed one): pinned, its alert cleared; then restart the failed job')
    .argument('<clusterId>')
    .requiredOption('--fingerprint <sha256>', 'SHA-256 fingerprint of the certificate the publisher presents (the alert and `presentedCertificate` name it)')
    .action(async (id: string, o: { fingerprint: string }) => {
      const cluster = await apiClientFromEnvironment().post<Record<string, any>>(`${base}/clusters/${id}/certificate/accept`, { fingerprint: o.fingerprint });
      console.log(`${cluster.name}: publisher certificate ${cluster.certificateTrust === 'ca' ? 'trusted by a CA' : 'pinned'}, SHA-256 ${cluster.certificateFingerprint}.`);
    });

  return licensing;
}
