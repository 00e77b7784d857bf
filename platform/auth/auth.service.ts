import crypto from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import {
  countUsers, deleteSession, findApiTokenById, findApiTokensByHash, findApiTokens, findSessionWithUser, findUserById,
  findUserByUsername, findUsers, insertApiToken, insertSession, insertUser, updateApiToken, updateUser, deleteSessionsOfUser,
  type ApiTokenRow, type UserRow,
} from './auth.repository.ts';
import { AppError, notFound } from '../errors.ts';
import type { Actor } from './actor.ts';
import type { Role } from './roles.ts';
import type { AuditLog } from '../audit/audit.service.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';

// argon2id (the library's default algorithm, 2 = Argon2id) with OWASP's minimum parameters.
const ARGON2 = { algorithm: 2 as const, memoryCost: 19_456, timeCost: 2, parallelism: 1 };
const TOKEN_PREFIX = 'sbt_';

const sha256 = (value: string) => crypto.createHash('sha256').update(value).digest('hex');
const randomSecret = (bytes = 32) => crypto.randomBytes(bytes).toString('base64url');

export type PublicUser = Pick<UserRow, 'id' | 'username' | 'displayName' | 'role' | 'customerOrgId' | 'disabled' | 'createdAt'>;
export const toPublicUser = ({ id, username, displayName, role, customerOrgId, disabled, createdAt }: UserRow): PublicUser => ({
  id, username, displayName, role, customerOrgId, disabled, createdAt,
});
export type PublicApiToken = Omit<ApiTokenRow, 'tokenHash'>;
const toPublicToken = ({ tokenHash: _hash, ...rest }: ApiTokenRow): PublicApiToken => rest;

export const generatePassword = () => randomSecret(15);

export type Auth = ReturnType<typeof createAuth>;

