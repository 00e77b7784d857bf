import crypto from 'node:crypto';
import { AppError, notFound } from '../platform/errors.ts';
import type { AcceptTemplate } from './accepts.repository.ts';
import { findCluster } from './clusters.repository.ts';
import * as repo from './templates.repository.ts';
import type { Actor } from '../platform/auth/actor.ts';
import type { Db } from '../platform/db/database.ts';
import type { PlatformServices } from '../platform/services.ts';
import type { Package } from './partner.service.ts';

// Customer templates (P3): a cluster each, a generated provisioning ID, a sealed provisioning password.

export type TemplateInput = {
  name: string;
  clusterId: string;
  provisioningAccount: string;
  provisioningPassword?: string;
  trustedEmails?: boolean;
  defaultPackage?: Package;
  partnerAdminEmail: string;
  provisionExistingOrgs?: boolean;
  adminInviteOnAttach?: boolean;
  disableFreeCalling?: boolean;
  prefillEmail?: boolean;
  provisionAdminFirst?: boolean;
  allowSelfActivation?: boolean;
  wholesale?: boolean;
};

export type PasswordMatches = ReturnType<typeof createPasswordCheck>;

/**
 * The provisioning password's policy. Neither Partner Hub's guide nor the Webex OpenAPI states a
 * minimum (the template takes the account "as per BroadWorks configuration"), so ours is NIST SP
 * 800-63B's floor for a memorised secret: 8 characters; 200 at most, as stored.
 */
export const PROVISIONING_PASSWORD_MIN = 8;

function checkProvisioningPassword(password: string) {
  if (password.length >= PROVISIONING_PASSWORD_MIN) return;
  const message = `Use at least ${PROVISIONING_PASSWORD_MIN} characters for the provisioning password (this one has ${password.length}); it must match the BroadWorks provisioning account's.`;
  throw new AppError('VALIDATION_FAILED', message, { field: 'provisioningPassword', issues: [{ path: 'provisioningPassword', message, code: 'too_small' }] });
}

/**
 * Checks a provisioning account and password against a template's: the flow-through adapter's
 * authentication, for one request (`checkProvisioningAccount`) and inside an accept batch.
 */
export function createPasswordCheck(secrets: PlatformServices['secrets']) {
  // Opening a sealed password costs an AES-GCM decryption; a sealed value always opens to the same text.
  const openedPasswords = new Map<string, string>();

  function passwordMatches(template: AcceptTemplate, account: string, password: string) {
    let expected = openedPasswords.get(template.provisioningPassword);
    if (expected === undefined) {
      expected = secrets.open(template.provisioningPassword);
      if (openedPasswords.size >= 1000) openedPasswords.clear();
      openedPasswords.set(template.provisioningPassword, expected);
    }
    const [want, given] = [Buffer.from(expected), Buffer.from(password)];
    return template.provisioningAccount === account && want.length === given.length && crypto.timingSafeEqual(want, given);
  }
  return passwordMatches;
}

export type Templates = ReturnType<typeof createTemplates>;

