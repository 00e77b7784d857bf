import crypto from 'node:crypto';
import { notFound } from '../platform/errors.ts';
import * as repo from './partner.repository.ts';
import { findTemplate, type TemplateRow } from './templates.repository.ts';
import { webexCodes } from './webex-errors.ts';
import type { Actor } from '../platform/auth/actor.ts';
import type { Db } from '../platform/db/database.ts';
import type { BatchOutcome, JobBatch, JobContext } from '../platform/jobs/job-context.ts';
import type { PlatformServices } from '../platform/services.ts';
import type { SubscriberHistory } from './subscriber-history.service.ts';
import type { SubscriberStatus } from './partner.service.ts';

// The `partner.provision-subscriber` job (P1, P6, P7): makes the enterprise's org with its first
// subscriber, the person, attaches to an existing Webex org; one by one or jobs taken together.

/** P7: ask up to five administrators of an existing org to add the partner admin as external full admin. */
export type ApprovalRequest = { webexOrgId: string; orgName: string; adminEmails: string[]; partnerAdminEmail: string; subscriberId: string };
/** P7: attaching needs approval from an org with this many users, or any verified or claimed domain. */
export const ATTACH_APPROVAL_USER_THRESHOLD = 100;

/** A JSON after-commit effect of the provisioning job, run once as a journalled step by its handler. */
export type ProvisioningEffect = { kind: string; data: Record<string, unknown> };
/**
 * Checked by the provisioning job before the org is made (P6 consent moves, Provision Admin First):
 * null lets provisioning go on; otherwise the subscriber is put in `status` and the job stops.
 */
export type ProvisioningGate = (
  tx: Db,
  at: { sub: repo.SubscriberRow; template: TemplateRow; org: repo.CustomerOrgRow | undefined },
) => Promise<{ status: SubscriberStatus; reason: string; errors?: { errorCode: number; description: string }[]; effects?: ProvisioningEffect[] } | null>;
/** Told inside the provisioning transaction that a subscriber is provisioned. */
export type ProvisionedHook = (
  tx: Db,
  at: { sub: repo.SubscriberRow; template: TemplateRow; org: repo.CustomerOrgRow; person: repo.PersonRow; createdOrg: boolean; newPerson: boolean },
) => Promise<ProvisioningEffect[] | void>;

/**
 * Turns for work that gives way to more urgent work: while `busy()` holds, one holder at a time;
 * otherwise everyone at once. While `spacing.when()` holds too, a turn also starts no sooner than
 * `spacing.gapMs` after the last one ended, so the urgent work gets most of a resource both use,
 * and the other still goes on. Waiters go in the order they came, so none can be overtaken for ever.
 * While anyone waits, the conditions are looked at again every `pollMs` of real time (they wait for
 * other requests, not for the domain clock); a waiter whose `signal` aborts stops waiting and goes.
 */
export function createGiveWay(busy: () => boolean, pollMs = 20, spacing?: { when: () => boolean; gapMs: number }) {
  let running = 0;
  let lastEnded = -Infinity;
  const waiting: Array<() => void> = [];
  let poll: NodeJS.Timeout | undefined;

  const mayGo = () => {
    if (!busy()) return true;
    if (running > 0) return false;
    return !spacing?.when() || performance.now() - lastEnded >= spacing.gapMs;
  };
  const turn = () => {
    running += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      running -= 1;
      lastEnded = performance.now();
      admit();
    };
  };
  function admit() {
    while (waiting.length > 0 && mayGo()) waiting.shift()!();
    if (waiting.length === 0) {
      clearTimeout(poll);
      poll = undefined;
    } else if (!poll) {
      poll = setTimeout(() => {
        poll = undefined;
        admit();
      }, pollMs);
    }
  }

  return {
    running: () => running,
    take(signal?: AbortSignal): Promise<() => void> {
      if ((waiting.length === 0 && mayGo()) || signal?.aborted) return Promise.resolve(turn());
      return new Promise((resolve) => {
        const go = () => {
          signal?.removeEventListener('abort', cancel);
          resolve(turn());
        };
        const cancel = () => {
          const at = waiting.indexOf(go);
          if (at >= 0) waiting.splice(at, 1);
          go();
          admit();
        };
        signal?.addEventListener('abort', cancel, { once: true });
        waiting.push(go);
        admit();
      });
    },
  };
}

