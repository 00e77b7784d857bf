import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { partnerArea } from './partner.area.ts';
import { webexContract } from './partner.testkit.ts';

// #13 / P17: everything under /v1 — rules, validation, an unknown route or method, what Fastify and
// Node refuse — answers Webex's error body, and the OpenAPI document declares it.
describe('/v1 errors in the Webex body', () => {
  let t: TestSwitchboard;
  const contract = webexContract();
  const expectWebexError = (res: { status: number; body: any; headers: Headers }, status: number, errorCode: number, fieldName?: string) => {
    assert.equal(res.status, status, JSON.stringify(res.body));
    contract?.error(res.body);
    assert.equal(res.body.error, undefined, 'not the platform envelope');
    assert.equal(typeof res.body.message, 'string');
    assert.equal(res.body.errors[0].errorCode, errorCode, JSON.stringify(res.body));
    if (fieldName) assert.equal(res.body.errors[0].fieldName, fieldName);
    assert.equal(res.body.trackingId, res.headers.get('trackingid'));
  };

  before(async () => {
    t = await startTestSwitchboard({ areas: [partnerArea] });
  });
  after(async () => t?.close());

  const provision = { provisioningId: 'p', userId: 'u@example.com', spEnterpriseId: 'SP+e', firstName: 'F', lastName: 'L', primaryPhoneNumber: '+15550100' };

  test('a missing mandatory package is 1001 like every other mandatory field; a wrong one stays 1003', async () => {
    expectWebexError(await t.api('POST', '/v1/broadworks/subscribers', provision), 400, 1001, 'package');
    const { firstName: _f, ...noName } = { ...provision, package: 'basic' };
    expectWebexError(await t.api('POST', '/v1/broadworks/subscribers', noName), 400, 1001, 'firstName');
    expectWebexError(await t.api('POST', '/v1/broadworks/subscribers', { ...provision, package: 'gold' }), 400, 1003, 'package');
    expectWebexError(await t.api('POST', '/v1/broadworks/subscribers', { ...provision, package: null }), 400, 1003, 'package');
  });

  test('an unknown route is 404 and an unsupported method 405 with Allow, in the Webex body', async () => {
    expectWebexError(await t.api('GET', '/v1/broadworks/nothing'), 404, 1404);
    const wrong = await t.api('DELETE', '/v1/broadworks/subscribers');
    expectWebexError(wrong, 405, 1405);
    assert.equal(wrong.headers.get('allow'), 'GET, HEAD, POST');
    const patch = await t.api('PATCH', '/v1/broadworks/subscribers/abc', {});
    expectWebexError(patch, 405, 1405);
    assert.equal(patch.headers.get('allow'), 'DELETE, GET, HEAD, PUT');
  });

  test('an oversized body is 413, a too long path parameter 414, oversized headers 431, in the Webex body', async () => {
    expectWebexError(await t.api('POST', '/v1/broadworks/subscribers', { ...provision, firstName: 'x'.repeat(2 * 1024 * 1024) }), 413, 1413);
    expectWebexError(await t.api('GET', `/v1/broadworks/subscribers/${'a'.repeat(600)}`), 414, 1414);
    const huge = await rawGet(t.url, `/v1/broadworks/subscribers?userId=${'a'.repeat(20_000)}`);
    assert.equal(huge.status, 431);
    const body = JSON.parse(huge.text);
    contract?.error(body);
    assert.equal(body.errors[0].errorCode, 1431);
  });

  test('the OpenAPI document declares the error statuses of every /v1 operation with the WebexError schema', async () => {
    const doc = (await t.api('GET', '/api/openapi.json')).body;
    let operations = 0;
    for (const [path, methods] of Object.entries<Record<string, any>>(doc.paths)) {
      if (!path.startsWith('/v1/')) continue;
      for (const [method, op] of Object.entries<any>(methods)) {
        operations++;
        const errors = Object.keys(op.responses).filter((s) => Number(s) >= 400);
        assert.ok(errors.includes('500'), `${method} ${path}: ${errors}`);
        if (op['x-permission'] !== 'public') assert.ok(errors.includes('401') && errors.includes('403'), `${method} ${path}: ${errors}`);
        if (op.requestBody) assert.ok(errors.includes('400') && errors.includes('413'), `${method} ${path}: ${errors}`);
        for (const status of errors) assert.equal(op.responses[status].content['application/json'].schema.$ref, '#/components/schemas/WebexError', `${method} ${path} ${status}`);
      }
    }
    assert.ok(operations >= 20, `only ${operations} /v1 operations`);
    assert.deepEqual(doc.components.schemas.WebexError.required, ['message', 'errors', 'trackingId']);
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
