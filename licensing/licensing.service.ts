import crypto from 'node:crypto';
import { AppError, notFound } from '../platform/errors.ts';
import { certificateSummary, certificateToTrust as trustCertificate, normalizeFingerprint, probeCertificate, type PeerCertificate, type TlsPolicy } from '../platform/http/external-client.ts';
import { createCssmConnector, DEFAULT_AUTH_GATEWAY, DEFAULT_CSSM_SERVER, type CssmConnector } from './cssm.connector.ts';
import { createUcClusterConnector, type LicenseMode, type UcClusterConnector, type UcTransportSettings } from './uc-cluster.connector.ts';
import { createLicensingJobs } from './licensing.jobs.ts';
import * as repo from './licensing.repository.ts';
import type { Actor } from '../platform/auth/actor.ts';
import type { Db, SqlExecutor } from '../platform/db/database.ts';
import type { PlatformServices } from '../platform/services.ts';

export const DEFAULT_DEVICE_REGISTRATION_URL = 'https://tools.cisco.com/its/service/oddce/services/DDCEService';
export const STEPS = ['Verification', 'License Mode Change', 'Transport Mode Change', 'Registration'] as const;
export type StepName = (typeof STEPS)[number];
export type StepState = 'Not Started' | 'In Progress' | 'Pass' | 'Fail' | 'Not Applicable';
export const licenseModes = ['Enterprise', 'HCS', 'HCS-LE'] as const;
export const clusterTypes = ['CUCM', 'CUC'] as const;
export const transportModes = ['direct', 'proxy', 'satellite'] as const;

export type TransportInput =
  | { mode: 'direct' }
  | { mode: 'proxy'; host: string; port: number; username?: string; password?: string }
  | { mode: 'satellite'; host: string; port: number; registrationUrl?: string; tokenUrl?: string };

export type SmartAccountInput = {
  domain: string;
  clientId: string;
  clientSecret: string;
  name?: string;
  transport?: TransportInput;
  authGatewayUrl?: string;
  cssmServerUrl?: string;
  deviceRegistrationUrl?: string;
  syncIntervalHours?: number;
};

export type ClusterInput = {
  name: string;
  type: 'CUCM' | 'CUC';
  version: string;
  publisherUrl?: string | null;
  adminUsername?: string | null;
  adminPassword?: string | null;
  platformUsername?: string | null;
  platformPassword?: string | null;
  /** SHA-256 fingerprint of the publisher's certificate the operator confirmed (one no trusted CA vouches for). */
  trustFingerprint?: string;
};

/** The cluster columns recording the publisher certificate accepted: a CA's word, or a pin. */
const acceptedCertificate = (c: PeerCertificate) => ({ certificateTrust: (c.trusted ? 'ca' : 'pinned') as 'ca' | 'pinned', certificateFingerprint: c.fingerprint, certificate: certificateSummary(c), presentedCertificate: null });
const systemActor: Actor = { type: 'system', id: null, name: 'licensing', role: 'system', customerOrgId: null };
const noCertificate = { certificateTrust: null, certificateFingerprint: null, certificate: null, presentedCertificate: null };

export type LicensingOptions = {
  /** Virtual accounts asked of CSSM per request during a sync. */
  syncPageSize?: number;
  /** How often a job polls a rebooting publisher (clock time). */
  publisherPollMs?: number;
  /**
   * How long a cluster job step waits for the publisher to reach its outcome (mode applied after
   * its restart, registration finished) before the step fails and the job can be restarted.
   * Default: SWITCHBOARD_LICENSING_STEP_TIMEOUT_SECONDS (600).
   */
  stepTimeoutMs?: number;
  /** Timeout of one request to a publisher (the connector's; a timed-out change is then polled). */
  publisherRequestTimeoutMs?: number;
  /** How a satellite-synced VA is recognised; default SWITCHBOARD_LICENSING_SATELLITE_MARKERS. */
  satelliteMarkers?: readonly string[];
};

export type Licensing = ReturnType<typeof createLicensing>;

