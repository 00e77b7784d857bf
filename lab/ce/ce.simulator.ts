// A Cisco CE / RoomOS room codec as a management system sees it over HTTP (shared/reference/ce_xapi.md):
// Basic auth on every request (401 with the codec's challenge), `GET /getxml?location=/Status/…`,
// `POST /putxml` with `<Command>` documents (Dial, Call Disconnect, Bookings List/Put/Clear), the
// private `POST /bookingsputxml` that replaces the stored bookings, and the touch panel's Join button
// (`join`): the codec dials the booking's number, which the Lab hands to its CMS as a dial-in.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import type { Clock } from '../../platform/clock.ts';
import { fingerprintOf, generateCertificate, loadOrCreateCertificate, saveCertificate, type TlsMaterial } from '../cms/cms.tls.ts';

export type CeBooking = {
  id: string;
  title: string;
  organizer: string;
  privacy: 'Public' | 'Private';
  startTime: string;
  endTime: string;
  startTimeBuffer: number;
  endTimeBuffer: number;
  number: string;
  protocol: string;
  connectMode: string;
};

export type CeCall = { id: number; number: string; bookingId: string; status: 'Connected' | 'Disconnected'; reason?: string; remote?: unknown };

/** What dialling a number did: the Lab CMS admitted the call into a meeting, or refused it. */
export type CeDialOutcome = { connected: boolean; reason?: string; remote?: unknown };

export type CeFaults = {
  /** The codec does not answer: connections are refused. */
  down?: boolean;
  /** Every request gets 401, whatever credentials (a changed admin password). */
  unauthorized?: boolean;
  /** Each answer waits this long (real time). */
  slowMs?: number;
  /** The next `count` requests to `path` answer `status` (e.g. 500, 503). */
  failNext?: { path: string; count: number; status: number }[];
};

export type CeCodecOptions = {
  name: string;
  clock: Clock;
  username?: string;
  password?: string;
  /** `SystemUnit/Software/Version`, e.g. ce9.15.3.17 or ce11.14.2.3; the major gives the family. */
  version?: string;
  productId?: string;
  /** Registered to the Webex cloud (`Webex/Status` Registered). */
  webexRegistered?: boolean;
  /** The codec's own SIP URI (what the bridge sees as the caller). */
  sipUri?: string;
  host?: string;
  port?: number;
  serial?: string;
  /**
   * Serve HTTPS with a self-signed certificate, as codecs ship (ce_xapi.md §1): the one given, or one
   * generated and kept in `certDir` (`ce-lab-<name>`) so it survives a restart, as the Lab CMS's.
   */
  https?: boolean;
  tls?: TlsMaterial;
  certDir?: string;
  /** How a Join reaches a bridge; without it every call fails (`noRoute`). */
  dial?: (number: string, info: { displayName: string; remoteParty: string; bookingId: string }) => CeDialOutcome | Promise<CeDialOutcome>;
};

export type CeCodec = ReturnType<typeof createCeCodec>;

const CHALLENGE = 'Basic realm="CISCO-Endpoint"';
const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: true, isArray: (name) => name === 'Booking' || name === 'Call' });
const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: false });

/** Major.minor of a `ce9.15.3.17…` version string. */
export function ceVersion(version: string): { major: number; minor: number } {
  const m = /^(?:ce|tc)?(\d+)\.(\d+)/i.exec(version.trim());
  return { major: Number(m?.[1] ?? 0), minor: Number(m?.[2] ?? 0) };
}

/**
 * Whether this codec takes `xCommand Bookings Put` (ce_xapi.md §7): from CE 9.14; CE 9.x and RoomOS
 * 10.x only when registered to Webex (their schemas say so); RoomOS 11.14 and later dropped that
 * sentence, so the simulator takes it there unregistered too (⚠ not verified on a device).
 */
export function takesBookingsPut(version: string, webexRegistered: boolean): boolean {
  const { major, minor } = ceVersion(version);
  if (major < 9 || (major === 9 && minor < 14)) return false;
  if (webexRegistered) return true;
  return major > 11 || (major === 11 && minor >= 14);
}

