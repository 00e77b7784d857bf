import { auditEventsJson, insertAuditEvent, insertAuditEvents, findAuditEvents, type AuditFilter } from './audit.repository.ts';
import { redactSecrets } from '../secrets/redact.ts';
import type { Actor } from '../auth/actor.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';

export type AuditEntry = {
  actor: Actor;
  action: string;
  entityType: string;
  entityId?: string | null;
  before?: unknown;
  after?: unknown;
  trackingId?: string | null;
};

export type AuditLog = ReturnType<typeof createAuditLog>;

export function createAuditLog({ db, clock }: { db: Db; clock: Clock }) {
  return {
    /** Records a change. Pass the transaction's `tx` so the record commits with the change. */
    async record(entry: AuditEntry, tx: Db = db): Promise<void> {
      await insertAuditEvent(tx, toEvent(entry, clock.now()));
    },
    /** Records many changes in one statement (batch work such as 1,000 meetings starting at once). */
    async recordMany(entries: AuditEntry[], tx: Db = db): Promise<void> {
      const at = clock.now();
      await insertAuditEvents(tx, entries.map((entry) => toEvent(entry, at)));
    },
    /**
     * The records of `entries` (secrets masked, stamped now) as the JSON parameter of
     * `auditEventsInsertText`, for a repository that inserts them within its own statement. The
     * caller must run that statement in the transaction of the change, as `recordMany` would.
     */
    prepareMany(entries: AuditEntry[]): string {
      const at = clock.now();
      return auditEventsJson(entries.map((entry) => toEvent(entry, at)));
    },
    find(filter: AuditFilter, page: { offset: number; limit: number }) {
      return findAuditEvents(db, filter, page);
    },
  };
}

function toEvent(entry: AuditEntry, at: Date) {
  return {
    at,
    actorType: entry.actor.type,
    actorId: entry.actor.id,
    actorName: entry.actor.name,
    action: entry.action,
    entityType: entry.entityType,
    entityId: entry.entityId ?? null,
    before: entry.before === undefined ? null : redactSecrets(entry.before),
    after: entry.after === undefined ? null : redactSecrets(entry.after),
    trackingId: entry.trackingId ?? null,
  };
}
