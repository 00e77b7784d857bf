import { asc, count, eq } from 'drizzle-orm';
import { broadworksClusters, customerOrgs, customerTemplates } from './partner.schema.ts';
import type { Db } from '../platform/db/database.ts';

export type ClusterRow = typeof broadworksClusters.$inferSelect;

export const listClusters = (db: Db) => db.select().from(broadworksClusters).orderBy(asc(broadworksClusters.name));
export async function findCluster(db: Db, id: string) {
  const [row] = await db.select().from(broadworksClusters).where(eq(broadworksClusters.id, id));
  return row;
}
export async function findClusterByName(db: Db, name: string) {
  const [row] = await db.select().from(broadworksClusters).where(eq(broadworksClusters.name, name));
  return row;
}
export async function insertCluster(db: Db, row: typeof broadworksClusters.$inferInsert) {
  await db.insert(broadworksClusters).values(row);
}
export async function updateCluster(db: Db, id: string, patch: Partial<typeof broadworksClusters.$inferInsert>) {
  await db.update(broadworksClusters).set(patch).where(eq(broadworksClusters.id, id));
}
export async function deleteCluster(db: Db, id: string) {
  await db.delete(broadworksClusters).where(eq(broadworksClusters.id, id));
}
export async function countTemplatesOfCluster(db: Db, clusterId: string) {
  const [row] = await db.select({ n: count() }).from(customerTemplates).where(eq(customerTemplates.clusterId, clusterId));
  return row?.n ?? 0;
}
/** Customers on a cluster: the customer orgs whose template is bound to it. */
export async function countCustomersOfCluster(db: Db, clusterId: string) {
  const [row] = await db
    .select({ n: count() })
    .from(customerOrgs)
    .innerJoin(customerTemplates, eq(customerOrgs.templateId, customerTemplates.id))
    .where(eq(customerTemplates.clusterId, clusterId));
  return row?.n ?? 0;
}
