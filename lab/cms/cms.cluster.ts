// createCmsCluster: N simulated Call Bridges, each its own HTTP(S) listener, sharing one space
// configuration store (as clustered CMS shares its database) while calls, legs and CDR receivers stay on
// the bridge that owns them. Faults, the API trace and the dial-in hook are reached through functions
// here and through the lab control API (/lab/v1, outside /api/v1) — on every node listener and, if
// `controlPort` is set, on a separate listener that stays up while a node is "down".
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { AppError } from '../../platform/errors.ts';
import { systemClock, type Clock } from '../../platform/clock.ts';
import { createCmsStore, type Form, type StoreOptions } from './cms.store.ts';
import { createCallBridge, DEFAULT_DIAL_RULES, DEFAULT_TIMING, type CallBridge, type ClusterShared, type DialRule, type Timing } from './cms.bridge.ts';
import { createTimeline } from './cms.timeline.ts';
import { failureReply, handleApi, type CmsReply } from './cms.api.ts';
import { createTraceLog, formatTraceEntry, type TraceEntry, type TraceLog } from './cms.trace.ts';
import { fingerprintOf, generateCertificate, loadCertificate, loadOrCreateCertificate, saveCertificate, type TlsMaterial } from './cms.tls.ts';

export type CmsUser = { name: string; password: string };

export type CmsNodeOptions = {
  name: string;
  host?: string;
  /** 0 = ephemeral. */
  port?: number;
  https?: boolean;
  /** What /callBridges shows as this bridge's address; default its own base URL. */
  address?: string;
  callBridgeId?: string;
  /** Per-node API users; default the cluster's. */
  users?: CmsUser[];
};

export type CmsFailNext = { path: string; method?: string; count: number; status?: number; body?: string };

/** null, false or undefined clears that fault; omitted keys keep theirs. */
export type CmsFaultsPatch = { [K in keyof CmsFaults]?: CmsFaults[K] | null };

export type CmsFaults = {
  /** Connections refused: the node's listener is closed. */
  down?: boolean;
  /** Requests are accepted and never answered. */
  hang?: boolean;
  /** Added latency before every answer (clock time). */
  slowMs?: number;
  /** 503 Service Unavailable for every API request. */
  busy?: boolean;
  /** 401 with the acano challenge for every API request, whatever the credentials. */
  unauthorized?: boolean;
  /** XML bodies are cut short (unclosed elements). */
  malformedXml?: boolean;
  /** A different server page cap. */
  pageCap?: number;
  /** Scripted failures of the next N requests whose path starts with `path` (case-insensitive). */
  failNext?: CmsFailNext[];
};

/**
 * Ways real clusters differ from the default Lab one, settable at run time (the Lab API's
 * `/api/v1/lab/cms/{cluster}/settings`, `setVariance`). They apply to the whole cluster.
 */
export type CmsVariance = {
  /**
   * /callBridges shows each node's address with this scheme instead of the one it listens with (a
   * cluster whose Call Bridge table says https while the operator reaches it over plain HTTP).
   */
  advertiseScheme?: 'http' | 'https' | null;
  /** false: the bridges send no CDRs to any receiver (none configured, unreachable, lost). Default true. */
  cdrs?: boolean;
  /** The server's page cap for collection GETs, whatever `limit` asks (default the cluster's `pageCap`). */
  pageCap?: number | null;
  /** A node that restarts (comes back from `down`, or `restart()`) has forgotten every bulk sync. */
  forgetBulkSyncsOnRestart?: boolean;
  /**
   * API requests one node serves at once; one more arriving is answered `throttleStatus` at once, as
   * a busy CMS does ("503 … a temporary busy condition … re-attempt the same method later", API
   * reference). null: no limit (the default).
   */
  maxConcurrentRequests?: number | null;
  /** The answer beyond `maxConcurrentRequests`: 503 (the CMS's, the default) or 429 (with Retry-After: 1). */
  throttleStatus?: 503 | 429 | null;
};

