import soap from 'soap';
import { AppError } from '../platform/errors.ts';
import { createExternalClient, type ExternalClient } from '../platform/http/external-client.ts';
import { asList } from './tmsba/tmsba.mapping.ts';
import type { Metrics } from '../platform/observability/metrics.ts';

// The client of a running Cisco TMS (#16 part 2): the TMSBA Booking and Remote Setup services,
// built by the `soap` library from the WSDL the TMS serves, over the one HTTP client for external
// systems (timeouts, Basic auth, metrics): the library's own axios client is replaced by an adapter.

export const TMS_BOOKING_PATH = '/tms/external/booking/bookingservice.asmx';
export const TMS_REMOTE_SETUP_PATH = '/tms/external/booking/remotesetup/remotesetupservice.asmx';
const BOOKING_NS = 'http://tandberg.net/2004/02/tms/external/booking/';
const REMOTE_SETUP_NS = 'http://tandberg.net/2004/02/tms/external/booking/remotesetup/';
/** The API version announced: TMS 15.11's; the server shapes its answers by it ([G9 p10]). */
const CLIENT_VERSION = 22;
const SESSION_FAULTS = new Set([-2147218247, -2147218253]);

export type TmsSource = { url: string; username: string; password: string; insecureTls?: boolean };
export type WireConference = Record<string, any>;
export type WireSystem = { SystemId: number; SystemName?: string; SystemType?: string; NetworkAddress?: string; SIPUri?: string; SystemCategory?: { systemCategory?: string } };
export type WireTransaction = { TransactionId: number; ConferenceId: number; TransType: string };

/** `https://tms.example.com` or a service URL under it: the server's base URL. */
export function tmsBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AppError('VALIDATION_FAILED', `The TMS URL is not a URL: "${url}" (give e.g. https://tms.example.com).`, { issues: [{ path: 'url', message: 'is not a URL' }] });
  }
  if (!/^https?:$/.test(parsed.protocol)) throw new AppError('VALIDATION_FAILED', 'The TMS URL must be http:// or https://.', { issues: [{ path: 'url', message: 'must be http or https' }] });
  const cut = parsed.pathname.toLowerCase().indexOf('/tms/');
  return `${parsed.origin}${cut >= 0 ? parsed.pathname.slice(0, cut) : parsed.pathname.replace(/\/$/, '')}`;
}

export type TmsConnection = Awaited<ReturnType<typeof connectTms>>;

