import crypto from 'node:crypto';
import tls from 'node:tls';
import client from 'prom-client';
import { AppError, notFound } from '../platform/errors.ts';
import { systemActor } from '../platform/auth/actor.ts';
import { definePartnerJobs } from './partner.jobs.ts';
import * as repo from './partner.repository.ts';
import { webexCodes, webexError } from './webex-errors.ts';
import type { Actor } from '../platform/auth/actor.ts';
import type { Db, SqlExecutor } from '../platform/db/database.ts';
import type { BatchOutcome, JobBatch, JobContext } from '../platform/jobs/job-context.ts';
import type { PlatformServices } from '../platform/services.ts';

export const packages = ['softphone', 'basic', 'standard', 'premium'] as const;
export type Package = (typeof packages)[number];
export const subscriberStatuses = ['pending_email_input', 'pending_email_validation', 'pending_user_migration', 'provisioning', 'provisioned', 'updating', 'error'] as const;
export type SubscriberStatus = (typeof subscriberStatuses)[number];

/** More customers than this on a cluster: interface and sync edits go through Cisco TAC. */
export const CLUSTER_EDIT_CUSTOMER_LIMIT = 50;
const protectedClusterFields = ['xsiActionsUrl', 'xsiEventsUrl', 'dasUrl', 'xspAdpUrl', 'paStatusSync', 'dndSync'] as const;
const oneWayToggles = ['callHistory', 'dndSync', 'paStatusSync'] as const;

export type ClusterInput = {
  name: string;
  xsiActionsUrl: string;
  xsiEventsUrl: string;
  authServiceUrl: string;
  dasUrl?: string | null;
  xspAdpUrl?: string | null;
  ctiUrl?: string | null;
  callHistory?: boolean;
  dndSync?: boolean;
  paStatusSync?: boolean;
};

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

export type ProvisionInput = {
  provisioningId: string;
  userId: string;
  spEnterpriseId: string;
  firstName: string;
  lastName: string;
  package: Package;
  primaryPhoneNumber?: string;
  mobilePhoneNumber?: string;
  extension?: string;
  email?: string;
  language?: string;
  timezone?: string;
  spEnterpriseGroupId?: string;
};

export type UpdateInput = Partial<{
  userId: string;
  firstName: string;
  lastName: string;
  primaryPhoneNumber: string;
  mobilePhoneNumber: string;
  extension: string;
  timezone: string;
  language: string;
  package: Package;
}>;

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
  at: { sub: repo.SubscriberRow; template: repo.TemplateRow; org: repo.CustomerOrgRow | undefined },
) => Promise<{ status: SubscriberStatus; reason: string; errors?: { errorCode: number; description: string }[]; effects?: ProvisioningEffect[] } | null>;
/** Told inside the provisioning transaction that a subscriber is provisioned. */
export type ProvisionedHook = (
  tx: Db,
  at: { sub: repo.SubscriberRow; template: repo.TemplateRow; org: repo.CustomerOrgRow; person: repo.PersonRow; createdOrg: boolean; newPerson: boolean },
) => Promise<ProvisioningEffect[] | void>;

export type PrecheckInput = Partial<ProvisionInput> & { email: string; customerInfo?: { primaryEmail: string } };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The peer certificate of an HTTPS URL (expiry only; trust is the HTTP client's business). */
function certificateOf(url: string): Promise<{ validTo: Date } | null> {
  const target = new URL(url);
  return new Promise((resolve) => {
    const socket = tls.connect({ host: target.hostname, port: Number(target.port || 443), servername: target.hostname, rejectUnauthorized: false, timeout: 5_000 }, () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      resolve(cert?.valid_to ? { validTo: new Date(cert.valid_to) } : null);
    });
    socket.on('error', () => resolve(null));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(null);
    });
  });
}

function checkXsiUrl(field: string, value: string) {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AppError('VALIDATION_FAILED', `${field} is not a URL.`, { field });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new AppError('VALIDATION_FAILED', `${field} must be an http(s) URL.`, { field });
  if (!url.pathname.endsWith('/v2.0/')) throw new AppError('VALIDATION_FAILED', `${field} must end in /v2.0/ (for example https://xsp.example.com/com.broadsoft.xsi-actions/v2.0/).`, { field });
}

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

export type Partner = ReturnType<typeof createPartner>;

