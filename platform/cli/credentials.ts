import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApiClient, normaliseServerUrl, type ApiClient } from './api-client.ts';
import { CliError } from './cli-error.ts';

// Where the CLI finds the server and its token. These are the client's settings, not the server's
// (platform/config.ts): SWITCHBOARD_URL / SWITCHBOARD_TOKEN win over what `switchboard login`
// stored in ~/.config/switchboard/credentials.json (mode 0600).

export type StoredCredentials = {
  url: string;
  token: string;
  /** The token's id, so `switchboard logout` can revoke it. */
  tokenId?: string;
  username?: string;
  createdAt?: string;
};

export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  const configHome = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(configHome, 'switchboard', 'credentials.json');
}

export function readCredentials(env: NodeJS.ProcessEnv = process.env): StoredCredentials | null {
  const file = credentialsPath(env);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CliError('CREDENTIALS_UNREADABLE', `Cannot read ${file}: ${(error as Error).message}.`);
  }
  try {
    const parsed = JSON.parse(text) as StoredCredentials;
    if (typeof parsed.url !== 'string' || typeof parsed.token !== 'string') throw new Error('url or token missing');
    return parsed;
  } catch (error) {
    throw new CliError('CREDENTIALS_UNREADABLE', `${file} is not a credentials file (${(error as Error).message}).`, {
      hint: 'Sign in again with `switchboard login --url <url> --username <name>`.',
    });
  }
}

/** Writes the file readable by its owner only; a token there is as good as a password. */
export function writeCredentials(credentials: StoredCredentials, env: NodeJS.ProcessEnv = process.env): string {
  const file = credentialsPath(env);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(temporary, 0o600);
  fs.renameSync(temporary, file);
  return file;
}

export function removeCredentials(env: NodeJS.ProcessEnv = process.env): boolean {
  const file = credentialsPath(env);
  if (!fs.existsSync(file)) return false;
  fs.rmSync(file);
  return true;
}

export type ApiTarget = { url: string; token: string; source: 'environment' | 'credentials file' };

/** The server and token to use: environment first, then the credentials file. */
export function resolveApiTarget(env: NodeJS.ProcessEnv = process.env): ApiTarget {
  const stored = readCredentials(env);
  const url = env.SWITCHBOARD_URL ? normaliseServerUrl(env.SWITCHBOARD_URL) : stored ? normaliseServerUrl(stored.url) : null;
  const signIn = 'Sign in with `switchboard login --url <url> --username <name>`, or set SWITCHBOARD_URL and SWITCHBOARD_TOKEN.';
  if (!url) throw new CliError('NOT_SIGNED_IN', 'No Switchboard server is configured.', { hint: signIn });
  // A stored token belongs to the server it was made on; never send it to another one.
  const storedToken = stored && normaliseServerUrl(stored.url) === url ? stored.token : null;
  const token = env.SWITCHBOARD_TOKEN || storedToken;
  if (!token) throw new CliError('NOT_SIGNED_IN', `No API token for ${url}.`, { hint: signIn });
  return { url, token, source: env.SWITCHBOARD_TOKEN ? 'environment' : 'credentials file' };
}

/** The API client every API command uses. */
export function apiClientFromEnvironment(env: NodeJS.ProcessEnv = process.env): ApiClient {
  const target = resolveApiTarget(env);
  return createApiClient({ url: target.url, token: target.token });
}
