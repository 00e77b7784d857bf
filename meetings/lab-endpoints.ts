import * as repo from './endpoints.repository.ts';
import { parseAddress } from './bridges.service.ts';
import { getLab } from '../lab/lab.area.ts';
import type { PlatformServices } from '../platform/services.ts';
import type { Endpoints } from './endpoints.service.ts';

const system = { type: 'system' as const, id: null, name: 'lab', role: 'system' as const, customerOrgId: null };

/**
 * `npm start`: the Lab's room codecs become endpoints, known by their codec's name (`labCodec`). A
 * codec that came back on other ports or with a new password (a clean Lab start) has its endpoint
 * pointed at it again rather than registered twice.
 */
export async function registerLabEndpoints(services: PlatformServices, endpoints: Endpoints) {
  const lab = getLab(services);
  if (!lab?.enabled) return;
  const db = services.database.db;
  for (const codec of lab.ceCodecs) {
    const found = await repo.findEndpointByLabCodec(db, codec.name);
    if (!found) {
      await endpoints.add({ address: codec.url, username: codec.username, password: codec.password, name: `Lab ${codec.name}`, tls: false, labCodec: codec.name }, system);
      continue;
    }
    const address = codec.url;
    if (found.address !== address || services.secrets.open(found.passwordSealed) !== codec.password) {
      const { baseUrl, hostKey } = parseAddress(address, false);
      await repo.updateEndpoint(db, found.id, { address, baseUrl, hostKey, passwordSealed: services.secrets.seal(codec.password), obtpPushedHash: 'stale', updatedAt: services.clock.now() });
    }
  }
}
