import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import { AppError, type ErrorCode } from '../platform/errors.ts';
import type { ErrorDialect } from '../platform/http/error-handler.ts';

/**
 * Webex BroadWorks error codes. Verified ones carry Cisco's text; the others are ours (the public
 * docs do not list them) and are documented as such in partner/README.md.
 */
export const webexCodes = {
  /** Verified: "Null Parameter", with fieldName. */
  NULL_PARAMETER: 1001,
  /** Verified code: "Invalid Parameter Size". */
  INVALID_PARAMETER_SIZE: 1002,
  /** Ours: a parameter has a value we cannot accept. */
  INVALID_PARAMETER: 1003,
  /** Ours: no template has this provisioning ID. */
  UNKNOWN_PROVISIONING_ID: 1004,
  /** Ours: the customer is a Wholesale customer ("Wholesale customers will be rejected"). */
  WHOLESALE_REJECTED: 1005,
  /** Ours: the subscriber does not exist. */
  SUBSCRIBER_NOT_FOUND: 1006,
  /** Ours: the subscriber's status does not allow this now. */
  INVALID_STATUS: 1007,
  /** Ours: no enterprise (customer organisation) with this ID / spEnterpriseId. */
  ENTERPRISE_NOT_FOUND: 1008,
  /** Ours: the workspace does not exist. */
  WORKSPACE_NOT_FOUND: 1009,
  /** Ours: the person does not exist (or is not in an organisation the caller manages). */
  PERSON_NOT_FOUND: 1010,
  /** Ours: the organisation does not exist. */
  ORGANIZATION_NOT_FOUND: 1011,
  /** Ours (P12): the person is the organisation's last full administrator; no automatic transfer. */
  LAST_ADMIN: 1012,
  /** Ours: the organisation cannot be deleted now (the documented 409 conditions). */
  ORGANIZATION_NOT_DELETABLE: 1013,
  /** Ours: directory sync is disabled for the enterprise. */
  DIRECTORY_SYNC_DISABLED: 1014,
  /** Webex example: directory sync could not reach the BroadWorks cluster (in the sync status errors). */
  DIRECTORY_SYNC_UNREACHABLE: 6003,
  /** Seed 001: unable to provision the subscriber into an existing Webex organisation (approval needed). */
  ATTACH_APPROVAL_REQUIRED: 2017,
  /** Verified: the BroadWorks UserID is already associated with an existing user. */
  USER_ID_IN_USE: 10022,
  /** Ours: the email belongs to another subscriber or to a person of another organisation. */
  EMAIL_IN_USE: 10023,
  /** Ours: authentication / authorisation failures. */
  UNAUTHORIZED: 1401,
  FORBIDDEN: 1403,
  /** Ours: anything else on the server's side (5xx). */
  INTERNAL: 1500,
  // Ours, 1000 + the HTTP status: no such route (1404), a method the path does not take (1405), a
  // request too slow (1408), body/URL/headers too large (1413/1414/1431), not JSON (1415), too many
  // requests (1429).
} as const;

export type WebexErrorItem = { errorCode: number; description: string; fieldName?: string };

/** Throw from partner services: an AppError (status from the platform table) carrying Webex codes. */
export function webexError(code: ErrorCode, webexCode: number, description: string, fieldName?: string): AppError {
  return new AppError(code, description, { webexErrors: [{ errorCode: webexCode, description, ...(fieldName ? { fieldName } : {}) }] });
}

/** Webex's error body (the `ErrorResponse` of its admin APIs, with 1001's `fieldName`). */
export const webexErrorBody = z
  .object({
    message: z.string(),
    errors: z.array(z.object({ errorCode: z.number(), description: z.string(), fieldName: z.string().optional() })),
    trackingId: z.string(),
  })
  .meta({ id: 'WebexError' });

/** A status without a Webex code of its own: 1401, 1403, 1500 as before; 1000 + the status for the transport's refusals. */
function fallbackCode(code: string, status: number): number {
  if (status >= 500) return webexCodes.INTERNAL;
  if (code === 'NOT_FOUND') return webexCodes.SUBSCRIBER_NOT_FOUND;
  if (status === 400 || status === 409) return webexCodes.INVALID_PARAMETER;
  return 1000 + status;
}

type Issue = { location?: string; path?: string; message?: string; code?: string };

/** The value at a dotted path of the part of the request a validation issue is about; undefined when absent. */
function valueAt(request: FastifyRequest | undefined, location: string | undefined, path: string): unknown {
  const part: unknown = location === 'body' ? request?.body : location === 'querystring' ? request?.query : location === 'params' ? request?.params : undefined;
  return path.split('.').filter(Boolean).reduce<unknown>((value, key) => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), part);
}

/** A validation issue as Webex words it: a field that is absent is 1001 whatever its type, a size 1002, else 1003. */
function webexIssue(issue: Issue, request: FastifyRequest | undefined): WebexErrorItem {
  const path = issue.path ?? '';
  const fieldName = path || undefined;
  const missing = fieldName !== undefined && request !== undefined && valueAt(request, issue.location, path) === undefined;
  if (missing) return { errorCode: webexCodes.NULL_PARAMETER, description: `Null Parameter: ${fieldName} is mandatory.`, fieldName };
  const size = issue.code === 'too_big' || issue.code === 'too_small';
  return {
    errorCode: size ? webexCodes.INVALID_PARAMETER_SIZE : webexCodes.INVALID_PARAMETER,
    description: `${size ? 'Invalid Parameter Size' : 'Invalid Parameter'}: ${path || issue.location} ${issue.message}`,
    ...(fieldName ? { fieldName } : {}),
  };
}

/**
 * The Webex error body `{ message, errors: [{ errorCode, description, fieldName? }], trackingId }`
 * for everything under `/v1/` — a rule's error, validation, auth, an unknown route or method, 413,
 * 414, 431; `/api` keeps the platform envelope. Status, code and message come from the platform's one
 * mapping (platform/http/error-handler.ts); this only writes them as Webex does.
 */
export const webexErrorDialect: ErrorDialect = {
  prefix: '/v1/',
  schema: webexErrorBody,
  body(error, trackingId, request) {
    const given = error.details.webexErrors as WebexErrorItem[] | undefined;
    const issues = error.code === 'VALIDATION_FAILED' && Array.isArray(error.details.issues) ? (error.details.issues as Issue[]) : undefined;
    const errors = given ?? issues?.map((issue) => webexIssue(issue, request)) ?? [{ errorCode: fallbackCode(error.code, error.status), description: error.message }];
    const message = issues ? errors.map((e) => e.description).join('; ') : error.message;
    return { message, errors, trackingId };
  },
};

/** Webex-style IDs: unpadded base64url of `ciscospark://us/<TYPE>/<uuid>`. */
export function toWebexId(type: 'SUBSCRIBER' | 'PEOPLE' | 'ORGANIZATION' | 'ENTERPRISE' | 'PLACE' | 'ROLE', uuid: string): string {
  return Buffer.from(`ciscospark://us/${type}/${uuid}`).toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function fromWebexId(type: 'SUBSCRIBER' | 'PEOPLE' | 'ORGANIZATION' | 'ENTERPRISE' | 'PLACE' | 'ROLE', id: string): string | null {
  if (UUID.test(id)) return id.toLowerCase();
  const decoded = Buffer.from(id, 'base64url').toString('utf8');
  const prefix = `ciscospark://us/${type}/`;
  if (!decoded.startsWith(prefix)) return null;
  const uuid = decoded.slice(prefix.length);
  return UUID.test(uuid) ? uuid.toLowerCase() : null;
}
