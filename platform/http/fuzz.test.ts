import fs from 'node:fs';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { z } from 'zod';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { defineJob } from '../jobs/define-job.ts';
import { roles, type Role } from '../auth/roles.ts';
import { areaFactories } from '../../cli/areas.ts';
import { createCmsCluster, type CmsCluster } from '../../lab/cms/cms.cluster.ts';
import { createClusterAndTemplate, subscriberBody, waitForStatus } from '../../partner/partner.testkit.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../../test/support/test-switchboard.ts';

// X3 proof (#13): requests generated from the SERVED OpenAPI document, for every operation of every
// area (/api/v1 and the Webex-compatible /v1), sent as every role and with no credentials. Valid
// requests are built from the operation's schemas with real ids; invalid ones break them (wrong
// types, out-of-range numbers, impossible dates, huge strings, unknown and missing fields, wrong
// content types, malformed JSON, junk path and query values). Every answer must:
//   - never be a 5xx;
//   - have a status the document declares for the operation, and a body that matches the schema it
//     declares for that status (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses);
//   - when an error, be the one envelope: { error: { code, message, details, trackingId } } under
//     /api, Webex's { message, errors[], trackingId } under /v1, the tracking ID also in the header.
// Violations are collected, not stopped at: the test fails at the end with every distinct one.
//
// FUZZ_RUNS: requests per operation and per caller allowed to call it (default 3, about half valid,
// half invalid; callers without the permission get an eighth of it, at least one). FUZZ_SEED replays a run (the seed is
// printed), FUZZ_ONLY keeps operations whose "METHOD /path" contains it, FUZZ_DEBUG=1 prints every
// request, FUZZ_PROGRESS=1 each operation as it is done, FUZZ_REPORT=<file> writes the violations and
// the operations no request got a 2xx from as JSON.
const RUNS = Math.max(2, Number(process.env.FUZZ_RUNS ?? 3));
const RUNS_REFUSED = Math.max(1, Math.ceil(RUNS / 8));
const RUNS_UNKNOWN_ROUTES = 25 * RUNS;
const RUNS_HEADERS = 25 * RUNS;
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);

type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  $ref?: string;
  default?: unknown;
};
type Parameter = { in: 'path' | 'query' | 'header' | 'cookie'; name: string; required?: boolean; schema: JsonSchema };
type ResponseSpec = { description?: string; content?: Record<string, { schema?: JsonSchema }> };
type Operation = {
  method: string;
  path: string;
  key: string;
  parameters: Parameter[];
  body: JsonSchema | null;
  bodyTypes: string[];
  responses: Record<string, ResponseSpec>;
  /** undefined: the operation authenticates by its own scheme (the provisioning bridge). */
  permission: string | undefined;
  roles: Role[];
};
type CallerName = Role | 'anonymous';
type Caller = { name: CallerName; authorization: string | null };
type FuzzRequest = { method: string; path: string; headers: Record<string, string>; body?: Buffer; kind: string };
type FuzzResponse = { status: number; headers: http.IncomingHttpHeaders; text: string };
type Violation = { rule: string; operation: string; caller: string; status: number; kind: string; detail: string; example: string };

// ---- the world the requests are built in -------------------------------------------------------

type Ids = {
  /** Collection path (template) → ids of its items, e.g. /api/v1/meetings/bridges → bridge ids. */
  byCollection: Map<string, Set<string>>;
  /** Field name → values seen under it (provisioningId, spEnterpriseId, personId…). */
  byName: Map<string, Set<string>>;
  /** Ids that non-GET requests never get: the admin user, the callers' tokens, the customer admin's org. */
  protectedIds: Set<string>;
};

type World = { components: Record<string, JsonSchema>; ids: Ids; methodsOf(path: string): string[] };

const resolve = (schema: JsonSchema, world: World): JsonSchema =>
  schema.$ref ? resolve(world.components[schema.$ref.split('/').pop()!] ?? {}, world) : schema;

/** Path-parameter candidates: ids of the collection the parameter indexes, then ids seen under its name. */
function idsFor(operation: Operation, name: string, world: World): string[] {
  const at = operation.path.indexOf(`{${name}}`);
  const collection = operation.path.slice(0, at).replace(/\/$/, '');
  // Any `id` field is no hint for an {id} parameter; a specific name (personId, spEnterpriseId) is.
  const found = new Set([...(world.ids.byCollection.get(collection) ?? []), ...(name === 'id' ? [] : (world.ids.byName.get(name) ?? []))]);
  if (operation.method !== 'GET') for (const id of world.ids.protectedIds) found.delete(id);
  return [...found].sort();
}

// ---- valid values ------------------------------------------------------------------------------

const safeChars = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_.'.split(''));
const closedPort = 'http://127.0.0.1:9';
const validDate = fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true });

/** Values that follow a JSON schema, named by the field they go in (hints: urls, hosts, emails, ids). */
function validFromSchema(schema: JsonSchema, world: World, name = '', depth = 0): fc.Arbitrary<unknown> {
  schema = resolve(schema, world);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) {
    const nonNull = alternatives.filter((s) => resolve(s, world).type !== 'null');
    return fc.oneof(...(nonNull.length ? nonNull : alternatives).map((s) => validFromSchema(s, world, name, depth + 1)));
  }
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if ('const' in schema) return fc.constant(schema.const);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'string':
      return validString(schema, world, name);
    case 'integer':
    case 'number': {
      const min = Math.max(schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 0), -1e6);
      const max = Math.min(schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : 1000), 1e6);
      return fc.integer({ min: Math.ceil(Math.min(min, max)), max: Math.floor(max) });
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const minLength = schema.minItems ?? 0;
      return fc.array(validFromSchema(schema.items ?? {}, world, name, depth + 1), { minLength, maxLength: Math.max(minLength, Math.min(schema.maxItems ?? 3, 3)) });
    }
    case 'object': {
      const properties = Object.entries(schema.properties ?? {});
      const required = new Set(schema.required ?? []);
      if (depth > 4) return fc.constant(Object.fromEntries(properties.filter(([k]) => required.has(k)).map(([k]) => [k, null])));
      return someOptional(Object.fromEntries(properties.map(([key, inner]) => [key, validFromSchema(inner, world, key, depth + 1)])), required);
    }
    default:
      // Untyped (a coerced date): a time.
      return validDate.map((d) => d.toISOString());
  }
}

