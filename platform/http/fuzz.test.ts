import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { z } from 'zod';
import { defineJob } from '../jobs/define-job.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../../test/support/test-switchboard.ts';

// X3 proof: generated bad input against every operation of the OpenAPI document. Whatever a caller
// sends, the answer is never a 5xx, and every 4xx is the one error envelope with a tracking ID.
// FUZZ_RUNS scales the cases per operation (the default gives > 3,000 cases in all); to replay a
// failure set FUZZ_SEED to the seed fast-check printed, FUZZ_ONLY to part of "METHOD /path", and
// FUZZ_DEBUG=1 to print every request.
const RUNS_PER_OPERATION = Number(process.env.FUZZ_RUNS ?? 180);
const RUNS_UNKNOWN_ROUTES = 200;
const RUNS_HEADERS = 200;
const seed = process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {};

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
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  $ref?: string;
};
type Parameter = { in: 'path' | 'query' | 'header' | 'cookie'; name: string; required?: boolean; schema: JsonSchema };
type Operation = { method: string; path: string; parameters: Parameter[]; body: JsonSchema | null };
type FuzzRequest = { method: string; path: string; headers: Record<string, string>; body?: Buffer };
type FuzzResponse = { status: number; headers: http.IncomingHttpHeaders; text: string };

// ---- generators -------------------------------------------------------------------------------

const nastyStrings = [
  '', ' ', '\u0000', 'a\u0000b', '\n', '\r\n', '\t', '%', '%00', '%zz', '../../etc/passwd', '__proto__', 'constructor',
  'prototype', 'toString', 'null', 'undefined', 'true', 'false', '[]', '{}', '0', '-0', '-1', '1e309', '-1e309', 'NaN',
  'Infinity', '99999999999999999999999999999999', '0x1f', '1_000', '١٢٣', '😀', '👩‍👩‍👧‍👦', 'é', 'e\u0301', '\uFEFF', '\u202E',
  '\uD800', '\uDFFF', '\uFFFF', "'; drop table users; --", '" or 1=1 --', '<script>alert(1)</script>', '${7*7}', '{{7*7}}',
  '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '2026-02-30T25:61:61Z',
  '+275760-09-13T00:00:00.000Z', '-271821-04-20T00:00:00.000Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z',
  '10000-01-01', '1970-01-01', 'a'.repeat(201), 'x'.repeat(5000), 'Ω'.repeat(1000),
];
const nastyNumbers = [
  0, -0, 1, -1, 0.5, -0.5, 1e-320, 2 ** 31, -(2 ** 31), 2 ** 32, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), Number.MAX_SAFE_INTEGER,
  Number.MIN_SAFE_INTEGER, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 8.64e15, -8.64e15, 8.64e15 + 1, 1e21, 10_000_001,
];

const junkString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...nastyStrings) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.uuid() },
);
const junkNumber = fc.oneof(fc.constantFrom(...nastyNumbers), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.bigInt().map((b) => Number(b)));
const junkScalar = fc.oneof(junkString, junkNumber, fc.boolean(), fc.constant(null));
/** Any JSON, nested a little, with nasty keys and values. */
const junkJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    junkScalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(junkString, fc.constantFrom('__proto__', 'constructor', 'username', 'role', 'password', 'id')), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** Values that follow a JSON schema most of the time, and break it at any level some of the time. */
function fromSchema(schema: JsonSchema, components: Record<string, JsonSchema>, depth = 0): fc.Arbitrary<unknown> {
  if (schema.$ref) return fromSchema(components[schema.$ref.split('/').pop()!] ?? {}, components, depth);
  const guided = guidedFromSchema(schema, components, depth);
  return fc.oneof({ weight: 5, arbitrary: guided }, { weight: 1, arbitrary: depth > 2 ? junkScalar : junkJson });
}

