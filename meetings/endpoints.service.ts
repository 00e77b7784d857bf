import crypto from 'node:crypto';
import ical from 'ical-generator';
import { AppError, notFound } from '../platform/errors.ts';
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
} as const;
export type EndpointTicketKind = keyof typeof ENDPOINT_TICKETS;
/** Per ticket kind: its cause (opens it) or false (closes it); kinds not named are left as they are. */
export type TicketCauses = Partial<Record<EndpointTicketKind, string | false>>;

export const CONNECT_MODES = ['obtp', 'automatic', 'manual'] as const;
export type ConnectMode = (typeof CONNECT_MODES)[number];

export type EndpointInput = { address: string; username: string; password: string; name?: string; tls?: boolean; sipUri?: string; labCodec?: string };
export type RoomInput = { endpointId: string; connectMode: ConnectMode };

const system: Actor = { type: 'system', id: null, name: 'meetings', role: 'system', customerOrgId: null };
const displayHost = (address: string) => address.trim().replace(/^https?:\/\//i, '').replace(/\/+$/, '');

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
  function connectorFor(row: Pick<EndpointRow, 'id' | 'baseUrl' | 'username' | 'passwordSealed'>): CeConnector {
    const key = `${row.id}|${row.baseUrl}|${row.username}|${row.passwordSealed}`;
    let connector = connectors.get(key);
    if (!connector) {
      for (const [k, c] of connectors) if (k.startsWith(`${row.id}|`)) {
        connectors.delete(k);
        void c.close();
      }
      connector = createCeConnector({ baseUrl: row.baseUrl, username: row.username, password: secrets.open(row.passwordSealed), metrics: services.metrics });
      connectors.set(key, connector);
    }
    return connector;
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
    const passwordSealed = secrets.seal(input.password);
    const connector = connectorFor({ id, baseUrl, username: input.username, passwordSealed });
    let status: CeStatus;
    try {
      status = await connector.status();
    } catch (error) {
      connectors.delete(`${id}|${baseUrl}|${input.username}|${passwordSealed}`);
      void connector.close();
      throw error;
    }
    const now = clock.now();
    const row: EndpointRow = {
      id, name: (input.name ?? '').trim() || status.productId || displayHost(input.address), address: input.address.trim(), baseUrl, hostKey,
      username: input.username, passwordSealed, ...statusColumns(status), sipUri: input.sipUri?.replace(/^sip:/i, '') ?? status.sipUri,
      connectivity: 'reachable', lastPolledAt: now, obtpPushedHash: null, obtpPushedAt: null, obtpPushedCount: null, obtpMethod: null, obtpLastError: null,
      labCodec: input.labCodec ?? null, createdAt: now, updatedAt: now,
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
    const results: { row: number; line?: number; address: string; ok: boolean; endpoint?: ReturnType<typeof publicEndpoint>; error?: { code: string; message: string } }[] = [];
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
        results.push({ ...row, ok: false, error: { code: error.code, message: error.message } });
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
        });
        await reconcileTickets(tx, id, { unreachable: connectivity === 'unreachable' ? why : false, auth_failed: connectivity === 'auth_failed' ? why : false });
      });
      if (cameBack) hooks.onRoomsChanged?.([id]);
      return { connectivity, cameBack };
    },

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