/** What a node saw of concurrent API requests since the cluster started (or `resetConcurrency`). */
export type CmsConcurrency = { node: string; inFlight: number; peak: number; throttled: number; requests: number };

export type DialInRequest = {
  /** Full SIP URI (user@domain) or bare user part, or … */
  uri?: string;
  /** … a call ID typed at the IVR. */
  callId?: string;
  passcode?: string;
  /** The calling endpoint; default `uri`. */
  remoteParty?: string;
  displayName?: string;
  /** A member's JID: members get in even when nonMemberAccess is false. */
  userJid?: string;
  /** Node that receives the call; default the first. */
  node?: string;
};

export type DialInResult =
  | { admitted: true; callId: string; callLegId: string; participantId: string; coSpaceId: string; node: string }
  | { admitted: false; reason: 'noInboundRule' | 'noSuchSpace' | 'wrongPasscode' | 'nonMemberAccessDenied' | 'participantLimitReached' | 'tenantParticipantLimitReached' | 'nodeDown' };

export type CreateCmsClusterOptions = {
  name?: string;
  nodes: CmsNodeOptions[];
  /** API users of every node (default admin/admin). */
  users?: CmsUser[];
  /** Server page cap for collection GETs (default 10). */
  pageCap?: number;
  clock?: Clock;
  /** What dial-outs do, by remote party; appended before the defaults. */
  dialRules?: DialRule[];
  timing?: Partial<Timing>;
  softwareVersion?: string;
  /**
   * Where the self-signed certificate lives (default .tmp/cms-lab-tls). Only when given are rotated
   * node certificates kept there (`cms-lab-<cluster>-<node>`), so they survive a restart.
   */
  certDir?: string;
  tls?: TlsMaterial;
  /** A separate always-on listener for /lab/v1 (0 = ephemeral; undefined = none). */
  controlPort?: number;
  controlHost?: string;
  /** Default true: dial-outs need a matching outbound dial plan rule, dial-ins an inbound one. */
  enforceDialPlan?: boolean;
  traceCapacity?: number;
  /** Background timeline loop period with the real clock; the loop is skipped when 0. */
  tickMs?: number;
  variance?: CmsVariance;
} & StoreOptions;

export type CmsNode = {
  name: string;
  callBridgeId: string;
  /** e.g. http://127.0.0.1:41234 — valid after start(). */
  baseUrl: string;
  port: number;
  host: string;
  https: boolean;
  bridge: CallBridge;
  trace: TraceLog;
  faults: CmsFaults;
};

type NodeRuntime = CmsNode & {
  concurrency: { inFlight: number; peak: number; throttled: number; requests: number };
  server?: Server;
  /** Its own certificate once rotated; else the cluster's. */
  tls?: TlsMaterial;
  sockets: Set<Socket>;
  hanging: Set<ServerResponse>;
  users: CmsUser[];
  authCache: Map<string, string>;
  options: CmsNodeOptions;
};

const XML_TYPE = 'text/xml';
const CHALLENGE = 'Basic realm="acano"';
const MAX_BODY = 1_000_000;

export type CmsCluster = Awaited<ReturnType<typeof createCmsCluster>>;

