import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { areaFactories } from '../cli/areas.ts';
import { roles, type Role } from '../platform/auth/roles.ts';
import { startTestSwitchboard, type TestSwitchboard } from './support/test-switchboard.ts';

// X6 across every area: platform/auth/role-matrix.test.ts pins the platform's own routes route by
// route; this walks every operation the whole product documents (all areas, Lab on) and checks the
// two answers that do not depend on the route's business rules: no credentials → 401, a role the
// permission does not grant → 403. The permission comes from the document itself (x-permission),
// so a route added tomorrow is checked without touching this file.

type Operation = { method: string; path: string; permission: string; roles: Role[] };

/** Operations outside /api and /v1 that authenticate by their own scheme, not by role. */
const ownAuthentication: Record<string, string> = {
  'POST /provisioning-bridge/{provisioningId}': 'HTTP Basic with the template provisioning account (partner/flow-through.test.ts)',
};

describe('every documented operation of every area refuses callers without the right role (X6)', () => {
  let t: TestSwitchboard;
  let operations: Operation[];
  const tokens = new Map<Role, string>();

  before(async () => {
    // Lab off: with it on, its simulators' seeding and polling jobs hold the embedded database's one
    // connection and each checked request waits behind them (the Lab's routes are there either way).
    t = await startTestSwitchboard({ areas: areaFactories });
    for (const role of roles) tokens.set(role, await t.tokenFor(role));
    const doc = (await t.api('GET', '/api/openapi.json')).body;
    operations = Object.entries<Record<string, any>>(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ method: method.toUpperCase(), path, permission: op['x-permission'], roles: op['x-roles'] })),
    );
  });
  after(async () => t?.close());

  test('the document covers every area and names a permission for every operation', () => {
    for (const prefix of ['/api/v1/attention', '/api/v1/jobs', '/api/v1/lab', '/api/v1/meetings', '/api/v1/partner', '/api/v1/licensing', '/v1/broadworks/subscribers']) {
      assert.ok(operations.some((o) => o.path.startsWith(prefix)), `no operation under ${prefix}`);
    }
    const unnamed = operations.filter((o) => typeof o.permission !== 'string' && !(`${o.method} ${o.path}` in ownAuthentication)).map((o) => `${o.method} ${o.path}`);
    assert.deepEqual(unnamed, []);
  });

  test('no credentials → 401; a role without the permission → 403 with a tracking ID', async () => {
    let refused = 0;
    for (const operation of operations.filter((o) => typeof o.permission === 'string' && o.permission !== 'public')) {
      const path = operation.path.replace(/\{\w+\}/g, () => crypto.randomUUID());
      const body = ['POST', 'PUT', 'PATCH'].includes(operation.method) ? {} : undefined;
      const anonymous = await t.api(operation.method, path, body, { token: null });
      assert.equal(anonymous.status, 401, `anonymous ${operation.method} ${path} → ${anonymous.status}`);
      for (const role of roles.filter((r) => !operation.roles.includes(r))) {
        const res = await t.api(operation.method, path, body, { token: tokens.get(role)! });
        const what = `${role} ${operation.method} ${path} → ${res.status} ${JSON.stringify(res.body)?.slice(0, 200)}`;
        assert.equal(res.status, 403, what);
        // /api answers the platform envelope, /v1 the Webex body; both name the tracking ID.
        const trackingId = res.body?.error?.trackingId ?? res.body?.trackingId;
        assert.ok(typeof trackingId === 'string' && trackingId.length > 0, `no tracking ID: ${what}`);
        refused++;
      }
    }
    assert.ok(refused > 100, `only ${refused} refusals checked`);
  });
});
