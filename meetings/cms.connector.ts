import { XMLParser } from 'fast-xml-parser';
import { AppError } from '../platform/errors.ts';
import { createExternalClient, type ExternalExchange, type TlsPolicy } from '../platform/http/external-client.ts';
import type { Metrics } from '../platform/observability/metrics.ts';
import type { RequestLimit } from '../platform/http/request-limit.ts';

// The client of one Cisco Meeting Server call bridge (`/api/v1`): form-encoded POST/PUT, XML answers,
// `Location` for created objects, `<failureDetails>` for refusals, paging capped by the server.

export type CmsExchange = ExternalExchange & { node: string };

export type CmsConnectorOptions = {
  /** e.g. https://10.0.0.1:445 */
  baseUrl: string;
  username: string;
  password: string;
  /** Which node this is, for the trace. */
  node: string;
  /** How the node's certificate is trusted (its pin, or first use); default CA validation. */
  tls?: TlsPolicy;
  /** The operator's CA bundle (config.tlsCa). */
  ca?: string;
  metrics?: Metrics;
  timeoutMs?: number;
  onExchange?: (exchange: CmsExchange) => void;
  /** The node's concurrent-request limit (shared by every connector that reaches the node). */
  limit?: RequestLimit;
};

export type Form = Record<string, string | number | boolean | undefined>;
export type XmlObject = Record<string, any>;

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false, ignoreDeclaration: true, isArray: (_name, jpath) => /^[a-zA-Z]+\.[a-zA-Z]+$/.test(String(jpath)) && isCollectionPath(String(jpath)) });

// In a collection document (<coSpaces total="2"><coSpace/>…) the children are always an array.
function isCollectionPath(jpath: string): boolean {
  const [plural, singular] = jpath.split('.');
  return plural === `${singular}s` || (plural === 'cdrReceivers' && singular === 'cdrReceiver');
}

export function encodeForm(form: Form): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) if (value !== undefined) params.append(key, String(value));
  return params.toString();
}

export function parseXml(body: string): XmlObject {
  try {
    return parser.parse(body) as XmlObject;
  } catch (error) {
    throw new AppError('UPSTREAM_FAILED', `The bridge answered XML that cannot be read: ${(error as Error).message}`, { reason: 'malformedXml' });
  }
}

export type CmsConnector = ReturnType<typeof createCmsConnector>;

