import fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { apiClientFromEnvironment } from '../../platform/cli/credentials.ts';
import { CliError } from '../../platform/cli/cli-error.ts';
import { followJob } from '../../platform/cli/watch-job.ts';
import { formatTime, printFields, printJson, printTable } from '../../platform/cli/output.ts';

// `switchboard billing …` (P16): create a month's report and follow its job with a progress bar,
// list, show (totals by package), delete, download the CSV through its temporary link.

type Report = {
  id: string;
  reportId: string;
  billingPeriod: string;
  status: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  created: string;
  createdByName: string;
  jobId: string | null;
  progressPercent: number;
  recordCount: number | null;
  byteSize: number | null;
  tempDownloadURL?: string;
  errors?: { code: number; description: string }[];
  summary: { subscribers: number; byPackage: Record<string, { records: number; quantity: number }> } | null;
};

const base = '/api/v1/partner/billing/reports';
const path = (id: string) => `${base}/${encodeURIComponent(id)}`;

function printReport(report: Report) {
  printFields([
    ['ID', report.id],
    ['Billing period', report.billingPeriod],
    ['Status', report.status],
    ['Created', `${formatTime(report.created)} by ${report.createdByName}`],
    ['Job', report.jobId],
    ['Records', report.recordCount],
    ['Subscribers', report.summary?.subscribers],
    ['Size (bytes)', report.byteSize],
    ...(report.errors ?? []).map((e): [string, unknown] => ['Error', `${e.code} ${e.description}`]),
  ]);
  if (report.summary) {
    console.log('');
    printTable(
      [
        { header: 'PACKAGE', value: (r: [string, { records: number; quantity: number }]) => r[0] },
        { header: 'RECORDS', value: (r) => r[1].records },
        { header: 'QUANTITY', value: (r) => r[1].quantity.toFixed(4) },
      ],
      Object.entries(report.summary.byPackage).sort(([a], [b]) => a.localeCompare(b)),
    );
  }
}

export function registerBillingCommands(program: Command) {
  const billing = program.command('billing').description('Billing reports (Webex for BroadWorks): one per month, prorated per subscriber');

  billing
    .command('create <month>')
    .description('Create the billing report of a month (YYYY-MM) and follow its generation')
    .option('--no-wait', 'do not follow the job')
    .option('--json', "print the API's JSON")
    .action(async (month: string, options: { wait: boolean; json?: boolean }) => {
      const client = apiClientFromEnvironment();
      const created = await client.post<{ id: string; reportId: string; jobId: string }>(base, { billingPeriod: month });
      if (options.wait) await followJob(client, created.jobId);
      const report = await client.get<Report>(path(created.id));
      if (options.json) return printJson(report);
      printReport(report);
      if (report.status === 'FAILED') throw new CliError('REPORT_FAILED', `The billing report for ${month} failed.`);
    });

  billing
    .command('list')
    .description('Billing reports, newest month first')
    .option('--json', "print the API's JSON")
    .action(async (options: { json?: boolean }) => {
      const { items } = await apiClientFromEnvironment().get<{ items: Report[] }>(base);
      if (options.json) return printJson(items);
      if (!items.length) return console.log('No billing reports found.');
      printTable(
        [
          { header: 'ID', value: (r: Report) => r.id, maxWidth: 200 },
          { header: 'PERIOD', value: (r) => r.billingPeriod },
          { header: 'STATUS', value: (r) => (r.status === 'IN_PROGRESS' ? `IN_PROGRESS ${r.progressPercent}%` : r.status) },
          { header: 'RECORDS', value: (r) => r.recordCount },
          { header: 'CREATED', value: (r) => formatTime(r.created) },
        ],
        items,
      );
    });

  billing
    .command('get <id>')
    .description('A billing report: status, totals by package')
    .option('--json', "print the API's JSON")
    .action(async (id: string, options: { json?: boolean }) => {
      const report = await apiClientFromEnvironment().get<Report>(path(id));
      if (options.json) return printJson(report);
      printReport(report);
    });

  billing
    .command('delete <id>')
    .description('Delete a billing report (its month can then be created again)')
    .action(async (id: string) => {
      await apiClientFromEnvironment().delete(path(id));
      console.log(`Deleted billing report ${id}.`);
    });

  billing
    .command('download <id>')
    .description('Download a completed report as CSV (to stdout, or --output)')
    .option('-o, --output <file>', 'write the CSV to this file')
    .action(async (id: string, options: { output?: string }) => {
      const report = await apiClientFromEnvironment().get<Report>(path(id));
      if (report.status !== 'COMPLETED' || !report.tempDownloadURL) {
        throw new CliError('REPORT_NOT_READY', `Billing report ${report.billingPeriod} is ${report.status}; there is nothing to download yet.`, {
          hint: report.status === 'IN_PROGRESS' && report.jobId ? `Follow it with \`switchboard jobs watch ${report.jobId}\`.` : null,
        });
      }
      const res = await fetch(report.tempDownloadURL);
      if (!res.ok || !res.body) {
        const body = (await res.json().catch(() => null)) as { message?: string; trackingId?: string } | null;
        throw new CliError('DOWNLOAD_FAILED', body?.message ?? `The download answered HTTP ${res.status}.`, { trackingId: body?.trackingId ?? null });
      }
      // Streamed: a million-record report never sits in memory.
      await pipeline(Readable.fromWeb(res.body as never), options.output ? fs.createWriteStream(options.output) : process.stdout);
      if (options.output) console.error(`Wrote ${report.recordCount ?? 0} records (${report.billingPeriod}) to ${options.output}.`);
    });
}
