import { createSwitchboard, type Switchboard, type SwitchboardOptions } from '../../platform/app.ts';
import { createTestDatabase } from './test-database.ts';
import type { ConfigOverrides } from '../../platform/config.ts';
import type { Role } from '../../platform/auth/roles.ts';

export type ApiResponse<T = any> = { status: number; body: T; headers: Headers };

export type TestSwitchboard = {
  sb: Switchboard;
  url: string;
  admin: { username: string; password: string };
  adminToken: string;
  /** Calls the API with a bearer token (the admin's unless `token` is given; null = anonymous). */
  api<T = any>(method: string, path: string, body?: unknown, options?: { token?: string | null; headers?: Record<string, string> }): Promise<ApiResponse<T>>;
  tokenFor(role: Role, customerOrgId?: string): Promise<string>;
  close(): Promise<void>;
};

/** Starts a whole Switchboard (HTTP on an ephemeral port) on a fresh database. */
export async function startTestSwitchboard(options: Omit<SwitchboardOptions, 'config'> & { config?: ConfigOverrides } = {}): Promise<TestSwitchboard> {
  const database = await createTestDatabase(options.config);
  const sb = await createSwitchboard({ ...options, config: database.config, createFirstAdmin: true });
  const url = await sb.listen();
  const admin = sb.firstAdmin!;
  const systemActor = { type: 'system' as const, id: null, name: 'test', role: 'system' as const, customerOrgId: null };
  const adminToken = (await sb.services.auth.createApiToken({ name: 'test-admin', role: 'partner_full_admin' }, systemActor)).token;

  async function api<T>(method: string, path: string, body?: unknown, opts: { token?: string | null; headers?: Record<string, string> } = {}): Promise<ApiResponse<T>> {
    const token = opts.token === undefined ? adminToken : opts.token;
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (token) headers.authorization = `Bearer ${token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(url + path, { method, headers, body: payload });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON (metrics, XML): keep the text
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  return {
    sb,
    url,
    admin,
    adminToken,
    api,
    async tokenFor(role, customerOrgId) {
      return (await sb.services.auth.createApiToken({ name: `test-${role}`, role, customerOrgId: customerOrgId ?? (role === 'customer_admin' ? '00000000-0000-4000-8000-000000000001' : null) }, systemActor)).token;
    },
    async close() {
      await sb.close();
      await database.drop();
    },
  };
}
