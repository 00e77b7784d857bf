// S3: a Cisco Smart Software Manager (CSSM) simulator on a real HTTP listener. It speaks the wire
// protocol the licensing connector speaks to cloudsso.cisco.com and swapi.cisco.com: the OAuth2
// client-credentials token endpoint (form body or query string), the legacy
// /services/api/smart-accounts-and-licensing JSON APIs with their status/statusMessage envelope,
// registration tokens that the UC simulator redeems, licences computed from registered product
// instances, and fault injection (401, 403, 429 + Retry-After, 5xx, slow, down).
import crypto from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Clock } from '../../platform/clock.ts';

export type CssmVirtualAccount = {
  name: string;
  description: string;
  isDefault: boolean;
  commerceAccessLevel: 'PUBLIC' | 'PRIVATE';
  /** Associated with an SSM On-Prem (satellite): HCM-F ignores these. */
  satelliteName: string | null;
};

export type CssmLicensePool = { license: string; quantity: number };

export type CssmRegistrationToken = {
  token: string;
  domain: string;
  virtualAccount: string;
  description: string;
  exportControlled: 'Allowed' | 'Not Allowed';
  createdAt: Date;
  expiresAt: Date;
  createdBy: string;
};

export type CssmDevice = {
  udi: { udiPid: string; udiSerialNumber: string; uuid: string };
  productTagName: string;
  productDescription: string;
  hostname: string;
  virtualAccount: string;
  registeredAt: Date;
  /** Entitlements this instance requests (tag → count). */
  usage: Record<string, number>;
};

export type CssmSmartAccount = {
  domain: string;
  name: string;
  id: number;
  accountType: 'CUSTOMER' | 'HOLDING';
  virtualAccounts: Map<string, CssmVirtualAccount>;
  /** Licences owned per VA (VA name → pools). */
  licenses: Map<string, CssmLicensePool[]>;
  tokens: CssmRegistrationToken[];
  devices: CssmDevice[];
};

export type CssmClient = { clientId: string; clientSecret: string; /** domains this client may read */ domains: string[] };

export type CssmFault =
  | { kind: 'none' }
  /** Every API call (not the token endpoint) answers 401, as when a token was revoked. */
  | { kind: 'unauthorized' }
  | { kind: 'forbidden' }
  | { kind: 'rate-limited'; retryAfterSeconds: number }
  | { kind: 'server-error'; status: 500 | 502 | 503 | 504 }
  | { kind: 'slow'; delayMs: number }
  /** Connections are reset: the server is unreachable. */
  | { kind: 'down' };

/**
 * How the listing marks a satellite-synced VA (where CSSM really does is not public): a field name
 * the connector's default rule knows, or `none` (the VA looks like any other).
 */
export const satelliteMarkerStyles = ['satelliteName', 'satelliteSynced', 'satelliteSyncedString', 'satellite', 'satelliteId', 'source', 'associationType', 'none'] as const;
export type SatelliteMarkerStyle = (typeof satelliteMarkerStyles)[number];

/**
 * How the VA listing pages: the largest page it answers whatever the limit asked, whether it says
 * totalRecords, and whether it ignores offset (always the first page: a listing that stops short).
 */
export type CssmPaging = { maxPageSize: number; totalRecords: boolean; ignoreOffset: boolean };

export type CssmSimulatorOptions = {
  host?: string;
  port?: number;
  clock: Clock;
  clients?: CssmClient[];
  /** Seconds an access token lives (CSSM: 3599). */
  tokenLifetimeSeconds?: number;
  /** Default and largest page of the virtual-account list (the real API's paging is unverified). */
  pageSize?: number;
  maxPageSize?: number;
};