/**
 * The required fields and at most three optional ones: a value in every optional field at once would
 * almost always break some rule finer than the schema (a filter no item passes, two exclusive fields),
 * and valid requests would rarely reach a 2xx.
 */
function someOptional(fields: Record<string, fc.Arbitrary<unknown>>, required: Set<string>): fc.Arbitrary<Record<string, unknown>> {
  const optional = Object.keys(fields).filter((k) => !required.has(k));
  return fc
    .tuple(fc.record(fields, { requiredKeys: Object.keys(fields) }), fc.subarray(optional, { maxLength: Math.min(3, optional.length) }))
    .map(([value, kept]) => Object.fromEntries(Object.entries(value).filter(([k]) => required.has(k) || kept.includes(k))));
}

function validString(schema: JsonSchema, world: World, name: string): fc.Arbitrary<string> {
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? 40, 40));
  const pattern = schema.pattern ? new RegExp(schema.pattern, 'u') : null;
  const fits = (s: string) => s.length >= minLength && s.length <= (schema.maxLength ?? Infinity) && (!pattern || pattern.test(s));
  // A hint that does not fit the schema falls back to a plain value that does (no filter: a filter
  // that can never pass would loop for ever).
  const plain = pattern ? fc.stringMatching(pattern) : fc.string({ unit: safeChars, minLength: Math.max(minLength, 1), maxLength });
  const orPlain = (hint: fc.Arbitrary<string>) => hint.chain((v) => (fits(v) ? fc.constant(v) : plain));
  const known = [...(world.ids.byName.get(name) ?? [])].filter(fits);
  const hinted = (arbitrary: fc.Arbitrary<string>) => (known.length ? fc.oneof(fc.constantFrom(...known), arbitrary) : arbitrary);
  if (schema.format === 'uuid') return hinted(fc.uuid({ version: 4 }));
  if (schema.format === 'date-time') return validDate.map((d) => d.toISOString());
  if (schema.format === 'date') return validDate.map((d) => d.toISOString().slice(0, 10));
  if (schema.format === 'email' || /emails?$/i.test(name)) return orPlain(fc.nat(99_999).map((n) => `fuzz${n}@example.com`));
  if (schema.format === 'uri' || schema.format === 'url' || /url$/i.test(name)) {
    return orPlain(fc.constantFrom(`${closedPort}/`, `${closedPort}/com.broadsoft.xsi-actions/v2.0/`, 'https://127.0.0.1:9/v2.0/'));
  }
  if (pattern) return hinted(plain);
  if (/address|host/i.test(name)) return hinted(orPlain(fc.constantFrom('127.0.0.1', '127.0.0.1:9', 'localhost:9')));
  if (/^timeZone$|^timezone$/i.test(name)) return orPlain(fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York'));
  if (/^(start|end)$/.test(name)) return orPlain(validDate.map((d) => d.toISOString().slice(0, 16)));
  return hinted(plain);
}

// ---- invalid values ----------------------------------------------------------------------------

const impossibleDates = [
  '2026-02-30', '0000-00-00', '2026-02-30T10:00:00Z', '2026-02-30T10:00', '0000-00-00T00:00:00Z', '2026-13-01T00:00:00Z',
  '2026-00-10', '2025-02-29', '2026-04-31T12:00:00Z', '2026-01-01T25:61:61Z', '9999-99-99', '+275760-09-13T00:00:00.000Z',
  '-271821-04-20T00:00:00.000Z', '10000-01-01',
];
const hugeStrings = ['x'.repeat(10_001), 'Ω'.repeat(5_000), '9'.repeat(400), `${'a'.repeat(64)}@${'b'.repeat(255)}.example`];
const wrongTypes: unknown[] = [123, -1, 1.5, true, false, 'x', '', [], [1, 'a'], {}, { a: 1 }, null];
const outOfRange: unknown[] = [-1, 0, 0.5, -0.5, 2 ** 31, -(2 ** 31), 2 ** 53 + 2, -(2 ** 53) - 2, 1e308, -1e308, 1e21, 10_000_001];
const nastyStrings = [
  ' ', '\u0000', 'a\u0000b', '\n', '\r\n', '%', '%00', '%zz', '../../etc/passwd', '__proto__', 'constructor', 'toString', 'null',
  'NaN', 'Infinity', '-0', '1e309', '١٢٣', '😀', '👩‍👩‍👧‍👦', 'e\u0301', '\uFEFF', '\u202E', '\uD800', '\uFFFF', "'; drop table users; --",
  '<script>alert(1)</script>', '${7*7}', '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff',
];
const badValue = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...wrongTypes) },
  { weight: 3, arbitrary: fc.constantFrom(...outOfRange) },
  { weight: 3, arbitrary: fc.constantFrom(...impossibleDates) },
  { weight: 1, arbitrary: fc.constantFrom(...hugeStrings) },
  { weight: 2, arbitrary: fc.constantFrom(...nastyStrings) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
);
const badPathValue = fc.oneof(
  fc.constantFrom(...impossibleDates, '-1', '0', '1.5', '1e309', '9007199254740993', 'true', 'null', '%zz', '%', '%E0%A4%A', '%C0%AF', '%FF', '..', '%2e%2e', '%2F', 'a%2Fb', 'x'.repeat(600), '0'.repeat(300)),
  fc.constantFrom(...nastyStrings).map((s) => encodeURIComponent(s.replace(/[\uD800-\uDFFF]/g, '\uFFFD'))),
  fc.uuid(),
);
const wrongContentTypes = [
  'text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=xyz', 'application/xml',
  'application/octet-stream', 'application/json; charset=utf-16le', 'application/vnd.api+json', 'json', ';', '',
];
const malformedJson = [
  '{', '}', '[', '{"a":', '{"a":1,}', "{'a':1}", '{"a":1}}', 'nul', '"unterminated', '{"a":1e999999}', '\uFEFF{}', '{"a":NaN}',
  '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', '['.repeat(5000) + ']'.repeat(5000),
  '{"a":'.repeat(2000) + '1' + '}'.repeat(2000), '{"a":"\\ud800"}', '{"a":"\\u0000"}', ' ', 'undefined', '{"a":1}{"b":2}',
];