export function createTemplates(services: Pick<PlatformServices, 'database' | 'clock' | 'audit' | 'secrets'>, partnerOrgId: (tx: Db) => Promise<string>, passwordMatches: PasswordMatches) {
  const { database, clock, audit, secrets } = services;
  const db = database.db;
  const templateView = (row: repo.TemplateRow) => {
    const { provisioningPassword: _sealed, ...rest } = row;
    return { ...rest, defaultPackage: rest.defaultPackage as Package, provisioningPasswordSet: true };
  };

  async function createTemplate(input: TemplateInput, actor: Actor) {
    if (!input.provisioningPassword) {
      const message = 'Enter the provisioning password: a new template needs the BroadWorks provisioning account\'s password.';
      throw new AppError('VALIDATION_FAILED', message, { field: 'provisioningPassword', issues: [{ path: 'provisioningPassword', message, code: 'required' }] });
    }
    checkProvisioningPassword(input.provisioningPassword);
    return database.transaction(async (tx) => {
      if (!(await findCluster(tx, input.clusterId))) throw notFound('Cluster', input.clusterId);
      if (await repo.findTemplateByName(tx, input.name)) throw new AppError('ALREADY_EXISTS', `A template named ${input.name} exists.`);
      const now = clock.now();
      const row: repo.TemplateRow = {
        id: crypto.randomUUID(),
        partnerOrgId: await partnerOrgId(tx),
        clusterId: input.clusterId,
        name: input.name,
        provisioningId: `${crypto.randomUUID()}:${crypto.randomUUID()}`,
        provisioningAccount: input.provisioningAccount,
        provisioningPassword: secrets.seal(input.provisioningPassword!),
        trustedEmails: input.trustedEmails ?? true,
        defaultPackage: input.defaultPackage ?? 'basic',
        partnerAdminEmail: input.partnerAdminEmail,
        provisionExistingOrgs: input.provisionExistingOrgs ?? true,
        adminInviteOnAttach: input.adminInviteOnAttach ?? true,
        disableFreeCalling: input.disableFreeCalling ?? false,
        prefillEmail: input.prefillEmail ?? false,
        provisionAdminFirst: input.provisionAdminFirst ?? false,
        allowSelfActivation: input.allowSelfActivation ?? false,
        wholesale: input.wholesale ?? false,
        createdAt: now,
        updatedAt: now,
      };
      await repo.insertTemplate(tx, row);
      await audit.record({ actor, action: 'partner.template.create', entityType: 'customerTemplate', entityId: row.id, after: templateView(row) }, tx);
      return templateView(row);
    });
  }

  async function getTemplate(id: string) {
    const row = await repo.findTemplate(db, id);
    if (!row) throw notFound('Template', id);
    return templateView(row);
  }

  async function updateTemplate(id: string, patch: Partial<TemplateInput>, actor: Actor) {
    return database.transaction(async (tx) => {
      const before = await repo.findTemplate(tx, id);
      if (!before) throw notFound('Template', id);
      if (patch.clusterId && !(await findCluster(tx, patch.clusterId))) throw notFound('Cluster', patch.clusterId);
      const { provisioningPassword, ...rest } = patch;
      if (provisioningPassword) checkProvisioningPassword(provisioningPassword);
      const values: Record<string, unknown> = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
      // A blank password on edit keeps the stored one (Partner Hub behaves so).
      if (provisioningPassword) values.provisioningPassword = secrets.seal(provisioningPassword);
      await repo.updateTemplate(tx, id, { ...values, updatedAt: clock.now() });
      const after = (await repo.findTemplate(tx, id))!;
      await audit.record(
        { actor, action: 'partner.template.update', entityType: 'customerTemplate', entityId: id, before: templateView(before), after: { ...templateView(after), provisioningPasswordChanged: Boolean(provisioningPassword) } },
        tx,
      );
      return templateView(after);
    });
  }

  async function deleteTemplate(id: string, actor: Actor) {
    await database.transaction(async (tx) => {
      const before = await repo.findTemplate(tx, id);
      if (!before) throw notFound('Template', id);
      const customers = await repo.countCustomersOfTemplate(tx, id);
      const subs = await repo.countSubscribersOfTemplate(tx, id);
      if (customers || subs) throw new AppError('CONFLICT', `Template ${before.name} is used by ${customers} customer(s) and ${subs} subscriber(s).`, { customers, subscribers: subs });
      await repo.deleteTemplate(tx, id);
      await audit.record({ actor, action: 'partner.template.delete', entityType: 'customerTemplate', entityId: id, before: templateView(before) }, tx);
    });
  }

  /** The flow-through adapter authenticates with the template's provisioning account. */
  async function checkProvisioningAccount(provisioningId: string, account: string, password: string) {
    const template = await repo.findTemplateByProvisioningId(db, provisioningId);
    return template && passwordMatches(template, account, password) ? template : null;
  }

  return { list: async () => (await repo.listTemplates(db)).map(templateView), get: getTemplate, create: createTemplate, update: updateTemplate, remove: deleteTemplate, checkProvisioningAccount };
}
