// The console's one way to call the API: same-origin fetch with the session cookie, the CSRF
// token on every changing request, and the error envelope turned into a thrown ApiError.

export type ErrorBody = { code: string; message: string; details?: unknown; trackingId?: string | null };

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  readonly trackingId: string | null;

  constructor(status: number, body: ErrorBody) {
    super(body.message);
    this.name = 'ApiError';
    this.status = status;
    this.code = body.code;
    this.details = body.details;
    this.trackingId = body.trackingId ?? null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

// Held in memory only: after a reload it comes back from GET /api/v1/session.
let csrfToken: string | null = null;
let sessionLost: (() => void) | null = null;

export function setCsrfToken(token: string | null) {
  csrfToken = token;
}

/** Called on any 401 (other than a failed sign-in): the session ended or never existed. */
export function onSessionLost(handler: () => void) {
  sessionLost = handler;
}

type QueryValue = string | number | boolean | null | undefined | readonly string[];

export type RequestOptions = {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  query?: Record<string, QueryValue>;
  body?: unknown;
  signal?: AbortSignal;
  /** A 401 is an answer here (sign-in), not a lost session. */
  unauthenticatedIsAnswer?: boolean;
};

function queryString(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) for (const item of value) params.append(key, item);
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

function isEnvelope(body: unknown): body is { error: ErrorBody } {
  if (typeof body !== 'object' || body === null || !('error' in body)) return false;
  const error = (body as { error: unknown }).error;
  return typeof error === 'object' && error !== null && typeof (error as ErrorBody).code === 'string' && typeof (error as ErrorBody).message === 'string';
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  // No content-type without a body: Fastify refuses an empty JSON body.
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (!SAFE_METHODS.has(method) && csrfToken) headers['x-csrf-token'] = csrfToken;

  let response: Response;
  try {
    response = await fetch(path + queryString(options.query), {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, { code: 'NETWORK_ERROR', message: 'Cannot reach the Switchboard server. Check the connection and try again.' });
  }

  const text = response.status === 204 ? '' : await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  if (!response.ok) {
    const error = new ApiError(
      response.status,
      isEnvelope(body)
        ? body.error
        : { code: `HTTP_${response.status}`, message: `The server answered ${response.status} ${response.statusText}.`, trackingId: response.headers.get('TrackingID') },
    );
    if (response.status === 401 && !options.unauthenticatedIsAnswer) sessionLost?.();
    throw error;
  }
  return body as T;
}

// ---- Types of what the API returns (dates arrive as ISO strings) ----

export type Page<T> = { items: T[]; total: number; offset: number; limit: number };
export type PageQuery = { offset?: number; limit?: number };

export type Actor = { type: string; id: string | null; name: string; role: string; customerOrgId: string | null };
export type Session = { actor: Actor; csrfToken: string | null };

export type User = {
  id: string;
  username: string;
  displayName: string;
  role: string;
  customerOrgId: string | null;
  disabled: boolean;
  createdAt: string;
};

export type ApiToken = {
  id: string;
  name: string;
  prefix: string;
  role: string;
  customerOrgId: string | null;
  createdBy: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
};

export const jobStates = ['created', 'active', 'retry', 'completed', 'failed', 'cancelled'] as const;
export type JobState = (typeof jobStates)[number];
export const terminalJobStates: readonly JobState[] = ['completed', 'failed', 'cancelled'];

export type Job = {
  id: string;
  queue: string;
  title: string;
  entityType: string | null;
  entityId: string | null;
  state: JobState;
  progressPercent: number;
  progressStep: string | null;
  progressMessage: string | null;
  attempts: number;
  maxAttempts: number;
  input: unknown;
  result: unknown;
  error: unknown;
  createdBy: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
};
export type JobStep = { stepKey: string; state: string; attempts: number; startedAt: string; finishedAt: string | null };
export type JobDetail = Job & { steps: JobStep[] };

export type AuditEvent = {
  id: number;
  at: string;
  actorType: string;
  actorId: string | null;
  actorName: string;
  action: string;
  entityType: string;
  entityId: string | null;
  before: unknown;
  after: unknown;
  trackingId: string | null;
};

// ---- Endpoints ----

export async function getSession(): Promise<Session> {
  const session = await request<Session>('/api/v1/session');
  setCsrfToken(session.csrfToken);
  return session;
}

export async function signIn(username: string, password: string) {
  const result = await request<{ user: User; csrfToken: string; expiresAt: string }>('/api/v1/session', {
    method: 'POST',
    body: { username, password },
    unauthenticatedIsAnswer: true,
  });
  setCsrfToken(result.csrfToken);
  return result;
}

export async function signOut() {
  try {
    await request<null>('/api/v1/session', { method: 'DELETE', unauthenticatedIsAnswer: true });
  } finally {
    setCsrfToken(null);
  }
}

export type JobFilter = PageQuery & { state?: JobState | ''; queue?: string; includeRoutine?: 'true' };
export const listJobs = (filter: JobFilter, signal?: AbortSignal) => request<Page<Job>>('/api/v1/jobs', { query: filter, signal });
export const getJob = (id: string, signal?: AbortSignal) => request<JobDetail>(`/api/v1/jobs/${encodeURIComponent(id)}`, { signal });
export const retryJob = (id: string) => request<{ id: string; state: string }>(`/api/v1/jobs/${encodeURIComponent(id)}/retry`, { method: 'POST' });
export const cancelJob = (id: string) => request<{ id: string; state: string }>(`/api/v1/jobs/${encodeURIComponent(id)}/cancel`, { method: 'POST' });

export type AuditFilter = PageQuery & { action?: string; actor?: string; entityType?: string; entityId?: string; from?: string; to?: string };
export const listAudit = (filter: AuditFilter, signal?: AbortSignal) => request<Page<AuditEvent>>('/api/v1/audit', { query: filter, signal });

export type NewUser = { username: string; displayName?: string; role: string; password: string; customerOrgId?: string | null };
export type UserPatch = { displayName?: string; role?: string; password?: string; disabled?: boolean; customerOrgId?: string | null };
export const listUsers = (page: PageQuery, signal?: AbortSignal) => request<Page<User>>('/api/v1/users', { query: page, signal });
export const createUser = (user: NewUser) => request<User>('/api/v1/users', { method: 'POST', body: user });
export const updateUser = (id: string, patch: UserPatch) => request<User>(`/api/v1/users/${encodeURIComponent(id)}`, { method: 'PATCH', body: patch });

export type NewApiToken = { name: string; role: string; customerOrgId?: string | null; expiresAt?: string | null };
export const listTokens = (page: PageQuery, signal?: AbortSignal) => request<Page<ApiToken>>('/api/v1/tokens', { query: page, signal });
export const createToken = (token: NewApiToken) => request<ApiToken & { token: string }>('/api/v1/tokens', { method: 'POST', body: token });
export const revokeToken = (id: string) => request<null>(`/api/v1/tokens/${encodeURIComponent(id)}`, { method: 'DELETE' });

export type AttentionEntry = { id: string; label: string; detail?: string; at?: string | null; href?: string; acknowledge?: string };
export type AttentionItem = {
  key: string;
  area: string;
  title: string;
  summary: string;
  count: number;
  severity: 'info' | 'warning' | 'critical';
  href: string;
  acknowledged?: number;
  entries: AttentionEntry[];
};
export type FirstStep = { key: string; area: string; title: string; description: string; href: string; done: boolean };
export type Attention = { items: AttentionItem[]; firstSteps: FirstStep[]; unavailable: Array<{ area: string; message: string }>; at: string };
export const getAttention = (signal?: AbortSignal) => request<Attention>('/api/v1/attention', { signal });
/** An item's acknowledge action: the API path the attention report names (POST, no body). */
export const acknowledgeAttention = (path: string) => request<unknown>(path, { method: 'POST' });
