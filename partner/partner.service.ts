import crypto from 'node:crypto';
import { notFound } from '../platform/errors.ts';
import { createAccepts } from './accepts.service.ts';
import { createClusters } from './clusters.service.ts';
import { definePartnerJobs } from './partner.jobs.ts';
import * as repo from './partner.repository.ts';
import { createProvisioning } from './provisioning.service.ts';
import { createSubscriberHistory } from './subscriber-history.service.ts';
import { createSubscribers } from './subscribers.service.ts';
import { createPasswordCheck, createTemplates } from './templates.service.ts';
import type { Db } from '../platform/db/database.ts';
import type { PlatformServices } from '../platform/services.ts';

export const packages = ['softphone', 'basic', 'standard', 'premium'] as const;
export type Package = (typeof packages)[number];
export const subscriberStatuses = ['pending_email_input', 'pending_email_validation', 'pending_user_migration', 'provisioning', 'provisioned', 'updating', 'error'] as const;
export type SubscriberStatus = (typeof subscriberStatuses)[number];

export type Partner = ReturnType<typeof createPartner>;

/**
 * The partner's provisioning service, made of its domains: clusters (P4), templates (P3), new
 * subscribers accepted by group commit (accepts), their provisioning job, and subscribers once
 * accepted; plus the partner org and the customers' package counts (P1, P15).
 */
export function createPartner(services: PlatformServices) {
  const { database, clock } = services;
  const db = database.db;

  async function partnerOrgId(tx: Db): Promise<string> {
    const existing = await repo.findFirstPartnerOrg(tx);
    if (existing) return existing.id;
    await repo.insertPartnerOrg(tx, { id: crypto.randomUUID(), name: 'Partner', createdAt: clock.now() });
    return (await repo.findFirstPartnerOrg(tx))!.id;
  }

  async function withPackages(orgs: repo.CustomerOrgRow[], counts: { customerOrgId: string | null; package: string; n: number }[]) {
    return orgs.map((org) => {
      const byPackage = Object.fromEntries(packages.map((p) => [p, 0])) as Record<Package, number>;
      for (const c of counts) if (c.customerOrgId === org.id) byPackage[c.package as Package] = c.n;
      return { ...org, packages: byPackage };
    });
  }

  async function listCustomers() {
    const [orgs, counts] = await Promise.all([repo.listOrgs(db), repo.packageCountsByOrg(db)]);
    return withPackages(orgs, counts);
  }

  /** P1: one page of customers whose name or enterprise ID contains `search`, with their package counts. */
  async function findCustomers(search: string | undefined, page: { offset: number; limit: number }) {
    const [orgs, total] = await Promise.all([repo.findOrgs(db, search, page), repo.countOrgs(db, search)]);
    const counts = await repo.packageCountsByOrg(db, orgs.map((o) => o.id));
    return { items: await withPackages(orgs, counts), total, ...page };
  }

  async function getCustomer(id: string) {
    const org = await repo.findOrg(db, id);
    if (!org) throw notFound('Customer organisation', id);
    const [customer] = await withPackages([org], await repo.packageCountsByOrg(db, [id]));
    return customer!;
  }

  async function analytics() {
    const counts = await repo.packageCounts(db);
    const usersPerPackage = Object.fromEntries(packages.map((p) => [p, 0])) as Record<Package, number>;
    for (const c of counts) usersPerPackage[c.package as Package] = c.n;
    return { usersPerPackage, customers: await listCustomers() };
  }

  // The jobs run provisioning and subscriber updates, which are made below with the jobs they send:
  // bound when a job runs, after all of them are made.
  const jobs = definePartnerJobs({
    completeProvisioning: (ctx, input) => provisioning.completeProvisioning(ctx, input),
    completeProvisioningTogether: (items, batch) => provisioning.completeProvisioningTogether(items, batch),
    applyUpdate: (ctx, input) => subscribers.applyUpdate(ctx, input),
  });
  const history = createSubscriberHistory(clock);
  const passwordMatches = createPasswordCheck(services.secrets);
  const clusters = createClusters(services, partnerOrgId);
  const templates = createTemplates(services, partnerOrgId, passwordMatches);
  const accepts = createAccepts(services, jobs, passwordMatches);
  const provisioning = createProvisioning(services, history.setStatus, accepts.load);
  const subscribers = createSubscribers(services, jobs, history);

  return {
    jobs,
    clusters,
    templates,
    onApprovalNeeded: provisioning.onApprovalNeeded,
    approveAttach: provisioning.approveAttach,
    onPendingEmailInput: accepts.onPendingEmailInput,
    /** P3/P6/P13 extensions of the provisioning job (gates before, hooks after, their after-commit effects). */
    extend: provisioning.extend,
    /** A status change with its history entry (billing prorates from it). */
    setStatus: history.setStatus,
    partnerOrgId,
    subscribers: {
      provision: accepts.provision,
      acceptBridgeAdd: accepts.acceptBridgeAdd,
      enterEmail: subscribers.enterEmail,
      get: subscribers.get,
      update: subscribers.update,
      remove: subscribers.remove,
      retry: subscribers.retry,
      precheck: subscribers.precheck,
      list: subscribers.list,
      count: subscribers.count,
      history: subscribers.history,
    },
    customers: { list: listCustomers, find: findCustomers, get: getCustomer },
    analytics,
    completeProvisioning: provisioning.completeProvisioning,
    applyUpdate: subscribers.applyUpdate,
  };
}
