import crypto from 'node:crypto';
import os from 'node:os';
import { Option, type Command } from 'commander';
import { createApiClient, normaliseServerUrl } from '../cli/api-client.ts';
import { CliError, USAGE_EXIT_CODE } from '../cli/cli-error.ts';
import { apiClientFromEnvironment, credentialsPath, readCredentials, removeCredentials, writeCredentials } from '../cli/credentials.ts';
import { formatTime, listingOptions, printFields, printFramed, printJson, printPage, type Page } from '../cli/output.ts';
import { promptSecret } from '../cli/prompt.ts';
import { roleLabels, roles, type Role } from './roles.ts';

// `switchboard login|logout|whoami`, `users …`, `tokens …` (through the API with a token) and
// `admin create` (straight on the database: the way in for a PostgreSQL install with no user yet).

type User = { id: string; username: string; displayName: string; role: string; customerOrgId: string | null; disabled: boolean; createdAt: string };
type ApiToken = {
  id: string; name: string; prefix: string; role: string; customerOrgId: string | null; createdBy: string | null;
  createdAt: string; lastUsedAt: string | null; expiresAt: string | null; revokedAt: string | null;
};
type NewApiToken = ApiToken & { token: string };

const roleOption = (defaultRole?: Role) => {
  const option = new Option('--role <role>', 'role').choices(roles);
  return defaultRole ? option.default(defaultRole) : option.makeOptionMandatory();
};
const roleLabel = (role: string) => roleLabels[role as Role] ?? role;

// The API's rules for new users, checked before anything is sent or written.
const USERNAME = /^[A-Za-z0-9._@-]{1,100}$/;
function checkNewUser(username: string, password: string | undefined, role: string, customerOrgId: string | undefined) {
  if (!USERNAME.test(username)) throw new CliError('VALIDATION_FAILED', `Username "${username}" may hold letters, digits and . _ @ - only (1–100).`, { exitCode: USAGE_EXIT_CODE });
  if (password !== undefined && (password.length < 12 || password.length > 200)) {
    throw new CliError('VALIDATION_FAILED', 'A password needs 12 to 200 characters.', { exitCode: USAGE_EXIT_CODE, hint: 'Leave out --password to have one generated.' });
  }
  if (role === 'customer_admin' && !customerOrgId) {
    throw new CliError('VALIDATION_FAILED', 'A customer admin belongs to one customer organisation: give --customer-org-id.', { exitCode: USAGE_EXIT_CODE });
  }
}

// The recipe of generatePassword() in auth.service.ts (120 random bits), without loading the
// database layer that module brings along into an API command.
const newPassword = () => crypto.randomBytes(15).toString('base64url');

const tokenStatus = (token: ApiToken) =>
  token.revokedAt ? 'revoked' : token.expiresAt && new Date(token.expiresAt).getTime() <= Date.now() ? 'expired' : 'active';

function cliActorName() {
  try {
    return `cli:${os.userInfo().username}`;
  } catch {
    return 'cli';
  }
}

type AdminCreateOptions = {
  username: string;
  role: Role;
  displayName?: string;
  password?: string;
  customerOrgId?: string;
  token?: boolean;
  dataDir?: string;
  databaseUrl?: string;
};

