import crypto from 'node:crypto';
import { createCeCodec, type CeBooking, type CeCodec, type CeDialOutcome } from './ce.simulator.ts';
import { portOr0, startRemembered, type LabState } from '../lab.state.ts';
import type { CmsCluster } from '../cms/cms.cluster.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Logger } from '../../platform/logger.ts';

/**
 * The Lab's room codecs: one per software family the push method depends on —
 * on-premises CE 9.15 (bookingsputxml), Webex-registered RoomOS 11.14 (Bookings Put), and an old
 * TC 7.3 (bookingsputxml, no Bookings Put at all).
 */
export const defaultLabCodecs = [
  { name: 'room-boardroom', productId: 'Cisco Webex Room Kit', version: 'ce9.15.3.17.a1b2c3d4e5f', webexRegistered: false },
  { name: 'room-huddle', productId: 'Cisco Room Bar', version: 'ce11.14.2.3.6c7b1d7a0b2', webexRegistered: true },
  { name: 'room-legacy', productId: 'Cisco TelePresence SX20', version: 'tc7.3.9.2d9b0a9', webexRegistered: false },
];

type SavedCodec = { name: string; port: number; password: string; bookings: CeBooking[] };

/**
 * A Join on a Lab codec: the number is offered to every Lab CMS cluster as a dial-in (its URI user
 * part finds the space, as the cluster's inbound dial plan does); the first that admits it has the
 * room in the meeting.
 */
export function labDialer(clusters: () => CmsCluster[]) {
  return (number: string, info: { displayName: string; remoteParty: string }): CeDialOutcome => {
    let reason = 'noSuchSpace';
    const user = number.split('@')[0];
    for (const cluster of clusters()) {
      // The node already holding the space's call takes the room into it (a cluster joins distributed calls).
      const holder = cluster.nodes.find((n) => [...n.bridge.calls.values()].some((c) => String(cluster.store.collections.coSpaces.get(c.coSpace ?? '')?.v.uri ?? '') === user));
      const result = cluster.dialIn({ uri: number, remoteParty: info.remoteParty, displayName: info.displayName, node: holder?.name }) as { admitted: boolean; reason?: string; callId?: string; callLegId?: string };
      if (result.admitted) return { connected: true, remote: { cluster: cluster.name, callId: result.callId, callLegId: result.callLegId } };
      if (result.reason && result.reason !== 'noSuchSpace' && result.reason !== 'noInboundRule') reason = result.reason;
    }
    return { connected: false, reason };
  };
}

export async function startLabCodecs(deps: { clock: Clock; logger: Logger; state: LabState | undefined; clusters: () => CmsCluster[] }): Promise<CeCodec[]> {
  const saved = deps.state?.load<SavedCodec[]>('ce') ?? [];
  const codecs: CeCodec[] = [];
  for (const spec of defaultLabCodecs) {
    const previous = saved.find((c) => c.name === spec.name);
    codecs.push(
      await startRemembered(
        async (fresh) => {
          const codec = createCeCodec({
            ...spec,
            clock: deps.clock,
            port: fresh ? 0 : await portOr0(previous?.port),
            // A new password on a clean start; the saved one (a codec keeps its users) after a restart.
            password: previous?.password ?? crypto.randomBytes(12).toString('base64url'),
            dial: labDialer(deps.clusters),
          });
          if (previous) codec.restoreBookings(previous.bookings);
          return codec;
        },
        (codec) => codec.start(),
        deps.logger,
        `ce ${spec.name}`,
      ),
    );
  }
  deps.state?.track('ce', () => codecs.map((c): SavedCodec => ({ name: c.name, port: c.port, password: c.password, bookings: c.bookings() })), () => JSON.stringify(codecs.map((c) => [c.port, c.lastUpdated()])));
  return codecs;
}
