import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from './errors.ts';

// The one config loader. Every setting comes from the environment (SWITCHBOARD_*, DATABASE_URL)
// and may be overridden by CLI flags; nothing else reads process.env.
const booleanFromEnv = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

const configSchema = z.object({
  databaseUrl: z.string().url().optional(),
  dataDir: z.string().min(1).default('./data'),
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  publicUrl: z.string().url().optional(),
  secretKey: z.string().optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  role: z.enum(['all', 'web', 'worker']).default('all'),
  lab: booleanFromEnv.optional(),
  sessionTtlHours: z.coerce.number().positive().max(24 * 90).default(12),
  jobPollSeconds: z.coerce.number().min(0.5).max(60).default(1),
  jobConcurrency: z.coerce.number().int().min(1).max(100).default(4),
  obtpPushConcurrency: z.coerce.number().int().min(1).max(1000).default(32),
  bodyLimitBytes: z.coerce.number().int().min(1024).max(100 * 1024 * 1024).default(1024 * 1024),
  loginRateLimitPerMinute: z.coerce.number().int().min(1).max(10000).default(10),
  dbPoolSize: z.coerce.number().int().min(1).max(200).default(10),
  instances: z.coerce.number().int().min(1).max(64).default(1),
  bridgeMaxConcurrentRequests: z.coerce.number().int().min(1).max(1000).default(4),
  embeddedCacheMb: z.coerce.number().int().min(1).max(4096).default(16),
  smtpUrl: z.string().url().regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://').optional(),
  mailFrom: z.string().min(3).default('switchboard@localhost'),
  billingReportThreads: z.coerce.number().int().min(0).max(16).default(1),
  bookingChangeRetentionDays: z.coerce.number().int().min(1).max(3650).default(90),
  routineJobRetentionHours: z.coerce.number().int().min(1).max(24 * 365).default(24),
  licensingStepTimeoutSeconds: z.coerce.number().int().min(10).max(24 * 3600).default(600),
  licensingPollSeconds: z.coerce.number().min(1).max(600).default(10),
  tlsCaFile: z.string().min(1).optional(),
  licensingSatelliteMarkers: z
    .string()
    .transform((v) => v.split(',').map((m) => m.trim()).filter(Boolean))
    .optional(),
});

export type Config = z.infer<typeof configSchema> & {
  /** true when DATABASE_URL is unset: PGlite in dataDir, one process owns it. */
  embedded: boolean;
  /** the Lab simulators run inside this process (default: on when embedded). */
  labEnabled: boolean;
  /** SWITCHBOARD_TLS_CA_FILE's certificates (PEM), trusted by external connections besides the system CAs. */
  tlsCa?: string;
};

export type ConfigOverrides = Partial<Record<keyof z.infer<typeof configSchema>, unknown>>;

const envNames: Record<keyof z.infer<typeof configSchema>, string> = {
  databaseUrl: 'DATABASE_URL',
  dataDir: 'SWITCHBOARD_DATA_DIR',
  host: 'SWITCHBOARD_HOST',
  port: 'SWITCHBOARD_PORT',
  publicUrl: 'SWITCHBOARD_PUBLIC_URL',
  secretKey: 'SWITCHBOARD_SECRET_KEY',
  logLevel: 'SWITCHBOARD_LOG_LEVEL',
  role: 'SWITCHBOARD_ROLE',
  lab: 'SWITCHBOARD_LAB',
  sessionTtlHours: 'SWITCHBOARD_SESSION_TTL_HOURS',
  jobPollSeconds: 'SWITCHBOARD_JOB_POLL_SECONDS',
  jobConcurrency: 'SWITCHBOARD_JOB_CONCURRENCY',
  obtpPushConcurrency: 'SWITCHBOARD_OBTP_PUSH_CONCURRENCY',
  bodyLimitBytes: 'SWITCHBOARD_BODY_LIMIT_BYTES',
  loginRateLimitPerMinute: 'SWITCHBOARD_LOGIN_RATE_LIMIT',
  dbPoolSize: 'SWITCHBOARD_DB_POOL_SIZE',
  instances: 'SWITCHBOARD_INSTANCES',
  bridgeMaxConcurrentRequests: 'SWITCHBOARD_BRIDGE_MAX_CONCURRENT_REQUESTS',
  embeddedCacheMb: 'SWITCHBOARD_EMBEDDED_CACHE_MB',
  smtpUrl: 'SWITCHBOARD_SMTP_URL',
  mailFrom: 'SWITCHBOARD_MAIL_FROM',
  billingReportThreads: 'SWITCHBOARD_BILLING_REPORT_THREADS',
  bookingChangeRetentionDays: 'SWITCHBOARD_BOOKING_CHANGE_RETENTION_DAYS',
  routineJobRetentionHours: 'SWITCHBOARD_ROUTINE_JOB_RETENTION_HOURS',
  licensingStepTimeoutSeconds: 'SWITCHBOARD_LICENSING_STEP_TIMEOUT_SECONDS',
  licensingPollSeconds: 'SWITCHBOARD_LICENSING_POLL_SECONDS',
  licensingSatelliteMarkers: 'SWITCHBOARD_LICENSING_SATELLITE_MARKERS',
  tlsCaFile: 'SWITCHBOARD_TLS_CA_FILE',
};

/** Documented in README's configuration table; kept here so the table and the loader agree. */
export const configEnvironmentVariables = envNames;

export function loadConfig(overrides: ConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, unknown> = {};
  for (const [key, envName] of Object.entries(envNames)) {
    const value = env[envName];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) raw[key] = value;
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = issue.path[0] as keyof typeof envNames;
      return `${envNames[key] ?? String(key)}: ${issue.message}`;
    });
    throw new AppError('CONFIG_INVALID', `Invalid configuration: ${problems.join('; ')}`, { problems });
  }
  const embedded = !parsed.data.databaseUrl;
  return {
    ...parsed.data,
    ...(parsed.data.tlsCaFile ? { tlsCa: readCaBundle(parsed.data.tlsCaFile) } : {}),
    dataDir: path.resolve(parsed.data.dataDir),
    embedded,
    labEnabled: parsed.data.lab ?? embedded,
  };
}

/** The operator's CA bundle, read once at start: a file that is missing or holds no certificate stops the start. */
function readCaBundle(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new AppError('CONFIG_INVALID', `Invalid configuration: SWITCHBOARD_TLS_CA_FILE: ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { problems: [`SWITCHBOARD_TLS_CA_FILE: ${file} cannot be read`] });
  }
  const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const problems = pems.length === 0 ? ['holds no PEM certificate'] : pems.flatMap((pem, i) => {
    try {
      new X509Certificate(pem);
      return [];
    } catch {
      return [`certificate ${i + 1} cannot be read`];
    }
  });
  if (problems.length) throw new AppError('CONFIG_INVALID', `Invalid configuration: SWITCHBOARD_TLS_CA_FILE: ${file} ${problems.join(', ')}`, { problems: problems.map((p) => `SWITCHBOARD_TLS_CA_FILE: ${p}`) });
  return pems.join('\n');
}