async function createAdminOnDatabase(options: AdminCreateOptions) {
  // Loaded here, not at the top: the API commands should not pay for the database driver.
  const { loadConfig } = await import('../config.ts');
  const { openDatabase, migrateDatabase } = await import('../db/database.ts');
  const { createAuditLog } = await import('../audit/audit.service.ts');
  const { createAuth, generatePassword } = await import('./auth.service.ts');
  const { systemClock } = await import('../clock.ts');
  const { createLogger } = await import('../logger.ts');
  const { systemActor } = await import('./actor.ts');

  const config = loadConfig({ dataDir: options.dataDir, databaseUrl: options.databaseUrl });
  const database = await openDatabase(config, createLogger(config.logLevel, process.stderr));
  try {
    await migrateDatabase(database);
    const audit = createAuditLog({ db: database.db, clock: systemClock });
    const auth = createAuth({ db: database.db, clock: systemClock, config, audit });
    const actor = systemActor(cliActorName());
    const password = options.password ?? generatePassword();
    const user = await auth.createUser(
      { username: options.username, displayName: options.displayName, role: options.role, password, customerOrgId: options.customerOrgId ?? null },
      actor,
    );
    const token = options.token
      ? await auth.createApiToken({ name: `${user.username} (admin create)`, role: options.role, customerOrgId: options.customerOrgId ?? null }, actor)
      : null;
    const where = config.embedded ? `the embedded database in ${config.dataDir}` : 'the PostgreSQL database';
    return { user, generatedPassword: options.password ? null : password, token: token?.token ?? null, where };
  } finally {
    await database.close();
  }
}

