import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig, type Config, type ConfigOverrides } from '../../platform/config.ts';
import { migrateDatabase, openDatabase } from '../../platform/db/database.ts';

// Tests run against the embedded database by default and against a real PostgreSQL server when
// DATABASE_URL is set (CI does both). Each test file gets a database of its own.

const repoRoot = path.resolve(import.meta.dirname, '../..');

/** A migrated embedded data directory, made once per migration set and copied per test. */
export async function embeddedTemplateDir(): Promise<string> {
  const migrations = fs.readdirSync(path.join(repoRoot, 'platform/db/migrations')).filter((f) => f.endsWith('.sql')).sort();
  const fingerprint = crypto.createHash('sha1');
  for (const file of migrations) fingerprint.update(fs.readFileSync(path.join(repoRoot, 'platform/db/migrations', file)));
  const dir = path.join(os.tmpdir(), `switchboard-test-template-${fingerprint.digest('hex').slice(0, 12)}`);
  if (fs.existsSync(path.join(dir, 'ready'))) return dir;
  const building = `${dir}.building-${process.pid}`;
  fs.rmSync(building, { recursive: true, force: true });
  const database = await openDatabase(loadConfig({ dataDir: building, logLevel: 'silent' }, {}));
  await migrateDatabase(database);
  await database.close();
  fs.writeFileSync(path.join(building, 'ready'), new Date().toISOString());
  try {
    fs.renameSync(building, dir);
  } catch {
    // another test process won the race; its copy is as good as ours
    fs.rmSync(building, { recursive: true, force: true });
  }
  return dir;
}

export type TestDatabase = { config: Config; drop(): Promise<void> };

/** A fresh, isolated database: a copied embedded data dir, or a new PostgreSQL database. */
export async function createTestDatabase(overrides: ConfigOverrides = {}): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  const secretKey = crypto.randomBytes(32).toString('base64');
  const base = { port: 0, logLevel: process.env.SWITCHBOARD_TEST_LOG_LEVEL ?? 'silent', lab: 'false', secretKey };
  if (!serverUrl) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-test-'));
    fs.cpSync(await embeddedTemplateDir(), dataDir, { recursive: true });
    fs.rmSync(path.join(dataDir, 'ready'), { force: true });
    fs.rmSync(path.join(dataDir, 'switchboard.lock'), { force: true });
    const config = loadConfig({ ...base, ...overrides, dataDir }, {});
    return { config, drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }) };
  }
  const name = `sb_test_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const config = loadConfig({ ...base, ...overrides, databaseUrl: url.toString(), dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-test-')) }, {});
  return {
    config,
    async drop() {
      const dropper = new pg.Client({ connectionString: serverUrl });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    },
  };
}
