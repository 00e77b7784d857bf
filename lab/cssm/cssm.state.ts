// What the Lab CSSM keeps across a restart of Switchboard (lab/README.md, *State across restarts*):
// everything a real CSSM keeps — smart accounts, virtual accounts, licences, registration tokens,
// registered product instances — and its behaviour knobs. Not kept: issued access tokens (clients
// get 401 and ask for a new one, as after a revocation) and the fault in force.
import type { CssmPaging, CssmSimulator, CssmSmartAccount, SatelliteMarkerStyle } from './cssm.simulator.ts';

type Dated<T, K extends keyof T> = Omit<T, K> & Record<K, string>;

export type CssmState = {
  port: number;
  accounts: Array<
    Omit<CssmSmartAccount, 'virtualAccounts' | 'licenses' | 'tokens' | 'devices'> & {
      virtualAccounts: Array<CssmSmartAccount['virtualAccounts'] extends Map<string, infer V> ? V : never>;
      licenses: Array<[string, CssmSmartAccount['licenses'] extends Map<string, infer P> ? P : never]>;
      tokens: Array<Dated<CssmSmartAccount['tokens'][number], 'createdAt' | 'expiresAt'>>;
      devices: Array<Dated<CssmSmartAccount['devices'][number], 'registeredAt'>>;
    }
  >;
  paging: CssmPaging;
  satelliteMarker: SatelliteMarkerStyle;
};

export function snapshotCssm(sim: CssmSimulator): CssmState {
  return {
    port: Number(new URL(sim.url).port),
    accounts: [...sim.accounts.values()].map((sa) => ({
      ...sa,
      virtualAccounts: [...sa.virtualAccounts.values()],
      licenses: [...sa.licenses.entries()],
      tokens: sa.tokens.map((t) => ({ ...t, createdAt: t.createdAt.toISOString(), expiresAt: t.expiresAt.toISOString() })),
      devices: sa.devices.map((d) => ({ ...d, registeredAt: d.registeredAt.toISOString() })),
    })),
    paging: sim.getPaging(),
    satelliteMarker: sim.getSatelliteMarker(),
  };
}

/** Puts a saved CSSM into a new simulator (instead of seeding it). */
export function restoreCssm(sim: CssmSimulator, state: CssmState) {
  for (const sa of state.accounts) {
    sim.accounts.set(sa.domain.toLowerCase(), {
      ...sa,
      virtualAccounts: new Map(sa.virtualAccounts.map((va) => [va.name, va])),
      licenses: new Map(sa.licenses),
      tokens: sa.tokens.map((t) => ({ ...t, createdAt: new Date(t.createdAt), expiresAt: new Date(t.expiresAt) })),
      devices: sa.devices.map((d) => ({ ...d, registeredAt: new Date(d.registeredAt) })),
    });
  }
  sim.setPaging(state.paging);
  sim.setSatelliteMarker(state.satelliteMarker);
}