function guidedFromSchema(schema: JsonSchema, components: Record<string, JsonSchema>, depth: number): fc.Arbitrary<unknown> {
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((s) => fromSchema(s, components, depth + 1)));
  if (schema.enum) return fc.oneof(fc.constantFrom(...schema.enum), fc.constantFrom(...schema.enum).map((v) => String(v).toUpperCase()));
  if ('const' in schema) return fc.constant(schema.const);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string': {
      const lengths = { minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 60, 300) };
      const options: fc.Arbitrary<string>[] = [fc.string(lengths), fc.string({ ...lengths, unit: 'grapheme' })];
      if (schema.format === 'uuid') options.push(fc.uuid(), fc.uuid(), fc.uuid());
      if (schema.format === 'date-time') options.push(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()));
      if (schema.pattern) options.push(fc.stringMatching(new RegExp(schema.pattern)), fc.stringMatching(new RegExp(schema.pattern)));
      if (schema.maxLength !== undefined) options.push(fc.constant('a'.repeat(schema.maxLength)), fc.constant('a'.repeat(schema.maxLength + 1)));
      if (schema.minLength) options.push(fc.constant('a'.repeat(schema.minLength - 1)));
      return fc.oneof(...options);
    }
    case 'integer':
    case 'number': {
      const min = schema.minimum ?? schema.exclusiveMinimum ?? -1e6;
      const max = schema.maximum ?? schema.exclusiveMaximum ?? 1e6;
      return fc.oneof(fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31 - 1) }), fc.constantFrom(min - 1, min, max, max + 1, 0.5), junkNumber);
    }
    case 'boolean':
      return fc.oneof(fc.boolean(), fc.constantFrom('true', 0, 1));
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(fromSchema(schema.items ?? {}, components, depth + 1), { maxLength: 4 });
    case 'object': {
      const properties = Object.entries(schema.properties ?? {});
      const required = new Set(schema.required ?? []);
      const record = Object.fromEntries(properties.map(([key, inner]) => [key, fromSchema(inner, components, depth + 1)]));
      return fc
        .tuple(
          fc.record(record, { requiredKeys: properties.map(([k]) => k).filter((k) => required.has(k)) }),
          fc.subarray(properties.map(([k]) => k)),
          rarely(fc.dictionary(junkString, junkScalar, { minKeys: 1, maxKeys: 2 })),
        )
        .map(([value, dropped, extra]) => {
          const out: Record<string, unknown> = { ...value };
          // Mostly keep the required fields; now and then drop some to test "missing".
          if (dropped.length === 1) delete out[dropped[0]];
          return extra ? { ...out, ...extra } : out;
        });
    }
    default:
      // No type: a date (z.coerce.date) or anything. Offer times, numbers and junk.
      return fc.oneof(
        fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        fc.integer({ min: -8.64e15, max: 8.64e15 }),
        junkScalar,
      );
  }
}

/** null mostly; now and then a value. */
const rarely = <T,>(arbitrary: fc.Arbitrary<T>) => fc.oneof({ weight: 5, arbitrary: fc.constant(null) }, { weight: 1, arbitrary });
/** Lone surrogates cannot be percent-encoded; everything else can. */
const toWellFormed = (s: string) => s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');

/** A query value as text: arrays become repeated keys, objects bracket notation or JSON. */
function queryPairs(key: string, value: unknown): [string, string][] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap((v) => queryPairs(key, v));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => queryPairs(`${key}[${k}]`, v));
  }
  return [[key, String(value)]];
}

const rawQueryNoise = fc.constantFrom('&', '&&', '=', '==', '%', '%zz', '%E0%A4%A', 'a=%', '=x', '?', '#frag', '+', 'a[b][c]=1', 'a[]=1&a[]=2', '%00=%00');
const contentTypes = [
  'application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json; charset=utf-16le', 'application/json;',
  'text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=xyz', 'application/xml',
  'text/xml', 'application/octet-stream', '*/*', 'application/vnd.api+json', 'application/merge-patch+json', 'json', ';', '',
];
const malformedJson = fc.oneof(
  fc.constantFrom(
    '{', '}', '[', '{"a":', '{"a":1,}', "{'a':1}", '{"a":1}}', 'nul', 'tru', '"unterminated', '{"a":1e999999}', '{"a":-1e999999}',
    '{"a":123456789012345678901234567890}', '\uFEFF{}', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}',
    '[' .repeat(5000) + ']'.repeat(5000), '{"a":'.repeat(2000) + '1' + '}'.repeat(2000), '{"a":"\\ud800"}', '{"a":"\\u0000"}', '{"a":"\\x41"}',
    ' ', '\n', 'undefined', 'NaN', '{"a":NaN}', '{"a":Infinity}', '{"a":01}', '{"a":.5}', '{"a":1}{"b":2}',
  ),
  fc.string({ maxLength: 60 }),
  fc.json().map((json) => json.slice(0, Math.max(0, json.length - 1))),
);

