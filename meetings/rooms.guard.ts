import { AppError, notFound } from '../platform/errors.ts';
import * as repo from './endpoints.repository.ts';
import { formatInZone } from './zoned-time.ts';
import type { Db } from '../platform/db/database.ts';
import type { ConnectMode } from './endpoints.service.ts';

// #17: a room is one place at one time. Whatever writes a booking's meetings (booking it with its
// rooms, moving it, moving one meeting, extending a running one) calls this in its own transaction
// after writing, so a conflict refuses the whole change and nothing of it stays.

export type RoomChoice = { endpointId: string; connectMode: ConnectMode };

/** The rooms named for a booking, checked before any lock: they exist, once each, automatic ones dialable. */
export async function resolveRooms(db: Db, rooms: RoomChoice[]) {
  const ids = rooms.map((r) => r.endpointId);
  if (new Set(ids).size !== ids.length) throw new AppError('VALIDATION_FAILED', 'A room is named twice.', { issues: [{ path: ['rooms'], message: 'A room is named twice.' }] });
  const found = await repo.findEndpointsByIds(db, ids);
  const missing = ids.find((id) => !found.some((e) => e.id === id));
  if (missing) throw notFound('Endpoint', missing);
  const withoutUri = rooms.find((r) => r.connectMode === 'automatic' && !found.find((e) => e.id === r.endpointId)?.sipUri);
  if (withoutUri) throw new AppError('VALIDATION_FAILED', `Endpoint ${found.find((e) => e.id === withoutUri.endpointId)!.name} has no SIP URI for the bridge to dial: set one, or choose OBTP or manual.`, { endpointId: withoutUri.endpointId });
  /** What the bridge dials at start for the automatic rooms. */
  const automaticUris = rooms.filter((r) => r.connectMode === 'automatic').map((r) => found.find((e) => e.id === r.endpointId)!.sipUri!);
  return { found, automaticUris };
}

/**
 * Refuses (409 CONFLICT, naming the room and the other meeting in `zone`) when one of the booking's
 * meetings not yet over overlaps a meeting of another booking in one of its rooms. Takes the rooms'
 * locks first (sorted, so two deciders cannot deadlock), which setRooms takes too.
 */
export async function assertRoomsFree(tx: Db, bookingId: string, zone: string, now: Date, endpointIds?: string[]) {
  const ids = endpointIds ?? (await repo.roomsOfBooking(tx, bookingId)).map((r) => r.endpointId);
  if (!ids.length) return;
  await repo.lockEndpointSchedules(tx, ids);
  const conflict = await repo.findRoomConflict(tx, bookingId, ids, now);
  if (!conflict) return;
  const room = (await repo.findEndpointsByIds(tx, [conflict.endpointId]))[0];
  throw new AppError('CONFLICT', `${room?.name ?? conflict.endpointId} is already booked from ${formatInZone(conflict.startAt, zone)} to ${formatInZone(conflict.endAt, zone)} (${conflict.title}).`, { endpointId: conflict.endpointId, bookingId: conflict.bookingId, startAt: conflict.startAt, endAt: conflict.endAt });
}