export async function connectTms(source: TmsSource, options: { timeoutMs?: number; metrics?: Metrics; ca?: string } = {}) {
  const base = tmsBaseUrl(source.url);
  const http = createExternalClient({ system: 'tms', metrics: options.metrics, timeoutMs: options.timeoutMs ?? 30_000, tls: source.insecureTls ? { mode: 'insecure' } : { mode: 'ca' }, ca: options.ca, auth: { type: 'basic', username: source.username, password: source.password } });
  const host = new URL(base).host;
  let session = '';

  function soapHttp(external: ExternalClient) {
    return {
      request(url: string, data: unknown, callback: (error: unknown, response?: unknown, body?: unknown) => void, headers: Record<string, string> = {}) {
        const body = typeof data === 'string' ? data : undefined;
        external
          .request({ method: body === undefined ? 'GET' : 'POST', url, headers: Object.fromEntries(Object.entries(headers).filter(([k]) => !/^(user-agent|accept-encoding|host|content-length|connection)$/i.test(k)).map(([k, v]) => [k, String(v)])), body })
          .then((response) => {
            // A refusal of the credentials is HTTP's (no SOAP body); a 403 carrying a SOAP fault is an operation's, read below.
            const soapFault = typeof response.body === 'string' && /<(\w+:)?Fault[\s>]/.test(response.body);
            if (response.status === 401 || (response.status === 403 && !soapFault)) {
              return callback(new AppError('UPSTREAM_REFUSED_CREDENTIALS', `The TMS at ${host} refused the user ${source.username} (HTTP ${response.status}): check the user name and password, and that Basic authentication is enabled on /tms/external/booking.`, { system: 'tms', status: response.status }));
            }
            if (body === undefined && response.status !== 200) {
              return callback(new AppError('UPSTREAM_FAILED', `The TMS at ${host} did not serve its TMSBA WSDL (HTTP ${response.status} for ${new URL(url).pathname}): is this a TMS with the Booking API?`, { system: 'tms', status: response.status }));
            }
            // A fault is parsed by the library like an answer and raised with its detail, whatever its
            // status: 500 as TMS and the SOAP 1.1 binding have it, or a 4xx (SOAP 1.2 Sender, or a facade
            // that answered faults with the mapping's status).
            callback(null, { status: response.status, headers: response.headers, data: response.body }, response.body);
          })
          .catch((error) => callback(error));
      },
    };
  }

  async function client(path: string, ns: string) {
    try {
      const c = await soap.createClientAsync(`${base}${path}?WSDL`, { httpClient: soapHttp(http) as never, endpoint: `${base}${path}`, disableCache: true } as never);
      return { c, ns };
    } catch (error) {
      throw asAppError(error, 'reading the WSDL');
    }
  }

  function asAppError(error: unknown, what: string) {
    if (error instanceof AppError) return error;
    const fault = (error as { root?: any }).root?.Envelope?.Body?.Fault;
    if (fault) {
      const message = String(fault.faultstring ?? fault.Reason?.Text ?? 'a SOAP fault');
      return new AppError('UPSTREAM_FAILED', `The TMS at ${host} answered ${what} with a fault: ${message}`, { system: 'tms', tmsErrorCode: Number(fault.detail?.errorcode ?? NaN) || undefined });
    }
    return new AppError('UPSTREAM_FAILED', `The TMS at ${host} answered ${what} with something that is not TMSBA: ${(error as Error).message}`, { system: 'tms' });
  }

  const booking = await client(TMS_BOOKING_PATH, BOOKING_NS);
  const remoteSetup = await client(TMS_REMOTE_SETUP_PATH, REMOTE_SETUP_NS);

  /** One call; a session fault is answered by adopting the suggested ClientSession once ([G146 p19], [PS]). */
  async function call(service: { c: soap.Client; ns: string }, method: string, args: Record<string, unknown>): Promise<any> {
    for (let attempt = 0; ; attempt++) {
      service.c.clearSoapHeaders();
      service.c.addSoapHeader({ ExternalAPIVersionSoapHeader: { ClientVersionIn: CLIENT_VERSION, ...(session ? { ClientSession: session } : {}) } }, '', 'tns', service.ns);
      try {
        const [result, , headers] = await (service.c as any)[`${method}Async`](args);
        const echoed = headers?.ExternalAPIVersionSoapHeader?.ClientSession;
        if (typeof echoed === 'string' && echoed) session = echoed;
        return result ?? {};
      } catch (error) {
        const detail = (error as { root?: any }).root?.Envelope?.Body?.Fault?.detail;
        if (attempt === 0 && SESSION_FAULTS.has(Number(detail?.errorcode)) && detail?.clientsessionid) {
          session = String(detail.clientsessionid);
          continue;
        }
        throw asAppError(error, method);
      }
    }
  }

  return {
    baseUrl: base,
    host,
    async getSystems(): Promise<WireSystem[]> {
      const r = await call(remoteSetup, 'GetSystems', {});
      return asList(r.GetSystemsResult?.TMSSystem).map((s: any) => ({ ...s, SystemId: Number(s.SystemId) }));
    },
    async getConferencesForSystems(systemIds: number[], from: Date, to: Date): Promise<WireConference[]> {
      const r = await call(booking, 'GetConferencesForSystems', { SystemIds: { int: systemIds }, StartTime: from.toISOString(), EndTime: to.toISOString(), ConferenceStatus: 'AllExceptDeleted' });
      return asList(r.GetConferencesForSystemsResult?.Conference);
    },
    async getRecurrentConferenceById(id: number): Promise<WireConference> {
      return (await call(booking, 'GetRecurrentConferenceById', { ConferenceId: id })).GetRecurrentConferenceByIdResult ?? {};
    },
    async getConferenceById(id: number): Promise<WireConference> {
      return (await call(booking, 'GetConferenceById', { ConferenceId: id })).GetConferenceByIdResult ?? {};
    },
    /** Every transaction after `since`, following ListIncomplete pages ([G146 p61]). */
    async getTransactionsSince(since: number): Promise<WireTransaction[]> {
      const all: WireTransaction[] = [];
      let cursor = since;
      for (let pages = 0; pages < 10_000; pages++) {
        const r = await call(booking, 'GetTransactionsSince', { CurrentTransactionId: cursor });
        const list = asList<any>(r.GetTransactionsSinceResult?.Transaction).map((t) => ({ TransactionId: Number(t.TransactionId), ConferenceId: Number(t.ConferenceId), TransType: String(t.TransType) }));
        const incomplete = list.some((t) => t.TransType === 'ListIncomplete');
        const real = list.filter((t) => t.TransType !== 'ListIncomplete');
        all.push(...real);
        const last = Math.max(cursor, ...list.map((t) => t.TransactionId));
        if (!incomplete || last === cursor) break;
        cursor = last;
      }
      return all;
    },
    close: () => http.close(),
  };
}