// ---- requests ----------------------------------------------------------------------------------

type Parts = { pathValues: string[]; query: Record<string, unknown>; body: unknown };

function validParts(operation: Operation, world: World): fc.Arbitrary<Parts> {
  const pathParams = operation.parameters.filter((p) => p.in === 'path');
  const queryParams = operation.parameters.filter((p) => p.in === 'query');
  const pathValue = (p: Parameter) => {
    const schema = resolve(p.schema, world);
    if (schema.enum) return fc.constantFrom(...schema.enum.map(String));
    const known = idsFor(operation, p.name, world);
    const fresh = validFromSchema(schema, world, p.name).map((v) => encodeURIComponent(String(v)));
    return known.length ? fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...known).map(encodeURIComponent) }, { weight: 1, arbitrary: fresh }) : fresh;
  };
  const query = someOptional(Object.fromEntries(queryParams.map((p) => [p.name, validFromSchema(p.schema, world, p.name)])), new Set(queryParams.filter((p) => p.required).map((p) => p.name)));
  return fc.record({
    pathValues: fc.tuple(...pathParams.map(pathValue)),
    query,
    body: operation.bodyTypes.some((t) => t.includes('xml')) ? provisioningXml : operation.body ? validFromSchema(operation.body, world) : fc.constant(undefined),
  });
}