export function createLicensing(services: PlatformServices, given: LicensingOptions = {}) {
  const { database, clock, secrets, audit } = services;
  const config = services.config;
  const options: LicensingOptions = {
    ...given,
    stepTimeoutMs: given.stepTimeoutMs ?? (config.licensingStepTimeoutSeconds !== undefined ? config.licensingStepTimeoutSeconds * 1000 : undefined),
    publisherPollMs: given.publisherPollMs ?? (config.licensingPollSeconds !== undefined ? config.licensingPollSeconds * 1000 : undefined),
    satelliteMarkers: given.satelliteMarkers ?? config.licensingSatelliteMarkers,
  };
  const db = database.db;
  const tokenCache = new Map<string, { token: string; expiresAt: number }>();

  function cssmFor(sa: repo.SmartAccountRow): CssmConnector {
    return createCssmConnector({
      tokenUrl: sa.authGatewayUrl,
      apiBase: sa.cssmServerUrl,
      clientId: sa.clientId,
      clientSecret: secrets.open(sa.clientSecret),
      jsonTokenRequest: sa.transportMode === 'satellite',
      proxy: sa.transportMode === 'proxy' && sa.proxyHost && sa.proxyPort ? { host: sa.proxyHost, port: sa.proxyPort, username: sa.proxyUsername, password: sa.proxyPassword ? secrets.open(sa.proxyPassword) : null } : null,
      clock,
      metrics: services.metrics,
      ca: config.tlsCa,
      tokenCache,
      satelliteMarkers: options.satelliteMarkers,
    });
  }

  function ucFor(cluster: repo.ClusterRow): UcClusterConnector {
    return createUcClusterConnector({
      type: cluster.type as 'CUCM' | 'CUC',
      publisherUrl: cluster.publisherUrl ?? '',
      admin: { username: cluster.adminUsername ?? '', password: cluster.adminPassword ? secrets.open(cluster.adminPassword) : '' },
      platform: { username: cluster.platformUsername ?? '', password: cluster.platformPassword ? secrets.open(cluster.platformPassword) : '' },
      metrics: services.metrics,
      versionHint: cluster.version,
      timeoutMs: options.publisherRequestTimeoutMs,
      tls: publisherTrust(cluster),
      ca: config.tlsCa,
      onCertificateRefused: (error) => noteCertificateRefused(cluster.id, error),
    });
  }

  /**
   * How the publisher's certificate is checked: its pin, a CA's word, or — a cluster added while its
   * publisher did not answer, or before certificates were kept — trust on first use: the first
   * certificate is pinned (audited) before the credentials are sent.
   */
  function publisherTrust(cluster: repo.ClusterRow): TlsPolicy {
    if (cluster.certificateTrust === 'pinned' && cluster.certificateFingerprint) return { mode: 'pinned', fingerprint: cluster.certificateFingerprint };
    if (cluster.certificateTrust === 'ca') return { mode: 'ca' };
    return {
      mode: 'first-use',
      onFirstUse: (certificate) =>
        database.transaction(async (tx) => {
          const current = await repo.findCluster(tx, cluster.id);
          if (!current || current.certificateTrust !== null) return;
          const patch = acceptedCertificate(certificate);
          await repo.updateCluster(tx, cluster.id, { ...patch, updatedAt: clock.now() });
          await audit.record({ actor: systemActor, action: 'licensing.cluster.certificate-pin', entityType: 'licensing_cluster', entityId: cluster.id, before: { certificateTrust: null }, after: { ...patch, rule: certificate.trusted ? 'a trusted CA vouches for the certificate' : 'pinned on first contact (trust on first use)' } }, tx);
        }),
    };
  }

  const certificateAlertMessage = (name: string, pinned: string | null, presented: { fingerprint: string; subject: string; validTo: string }) =>
    `Cluster ${name}: the publisher presents a certificate other than the one accepted (accepted SHA-256 ${pinned ?? '(none)'}, presented SHA-256 ${presented.fingerprint}, ${presented.subject}, valid until ${presented.validTo.slice(0, 10)}). Nothing is sent to it and its jobs fail until the new certificate is accepted.`;

  /**
   * L4: a publisher presented another certificate. Kept on the cluster (shown, and what is accepted)
   * and raised as a Major alert of its smart account when it is assigned (syncs keep it until the
   * certificate is accepted); the home page counts it either way.
   */
  async function noteCertificateRefused(clusterId: string, error: AppError) {
    const presented = (error.details as { certificate?: PeerCertificate } | undefined)?.certificate;
    if (!presented) return;
    await database.transaction(async (tx) => {
      const cluster = await repo.findCluster(tx, clusterId);
      if (!cluster || cluster.presentedCertificate?.fingerprint === presented.fingerprint || cluster.certificateFingerprint === presented.fingerprint) return;
      const at = clock.now();
      await repo.updateCluster(tx, clusterId, { presentedCertificate: certificateSummary(presented), updatedAt: at });
      const va = cluster.virtualAccountId ? await repo.findVirtualAccount(tx, cluster.virtualAccountId) : undefined;
      const sa = va ? await repo.findSmartAccount(tx, va.smartAccountId) : undefined;
      if (sa) {
        const alerts = [...sa.alerts.filter((a) => a.clusterId !== clusterId), { severity: 'Major' as const, message: certificateAlertMessage(cluster.name, cluster.certificateFingerprint, presented), at: at.toISOString(), clusterId }];
        await repo.updateSmartAccount(tx, sa.id, { alerts, updatedAt: at });
      }
      await audit.record({ actor: systemActor, action: 'licensing.cluster.certificate-changed', entityType: 'licensing_cluster', entityId: clusterId, before: { certificateFingerprint: cluster.certificateFingerprint }, after: { presentedCertificate: certificateSummary(presented) } }, tx);
    });
  }

  /** An HTTPS publisher's certificate at add or address change: CA-trusted, confirmed, or refused with it. Null: plain HTTP, or not reachable (pinned on first contact). */
  async function publisherCertificate(publisherUrl: string | null | undefined, trustFingerprint: string | undefined): Promise<PeerCertificate | null> {
    if (!publisherUrl || !/^https:/i.test(publisherUrl)) return null;
    let certificate: PeerCertificate;
    try {
      certificate = await probeCertificate(publisherUrl, { system: 'publisher', ca: config.tlsCa, timeoutMs: 10_000 });
    } catch (error) {
      if (error instanceof AppError && error.code === 'UPSTREAM_UNREACHABLE') return null;
      throw error;
    }
    return trustCertificate(certificate, { trustFingerprint, peer: `the publisher at ${new URL(publisherUrl).host}`, confirmHow: 'If that is the publisher\'s certificate, add the cluster again confirming this fingerprint (trustFingerprint); it is then pinned.', details: { publisherUrl } });
  }

  /** What the cluster's Smart Agent should use to reach CSSM, from the smart account's transport. */
  function desiredTransport(sa: repo.SmartAccountRow): UcTransportSettings {
    if (sa.transportMode === 'proxy') return { mode: 'Proxy', url: '', httpHost: sa.proxyHost ?? '', httpPort: String(sa.proxyPort ?? '') };
    if (sa.transportMode === 'satellite') return { mode: 'Satellite', url: sa.satelliteRegistrationUrl ?? '', httpHost: '', httpPort: '' };
    return { mode: 'Direct', url: sa.deviceRegistrationUrl, httpHost: '', httpPort: '' };
  }

  const jobs = createLicensingJobs({ services, repo, cssmFor, ucFor, desiredTransport, options });

  function transportColumns(transport: TransportInput | undefined, existing?: repo.SmartAccountRow) {
    const t = transport ?? (existing ? undefined : { mode: 'direct' as const });
    if (!t) return {};
    return {
      transportMode: t.mode,
      proxyHost: t.mode === 'proxy' ? t.host : null,
      proxyPort: t.mode === 'proxy' ? t.port : null,
      proxyUsername: t.mode === 'proxy' ? (t.username ?? null) : null,
      proxyPassword: t.mode === 'proxy' && t.password ? secrets.seal(t.password) : t.mode === 'proxy' && t.username && existing?.proxyPassword ? existing.proxyPassword : null,
      satelliteHost: t.mode === 'satellite' ? t.host : null,
      satellitePort: t.mode === 'satellite' ? t.port : null,
      satelliteRegistrationUrl: t.mode === 'satellite' ? (t.registrationUrl ?? `https://${t.host}/SmartTransport`) : null,
      satelliteTokenUrl: t.mode === 'satellite' ? (t.tokenUrl ?? `https://${t.host}:${t.port}/backend/oauth/token`) : null,
    };
  }

  function defaultUrls(t: TransportInput | undefined) {
    if (t?.mode === 'satellite') return { authGatewayUrl: t.tokenUrl ?? `https://${t.host}:${t.port}/backend/oauth/token`, cssmServerUrl: `https://${t.host}:${t.port}/backend/api` };
    return { authGatewayUrl: DEFAULT_AUTH_GATEWAY, cssmServerUrl: DEFAULT_CSSM_SERVER };
  }

  async function sendSync(tx: Db, sql: SqlExecutor, sa: repo.SmartAccountRow, actor: Actor) {
    const running = await repo.listOperations(tx, { operation: 'sync', status: 'IN_PROGRESS', smartAccountId: sa.id }, { offset: 0, limit: 1 });
    if (running.total > 0) throw new AppError('CONFLICT', `A sync of smart account ${sa.domain} is already running (job ${running.items[0]!.id}).`, { jobId: running.items[0]!.id });
    const { id } = await services.jobs.send(jobs.sync, { smartAccountId: sa.id }, { actor, tx: { db: tx, sql } });
    await repo.insertOperation(tx, {
      id,
      operation: 'sync',
      entityType: 'Smart Account',
      entityName: sa.name ?? sa.domain,
      smartAccountId: sa.id,
      description: `Sync of Smart Account ${sa.name ?? sa.domain} Started`,
      status: 'IN_PROGRESS',
      progressInfo: { Authentication: 'Not Started', 'Virtual Accounts': 'Not Started' },
      createdBy: actor.name,
      startedAt: clock.now(),
    });
    await repo.updateSmartAccount(tx, sa.id, { lastSyncJobId: id });
    return id;
  }

  async function mustSmartAccount(read: Db, id: string) {
    const sa = await repo.findSmartAccount(read, id);
    if (!sa) throw notFound('Smart account', id);
    return sa;
  }
  async function mustVirtualAccount(read: Db, id: string) {
    const va = await repo.findVirtualAccount(read, id);
    if (!va) throw notFound('Virtual account', id);
    return va;
  }
  async function mustCluster(read: Db, id: string, forUpdate = false) {
    const cluster = forUpdate ? await repo.findClusterForUpdate(read, id) : await repo.findCluster(read, id);
    if (!cluster) throw notFound('Cluster', id);
    return cluster;
  }

  async function startClusterOperation(args: { operation: 'assign' | 'unassign' | 'reassign'; clusterId: string; virtualAccountId?: string }, actor: Actor) {
    return database.transaction(async (tx, sql) => {
      const cluster = await mustCluster(tx, args.clusterId, true);
      const running = await repo.listOperations(tx, { clusterId: cluster.id, status: 'IN_PROGRESS' }, { offset: 0, limit: 1 });
      if (running.total > 0) throw new AppError('CONFLICT', `Cluster ${cluster.name} already has a job in progress (${running.items[0]!.id}).`, { jobId: running.items[0]!.id });
      let fromVa: repo.VirtualAccountRow | undefined;
      let toVa: repo.VirtualAccountRow | undefined;
      if (args.operation === 'assign') {
        if (cluster.virtualAccountId) throw new AppError('INVALID_STATE', `SLMCT1007: Cluster ${cluster.name} is already assigned to a Virtual Account; unassign or reassign it.`, { catalogueCode: 'SLMCT1007' });
        toVa = await mustVirtualAccount(tx, args.virtualAccountId!);
      } else if (args.operation === 'unassign') {
        if (!cluster.virtualAccountId) throw new AppError('INVALID_STATE', `SLMCT1011: Cluster ${cluster.name} is already unassigned.`, { catalogueCode: 'SLMCT1011' });
        fromVa = await mustVirtualAccount(tx, cluster.virtualAccountId);
      } else {
        if (!cluster.virtualAccountId) throw new AppError('INVALID_STATE', `Cluster ${cluster.name} is not assigned; assign it instead.`);
        fromVa = await mustVirtualAccount(tx, cluster.virtualAccountId);
        toVa = await mustVirtualAccount(tx, args.virtualAccountId!);
        if (toVa.id === fromVa.id) throw new AppError('INVALID_STATE', `Cluster ${cluster.name} is already assigned to ${toVa.name}.`);
      }
      // Refused before any job, as HCM-F's Assign dialog refuses it (the job's Verification checks it again).
      if (toVa && !toVa.licenseMode) throw new AppError('INVALID_STATE', `SLM1014: Virtual Account ${toVa.name} is not associated with any License Mode; set one first.`, { catalogueCode: 'SLM1014' });
      const { id } = await services.jobs.send(jobs.clusterOperation, { operation: args.operation, clusterId: cluster.id, clusterName: cluster.name, virtualAccountName: (toVa ?? fromVa)!.name }, { actor, tx: { db: tx, sql } });
      const description =
        args.operation === 'assign'
          ? `Assignment of Cluster ${cluster.name} to ${toVa!.name} Started`
          : args.operation === 'unassign'
            ? `UnAssignment of Cluster ${cluster.name} from ${fromVa!.name} Started`
            : `ReAssignment of Cluster ${cluster.name} from ${fromVa!.name} to ${toVa!.name} Started`;
      const smartAccountId = (toVa ?? fromVa)!.smartAccountId;
      const operation = {
        id,
        operation: args.operation,
        entityType: 'Cluster',
        entityName: cluster.name,
        clusterId: cluster.id,
        smartAccountId,
        virtualAccountId: fromVa?.id ?? toVa!.id,
        targetVirtualAccountId: toVa?.id ?? null,
        description,
        status: 'IN_PROGRESS',
        progressInfo: Object.fromEntries(STEPS.map((s) => [s, 'Not Started'])),
        createdBy: actor.name,
        startedAt: clock.now(),
      };
      await repo.insertOperation(tx, operation);
      await repo.updateCluster(tx, cluster.id, { lastOperationId: id, updatedAt: clock.now() });
      await audit.record({ actor, action: `licensing.cluster.${args.operation}`, entityType: 'licensing_cluster', entityId: cluster.id, before: { virtualAccount: fromVa?.name ?? null }, after: { virtualAccount: toVa?.name ?? null, jobId: id } }, tx);
      return {
        jobId: id,
        operation: args.operation,
        description,
        warning: args.operation === 'unassign' ? null : 'Assigning a cluster may restart the publisher node automatically (when its license mode changes).',
      };
    });
  }

  const api = {
    jobs,
    cssmFor,
    ucFor,

    // ── L1 smart account access ──
    async configureSmartAccount(input: SmartAccountInput, actor: Actor) {
      return database.transaction(async (tx, sql) => {
        if (await repo.findSmartAccountByDomain(tx, input.domain)) throw new AppError('ALREADY_EXISTS', `Smart account ${input.domain} is already configured.`, { domain: input.domain });
        const now = clock.now();
        const urls = defaultUrls(input.transport);
        const row = {
          id: crypto.randomUUID(),
          domain: input.domain,
          name: input.name ?? null,
          clientId: input.clientId,
          clientSecret: secrets.seal(input.clientSecret),
          ...transportColumns(input.transport),
          authGatewayUrl: input.authGatewayUrl ?? urls.authGatewayUrl,
          cssmServerUrl: input.cssmServerUrl ?? urls.cssmServerUrl,
          deviceRegistrationUrl: input.deviceRegistrationUrl ?? DEFAULT_DEVICE_REGISTRATION_URL,
          syncIntervalHours: input.syncIntervalHours ?? 24,
          createdAt: now,
          updatedAt: now,
        };
        await repo.insertSmartAccount(tx, row);
        const sa = (await repo.findSmartAccount(tx, row.id))!;
        await audit.record({ actor, action: 'licensing.smart-account.create', entityType: 'licensing_smart_account', entityId: sa.id, after: publicSmartAccount(sa) }, tx);
        // Configuring fetches every virtual account (HCM-F: "up to an hour"): a job.
        const syncJobId = await sendSync(tx, sql, sa, actor);
        return { smartAccount: publicSmartAccount((await repo.findSmartAccount(tx, sa.id))!), syncJobId };
      });
    },

    async updateSmartAccount(id: string, patch: Partial<SmartAccountInput>, actor: Actor) {
      return database.transaction(async (tx) => {
        const before = await mustSmartAccount(tx, id);
        if (patch.domain && patch.domain.toLowerCase() !== before.domain.toLowerCase() && (await repo.findSmartAccountByDomain(tx, patch.domain))) throw new AppError('ALREADY_EXISTS', `Smart account ${patch.domain} is already configured.`);
        const urls = patch.transport ? defaultUrls(patch.transport) : undefined;
        await repo.updateSmartAccount(tx, id, {
          ...(patch.domain !== undefined ? { domain: patch.domain } : {}),
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.clientId !== undefined ? { clientId: patch.clientId } : {}),
          ...(patch.clientSecret !== undefined ? { clientSecret: secrets.seal(patch.clientSecret) } : {}),
          ...transportColumns(patch.transport, before),
          ...(patch.authGatewayUrl !== undefined ? { authGatewayUrl: patch.authGatewayUrl } : urls && before.transportMode !== patch.transport?.mode ? { authGatewayUrl: urls.authGatewayUrl } : {}),
          ...(patch.cssmServerUrl !== undefined ? { cssmServerUrl: patch.cssmServerUrl } : urls && before.transportMode !== patch.transport?.mode ? { cssmServerUrl: urls.cssmServerUrl } : {}),
          ...(patch.deviceRegistrationUrl !== undefined ? { deviceRegistrationUrl: patch.deviceRegistrationUrl } : {}),
          ...(patch.syncIntervalHours !== undefined ? { syncIntervalHours: patch.syncIntervalHours } : {}),
          updatedAt: clock.now(),
        });
        const after = (await repo.findSmartAccount(tx, id))!;
        await audit.record({ actor, action: 'licensing.smart-account.update', entityType: 'licensing_smart_account', entityId: id, before: publicSmartAccount(before), after: publicSmartAccount(after) }, tx);
        return publicSmartAccount(after);
      });
    },

    async deleteSmartAccount(id: string, actor: Actor) {
      await database.transaction(async (tx) => {
        const sa = await mustSmartAccount(tx, id);
        const assigned = await repo.listClusters(tx, { smartAccountId: id, assigned: true }, { offset: 0, limit: 1 });
        if (assigned.total > 0) throw new AppError('INVALID_STATE', `Smart account ${sa.domain} still has ${assigned.total} assigned cluster(s); unassign them first.`);
        await repo.deleteSmartAccount(tx, id);
        await audit.record({ actor, action: 'licensing.smart-account.delete', entityType: 'licensing_smart_account', entityId: id, before: publicSmartAccount(sa) }, tx);
      });
    },

    async getSmartAccount(id: string) {
      return publicSmartAccount(await mustSmartAccount(db, id));
    },
    async listSmartAccounts(filter: { q?: string }, page: { offset: number; limit: number }) {
      const result = await repo.listSmartAccounts(db, filter, page);
      return { ...result, items: result.items.map(publicSmartAccount) };
    },

    // ── L2 sync ──
    async syncSmartAccount(id: string, actor: Actor) {
      return database.transaction(async (tx, sql) => ({ jobId: await sendSync(tx, sql, await mustSmartAccount(tx, id), actor) }));
    },
    /** The periodic sync: every smart account whose interval has passed and has no sync running. */
    async syncDue(actor: Actor) {
      const now = clock.now().getTime();
      const sent: string[] = [];
      for (const sa of await repo.listAllSmartAccounts(db)) {
        if (sa.lastSyncAt && sa.lastSyncAt.getTime() + sa.syncIntervalHours * 3_600_000 > now) continue;
        try {
          sent.push((await database.transaction(async (tx, sql) => sendSync(tx, sql, sa, actor))));
        } catch (error) {
          if (!(error instanceof AppError && error.code === 'CONFLICT')) throw error;
        }
      }
      return sent;
    },

    // ── L3 virtual accounts ──
    async listVirtualAccounts(filter: repo.VirtualAccountFilter, page: { offset: number; limit: number }) {
      const result = await repo.listVirtualAccounts(db, filter, page);
      return {
        total: result.total,
        items: result.items.map((r) => ({ ...publicVirtualAccount(r.va), smartAccountName: r.smartAccountName ?? r.smartAccountDomain, domain: r.smartAccountDomain, clusterCount: r.clusterCount })),
      };
    },
    async getVirtualAccount(id: string) {
      const va = await mustVirtualAccount(db, id);
      const sa = (await repo.findSmartAccount(db, va.smartAccountId))!;
      const clusters = await repo.clustersOfVirtualAccount(db, id);
      return { ...publicVirtualAccount(va), smartAccountName: sa.name ?? sa.domain, domain: sa.domain, clusterCount: clusters.length, clusters: clusters.map((c) => ({ id: c.id, name: c.name, type: c.type, version: c.version, status: c.status })) };
    },
    async updateVirtualAccount(id: string, patch: { licenseMode: LicenseMode | null }, actor: Actor) {
      return database.transaction(async (tx) => {
        const va = await mustVirtualAccount(tx, id);
        const clusters = await repo.clustersOfVirtualAccount(tx, id);
        // HCM-F: the license mode is read-only while clusters are assigned.
        if (clusters.length > 0 && patch.licenseMode !== va.licenseMode) throw new AppError('INVALID_STATE', `The License Mode of ${va.name} cannot change while ${clusters.length} cluster(s) are assigned to it.`, { clusters: clusters.map((c) => c.name) });
        await repo.updateVirtualAccount(tx, id, { licenseMode: patch.licenseMode });
        await audit.record({ actor, action: 'licensing.virtual-account.update', entityType: 'licensing_virtual_account', entityId: id, before: { licenseMode: va.licenseMode }, after: { licenseMode: patch.licenseMode } }, tx);
        return publicVirtualAccount((await repo.findVirtualAccount(tx, id))!);
      });
    },

    // ── L4 inventory ──
    async addCluster(input: ClusterInput, actor: Actor) {
      // Read before anything is stored; the TLS handshake is all the publisher sees.
      const certificate = await publisherCertificate(input.publisherUrl, input.trustFingerprint);
      return database.transaction(async (tx) => {
        if (await repo.findClusterByName(tx, input.name)) throw new AppError('ALREADY_EXISTS', `Cluster ${input.name} already exists.`, { name: input.name });
        const now = clock.now();
        const id = crypto.randomUUID();
        await repo.insertCluster(tx, {
          id,
          name: input.name,
          type: input.type,
          version: input.version,
          publisherUrl: input.publisherUrl ?? null,
          adminUsername: input.adminUsername ?? null,
          adminPassword: input.adminPassword ? secrets.seal(input.adminPassword) : null,
          platformUsername: input.platformUsername ?? null,
          platformPassword: input.platformPassword ? secrets.seal(input.platformPassword) : null,
          ...(certificate ? acceptedCertificate(certificate) : noCertificate),
          createdAt: now,
          updatedAt: now,
        });
        const cluster = (await repo.findCluster(tx, id))!;
        await audit.record({ actor, action: 'licensing.cluster.create', entityType: 'licensing_cluster', entityId: id, after: publicCluster(cluster) }, tx);
        return publicCluster(cluster);
      });
    },
    async updateCluster(id: string, patch: Partial<ClusterInput>, actor: Actor) {
      const current = await mustCluster(db, id);
      // Another publisher address is another server: its certificate is trusted afresh.
      const moved = patch.publisherUrl !== undefined && patch.publisherUrl !== current.publisherUrl;
      const certificate = moved ? await publisherCertificate(patch.publisherUrl, patch.trustFingerprint) : null;
      return database.transaction(async (tx) => {
        const before = await mustCluster(tx, id, true);
        if (patch.name && patch.name !== before.name && (await repo.findClusterByName(tx, patch.name))) throw new AppError('ALREADY_EXISTS', `Cluster ${patch.name} already exists.`);
        if (before.virtualAccountId && patch.type && patch.type !== before.type) throw new AppError('INVALID_STATE', `Cluster ${before.name} is assigned; unassign it before changing its type.`);
        const set: Record<string, unknown> = { updatedAt: clock.now() };
        for (const key of ['name', 'type', 'version', 'publisherUrl', 'adminUsername', 'platformUsername'] as const) if (patch[key] !== undefined) set[key] = patch[key];
        if (patch.adminPassword !== undefined) set.adminPassword = patch.adminPassword ? secrets.seal(patch.adminPassword) : null;
        if (patch.platformPassword !== undefined) set.platformPassword = patch.platformPassword ? secrets.seal(patch.platformPassword) : null;
        if (moved) Object.assign(set, certificate ? acceptedCertificate(certificate) : noCertificate);
        await repo.updateCluster(tx, id, set);
        const after = (await repo.findCluster(tx, id))!;
        await audit.record({ actor, action: 'licensing.cluster.update', entityType: 'licensing_cluster', entityId: id, before: publicCluster(before), after: publicCluster(after) }, tx);
        return publicCluster(after);
      });
    },
    async deleteCluster(id: string, actor: Actor) {
      await database.transaction(async (tx) => {
        const cluster = await mustCluster(tx, id, true);
        if (cluster.virtualAccountId) throw new AppError('INVALID_STATE', `Cluster ${cluster.name} is assigned to a Virtual Account; unassign it first.`);
        await repo.deleteCluster(tx, id);
        await audit.record({ actor, action: 'licensing.cluster.delete', entityType: 'licensing_cluster', entityId: id, before: publicCluster(cluster) }, tx);
      });
    },
    async getCluster(id: string) {
      const cluster = await mustCluster(db, id);
      const va = cluster.virtualAccountId ? await repo.findVirtualAccount(db, cluster.virtualAccountId) : undefined;
      const sa = va ? await repo.findSmartAccount(db, va.smartAccountId) : undefined;
      const op = cluster.lastOperationId ? await repo.findOperation(db, cluster.lastOperationId) : undefined;
      return { ...publicCluster(cluster), virtualAccountName: va?.name ?? null, smartAccountId: sa?.id ?? null, smartAccountName: sa ? (sa.name ?? sa.domain) : null, jobStatus: op?.status ?? null };
    },
    async listClusters(filter: repo.ClusterFilter, page: { offset: number; limit: number }) {
      const result = await repo.listClusters(db, filter, page);
      return {
        total: result.total,
        items: result.items.map((r) => ({ ...publicCluster(r.cluster), virtualAccountName: r.virtualAccountName, smartAccountId: r.smartAccountId, smartAccountName: r.smartAccountName ?? r.smartAccountDomain, jobStatus: r.jobStatus })),
      };
    },
    /** Connectivity check: version over AXL/CUPI, license mode over PAWS, licensing status. */
    async checkCluster(id: string, actor: Actor) {
      const cluster = await mustCluster(db, id);
      const connector = ucFor(cluster);
      const result: Record<string, unknown> = { checkedAt: clock.now().toISOString() };
      try {
        for (const [key, read] of [
          ['version', () => connector.version()],
          ['licenseMode', () => connector.getLicenseMode()],
          ['licensing', () => connector.status()],
        ] as const) {
          try {
            result[key] = await read();
          } catch (error) {
            result[`${key}Error`] = error instanceof Error ? error.message : String(error);
          }
        }
      } finally {
        await connector.close();
      }
      const ok = !Object.keys(result).some((k) => k.endsWith('Error'));
      await database.transaction(async (tx) => {
        await repo.updateCluster(tx, id, { lastCheck: { ...result, ok }, updatedAt: clock.now() });
        await audit.record({ actor, action: 'licensing.cluster.check', entityType: 'licensing_cluster', entityId: id, after: { ok } }, tx);
      });
      return { ok, ...result } as { ok: boolean } & Record<string, unknown>;
    },

    /**
     * L4: accept the certificate the publisher presents now (a renewed one). The fingerprint must be
     * the one it presents; it is pinned, the smart account's alert for it goes, jobs can run again.
     */
    async acceptClusterCertificate(id: string, fingerprint: string, actor: Actor) {
      const cluster = await mustCluster(db, id);
      if (!cluster.publisherUrl || !/^https:/i.test(cluster.publisherUrl)) throw new AppError('INVALID_STATE', `Cluster ${cluster.name} has no HTTPS publisher address: there is no certificate to accept.`, { clusterId: id });
      const confirmed = normalizeFingerprint(fingerprint);
      const seen = await probeCertificate(cluster.publisherUrl, { system: 'publisher', ca: config.tlsCa, timeoutMs: 10_000 });
      if (seen.fingerprint !== confirmed) throw new AppError('CERTIFICATE_NOT_TRUSTED', `The publisher of ${cluster.name} presents the certificate with SHA-256 fingerprint ${seen.fingerprint}, not the one confirmed (${confirmed ?? fingerprint}); nothing was changed.`, { clusterId: id, certificate: certificateSummary(seen), confirmedFingerprint: confirmed ?? fingerprint });
      return database.transaction(async (tx) => {
        const before = await mustCluster(tx, id, true);
        const at = clock.now();
        const patch = acceptedCertificate(seen);
        await repo.updateCluster(tx, id, { ...patch, updatedAt: at });
        const va = before.virtualAccountId ? await repo.findVirtualAccount(tx, before.virtualAccountId) : undefined;
        const sa = va ? await repo.findSmartAccount(tx, va.smartAccountId) : undefined;
        if (sa?.alerts.some((a) => a.clusterId === id)) await repo.updateSmartAccount(tx, sa.id, { alerts: sa.alerts.filter((a) => a.clusterId !== id), updatedAt: at });
        await audit.record({ actor, action: 'licensing.cluster.certificate-accept', entityType: 'licensing_cluster', entityId: id, before: { certificateTrust: before.certificateTrust, certificateFingerprint: before.certificateFingerprint }, after: { certificateTrust: patch.certificateTrust, certificateFingerprint: patch.certificateFingerprint, certificate: patch.certificate } }, tx);
        return publicCluster((await repo.findCluster(tx, id))!);
      });
    },

    // ── L5 cluster operations ──
    assign: (virtualAccountId: string, clusterId: string, actor: Actor) => startClusterOperation({ operation: 'assign', clusterId, virtualAccountId }, actor),
    unassign: (clusterId: string, actor: Actor) => startClusterOperation({ operation: 'unassign', clusterId }, actor),
    reassign: (clusterId: string, virtualAccountId: string, actor: Actor) => startClusterOperation({ operation: 'reassign', clusterId, virtualAccountId }, actor),

    // ── L7 jobs ──
    async listOperations(filter: repo.OperationFilter, page: { offset: number; limit: number }) {
      const result = await repo.listOperations(db, filter, page);
      return { total: result.total, items: result.items.map(publicOperation) };
    },
    async getOperation(id: string) {
      const op = await repo.findOperation(db, id);
      if (!op) throw notFound('Licensing job', id);
      const job = await services.jobs.get(id);
      const view = publicOperation(op);
      return { ...view, isRestartable: view.isRestartable || lostInProgress(op, job), jobState: job.state, attempts: job.attempts, progressPercent: job.progressPercent, progressMessage: job.progressMessage };
    },
    async restartOperation(id: string, actor: Actor) {
      const op = await repo.findOperation(db, id);
      if (!op) throw notFound('Licensing job', id);
      // A job whose process died with no queue retry left: the queue failed it, the operation was never told.
      if (lostInProgress(op, await services.jobs.get(id))) await repo.updateOperation(db, id, { status: 'FAILED' });
      else if (op.status !== 'FAILED') throw new AppError('INVALID_STATE', `Job ${id} is ${op.status}; only a failed job can be restarted.`, { status: op.status });
      // IN_PROGRESS before the new attempt can start: an attempt that finds FAILED repeats the failure.
      await database.transaction(async (tx) => {
        await repo.updateOperation(tx, id, { status: 'IN_PROGRESS', finishedAt: null });
        await audit.record({ actor, action: 'licensing.job.restart', entityType: 'licensing_job', entityId: id, before: { status: 'FAILED' }, after: { status: 'IN_PROGRESS' } }, tx);
      });
      try {
        await services.jobs.retry(id, actor);
      } catch (error) {
        await repo.updateOperation(db, id, { status: 'FAILED', finishedAt: op.finishedAt });
        throw error;
      }
      return { id, status: 'IN_PROGRESS' };
    },

    /**
     * Cancels a running job (one waiting on its publisher stops at its next poll): the operation is
     * FAILED with "cancelled" and can be restarted; steps that passed are kept.
     */
    async cancelOperation(id: string, actor: Actor) {
      const op = await repo.findOperation(db, id);
      if (!op) throw notFound('Licensing job', id);
      if (op.status !== 'IN_PROGRESS') throw new AppError('INVALID_STATE', `Job ${id} is ${op.status}; only a running job can be cancelled.`, { status: op.status });
      const job = await services.jobs.get(id);
      if (job.state !== 'failed' && job.state !== 'cancelled' && job.state !== 'completed') await services.jobs.cancel(id, actor);
      const progressInfo = { ...(op.progressInfo as Record<string, StepState>) };
      for (const [k, v] of Object.entries(progressInfo)) if (v === 'In Progress') progressInfo[k] = 'Fail';
      const verb = { assign: 'Assignment', unassign: 'UnAssignment', reassign: 'ReAssignment', sync: 'Sync' }[op.operation as 'assign'] ?? op.operation;
      await database.transaction(async (tx) => {
        const at = clock.now();
        await repo.updateOperation(tx, id, { status: 'FAILED', progressInfo, errorCode: 'SLM1001', errorDescription: `Cancelled by ${actor.name}.`, recommendedAction: 'Restart the job when the cause is fixed.', description: `${verb} of ${op.operation === 'sync' ? 'Smart Account' : 'Cluster'} ${op.entityName} cancelled`, finishedAt: at });
        if (op.clusterId) await repo.updateCluster(tx, op.clusterId, { status: op.operation === 'unassign' ? 'DEREGISTRATION_FAILED' : 'MANUAL_REGISTRATION_FAILED', updatedAt: at });
        await audit.record({ actor, action: 'licensing.job.cancel', entityType: 'licensing_job', entityId: id, before: { status: 'IN_PROGRESS' }, after: { status: 'FAILED' } }, tx);
      });
      return { id, status: 'FAILED' };
    },

    // ── L8 licence dashboard ──
    async dashboard(smartAccountId: string, filter: { virtualAccount?: string }) {
      const sa = await mustSmartAccount(db, smartAccountId);
      const assigned = await repo.listClusters(db, { smartAccountId, assigned: true }, { offset: 0, limit: 500 });
      const vaNames = filter.virtualAccount ? [filter.virtualAccount] : [...new Set(assigned.items.map((r) => r.virtualAccountName!).filter(Boolean))];
      const cssm = cssmFor(sa);
      try {
        const licenses = vaNames.length ? await cssm.licenses(sa.domain, vaNames) : [];
        const byVa = new Map<string, typeof licenses>();
        for (const l of licenses) byVa.set(l.virtualAccount, [...(byVa.get(l.virtualAccount) ?? []), l]);
        const devicesByVa = new Map<string, Awaited<ReturnType<CssmConnector['devices']>>>();
        for (const va of new Set(assigned.items.map((r) => r.virtualAccountName!).filter((n) => vaNames.includes(n)))) devicesByVa.set(va, await cssm.devices(sa.domain, va));
        return {
          smartAccount: { id: sa.id, name: sa.name ?? sa.domain, domain: sa.domain },
          virtualAccounts: vaNames.map((name) => {
            const rows = byVa.get(name) ?? [];
            return { name, compliance: rows.some((l) => /out of compliance/i.test(l.status)) ? 'Out Of Compliance' : 'In Compliance', licenses: rows.map(({ virtualAccount: _va, ...l }) => l) };
          }),
          clusters: assigned.items
            .filter((r) => vaNames.includes(r.virtualAccountName!))
            .map((r) => {
              const serial = /SN:([^,]+)|sn=(\S+)/.exec(r.cluster.productUdi ?? '');
              const device = (devicesByVa.get(r.virtualAccountName!) ?? []).find((d) => d.udiSerialNumber === (serial?.[1] ?? serial?.[2]));
              const vaLicenses = byVa.get(r.virtualAccountName!) ?? [];
              const usage = (device?.licenseUsage ?? []).map((u) => ({ license: u.license, inUse: u.quantity, status: vaLicenses.find((l) => l.license === u.license)?.status ?? 'Out Of Compliance' }));
              return { id: r.cluster.id, name: r.cluster.name, type: r.cluster.type, virtualAccount: r.virtualAccountName!, registered: Boolean(device), compliance: usage.some((u) => /out of compliance/i.test(u.status)) ? 'Out Of Compliance' : 'In Compliance', usage };
            }),
        };
      } finally {
        await cssm.close();
      }
    },
  };
  jobs.syncDueHook.run = (actor) => api.syncDue(actor);
  return api;
}