export function createPartner(services: PlatformServices) {
  const { database, clock, audit, secrets } = services;
  const db = database.db;
  // Told after commit about a subscriber waiting for its email (untrusted flow): sends the activation text.
  const pendingEmailListeners: Array<(row: repo.SubscriberRow) => Promise<void>> = [];
  // Told (inside a journalled job step) when attaching needs an existing org's approval (P7).
  const approvalListeners: Array<(request: ApprovalRequest) => Promise<void>> = [];
  const gates: ProvisioningGate[] = [];
  const provisionedHooks: ProvisionedHook[] = [];
  const effectHandlers = new Map<string, (data: Record<string, unknown>) => Promise<unknown>>();

  async function partnerOrgId(tx: Db): Promise<string> {
    const existing = await repo.findFirstPartnerOrg(tx);
    if (existing) return existing.id;
    await repo.insertPartnerOrg(tx, { id: crypto.randomUUID(), name: 'Partner', createdAt: clock.now() });
    return (await repo.findFirstPartnerOrg(tx))!.id;
  }

  // Every status, package and user ID change lands in the history billing (P16) prorates from.
  async function record(tx: Db, sub: repo.SubscriberRow, change: string, previous: string | null = null) {
    await repo.insertHistory(tx, historyEntry(sub, change, previous, clock.now()));
  }
  const historyEntry = (sub: repo.SubscriberRow, change: string, previous: string | null, at: Date) => ({
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

  async function setStatus(tx: Db, sub: repo.SubscriberRow, status: SubscriberStatus, patch: Partial<repo.SubscriberRow> = {}) {
    const previous = sub.status;
    const next = { ...sub, ...patch, status, lastStatusChange: clock.now() };
    await repo.updateSubscriber(tx, sub.id, { ...patch, status, lastStatusChange: next.lastStatusChange });
    if (previous !== status) await record(tx, next, 'status', previous);
    return next;
  }

  // ── clusters (P4) ──
  const clusterView = (row: repo.ClusterRow) => row;

  async function createCluster(input: ClusterInput, actor: Actor) {
    checkXsiUrl('xsiActionsUrl', input.xsiActionsUrl);
    checkXsiUrl('xsiEventsUrl', input.xsiEventsUrl);
    return database.transaction(async (tx) => {
      if (await repo.findClusterByName(tx, input.name)) throw new AppError('ALREADY_EXISTS', `A cluster named ${input.name} exists.`, { name: input.name });
      const now = clock.now();
      const row = {
        id: crypto.randomUUID(),
        partnerOrgId: await partnerOrgId(tx),
        name: input.name,
        xsiActionsUrl: input.xsiActionsUrl,
        xsiEventsUrl: input.xsiEventsUrl,
        authServiceUrl: input.authServiceUrl,
        dasUrl: input.dasUrl ?? null,
        xspAdpUrl: input.xspAdpUrl ?? null,
        ctiUrl: input.ctiUrl ?? null,
        callHistory: input.callHistory ?? false,
        dndSync: input.dndSync ?? false,
        paStatusSync: input.paStatusSync ?? false,
        createdAt: now,
        updatedAt: now,
      };
      await repo.insertCluster(tx, row);
      await audit.record({ actor, action: 'partner.cluster.create', entityType: 'broadworksCluster', entityId: row.id, after: row }, tx);
      return clusterView(row);
    });
  }

  async function getCluster(id: string) {
    const row = await repo.findCluster(db, id);
    if (!row) throw notFound('Cluster', id);
    return { ...clusterView(row), customers: await repo.countCustomersOfCluster(db, id), templates: await repo.countTemplatesOfCluster(db, id) };
  }

  async function updateCluster(id: string, patch: Partial<ClusterInput>, actor: Actor) {
    if (patch.xsiActionsUrl !== undefined) checkXsiUrl('xsiActionsUrl', patch.xsiActionsUrl);
    if (patch.xsiEventsUrl !== undefined) checkXsiUrl('xsiEventsUrl', patch.xsiEventsUrl);
    return database.transaction(async (tx) => {
      const before = await repo.findCluster(tx, id);
      if (!before) throw notFound('Cluster', id);
      const changed = (Object.keys(patch) as (keyof ClusterInput)[]).filter((k) => patch[k] !== undefined && (patch[k] ?? null) !== (before[k as keyof repo.ClusterRow] ?? null));
      for (const toggle of oneWayToggles) {
        if (changed.includes(toggle) && before[toggle] && patch[toggle] === false) {
          throw new AppError('INVALID_STATE', `${toggle} is a one-way toggle: once enabled it cannot be disabled here (open a Cisco TAC case).`, { field: toggle });
        }
      }
      const guarded = changed.filter((k) => (protectedClusterFields as readonly string[]).includes(k));
      if (guarded.length) {
        const customers = await repo.countCustomersOfCluster(tx, id);
        if (customers > CLUSTER_EDIT_CUSTOMER_LIMIT) {
          throw new AppError(
            'INVALID_STATE',
            `Cluster ${before.name} has ${customers} customers (more than ${CLUSTER_EDIT_CUSTOMER_LIMIT}): changing ${guarded.join(', ')} is not supported; contact Cisco TAC.`,
            { fields: guarded, customers, limit: CLUSTER_EDIT_CUSTOMER_LIMIT },
          );
        }
      }
      if (patch.name && patch.name !== before.name && (await repo.findClusterByName(tx, patch.name))) throw new AppError('ALREADY_EXISTS', `A cluster named ${patch.name} exists.`);
      const values = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      await repo.updateCluster(tx, id, { ...values, updatedAt: clock.now() });
      const after = (await repo.findCluster(tx, id))!;
      await audit.record({ actor, action: 'partner.cluster.update', entityType: 'broadworksCluster', entityId: id, before, after }, tx);
      return clusterView(after);
    });
  }

  async function deleteCluster(id: string, actor: Actor) {
    await database.transaction(async (tx) => {
      const before = await repo.findCluster(tx, id);
      if (!before) throw notFound('Cluster', id);
      const templates = await repo.countTemplatesOfCluster(tx, id);
      if (templates > 0) throw new AppError('CONFLICT', `Cluster ${before.name} has ${templates} template(s); delete or move them first.`, { templates });
      await repo.deleteCluster(tx, id);
      await audit.record({ actor, action: 'partner.cluster.delete', entityType: 'broadworksCluster', entityId: id, before }, tx);
    });
  }

  /**
   * P4/P17: probes each interface of a cluster (XSI actions, XSI events, auth service, DAS, XSP/ADP):
   * reachable and answering, and for HTTPS the certificate's expiry (warning within 30 days).
   */
  async function checkCluster(id: string) {
    const cluster = await repo.findCluster(db, id);
    if (!cluster) throw notFound('Cluster', id);
    const interfaces = [
      ['xsiActions', cluster.xsiActionsUrl],
      ['xsiEvents', cluster.xsiEventsUrl],
      ['authService', cluster.authServiceUrl],
      ['das', cluster.dasUrl],
      ['xspAdp', cluster.xspAdpUrl],
    ].filter((entry): entry is [string, string] => Boolean(entry[1]));
    const results = await Promise.all(
      interfaces.map(async ([name, url]) => {
        const started = clock.now().getTime();
        const certificate = url.startsWith('https:') ? await certificateOf(url) : null;
        try {
          const res = await fetch(url, { method: 'GET', signal: AbortSignal.timeout(5_000) });
          await res.arrayBuffer();
          const ok = res.status < 500 && res.status !== 404;
          const expiresAt = certificate?.validTo ?? null;
          const daysLeft = expiresAt ? Math.floor((expiresAt.getTime() - clock.now().getTime()) / 86_400_000) : null;
          return { name, url, ok, status: res.status, ms: clock.now().getTime() - started, certificateExpiresAt: expiresAt, certificateWarning: daysLeft !== null && daysLeft < 30 ? `The certificate expires in ${daysLeft} days.` : null, error: ok ? null : `HTTP ${res.status}` };
        } catch (error) {
          return { name, url, ok: false, status: null, ms: clock.now().getTime() - started, certificateExpiresAt: certificate?.validTo ?? null, certificateWarning: null, error: (error as Error).message };
        }
      }),
    );
    return { clusterId: id, ok: results.every((r) => r.ok), interfaces: results };
  }

  // ── templates (P3) ──
  const templateView = (row: repo.TemplateRow) => {
    const { provisioningPassword: _sealed, ...rest } = row;
    return { ...rest, defaultPackage: rest.defaultPackage as Package, provisioningPasswordSet: true };
  };

  async function createTemplate(input: TemplateInput, actor: Actor) {
    if (!input.provisioningPassword) throw new AppError('VALIDATION_FAILED', 'provisioningPassword is required for a new template.', { field: 'provisioningPassword' });
    return database.transaction(async (tx) => {
      if (!(await repo.findCluster(tx, input.clusterId))) throw notFound('Cluster', input.clusterId);
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
      if (patch.clusterId && !(await repo.findCluster(tx, patch.clusterId))) throw notFound('Cluster', patch.clusterId);
      const { provisioningPassword, ...rest } = patch;
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

  // ── subscribers (P1, P2, P5, P10, P11, P12) ──
  async function provision(input: ProvisionInput, actor: Actor, options: ProvisionOptions = {}) {
    const outcome = await accept({ input, actor, options });
    if (outcome.status !== 'accepted') throw new Error(`provision: unexpected outcome ${outcome.status}`);
    await afterAccepted(outcome.row, options);
    return outcome.row;
  }

  async function afterAccepted(row: repo.SubscriberRow, options: ProvisionOptions) {
    if (row.status === 'pending_email_input' && options.source !== 'self_activation') {
      for (const listener of pendingEmailListeners) await listener(row).catch((error) => services.logger.error({ err: error, subscriberId: row.id }, 'activation notice failed'));
    }
  }

  /**
   * A Provisioning Bridge `add` (P2 flow-through): the template's provisioning account is checked in
   * the same batch read; a user ID already known is a `noop`; the package is the template's default.
   * Null: unknown provisioning ID or wrong account.
   */
  async function acceptBridgeAdd(input: Omit<ProvisionInput, 'package'>, credentials: { account: string; password: string }, trackingId: string) {
    const options: ProvisionOptions = { source: 'flow_through', trackingId };
    const actor = systemActor(`provisioning-bridge:${credentials.account}`);
    const outcome = await accept({ input, actor, options, bridge: credentials });
    if (outcome.status === 'unauthorized') return null;
    if (outcome.status === 'accepted') await afterAccepted(outcome.row, options);
    return outcome;
  }

  /** Untrusted flow: the user entered an email; it waits for validation. */
  async function enterEmail(id: string, email: string, actor: Actor) {
    if (!EMAIL.test(email)) throw new AppError('VALIDATION_FAILED', `${email} is not an email address.`, { field: 'email' });
    return database.transaction(async (tx) => {
      const sub = await repo.findSubscriber(tx, id, { forUpdate: true });
      if (!sub) throw notFound('Subscriber', id);
      if (sub.status !== 'pending_email_input' && sub.status !== 'pending_email_validation') throw new AppError('INVALID_STATE', `This activation is no longer pending (${sub.status}).`);
      if (await repo.findSubscriberByEmail(tx, email, sub.id)) throw new AppError('CONFLICT', `The email address ${email} is already used by another subscriber.`);
      const after = await setStatus(tx, sub, 'pending_email_validation', { email });
      await audit.record({ actor, action: 'partner.subscriber.email-entered', entityType: 'subscriber', entityId: id, after: { email } }, tx);
      return after;
    });
  }

  // ── accepting new subscribers: group commit (P2 flow-through, goal ≥500/s) ──
  // Requests that arrive while a batch is being decided wait and are decided together in the next
  // transaction: one read each of the templates, user IDs, emails and orgs they name, one insert per
  // table and one job insert. Each is decided in arrival order against the database and against the
  // requests accepted before it in the batch, so the answers are those of running them one by one
  // (a repeated user ID or email inside a batch is refused, or a `noop` for the bridge). A failure
  // of the transaction itself decides every request again alone, so one cannot fail the others;
  // nobody is answered before the batch has committed.
  type ProvisionOptions = { source?: 'api' | 'flow_through' | 'self_activation'; trackingId?: string };
  type AcceptRequest = {
    input: Omit<ProvisionInput, 'package'> & { package?: Package };
    actor: Actor;
    options: ProvisionOptions;
    /** Bridge adds: the adapter's account, checked against the template read in the batch; a known user ID is a `noop`. */
    bridge?: { account: string; password: string };
  };
  type AcceptOutcome = { status: 'accepted'; row: repo.SubscriberRow } | { status: 'noop'; row: repo.KnownSubscriber } | { status: 'unauthorized' };
  /** `keys`: its user ID and email (lower case), which a batch not yet committed holds. */
  type Waiting = AcceptRequest & { keys: string[]; resolve: (outcome: AcceptOutcome) => void; reject: (error: unknown) => void };
  const ACCEPT_BATCH_LIMIT = 200;
  // On PostgreSQL two batches are decided at once, each on its own connection: a batch is a chain of
  // round trips and a commit (about 27 ms for 16 adds, measured), during which the main thread and
  // the database were each idle much of the time. The embedded database has one connection.
  const ACCEPT_LANES = database.mode === 'postgres' ? 2 : 1;
  const waiting: Waiting[] = [];
  let lanesBusy = 0;
  // The user IDs and emails (lower case) of batches not yet committed. A request naming one waits
  // for that batch, and so does any later request sharing a key with a request that waits: each is
  // then decided against what committed before it, in arrival order, as one by one.
  const held = new Set<string>();
  const acceptBatchSize = new client.Histogram({
    name: 'switchboard_partner_accept_batch_size',
    help: 'New subscribers (API, bridge, self-activation) decided together in one accept transaction',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, ACCEPT_BATCH_LIMIT],
    registers: [services.metrics.registry],
  });
  new client.Gauge({
    name: 'switchboard_partner_accept_waiting',
    help: 'New-subscriber requests waiting for the next accept transaction',
    registers: [services.metrics.registry],
    collect() {
      this.set(waiting.length);
    },
  });
  new client.Gauge({
    name: 'switchboard_partner_accept_batches_running',
    help: 'Accept transactions being decided now (up to 2 on PostgreSQL, 1 embedded)',
    registers: [services.metrics.registry],
    collect() {
      this.set(lanesBusy);
    },
  });
  // Opening a sealed password costs an AES-GCM decryption; a sealed value always opens to the same text.
  const openedPasswords = new Map<string, string>();

  function passwordMatches(template: repo.AcceptTemplate, account: string, password: string) {
    let expected = openedPasswords.get(template.provisioningPassword);
    if (expected === undefined) {
      expected = secrets.open(template.provisioningPassword);
      if (openedPasswords.size >= 1000) openedPasswords.clear();
      openedPasswords.set(template.provisioningPassword, expected);
    }
    const [want, given] = [Buffer.from(expected), Buffer.from(password)];
    return template.provisioningAccount === account && want.length === given.length && crypto.timingSafeEqual(want, given);
  }

  function accept(request: AcceptRequest): Promise<AcceptOutcome> {
    return new Promise((resolve, reject) => {
      const keys = request.input.email ? [`u:${request.input.userId}`, `e:${request.input.email.toLowerCase()}`] : [`u:${request.input.userId}`];
      waiting.push({ ...request, keys, resolve, reject });
      startAcceptBatches();
      if (waiting.length) lastCrowdedAt = performance.now();
    });
  }

  function startAcceptBatches() {
    while (lanesBusy < ACCEPT_LANES && waiting.length) {
      const batch = takeAcceptBatch();
      if (!batch.length) return;
      lanesBusy += 1;
      acceptBatchSize.observe(batch.length);
      void acceptBatch(batch)
        .catch((error: unknown) => batch.forEach((request) => request.reject(error)))
        .finally(() => {
          for (const request of batch) for (const key of request.keys) held.delete(key);
          lanesBusy -= 1;
          lastAcceptAt = performance.now();
          startAcceptBatches();
        });
    }
  }

  function takeAcceptBatch(): Waiting[] {
    const batch: Waiting[] = [];
    const rest: Waiting[] = [];
    const blocked = new Set<string>();
    for (const request of waiting) {
      if (batch.length === ACCEPT_BATCH_LIMIT) {
        rest.push(request);
        continue;
      }
      if (!request.keys.some((key) => held.has(key) || blocked.has(key))) batch.push(request);
      else {
        rest.push(request);
        for (const key of request.keys) blocked.add(key);
      }
    }
    waiting.length = 0;
    for (const request of rest) waiting.push(request);
    for (const request of batch) for (const key of request.keys) held.add(key);
    return batch;
  }

  async function acceptBatch(batch: Waiting[]) {
    let outcomes: (AcceptOutcome | { error: unknown })[];
    try {
      outcomes = await database.transaction((tx, sql) => decideAccepts(tx, sql, batch));
    } catch (error) {
      if (batch.length === 1) return batch[0]!.reject(error);
      for (const request of batch) await acceptBatch([request]);
      return;
    }
    batch.forEach((request, n) => {
      const outcome = outcomes[n]!;
      if ('error' in outcome) request.reject(outcome.error);
      else request.resolve(outcome);
    });
  }

  async function decideAccepts(tx: Db, sql: SqlExecutor, batch: AcceptRequest[]) {
    const distinct = (values: (string | undefined)[]) => [...new Set(values.filter((v): v is string => Boolean(v)))];
    const { templates, byUserId, emailsTaken, orgTemplates } = await repo.readAcceptContext(tx, {
      provisioningIds: distinct(batch.map((r) => r.input.provisioningId)),
      userIds: distinct(batch.map((r) => r.input.userId)),
      lowerEmails: distinct(batch.map((r) => r.input.email?.toLowerCase())),
      spEnterpriseIds: distinct(batch.map((r) => r.input.spEnterpriseId)),
    });
    const now = clock.now();
    const created: { row: repo.SubscriberRow; request: AcceptRequest }[] = [];
    const outcomes = batch.map((request): AcceptOutcome | { error: unknown } => {
      const { input, options, bridge } = request;
      const template = templates.get(input.provisioningId);
      if (bridge) {
        if (!template || !passwordMatches(template, bridge.account, bridge.password)) return { status: 'unauthorized' };
        const existing = byUserId.get(input.userId);
        if (existing) return { status: 'noop', row: existing };
      }
      try {
        if (!template) throw webexError('VALIDATION_FAILED', webexCodes.UNKNOWN_PROVISIONING_ID, `No customer template has provisioning ID ${input.provisioningId}.`, 'provisioningId');
        if (template.wholesale) throw webexError('FORBIDDEN', webexCodes.WHOLESALE_REJECTED, 'Wholesale customers are rejected by the BroadWorks provisioning APIs.');
        if (!input.primaryPhoneNumber && !input.extension) {
          throw webexError('VALIDATION_FAILED', webexCodes.NULL_PARAMETER, 'The subscriber must have a primary phone number or an extension.', 'primaryPhoneNumber');
        }
        const trusted = template.trustedEmails && options.source !== 'self_activation';
        if (trusted && !input.email) throw webexError('VALIDATION_FAILED', webexCodes.NULL_PARAMETER, 'email is mandatory for the trusted email provisioning flow.', 'email');
        if (input.email && !EMAIL.test(input.email)) throw webexError('VALIDATION_FAILED', webexCodes.INVALID_PARAMETER, `${input.email} is not an email address.`, 'email');
        if (byUserId.has(input.userId)) throw webexError('CONFLICT', webexCodes.USER_ID_IN_USE, 'The BroadWorks UserID is already associated with an existing user.', 'userId');
        if (input.email && emailsTaken.has(input.email.toLowerCase())) {
          throw webexError('CONFLICT', webexCodes.EMAIL_IN_USE, `The email address ${input.email} is already used by another subscriber.`, 'email');
        }
        const orgTemplate = orgTemplates.get(input.spEnterpriseId);
        if (orgTemplate && orgTemplate !== template.id) {
          throw webexError('CONFLICT', webexCodes.INVALID_PARAMETER, `Enterprise ${input.spEnterpriseId} is a customer of another template; a customer has exactly one template.`, 'provisioningId');
        }
        const row: repo.SubscriberRow = {
          id: crypto.randomUUID(),
          userId: input.userId,
          spEnterpriseId: input.spEnterpriseId,
          templateId: template.id,
          provisioningId: template.provisioningId,
          customerOrgId: null,
          personId: null,
          firstName: input.firstName,
          lastName: input.lastName,
          email: trusted ? (input.email ?? null) : null,
          primaryPhoneNumber: input.primaryPhoneNumber ?? null,
          mobilePhoneNumber: input.mobilePhoneNumber ?? null,
          extension: input.extension ?? null,
          language: input.language ?? null,
          timezone: input.timezone ?? null,
          package: input.package ?? (template.defaultPackage as Package),
          status: trusted ? 'provisioning' : 'pending_email_input',
          errors: [],
          pendingUpdate: null,
          selfActivated: options.source === 'self_activation',
          source: options.source ?? 'api',
          created: now,
          lastStatusChange: now,
        };
        // Later requests of the batch see this one as the database would after it.
        byUserId.set(row.userId, row);
        // An untrusted template does not keep the address, so it takes nothing (as one by one).
        if (row.email) emailsTaken.add(row.email.toLowerCase());
        created.push({ row, request });
        return { status: 'accepted', row };
      } catch (error) {
        return { error };
      }
    });
    if (!created.length) return outcomes;
    const rows = created.map((c) => c.row);
    await repo.insertAcceptedSubscribers(tx, {
      subscribers: rows,
      history: rows.map((row) => historyEntry(row, 'created', null, now)),
      auditJson: audit.prepareMany(created.map(({ row, request }) => ({ actor: request.actor, action: 'partner.subscriber.provision', entityType: 'subscriber', entityId: row.id, after: row, trackingId: request.options.trackingId }))),
    });
    // One job per subscriber, as before (retries, records and the Jobs page stay per subscriber),
    // inserted together: one statement per actor (a job record names who asked for it).
    const byActor = new Map<string, typeof created>();
    for (const c of created) {
      if (c.row.status !== 'provisioning') continue;
      const group = byActor.get(c.request.actor.name) ?? [];
      group.push(c);
      byActor.set(c.request.actor.name, group);
    }
    for (const group of byActor.values()) {
      await services.jobs.sendMany(
        jobs.provisionSubscriber,
        group.map(({ row }) => ({ input: { subscriberId: row.id }, idempotencyKey: `${row.id}:${now.getTime()}` })),
        { actor: group[0]!.request.actor, tx: { db: tx, sql } },
      );
    }
    return outcomes;
  }

  async function getSubscriber(id: string) {
    const row = await repo.findSubscriber(db, id);
    if (!row) throw webexError('NOT_FOUND', webexCodes.SUBSCRIBER_NOT_FOUND, `Subscriber ${id} does not exist.`);
    return row;
  }

  // ── provisioning gives way to accepting (P2 flow-through, goal ≥500/s) ──
  // The adapter waits for each answer; a subscriber's provisioning can wait a little. While an accept
  // batch is being decided (or was, in the last ACCEPT_QUIET_MS), at most one provisioning job of
  // this process runs, so a burst of adds gets the CPU and the connections; the other workers' jobs
  // wait their turn (provisioning never stops) and all run at once again when the burst is over.
  // Other instances are not held back.
  //
  // When adds come faster than they are decided (a request had to queue for a batch in the last
  // ACCEPT_QUIET_MS), a provisioning turn also starts at most every PROVISION_GAP_MS. On the embedded
  // database, whose one connection the accepts and the jobs share, one provisioning transaction
  // after another cost a third of the accept rate or more (bench, 10,000 adds: 338–432/s, against
  // 617/s with no provisioning at all and 535–542/s with this gap). Below that rate nothing is
  // spaced, so a steady stream of adds never starves provisioning; above it provisioning still goes
  // on, one subscriber per turn, and the time until all are provisioned did not grow (82–84 s
  // embedded, against 86 s): the jobs left for after the burst are provisioned in batches.
  const ACCEPT_QUIET_MS = 200;
  const PROVISION_GAP_MS = 100;
  let lastAcceptAt = -Infinity;
  let lastCrowdedAt = -Infinity;
  const acceptsBusy = () => lanesBusy > 0 || performance.now() - lastAcceptAt < ACCEPT_QUIET_MS;
  const acceptsCrowded = () => performance.now() - lastCrowdedAt < ACCEPT_QUIET_MS;
  const provisioningTurns = createGiveWay(acceptsBusy, 20, { when: acceptsCrowded, gapMs: PROVISION_GAP_MS });

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
    const result = await ctx.transact('provision', async (tx) => provisionIn(tx, await repo.findSubscriber(tx, subscriberId, { forUpdate: true }), (id) => repo.findTemplate(tx, id)));
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
        const size = acceptsBusy() ? 1 : items.length;
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
    const templates = new Map<string, Promise<repo.TemplateRow | undefined>>();
    const templateOf = (id: string) => {
      if (!templates.has(id)) templates.set(id, repo.findTemplate(tx, id));
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
  async function provisionIn(tx: Db, sub: repo.SubscriberRow | undefined, templateOf: (id: string) => Promise<repo.TemplateRow | undefined>) {
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

  async function update(id: string, input: UpdateInput, actor: Actor, trackingId?: string) {
    return database.transaction(async (tx, sql) => {
      const sub = await repo.findSubscriber(tx, id, { forUpdate: true });
      if (!sub) throw webexError('NOT_FOUND', webexCodes.SUBSCRIBER_NOT_FOUND, `Subscriber ${id} does not exist.`);
      if (sub.status === 'provisioning' || sub.status === 'updating') {
        throw webexError('CONFLICT', webexCodes.INVALID_STATUS, `The subscriber is ${sub.status}; try again when that has finished.`);
      }
      const merged = { ...sub, ...(sub.pendingUpdate ?? {}), ...input };
      const number = merged.primaryPhoneNumber || null;
      const extension = merged.extension || null;
      if (!number && !extension) throw webexError('VALIDATION_FAILED', webexCodes.NULL_PARAMETER, 'The user must have either a primary phone number or an extension configured.', input.primaryPhoneNumber === '' ? 'primaryPhoneNumber' : 'extension');
      if (input.userId && input.userId !== sub.userId) {
        const other = await repo.findSubscriberByUserId(tx, input.userId);
        if (other) throw webexError('CONFLICT', webexCodes.USER_ID_IN_USE, 'The BroadWorks UserID is already associated with an existing user.', 'userId');
      }
      const change = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Record<string, string>;
      let after: repo.SubscriberRow;
      if (sub.status === 'provisioned') {
        // Applied by the job; the response still shows the old values (as Webex documents).
        after = await setStatus(tx, sub, 'updating', { pendingUpdate: change });
        await services.jobs.send(jobs.updateSubscriber, { subscriberId: id }, { actor, idempotencyKey: `${id}:update:${after.lastStatusChange.getTime()}`, tx: { db: tx, sql } });
      } else {
        after = await applyChange(tx, sub, change);
      }
      await audit.record({ actor, action: 'partner.subscriber.update', entityType: 'subscriber', entityId: id, before: sub, after: change, trackingId }, tx);
      return after;
    });
  }

  async function applyChange(tx: Db, sub: repo.SubscriberRow, change: Record<string, string>) {
    const patch: Partial<repo.SubscriberRow> = {};
    for (const key of ['firstName', 'lastName', 'timezone', 'language', 'userId'] as const) if (change[key] !== undefined) patch[key] = change[key];
    for (const key of ['primaryPhoneNumber', 'mobilePhoneNumber', 'extension'] as const) if (change[key] !== undefined) patch[key] = change[key] || null;
    if (change.package !== undefined) patch.package = change.package;
    const next = { ...sub, ...patch };
    await repo.updateSubscriber(tx, sub.id, { ...patch, pendingUpdate: null });
    if (patch.package && patch.package !== sub.package) await record(tx, next, 'package', sub.package);
    if (patch.userId && patch.userId !== sub.userId) await record(tx, next, 'user_id', sub.userId);
    return next;
  }

  async function applyUpdate(ctx: JobContext, { subscriberId }: { subscriberId: string }) {
    await ctx.progress({ step: 'updating', percent: 10 });
    return ctx.transact('update', async (tx) => {
      const sub = await repo.findSubscriber(tx, subscriberId, { forUpdate: true });
      if (!sub || sub.status !== 'updating') return { skipped: sub?.status ?? 'removed' };
      const applied = await applyChange(tx, sub, sub.pendingUpdate ?? {});
      await setStatus(tx, applied, 'provisioned', { pendingUpdate: null, errors: [] });
      return { status: 'provisioned', applied: sub.pendingUpdate };
    });
  }

  /** Removes the BroadWorks mapping (partial deletion): the person stays as a free Webex user. */
  async function remove(id: string, actor: Actor, trackingId?: string) {
    await database.transaction(async (tx) => {
      const sub = await repo.findSubscriber(tx, id, { forUpdate: true });
      if (!sub) throw webexError('NOT_FOUND', webexCodes.SUBSCRIBER_NOT_FOUND, `Subscriber ${id} does not exist.`);
      await repo.deleteSubscriber(tx, id);
      await record(tx, sub, 'removed');
      await audit.record({ actor, action: 'partner.subscriber.remove', entityType: 'subscriber', entityId: id, before: sub, trackingId }, tx);
    });
  }

  /** Retry onboarding (P5/P9): an errored or email-pending subscriber, optionally with a (new) email. */
  async function retry(id: string, email: string | undefined, actor: Actor) {
    return database.transaction(async (tx, sql) => {
      const sub = await repo.findSubscriber(tx, id, { forUpdate: true });
      if (!sub) throw notFound('Subscriber', id);
      if (!['error', 'pending_email_input', 'pending_email_validation', 'pending_user_migration'].includes(sub.status)) {
        throw new AppError('INVALID_STATE', `Only errored or pending subscribers can be retried; this one is ${sub.status}.`);
      }
      const address = email ?? sub.email;
      if (!address || !EMAIL.test(address)) throw new AppError('VALIDATION_FAILED', 'A valid email address is needed to retry onboarding.', { field: 'email' });
      if (await repo.findSubscriberByEmail(tx, address, sub.id)) throw new AppError('CONFLICT', `The email address ${address} is already used by another subscriber.`);
      const after = await setStatus(tx, sub, 'provisioning', { email: address, errors: [] });
      await services.jobs.send(jobs.provisionSubscriber, { subscriberId: id }, { actor, idempotencyKey: `${id}:${after.lastStatusChange.getTime()}`, tx: { db: tx, sql } });
      await audit.record({ actor, action: 'partner.subscriber.retry', entityType: 'subscriber', entityId: id, before: { status: sub.status, email: sub.email }, after: { status: 'provisioning', email: address } }, tx);
      return after;
    });
  }

  async function precheck(input: PrecheckInput) {
    const problems: { errorCode: number; description: string; fieldName?: string }[] = [];
    if (input.provisioningId) {
      const template = await repo.findTemplateByProvisioningId(db, input.provisioningId);
      if (!template) problems.push({ errorCode: webexCodes.UNKNOWN_PROVISIONING_ID, description: `No customer template has provisioning ID ${input.provisioningId}.`, fieldName: 'provisioningId' });
      else if (template.wholesale) problems.push({ errorCode: webexCodes.WHOLESALE_REJECTED, description: 'Wholesale customers are rejected by the BroadWorks provisioning APIs.' });
      const org = input.spEnterpriseId ? await repo.findOrgByEnterprise(db, input.spEnterpriseId) : undefined;
      if (template && org && org.templateId !== template.id) problems.push({ errorCode: webexCodes.INVALID_PARAMETER, description: `Enterprise ${input.spEnterpriseId} is a customer of another template.`, fieldName: 'spEnterpriseId' });
    }
    if (input.userId && (await repo.findSubscriberByUserId(db, input.userId))) problems.push({ errorCode: webexCodes.USER_ID_IN_USE, description: 'The BroadWorks UserID is already associated with an existing user.', fieldName: 'userId' });
    if (await repo.findSubscriberByEmail(db, input.email)) problems.push({ errorCode: webexCodes.EMAIL_IN_USE, description: `The email address ${input.email} is already used by another subscriber.`, fieldName: 'email' });
    else {
      const person = await repo.findPersonByEmail(db, input.email);
      const org = input.spEnterpriseId ? await repo.findOrgByEnterprise(db, input.spEnterpriseId) : undefined;
      if (person && person.customerOrgId && person.customerOrgId !== org?.id) problems.push({ errorCode: webexCodes.EMAIL_IN_USE, description: `The email address ${input.email} belongs to a Webex user of another organisation.`, fieldName: 'email' });
    }
    if (problems.length) throw new AppError('CONFLICT', problems[0]!.description, { webexErrors: problems });
    return { message: 'success', info: { infoCode: 100, description: 'Provisioning preCheck validation successful.' } };
  }

  async function listCustomers() {
    const [orgs, counts] = await Promise.all([repo.listOrgs(db), repo.packageCountsByOrg(db)]);
    return orgs.map((org) => {
      const byPackage = Object.fromEntries(packages.map((p) => [p, 0])) as Record<Package, number>;
      for (const c of counts) if (c.customerOrgId === org.id) byPackage[c.package as Package] = c.n;
      return { ...org, packages: byPackage };
    });
  }

  async function analytics() {
    const counts = await repo.packageCounts(db);
    const usersPerPackage = Object.fromEntries(packages.map((p) => [p, 0])) as Record<Package, number>;
    for (const c of counts) usersPerPackage[c.package as Package] = c.n;
    return { usersPerPackage, customers: await listCustomers() };
  }

  const jobs = definePartnerJobs({ completeProvisioning, completeProvisioningTogether, applyUpdate });

  return {
    jobs,
    clusters: { list: () => repo.listClusters(db), check: checkCluster, get: getCluster, create: createCluster, update: updateCluster, remove: deleteCluster },
    templates: { list: async () => (await repo.listTemplates(db)).map(templateView), get: getTemplate, create: createTemplate, update: updateTemplate, remove: deleteTemplate, checkProvisioningAccount },
    onApprovalNeeded: (listener: (request: ApprovalRequest) => Promise<void>) => approvalListeners.push(listener),
    approveAttach,
    onPendingEmailInput: (listener: (row: repo.SubscriberRow) => Promise<void>) => pendingEmailListeners.push(listener),
    /** P3/P6/P13 extensions of the provisioning job (gates before, hooks after, their after-commit effects). */
    extend: {
      gate: (gate: ProvisioningGate) => gates.push(gate),
      provisioned: (hook: ProvisionedHook) => provisionedHooks.push(hook),
      effect: (kind: string, handler: (data: Record<string, unknown>) => Promise<unknown>) => effectHandlers.set(kind, handler),
    },
    /** A status change with its history entry (billing prorates from it). */
    setStatus,
    partnerOrgId,
    subscribers: {
      provision,
      acceptBridgeAdd,
      enterEmail,
      get: getSubscriber,
      update,
      remove,
      retry,
      precheck,
      list: (filter: repo.SubscriberFilter, page: { offset: number; limit: number }) => repo.findSubscribers(db, filter, page),
      count: (filter: repo.SubscriberFilter) => repo.countSubscribers(db, filter),
      history: (id: string) => repo.findHistory(db, id),
    },
    customers: { list: listCustomers },
    analytics,
    completeProvisioning,
    applyUpdate,
  };
}
