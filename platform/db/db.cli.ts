import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { AreaFactory } from '../area.ts';
import type { Config } from '../config.ts';
import { createMailService } from '../mail/mailer.ts';
import type { Database, MigrationSet } from './database.ts';
import type { PlatformServices } from '../services.ts';

// `switchboard migrate`: apply pending migrations of the platform and of every area, and say which.

type Applied = { createdAt: number };

function journalTags(folder: string): Map<number, string> {
  try {
    const journal = JSON.parse(fs.readFileSync(path.join(folder, 'meta', '_journal.json'), 'utf8')) as { entries: Array<{ when: number; tag: string }> };
    return new Map(journal.entries.map((entry) => [entry.when, entry.tag]));
  } catch {
    return new Map();
  }
}

// drizzle's migrator keeps one row per applied migration (created_at = the journal's `when`).
async function appliedMigrations(database: Database, set: MigrationSet): Promise<Applied[]> {
  const table = set.name === 'platform' ? '__drizzle_migrations' : `__drizzle_migrations_${set.name}`;
  const { rows: [exists] } = await database.sql.executeSql('SELECT to_regclass($1) AS name', [`drizzle."${table}"`]);
  if (!exists?.name) return [];
  const { rows } = await database.sql.executeSql(`SELECT created_at FROM drizzle."${table.replaceAll('"', '""')}" ORDER BY created_at`);
  return rows.map((row: { created_at: string | number }) => ({ createdAt: Number(row.created_at) }));
}

export function describeDatabase(config: Config): string {
  if (config.embedded) return `embedded database in ${config.dataDir}`;
  const url = new URL(config.databaseUrl!);
  if (url.password) url.password = '***';
  return `PostgreSQL ${url.toString()}`;
}

/**
 * The area migration sets, from the same area factories `start` runs. Factories need the platform
 * services but must not touch the database (platform/area.ts), so building them here is cheap.
 */
async function areaMigrationSets(config: Config, database: Database, areas: AreaFactory[]): Promise<MigrationSet[]> {
  if (areas.length === 0) return [];
  const { systemClock } = await import('../clock.ts');
  const { createLogger } = await import('../logger.ts');
  const { createAuditLog } = await import('../audit/audit.service.ts');
  const { createAuth } = await import('../auth/auth.service.ts');
  const { createJobs } = await import('../jobs/jobs.service.ts');
  const { createMetrics } = await import('../observability/metrics.ts');
  const { createSecretBox, loadSecretKey } = await import('../secrets/secret-box.ts');
  const clock = systemClock;
  const logger = createLogger(config.logLevel, process.stderr);
  const audit = createAuditLog({ db: database.db, clock });
  const auth = createAuth({ db: database.db, clock, config, audit });
  const jobs = createJobs({ database, config, clock, logger, audit });
  const services: PlatformServices = { config, clock, logger, database, audit, auth, jobs, metrics: createMetrics(), secrets: createSecretBox(loadSecretKey(config)), mail: createMailService(config) };
  const sets: MigrationSet[] = [];
  for (const factory of areas) {
    const area = await factory(services);
    if (area.migrations) sets.push({ name: area.name, folder: area.migrations });
  }
  return sets;
}

export function registerDbCommands(program: Command, { loadAreas }: { loadAreas: () => Promise<AreaFactory[]> }) {
  program
    .command('migrate')
    .description('Apply pending database migrations (start does this too) and list what was applied')
    .option('--data-dir <dir>', 'embedded database directory (SWITCHBOARD_DATA_DIR)')
    .option('--database-url <url>', 'PostgreSQL URL (DATABASE_URL)')
    .action(async (options: { dataDir?: string; databaseUrl?: string }) => {
      const { loadConfig } = await import('../config.ts');
      const { migrateDatabase, openDatabase, platformMigrations } = await import('./database.ts');
      const { createLogger } = await import('../logger.ts');
      const config = loadConfig({ dataDir: options.dataDir, databaseUrl: options.databaseUrl });
      const database = await openDatabase(config, createLogger(config.logLevel, process.stderr));
      try {
        const sets = [platformMigrations, ...(await areaMigrationSets(config, database, await loadAreas()))];
        const before = new Map<string, Set<number>>();
        for (const set of sets) before.set(set.name, new Set((await appliedMigrations(database, set)).map((m) => m.createdAt)));
        await migrateDatabase(database, sets.slice(1));
        process.stdout.write(`Migrated the ${describeDatabase(config)}.\n`);
        for (const set of sets) {
          const after = await appliedMigrations(database, set);
          const tags = journalTags(set.folder);
          const fresh = after.filter((m) => !before.get(set.name)!.has(m.createdAt)).map((m) => tags.get(m.createdAt) ?? String(m.createdAt));
          process.stdout.write(
            fresh.length
              ? `  ${set.name}: applied ${fresh.length} migration${fresh.length === 1 ? '' : 's'} (${fresh.join(', ')}); ${after.length} in all.\n`
              : `  ${set.name}: up to date (${after.length} migration${after.length === 1 ? '' : 's'}).\n`,
          );
        }
      } finally {
        await database.close();
      }
    });
}