export function publicSmartAccount(sa: repo.SmartAccountRow) {
  return {
    id: sa.id,
    domain: sa.domain,
    name: sa.name,
    clientId: sa.clientId,
    hasClientSecret: Boolean(sa.clientSecret),
    transport: {
      mode: sa.transportMode as 'direct' | 'proxy' | 'satellite',
      proxyHost: sa.proxyHost,
      proxyPort: sa.proxyPort,
      proxyUsername: sa.proxyUsername,
      hasProxyPassword: Boolean(sa.proxyPassword),
      satelliteHost: sa.satelliteHost,
      satellitePort: sa.satellitePort,
      satelliteRegistrationUrl: sa.satelliteRegistrationUrl,
      satelliteTokenUrl: sa.satelliteTokenUrl,
    },
    authGatewayUrl: sa.authGatewayUrl,
    cssmServerUrl: sa.cssmServerUrl,
    deviceRegistrationUrl: sa.deviceRegistrationUrl,
    syncIntervalHours: sa.syncIntervalHours,
    status: sa.status,
    virtualAccountCount: sa.virtualAccountCount,
    satelliteVirtualAccountCount: sa.satelliteVirtualAccountCount,
    lastSyncAt: sa.lastSyncAt,
    lastSyncJobId: sa.lastSyncJobId,
    alerts: sa.alerts,
    createdAt: sa.createdAt,
    updatedAt: sa.updatedAt,
  };
}

