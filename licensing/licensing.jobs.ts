import { z } from 'zod';
import { defineJob } from '../platform/jobs/define-job.ts';
import { isJobStopped, type JobContext } from '../platform/jobs/job-context.ts';
import { systemActor } from '../platform/auth/actor.ts';
import { AppError } from '../platform/errors.ts';
import { catalogueOf, licensingError } from './error-catalogue.ts';
import { carryAcknowledgement } from './attention.ts';
import type * as Repo from './licensing.repository.ts';
import type { CssmConnector, CssmVirtualAccountDto } from './cssm.connector.ts';
import { isPublisherUnreachable, type LicenseMode, type UcClusterConnector, type UcLicenseStatus, type UcTransportSettings } from './uc-cluster.connector.ts';
import type { LicensingOptions, StepName, StepState } from './licensing.service.ts';
import type { PlatformServices } from '../platform/services.ts';

type Deps = {
  services: PlatformServices;
  repo: typeof Repo;
  cssmFor: (sa: Repo.SmartAccountRow) => CssmConnector;
  ucFor: (cluster: Repo.ClusterRow) => UcClusterConnector;
  desiredTransport: (sa: Repo.SmartAccountRow) => UcTransportSettings;
  options: LicensingOptions;
};

const jobsActor = systemActor('licensing');
/** How long a step waits for the publisher to reach its outcome (SWITCHBOARD_LICENSING_STEP_TIMEOUT_SECONDS). */
export const DEFAULT_STEP_TIMEOUT_MS = 10 * 60_000;
/** A change the publisher does not keep is sent again, this many times in all. */
const MAX_CHANGE_SENDS = 3;
const SUPPORTED_TYPES = ['CUCM', 'CUC'];

/** 12.5 and later are licensed through CSSM; 11.x and below stay on PLM. */
export function supportedVersion(version: string): boolean {
  const m = /^(\d+)(?:\.(\d+))?/.exec(version.trim());
  if (!m) return false;
  const major = Number(m[1]);
  const minor = Number(m[2] ?? 0);
  return major > 12 || (major === 12 && minor >= 5);
}

