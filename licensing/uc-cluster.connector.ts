import { XMLParser } from 'fast-xml-parser';
import { licensingError, type CatalogueCode } from './error-catalogue.ts';
import { AppError } from '../platform/errors.ts';
import { createExternalClient, type ExternalRequest, type NetworkFailure, type TlsPolicy } from '../platform/http/external-client.ts';
import type { Metrics } from '../platform/observability/metrics.ts';

// The client of a UC application publisher's licensing interfaces: PAWS DeploymentModeService
// (license mode; platform credentials), AXL (CUCM) or CUPI /vmrest/smartlicense (Unity Connection)
// for version, transport settings and Smart Agent registration (admin credentials).
export type UcClusterType = 'CUCM' | 'CUC';
export type LicenseMode = 'Enterprise' | 'HCS' | 'HCS-LE';
export type UcTransportSettings = { mode: 'Direct' | 'Proxy' | 'Satellite'; url: string; httpHost: string; httpPort: string };
export type UcLicenseStatus = { registration: string; authorization: string; smartAccount: string; virtualAccount: string; udi: string };

export type UcClusterConnector = ReturnType<typeof createUcClusterConnector>;

const parser = new XMLParser({ removeNSPrefix: true, ignoreAttributes: true, parseTagValue: false, trimValues: true });

/** AXL schema versions this connector speaks, newest first. */
export const AXL_VERSIONS = ['15.0', '14.0', '12.5', '12.0', '11.5', '11.0', '10.5', '10.0'] as const;

/** The newest schema not newer than a product version (15.0.1.10000-1 → 15.0; 12.5.1 → 12.5); null if unknown. */
export function axlSchemaFor(productVersion: string | null | undefined): string | null {
  const m = /^(\d+)(?:\.(\d+))?/.exec(String(productVersion ?? '').trim());
  if (!m) return null;
  const major = Number(m[1]);
  const minor = Number(m[2] ?? 0);
  return AXL_VERSIONS.find((v) => {
    const [a, b] = v.split('.').map(Number) as [number, number];
    return a < major || (a === major && b <= minor);
  }) ?? null;
}

/** A publisher answering 502/503/504 (Tomcat up, its services still starting) is as unreachable as one refusing connections. */
export function isPublisherUnreachable(error: unknown): boolean {
  return error instanceof AppError && error.code === 'UPSTREAM_UNREACHABLE' && (error.details as { catalogueCode?: string } | undefined)?.catalogueCode === 'CAA1036';
}

