import { auditEventsInsertText } from '../platform/audit/audit.repository.ts';
import { clientOf, type Db } from '../platform/db/database.ts';
import { jobRecordsInsertText, type NewJobRecordJson } from '../platform/jobs/jobs.repository.ts';
import type { subscriberHistory } from './partner.schema.ts';
import type { SubscriberRow } from './partner.repository.ts';
import type { TemplateRow } from './templates.repository.ts';

// Accepting new subscribers (P2 group commit).
// A batch is decided against one read and written by one statement, as fixed SQL text sent as named
// prepared statements on the transaction's connection: the four reads and three inserts built by
// drizzle were 7 round trips and about a sixth of the main thread at 500 adds/s (measured). The job
// records go in the same statement (drizzle building their multi-row insert was the largest piece
// of the accept path left, measured); pg-boss's own insert of the jobs follows it.

/** What a batch needs of a template to decide and to check the adapter's account. */
export type AcceptTemplate = Pick<TemplateRow, 'id' | 'provisioningId' | 'provisioningAccount' | 'provisioningPassword' | 'trustedEmails' | 'defaultPackage' | 'wholesale'>;
/** A subscriber a request's user ID already names (a bridge `add` answers `noop` with it). */
export type KnownSubscriber = Pick<SubscriberRow, 'id' | 'userId' | 'status'>;

const acceptContextText = `
  select
    (select coalesce(json_agg(t), '[]') from (
       select id, provisioning_id as "provisioningId", provisioning_account as "provisioningAccount", provisioning_password as "provisioningPassword",
              trusted_emails as "trustedEmails", default_package as "defaultPackage", wholesale
       from partner_templates where provisioning_id = any($1::text[])) t) as templates,
    (select coalesce(json_agg(s), '[]') from (
       select id, user_id as "userId", status from partner_subscribers where user_id = any($2::text[])) s) as subscribers,
    (select coalesce(json_agg(distinct lower(email)), '[]') from partner_subscribers where lower(email) = any($3::text[])) as emails,
    (select coalesce(json_agg(o), '[]') from (
       select sp_enterprise_id as "spEnterpriseId", template_id as "templateId" from partner_customer_orgs where sp_enterprise_id = any($4::text[])) o) as orgs`;

/**
 * Everything a batch of new subscribers is decided against, in one statement: the templates its
 * requests name, the subscribers holding their user IDs, which of their emails (lower case) a
 * subscriber has in any case, and the customer org of each enterprise (its template).
 */
export async function readAcceptContext(db: Db, names: { provisioningIds: string[]; userIds: string[]; lowerEmails: string[]; spEnterpriseIds: string[] }) {
  const { rows } = await clientOf(db).query({ name: 'partner.accept-context', text: acceptContextText, values: [names.provisioningIds, names.userIds, names.lowerEmails, names.spEnterpriseIds] });
  const found = rows[0] as { templates: AcceptTemplate[]; subscribers: KnownSubscriber[]; emails: string[]; orgs: { spEnterpriseId: string; templateId: string }[] };
  return {
    templates: new Map(found.templates.map((t) => [t.provisioningId, t])),
    byUserId: new Map(found.subscribers.map((row) => [row.userId, row])),
    emailsTaken: new Set(found.emails),
    orgTemplates: new Map(found.orgs.map((org) => [org.spEnterpriseId, org.templateId])),
  };
}

// The JSON keys are the rows' own (camelCase) field names: the rows go as they are, one parameter each.
const insertAcceptedText = `
  with new_subscribers as (
    insert into partner_subscribers (id, user_id, sp_enterprise_id, template_id, provisioning_id, customer_org_id, person_id, first_name, last_name, email,
      primary_phone_number, mobile_phone_number, extension, language, timezone, package, status, errors, pending_update, self_activated, source, created, last_status_change)
    select "id", "userId", "spEnterpriseId", "templateId", "provisioningId", "customerOrgId", "personId", "firstName", "lastName", "email",
      "primaryPhoneNumber", "mobilePhoneNumber", "extension", "language", "timezone", "package", "status", "errors", "pendingUpdate", "selfActivated", "source", "created", "lastStatusChange"
    from jsonb_to_recordset($1::jsonb) as v("id" uuid, "userId" text, "spEnterpriseId" text, "templateId" uuid, "provisioningId" text, "customerOrgId" uuid, "personId" uuid,
      "firstName" text, "lastName" text, "email" text, "primaryPhoneNumber" text, "mobilePhoneNumber" text, "extension" text, "language" text, "timezone" text,
      "package" text, "status" text, "errors" jsonb, "pendingUpdate" jsonb, "selfActivated" boolean, "source" text, "created" timestamptz, "lastStatusChange" timestamptz)
    returning 1
  ), new_history as (
    insert into partner_subscriber_history (subscriber_id, at, change, user_id, sp_enterprise_id, package, status, self_activated, previous)
    select "subscriberId", "at", "change", "userId", "spEnterpriseId", "package", "status", "selfActivated", "previous"
    from jsonb_to_recordset($2::jsonb) as v("subscriberId" uuid, "at" timestamptz, "change" text, "userId" text, "spEnterpriseId" text, "package" text, "status" text, "selfActivated" boolean, "previous" text)
    returning 1
  ), new_audit as (
    ${auditEventsInsertText('$3')}
    returning 1
  ), new_job_records as (
    ${jobRecordsInsertText('$4')}
  )
  select coalesce(json_agg(id), '[]') as "createdJobs" from new_job_records`;

/**
 * A batch's new subscribers, their history entries, their audit records (`audit.prepareMany`) and
 * their job records (`jobs.prepareMany`) in one statement; the ids of the job records it created.
 */
export async function insertAcceptedSubscribers(db: Db, batch: { subscribers: SubscriberRow[]; history: (typeof subscriberHistory.$inferInsert)[]; auditJson: string; jobRecords: NewJobRecordJson[] }): Promise<Set<string>> {
  if (!batch.subscribers.length) return new Set();
  const { rows } = await clientOf(db).query({
    name: 'partner.insert-accepted',
    text: insertAcceptedText,
    values: [JSON.stringify(batch.subscribers), JSON.stringify(batch.history), batch.auditJson, JSON.stringify(batch.jobRecords)],
  });
  return new Set((rows[0] as { createdJobs: string[] }).createdJobs);
}
