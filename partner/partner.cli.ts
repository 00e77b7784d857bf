import type { Command } from 'commander';
import { registerPartnerSettingsCommands } from './partner-settings.cli.ts';
import { registerPartnerOrgCommands } from './organizations.cli.ts';
import { apiClientFromEnvironment, resolveApiTarget } from '../platform/cli/credentials.ts';
import { listingOptions, printJson, printPage, printTable, type Page } from '../platform/cli/output.ts';
import { registerBillingCommands } from './billing/billing.cli.ts';

// `switchboard partner …`: clusters, templates, customers, a template's user status view (P5/P9),
// retry onboarding and package changes.

type StatusRow = { id: string; userId: string; firstName: string; lastName: string; email: string | null; package: string; status: string; errorText: string | null };

export function registerPartnerCommands(program: Command) {
  registerBillingCommands(program);
  const partner = program.command('partner').description('Webex for BroadWorks: clusters, templates, customers, subscribers');

  partner
    .command('clusters')
    .description('BroadWorks clusters')
    .option('--json', "print the API's JSON")
    .action(async (options: { json?: boolean }) => {
      const { items } = await apiClientFromEnvironment().get<{ items: Array<{ id: string; name: string; xsiActionsUrl: string; authServiceUrl: string }> }>('/api/v1/partner/clusters');
      if (options.json) return printJson(items);
      printTable([{ header: 'ID', value: (c) => c.id }, { header: 'NAME', value: (c) => c.name }, { header: 'XSI ACTIONS', value: (c) => c.xsiActionsUrl }, { header: 'AUTH SERVICE', value: (c) => c.authServiceUrl }], items);
    });

  partner
    .command('templates')
    .description('Customer templates with their provisioning IDs')
    .option('--json', "print the API's JSON")
    .action(async (options: { json?: boolean }) => {
      const { items } = await apiClientFromEnvironment().get<{ items: Array<{ id: string; name: string; provisioningId: string; defaultPackage: string; trustedEmails: boolean }> }>('/api/v1/partner/templates');
      if (options.json) return printJson(items);
      printTable(
        [
          { header: 'ID', value: (t) => t.id },
          { header: 'NAME', value: (t) => t.name },
          { header: 'PROVISIONING ID', value: (t) => t.provisioningId },
          { header: 'PACKAGE', value: (t) => t.defaultPackage },
          { header: 'EMAILS', value: (t) => (t.trustedEmails ? 'trusted' : 'untrusted') },
        ],
        items,
      );
    });

  partner
    .command('customers')
    .description('Customer organisations with their package counts')
    .option('--json', "print the API's JSON")
    .action(async (options: { json?: boolean }) => {
      const { items } = await apiClientFromEnvironment().get<{ items: Array<{ displayName: string; spEnterpriseId: string; restricted: boolean; packages: Record<string, number> }> }>('/api/v1/partner/customers');
      if (options.json) return printJson(items);
      printTable(
        [
          { header: 'ORGANISATION', value: (c) => c.displayName },
          { header: 'ENTERPRISE', value: (c) => c.spEnterpriseId },
          { header: 'RESTRICTED', value: (c) => c.restricted },
          ...['softphone', 'basic', 'standard', 'premium'].map((p) => ({ header: p.toUpperCase(), value: (c: { packages: Record<string, number> }) => c.packages[p] ?? 0 })),
        ],
        items,
      );
    });

  listingOptions(
    partner
      .command('users <templateId>')
      .description("A template's user status view: BroadWorks ID, package, state, error")
      .option('--exclude-provisioned', 'hide provisioned users')
      .option('--csv', 'print the CSV export'),
  ).action(async (templateId: string, options: { excludeProvisioned?: boolean; csv?: boolean; json?: boolean; limit: number; offset: number }) => {
    const client = apiClientFromEnvironment();
    const query = { excludeProvisioned: options.excludeProvisioned ? 'true' : undefined };
    if (options.csv) {
      // The CSV is not JSON, which the API client expects: fetch it as text.
      const target = resolveApiTarget();
      const res = await fetch(`${target.url}/api/v1/partner/templates/${encodeURIComponent(templateId)}/users.csv${options.excludeProvisioned ? '?excludeProvisioned=true' : ''}`, {
        headers: target.token ? { authorization: `Bearer ${target.token}` } : {},
      });
      if (!res.ok) await client.get(`/api/v1/partner/templates/${encodeURIComponent(templateId)}`);
      process.stdout.write(await res.text());
      return;
    }
    const page = await client.get<Page<StatusRow>>(`/api/v1/partner/templates/${encodeURIComponent(templateId)}/users`, { ...query, limit: options.limit, offset: options.offset });
    if (options.json) return printJson(page);
    printPage(
      page,
      [
        { header: 'ID', value: (r) => r.id },
        { header: 'BROADWORKS ID', value: (r) => r.userId },
        { header: 'PACKAGE', value: (r) => r.package },
        { header: 'STATE', value: (r) => r.status },
        { header: 'ERROR', value: (r) => r.errorText, maxWidth: 60 },
      ],
      'users',
      { times: false },
    );
  });

  partner
    .command('retry <subscriberId>')
    .description('Retry onboarding of an errored or pending user')
    .option('--email <email>', 'a (new) valid email address')
    .action(async (subscriberId: string, options: { email?: string }) => {
      const row = await apiClientFromEnvironment().post<StatusRow>(`/api/v1/partner/subscribers/${encodeURIComponent(subscriberId)}/retry`, options.email ? { email: options.email } : {});
      console.log(`${row.userId}: ${row.status}`);
    });

  partner
    .command('package <subscriberId> <package>')
    .description('Change the package of a user (softphone, basic, standard, premium); applied asynchronously')
    .action(async (subscriberId: string, pkg: string) => {
      const row = await apiClientFromEnvironment().post<StatusRow>(`/api/v1/partner/subscribers/${encodeURIComponent(subscriberId)}/package`, { package: pkg });
      console.log(`${row.userId}: ${row.status}`);
    });

  registerPartnerSettingsCommands(partner);
  registerPartnerOrgCommands(partner);
}