function bodyFor(operation: Operation, components: Record<string, JsonSchema>): fc.Arbitrary<{ contentType: string | null; payload: Buffer | undefined }> {
  const json = (value: fc.Arbitrary<unknown>) => value.map((v) => ({ contentType: 'application/json', payload: Buffer.from(JSON.stringify(v) ?? 'null') }));
  const options: fc.WeightedArbitrary<{ contentType: string | null; payload: Buffer | undefined }>[] = [
    { weight: 40, arbitrary: json(junkJson) },
    { weight: 40, arbitrary: malformedJson.map((text) => ({ contentType: 'application/json', payload: Buffer.from(text) })) },
    { weight: 20, arbitrary: fc.constant({ contentType: null, payload: undefined }) },
    { weight: 20, arbitrary: fc.constant({ contentType: 'application/json', payload: Buffer.alloc(0) }) },
    {
      weight: 40,
      arbitrary: fc
        .tuple(fc.constantFrom(...contentTypes), fc.oneof(fc.json(), fc.string({ maxLength: 80 }), fc.uint8Array({ maxLength: 80 }).map((a) => Buffer.from(a).toString('latin1'))))
        .map(([contentType, text]) => ({ contentType, payload: Buffer.from(text, 'latin1') })),
    },
    // Over the body limit (1 MiB by default): rare, they are slow to send.
    { weight: 1, arbitrary: fc.constant({ contentType: 'application/json', payload: Buffer.from(JSON.stringify({ username: 'x'.repeat(1.1 * 1024 * 1024) })) }) },
  ];
  if (operation.body) options.push({ weight: 160, arbitrary: json(fromSchema(operation.body, components)) });
  return fc.oneof(...options);
}

