import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../clock.ts';
import { startTestSwitchboard, type ApiResponse, type TestSwitchboard } from '../../test/support/test-switchboard.ts';

// X6: local users with argon2id, console sessions (HttpOnly cookie + CSRF), hashed API tokens,
// rate-limited login, disabled users, and session expiry on the server's one clock.

const PASSWORD = 'correct horse battery staple';
const HOUR = 3600_000;

/** The sb_session cookie of a login answer, as the `name=value` a browser would send back. */
function sessionCookie(res: ApiResponse): string {
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('sb_session='));
  assert.ok(cookie, `no session cookie in ${JSON.stringify(res.headers.getSetCookie())}`);
  return cookie.split(';')[0];
}

const assertError = (res: ApiResponse, status: number, code: string) => {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.error.code, code);
  assert.match(res.body.error.trackingId, /\S/);
};

describe('auth: users, sessions, CSRF, tokens (X6)', () => {
  let t: TestSwitchboard;
  const clock = new ManualClock('2026-03-02T09:00:00Z');

  // The session lifetime is set short, and the server runs on a manual clock, to expire sessions
  // and tokens without waiting.
  before(async () => {
    t = await startTestSwitchboard({ clock, config: { sessionTtlHours: 2, loginRateLimitPerMinute: 1000 } });
  });
  after(async () => t?.close());

  const login = (username: string, password: string) => t.api('POST', '/api/v1/session', { username, password }, { token: null });
  const asCookie = (cookie: string, csrf?: string) => ({ token: null, headers: { cookie, ...(csrf === undefined ? {} : { 'x-csrf-token': csrf }) } });
  const createUser = async (username: string, role = 'booker', extra: Record<string, unknown> = {}) => {
    const res = await t.api('POST', '/api/v1/users', { username, role, password: PASSWORD, ...extra });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { id: string; username: string };
  };

  test('login: right password → 200 with the user and a CSRF token; wrong password and unknown user → the same 401', async () => {
    await createUser('ada');
    const ok = await login('ada', PASSWORD);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.user.username, 'ada');
    assert.equal(ok.body.user.role, 'booker');
    assert.ok(ok.body.csrfToken.length >= 20);
    assert.equal(ok.body.user.passwordHash, undefined);
    assert.equal(new Date(ok.body.expiresAt).getTime(), clock.now().getTime() + 2 * HOUR);
    // Usernames are case-insensitive.
    assert.equal((await login('ADA', PASSWORD)).status, 200);

    const wrongPassword = await login('ada', 'not the password');
    const unknownUser = await login('nobody-here', PASSWORD);
    assertError(wrongPassword, 401, 'INVALID_CREDENTIALS');
    assertError(unknownUser, 401, 'INVALID_CREDENTIALS');
    // Nothing tells an attacker whether the username exists.
    assert.equal(wrongPassword.body.error.message, unknownUser.body.error.message);
    assert.deepEqual(wrongPassword.body.error.details, unknownUser.body.error.details);
    assert.equal(wrongPassword.headers.getSetCookie().length, 0);
  });

  test('the session cookie is HttpOnly, SameSite=Strict, path /, and expires with the session', async () => {
    const res = await login('ada', PASSWORD);
    const raw = res.headers.getSetCookie().find((c) => c.startsWith('sb_session='))!;
    const attributes = raw.split(';').map((a) => a.trim().toLowerCase());
    assert.ok(attributes.includes('httponly'), raw);
    assert.ok(attributes.includes('samesite=strict'), raw);
    assert.ok(attributes.includes('path=/'), raw);
    const expires = attributes.find((a) => a.startsWith('expires='));
    assert.ok(expires, raw);
    assert.equal(new Date(expires.slice('expires='.length)).getTime(), Math.floor((clock.now().getTime() + 2 * HOUR) / 1000) * 1000);
    // The cookie value is a random secret, not the user id or name.
    const value = sessionCookie(res).split('=')[1];
    assert.ok(value.length >= 32 && !value.includes('ada'));
  });

  test('GET /api/v1/session with the cookie names the user and returns the session CSRF token', async () => {
    const res = await login('ada', PASSWORD);
    const me = await t.api('GET', '/api/v1/session', undefined, asCookie(sessionCookie(res)));
    assert.equal(me.status, 200);
    assert.equal(me.body.actor.type, 'user');
    assert.equal(me.body.actor.name, 'ada');
    assert.equal(me.body.csrfToken, res.body.csrfToken);
    // A token caller has no session, so no CSRF token.
    const token = await t.api('GET', '/api/v1/session');
    assert.equal(token.body.actor.type, 'token');
    assert.equal(token.body.csrfToken, null);
  });

  test('CSRF: a cookie-authenticated change without or with a wrong X-CSRF-Token is 403; with the right one it works', async () => {
    await createUser('grace', 'partner_full_admin');
    const res = await login('grace', PASSWORD);
    const cookie = sessionCookie(res);
    const body = { name: 'from-the-console', role: 'booker' };

    assertError(await t.api('POST', '/api/v1/tokens', body, asCookie(cookie)), 403, 'CSRF_TOKEN_INVALID');
    assertError(await t.api('POST', '/api/v1/tokens', body, asCookie(cookie, 'wrong')), 403, 'CSRF_TOKEN_INVALID');
    assertError(await t.api('POST', '/api/v1/tokens', body, asCookie(cookie, '')), 403, 'CSRF_TOKEN_INVALID');
    // Another session's token does not fit this session.
    const other = await login('grace', PASSWORD);
    assertError(await t.api('POST', '/api/v1/tokens', body, asCookie(cookie, other.body.csrfToken)), 403, 'CSRF_TOKEN_INVALID');
    // PATCH and DELETE are guarded as well.
    assertError(await t.api('PATCH', `/api/v1/users/${res.body.user.id}`, { displayName: 'G' }, asCookie(cookie)), 403, 'CSRF_TOKEN_INVALID');
    assertError(await t.api('DELETE', '/api/v1/tokens/00000000-0000-4000-8000-000000000000', undefined, asCookie(cookie)), 403, 'CSRF_TOKEN_INVALID');

    const created = await t.api('POST', '/api/v1/tokens', body, asCookie(cookie, res.body.csrfToken));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.createdBy, res.body.user.id);
    // Reads need no CSRF token.
    assert.equal((await t.api('GET', '/api/v1/tokens', undefined, asCookie(cookie))).status, 200);
  });

  test('sign-out ends the session on the server and clears the cookie', async () => {
    const res = await login('ada', PASSWORD);
    const cookie = sessionCookie(res);
    assert.equal((await t.api('GET', '/api/v1/session', undefined, asCookie(cookie))).status, 200);
    const stored = await t.sb.services.database.pool.query('select count(*)::int as n from sessions where id_hash = $1', [crypto.createHash('sha256').update(decodeURIComponent(cookie.split('=')[1])).digest('hex')]);
    assert.equal(stored.rows[0].n, 1);
    const out = await t.api('DELETE', '/api/v1/session', undefined, asCookie(cookie, res.body.csrfToken));
    assert.equal(out.status, 204);
    const cleared = out.headers.getSetCookie().find((c) => c.startsWith('sb_session='));
    assert.ok(cleared && /expires=thu, 01 jan 1970/i.test(cleared), `cookie not cleared: ${cleared}`);
    // The old cookie is worthless now, even replayed.
    assertError(await t.api('GET', '/api/v1/session', undefined, asCookie(cookie)), 401, 'UNAUTHENTICATED');
    // The row is gone (sessions are stored by the sha256 of the cookie value, never the value).
    const idHash = crypto.createHash('sha256').update(decodeURIComponent(cookie.split('=')[1])).digest('hex');
    const { rows } = await t.sb.services.database.pool.query('select count(*)::int as n from sessions where id_hash = $1', [idHash]);
    assert.equal(rows[0].n, 0);
  });

  test('passwords are stored as argon2id hashes, never in clear', async () => {
    const user = await createUser('hashed-user');
    const { rows } = await t.sb.services.database.pool.query('select password_hash from users where id = $1', [user.id]);
    const hash: string = rows[0].password_hash;
    assert.match(hash, /^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$/);
    assert.ok(!hash.includes(PASSWORD));
    // Same password, different user: a different salt, so a different hash.
    const twin = await createUser('hashed-twin');
    const twinHash = (await t.sb.services.database.pool.query('select password_hash from users where id = $1', [twin.id])).rows[0].password_hash;
    assert.notEqual(twinHash, hash);
  });

  test('API tokens are stored hashed: the token appears nowhere in the database, and neither does a password', async () => {
    const created = await t.api('POST', '/api/v1/tokens', { name: 'hashed-token', role: 'read_only_admin' });
    assert.equal(created.status, 201);
    const token: string = created.body.token;
    assert.match(token, /^sbt_[\w-]{40,}$/);
    assert.equal(created.body.tokenHash, undefined);
    const { rows } = await t.sb.services.database.pool.query('select token_hash, prefix from api_tokens where id = $1', [created.body.id]);
    assert.notEqual(rows[0].token_hash, token);
    assert.ok(!rows[0].token_hash.includes(token.slice(4)));
    assert.ok(token.startsWith(rows[0].prefix) && rows[0].prefix.length <= 10);
    // The token works, and is shown only once: listing never returns it.
    assert.equal((await t.api('GET', '/api/v1/session', undefined, { token })).body.actor.role, 'read_only_admin');
    const listed = await t.api('GET', '/api/v1/tokens?limit=500');
    assert.ok(!JSON.stringify(listed.body).includes(token));

    // Every row of every table, as text: neither the token nor any password in clear.
    const dump = await dumpDatabase(t);
    assert.ok(dump.length > 1000, 'the dump is suspiciously small');
    assert.ok(dump.includes(created.body.id), 'the dump does not contain the token row');
    for (const secret of [token, token.slice(4), t.adminToken, PASSWORD, t.admin.password]) {
      assert.ok(!dump.includes(secret), `a secret (${secret.slice(0, 6)}…) is stored in clear`);
    }
  });

  test('revoked and expired tokens are refused with 401', async () => {
    const revoked = (await t.api('POST', '/api/v1/tokens', { name: 'to-revoke', role: 'booker' })).body;
    assert.equal((await t.api('GET', '/api/v1/session', undefined, { token: revoked.token })).status, 200);
    assert.equal((await t.api('DELETE', `/api/v1/tokens/${revoked.id}`)).status, 204);
    assertError(await t.api('GET', '/api/v1/session', undefined, { token: revoked.token }), 401, 'UNAUTHENTICATED');
    assertError(await t.api('DELETE', `/api/v1/tokens/${revoked.id}`), 409, 'INVALID_STATE');

    const expiresAt = new Date(clock.now().getTime() + HOUR);
    const expiring = (await t.api('POST', '/api/v1/tokens', { name: 'to-expire', role: 'booker', expiresAt: expiresAt.toISOString() })).body;
    assert.equal((await t.api('GET', '/api/v1/session', undefined, { token: expiring.token })).status, 200);
    clock.advance(HOUR - 1000);
    assert.equal((await t.api('GET', '/api/v1/session', undefined, { token: expiring.token })).status, 200);
    clock.advance(1000);
    assertError(await t.api('GET', '/api/v1/session', undefined, { token: expiring.token }), 401, 'UNAUTHENTICATED');

    // A made-up token, a token-shaped string and a non-bearer scheme are all 401.
    for (const header of ['Bearer sbt_made-up', 'Bearer not-a-token', 'Basic YWRtaW46eA==', `Bearer ${expiring.token.slice(0, -1)}`]) {
      assertError(await t.api('GET', '/api/v1/session', undefined, { token: null, headers: { authorization: header } }), 401, 'UNAUTHENTICATED');
    }
  });

  test('concurrent API calls share token reads, and each sees the revocations made before it', async () => {
    const booker = (await t.api('POST', '/api/v1/tokens', { name: 'burst-booker', role: 'booker' })).body;
    const revoked = (await t.api('POST', '/api/v1/tokens', { name: 'burst-revoked', role: 'booker' })).body;
    assert.equal((await t.api('DELETE', `/api/v1/tokens/${revoked.id}`)).status, 204);
    const pool = t.sb.services.database.pool;
    const query = pool.query;
    let tokenReads = 0;
    pool.query = ((...args: Parameters<typeof query>) => {
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string })?.text;
      const run = () => (query as (...a: unknown[]) => unknown).apply(pool, args);
      if (!/^select .* from "api_tokens"/is.test(text ?? '')) return run();
      tokenReads++;
      // A read that takes a while, as under load: on a fast PostgreSQL each read could end before
      // the next request is even parsed, and there would be nothing to share.
      return new Promise((resolve) => setTimeout(resolve, 50)).then(run);
    }) as typeof query;
    let answers: { status: number; role?: string }[];
    const tokens = [...Array(10).fill(t.adminToken), ...Array(6).fill(booker.token), ...Array(3).fill(revoked.token), 'sbt_made-up-token'];
    try {
      answers = await Promise.all(tokens.map(async (token) => {
        const res = await t.api('GET', '/api/v1/session', undefined, { token });
        return { status: res.status, role: res.body.actor?.role };
      }));
    } finally {
      pool.query = query;
    }
    assert.deepEqual(answers.map((a) => a.status), [...Array(16).fill(200), 401, 401, 401, 401]);
    assert.deepEqual(answers.slice(0, 16).map((a) => a.role), [...Array(10).fill('partner_full_admin'), ...Array(6).fill('booker')]);
    assert.ok(tokenReads >= 1 && tokenReads < tokens.length, `${tokenReads} token reads for ${tokens.length} concurrent calls`);

    // Revoked now: the very next call is refused (no cache keeps it alive).
    assert.equal((await t.api('DELETE', `/api/v1/tokens/${booker.id}`)).status, 204);
    assertError(await t.api('GET', '/api/v1/session', undefined, { token: booker.token }), 401, 'UNAUTHENTICATED');
  });

  test('a customer admin must name its customer organisation (users and tokens)', async () => {
    const org = '7d1f0c39-3b55-4b8e-9a43-1d2f6b0b8c11';
    assertError(await t.api('POST', '/api/v1/users', { username: 'cust', role: 'customer_admin', password: PASSWORD }), 400, 'VALIDATION_FAILED');
    assertError(await t.api('POST', '/api/v1/users', { username: 'cust', role: 'customer_admin', password: PASSWORD, customerOrgId: null }), 400, 'VALIDATION_FAILED');
    assertError(await t.api('POST', '/api/v1/tokens', { name: 'cust', role: 'customer_admin' }), 400, 'VALIDATION_FAILED');
    const user = await createUser('cust', 'customer_admin', { customerOrgId: org });
    const session = await login('cust', PASSWORD);
    assert.equal(session.body.user.customerOrgId, org);
    const me = await t.api('GET', '/api/v1/session', undefined, asCookie(sessionCookie(session)));
    assert.equal(me.body.actor.customerOrgId, org);

    // Turning someone into a customer admin needs the organisation too; leaving the role drops it.
    const booker = await createUser('becomes-customer');
    assertError(await t.api('PATCH', `/api/v1/users/${booker.id}`, { role: 'customer_admin' }), 400, 'VALIDATION_FAILED');
    assertError(await t.api('PATCH', `/api/v1/users/${user.id}`, { customerOrgId: null }), 400, 'VALIDATION_FAILED');
    const demoted = await t.api('PATCH', `/api/v1/users/${user.id}`, { role: 'booker' });
    assert.equal(demoted.status, 200);
    assert.equal(demoted.body.customerOrgId, null);
    // Other roles never carry an organisation, even when one is sent.
    const plain = await createUser('not-a-customer', 'booker', { customerOrgId: org });
    assert.equal((await t.api('GET', '/api/v1/users?limit=500')).body.items.find((u: { id: string }) => u.id === plain.id).customerOrgId, null);
  });

  test('a disabled user cannot sign in and loses the sessions it had; password and role changes end sessions too', async () => {
    const user = await createUser('to-disable');
    const first = sessionCookie(await login('to-disable', PASSWORD));
    const second = sessionCookie(await login('to-disable', PASSWORD));
    assert.equal((await t.api('GET', '/api/v1/session', undefined, asCookie(first))).status, 200);

    const disabled = await t.api('PATCH', `/api/v1/users/${user.id}`, { disabled: true });
    assert.equal(disabled.status, 200);
    assert.equal(disabled.body.disabled, true);
    assertError(await t.api('GET', '/api/v1/session', undefined, asCookie(first)), 401, 'UNAUTHENTICATED');
    assertError(await t.api('GET', '/api/v1/session', undefined, asCookie(second)), 401, 'UNAUTHENTICATED');
    const refused = await login('to-disable', PASSWORD);
    assertError(refused, 401, 'INVALID_CREDENTIALS');
    assert.equal(refused.body.error.message, (await login('to-disable', 'wrong password!')).body.error.message);

    assert.equal((await t.api('PATCH', `/api/v1/users/${user.id}`, { disabled: false })).status, 200);
    const again = sessionCookie(await login('to-disable', PASSWORD));
    assert.equal((await t.api('GET', '/api/v1/session', undefined, asCookie(again))).status, 200);
    assert.equal((await t.api('PATCH', `/api/v1/users/${user.id}`, { password: 'a brand new password' })).status, 200);
    assertError(await t.api('GET', '/api/v1/session', undefined, asCookie(again)), 401, 'UNAUTHENTICATED');
    assertError(await login('to-disable', PASSWORD), 401, 'INVALID_CREDENTIALS');
    const afterChange = sessionCookie(await login('to-disable', 'a brand new password'));
    assert.equal((await t.api('PATCH', `/api/v1/users/${user.id}`, { role: 'read_only_admin' })).status, 200);
    assertError(await t.api('GET', '/api/v1/session', undefined, asCookie(afterChange)), 401, 'UNAUTHENTICATED');
  });

  test('a session expires after sessionTtlHours on the server clock', async () => {
    const res = await login('ada', PASSWORD);
    const cookie = sessionCookie(res);
    clock.advance(2 * HOUR - 1000);
    assert.equal((await t.api('GET', '/api/v1/session', undefined, asCookie(cookie))).status, 200);
    clock.advance(1000);
    assertError(await t.api('GET', '/api/v1/session', undefined, asCookie(cookie)), 401, 'UNAUTHENTICATED');
    // Expired means gone: moving the clock back does not revive it.
    clock.advance(-HOUR);
    assertError(await t.api('GET', '/api/v1/session', undefined, asCookie(cookie)), 401, 'UNAUTHENTICATED');
  });
});

