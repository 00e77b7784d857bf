import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSwitchboard, type TestSwitchboard } from '../../test/support/test-switchboard.ts';

// X3: one error envelope for every client mistake, never a 500.
describe('API error envelope', () => {
  let t: TestSwitchboard;
  before(async () => {
    t = await startTestSwitchboard();
  });
  after(async () => t?.close());

  const assertEnvelope = (body: any, code: string) => {
    assert.equal(body.error.code, code);
    assert.equal(typeof body.error.message, 'string');
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
  });

  test('malformed JSON, unknown fields, wrong types and oversize bodies are 400 with details', async () => {
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
    assert.equal(huge.status, 400);
    assertEnvelope(huge.body, 'BODY_TOO_LARGE');
  });

  test('a conflict is 409 and the caller sees which user exists', async () => {
    const first = await t.api('POST', '/api/v1/users', { username: 'dup', role: 'booker', password: 'long-enough-password' });
    assert.equal(first.status, 201);
    const second = await t.api('POST', '/api/v1/users', { username: 'DUP', role: 'booker', password: 'long-enough-password' });
    assert.equal(second.status, 409);
    assertEnvelope(second.body, 'ALREADY_EXISTS');
    assert.match(second.body.error.message, /dup/);
  });
});
