// #16 part 2: a Cisco TMS as a TMSBA client sees it — the Booking and Remote Setup services of
// meetings/tmsba/*.wsdl (the same files the facade serves), HTTP Basic authentication, systems and
// bookings in memory, a transaction log for GetTransactionsSince. It is the other end of the TMS
// import (meetings/tms-import.*): what the import reads here it would read from a real TMS.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import rrulePkg from 'rrule';
import soap from 'soap';
import { asList, formatUtc, patternToRrule, type RecurrenceException, type RecurrencePattern } from '../../meetings/tmsba/tmsba.mapping.ts';
import type { Clock } from '../../platform/clock.ts';

const { rrulestr } = rrulePkg as unknown as typeof import('rrule');

export const TMS_BOOKING_PATH = '/tms/external/booking/bookingservice.asmx';
export const TMS_REMOTE_SETUP_PATH = '/tms/external/booking/remotesetup/remotesetupservice.asmx';
const WSDL_DIR = path.join(import.meta.dirname, '..', '..', 'meetings', 'tmsba');
/** What a TMS 15 announces ([REAL22]); the simulator shapes nothing by the client's version. */
const API_VERSION = 22;

export type TmsSystem = {
  SystemId: number;
  SystemName: string;
  SystemType: string;
  NetworkAddress: string;
  SIPUri?: string;
  SystemCategory: 'Endpoint' | 'Equipment' | 'Room' | 'Recording';
};

/** A dial-out or dial-in that is not a TMS system, as TMSBA writes it. */
export type TmsExternalParticipant = { NameOrNumber: string; ParticipantCallType: string };

/**
 * One booking as TMS keeps it. A series is one conference with its pattern and exceptions (MODIFY
 * exceptions carry the meeting's own times); its meetings are answered under the series' id with
 * RecurrenceInstanceIdUTC telling them apart.
 */
export type TmsConference = {
  ConferenceId: number;
  Title: string;
  start: string;
  end: string;
  OwnerUserName: string;
  systemIds: number[];
  external: TmsExternalParticipant[];
  pattern?: RecurrencePattern;
  /** Saved with BestEffortForced and not bookable as asked: TMS never launches it ([G146 p9]). */
  defective?: boolean;
  deleted?: boolean;
  ExternalSourceId: string;
  ExternalPrimaryKey: string;
  Version: number;
};

export type TmsTransaction = { TransactionId: number; ConferenceId: number; TransType: 'New' | 'Updated' | 'Deleted' };

export type TmsSimulatorState = {
  systems: TmsSystem[];
  conferences: TmsConference[];
  transactions: TmsTransaction[];
  nextConferenceId: number;
};

/** How the TMS misbehaves (the Lab's faults knob): refuses connections, answers 500, or answers late. */
export type TmsFault = { kind: 'none' } | { kind: 'down' } | { kind: 'server-error' } | { kind: 'slow'; delayMs: number };

export type TmsSimulatorOptions = {
  name?: string;
  host?: string;
  port?: number;
  clock: Clock;
  users?: { username: string; password: string }[];
  state?: TmsSimulatorState;
  /** Transactions a GetTransactionsSince page holds before it ends with ListIncomplete (TMS pages them). */
  transactionPage?: number;
};

export type TmsSimulator = ReturnType<typeof createTmsSimulator>;

type ConferenceInput = Omit<TmsConference, 'ConferenceId' | 'Version' | 'ExternalSourceId' | 'ExternalPrimaryKey'> & Partial<Pick<TmsConference, 'ExternalSourceId' | 'ExternalPrimaryKey'>>;

