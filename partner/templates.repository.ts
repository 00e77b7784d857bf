import { asc, count, eq } from 'drizzle-orm';
import { customerOrgs, customerTemplates, subscribers } from './partner.schema.ts';
import type { Db } from '../platform/db/database.ts';

export type TemplateRow = typeof customerTemplates.$inferSelect;

export const listTemplates = (db: Db) => db.select().from(customerTemplates).orderBy(asc(customerTemplates.name));
export async function findTemplate(db: Db, id: string) {
  const [row] = await db.select().from(customerTemplates).where(eq(customerTemplates.id, id));
  return row;
}
export async function findTemplateByProvisioningId(db: Db, provisioningId: string) {
  const [row] = await db.select().from(customerTemplates).where(eq(customerTemplates.provisioningId, provisioningId));
  return row;
}
export async function findTemplateByName(db: Db, name: string) {
  const [row] = await db.select().from(customerTemplates).where(eq(customerTemplates.name, name));
  return row;
}
export async function insertTemplate(db: Db, row: typeof customerTemplates.$inferInsert) {
  await db.insert(customerTemplates).values(row);
}
export async function updateTemplate(db: Db, id: string, patch: Partial<typeof customerTemplates.$inferInsert>) {
  await db.update(customerTemplates).set(patch).where(eq(customerTemplates.id, id));
}
export async function deleteTemplate(db: Db, id: string) {
  await db.delete(customerTemplates).where(eq(customerTemplates.id, id));
}
export async function countCustomersOfTemplate(db: Db, templateId: string) {
  const [row] = await db.select({ n: count() }).from(customerOrgs).where(eq(customerOrgs.templateId, templateId));
  return row?.n ?? 0;
}
export async function countSubscribersOfTemplate(db: Db, templateId: string) {
  const [row] = await db.select({ n: count() }).from(subscribers).where(eq(subscribers.templateId, templateId));
  return row?.n ?? 0;
}
