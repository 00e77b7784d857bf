import type { AuditLog } from './audit/audit.service.ts';
import type { Auth } from './auth/auth.service.ts';
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import type { Jobs } from './jobs/jobs.service.ts';
import type { Logger } from './logger.ts';
import type { MailService } from './mail/mailer.ts';
import type { Metrics } from './observability/metrics.ts';
import type { SecretBox } from './secrets/secret-box.ts';

/** What the platform hands every area: its routes, services and jobs are built from these. */
export type PlatformServices = {
  config: Config;
  clock: Clock;
  logger: Logger;
  database: Database;
  audit: AuditLog;
  auth: Auth;
  jobs: Jobs;
  metrics: Metrics;
  secrets: SecretBox;
  /** Outgoing email (platform/mail): the relay, or the Lab's catcher when the Lab runs. */
  mail: MailService;
};
