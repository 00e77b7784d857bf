import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { permissions, roles, type Permission, type Role } from './roles.ts';
import { startTestSwitchboard, type TestSwitchboard } from '../../test/support/test-switchboard.ts';

// X6: every route of the platform server checked against the role matrix, for every role and for
// an anonymous caller. A route added without an entry here fails the test, so the matrix cannot
// silently fall behind the code.

/**
 * The platform's part of the matrix as the product defines it; roles.ts must say the same. Areas
 * add their own permissions to roles.ts and check them with their routes.
 */
const expectedMatrix: Partial<Record<Permission, readonly Role[]>> = {
  'session.self': ['partner_full_admin', 'sales_full_admin', 'read_only_admin', 'customer_admin', 'booker'],
  'users.read': ['partner_full_admin', 'sales_full_admin', 'read_only_admin'],
  'users.manage': ['partner_full_admin'],
  'tokens.manage': ['partner_full_admin'],
  'attention.read': ['partner_full_admin', 'sales_full_admin', 'read_only_admin', 'customer_admin', 'booker'],
  'jobs.read': ['partner_full_admin', 'sales_full_admin', 'read_only_admin', 'customer_admin', 'booker'],
  'jobs.manage': ['partner_full_admin', 'sales_full_admin'],
  'audit.read': ['partner_full_admin', 'sales_full_admin', 'read_only_admin'],
};

type Entry = {
  access: Permission | 'public';
  /** What an allowed caller gets (random UUIDs for path parameters, so 404 where an id is looked up). */
  allowed: number[];
  body?: (t: TestSwitchboard) => unknown;
  /** The concrete path to call, when the route's path has a wildcard. */
  path?: string;
};

const unique = () => crypto.randomBytes(4).toString('hex');

/** Every operation of the OpenAPI document, as `METHOD /path` with OpenAPI's {param} syntax. */
const documented: Record<string, Entry> = {
  'GET /healthz': { access: 'public', allowed: [200] },
  'GET /readyz': { access: 'public', allowed: [200] },
  'POST /api/v1/session': { access: 'public', allowed: [200], body: (t) => ({ username: t.admin.username, password: t.admin.password }) },
  'GET /api/v1/session': { access: 'session.self', allowed: [200] },
  'DELETE /api/v1/session': { access: 'public', allowed: [204] },
  'GET /api/v1/users': { access: 'users.read', allowed: [200] },
  'POST /api/v1/users': { access: 'users.manage', allowed: [201], body: () => ({ username: `matrix-${unique()}`, role: 'booker', password: 'role-matrix-password' }) },
  'PATCH /api/v1/users/{id}': { access: 'users.manage', allowed: [404], body: () => ({ displayName: 'Renamed' }) },
  'GET /api/v1/tokens': { access: 'tokens.manage', allowed: [200] },
  'POST /api/v1/tokens': { access: 'tokens.manage', allowed: [201], body: () => ({ name: `matrix-${unique()}`, role: 'booker' }) },
  'DELETE /api/v1/tokens/{id}': { access: 'tokens.manage', allowed: [404] },
  'GET /api/v1/jobs': { access: 'jobs.read', allowed: [200] },
  'GET /api/v1/jobs/{id}': { access: 'jobs.read', allowed: [404] },
  'POST /api/v1/jobs/{id}/retry': { access: 'jobs.manage', allowed: [404] },
  'POST /api/v1/jobs/{id}/cancel': { access: 'jobs.manage', allowed: [404] },
  'GET /api/v1/audit': { access: 'audit.read', allowed: [200] },
  'GET /api/v1/attention': { access: 'attention.read', allowed: [200] },
};

