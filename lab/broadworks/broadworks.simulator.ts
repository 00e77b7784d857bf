import http from 'node:http';
import { XMLBuilder } from 'fast-xml-parser';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../platform/clock.ts';

// S2: a BroadWorks Application Server, as much of it as Webex-for-BroadWorks provisioning touches:
// service providers (enterprises) with their Integrated IM&P provisioning settings, groups, users,
// and the provisioning adapter — turning a user's Integrated IM&P on or off sends a flow-through
// request to the configured Provisioning Bridge URL. It also answers BroadWorks credential look-ups
// (self-activation) and the XSI / auth-service URLs a cluster connectivity check probes.

export type ImpSettings = { provisioningUrl: string; provisioningUserId: string; provisioningPassword: string };
export type BwServiceProvider = { id: string; name: string; imp: ImpSettings | null; groups: Map<string, { id: string; name: string }> };
export type BwUser = {
  userId: string;
  serviceProviderId: string;
  groupId: string;
  firstName: string;
  lastName: string;
  email?: string;
  phoneNumber?: string;
  extension?: string;
  mobilePhoneNumber?: string;
  language?: string;
  timezone?: string;
  password: string;
  integratedImp: boolean;
};
/** The AS's PSLog: every flow-through request it sent and what came back. */
export type PsLogEntry = { at: string; action: 'add' | 'modify' | 'delete'; userId: string; url: string; status: number; response: string };

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@', format: true, suppressEmptyNode: true });

export type BroadworksSimulator = ReturnType<typeof createBroadworksSimulator>;