export function createTmsSimulator(options: TmsSimulatorOptions) {
  const { clock } = options;
  const users = options.users ?? [{ username: 'tms-admin', password: 'tms-password' }];
  const state: TmsSimulatorState = options.state ?? { systems: [], conferences: [], transactions: [], nextConferenceId: 10_001 };
  const page = options.transactionPage ?? 1000;
  let fault: TmsFault = { kind: 'none' };
  let server: Server | undefined;
  let url = '';
  const sockets = new Set<Socket>();
  let changes = 0;

  function log(ConferenceId: number, TransType: TmsTransaction['TransType']) {
    const last = state.transactions.at(-1)?.TransactionId ?? 0;
    state.transactions.push({ TransactionId: last + 1, ConferenceId, TransType });
    changes++;
  }

  const find = (id: number) => state.conferences.find((c) => c.ConferenceId === id);

  // ---- meetings of a conference ------------------------------------------------------------------

  type Meeting = { start: Date; end: Date; instanceId?: Date; modified?: boolean };

  /** The meetings a conference gives: itself, or its series' occurrences with exceptions applied. */
  function meetingsOf(c: TmsConference, until: Date): Meeting[] {
    const start = new Date(c.start);
    const end = new Date(c.end);
    if (!c.pattern) return [{ start, end }];
    const rule = rrulestr(`RRULE:${patternToRrule(c.pattern, start)}`, { dtstart: start });
    const duration = end.getTime() - start.getTime();
    const exceptions = asList(c.pattern.Exceptions?.RecurrenceException);
    const byId = new Map(exceptions.map((e) => [new Date(String(e.RecurrenceIdUTC).replace(' ', 'T')).getTime(), e]));
    const result: Meeting[] = [];
    for (const at of rule.between(new Date(start.getTime() - 1), until, true)) {
      const e = byId.get(at.getTime());
      if (e?.ExceptionType === 'DELETE') continue;
      if (e?.ExceptionType === 'MODIFY') {
        const data = e.ModifiedData ?? {};
        result.push({ start: utc(data.StartTimeUTC), end: utc(data.EndTimeUTC), instanceId: at, modified: true });
      } else result.push({ start: at, end: new Date(at.getTime() + duration), instanceId: at });
    }
    return result;
  }

  function statusOf(c: TmsConference, m?: Meeting): string {
    if (c.deleted) return 'Deleted';
    if (c.defective) return 'Defective';
    const now = clock.now().getTime();
    const s = (m?.start ?? new Date(c.start)).getTime();
    const e = (m?.end ?? new Date(c.end)).getTime();
    return now >= e ? 'Finished' : now >= s ? 'Ongoing' : 'Pending';
  }

  function participants(c: TmsConference) {
    const list: Record<string, unknown>[] = [];
    for (const id of c.systemIds) {
      const system = state.systems.find((s) => s.SystemId === id);
      list.push({ ParticipantId: id, NameOrNumber: system?.SystemName ?? String(id), ParticipantCallType: 'TMS' });
    }
    c.external.forEach((p, n) => list.push({ ParticipantId: n + 1, NameOrNumber: p.NameOrNumber, ParticipantCallType: p.ParticipantCallType }));
    return { Participant: list };
  }

  /** A Conference in the schema's element order: the series (pattern) or one of its meetings. */
  function toWire(c: TmsConference, options: { meeting?: Meeting; series?: boolean } = {}) {
    const m = options.meeting;
    const wire: Record<string, unknown> = {
      ConferenceId: c.deleted ? -c.ConferenceId : c.ConferenceId,
      Title: c.Title,
      StartTimeUTC: formatUtc(m?.start ?? new Date(c.start), API_VERSION),
      EndTimeUTC: formatUtc(m?.end ?? new Date(c.end), API_VERSION),
    };
    if (c.pattern && m?.instanceId) {
      wire.RecurrenceInstanceIdUTC = formatUtc(m.instanceId, API_VERSION);
      if (m.modified) wire.RecurrenceInstanceType = 'modify';
      wire.FirstOccurrenceRecInstanceIdUTC = formatUtc(new Date(c.start), API_VERSION);
    }
    if (c.pattern && options.series) {
      wire.FirstOccurrenceRecInstanceIdUTC = formatUtc(new Date(c.start), API_VERSION);
      const { Exceptions, ...rest } = c.pattern;
      wire.RecurrencePattern = { ...rest, Exceptions: { RecurrenceException: asList(Exceptions?.RecurrenceException) } };
    }
    Object.assign(wire, {
      OwnerId: 1,
      OwnerUserName: c.OwnerUserName,
      ConferenceType: 'Automatic Call Launch',
      Bandwidth: '6b/384kbps',
      PictureMode: 'Continuous Presence',
      Encrypted: 'If Possible',
      DataConference: 'Yes',
      ShowExtendOption: 'AutomaticBestEffort',
      ISDNRestrict: false,
      ExternalSourceId: c.ExternalSourceId,
      ExternalPrimaryKey: c.ExternalPrimaryKey,
      Participants: participants(c),
      ConferenceState: { Status: statusOf(c, m) },
      Version: c.Version,
    });
    return wire;
  }

  // ---- the SOAP operations -----------------------------------------------------------------------

  // TMS answers every SoapException on HTTP 500 (the SOAP 1.1 binding); soap:Client when the caller asked for what is not there.
  const fault500 = (message: string, code?: number) => ({ Fault: { faultcode: 'soap:Client', faultstring: message, detail: code ? { errorcode: code } : undefined }, statusCode: 500 });
  const MEETINGNOTFOUND = -2147218302;
  const SYSTEMNOTFOUND = -2147218301;

  const booking = {
    GetConferencesForSystems(args: Record<string, any>) {
      const ids = new Set(asList(args.SystemIds?.int).map(Number));
      const from = utc(args.StartTime);
      const to = utc(args.EndTime);
      const wanted = String(args.ConferenceStatus ?? 'All');
      const result: unknown[] = [];
      for (const c of state.conferences) {
        if (ids.size && !c.systemIds.some((id) => ids.has(id))) continue;
        for (const m of meetingsOf(c, to)) {
          if (m.end <= from || m.start >= to) continue;
          const status = statusOf(c, m);
          if (!statusMatches(wanted, status)) continue;
          // Scheduled meetings only, as from v11 ([G146 p59]); no pattern here: GetRecurrentConferenceById has it.
          result.push(toWire(c, { meeting: m }));
        }
      }
      return { GetConferencesForSystemsResult: { Conference: result } };
    },
    GetRecurrentConferenceById(args: Record<string, any>) {
      const c = find(Math.abs(Number(args.ConferenceId)));
      if (!c) throw fault500(`No conference with id ${args.ConferenceId}.`, MEETINGNOTFOUND);
      return { GetRecurrentConferenceByIdResult: toWire(c, { series: true }) };
    },
    GetConferenceById(args: Record<string, any>) {
      const c = find(Math.abs(Number(args.ConferenceId)));
      if (!c) throw fault500(`No conference with id ${args.ConferenceId}.`, MEETINGNOTFOUND);
      return { GetConferenceByIdResult: toWire(c, { series: true }) };
    },
    GetTransactionsSince(args: Record<string, any>) {
      const since = Number(args.CurrentTransactionId ?? 0);
      const after = state.transactions.filter((t) => t.TransactionId > since);
      const shown: Record<string, unknown>[] = after.slice(0, page).map((t) => ({ ...t, PerformedByUserId: 1 }));
      // ⚠ reference/tmsba.md §8 leaves open where the marker goes: here an extra entry after the page's last.
      if (after.length > page) shown.push({ TransactionId: shown.at(-1)!.TransactionId, ConferenceId: 0, TransType: 'ListIncomplete', PerformedByUserId: 1 });
      return { GetTransactionsSinceResult: { Transaction: shown } };
    },
  };
  const remoteSetup = {
    IsAlive: () => ({ IsAliveResult: true }),
    GetSystems: () => ({ GetSystemsResult: { TMSSystem: state.systems.map(systemWire) } }),
    GetSystemById(args: Record<string, any>) {
      const s = state.systems.find((x) => x.SystemId === Number(args.TMSSystemId));
      if (!s) throw fault500(`No system with id ${args.TMSSystemId}.`, SYSTEMNOTFOUND);
      return { GetSystemByIdResult: systemWire(s) };
    },
  };

  function systemWire(s: TmsSystem) {
    return { SystemId: s.SystemId, SystemName: s.SystemName, SystemType: s.SystemType, NetworkAddress: s.NetworkAddress, ...(s.SIPUri ? { SIPUri: s.SIPUri } : {}), SystemCategory: { systemCategory: s.SystemCategory }, SystemStatus: { systemStatus: 'Alive' } };
  }

  function authorized(req: IncomingMessage) {
    const header = String(req.headers.authorization ?? '');
    if (!/^basic /i.test(header)) return false;
    const [user, ...rest] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
    const password = rest.join(':');
    return users.some((u) => u.username === user && crypto.timingSafeEqual(hash(u.password), hash(password)));
  }

  async function handle(req: IncomingMessage, res: ServerResponse, soapListeners: ((req: IncomingMessage, res: ServerResponse) => void)[]) {
    if (fault.kind === 'down') return void req.socket.destroy();
    if (fault.kind === 'slow') await new Promise((r) => setTimeout(r, fault.kind === 'slow' ? fault.delayMs : 0));
    if (!authorized(req)) {
      // Wrong credentials: HTTP 401 before any SOAP ([G11 p56]).
      res.writeHead(401, { 'www-authenticate': 'Basic realm="TMS"', 'content-type': 'text/plain' });
      return void res.end('401 - Unauthorized');
    }
    if (fault.kind === 'server-error' && req.method === 'POST') {
      res.writeHead(500, { 'content-type': 'text/xml; charset=utf-8' });
      return void res.end('<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>Unspecified Exception (Lab fault)</faultstring><detail><errorcode>-2147219500</errorcode></detail></soap:Fault></soap:Body></soap:Envelope>');
    }
    // IIS paths are case-insensitive ([G6 p9]); the library matches exactly.
    const [p, q] = String(req.url ?? '/').split('?');
    req.url = p.toLowerCase() + (q !== undefined ? `?${q}` : '');
    for (const l of soapListeners) l(req, res);
  }

  return {
    name: options.name ?? 'tms-lab',
    state,
    users,
    get url() {
      return url;
    },
    get changes() {
      return changes;
    },
    setFault(next: TmsFault) {
      fault = next;
    },
    getFault: () => fault,

    // ---- what an operator does in the TMS console (tests and the Lab change bookings through these) ----

    addSystem(system: Omit<TmsSystem, 'SystemId'> & { SystemId?: number }): TmsSystem {
      const made = { ...system, SystemId: system.SystemId ?? (Math.max(0, ...state.systems.map((s) => s.SystemId)) + 1) };
      state.systems.push(made);
      changes++;
      return made;
    },
    book(input: ConferenceInput): TmsConference {
      const c: TmsConference = { ...input, ConferenceId: state.nextConferenceId++, Version: 1, ExternalSourceId: input.ExternalSourceId ?? 'TMS', ExternalPrimaryKey: input.ExternalPrimaryKey ?? crypto.randomUUID() };
      state.conferences.push(c);
      log(c.ConferenceId, 'New');
      return c;
    },
    update(id: number, patch: Partial<ConferenceInput>): TmsConference {
      const c = find(id);
      if (!c || c.deleted) throw new Error(`No conference ${id} on the Lab TMS.`);
      Object.assign(c, patch, { Version: c.Version + 1 });
      log(id, 'Updated');
      return c;
    },
    delete(id: number) {
      const c = find(id);
      if (!c || c.deleted) throw new Error(`No conference ${id} on the Lab TMS.`);
      c.deleted = true;
      c.Version++;
      log(id, 'Deleted');
    },

    async start() {
      const http = createServer();
      http.on('connection', (s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
      });
      const address = http.address() as AddressInfo;
      url = `http://${options.host ?? '127.0.0.1'}:${address.port}`;
      const wsdl = (file: string, servicePath: string) => fs.readFileSync(path.join(WSDL_DIR, file), 'utf8').replace(/location="http:\/\/localhost\/[^"]*"/g, `location="${url}${servicePath}"`);
      // The library registers its request listener once the WSDL is parsed (the callback), then wraps
      // the listeners there were: ours goes around it afterwards, so authentication and faults come first.
      const listen = (servicePath: string, file: string, services: object) =>
        new Promise<void>((resolve, reject) => soap.listen(http, { path: servicePath, xml: wsdl(file, servicePath), services, suppressStack: true, callback: (error: unknown) => (error ? reject(error) : resolve()) } as never));
      await listen(TMS_BOOKING_PATH, 'bookingservice.wsdl', { BookingService: { BookingServiceSoap: booking, BookingServiceSoap12: booking } });
      await listen(TMS_REMOTE_SETUP_PATH, 'remotesetupservice.wsdl', { RemoteSetupService: { RemoteSetupServiceSoap: remoteSetup, RemoteSetupServiceSoap12: remoteSetup } });
      const soapListeners = http.listeners('request').slice() as ((req: IncomingMessage, res: ServerResponse) => void)[];
      http.removeAllListeners('request');
      http.on('request', (req, res) => void handle(req, res, soapListeners));
      server = http;
    },
    async stop() {
      const s = server;
      server = undefined;
      if (!s) return;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}

function hash(value: string) {
  return crypto.createHash('sha256').update(value).digest();
}

function utc(value: unknown): Date {
  if (value instanceof Date) return value;
  return new Date(String(value).trim().replace(' ', 'T'));
}

function statusMatches(filter: string, status: string) {
  if (filter === 'All') return true;
  if (filter === 'AllExceptDeleted') return status !== 'Deleted';
  if (filter === 'PendingAndOngoing') return status === 'Pending' || status === 'Ongoing';
  return filter === status;
}

export type { RecurrenceException };