export function publicVirtualAccount(va: repo.VirtualAccountRow) {
  return {
    id: va.id,
    smartAccountId: va.smartAccountId,
    name: va.name,
    description: va.description,
    isDefault: va.isDefault,
    accessLevel: va.accessLevel as 'PUBLIC' | 'PRIVATE',
    licenseMode: va.licenseMode as LicenseMode | null,
    removedFromCssm: va.removedFromCssm,
    syncedAt: va.syncedAt,
  };
}

export function publicCluster(c: repo.ClusterRow) {
  return {
    id: c.id,
    name: c.name,
    type: c.type as 'CUCM' | 'CUC',
    version: c.version,
    publisherUrl: c.publisherUrl,
    adminUsername: c.adminUsername,
    hasAdminPassword: Boolean(c.adminPassword),
    platformUsername: c.platformUsername,
    hasPlatformPassword: Boolean(c.platformPassword),
    virtualAccountId: c.virtualAccountId,
    status: c.status,
    productUdi: c.productUdi,
    lastOperationId: c.lastOperationId,
    lastCheck: c.lastCheck ?? null,
    certificateTrust: c.certificateTrust ?? null,
    certificateFingerprint: c.certificateFingerprint ?? null,
    certificate: c.certificate ?? null,
    presentedCertificate: c.presentedCertificate ?? null,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

const progressOrder = [...STEPS, 'Authentication', 'Virtual Accounts'];

/** The operation says IN_PROGRESS but its job has ended failed: its process died for good. */
function lostInProgress(op: { status: string }, job: { state: string }) {
  return op.status === 'IN_PROGRESS' && job.state === 'failed';
}

export function publicOperation(op: repo.OperationRow) {
  // jsonb does not keep key order: show the steps in the order they run.
  const progressInfo = Object.fromEntries(Object.entries(op.progressInfo).sort(([a], [b]) => progressOrder.indexOf(a) - progressOrder.indexOf(b)));
  return {
    id: op.id,
    jobType: op.operation === 'sync' ? 'Sync' : 'Provisioning',
    operation: op.operation as 'assign' | 'unassign' | 'reassign' | 'sync',
    entityType: op.entityType,
    entityName: op.entityName,
    clusterId: op.clusterId,
    smartAccountId: op.smartAccountId,
    virtualAccountId: op.virtualAccountId,
    targetVirtualAccountId: op.targetVirtualAccountId,
    description: op.description,
    status: op.status as 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED',
    progressInfo,
    statusInformation: Object.entries(progressInfo)
      .map(([k, v]) => `${k} - ${v}`)
      .join('\n'),
    errorCode: op.errorCode,
    errorDescription: op.errorDescription,
    recommendedAction: op.recommendedAction,
    isRestartable: op.status === 'FAILED',
    isCancelable: op.status === 'IN_PROGRESS',
    createdBy: op.createdBy,
    startedAt: op.startedAt,
    finishedAt: op.finishedAt,
  };
}
