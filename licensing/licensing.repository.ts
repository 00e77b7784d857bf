import { and, asc, count, desc, eq, ilike, inArray, isNull, ne, or, sql, type SQL } from 'drizzle-orm';
import { clusterOperations, smartAccounts, ucClusters, virtualAccounts } from './licensing.schema.ts';
import type { Db } from '../platform/db/database.ts';

export type SmartAccountRow = typeof smartAccounts.$inferSelect;
export type VirtualAccountRow = typeof virtualAccounts.$inferSelect;
export type ClusterRow = typeof ucClusters.$inferSelect;
export type OperationRow = typeof clusterOperations.$inferSelect;
type Page = { offset: number; limit: number };

const like = (value: string) => `%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

// ── smart accounts ──
export async function findSmartAccount(db: Db, id: string) {
  const [row] = await db.select().from(smartAccounts).where(eq(smartAccounts.id, id));
  return row;
}
export async function findSmartAccountByDomain(db: Db, domain: string) {
  const [row] = await db.select().from(smartAccounts).where(sql`lower(${smartAccounts.domain}) = lower(${domain})`);
  return row;
}
export const insertSmartAccount = (db: Db, row: typeof smartAccounts.$inferInsert) => db.insert(smartAccounts).values(row);
export const updateSmartAccount = (db: Db, id: string, patch: Partial<typeof smartAccounts.$inferInsert>) => db.update(smartAccounts).set(patch).where(eq(smartAccounts.id, id));
export const deleteSmartAccount = (db: Db, id: string) => db.delete(smartAccounts).where(eq(smartAccounts.id, id));
export const listAllSmartAccounts = (db: Db) => db.select().from(smartAccounts).orderBy(asc(smartAccounts.domain));
export async function listSmartAccounts(db: Db, filter: { q?: string }, page: Page) {
  const where = filter.q ? or(ilike(smartAccounts.domain, like(filter.q)), ilike(smartAccounts.name, like(filter.q))) : undefined;
  const [items, [total]] = await Promise.all([
    db.select().from(smartAccounts).where(where).orderBy(asc(smartAccounts.domain)).offset(page.offset).limit(page.limit),
    db.select({ n: count() }).from(smartAccounts).where(where),
  ]);
  return { items, total: total?.n ?? 0 };
}

// ── virtual accounts ──
export type VirtualAccountFilter = { smartAccountId?: string; name?: string; accessLevel?: string; licenseMode?: string; hasClusters?: boolean };

function vaWhere(filter: VirtualAccountFilter): SQL | undefined {
  const parts: SQL[] = [];
  if (filter.smartAccountId) parts.push(eq(virtualAccounts.smartAccountId, filter.smartAccountId));
  if (filter.name) parts.push(ilike(virtualAccounts.name, like(filter.name)));
  if (filter.accessLevel) parts.push(eq(virtualAccounts.accessLevel, filter.accessLevel));
  if (filter.licenseMode === 'none') parts.push(isNull(virtualAccounts.licenseMode));
  else if (filter.licenseMode) parts.push(eq(virtualAccounts.licenseMode, filter.licenseMode));
  if (filter.hasClusters !== undefined) {
    const exists = sql`exists (select 1 from ${ucClusters} where ${ucClusters.virtualAccountId} = ${virtualAccounts.id})`;
    parts.push(filter.hasClusters ? exists : sql`not ${exists}`);
  }
  return parts.length ? and(...parts) : undefined;
}

export async function listVirtualAccounts(db: Db, filter: VirtualAccountFilter, page: Page) {
  const where = vaWhere(filter);
  const clusterCount = sql<number>`(select count(*)::int from ${ucClusters} where ${ucClusters.virtualAccountId} = ${virtualAccounts.id})`;
  const [items, [total]] = await Promise.all([
    db
      .select({ va: virtualAccounts, smartAccountName: smartAccounts.name, smartAccountDomain: smartAccounts.domain, clusterCount })
      .from(virtualAccounts)
      .innerJoin(smartAccounts, eq(smartAccounts.id, virtualAccounts.smartAccountId))
      .where(where)
      .orderBy(asc(virtualAccounts.name), asc(virtualAccounts.id))
      .offset(page.offset)
      .limit(page.limit),
    db.select({ n: count() }).from(virtualAccounts).where(where),
  ]);
  return { items, total: total?.n ?? 0 };
}
export async function findVirtualAccount(db: Db, id: string) {
  const [row] = await db.select().from(virtualAccounts).where(eq(virtualAccounts.id, id));
  return row;
}
export const updateVirtualAccount = (db: Db, id: string, patch: Partial<typeof virtualAccounts.$inferInsert>) => db.update(virtualAccounts).set(patch).where(eq(virtualAccounts.id, id));

/**
 * Upserts one page of a sync; license mode (held only here) is kept. The page travels as one JSON
 * parameter: a VALUES list binds eight parameters per row, and 8,000 of them cost the embedded
 * database (wire protocol to the PGlite thread) most of a page's time.
 */
export async function upsertVirtualAccounts(db: Db, rows: Array<Pick<typeof virtualAccounts.$inferInsert, 'id' | 'smartAccountId' | 'name' | 'description' | 'isDefault' | 'accessLevel' | 'lastSyncJobId' | 'syncedAt'>>) {
  if (rows.length === 0) return;
  const page = JSON.stringify(rows.map((r) => ({ id: r.id, sa: r.smartAccountId, name: r.name, description: r.description ?? '', is_default: r.isDefault ?? false, access_level: r.accessLevel, job: r.lastSyncJobId ?? null, synced_at: r.syncedAt.toISOString() })));
  await db.execute(sql`
    insert into ${virtualAccounts} (id, smart_account_id, name, description, is_default, access_level, last_sync_job_id, synced_at)
    select r.id, r.sa, r.name, r.description, r.is_default, r.access_level, r.job, r.synced_at
    from json_to_recordset(${page}::json) as r(id uuid, sa uuid, name text, description text, is_default boolean, access_level text, job uuid, synced_at timestamptz)
    on conflict (smart_account_id, name) do update set
      description = excluded.description,
      is_default = excluded.is_default,
      access_level = excluded.access_level,
      removed_from_cssm = false,
      last_sync_job_id = excluded.last_sync_job_id,
      synced_at = excluded.synced_at`);
}

/** After a full sync: VAs CSSM no longer lists go, unless a cluster still holds them (then flagged). */
export async function removeVirtualAccountsNotIn(db: Db, smartAccountId: string, syncJobId: string) {
  const stale = and(eq(virtualAccounts.smartAccountId, smartAccountId), or(isNull(virtualAccounts.lastSyncJobId), ne(virtualAccounts.lastSyncJobId, syncJobId)));
  const held = sql`exists (select 1 from ${ucClusters} where ${ucClusters.virtualAccountId} = ${virtualAccounts.id})`;
  const flagged = await db.update(virtualAccounts).set({ removedFromCssm: true }).where(and(stale, held)).returning({ name: virtualAccounts.name });
  const deleted = await db.delete(virtualAccounts).where(and(stale, sql`not ${held}`)).returning({ name: virtualAccounts.name });
  return { removed: deleted.map((r) => r.name), flagged: flagged.map((r) => r.name) };
}
export async function countVirtualAccounts(db: Db, smartAccountId: string) {
  const [row] = await db.select({ n: count() }).from(virtualAccounts).where(eq(virtualAccounts.smartAccountId, smartAccountId));
  return row?.n ?? 0;
}

// ── clusters ──
export type ClusterFilter = { name?: string; type?: string; status?: string; virtualAccountId?: string; smartAccountId?: string; assigned?: boolean };
function clusterWhere(filter: ClusterFilter): SQL | undefined {
  const parts: SQL[] = [];
  if (filter.name) parts.push(ilike(ucClusters.name, like(filter.name)));
  if (filter.type) parts.push(eq(ucClusters.type, filter.type));
  if (filter.status) parts.push(eq(ucClusters.status, filter.status));
  if (filter.virtualAccountId) parts.push(eq(ucClusters.virtualAccountId, filter.virtualAccountId));
  if (filter.smartAccountId) parts.push(eq(virtualAccounts.smartAccountId, filter.smartAccountId));
  if (filter.assigned !== undefined) parts.push(filter.assigned ? sql`${ucClusters.virtualAccountId} is not null` : isNull(ucClusters.virtualAccountId));
  return parts.length ? and(...parts) : undefined;
}
export async function listClusters(db: Db, filter: ClusterFilter, page: Page) {
  const where = clusterWhere(filter);
  const [items, [total]] = await Promise.all([
    db
      .select({ cluster: ucClusters, virtualAccountName: virtualAccounts.name, smartAccountId: smartAccounts.id, smartAccountName: smartAccounts.name, smartAccountDomain: smartAccounts.domain, jobStatus: clusterOperations.status })
      .from(ucClusters)
      .leftJoin(virtualAccounts, eq(virtualAccounts.id, ucClusters.virtualAccountId))
      .leftJoin(smartAccounts, eq(smartAccounts.id, virtualAccounts.smartAccountId))
      .leftJoin(clusterOperations, eq(clusterOperations.id, ucClusters.lastOperationId))
      .where(where)
      .orderBy(asc(ucClusters.name))
      .offset(page.offset)
      .limit(page.limit),
    db.select({ n: count() }).from(ucClusters).leftJoin(virtualAccounts, eq(virtualAccounts.id, ucClusters.virtualAccountId)).where(where),
  ]);
  return { items, total: total?.n ?? 0 };
}
export async function findCluster(db: Db, id: string) {
  const [row] = await db.select().from(ucClusters).where(eq(ucClusters.id, id));
  return row;
}
export async function findClusterForUpdate(db: Db, id: string) {
  const [row] = await db.select().from(ucClusters).where(eq(ucClusters.id, id)).for('update');
  return row;
}
export async function findClusterByName(db: Db, name: string) {
  const [row] = await db.select().from(ucClusters).where(eq(ucClusters.name, name));
  return row;
}
export const insertCluster = (db: Db, row: typeof ucClusters.$inferInsert) => db.insert(ucClusters).values(row);
export const updateCluster = (db: Db, id: string, patch: Partial<typeof ucClusters.$inferInsert>) => db.update(ucClusters).set(patch).where(eq(ucClusters.id, id));
export const deleteCluster = (db: Db, id: string) => db.delete(ucClusters).where(eq(ucClusters.id, id));
export const clustersOfVirtualAccount = (db: Db, vaId: string) => db.select().from(ucClusters).where(eq(ucClusters.virtualAccountId, vaId)).orderBy(asc(ucClusters.name));
export async function clustersOfVirtualAccounts(db: Db, vaIds: string[]) {
  if (vaIds.length === 0) return [];
  return db.select().from(ucClusters).where(inArray(ucClusters.virtualAccountId, vaIds));
}

// ── operations (HCM-F jobs) ──
export const insertOperation = (db: Db, row: typeof clusterOperations.$inferInsert) => db.insert(clusterOperations).values(row).onConflictDoNothing();
export const updateOperation = (db: Db, id: string, patch: Partial<typeof clusterOperations.$inferInsert>) => db.update(clusterOperations).set(patch).where(eq(clusterOperations.id, id));
export async function findOperation(db: Db, id: string) {
  const [row] = await db.select().from(clusterOperations).where(eq(clusterOperations.id, id));
  return row;
}
export type OperationFilter = { operation?: string; status?: string; clusterId?: string; smartAccountId?: string; virtualAccountId?: string };
export async function listOperations(db: Db, filter: OperationFilter, page: Page) {
  const parts: SQL[] = [];
  if (filter.operation) parts.push(eq(clusterOperations.operation, filter.operation));
  if (filter.status) parts.push(eq(clusterOperations.status, filter.status));
  if (filter.clusterId) parts.push(eq(clusterOperations.clusterId, filter.clusterId));
  if (filter.smartAccountId) parts.push(eq(clusterOperations.smartAccountId, filter.smartAccountId));
  if (filter.virtualAccountId) parts.push(or(eq(clusterOperations.virtualAccountId, filter.virtualAccountId), eq(clusterOperations.targetVirtualAccountId, filter.virtualAccountId))!);
  const where = parts.length ? and(...parts) : undefined;
  const [items, [total]] = await Promise.all([
    db.select().from(clusterOperations).where(where).orderBy(desc(clusterOperations.startedAt), desc(clusterOperations.id)).offset(page.offset).limit(page.limit),
    db.select({ n: count() }).from(clusterOperations).where(where),
  ]);
  return { items, total: total?.n ?? 0 };
}
