import { count, isNotNull, sql } from 'drizzle-orm';
import { smartAccounts, ucClusters } from './licensing.schema.ts';
import type { Db } from '../platform/db/database.ts';

// The home page's reads of the Licensing area (attention.ts).

/** Smart accounts with at least one alert. */
export async function smartAccountsWithAlerts(db: Db) {
  return db
    .select({ id: smartAccounts.id, domain: smartAccounts.domain, name: smartAccounts.name, alerts: smartAccounts.alerts })
    .from(smartAccounts)
    .where(sql`jsonb_array_length(${smartAccounts.alerts}) > 0`)
    .orderBy(smartAccounts.domain);
}

/** Clusters whose publisher presents another certificate than the accepted one (L4), newest change first. */
export async function clustersWithChangedCertificate(db: Db) {
  return db
    .select({ id: ucClusters.id, name: ucClusters.name, virtualAccountId: ucClusters.virtualAccountId, certificateFingerprint: ucClusters.certificateFingerprint, presentedCertificate: ucClusters.presentedCertificate, updatedAt: ucClusters.updatedAt })
    .from(ucClusters)
    .where(isNotNull(ucClusters.presentedCertificate))
    .orderBy(ucClusters.name);
}

export async function countClusters(db: Db) {
  const [[all], [assigned]] = await Promise.all([db.select({ n: count() }).from(ucClusters), db.select({ n: count() }).from(ucClusters).where(isNotNull(ucClusters.virtualAccountId))]);
  return { all: all?.n ?? 0, assigned: assigned?.n ?? 0 };
}