export type CssmSimulator = {
  url: string;
  /** The base path the connector appends /v1/..., /v2/... to. */
  apiBase: string;
  tokenUrl: string;
  accounts: Map<string, CssmSmartAccount>;
  clients: CssmClient[];
  addSmartAccount(args: { domain: string; name: string; accountType?: 'CUSTOMER' | 'HOLDING' }): CssmSmartAccount;
  addVirtualAccount(domain: string, va: Partial<CssmVirtualAccount> & { name: string }): CssmVirtualAccount;
  addLicenses(domain: string, virtualAccount: string, pools: CssmLicensePool[]): void;
  /** Applies a fault to API calls, optionally after `afterCalls` more calls have succeeded. */
  setFault(fault: CssmFault, options?: { afterCalls?: number; includeTokenEndpoint?: boolean }): void;
  /** The fault in force and from which call on (what the Lab page shows). */
  getFault(): { fault: CssmFault; fromCall: number; includeTokenEndpoint: boolean };
  /** Invalidates every issued access token (the next API call gets 401 invalid_token). */
  revokeAccessTokens(): void;
  /** Paging of the VA listing (knob): a cap below the limit asked, with or without totalRecords. */
  setPaging(paging: Partial<CssmPaging>): CssmPaging;
  getPaging(): CssmPaging;
  /** How satellite-synced VAs are marked in the listing (knob). */
  setSatelliteMarker(style: SatelliteMarkerStyle): void;
  getSatelliteMarker(): SatelliteMarkerStyle;
  /** Smart Agent side (used by the UC simulator through HTTP, see /sim/agent). */
  calls: number;
  start(): Promise<string>;
  stop(): Promise<void>;
};

const API_BASE = '/services/api/smart-accounts-and-licensing';

