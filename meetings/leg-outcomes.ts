import { AppError } from '../platform/errors.ts';
import * as repo from './leg-outcomes.repository.ts';
import type { Clock } from '../platform/clock.ts';
import type { Db } from '../platform/db/database.ts';
import type { Logger } from '../platform/logger.ts';
import type { CmsConnector, XmlObject } from './cms.connector.ts';
import type { BridgeRow, NodeRow } from './meetings.repository.ts';

// Dial-out outcomes from the bridge's API, for when its CDRs do not come (no receiver on the node,
// the receiver unreachable, records lost). Read at each status poll, only for legs still waiting:
// GET /calls/{id}/callLegs once per call that has some (the active legs), then GET /callLegs/{id}
// for each waiting leg still there, whose status.state says whether it connected (apib: initial |
// ringing | connected | onHold). A waiting leg no longer in its call has ended.

/** A CDR usually follows a change within a second; a leg is read from the API only after this. */
export const CDR_GRACE_MS = 3_000;

export const LEFT_BEFORE_CONNECTED = 'The call leg ended before it connected (read from the bridge; no CDR came).';
export const LEFT = 'The call leg ended (read from the bridge; no CDR came).';

/**
 * `silentNodes`: nodes whose CDRs are known not to come (no receiver registered, or a `placed` leg
 * had to be settled from the API lately). Their connected legs are read too, to see them end; on
 * other nodes the callLegEnd CDR says it, and reading every live call at every poll would cost a
 * request per meeting. Returns the nodes where a CDR was missed this time.
 */
export async function readLegOutcomes(deps: { db: Db; clock: Clock; logger: Logger }, bridge: BridgeRow, nodes: NodeRow[], connectorForNode: (bridge: BridgeRow, node: NodeRow) => CmsConnector, silentNodes: Set<string> = new Set()) {
  const { db, clock } = deps;
  const now = clock.now();
  const noCdrNodes = nodes.filter((n) => !n.cdrReceiverId || silentNodes.has(n.id)).map((n) => n.id);
  const waiting = await repo.unsettledLegs(db, bridge.id, new Date(now.getTime() - CDR_GRACE_MS), noCdrNodes);
  const missedCdrs = new Set<string>();
  if (!waiting.length) return { read: 0, settled: 0, missedCdrs };
  const byCall = new Map<string, repo.UnsettledLeg[]>();
  for (const leg of waiting) byCall.set(`${leg.nodeId}|${leg.callId}`, [...(byCall.get(`${leg.nodeId}|${leg.callId}`) ?? []), leg]);
  let settled = 0;
  for (const group of byCall.values()) {
    const node = nodes.find((n) => n.id === group[0].nodeId);
    if (!node) continue;
    const connector = connectorForNode(bridge, node);
    let active: XmlObject[];
    try {
      active = await connector.list(`calls/${group[0].callId}/callLegs`, 'callLeg');
    } catch (error) {
      // The call is gone (ended or its node restarted): ending and failover deal with the meeting.
      if (((error as AppError).details as { status?: number } | undefined)?.status !== 404) deps.logger.warn({ err: error, bridge: bridge.id }, 'reading call legs failed');
      continue;
    }
    const present = new Set(active.map((l) => String(l['@_id'])));
    try {
      for (const leg of group) {
        let patch: { outcome: string; reason?: string } | undefined;
        if (!present.has(leg.callLegId)) {
          patch = leg.outcome === 'placed' ? { outcome: 'failed', reason: LEFT_BEFORE_CONNECTED } : { outcome: 'ended', reason: LEFT };
        } else if (leg.outcome === 'placed') {
          const detail = await connector.get(`/callLegs/${leg.callLegId}`).catch((error: unknown) => {
            if (error instanceof AppError && (error.details as { status?: number })?.status === 404) return { gone: true } as XmlObject;
            throw error;
          });
          if (detail.gone) patch = { outcome: 'failed', reason: LEFT_BEFORE_CONNECTED };
          else if (String(detail.callLeg?.status?.state ?? '') === 'connected') patch = { outcome: 'connected' };
        }
        if (patch && (await repo.settleLeg(db, leg.id, leg.outcome, { ...patch, updatedAt: clock.now() }))) {
          settled++;
          if (leg.outcome === 'placed') missedCdrs.add(leg.nodeId);
        }
      }
    } catch (error) {
      deps.logger.warn({ err: error, bridge: bridge.id }, 'reading call legs failed');
    }
  }
  return { read: byCall.size, settled, missedCdrs };
}