export function registerAuthCommands(program: Command) {
  program
    .command('login')
    .description('Sign in to a Switchboard server and store an API token in ~/.config/switchboard/credentials.json')
    .option('--url <url>', 'server URL, e.g. http://localhost:8080 (default: SWITCHBOARD_URL)')
    .requiredOption('--username <name>', 'your username')
    .option('--password <password>', 'your password (default: SWITCHBOARD_PASSWORD, else asked for)')
    .action(async (options: { url?: string; username: string; password?: string }) => {
      const rawUrl = options.url ?? process.env.SWITCHBOARD_URL;
      if (!rawUrl) throw new CliError('USAGE', 'Which server? Give --url (or set SWITCHBOARD_URL).', { exitCode: USAGE_EXIT_CODE });
      const url = normaliseServerUrl(rawUrl);
      const password = options.password ?? process.env.SWITCHBOARD_PASSWORD ?? (await promptSecret(`Password for ${options.username} at ${url}: `));
      const anonymous = createApiClient({ url });
      const signIn = await anonymous.send<{ user: User; csrfToken: string }>('POST', '/api/v1/session', { body: { username: options.username, password } });
      const cookie = signIn.headers.getSetCookie().map((c) => c.split(';')[0]).find((c) => c.startsWith('sb_session='));
      if (!cookie) throw new CliError('UNEXPECTED_RESPONSE', `${url} signed you in but set no session cookie.`, { hint: `Is ${url} a Switchboard server?` });
      const { user, csrfToken } = signIn.body;
      const session = { cookie, 'x-csrf-token': csrfToken };
      let created: NewApiToken;
      try {
        const name = `cli ${user.username}@${os.hostname()} ${new Date().toISOString().slice(0, 10)}`.slice(0, 100);
        created = await anonymous.request<NewApiToken>('POST', '/api/v1/tokens', { body: { name, role: user.role, customerOrgId: user.customerOrgId }, headers: session });
      } catch (error) {
        if (error instanceof CliError && error.code === 'FORBIDDEN') {
          throw new CliError('FORBIDDEN', `Signed in as ${user.username}, but a ${roleLabel(user.role)} may not create the API token the CLI uses.`, {
            trackingId: error.trackingId,
            hint: 'Ask a partner full admin for a token (switchboard tokens create), then set SWITCHBOARD_URL and SWITCHBOARD_TOKEN.',
          });
        }
        throw error;
      } finally {
        // The CLI keeps the token, not the console session.
        await anonymous.request('DELETE', '/api/v1/session', { headers: session }).catch(() => undefined);
      }
      const previous = readCredentials();
      const file = writeCredentials({ url, token: created.token, tokenId: created.id, username: user.username, createdAt: created.createdAt });
      if (previous?.tokenId && normaliseServerUrl(previous.url) === url && previous.tokenId !== created.id) {
        // The token this login replaces would otherwise stay valid, unused and forgotten.
        await createApiClient({ url, token: created.token }).delete(`/api/v1/tokens/${previous.tokenId}`).catch(() => undefined);
      }
      process.stdout.write(`Signed in to ${url} as ${user.username} (${roleLabel(user.role)}). API token ${created.prefix}… stored in ${file}.\n`);
      if (process.env.SWITCHBOARD_TOKEN) process.stderr.write('Note: SWITCHBOARD_TOKEN is set and is used instead of the stored token.\n');
    });

  program
    .command('logout')
    .description('Revoke the stored API token and forget it')
    .action(async () => {
      const stored = readCredentials();
      if (!stored) {
        process.stdout.write(`Not signed in (no ${credentialsPath()}).\n`);
        return;
      }
      if (stored.tokenId) {
        try {
          await createApiClient({ url: stored.url, token: stored.token }).delete(`/api/v1/tokens/${stored.tokenId}`);
        } catch (error) {
          process.stderr.write(`Warning: could not revoke the token on ${stored.url} (${(error as Error).message}); forgetting it anyway.\n`);
        }
      }
      removeCredentials();
      process.stdout.write(`Signed out of ${stored.url}.\n`);
    });

  program
    .command('whoami')
    .description('Which server, and who the token acts as')
    .option('--json', 'print the API\'s JSON')
    .action(async (options: { json?: boolean }) => {
      const client = apiClientFromEnvironment();
      const session = await client.get<{ actor: { type: string; name: string; role: string; customerOrgId: string | null } }>('/api/v1/session');
      if (options.json) return printJson(session);
      printFields([
        ['Server', client.url],
        ['Acting as', session.actor.name],
        ['Role', roleLabel(session.actor.role)],
        ...(session.actor.customerOrgId ? [['Customer org', session.actor.customerOrgId] as [string, unknown]] : []),
      ]);
    });

  const users = program.command('users').description('Local users of the console and API');
  listingOptions(users.command('list').description('List users')).action(async (options: { limit: number; offset: number; json?: boolean }) => {
    const page = await apiClientFromEnvironment().get<Page<User>>('/api/v1/users', { limit: options.limit, offset: options.offset });
    if (options.json) return printJson(page);
    printPage(page, [
      { header: 'USERNAME', value: (u) => u.username },
      { header: 'NAME', value: (u) => u.displayName, maxWidth: 30 },
      { header: 'ROLE', value: (u) => roleLabel(u.role) },
      { header: 'CUSTOMER ORG', value: (u) => u.customerOrgId },
      { header: 'STATUS', value: (u) => (u.disabled ? 'disabled' : 'active') },
      { header: 'CREATED', value: (u) => formatTime(u.createdAt) },
      { header: 'ID', value: (u) => u.id },
    ], 'users');
  });
  users
    .command('create')
    .description('Create a user; without --password one is generated and shown once')
    .requiredOption('--username <name>', 'sign-in name (letters, digits, . _ @ -)')
    .addOption(roleOption())
    .option('--display-name <name>', 'name shown in the console')
    .option('--password <password>', 'initial password (12+ characters; default: generated)')
    .option('--customer-org-id <uuid>', 'the customer organisation of a customer admin')
    .option('--json', 'print the API\'s JSON (and the generated password)')
    .action(async (options: { username: string; role: Role; displayName?: string; password?: string; customerOrgId?: string; json?: boolean }) => {
      checkNewUser(options.username, options.password, options.role, options.customerOrgId);
      const password = options.password ?? newPassword();
      const user = await apiClientFromEnvironment().post<User>('/api/v1/users', {
        username: options.username, displayName: options.displayName, role: options.role, password, customerOrgId: options.customerOrgId,
      });
      if (options.json) return printJson(options.password ? user : { ...user, generatedPassword: password });
      process.stdout.write(`Created user ${user.username} (${roleLabel(user.role)}), ID ${user.id}.\n`);
      if (!options.password) printFramed([`Password for ${user.username}: ${password}`, 'Shown only this once: hand it over safely.']);
    });

  const tokens = program.command('tokens').description('API tokens (for scripts and the CLI), each bound to a role');
  listingOptions(tokens.command('list').description('List API tokens (never their secret)')).action(async (options: { limit: number; offset: number; json?: boolean }) => {
    const page = await apiClientFromEnvironment().get<Page<ApiToken>>('/api/v1/tokens', { limit: options.limit, offset: options.offset });
    if (options.json) return printJson(page);
    printPage(page, [
      { header: 'ID', value: (t) => t.id },
      { header: 'NAME', value: (t) => t.name, maxWidth: 40 },
      { header: 'PREFIX', value: (t) => `${t.prefix}…` },
      { header: 'ROLE', value: (t) => roleLabel(t.role) },
      { header: 'STATUS', value: tokenStatus },
      { header: 'CREATED', value: (t) => formatTime(t.createdAt) },
      { header: 'LAST USED', value: (t) => formatTime(t.lastUsedAt) },
      { header: 'EXPIRES', value: (t) => formatTime(t.expiresAt) },
    ], 'tokens');
  });
  tokens
    .command('create')
    .description('Create an API token; its secret is shown once')
    .requiredOption('--name <name>', 'what the token is for')
    .addOption(roleOption())
    .option('--customer-org-id <uuid>', 'the customer organisation of a customer admin token')
    .option('--expires-at <time>', 'when it stops working (ISO 8601; default: never)')
    .option('--json', 'print the API\'s JSON (with the token)')
    .action(async (options: { name: string; role: Role; customerOrgId?: string; expiresAt?: string; json?: boolean }) => {
      if (options.role === 'customer_admin' && !options.customerOrgId) {
        throw new CliError('VALIDATION_FAILED', 'A customer admin token belongs to one customer organisation: give --customer-org-id.', { exitCode: USAGE_EXIT_CODE });
      }
      const created = await apiClientFromEnvironment().post<NewApiToken>('/api/v1/tokens', {
        name: options.name, role: options.role, customerOrgId: options.customerOrgId, expiresAt: options.expiresAt,
      });
      if (options.json) return printJson(created);
      process.stdout.write(`Created API token "${created.name}" (${roleLabel(created.role)}), ID ${created.id}.\n`);
      printFramed([`Token: ${created.token}`, 'Shown only this once. Use it as SWITCHBOARD_TOKEN or "Authorization: Bearer <token>".']);
    });
  tokens
    .command('revoke')
    .description('Revoke an API token')
    .argument('<id>', 'token ID (see tokens list)')
    .action(async (id: string) => {
      await apiClientFromEnvironment().delete(`/api/v1/tokens/${encodeURIComponent(id)}`);
      process.stdout.write(`Revoked API token ${id}.\n`);
    });

  const admin = program.command('admin').description('Administration straight on the database (no running server or token needed)');
  admin
    .command('create')
    .description('Create an administrator directly in the database — the first one of a PostgreSQL install, or one more')
    .requiredOption('--username <name>', 'sign-in name (letters, digits, . _ @ -)')
    .addOption(roleOption('partner_full_admin'))
    .option('--display-name <name>', 'name shown in the console')
    .option('--password <password>', 'initial password (12+ characters; default: generated and shown once)')
    .option('--customer-org-id <uuid>', 'the customer organisation of a customer admin')
    .option('--token', 'also create an API token with the same role and show it once')
    .option('--data-dir <dir>', 'embedded database directory (SWITCHBOARD_DATA_DIR)')
    .option('--database-url <url>', 'PostgreSQL URL (DATABASE_URL)')
    .action(async (options: AdminCreateOptions) => {
      checkNewUser(options.username, options.password, options.role, options.customerOrgId);
      const { user, generatedPassword, token, where } = await createAdminOnDatabase(options);
      process.stdout.write(`Created ${roleLabel(user.role)} ${user.username} (ID ${user.id}) in ${where}.\n`);
      const lines = [
        ...(generatedPassword ? [`Username: ${user.username}`, `Password: ${generatedPassword}`] : []),
        ...(token ? [`API token: ${token}`] : []),
      ];
      if (lines.length) printFramed([...lines, 'Shown only this once: keep it somewhere safe now.']);
    });
}