export function createLicensingJobs(deps: Deps) {
  const { services, repo } = deps;
  const { database, audit } = services;
  const pageSize = deps.options.syncPageSize ?? 1000;
  const pollMs = deps.options.publisherPollMs ?? 10_000;
  const stepTimeoutMs = deps.options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;

  // ── L2: sync a smart account's virtual accounts ──
  const sync = defineJob({
    queue: 'licensing.sync-smart-account',
    input: z.object({ smartAccountId: z.string().uuid() }),
    title: () => 'Smart Account sync',
    entity: (input) => ({ type: 'licensing_smart_account', id: input.smartAccountId }),
    // HCM-F's sync job fails and is restarted (or runs again on schedule); it is not retried blindly.
    // The one queue retry is for a process that died mid-job (see failedBefore).
    retryLimit: 1,
    retryDelaySeconds: 1,
    expireInSeconds: 2 * 3600,
    async run(ctx, { smartAccountId }) {
      const previous = await repo.findOperation(database.db, ctx.jobId);
      if (previous && failedBefore(ctx, previous)) throw recordedFailure(previous);
      const progressInfo: Record<string, string> = { Authentication: 'In Progress', 'Virtual Accounts': 'Not Started' };
      const sa = await repo.findSmartAccount(database.db, smartAccountId);
      if (!sa) throw new AppError('NOT_FOUND', `Smart account ${smartAccountId} no longer exists.`);
      await repo.updateOperation(database.db, ctx.jobId, { status: 'IN_PROGRESS', progressInfo, errorCode: null, errorDescription: null, recommendedAction: null, finishedAt: null });
      await ctx.progress({ percent: 0, step: 'Authentication', message: `Getting an OAuth2 token for ${sa.domain}` });
      const cssm = deps.cssmFor(sa);
      try {
        await cssm.token();
        progressInfo.Authentication = 'Pass';
        progressInfo['Virtual Accounts'] = 'In Progress';
        await repo.updateOperation(database.db, ctx.jobId, { progressInfo });
        // Read the whole listing first, paging by what the server answers (a server may cap its
        // pages below the limit asked): nothing is stored or removed unless every VA it counts was read.
        const listed = new Map<string, CssmVirtualAccountDto>();
        let total: number | null = null;
        let offset = 0;
        let requests = 0;
        for (;;) {
          const page = await cssm.listVirtualAccounts(sa.domain, { offset, limit: pageSize });
          requests++;
          if (page.total !== null) total = page.total;
          let fresh = 0;
          for (const va of page.items) {
            if (listed.has(va.name)) continue;
            listed.set(va.name, va);
            fresh++;
          }
          offset += page.items.length;
          await ctx.progress({ percent: total ? Math.min(90, Math.round((listed.size / total) * 90)) : 50, step: 'Virtual Accounts', message: `${listed.size} of ${total ?? '?'} virtual accounts fetched` });
          if (page.items.length === 0 || (total !== null && listed.size >= total)) break;
          // Without totalRecords: read on until an empty page, or a page with nothing new (a server
          // that ignores offset answers the same list again).
          if (fresh === 0) break;
        }
        if (total !== null && listed.size < total) {
          throw licensingError('UPSTREAM_FAILED', 'SLM1016', `CSSM reported ${total} virtual accounts but listed ${listed.size} (${requests} requests, pages of up to ${pageSize} asked); nothing was changed.`, { total, listed: listed.size });
        }
        const all = [...listed.values()];
        const kept = all.filter((va) => !va.satelliteSynced);
        const satellite = all.length - kept.length;
        const fetched = all.length;
        const account = await cssm.smartAccount(sa.domain).catch(() => null);
        await ctx.progress({ percent: 95, step: 'Virtual Accounts', message: `${fetched} virtual accounts fetched (${satellite} synced from satellite, ignored); storing` });
        // One transaction with its journal entry: all of the listing is stored and what CSSM no
        // longer lists removed, or nothing (a restart reads the listing again).
        const result = await ctx.transact('finish', async (tx) => {
          const now = ctx.clock.now();
          for (let i = 0; i < kept.length; i += pageSize) {
            await repo.upsertVirtualAccounts(
              tx,
              kept.slice(i, i + pageSize).map((va) => ({ id: crypto.randomUUID(), smartAccountId, name: va.name, description: va.description, isDefault: va.isDefault, accessLevel: va.commerceAccessLevel, lastSyncJobId: ctx.jobId, syncedAt: now })),
            );
          }
          const { removed, flagged } = await repo.removeVirtualAccountsNotIn(tx, smartAccountId, ctx.jobId);
          const count = await repo.countVirtualAccounts(tx, smartAccountId);
          const at = ctx.clock.now();
          // Publisher certificate alerts are not CSSM's: they stay until the certificate is accepted.
          const alerts = carryAcknowledgement(sa.alerts, [...flagged.map((name) => ({ severity: 'Major' as const, message: `Virtual Account ${name} no longer exists in CSSM but clusters are still assigned to it.`, at: at.toISOString() })), ...sa.alerts.filter((a) => a.clusterId)]);
          await repo.updateSmartAccount(tx, smartAccountId, { status: 'active', lastSyncAt: at, virtualAccountCount: count, satelliteVirtualAccountCount: satellite, alerts, ...(account && !sa.name ? { name: account.name } : {}), updatedAt: at });
          progressInfo['Virtual Accounts'] = 'Pass';
          await repo.updateOperation(tx, ctx.jobId, { status: 'SUCCEEDED', progressInfo, description: `Sync of Smart Account ${account?.name ?? sa.name ?? sa.domain} completed`, finishedAt: at });
          const summary = { fetched, total: total ?? fetched, requests, stored: count, satelliteIgnored: satellite, removed: removed.length, flagged: flagged.length };
          await audit.record({ actor: jobsActor, action: 'licensing.smart-account.sync', entityType: 'licensing_smart_account', entityId: smartAccountId, after: summary }, tx);
          return summary;
        });
        return result;
      } catch (error) {
        if (isJobStopped(error)) throw error;
        const failure = catalogueOf(error);
        for (const [k, v] of Object.entries(progressInfo)) if (v === 'In Progress') progressInfo[k] = 'Fail';
        await database.transaction(async (tx) => {
          const at = ctx.clock.now();
          await repo.updateOperation(tx, ctx.jobId, { status: 'FAILED', progressInfo, errorCode: failure.code, errorDescription: failure.errorDescription, recommendedAction: failure.recommendedAction, description: `Sync of Smart Account ${sa.name ?? sa.domain} failed`, finishedAt: at });
          await repo.updateSmartAccount(tx, smartAccountId, { status: 'error', alerts: carryAcknowledgement(sa.alerts, [{ severity: 'Major', message: failure.errorDescription, at: at.toISOString() }, ...sa.alerts.filter((a) => a.clusterId)]), updatedAt: at });
        });
        throw error;
      } finally {
        await cssm.close();
      }
    },
  });

  /** The periodic sync (L2): every 15 minutes, smart accounts whose interval has passed are synced. */
  const syncDue = defineJob({
    queue: 'licensing.sync-due',
    input: z.object({}),
    title: () => 'Periodic Smart Account sync',
    retryLimit: 0,
    cron: { expression: '*/15 * * * *', input: {} },
    async run() {
      return { sent: await syncDueHook.run(jobsActor) };
    },
  });
  const syncDueHook: { run: (actor: typeof jobsActor) => Promise<string[]> } = { run: async () => [] };

  // ── L5: assign / unassign / reassign ──
  const clusterOperation = defineJob({
    queue: 'licensing.cluster-operation',
    input: z.object({ operation: z.enum(['assign', 'unassign', 'reassign']), clusterId: z.string().uuid(), clusterName: z.string(), virtualAccountName: z.string() }),
    title: (input) => `${{ assign: 'Assignment', unassign: 'UnAssignment', reassign: 'ReAssignment' }[input.operation]} of Cluster ${input.clusterName}`,
    entity: (input) => ({ type: 'licensing_cluster', id: input.clusterId }),
    // HCM-F marks the job failed with the catalogue's recommended action; the admin restarts it.
    // The one queue retry resumes a job whose process died (kill -9, power loss): its steps are
    // journalled, so the resumed attempt carries on where the dead one was (see failedBefore).
    retryLimit: 1,
    retryDelaySeconds: 1,
    expireInSeconds: 3600,
    concurrency: 8,
    run: (ctx, input) => runClusterOperation(ctx, input.operation),
  });

  async function runClusterOperation(ctx: JobContext, operation: 'assign' | 'unassign' | 'reassign') {
    const db = database.db;
    const op = await repo.findOperation(db, ctx.jobId);
    if (!op) throw new AppError('NOT_FOUND', `Licensing job ${ctx.jobId} has no operation record.`);
    if (failedBefore(ctx, op)) throw recordedFailure(op);
    const cluster = await repo.findCluster(db, op.clusterId!);
    if (!cluster) throw licensingError('NOT_FOUND', 'SLM1025', `Cluster ${op.entityName} no longer exists.`);
    const fromVa = op.virtualAccountId ? await repo.findVirtualAccount(db, op.virtualAccountId) : undefined;
    const toVa = op.targetVirtualAccountId ? await repo.findVirtualAccount(db, op.targetVirtualAccountId) : undefined;
    const va = toVa ?? fromVa;
    const progressInfo: Record<string, StepState> = { ...(op.progressInfo as Record<string, StepState>) };
    // A restart keeps the steps that passed; the failed one runs again.
    for (const [k, v] of Object.entries(progressInfo)) if (v === 'Fail' || v === 'In Progress') progressInfo[k] = 'Not Started';
    let current: StepName = 'Verification';
    const percents: Record<StepName, number> = { Verification: 5, 'License Mode Change': 30, 'Transport Mode Change': 55, Registration: 75 };
    const setStep = async (step: StepName, state: StepState, message?: string) => {
      current = step;
      progressInfo[step] = state;
      await repo.updateOperation(db, ctx.jobId, { progressInfo });
      await ctx.progress({ percent: state === 'In Progress' ? percents[step] : percents[step] + 10, step, message: message ?? `${step} - ${state}` });
    };
    const startedDescription = op.description.replace(/ (failed|completed)$/, ' Started');
    await repo.updateOperation(db, ctx.jobId, { status: 'IN_PROGRESS', description: startedDescription, progressInfo, errorCode: null, errorDescription: null, recommendedAction: null, finishedAt: null });
    const uc = deps.ucFor(cluster);
    let cssm: CssmConnector | undefined;
    try {
      if (!va) throw licensingError('INVALID_STATE', 'SLMCT1001', 'The Virtual Account of this job no longer exists.');
      const sa = (await repo.findSmartAccount(db, va.smartAccountId))!;
      cssm = deps.cssmFor(sa);

      // Verification: type, version, publisher, credentials, the VA's license mode, and what the publisher says.
      if (progressInfo.Verification !== 'Pass') {
        await setStep('Verification', 'In Progress');
        await ctx.step('verification', async () => {
          if (!SUPPORTED_TYPES.includes(cluster.type)) throw licensingError('INVALID_STATE', 'SLMCT1015');
          if (!supportedVersion(cluster.version)) throw licensingError('INVALID_STATE', 'SLMCT1006', `Cluster ${cluster.name} is at version ${cluster.version}; smart licensing needs 12.5 or later.`);
          if (!cluster.publisherUrl) throw licensingError('INVALID_STATE', 'SLMCT1012');
          if (!cluster.adminUsername || !cluster.adminPassword) throw licensingError('INVALID_STATE', 'SLMCT1014');
          if (!cluster.platformUsername || !cluster.platformPassword) throw licensingError('INVALID_STATE', 'SLMCT1013');
          if (operation !== 'unassign' && !toVa!.licenseMode) throw licensingError('INVALID_STATE', 'SLM1014', `Virtual Account ${toVa!.name} is not associated with any License Mode.`);
          if (toVa?.removedFromCssm) throw licensingError('INVALID_STATE', 'SLMCT1001', `Virtual Account ${toVa.name} no longer exists in CSSM.`);
          const version = await uc.version();
          if (!supportedVersion(version)) throw licensingError('INVALID_STATE', 'CAA1045', `The publisher reports version ${version}.`);
          await uc.status();
          return { version };
        });
        await setStep('Verification', 'Pass');
      }

      if (operation === 'unassign') {
        await setStep('License Mode Change', 'Not Applicable');
        await setStep('Transport Mode Change', 'Not Applicable');
        await setStep('Registration', 'In Progress', `Deregistering ${cluster.name} from ${va.name}`);
        const status = await uc.status();
        if (status.registration === 'Unregistered') {
          await setStep('Registration', 'Not Applicable', 'The product is already deregistered');
        } else {
          await ctx.step('deregister', () => uc.deregister(), { verify: async () => ((await uc.status()).registration === 'Unregistered' ? { done: true, result: undefined } : { done: false }) });
          await setStep('Registration', 'Pass');
        }
        return await finish({ virtualAccountId: null, status: 'DEREGISTERED', productUdi: null }, `UnAssignment of Cluster ${cluster.name} from ${va.name} completed`);
      }

      const target = toVa!;
      const mode = target.licenseMode as LicenseMode;
      const desired = deps.desiredTransport(sa);
      const matches = (t: UcTransportSettings) => t.mode === desired.mode && (desired.mode === 'Proxy' ? t.httpHost === desired.httpHost && t.httpPort === desired.httpPort : t.url === desired.url);
      // What an earlier attempt of this job (or the one before an admin restart) sent is in the
      // journal; it is trusted only once the publisher shows it.
      const sentBefore = new Set((await services.jobs.get(ctx.jobId)).steps.filter((s) => s.state !== 'pending').map((s) => s.stepKey.split(':')[0]!));

      // License Mode Change (PAWS); the publisher restarts after it.
      if (progressInfo['License Mode Change'] !== 'Pass') {
        await setStep('License Mode Change', 'In Progress', `Reading the license mode of ${cluster.name}`);
        // The publisher may still be restarting after an earlier attempt's change: wait until it answers.
        let currentMode = (await settle('answer', () => uc.getLicenseMode(), () => true)).value;
        if (currentMode === mode) {
          await setStep('License Mode Change', sentBefore.has('license-mode') ? 'Pass' : 'Not Applicable');
        } else {
          // Mode and transport can change only while unregistered: a reassign that changes the mode deregisters first.
          await deregisterIfRegistered();
          for (let send = 1; currentMode !== mode; send++) {
            if (send > MAX_CHANGE_SENDS) throw licensingError('UPSTREAM_FAILED', 'CAA1077', `The publisher still reports license mode ${currentMode} after ${MAX_CHANGE_SENDS} changes to ${mode}.`);
            await setStep('License Mode Change', 'In Progress', `Changing the license mode of ${cluster.name} from ${currentMode} to ${mode}; the publisher restarts`);
            const from = currentMode;
            await ctx.step(`license-mode:${ctx.attempt}.${send}`, () => sendChange(() => uc.setLicenseMode(mode)), { verify: async () => ((await uc.getLicenseMode().catch(() => null)) === mode ? { done: true, result: undefined } : { done: false }) });
            await recordChange('license-mode', { from, to: mode, send });
            // Poll until the publisher shows the mode; one that restarts and comes back in the old
            // mode did not keep the change: it is sent again.
            let restarted = false;
            const outcome = await settle(
              `apply license mode ${mode}`,
              () => uc.getLicenseMode(),
              (m) => m === mode || (restarted && m !== mode),
              () => (restarted = true),
            );
            currentMode = outcome.value;
          }
          await setStep('License Mode Change', 'Pass');
        }
      }

      // Transport Mode Change (AXL / CUPI).
      if (progressInfo['Transport Mode Change'] !== 'Pass') {
        current = 'Transport Mode Change';
        let transport = (await settle('answer', () => uc.getTransport(), () => true)).value;
        if (matches(transport)) {
          await setStep('Transport Mode Change', sentBefore.has('transport') ? 'Pass' : 'Not Applicable');
        } else {
          await setStep('Transport Mode Change', 'In Progress');
          await deregisterIfRegistered();
          for (let send = 1; !matches(transport); send++) {
            if (send > MAX_CHANGE_SENDS) throw licensingError('UPSTREAM_FAILED', 'CAA1083', `The publisher still reports transport ${transport.mode} after ${MAX_CHANGE_SENDS} updates.`);
            await ctx.step(`transport:${ctx.attempt}.${send}`, () => sendChange(() => uc.updateTransport(desired)), { verify: async () => ((await uc.getTransport().then(matches, () => false)) ? { done: true, result: undefined } : { done: false }) });
            await recordChange('transport', { from: transport.mode, to: desired.mode, send });
            transport = (await settle(`apply transport ${desired.mode}`, () => uc.getTransport(), () => true)).value;
          }
          await setStep('Transport Mode Change', 'Pass');
        }
      }

      // Registration: a token from the VA (reused if one is there), then the Smart Agent registers;
      // the publisher may answer before it is done ("Registration In Progress"): poll its status.
      await setStep('Registration', 'In Progress', `Registering ${cluster.name} with ${target.name}`);
      const registeredHere = (s: UcLicenseStatus) => s.registration === 'Registered' && s.virtualAccount === target.name;
      const before = (await settle('answer', () => uc.status(), () => true)).value;
      if (!registeredHere(before) && !(sentBefore.has('register') && inProgress(before))) {
        const token = await cssm.registrationToken(sa.domain, target.name).catch((error) => {
          if (error instanceof AppError && (error.details as { catalogueCode?: string })?.catalogueCode?.startsWith('CSSM')) throw error;
          throw licensingError('UPSTREAM_FAILED', 'SLM1010', (error as Error).message);
        });
        const force = before.registration !== 'Unregistered';
        await ctx.step(`register:${ctx.attempt}`, () => uc.register(token, force), { verify: async () => (registeredHere(await uc.status()) ? { done: true, result: undefined } : { done: false }) });
        await recordChange('registration', { virtualAccount: target.name, force });
      }
      const registered = await settle(`register with ${target.name}`, () => uc.status(), (s) => registeredHere(s) || !inProgress(s));
      if (!registeredHere(registered.value)) throw licensingError('UPSTREAM_FAILED', 'CAA1081', `The publisher reports ${registered.value.registration}${registered.value.virtualAccount ? ` with ${registered.value.virtualAccount}` : ''} after registering with ${target.name}.`);
      await setStep('Registration', 'Pass');
      const finalStatus = await uc.status();
      const description = operation === 'assign' ? `Assignment of Cluster ${cluster.name} to ${target.name} completed` : `ReAssignment of Cluster ${cluster.name} from ${fromVa?.name} to ${target.name} completed`;
      return await finish({ virtualAccountId: target.id, status: 'MANUALLY_REGISTERED', productUdi: finalStatus.udi || null }, description);
    } catch (error) {
      if (isJobStopped(error)) throw error;
      const failure = catalogueOf(error);
      progressInfo[current] = 'Fail';
      await database.transaction(async (tx) => {
        const at = ctx.clock.now();
        const verb = { assign: 'Assignment', unassign: 'UnAssignment', reassign: 'ReAssignment' }[operation];
        await repo.updateOperation(tx, ctx.jobId, { status: 'FAILED', progressInfo, errorCode: failure.code, errorDescription: failure.errorDescription, recommendedAction: failure.recommendedAction, description: `${verb} of Cluster ${cluster.name} failed`, finishedAt: at });
        await repo.updateCluster(tx, cluster.id, { status: operation === 'unassign' ? 'DEREGISTRATION_FAILED' : 'MANUAL_REGISTRATION_FAILED', updatedAt: at });
      });
      throw error;
    } finally {
      await uc.close();
      await cssm?.close();
    }

    /** A change sent to the publisher whose answer may be lost (it restarts, or answers late): the outcome is polled. */
    async function sendChange(send: () => Promise<void>) {
      try {
        await send();
      } catch (error) {
        if (!isPublisherUnreachable(error) && !isTimeout(error)) throw error;
        ctx.logger.info({ err: error }, 'the publisher did not answer a change; its outcome is polled');
      }
    }

    async function deregisterIfRegistered() {
      const status = (await settle('answer', () => uc.status(), () => true)).value;
      if (status.registration === 'Unregistered') return;
      await ctx.step(`deregister-before-change:${ctx.attempt}`, () => uc.deregister(), { verify: async () => ((await uc.status()).registration === 'Unregistered' ? { done: true, result: undefined } : { done: false }) });
      await recordChange('deregistration', { before: status.virtualAccount });
    }

    /** Which job made each change on the publisher: the audit log, with the job and its attempt. */
    async function recordChange(change: string, detail: Record<string, unknown>) {
      await audit.record({ actor: jobsActor, action: `licensing.cluster.publisher.${change}`, entityType: 'licensing_cluster', entityId: cluster!.id, after: { jobId: ctx.jobId, attempt: ctx.attempt, operation, ...detail } });
    }

    /**
     * Polls the publisher (on the clock) until `reached` or the step timeout passes. A publisher that
     * refuses connections or answers 5xx is restarting: waited out (`onDown` is told). Cancelling
     * the job stops the wait at the next poll.
     */
    async function settle<T>(what: string, read: () => Promise<T>, reached: (value: T) => boolean, onDown?: () => void): Promise<{ value: T }> {
      const deadline = ctx.clock.now().getTime() + stepTimeoutMs;
      let last: unknown;
      for (;;) {
        let value: T | undefined;
        let answered = false;
        try {
          value = await read();
          answered = true;
        } catch (error) {
          if (!isPublisherUnreachable(error) && !isTimeout(error)) throw error;
          last = error;
          onDown?.();
        }
        if (answered && reached(value as T)) return { value: value as T };
        if (answered) last = value;
        if (ctx.clock.now().getTime() >= deadline) {
          const minutes = Math.round(stepTimeoutMs / 60_000);
          const seen = answered ? `it answered ${JSON.stringify(last)}` : `last: ${(last as Error)?.message ?? 'no answer'}`;
          throw licensingError('UPSTREAM_UNREACHABLE', current === 'Registration' ? 'CAA1081' : current === 'Transport Mode Change' ? 'CAA1083' : 'CAA1036', `The publisher did not ${what} within ${minutes} minute(s) (${seen}).`, { stepTimeoutMs });
        }
        await ctx.progress({ message: `${current}: waiting for the publisher to ${what}` });
        await ctx.clock.sleep(pollMs);
      }
    }

    async function finish(patch: { virtualAccountId: string | null; status: string; productUdi: string | null }, description: string) {
      return ctx.transact('finish', async (tx) => {
        const at = ctx.clock.now();
        await repo.updateCluster(tx, cluster!.id, { ...patch, updatedAt: at });
        await repo.updateOperation(tx, ctx.jobId, { status: 'SUCCEEDED', progressInfo, description, finishedAt: at });
        await audit.record({ actor: jobsActor, action: `licensing.cluster.${operation}.completed`, entityType: 'licensing_cluster', entityId: cluster!.id, before: { virtualAccountId: cluster!.virtualAccountId }, after: { virtualAccountId: patch.virtualAccountId, status: patch.status } }, tx);
        return { description, progressInfo };
      });
    }
  }

  return { sync, syncDue, clusterOperation, syncDueHook };
}

/**
 * The queue retries a licensing job once, for a process that died mid-job. An attempt that finds
 * its operation already FAILED comes after a failure the previous attempt recorded: HCM-F does not
 * retry those by itself, so it ends with the same error (an admin restart sets IN_PROGRESS first).
 */
function failedBefore(ctx: JobContext, op: { status: string }) {
  return ctx.attempt > 1 && op.status === 'FAILED';
}

function recordedFailure(op: { errorCode: string | null; errorDescription: string | null; recommendedAction: string | null }) {
  return new AppError('UPSTREAM_FAILED', op.errorDescription ?? 'The job failed.', { catalogueCode: op.errorCode, errorDescription: op.errorDescription, recommendedAction: op.recommendedAction });
}

/** The publisher's answer did not come in time (a change it may still be applying). */
function isTimeout(error: unknown) {
  return error instanceof AppError && (error.details as { network?: string } | undefined)?.network === 'timeout';
}

/** A registration the Smart Agent has not finished yet. */
function inProgress(status: UcLicenseStatus) {
  return /in ?progress|pending/i.test(status.registration);
}
