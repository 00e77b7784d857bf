import fs from 'node:fs';
import path from 'node:path';
import soap from 'soap';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { z } from 'zod';
import { AppError } from '../../platform/errors.ts';
import { SERVER_API_VERSION, TMS_ERROR, asList, invalid, tmsError } from './tmsba.mapping.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../../platform/auth/actor.ts';
import type { HttpApp } from '../../platform/http/app-types.ts';
import type { ErrorDialect } from '../../platform/http/error-handler.ts';
import type { PlatformServices } from '../../platform/services.ts';
import type { Tmsba, TmsbaCall } from './tmsba.service.ts';

// The TMSBA-compatible SOAP endpoints (#16). Fastify owns the HTTP side — routing (IIS-style
// case-insensitive paths), the body limit, Basic authentication, the tracking ID and the one error
// mapping, whose SOAP dialect below writes every fault — and hands the XML to the `soap` library's
// server object (`processRequest`), which parses the envelope against our WSDL and writes the answer.
// `soap.listen` on Node's server would have bypassed all of that.

export const BOOKING_PATH = '/tms/external/booking/bookingservice.asmx';
export const REMOTE_SETUP_PATH = '/tms/external/booking/remotesetup/remotesetupservice.asmx';
export const BOOKING_NS = 'http://tandberg.net/2004/02/tms/external/booking/';
export const REMOTE_SETUP_NS = 'http://tandberg.net/2004/02/tms/external/booking/remotesetup/';

const SOAP11_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
const SOAP12_ENV = 'http://www.w3.org/2003/05/soap-envelope';
const SOAP11_TYPE = 'text/xml; charset=utf-8';
const SOAP12_TYPE = 'application/soap+xml; charset=utf-8';

/** A ClientSession id lives 47 minutes, then 17 minutes of grace ([G146 p19]). */
export const CLIENT_SESSION_MS = 47 * 60_000;
export const CLIENT_SESSION_GRACE_MS = 17 * 60_000;

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const isSoap12 = (request?: FastifyRequest) => /application\/soap\+xml/i.test(String(request?.headers['content-type'] ?? ''));

/**
 * Every error on these paths — an operation's, a refused credential, and those met before the
 * handler (unknown path or method, body too large, wrong media type, a URL that does not decode) —
 * as a SOAP fault of the request's SOAP version: the status its binding requires (soapFaultStatus), the message in
 * faultstring / Reason, and in detail the TMS error code (when there is one), our code, the
 * tracking ID and, for a session fault, the suggested ClientSession id.
 */
export const tmsbaErrorDialect: ErrorDialect = {
  prefix: '/tms/',
  caseInsensitive: true,
  schema: z.string().meta({ id: 'SoapFault' }),
  contentType: (request) => (isSoap12(request) ? SOAP12_TYPE : SOAP11_TYPE),
  body: (error, trackingId, request) => soapFault(isSoap12(request), error.status, error.code, error.message, trackingId, error.details),
  status: (error, request) => soapFaultStatus(error.status, error.code, request?.method, isSoap12(request)),
};

/**
 * Refusals HTTP makes before a SOAP envelope is read (credentials, no such path or method, the body's
 * size or media type, the request's framing): they keep their HTTP status, as IIS answers them.
 */
