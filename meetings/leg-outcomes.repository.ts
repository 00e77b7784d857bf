import { and, eq, inArray, isNotNull, lt, or } from 'drizzle-orm';
import { legs, occurrences } from './bookings.schema.ts';
import type { Db } from '../platform/db/database.ts';

// Dial-out outcomes read from the bridge's API (leg-outcomes.ts): the legs still waiting for one.

export type UnsettledLeg = { id: string; callLegId: string; outcome: string; occurrenceId: string; callId: string; nodeId: string };

/**
 * Legs of this bridge's ongoing meetings whose outcome no CDR has told yet: `placed` ones (last
 * changed before `placedBefore`) and, on the nodes in `noCdrNodes`, `connected` ones (their end).
 */
export async function unsettledLegs(db: Db, bridgeId: string, placedBefore: Date, noCdrNodes: string[]): Promise<UnsettledLeg[]> {
  const placed = and(eq(legs.outcome, 'placed'), lt(legs.updatedAt, placedBefore));
  const rows = await db
    .select({ id: legs.id, callLegId: legs.callLegId, outcome: legs.outcome, occurrenceId: legs.occurrenceId, callId: occurrences.callId, nodeId: occurrences.nodeId })
    .from(legs)
    .innerJoin(occurrences, eq(occurrences.id, legs.occurrenceId))
    .where(and(
      eq(occurrences.bridgeId, bridgeId),
      eq(occurrences.state, 'ongoing'),
      isNotNull(occurrences.callId),
      isNotNull(legs.callLegId),
      noCdrNodes.length ? or(placed, and(eq(legs.outcome, 'connected'), inArray(occurrences.nodeId, noCdrNodes))) : placed,
    ));
  return rows.filter((r): r is UnsettledLeg => r.callLegId !== null && r.callId !== null && r.nodeId !== null);
}

/** The outcome, unless something else (a CDR, a drop) changed the leg since it was read. */
export async function settleLeg(db: Db, id: string, from: string, patch: { outcome: string; reason?: string | null; updatedAt: Date }): Promise<boolean> {
  const rows = await db.update(legs).set(patch).where(and(eq(legs.id, id), eq(legs.outcome, from))).returning({ id: legs.id });
  return rows.length > 0;
}

