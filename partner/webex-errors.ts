import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { dataException } from '../platform/http/data-exception.ts';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorCode } from '../platform/errors.ts';

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
  /** Ours: anything else. */
  INTERNAL: 1500,
} as const;

export type WebexErrorItem = { errorCode: number; description: string; fieldName?: string };

/** Throw from partner services: an AppError (status from the platform table) carrying Webex codes. */
export function webexError(code: ErrorCode, webexCode: number, description: string, fieldName?: string): AppError {
  return new AppError(code, description, { webexErrors: [{ errorCode: webexCode, description, ...(fieldName ? { fieldName } : {}) }] });
}

function body(request: FastifyRequest, message: string, errors: WebexErrorItem[]) {
  return { message, errors, trackingId: request.id };
}

const fallbackCode = (status: number) =>
  status === 401 ? webexCodes.UNAUTHORIZED : status === 403 ? webexCodes.FORBIDDEN : status === 404 ? webexCodes.SUBSCRIBER_NOT_FOUND : status >= 500 ? webexCodes.INTERNAL : webexCodes.INVALID_PARAMETER;

/**
 * The Webex error body `{ message, errors: [{ errorCode, description, fieldName? }], trackingId }`
 * for the `/v1` scope; `/api` keeps the platform envelope. Installed on an encapsulated Fastify
 * scope, so the auth hook's and the validators' errors come here too.
 */
export function installWebexErrorHandler(scope: FastifyInstance) {
  scope.setErrorHandler((error: FastifyError, request, reply: FastifyReply) => {
    reply.header('TrackingID', request.id);
    if (error instanceof AppError) {
      if (error.status >= 500) request.log.error({ err: error }, error.message);
      const given = (error.details as { webexErrors?: WebexErrorItem[] } | undefined)?.webexErrors;
      const errors = given ?? [{ errorCode: fallbackCode(error.status), description: error.message }];
      return reply.status(error.status).send(body(request, error.message, errors));
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const errors: WebexErrorItem[] = error.validation.map((v) => {
        const path = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
        const missing = v.keyword === 'invalid_type' && /received undefined/.test(v.message ?? '');
        const fieldName = path || undefined;
        if (missing) return { errorCode: webexCodes.NULL_PARAMETER, description: `Null Parameter: ${fieldName} is mandatory.`, fieldName };
        const size = v.keyword === 'too_big' || v.keyword === 'too_small';
        return {
          errorCode: size ? webexCodes.INVALID_PARAMETER_SIZE : webexCodes.INVALID_PARAMETER,
          description: `${size ? 'Invalid Parameter Size' : 'Invalid Parameter'}: ${path || error.validationContext} ${v.message}`,
          ...(fieldName ? { fieldName } : {}),
        };
      });
      return reply.status(400).send(body(request, errors.map((e) => e.description).join('; '), errors));
    }
    const refused = dataException(error);
    if (refused) {
      request.log.warn({ err: error }, 'the database refused a value of the request');
      const description = `Invalid Parameter: a value is out of range or malformed (${refused.message})`;
      return reply.status(400).send(body(request, description, [{ errorCode: webexCodes.INVALID_PARAMETER, description }]));
    }
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error }, 'unhandled error');
    const message = status === 500 ? 'Something went wrong on the server. Quote the tracking ID when reporting it.' : error.message;
    return reply.status(status).send(body(request, message, [{ errorCode: fallbackCode(status), description: message }]));
  });
}

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
