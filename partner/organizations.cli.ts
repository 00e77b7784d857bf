import type { Command } from 'commander';
import { CliError } from '../platform/cli/cli-error.ts';
import { apiClientFromEnvironment, resolveApiTarget } from '../platform/cli/credentials.ts';
import { printJson, printTable } from '../platform/cli/output.ts';

// `switchboard partner …` for enterprises and directory sync, person and customer deletion (P12),
// detach (P8) and the package trends (P15).

type Enterprise = { id: string; orgId: string; spEnterpriseId: string; broadworksDirectorySync: { enableDirSync: boolean; directorySyncStatus: Record<string, unknown> & { syncStatus: string } } };

/** The /v1 routes answer Webex's error body, not the platform envelope: call them here. */
async function webex<T>(method: string, path: string, body?: unknown): Promise<T> {
  const target = resolveApiTarget();
  const headers: Record<string, string> = target.token ? { authorization: `Bearer ${target.token}` } : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${target.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const parsed = text ? (JSON.parse(text) as { message?: string; errors?: { errorCode: number }[]; trackingId?: string }) : null;
  if (!res.ok) throw new CliError(`WEBEX_${parsed?.errors?.[0]?.errorCode ?? res.status}`, parsed?.message ?? `HTTP ${res.status}`, { trackingId: parsed?.trackingId });
  return parsed as T;
}

async function enterpriseBySpId(spEnterpriseId: string) {
  const { items } = await webex<{ items: Enterprise[] }>('GET', `/v1/broadworks/enterprises?spEnterpriseId=${encodeURIComponent(spEnterpriseId)}`);
  if (!items[0]) throw new CliError('NOT_FOUND', `No enterprise ${spEnterpriseId}.`);
  return items[0];
}

export function registerPartnerOrgCommands(partner: Command) {
  partner
    .command('enterprises')
    .description('BroadWorks enterprises with their directory sync state')
    .option('--starts-with <prefix>', 'enterprise IDs starting with this')
    .option('--max <n>', 'at most this many (up to 1000)', '100')
    .option('--json', "print the API's JSON")
    .action(async (options: { startsWith?: string; max: string; json?: boolean }) => {
      const query = new URLSearchParams({ max: options.max, ...(options.startsWith ? { startsWith: options.startsWith } : {}) });
      const { items } = await webex<{ items: Enterprise[] }>('GET', `/v1/broadworks/enterprises?${query}`);
      if (options.json) return printJson(items);
      printTable(
        [
          { header: 'ENTERPRISE', value: (e) => e.spEnterpriseId },
          { header: 'DIR SYNC', value: (e) => (e.broadworksDirectorySync.enableDirSync ? 'on' : 'off') },
          { header: 'STATUS', value: (e) => e.broadworksDirectorySync.directorySyncStatus.syncStatus },
          { header: 'ID', value: (e) => e.id },
        ],
        items,
      );
    });

  partner
    .command('dirsync <spEnterpriseId>')
    .description("An enterprise's directory sync: show it, turn it on or off, or sync now")
    .option('--enable', 'turn directory sync on')
    .option('--disable', 'turn it off (removes the synced external users)')
    .option('--now', 'start a sync now')
    .action(async (spEnterpriseId: string, options: { enable?: boolean; disable?: boolean; now?: boolean }) => {
      if (options.enable && options.disable) throw new CliError('INVALID_ARGUMENT', 'Give --enable or --disable, not both.');
      const enterprise = await enterpriseBySpId(spEnterpriseId);
      const path = `/v1/broadworks/enterprises/${enterprise.id}/broadworksDirectorySync`;
      if (options.enable || options.disable) await webex('PUT', path, { enableDirSync: Boolean(options.enable) });
      if (options.now) await webex('POST', path, { syncStatus: 'SYNC_NOW' });
      printJson(await webex('GET', path));
    });

  partner
    .command('delete-person <personId>')
    .description('Delete a person completely (P12); the last full administrator of an org needs --force')
    .option('--force', 'delete even the last full administrator (no automatic transfer)')
    .action(async (personId: string, options: { force?: boolean }) => {
      await webex('DELETE', `/v1/people/${encodeURIComponent(personId)}${options.force ? '?force=true' : ''}`);
      console.log(`deleted ${personId}`);
    });

  partner
    .command('detach <customerOrgId>')
    .description('Detach an enterprise from the existing Webex org it was attached to (P8); runs as a job')
    .requiredOption('--flow <flow>', 'standard (subscriber data deleted, subscription deactivated) or hybrid (subscriptions unchanged)')
    .action(async (customerOrgId: string, options: { flow: string }) => {
      if (!['standard', 'hybrid'].includes(options.flow)) throw new CliError('INVALID_ARGUMENT', '--flow must be standard or hybrid.');
      const started = await apiClientFromEnvironment().post<{ jobId: string }>(`/api/v1/partner/customers/${encodeURIComponent(customerOrgId)}/detach`, { flow: options.flow });
      console.log(`detaching: job ${started.jobId} (switchboard jobs show ${started.jobId})`);
    });

  partner
    .command('delete-customer <customerOrgId>')
    .description('Delete a customer organisation: its people, directory sync, then the org (P12); runs as a job')
    .action(async (customerOrgId: string) => {
      const started = await apiClientFromEnvironment().post<{ jobId: string }>(`/api/v1/partner/customers/${encodeURIComponent(customerOrgId)}/delete`, {});
      console.log(`deleting: job ${started.jobId} (switchboard jobs show ${started.jobId})`);
    });

  partner
    .command('trends')
    .description('Provisioned users per package over time (P15; UTC days, 13 months kept)')
    .option('--interval <interval>', 'daily, weekly or monthly', 'monthly')
    .option('--from <day>', 'first day (YYYY-MM-DD)')
    .option('--to <day>', 'last day (YYYY-MM-DD)')
    .option('--json', "print the API's JSON")
    .action(async (options: { interval: string; from?: string; to?: string; json?: boolean }) => {
      const result = await apiClientFromEnvironment().get<{ points: Array<Record<string, string | number>> }>('/api/v1/partner/analytics/trends', { interval: options.interval, from: options.from, to: options.to });
      if (options.json) return printJson(result);
      printTable(
        [{ header: 'PERIOD', value: (p) => p.period }, { header: 'AS OF', value: (p) => p.asOf }, ...['softphone', 'basic', 'standard', 'premium'].map((k) => ({ header: k.toUpperCase(), value: (p: Record<string, string | number>) => p[k] }))],
        result.points,
      );
    });

  partner
    .command('snapshots')
    .description('Compute the daily package snapshots now (back-fills from the subscriber history)')
    .option('--from <day>', 'first day (YYYY-MM-DD)')
    .option('--to <day>', 'last day (YYYY-MM-DD)')
    .action(async (options: { from?: string; to?: string }) => {
      const body = Object.fromEntries(Object.entries({ from: options.from, to: options.to }).filter(([, v]) => v));
      const started = await apiClientFromEnvironment().post<{ jobId: string }>('/api/v1/partner/analytics/snapshots', body);
      console.log(`snapshots: job ${started.jobId}`);
    });
}
