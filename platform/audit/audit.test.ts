import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../clock.ts';
import { startTestSwitchboard, type ApiResponse, type TestSwitchboard } from '../../test/support/test-switchboard.ts';

// X7: every change made through the API leaves one audit record with actor, action, entity,
// before/after and time; the log is filtered and paged like every list; secrets never reach it.

type AuditEvent = {
  id: number;
  at: string;
  actorType: string;
  actorId: string | null;
  actorName: string;
  action: string;
  entityType: string;
  entityId: string | null;
  before: any;
  after: any;
  trackingId: string | null;
};

const PASSWORD = 'audited password 1';
const NEW_PASSWORD = 'audited password 2';

describe('audit log (X7)', () => {
  let t: TestSwitchboard;
  const clock = new ManualClock('2026-05-04T08:00:00Z');
  /** Every plaintext secret this test has handled: none may appear in the audit log. */
  const secrets: string[] = [PASSWORD, NEW_PASSWORD];

  before(async () => {
    t = await startTestSwitchboard({ clock });
    secrets.push(t.adminToken, t.admin.password);
  });
  after(async () => t?.close());

  const audit = async (query = ''): Promise<{ items: AuditEvent[]; total: number; offset: number; limit: number }> => {
    const res = await t.api('GET', `/api/v1/audit${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };
  /** Runs one API change and returns the audit records it added (newest first). */
  const change = async (call: () => Promise<ApiResponse>): Promise<{ res: ApiResponse; events: AuditEvent[] }> => {
    const before = (await audit('?limit=1')).items[0]?.id ?? 0;
    const res = await call();
    assert.ok(res.status < 300, `the change failed: ${res.status} ${JSON.stringify(res.body)}`);
    const events = (await audit('?limit=50')).items.filter((e) => e.id > before);
    return { res, events };
  };
  const adminTokenActor = async () => (await t.api('GET', '/api/v1/session')).body.actor as { id: string; name: string };

  let userId: string;
  let tokenId: string;

  test('creating a user: actor, action, entity, after (no password), time and tracking ID', async () => {
    clock.set('2026-05-04T08:00:00Z');
    const { res, events } = await change(() => t.api('POST', '/api/v1/users', { username: 'audited', displayName: 'Audited User', role: 'booker', password: PASSWORD }));
    userId = res.body.id;
    assert.equal(events.length, 1);
    const [event] = events;
    const actor = await adminTokenActor();
    assert.equal(event.action, 'user.create');
    assert.equal(event.actorType, 'token');
    assert.equal(event.actorId, actor.id);
    assert.equal(event.actorName, actor.name);
    assert.equal(event.entityType, 'user');
    assert.equal(event.entityId, userId);
    assert.equal(event.before, null);
    assert.equal(event.after.username, 'audited');
    assert.equal(event.after.displayName, 'Audited User');
    assert.equal(event.after.role, 'booker');
    assert.ok(!('passwordHash' in event.after), 'the password hash is not audited');
    assert.equal(event.at, '2026-05-04T08:00:00.000Z');
    assert.equal(event.trackingId, res.headers.get('trackingid'));
  });

  test('updating a user: before and after, the password change masked', async () => {
    clock.set('2026-05-04T09:00:00Z');
    const { res, events } = await change(() => t.api('PATCH', `/api/v1/users/${userId}`, { role: 'read_only_admin', displayName: 'Renamed', password: NEW_PASSWORD }));
    assert.equal(events.length, 1);
    const [event] = events;
    assert.equal(event.action, 'user.update');
    assert.equal(event.entityId, userId);
    assert.equal(event.before.role, 'booker');
    assert.equal(event.before.displayName, 'Audited User');
    assert.equal(event.after.role, 'read_only_admin');
    assert.equal(event.after.displayName, 'Renamed');
    // The change of password is visible, the password is not.
    assert.ok(event.after.password === undefined || event.after.password === '*****', JSON.stringify(event.after));
    assert.equal(event.at, '2026-05-04T09:00:00.000Z');
    assert.equal(event.trackingId, res.headers.get('trackingid'));
  });

  test('creating and revoking an API token: the token itself is never recorded', async () => {
    clock.set('2026-05-04T10:00:00Z');
    const created = await change(() => t.api('POST', '/api/v1/tokens', { name: 'audited-token', role: 'booker' }));
    tokenId = created.res.body.id;
    const token: string = created.res.body.token;
    secrets.push(token, token.slice(4), crypto.createHash('sha256').update(token).digest('hex'));
    assert.equal(created.events.length, 1);
    assert.equal(created.events[0].action, 'token.create');
    assert.equal(created.events[0].entityType, 'api_token');
    assert.equal(created.events[0].entityId, tokenId);
    assert.equal(created.events[0].after.name, 'audited-token');
    assert.equal(created.events[0].after.role, 'booker');
    assert.equal(created.events[0].at, '2026-05-04T10:00:00.000Z');

    clock.set('2026-05-04T11:00:00Z');
    const revoked = await change(() => t.api('DELETE', `/api/v1/tokens/${tokenId}`));
    assert.equal(revoked.events.length, 1);
    const [event] = revoked.events;
    assert.equal(event.action, 'token.revoke');
    assert.equal(event.entityId, tokenId);
    assert.equal(event.before.revokedAt, null);
    assert.equal(event.after.revokedAt, '2026-05-04T11:00:00.000Z');
    assert.equal(event.trackingId, revoked.res.headers.get('trackingid'));
  });

  test('signing in and out are recorded with the user as actor', async () => {
    clock.set('2026-05-04T12:00:00Z');
    const login = await change(() => t.api('POST', '/api/v1/session', { username: 'audited', password: NEW_PASSWORD }, { token: null }));
    assert.equal(login.events.length, 1);
    assert.equal(login.events[0].action, 'session.login');
    assert.equal(login.events[0].actorType, 'user');
    assert.equal(login.events[0].actorId, userId);
    assert.equal(login.events[0].actorName, 'audited');
    assert.equal(login.events[0].entityId, userId);
    assert.equal(login.events[0].trackingId, login.res.headers.get('trackingid'));
    const cookie = login.res.headers.getSetCookie()[0].split(';')[0];
    secrets.push(decodeURIComponent(cookie.split('=')[1]), login.res.body.csrfToken);

    const logout = await change(() => t.api('DELETE', '/api/v1/session', undefined, { token: null, headers: { cookie, 'x-csrf-token': login.res.body.csrfToken } }));
    assert.equal(logout.events.length, 1);
    assert.equal(logout.events[0].action, 'session.logout');
    assert.equal(logout.events[0].actorName, 'audited');
    // A failed change records nothing.
    const failed = await t.api('POST', '/api/v1/users', { username: 'audited', role: 'booker', password: PASSWORD });
    assert.equal(failed.status, 409);
    assert.equal((await audit('?limit=1')).items[0].id, logout.events[0].id);
  });

  test('filters: action, actor, entityType, entityId, from/to; newest first', async () => {
    const all = await audit('?limit=500');
    assert.ok(all.total >= 7, `total ${all.total}`);
    assert.deepEqual(all.items.map((e) => e.id), [...all.items.map((e) => e.id)].sort((a, b) => b - a), 'newest first');

    const byAction = await audit('?action=user.update');
    assert.equal(byAction.total, 1);
    assert.equal(byAction.items[0].entityId, userId);

    const byActor = await audit('?actor=audited');
    assert.deepEqual(byActor.items.map((e) => e.action).sort(), ['session.login', 'session.logout']);
    const actor = await adminTokenActor();
    const byTokenActor = await audit(`?actor=${encodeURIComponent(actor.name)}`);
    assert.ok(byTokenActor.items.every((e) => e.actorName === actor.name));
    assert.ok(['user.create', 'user.update', 'token.create', 'token.revoke'].every((a) => byTokenActor.items.some((e) => e.action === a)));

    const byEntity = await audit(`?entityType=user&entityId=${userId}`);
    assert.deepEqual(byEntity.items.map((e) => e.action), ['session.logout', 'session.login', 'user.update', 'user.create']);
    assert.equal((await audit(`?entityType=api_token&entityId=${tokenId}`)).total, 2);
    assert.equal((await audit(`?entityType=api_token&entityId=${userId}`)).total, 0);

    // from/to are inclusive and combine with the other filters.
    const window = await audit(`?from=2026-05-04T09:00:00Z&to=2026-05-04T11:00:00Z`);
    assert.deepEqual(window.items.map((e) => e.action), ['token.revoke', 'token.create', 'user.update']);
    assert.equal((await audit('?from=2026-05-04T11:00:00.001Z&to=2026-05-04T11:59:59.999Z')).total, 0);
    assert.equal((await audit(`?from=2026-05-04T10:00:00Z&entityType=api_token&entityId=${tokenId}&action=token.revoke`)).total, 1);
    // Times in other offsets mean the same instant.
    assert.equal((await audit(`?from=${encodeURIComponent('2026-05-04T11:00:00+02:00')}&to=${encodeURIComponent('2026-05-04T11:00:00+02:00')}`)).items[0]?.action, 'user.update');
    assert.equal((await audit('?action=no.such-action')).total, 0);
  });

  test('paging: offset, limit and total', async () => {
    const all = await audit('?limit=500');
    const pages: AuditEvent[] = [];
    for (let offset = 0; offset < all.total; offset += 3) {
      const page = await audit(`?offset=${offset}&limit=3`);
      assert.equal(page.total, all.total);
      assert.equal(page.offset, offset);
      assert.equal(page.limit, 3);
      assert.ok(page.items.length <= 3);
      pages.push(...page.items);
    }
    assert.deepEqual(pages.map((e) => e.id), all.items.map((e) => e.id), 'the pages add up to the whole log, in order');
    const past = await audit(`?offset=${all.total + 10}`);
    assert.equal(past.items.length, 0);
    assert.equal(past.total, all.total);
    const defaults = await audit();
    assert.equal(defaults.offset, 0);
    assert.equal(defaults.limit, 50);
    assert.equal((await t.api('GET', '/api/v1/audit?limit=501')).status, 400);
    assert.equal((await t.api('GET', '/api/v1/audit?offset=-1')).status, 400);
    assert.equal((await t.api('GET', '/api/v1/audit?from=yesterday')).status, 400);
  });

  test('no secret in the audit log: not through the API, not in the table', async () => {
    // One more change that carries a password: a customer admin created with one.
    const org = crypto.randomUUID();
    await change(() => t.api('POST', '/api/v1/users', { username: 'secretive', role: 'customer_admin', customerOrgId: org, password: 'secretive password 123' }));
    secrets.push('secretive password 123');

    const viaApi = JSON.stringify((await audit('?limit=500')).items);
    const { rows } = await t.sb.services.database.pool.query('select a::text as row from audit_events a');
    const inTable = rows.map((r: { row: string }) => r.row).join('\n');
    assert.ok(viaApi.includes('secretive') && inTable.includes('secretive'));
    for (const secret of secrets) {
      assert.ok(!viaApi.includes(secret), `secret ${secret.slice(0, 4)}… returned by GET /api/v1/audit`);
      assert.ok(!inTable.includes(secret), `secret ${secret.slice(0, 4)}… stored in audit_events`);
    }
    // Secret-named fields that were recorded at all are masked.
    for (const match of viaApi.matchAll(/"(password|token|secret)[^"]*":("[^"]*"|null)/gi)) {
      assert.ok(match[2] === '"*****"' || match[2] === 'null', `unmasked ${match[0]}`);
    }
  });

  test('reading the audit log needs audit.read', async () => {
    const booker = await t.tokenFor('booker');
    const denied = await t.api('GET', '/api/v1/audit', undefined, { token: booker });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error.code, 'FORBIDDEN');
    const reader = await t.tokenFor('read_only_admin');
    assert.equal((await t.api('GET', '/api/v1/audit', undefined, { token: reader })).status, 200);
  });
});
