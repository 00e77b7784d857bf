import crypto from 'node:crypto';
import { AppError, notFound } from '../platform/errors.ts';
import { parseHostPort, type HostPort } from '../platform/http/inputs.ts';
import { certificateSummary, certificateToTrust as trustCertificate, normalizeFingerprint, probeCertificate, type CertificateSummary, type PeerCertificate, type TlsPolicy } from '../platform/http/external-client.ts';
import { createRequestLimit, instanceShare, type RequestLimit } from '../platform/http/request-limit.ts';
import { createCmsConnector, maskForm, maskXml, type CmsConnector, type CmsExchange, type CmsStatus } from './cms.connector.ts';
import * as repo from './meetings.repository.ts';
import { assertTimeZone } from './zoned-time.ts';
import { readLegOutcomes } from './leg-outcomes.ts';
import type { Actor } from '../platform/auth/actor.ts';
import type { Db } from '../platform/db/database.ts';
import type { PlatformServices } from '../platform/services.ts';
import type { BridgeRow, NodeRow } from './meetings.repository.ts';

// M1–M7, M15: bridges (CMS systems and their clusters), tickets, status, settings, pool.

export const TICKETS = {
  blank_name: { title: 'Blank System Name', detail: () => 'The name of the system is blank.' },
  dial_number_config: { title: 'Dial Number Configuration Error', detail: () => 'Domain, Numeric ID Base and Numeric ID Quantity details are not set.' },
  unreachable: { title: 'Connection Error', detail: (why: string) => `The system cannot be reached: ${why}` },
  auth_failed: { title: 'Authentication Failed', detail: (why: string) => `The system refused the username and password: ${why}` },
  pool_drift: { title: 'Scheduled Space Pool Drift', detail: (why: string) => why },
  failover: { title: 'Meeting Failover', detail: (why: string) => why },
  certificate_changed: { title: 'Certificate Changed', detail: (why: string) => why },
} as const;
export type TicketKind = keyof typeof TICKETS | 'custom';

export type BridgeInput = {
  address: string;
  username: string;
  password: string;
  tls?: boolean;
  name?: string;
  ipZone?: string | null;
  timeZone?: string;
  usageType?: string;
  /** Only the Lab sets it: the name of its simulated cluster (see `relinkLab`). */
  labCluster?: string;
  /**
   * The SHA-256 fingerprint of the certificate the operator was shown and trusts: an HTTPS bridge
   * whose certificate no trusted CA vouches for is added only with it, and it is pinned.
   */
  trustFingerprint?: string;
};


/** The node columns that record a certificate accepted for it: a CA's word, or the operator's pin. */
const acceptedCertificate = (c: PeerCertificate) => ({ certificateTrust: (c.trusted ? 'ca' : 'pinned') as 'ca' | 'pinned', certificateFingerprint: c.fingerprint, certificate: certificateSummary(c), presentedCertificate: null });

const isCertificateError = (error: unknown): error is AppError => error instanceof AppError && (error.code === 'CERTIFICATE_CHANGED' || error.code === 'CERTIFICATE_NOT_TRUSTED');

/**
 * Why `address` (`10.0.0.1:445`, `cms.example.net`, `[2001:db8::1]:445` or an http(s) URL of one) cannot
 * be a bridge, or undefined. Parsed, not pattern-matched: `0`, `0.0.0.0`, `::` and the like are
 * refused — a URL parser reads `0` as 0.0.0.0, and a connection to that reaches this very server.
 */
