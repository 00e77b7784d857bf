import { CliError, USAGE_EXIT_CODE } from '../platform/cli/cli-error.ts';
import { apiClientFromEnvironment } from '../platform/cli/credentials.ts';
import { printJson, printTable } from '../platform/cli/output.ts';
import type { Command } from 'commander';

// `switchboard partner …` for a customer org's settings (P13), restricted-by-partner mode (P14),
// the release schedule (P13), why a subscriber waits (P6 consent, P3 admin first) and the Lab's
// pre-existing Webex accounts.

type Control = { id: string; section: string; label: string; allowed: boolean; hidden: boolean };

/** `key=value`: true/false, null, integers and strings. */
function parseAssignment(text: string): [string, unknown] {
  const at = text.indexOf('=');
  if (at < 1) throw new CliError('USAGE', `"${text}" is not key=value.`, { exitCode: USAGE_EXIT_CODE, hint: 'For example --set autoLicense=true --set domain=example.com' });
  const key = text.slice(0, at);
  const raw = text.slice(at + 1);
  const value = raw === 'true' ? true : raw === 'false' ? false : raw === 'null' ? null : /^-?\d+$/.test(raw) ? Number(raw) : raw;
  return [key, value];
}

export function registerPartnerSettingsCommands(partner: Command) {
  partner
    .command('settings <orgId>')
    .description("A customer org's Control Hub settings; --set key=value changes them (restricted controls refused to customer admins of a restricted org)")
    .option('--set <assignment>', 'key=value to change (repeatable)', (value: string, all: string[]) => [...all, value], [] as string[])
    .option('--json', "print the API's JSON")
    .action(async (orgId: string, options: { set: string[]; json?: boolean }) => {
      const client = apiClientFromEnvironment();
      const path = `/api/v1/partner/customers/${encodeURIComponent(orgId)}/settings`;
      const settings = options.set.length ? await client.patch<Record<string, unknown>>(path, Object.fromEntries(options.set.map(parseAssignment))) : await client.get<Record<string, unknown>>(path);
      if (options.json) return printJson(settings);
      if (settings.banner) console.log(`! ${settings.banner}\n`);
      const rows = Object.entries(settings).filter(([k]) => k !== 'banner').map(([key, value]) => ({ key, value: typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value) }));
      printTable([{ header: 'SETTING', value: (r) => r.key }, { header: 'VALUE', value: (r) => r.value }], rows);
    });

  partner
    .command('access <orgId>')
    .description('The restricted controls of an org and whether you may use them (P14)')
    .option('--json', "print the API's JSON")
    .action(async (orgId: string, options: { json?: boolean }) => {
      const access = await apiClientFromEnvironment().get<{ restrictedByPartner: boolean; banner: string | null; controls: Control[] }>(`/api/v1/partner/customers/${encodeURIComponent(orgId)}/access`);
      if (options.json) return printJson(access);
      console.log(`Restricted by partner: ${access.restrictedByPartner ? 'on' : 'off'}`);
      if (access.banner) console.log(`! ${access.banner}`);
      printTable([{ header: 'SECTION', value: (c) => c.section }, { header: 'CONTROL', value: (c) => c.label }, { header: 'ALLOWED', value: (c) => (c.allowed ? 'yes' : c.hidden ? 'hidden' : 'read-only') }], access.controls);
    });

  partner
    .command('restricted <orgId> <mode>')
    .description('Turn restricted-by-partner mode on or off for a customer org (P14)')
    .action(async (orgId: string, mode: string) => {
      if (mode !== 'on' && mode !== 'off') throw new CliError('USAGE', `mode must be on or off, not "${mode}".`, { exitCode: USAGE_EXIT_CODE });
      const org = await apiClientFromEnvironment().request<{ displayName: string; restricted: boolean }>('PUT', `/api/v1/partner/customers/${encodeURIComponent(orgId)}/restricted`, { body: { restricted: mode === 'on' } });
      console.log(`${org.displayName}: restricted by partner ${org.restricted ? 'on' : 'off'}`);
    });

  partner
    .command('release-schedule')
    .description("The partner release schedule (days Cisco's monthly Webex App release is deferred); --defer-days sets it, --cascade applies it to every customer")
    .option('--defer-days <days>', 'days to defer (0–90)', (v: string) => Number(v))
    .option('--cascade', 'every customer follows the partner schedule (their own schedules are dropped)')
    .option('--json', "print the API's JSON")
    .action(async (options: { deferDays?: number; cascade?: boolean; json?: boolean }) => {
      const client = apiClientFromEnvironment();
      if (options.cascade && options.deferDays === undefined) throw new CliError('USAGE', '--cascade needs --defer-days.', { exitCode: USAGE_EXIT_CODE });
      const schedule =
        options.deferDays === undefined
          ? await client.get<{ deferDays: number; appRelease: string; ciscoRelease: string; orgOverrides: number }>('/api/v1/partner/release-schedule')
          : await client.request<{ deferDays: number; appRelease: string; ciscoRelease: string; orgOverrides: number }>('PUT', '/api/v1/partner/release-schedule', { body: { deferDays: options.deferDays, cascade: Boolean(options.cascade) } });
      if (options.json) return printJson(schedule);
      console.log(`Deferral: ${schedule.deferDays} days — customers on ${schedule.appRelease} (Cisco: ${schedule.ciscoRelease}); ${schedule.orgOverrides} customer(s) with their own schedule`);
    });

  partner
    .command('waiting <subscriberId>')
    .description('Why a subscriber waits: a consent move of an existing Webex account (P6) or Provision Admin First (P3)')
    .option('--json', "print the API's JSON")
    .action(async (subscriberId: string, options: { json?: boolean }) => {
      const waiting = await apiClientFromEnvironment().get<{ migration: { email: string; state: string; expiresAt: string } | null; hold: { waitingFor: string } | null }>(`/api/v1/partner/subscribers/${encodeURIComponent(subscriberId)}/waiting`);
      if (options.json) return printJson(waiting);
      if (waiting.migration) console.log(`Consent move of ${waiting.migration.email}: ${waiting.migration.state} (answer by ${waiting.migration.expiresAt})`);
      if (waiting.hold) console.log(`Provision Admin First: waiting for subscriber ${waiting.hold.waitingFor}`);
      if (!waiting.migration && !waiting.hold) console.log('Not waiting for a consent move or for the first user.');
    });
}