const HTTP_REFUSALS = new Set(['UNAUTHENTICATED', 'INVALID_CREDENTIALS', 'ROUTE_NOT_FOUND', 'METHOD_NOT_ALLOWED', 'BODY_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'URI_TOO_LONG', 'HEADERS_TOO_LARGE', 'REQUEST_TIMEOUT', 'RATE_LIMITED']);

/**
 * The one rule for a fault's HTTP status — the deliberate exception to "never a 500 for a user's
 * mistake" (meetings/README.md): a SOAP request's fault travels as its binding requires, because
 * existing TMSBA clients read it only so. SOAP 1.1 (text/xml) puts every fault on 500 — .NET's
 * SoapHttpClientProtocol reads a fault only from a 500 and TMS answers every SoapException so — and
 * the faultcode says whose mistake it is (soap:Client ours to refuse, soap:Server ours to fix). SOAP
 * 1.2 maps env:Sender to 400 and env:Receiver to 500. A GET (the WSDL) and the HTTP refusals keep
 * the mapping's status.
 */
export function soapFaultStatus(status: number, code: string, method: string | undefined, soap12: boolean): number {
  if (method !== 'POST' || HTTP_REFUSALS.has(code)) return status;
  if (soap12) return status < 500 ? 400 : 500;
  return 500;
}

export function soapFault(soap12: boolean, status: number, code: string, message: string, trackingId: string, details: Record<string, unknown> = {}): string {
  const detail = [
    typeof details.tmsErrorCode === 'number' ? `<errorcode>${details.tmsErrorCode}</errorcode>` : '',
    typeof details.clientSessionId === 'string' ? `<clientsessionid>${escapeXml(details.clientSessionId)}</clientsessionid>` : '',
    `<code>${escapeXml(code)}</code><message>${escapeXml(message)}</message><trackingid>${escapeXml(trackingId)}</trackingid>`,
  ].join('');
  const client = status < 500;
  if (soap12) {
    return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${SOAP12_ENV}"><soap:Body><soap:Fault><soap:Code><soap:Value>soap:${client ? 'Sender' : 'Receiver'}</soap:Value></soap:Code>` +
      `<soap:Reason><soap:Text xml:lang="en">${escapeXml(message)}</soap:Text></soap:Reason><soap:Detail>${detail}</soap:Detail></soap:Fault></soap:Body></soap:Envelope>`;
  }
  return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${SOAP11_ENV}"><soap:Body><soap:Fault><faultcode>soap:${client ? 'Client' : 'Server'}</faultcode>` +
    `<faultstring>${escapeXml(message)}</faultstring><detail>${detail}</detail></soap:Fault></soap:Body></soap:Envelope>`;
}

/** What one request carries into the soap library and back out: who calls, the headers to echo, a failure. */
type Context = { actor: Actor; trackingId: string; call?: TmsbaCall; session?: string; error?: unknown };

type Operation = (args: Record<string, any>, call: TmsbaCall, context: Context, headers: Record<string, any>) => Promise<Record<string, unknown>>;

type Service = {
  name: string;
  path: string;
  ns: string;
  wsdlFile: string;
  /** Booking calls consume the integration licence in TMS and need a ClientSession from API v13 (⚠ README). */
  needsSession: boolean;
  operations: Record<string, Operation>;
};

const envelopeParser = new XMLParser({ ignoreAttributes: false, removeNSPrefix: false, parseTagValue: false, processEntities: false });

export async function registerTmsbaRoutes(app: HttpApp, services: PlatformServices, tmsba: Tmsba) {
  const { clock, secrets, auth } = services;
  const contexts = new WeakMap<object, Context>();

  // ---- ClientSession: a sealed (user, issued at) pair, so any instance can check it --------------

  const newSession = (actor: Actor) => secrets.seal(JSON.stringify({ user: actor.name, issuedAt: clock.now().getTime() }));

  function checkSession(given: unknown, context: Context): string {
    const value = typeof given === 'string' ? given.trim() : '';
    if (!value) {
      throw tmsError('VALIDATION_FAILED', TMS_ERROR.ERR_CLIENT_SESSION_BLANK, 'ClientSession is blank: send the suggested id (detail/clientsessionid) in ExternalAPIVersionSoapHeader/ClientSession.', { clientSessionId: newSession(context.actor) });
    }
    let issuedAt = NaN;
    let user = '';
    try {
      ({ issuedAt, user } = JSON.parse(secrets.open(value)));
    } catch {
      // Not one of ours (or sealed with another key): as expired, with a new suggestion.
    }
    const age = clock.now().getTime() - issuedAt;
    if (user !== context.actor.name || !(age >= 0 && age < CLIENT_SESSION_MS + CLIENT_SESSION_GRACE_MS)) {
      throw tmsError('VALIDATION_FAILED', TMS_ERROR.ERR_CLIENT_SESSION_EXPIRED, 'ClientSession has expired or is not valid: send the suggested id (detail/clientsessionid).', { clientSessionId: newSession(context.actor) });
    }
    // In its grace period the answer already carries the next id, so the client can switch in time.
    return age >= CLIENT_SESSION_MS ? newSession(context.actor) : value;
  }

  /** The call's version and session, from ExternalAPIVersionSoapHeader — before the library runs: the answer's echo needs them. */
  function prepare(service: Service, context: Context, versionHeader: Record<string, unknown> | undefined): TmsbaCall {
    const raw = versionHeader?.ClientVersionIn;
    const version = raw === undefined || raw === null || raw === '' ? 0 : Number(raw);
    if (!Number.isInteger(version) || version < 0) throw invalid('ExternalAPIVersionSoapHeader.ClientVersionIn', 'must be a whole number, 0 or more');
    if (version > SERVER_API_VERSION) throw invalid('ExternalAPIVersionSoapHeader.ClientVersionIn', `is ${version}; this server speaks API versions up to ${SERVER_API_VERSION}`);
    if (service.needsSession && version >= 13) context.session = checkSession(versionHeader?.ClientSession, context);
    return { actor: context.actor, version, trackingId: context.trackingId };
  }

  // ---- the soap library's servers: one per service and SOAP version ---------------------------------

  async function soapServer(service: Service, soap12: boolean) {
    const wsdlXml = fs.readFileSync(path.join(import.meta.dirname, service.wsdlFile), 'utf8');
    const methods: Record<string, (args: unknown, callback: unknown, headers: Record<string, any>, req: { headers: object }) => Promise<unknown>> = {};
    for (const [name, operation] of Object.entries(service.operations)) {
      methods[name] = async (args, _callback, headers, req) => {
        const context = contexts.get(req.headers)!;
        try {
          return await operation(args && typeof args === 'object' ? (args as Record<string, any>) : {}, context.call!, context, headers ?? {});
        } catch (error) {
          // The fault is written by the one error mapping (tmsbaErrorDialect), not by the library.
          context.error = error;
          throw { Fault: { faultcode: 'soap:Server', faultstring: 'see the error mapping' } };
        }
      };
    }
    const portName = service.name.replace(/^(.)/, (c) => c.toUpperCase());
    const server = await new Promise<soap.Server>((resolve, reject) => {
      soap.listen(null, {
        path: service.path,
        xml: wsdlXml,
        uri: path.join(import.meta.dirname, service.wsdlFile),
        services: { [portName]: { [`${portName}Soap`]: methods, [`${portName}Soap12`]: methods } },
        forceSoap12Headers: soap12,
        suppressStack: true,
        callback: (error: unknown, s: soap.Server) => (error ? reject(error) : resolve(s)),
      } as never);
    });
    // The echo of ExternalAPIVersionSoapHeader (with the ClientSession in use) on every answer [REAL22].
    server.addSoapHeader((method: string, _args: unknown, _headers: unknown, req: { headers: object }) => {
      const context = contexts.get(req.headers);
      const call = context?.call;
      if (!call) return '';
      const echo = `<ExternalAPIVersionSoapHeader xmlns="${service.ns}"><ClientVersionIn>${call.version}</ClientVersionIn>${context.session ? `<ClientSession>${escapeXml(context.session)}</ClientSession>` : ''}</ExternalAPIVersionSoapHeader>`;
      return method === 'GetDefaultConference' ? `${echo}<VersionSoapHeader xmlns="${service.ns}"><ConfAPIVersion>${SERVER_API_VERSION}</ConfAPIVersion></VersionSoapHeader>` : echo;
    });
    return server;
  }

  // ---- operations --------------------------------------------------------------------------------

  const mailWanted = (headers: Record<string, any>) => {
    const v = headers?.ContextHeader?.SendConfirmationMail;
    return v === true || v === 'true' || v === '1' || v === 1;
  };
  const mode = (value: unknown) => {
    if (value === undefined || value === null || value === '' || value === 'Strict') return 'strict' as const;
    if (value === 'BestEffortForced') return 'best-effort' as const;
    throw invalid('BookingMode', `must be Strict or BestEffortForced, not "${String(value)}"`);
  };
  const conferences = (items: unknown[]) => ({ Conference: items });

  const booking: Service = {
    name: 'bookingService',
    path: BOOKING_PATH,
    ns: BOOKING_NS,
    wsdlFile: 'bookingservice.wsdl',
    needsSession: true,
    operations: {
      GetDefaultConference: async (_a, call) => ({ GetDefaultConferenceResult: await tmsba.GetDefaultConference(call) }),
      SaveConference: async (a, call, _c, h) => ({ SaveConferenceResult: await tmsba.save(a.Conference, 'strict', call, mailWanted(h)) }),
      SaveConferenceWithMode: async (a, call, _c, h) => ({ SaveConferenceWithModeResult: await tmsba.save(a.Conference, mode(a.BookingMode), call, mailWanted(h)) }),
      SaveConferenceRecInstance: async (a, call) => ({ SaveConferenceRecInstanceResult: await tmsba.saveRecInstance(a.Conference, call) }),
      SaveConferenceRecInstanceWithMode: async (a, call) => {
        mode(a.BookingMode);
        return { SaveConferenceRecInstanceWithModeResult: await tmsba.saveRecInstance(a.Conference, call) };
      },
      SaveConferences: async (a, call, _c, h) => ({ SaveConferencesResult: conferences(await tmsba.saveAll(asList(a.Conferences), a.oneTransaction, call, mailWanted(h))) }),
      GetConferenceById: async (a, call) => ({ GetConferenceByIdResult: await tmsba.getById(a.ConferenceId, call) }),
      GetRecurrentConferenceById: async (a, call) => ({ GetRecurrentConferenceByIdResult: await tmsba.getRecurrentById(a.ConferenceId, call) }),
      GetConferencesForUser: async (a, call) => ({ GetConferencesForUserResult: conferences(await tmsba.forUser(a, call)) }),
      GetConferencesForSystems: async (a, call) => ({ GetConferencesForSystemsResult: conferences(await tmsba.forSystems(a, call)) }),
      GetConferenceIdByExternalId: async (a, call) => ({ GetConferenceIdByExternalIdResult: await tmsba.getIdByExternalId(a, call) }),
      DeleteConferenceById: async (a, call) => (await tmsba.deleteById(a.ConferenceId, call), {}),
      DeleteConferenceByExternalId: async (a, call) => (await tmsba.deleteByExternalId(a, call), {}),
      DeleteConferenceRecInstanceById: async (a, call) => (await tmsba.deleteRecInstance(a, call), {}),
      DeleteConferenceInstanceByExternalId: async (a, call) => (await tmsba.deleteRecInstance({ ExternalSourceId: a.ExternalSourceId, ExternalConferenceId: a.ExternalConferenceId, RecurrenceIdUTC: a.RecurrenceIdUTC }, call), {}),
      EndConferenceById: async (a, call) => (await tmsba.end({ ConferenceId: a.ConferenceId }, call), {}),
      EndConferenceByExternalId: async (a, call) => (await tmsba.end({ ExternalSourceId: a.ExternalSourceId, ExternalConferenceId: a.ExternalConferenceId }, call), {}),
      GetTransactionsSince: async (a, call) => ({ GetTransactionsSinceResult: { Transaction: await tmsba.transactionsSince(a.CurrentTransactionId, false, call) } }),
      GetTransactionsSinceWithExternalId: async (a, call) => ({ GetTransactionsSinceWithExternalIdResult: { TransactionWithExternalId: await tmsba.transactionsSince(a.CurrentTransactionId, true, call) } }),
      GetConferenceInviteMail: async (a, call) => ({ GetConferenceInviteMailResult: await tmsba.inviteMail(a.ConferenceId, call) }),
    },
  };

  const remoteSetup: Service = {
    name: 'remoteSetupService',
    path: REMOTE_SETUP_PATH,
    ns: REMOTE_SETUP_NS,
    wsdlFile: 'remotesetupservice.wsdl',
    needsSession: false,
    operations: {
      IsAlive: async () => ({ IsAliveResult: true }),
      GetSystems: async () => ({ GetSystemsResult: { TMSSystem: await tmsba.systems() } }),
      // Every user with booking rights may book every bridge.
      GetSystemsForUser: async () => ({ GetSystemsForUserResult: { TMSSystem: await tmsba.systems() } }),
      GetSystemById: async (a) => ({ GetSystemByIdResult: await tmsba.systemById(a.TMSSystemId) }),
      GetUsers: async () => ({ GetUsersResult: { User: await tmsba.users() } }),
      IsTMSSiteAdmin: async (_a, call) => ({ IsTMSSiteAdminResult: tmsba.rights(call).siteAdmin }),
      IsTMSServiceUser: async (_a, call) => ({ IsTMSServiceUserResult: tmsba.rights(call).serviceUser }),
      IsTMSBookOnBehalfUser: async (_a, call) => ({ IsTMSBookOnBehalfUserResult: tmsba.rights(call).bookOnBehalf }),
      IsBookOnBehalfOfUser: async (a, call) => ({ IsBookOnBehalfOfUserResult: tmsba.rights(call).bookOnBehalf || String(a.UserName ?? '').toLowerCase() === call.actor.name }),
      IsLocalAdmin: async (_a, call) => ({ IsLocalAdminResult: tmsba.rights(call).localAdmin }),
    },
  };

  const servers = new Map<Service, { soap11: soap.Server; soap12: soap.Server; wsdl: string }>();
  for (const service of [booking, remoteSetup]) {
    servers.set(service, { soap11: await soapServer(service, false), soap12: await soapServer(service, true), wsdl: fs.readFileSync(path.join(import.meta.dirname, service.wsdlFile), 'utf8') });
  }

  // ---- HTTP ----------------------------------------------------------------------------------------

  function basicActor(request: FastifyRequest) {
    const header = request.headers.authorization;
    if (!header?.toLowerCase().startsWith('basic ')) return null;
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? null : auth.verifyPassword(decoded.slice(0, colon), decoded.slice(colon + 1));
  }

  /**
   * The operation the envelope's Body names and its ExternalAPIVersionSoapHeader (children by local
   * name), after checking it is a SOAP envelope of the announced version.
   */
  function operationOf(service: Service, xml: string, soap12: boolean, soapAction: string | undefined): { op: string; versionHeader?: Record<string, unknown> } {
    const valid = XMLValidator.validate(xml);
    if (valid !== true) throw new AppError('VALIDATION_FAILED', `The body is not well-formed XML: ${valid.err.msg} (line ${valid.err.line}).`, { issues: [{ path: 'body', message: valid.err.msg }] });
    const doc = envelopeParser.parse(xml) as Record<string, any>;
    const envelopeKey = Object.keys(doc).find((k) => k.split(':').pop() === 'Envelope');
    if (!envelopeKey) throw new AppError('VALIDATION_FAILED', 'The body is not a SOAP envelope.');
    const envelope = doc[envelopeKey];
    const prefix = envelopeKey.includes(':') ? envelopeKey.split(':')[0] : '';
    const envNs = envelope[prefix ? `@_xmlns:${prefix}` : '@_xmlns'];
    const expected = soap12 ? SOAP12_ENV : SOAP11_ENV;
    if (envNs !== expected) {
      throw new AppError('VALIDATION_FAILED', `The envelope's namespace is ${envNs ?? '(none)'}; a ${soap12 ? 'SOAP 1.2 (application/soap+xml)' : 'SOAP 1.1 (text/xml)'} request uses ${expected}.`);
    }
    const bodyKey = Object.keys(envelope).find((k) => k.split(':').pop() === 'Body');
    const body = bodyKey ? envelope[bodyKey] : undefined;
    const opKey = body && typeof body === 'object' ? Object.keys(body).find((k) => !k.startsWith('@_')) : undefined;
    const op = opKey?.split(':').pop();
    if (!op || !(op in service.operations)) {
      throw new AppError('VALIDATION_FAILED', `${op ? `${op} is not an operation of` : 'The SOAP Body names no operation of'} ${service.path} (the WSDL at ?WSDL lists them).`, { operation: op ?? null });
    }
    if (soapAction && soapAction !== `${service.ns}${op}`) {
      throw new AppError('VALIDATION_FAILED', `SOAPAction is ${soapAction} but the body is ${op} (expected ${service.ns}${op}).`);
    }
    const headerKey = Object.keys(envelope).find((k) => k.split(':').pop() === 'Header');
    const header = headerKey && typeof envelope[headerKey] === 'object' ? envelope[headerKey] : {};
    const versionKey = Object.keys(header).find((k) => k.split(':').pop() === 'ExternalAPIVersionSoapHeader');
    const raw = versionKey && typeof header[versionKey] === 'object' ? header[versionKey] : undefined;
    const versionHeader = raw ? Object.fromEntries(Object.entries(raw).filter(([k]) => !k.startsWith('@_')).map(([k, v]) => [k.split(':').pop()!, v])) : undefined;
    return { op, versionHeader };
  }

  await app.register(async (scope) => {
    const fastify = scope as unknown as FastifyInstance;
    fastify.addContentTypeParser(['text/xml', 'application/soap+xml'], { parseAs: 'string' }, (_request, body, done) => done(null, body));

    for (const service of [booking, remoteSetup]) {
      const entry = servers.get(service)!;

      fastify.get(service.path, { schema: { hide: true } }, async (request: FastifyRequest, reply: FastifyReply) => {
        const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
        if (!/^wsdl$/i.test(query.split('&')[0] ?? '')) {
          throw new AppError('VALIDATION_FAILED', `Ask ${service.path}?WSDL for the service description, or POST a SOAP request.`);
        }
        // The WSDL describes the interface, no data: served without credentials, its address the one it was asked at.
        const origin = `${request.protocol}://${request.host}`;
        return reply.type('text/xml; charset=utf-8').send(entry.wsdl.replace(/location="http:\/\/localhost\/[^"]*"/g, `location="${escapeXml(origin + service.path)}"`));
      });

      fastify.post(service.path, { schema: { hide: true } }, async (request: FastifyRequest, reply: FastifyReply) => {
        const contentType = String(request.headers['content-type'] ?? '');
        if (typeof request.body !== 'string') throw new AppError('UNSUPPORTED_MEDIA_TYPE', `Send SOAP: Content-Type text/xml (SOAP 1.1) or application/soap+xml (SOAP 1.2), not ${contentType || 'none'}.`);
        const soap12 = isSoap12(request);
        const actor = await basicActor(request);
        if (!actor) {
          reply.header('WWW-Authenticate', 'Basic realm="Switchboard TMSBA"');
          throw new AppError('UNAUTHENTICATED', 'Send HTTP Basic credentials of a Switchboard user (booker or above); NTLM is not supported.');
        }
        const headerAction = request.headers.soapaction;
        const action12 = /;\s*action="?([^";]+)"?/i.exec(contentType)?.[1];
        const soapAction = (typeof headerAction === 'string' ? headerAction.replace(/^"|"$/g, '') : undefined) || action12 || undefined;
        const { versionHeader } = operationOf(service, request.body, soap12, soapAction);
        const headers: Record<string, string> = { 'content-type': contentType, ...(soapAction ? { soapaction: soapAction } : {}) };
        const context: Context = { actor, trackingId: request.id };
        context.call = prepare(service, context, versionHeader);
        contexts.set(headers, context);
        const answer = await (soap12 ? entry.soap12 : entry.soap11).processRequest(request.body, { headers, url: service.path, method: 'POST' } as never);
        if (context.error) throw context.error;
        if (answer.statusCode >= 400) {
          request.log.error({ status: answer.statusCode, body: answer.body.slice(0, 2000) }, 'the SOAP library failed a TMSBA request');
          throw new AppError('INTERNAL', 'The SOAP request could not be processed; quote the tracking ID.');
        }
        return reply.status(200).type(soap12 ? SOAP12_TYPE : SOAP11_TYPE).send(answer.body);
      });
    }
  });
}