/** Routes hidden from the document (schema.hide, plugins), in Fastify's :param / * syntax. */
const hidden: Record<string, Entry> = {
  'GET /api/openapi.json': { access: 'public', allowed: [200] },
  'GET /metrics': { access: 'public', allowed: [200] },
  'GET /api/docs': { access: 'public', allowed: [200, 302] },
  'GET /api/docs/static/index.html': { access: 'public', allowed: [200] },
  'GET /api/docs/static/swagger-initializer.js': { access: 'public', allowed: [200] },
  'GET /api/docs/json': { access: 'public', allowed: [200] },
  'GET /api/docs/yaml': { access: 'public', allowed: [200] },
  'GET /api/docs/*': { access: 'public', allowed: [200], path: '/api/docs/static/swagger-ui.css' },
};
/** Registered only when the console has been built (dist/console): its client-side routes and files. */
const consoleDist = path.resolve(import.meta.dirname, '../../dist/console');
const consoleRoutes: Record<string, Entry> = {
  'GET /*': { access: 'public', allowed: [200], path: '/meetings' },
  'GET /': { access: 'public', allowed: [200] },
};
/** A built console file served by @fastify/static (one route per file, names hashed per build). */
const isConsoleFile = (route: string) => {
  const [method, url] = route.split(' ');
  return (method === 'GET' || method === 'HEAD') && url !== '/' && !url.includes(':') && !url.includes('*') && fs.existsSync(path.join(consoleDist, url)) && fs.statSync(path.join(consoleDist, url)).isFile();
};

/**
 * The routes the server really has: Fastify's route tree, flattened. printRoutes is the one
 * listing Fastify offers without a hook installed before the routes.
 */
function registeredRoutes(tree: string): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^((?:│   |    )*)(?:├── |└── )?(.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match || !match[2].trim()) continue;
    const depth = match[1].length / 4;
    stack.length = depth;
    stack[depth] = match[2];
    // A wildcard child prints as "*" under "/api/docs" although the route is "/api/docs/*".
    const path = stack.join('').replace(/([^/])\*$/, '$1/*');
    for (const method of match[3]?.split(', ') ?? []) out.push(`${method} ${path}`);
  }
  return out;
}

const toOpenApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');
const concretePath = (key: string, entry: Entry) => entry.path ?? key.split(' ')[1].replace(/\{\w+\}/g, () => crypto.randomUUID());

