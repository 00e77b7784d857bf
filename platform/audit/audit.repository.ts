import { and, desc, eq, gte, lte, sql, type SQL } from 'drizzle-orm';
import { auditEvents } from './audit.schema.ts';
import type { Db } from '../db/database.ts';

export type AuditEventRow = typeof auditEvents.$inferSelect;
export type NewAuditEvent = typeof auditEvents.$inferInsert;

export type AuditFilter = {
  entityType?: string;
  entityId?: string;
  action?: string;
  actor?: string;
  from?: Date;
  to?: Date;
};

export async function insertAuditEvent(db: Db, event: NewAuditEvent): Promise<void> {
  await db.insert(auditEvents).values(event);
}

const jsonColumns = 'at, actor_type, actor_id, actor_name, action, entity_type, entity_id, before, after, tracking_id';
const jsonRecord = 'v(at timestamptz, actor_type text, actor_id text, actor_name text, action text, entity_type text, entity_id text, before jsonb, after jsonb, tracking_id text)';

/** Events as the one JSON parameter of `insertAuditEvents` / `auditEventsInsertText`. */
export function auditEventsJson(events: NewAuditEvent[]): string {
  return JSON.stringify(events.map((e) => ({ at: e.at, actor_type: e.actorType, actor_id: e.actorId ?? null, actor_name: e.actorName, action: e.action, entity_type: e.entityType, entity_id: e.entityId ?? null, before: e.before ?? null, after: e.after ?? null, tracking_id: e.trackingId ?? null })));
}

/**
 * The insert of `insertAuditEvents` as SQL text, the JSON being the placeholder `param` (`$7`): for
 * a caller that writes the events within a statement of its own (a CTE), one round trip fewer.
 */
export function auditEventsInsertText(param: string): string {
  return `insert into audit_events (${jsonColumns}) select ${jsonColumns} from jsonb_to_recordset(${param}::jsonb) as ${jsonRecord}`;
}

/** Many events as one JSON parameter: building a statement with 10 parameters per row costs more CPU than the insert. */
export async function insertAuditEvents(db: Db, events: NewAuditEvent[]): Promise<void> {
  if (!events.length) return;
  await db.execute(sql`insert into ${auditEvents} (${sql.raw(jsonColumns)}) select ${sql.raw(jsonColumns)} from jsonb_to_recordset(${auditEventsJson(events)}::jsonb) as ${sql.raw(jsonRecord)}`);
}

export async function findAuditEvents(db: Db, filter: AuditFilter, page: { offset: number; limit: number }) {
  const conditions: SQL[] = [];
  if (filter.entityType) conditions.push(eq(auditEvents.entityType, filter.entityType));
  if (filter.entityId) conditions.push(eq(auditEvents.entityId, filter.entityId));
  if (filter.action) conditions.push(eq(auditEvents.action, filter.action));
  if (filter.actor) conditions.push(eq(auditEvents.actorName, filter.actor));
  if (filter.from) conditions.push(gte(auditEvents.at, filter.from));
  if (filter.to) conditions.push(lte(auditEvents.at, filter.to));
  const where = conditions.length ? and(...conditions) : undefined;
  const [items, [{ total }]] = await Promise.all([
    db.select().from(auditEvents).where(where).orderBy(desc(auditEvents.id)).offset(page.offset).limit(page.limit),
    db.select({ total: sql<number>`count(*)::int` }).from(auditEvents).where(where),
  ]);
  return { items, total };
}