export function createCeCodec(options: CeCodecOptions) {
  const { clock } = options;
  const username = options.username ?? 'admin';
  let password = options.password ?? 'ce-admin';
  const version = options.version ?? 'ce11.14.2.3.a1b2c3d4e5f';
  const productId = options.productId ?? 'Cisco Webex Room Kit';
  const sipUri = options.sipUri ?? `${options.name}@lab.local`;
  const serial = options.serial ?? `FOC${Buffer.from(options.name).toString('hex').slice(0, 8).toUpperCase()}`;
  const startedAt = clock.now().getTime();
  let bookings: CeBooking[] = [];
  let lastUpdated: string | null = null;
  let calls: CeCall[] = [];
  let nextCallId = 1;
  let faults: CeFaults = {};
  /** Every booking push received: which method, how many bookings, when (clock). */
  const pushes: { method: 'bookingsputxml' | 'Bookings Put'; count: number; at: string }[] = [];
  let server: Server | HttpsServer | undefined;
  let port = options.port ?? 0;
  let tlsMaterial: TlsMaterial | undefined = options.tls;
  let requestsReceived = 0;
  const certName = `ce-lab-${options.name}`;
  async function material(): Promise<TlsMaterial> {
    tlsMaterial ??= options.certDir ? await loadOrCreateCertificate(options.certDir, [options.host ?? '127.0.0.1'], certName) : await generateCertificate([options.host ?? '127.0.0.1']);
    return tlsMaterial;
  }
  const sockets = new Set<Socket>();

  function authorised(header: string | undefined) {
    if (faults.unauthorized) return false;
    const expected = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    return header === expected;
  }

  function xml(res: ServerResponse, status: number, body: string) {
    res.writeHead(status, { 'Content-Type': 'text/xml; charset=UTF-8', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }

  const activeCalls = () => calls.filter((c) => c.status === 'Connected');

  function statusTree() {
    const now = clock.now().getTime();
    const current = bookings.find((b) => Date.parse(b.startTime) - b.startTimeBuffer * 1000 <= now && now < Date.parse(b.endTime) + b.endTimeBuffer * 1000);
    const next = bookings.filter((b) => Date.parse(b.startTime) > now).sort((a, b) => a.startTime.localeCompare(b.startTime))[0];
    const { major } = ceVersion(version);
    return {
      SystemUnit: {
        ProductId: productId,
        ProductPlatform: productId.replace(/^Cisco (Webex )?/, ''),
        ProductType: 'Cisco Codec',
        Software: { Version: version, DisplayName: `${major >= 10 ? 'RoomOS' : 'CE'} ${version.replace(/^ce/, '')}` },
        Hardware: { Module: { SerialNumber: serial } },
        State: { NumberOfActiveCalls: activeCalls().length, NumberOfInProgressCalls: 0, NumberOfSuspendedCalls: 0 },
        Uptime: Math.floor((now - startedAt) / 1000),
      },
      SIP: { Registration: { Status: 'Registered', URI: sipUri } },
      Webex: { Status: options.webexRegistered ? 'Registered' : 'Disabled' },
      UserInterface: { ContactInfo: { Name: options.name } },
      Bookings: {
        Availability: current ? { Status: 'BookedUntil', TimeStamp: current.endTime } : next ? { Status: 'FreeUntil', TimeStamp: next.startTime } : { Status: 'Free', TimeStamp: '' },
        Current: { Id: current?.id ?? '' },
      },
      Call: activeCalls().map((c) => ({ '@_item': c.id, '@_maxOccurrence': 'n', CallbackNumber: `sip:${c.number}`, RemoteNumber: c.number, Direction: 'Outgoing', Protocol: 'Sip', Status: 'Connected' })),
      Conference: { Call: activeCalls().map((c) => ({ '@_item': c.id, BookingId: c.bookingId })) },
    } as Record<string, unknown>;
  }

  function getxml(location: string): string | undefined {
    const parts = location.split('/').filter(Boolean);
    if (parts[0] !== 'Status') return undefined;
    let node: unknown = statusTree();
    for (const part of parts.slice(1)) {
      if (!node || typeof node !== 'object' || !(part in (node as Record<string, unknown>))) return undefined;
      node = (node as Record<string, unknown>)[part];
    }
    // Only the requested branch, with its parents.
    let wrapped: unknown = node;
    for (const part of parts.slice(1).reverse()) wrapped = { [part]: wrapped };
    return `<?xml version="1.0"?>${builder.build({ Status: { '@_product': 'Cisco Codec', '@_version': version, '@_apiVersion': '4', ...(wrapped as object) } })}`;
  }

  function bookingXml(b: CeBooking, item: number) {
    return {
      '@_item': item, '@_maxOccurrence': 'n', Id: b.id, Title: b.title, Agenda: '', Privacy: b.privacy,
      Organizer: { FirstName: b.organizer, LastName: '', Email: '', Id: '' },
      Time: { StartTime: b.startTime, StartTimeBuffer: b.startTimeBuffer, EndTime: b.endTime, EndTimeBuffer: b.endTimeBuffer },
      BookingStatus: 'OK', BookingStatusMessage: '',
      DialInfo: { Calls: { Call: { '@_item': 1, Number: b.number, Protocol: b.protocol, CallRate: 6000, CallType: 'Video' } }, ConnectMode: b.connectMode },
    };
  }

  const result = (name: string, body: Record<string, unknown> = {}, status = 'OK') => `<?xml version="1.0"?>${builder.build({ Command: { [name]: { '@_status': status, ...body } } })}`;

  /** The JSON of `Bookings Put` → stored bookings; undefined when a required field is missing. */
  function fromPut(json: unknown): CeBooking[] | undefined {
    const list = (json as { Bookings?: unknown })?.Bookings;
    if (!Array.isArray(list)) return undefined;
    const out: CeBooking[] = [];
    for (const raw of list as Record<string, any>[]) {
      const start = raw?.Time?.StartTime;
      const duration = Number(raw?.Time?.Duration);
      if (!raw?.Id || !raw.Title || raw.Number === undefined || !raw.Protocol || !raw.Organizer?.Name || !start || !Number.isFinite(duration)) return undefined;
      const startMs = Date.parse(start);
      if (Number.isNaN(startMs)) return undefined;
      out.push({
        id: String(raw.Id), title: String(raw.Title), organizer: String(raw.Organizer.Name), privacy: raw.Privacy === 'Private' ? 'Private' : 'Public',
        startTime: iso(startMs), endTime: iso(startMs + duration * 60_000), startTimeBuffer: Number(raw.Time.StartTimeBuffer ?? 0), endTimeBuffer: Number(raw.Time.EndTimeBuffer ?? 0),
        number: String(raw.Number), protocol: String(raw.Protocol), connectMode: raw.Number ? 'OBTP' : 'Manual',
      });
    }
    return out;
  }

  /** `bookingsputxml` document → stored bookings; undefined when it is not a Bookings document. */
  function fromXml(body: string): CeBooking[] | undefined {
    let doc: Record<string, any>;
    try {
      doc = parser.parse(body);
    } catch {
      return undefined;
    }
    const root = doc?.Bookings;
    if (root === undefined) return undefined;
    const list: Record<string, any>[] = root === '' ? [] : (root.Booking ?? []);
    const out: CeBooking[] = [];
    for (const b of list) {
      const call = b?.DialInfo?.Calls?.Call?.[0] ?? {};
      if (!b?.Id || !b.Time?.StartTime || !b.Time?.EndTime) return undefined;
      out.push({
        id: String(b.Id), title: String(b.Title ?? ''), organizer: [b.Organizer?.FirstName, b.Organizer?.LastName].filter(Boolean).join(' '), privacy: b.Privacy === 'Private' ? 'Private' : 'Public',
        startTime: String(b.Time.StartTime), endTime: String(b.Time.EndTime), startTimeBuffer: Number(b.Time.StartTimeBuffer ?? 0), endTimeBuffer: Number(b.Time.EndTimeBuffer ?? 0),
        number: String(call.Number ?? ''), protocol: String(call.Protocol ?? 'SIP'), connectMode: String(b.DialInfo?.ConnectMode ?? 'OBTP'),
      });
    }
    return out;
  }

  function store(list: CeBooking[], method: 'bookingsputxml' | 'Bookings Put') {
    bookings = list.sort((a, b) => a.startTime.localeCompare(b.startTime) || a.id.localeCompare(b.id));
    lastUpdated = iso(clock.now().getTime());
    pushes.push({ method, count: list.length, at: lastUpdated });
    if (pushes.length > 100) pushes.shift();
  }

  async function dial(number: string, bookingId: string): Promise<CeCall> {
    const call: CeCall = { id: nextCallId++, number: number.replace(/^sip:/i, ''), bookingId, status: 'Disconnected' };
    calls.push(call);
    if (calls.length > 50) calls = calls.slice(-50);
    const outcome = options.dial ? await options.dial(call.number, { displayName: options.name, remoteParty: sipUri, bookingId }) : { connected: false, reason: 'noRoute' };
    call.status = outcome.connected ? 'Connected' : 'Disconnected';
    call.reason = outcome.reason;
    call.remote = outcome.remote;
    return call;
  }

  async function putxml(body: string): Promise<string> {
    let doc: Record<string, any>;
    try {
      doc = parser.parse(body);
    } catch {
      return `<?xml version="1.0"?><ActionError><Reason>No action detected in document</Reason></ActionError>`;
    }
    const command = doc?.Command;
    if (!command || typeof command !== 'object') return `<?xml version="1.0"?><ActionError><Reason>No action detected in document</Reason></ActionError>`;
    if (command.Dial) {
      if (!command.Dial.Number) return result('DialResult', { Reason: 'Missing or invalid parameter(s): Number' }, 'Error');
      const call = await dial(String(command.Dial.Number), String(command.Dial.BookingId ?? ''));
      return result('DialResult', { CallId: call.id, ConferenceId: call.id });
    }
    if (command.Call?.Disconnect !== undefined) {
      const id = Number(command.Call.Disconnect?.CallId ?? activeCalls()[0]?.id);
      const call = calls.find((c) => c.id === id && c.status === 'Connected');
      if (!call) return result('CallDisconnectResult', { Reason: 'No active call(s) found' }, 'Error');
      call.status = 'Disconnected';
      return result('CallDisconnectResult');
    }
    const b = command.Bookings;
    if (b?.List !== undefined) {
      const p = (b.List || {}) as Record<string, string>;
      const dayStart = Date.UTC(clock.now().getUTCFullYear(), clock.now().getUTCMonth(), clock.now().getUTCDate()) + Number(p.DayOffset ?? 0) * 86_400_000;
      let list = bookings.filter((x) => Date.parse(x.endTime) >= dayStart && (p.Days === undefined || Date.parse(x.startTime) < dayStart + Number(p.Days) * 86_400_000));
      const total = list.length;
      list = list.slice(Number(p.Offset ?? 0), Number(p.Offset ?? 0) + Number(p.Limit ?? 65534));
      return result('BookingsListResult', { ResultInfo: { TotalRows: total }, LastUpdated: lastUpdated ?? '', Booking: list.map((x, i) => bookingXml(x, i + 1)) });
    }
    if (b?.Put !== undefined) {
      if (!takesBookingsPut(version, !!options.webexRegistered)) {
        const { major, minor } = ceVersion(version);
        if (major < 9 || (major === 9 && minor < 14)) return `<?xml version="1.0"?><ActionError><Reason>No action detected in document</Reason></ActionError>`;
        return result('BookingsPutResult', { Reason: 'Command not available: the device is not registered to Webex' }, 'Error');
      }
      let json: unknown;
      try {
        json = JSON.parse(String(b.Put?.body ?? ''));
      } catch {
        return result('BookingsPutResult', { Reason: 'Invalid JSON' }, 'Error');
      }
      const list = fromPut(json);
      if (!list) return result('BookingsPutResult', { Reason: 'Missing or invalid parameter(s)' }, 'Error');
      store(list, 'Bookings Put');
      return result('BookingsPutResult');
    }
    if (b?.Clear !== undefined) {
      bookings = [];
      lastUpdated = iso(clock.now().getTime());
      return result('BookingsClearResult');
    }
    return `<?xml version="1.0"?><ActionError><Reason>No action detected in document</Reason></ActionError>`;
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    // Tests check that nothing — no credentials — reached a codec whose certificate was refused.
    requestsReceived++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    if (faults.slowMs) await new Promise((r) => setTimeout(r, faults.slowMs));
    const url = new URL(req.url ?? '/', 'http://codec');
    const failing = faults.failNext?.find((f) => f.count > 0 && url.pathname === f.path);
    if (failing) {
      failing.count--;
      res.writeHead(failing.status, { 'Content-Type': 'text/plain' });
      res.end(`Error ${failing.status}`);
      return;
    }
    if (!authorised(req.headers.authorization)) {
      res.writeHead(401, { 'WWW-Authenticate': CHALLENGE, 'Content-Type': 'text/plain', Server: 'nginx', Connection: 'close' });
      res.end('401 Authorization Required');
      return;
    }
    if (req.method === 'GET' && url.pathname === '/getxml') {
      const answer = getxml(url.searchParams.get('location') ?? '');
      // ⚠ TC5 docs: a path that does not exist gives an XPathError fault.
      return xml(res, 200, answer ?? `<?xml version="1.0"?><Status><Fault><XPathError>No match on path ${url.searchParams.get('location') ?? ''}</XPathError></Fault></Status>`);
    }
    if (req.method === 'POST' && url.pathname === '/putxml') return xml(res, 200, await putxml(body));
    if (req.method === 'POST' && url.pathname === '/bookingsputxml') {
      const list = fromXml(body);
      // ⚠ The codec's answer to a malformed document is not documented; a 400 makes the sender see it.
      if (!list) {
        res.writeHead(400, { 'Content-Type': 'text/plain' });
        res.end('Bad bookings document');
        return;
      }
      store(list, 'bookingsputxml');
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('OK');
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('Not Found');
  }

  async function listen() {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      handle(req, res).catch((error) => {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(String((error as Error).message));
      });
    };
    if (options.https) {
      const { key, cert } = await material();
      server = createHttpsServer({ key, cert }, handler);
    } else server = createServer(handler);
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(port, options.host ?? '127.0.0.1', () => resolve());
    });
    port = (server.address() as AddressInfo).port;
  }

  async function close() {
    if (!server) return;
    const s = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  return {
    name: options.name,
    username,
    get password() {
      return password;
    },
    setPassword(value: string) {
      password = value;
    },
    version,
    productId,
    sipUri,
    serial,
    webexRegistered: !!options.webexRegistered,
    get url() {
      return `${options.https ? 'https' : 'http'}://${options.host ?? '127.0.0.1'}:${port}`;
    },
    /** SHA-256 of the certificate it presents (as Node prints it: AB:CD:…); null over plain HTTP. */
    async certificateFingerprint(): Promise<string | null> {
      return options.https ? fingerprintOf(await material()) : null;
    },
    /**
     * Lab knob: a new self-signed certificate, as when a codec's certificate is renewed (or another
     * box answers at its address). Open connections are dropped so the next one meets it.
     */
    async rotateCertificate(): Promise<{ fingerprint: string }> {
      if (!options.https) throw new Error(`Codec ${options.name} serves plain HTTP: it has no certificate.`);
      tlsMaterial = await generateCertificate([options.host ?? '127.0.0.1']);
      if (options.certDir) await saveCertificate(options.certDir, certName, tlsMaterial);
      if (server && 'setSecureContext' in server) {
        server.setSecureContext({ key: tlsMaterial.key, cert: tlsMaterial.cert });
        for (const socket of sockets) socket.destroy();
      }
      return { fingerprint: fingerprintOf(tlsMaterial) };
    },
    get port() {
      return port;
    },
    /** What the touch panel shows: the stored bookings, soonest first. */
    bookings: () => bookings.map((b) => ({ ...b })),
    restoreBookings(list: CeBooking[]) {
      bookings = list.map((b) => ({ ...b }));
    },
    lastUpdated: () => lastUpdated,
    pushes: () => [...pushes],
    /** HTTP requests received so far (a TLS handshake alone is none). */
    requestCount: () => requestsReceived,
    calls: () => calls.map((c) => ({ ...c })),
    getFaults: (): CeFaults => structuredClone(faults),
    async setFaults(patch: CeFaults) {
      const wasDown = !!faults.down;
      faults = { ...faults, ...patch };
      for (const key of Object.keys(faults) as (keyof CeFaults)[]) if (faults[key] === undefined) delete faults[key];
      if (faults.down && !wasDown) await close();
      if (!faults.down && wasDown) await listen();
      return structuredClone(faults);
    },
    /**
     * The touch panel's Join: allowed from the start minus its buffer until the end plus its buffer
     * (⚠ from the field meanings, ce_xapi.md §8); the codec dials the booking's number.
     */
    async join(bookingId: string): Promise<{ joined: boolean; reason?: string; call?: CeCall }> {
      const booking = bookings.find((b) => b.id === bookingId);
      if (!booking) return { joined: false, reason: 'noSuchBooking' };
      const now = clock.now().getTime();
      if (now < Date.parse(booking.startTime) - booking.startTimeBuffer * 1000) return { joined: false, reason: 'notYet' };
      if (now >= Date.parse(booking.endTime) + booking.endTimeBuffer * 1000) return { joined: false, reason: 'over' };
      if (!booking.number || booking.connectMode !== 'OBTP') return { joined: false, reason: 'noNumber' };
      const call = await dial(booking.number, booking.id);
      return call.status === 'Connected' ? { joined: true, call } : { joined: false, reason: call.reason, call };
    },
    hangUp(callId: number) {
      const call = calls.find((c) => c.id === callId);
      if (call) call.status = 'Disconnected';
    },
    async start() {
      if (!faults.down) await listen();
    },
    async stop() {
      await close();
    },
  };
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