describe('role matrix: every route × every role (X6)', () => {
  let t: TestSwitchboard;
  let documentedOperations: string[];
  let registered: string[];
  const tokens = new Map<Role, string>();

  before(async () => {
    t = await startTestSwitchboard();
    for (const role of roles) tokens.set(role, await t.tokenFor(role));
    const doc = (await t.api('GET', '/api/openapi.json')).body;
    documentedOperations = Object.entries<Record<string, unknown>>(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    registered = registeredRoutes(t.sb.http.printRoutes({ commonPrefix: false }));
  });
  after(async () => t?.close());

  test('roles.ts grants exactly the expected matrix for the platform permissions', () => {
    for (const [permission, expected] of Object.entries(expectedMatrix)) {
      const granted = permissions[permission as Permission] as readonly Role[] | undefined;
      assert.ok(granted, `platform permission ${permission} is gone from roles.ts`);
      assert.deepEqual([...granted].sort(), [...expected].sort(), `roles granted ${permission}`);
    }
    assert.deepEqual([...roles].sort(), ['booker', 'customer_admin', 'partner_full_admin', 'read_only_admin', 'sales_full_admin']);
  });

  test('every operation of the OpenAPI document has a matrix entry, and every entry is in the document', () => {
    assert.ok(documentedOperations.length >= 16, `only ${documentedOperations.length} operations documented`);
    for (const operation of documentedOperations) assert.ok(operation in documented, `${operation} has no entry in the role matrix test`);
    for (const operation of Object.keys(documented)) assert.ok(documentedOperations.includes(operation), `${operation} is not in the OpenAPI document`);
  });

  test('every registered route (hidden ones too) has a matrix entry', () => {
    assert.ok(registered.includes('GET /api/v1/audit') && registered.includes('PATCH /api/v1/users/:id'), `route tree not understood: ${registered.join(', ')}`);
    for (const route of registered) {
      const [method, path] = route.split(' ');
      // HEAD is Fastify's automatic twin of each GET: same route, same access.
      const key = `${method === 'HEAD' ? 'GET' : method} ${toOpenApiPath(path)}`;
      assert.ok(key in documented || key in hidden || key in consoleRoutes || isConsoleFile(route), `${route} has no entry in the role matrix test`);
      if (method === 'HEAD') assert.ok(registered.includes(`GET ${path}`), `${route} without its GET`);
    }
    for (const key of Object.keys(hidden)) {
      const [method, path] = key.split(' ');
      assert.ok(registered.some((r) => r === `${method} ${path.replace(/\{(\w+)\}/g, ':$1')}`), `${key} is not registered`);
    }
  });

  const callers: Array<Role | 'anonymous'> = ['anonymous', ...roles];

  test('anonymous → 401 on every non-public route; lacking the permission → 403 FORBIDDEN; having it → the route works', async () => {
    const consoleFiles = registered.filter((r) => r.startsWith('GET ') && isConsoleFile(r)).map((r): [string, Entry] => [r, { access: 'public', allowed: [200] }]);
    const entries: Record<string, Entry> = { ...documented, ...hidden, ...Object.fromEntries(consoleFiles) };
    for (const [key, entry] of Object.entries(consoleRoutes)) if (registered.includes(key)) entries[key] = entry;
    let checked = 0;
    for (const [key, entry] of Object.entries(entries)) {
      const [method] = key.split(' ');
      const granted = entry.access === 'public' ? [] : expectedMatrix[entry.access];
      assert.ok(granted, `${key} needs ${entry.access}, which the platform matrix does not list`);
      const methods = method === 'GET' ? ['GET', 'HEAD'] : [method];
      for (const caller of callers) {
        for (const m of methods) {
          const token = caller === 'anonymous' ? null : tokens.get(caller)!;
          const path = concretePath(key, entry);
          const body = m === 'HEAD' ? undefined : entry.body?.(t);
          const res = await t.api(m, path, body, { token });
          const what = `${caller} ${m} ${path} → ${res.status} ${typeof res.body === 'string' ? res.body.slice(0, 200) : JSON.stringify(res.body)?.slice(0, 300)}`;
          checked++;
          if (entry.access === 'public') {
            assert.ok(res.status !== 401 && res.status !== 403, `public route refused: ${what}`);
            assert.ok(entry.allowed.includes(res.status), `unexpected status: ${what}`);
          } else if (caller === 'anonymous') {
            assert.equal(res.status, 401, what);
            if (m !== 'HEAD') assert.equal(res.body.error.code, 'UNAUTHENTICATED', what);
          } else if (!granted.includes(caller)) {
            assert.equal(res.status, 403, what);
            if (m !== 'HEAD') {
              assert.equal(res.body.error.code, 'FORBIDDEN', what);
              assert.equal(res.body.error.details.permission, entry.access, `the route declares another permission than the matrix: ${what}`);
              assert.equal(res.body.error.details.role, caller, what);
            }
          } else {
            assert.ok(entry.allowed.includes(res.status), `allowed caller did not get ${entry.allowed.join('/')}: ${what}`);
          }
        }
      }
    }
    assert.ok(checked >= callers.length * 24, `only ${checked} calls`);
  });

  test('a signed-in (cookie) user is held to the same matrix as a token of the same role', async () => {
    const password = 'role-matrix-password';
    await t.api('POST', '/api/v1/users', { username: 'matrix-reader', role: 'read_only_admin', password });
    const login = await t.api('POST', '/api/v1/session', { username: 'matrix-reader', password }, { token: null });
    assert.equal(login.status, 200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0];
    const headers = { cookie, 'x-csrf-token': login.body.csrfToken };
    assert.equal((await t.api('GET', '/api/v1/users', undefined, { token: null, headers })).status, 200);
    const denied = await t.api('POST', '/api/v1/users', { username: `matrix-${unique()}`, role: 'booker', password }, { token: null, headers });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error.code, 'FORBIDDEN');
    const deniedJob = await t.api('POST', `/api/v1/jobs/${crypto.randomUUID()}/cancel`, undefined, { token: null, headers });
    assert.equal(deniedJob.status, 403);
  });
});
