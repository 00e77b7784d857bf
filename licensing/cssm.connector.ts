import { licensingError } from './error-catalogue.ts';
import { AppError } from '../platform/errors.ts';
import { createExternalClient, type ExternalProxy, type NetworkFailure } from '../platform/http/external-client.ts';
import type { Clock } from '../platform/clock.ts';
import type { Metrics } from '../platform/observability/metrics.ts';

// The client of Cisco Smart Software Manager: OAuth2 client-credentials at the authentication
// gateway (cloudsso.cisco.com, or an SSM On-Prem's /backend/oauth/token with a JSON body), then the
// legacy Smart Accounts & Licensing JSON APIs at the CSSM server (swapi.cisco.com).
export const DEFAULT_AUTH_GATEWAY = 'https://cloudsso.cisco.com/as/token.oauth2';
export const DEFAULT_CSSM_SERVER = 'https://swapi.cisco.com/services/api/smart-accounts-and-licensing';

export type CssmVirtualAccountDto = { name: string; description: string; isDefault: boolean; commerceAccessLevel: 'PUBLIC' | 'PRIVATE'; satelliteSynced: boolean };
export type CssmLicenseDto = { license: string; virtualAccount: string; quantity: number; inUse: number; available: number; status: string };
export type CssmDeviceDto = { productTagName: string; hostname: string; udiSerialNumber: string; udiPid: string; licenseUsage: Array<{ license: string; quantity: number }> };

export type CssmConnectorOptions = {
  tokenUrl: string;
  apiBase: string;
  clientId: string;
  clientSecret: string;
  /** SSM On-Prem takes a JSON token request instead of a form. */
  jsonTokenRequest?: boolean;
  proxy?: ExternalProxy | null;
  /** The operator's CA bundle (config.tlsCa): CSSM, a satellite or a TLS-inspecting proxy's CA. */
  ca?: string;
  clock: Clock;
  metrics?: Metrics;
  /** Shared token cache (per server), so a token is reused until 5 minutes before it expires. */
  tokenCache?: Map<string, { token: string; expiresAt: number }>;
  timeoutMs?: number;
  /** How a satellite-synced VA is recognised (see satelliteRule); default DEFAULT_SATELLITE_MARKERS. */
  satelliteMarkers?: readonly string[];
};

/**
 * Where CSSM marks a VA synced from an SSM On-Prem (satellite) is not public. Each entry is a field
 * of the VA object: `name` marks the VA when its value is a marker (true, "true"/"yes", a non-empty
 * string other than "false"/"no"/"none", a non-zero number, a non-empty object or array);
 * `name=value` marks it when the value equals `value` (case-insensitive; for an object, its `type`
 * or `name`). Our decision, documented in licensing/README.md; SWITCHBOARD_LICENSING_SATELLITE_MARKERS overrides it.
 */
export const DEFAULT_SATELLITE_MARKERS = [
  'satelliteName',
  'satelliteSynced',
  'satellite',
  'satelliteId',
  'satelliteAssociated',
  'associatedSatellite',
  'isSatellite',
  'syncedFromSatellite',
  'source=satellite',
  'syncSource=satellite',
  'origin=satellite',
  'associationType=satellite',
] as const;

export function satelliteRule(markers: readonly string[] = DEFAULT_SATELLITE_MARKERS): (va: Record<string, unknown>) => boolean {
  const rules = markers.map((entry) => {
    const [field, value] = entry.split('=', 2) as [string, string | undefined];
    return { field: field.trim(), value: value?.trim().toLowerCase() };
  });
  return (va) =>
    rules.some(({ field, value }) => {
      const v = va[field];
      if (value !== undefined) {
        const text = v && typeof v === 'object' ? ((v as Record<string, unknown>).type ?? (v as Record<string, unknown>).name) : v;
        return typeof text === 'string' && text.trim().toLowerCase() === value;
      }
      return isMarker(v);
    });
}

function isMarker(v: unknown): boolean {
  if (v === true) return true;
  if (typeof v === 'string') return !['', 'false', 'no', 'none', 'null', '0'].includes(v.trim().toLowerCase());
  if (typeof v === 'number') return v !== 0;
  if (Array.isArray(v)) return v.length > 0;
  if (v && typeof v === 'object') return Object.keys(v).length > 0;
  return false;
}

export type CssmConnector = ReturnType<typeof createCssmConnector>;

const REFRESH_MARGIN_MS = 5 * 60_000;
const RATE_LIMIT_RETRIES = 3;
const MAX_RETRY_AFTER_SECONDS = 60;

