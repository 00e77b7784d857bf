// S4: a UC application cluster (CUCM or Unity Connection) as the licensing connector sees it: one
// HTTP listener per node, the first being the publisher. Publisher-only interfaces:
// - PAWS DeploymentModeService (SOAP 1.2, platform credentials): get/setDeploymentMode; a change
//   reboots the publisher, which refuses connections for `rebootMs` of the injected clock;
// - CUCM AXL (SOAP 1.1, /axl/, admin credentials): getCCMVersion, getSmartLicenseStatus,
//   doSmartLicenseRegister/DeRegister/RenewAuthorization/RenewRegistration, get/doUpdateTransportSettings,
//   with axlError faults as AXL sends them;
// - Unity Connection CUPI (/vmrest/smartlicense/…, admin credentials) with the documented 400/405 rules.
// Registration really happens at the CSSM simulator (its /sim/agent endpoints) with a token from it.
import crypto from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { AppError } from '../../platform/errors.ts';
import { fingerprintOf, generateCertificate, loadOrCreateCertificate, saveCertificate, type TlsMaterial } from '../cms/cms.tls.ts';
import type { AddressInfo, Socket } from 'node:net';
import { XMLParser } from 'fast-xml-parser';
import type { Clock } from '../../platform/clock.ts';

export type UcType = 'CUCM' | 'CUC';
export type DeploymentMode = 'Enterprise' | 'HCS' | 'HCS-LE';
export type UcTransport = { transportMode: 'Direct' | 'Proxy' | 'TransportGateway' | 'Satellite'; url: string; httpHost: string; httpPort: string };
export type RegistrationStatus = 'Unregistered' | 'Registration In Progress' | 'Registered' | 'Registration Expired';

export type UcClusterState = {
  deploymentMode: DeploymentMode;
  transport: UcTransport;
  registration: {
    status: RegistrationStatus;
    smartAccount: string | null;
    virtualAccount: string | null;
    registeredAt: Date | null;
    lastRenewal: Date | null;
    exportControlled: 'Allowed' | 'Not Allowed';
    failedReason: string | null;
  };
  installedAt: Date;
  rebootingUntil: number;
  reboots: number;
  udi: { udiPid: string; udiSerialNumber: string; uuid: string };
  users: number;
};

/**
 * How the publisher behaves where real ones differ (knobs), on the injected clock:
 * - modeChangeMs: setDeploymentMode answers after this long (the change is applied when it answers,
 *   then the publisher restarts), getDeploymentMode reports the old mode meanwhile;
 * - revertModeChanges: this many mode changes are lost by the restart (it comes back in the old mode);
 * - registrationMs: a registration answers at once and shows "Registration In Progress" this long;
 * - restartUnavailable: while restarting the publisher answers 503 (Tomcat up, services starting)
 *   instead of refusing connections;
 * - axlVersions: the AXL schema versions it answers (default from its version).
 */
export type UcBehaviour = { modeChangeMs: number; revertModeChanges: number; registrationMs: number; restartUnavailable: boolean; axlVersions: string[] };

/** AXL schema versions Switchboard knows, oldest first. */
export const AXL_SCHEMA_VERSIONS = ['10.0', '10.5', '11.0', '11.5', '12.0', '12.5', '14.0', '15.0'] as const;

/** A publisher answers its own release's AXL schema and those of releases up to two majors older. */
export function defaultAxlVersions(version: string): string[] {
  const m = /^(\d+)\.(\d+)/.exec(version);
  const major = Number(m?.[1] ?? 12);
  const minor = Number(m?.[2] ?? 5);
  return AXL_SCHEMA_VERSIONS.filter((v) => {
    const [vMajor, vMinor] = v.split('.').map(Number) as [number, number];
    return (vMajor < major || (vMajor === major && vMinor <= minor)) && vMajor >= major - 2;
  });
}

export type UcFault = { kind: 'none' } | { kind: 'down' } | { kind: 'server-error' } | { kind: 'slow'; delayMs: number };