export function createCssmSimulator(options: CssmSimulatorOptions): CssmSimulator {
  const clock = options.clock;
  const host = options.host ?? '127.0.0.1';
  const lifetime = options.tokenLifetimeSeconds ?? 3599;
  const pageSize = options.pageSize ?? 1000;
  const paging: CssmPaging = { maxPageSize: options.maxPageSize ?? 1000, totalRecords: true, ignoreOffset: false };
  let satelliteMarker: SatelliteMarkerStyle = 'satelliteName';
  const accounts = new Map<string, CssmSmartAccount>();
  const clients: CssmClient[] = options.clients ?? [];
  const accessTokens = new Map<string, { clientId: string; expiresAt: number }>();
  let fault: CssmFault = { kind: 'none' };
  let faultFromCall = 0;
  let faultOnTokenEndpoint = false;
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  let nextAccountId = 100_000;

  const sim: CssmSimulator = {
    url: '',
    apiBase: '',
    tokenUrl: '',
    accounts,
    clients,
    calls: 0,
    addSmartAccount({ domain, name, accountType = 'CUSTOMER' }) {
      const account: CssmSmartAccount = { domain, name, id: nextAccountId++, accountType, virtualAccounts: new Map(), licenses: new Map(), tokens: [], devices: [] };
      accounts.set(domain.toLowerCase(), account);
      return account;
    },
    addVirtualAccount(domain, va) {
      const account = mustAccount(domain);
      const full: CssmVirtualAccount = { description: '', isDefault: account.virtualAccounts.size === 0, commerceAccessLevel: 'PUBLIC', satelliteName: null, ...va };
      account.virtualAccounts.set(full.name, full);
      return full;
    },
    addLicenses(domain, virtualAccount, pools) {
      const account = mustAccount(domain);
      account.licenses.set(virtualAccount, [...(account.licenses.get(virtualAccount) ?? []), ...pools]);
    },
    setFault(next, opts = {}) {
      fault = next;
      faultFromCall = sim.calls + (opts.afterCalls ?? 0);
      faultOnTokenEndpoint = opts.includeTokenEndpoint ?? true;
    },
    getFault() {
      return { fault, fromCall: faultFromCall, includeTokenEndpoint: faultOnTokenEndpoint };
    },
    revokeAccessTokens() {
      accessTokens.clear();
    },
    setPaging(next) {
      Object.assign(paging, Object.fromEntries(Object.entries(next).filter(([, v]) => v !== undefined)));
      return { ...paging };
    },
    getPaging: () => ({ ...paging }),
    setSatelliteMarker(style) {
      satelliteMarker = style;
    },
    getSatelliteMarker: () => satelliteMarker,
    async start() {
      server = createServer((req, res) => {
        handle(req, res).catch((error) => send(res, 500, { status: 'ERROR', statusMessage: String(error) }));
      });
      server.on('connection', (socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(options.port ?? 0, host, () => resolve());
      });
      const port = (server.address() as AddressInfo).port;
      sim.url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
      sim.apiBase = sim.url + API_BASE;
      sim.tokenUrl = sim.url + '/as/token.oauth2';
      return sim.url;
    },
    async stop() {
      if (!server) return;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
      server = undefined;
    },
  };

  function mustAccount(domain: string) {
    const account = accounts.get(domain.toLowerCase());
    if (!account) throw new Error(`no smart account ${domain}`);
    return account;
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    // Concatenated, not resolved: a path starting with // must not be read as a host.
    const url = new URL('http://sim' + (req.url ?? '/'));
    // Some clients send a doubled slash; CSSM tolerates it. The SSM On-Prem personality serves the
    // same resources under /backend/oauth/token and /backend/api/v1/… (also without /backend).
    let path = url.pathname.replace(/\/{2,}/g, '/').replace(/^\/backend(?=\/)/, '');
    if (path === '/oauth/token') path = '/as/token.oauth2';
    else if (path.startsWith('/api/v1/')) path = API_BASE + path.slice('/api'.length);
    const body = await readBody(req);
    const isTokenEndpoint = path === '/as/token.oauth2' || path === '/oauth2/default/v1/token';
    const isAgent = path.startsWith('/sim/agent/');

    if (!isAgent) {
      sim.calls++;
      if (fault.kind !== 'none' && sim.calls > faultFromCall && (!isTokenEndpoint || faultOnTokenEndpoint)) {
        switch (fault.kind) {
          case 'down':
            req.socket.destroy();
            return;
          case 'slow':
            await clock.sleep(fault.delayMs);
            break;
          case 'rate-limited':
            res.setHeader('retry-after', String(fault.retryAfterSeconds));
            return send(res, 429, { status: 'ERROR', statusMessage: 'Too Many Requests' });
          case 'server-error':
            return send(res, fault.status, { status: 'ERROR', statusMessage: 'Internal Server Error' });
          case 'forbidden':
            if (!isTokenEndpoint) return send(res, 403, { status: 'ERROR', statusMessage: 'Invalid Client' });
            break;
          case 'unauthorized':
            if (!isTokenEndpoint) return send(res, 401, { error: 'invalid_token', error_description: 'Access token is invalid or has expired' });
            break;
        }
      }
    }

    if (isTokenEndpoint && req.method === 'POST') return token(req, res, url, body);
    if (isAgent && req.method === 'POST') return agent(res, path.slice('/sim/agent/'.length), body);
    if (!path.startsWith(API_BASE + '/')) return send(res, 404, { status: 'ERROR', statusMessage: `No resource ${path}` });

    const auth = req.headers.authorization ?? '';
    const bearer = /^Bearer\s+(.+)$/i.exec(auth)?.[1];
    const session = bearer ? accessTokens.get(bearer) : undefined;
    if (!session || session.expiresAt <= clock.now().getTime()) {
      if (session) accessTokens.delete(bearer!);
      return send(res, 401, { error: 'invalid_token', error_description: 'Access token is invalid or has expired' });
    }
    const client = clients.find((c) => c.clientId === session.clientId)!;
    const route = path.slice(API_BASE.length);
    const json = body ? safeJson(body) : {};
    const allowed = (domain: string) => client.domains.some((d) => d.toLowerCase() === domain.toLowerCase());

    let m: RegExpExecArray | null;
    if (req.method === 'GET' && route === '/v2/accounts') {
      const list = [...accounts.values()].filter((a) => allowed(a.domain));
      return send(res, 200, {
        status: 'COMPLETE',
        statusMessage: 'Success',
        accounts: list.map((a) => ({ accountName: a.name, accountDomain: a.domain, accountStatus: 'Active', accountType: a.accountType, roles: [{ role: 'Smart Account User' }] })),
      });
    }
    if (req.method === 'GET' && route === '/v1/accounts/search') {
      const domain = (url.searchParams.get('domain') ?? '').toLowerCase();
      const list = [...accounts.values()].filter((a) => allowed(a.domain) && a.domain.toLowerCase().includes(domain));
      const limit = Math.min(1000, Number(url.searchParams.get('limit') ?? 1000));
      const offset = Number(url.searchParams.get('offset') ?? 0);
      return send(res, 200, {
        totalRecords: list.length,
        accounts: list.slice(offset, offset + limit).map((a) => ({ domain: a.domain, name: a.name, id: a.id, type: a.accountType, status: 'ACTIVE' })),
        status: 'COMPLETE',
        statusMessage: 'Success',
      });
    }

    m = /^\/v1\/accounts\/([^/]+)\/(?:(?:customer|CUSTOMER|HOLDING)\/)?virtual-accounts$/.exec(route);
    if (m) {
      const domain = decodeURIComponent(m[1]!);
      const account = accounts.get(domain.toLowerCase());
      if (!account) return send(res, 404, { status: 'ERROR', statusMessage: `Smart Account ${domain} does not exist` });
      if (!allowed(domain)) return send(res, 403, { status: 'ERROR', statusMessage: 'Client credentials do not have access to this Smart Account' });
      if (req.method === 'GET') {
        const all = [...account.virtualAccounts.values()];
        const limit = Math.min(paging.maxPageSize, Math.max(1, Number(url.searchParams.get('limit') ?? pageSize)));
        const offset = paging.ignoreOffset ? 0 : Math.max(0, Number(url.searchParams.get('offset') ?? 0));
        return send(res, 200, {
          ...(paging.totalRecords ? { totalRecords: all.length } : {}),
          virtualAccounts: all.slice(offset, offset + limit).map((va) => vaJson(va, satelliteMarker)),
          status: 'COMPLETE',
          statusMessage: 'Success',
        });
      }
      if (req.method === 'POST') {
        const va = sim.addVirtualAccount(domain, { name: String(json.name), description: String(json.description ?? ''), commerceAccessLevel: json.commerceAccessLevel === 'PRIVATE' ? 'PRIVATE' : 'PUBLIC', isDefault: false });
        return send(res, 200, { status: 'SUCCESS', statusMessage: `Virtual Account ${va.name} created` });
      }
    }

    m = /^\/v1\/accounts\/([^/]+)\/virtual-accounts\/([^/]+)\/tokens$/.exec(route);
    if (m) {
      const domain = decodeURIComponent(m[1]!);
      const vaName = decodeURIComponent(m[2]!);
      const account = accounts.get(domain.toLowerCase());
      if (!account || !allowed(domain)) return send(res, 403, { status: 'ERROR', statusMessage: 'Client credentials do not have access to this Smart Account' });
      if (!account.virtualAccounts.has(vaName)) return send(res, 404, { status: 'ERROR', statusMessage: `Virtual Account ${vaName} does not exist` });
      const now = clock.now();
      if (req.method === 'GET') {
        const tokens = account.tokens.filter((t) => t.virtualAccount === vaName && t.expiresAt > now);
        return send(res, 200, { status: 'COMPLETE', statusMessage: 'Success', tokens: tokens.map(tokenJson) });
      }
      if (req.method === 'POST') {
        const days = Number(json.expiresAfterDays ?? 30);
        if (!Number.isInteger(days) || days < 1 || days > 365) return send(res, 400, { status: 'ERROR', statusMessage: 'expiresAfterDays must be between 1 and 365' });
        const exportControlled = json.exportControlled === 'Allowed' ? 'Allowed' : 'Not Allowed';
        const expiresAt = new Date(now.getTime() + days * 86_400_000);
        const token = encodeToken({ domain: account.domain, va: vaName, exp: expiresAt.getTime(), x: exportControlled === 'Allowed' });
        const record: CssmRegistrationToken = { token, domain: account.domain, virtualAccount: vaName, description: String(json.description ?? ''), exportControlled, createdAt: now, expiresAt, createdBy: client.clientId };
        account.tokens.push(record);
        return send(res, 200, { status: 'SUCCESS', statusMessage: 'Token created', tokenInfo: tokenJson(record) });
      }
    }

    m = /^\/v1\/accounts\/([^/]+)\/licenses$/.exec(route);
    if (m && req.method === 'POST') {
      const domain = decodeURIComponent(m[1]!);
      const account = accounts.get(domain.toLowerCase());
      if (!account || !allowed(domain)) return send(res, 403, { status: 'ERROR', statusMessage: 'Client credentials do not have access to this Smart Account' });
      const wanted: string[] = Array.isArray(json.virtualAccounts) ? json.virtualAccounts.map(String) : [];
      const licenses = licensesOf(account).filter((l) => wanted.length === 0 || wanted.includes(String(l.virtualAccount)));
      const limit = Math.min(500, Number(json.limit ?? 50));
      const offset = Number(json.offset ?? 0);
      return send(res, 200, { totalRecords: licenses.length, licenses: licenses.slice(offset, offset + limit), status: 'COMPLETE', statusMessage: 'Success' });
    }

    m = /^\/v1\/accounts\/([^/]+)\/virtual-accounts\/([^/]+)\/devices$/.exec(route);
    if (m && req.method === 'GET') {
      const domain = decodeURIComponent(m[1]!);
      const vaName = decodeURIComponent(m[2]!);
      const account = accounts.get(domain.toLowerCase());
      if (!account || !allowed(domain)) return send(res, 403, { status: 'ERROR', statusMessage: 'Client credentials do not have access to this Smart Account' });
      const devices = account.devices.filter((d) => d.virtualAccount === vaName);
      return send(res, 200, {
        totalRecords: devices.length,
        devices: devices.map((d) => ({
          productTagName: d.productTagName,
          productDescription: d.productDescription,
          hostname: d.hostname,
          sudi: { udiPid: d.udi.udiPid, udiSerialNumber: d.udi.udiSerialNumber, uuid: d.udi.uuid },
          registrationDate: d.registeredAt.toISOString(),
          licenseUsage: Object.entries(d.usage).map(([license, quantity]) => ({ license, quantity })),
        })),
        status: 'COMPLETE',
        statusMessage: 'Success',
      });
    }

    return send(res, 404, { status: 'ERROR', statusMessage: `No resource ${req.method} ${route}` });
  }

  function token(req: IncomingMessage, res: ServerResponse, url: URL, body: string) {
    // CSSM takes a form body (some scripts send a query string); SSM On-Prem takes JSON.
    const form = req.headers['content-type']?.includes('application/json') ? new URLSearchParams(Object.entries(safeJson(body)).map(([k, v]): [string, string] => [k, String(v)])) : new URLSearchParams(body);
    const get = (name: string) => form.get(name) ?? url.searchParams.get(name);
    if (get('grant_type') !== 'client_credentials') return send(res, 400, { error: 'unsupported_grant_type' });
    const client = clients.find((c) => c.clientId === get('client_id'));
    if (!client || client.clientSecret !== get('client_secret')) return send(res, 401, { error: 'invalid_client', error_description: 'Client authentication failed' });
    const accessToken = crypto.randomBytes(24).toString('base64url');
    accessTokens.set(accessToken, { clientId: client.clientId, expiresAt: clock.now().getTime() + lifetime * 1000 });
    return send(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: lifetime });
  }

  // The Smart Agent protocol (CallHome DDCEService / SmartTransport) is not public; the UC simulator
  // registers through these two calls instead, with the same effects CSSM shows: the token is
  // checked, the product instance appears under the VA and its usage counts against the licences.
  function agent(res: ServerResponse, action: string, body: string) {
    const json = safeJson(body);
    if (action === 'register') {
      const payload = decodeToken(String(json.token ?? ''));
      const account = payload ? accounts.get(payload.domain.toLowerCase()) : undefined;
      const record = account?.tokens.find((t) => t.token === json.token);
      if (!payload || !account || !record || !account.virtualAccounts.has(record.virtualAccount)) return send(res, 400, { status: 'ERROR', statusMessage: 'The Product Instance Registration Token is invalid' });
      if (record.expiresAt <= clock.now()) return send(res, 400, { status: 'ERROR', statusMessage: 'The Product Instance Registration Token has expired' });
      const udi = json.udi as CssmDevice['udi'];
      for (const a of accounts.values()) a.devices = a.devices.filter((d) => d.udi.udiSerialNumber !== udi.udiSerialNumber);
      account.devices.push({
        udi,
        productTagName: String(json.productTagName),
        productDescription: String(json.productDescription ?? ''),
        hostname: String(json.hostname ?? ''),
        virtualAccount: record.virtualAccount,
        registeredAt: clock.now(),
        usage: (json.usage ?? {}) as Record<string, number>,
      });
      return send(res, 200, { status: 'SUCCESS', smartAccount: account.name, virtualAccount: record.virtualAccount, exportControlled: record.exportControlled });
    }
    if (action === 'deregister' || action === 'usage') {
      const serial = String(json.udiSerialNumber ?? '');
      for (const a of accounts.values()) {
        const device = a.devices.find((d) => d.udi.udiSerialNumber === serial);
        if (!device) continue;
        if (action === 'deregister') a.devices = a.devices.filter((d) => d !== device);
        else device.usage = (json.usage ?? {}) as Record<string, number>;
        return send(res, 200, { status: 'SUCCESS' });
      }
      return send(res, 404, { status: 'ERROR', statusMessage: 'Product instance not found' });
    }
    return send(res, 404, { status: 'ERROR', statusMessage: 'unknown agent action' });
  }

  function licensesOf(account: CssmSmartAccount) {
    const rows: Array<Record<string, unknown>> = [];
    const vaNames = new Set([...account.licenses.keys(), ...account.devices.map((d) => d.virtualAccount)]);
    for (const va of vaNames) {
      const pools = new Map<string, number>();
      for (const pool of account.licenses.get(va) ?? []) pools.set(pool.license, (pools.get(pool.license) ?? 0) + pool.quantity);
      const inUse = new Map<string, number>();
      for (const device of account.devices.filter((d) => d.virtualAccount === va)) {
        for (const [tag, n] of Object.entries(device.usage)) inUse.set(tag, (inUse.get(tag) ?? 0) + n);
      }
      for (const license of new Set([...pools.keys(), ...inUse.keys()])) {
        const quantity = pools.get(license) ?? 0;
        const used = inUse.get(license) ?? 0;
        rows.push({
          license,
          virtualAccount: va,
          quantity,
          inUse: used,
          available: quantity - used,
          status: used > quantity ? 'Out Of Compliance' : 'In Compliance',
          billingType: 'PREPAID',
          pendingQuantity: 0,
          reserved: 0,
          isPortable: false,
          licenseDetails: quantity > 0 ? [{ licenseType: 'TERM', quantity, status: 'ACTIVE' }] : [],
          licenseSubstitutions: [],
        });
      }
    }
    return rows;
  }

  return sim;
}