export function createCssmConnector(options: CssmConnectorOptions) {
  const http = createExternalClient({ system: 'cssm', metrics: options.metrics, proxy: options.proxy, ca: options.ca, timeoutMs: options.timeoutMs ?? 30_000 });
  const cache = options.tokenCache ?? new Map();
  const isSatellite = satelliteRule(options.satelliteMarkers);
  const cacheKey = `${options.tokenUrl}|${options.clientId}|${options.clientSecret.length}:${hash(options.clientSecret)}`;

  async function send(method: 'GET' | 'POST', url: string, headers: Record<string, string>, body?: string) {
    try {
      return await http.request({ method, url, headers, body });
    } catch (error) {
      if (error instanceof AppError && error.code === 'UPSTREAM_UNREACHABLE') {
        const network = (error.details as { network?: NetworkFailure }).network;
        const code = network === 'timeout' ? 'CSSM1007' : network === 'unknown-host' ? 'CSSM1006' : 'CSSM1005';
        throw licensingError('UPSTREAM_UNREACHABLE', code, error.message.replace(/^cssm at/, 'CSSM at'));
      }
      throw error;
    }
  }

  async function token(force = false): Promise<string> {
    const cached = cache.get(cacheKey);
    if (!force && cached && cached.expiresAt - REFRESH_MARGIN_MS > options.clock.now().getTime()) return cached.token;
    const form = { grant_type: 'client_credentials', client_id: options.clientId, client_secret: options.clientSecret };
    const response = options.jsonTokenRequest
      ? await send('POST', options.tokenUrl, { 'content-type': 'application/json', accept: 'application/json' }, JSON.stringify(form))
      : await send('POST', options.tokenUrl, { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, new URLSearchParams(form).toString());
    if (response.status === 400 || response.status === 401 || response.status === 403) throw licensingError('UPSTREAM_FAILED', 'CSSM1011', `Authentication with CSSM failed (${response.status} ${parse(response.body).error ?? ''}).`.replace(' )', ')'));
    if (response.status !== 200) throw statusError(response.status, response.headers, response.body);
    const json = parse(response.body);
    if (typeof json.access_token !== 'string') throw licensingError('UPSTREAM_FAILED', 'CSSM1020', 'The token endpoint answered without an access_token.');
    const expiresIn = Number(json.expires_in ?? 3599);
    cache.set(cacheKey, { token: json.access_token, expiresAt: options.clock.now().getTime() + expiresIn * 1000 });
    return json.access_token;
  }

  /** An API call with the bearer token; a 401 invalidates the token and retries once. */
  async function api(method: 'GET' | 'POST', path: string, body?: unknown): Promise<any> {
    let refreshed = false;
    for (let attempt = 0; ; attempt++) {
      const bearer = await token(refreshed);
      const response = await send(method, options.apiBase + path, { authorization: `Bearer ${bearer}`, accept: 'application/json', 'content-type': 'application/json' }, body === undefined ? undefined : JSON.stringify(body));
      if (response.status === 401 && !refreshed) {
        cache.delete(cacheKey);
        refreshed = true;
        continue;
      }
      // Rate limited: wait as CSSM asks (on the clock) a few times before giving up.
      const retryAfter = Number(response.headers['retry-after'] ?? NaN);
      if (response.status === 429 && attempt < RATE_LIMIT_RETRIES && Number.isFinite(retryAfter) && retryAfter <= MAX_RETRY_AFTER_SECONDS) {
        await options.clock.sleep(retryAfter * 1000);
        continue;
      }
      if (response.status === 401) throw licensingError('UPSTREAM_FAILED', 'CSSM1011', 'CSSM refused the access token.');
      if (response.status < 200 || response.status >= 300) throw statusError(response.status, response.headers, response.body);
      const json = parse(response.body);
      if (json.status === 'ERROR') throw licensingError('UPSTREAM_FAILED', 'CSSM1020', `CSSM: ${json.statusMessage ?? 'error'}`);
      return json;
    }
  }

  const enc = encodeURIComponent;
  return {
    token,
    /**
     * One page as the server answered it: `items` may be fewer than `limit` (a server caps its
     * pages as it likes); `total` is its totalRecords, null when it sent none.
     */
    async listVirtualAccounts(domain: string, page: { offset: number; limit: number }): Promise<{ total: number | null; items: CssmVirtualAccountDto[] }> {
      const json = await api('GET', `/v1/accounts/${enc(domain)}/customer/virtual-accounts?offset=${page.offset}&limit=${page.limit}`);
      const list: any[] = Array.isArray(json.virtualAccounts) ? json.virtualAccounts : [];
      const total = Number(json.totalRecords);
      return {
        total: json.totalRecords !== undefined && json.totalRecords !== null && Number.isInteger(total) && total >= 0 ? total : null,
        items: list.map((va) => ({
          name: String(va.name),
          description: String(va.description ?? ''),
          isDefault: va.isDefault === true || va.isDefault === 'true' || va.isDefault === 'yes',
          commerceAccessLevel: va.commerceAccessLevel === 'PRIVATE' ? 'PRIVATE' : 'PUBLIC',
          satelliteSynced: isSatellite(va),
        })),
      };
    },
    async smartAccount(domain: string): Promise<{ name: string; status: string } | null> {
      const json = await api('GET', '/v2/accounts');
      const account = (json.accounts ?? []).find((a: any) => String(a.accountDomain).toLowerCase() === domain.toLowerCase());
      return account ? { name: String(account.accountName), status: String(account.accountStatus ?? 'Active') } : null;
    },
    async registrationToken(domain: string, virtualAccount: string): Promise<string> {
      const existing = await api('GET', `/v1/accounts/${enc(domain)}/virtual-accounts/${enc(virtualAccount)}/tokens`);
      const now = options.clock.now().getTime();
      // HCM-F reuses a token present in the VA (an export-controlled one created by hand), else creates one.
      const usable = (existing.tokens ?? []).find((t: any) => !t.expirationDate || Date.parse(t.expirationDate) > now + 3_600_000);
      if (usable?.token) return String(usable.token);
      const created = await api('POST', `/v1/accounts/${enc(domain)}/virtual-accounts/${enc(virtualAccount)}/tokens`, { description: 'Created by Switchboard for cluster registration', expiresAfterDays: 30, exportControlled: 'Not Allowed' });
      if (!created.tokenInfo?.token) throw licensingError('UPSTREAM_FAILED', 'SLM1010');
      return String(created.tokenInfo.token);
    },
    async licenses(domain: string, virtualAccounts: string[]): Promise<CssmLicenseDto[]> {
      const all: CssmLicenseDto[] = [];
      for (let offset = 0; ; offset += 500) {
        const json = await api('POST', `/v1/accounts/${enc(domain)}/licenses`, { virtualAccounts, limit: 500, offset });
        const page: any[] = json.licenses ?? [];
        for (const l of page) all.push({ license: String(l.license), virtualAccount: String(l.virtualAccount), quantity: Number(l.quantity ?? 0), inUse: Number(l.inUse ?? 0), available: Number(l.available ?? 0), status: String(l.status ?? '') });
        if (page.length === 0 || offset + page.length >= Number(json.totalRecords ?? 0)) break;
      }
      return all;
    },
    async devices(domain: string, virtualAccount: string): Promise<CssmDeviceDto[]> {
      const json = await api('GET', `/v1/accounts/${enc(domain)}/virtual-accounts/${enc(virtualAccount)}/devices`);
      return (json.devices ?? []).map((d: any) => ({
        productTagName: String(d.productTagName ?? ''),
        hostname: String(d.hostname ?? ''),
        udiSerialNumber: String(d.sudi?.udiSerialNumber ?? ''),
        udiPid: String(d.sudi?.udiPid ?? ''),
        licenseUsage: (d.licenseUsage ?? []).map((u: any) => ({ license: String(u.license), quantity: Number(u.quantity) })),
      }));
    },
    close: () => http.close(),
  };
}

function statusError(status: number, headers: Record<string, string>, body: string) {
  if (status === 429) return licensingError('UPSTREAM_FAILED', 'CSSM1021', `CSSM rate-limited the request (retry after ${headers['retry-after'] ?? '?'} s).`, { retryAfterSeconds: Number(headers['retry-after'] ?? 0) });
  if (status === 403) return licensingError('UPSTREAM_FAILED', 'CSSM1015');
  if (status === 404) return licensingError('UPSTREAM_FAILED', 'CSSM1019', `CSSM: ${parse(body).statusMessage ?? 'not found'}`);
  return licensingError('UPSTREAM_FAILED', 'CSSM1020', `CSSM server responded with HTTP ${status}.`);
}

function parse(text: string): Record<string, any> {
  try {
    const value = JSON.parse(text);
    return value && typeof value === 'object' ? value : {};
  } catch {
    return {};
  }
}

function hash(text: string) {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) | 0;
  return h;
}