export function createBroadworksSimulator(options: { clock: Clock; host?: string; port?: number; resolveUrl?: (url: string) => string }) {
  const serviceProviders = new Map<string, BwServiceProvider>();
  const users = new Map<string, BwUser>();
  const psLog: PsLogEntry[] = [];
  let server: http.Server | null = null;
  let baseUrl = '';

  function requestXml(action: PsLogEntry['action'], user: BwUser) {
    const body = {
      provisioningRequest: {
        '@version': '1.0',
        user: {
          '@action': action,
          userId: user.userId,
          serviceProviderId: user.serviceProviderId,
          groupId: user.groupId,
          ...(action === 'delete'
            ? {}
            : {
                firstName: user.firstName,
                lastName: user.lastName,
                email: user.email,
                primaryPhoneNumber: user.phoneNumber,
                mobilePhoneNumber: user.mobilePhoneNumber,
                extension: user.extension,
                language: user.language,
                timezone: user.timezone,
              }),
        },
      },
    };
    return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build(body)}`;
  }

  async function send(action: PsLogEntry['action'], user: BwUser): Promise<PsLogEntry> {
    const sp = serviceProviders.get(user.serviceProviderId);
    if (!sp?.imp) throw new Error(`Service provider ${user.serviceProviderId} has no Integrated IM&P provisioning URL.`);
    const url = options.resolveUrl ? options.resolveUrl(sp.imp.provisioningUrl) : sp.imp.provisioningUrl;
    const authorization = `Basic ${Buffer.from(`${sp.imp.provisioningUserId}:${sp.imp.provisioningPassword}`).toString('base64')}`;
    let status = 0;
    let response = '';
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/xml', authorization }, body: requestXml(action, user), signal: AbortSignal.timeout(30_000) });
      status = res.status;
      response = await res.text();
    } catch (error) {
      response = (error as Error).message;
    }
    const entry = { at: options.clock.now().toISOString(), action, userId: user.userId, url, status, response };
    psLog.push(entry);
    if (psLog.length > 1000) psLog.shift();
    return entry;
  }

  const sim = {
    get baseUrl() {
      return baseUrl;
    },
    serviceProviders,
    users,
    psLog,
    addServiceProvider(input: { id: string; name?: string; imp?: ImpSettings | null }) {
      const sp: BwServiceProvider = { id: input.id, name: input.name ?? input.id, imp: input.imp ?? null, groups: new Map() };
      serviceProviders.set(sp.id, sp);
      return sp;
    },
    setImpSettings(serviceProviderId: string, imp: ImpSettings) {
      const sp = serviceProviders.get(serviceProviderId);
      if (!sp) throw new Error(`No service provider ${serviceProviderId}`);
      sp.imp = imp;
    },
    addGroup(serviceProviderId: string, groupId: string, name = groupId) {
      const sp = serviceProviders.get(serviceProviderId);
      if (!sp) throw new Error(`No service provider ${serviceProviderId}`);
      sp.groups.set(groupId, { id: groupId, name });
    },
    addUser(input: Omit<BwUser, 'integratedImp'> & { integratedImp?: boolean }) {
      const sp = serviceProviders.get(input.serviceProviderId);
      if (!sp?.groups.has(input.groupId)) throw new Error(`No group ${input.serviceProviderId}/${input.groupId}`);
      if (users.has(input.userId)) throw new Error(`User ${input.userId} exists`);
      const user: BwUser = { ...input, integratedImp: false };
      users.set(user.userId, user);
      return user;
    },
    /** UserIntegratedIMPModifyRequest isActive: turning it on adds the user on Webex, off deletes it. */
    async setIntegratedImp(userId: string, isActive: boolean): Promise<PsLogEntry | null> {
      const user = users.get(userId);
      if (!user) throw new Error(`No user ${userId}`);
      if (user.integratedImp === isActive) return null;
      user.integratedImp = isActive;
      return send(isActive ? 'add' : 'delete', user);
    },
    /** A profile change of a user with IM&P on is synchronised (enableSynchronization true). */
    async modifyUser(userId: string, patch: Partial<Omit<BwUser, 'userId' | 'serviceProviderId' | 'groupId' | 'integratedImp'>>) {
      const user = users.get(userId);
      if (!user) throw new Error(`No user ${userId}`);
      Object.assign(user, patch);
      return user.integratedImp ? send('modify', user) : null;
    },
    /** Self-activation: Webex signs the user in with BroadWorks credentials. */
    authenticate(userId: string, password: string): BwUser | null {
      const user = users.get(userId);
      return user && user.password === password ? user : null;
    },
    async start() {
      server = http.createServer((req, res) => {
        const path = (req.url ?? '/').split('?')[0]!;
        // What a cluster connectivity check probes: XSI actions/events and the auth service.
        if (req.method === 'GET' && /^\/com\.broadsoft\.xsi-(actions|events)\/v2\.0\/?$/.test(path)) {
          res.writeHead(200, { 'content-type': 'application/xml' }).end('<?xml version="1.0" encoding="UTF-8"?><Xsi version="2.0"/>');
          return;
        }
        // Credential look-up (self-activation): HTTP Basic with the user's BroadWorks ID and password.
        if (req.method === 'POST' && path === '/authService') {
          const header = req.headers.authorization ?? '';
          const decoded = header.toLowerCase().startsWith('basic ') ? Buffer.from(header.slice(6), 'base64').toString('utf8') : '';
          const colon = decoded.indexOf(':');
          const user = colon > 0 ? sim.authenticate(decoded.slice(0, colon), decoded.slice(colon + 1)) : null;
          req.resume();
          if (!user) {
            res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="BroadWorks"' }).end(JSON.stringify({ error: 'invalid credentials' }));
            return;
          }
          const { password: _p, integratedImp: _i, ...profile } = user;
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(profile));
          return;
        }
        if (req.method === 'GET' && path === '/authService') {
          res.writeHead(200, { 'content-type': 'text/plain' }).end('BroadWorks Authentication Service');
          return;
        }
        if (req.method === 'GET' && path === '/lab/state') {
          const state = {
            serviceProviders: [...serviceProviders.values()].map((sp) => ({ id: sp.id, name: sp.name, provisioningUrl: sp.imp?.provisioningUrl ?? null, provisioningUserId: sp.imp?.provisioningUserId ?? null, groups: [...sp.groups.values()] })),
            users: [...users.values()].map(({ password: _p, ...u }) => u),
            psLog,
          };
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(state));
          return;
        }
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      });
      await new Promise<void>((resolve, reject) => {
        // A remembered port taken meanwhile is the caller's to handle (lab/lab.state.ts).
        server!.once('error', reject);
        server!.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
      });
      const address = server.address() as AddressInfo;
      baseUrl = `http://${address.address}:${address.port}`;
      return baseUrl;
    },
    async stop() {
      if (!server) return;
      const s = server;
      server = null;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
  return sim;
}
