// What a Lab CUCM / Unity Connection cluster keeps across a restart of Switchboard (lab/README.md,
// *State across restarts*): what a real publisher keeps on disk — deployment (licensing) mode,
// transport settings, Smart Licensing registration and its dates, its UDI, installation date — and
// its behaviour knobs, and the nodes' ports. A restart in progress is over (the publisher is up);
// a registration still "In Progress" is finished; the fault in force is cleared.
import type { UcBehaviour, UcClusterSimulator, UcClusterState } from './uc.simulator.ts';

export type UcState = {
  name: string;
  ports: number[];
  state: UcClusterState;
  behaviour: UcBehaviour;
  modeChangeRequests: number;
};

export function snapshotUcCluster(sim: UcClusterSimulator): UcState {
  return { name: sim.name, ports: sim.nodes.map((n) => Number(new URL(n.url).port)), state: sim.state, behaviour: sim.getBehaviour(), modeChangeRequests: sim.modeChangeRequests };
}

const date = (value: unknown) => (value ? new Date(value as string) : null);

/** Puts a saved publisher's state into a new simulator (made with the saved ports). */
export function restoreUcCluster(sim: UcClusterSimulator, saved: UcState) {
  const s = saved.state;
  Object.assign(sim.state, {
    ...s,
    installedAt: new Date(s.installedAt),
    rebootingUntil: 0,
    registration: { ...s.registration, registeredAt: date(s.registration.registeredAt), lastRenewal: date(s.registration.lastRenewal) },
  });
  sim.setBehaviour(saved.behaviour);
  sim.modeChangeRequests = saved.modeChangeRequests;
}
