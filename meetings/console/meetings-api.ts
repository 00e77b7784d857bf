import { request, type Page } from '../../platform/console/src/api.ts';

// The console's calls to /api/v1/meetings (through the shared console API client).
const P = '/api/v1/meetings';
export type Row = Record<string, any>;
const enc = encodeURIComponent;
/** How a room joins (meetings/endpoints.service.ts CONNECT_MODES). */
export type ConnectMode = 'obtp' | 'automatic' | 'manual';
export const connectModes: Array<{ value: ConnectMode; label: string }> = [
  { value: 'obtp', label: 'One Button to Push (Join on the panel)' },
  { value: 'automatic', label: 'Automatic (the bridge dials the room)' },
  { value: 'manual', label: 'Manual (reserved only)' },
];

export const meetingsApi = {
  bridges: (signal?: AbortSignal) => request<Page<Row>>(`${P}/bridges`, { query: { limit: 500 }, signal }),
  bridge: (id: string, signal?: AbortSignal) => request<Row>(`${P}/bridges/${enc(id)}`, { signal }),
  addBridge: (body: Row) => request<{ items: Row[] }>(`${P}/bridges`, { method: 'POST', body }),
  updateBridge: (id: string, body: Row) => request<Row>(`${P}/bridges/${enc(id)}`, { method: 'PATCH', body }),
  acceptCertificate: (id: string, nodeId: string, fingerprint: string) => request<Row>(`${P}/bridges/${enc(id)}/nodes/${enc(nodeId)}/certificate/accept`, { method: 'POST', body: { fingerprint } }),
  setNodeAddress: (id: string, nodeId: string, address: string | null) => request<Row>(`${P}/bridges/${enc(id)}/nodes/${enc(nodeId)}`, { method: 'PATCH', body: { address } }),
  trace: (id: string, query: Row, signal?: AbortSignal) => request<Page<Row>>(`${P}/bridges/${enc(id)}/trace`, { query, signal }),
  addTicket: (id: string, body: Row) => request<Row>(`${P}/bridges/${enc(id)}/tickets`, { method: 'POST', body }),
  tickets: (id: string, signal?: AbortSignal) => request<{ items: Row[] }>(`${P}/bridges/${enc(id)}/tickets`, { signal }),
  ticketAction: (id: string, ticketId: number, action: 'acknowledge' | 'close') => request<Row>(`${P}/bridges/${enc(id)}/tickets/${ticketId}/${action}`, { method: 'POST' }),
  pool: (id: string, signal?: AbortSignal) => request<{ items: Row[] }>(`${P}/bridges/${enc(id)}/pool`, { signal }),
  syncPool: (id: string) => request<{ jobId: string }>(`${P}/bridges/${enc(id)}/pool/sync`, { method: 'POST' }),
  bookings: (query: Row, signal?: AbortSignal) => request<Page<Row>>(`${P}/bookings`, { query, signal }),
  book: (body: Row) => request<Row>(`${P}/bookings`, { method: 'POST', body }),
  booking: (id: string, signal?: AbortSignal) => request<Row>(`${P}/bookings/${enc(id)}`, { signal }),
  updateOccurrence: (bookingId: string, occurrenceId: string, body: Row) => request<Row>(`${P}/bookings/${enc(bookingId)}/occurrences/${enc(occurrenceId)}`, { method: 'PATCH', body }),
  cancelBooking: (id: string) => request<Row>(`${P}/bookings/${enc(id)}`, { method: 'DELETE' }),
  meetings: (query: Row, signal?: AbortSignal) => request<Page<Row>>(`${P}/meetings`, { query, signal }),
  meeting: (id: string, signal?: AbortSignal) => request<Row>(`${P}/meetings/${enc(id)}`, { query: { live: 'true' }, signal }),
  extend: (id: string, minutes: number) => request<Row>(`${P}/meetings/${enc(id)}/extend`, { method: 'POST', body: { minutes } }),
  end: (id: string) => request<Row>(`${P}/meetings/${enc(id)}/end`, { method: 'POST' }),
  dial: (id: string, remoteParty: string) => request<Row>(`${P}/meetings/${enc(id)}/participants`, { method: 'POST', body: { remoteParty } }),
  drop: (id: string, legId: string) => request<Row>(`${P}/meetings/${enc(id)}/legs/${enc(legId)}`, { method: 'DELETE' }),
  mute: (id: string, legId: string, body: { audioMuted?: boolean; videoMuted?: boolean }) => request<Row>(`${P}/meetings/${enc(id)}/legs/${enc(legId)}`, { method: 'PATCH', body }),
  routing: (signal?: AbortSignal) => request<Row>(`${P}/settings/routing`, { signal }),
  setRouting: (preferredBridgeIds: string[]) => request<Row>(`${P}/settings/routing`, { method: 'PUT', body: { preferredBridgeIds } }),
  updateCall: (id: string, body: Row) => request<Row>(`${P}/meetings/${enc(id)}`, { method: 'PATCH', body }),
  endpoints: (signal?: AbortSignal) => request<Page<Row>>(`${P}/endpoints`, { query: { limit: 500 }, signal }),
  busy: (endpointId: string, from: string, to: string, signal?: AbortSignal) => request<{ items: Row[] }>(`${P}/endpoints/${enc(endpointId)}/busy`, { query: { from, to }, signal }),
  rooms: (bookingId: string, signal?: AbortSignal) => request<{ private: boolean; items: Row[] }>(`${P}/bookings/${enc(bookingId)}/rooms`, { signal }),
  setRooms: (bookingId: string, rooms: Array<{ endpointId: string; connectMode: ConnectMode }>) => request<{ private: boolean; items: Row[] }>(`${P}/bookings/${enc(bookingId)}/rooms`, { method: 'PUT', body: { rooms } }),
  roomCalendarUrl: (endpointId: string) => `${P}/endpoints/${enc(endpointId)}/calendar.ics`,
};