export function createAuth({ db, clock, config, audit }: { db: Db; clock: Clock; config: Config; audit: AuditLog }) {
  const userActor = (user: UserRow, type: 'user' | 'token' = 'user'): Actor => ({
    type, id: user.id, name: user.username, role: user.role as Role, customerOrgId: user.customerOrgId,
  });

  async function createUser(input: { username: string; displayName?: string; role: Role; password: string; customerOrgId?: string | null }, actor: Actor, trackingId?: string) {
    const username = input.username.toLowerCase();
    if (input.role === 'customer_admin' && !input.customerOrgId) {
      throw new AppError('VALIDATION_FAILED', 'A customer admin must belong to one customer organisation (customerOrgId).', { field: 'customerOrgId' });
    }
    if (await findUserByUsername(db, username)) throw new AppError('ALREADY_EXISTS', `A user named ${username} already exists.`, { username });
    const now = clock.now();
    const user = await insertUser(db, {
      username,
      displayName: input.displayName ?? username,
      role: input.role,
      customerOrgId: input.role === 'customer_admin' ? input.customerOrgId ?? null : null,
      passwordHash: await hash(input.password, ARGON2),
      createdAt: now,
      updatedAt: now,
    });
    await audit.record({ actor, action: 'user.create', entityType: 'user', entityId: user.id, after: toPublicUser(user), trackingId });
    return toPublicUser(user);
  }

  // Token lookups that arrive while one is being read wait and are answered together by the next
  // read (one statement for a burst of API calls instead of one each). Nothing is cached: every
  // request is answered by a read that began after it arrived, so a revocation committed before a
  // request is always seen, on every instance.
  type Lookup = { hash: string; resolve: (row: ApiTokenRow | undefined) => void; reject: (error: unknown) => void };
  const waitingLookups: Lookup[] = [];
  let reading = false;
  function findToken(hash: string) {
    return new Promise<ApiTokenRow | undefined>((resolve, reject) => {
      waitingLookups.push({ hash, resolve, reject });
      if (!reading) void readTokens();
    });
  }
  async function readTokens() {
    reading = true;
    while (waitingLookups.length) {
      const lookups = waitingLookups.splice(0, 500);
      try {
        const rows = await findApiTokensByHash(db, [...new Set(lookups.map((l) => l.hash))]);
        const byHash = new Map(rows.map((row) => [row.tokenHash, row]));
        for (const lookup of lookups) lookup.resolve(byHash.get(lookup.hash));
      } catch (error) {
        for (const lookup of lookups) lookup.reject(error);
      }
    }
    reading = false;
  }

  // HTTP Basic sends the password with every request, and argon2id is slow on purpose (about 50 ms
  // of a core on the 2-core machine, about 22 verifications/s with both cores): a TMSBA client pays
  // it on every call, and the facade's rate was argon2's (bench/README.md, "tms"). A password
  // verified within VERIFIED_TTL_MS is recognised by a keyed hash of (user, password) instead; the
  // key is random per process, so the map holds nothing that can be checked offline. The user's row
  // is still read on every request and must carry the very hash that was verified and not be
  // disabled: a changed password or a disabled user is refused at once, on every instance. A wrong
  // password is never remembered and always costs argon2.
  const VERIFIED_TTL_MS = 60_000;
  const VERIFIED_MAX = 1_000;
  const verifiedKey = crypto.randomBytes(32);
  const verified = new Map<string, { userId: string; passwordHash: string; until: number }>();
  const verifiedKeyOf = (username: string, password: string) => crypto.createHmac('sha256', verifiedKey).update(`${username.length}:${username}`).update(password).digest('base64');
  const forgetVerified = (userId: string) => {
    for (const [key, entry] of verified) if (entry.userId === userId) verified.delete(key);
  };

  return {
    createUser,

    async updateUser(id: string, patch: { displayName?: string; role?: Role; disabled?: boolean; password?: string; customerOrgId?: string | null }, actor: Actor, trackingId?: string) {
      const before = await findUserById(db, id);
      if (!before) throw notFound('User', id);
      const role = patch.role ?? (before.role as Role);
      const customerOrgId = patch.customerOrgId !== undefined ? patch.customerOrgId : before.customerOrgId;
      if (role === 'customer_admin' && !customerOrgId) {
        throw new AppError('VALIDATION_FAILED', 'A customer admin must belong to one customer organisation (customerOrgId).', { field: 'customerOrgId' });
      }
      const after = await updateUser(db, id, {
        displayName: patch.displayName,
        role,
        customerOrgId: role === 'customer_admin' ? customerOrgId : null,
        disabled: patch.disabled,
        passwordHash: patch.password ? await hash(patch.password, ARGON2) : undefined,
        updatedAt: clock.now(),
      });
      if (patch.disabled || patch.password || patch.role) await deleteSessionsOfUser(db, id);
      // Not needed for correctness (verifyPassword compares the stored hash), but nothing verified under the old state is kept.
      if (patch.disabled || patch.password) forgetVerified(id);
      await audit.record({ actor, action: 'user.update', entityType: 'user', entityId: id, before: toPublicUser(before), after: { ...toPublicUser(after!), ...(patch.password ? { password: 'changed' } : {}) }, trackingId });
      return toPublicUser(after!);
    },

    listUsers: async (page: { offset: number; limit: number }) => {
      const { items, total } = await findUsers(db, page);
      return { items: items.map(toPublicUser), total };
    },

    /** Creates the first partner full admin of an empty install; returns its generated password once. */
    async ensureFirstAdmin(): Promise<{ username: string; password: string } | null> {
      if ((await countUsers(db)) > 0) return null;
      const password = generatePassword();
      await createUser({ username: 'admin', displayName: 'Administrator', role: 'partner_full_admin', password }, { type: 'system', id: null, name: 'first-start', role: 'system', customerOrgId: null });
      return { username: 'admin', password };
    },

    async login(username: string, password: string, trackingId?: string) {
      const user = await findUserByUsername(db, username);
      // Verify against a dummy hash when the user is unknown, so timing does not reveal usernames.
      const ok = user ? await verify(user.passwordHash, password) : (await hash(password, ARGON2), false);
      if (!user || !ok || user.disabled) {
        throw new AppError('INVALID_CREDENTIALS', 'Wrong username or password.');
      }
      const sessionId = randomSecret();
      const csrfToken = randomSecret(24);
      const now = clock.now();
      const expiresAt = new Date(now.getTime() + config.sessionTtlHours * 3600_000);
      await insertSession(db, { idHash: sha256(sessionId), userId: user.id, csrfToken, createdAt: now, expiresAt });
      await audit.record({ actor: userActor(user), action: 'session.login', entityType: 'user', entityId: user.id, trackingId });
      return { sessionId, csrfToken, expiresAt, user: toPublicUser(user) };
    },

    /**
     * The user behind a username and password sent with a request (HTTP Basic, for protocols whose
     * clients cannot sign in first: the TMSBA facade); null when wrong or disabled. No session is made.
     */
    async verifyPassword(username: string, password: string): Promise<Actor | null> {
      const name = username.toLowerCase();
      const user = await findUserByUsername(db, name);
      const key = verifiedKeyOf(name, password);
      const now = clock.now().getTime();
      const seen = verified.get(key);
      if (seen) {
        if (user && !user.disabled && user.id === seen.userId && user.passwordHash === seen.passwordHash && now < seen.until) return userActor(user);
        verified.delete(key);
      }
      // As login: an unknown user costs a hash too, so timing does not reveal usernames.
      const ok = user ? await verify(user.passwordHash, password) : (await hash(password, ARGON2), false);
      if (!user || !ok || user.disabled) return null;
      if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value!);
      verified.set(key, { userId: user.id, passwordHash: user.passwordHash, until: now + VERIFIED_TTL_MS });
      return userActor(user);
    },

    async logout(sessionId: string, trackingId?: string) {
      const row = await findSessionWithUser(db, sha256(sessionId));
      if (!row) return;
      await deleteSession(db, row.session.idHash);
      await audit.record({ actor: userActor(row.user), action: 'session.logout', entityType: 'user', entityId: row.user.id, trackingId });
    },

    /** The actor behind a session cookie, with the session's CSRF token; null when invalid or expired. */
    async resolveSession(sessionId: string) {
      const row = await findSessionWithUser(db, sha256(sessionId));
      if (!row || row.user.disabled) return null;
      if (row.session.expiresAt.getTime() <= clock.now().getTime()) {
        await deleteSession(db, row.session.idHash);
        return null;
      }
      return { actor: userActor(row.user), csrfToken: row.session.csrfToken, user: toPublicUser(row.user) };
    },

    async resolveApiToken(token: string): Promise<Actor | null> {
      if (!token.startsWith(TOKEN_PREFIX)) return null;
      const row = await findToken(sha256(token));
      if (!row) return null;
      const now = clock.now();
      if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) return null;
      // Writing last-used on every request would make every GET a write; once a minute is enough.
      // Calls answered by the same read share `row`: the first one writes, the others see it.
      if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > 60_000) {
        row.lastUsedAt = now;
        await updateApiToken(db, row.id, { lastUsedAt: now });
      }
      return { type: 'token', id: row.id, name: `token:${row.name}`, role: row.role as Role, customerOrgId: row.customerOrgId };
    },

    async createApiToken(input: { name: string; role: Role; customerOrgId?: string | null; expiresAt?: Date | null }, actor: Actor, trackingId?: string) {
      if (input.role === 'customer_admin' && !input.customerOrgId) {
        throw new AppError('VALIDATION_FAILED', 'A customer admin token must name its customer organisation (customerOrgId).', { field: 'customerOrgId' });
      }
      const token = TOKEN_PREFIX + randomSecret();
      const row = await insertApiToken(db, {
        name: input.name,
        tokenHash: sha256(token),
        prefix: token.slice(0, 10),
        role: input.role,
        customerOrgId: input.role === 'customer_admin' ? input.customerOrgId ?? null : null,
        createdBy: actor.type === 'user' ? actor.id : null,
        createdAt: clock.now(),
        expiresAt: input.expiresAt ?? null,
      });
      await audit.record({ actor, action: 'token.create', entityType: 'api_token', entityId: row.id, after: toPublicToken(row), trackingId });
      return { ...toPublicToken(row), token };
    },

    listApiTokens: async (page: { offset: number; limit: number }) => {
      const { items, total } = await findApiTokens(db, page);
      return { items: items.map(toPublicToken), total };
    },

    async revokeApiToken(id: string, actor: Actor, trackingId?: string) {
      const row = await findApiTokenById(db, id);
      if (!row) throw notFound('API token', id);
      if (row.revokedAt) throw new AppError('INVALID_STATE', `API token ${id} is already revoked.`);
      const revokedAt = clock.now();
      await updateApiToken(db, id, { revokedAt });
      await audit.record({ actor, action: 'token.revoke', entityType: 'api_token', entityId: id, before: toPublicToken(row), after: { ...toPublicToken(row), revokedAt }, trackingId });
    },
  };
}