export type Provisioning = ReturnType<typeof createProvisioning>;

export function createProvisioning(
  services: Pick<PlatformServices, 'database' | 'clock' | 'audit'>,
  setStatus: SubscriberHistory['setStatus'],
  /** The accepts' load (accepts.service.ts): busy while a batch is decided or just was, crowded while requests queue for one. */
  accepts: { busy: () => boolean; crowded: () => boolean },
) {
  const { database, clock, audit } = services;
  // Told (inside a journalled job step) when attaching needs an existing org's approval (P7).
  const approvalListeners: Array<(request: ApprovalRequest) => Promise<void>> = [];
  const gates: ProvisioningGate[] = [];
  const provisionedHooks: ProvisionedHook[] = [];
  const effectHandlers = new Map<string, (data: Record<string, unknown>) => Promise<unknown>>();

  // ── provisioning gives way to accepting (P2 flow-through, goal ≥500/s) ──
  // The adapter waits for each answer; a subscriber's provisioning can wait a little. While an accept
  // batch is being decided (or was, in the last ACCEPT_QUIET_MS: accepts.service.ts), at most one
  // provisioning job of this process runs, so a burst of adds gets the CPU and the connections; the
  // other workers' jobs wait their turn (provisioning never stops) and all run at once again when the
  // burst is over. Other instances are not held back.
  //
  // When adds come faster than they are decided (a request had to queue for a batch in the last
  // ACCEPT_QUIET_MS), a provisioning turn also starts at most every PROVISION_GAP_MS. On the embedded
  // database, whose one connection the accepts and the jobs share, one provisioning transaction
  // after another cost a third of the accept rate or more (bench, 10,000 adds: 338–432/s, against
  // 617/s with no provisioning at all and 535–542/s with this gap). Below that rate nothing is
  // spaced, so a steady stream of adds never starves provisioning; above it provisioning still goes
  // on, one subscriber per turn, and the time until all are provisioned did not grow (82–84 s
  // embedded, against 86 s): the jobs left for after the burst are provisioned in batches.
  const PROVISION_GAP_MS = 100;
  const provisioningTurns = createGiveWay(accepts.busy, 20, { when: accepts.crowded, gapMs: PROVISION_GAP_MS });

  async function completeProvisioning(ctx: JobContext, input: { subscriberId: string }) {
    const done = await provisioningTurns.take(ctx.signal);
    try {
      return await provisionSubscriber(ctx, input);
    } finally {
      done();
    }
  }

  async function provisionSubscriber(ctx: JobContext, { subscriberId }: { subscriberId: string }) {
    await ctx.progress({ step: 'provisioning', percent: 10 });
    const result = await ctx.transact('provision', async (tx) => provisionIn(tx, await repo.findSubscriber(tx, subscriberId, { forUpdate: true }), (id) => findTemplate(tx, id)));
    return afterProvisioning(ctx, result);
  }

  /**
   * Provisioning jobs fetched together (PROVISION_BATCH_SIZE in partner.jobs.ts): their subscribers
   * are provisioned in one transaction, each job answered as it would be alone (its journalled
   * result, its own effects and approval steps). A transaction that fails (a database error, a
   * deadlock) commits nothing, and its jobs are run one by one, so one subscriber cannot fail the
   * others. While adds are arriving, one subscriber per transaction (and per turn): on the embedded
   * database (one connection) an accept batch waits for the provisioning transaction before it, and
   * on PostgreSQL a whole batch took so much of the main thread that fewer adds were accepted
   * (10,000 adds: 434/s against 543/s one job at a time). The rest of the batch goes at once when
   * they stop.
   */
  async function completeProvisioningTogether(items: { ctx: JobContext; input: { subscriberId: string } }[], batch: JobBatch): Promise<(BatchOutcome | undefined)[]> {
    const outcomes: (BatchOutcome | undefined)[] = [];
    const signal = AbortSignal.any(items.map(({ ctx }) => ctx.signal));
    while (outcomes.length < items.length) {
      const done = await provisioningTurns.take(signal);
      try {
        const size = accepts.busy() ? 1 : items.length;
        outcomes.push(...(await provisionChunk(items.slice(outcomes.length, outcomes.length + size), batch)));
      } finally {
        done();
      }
    }
    return outcomes;
  }

  async function provisionChunk(items: { ctx: JobContext; input: { subscriberId: string } }[], batch: JobBatch): Promise<(BatchOutcome | undefined)[]> {
    const subscriberOf = new Map(items.map(({ ctx, input }) => [ctx.jobId, input.subscriberId]));
    let decided: BatchOutcome<ProvisionResult>[];
    try {
      decided = await batch.transact('provision', items.map(({ ctx }) => ctx), (tx, fresh) => provisionTogether(tx, fresh.map((ctx) => subscriberOf.get(ctx.jobId)!)));
    } catch (error) {
      items[0]!.ctx.logger.warn({ err: error, jobs: items.length }, 'provisioning batch failed; its subscribers are provisioned one by one');
      return items.map(() => undefined);
    }
    const outcomes: BatchOutcome[] = [];
    for (const [n, { ctx }] of items.entries()) {
      const outcome = decided[n]!;
      if ('error' in outcome) {
        outcomes.push(outcome);
        continue;
      }
      try {
        outcomes.push({ result: await afterProvisioning(ctx, outcome.result) });
      } catch (error) {
        outcomes.push({ error });
      }
    }
    return outcomes;
  }

  async function provisionTogether(tx: Db, subscriberIds: string[]): Promise<ProvisionResult[]> {
    // Locked in one statement; provisioned enterprise by enterprise (within one, in the order the
    // jobs came, so its first subscriber makes the org), so two batches wait on each other's orgs in
    // one order and cannot deadlock on them.
    const rows = new Map((await repo.findSubscribersForUpdate(tx, subscriberIds)).map((row) => [row.id, row]));
    const enterprise = (n: number) => rows.get(subscriberIds[n]!)?.spEnterpriseId ?? '';
    const order = subscriberIds.map((_, n) => n).sort((a, b) => (enterprise(a) < enterprise(b) ? -1 : enterprise(a) > enterprise(b) ? 1 : a - b));
    const templates = new Map<string, Promise<TemplateRow | undefined>>();
    const templateOf = (id: string) => {
      if (!templates.has(id)) templates.set(id, findTemplate(tx, id));
      return templates.get(id)!;
    };
    const results: ProvisionResult[] = new Array(subscriberIds.length);
    const seen = new Set<string>();
    for (const n of order) {
      const id = subscriberIds[n]!;
      // A second job for the same subscriber sees it as the first left it, as one after the other would.
      const sub = seen.has(id) ? await repo.findSubscriber(tx, id, { forUpdate: true }) : rows.get(id);
      seen.add(id);
      results[n] = await provisionIn(tx, sub, templateOf);
    }
    return results;
  }

  type ProvisionResult = Awaited<ReturnType<typeof provisionIn>>;

  /** The provisioning of one subscriber (locked by the caller) inside the job's transaction. */
  async function provisionIn(tx: Db, sub: repo.SubscriberRow | undefined, templateOf: (id: string) => Promise<TemplateRow | undefined>) {
    if (!sub || sub.status !== 'provisioning') return { skipped: sub?.status ?? 'removed' };
    const template = (await templateOf(sub.templateId))!;
    const fail = async (errorCode: number, description: string) => {
      await setStatus(tx, sub, 'error', { errors: [{ errorCode, description }] });
      await audit.record({ actor: { type: 'system', id: null, name: 'partner.provision-subscriber', role: 'system', customerOrgId: null }, action: 'partner.subscriber.error', entityType: 'subscriber', entityId: sub.id, after: { errorCode, description } }, tx);
      return { status: 'error', errorCode };
    };
    if (await repo.findSubscriberByEmail(tx, sub.email!, sub.id)) return fail(webexCodes.EMAIL_IN_USE, `The email address ${sub.email} is already used by another subscriber.`);
    let orgBefore = await repo.findOrgByEnterprise(tx, sub.spEnterpriseId);
    if (!orgBefore) {
      // Another transaction may be making this enterprise's org right now (its first user): wait for
      // it, then decide as the later user (P6 consent, P7 no attach check, not made admin).
      await repo.lockEnterprise(tx, sub.spEnterpriseId);
      orgBefore = await repo.findOrgByEnterprise(tx, sub.spEnterpriseId);
    }
    for (const gate of gates) {
      const held = await gate(tx, { sub, template, org: orgBefore });
      if (!held) continue;
      await setStatus(tx, sub, held.status, { errors: held.errors ?? [] });
      return { status: held.status, held: held.reason, effects: held.effects ?? [] };
    }
    // P7: a new enterprise whose first subscriber is a user of an existing Webex org attaches to it.
    let attach: repo.WebexOrgRow | undefined;
    // The gates above make no org, so what was read before them still holds.
    if (!orgBefore && template.provisionExistingOrgs) {
      attach = await repo.findWebexOrgByUserEmail(tx, sub.email!);
      if (attach) {
        const needsApproval = attach.userCount >= ATTACH_APPROVAL_USER_THRESHOLD || attach.verifiedDomains.length > 0 || attach.claimedDomains.length > 0;
        const approved = attach.approvedPartnerAdmins.map((e) => e.toLowerCase()).includes(template.partnerAdminEmail.toLowerCase());
        if (needsApproval && !approved) {
          const outcome = await fail(webexCodes.ATTACH_APPROVAL_REQUIRED, `Unable to provision subscriber into existing Webex organisation ${attach.name}: an administrator of it must first add ${template.partnerAdminEmail} as an external full administrator. An approval request was emailed to its administrators.`);
          const alreadyAsked = attach.approvalRequestedFor.map((e) => e.toLowerCase()).includes(template.partnerAdminEmail.toLowerCase());
          if (!alreadyAsked) await repo.updateWebexOrg(tx, attach.id, { approvalRequestedFor: [...attach.approvalRequestedFor, template.partnerAdminEmail] });
          const approval: ApprovalRequest | null =
            alreadyAsked || !template.adminInviteOnAttach ? null : { webexOrgId: attach.id, orgName: attach.name, adminEmails: attach.adminEmails.slice(0, 5), partnerAdminEmail: template.partnerAdminEmail, subscriberId: sub.id };
          return { ...outcome, approval };
        }
      }
    }
    // An email of a person of another org is refused before anything is made: a refused first
    // subscriber must not leave an org behind (made by nobody's provisioning).
    let person = await repo.findPersonByEmail(tx, sub.email!);
    if (person && person.customerOrgId !== orgBefore?.id) return fail(webexCodes.EMAIL_IN_USE, `The email address ${sub.email} belongs to a Webex user of another organisation.`);
    // P1: the enterprise's org is made by its first provisioned subscriber, exactly once.
    const createdOrg = !orgBefore &&
      (await repo.insertOrgOnce(tx, {
      id: crypto.randomUUID(),
      spEnterpriseId: sub.spEnterpriseId,
      templateId: template.id,
      // An attached org keeps its name; restricted mode is off for it (P7, P14).
      displayName: attach ? attach.name : sub.spEnterpriseId.includes('+') ? sub.spEnterpriseId.split('+').slice(1).join('+') : sub.spEnterpriseId,
      restricted: !attach,
      state: 'active',
      attachedWebexOrgId: attach?.id ?? null,
      // Full admin when the org has no licences or only suspended/cancelled ones; else provisioning admin.
      partnerRole: !attach || attach.licences !== 'active' ? 'full_admin' : 'provisioning_admin',
      createdAt: clock.now(),
    }));
    const org = orgBefore ?? (await repo.findOrgByEnterprise(tx, sub.spEnterpriseId))!;
    if (org.templateId !== template.id) return fail(webexCodes.INVALID_PARAMETER, `Enterprise ${sub.spEnterpriseId} is a customer of another template.`);
    const newPerson = !person;
    if (!person) {
      // The first user of a new org becomes its administrator; not in an attached org (P7).
      const admin = !org.attachedWebexOrgId && (createdOrg || (await repo.countAdminsOfOrg(tx, org.id)) === 0);
      person = { id: crypto.randomUUID(), customerOrgId: org.id, email: sub.email!, firstName: sub.firstName, lastName: sub.lastName, isAdmin: admin, createdAt: clock.now() };
      await repo.insertPerson(tx, person);
    }
    const provisioned = await setStatus(tx, sub, 'provisioned', { personId: person.id, customerOrgId: org.id, errors: [] });
    const effects: ProvisioningEffect[] = [];
    for (const hook of provisionedHooks) effects.push(...((await hook(tx, { sub: provisioned, template, org, person, createdOrg, newPerson })) ?? []));
    const actor = { type: 'system' as const, id: null, name: 'partner.provision-subscriber', role: 'system' as const, customerOrgId: null };
    if (createdOrg) await audit.record({ actor, action: 'partner.customer.create', entityType: 'customerOrg', entityId: org.id, after: org }, tx);
    await audit.record({ actor, action: 'partner.subscriber.provisioned', entityType: 'subscriber', entityId: sub.id, after: { personId: person.id, customerOrgId: org.id, admin: person.isAdmin } }, tx);
    return { status: 'provisioned', customerOrgId: org.id, personId: person.id, createdOrg, admin: person.isAdmin, attached: Boolean(org.attachedWebexOrgId), effects };
  }

  /** After the provisioning transaction committed: its effects and the approval email, each a journalled step. */
  async function afterProvisioning(ctx: JobContext, result: ProvisionResult) {
    const effects = (result as { effects?: ProvisioningEffect[] }).effects ?? [];
    for (const [i, effect] of effects.entries()) {
      await ctx.step(`effect-${i}-${effect.kind}`, async () => (await effectHandlers.get(effect.kind)?.(effect.data)) ?? null);
    }
    const approval = (result as { approval?: ApprovalRequest | null }).approval;
    if (approval) {
      await ctx.step('attach-approval-email', async () => {
        for (const listener of approvalListeners) await listener(approval);
        return { sentTo: approval.adminEmails };
      });
    }
    return result;
  }

  /** P7: an administrator of the existing org approved the partner admin as external full admin. */
  async function approveAttach(webexOrgId: string, partnerAdminEmail: string, actor: Actor) {
    await database.transaction(async (tx) => {
      const org = await repo.findWebexOrg(tx, webexOrgId, { forUpdate: true });
      if (!org) throw notFound('Webex organisation', webexOrgId);
      if (org.approvedPartnerAdmins.map((e) => e.toLowerCase()).includes(partnerAdminEmail.toLowerCase())) return;
      await repo.updateWebexOrg(tx, webexOrgId, { approvedPartnerAdmins: [...org.approvedPartnerAdmins, partnerAdminEmail] });
      await audit.record({ actor, action: 'partner.attach.approve', entityType: 'webexOrg', entityId: webexOrgId, after: { partnerAdminEmail } }, tx);
    });
  }

  return {
    completeProvisioning,
    completeProvisioningTogether,
    approveAttach,
    onApprovalNeeded: (listener: (request: ApprovalRequest) => Promise<void>) => approvalListeners.push(listener),
    /** P3/P6/P13 extensions of the provisioning job (gates before, hooks after, their after-commit effects). */
    extend: {
      gate: (gate: ProvisioningGate) => gates.push(gate),
      provisioned: (hook: ProvisionedHook) => provisionedHooks.push(hook),
      effect: (kind: string, handler: (data: Record<string, unknown>) => Promise<unknown>) => effectHandlers.set(kind, handler),
    },
  };
}