export function createUcClusterConnector(options: {
  type: UcClusterType;
  /** https://publisher:8443 (the lab's simulators use http://127.0.0.1:<port>) */
  publisherUrl: string;
  admin: { username: string; password: string };
  platform: { username: string; password: string };
  metrics?: Metrics;
  /** How the publisher's certificate is trusted (its pin, or first use); default CA validation. */
  tls?: TlsPolicy;
  /** The operator's CA bundle (config.tlsCa). */
  ca?: string;
  /** Told (and awaited) when the publisher's certificate is refused, before the error is thrown. */
  onCertificateRefused?: (error: AppError) => Promise<void>;
  timeoutMs?: number;
  /** The cluster's stored version: the first AXL schema tried (else the newest). */
  versionHint?: string | null;
}) {
  const system = options.type === 'CUCM' ? 'cucm' : 'cuc';
  const http = createExternalClient({ system, metrics: options.metrics, tls: options.tls, ca: options.ca, timeoutMs: options.timeoutMs ?? 30_000 });
  const basic = (c: { username: string; password: string }) => `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
  const base = options.publisherUrl.replace(/\/$/, '');

  async function send(args: ExternalRequest) {
    let response: Awaited<ReturnType<typeof http.request>>;
    try {
      response = await http.request(args);
    } catch (error) {
      if (error instanceof AppError && (error.code === 'CERTIFICATE_CHANGED' || error.code === 'CERTIFICATE_NOT_TRUSTED')) {
        await options.onCertificateRefused?.(error);
        throw licensingError(error.code, error.code === 'CERTIFICATE_CHANGED' ? 'SBCERT1001' : 'SBCERT1002', error.message, error.details as Record<string, unknown>);
      }
      if (error instanceof AppError && error.code === 'UPSTREAM_UNREACHABLE') {
        const { network, reason } = error.details as { network: NetworkFailure; reason: string };
        throw licensingError('UPSTREAM_UNREACHABLE', 'CAA1036', `Publisher ${new URL(args.url).host}: ${reason}`, { network });
      }
      throw error;
    }
    if (response.status === 502 || response.status === 503 || response.status === 504) {
      throw licensingError('UPSTREAM_UNREACHABLE', 'CAA1036', `Publisher ${new URL(args.url).host} answered HTTP ${response.status} (starting or overloaded).`, { status: response.status });
    }
    return response;
  }

  async function paws(op: 'getDeploymentMode' | 'setDeploymentMode', mode?: LicenseMode): Promise<string> {
    const inner = op === 'setDeploymentMode' ? `<ns:setDeploymentMode><ns:args0>${mode}</ns:args0></ns:setDeploymentMode>` : '<ns:getDeploymentMode/>';
    const body = `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:ns="http://services.api.platform.vos.cisco.com"><soap:Header xmlns:wsa="http://www.w3.org/2005/08/addressing"><wsa:Action>urn:${op}</wsa:Action></soap:Header><soap:Body>${inner}</soap:Body></soap:Envelope>`;
    const response = await send({ method: 'POST', url: `${base}/platform-services/services/DeploymentModeService`, headers: { authorization: basic(options.platform), 'content-type': `application/soap+xml; charset=utf-8; action="urn:${op}"` }, body });
    if (response.status === 401) throw licensingError('UPSTREAM_FAILED', 'CAA1037');
    const parsed = parser.parse(response.body)?.Envelope?.Body ?? {};
    if (parsed.Fault) {
      const reason = String(parsed.Fault.Reason?.Text ?? 'PAWS fault');
      throw licensingError('UPSTREAM_FAILED', /publisher/i.test(reason) ? 'CAA1049' : 'CAA1077', `PAWS: ${reason}`);
    }
    if (response.status !== 200) throw licensingError('UPSTREAM_FAILED', 'CAA1077', `PAWS answered HTTP ${response.status}.`);
    return String(parsed[`${op}Response`]?.return ?? '');
  }

  // The AXL schema: the stored version's, else the newest; a publisher refusing it sends us down the
  // list (AXL clients are expected to speak a version the publisher supports), and once it tells
  // its own version we keep the newest schema not newer than that.
  let schema: string = axlSchemaFor(options.versionHint) ?? AXL_VERSIONS[0];
  const refused = new Set<string>();
  let settled = false;

  async function axl(op: string, inner = '', failure: CatalogueCode = 'CAA1036'): Promise<any> {
    for (;;) {
      const used = schema;
      const body = `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns="http://www.cisco.com/AXL/API/${used}"><soapenv:Header/><soapenv:Body><ns:${op}>${inner}</ns:${op}></soapenv:Body></soapenv:Envelope>`;
      const response = await send({ method: 'POST', url: `${base}/axl/`, headers: { authorization: basic(options.admin), 'content-type': 'text/xml; charset=utf-8', soapaction: `"CUCM:DB ver=${used} ${op}"` }, body });
      if (response.status === 401) throw licensingError('UPSTREAM_FAILED', 'CAA1035');
      let parsed: any = {};
      try {
        parsed = parser.parse(response.body)?.Envelope?.Body ?? {};
      } catch {
        // not XML
      }
      const faultText = String(parsed.Fault?.detail?.axlError?.axlmessage ?? parsed.Fault?.faultstring ?? (response.status !== 200 ? response.body : ''));
      if (response.status === 599 || (response.status !== 200 && /version/i.test(faultText) && /unsupported|not supported|invalid/i.test(faultText))) {
        refused.add(used);
        const next = AXL_VERSIONS.find((v) => !refused.has(v) && compareVersions(v, used) < 0) ?? AXL_VERSIONS.find((v) => !refused.has(v));
        if (!next) throw licensingError('UPSTREAM_FAILED', 'CAA1036', `The publisher answers none of the AXL schema versions ${AXL_VERSIONS.join(', ')}.`);
        schema = next;
        continue;
      }
      if (parsed.Fault) {
        const message = faultText || 'AXL fault';
        throw licensingError('UPSTREAM_FAILED', /subscriber/i.test(message) ? 'CAA1049' : failure, `AXL ${op}: ${message}`, { axlcode: parsed.Fault.detail?.axlError?.axlcode });
      }
      if (response.status !== 200) throw licensingError('UPSTREAM_FAILED', 'CAA1036', `AXL answered HTTP ${response.status}.`);
      const answer = parsed[`${op}Response`] ?? {};
      if (op === 'getCCMVersion' && !settled) {
        settled = true;
        const best = axlSchemaFor(String(answer.return?.componentVersion?.version ?? ''));
        if (best && !refused.has(best)) schema = best;
      }
      return answer;
    }
  }

  async function cupi(method: 'GET' | 'PUT', path: string, body: unknown, failure: CatalogueCode): Promise<any> {
    const response = await send({ method, url: `${base}/vmrest${path}`, headers: { authorization: basic(options.admin), accept: 'application/json', 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (response.status === 401) throw licensingError('UPSTREAM_FAILED', 'CAA1035');
    let json: any = {};
    try {
      json = JSON.parse(response.body);
    } catch {
      // not JSON
    }
    if (response.status >= 200 && response.status < 300) return json;
    const message = String(json?.errors?.message ?? `HTTP ${response.status}`);
    if (/subscriber/i.test(message)) throw licensingError('UPSTREAM_FAILED', 'CAA1049', `CUPI: ${message}`);
    if (response.status === 400 && /token/i.test(message)) throw licensingError('UPSTREAM_FAILED', 'CAA1048', `CUPI: ${message}`);
    if (response.status === 405 && /Registered state/i.test(message)) throw licensingError('UPSTREAM_FAILED', 'CAA1041', `CUPI: ${message}`);
    if (response.status >= 500 && failure === 'CAA1036') throw licensingError('UPSTREAM_FAILED', 'CAA1043', `CUPI: ${message}`);
    throw licensingError('UPSTREAM_FAILED', failure, `CUPI: ${message}`, { status: response.status });
  }

  const cupiModes = ['Direct', 'Satellite', 'Proxy'] as const;
  const xml = (v: string) => v.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

  return {
    type: options.type,
    /** The AXL schema version in use (after any fallback). */
    axlSchema: () => schema,
    async version(): Promise<string> {
      if (options.type === 'CUCM') return String((await axl('getCCMVersion')).return?.componentVersion?.version ?? '');
      return String((await cupi('GET', '/version/product', undefined, 'CAA1036')).ProductVersion ?? '');
    },
    getLicenseMode: async () => (await paws('getDeploymentMode')) as LicenseMode,
    setLicenseMode: async (mode: LicenseMode) => void (await paws('setDeploymentMode', mode)),
    async getTransport(): Promise<UcTransportSettings> {
      if (options.type === 'CUCM') {
        const t = (await axl('getTransportSettings', '', 'CAA1083')).return?.TransportSettings ?? {};
        return { mode: t.transportmode === 'Proxy' ? 'Proxy' : t.transportmode === 'Satellite' || t.transportmode === 'TransportGateway' ? 'Satellite' : 'Direct', url: String(t.transportUrl ?? ''), httpHost: String(t.httpHost ?? ''), httpPort: String(t.httpPort ?? '') };
      }
      const t = (await cupi('GET', '/smartlicense/transportsettings', undefined, 'CAA1083')).TransportSetting ?? {};
      return { mode: cupiModes[Number(t.transportMode)] ?? 'Direct', url: String(t.transportUrl ?? ''), httpHost: String(t.httpHost ?? ''), httpPort: String(t.httpPort ?? '') };
    },
    async updateTransport(t: UcTransportSettings): Promise<void> {
      if (options.type === 'CUCM') {
        // CUCM names the satellite's Call Home URL a transport gateway before 14SU4.
        const mode = t.mode === 'Satellite' ? 'TransportGateway' : t.mode;
        await axl('doUpdateTransportSettings', `<transportMode>${mode}</transportMode><url>${xml(t.url)}</url><httpHost>${xml(t.httpHost)}</httpHost><httpPort>${xml(t.httpPort)}</httpPort>`, 'CAA1083');
        return;
      }
      await cupi('PUT', '/smartlicense/transportsettings', { transportMode: String(cupiModes.indexOf(t.mode)), transportUrl: t.url, httpHost: t.httpHost, httpPort: t.httpPort }, 'CAA1083');
    },
    async status(): Promise<UcLicenseStatus> {
      if (options.type === 'CUCM') {
        const d = (await axl('getSmartLicenseStatus')).LicenseDetails ?? {};
        return { registration: String(d.Registration?.Status ?? ''), authorization: String(d.Authorization?.Status ?? ''), smartAccount: String(d.Registration?.SmartAccount ?? ''), virtualAccount: String(d.Registration?.VirtualAccount ?? ''), udi: String(d.Registration?.ProductUDI ?? '') };
      }
      const d = (await cupi('GET', '/smartlicense/licensedetails', undefined, 'CAA1043')).LicenseDetails ?? {};
      return { registration: String(d.Register?.Status ?? ''), authorization: String(d.Authorization?.Status ?? ''), smartAccount: String(d.Register?.SmartAccount ?? ''), virtualAccount: String(d.Register?.VirtualAccount ?? ''), udi: String(d.Register?.ProductUDI ?? '') };
    },
    async register(token: string, force = false): Promise<void> {
      if (options.type === 'CUCM') {
        try {
          await axl('doSmartLicenseRegister', `<token>${xml(token)}</token><force>${force}</force>`, 'CAA1081');
        } catch (error) {
          const msg = (error as Error).message;
          if (/token/i.test(msg) && /invalid|expired/i.test(msg)) throw licensingError('UPSTREAM_FAILED', 'CAA1048', msg);
          throw error;
        }
        return;
      }
      await cupi('PUT', '/smartlicense/register', { token, force: String(force) }, 'CAA1081');
    },
    async deregister(): Promise<void> {
      if (options.type === 'CUCM') await axl('doSmartLicenseDeRegister', '', 'CAA1082');
      else await cupi('PUT', '/smartlicense/deregister', undefined, 'CAA1082');
    },
    close: () => http.close(),
  };
}

function compareVersions(a: string, b: string) {
  const [a1, a2] = a.split('.').map(Number) as [number, number];
  const [b1, b2] = b.split('.').map(Number) as [number, number];
  return a1 - b1 || a2 - b2;
}
