// The per-node API trace, shaped like CMS's "API debug" log (seed 000):
//   API trace 8893: POST for "/api/v1/callProfiles" (from 14.80.99.226)
//   API trace 8893: content data size 47, type "application/x-www-form-urlencoded":
//   API trace 8893: participantLimit=1000&
//   API trace 8893: sending 200 response, size 0
//   API trace 8893: Location: /api/v1/callProfiles/1285fa9c-…
// Entries keep references to the raw strings; masking and formatting happen when someone reads them, so
// the request path pays for one object per request and nothing else.
export type TraceEntry = {
  n: number;
  at: string;
  method: string;
  path: string;
  from: string;
  contentType?: string;
  requestBody?: string;
  status?: number;
  size?: number;
  location?: string;
  challenge?: boolean;
  responseBody?: string;
  /** Which injected fault shaped this answer, if any. */
  fault?: string;
};

const SECRET_FIELDS = /(^|&)(passcode|secret|password)=[^&]*/gi;
const SECRET_ELEMENTS = /<(passcode|secret|password)>[^<]*<\/\1>/g;

export function maskForm(body: string): string {
  return body.replace(SECRET_FIELDS, (_m, sep: string, name: string) => `${sep}${name}=*****`);
}

export function maskXml(xml: string): string {
  return xml.replace(SECRET_ELEMENTS, (_m, name: string) => `<${name}>*****</${name}>`);
}

/**
 * An entry as anyone outside the node sees it (JSON trace, the Lab API and page, listeners): the
 * request's form body and the answer with passcodes, secrets and passwords as `*****` (M15).
 */
export function maskEntry(entry: TraceEntry): TraceEntry {
  const masked = { ...entry };
  if (masked.requestBody !== undefined) masked.requestBody = maskForm(masked.requestBody);
  if (masked.responseBody !== undefined) masked.responseBody = maskXml(masked.responseBody);
  return masked;
}

/** The lines CMS would log for one exchange, secrets masked. */
export function formatTraceEntry(entry: TraceEntry): string[] {
  const p = `API trace ${entry.n}: `;
  const lines = [`${p}${entry.method} for "${entry.path}" (from ${entry.from})`];
  if (entry.requestBody !== undefined && entry.requestBody.length > 0) {
    lines.push(`${p}content data size ${Buffer.byteLength(entry.requestBody)}, type "${entry.contentType ?? ''}":`);
    const pairs = maskForm(entry.requestBody).split('&');
    pairs.forEach((pair, i) => lines.push(`${p}${pair}${i < pairs.length - 1 ? '&' : ''}`));
  }
  if (entry.status === undefined) {
    lines.push(`${p}no response sent${entry.fault ? ` (${entry.fault})` : ''}`);
    return lines;
  }
  lines.push(`${p}sending ${entry.status} response, size ${entry.size ?? 0}`);
  if (entry.challenge) lines.push(`${p}WWW-Authenticate: Basic realm="acano"`);
  if (entry.location) lines.push(`${p}Location: ${entry.location}`);
  if (entry.responseBody) {
    // One element per line, as the CMS log prints them.
    const xml = maskXml(entry.responseBody).replace(/^<\?xml[^>]*\?>/, '');
    for (const part of xml.split(/(?<=>)(?=<[^/])|(?<=<\/[^>]+>)(?=<)/)) lines.push(`${p}${part}`);
  }
  return lines;
}

export type TraceLog = ReturnType<typeof createTraceLog>;

export function createTraceLog(capacity = 2000, firstNumber = 1) {
  const ring: TraceEntry[] = [];
  let next = firstNumber;
  const listeners = new Set<(entry: TraceEntry) => void>();

  return {
    begin(entry: Omit<TraceEntry, 'n'>): TraceEntry {
      const full = entry as TraceEntry;
      full.n = next++;
      ring.push(full);
      if (ring.length > capacity) ring.shift();
      return full;
    },
    /** Called once the answer is known (or never, for a hung request). */
    finish(entry: TraceEntry) {
      if (listeners.size === 0) return;
      const masked = maskEntry(entry);
      for (const listener of listeners) listener(masked);
    },
    /** Masked copies: the raw bodies never leave the node. */
    entries(since = 0): TraceEntry[] {
      return ring.filter((e) => e.n > since).map(maskEntry);
    },
    text(since = 0): string {
      return ring
        .filter((e) => e.n > since)
        .flatMap(formatTraceEntry)
        .join('\n');
    },
    subscribe(listener: (entry: TraceEntry) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    clear() {
      ring.length = 0;
    },
  };
}
