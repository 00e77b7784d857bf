// XML as CMS writes it: `<?xml version="1.0"?>` followed by the document with no whitespace between
// elements (the seed's response sizes — 250, 178, 210, 518 bytes — only add up that way), empty values
// as `<x></x>`, and failure reasons as `<failureDetails><reason /></failureDetails>`.
import { XMLBuilder } from 'fast-xml-parser';

export const XML_DECLARATION = '<?xml version="1.0"?>';

/** An element's content: text, a nested element, repeated elements, or absent (omitted). */
export type XmlValue = string | number | boolean | XmlNode | XmlNode[] | undefined;
/** Keys keep insertion order, which is the wire order. Attributes are keys starting with `@_`. */
export type XmlNode = { [key: string]: XmlValue };

// Entities are escaped here rather than by the builder: CMS leaves apostrophes and quotes in text alone.
const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: false,
  suppressBooleanAttributes: false,
  processEntities: false,
  format: false,
});
const emptyTagBuilder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: true,
  suppressBooleanAttributes: false,
  processEntities: false,
  format: false,
});

const TEXT_SPECIAL = /[&<>]/;
const ATTR_SPECIAL = /[&<>"]/;

export function escapeText(value: string): string {
  if (!TEXT_SPECIAL.test(value)) return value;
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeAttribute(value: string): string {
  if (!ATTR_SPECIAL.test(value)) return value;
  return escapeText(value).replace(/"/g, '&quot;');
}

function escapeTree(node: XmlNode): XmlNode {
  const out: XmlNode = {};
  for (const key in node) {
    const value = node[key];
    if (value === undefined) continue;
    if (Array.isArray(value)) out[key] = value.map(escapeTree);
    else if (typeof value === 'object') out[key] = escapeTree(value);
    else if (typeof value === 'string') out[key] = key.startsWith('@_') ? escapeAttribute(value) : escapeText(value);
    else out[key] = String(value);
  }
  return out;
}

/** A whole response document: declaration + one root element. */
export function xmlDocument(rootName: string, root: XmlNode): string {
  return XML_DECLARATION + builder.build({ [rootName]: escapeTree(root) });
}

/** `<plural total="N">` with `<singular id="…">` children, or `<plural total="0"></plural>`. */
export function xmlCollection(
  plural: string,
  singular: string,
  total: number,
  items: XmlNode[],
  extraAttributes: Record<string, string> = {},
): string {
  const root: XmlNode = { '@_total': String(total) };
  for (const [name, value] of Object.entries(extraAttributes)) root[`@_${name}`] = value;
  if (items.length > 0) root[singular] = items;
  return xmlDocument(plural, root);
}

export type FailureReason = { reason: string; attributes?: Record<string, string> };

/** `<failureDetails><coSpaceDoesNotExist /></failureDetails>` — the spacing clients grep for. */
export function xmlFailure(failure: FailureReason): string {
  const element: XmlNode = {};
  for (const [name, value] of Object.entries(failure.attributes ?? {})) element[`@_${name}`] = escapeAttribute(value);
  const body = emptyTagBuilder.build({ failureDetails: { [failure.reason]: element } }) as string;
  return XML_DECLARATION + body.replace(/\/>/g, ' />');
}

/** A fragment without declaration, for CDR records that are wrapped in `<records>`. */
export function xmlFragment(name: string, node: XmlNode): string {
  return builder.build({ [name]: escapeTree(node) }) as string;
}
