import crypto from 'node:crypto';
import ical from 'ical-generator';
import { AppError, notFound } from '../platform/errors.ts';
import { certificateSummary, certificateToTrust as trustCertificate, normalizeFingerprint, probeCertificate, type CertificateSummary, type PeerCertificate, type TlsPolicy } from '../platform/http/external-client.ts';
import { parseAddress } from './bridges.service.ts';
import { createCeConnector, type CeConnector, type CeStatus } from './ce.connector.ts';
import * as repo from './endpoints.repository.ts';
import { findBooking } from './meetings.repository.ts';
import { formatInZone } from './zoned-time.ts';
import type { Actor } from '../platform/auth/actor.ts';
import type { Db } from '../platform/db/database.ts';
import type { PlatformServices } from '../platform/services.ts';
import type { Bookings } from './bookings.service.ts';
import type { EndpointRow } from './endpoints.repository.ts';
import type { CsvRow } from './endpoints.csv.ts';

// #17 part 1: room endpoints (Cisco CE / RoomOS codecs) — registration, status polls and their
// tickets, and rooms as participants of bookings (conflicts, free/busy, connect modes).

export const ENDPOINT_TICKETS = {
  unreachable: { title: 'Connection Error', detail: (why: string) => `The endpoint cannot be reached: ${why}` },
  auth_failed: { title: 'Authentication Failed', detail: (why: string) => `The endpoint refused the username and password: ${why}` },
  obtp_push_failed: { title: 'Booking Push Failed', detail: (why: string) => `The endpoint's bookings could not be updated (One Button to Push): ${why}` },
  obtp_unsupported: { title: 'One Button to Push Not Supported', detail: (why: string) => why },
  certificate_changed: { title: 'Certificate Changed', detail: (why: string) => why },
} as const;
export type EndpointTicketKind = keyof typeof ENDPOINT_TICKETS;
/** Per ticket kind: its cause (opens it) or false (closes it); kinds not named are left as they are. */
export type TicketCauses = Partial<Record<EndpointTicketKind, string | false>>;

export const CONNECT_MODES = ['obtp', 'automatic', 'manual'] as const;
export type ConnectMode = (typeof CONNECT_MODES)[number];

export type EndpointInput = {
  address: string; username: string; password: string; name?: string; tls?: boolean; sipUri?: string; labCodec?: string;
  /** The SHA-256 fingerprint the operator confirmed: an HTTPS codec no trusted CA vouches for is registered only with it, and it is pinned. */
  trustFingerprint?: string;
};
export type RoomInput = { endpointId: string; connectMode: ConnectMode };