export function bridgeAddressProblem(address: string): string | undefined {
  const trimmed = address.trim();
  const bare = trimmed.replace(/^https?:\/\//i, '').replace(/\/$/, '');
  if (/[/?#@]/.test(bare)) return `"${trimmed}" is not an IP address or DNS name (host or host:port).`;
  const parsed = parseHostPort(bare);
  return 'problem' in parsed ? `${parsed.problem}.` : undefined;
}

/** A bridge's address (see `bridgeAddressProblem`) → base URL and the host:port key nodes are known by. */
export function parseAddress(address: string, tls = true): { baseUrl: string; hostKey: string } {
  const problem = bridgeAddressProblem(address);
  if (problem) throw new AppError('VALIDATION_FAILED', problem, { address });
  const trimmed = address.trim();
  const scheme = /^(https?):\/\//i.exec(trimmed)?.[1]?.toLowerCase() ?? (tls ? 'https' : 'http');
  const { host, port } = parseHostPort(trimmed.replace(/^https?:\/\//i, '').replace(/\/$/, '')) as HostPort;
  const url = new URL(`${scheme}://${host}${port === null ? '' : `:${port}`}`);
  const defaultPort = url.port || (url.protocol === 'https:' ? '443' : '80');
  return { baseUrl: `${url.protocol}//${url.host}`, hostKey: `${url.hostname.toLowerCase()}:${defaultPort}` };
}

/**
 * A discovered node's URL: the address the cluster advertises (/callBridges/{id}), reached the way
 * the operator reached the cluster. The scheme is the added bridge's (a cluster added over plain
 * HTTP is reached over plain HTTP everywhere, whatever its Call Bridge table says); the port is the
 * advertised one when it names one (other than its scheme's default), else the added bridge's
 * non-default port (nodes of one cluster usually serve the API on the same port, e.g. 445), else
 * the scheme's default. Null when the advertised address cannot be read.
 */
export function inheritAddress(advertised: string, addedBaseUrl: string): string | null {
  const added = new URL(addedBaseUrl);
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(advertised.trim()) ? advertised.trim() : `https://${advertised.trim()}`);
  } catch {
    return null;
  }
  if (!url.hostname) return null;
  const port = url.port || added.port;
  const host = url.hostname.includes(':') && !url.hostname.startsWith('[') ? `[${url.hostname}]` : url.hostname;
  const scheme = added.protocol.replace(/:$/, '');
  const defaultPort = scheme === 'https' ? '443' : '80';
  return `${scheme}://${host}${port && port !== defaultPort ? `:${port}` : ''}`;
}

/** The end of time for open-ended range queries (PostgreSQL cannot read JS's +275760 dates). */
const FAR_FUTURE = new Date('9999-12-31T00:00:00Z');

/** How long requests go to a bridge's alternate address first after its primary address failed (clock ms). */
const ALTERNATE_HOLD_MS = 60_000;
/** After a node's CDR was missed, its connected legs are read at each poll for this long (clock ms). */
const CDR_SILENCE_MS = 10 * 60_000;

/**
 * Whether a failed request may be sent again to another address of the same bridge: it got no
 * answer or a 503. A POST is repeated only when it surely never arrived (refused, unknown host,
 * TLS), so a call or leg is not created twice.
 */
function failsOver(error: unknown, method: string): boolean {
  if (!(error instanceof AppError)) return false;
  const details = (error.details ?? {}) as { status?: number; network?: string };
  if (details.status === 503) return true;
  if (error.code !== 'UPSTREAM_UNREACHABLE') return false;
  return method !== 'POST' || ['refused', 'unknown-host', 'tls'].includes(details.network ?? '');
}

const displayHost = (address: string) => address.replace(/^https?:\/\//i, '').replace(/\/+$/, '');

export type Bridges = ReturnType<typeof createBridges>;

export function createBridges(services: PlatformServices) {
  const { database, clock, audit, secrets, logger } = services;
  const db = database.db;

  // M15: exchanges are written in batches, off the caller's path.
  let pending: { bridgeId: string; exchange: CmsExchange; at: Date }[] = [];
  let flushing: Promise<void> | undefined;
  function record(bridgeId: string, exchange: CmsExchange) {
    pending.push({ bridgeId, exchange, at: clock.now() });
    if (!flushing) flushing = Promise.resolve().then(flushTrace);
  }
  async function flushTrace(): Promise<void> {
    while (pending.length) {
      const batch = pending.splice(0, 200);
      await repo
        .insertTrace(
          db,
          batch.map(({ bridgeId, exchange, at }) => {
            const url = new URL(exchange.url);
            return {
              bridgeId,
              at,
              node: exchange.node,
              method: exchange.method,
              path: url.pathname + url.search,
              requestBody: maskForm(exchange.requestBody),
              status: exchange.status,
              size: Buffer.byteLength(exchange.responseBody),
              location: exchange.responseHeaders.location ?? null,
              responseBody: exchange.responseBody ? maskXml(exchange.responseBody).slice(0, 20_000) : null,
              durationMs: Math.round(exchange.durationMs),
              error: exchange.error ?? null,
            };
          }),
        )
        .catch((error) => logger.error({ err: error }, 'writing the bridge API trace failed'));
    }
    flushing = undefined;
  }

  const connectors = new Map<string, CmsConnector>();
  /**
   * One concurrent-request limit per node (`bridgeId|node address`), kept apart from the connectors:
   * a connector is replaced when the bridge's settings change, the count of requests in flight to
   * the node must not be. Each instance takes its share of the bridge's limit
   * (SWITCHBOARD_INSTANCES), so N instances together never exceed it without talking to each other
   * per request.
   */
  const limits = new Map<string, RequestLimit>();
  function limitFor(bridge: { id: string; maxConcurrentRequests?: number | null }, limitKey: string): RequestLimit {
    const share = instanceShare(bridge.maxConcurrentRequests ?? services.config.bridgeMaxConcurrentRequests, services.config.instances);
    const key = `${bridge.id}|${limitKey}`;
    let limit = limits.get(key);
    if (!limit) {
      limit = createRequestLimit(share);
      limits.set(key, limit);
    } else if (limit.limit !== share) {
      limit.setLimit(share);
    }
    return limit;
  }
  /**
   * `trust` is how the address's certificate is checked (a node's pin, see `trustOf`); the key keeps one connector per policy.
   * `limitKey` names the node whose request limit applies (the alternate address reaches the node it stands in for).
   */
  function connectorFor(bridge: Pick<BridgeRow, 'id' | 'username' | 'passwordSealed'> & { maxConcurrentRequests?: number | null }, node: { baseUrl: string; name: string; trust: { key: string; tls: TlsPolicy } }, limitKey = node.baseUrl.replace(/\/+$/, '')): CmsConnector {
    const limit = limitFor(bridge, limitKey);
    const key = `${bridge.id}|${node.baseUrl}|${node.trust.key}|${bridge.username}|${bridge.passwordSealed}`;
    let connector = connectors.get(key);
    if (!connector) {
      connector = createCmsConnector({ baseUrl: node.baseUrl, username: bridge.username, password: secrets.open(bridge.passwordSealed), node: node.name, metrics: services.metrics, tls: node.trust.tls, ca: services.config.tlsCa, onExchange: (exchange) => record(bridge.id, exchange), limit });
      connectors.set(key, connector);
    }
    return connector;
  }
  const nodeBase = (node: NodeRow) => node.address.replace(/\/+$/, '');

  /**
   * How a node's certificate is checked: its pin, a CA's word, or — a node not contacted over HTTPS
   * since certificates are kept (discovered while down, or stored before) — trust on first use: the
   * certificate it presents first is pinned (audited) before anything is sent, because the bridge it
   * belongs to was trusted by the operator or a CA when it was added.
   */
  function trustOf(bridgeId: string, node: Pick<NodeRow, 'id' | 'certificateTrust' | 'certificateFingerprint'>): { key: string; tls: TlsPolicy } {
    if (node.certificateTrust === 'pinned' && node.certificateFingerprint) return { key: `pinned:${node.certificateFingerprint}`, tls: { mode: 'pinned', fingerprint: node.certificateFingerprint } };
    if (node.certificateTrust === 'ca') return { key: 'ca', tls: { mode: 'ca' } };
    return { key: `first-use:${node.id}`, tls: { mode: 'first-use', onFirstUse: (certificate) => pinOnFirstUse(bridgeId, node.id, certificate) } };
  }
  async function pinOnFirstUse(bridgeId: string, nodeId: string, certificate: PeerCertificate) {
    await database.transaction(async (tx) => {
      const node = (await repo.listNodes(tx, bridgeId)).find((n) => n.id === nodeId);
      // Decided meanwhile (an operator's accept, another connection): that decision stands, and the
      // connection is still checked against what was seen first.
      if (!node || node.certificateTrust !== null) return;
      const patch = acceptedCertificate(certificate);
      await repo.updateNode(tx, nodeId, patch);
      await audit.record({ actor: systemActorOf(), action: 'bridge.node-certificate-pin', entityType: 'bridge', entityId: bridgeId, before: { node: node.name, certificateTrust: null }, after: { node: node.name, address: node.address, ...patch, rule: certificate.trusted ? 'a trusted CA vouches for the certificate' : 'pinned on first contact (trust on first use): the bridge was trusted when it was added' } }, tx);
    });
  }
  /** The node a bridge was added by (its address's certificate is that node's). */
  const addedByNode = (bridge: BridgeRow, nodes: NodeRow[]) => nodes.find((n) => n.primary && nodeBase(n) === bridge.baseUrl.replace(/\/+$/, '')) ?? nodes.find((n) => n.primary) ?? nodes[0];

  // M4/M13: the bridge's alternate address (with its own credentials when set) answers for the
  // address the bridge was added by when that one fails. After a failure the alternate is asked
  // first for ALTERNATE_HOLD_MS of clock time, then the primary address is tried again.
  const alternateUntil = new Map<string, number>();
  /** Nodes whose CDRs were seen missing (a leg settled from the API), until when (clock ms). */
  const cdrSilentUntil = new Map<string, number>();
  // The alternate address is the same system reached another way (M13): it must present the
  // certificate pinned for the node the bridge was added by.
  function alternateConnector(bridge: BridgeRow, trust: { key: string; tls: TlsPolicy }): CmsConnector | undefined {
    if (!bridge.alternateAddress) return undefined;
    let baseUrl: string;
    try {
      baseUrl = parseAddress(bridge.alternateAddress, new URL(bridge.baseUrl).protocol === 'https:').baseUrl;
    } catch {
      return undefined;
    }
    if (baseUrl === bridge.baseUrl.replace(/\/+$/, '')) return undefined;
    return connectorFor(
      { id: bridge.id, username: bridge.alternateUsername || bridge.username, passwordSealed: bridge.alternatePasswordSealed ?? bridge.passwordSealed, maxConcurrentRequests: bridge.maxConcurrentRequests },
      { baseUrl, name: `alternate (${displayHost(bridge.alternateAddress)})`, trust },
      bridge.baseUrl.replace(/\/+$/, ''),
    );
  }
  function withAlternate(bridge: BridgeRow, primary: CmsConnector, trust: { key: string; tls: TlsPolicy }): CmsConnector {
    const alternate = alternateConnector(bridge, trust);
    if (!alternate) return primary;
    async function run<T>(method: string, fn: (c: CmsConnector) => Promise<T>): Promise<T> {
      const now = clock.now().getTime();
      const onAlternate = (alternateUntil.get(bridge.id) ?? 0) > now;
      const [first, second] = onAlternate ? [alternate!, primary] : [primary, alternate!];
      try {
        return await fn(first);
      } catch (error) {
        if (!failsOver(error, method)) throw error;
        if (onAlternate) alternateUntil.delete(bridge.id);
        else alternateUntil.set(bridge.id, now + ALTERNATE_HOLD_MS);
        logger.warn({ bridge: bridge.id, from: first.host, to: second.host, err: error }, 'bridge address failed; trying the other one');
        return fn(second);
      }
    }
    return {
      ...primary,
      get: (path, query) => run('GET', (c) => c.get(path, query)),
      post: (path, form) => run('POST', (c) => c.post(path, form)),
      put: (path, form) => run('PUT', (c) => c.put(path, form)),
      delete: (path) => run('DELETE', (c) => c.delete(path)),
      list: (path, singular, query) => run('GET', (c) => c.list(path, singular, query)),
      status: () => run('GET', (c) => c.status()),
      close: async () => undefined,
    };
  }
  /** The node a bridge was added by answers through the alternate address too (M13). */
  const connectorForNode = (bridge: BridgeRow, node: NodeRow) => {
    const trust = trustOf(bridge.id, node);
    const connector = connectorFor(bridge, { baseUrl: nodeBase(node), name: node.name, trust });
    return node.primary && nodeBase(node) === bridge.baseUrl.replace(/\/+$/, '') ? withAlternate(bridge, connector, trust) : connector;
  };
  const primaryConnector = async (bridge: BridgeRow) => {
    const node = addedByNode(bridge, await repo.listNodes(db, bridge.id));
    const trust = node ? trustOf(bridge.id, node) : { key: 'ca', tls: { mode: 'ca' } as TlsPolicy };
    return withAlternate(bridge, connectorFor(bridge, { baseUrl: bridge.baseUrl, name: 'primary', trust }), trust);
  };
  /** Whether the last request to this bridge's address went to its alternate instead. */
  const onAlternate = (bridgeId: string) => (alternateUntil.get(bridgeId) ?? 0) > clock.now().getTime();

  async function getBridge(id: string, tx: Db = db): Promise<BridgeRow> {
    const bridge = await repo.findBridge(tx, id);
    if (!bridge) throw notFound('Bridge', id);
    return bridge;
  }

  /** Opens the tickets whose cause is present and closes those whose cause is gone (M2). */
  async function reconcileTickets(tx: Db, bridge: BridgeRow, causes: Partial<Record<Exclude<TicketKind, 'custom'>, string | false>>) {
    const open = await repo.listTickets(tx, bridge.id, ['open', 'acknowledged']);
    const now = clock.now();
    for (const [kind, cause] of Object.entries(causes) as [Exclude<TicketKind, 'custom'>, string | false][]) {
      const existing = open.find((t) => t.kind === kind);
      if (cause !== false && !existing) {
        const ticket = await repo.insertTicket(tx, { bridgeId: bridge.id, kind, title: TICKETS[kind].title, detail: TICKETS[kind].detail(cause), openedAt: now });
        await audit.record({ actor: systemActorOf(), action: 'ticket.open', entityType: 'bridge', entityId: bridge.id, after: ticket }, tx);
      } else if (cause === false && existing) {
        await repo.updateTicket(tx, existing.id, { state: 'closed', closedAt: now });
        await audit.record({ actor: systemActorOf(), action: 'ticket.close', entityType: 'bridge', entityId: bridge.id, before: existing, after: { ...existing, state: 'closed' } }, tx);
      }
    }
  }

  const configCauses = (b: Pick<BridgeRow, 'name' | 'sipDomain' | 'numericIdBase' | 'numericIdQuantity'>) => ({
    blank_name: b.name.trim() === '' ? 'blank' : (false as const),
    dial_number_config: !b.sipDomain || b.numericIdBase === null || !b.numericIdQuantity ? 'unset' : (false as const),
  });

  /** M5: the cluster's call bridges as /callBridges and /callBridges/{id} describe them. */
  async function discoverNodes(connector: CmsConnector) {
    const listed = await connector.list('callBridges', 'callBridge');
    const nodes: { callBridgeId: string; name: string; address: string }[] = [];
    for (const item of listed) {
      const id = String(item['@_id']);
      const detail = (await connector.get(`/callBridges/${id}`)).callBridge ?? {};
      nodes.push({ callBridgeId: id, name: String(detail.name ?? item.name ?? ''), address: String(detail.address ?? '') });
    }
    return nodes;
  }

  /** The discovered nodes with the address each is reached at (M5) and its host key. */
  function withAddresses(discovered: { callBridgeId: string; name: string; address: string }[], addedBaseUrl: string) {
    return discovered.map((n) => {
      const address = n.address ? inheritAddress(n.address, addedBaseUrl) : null;
      return { ...n, advertised: n.address || null, address: address ?? n.address, hostKey: address ? safeHostKey(address) : '' };
    });
  }

  async function addOne(input: BridgeInput, actor: Actor, cdrBaseUrl: string | undefined) {
    const { baseUrl, hostKey } = parseAddress(input.address, input.tls);
    const timeZone = assertTimeZone(input.timeZone ?? 'UTC');
    const known = await repo.findNodeByHostKey(db, [hostKey]);
    if (known.length) throw await knownNodeError(known[0], input.address);

    const id = crypto.randomUUID();
    const cdrToken = newCdrToken();
    const passwordSealed = secrets.seal(input.password);
    // Before the password goes anywhere: the certificate, trusted by a CA or confirmed by the operator.
    const certificate = await certificateToTrust(baseUrl, input.trustFingerprint, input.address);
    const trust = certificate && !certificate.trusted ? { key: `pinned:${certificate.fingerprint}`, tls: { mode: 'pinned', fingerprint: certificate.fingerprint } as TlsPolicy } : { key: 'ca', tls: { mode: 'ca' } as TlsPolicy };
    const connector = connectorFor({ id, username: input.username, passwordSealed }, { baseUrl, name: displayHost(input.address), trust });
    let status: CmsStatus;
    try {
      status = await connector.status();
    } catch (error) {
      if (error instanceof AppError && (error.details as { reason?: string })?.reason === 'authenticationFailed') {
        throw new AppError('UPSTREAM_REFUSED_CREDENTIALS', `Authentication failed at ${displayHost(input.address)}: check the username and password.`, { reason: 'authenticationFailed', address: input.address });
      }
      throw error;
    }
    const nodeKeys = withAddresses(await discoverNodes(connector), baseUrl);
    const self = nodeKeys.find((n) => n.hostKey === hostKey) ?? nodeKeys[0];
    const others = nodeKeys.filter((n) => n !== self && n.hostKey);
    const knownOthers = await repo.findNodeByHostKey(db, others.map((n) => n.hostKey));
    if (knownOthers.length) throw await knownNodeError(knownOthers[0], displayHost(others.find((n) => n.hostKey === knownOthers[0].hostKey)!.address));
    // The other nodes' certificates, pinned on discovery (trust on first use: the cluster was just
    // trusted); a node that does not answer now is pinned on its first contact.
    const nodeCertificates = new Map<string, PeerCertificate>();
    await Promise.all(
      others.filter((n) => /^https:/i.test(n.address)).map(async (n) => {
        const seen = await probeCertificate(n.address, { system: 'cms', ca: services.config.tlsCa, timeoutMs: 5_000 }).catch(() => undefined);
        if (seen) nodeCertificates.set(n.callBridgeId, seen);
      }),
    );

    // M6: the profiles every scheduled space uses.
    const callProfileId = await connector.post('/callProfiles', { participantLimit: 1000, messageBoardEnabled: false });
    const callLegProfileId = await connector.post('/callLegProfiles', { defaultLayout: 'telepresence', changeLayoutAllowed: true, presentationContributionAllowed: true, presentationViewingAllowed: true, muteSelfAllowed: true, videoMuteSelfAllowed: true });

    const now = clock.now();
    const name = (input.name ?? '').trim();
    const row: BridgeRow = {
      ...(blankBridge as BridgeRow),
      id,
      name,
      address: input.address.trim(),
      baseUrl,
      username: input.username,
      passwordSealed,
      ipZone: input.ipZone ?? null,
      timeZone,
      usageType: input.usageType ?? 'Meeting Room',
      softwareVersion: status.softwareVersion,
      clusterEnabled: status.clusterEnabled,
      connectivity: 'reachable',
      ...statusColumns(status),
      lastPolledAt: now,
      callProfileId,
      callLegProfileId,
      cdrTokenHash: hashCdrToken(cdrToken),
      cdrTokenSealed: secrets.seal(cdrToken),
      labCluster: input.labCluster ?? null,
      createdAt: now,
      updatedAt: now,
    };
    const nodeRows = (self ? nodeKeys : [{ callBridgeId: 'standalone', name: displayHost(input.address), address: baseUrl, advertised: null, hostKey }]).map((n) => ({
      id: crypto.randomUUID(),
      bridgeId: id,
      callBridgeId: n.callBridgeId,
      name: n.name || displayHost(n.address),
      address: n === self ? baseUrl : n.address,
      advertisedAddress: n.advertised,
      addressOverride: null,
      hostKey: n === self ? hostKey : n.hostKey || `${n.callBridgeId}:unknown`,
      primary: n === self || !self,
      healthy: true,
      ...certificateColumns(n === self || !self ? certificate : (nodeCertificates.get(n.callBridgeId) ?? null)),
    }));
    await database.transaction(async (tx) => {
      await repo.insertBridge(tx, row);
      await repo.insertNodes(tx, nodeRows);
      await audit.record({ actor, action: 'bridge.create', entityType: 'bridge', entityId: id, after: publicBridge(row) }, tx);
      await reconcileTickets(tx, row, configCauses(row));
    });
    if (cdrBaseUrl) await registerCdrReceivers(row, cdrBaseUrl).catch((error) => logger.warn({ err: error, bridge: id }, 'CDR receiver registration failed'));
    const warnings = name === '' ? ['The name of the system is blank.'] : [];
    return { id, address: row.address, systemName: name || `No Name (${displayHost(input.address)})`, systemType: row.systemType, description: warnings.length ? 'System added despite warnings' : 'System added', warnings, nodes: nodeRows.length, certificate: certificate ? { ...certificateSummary(certificate), trust: (certificate.trusted ? 'ca' : 'pinned') as 'ca' | 'pinned' } : null };
  }

  const certificateColumns = (certificate: PeerCertificate | null) =>
    certificate ? acceptedCertificate(certificate) : { certificateTrust: null, certificateFingerprint: null, certificate: null, presentedCertificate: null };

  /**
   * M1: an HTTPS address's certificate, read before anything else is sent. One a trusted CA vouches
   * for is taken (and recorded); otherwise the operator must have confirmed its fingerprint, else
   * CERTIFICATE_NOT_TRUSTED carries it to be shown. Null for plain HTTP.
   */
  async function certificateToTrust(baseUrl: string, trustFingerprint: string | undefined, entered: string): Promise<PeerCertificate | null> {
    if (!/^https:/i.test(baseUrl)) return null;
    const certificate = await probeCertificate(baseUrl, { system: 'cms', ca: services.config.tlsCa });
    return trustCertificate(certificate, { trustFingerprint, peer: displayHost(entered), confirmHow: 'If that is the bridge\'s certificate, add it again confirming this fingerprint (trustFingerprint); it is then pinned.', details: { address: entered } });
  }


  /**
   * Meeting history: every node sends its CDRs to Switchboard, each node on its own. The receiver
   * URL carries the token: requests are checked against its hash; a sealed copy lets a later status
   * poll give its receiver to a node that did not answer at add or relink (the base URL of the last
   * add or relink is remembered for that, or SWITCHBOARD_PUBLIC_URL). Bridges added before the
   * sealed copy existed get missed nodes' receivers at their next relink.
   */
  let lastCdrBaseUrl: string | undefined = services.config.publicUrl ?? undefined;
  async function registerCdrReceivers(bridge: BridgeRow, cdrBaseUrl: string | undefined = lastCdrBaseUrl, only?: (node: NodeRow) => boolean) {
    if (!cdrBaseUrl || !bridge.cdrTokenSealed) return;
    lastCdrBaseUrl = cdrBaseUrl;
    const url = `${cdrBaseUrl.replace(/\/+$/, '')}/api/v1/meetings/cdr/${bridge.id}/${secrets.open(bridge.cdrTokenSealed)}`;
    let failure: unknown;
    for (const node of await repo.listNodes(db, bridge.id)) {
      if (node.cdrReceiverId || (only && !only(node))) continue;
      try {
        const receiverId = await connectorForNode(bridge, node).post('/system/cdrReceivers', { url });
        await repo.updateNode(db, node.id, { cdrReceiverId: receiverId });
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure) throw failure;
  }

  function safeHostKey(address: string) {
    try {
      return parseAddress(address).hostKey;
    } catch {
      return '';
    }
  }

  /**
   * Nodes discovered before the advertised address was kept were stored with it as their address
   * (an HTTP cluster's second node at https://…): at the first poll they get the derived address,
   * unless another node already has that host and port.
   */
  async function upgradeNodeAddresses(bridge: BridgeRow, nodes: NodeRow[]): Promise<NodeRow[]> {
    const out: NodeRow[] = [];
    for (const node of nodes) {
      if (node.primary || node.advertisedAddress !== null || node.addressOverride !== null) {
        out.push(node);
        continue;
      }
      const derived = inheritAddress(node.address, bridge.baseUrl);
      const hostKey = derived ? safeHostKey(derived) : '';
      const clash = derived && hostKey !== node.hostKey ? (await repo.findNodeByHostKey(db, [hostKey])).some((n) => n.id !== node.id) : false;
      const patch = derived && hostKey && !clash ? { advertisedAddress: node.address, address: derived, hostKey } : { advertisedAddress: node.address };
      await repo.updateNode(db, node.id, patch);
      out.push({ ...node, ...patch });
    }
    return out;
  }

  async function knownNodeError(node: NodeRow, entered: string, tx: Db = db) {
    const owner = await repo.findBridge(tx, node.bridgeId);
    const through = owner ? displayHost(owner.address) : 'another bridge';
    if (node.primary && owner && safeHostKey(owner.baseUrl) === node.hostKey) {
      return new AppError('ALREADY_EXISTS', `${displayHost(entered)} has already been added.`, { address: entered, bridgeId: node.bridgeId });
    }
    return new AppError('ALREADY_EXISTS', `The ${displayHost(entered)} is part of a clustered call bridge and has already been added through ${through}. Retry after entering a new IP.`, { address: entered, addedThrough: through, bridgeId: node.bridgeId });
  }

  return {
    connectorFor,
    connectorForNode,
    primaryConnector,
    getBridge,
    reconcileTickets,
    configCauses,
    flushTrace: async () => {
      await flushing;
      if (pending.length) await flushTrace();
    },

    /** M1: one or several comma-separated addresses; each result says what happened to it. */
    async add(input: BridgeInput, actor: Actor, cdrBaseUrl?: string) {
      const addresses = input.address.split(',').map((a) => a.trim()).filter(Boolean);
      if (addresses.length === 0) throw new AppError('VALIDATION_FAILED', 'Enter at least one IP address or DNS name.');
      const results = [];
      for (const address of addresses) {
        try {
          results.push({ ...(await addOne({ ...input, address }, actor, cdrBaseUrl)), error: null });
        } catch (error) {
          if (addresses.length === 1 || !(error instanceof AppError)) throw error;
          results.push({ id: null, address, systemName: null, systemType: null, description: error.message, warnings: [], nodes: 0, error: { code: error.code, message: error.message } });
        }
      }
      return results;
    },

    /**
     * A Lab cluster came back (new ports, new password, a fresh configuration): its bridge is pointed
     * at the new address, its nodes follow by name (so meetings keep their node), the profiles and
     * CDR receivers are made again and the pool is marked for a new sync (its parameter set is gone).
     */
    async relinkLab(bridgeId: string, input: { address: string; username: string; password: string; tls?: boolean }, actor: Actor, cdrBaseUrl?: string) {
      const before = await getBridge(bridgeId);
      const { baseUrl, hostKey } = parseAddress(input.address, input.tls);
      const passwordSealed = secrets.seal(input.password);
      // The Lab keeps its certificates across restarts: the node's pin holds at its new port.
      const addedBy = addedByNode(before, await repo.listNodes(db, bridgeId));
      const trust = addedBy ? trustOf(bridgeId, addedBy) : { key: 'ca', tls: { mode: 'ca' } as TlsPolicy };
      const connector = connectorFor({ id: bridgeId, username: input.username, passwordSealed }, { baseUrl, name: displayHost(input.address), trust });
      const status = await connector.status();
      const discovered = withAddresses(await discoverNodes(connector), baseUrl);
      const self = discovered.find((n) => n.hostKey === hostKey) ?? discovered[0];
      const callProfileId = await connector.post('/callProfiles', { participantLimit: 1000, messageBoardEnabled: false });
      const callLegProfileId = await connector.post('/callLegProfiles', { defaultLayout: 'telepresence', changeLayoutAllowed: true, presentationContributionAllowed: true, presentationViewingAllowed: true, muteSelfAllowed: true, videoMuteSelfAllowed: true });
      const now = clock.now();
      // Every node's receiver is made again below: with a new token, whose hash replaces the old one.
      const cdrToken = newCdrToken();
      const after: BridgeRow = {
        ...before,
        cdrTokenHash: hashCdrToken(cdrToken),
        cdrTokenSealed: secrets.seal(cdrToken),
        address: input.address.trim(),
        baseUrl,
        username: input.username,
        passwordSealed,
        softwareVersion: status.softwareVersion,
        clusterEnabled: status.clusterEnabled,
        connectivity: 'reachable',
        ...statusColumns(status),
        lastPolledAt: now,
        callProfileId,
        callLegProfileId,
        bulkParameterSetId: null,
        poolState: 'none',
        updatedAt: now,
      };
      await database.transaction(async (tx) => {
        const old = await repo.listNodes(tx, bridgeId);
        const list = self ? discovered : [{ callBridgeId: 'standalone', name: displayHost(input.address), address: baseUrl, advertised: null, hostKey }];
        const rows = list.map((n) => {
          const previous = old.find((o) => o.name === (n.name || displayHost(n.address)));
          // The operator's override stays: it is how this node is reached, whatever the cluster says.
          const override = n === self ? null : (previous?.addressOverride ?? null);
          return {
            id: previous?.id ?? crypto.randomUUID(),
            bridgeId,
            callBridgeId: n.callBridgeId,
            name: n.name || displayHost(n.address),
            address: override ?? (n === self ? baseUrl : n.address),
            advertisedAddress: n.advertised,
            addressOverride: override,
            hostKey: override ? safeHostKey(override) : n === self ? hostKey : n.hostKey || `${n.callBridgeId}:unknown`,
            primary: n === self || !self,
            healthy: true,
            lastError: null,
            cdrReceiverId: null,
            certificateTrust: previous?.certificateTrust ?? null,
            certificateFingerprint: previous?.certificateFingerprint ?? null,
            certificate: previous?.certificate ?? null,
            presentedCertificate: previous?.presentedCertificate ?? null,
          };
        });
        // Deleted and inserted again (same ids): the new ports may swap host keys between nodes.
        await repo.deleteNodes(tx, bridgeId);
        await repo.insertNodes(tx, rows);
        await repo.updateBridge(tx, bridgeId, { address: after.address, baseUrl, username: after.username, passwordSealed, softwareVersion: after.softwareVersion, clusterEnabled: after.clusterEnabled, connectivity: 'reachable', ...statusColumns(status), lastPolledAt: now, callProfileId, callLegProfileId, bulkParameterSetId: null, poolState: 'none', cdrTokenHash: after.cdrTokenHash, cdrTokenSealed: after.cdrTokenSealed, updatedAt: now });
        await audit.record({ actor, action: 'bridge.relink', entityType: 'bridge', entityId: bridgeId, before: publicBridge(before), after: publicBridge(after) }, tx);
      });
      for (const [key, stale] of Array.from(connectors.entries())) {
        if (!key.startsWith(`${bridgeId}|`) || key.endsWith(`|${passwordSealed}`)) continue;
        connectors.delete(key);
        await stale.close().catch(() => undefined);
      }
      if (cdrBaseUrl) await registerCdrReceivers(after, cdrBaseUrl).catch((error) => logger.warn({ err: error, bridge: bridgeId }, 'CDR receiver registration failed'));
      return after;
    },

    /**
     * M4/M5: the operator says how a node is reached (a NAT, another interface, a port the cluster
     * does not advertise). `null` goes back to the address derived from what the cluster advertises.
     * Kept across relinks; the node is polled at it from the next status poll on.
     */
    async setNodeAddress(bridgeId: string, nodeId: string, address: string | null, actor: Actor, cdrBaseUrl?: string) {
      const bridge = await getBridge(bridgeId);
      const updated = await database.transaction(async (tx) => {
        const node = (await repo.listNodes(tx, bridgeId)).find((n) => n.id === nodeId);
        if (!node) throw notFound('Node', nodeId);
        const tls = new URL(bridge.baseUrl).protocol === 'https:';
        let effective: string;
        let hostKey: string;
        if (address !== null) {
          ({ baseUrl: effective, hostKey } = parseAddress(address, tls));
        } else if (node.advertisedAddress && !(node.primary && safeHostKey(bridge.baseUrl) === safeHostKey(inheritAddress(node.advertisedAddress, bridge.baseUrl) ?? ''))) {
          effective = inheritAddress(node.advertisedAddress, bridge.baseUrl) ?? node.advertisedAddress;
          hostKey = safeHostKey(effective) || `${node.callBridgeId}:unknown`;
        } else if (node.primary) {
          effective = bridge.baseUrl;
          hostKey = safeHostKey(bridge.baseUrl);
        } else {
          throw new AppError('INVALID_STATE', `The cluster advertises no address for ${node.name}; enter one.`, { nodeId });
        }
        const clash = (await repo.findNodeByHostKey(tx, [hostKey])).find((n) => n.id !== nodeId);
        // Inside the transaction: the embedded database has one connection, so its `tx` it is.
        if (clash) throw await knownNodeError(clash, effective, tx);
        const patch = { address: effective, hostKey, addressOverride: address === null ? null : effective, healthy: true, lastError: null };
        await repo.updateNode(tx, nodeId, patch);
        const after = { ...node, ...patch };
        await audit.record({ actor, action: 'bridge.node-address', entityType: 'bridge', entityId: bridgeId, before: publicNode(node), after: publicNode(after) }, tx);
        return after;
      });
      if (!updated.cdrReceiverId) await registerCdrReceivers(bridge, cdrBaseUrl ?? lastCdrBaseUrl, (n) => n.id === nodeId).catch((error) => logger.warn({ err: error, bridge: bridgeId }, 'CDR receiver registration failed'));
      return publicNode((await repo.listNodes(db, bridgeId)).find((n) => n.id === nodeId)!);
    },

    async close() {
      await this.flushTrace();
      for (const connector of connectors.values()) await connector.close().catch(() => undefined);
      connectors.clear();
    },

    /** M3: one GET /system/status per node; node health drives failover (M13). */
    async poll(bridgeId: string) {
      const bridge = await getBridge(bridgeId);
      const nodes = await upgradeNodeAddresses(bridge, await repo.listNodes(db, bridgeId));
      const results = await Promise.all(
        nodes.map(async (node) => {
          try {
            return { node, status: await connectorForNode(bridge, node).status(), error: undefined };
          } catch (error) {
            return { node, status: undefined, error: error as AppError };
          }
        }),
      );
      const viaAlternate = onAlternate(bridgeId);
      const primary = results.find((r) => r.node.primary) ?? results[0];
      const authFailed = results.find((r) => (r.error?.details as { reason?: string } | undefined)?.reason === 'authenticationFailed');
      const reachable = results.filter((r) => r.status);
      const source = primary?.status ? primary : reachable[0];
      const certificateFailed = results.filter((r) => isCertificateError(r.error));
      const newlyDown: NodeRow[] = [];
      await database.transaction(async (tx) => {
        const current = (await repo.findBridge(tx, bridgeId, { forUpdate: true }))!;
        // Read again under the bridge's lock: a certificate accepted while this poll ran is not "changed".
        const fresh = new Map((await repo.listNodes(tx, bridgeId)).map((n) => [n.id, n]));
        for (const r of results) {
          const accepted = fresh.get(r.node.id)?.certificateFingerprint ?? r.node.certificateFingerprint;
          const healthy = !r.error;
          if (r.node.healthy && !healthy) newlyDown.push(r.node);
          // Healthy, but only through the alternate address (M13): said where the operator looks.
          const note = healthy && r.node.primary && viaAlternate ? `${displayHost(bridge.baseUrl)} does not answer; reached through the alternate address ${displayHost(bridge.alternateAddress ?? '')}.` : null;
          const lastError = r.error?.message ?? note;
          // The certificate it presents instead of the accepted one; kept while it does not answer.
          const refusedCertificate = isCertificateError(r.error) ? certificateOfError(r.error) : null;
          const presented = refusedCertificate ? (refusedCertificate.fingerprint === accepted ? null : refusedCertificate) : r.error ? (fresh.get(r.node.id)?.presentedCertificate ?? null) : null;
          const presentedChanged = (presented?.fingerprint ?? null) !== (r.node.presentedCertificate?.fingerprint ?? null);
          if (r.node.healthy !== healthy || (r.node.lastError ?? null) !== lastError || presentedChanged) {
            await repo.updateNode(tx, r.node.id, { healthy, lastError, ...(presentedChanged ? { presentedCertificate: presented } : {}) });
          }
          r.node = { ...r.node, certificateFingerprint: accepted, presentedCertificate: presented };
        }
        const connectivity = authFailed && !reachable.length ? 'auth_failed' : certificateFailed.length && !reachable.length ? 'certificate_changed' : primary?.status ? 'reachable' : reachable.length ? 'degraded' : 'unreachable';
        await repo.updateBridge(tx, bridgeId, { connectivity, lastPolledAt: clock.now(), ...(source?.status ? { ...statusColumns(source.status), softwareVersion: source.status.softwareVersion, clusterEnabled: source.status.clusterEnabled } : {}) });
        const down = results.filter((r) => r.error && r !== authFailed && !isCertificateError(r.error));
        await reconcileTickets(tx, current, {
          unreachable: down.length ? down.map((r) => `${r.node.name} (${displayHost(r.node.address)}): ${r.error!.message}`).join('; ') : false,
          auth_failed: authFailed ? authFailed.error!.message : false,
          certificate_changed: certificateChangeCause(results.map((r) => r.node)),
        });
      });
      // Nodes that were not reached when the bridge was added get their CDR receiver now.
      const up = new Set(reachable.map((r) => r.node.id));
      if (reachable.some((r) => !r.node.cdrReceiverId)) {
        await registerCdrReceivers(bridge, undefined, (n) => up.has(n.id)).catch((error) => logger.warn({ err: error, bridge: bridgeId }, 'CDR receiver registration failed'));
      }
      // Dial-outs whose outcome no CDR told (M9/M10).
      const nowMs = clock.now().getTime();
      const silent = new Set([...cdrSilentUntil].filter(([, until]) => until > nowMs).map(([nodeId]) => nodeId));
      const legs = await readLegOutcomes({ db, clock, logger }, bridge, (await repo.listNodes(db, bridgeId)).filter((n) => up.has(n.id)), connectorForNode, silent).catch((error) => {
        logger.warn({ err: error, bridge: bridgeId }, 'reading dial-out outcomes failed');
        return { read: 0, settled: 0, missedCdrs: new Set<string>() };
      });
      for (const nodeId of legs.missedCdrs) cdrSilentUntil.set(nodeId, nowMs + CDR_SILENCE_MS);
      return { connectivity: reachable.length ? 'reachable' : 'unreachable', newlyDown, down: results.filter((r) => r.error).map((r) => r.node.id), legsSettled: legs.settled };
    },

    /**
     * The operator accepts the certificate a node presents now (a renewed one: the Certificate
     * Changed ticket names it). The fingerprint confirmed must be the one the node presents; it is
     * pinned (or, if a trusted CA vouches for it, the node is trusted by CA again), and the ticket
     * closes once no node of the bridge presents an unaccepted certificate.
     */
    async acceptCertificate(bridgeId: string, nodeId: string, fingerprint: string, actor: Actor) {
      const node = (await repo.listNodes(db, bridgeId)).find((n) => n.id === nodeId);
      if (!node) {
        await getBridge(bridgeId);
        throw notFound('Node', nodeId);
      }
      if (!/^https:/i.test(node.address)) throw new AppError('INVALID_STATE', `${node.name} is reached over plain HTTP (${displayHost(node.address)}): it has no certificate.`, { nodeId });
      const confirmed = normalizeFingerprint(fingerprint);
      const seen = await probeCertificate(nodeBase(node), { system: 'cms', ca: services.config.tlsCa });
      if (seen.fingerprint !== confirmed) {
        throw new AppError('CERTIFICATE_NOT_TRUSTED', `${node.name} (${displayHost(node.address)}) presents the certificate with SHA-256 fingerprint ${seen.fingerprint}, not the one confirmed (${confirmed ?? fingerprint}); nothing was changed.`, { nodeId, certificate: certificateSummary(seen), confirmedFingerprint: confirmed ?? fingerprint });
      }
      const updated = await database.transaction(async (tx) => {
        const bridge = await repo.findBridge(tx, bridgeId, { forUpdate: true });
        if (!bridge) throw notFound('Bridge', bridgeId);
        const nodes = await repo.listNodes(tx, bridgeId);
        const before = nodes.find((n) => n.id === nodeId)!;
        const patch = { ...acceptedCertificate(seen), healthy: true, lastError: null };
        await repo.updateNode(tx, nodeId, patch);
        const after = { ...before, ...patch };
        await audit.record({ actor, action: 'bridge.node-certificate-accept', entityType: 'bridge', entityId: bridgeId, before: { node: before.name, certificateTrust: before.certificateTrust, certificateFingerprint: before.certificateFingerprint }, after: { node: after.name, certificateTrust: after.certificateTrust, certificateFingerprint: after.certificateFingerprint, certificate: after.certificate } }, tx);
        await reconcileTickets(tx, bridge, { certificate_changed: certificateChangeCause(nodes.map((n) => (n.id === nodeId ? after : n))) });
        return after;
      });
      for (const [key, stale] of Array.from(connectors.entries())) {
        if (!key.startsWith(`${bridgeId}|`)) continue;
        connectors.delete(key);
        await stale.close().catch(() => undefined);
      }
      return publicNode(updated);
    },

    async update(id: string, patch: SettingsPatch, actor: Actor) {
      const result = await database.transaction(async (tx) => {
        const before = await repo.findBridge(tx, id, { forUpdate: true });
        if (!before) throw notFound('Bridge', id);
        const changes: Partial<BridgeRow> = {};
        for (const [key, value] of Object.entries(patch)) {
          if (value === undefined || key === 'password' || key === 'alternatePassword') continue;
          (changes as Record<string, unknown>)[key] = typeof value === 'string' ? value.trim() : value;
        }
        if (patch.password !== undefined) changes.passwordSealed = secrets.seal(patch.password);
        if (patch.alternatePassword !== undefined) changes.alternatePasswordSealed = patch.alternatePassword === null ? null : secrets.seal(patch.alternatePassword);
        if (patch.timeZone) assertTimeZone(patch.timeZone);
        const after = { ...before, ...changes, updatedAt: clock.now() } as BridgeRow;
        if (after.numericIdBase !== null && after.numericIdQuantity && after.numericIdBase + after.numericIdQuantity - 1 > 9_999_999_999) {
          throw new AppError('VALIDATION_FAILED', 'Numeric ID Base plus Numeric ID Quantity must stay below 10,000,000,000.', { numericIdBase: after.numericIdBase, numericIdQuantity: after.numericIdQuantity });
        }
        if (patch.numericIdQuantity !== undefined && before.poolSize > (patch.numericIdQuantity ?? 0)) {
          await repo.lockBridgeSchedule(tx, id);
          const holds = await repo.overlappingHolds(tx, id, clock.now(), FAR_FUTURE);
          const peak = peakOverlap(holds.map((h) => [h.holdFrom.getTime(), h.endAt.getTime()]));
          if (peak.count > (patch.numericIdQuantity ?? 0)) {
            throw new AppError('CONFLICT', `The pool cannot shrink to ${patch.numericIdQuantity ?? 0}: ${peak.count} meetings are booked at the same time at ${new Date(peak.at).toISOString()}.`, { peak: peak.count, at: new Date(peak.at) });
          }
        }
        await repo.updateBridge(tx, id, { ...changes, updatedAt: after.updatedAt });
        await audit.record({ actor, action: 'bridge.update', entityType: 'bridge', entityId: id, before: publicBridge(before), after: publicBridge(after) }, tx);
        await reconcileTickets(tx, after, configCauses(after));
        const poolChanged = ['sipDomain', 'numericIdBase', 'numericIdQuantity', 'spaceNamePrefix'].some((k) => (patch as Record<string, unknown>)[k] !== undefined && (before as Record<string, unknown>)[k] !== (after as Record<string, unknown>)[k]);
        const poolReady = !!after.sipDomain && after.numericIdBase !== null && !!after.numericIdQuantity;
        return { after, syncPool: poolChanged && poolReady };
      });
      for (const key of Array.from(connectors.keys())) if (key.startsWith(`${id}|`)) connectors.delete(key);
      alternateUntil.delete(id);
      return result;
    },

    async addCustomTicket(bridgeId: string, input: { title: string; detail: string }, actor: Actor) {
      return database.transaction(async (tx) => {
        const bridge = await repo.findBridge(tx, bridgeId);
        if (!bridge) throw notFound('Bridge', bridgeId);
        const ticket = await repo.insertTicket(tx, { bridgeId, kind: 'custom', title: input.title, detail: input.detail, openedAt: clock.now() });
        await audit.record({ actor, action: 'ticket.create', entityType: 'bridge', entityId: bridgeId, after: ticket }, tx);
        return ticket;
      });
    },

    async setTicketState(bridgeId: string, ticketId: number, state: 'acknowledged' | 'closed', actor: Actor) {
      return database.transaction(async (tx) => {
        const ticket = (await repo.listTickets(tx, bridgeId)).find((t) => t.id === ticketId);
        if (!ticket) throw notFound('Ticket', ticketId);
        if (ticket.state === 'closed') throw new AppError('INVALID_STATE', `Ticket #${ticketId} is already closed.`);
        const patch = { state, closedAt: state === 'closed' ? clock.now() : null };
        await repo.updateTicket(tx, ticketId, patch);
        await audit.record({ actor, action: `ticket.${state === 'closed' ? 'close' : 'acknowledge'}`, entityType: 'bridge', entityId: bridgeId, before: ticket, after: { ...ticket, ...patch } }, tx);
        return { ...ticket, ...patch };
      });
    },

    async remove(id: string, actor: Actor) {
      await database.transaction(async (tx) => {
        const bridge = await repo.findBridge(tx, id, { forUpdate: true });
        if (!bridge) throw notFound('Bridge', id);
        const holds = await repo.overlappingHolds(tx, id, clock.now(), FAR_FUTURE);
        if (holds.length) throw new AppError('INVALID_STATE', `The bridge has ${holds.length} booked or running meetings; cancel or move them first.`, { meetings: holds.length });
        await repo.deleteBridge(tx, id);
        await audit.record({ actor, action: 'bridge.delete', entityType: 'bridge', entityId: id, before: publicBridge(bridge) }, tx);
      });
    },
  };
}

export type SettingsPatch = Partial<{
  name: string;
  username: string;
  password: string;
  ipZone: string | null;
  timeZone: string;
  usageType: string;
  sipDomain: string | null;
  numericIdBase: number | null;
  numericIdQuantity: number | null;
  alternateAddress: string | null;
  alternateUsername: string | null;
  alternatePassword: string | null;
  maxConcurrentRequests: number | null;
  sipMode: boolean;
  allowBooking: boolean;
  allowIncomingSip: boolean;
  allowOutgoingSip: boolean;
  webBridgeUri: string | null;
  endWarningMinutes: number[];
  spaceNamePrefix: string;
}>;

/** The certificate a refused connection saw (CERTIFICATE_CHANGED / CERTIFICATE_NOT_TRUSTED details). */
function certificateOfError(error: AppError): CertificateSummary | null {
  const certificate = (error.details as { certificate?: PeerCertificate } | undefined)?.certificate;
  return certificate ? certificateSummary(certificate) : null;
}

/** The Certificate Changed ticket's cause: each node presenting a certificate not accepted, old and new fingerprints. */
function certificateChangeCause(nodes: NodeRow[]): string | false {
  const changed = nodes.filter((n) => n.presentedCertificate);
  if (!changed.length) return false;
  return changed
    .map((n) => `${n.name} (${displayHost(n.address)}) presents a certificate other than the one accepted: accepted SHA-256 ${n.certificateFingerprint ?? '(none)'}, presented SHA-256 ${n.presentedCertificate!.fingerprint} (${n.presentedCertificate!.subject}, issued by ${n.presentedCertificate!.issuer}, valid until ${n.presentedCertificate!.validTo.slice(0, 10)}). Nothing is sent to it until the new certificate is accepted.`)
    .join('; ');
}

function systemActorOf(): Actor {
  return { type: 'system', id: null, name: 'meetings', role: 'system', customerOrgId: null };
}

const blankBridge: Partial<BridgeRow> = {
  ipZone: null, softwareVersion: null, uptimeSeconds: null, callLegsActive: null, callLegsMaxActive: null, callLegsCompleted: null,
  audioBitRateOutgoing: null, audioBitRateIncoming: null, videoBitRateOutgoing: null, videoBitRateIncoming: null, lastPolledAt: null,
  sipDomain: null, numericIdBase: null, numericIdQuantity: null, alternateAddress: null, alternateUsername: null, alternatePasswordSealed: null, maxConcurrentRequests: null,
  sipMode: true, allowBooking: true, allowIncomingSip: true, allowOutgoingSip: true, webBridgeUri: null, endWarningMinutes: [],
  callProfileId: null, callLegProfileId: null, spaceNamePrefix: 'TMS_Scheduled_Meeting_', bulkParameterSetId: null, poolState: 'none', poolSize: 0,
  systemType: 'Cisco Meeting Server', cdrTokenHash: null, cdrTokenSealed: null, labCluster: null,
};

function statusColumns(s: CmsStatus) {
  return {
    uptimeSeconds: s.uptimeSeconds,
    callLegsActive: s.callLegsActive,
    callLegsMaxActive: s.callLegsMaxActive,
    callLegsCompleted: s.callLegsCompleted,
    audioBitRateOutgoing: s.audioBitRateOutgoing,
    audioBitRateIncoming: s.audioBitRateIncoming,
    videoBitRateOutgoing: s.videoBitRateOutgoing,
    videoBitRateIncoming: s.videoBitRateIncoming,
  };
}

const newCdrToken = () => crypto.randomBytes(18).toString('base64url');

/** The CDR receiver token as stored: SHA-256, hex (the token is random, so no salt or slow hash is needed). */
export const hashCdrToken = (token: string) => crypto.createHash('sha256').update(token, 'utf8').digest('hex');

/** What the API shows of a bridge: never a password, sealed or not, nor the CDR token's hash. */
export function publicBridge(b: BridgeRow) {
  const { passwordSealed: _p, alternatePasswordSealed, cdrTokenHash: _t, cdrTokenSealed: _s, ...rest } = b;
  return { ...rest, alternatePasswordSet: alternatePasswordSealed !== null, status: (b.callLegsActive ?? 0) > 0 ? 'In use' : 'Idle' };
}

/** What the API shows of a node. */
export function publicNode(n: NodeRow) {
  const { hostKey: _k, cdrReceiverId, ...rest } = n;
  return { ...rest, cdrReceiver: cdrReceiverId !== null };
}

/** The most intervals [from, to) that overlap at one instant, and the first instant it happens. */
export function peakOverlap(intervals: [number, number][]): { count: number; at: number } {
  const events: [number, number][] = [];
  for (const [from, to] of intervals) events.push([from, 1], [to, -1]);
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let best = { count: 0, at: 0 };
  for (const [at, delta] of events) {
    current += delta;
    if (current > best.count) best = { count: current, at };
  }
  return best;
}