function requestFor(operation: Operation, components: Record<string, JsonSchema>, knownIds: string[], token: string): fc.Arbitrary<FuzzRequest> {
  const pathParams = operation.parameters.filter((p) => p.in === 'path');
  const queryParams = operation.parameters.filter((p) => p.in === 'query');
  const pathValue = fc.oneof(
    { weight: 4, arbitrary: fc.uuid() },
    { weight: 3, arbitrary: fc.constantFrom(...knownIds) },
    { weight: 3, arbitrary: junkString.map((s) => encodeURIComponent(toWellFormed(s))) },
    { weight: 1, arbitrary: fc.constantFrom('%zz', '%', '%E0%A4%A', '%C0%AF', '%FF', '..', '.', '%2e%2e', '%2F', 'a%2Fb', 'x'.repeat(600)) },
  );
  const queryValue = (p: Parameter) => fc.option(fromSchema(p.schema, components), { freq: 3, nil: undefined });
  const query = fc.tuple(
    fc.record(Object.fromEntries(queryParams.map((p) => [p.name, queryValue(p)]))),
    rarely(fc.dictionary(junkString, junkScalar, { minKeys: 1, maxKeys: 2 })),
    rarely(rawQueryNoise),
  );
  return fc
    .record({
      params: fc.tuple(...pathParams.map(() => pathValue)),
      query,
      body: bodyFor(operation, components),
      accept: fc.constantFrom(undefined, 'application/json', 'text/html', '*/*', 'application/xml', 'nonsense'),
    })
    .map(({ params, query: [known, unknown, noise], body, accept }) => {
      let path = operation.path;
      pathParams.forEach((p, i) => (path = path.replace(`{${p.name}}`, params[i])));
      const pairs = [...Object.entries(known), ...Object.entries(unknown ?? {})].flatMap(([k, v]) => queryPairs(k, v));
      const encoded = pairs.map(([k, v]) => `${encodeURIComponent(toWellFormed(k))}=${encodeURIComponent(toWellFormed(v))}`);
      if (noise) encoded.push(noise);
      if (encoded.length) path += `?${encoded.join('&')}`;
      // Past Node's 16 KiB header limit the server answers 431 and drops the connection while the
      // client may still be sending, which can reset the answer away: stay under it.
      if (path.length > 12_000) path = path.slice(0, 12_000);
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (body.contentType !== null) headers['content-type'] = body.contentType;
      if (accept) headers.accept = accept;
      return { method: operation.method, path, headers, body: body.payload };
    });
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

/** The property every answer must have. */
function checkResponse(request: FuzzRequest, response: FuzzResponse) {
  const where = `${request.method} ${request.path.slice(0, 300)} → ${response.status} ${response.text.slice(0, 500)}`;
  assert.ok(response.status < 500, `5xx: ${where}`);
  assert.ok(response.status >= 200, `unexpected status: ${where}`);
  if (response.status >= 400 && request.method !== 'HEAD') {
    assert.match(String(response.headers['content-type']), /^application\/json/, `4xx not JSON: ${where}`);
    const body = JSON.parse(response.text);
    if (request.path.startsWith('/v1/') && body?.error === undefined) {
      // The Webex-compatible API answers Webex's error body when the partner area is on (#13).
      assert.ok(Array.isArray(body?.errors) && body.errors.length > 0, `no errors[]: ${where}`);
      for (const e of body.errors) assert.ok(Number.isInteger(e.errorCode) && typeof e.description === 'string', `odd errors[]: ${where}`);
      assert.equal(typeof body.message, 'string', `no message: ${where}`);
      assert.equal(response.headers.trackingid, body.trackingId, `TrackingID header differs from the body: ${where}`);
      return;
    }
    assert.equal(typeof body?.error?.code, 'string', `no error.code: ${where}`);
    assert.match(body.error.code, /^[A-Z_]+$/, `odd error.code: ${where}`);
    assert.equal(typeof body.error.message, 'string', `no error.message: ${where}`);
    assert.ok(body.error.message.length > 0, `empty error.message: ${where}`);
    assert.equal(typeof body.error.trackingId, 'string', `no error.trackingId: ${where}`);
    assert.ok(body.error.details !== null && typeof body.error.details === 'object', `no error.details: ${where}`);
    if (response.status === 405) assert.ok(response.headers.allow, `405 without Allow: ${where}`);
    assert.equal(response.headers.trackingid, body.error.trackingId, `TrackingID header differs from the envelope: ${where}`);
  }
}

// ---- the properties ----------------------------------------------------------------------------

describe('generated bad input against every route of the OpenAPI document (X3)', () => {
  let t: TestSwitchboard;
  let operations: Operation[];
  let components: Record<string, JsonSchema>;
  let knownIds: string[];
  let cases = 0;
  const statuses = new Map<number, number>();

  const parked = defineJob({
    queue: 'test.fuzz-parked',
    input: z.object({ n: z.number() }),
    title: () => 'parked job for the fuzz test',
    run: async () => ({}),
  });

  before(async () => {
    // A high login limit, so that the login route is fuzzed rather than rate-limited.
    t = await startTestSwitchboard({ config: { loginRateLimitPerMinute: 10_000 }, jobs: [parked] });
    const doc = (await t.api('GET', '/api/openapi.json')).body;
    components = doc.components?.schemas ?? {};
    operations = Object.entries<Record<string, any>>(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        parameters: (op.parameters ?? []) as Parameter[],
        body: op.requestBody?.content?.['application/json']?.schema ?? null,
      })),
    );
    // Real ids reach deeper than random ones: a victim user, a victim token, a job that never runs.
    // The admin user and the test's own token are left out, so no case can lock the test out.
    const victim = await t.api('POST', '/api/v1/users', { username: 'fuzz-victim', role: 'booker', password: 'fuzz-victim-password' });
    const victimToken = await t.api('POST', '/api/v1/tokens', { name: 'fuzz-victim', role: 'booker' });
    const system = { type: 'system' as const, id: null, name: 'fuzz', role: 'system' as const, customerOrgId: null };
    const job = await t.sb.services.jobs.send(parked, { n: 1 }, { actor: system, startAfter: new Date(Date.now() + 365 * 86_400_000) });
    knownIds = [victim.body.id, victimToken.body.id, job.id];
    assert.equal(knownIds.filter(Boolean).length, 3);
  });
  after(async () => {
    agent.destroy();
    await t?.close();
    const summary = [...statuses.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ');
    console.log(`fuzz: ${cases} cases; statuses ${summary}`);
  });

  const run = async (request: FuzzRequest) => {
    if (process.env.FUZZ_DEBUG) console.error(JSON.stringify({ ...request, body: request.body?.toString('latin1').slice(0, 200) }));
    const response = await send(t.url, request);
    cases++;
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    checkResponse(request, response);
  };

  test('the document lists the platform operations', () => {
    const listed = operations.map((o) => `${o.method} ${o.path}`);
    for (const expected of ['POST /api/v1/session', 'GET /api/v1/audit', 'PATCH /api/v1/users/{id}', 'POST /api/v1/jobs/{id}/retry']) {
      assert.ok(listed.includes(expected), `${expected} missing from the OpenAPI document`);
    }
  });

  test('every input the document describes has a type: a client generator gets no untyped `{}`', () => {
    const untyped: string[] = [];
    for (const o of operations) {
      for (const p of o.parameters) if (!p.schema || Object.keys(p.schema).length === 0) untyped.push(`${o.method} ${o.path} ${p.in} ${p.name}`);
      for (const [name, schema] of Object.entries<JsonSchema>((o.body as any)?.properties ?? {})) {
        if (Object.keys(schema).length === 0) untyped.push(`${o.method} ${o.path} body ${name}`);
      }
    }
    assert.deepEqual(untyped, []);
    const audit = operations.find((o) => o.method === 'GET' && o.path === '/api/v1/audit')!;
    assert.equal(audit.parameters.find((p) => p.name === 'from')?.schema.format, 'date-time');
  });

  test('every operation: random params, queries, bodies and content types give no 5xx and a full envelope', async (s) => {
    for (const operation of operations.filter((o) => `${o.method} ${o.path}`.includes(process.env.FUZZ_ONLY ?? ''))) {
      await s.test(`${operation.method} ${operation.path}`, async () => {
        await fc.assert(
          fc.asyncProperty(requestFor(operation, components, knownIds, t.adminToken), async (request) => run(request)),
          { numRuns: RUNS_PER_OPERATION, ...seed },
        );
      });
    }
    // The admin token still works: no case locked the test out, so the cases above really were run as the admin.
    assert.equal((await t.api('GET', '/api/v1/session')).body.actor.role, 'partner_full_admin');
  });

  test('unknown paths and methods are 404/405 envelopes', async () => {
    const segment = fc.oneof(junkString.map((s) => encodeURIComponent(toWellFormed(s))), fc.constantFrom('api', 'v1', 'users', 'jobs', '%zz', '..', ''));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'PROPFIND', 'SEARCH'),
        fc.constantFrom('/api/v1/', '/api/', '/v1/', '/', '/api/v1/users/', '/api/docs/'),
        fc.array(segment, { minLength: 1, maxLength: 4 }),
        async (method, prefix, segments) => run({ method, path: prefix + segments.join('/'), headers: { authorization: `Bearer ${t.adminToken}` } }),
      ),
      { numRuns: RUNS_UNKNOWN_ROUTES, ...seed },
    );
  });

  test('junk credentials, cookies, CSRF and tracking headers give 401/403/4xx envelopes, never 5xx', async () => {
    const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 80 });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...operations),
        fc.record({
          authorization: fc.option(fc.oneof(headerText, headerText.map((s) => `Bearer ${s}`), headerText.map((s) => `Bearer sbt_${s}`), fc.constantFrom('Bearer', 'Bearer ', 'Basic YWRtaW46YWRtaW4=', 'bearer  sbt_x', `Bearer ${'sbt_'.padEnd(9000, 'x')}`))),
          cookie: fc.option(fc.oneof(headerText.map((s) => `sb_session=${s}`), headerText, fc.constantFrom('sb_session=', 'sb_session=%zz', 'sb_session="x', 'a=b; sb_session=x; sb_session=y'))),
          csrf: fc.option(headerText),
          trackingId: fc.option(fc.oneof(headerText, fc.constantFrom('a'.repeat(129), 'ok-id.1:2', '../x'))),
        }),
        async (operation, h) => {
          const headers: Record<string, string> = {};
          if (h.authorization !== null) headers.authorization = h.authorization;
          if (h.cookie !== null) headers.cookie = h.cookie;
          if (h.csrf !== null) headers['x-csrf-token'] = h.csrf;
          if (h.trackingId !== null) headers.trackingid = h.trackingId;
          const path = operation.path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
          const body = operation.body ? Buffer.from('{}') : undefined;
          if (body) headers['content-type'] = 'application/json';
          await run({ method: operation.method, path, headers, body });
        },
      ),
      { numRuns: RUNS_HEADERS, ...seed },
    );
  });

  test('thousands of cases were run in all', () => {
    assert.ok(cases >= 3000, `only ${cases} cases`);
  });
});