const system: Actor = { type: 'system', id: null, name: 'meetings', role: 'system', customerOrgId: null };
const displayHost = (address: string) => address.trim().replace(/^https?:\/\//i, '').replace(/\/+$/, '');
const isHttps = (baseUrl: string) => /^https:/i.test(baseUrl);
/** The columns that record a certificate accepted for a codec: a CA's word, or the operator's pin. */
const acceptedCertificate = (c: PeerCertificate) => ({ certificateTrust: (c.trusted ? 'ca' : 'pinned') as 'ca' | 'pinned', certificateFingerprint: c.fingerprint, certificate: certificateSummary(c), presentedCertificate: null });
/** The error of a connection refused for its certificate (nothing was sent), or undefined. */
export const certificateErrorOf = (error: unknown): AppError | undefined => (error instanceof AppError && (error.code === 'CERTIFICATE_CHANGED' || error.code === 'CERTIFICATE_NOT_TRUSTED') ? error : undefined);
function certificateOfError(error: AppError): CertificateSummary | null {
  const certificate = (error.details as { certificate?: PeerCertificate } | undefined)?.certificate;
  return certificate ? certificateSummary(certificate) : null;
}

/** What the API shows of an endpoint: never its password. */
export function publicEndpoint(row: EndpointRow) {
  const { passwordSealed: _p, obtpPushedHash: _h, labCodec: _l, ...rest } = row;
  return rest;
}

export type Endpoints = ReturnType<typeof createEndpoints>;

export function createEndpoints(services: PlatformServices, bookings: Bookings, hooks: { onRoomsChanged?: (endpointIds: string[]) => void } = {}) {
  const { database, clock, audit, secrets, logger } = services;
  const db = database.db;

  const connectors = new Map<string, CeConnector>();
  type Trusted = Pick<EndpointRow, 'id' | 'baseUrl' | 'username' | 'passwordSealed' | 'certificateTrust' | 'certificateFingerprint'>;
  function connectorFor(row: Trusted): CeConnector {
    const trust = trustOf(row);
    const key = `${row.id}|${row.baseUrl}|${row.username}|${row.passwordSealed}|${trust.key}`;
    let connector = connectors.get(key);
    if (!connector) {
      for (const [k, c] of connectors) if (k.startsWith(`${row.id}|`)) {
        connectors.delete(k);
        void c.close();
      }
      connector = createCeConnector({ baseUrl: row.baseUrl, username: row.username, password: secrets.open(row.passwordSealed), metrics: services.metrics, tls: trust.tls, ca: services.config.tlsCa });
      connectors.set(key, connector);
    }
    return connector;
  }
  function dropConnectors(endpointId: string) {
    for (const [k, c] of connectors) if (k.startsWith(`${endpointId}|`)) {
      connectors.delete(k);
      void c.close().catch(() => undefined);
    }
  }

  /**
   * How a codec's certificate is checked (#17, as a bridge node's, #14): its pin, a CA's word, or —
   * an HTTPS endpoint registered before certificates were kept — trust on first use: the first
   * certificate it presents is pinned (audited) before anything is sent, as it was registered
   * talking to that address already.
   */
  function trustOf(row: Trusted): { key: string; tls: TlsPolicy } {
    if (row.certificateTrust === 'pinned' && row.certificateFingerprint) return { key: `pinned:${row.certificateFingerprint}`, tls: { mode: 'pinned', fingerprint: row.certificateFingerprint } };
    if (row.certificateTrust === 'ca' || !isHttps(row.baseUrl)) return { key: 'ca', tls: { mode: 'ca' } };
    return { key: 'first-use', tls: { mode: 'first-use', onFirstUse: (certificate) => pinOnFirstUse(row.id, certificate) } };
  }
  async function pinOnFirstUse(endpointId: string, certificate: PeerCertificate) {
    await database.transaction(async (tx) => {
      const row = await repo.findEndpoint(tx, endpointId);
      if (!row || row.certificateTrust !== null) return;
      const patch = acceptedCertificate(certificate);
      await repo.updateEndpoint(tx, endpointId, patch);
      await audit.record({ actor: system, action: 'endpoint.certificate-pin', entityType: 'endpoint', entityId: endpointId, before: { certificateTrust: null }, after: { ...patch, rule: certificate.trusted ? 'a trusted CA vouches for the certificate' : 'pinned on first contact (trust on first use): the endpoint was registered at this address before certificates were kept' } }, tx);
    });
  }

  /**
   * An HTTPS address's certificate, read before anything else is sent (a TLS handshake only). One a
   * trusted CA vouches for is returned; otherwise only the one whose fingerprint the operator
   * confirmed; else 422 CERTIFICATE_NOT_TRUSTED carrying it to be shown. Null for plain HTTP.
   */
  async function certificateToTrust(baseUrl: string, trustFingerprint: string | undefined, entered: string): Promise<PeerCertificate | null> {
    if (!isHttps(baseUrl)) return null;
    const certificate = await probeCertificate(baseUrl, { system: 'ce-codec', ca: services.config.tlsCa });
    return trustCertificate(certificate, { trustFingerprint, peer: displayHost(entered), confirmHow: 'If that is the codec\'s certificate, register it again confirming this fingerprint (trustFingerprint); it is then pinned.', details: { address: entered } });
  }


  /** The Certificate Changed ticket's cause: the accepted and the presented fingerprints. */
  const certificateChangeCause = (accepted: string | null, presented: CertificateSummary) =>
    `The endpoint presents a certificate other than the one accepted (accepted ${accepted ?? 'none'}, presented ${presented.fingerprint}, ${presented.subject}, valid ${presented.validFrom.slice(0, 10)} to ${presented.validTo.slice(0, 10)}). Nothing is sent to it — no credentials, no bookings — until the new certificate is accepted.`;

  /**
   * A connection refused for its certificate (a poll or a push): the endpoint is `certificate_changed`,
   * the certificate it presents is kept, and *Certificate Changed* opens. Read again under the
   * endpoint's row lock, so a certificate accepted meanwhile is not reported as changed.
   */
  async function certificateRefused(endpointId: string, error: AppError, usedFingerprint: string | null) {
    await database.transaction(async (tx) => {
      const row = await repo.findEndpoint(tx, endpointId, { forUpdate: true });
      if (!row || row.certificateFingerprint !== usedFingerprint) return;
      const presented = certificateOfError(error);
      if (presented && presented.fingerprint === row.certificateFingerprint) return;
      await repo.updateEndpoint(tx, endpointId, { connectivity: 'certificate_changed', presentedCertificate: presented, lastPolledAt: clock.now() });
      await reconcileTickets(tx, endpointId, { certificate_changed: presented ? certificateChangeCause(row.certificateFingerprint, presented) : error.message, unreachable: false, auth_failed: false });
    });
  }

  async function getEndpoint(id: string, tx: Db = db): Promise<EndpointRow> {
    const row = await repo.findEndpoint(tx, id);
    if (!row) throw notFound('Endpoint', id);
    return row;
  }

  /** Opens the tickets whose cause is present and closes those whose cause is gone (as bridges' M2). */
  async function reconcileTickets(tx: Db, endpointId: string, causes: TicketCauses) {
    await reconcileTicketsOf(tx, new Map([[endpointId, causes]]));
  }

  /** The same for several endpoints: their open tickets read in one statement (a batch of OBTP pushes). */
  async function reconcileTicketsOf(tx: Db, causesByEndpoint: Map<string, TicketCauses>) {
    if (!causesByEndpoint.size) return;
    const open = await repo.listTicketsOfEndpoints(tx, [...causesByEndpoint.keys()], ['open', 'acknowledged']);
    const now = clock.now();
    for (const [endpointId, causes] of causesByEndpoint) for (const [kind, cause] of Object.entries(causes) as [EndpointTicketKind, string | false][]) {
      const existing = open.find((t) => t.endpointId === endpointId && t.kind === kind);
      if (cause !== false && !existing) {
        const ticket = await repo.insertEndpointTicket(tx, { endpointId, kind, title: ENDPOINT_TICKETS[kind].title, detail: ENDPOINT_TICKETS[kind].detail(cause), openedAt: now });
        await audit.record({ actor: system, action: 'ticket.open', entityType: 'endpoint', entityId: endpointId, after: ticket }, tx);
      } else if (cause === false && existing) {
        await repo.updateEndpointTicket(tx, existing.id, { state: 'closed', closedAt: now });
        await audit.record({ actor: system, action: 'ticket.close', entityType: 'endpoint', entityId: endpointId, before: existing, after: { ...existing, state: 'closed' } }, tx);
      }
    }
  }

  const statusColumns = (s: CeStatus) => ({ productId: s.productId, softwareVersion: s.softwareVersion, serialNumber: s.serialNumber, webexRegistered: s.webexRegistered, activeCalls: s.activeCalls, uptimeSeconds: s.uptimeSeconds });

  async function addOne(input: EndpointInput, actor: Actor) {
    const { baseUrl, hostKey } = parseAddress(input.address, input.tls ?? true);
    const known = await repo.findEndpointByHostKey(db, hostKey);
    if (known) throw new AppError('ALREADY_EXISTS', `${displayHost(input.address)} is already registered as endpoint ${known.name}.`, { endpointId: known.id });
    const id = crypto.randomUUID();
    // Before the password goes anywhere: the certificate, trusted by a CA or confirmed by the operator.
    const certificate = await certificateToTrust(baseUrl, input.trustFingerprint, input.address);
    const certificateColumns = certificate ? acceptedCertificate(certificate) : { certificateTrust: null, certificateFingerprint: null, certificate: null, presentedCertificate: null };
    const passwordSealed = secrets.seal(input.password);
    const connector = connectorFor({ id, baseUrl, username: input.username, passwordSealed, ...certificateColumns });
    let status: CeStatus;
    try {
      status = await connector.status();
    } catch (error) {
      dropConnectors(id);
      throw error;
    }
    const now = clock.now();
    const row: EndpointRow = {
      id, name: (input.name ?? '').trim() || status.productId || displayHost(input.address), address: input.address.trim(), baseUrl, hostKey,
      username: input.username, passwordSealed, ...statusColumns(status), sipUri: input.sipUri?.replace(/^sip:/i, '') ?? status.sipUri,
      connectivity: 'reachable', lastPolledAt: now, obtpPushedHash: null, obtpPushedAt: null, obtpPushedCount: null, obtpMethod: null, obtpLastError: null,
      labCodec: input.labCodec ?? null, ...certificateColumns, createdAt: now, updatedAt: now,
    };
    await database.transaction(async (tx) => {
      await repo.insertEndpoint(tx, row);
      await audit.record({ actor, action: 'endpoint.create', entityType: 'endpoint', entityId: id, after: publicEndpoint(row) }, tx);
    });
    return publicEndpoint(row);
  }

  /**
   * Several endpoints at once; each row is registered or refused on its own (a bad row does not
   * stop the others), and the answer says per row what happened.
   */
  async function addRows(rows: { line?: number; address: string; input?: EndpointInput; error?: { code: string; message: string } }[], actor: Actor) {
    const results: { row: number; line?: number; address: string; ok: boolean; endpoint?: ReturnType<typeof publicEndpoint>; error?: { code: string; message: string; certificate?: CertificateSummary } }[] = [];
    for (const [index, { line, address, input, error: refused }] of rows.entries()) {
      const row = { row: index + 1, ...(line !== undefined ? { line } : {}), address };
      if (!input) {
        results.push({ ...row, ok: false, error: refused ?? { code: 'VALIDATION_FAILED', message: 'No endpoint in this row.' } });
        continue;
      }
      try {
        results.push({ ...row, ok: true, endpoint: await addOne(input, actor) });
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        // A refused certificate is shown per row, for the operator to confirm its fingerprint.
        const certificate = error.code === 'CERTIFICATE_NOT_TRUSTED' ? certificateOfError(error) : null;
        results.push({ ...row, ok: false, error: { code: error.code, message: error.message, ...(certificate ? { certificate } : {}) } });
      }
    }
    return { added: results.filter((r) => r.ok).length, refused: results.filter((r) => !r.ok).length, results };
  }

  return {
    getEndpoint,
    connectorFor,
    reconcileTickets,
    reconcileTicketsOf,

    add: addOne,

    /**
     * Several endpoints at once; each row is registered or refused on its own (a bad row does not
     * stop the others), and the answer says per row what happened.
     */
    async addMany(inputs: EndpointInput[], actor: Actor) {
      return addRows(inputs.map((input) => ({ address: input.address, input })), actor);
    },

    /** Rows read from a CSV: those already refused (bad cells) are reported with the others. */
    addCsvRows: (rows: CsvRow[], actor: Actor) => addRows(rows, actor),

    async list(page: { offset: number; limit: number }) {
      const { items, total } = await repo.listEndpoints(db, page);
      return { items: items.map(publicEndpoint), total };
    },

    async get(id: string) {
      const row = await getEndpoint(id);
      return { ...publicEndpoint(row), tickets: await repo.listEndpointTickets(db, id) };
    },

    async update(id: string, patch: { name?: string; username?: string; password?: string; sipUri?: string | null }, actor: Actor) {
      return database.transaction(async (tx) => {
        const before = await getEndpoint(id, tx);
        const changes: Partial<EndpointRow> = { updatedAt: clock.now() };
        if (patch.name !== undefined) changes.name = patch.name.trim();
        if (patch.username !== undefined) changes.username = patch.username;
        if (patch.password !== undefined) changes.passwordSealed = secrets.seal(patch.password);
        if (patch.sipUri !== undefined) changes.sipUri = patch.sipUri?.replace(/^sip:/i, '') ?? null;
        await repo.updateEndpoint(tx, id, changes);
        const after = { ...before, ...changes };
        await audit.record({ actor, action: 'endpoint.update', entityType: 'endpoint', entityId: id, before: publicEndpoint(before), after: publicEndpoint(after) }, tx);
        return publicEndpoint(after);
      });
    },

    async remove(id: string, actor: Actor) {
      await database.transaction(async (tx) => {
        const before = await getEndpoint(id, tx);
        await repo.deleteEndpoint(tx, id);
        await audit.record({ actor, action: 'endpoint.delete', entityType: 'endpoint', entityId: id, before: publicEndpoint(before) }, tx);
      });
    },

    async acknowledgeTicket(endpointId: string, ticketId: number, actor: Actor) {
      return database.transaction(async (tx) => {
        const ticket = (await repo.listEndpointTickets(tx, endpointId)).find((t) => t.id === ticketId);
        if (!ticket) throw notFound('Ticket', String(ticketId));
        if (ticket.state !== 'open') throw new AppError('INVALID_STATE', `Ticket #${ticketId} is ${ticket.state}.`);
        await repo.updateEndpointTicket(tx, ticketId, { state: 'acknowledged' });
        await audit.record({ actor, action: 'ticket.acknowledge', entityType: 'endpoint', entityId: endpointId, before: ticket, after: { ...ticket, state: 'acknowledged' } }, tx);
        return { ...ticket, state: 'acknowledged' };
      });
    },

    /**
     * One status poll: identity and calls read again, *Connection Error* / *Authentication Failed*
     * opened or closed. An endpoint that answers again after not answering has its panel marked
     * stale, so the next OBTP round pushes its bookings in full (it may have lost or missed them).
     */
    async poll(id: string) {
      const row = await getEndpoint(id);
      let status: CeStatus | undefined;
      let connectivity = 'reachable';
      let why = '';
      try {
        status = await connectorFor(row).status();
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        // Refused for its certificate: nothing was sent; not a Connection Error but Certificate Changed.
        if (certificateErrorOf(error)) {
          await certificateRefused(id, error, row.certificateFingerprint);
          return { connectivity: 'certificate_changed', cameBack: false };
        }
        connectivity = error.code === 'UPSTREAM_REFUSED_CREDENTIALS' ? 'auth_failed' : 'unreachable';
        why = error.message;
      }
      const now = clock.now();
      const cameBack = connectivity === 'reachable' && row.connectivity !== 'reachable';
      await database.transaction(async (tx) => {
        await repo.updateEndpoint(tx, id, {
          connectivity,
          lastPolledAt: now,
          ...(status ? statusColumns(status) : {}),
          ...(status && !row.sipUri && status.sipUri ? { sipUri: status.sipUri } : {}),
          ...(cameBack ? { obtpPushedHash: 'stale' } : {}),
          ...(status ? { presentedCertificate: null } : {}),
        });
        await reconcileTickets(tx, id, { unreachable: connectivity === 'unreachable' ? why : false, auth_failed: connectivity === 'auth_failed' ? why : false, ...(status ? { certificate_changed: false } : {}) });
      });
      if (cameBack) hooks.onRoomsChanged?.([id]);
      return { connectivity, cameBack };
    },

    /**
     * The operator accepts the certificate the codec presents now (a renewed one): it is read again
     * and must be the one confirmed (else 422, nothing changed); it is pinned (or trusted by CA, if
     * one vouches for it), *Certificate Changed* closes, and a poll follows at once, so an endpoint
     * that answers gets its panel pushed in full.
     */
    async acceptCertificate(id: string, fingerprint: string, actor: Actor) {
      const row = await getEndpoint(id);
      if (!isHttps(row.baseUrl)) throw new AppError('INVALID_STATE', `${row.name} is reached over plain HTTP (${displayHost(row.address)}): it has no certificate.`, { endpointId: id });
      const seen = await probeCertificate(row.baseUrl, { system: 'ce-codec', ca: services.config.tlsCa });
      const confirmed = normalizeFingerprint(fingerprint);
      if (confirmed !== seen.fingerprint) {
        throw new AppError('CERTIFICATE_NOT_TRUSTED', `${row.name} (${displayHost(row.address)}) presents the certificate with SHA-256 fingerprint ${seen.fingerprint}, not the one confirmed (${confirmed ?? fingerprint}); nothing was changed.`, { endpointId: id, certificate: certificateSummary(seen), confirmedFingerprint: confirmed ?? fingerprint });
      }
      await database.transaction(async (tx) => {
        const before = (await repo.findEndpoint(tx, id, { forUpdate: true }))!;
        const patch = { ...acceptedCertificate(seen), ...(before.connectivity === 'certificate_changed' ? { connectivity: 'unreachable', obtpPushedHash: 'stale' } : {}), updatedAt: clock.now() };
        await repo.updateEndpoint(tx, id, patch);
        await audit.record({ actor, action: 'endpoint.certificate-accept', entityType: 'endpoint', entityId: id, before: { certificateTrust: before.certificateTrust, certificateFingerprint: before.certificateFingerprint }, after: { certificateTrust: patch.certificateTrust, certificateFingerprint: patch.certificateFingerprint, certificate: patch.certificate } }, tx);
        await reconcileTickets(tx, id, { certificate_changed: false });
      });
      dropConnectors(id);
      // Marked unreachable above so that this poll, finding it answering, counts it as come back.
      await this.poll(id).catch((error) => logger.warn({ err: error, endpoint: id }, 'poll after accepting a certificate failed'));
      return this.get(id);
    },

    certificateRefused,

    async rooms(bookingId: string) {
      if (!(await findBooking(db, bookingId))) throw notFound('Booking', bookingId);
      const rows = await repo.roomsOfBooking(db, bookingId);
      const endpointsById = new Map((await repo.findEndpointsByIds(db, rows.map((r) => r.endpointId))).map((e) => [e.id, e]));
      return { private: rows.some((r) => r.private), items: rows.map((r) => ({ endpointId: r.endpointId, name: endpointsById.get(r.endpointId)?.name ?? '', connectMode: r.connectMode as ConnectMode })) };
    },

    /**
     * The rooms of a booking, replacing what it had. A room is refused (409, naming the other
     * meeting) when one of its meetings overlaps a meeting of another booking in that room.
     * Automatic rooms become the booking's dial-outs (the bridge dials them at start, as dial-outs
     * do); OBTP rooms get the booking on their panel; manual rooms are only reserved.
     */
    async setRooms(bookingId: string, input: { rooms: RoomInput[]; private?: boolean }, actor: Actor) {
      const previous = await repo.roomsOfBooking(db, bookingId);
      // One edit of the booking: rooms, their dial-outs and the conflict check in one transaction.
      await bookings.update(bookingId, { rooms: input.rooms }, actor, { roomsPrivate: input.private ?? false });
      hooks.onRoomsChanged?.([...new Set([...input.rooms.map((r) => r.endpointId), ...previous.map((r) => r.endpointId)])]);
      return this.rooms(bookingId);
    },

    /** A room's meetings (scheduled or running) overlapping [from, to). */
    async busy(endpointId: string, from: Date, to: Date) {
      await getEndpoint(endpointId);
      if (to <= from) throw new AppError('VALIDATION_FAILED', '`to` must be after `from`.', { issues: [{ path: ['to'], message: 'must be after from' }] });
      const rows = await repo.busyOf(db, endpointId, from, to);
      // A private meeting's title is not shown in the room's free/busy.
      return { items: rows.map((r) => ({ ...r, title: r.private ? 'Private meeting' : r.title })) };
    },

    /** The room calendar (RFC 5545): its meetings from a day ago to 400 days ahead. */
    async ical(endpointId: string) {
      const row = await getEndpoint(endpointId);
      const now = clock.now();
      const rows = await repo.busyOf(db, endpointId, new Date(now.getTime() - 86_400_000), new Date(now.getTime() + 400 * 86_400_000));
      const calendar = ical({ name: `${row.name} (room)`, prodId: { company: 'Switchboard', product: 'Meetings' } });
      for (const r of rows) {
        calendar.createEvent({ id: `${r.occurrenceId}@switchboard`, start: r.startAt, end: r.endAt, summary: r.private ? 'Private meeting' : r.title, description: r.private ? undefined : `Organizer: ${r.organizer}`, location: row.name, timezone: 'UTC', stamp: now });
      }
      return calendar.toString();
    },

    async close() {
      for (const connector of connectors.values()) await connector.close().catch(() => undefined);
      connectors.clear();
    },
  };
}
