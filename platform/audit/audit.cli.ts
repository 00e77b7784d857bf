import { InvalidArgumentError, type Command } from 'commander';
import { apiClientFromEnvironment } from '../cli/credentials.ts';
import { formatTime, listingOptions, printJson, printPage, type Page } from '../cli/output.ts';

// `switchboard audit`: who changed what, newest first, with the API's filters.

type AuditEvent = {
  id: number;
  at: string;
  actorType: string;
  actorId: string | null;
  actorName: string;
  action: string;
  entityType: string;
  entityId: string | null;
  before: unknown;
  after: unknown;
  trackingId: string | null;
};

// Checked here so a typo is a usage error; sent on as ISO 8601 (a date alone is local midnight).
function parseTime(raw: string): string {
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T00:00:00` : raw);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError('expected an ISO 8601 time, e.g. 2026-03-01 or 2026-03-01T14:00:00Z.');
  return date.toISOString();
}

export function registerAuditCommands(program: Command) {
  return listingOptions(
    program
      .command('audit')
      .description('The audit log: every change and job outcome, newest first')
      .option('--entity-type <type>', 'only events about this kind of entity (user, api_token, job, …)')
      .option('--entity-id <id>', 'only events about this entity')
      .option('--action <action>', 'only this action, e.g. user.create')
      .option('--actor <name>', 'only events by this actor')
      .option('--from <time>', 'events at or after this time (ISO 8601; a date alone is local midnight)', parseTime)
      .option('--to <time>', 'events at or before this time', parseTime),
  ).action(async (options: { entityType?: string; entityId?: string; action?: string; actor?: string; from?: string; to?: string; limit: number; offset: number; json?: boolean }) => {
    const page = await apiClientFromEnvironment().get<Page<AuditEvent>>('/api/v1/audit', {
      entityType: options.entityType, entityId: options.entityId, action: options.action, actor: options.actor,
      from: options.from, to: options.to, limit: options.limit, offset: options.offset,
    });
    if (options.json) return printJson(page);
    printPage(page, [
      { header: 'TIME', value: (e) => formatTime(e.at) },
      { header: 'ACTOR', value: (e) => e.actorName, maxWidth: 30 },
      { header: 'ACTION', value: (e) => e.action },
      { header: 'ENTITY', value: (e) => [e.entityType, e.entityId].filter(Boolean).join(' '), maxWidth: 50 },
      { header: 'TRACKING ID', value: (e) => e.trackingId },
    ], 'audit events');
  });
}