export async function createCmsCluster(options: CreateCmsClusterOptions) {
  const clock = options.clock ?? systemClock;
  const clusterName = options.name ?? 'cms';
  const users = options.users ?? [{ name: 'admin', password: 'admin' }];
  const timing: Timing = { ...DEFAULT_TIMING, ...options.timing };
  const store = createCmsStore({ lenientBooleans: options.lenientBooleans, bulkMaxRange: options.bulkMaxRange });
  const timeline = createTimeline(clock);
  const enforce = options.enforceDialPlan ?? true;
  const shared: ClusterShared = {
    store,
    participants: new Map(),
    clock,
    timeline,
    timing,
    dialRules: [...(options.dialRules ?? []), ...DEFAULT_DIAL_RULES],
    enforceOutboundRules: enforce,
    enforceInboundRules: enforce,
  };
  const defaultPageCap = options.pageCap ?? 10;
  const variance: { advertiseScheme: 'http' | 'https' | null; cdrs: boolean; pageCap: number | null; forgetBulkSyncsOnRestart: boolean; maxConcurrentRequests: number | null; throttleStatus: 503 | 429 | null } = { advertiseScheme: null, cdrs: true, pageCap: null, forgetBulkSyncsOnRestart: false, maxConcurrentRequests: null, throttleStatus: null };
  const anyHttps = options.nodes.some((n) => n.https);
  const tls = anyHttps ? (options.tls ?? (await loadOrCreateCertificate(options.certDir ?? '.tmp/cms-lab-tls', [...new Set(options.nodes.map((n) => n.host ?? '127.0.0.1'))]))) : undefined;
  const startedAt = clock.now().getTime();
  const hostnames = [...new Set(options.nodes.map((n) => n.host ?? '127.0.0.1'))];
  const nodeCertName = (name: string) => `cms-lab-${clusterName}-${name}`.replace(/[^A-Za-z0-9._-]/g, '_');
  const nodeCerts = new Map<string, TlsMaterial>();
  if (anyHttps && options.certDir) {
    for (const n of options.nodes) {
      const own = await loadCertificate(options.certDir, nodeCertName(n.name));
      if (own) nodeCerts.set(n.name, own);
    }
  }

  const nodes: NodeRuntime[] = options.nodes.map((opts) => {
    const callBridgeId = opts.callBridgeId ?? randomUUID();
    const host = opts.host ?? '127.0.0.1';
    const bridge = createCallBridge({
      name: opts.name,
      callBridgeId,
      address: opts.address ?? '',
      shared,
      softwareVersion: options.softwareVersion ?? '2.9.1',
      startedAt,
      clusterEnabled: options.nodes.length > 1,
    });
    return {
      name: opts.name,
      callBridgeId,
      baseUrl: '',
      port: opts.port ?? 0,
      host,
      https: opts.https ?? false,
      bridge,
      trace: createTraceLog(options.traceCapacity ?? 2000),
      faults: {},
      concurrency: { inFlight: 0, peak: 0, throttled: 0, requests: 0 },
      sockets: new Set(),
      hanging: new Set(),
      users: opts.users ?? users,
      authCache: new Map(),
      options: opts,
      tls: nodeCerts.get(opts.name),
    };
  });
  const bridges = nodes.map((n) => n.bridge);

  function nodeByName(name: string): NodeRuntime {
    const node = nodes.find((n) => n.name.toLowerCase() === name.toLowerCase());
    if (!node) throw new AppError('NOT_FOUND', `No node ${name} in cluster ${clusterName}.`, { node: name });
    return node;
  }

  // ---- request handling ----------------------------------------------------------------------------

  function authorised(node: NodeRuntime, header: string | undefined): boolean {
    if (!header) return false;
    if (node.authCache.has(header)) return true;
    const match = /^Basic\s+(.+)$/i.exec(header);
    if (!match) return false;
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const name = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const ok = colon > 0 && node.users.some((u) => u.name === name && u.password === password);
    if (ok && node.authCache.size < 1000) node.authCache.set(header, name);
    return ok;
  }

  function send(res: ServerResponse, entry: TraceEntry, node: NodeRuntime, reply: CmsReply & { challenge?: boolean; contentType?: string }) {
    const headers: Record<string, string | number> = {};
    let body = reply.body ?? '';
    if (body && node.faults.malformedXml && (reply.contentType ?? XML_TYPE) === XML_TYPE) {
      body = body.slice(0, Math.max(1, Math.floor(body.length * 0.6)));
      entry.fault = 'malformedXml';
    }
    if (body) headers['Content-Type'] = reply.contentType ?? XML_TYPE;
    headers['Content-Length'] = Buffer.byteLength(body);
    if (reply.location) headers.Location = reply.location;
    if (reply.challenge) headers['WWW-Authenticate'] = CHALLENGE;
    entry.status = reply.status;
    entry.size = headers['Content-Length'] as number;
    entry.location = reply.location;
    entry.challenge = reply.challenge;
    entry.responseBody = body || undefined;
    res.writeHead(reply.status, headers);
    res.end(body);
    node.trace.finish(entry);
  }

  function parseForm(body: string): Form {
    const form: Form = new Map();
    if (!body) return form;
    for (const [key, value] of new URLSearchParams(body)) if (key) form.set(key, value);
    return form;
  }

  function readBody(req: IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY) {
          reject(new AppError('BODY_TOO_LARGE', 'Request body too large.'));
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => resolve(chunks.length === 0 ? '' : Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
  }

  async function onRequest(node: NodeRuntime, req: IncomingMessage, res: ServerResponse) {
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (path.startsWith('/lab/')) return onControl(req, res, node);
    const from = req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '';
    const entry = node.trace.begin({ at: clock.now().toISOString(), method, path, from });
    // In flight from arrival until the answer is written or the client goes away; the peak counts
    // the requests refused for the limit too, so a peak at or below the limit means none were.
    const seen = node.concurrency;
    seen.requests++;
    seen.inFlight++;
    if (seen.inFlight > seen.peak) seen.peak = seen.inFlight;
    res.once('close', () => seen.inFlight--);
    if (variance.maxConcurrentRequests !== null && seen.inFlight > variance.maxConcurrentRequests) {
      seen.throttled++;
      entry.fault = 'throttled';
      req.resume();
      const status = variance.throttleStatus ?? 503;
      entry.status = status;
      entry.size = 0;
      res.writeHead(status, { 'Content-Length': 0, ...(status === 429 ? { 'Retry-After': '1' } : {}) });
      res.end();
      node.trace.finish(entry);
      return;
    }
    const faults = node.faults;
    if (faults.hang) {
      entry.fault = 'hang';
      node.hanging.add(res);
      res.on('close', () => node.hanging.delete(res));
      node.trace.finish(entry);
      req.resume();
      return;
    }
    let body = '';
    if (method === 'POST' || method === 'PUT' || method === 'DELETE') {
      try {
        body = await readBody(req);
      } catch {
        return;
      }
      if (body) {
        entry.requestBody = body;
        entry.contentType = req.headers['content-type'];
      }
    }
    timeline.tick();
    const reply = answer(node, method, path, q < 0 ? '' : url.slice(q + 1), body, req.headers.authorization, entry);
    if (faults.slowMs && faults.slowMs > 0) {
      entry.fault = entry.fault ?? 'slow';
      await clock.sleep(faults.slowMs);
    }
    if (res.destroyed) return;
    send(res, entry, node, reply);
  }

  function answer(node: NodeRuntime, method: string, path: string, queryString: string, body: string, authorization: string | undefined, entry: TraceEntry): CmsReply & { challenge?: boolean } {
    const faults = node.faults;
    if (faults.busy) {
      entry.fault = 'busy';
      return { status: 503 };
    }
    if (faults.failNext && faults.failNext.length > 0) {
      const lower = path.toLowerCase();
      const script = faults.failNext.find((f) => f.count > 0 && lower.startsWith(f.path.toLowerCase()) && (!f.method || f.method.toUpperCase() === method));
      if (script) {
        script.count--;
        if (script.count <= 0) faults.failNext = faults.failNext.filter((f) => f !== script);
        if (faults.failNext.length === 0) delete faults.failNext;
        entry.fault = 'failNext';
        return { status: script.status ?? 500, body: script.body };
      }
    }
    if (faults.unauthorized || !authorised(node, authorization)) {
      if (faults.unauthorized) entry.fault = 'unauthorized';
      return { status: 401, challenge: true };
    }
    const segments = path.split('/');
    // ['', 'api', 'v1', ...]
    if (segments[1]?.toLowerCase() !== 'api') return { status: 404 };
    if (segments[2]?.toLowerCase() !== 'v1') return failureReply(new AppError('VALIDATION_FAILED', 'invalidVersion', { reason: 'invalidVersion' }));
    let raw: string[];
    try {
      raw = segments.slice(3).map((s) => decodeURIComponent(s));
    } catch {
      return failureReply(new AppError('NOT_FOUND', 'unrecognizedObject', { reason: 'unrecognizedObject' }));
    }
    // A trailing slash (`/calls/<id>/participants/`) names the same object.
    if (raw.length > 0 && raw[raw.length - 1] === '') raw.pop();
    const lower = raw.map((s) => s.toLowerCase());
    const query = new URLSearchParams(queryString);
    try {
      return handleApi(
        { bridge: node.bridge, bridges, shared, store, pageCap: faults.pageCap ?? variance.pageCap ?? defaultPageCap, now: clock.now().getTime() },
        method,
        lower,
        raw,
        query,
        parseForm(body),
      );
    } catch (error) {
      return failureReply(error);
    }
  }

  // ---- lab control API (JSON) ----------------------------------------------------------------------

  function json(res: ServerResponse, status: number, value: unknown) {
    const body = JSON.stringify(value);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }

  async function onControl(req: IncomingMessage, res: ServerResponse, via?: NodeRuntime) {
    const url = new URL(req.url ?? '/', 'http://lab');
    const parts = url.pathname.split('/').filter(Boolean); // lab, v1, ...
    const method = req.method ?? 'GET';
    const authNode = via ?? nodes[0];
    if (!authorised(authNode, req.headers.authorization)) {
      res.writeHead(401, { 'WWW-Authenticate': CHALLENGE, 'Content-Length': 0 });
      res.end();
      return;
    }
    try {
      const body = method === 'POST' || method === 'PUT' ? await readBody(req) : '';
      const input = body ? (JSON.parse(body) as Record<string, unknown>) : {};
      if (parts[0] !== 'lab' || parts[1] !== 'v1') return json(res, 404, { error: 'ROUTE_NOT_FOUND' });
      const [, , what, nodeName, sub, extra] = parts;
      timeline.tick();
      if (what === undefined && method === 'GET') return json(res, 200, describe());
      if (what === 'tick' && method === 'POST') return json(res, 200, { ran: tick() });
      if (what === 'dial-in' && method === 'POST') return json(res, 200, dialIn(input as DialInRequest));
      if (what === 'variance' && !nodeName) {
        if (method === 'GET') return json(res, 200, getVariance());
        if (method === 'PUT') return json(res, 200, setVariance(input as CmsVariance));
      }
      if (what === 'nodes' && nodeName && sub === 'restart' && method === 'POST') {
        await restart(nodeName);
        return json(res, 200, describe());
      }
      if (what === 'nodes' && nodeName) {
        const node = nodeByName(nodeName);
        if (sub === 'faults' && !extra) {
          if (method === 'GET') return json(res, 200, node.faults);
          if (method === 'PUT') return json(res, 200, await setFaults(node.name, input as CmsFaults));
          if (method === 'DELETE') return json(res, 200, await clearFaults(node.name));
        }
        if (sub === 'trace' && !extra && method === 'GET') {
          const since = Number(url.searchParams.get('since') ?? 0);
          if (url.searchParams.get('format') === 'json') return json(res, 200, node.trace.entries(since));
          const text = node.trace.text(since);
          res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
          res.end(text);
          return;
        }
        if (sub === 'trace' && extra === 'stream' && method === 'GET') {
          res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' });
          const unsubscribe = node.trace.subscribe((entry) => res.write(`${formatTraceEntry(entry).join('\n')}\n`));
          res.on('close', unsubscribe);
          return;
        }
        if (sub === 'cdrs' && !extra && method === 'GET') return json(res, 200, node.bridge.cdr.history());
      }
      return json(res, 404, { error: 'ROUTE_NOT_FOUND' });
    } catch (error) {
      if (error instanceof AppError) return json(res, error.status, { error: error.code, message: error.message });
      if (error instanceof SyntaxError) return json(res, 400, { error: 'MALFORMED_JSON', message: error.message });
      throw error;
    }
  }

  // ---- listeners -----------------------------------------------------------------------------------

  function makeServer(handler: (req: IncomingMessage, res: ServerResponse) => void, https: boolean, material: TlsMaterial | undefined = tls): Server {
    const server = https && material ? createHttpsServer({ key: material.key, cert: material.cert }, handler) : createHttpServer(handler);
    server.keepAliveTimeout = 65_000;
    return server;
  }

  async function listen(node: NodeRuntime) {
    const server = makeServer((req, res) => {
      onRequest(node, req, res).catch((error: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'Content-Length': 0 });
          res.end();
        }
        console.error(`cms lab ${node.name}:`, error);
      });
    }, node.https, node.tls ?? tls);
    server.on('connection', (socket: Socket) => {
      node.sockets.add(socket);
      socket.on('close', () => node.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(node.port, node.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address && typeof address === 'object') node.port = address.port;
    const hostForUrl = node.host.includes(':') ? `[${node.host}]` : node.host;
    node.baseUrl = `${node.https ? 'https' : 'http'}://${hostForUrl}:${node.port}`;
    node.server = server;
  }

  async function close(node: NodeRuntime) {
    const server = node.server;
    if (!server) return;
    node.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const res of node.hanging) res.destroy();
    for (const socket of node.sockets) socket.destroy();
    await closed;
  }

  let controlServer: Server | undefined;
  let controlUrl = '';
  let started = false;
  let loopRunning = false;

  async function start() {
    if (started) return;
    for (const node of nodes) await listen(node);
    // The Call Bridge table is shared configuration: every bridge lists every other.
    for (const node of nodes) {
      const address = advertised(node);
      node.bridge.setAddress(address);
      const form: Form = new Map([['name', node.name], ['address', address]]);
      const obj = store.create('callBridges', form);
      store.collections.callBridges.delete(obj.id);
      obj.id = node.callBridgeId;
      store.collections.callBridges.set(obj.id, obj);
      store.touch('callBridges');
    }
    if (options.controlPort !== undefined) {
      controlServer = makeServer((req, res) => void onControl(req, res), false);
      await new Promise<void>((resolve) => controlServer!.listen(options.controlPort, options.controlHost ?? '127.0.0.1', () => resolve()));
      const address = controlServer.address();
      controlUrl = address && typeof address === 'object' ? `http://${options.controlHost ?? '127.0.0.1'}:${address.port}` : '';
    }
    started = true;
    const tickMs = options.tickMs ?? 50;
    if (tickMs > 0) {
      loopRunning = true;
      void (async () => {
        while (loopRunning) {
          await clock.sleep(tickMs);
          if (loopRunning) timeline.tick();
        }
      })();
    }
  }

  /** What the Call Bridge table shows for a node: its address, with the scheme the variance says. */
  function advertised(node: NodeRuntime): string {
    const address = node.options.address ?? node.baseUrl;
    return variance.advertiseScheme ? address.replace(/^https?:\/\//i, `${variance.advertiseScheme}://`) : address;
  }

  function setVariance(patch: CmsVariance): CmsVariance {
    for (const [key, value] of Object.entries(patch) as Array<[keyof CmsVariance, unknown]>) {
      if (value === undefined) continue;
      if (key === 'cdrs') variance.cdrs = value !== false;
      else if (key === 'forgetBulkSyncsOnRestart') variance.forgetBulkSyncsOnRestart = value === true;
      else (variance as Record<string, unknown>)[key] = value ?? null;
    }
    shared.cdrsOff = !variance.cdrs;
    if (started) {
      for (const node of nodes) {
        const address = advertised(node);
        node.bridge.setAddress(address);
        const row = store.collections.callBridges.get(node.callBridgeId);
        if (row) row.v.address = address;
      }
      store.touch('callBridges');
    }
    return getVariance();
  }

  function getVariance(): CmsVariance {
    return { ...variance };
  }

  function concurrency(): CmsConcurrency[] {
    return nodes.map((n) => ({ node: n.name, ...n.concurrency }));
  }

  /** Starts counting peaks and refusals again (requests in flight stay counted). */
  function resetConcurrency() {
    for (const n of nodes) Object.assign(n.concurrency, { peak: n.concurrency.inFlight, throttled: 0, requests: 0 });
  }

  /** What a restarted node has lost (with the variance that says so). */
  function restarted() {
    if (variance.forgetBulkSyncsOnRestart) store.bulkSyncs.clear();
  }

  /** The node goes away and comes back on the same port, as after a reboot. */
  /**
   * Lab knob: the node gets a new self-signed certificate, as when a CMS's certificate is renewed.
   * Open connections are dropped so the next one meets it; kept in certDir when one was given.
   */
  async function rotateCertificate(nodeName: string): Promise<{ fingerprint: string }> {
    const node = nodeByName(nodeName);
    if (!node.https) throw new AppError('INVALID_STATE', `Node ${node.name} serves plain HTTP: it has no certificate.`, { node: node.name });
    const material = await generateCertificate(hostnames);
    if (options.certDir) await saveCertificate(options.certDir, nodeCertName(node.name), material);
    node.tls = material;
    if (node.server && 'setSecureContext' in node.server) {
      (node.server as import('node:https').Server).setSecureContext({ key: material.key, cert: material.cert });
      for (const socket of node.sockets) socket.destroy();
    }
    return { fingerprint: fingerprintOf(material) };
  }

  /** SHA-256 of the certificate a node presents; null for plain HTTP. */
  const certificateFingerprint = (nodeName: string): string | null => {
    const node = nodeByName(nodeName);
    const material = node.tls ?? tls;
    return node.https && material ? fingerprintOf(material) : null;
  };

  async function restart(nodeName: string) {
    const node = nodeByName(nodeName);
    if (started && node.server) await close(node);
    restarted();
    if (started && !node.faults.down) await listen(node);
  }

  async function stop() {
    loopRunning = false;
    for (const node of nodes) await close(node);
    if (controlServer) {
      const server = controlServer;
      controlServer = undefined;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    started = false;
  }

  // ---- faults --------------------------------------------------------------------------------------

  async function setFaults(nodeName: string, patch: CmsFaultsPatch): Promise<CmsFaults> {
    const node = nodeByName(nodeName);
    const wasDown = !!node.faults.down;
    for (const [key, value] of Object.entries(patch) as Array<[keyof CmsFaults, unknown]>) {
      if (value === undefined || value === null || value === false) delete node.faults[key];
      else (node.faults as Record<string, unknown>)[key] = key === 'failNext' ? (value as CmsFailNext[]).map((f) => ({ ...f })) : value;
    }
    if (!node.faults.hang) for (const res of node.hanging) res.destroy();
    if (node.faults.down && !wasDown && started) await close(node);
    if (!node.faults.down && wasDown && started) {
      restarted();
      await listen(node);
    }
    return node.faults;
  }

  async function clearFaults(nodeName: string): Promise<CmsFaults> {
    const node = nodeByName(nodeName);
    const patch: CmsFaultsPatch = {};
    for (const key of Object.keys(node.faults) as Array<keyof CmsFaults>) (patch as Record<string, unknown>)[key] = undefined;
    return setFaults(node.name, patch);
  }

  // ---- dial-in hook --------------------------------------------------------------------------------

  function dialIn(request: DialInRequest): DialInResult {
    timeline.tick();
    const node = request.node ? nodeByName(request.node) : nodes[0];
    if (node.faults.down) return { admitted: false, reason: 'nodeDown' };
    let candidates;
    if (request.callId) {
      candidates = store.resolve('callId', request.callId);
    } else {
      const uri = request.uri ?? '';
      const at = uri.indexOf('@');
      const user = at >= 0 ? uri.slice(0, at) : uri;
      const domain = at >= 0 ? uri.slice(at + 1).toLowerCase() : '';
      if (shared.enforceInboundRules) {
        const rule = [...store.collections.inboundDialPlanRules.values()].find((r) => (r.v.domain ?? '').toLowerCase() === domain && r.v.resolveTocoSpaces !== 'false');
        if (!rule) return { admitted: false, reason: 'noInboundRule' };
      }
      candidates = store.resolve('uri', user);
    }
    if (candidates.length === 0) return { admitted: false, reason: 'noSuchSpace' };
    const passcode = request.passcode ?? '';
    const entry = candidates.find((c) => (c.v.passcode ?? '') === passcode);
    if (!entry) return { admitted: false, reason: 'wrongPasscode' };
    const spaceId = entry.parent ?? entry.id;
    const space = store.collections.coSpaces.get(spaceId)!;
    const isMember = !!request.userJid && [...store.collections.coSpaceUsers.values()].some((m) => m.parent === spaceId && m.v.userJid === request.userJid);
    if (space.v.nonMemberAccess === 'false' && !isMember) return { admitted: false, reason: 'nonMemberAccessDenied' };
    const bridge = node.bridge;
    let call = [...bridge.calls.values()].find((c) => c.coSpace === spaceId);
    const createdCall = !call;
    if (!call) call = bridge.createCall(new Map([['coSpace', spaceId]]));
    try {
      const config: Record<string, string> = {};
      const profile = entry.parent ? entry.v.callLegProfile : undefined;
      if (profile) config.callLegProfile = profile;
      const leg = bridge.dialIn(call, { remoteParty: request.remoteParty ?? request.uri ?? request.callId ?? '', name: request.displayName, userJid: request.userJid, accessMethod: entry.parent ? entry.id : undefined, config });
      return { admitted: true, callId: call.id, callLegId: leg.id, participantId: leg.participant, coSpaceId: spaceId, node: node.name };
    } catch (error) {
      if (createdCall) bridge.endCall(call.id);
      const reason = error instanceof AppError ? (error.details as { reason?: string } | undefined)?.reason : undefined;
      if (reason === 'participantLimitReached' || reason === 'tenantParticipantLimitReached') return { admitted: false, reason };
      throw error;
    }
  }

  function tick(): number {
    const before = timeline.size();
    timeline.tick();
    return before - timeline.size();
  }

  function describe() {
    return {
      name: clusterName,
      controlUrl: controlUrl || undefined,
      nodes: nodes.map((n) => ({ name: n.name, callBridgeId: n.callBridgeId, baseUrl: n.baseUrl, https: n.https, up: !!n.server, faults: n.faults, advertisedAddress: advertised(n), certificateFingerprint: certificateFingerprint(n.name), concurrency: { ...n.concurrency } })),
      variance: getVariance(),
      users: users.map((u) => u.name),
    };
  }

  const publicNodes: CmsNode[] = nodes;
  if (options.variance) setVariance(options.variance);

  return {
    name: clusterName,
    nodes: publicNodes,
    store,
    clock,
    start,
    stop,
    /** Runs everything due on the timeline now (tests call it after ManualClock.advance). */
    tick,
    setFaults,
    clearFaults,
    setVariance,
    getVariance,
    concurrency,
    resetConcurrency,
    restart,
    rotateCertificate,
    certificateFingerprint,
    getFaults: (nodeName: string) => ({ ...nodeByName(nodeName).faults }),
    trace: (nodeName: string, since = 0) => nodeByName(nodeName).trace.entries(since),
    traceText: (nodeName: string, since = 0) => nodeByName(nodeName).trace.text(since),
    onTrace: (nodeName: string, listener: (entry: TraceEntry, lines: string[]) => void) =>
      nodeByName(nodeName).trace.subscribe((entry) => listener(entry, formatTraceEntry(entry))),
    dialIn,
    /** Lab hook: the far end of a call leg hangs up. */
    remoteHangUp: (nodeName: string, callLegId: string) => nodeByName(nodeName).bridge.remoteHangUp(callLegId),
    cdrHistory: (nodeName: string) => nodeByName(nodeName).bridge.cdr.history(),
    raiseAlarm: (nodeName: string, type: string, active = true) => nodeByName(nodeName).bridge.setAlarm(type, active),
    get controlUrl() {
      return controlUrl;
    },
    describe,
    users,
  };
}