/** The one XML body (the BroadWorks provisioning bridge, partner/README.md). */
const provisioningXml = fc
  .record({ action: fc.constantFrom('add', 'modify', 'delete'), n: fc.nat(999), group: fc.constantFrom('home', 'victim', 'other'), phone: fc.boolean() })
  .map(({ action, n, group, phone }) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<provisioningRequest version="1.0"><user action="${action}"><userId>bridge${n}@sp.example</userId><serviceProviderId>FUZZ</serviceProviderId>` +
    `<groupId>${group}</groupId><firstName>Bridge</firstName><lastName>User${n}</lastName><email>bridge${n}@fuzz.example</email>${phone ? `<primaryPhoneNumber>+1-555-${n}</primaryPhoneNumber>` : '<extension>1001</extension>'}</user></provisioningRequest>`,
  );

/** Every [path in the value, parent object] of a JSON value, for a mutation to pick one. */
function slots(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return at.length ? [at] : [];
  const inner = Object.entries(value).flatMap(([k, v]) => slots(v, [...at, Array.isArray(value) ? Number(k) : k]));
  return at.length ? [at, ...inner] : inner;
}
function setAt(value: unknown, path: (string | number)[], replacement: unknown, remove = false): unknown {
  if (!path.length) return replacement;
  const copy: any = Array.isArray(value) ? [...value] : { ...(value as object) };
  const [head, ...rest] = path;
  if (rest.length) copy[head] = setAt(copy[head], rest, replacement, remove);
  else if (remove) delete copy[head];
  else copy[head] = replacement;
  return copy;
}

type Mutation = { kind: string; pick: number; value: unknown; contentType: string; raw: string };
const mutation = fc.record({
  kind: fc.constantFrom(
    'body: field of the wrong type or range', 'body: field of the wrong type or range', 'body: unknown field', 'body: required field missing',
    'body: not an object', 'body: wrong content type', 'body: malformed JSON', 'body: none', 'body: over the size limit',
    'query: wrong value', 'query: wrong value', 'query: unknown parameter', 'path: wrong value', 'path: wrong value', 'method: unsupported',
  ),
  pick: fc.nat(),
  value: badValue,
  contentType: fc.constantFrom(...wrongContentTypes),
  raw: fc.oneof(fc.constantFrom(...malformedJson), fc.string({ maxLength: 60 })),
});

type Payload = { contentType: string | null; payload: Buffer | undefined };
const json = (v: unknown): Payload => ({ contentType: 'application/json', payload: Buffer.from(JSON.stringify(v) ?? 'null') });

function render(operation: Operation, parts: Parts, caller: Caller, kind: string, payload: Payload, method = operation.method): FuzzRequest {
  let path = operation.path;
  operation.parameters.filter((p) => p.in === 'path').forEach((p, i) => (path = path.replace(`{${p.name}}`, parts.pathValues[i])));
  const pairs = Object.entries(parts.query).flatMap(([k, v]) => queryPairs(k, v));
  if (pairs.length) path += `?${pairs.map(([k, v]) => `${encodeURIComponent(toWellFormed(k))}=${encodeURIComponent(toWellFormed(v))}`).join('&')}`;
  // Past Node's 16 KiB header limit the server answers 431 and drops the connection while the
  // client may still be sending, which can reset the answer away: stay under it.
  if (path.length > 12_000) path = path.slice(0, 12_000);
  const headers: Record<string, string> = {};
  if (caller.authorization) headers.authorization = caller.authorization;
  if (payload.contentType !== null) headers['content-type'] = payload.contentType;
  return { method, path, headers, body: payload.payload, kind };
}

function requestsFor(operation: Operation, caller: Caller, world: World): fc.Arbitrary<FuzzRequest> {
  const valid = validParts(operation, world).map((parts) => render(operation, parts, caller, 'valid', parts.body === undefined ? { contentType: null, payload: undefined } : bodyPayload(operation, parts.body)));
  const invalid = fc.tuple(validParts(operation, world), mutation).map(([parts, m]) => {
    const body = parts.body;
    const bodySlots = slots(body);
    const at = bodySlots.length ? bodySlots[m.pick % bodySlots.length] : [];
    const queryNames = operation.parameters.filter((p) => p.in === 'query').map((p) => p.name);
    const pathCount = parts.pathValues.length;
    let kind = m.kind;
    // A mutation the operation has no room for falls back to one it has.
    if (kind.startsWith('body') && !operation.body) kind = queryNames.length ? 'query: wrong value' : pathCount ? 'path: wrong value' : 'query: unknown parameter';
    if (kind === 'query: wrong value' && !queryNames.length) kind = 'query: unknown parameter';
    if (kind === 'path: wrong value' && !pathCount) kind = operation.body ? 'body: field of the wrong type or range' : 'query: unknown parameter';
    switch (kind) {
      case 'body: field of the wrong type or range':
        return render(operation, parts, caller, kind, json(setAt(body, at, m.value)));
      case 'body: unknown field':
        return render(operation, parts, caller, kind, json(body !== null && typeof body === 'object' ? { ...(body as object), fuzzUnknownField: m.value } : { fuzzUnknownField: m.value }));
      case 'body: required field missing': {
        const required = resolve(operation.body!, world).required ?? [];
        const name = required.length ? required[m.pick % required.length] : undefined;
        return render(operation, parts, caller, kind, json(name ? setAt(body, [name], undefined, true) : {}));
      }
      case 'body: not an object':
        return render(operation, parts, caller, kind, json(m.value));
      case 'body: wrong content type':
        return render(operation, parts, caller, kind, { contentType: m.contentType, payload: m.contentType.includes('form') ? Buffer.from(new URLSearchParams(Object.entries((body ?? {}) as object).map(([k, v]) => [k, typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)])).toString()) : Buffer.from(JSON.stringify(body) ?? '') });
      case 'body: malformed JSON':
        return render(operation, parts, caller, kind, { contentType: 'application/json', payload: Buffer.from(m.raw) });
      case 'body: none':
        return render(operation, parts, caller, kind, m.pick % 2 ? { contentType: null, payload: undefined } : { contentType: 'application/json', payload: Buffer.alloc(0) });
      case 'body: over the size limit':
        return render(operation, parts, caller, kind, json({ ...(body as object), fuzzPadding: 'x'.repeat(1.1 * 1024 * 1024) }));
      case 'query: wrong value': {
        const name = queryNames[m.pick % queryNames.length];
        return render(operation, { ...parts, query: { ...parts.query, [name]: m.value } }, caller, kind, bodyOf(operation, body));
      }
      case 'query: unknown parameter':
        return render(operation, { ...parts, query: { ...parts.query, fuzzUnknown: m.value } }, caller, kind, bodyOf(operation, body));
      case 'path: wrong value': {
        const pathValues = [...parts.pathValues];
        const i = m.pick % pathCount;
        pathValues[i] = fc.sample(badPathValue, { numRuns: 1, seed: m.pick })[0];
        return render(operation, { ...parts, pathValues }, caller, kind, bodyOf(operation, body));
      }
      default: {
        // A method the path does not document (405 with Allow, or 404 for HEAD-less GETs' siblings).
        const method = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].find((x) => !world.methodsOf(operation.path).includes(x)) ?? 'PROPFIND';
        return render(operation, parts, caller, kind, bodyOf(operation, body), method);
      }
    }
  });
  return fc.oneof(valid, invalid);
}

const bodyOf = (operation: Operation, body: unknown): Payload => (operation.body ? bodyPayload(operation, body) : { contentType: null, payload: undefined });
function bodyPayload(operation: Operation, body: unknown): Payload {
  // The provisioning bridge takes XML (its body schema is a string).
  if (typeof body === 'string' && !operation.bodyTypes.includes('application/json')) return { contentType: operation.bodyTypes[0] ?? 'text/plain', payload: Buffer.from(body) };
  return json(body);
}

/** Lone surrogates cannot be percent-encoded; everything else can. */
const toWellFormed = (s: string) => s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');

/** A query value as text: arrays become repeated keys, objects bracket notation. */
function queryPairs(key: string, value: unknown): [string, string][] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap((v) => queryPairs(key, v));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => queryPairs(`${key}[${k}]`, v));
  return [[key, String(value)]];
}

// ---- transport ---------------------------------------------------------------------------------

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

function send(base: string, request: FuzzRequest): Promise<FuzzResponse> {
  const url = new URL(base);
  const headers: Record<string, string | number> = { ...request.headers };
  if (request.body !== undefined) headers['content-length'] = request.body.length;
  return new Promise((resolve, reject) => {
    const req = http.request({ agent, host: url.hostname, port: url.port, method: request.method, path: request.path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(request.body);
  });
}

// ---- the checks --------------------------------------------------------------------------------

const Ajv2020 = ((Ajv2020Module as unknown as { default?: unknown }).default ?? Ajv2020Module) as unknown as new (options: object) => any;
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as unknown as (ajv: unknown) => void;

/** Validators of the document's response schemas, $refs resolved against its components. */
function responseValidators(doc: any) {
  const ajv = new Ajv2020({ strict: false, allErrors: false, validateSchema: false });
  addFormats(ajv);
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `openapi-components${v}` : rewrite(v)]));
  };
  ajv.addSchema({ $id: 'openapi-components', components: rewrite(doc.components ?? {}) });
  const cache = new Map<string, any>();
  return (key: string, schema: JsonSchema) => {
    if (!cache.has(key)) cache.set(key, ajv.compile(rewrite(schema) as object));
    const validate = cache.get(key);
    return (body: unknown) => (validate(body) ? null : ajv.errorsText(validate.errors, { dataVar: 'body' }));
  };
}

const isWebexPath = (path: string) => path.startsWith('/v1/');

/** The envelope every error must have; null when it has it. */
function envelopeProblem(path: string, response: FuzzResponse, body: any): string | null {
  const contentType = String(response.headers['content-type']);
  const header = response.headers.trackingid;
  // The provisioning bridge speaks XML both ways: a failed provisioningResponse with its errors.
  if (path.startsWith('/provisioning-bridge/') && /^application\/xml/.test(contentType)) {
    if (!/<status>failed<\/status>/.test(response.text) || !/<errorCode>\d+<\/errorCode>/.test(response.text)) return 'XML without status failed and an errorCode';
    if (!header || !response.text.includes(`<trackingId>${header}</trackingId>`)) return 'XML without the tracking ID';
    return null;
  }
  if (!/^application\/json/.test(contentType)) return `not JSON (${contentType})`;
  if (body === undefined) return 'body is not JSON';
  if (isWebexPath(path)) {
    if (typeof body?.message !== 'string' || !body.message) return 'no Webex message';
    if (!Array.isArray(body.errors) || !body.errors.length) return 'no Webex errors[]';
    if (!body.errors.every((e: any) => typeof e?.errorCode === 'number' && typeof e?.description === 'string')) return 'Webex errors[] without errorCode/description';
    if (typeof body.trackingId !== 'string' || !body.trackingId) return 'no Webex trackingId';
    if (header !== body.trackingId) return 'TrackingID header differs from the body';
    return null;
  }
  const error = body?.error;
  if (typeof error?.code !== 'string' || !/^[A-Z][A-Z0-9_]*$/.test(error.code)) return 'no error.code';
  if (typeof error.message !== 'string' || !error.message) return 'no error.message';
  if (error.details === null || typeof error.details !== 'object') return 'no error.details object';
  if (typeof error.trackingId !== 'string' || !error.trackingId) return 'no error.trackingId';
  if (header !== error.trackingId) return 'TrackingID header differs from error.trackingId';
  return null;
}

// ---- the properties ----------------------------------------------------------------------------

describe('generated valid and invalid requests for every operation of the OpenAPI document, as every role (X3, #13)', () => {
  let t: TestSwitchboard;
  let doc: any;
  let operations: Operation[];
  let world: World;
  let validatorFor: ReturnType<typeof responseValidators>;
  let callers: Caller[];
  let cms: CmsCluster;
  const violations = new Map<string, Violation & { count: number }>();
  let requests = 0;
  const statuses = new Map<number, number>();
  const succeeded = new Set<string>();
  const started = Date.now();

  const parked = defineJob({
    queue: 'test.fuzz-parked',
    input: z.object({ n: z.number() }),
    title: () => 'parked job for the fuzz test',
    run: async () => ({}),
  });

  before(async () => {
    console.log(`fuzz: seed ${SEED} (FUZZ_SEED=${SEED} replays it), FUZZ_RUNS=${RUNS}`);
    // A CMS simulator, so that bridges, pools, bookings and their tickets exist and have real ids.
    cms = await createCmsCluster({ name: 'fuzz', nodes: [{ name: 'fuzz-1', host: '127.0.0.1', port: 0 }] });
    await cms.start();
    // Every area; a high login limit, so that the login route is fuzzed rather than rate-limited.
    t = await startTestSwitchboard({ areas: areaFactories, jobs: [parked], config: { loginRateLimitPerMinute: 10_000, jobPollSeconds: 0.5 } });
    doc = (await t.api('GET', '/api/openapi.json')).body;
    operations = Object.entries<Record<string, any>>(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        key: `${method.toUpperCase()} ${path}`,
        parameters: (op.parameters ?? []) as Parameter[],
        body: (Object.values(op.requestBody?.content ?? {})[0] as { schema?: JsonSchema } | undefined)?.schema ?? null,
        bodyTypes: Object.keys(op.requestBody?.content ?? {}),
        responses: op.responses ?? {},
        permission: op['x-permission'],
        roles: op['x-roles'] ?? [],
      })),
    );
    validatorFor = responseValidators(doc);
    const ids: Ids = { byCollection: new Map(), byName: new Map(), protectedIds: new Set() };
    world = { components: doc.components?.schemas ?? {}, ids, methodsOf: (path) => Object.keys(doc.paths[path] ?? {}).map((m) => m.toUpperCase()) };

    // Real data for real ids. Destructive operations get victims only: the admin user and the
    // callers' own tokens are protected, so no request can lock the test out.
    const victim = await t.api('POST', '/api/v1/users', { username: 'fuzz-victim', role: 'booker', password: 'fuzz-victim-password' });
    assert.equal(victim.status, 201, JSON.stringify(victim.body));
    const victimToken = await t.api('POST', '/api/v1/tokens', { name: 'fuzz-victim', role: 'booker' });
    assert.equal(victimToken.status, 201, JSON.stringify(victimToken.body));
    const system = { type: 'system' as const, id: null, name: 'fuzz', role: 'system' as const, customerOrgId: null };
    await t.sb.services.jobs.send(parked, { n: 1 }, { actor: system, startAfter: new Date(Date.now() + 365 * 86_400_000) });

    // Partner: a cluster and template, and two customer orgs made by provisioning (P1): one the
    // customer admin administers, one for destructive operations to hit.
    const { template } = await createClusterAndTemplate(t, { name: 'fuzz' });
    for (const spEnterpriseId of ['FUZZ+home', 'FUZZ+victim']) {
      for (let i = 0; i < 2; i++) {
        const sub = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(template.provisioningId, { spEnterpriseId }));
        assert.equal(sub.status, 200, JSON.stringify(sub.body));
        await waitForStatus(t, sub.body.id, ['provisioned']);
      }
    }
    const customers = (await t.api('GET', '/api/v1/partner/customers')).body.items as { id: string; spEnterpriseId: string }[];
    const home = customers.find((c) => c.spEnterpriseId === 'FUZZ+home')!;
    assert.ok(home, JSON.stringify(customers));
    const workspace = await t.api('POST', '/v1/broadworks/workspaces', { provisioningId: template.provisioningId, spEnterpriseId: 'FUZZ+victim', displayName: 'Fuzz room', userId: 'fuzz-room@sp.example' });
    if (workspace.status !== 200) console.log(`fuzz: no workspace seeded (${workspace.status} ${JSON.stringify(workspace.body).slice(0, 200)})`);
    await t.api('POST', '/api/v1/partner/billing/reports', { billingPeriod: new Date().toISOString().slice(0, 7) });

    // Meetings: a bridge on the simulator with a pool, and a booking.
    const bridge = await t.api('POST', '/api/v1/meetings/bridges', { address: cms.nodes[0].baseUrl, username: 'admin', password: 'admin', name: 'Fuzz CMS' });
    assert.equal(bridge.status, 201, JSON.stringify(bridge.body));
    const bridgeId = bridge.body.items[0].id;
    await t.api('POST', `/api/v1/meetings/bridges/${bridgeId}/tickets`, { title: 'fuzz ticket', detail: 'seeded' });
    const pooled = await t.api('PATCH', `/api/v1/meetings/bridges/${bridgeId}`, { sipDomain: 'fuzz.local', numericIdBase: 1, numericIdQuantity: 2 });
    assert.equal(pooled.status, 200, JSON.stringify(pooled.body));
    await waitFor('pool sync', async () => ['completed', 'failed'].includes((await t.api('GET', `/api/v1/jobs/${pooled.body.poolSyncJobId}`)).body.state));
    const start = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 16);
    await t.api('POST', '/api/v1/meetings/bookings', { title: 'Fuzz booking', start, durationMinutes: 30, timeZone: 'UTC', bridgeId, recurrence: 'FREQ=DAILY;COUNT=2' });

    // Licensing: a smart account and a UC cluster (their servers are a closed port: no network).
    await t.api('POST', '/api/v1/licensing/smart-accounts', { domain: 'fuzz.example', clientId: 'fuzz', clientSecret: 'fuzz-secret', authGatewayUrl: `${closedPort}/token`, cssmServerUrl: `${closedPort}/cssm` });
    await t.api('POST', '/api/v1/licensing/clusters', { name: 'fuzz-cucm', type: 'CUCM', version: '15.0', publisherUrl: `${closedPort}/` });

    // Every caller: a token per role (the customer admin's bound to the home org), and no credentials.
    callers = [{ name: 'anonymous', authorization: null }];
    for (const role of roles) callers.push({ name: role, authorization: `Bearer ${await t.tokenFor(role, role === 'customer_admin' ? home.id : undefined)}` });
    const tokens = (await t.api('GET', '/api/v1/tokens?limit=500')).body.items as { id: string; name: string }[];
    for (const token of tokens) if (token.name !== 'fuzz-victim') ids.protectedIds.add(token.id);
    const users = (await t.api('GET', '/api/v1/users?limit=500')).body.items as { id: string; username: string }[];
    for (const user of users) if (user.username !== 'fuzz-victim') ids.protectedIds.add(user.id);

    await harvestIds(home.id);
    // Bridges added at the simulator's address, besides closed ports.
    ids.byName.set('address', new Set([new URL(cms.nodes[0].baseUrl).host]));
  });

  /** Lists every collection (and, once, the collections under each found item) and keeps the ids. */
  async function harvestIds(homeOrgId: string) {
    const { ids } = world;
    const add = (map: Map<string, Set<string>>, key: string, value: string) => {
      if (!map.has(key)) map.set(key, new Set());
      map.get(key)!.add(value);
    };
    const collect = (collection: string, body: unknown) => {
      const walk = (value: unknown, depth: number, top: boolean) => {
        if (depth > 4 || value === null || typeof value !== 'object') return;
        if (Array.isArray(value)) return value.slice(0, 20).forEach((v) => walk(v, depth + 1, top));
        for (const [key, inner] of Object.entries(value)) {
          if (typeof inner === 'string' && inner.length <= 256 && (key === 'id' || /Id$/.test(key))) {
            if (key === 'id' && top) add(ids.byCollection, collection, inner);
            add(ids.byName, key, inner);
          } else if (typeof inner === 'number' && key === 'id' && top) add(ids.byCollection, collection, String(inner));
          walk(inner, depth + 1, top && key === 'items');
        }
      };
      walk(body, 0, true);
    };
    const lists = operations.filter((o) => o.method === 'GET' && !o.path.endsWith('.ics') && !o.path.endsWith('.csv'));
    for (let round = 0; round < 2; round++) {
      for (const o of lists) {
        const params = o.parameters.filter((p) => p.in === 'path');
        if ((round === 0) !== (params.length === 0)) continue;
        let paths = [o.path];
        for (const p of params) paths = paths.flatMap((path) => idsFor(o, p.name, world).slice(0, 3).map((id) => path.replace(`{${p.name}}`, encodeURIComponent(id))));
        for (const path of paths) {
          const res = await t.api('GET', path);
          if (res.status === 200) collect(o.path, res.body);
        }
      }
    }
    // The customer admin's org, in every form it is named by (uuid, Webex id).
    for (const values of ids.byName.values()) for (const v of values) if (v === homeOrgId || Buffer.from(v, 'base64url').toString().endsWith(homeOrgId)) ids.protectedIds.add(v);
    for (const values of ids.byCollection.values()) for (const v of values) if (Buffer.from(v, 'base64url').toString().endsWith(homeOrgId)) ids.protectedIds.add(v);
    ids.protectedIds.add(homeOrgId);
    const counts = [...ids.byCollection].map(([k, v]) => `${k}:${v.size}`).join(' ');
    console.log(`fuzz: real ids for ${ids.byCollection.size} collections (${counts})`);
  }

  after(async () => {
    agent.destroy();
    await t?.close();
    await cms?.stop();
    const summary = [...statuses.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ');
    console.log(`fuzz: ${operations?.length ?? 0} operations, ${callers?.length ?? 0} callers (${roles.length} roles + anonymous), ${requests} requests in ${Math.round((Date.now() - started) / 1000)} s; statuses ${summary}`);
  });

  function record(violation: Violation) {
    const key = `${violation.rule}|${violation.operation}|${violation.status}|${violation.detail}`;
    const seen = violations.get(key);
    if (seen) {
      seen.count++;
      if (!seen.caller.split(',').includes(violation.caller)) seen.caller += `,${violation.caller}`;
    } else violations.set(key, { ...violation, count: 1 });
  }

  /** Sends one request and checks its answer against the operation's declarations (or, without one, the envelope only). */
  async function run(operation: Operation | null, caller: string, request: FuzzRequest) {
    if (process.env.FUZZ_DEBUG) console.error(JSON.stringify({ ...request, body: request.body?.toString('latin1').slice(0, 200) }));
    const response = await send(t.url, request);
    requests++;
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    const name = operation?.key ?? `${request.method} (unknown route)`;
    const example = `${caller} ${request.kind}: ${request.method} ${request.path.slice(0, 200)} ${request.headers['content-type'] ?? ''} ${request.body?.toString('utf8').slice(0, 200) ?? ''} → ${response.status} ${response.text.slice(0, 300)}`;
    const fail = (rule: string, detail: string) => record({ rule, operation: name, caller, status: response.status, kind: request.kind, detail, example });
    let body: unknown;
    try {
      body = response.text ? JSON.parse(response.text) : undefined;
    } catch {
      body = undefined;
    }
    // A 5xx is a bug, except 502/503/504 an operation declares: an external system (a bridge, CSSM, a
    // publisher) that is down or failing, which no request can avoid.
    const upstream = [502, 503, 504].includes(response.status) && operation?.responses[String(response.status)];
    if (response.status >= 500 && !upstream) fail('5xx', String((body as any)?.error?.code ?? (body as any)?.message ?? '').slice(0, 80));
    if (response.status < 200) fail('status below 200', '');
    if (response.status >= 400 && request.method !== 'HEAD') {
      const problem = envelopeProblem(request.path, response, body);
      if (problem) fail('error envelope', problem);
    }
    // A documented path asked with a method it does not document: 405 naming the documented ones.
    if (request.kind === 'method: unsupported' && operation) {
      const allow = String(response.headers.allow ?? '').toUpperCase().split(/\s*,\s*/);
      const documented = world.methodsOf(operation.path);
      // The concrete path may be another operation's (GET …/subscribers/validate is GET …/subscribers/{subscriberId}).
      const pathOnly = request.path.split('?')[0];
      const other = operations.some((o) => o.method === request.method && new RegExp(`^${o.path.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(pathOnly));
      if (other) return;
      if (response.status !== 405) fail('unsupported method not 405', '');
      else if (!documented.every((m) => allow.includes(m))) fail('405 without Allow', `Allow: ${response.headers.allow ?? '(none)'}`);
      return;
    }
    if (!operation) return;
    if (response.status < 300) succeeded.add(operation.key);
    const declared = operation.responses[String(response.status)] ?? operation.responses[`${String(response.status)[0]}XX`] ?? operation.responses.default;
    if (!declared) return fail('status not declared', `declared: ${Object.keys(operation.responses).join(',')}`);
    const content = declared.content ?? {};
    const types = Object.keys(content);
    if (!types.length) {
      if (response.text.length) fail('body where none is declared', '');
      return;
    }
    const contentType = String(response.headers['content-type'] ?? '');
    const type = types.find((t) => contentType.startsWith(t));
    if (!type) return fail('content type not declared', `${contentType} (declared: ${types.join(', ')})`);
    const schema = content[type]?.schema;
    if (!schema || type !== 'application/json') return;
    if (body === undefined) return fail('body does not match its schema', 'not JSON');
    const problem = validatorFor(`${operation.key} ${response.status}`, schema)(body);
    if (problem) fail('body does not match its schema', problem.replace(/"[^"]{40,}"/g, '"…"'));
  }

  test('the document lists every area, on /api/v1 and on the Webex-compatible /v1', () => {
    const listed = operations.map((o) => o.key);
    for (const expected of ['POST /api/v1/session', 'GET /api/v1/audit', 'PATCH /api/v1/users/{id}', 'POST /api/v1/jobs/{id}/retry', 'POST /api/v1/meetings/bookings', 'GET /api/v1/licensing/jobs', 'GET /v1/broadworks/subscribers', 'DELETE /v1/organizations/{orgId}']) {
      assert.ok(listed.includes(expected), `${expected} missing from the OpenAPI document`);
    }
  });

  test('every input the document describes has a type: a client generator gets no untyped `{}`', () => {
    const untyped: string[] = [];
    for (const o of operations) {
      for (const p of o.parameters) if (!p.schema || Object.keys(p.schema).length === 0) untyped.push(`${o.key} ${p.in} ${p.name}`);
      for (const [name, schema] of Object.entries<JsonSchema>((o.body as any)?.properties ?? {})) {
        if (Object.keys(schema).length === 0) untyped.push(`${o.key} body ${name}`);
      }
    }
    assert.deepEqual(untyped, []);
  });

  test('every operation × every caller: valid and invalid requests get a declared status, a body matching its schema, the error envelope, never a 5xx', async () => {
    const only = process.env.FUZZ_ONLY ?? '';
    let n = 0;
    for (const operation of operations.filter((o) => o.key.includes(only))) {
      for (const caller of callers) {
        const allowed = operation.permission === undefined || operation.permission === 'public' || (caller.name !== 'anonymous' && operation.roles.includes(caller.name));
        // The provisioning bridge authenticates with the template's provisioning account.
        const as = operation.permission === undefined && caller.name !== 'anonymous' ? { ...caller, authorization: `Basic ${Buffer.from('prov-admin:prov-secret-1').toString('base64')}` } : caller;
        const sample = fc.sample(requestsFor(operation, as, world), { numRuns: allowed ? RUNS : RUNS_REFUSED, seed: SEED + n++ });
        for (const request of sample) await run(operation, caller.name, request);
      }
      if (process.env.FUZZ_PROGRESS) console.error(`fuzz: ${operation.key} done at ${requests} requests, ${Math.round((Date.now() - started) / 1000)} s`);
    }
    // No request locked the test out: the callers' tokens still work.
    for (const caller of callers.filter((c) => c.authorization)) {
      const res = await send(t.url, { method: 'GET', path: '/api/v1/session', headers: { authorization: caller.authorization! }, kind: 'check' });
      assert.equal(res.status, 200, `${caller.name}'s token no longer works: ${res.text}`);
    }
    console.log(`fuzz: ${succeeded.size} of ${operations.length} operations answered 2xx at least once`);
  });

  test('unknown paths and methods are 404/405 envelopes', async () => {
    const segment = fc.oneof(fc.string({ maxLength: 20 }).map((s) => encodeURIComponent(toWellFormed(s))), fc.constantFrom('api', 'v1', 'users', 'jobs', 'broadworks', '%zz', '..', ''));
    const sample = fc.sample(
      fc.tuple(
        fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND', 'SEARCH'),
        fc.constantFrom('/api/v1/', '/api/', '/v1/', '/v1/broadworks/', '/api/v1/users/', '/api/docs/'),
        fc.array(segment, { minLength: 1, maxLength: 4 }),
        fc.constantFrom(...callers),
      ),
      { numRuns: RUNS_UNKNOWN_ROUTES, seed: SEED },
    );
    for (const [method, prefix, segments, caller] of sample) {
      const headers: Record<string, string> = caller.authorization ? { authorization: caller.authorization } : {};
      await run(null, caller.name, { method, path: prefix + segments.join('/'), headers, kind: 'unknown route' });
    }
  });

  test('junk credentials, cookies, CSRF and tracking headers give declared 401/403/4xx envelopes, never 5xx', async () => {
    const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 80 });
    const sample = fc.sample(
      fc.tuple(
        fc.constantFrom(...operations),
        fc.record({
          authorization: fc.option(fc.oneof(headerText, headerText.map((s) => `Bearer ${s}`), headerText.map((s) => `Bearer sbt_${s}`), fc.constantFrom('Bearer', 'Bearer ', 'Basic YWRtaW46YWRtaW4=', 'bearer  sbt_x', `Bearer ${'sbt_'.padEnd(9000, 'x')}`))),
          cookie: fc.option(fc.oneof(headerText.map((s) => `sb_session=${s}`), headerText, fc.constantFrom('sb_session=', 'sb_session=%zz', 'sb_session="x', 'a=b; sb_session=x; sb_session=y'))),
          csrf: fc.option(headerText),
          trackingId: fc.option(fc.oneof(headerText, fc.constantFrom('a'.repeat(129), 'ok-id.1:2', '../x'))),
        }),
      ),
      { numRuns: RUNS_HEADERS, seed: SEED },
    );
    for (const [operation, h] of sample) {
      const headers: Record<string, string> = {};
      if (h.authorization !== null) headers.authorization = h.authorization;
      if (h.cookie !== null) headers.cookie = h.cookie;
      if (h.csrf !== null) headers['x-csrf-token'] = h.csrf;
      if (h.trackingId !== null) headers.trackingid = h.trackingId;
      const path = operation.path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
      const body = operation.body ? Buffer.from('{}') : undefined;
      if (body) headers['content-type'] = 'application/json';
      await run(operation, 'junk credentials', { method: operation.method, path, headers, body, kind: 'junk credentials' });
    }
  });

  test('no violations', () => {
    const list = [...violations.values()].sort((a, b) => a.rule.localeCompare(b.rule) || a.operation.localeCompare(b.operation) || a.status - b.status);
    const byRule = new Map<string, number>();
    for (const v of list) byRule.set(v.rule, (byRule.get(v.rule) ?? 0) + 1);
    const lines = list.map((v) => `[${v.rule}] ${v.operation} → ${v.status} ${v.detail} (${v.count}×; ${v.caller})\n    e.g. ${v.example}`);
    const never = operations.map((o) => o.key).filter((k) => !succeeded.has(k));
    if (process.env.FUZZ_REPORT) fs.writeFileSync(process.env.FUZZ_REPORT, JSON.stringify({ violations: list, never2xx: never }, null, 1));
    assert.equal(list.length, 0, `${list.length} distinct violations in ${requests} requests (${[...byRule].map(([r, n]) => `${r}: ${n}`).join('; ')}):\n${lines.join('\n')}`);
  });
});
