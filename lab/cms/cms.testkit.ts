// Small helpers shared by the simulator's tests: a CMS client speaking the wire format, and an XML shape
// (element names, attribute names, order) to compare answers with the seed's.
import { XMLParser } from 'fast-xml-parser';
import type { CmsCluster } from './cms.cluster.ts';

export type WireResponse = { status: number; body: string; location: string | null; headers: Headers };

export function basic(user = 'admin', password = 'admin'): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

export function cmsClient(baseUrl: string, auth: string | null = basic()) {
  return async function request(method: string, path: string, form?: Record<string, string> | string, init: { auth?: string | null } = {}): Promise<WireResponse> {
    const headers: Record<string, string> = {};
    const credentials = init.auth === undefined ? auth : init.auth;
    if (credentials) headers.authorization = credentials;
    let body: string | undefined;
    if (form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = typeof form === 'string' ? form : new URLSearchParams(form).toString();
    }
    const response = await fetch(baseUrl + path, { method, headers, body });
    return { status: response.status, body: await response.text(), location: response.headers.get('location'), headers: response.headers };
  };
}

export const idOf = (location: string | null): string => (location ?? '').split('/').pop() ?? '';

export type Shape = { tag: string; attributes: string[]; children: Shape[]; elided: boolean };

const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', ignoreDeclaration: true, parseTagValue: false, trimValues: true });

type Ordered = Record<string, unknown> & { ':@'?: Record<string, string> };

function toShape(node: Ordered): Shape | 'elision' | undefined {
  const tag = Object.keys(node).find((k) => k !== ':@');
  if (!tag) return undefined;
  if (tag === '#text') return String(node['#text']).includes('[ ... ]') ? 'elision' : undefined;
  const shape: Shape = { tag, attributes: Object.keys(node[':@'] ?? {}).sort(), children: [], elided: false };
  for (const child of node[tag] as Ordered[]) {
    const s = toShape(child);
    if (s === 'elision') shape.elided = true;
    else if (s) shape.children.push(s);
  }
  return shape;
}

export function xmlShape(xml: string): Shape {
  const nodes = parser.parse(xml) as Ordered[];
  const shapes = nodes.map(toShape).filter((s): s is Shape => typeof s === 'object');
  if (shapes.length !== 1) throw new Error(`expected one root element in ${xml}`);
  return shapes[0];
}

/** Differences between the seed's shape and ours; the seed's `[ ... ]` means "more followed". */
export function shapeDifferences(expected: Shape, actual: Shape, path = ''): string[] {
  const here = `${path}/${expected.tag}`;
  if (expected.tag !== actual.tag) return [`${here}: element ${actual.tag} instead of ${expected.tag}`];
  const problems: string[] = [];
  if (expected.attributes.join() !== actual.attributes.join()) problems.push(`${here}: attributes [${actual.attributes}] instead of [${expected.attributes}]`);
  const tags = new Set(expected.children.map((c) => c.tag));
  const isCollection = expected.attributes.includes('total');
  if (isCollection && tags.size <= 1) {
    // A collection: children are repeated objects; compare each the seed shows with ours in order.
    for (const child of actual.children) if (tags.size === 1 && !tags.has(child.tag)) problems.push(`${here}: unexpected child ${child.tag}`);
    if (expected.children.length > 0 && actual.children.length === 0) problems.push(`${here}: no children`);
    expected.children.forEach((child, i) => {
      if (actual.children[i] && !child.elided) problems.push(...shapeDifferences(child, actual.children[i], here));
    });
    return problems;
  }
  const n = expected.children.length;
  if (!expected.elided && actual.children.length !== n) {
    problems.push(`${here}: children [${actual.children.map((c) => c.tag)}] instead of [${expected.children.map((c) => c.tag)}]`);
    return problems;
  }
  for (let i = 0; i < n; i++) {
    if (!actual.children[i]) {
      problems.push(`${here}: missing ${expected.children[i].tag}`);
      break;
    }
    problems.push(...shapeDifferences(expected.children[i], actual.children[i], here));
  }
  return problems;
}

/** Lets the event loop run so fetches started by the simulator (CDR delivery) make progress. */
export async function settle(cluster: CmsCluster, rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    cluster.tick();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Polls `check` with tiny real waits (for network effects only, never for simulated time). */
export async function eventually(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
