import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { generate } from 'selfsigned';
import { configEnvironmentVariables, loadConfig, type Config } from './config.ts';
import { AppError } from './errors.ts';

// The one config loader: defaults, the environment (SWITCHBOARD_*, DATABASE_URL), overrides from
// CLI flags, and a CONFIG_INVALID error that names the variable to fix.

const envOf = (values: Record<string, string>): NodeJS.ProcessEnv => values;

function configError(fn: () => unknown): AppError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof AppError, `expected CONFIG_INVALID, got ${caught === undefined ? 'no error' : String(caught)}`);
  assert.equal(caught.code, 'CONFIG_INVALID');
  assert.match(caught.message, /^Invalid configuration: /);
  return caught;
}

describe('config', () => {
  test('defaults: embedded database in ./data, loopback:8080, info logs, Lab on', () => {
    const config = loadConfig({}, envOf({}));
    const expected: Partial<Config> = {
      dataDir: path.resolve('./data'),
      host: '127.0.0.1',
      port: 8080,
      logLevel: 'info',
      role: 'all',
      sessionTtlHours: 12,
      jobPollSeconds: 1,
      jobConcurrency: 4,
      obtpPushConcurrency: 32,
      bodyLimitBytes: 1024 * 1024,
      loginRateLimitPerMinute: 10,
      dbPoolSize: 10,
      instances: 1,
      bridgeMaxConcurrentRequests: 4,
      embeddedCacheMb: 16,
      mailFrom: 'switchboard@localhost',
      billingReportThreads: 1,
      bookingChangeRetentionDays: 90,
      routineJobRetentionHours: 24,
      licensingStepTimeoutSeconds: 600,
      licensingPollSeconds: 10,
      embedded: true,
      labEnabled: true,
    };
    assert.deepEqual(config, expected, 'unset optional settings are absent');
    assert.ok(path.isAbsolute(config.dataDir));
  });

  test('every setting comes from its environment variable, typed', async () => {
    const caFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sb-ca-')), 'ca.pem');
    const ca = (await generate([{ name: 'commonName', value: 'Provider Root CA' }], { keySize: 2048, algorithm: 'sha256' })).cert;
    fs.writeFileSync(caFile, `# the provider's internal CA\n${ca}`);
    const env = envOf({
      DATABASE_URL: 'postgres://switchboard@db.example.net:5433/switchboard',
      SWITCHBOARD_DATA_DIR: 'var/sb',
      SWITCHBOARD_HOST: '0.0.0.0',
      SWITCHBOARD_PORT: '9090',
      SWITCHBOARD_PUBLIC_URL: 'https://switchboard.example.net',
      SWITCHBOARD_SECRET_KEY: 'a2V5LWtleS1rZXkta2V5LWtleS1rZXkta2V5LWtleTA=',
      SWITCHBOARD_LOG_LEVEL: 'debug',
      SWITCHBOARD_ROLE: 'worker',
      SWITCHBOARD_LAB: 'yes',
      SWITCHBOARD_SESSION_TTL_HOURS: '1.5',
      SWITCHBOARD_JOB_POLL_SECONDS: '0.5',
      SWITCHBOARD_JOB_CONCURRENCY: '16',
      SWITCHBOARD_OBTP_PUSH_CONCURRENCY: '8',
      SWITCHBOARD_BODY_LIMIT_BYTES: '2048',
      SWITCHBOARD_LOGIN_RATE_LIMIT: '3',
      SWITCHBOARD_DB_POOL_SIZE: '25',
      SWITCHBOARD_INSTANCES: '2',
      SWITCHBOARD_BRIDGE_MAX_CONCURRENT_REQUESTS: '8',
      SWITCHBOARD_EMBEDDED_CACHE_MB: '64',
      SWITCHBOARD_SMTP_URL: 'smtp://relay.example.net:587',
      SWITCHBOARD_MAIL_FROM: 'noreply@example.net',
      SWITCHBOARD_BILLING_REPORT_THREADS: '4',
      SWITCHBOARD_BOOKING_CHANGE_RETENTION_DAYS: '30',
      SWITCHBOARD_ROUTINE_JOB_RETENTION_HOURS: '6',
      SWITCHBOARD_LICENSING_STEP_TIMEOUT_SECONDS: '120',
      SWITCHBOARD_LICENSING_POLL_SECONDS: '5',
      SWITCHBOARD_LICENSING_SATELLITE_MARKERS: 'satelliteName, source=satellite',
      SWITCHBOARD_TLS_CA_FILE: caFile,
    });
    // The test names every variable the loader knows: a new one must be added here.
    assert.deepEqual(Object.keys(env).sort(), Object.values(configEnvironmentVariables).sort());
    const config = loadConfig({}, env);
    assert.deepEqual(config, {
      databaseUrl: 'postgres://switchboard@db.example.net:5433/switchboard',
      dataDir: path.resolve('var/sb'),
      host: '0.0.0.0',
      port: 9090,
      publicUrl: 'https://switchboard.example.net',
      secretKey: 'a2V5LWtleS1rZXkta2V5LWtleS1rZXkta2V5LWtleTA=',
      logLevel: 'debug',
      role: 'worker',
      lab: true,
      sessionTtlHours: 1.5,
      jobPollSeconds: 0.5,
      jobConcurrency: 16,
      obtpPushConcurrency: 8,
      bodyLimitBytes: 2048,
      loginRateLimitPerMinute: 3,
      dbPoolSize: 25,
      instances: 2,
      bridgeMaxConcurrentRequests: 8,
      embeddedCacheMb: 64,
      smtpUrl: 'smtp://relay.example.net:587',
      mailFrom: 'noreply@example.net',
      billingReportThreads: 4,
      bookingChangeRetentionDays: 30,
      routineJobRetentionHours: 6,
      licensingStepTimeoutSeconds: 120,
      licensingPollSeconds: 5,
      licensingSatelliteMarkers: ['satelliteName', 'source=satellite'],
      tlsCaFile: caFile,
      tlsCa: ca.trim(),
      embedded: false,
      labEnabled: true,
    } satisfies Config);
    // A CA file that is missing or holds no certificate stops the start, naming the variable.
    assert.match(configError(() => loadConfig({}, envOf({ SWITCHBOARD_TLS_CA_FILE: `${caFile}.missing` }))).message, /SWITCHBOARD_TLS_CA_FILE: .*cannot be read/);
    fs.writeFileSync(caFile, 'not a certificate');
    assert.match(configError(() => loadConfig({}, envOf({ SWITCHBOARD_TLS_CA_FILE: caFile }))).message, /SWITCHBOARD_TLS_CA_FILE: .*holds no PEM certificate/);
  });

  test('DATABASE_URL switches to PostgreSQL mode, where the Lab is off unless asked for', () => {
    const config = loadConfig({}, envOf({ DATABASE_URL: 'postgres://localhost/sb' }));
    assert.equal(config.embedded, false);
    assert.equal(config.labEnabled, false);
    assert.equal(loadConfig({}, envOf({ SWITCHBOARD_LAB: 'off' })).labEnabled, false);
    for (const [text, value] of [['1', true], ['true', true], ['on', true], ['yes', true], ['0', false], ['false', false], ['no', false], ['off', false]] as const) {
      assert.equal(loadConfig({}, envOf({ SWITCHBOARD_LAB: text })).lab, value, text);
    }
  });

  test('overrides (CLI flags) win over the environment; empty variables count as unset', () => {
    const env = envOf({ SWITCHBOARD_PORT: '9090', SWITCHBOARD_HOST: '', SWITCHBOARD_LOG_LEVEL: 'warn' });
    const config = loadConfig({ port: 7070, logLevel: undefined }, env);
    assert.equal(config.port, 7070);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.logLevel, 'warn', 'an undefined override leaves the environment value');
    assert.equal(loadConfig({ port: '7071' }, env).port, 7071);
  });

  test('an invalid value is CONFIG_INVALID naming the environment variable', () => {
    const invalid: Array<[string, string]> = [
      ['DATABASE_URL', 'not a url'],
      ['SWITCHBOARD_PORT', '70000'],
      ['SWITCHBOARD_PORT', 'http'],
      ['SWITCHBOARD_PORT', '-1'],
      ['SWITCHBOARD_PORT', '80.5'],
      ['SWITCHBOARD_PUBLIC_URL', 'switchboard.example.net'],
      ['SWITCHBOARD_LOG_LEVEL', 'verbose'],
      ['SWITCHBOARD_ROLE', 'primary'],
      ['SWITCHBOARD_LAB', 'maybe'],
      ['SWITCHBOARD_SESSION_TTL_HOURS', '0'],
      ['SWITCHBOARD_SESSION_TTL_HOURS', '10000'],
      ['SWITCHBOARD_JOB_POLL_SECONDS', '0.1'],
      ['SWITCHBOARD_JOB_CONCURRENCY', '0'],
      ['SWITCHBOARD_JOB_CONCURRENCY', '2.5'],
      ['SWITCHBOARD_BODY_LIMIT_BYTES', '100'],
      ['SWITCHBOARD_BODY_LIMIT_BYTES', 'lots'],
      ['SWITCHBOARD_LOGIN_RATE_LIMIT', '0'],
      ['SWITCHBOARD_LOGIN_RATE_LIMIT', '100000'],
      ['SWITCHBOARD_DB_POOL_SIZE', '0'],
      ['SWITCHBOARD_DB_POOL_SIZE', 'NaN'],
    ];
    for (const [name, value] of invalid) {
      const error = configError(() => loadConfig({}, envOf({ [name]: value })));
      assert.ok(error.message.includes(`${name}: `), `${name}=${value}: ${error.message}`);
      const problems = (error.details as { problems: string[] }).problems;
      assert.equal(problems.length, 1, `${name}=${value}: ${problems.join('; ')}`);
      assert.ok(problems[0].startsWith(`${name}: `), problems[0]);
    }
  });

  test('several invalid values are all named at once; an invalid override names its variable too', () => {
    const error = configError(() => loadConfig({}, envOf({ SWITCHBOARD_PORT: 'x', SWITCHBOARD_ROLE: 'boss', SWITCHBOARD_LOG_LEVEL: 'loud' })));
    for (const name of ['SWITCHBOARD_PORT', 'SWITCHBOARD_ROLE', 'SWITCHBOARD_LOG_LEVEL']) assert.ok(error.message.includes(name), error.message);
    assert.equal((error.details as { problems: string[] }).problems.length, 3);
    assert.match(configError(() => loadConfig({ jobConcurrency: 1000 }, envOf({}))).message, /SWITCHBOARD_JOB_CONCURRENCY: /);
  });

  test('README documents every variable, with the loader’s defaults', () => {
    const readme = fs.readFileSync(path.resolve(import.meta.dirname, '../README.md'), 'utf8');
    const defaults = loadConfig({}, envOf({})) as Record<string, unknown>;
    for (const [key, name] of Object.entries(configEnvironmentVariables)) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${name}\``));
      assert.ok(row, `${name} is missing from README's configuration table`);
      const documented = row.split('|')[3].trim();
      const literal = /^`([^`]+)`$/.exec(documented)?.[1];
      if (literal === undefined) continue; // "unset", "generated (embedded)", "on when embedded"
      const actual = key === 'dataDir' ? path.relative(process.cwd(), String(defaults[key])) : String(defaults[key]);
      assert.equal(key === 'dataDir' ? path.normalize(literal) : literal, actual, `README's default for ${name}`);
    }
  });
});
