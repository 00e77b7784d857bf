import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createSwitchboard } from '../app.ts';
import { loadConfig } from '../config.ts';
import { AppError } from '../errors.ts';
import { createLogger } from '../logger.ts';
import { createSecretBox, loadSecretKey } from './secret-box.ts';
import { MASK, isSecretField, redactSecrets } from './redact.ts';
import { embeddedTemplateDir } from '../../test/support/test-database.ts';

// X7: secrets at rest are sealed (AES-256-GCM) under one key from config, or a key generated into
// the embedded data directory; they never reach the logs.

const newKey = () => crypto.randomBytes(32);
const tempDirs: string[] = [];
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-secrets-test-'));
  tempDirs.push(dir);
  return dir;
};
after(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

const throwsAppError = (fn: () => unknown, code: string, message: RegExp) =>
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof AppError, `not an AppError: ${error}`);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  });

describe('secret box', () => {
  test('seal/open round trip; the sealed form hides the plaintext and differs every time', () => {
    const box = createSecretBox(newKey());
    for (const plaintext of ['', 'bridge-password', 'pässwörd 🔑 密码', 'x'.repeat(100_000), '\u0000\uFFFF']) {
      const sealed = box.seal(plaintext);
      assert.match(sealed, /^v1\.[\w-]+\.[\w-]+\.[\w-]*$/);
      if (plaintext.length > 3) assert.ok(!sealed.includes(plaintext));
      assert.equal(box.open(sealed), plaintext);
      assert.notEqual(box.seal(plaintext), sealed, 'a fresh IV per seal');
    }
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (plaintext) => box.open(box.seal(plaintext)) === plaintext), { numRuns: 300 });
  });

  test('any tampering with the IV, tag or ciphertext is detected', () => {
    const box = createSecretBox(newKey());
    const sealed = box.seal('client-secret-value');
    const parts = sealed.split('.');
    for (const index of [1, 2, 3]) {
      const bytes = Buffer.from(parts[index], 'base64url');
      for (const position of [0, bytes.length - 1]) {
        const flipped = Buffer.from(bytes);
        flipped[position] ^= 0x01;
        const tampered = parts.map((p, i) => (i === index ? flipped.toString('base64url') : p)).join('.');
        throwsAppError(() => box.open(tampered), 'INTERNAL', /cannot be decrypted/);
      }
    }
    // Swapped ciphertexts of two secrets do not open either.
    const other = box.seal('client-secret-value').split('.');
    throwsAppError(() => box.open([parts[0], parts[1], parts[2], other[3]].join('.')), 'INTERNAL', /cannot be decrypted/);
    // Cut or foreign formats are refused as such.
    for (const bad of ['', 'v1', 'v1.a.b', 'v2.' + parts.slice(1).join('.'), 'plaintext-password', parts.slice(0, 3).join('.')]) {
      throwsAppError(() => box.open(bad), 'INTERNAL', /not in the expected format/);
    }
  });

  test('a different key is refused with a clear error, and a key of the wrong size is a config error', () => {
    const sealed = createSecretBox(newKey()).seal('provisioning-password');
    throwsAppError(() => createSecretBox(newKey()).open(sealed), 'INTERNAL', /secret key differs from the one it was sealed with/);
    throwsAppError(() => createSecretBox(crypto.randomBytes(16)), 'CONFIG_INVALID', /SWITCHBOARD_SECRET_KEY must be 32 bytes/);
    throwsAppError(() => createSecretBox(loadSecretKey(loadConfig({ secretKey: 'not-base64-of-32-bytes' }, {}))), 'CONFIG_INVALID', /32 bytes, base64/);
    // The configured key is used as given.
    const key = newKey();
    const configured = loadSecretKey(loadConfig({ secretKey: key.toString('base64'), dataDir: tempDir() }, {}));
    assert.deepEqual(configured, key);
  });

  test('embedded: a key is generated once into the data directory, mode 0600, and reused', () => {
    const dataDir = path.join(tempDir(), 'data');
    const config = loadConfig({ dataDir }, {});
    const key = loadSecretKey(config);
    assert.equal(key.length, 32);
    const keyFile = path.join(dataDir, 'secret.key');
    assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
    assert.equal(fs.statSync(dataDir).mode & 0o077, 0, 'the data directory is private too');
    const content = fs.readFileSync(keyFile, 'utf8');
    assert.deepEqual(loadSecretKey(loadConfig({ dataDir }, {})), key);
    assert.equal(fs.readFileSync(keyFile, 'utf8'), content, 'the key file is not rewritten');
  });

  test('embedded: the server seals with the key file of its data directory, so secrets open after a restart', async () => {
    const dataDir = tempDir();
    fs.cpSync(await embeddedTemplateDir(), dataDir, { recursive: true });
    fs.rmSync(path.join(dataDir, 'ready'), { force: true });
    fs.rmSync(path.join(dataDir, 'switchboard.lock'), { force: true });
    // No secretKey and no DATABASE_URL: embedded mode with a generated key, whatever the test run uses.
    const config = loadConfig({ dataDir, port: 0, logLevel: 'silent', lab: 'false' }, {});
    const server = await createSwitchboard({ config, createFirstAdmin: false });
    const sealed = server.services.secrets.seal('cms-admin-password');
    await server.close();
    const keyFile = path.join(dataDir, 'secret.key');
    assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
    // What the next start does (app.ts): load the key for the same config, then open.
    const restarted = createSecretBox(loadSecretKey(loadConfig({ dataDir }, {})));
    assert.equal(restarted.open(sealed), 'cms-admin-password');
    // Without the key file, the secret is lost (and says so) rather than silently re-keyed.
    fs.rmSync(keyFile);
    throwsAppError(() => createSecretBox(loadSecretKey(loadConfig({ dataDir }, {}))).open(sealed), 'INTERNAL', /secret key differs/);
  });

  test('PostgreSQL mode without SWITCHBOARD_SECRET_KEY is refused with CONFIG_INVALID, before any connection', async () => {
    const dataDir = tempDir();
    // Port 1: nothing listens there, so a connection attempt would fail differently.
    const config = loadConfig({ databaseUrl: 'postgres://postgres@127.0.0.1:1/switchboard', dataDir, logLevel: 'silent' }, {});
    throwsAppError(() => loadSecretKey(config), 'CONFIG_INVALID', /SWITCHBOARD_SECRET_KEY is required with DATABASE_URL.*openssl rand -base64 32/);
    await assert.rejects(createSwitchboard({ config, createFirstAdmin: false }), (error: unknown) => {
      assert.ok(error instanceof AppError);
      assert.equal(error.code, 'CONFIG_INVALID');
      assert.match(error.message, /SWITCHBOARD_SECRET_KEY/);
      return true;
    });
    assert.ok(!fs.existsSync(path.join(dataDir, 'secret.key')), 'no key is generated for PostgreSQL installs');
  });
});

