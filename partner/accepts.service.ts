import crypto from 'node:crypto';
import client from 'prom-client';
import { systemActor } from '../platform/auth/actor.ts';
import * as repo from './partner.repository.ts';
import { insertAcceptedSubscribers, readAcceptContext, type KnownSubscriber } from './accepts.repository.ts';
import { historyEntry } from './subscriber-history.service.ts';
import { EMAIL } from './subscribers.service.ts';
import { webexCodes, webexError } from './webex-errors.ts';
import type { Actor } from '../platform/auth/actor.ts';
import type { Db, SqlExecutor } from '../platform/db/database.ts';
import type { PlatformServices } from '../platform/services.ts';
import type { PartnerJobs } from './partner.jobs.ts';
import type { Package } from './partner.service.ts';
import type { PasswordMatches } from './templates.service.ts';

// New subscribers (P1, P2): the API's POST, the Provisioning Bridge's `add` and self-activation are
// accepted here; the `partner.provision-subscriber` job (provisioning.service.ts) completes them.

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

export type ProvisionOptions = { source?: 'api' | 'flow_through' | 'self_activation'; trackingId?: string };
type AcceptRequest = {
  input: Omit<ProvisionInput, 'package'> & { package?: Package };
  actor: Actor;
  options: ProvisionOptions;
  /** Bridge adds: the adapter's account, checked against the template read in the batch; a known user ID is a `noop`. */
  bridge?: { account: string; password: string };
};
export type AcceptOutcome = { status: 'accepted'; row: repo.SubscriberRow } | { status: 'noop'; row: KnownSubscriber } | { status: 'unauthorized' };
/** `keys`: its user ID and email (lower case), which a batch not yet committed holds. */
type Waiting = AcceptRequest & { keys: string[]; resolve: (outcome: AcceptOutcome) => void; reject: (error: unknown) => void };

export type Accepts = ReturnType<typeof createAccepts>;

export function createAccepts(services: Pick<PlatformServices, 'database' | 'clock' | 'audit' | 'jobs' | 'metrics' | 'logger'>, jobs: PartnerJobs, passwordMatches: PasswordMatches) {
  const { database, clock, audit } = services;
  // Told after commit about a subscriber waiting for its email (untrusted flow): sends the activation text.
  const pendingEmailListeners: Array<(row: repo.SubscriberRow) => Promise<void>> = [];

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

  // ── accepting new subscribers: group commit (P2 flow-through, goal ≥500/s) ──
  // Requests that arrive while a batch is being decided wait and are decided together in the next
  // transaction: one read each of the templates, user IDs, emails and orgs they name, one insert per
  // table and one job insert. Each is decided in arrival order against the database and against the
  // requests accepted before it in the batch, so the answers are those of running them one by one
  // (a repeated user ID or email inside a batch is refused, or a `noop` for the bridge). A failure
  // of the transaction itself decides every request again alone, so one cannot fail the others;
  // nobody is answered before the batch has committed.
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
  // Provisioning gives way to accepting (provisioning.service.ts): busy while a batch is being decided
  // or was in the last ACCEPT_QUIET_MS, crowded while a request had to queue for a batch in that time.
  const ACCEPT_QUIET_MS = 200;
  let lastAcceptAt = -Infinity;
  let lastCrowdedAt = -Infinity;
  const acceptsBusy = () => lanesBusy > 0 || performance.now() - lastAcceptAt < ACCEPT_QUIET_MS;
  const acceptsCrowded = () => performance.now() - lastCrowdedAt < ACCEPT_QUIET_MS;

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
      outcomes = await database.transaction((tx, sql) => decideAccepts(tx, sql, batch), { first: true });
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
    const { templates, byUserId, emailsTaken, orgTemplates } = await readAcceptContext(tx, {
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
    // One job per subscriber, as before (retries, records and the Jobs page stay per subscriber),
    // their records written with the subscribers: one group per actor (a job record names who asked for it).
    const byActor = new Map<string, typeof created>();
    for (const c of created) {
      if (c.row.status !== 'provisioning') continue;
      const group = byActor.get(c.request.actor.name) ?? [];
      group.push(c);
      byActor.set(c.request.actor.name, group);
    }
    const jobGroups = [...byActor.values()].map((group) =>
      services.jobs.prepareMany(
        jobs.provisionSubscriber,
        group.map(({ row }) => ({ input: { subscriberId: row.id }, idempotencyKey: `${row.id}:${now.getTime()}` })),
        { actor: group[0]!.request.actor },
      ),
    );
    const createdJobs = await insertAcceptedSubscribers(tx, {
      subscribers: rows,
      history: rows.map((row) => historyEntry(row, 'created', null, now)),
      auditJson: audit.prepareMany(created.map(({ row, request }) => ({ actor: request.actor, action: 'partner.subscriber.provision', entityType: 'subscriber', entityId: row.id, after: row, trackingId: request.options.trackingId }))),
      jobRecords: jobGroups.flatMap((group) => group.records),
    });
    for (const group of jobGroups) await group.queue(createdJobs, { db: tx, sql });
    return outcomes;
  }

  return {
    provision,
    acceptBridgeAdd,
    onPendingEmailInput: (listener: (row: repo.SubscriberRow) => Promise<void>) => pendingEmailListeners.push(listener),
    load: { busy: acceptsBusy, crowded: acceptsCrowded },
  };
}
