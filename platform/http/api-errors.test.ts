import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSwitchboard, type TestSwitchboard } from '../../test/support/test-switchboard.ts';

// X3: one error envelope for every client mistake, never a 500.
describe('API error envelope', () => {
  let t: TestSwitchboard;
  before(async () => {
    t = await startTestSwitchboard({ config: { loginRateLimitPerMinute: 2 } });
  });
  after(async () => t?.close());

  // #13: every error has all four fields; details is an object, `{}` when there is nothing to add.
  const assertEnvelope = (body: any, code: string) => {
    assert.deepEqual(Object.keys(body.error).sort(), ['code', 'details', 'message', 'trackingId'], JSON.stringify(body));
    assert.equal(body.error.code, code);
    assert.equal(typeof body.error.message, 'string');
    assert.ok(body.error.details !== null && typeof body.error.details === 'object' && !Array.isArray(body.error.details), JSON.stringify(body));
    assert.match(body.error.trackingId, /\S+/);
  };

  test('unknown route is 404 ROUTE_NOT_FOUND with a tracking ID that matches the header', async () => {
    const res = await t.api('GET', '/api/v1/nothing-here');
    assert.equal(res.status, 404);
    assertEnvelope(res.body, 'ROUTE_NOT_FOUND');
    assert.equal(res.headers.get('trackingid'), res.body.error.trackingId);
  });

  test('no credentials is 401, a bad token is 401', async () => {
    const anonymous = await t.api('GET', '/api/v1/jobs', undefined, { token: null });
    assert.equal(anonymous.status, 401);
    assertEnvelope(anonymous.body, 'UNAUTHENTICATED');
    const bad = await t.api('GET', '/api/v1/jobs', undefined, { token: 'sbt_not-a-token' });
    assert.equal(bad.status, 401);
    assertEnvelope(bad.body, 'UNAUTHENTICATED');
    const missing = await t.api('PATCH', '/api/v1/users/00000000-0000-4000-8000-000000000000', { displayName: 'x' });
    assert.equal(missing.status, 404);
    assertEnvelope(missing.body, 'NOT_FOUND');
  });

  test('malformed JSON, unknown fields and wrong types are 400 with details; an oversize body is 413', async () => {
    const malformed = await t.api('POST', '/api/v1/users', '{"username": ');
    assert.equal(malformed.status, 400);
    assertEnvelope(malformed.body, 'MALFORMED_JSON');

    const unknownField = await t.api('POST', '/api/v1/users', { username: 'ann', role: 'booker', password: 'long-enough-password', shoeSize: 44 });
    assert.equal(unknownField.status, 400);
    assertEnvelope(unknownField.body, 'VALIDATION_FAILED');
    assert.ok(JSON.stringify(unknownField.body.error.details).includes('shoeSize'));

    const wrongType = await t.api('POST', '/api/v1/users', { username: 'ann', role: 'emperor', password: 12 });
    assert.equal(wrongType.status, 400);
    assert.ok(wrongType.body.error.details.issues.length >= 2);

    const huge = await t.api('POST', '/api/v1/users', { username: 'x'.repeat(2 * 1024 * 1024) });
    assert.equal(huge.status, 413);
    assertEnvelope(huge.body, 'BODY_TOO_LARGE');
  });

  test('a conflict is 409 and the caller sees which user exists', async () => {
    const first = await t.api('POST', '/api/v1/users', { username: 'dup', role: 'booker', password: 'long-enough-password' });
    assert.equal(first.status, 201);
    const second = await t.api('POST', '/api/v1/users', { username: 'DUP', role: 'booker', password: 'long-enough-password' });
    assert.equal(second.status, 409);
    assertEnvelope(second.body, 'ALREADY_EXISTS');
    assert.match(second.body.error.message, /dup/);

    const token = await t.api('POST', '/api/v1/tokens', { name: 'twice', role: 'booker' });
    assert.equal((await t.api('DELETE', `/api/v1/tokens/${token.body.id}`)).status, 204);
    const again = await t.api('DELETE', `/api/v1/tokens/${token.body.id}`);
    assert.equal(again.status, 409);
    assertEnvelope(again.body, 'INVALID_STATE');
  });

  test('too many sign-ins is 429 with the full envelope', async () => {
    let res;
    for (let i = 0; i < 3; i++) res = await t.api('POST', '/api/v1/session', { username: 'nobody', password: 'wrong-password' }, { token: null });
    assert.equal(res!.status, 429);
    assertEnvelope(res!.body, 'RATE_LIMITED');
  });

  test('a method a known path does not take is 405 with Allow; an unknown path stays 404', async () => {
    const wrong = await t.api('DELETE', '/api/v1/users');
    assert.equal(wrong.status, 405);
    assertEnvelope(wrong.body, 'METHOD_NOT_ALLOWED');
    assert.equal(wrong.headers.get('allow'), 'GET, HEAD, POST');
    const options = await t.api('OPTIONS', '/api/v1/jobs/00000000-0000-4000-8000-000000000000/retry');
    assert.equal(options.status, 405);
    assert.equal(options.headers.get('allow'), 'POST');
    const get = await t.api('GET', '/api/v1/session/');
    assert.equal(get.status, 200, 'a trailing slash still routes');
    assert.equal((await t.api('PUT', '/api/v1/nothing/here')).status, 404);
  });

  test('a too long path parameter is 414 and oversized headers 431, both in the envelope', async () => {
    const long = await t.api('PATCH', `/api/v1/users/${'a'.repeat(600)}`, {});
    assert.equal(long.status, 414);
    assertEnvelope(long.body, 'URI_TOO_LONG');
    const huge = await rawGet(t.url, `/api/v1/jobs?x=${'a'.repeat(20_000)}`);
    assert.equal(huge.status, 431);
    assertEnvelope(JSON.parse(huge.text), 'HEADERS_TOO_LARGE');
  });

  test('the OpenAPI document declares every operation\'s error statuses with the Error schema (details required)', async () => {
    const doc = (await t.api('GET', '/api/openapi.json')).body;
    assert.ok(doc.components.schemas.Error.properties.error.required.includes('details'));
    let operations = 0;
    for (const [path, methods] of Object.entries<Record<string, any>>(doc.paths)) {
      if (!path.startsWith('/api/')) continue;
      for (const [method, op] of Object.entries<any>(methods)) {
        operations++;
        const errors = Object.keys(op.responses).filter((s) => Number(s) >= 400);
        assert.ok(errors.includes('500'), `${method} ${path} declares no error status`);
        if (op['x-permission'] !== 'public') assert.ok(errors.includes('401') && errors.includes('403'), `${method} ${path}: ${errors}`);
        if (op.parameters?.length || op.requestBody) assert.ok(errors.includes('400'), `${method} ${path}: ${errors}`);
        if (op.parameters?.some((p: any) => p.in === 'path')) assert.ok(errors.includes('404'), `${method} ${path}: ${errors}`);
        for (const status of errors) {
          assert.equal(op.responses[status].content['application/json'].schema.$ref, '#/components/schemas/Error', `${method} ${path} ${status}`);
        }
      }
    }
    assert.ok(operations > 10);
    // Statuses a route declares beyond what its definition implies.
    assert.match(doc.paths['/api/v1/users'].post.responses['409'].description, /ALREADY_EXISTS/);
    assert.match(doc.paths['/api/v1/jobs/{id}/retry'].post.responses['409'].description, /INVALID_STATE/);
    assert.match(doc.paths['/api/v1/session'].post.responses['429'].description, /RATE_LIMITED/);
  });
});

function rawGet(base: string, path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(base + path, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}