describe('auth: login is rate-limited (X6)', () => {
  let t: TestSwitchboard;
  before(async () => {
    t = await startTestSwitchboard({ config: { loginRateLimitPerMinute: 3 } });
  });
  after(async () => t?.close());

  test('the 4th login attempt within a minute is 429 RATE_LIMITED, even with the right password', async () => {
    const attempt = (password: string) => t.api('POST', '/api/v1/session', { username: t.admin.username, password }, { token: null });
    assert.equal((await attempt('wrong-1')).status, 401);
    assert.equal((await attempt('wrong-2')).status, 401);
    assert.equal((await attempt(t.admin.password)).status, 200);
    const limited = await attempt(t.admin.password);
    assertError(limited, 429, 'RATE_LIMITED');
    assert.equal(typeof limited.body.error.message, 'string');
    assert.ok(Number(limited.headers.get('retry-after')) > 0, 'Retry-After tells the client when to come back');
    // Only login is limited: the rest of the API still answers.
    assert.equal((await t.api('GET', '/api/v1/session')).status, 200);
  });
});

/** Every row of every user table (ours and pg-boss's), as text. */
async function dumpDatabase(t: TestSwitchboard): Promise<string> {
  const pool = t.sb.services.database.pool;
  const { rows: tables } = await pool.query<{ schema: string; name: string }>(
    `select table_schema as schema, table_name as name from information_schema.tables
      where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')`,
  );
  assert.ok(tables.some((table) => table.name === 'api_tokens'));
  const parts: string[] = [];
  for (const table of tables) {
    const ident = `"${table.schema.replace(/"/g, '""')}"."${table.name.replace(/"/g, '""')}"`;
    const { rows } = await pool.query<{ row: string }>(`select r::text as row from ${ident} r`);
    parts.push(...rows.map((r) => `${table.schema}.${table.name}: ${r.row}`));
  }
  return parts.join('\n');
}