export type UcClusterSimulatorOptions = {
  name: string;
  type: UcType;
  version?: string;
  host?: string;
  /** Port of the first node; the others take the next ports (0 = ephemeral for every node). */
  port?: number;
  /** Each node's own port instead (the Lab's remembered ones); wins over `port`. */
  ports?: number[];
  nodes?: number;
  clock: Clock;
  admin?: { username: string; password: string };
  platform?: { username: string; password: string };
  /** Where the Smart Agent reaches CSSM (the lab's CSSM simulator stands in for Cisco's cloud). */
  cssmUrl?: string;
  /** How long the publisher is down after a deployment-mode change (clock time; 0 in tests). */
  rebootMs?: number;
  deploymentMode?: DeploymentMode;
  users?: number;
  /**
   * Serve HTTPS (as a real publisher does on 8443) with a self-signed certificate: this one, or the
   * one kept in `certDir` (`cucm-lab-<name>`, made on first start, replaced by `rotateCertificate`).
   */
  https?: boolean;
  tls?: TlsMaterial;
  certDir?: string;
};

export type UcClusterSimulator = {
  name: string;
  type: UcType;
  version: string;
  nodes: Array<{ name: string; url: string; publisher: boolean }>;
  publisherUrl: string;
  state: UcClusterState;
  admin: { username: string; password: string };
  platform: { username: string; password: string };
  setFault(fault: UcFault): void;
  getFault(): UcFault;
  setBehaviour(behaviour: Partial<UcBehaviour>): UcBehaviour;
  getBehaviour(): UcBehaviour;
  /** setDeploymentMode requests received (including repeats). */
  modeChangeRequests: number;
  setCssmUrl(url: string): void;
  /** SHA-256 of the certificate the nodes present; null over plain HTTP. */
  certificateFingerprint(): string | null;
  /** Lab knob: a new self-signed certificate (a renewed one), kept in certDir when given; open connections drop. */
  rotateCertificate(): Promise<{ fingerprint: string }>;
  /** The licensing state machine's time-driven view (evaluation, authorization, expiry). */
  licenseStatus(): { registration: RegistrationStatus; authorization: string; evaluationRemaining: string; lastRenewal: string; nextRenewal: string; registrationExpires: string };
  start(): Promise<void>;
  stop(): Promise<void>;
};

const EVAL_MS = 90 * 86_400_000;
const REGISTRATION_LIFETIME_MS = 365 * 86_400_000;
const AUTH_RENEW_MS = 30 * 86_400_000;

const parser = new XMLParser({ removeNSPrefix: true, ignoreAttributes: true, parseTagValue: false, trimValues: true });

