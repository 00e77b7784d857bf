import * as repo from './partner.repository.ts';
import type { Db } from '../platform/db/database.ts';
import type { PlatformServices } from '../platform/services.ts';
import type { SubscriberStatus } from './partner.service.ts';

// Every status, package and user ID change lands in the history billing (P16) prorates from.

/** The history entry of a change of `sub` (as it is after the change) at `at`. */
export const historyEntry = (sub: repo.SubscriberRow, change: string, previous: string | null, at: Date) => ({
  subscriberId: sub.id,
  at,
  change,
  userId: sub.userId,
  spEnterpriseId: sub.spEnterpriseId,
  package: sub.package,
  status: sub.status,
  selfActivated: sub.selfActivated,
  previous,
});

export type SubscriberHistory = ReturnType<typeof createSubscriberHistory>;

export function createSubscriberHistory(clock: PlatformServices['clock']) {
  async function recordChange(tx: Db, sub: repo.SubscriberRow, change: string, previous: string | null = null) {
    await repo.insertHistory(tx, historyEntry(sub, change, previous, clock.now()));
  }

  /** A status change with its history entry. */
  async function setStatus(tx: Db, sub: repo.SubscriberRow, status: SubscriberStatus, patch: Partial<repo.SubscriberRow> = {}) {
    const previous = sub.status;
    const next = { ...sub, ...patch, status, lastStatusChange: clock.now() };
    await repo.updateSubscriber(tx, sub.id, { ...patch, status, lastStatusChange: next.lastStatusChange });
    if (previous !== status) await recordChange(tx, next, 'status', previous);
    return next;
  }

  return { recordChange, setStatus };
}