function vaJson(va: CssmVirtualAccount, marker: SatelliteMarkerStyle) {
  return {
    name: va.name,
    description: va.description,
    // CSSM quotes booleans in this API.
    isDefault: va.isDefault ? 'true' : 'false',
    commerceAccessLevel: va.commerceAccessLevel,
    // Where CSSM marks a satellite association is unverified: each plausible form (a knob).
    ...satelliteFields(va.satelliteName, marker),
  };
}

function satelliteFields(name: string | null, marker: SatelliteMarkerStyle): Record<string, unknown> {
  switch (marker) {
    case 'satelliteName':
      return { satelliteName: name };
    case 'satelliteSynced':
      return { satelliteSynced: name !== null };
    case 'satelliteSyncedString':
      return { satelliteSynced: name !== null ? 'true' : 'false' };
    case 'satellite':
      return { satellite: name !== null ? { name, type: 'SATELLITE' } : null };
    case 'satelliteId':
      return { satelliteId: name !== null ? `sat-${Buffer.from(name).toString('hex').slice(0, 8)}` : '' };
    case 'source':
      return { source: name !== null ? 'SATELLITE' : 'CSSM' };
    case 'associationType':
      return { associationType: name !== null ? 'Satellite' : 'None' };
    case 'none':
      return {};
  }
}

function tokenJson(t: CssmRegistrationToken) {
  return {
    token: t.token,
    description: t.description,
    expirationDate: t.expiresAt.toISOString(),
    exportControlled: t.exportControlled,
    createdBy: t.createdBy,
    createdDate: t.createdAt.toISOString(),
  };
}

/** Registration tokens carry SA, VA, expiry and the export flag, URL-encoded base64 ending in %0A like Cisco's. */
export function encodeToken(payload: { domain: string; va: string; exp: number; x: boolean }): string {
  const nonce = crypto.randomBytes(9).toString('base64');
  return encodeURIComponent(Buffer.from(JSON.stringify({ ...payload, n: nonce })).toString('base64') + '\n');
}

export function decodeToken(token: string): { domain: string; va: string; exp: number; x: boolean } | null {
  try {
    return JSON.parse(Buffer.from(decodeURIComponent(token).trim(), 'base64').toString('utf8'));
  } catch {
    return null;
  }
}

function send(res: ServerResponse, status: number, body: unknown) {
  if (res.headersSent) return;
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function safeJson(text: string): Record<string, any> {
  try {
    const parsed = JSON.parse(text);
    return parsed && typeof parsed === 'object' ? parsed : {};
  } catch {
    return {};
  }
}