export function createCmsConnector(options: CmsConnectorOptions) {
  const base = options.baseUrl.replace(/\/+$/, '');
  const host = new URL(base).host;
  const client = createExternalClient({
    system: 'cms',
    metrics: options.metrics,
    auth: { type: 'basic', username: options.username, password: options.password },
    tls: options.tls,
    ca: options.ca,
    timeoutMs: options.timeoutMs ?? 10_000,
    onExchange: options.onExchange ? (exchange) => options.onExchange!({ ...exchange, node: options.node }) : undefined,
  });

  async function call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, form?: Form) {
    const body = form ? encodeForm(form) : undefined;
    const send = () => client.request({
      method,
      url: `${base}/api/v1${path}`,
      headers: body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
      body,
    });
    const response = await (options.limit ? options.limit.run(send) : send());
    if (response.status === 200) return response;
    throw failure(method, path, response.status, response.body);
  }

  function failure(method: string, path: string, status: number, body: string): AppError {
    if (status === 401) return new AppError('UPSTREAM_REFUSED_CREDENTIALS', `Authentication failed at ${host}: the bridge refused the username and password.`, { reason: 'authenticationFailed', status, host });
    let reason = `http${status}`;
    const match = /<failureDetails>\s*<([a-zA-Z]+)/.exec(body);
    if (match) reason = match[1];
    const parameter = /parameter="([^"]+)"/.exec(body)?.[1];
    const detail = parameter ? `${reason} (${parameter})` : reason;
    // The bridge answered and refused this account: the account is for its administrator to change.
    if (status === 403) return new AppError('UPSTREAM_REFUSED_CREDENTIALS', `The bridge at ${host} refused ${method} ${path} to this account: ${detail}.`, { reason, parameter, status, host });
    return new AppError('UPSTREAM_FAILED', `The bridge at ${host} refused ${method} ${path}: ${detail}.`, { reason, parameter, status, host });
  }

  const idFromLocation = (location: string | undefined, path: string): string => {
    const id = (location ?? '').split('/').pop();
    if (!id) throw new AppError('UPSTREAM_FAILED', `The bridge at ${host} created ${path} but sent no Location.`, { reason: 'noLocation', host });
    return id;
  };

  return {
    host,
    baseUrl: base,
    async get(path: string, query?: Record<string, string | number>): Promise<XmlObject> {
      const qs = query ? `?${new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString()}` : '';
      const response = await call('GET', path + qs);
      return parseXml(response.body);
    },
    /** POST → the new object's id from `Location`. */
    async post(path: string, form: Form): Promise<string> {
      const response = await call('POST', path, form);
      return idFromLocation(response.headers.location, path);
    },
    async put(path: string, form: Form): Promise<void> {
      await call('PUT', path, form);
    },
    async delete(path: string): Promise<void> {
      await call('DELETE', path);
    },
    /** Every item of a collection, page by page (the server caps pages, typically at 10). */
    async list(path: string, singular: string, query: Record<string, string> = {}): Promise<XmlObject[]> {
      const items: XmlObject[] = [];
      const plural = path.split('/').pop()!;
      for (let offset = 0; ; ) {
        const doc = await this.get(`/${path}`, { ...query, offset });
        const collection = doc[plural] ?? {};
        const page: XmlObject[] = collection[singular] ?? [];
        items.push(...page);
        const total = Number(collection['@_total'] ?? 0);
        offset += page.length;
        if (page.length === 0 || offset >= total) return items;
      }
    },
    async status() {
      const doc = await this.get('/system/status');
      const s = doc.status;
      if (!s || typeof s !== 'object' || s.softwareVersion === undefined) {
        throw new AppError('UPSTREAM_FAILED', `${host} answered /api/v1/system/status, but not as a Cisco Meeting Server does.`, { reason: 'notCms', host });
      }
      const n = (v: unknown) => (v === undefined || v === '' ? null : Number(v));
      return {
        softwareVersion: String(s.softwareVersion),
        uptimeSeconds: n(s.uptimeSeconds),
        clusterEnabled: String(s.clusterEnabled) === 'true',
        callLegsActive: n(s.callLegsActive),
        callLegsMaxActive: n(s.callLegsMaxActive),
        callLegsCompleted: n(s.callLegsCompleted),
        audioBitRateOutgoing: n(s.audioBitRateOutgoing),
        audioBitRateIncoming: n(s.audioBitRateIncoming),
        videoBitRateOutgoing: n(s.videoBitRateOutgoing),
        videoBitRateIncoming: n(s.videoBitRateIncoming),
      };
    },
    close: () => client.close(),
  };
}

export type CmsStatus = Awaited<ReturnType<CmsConnector['status']>>;

const MASK = '*****';

/** The trace never holds a passcode, secret or password (M15). */
/** Our CDR receiver URL (`…/meetings/cdr/<bridge>/<token>`, plain or form-encoded) carries a credential: its last segment. */
const maskCdrToken = (text: string) => text.replace(/(\/meetings\/cdr\/[^/&<\s]+\/|%2Fmeetings%2Fcdr%2F[^&<\s%]+%2F)[^&<\s]*/gi, `$1${MASK}`);

export function maskForm(body: string | undefined): string | null {
  if (body === undefined) return null;
  return maskCdrToken(body.replace(/(^|&)(passcode|secret|password)=[^&]*/gi, (_m, sep: string, key: string) => `${sep}${key}=${MASK}`));
}

export function maskXml(body: string): string {
  return maskCdrToken(body.replace(/<(passcode|secret|password)>[^<]*<\/\1>/gi, (_m, tag: string) => `<${tag}>${MASK}</${tag}>`));
}