export function createUcClusterSimulator(options: UcClusterSimulatorOptions): UcClusterSimulator {
  const clock = options.clock;
  const host = options.host ?? '127.0.0.1';
  const nodeCount = options.nodes ?? 1;
  const type = options.type;
  const version = options.version ?? (type === 'CUCM' ? '12.5.1.11900-146' : '12.5.1.11900-53');
  const admin = options.admin ?? { username: 'administrator', password: 'admin-password' };
  const platform = options.platform ?? { username: 'platformadmin', password: 'platform-password' };
  let cssmUrl = options.cssmUrl ?? '';
  let fault: UcFault = { kind: 'none' };
  const behaviour: UcBehaviour = { modeChangeMs: 0, revertModeChanges: 0, registrationMs: 0, restartUnavailable: false, axlVersions: defaultAxlVersions(version) };
  let registrationDoneAt = 0;
  let tls: TlsMaterial | undefined;
  const certName = `cucm-lab-${options.name}`.replace(/[^A-Za-z0-9._-]/g, '_');
  const serial = crypto.randomBytes(3).toString('hex');
  const state: UcClusterState = {
    deploymentMode: options.deploymentMode ?? 'Enterprise',
    transport: { transportMode: 'Direct', url: 'https://tools.cisco.com/its/service/oddce/services/DDCEService', httpHost: '', httpPort: '' },
    registration: { status: 'Unregistered', smartAccount: null, virtualAccount: null, registeredAt: null, lastRenewal: null, exportControlled: 'Not Allowed', failedReason: null },
    installedAt: clock.now(),
    rebootingUntil: 0,
    reboots: 0,
    udi: { udiPid: type === 'CUCM' ? 'UCM' : 'Cisco Unity Connection', udiSerialNumber: `${options.name}-${serial}`, uuid: crypto.randomUUID().replaceAll('-', '') },
    users: options.users ?? 25,
  };
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const nodes: UcClusterSimulator['nodes'] = [];

  function usage(): Record<string, number> {
    const n = state.users;
    const prefix = { Enterprise: '', HCS: 'H', 'HCS-LE': 'HLE' }[state.deploymentMode];
    if (type === 'CUCM') {
      return state.deploymentMode === 'Enterprise' ? { UCM_Enhanced: n, UCM_Basic: Math.ceil(n / 5) } : { [`${prefix}UCM_Foundation`]: n, [`${prefix}UCM_Standard`]: Math.ceil(n / 5) };
    }
    return state.deploymentMode === 'Enterprise' ? { CUC_BasicMessaging: n } : { [`${prefix}CUC_BasicMessaging`]: n };
  }

  function expireIfDue() {
    const r = state.registration;
    if (registrationDoneAt && clock.now().getTime() >= registrationDoneAt) registrationDoneAt = 0;
    if (r.status === 'Registered' && r.lastRenewal && clock.now().getTime() - r.lastRenewal.getTime() > REGISTRATION_LIFETIME_MS) r.status = 'Registration Expired';
  }

  async function agentCall(action: string, body: unknown): Promise<{ ok: boolean; status: number; json: any }> {
    if (!cssmUrl) return { ok: false, status: 0, json: { statusMessage: 'communication send error: no CSSM configured' } };
    try {
      const response = await fetch(`${cssmUrl}/sim/agent/${action}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { ok: response.ok, status: response.status, json: await response.json() };
    } catch {
      return { ok: false, status: 0, json: { statusMessage: 'communication send error' } };
    }
  }

  type OpResult = { ok: true; message: string } | { ok: false; status: 400 | 405 | 500; message: string };

  async function register(token: string, force: boolean): Promise<OpResult> {
    expireIfDue();
    if (state.registration.status === 'Registered' && !force) return { ok: false, status: 405, message: "Product is already registered on CSSM. To Re-register it use 'force' flag" };
    const answer = await agentCall('register', { token, udi: state.udi, productTagName: type === 'CUCM' ? 'regid.2016-07.com.cisco.UCM,12.5' : 'regid.2017-02.com.cisco.CUC,12.5', productDescription: type === 'CUCM' ? 'Cisco Unified Communications Manager' : 'Cisco Unity Connection', hostname: nodes[0]?.name, usage: usage() });
    if (!answer.ok) {
      state.registration.failedReason = answer.json?.statusMessage ?? 'unable to register';
      if (answer.status === 400) return { ok: false, status: 400, message: 'The Product Instance Registration Token you have entered is either invalid or has been expired. Please enter a valid token.' };
      return { ok: false, status: 500, message: `Smart Licensing registration failed: ${answer.status === 0 ? 'communication send error' : 'unable to register'}` };
    }
    const now = clock.now();
    state.registration = { status: 'Registered', smartAccount: answer.json.smartAccount, virtualAccount: answer.json.virtualAccount, registeredAt: now, lastRenewal: now, exportControlled: answer.json.exportControlled, failedReason: null };
    if (behaviour.registrationMs > 0) {
      // The Smart Agent finishes in the background: the answer comes first, "Registered" later.
      registrationDoneAt = now.getTime() + behaviour.registrationMs;
      return { ok: true, message: 'Registration In Progress' };
    }
    return { ok: true, message: 'Registration completed successfully' };
  }

  async function deregister(): Promise<OpResult> {
    expireIfDue();
    if (state.registration.status === 'Unregistered') return { ok: false, status: 405, message: 'Product is not registered. Deregister operation is not allowed.' };
    const answer = await agentCall('deregister', { udiSerialNumber: state.udi.udiSerialNumber });
    if (!answer.ok && answer.status !== 404) return { ok: false, status: 500, message: 'Deregistration failed: communication send error' };
    state.registration = { status: 'Unregistered', smartAccount: null, virtualAccount: null, registeredAt: null, lastRenewal: null, exportControlled: 'Not Allowed', failedReason: null };
    return { ok: true, message: 'Deregistration completed successfully' };
  }

  function updateTransport(next: UcTransport): OpResult {
    if (state.registration.status === 'Registered') return { ok: false, status: 405, message: 'Edit Transport Settings operation is not allowed since product is in Registered state' };
    state.transport = next;
    return { ok: true, message: 'Transport settings updated successfully' };
  }

  function checkAuth(req: IncomingMessage, creds: { username: string; password: string }) {
    const m = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (!m) return false;
    const [user, ...rest] = Buffer.from(m[1]!, 'base64').toString('utf8').split(':');
    return user === creds.username && rest.join(':') === creds.password;
  }

  async function handle(req: IncomingMessage, res: ServerResponse, publisher: boolean) {
    if (fault.kind === 'down') return void req.socket.destroy();
    if (publisher && clock.now().getTime() < state.rebootingUntil) {
      if (behaviour.restartUnavailable) return text(res, 503, 'text/html', '<html><body>HTTP Status 503 - Service Unavailable</body></html>');
      return void req.socket.destroy();
    }
    if (fault.kind === 'slow') await clock.sleep(fault.delayMs);
    if (fault.kind === 'server-error') return text(res, 503, 'text/plain', 'Service Unavailable');
    const body = await readBody(req);
    const path = new URL(req.url ?? '/', 'http://sim').pathname;

    if (path.startsWith('/platform-services/services/DeploymentModeService')) {
      if (!checkAuth(req, platform)) return text(res, 401, 'text/plain', 'Unauthorized');
      const envelope = parser.parse(body)?.Envelope?.Body ?? {};
      const op = Object.keys(envelope)[0];
      if (!publisher) return soap12Fault(res, 'Deployment mode can only be changed on the publisher node');
      if (op === 'getDeploymentMode') return soap12(res, 'getDeploymentModeResponse', state.deploymentMode);
      if (op === 'setDeploymentMode') {
        const mode = String(envelope.setDeploymentMode?.args0 ?? '');
        if (!['Enterprise', 'HCS', 'HCS-LE'].includes(mode)) return soap12Fault(res, `Invalid deployment mode ${mode}`);
        if (state.registration.status === 'Registered') return soap12Fault(res, 'Deployment mode cannot be changed while the product is registered');
        sim.modeChangeRequests++;
        if (mode !== state.deploymentMode) {
          if (behaviour.modeChangeMs > 0) await clock.sleep(behaviour.modeChangeMs);
          // Meanwhile another request may have made the change already.
          if (mode === state.deploymentMode) return soap12(res, 'setDeploymentModeResponse', 'true');
          const lost = behaviour.revertModeChanges > 0;
          if (lost) behaviour.revertModeChanges--;
          else state.deploymentMode = mode as DeploymentMode;
          state.reboots++;
          // The answer goes out, then the publisher restarts (and, when the change was not saved,
          // comes back in the old mode).
          state.rebootingUntil = clock.now().getTime() + (options.rebootMs ?? 120_000);
        }
        return soap12(res, 'setDeploymentModeResponse', 'true');
      }
      return soap12Fault(res, `Unknown operation ${op}`);
    }

    if (type === 'CUCM' && path.replace(/\/$/, '') === '/axl') {
      if (!checkAuth(req, admin)) return text(res, 401, 'text/html', '<html><body>HTTP Status 401 - Unauthorized</body></html>');
      const envelope = parser.parse(body)?.Envelope?.Body ?? {};
      const op = Object.keys(envelope)[0] ?? '';
      const args = (envelope[op] ?? {}) as Record<string, any>;
      // The schema version asked, from the SOAPAction ("CUCM:DB ver=12.5 op") or the namespace.
      const asked = /ver=(\d+\.\d+)/.exec(String(req.headers.soapaction ?? ''))?.[1] ?? /AXL\/API\/(\d+\.\d+)/.exec(body)?.[1] ?? '';
      if (!behaviour.axlVersions.includes(asked)) return text(res, 599, 'text/xml; charset=utf-8', `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>soapenv:Client</faultcode><faultstring>Unsupported AXL version ${xml(asked || '(none)')}</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`);
      const axl = (r: ServerResponse, o: string, inner: string) => axlAnswer(r, o, inner, asked);
      if (op === 'getCCMVersion') return axl(res, op, `<return><componentVersion><version>${version}</version></componentVersion></return>`);
      if (!publisher && /SmartLicense|TransportSettings/.test(op)) return axlFault(res, op, -1, 'Smart Licensing operations are not allowed from Subscriber node.');
      switch (op) {
        case 'getSmartLicenseStatus': {
          const s = computeStatus();
          const entitlements = Object.entries(usage())
            .map(([tag, count]) => `<Entitlement><Tag>${tag}</Tag><Count>${count}</Count><Status>${s.registration === 'Registered' ? 'InCompliance' : 'Eval'}</Status></Entitlement>`)
            .join('');
          // Like 12.5 and 14 really do: no <return> wrapper, straight to LicenseDetails.
          return axl(
            res,
            op,
            `<LicenseDetails><SmartLicensing>Enabled</SmartLicensing><Registration><Status>${s.registration}</Status><SmartAccount>${xml(state.registration.smartAccount ?? '')}</SmartAccount><VirtualAccount>${xml(state.registration.virtualAccount ?? '')}</VirtualAccount><LastRenewalAttempt>${s.lastRenewal}</LastRenewalAttempt><NextRenewalAttempt>${s.nextRenewal}</NextRenewalAttempt><RegistrationFailedReason>${xml(state.registration.failedReason ?? '')}</RegistrationFailedReason><RegistrationExpires>${s.registrationExpires}</RegistrationExpires><ProductUDI>PID:${state.udi.udiPid},SN:${state.udi.udiSerialNumber},UUID:${state.udi.uuid}</ProductUDI><ExportControlFunctionality>${state.registration.exportControlled}</ExportControlFunctionality></Registration><Authorization><Status>${s.authorization}</Status><EvaluationPeriodRemaining>${s.evaluationRemaining}</EvaluationPeriodRemaining></Authorization><LicenseStatus>${entitlements}</LicenseStatus></LicenseDetails>`,
          );
        }
        case 'doSmartLicenseRegister': {
          const result = await register(String(args.token ?? ''), String(args.force) === 'true');
          return result.ok ? axl(res, op, `<return>${result.message}</return>`) : axlFault(res, op, result.status === 400 ? 5007 : result.status === 405 ? 5008 : 5009, result.message);
        }
        case 'doSmartLicenseDeRegister': {
          const result = await deregister();
          return result.ok ? axl(res, op, `<return>${result.message}</return>`) : axlFault(res, op, 5010, result.message);
        }
        case 'doSmartLicenseRenewAuthorization':
        case 'doSmartLicenseRenewRegistration': {
          expireIfDue();
          if (state.registration.status !== 'Registered') return axlFault(res, op, 5011, 'Product is not registered.');
          if (op === 'doSmartLicenseRenewRegistration') state.registration.lastRenewal = clock.now();
          return axl(res, op, '<return>Renew completed successfully</return>');
        }
        case 'getTransportSettings': {
          const t = state.transport;
          return axl(res, op, `<return><TransportSettings><transportmode>${t.transportMode}</transportmode><transportUrl>${xml(t.url)}</transportUrl><transportGatewayUrl>${t.transportMode === 'TransportGateway' ? xml(t.url) : ''}</transportGatewayUrl><httpHost>${xml(t.httpHost)}</httpHost><httpPort>${xml(t.httpPort)}</httpPort><proxyAuthenticationEnabled>false</proxyAuthenticationEnabled></TransportSettings></return>`);
        }
        case 'doUpdateTransportSettings': {
          const mode = String(args.transportMode ?? '');
          if (!['Direct', 'Proxy', 'TransportGateway', 'Satellite'].includes(mode)) return axlFault(res, op, 5003, `Invalid transportMode ${mode}`);
          const result = updateTransport({ transportMode: mode as UcTransport['transportMode'], url: String(args.url ?? ''), httpHost: String(args.httpHost ?? ''), httpPort: String(args.httpPort ?? '') });
          return result.ok ? axl(res, op, `<return>${result.message}</return>`) : axlFault(res, op, 5012, result.message);
        }
        default:
          return axlFault(res, op, 5000, `Unknown AXL operation ${op}`);
      }
    }

    if (type === 'CUC' && path.startsWith('/vmrest/')) {
      if (!checkAuth(req, admin)) return json(res, 401, { errors: { code: 'NOT_AUTHORIZED', message: 'User is not authorized to perform this operation' } });
      const route = path.replace(/\/$/, '');
      if (route === '/vmrest/version/product') return json(res, 200, { ProductName: 'Cisco Unity Connection', ProductVersion: version });
      if (!route.startsWith('/vmrest/smartlicense/')) return json(res, 404, { errors: { code: 'NOT_FOUND', message: `No resource ${route}` } });
      const notAllowed = () => json(res, 405, { errors: { code: 'METHOD_NOT_ALLOWED', message: 'This operation is not allowed from Subscriber node. Please try from Publisher node.' } });
      if (!publisher) return notAllowed();
      const input = body ? safeJson(body) : {};
      const reply = (result: OpResult) => (result.ok ? json(res, 200, { message: result.message }) : json(res, result.status, { errors: { code: result.status === 400 ? 'INVALID_PARAMETER' : result.status === 405 ? 'METHOD_NOT_ALLOWED' : 'INTERNAL_SERVER_ERROR', message: result.message } }));
      const cupiModes = ['Direct', 'Satellite', 'Proxy'] as const;
      if (route === '/vmrest/smartlicense/transportsettings' && req.method === 'GET') {
        const t = state.transport;
        return json(res, 200, { TransportSetting: { transportMode: String(Math.max(0, cupiModes.indexOf(t.transportMode as (typeof cupiModes)[number]))), transportUrl: t.url, httpHost: t.httpHost, httpPort: t.httpPort, isPrivacyEnabled: 'false', isProxyAuthReq: 'false', httpProxyUser: '' } });
      }
      if (route === '/vmrest/smartlicense/transportsettings' && req.method === 'PUT') {
        const modeIndex = Number(input.transportMode);
        if (!Number.isInteger(modeIndex) || modeIndex < 0 || modeIndex > 2) return json(res, 400, { errors: { code: 'INVALID_PARAMETER', message: 'Please enter a valid Transport Mode within the range (0 - 2).' } });
        if (modeIndex === 2) {
          const port = Number(input.httpPort);
          if (!input.httpHost) return json(res, 400, { errors: { code: 'INVALID_PARAMETER', message: 'Please enter a valid HTTP/HTTPS Proxy IP Address and/or Host Name.' } });
          if (!Number.isInteger(port) || port < 1 || port > 65535) return json(res, 400, { errors: { code: 'INVALID_PARAMETER', message: 'Please enter a valid Proxy Port within the range (1 - 65535).' } });
        }
        if (modeIndex === 1 && !/^https?:\/\//.test(String(input.transportUrl ?? ''))) return json(res, 400, { errors: { code: 'INVALID_PARAMETER', message: 'Please enter a valid Transport Gateway URL.' } });
        return reply(updateTransport({ transportMode: cupiModes[modeIndex]!, url: String(input.transportUrl ?? ''), httpHost: String(input.httpHost ?? ''), httpPort: String(input.httpPort ?? '') }));
      }
      if (route === '/vmrest/smartlicense/register' && req.method === 'PUT') return reply(await register(String(input.token ?? ''), String(input.force) === 'true'));
      if (route === '/vmrest/smartlicense/deregister' && req.method === 'PUT') return reply(await deregister());
      if ((route === '/vmrest/smartlicense/renewAuth' || route === '/vmrest/smartlicense/renewID') && req.method === 'PUT') {
        expireIfDue();
        if (state.registration.status !== 'Registered') return json(res, 405, { errors: { code: 'METHOD_NOT_ALLOWED', message: 'Product is not registered.' } });
        if (route.endsWith('renewID')) state.registration.lastRenewal = clock.now();
        return json(res, 200, { message: 'Renew completed successfully' });
      }
      if (route === '/vmrest/smartlicense/licensedetails' && req.method === 'GET') {
        const s = computeStatus();
        return json(res, 200, {
          LicenseDetails: {
            SmartLicensing: 'Enabled',
            Register: { Status: s.registration, SmartAccount: state.registration.smartAccount ?? '', VirtualAccount: state.registration.virtualAccount ?? '', LastRenewalAttempt: s.lastRenewal, NextRenewalAttempt: s.nextRenewal, ProductUDI: `pid=${state.udi.udiPid} sn=${state.udi.udiSerialNumber}`, ExportControlFunctionality: state.registration.exportControlled },
            Authorization: { Status: s.authorization, EvaluationPeriodRemaining: s.evaluationRemaining },
            LicenseUsage: { EntitlementTag: Object.entries(usage()).map(([Id, Count]) => ({ Id, Count: String(Count), Status: s.registration === 'Registered' ? 'InCompliance' : 'Eval' })) },
          },
        });
      }
      return json(res, 405, { errors: { code: 'METHOD_NOT_ALLOWED', message: `${req.method} ${route} is not allowed` } });
    }
    return text(res, 404, 'text/plain', 'Not Found');
  }

  function computeStatus() {
    expireIfDue();
    const now = clock.now().getTime();
    const r = state.registration;
    const evalLeft = Math.max(0, EVAL_MS - (now - state.installedAt.getTime()));
    const days = Math.floor(evalLeft / 86_400_000);
    const hours = Math.floor((evalLeft % 86_400_000) / 3_600_000);
    const minutes = Math.floor((evalLeft % 3_600_000) / 60_000);
    let authorization: string;
    if (r.status === 'Registered') authorization = now - (r.lastRenewal?.getTime() ?? now) > 90 * 86_400_000 ? 'Authorization Expired' : 'Authorized';
    else authorization = evalLeft > 0 ? 'Evaluation Mode' : 'Evaluation Expired';
    return {
      registration: r.status === 'Registered' && registrationDoneAt ? ('Registration In Progress' as const) : r.status,
      authorization,
      evaluationRemaining: `${days}:${hours}:${minutes}`,
      lastRenewal: r.lastRenewal ? `SUCCEEDED ${r.lastRenewal.toISOString()}` : 'Not Applicable',
      nextRenewal: r.lastRenewal ? new Date(r.lastRenewal.getTime() + AUTH_RENEW_MS).toISOString() : 'Not Applicable',
      registrationExpires: r.lastRenewal ? new Date(r.lastRenewal.getTime() + REGISTRATION_LIFETIME_MS).toISOString() : 'Not Applicable',
    };
  }

  const sim: UcClusterSimulator = {
    name: options.name,
    type,
    version,
    nodes,
    publisherUrl: '',
    state,
    admin,
    platform,
    setFault(next) {
      fault = next;
    },
    getFault: () => fault,
    setBehaviour(next) {
      Object.assign(behaviour, Object.fromEntries(Object.entries(next).filter(([, v]) => v !== undefined)));
      return sim.getBehaviour();
    },
    getBehaviour: () => ({ ...behaviour, axlVersions: [...behaviour.axlVersions] }),
    modeChangeRequests: 0,
    setCssmUrl(url) {
      cssmUrl = url;
    },
    licenseStatus: computeStatus,
    certificateFingerprint: () => (options.https && tls ? fingerprintOf(tls) : null),
    async rotateCertificate() {
      if (!options.https) throw new AppError('INVALID_STATE', `Cluster ${options.name} serves plain HTTP: it has no certificate.`, { cluster: options.name });
      const material = await generateCertificate([host]);
      if (options.certDir) await saveCertificate(options.certDir, certName, material);
      tls = material;
      for (const server of servers) (server as HttpsServer).setSecureContext({ key: material.key, cert: material.cert });
      for (const socket of sockets) socket.destroy();
      return { fingerprint: fingerprintOf(material) };
    },
    async start() {
      if (options.https && !tls) tls = options.tls ?? (await loadOrCreateCertificate(options.certDir ?? '.tmp/cucm-lab-tls', [host], certName));
      for (let i = 0; i < nodeCount; i++) {
        const publisher = i === 0;
        const handler = (req: IncomingMessage, res: ServerResponse) => {
          handle(req, res, publisher).catch((error) => text(res, 500, 'text/plain', String(error)));
        };
        const server: Server = options.https && tls ? createHttpsServer({ key: tls.key, cert: tls.cert }, handler) : createServer(handler);
        server.on('connection', (socket) => {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
        });
        const port = options.ports?.[i] ?? (options.port ? options.port + i : 0);
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, host, () => resolve());
        });
        servers.push(server);
        const url = `${options.https ? 'https' : 'http'}://${host}:${(server.address() as AddressInfo).port}`;
        nodes.push({ name: `${options.name}-${publisher ? 'pub' : `sub${i}`}`, url, publisher });
      }
      sim.publisherUrl = nodes[0]!.url;
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
  return sim;
}

function xml(value: string) {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function axlAnswer(res: ServerResponse, op: string, inner: string, schema: string) {
  text(res, 200, 'text/xml; charset=utf-8', `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><ns:${op}Response xmlns:ns="http://www.cisco.com/AXL/API/${schema}">${inner}</ns:${op}Response></soapenv:Body></soapenv:Envelope>`);
}

function axlFault(res: ServerResponse, op: string, code: number, message: string) {
  text(res, 500, 'text/xml; charset=utf-8', `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>soapenv:Client</faultcode><faultstring>${xml(message)}</faultstring><detail><axlError><axlcode>${code}</axlcode><axlmessage>${xml(message)}</axlmessage><request>${op}</request></axlError></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`);
}

function soap12(res: ServerResponse, element: string, value: string) {
  text(res, 200, 'application/soap+xml; charset=utf-8', `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://www.w3.org/2003/05/soap-envelope"><soapenv:Body><ns:${element} xmlns:ns="http://services.api.platform.vos.cisco.com"><ns:return>${xml(value)}</ns:return></ns:${element}></soapenv:Body></soapenv:Envelope>`);
}

function soap12Fault(res: ServerResponse, reason: string) {
  text(res, 500, 'application/soap+xml; charset=utf-8', `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://www.w3.org/2003/05/soap-envelope"><soapenv:Body><soapenv:Fault><soapenv:Code><soapenv:Value>soapenv:Receiver</soapenv:Value></soapenv:Code><soapenv:Reason><soapenv:Text xml:lang="en-US">${xml(reason)}</soapenv:Text></soapenv:Reason></soapenv:Fault></soapenv:Body></soapenv:Envelope>`);
}

function json(res: ServerResponse, status: number, body: unknown) {
  text(res, status, 'application/json', JSON.stringify(body));
}

function text(res: ServerResponse, status: number, contentType: string, body: string) {
  if (res.headersSent) return;
  res.statusCode = status;
  res.setHeader('content-type', contentType);
  res.end(body);
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
