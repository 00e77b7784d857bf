import { roleHas } from '../platform/auth/roles.ts';
import type { Area } from '../platform/area.ts';
import type { AttentionEntry } from '../platform/attention/attention.ts';
import type { Lab } from './lab.area.ts';

/** Names the CMS faults in force on a node (S5), in the Lab page's words; empty when none. */
function cmsFaultsInForce(faults: Record<string, unknown>): string[] {
  const named: string[] = [];
  for (const [key, value] of Object.entries(faults)) {
    if (value === undefined || value === false || value === 0) continue;
    if (key === 'failNext') {
      const pending = (value as Array<{ count: number }>).reduce((sum, rule) => sum + rule.count, 0);
      if (pending > 0) named.push(`fail next ${pending} call${pending === 1 ? '' : 's'}`);
      continue;
    }
    named.push(key === 'slowMs' ? `slow ${value} ms` : key === 'pageCap' ? `page cap ${value}` : key);
  }
  return named;
}

/** The home page: faults injected into the Lab's simulators right now (S5, S3, S4). In memory, like the faults. */
export function labAttention(lab: Lab): Pick<Area, 'attention'> {
  return {
    async attention(actor) {
      if (!roleHas(actor.role, 'lab.read') || !lab.enabled) return [];
      const entries: AttentionEntry[] = [];
      for (const { cluster } of lab.cmsClusters) {
        for (const node of cluster.nodes) {
          const named = cmsFaultsInForce(node.faults as Record<string, unknown>);
          if (named.length) entries.push({ id: `cms/${cluster.name}/${node.name}`, label: `CMS ${cluster.name} / ${node.name}`, detail: named.join(', ')});
        }
      }
      const cssm = lab.cssm?.getFault();
      if (cssm && cssm.fault.kind !== 'none') entries.push({ id: 'cssm', label: 'CSSM', detail: cssm.fault.kind});
      for (const codec of lab.ceCodecs) {
        const named = cmsFaultsInForce(codec.getFaults() as Record<string, unknown>);
        if (named.length) entries.push({ id: `ce/${codec.name}`, label: `Codec ${codec.name}`, detail: named.join(', ')});
      }
      for (const uc of lab.ucClusters) {
        const fault = uc.getFault();
        if (fault.kind !== 'none') entries.push({ id: `uc/${uc.name}`, label: `${uc.type} ${uc.name}`, detail: fault.kind});
      }
      return [{ key: 'lab.faults', area: 'lab', title: 'Simulator faults', summary: 'simulators with an injected fault; clear it on the Lab page when the test is done', count: entries.length, severity: 'info', href: '/lab', entries: entries.slice(0, 5) }];
    },
  };
}