describe('secrets in logs and records', () => {
  const capture = () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    return { lines, logger: createLogger('info', stream) };
  };
  const flush = () => new Promise((resolve) => setImmediate(resolve));

  test('the logger masks secret fields at any depth, in any spelling', async () => {
    const { lines, logger } = capture();
    const secrets = {
      password: 'S-password-0',
      clientSecret: 'S-client-secret-1',
      passcode: 'S-passcode-2',
      authorization: 'Bearer S-bearer-3',
      token: 'S-token-4',
      Password: 'S-password-5',
      adminPassword: 'S-admin-password-6',
      apiKey: 'S-api-key-7',
      hostPin: 'S-pin-8',
      client_secret: 'S-client-secret-9',
      credentials: 'S-credentials-10',
    };
    logger.info(secrets, 'top level');
    logger.info({ cms: { node: secrets } }, 'two levels');
    logger.info({ a: { b: { c: { d: { e: secrets } } } } }, 'five levels');
    logger.info({ users: [{ name: 'ada', ...secrets }], req: { headers: { authorization: secrets.authorization, cookie: 'sb_session=S-cookie-11' } } }, 'arrays and headers');
    logger.child({ password: 'S-child-12' }).info({ nested: { passcode: 'S-child-13' } }, 'child');
    await flush();
    const output = lines.join('\n');
    assert.equal(lines.length, 5);
    for (const line of lines) JSON.parse(line);
    for (const value of [...Object.values(secrets), 'S-bearer-3', 'S-cookie-11', 'S-child-12', 'S-child-13']) {
      assert.ok(!output.includes(value), `${value} leaked into the log: ${output.slice(0, 300)}`);
    }
    const five = JSON.parse(lines[2]);
    assert.equal(five.a.b.c.d.e.clientSecret, MASK);
    assert.equal(five.a.b.c.d.e.password, MASK);
    assert.equal(JSON.parse(lines[3]).users[0].name, 'ada');
    assert.equal(JSON.parse(lines[3]).req.headers.cookie, MASK);
  });

  test('the logger keeps what is not secret: errors, buffers, dates, ping and mapping fields', async () => {
    const { lines, logger } = capture();
    logger.error({ err: new AppError('UPSTREAM_FAILED', 'bridge said no', { status: 502 }) }, 'failed');
    logger.info({ payload: Buffer.from('xml'), deep: { a: { b: Buffer.from('x') } }, at: new Date(0), ping: 12, mapping: 'a→b', disabled: true }, 'values');
    await flush();
    const [error, values] = lines.map((line) => JSON.parse(line));
    assert.equal(error.err.message, 'bridge said no');
    assert.equal(error.err.code, 'UPSTREAM_FAILED');
    assert.match(error.err.stack, /AppError/);
    assert.equal(values.ping, 12);
    assert.equal(values.mapping, 'a→b');
    assert.equal(values.at, '1970-01-01T00:00:00.000Z');
    assert.equal(values.payload.type, 'Buffer');
  });

  test('one list of secret fields for logs, audit records and responses', () => {
    for (const key of ['password', 'newPassword', 'clientSecret', 'client_secret', 'passcode', 'pin', 'hostPin', 'guest_pin', 'token', 'apiKey', 'authorization', 'cookie', 'privateKey', 'credentials']) {
      assert.ok(isSecretField(key), `${key} is a secret`);
    }
    for (const key of ['username', 'ping', 'mapping', 'spinner', 'pinned', 'displayName', 'role', 'typing']) {
      assert.ok(!isSecretField(key), `${key} is not a secret`);
    }
    const record = redactSecrets({ username: 'u', password: 'p', nested: [{ passcode: 1234, disabled: false, token: null }], at: new Date(0) });
    assert.deepEqual(record, { username: 'u', password: MASK, nested: [{ passcode: MASK, disabled: false, token: null }], at: new Date(0) });
  });
});
