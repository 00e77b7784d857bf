import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { z } from 'zod';
import { AppError } from '../platform/errors.ts';
import { systemActor } from '../platform/auth/actor.ts';
import * as repo from './partner.repository.ts';
import { toWebexId, type WebexErrorItem } from './webex-errors.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HttpApp } from '../platform/http/app-types.ts';
import type { ErrorDialect } from '../platform/http/error-handler.ts';
import type { PlatformServices } from '../platform/services.ts';
import type { Partner } from './partner.service.ts';

// The BroadWorks Provisioning Bridge: what the AS's Integrated IM&P provisioning adapter calls when
// a user's IM&P service is turned on or off. Cisco's wire format (UC-One SaaS) is not public; this
// is our stand-in in its spirit — XML over HTTPS, HTTP Basic with the template's provisioning
// account, one URL per template — documented in partner/README.md.

export const bridgePath = (provisioningId: string) => `/provisioning-bridge/${encodeURIComponent(provisioningId)}`;

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, trimValues: true });
const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@', format: true, suppressEmptyNode: true });

const bridgeUser = z.object({
  '@action': z.enum(['add', 'modify', 'delete']),
  userId: z.string().min(1).max(255),
  serviceProviderId: z.string().min(1).max(255),
  groupId: z.string().min(1).max(255),
  firstName: z.string().max(255).optional(),
  lastName: z.string().max(255).optional(),
  email: z.string().max(320).optional(),
  primaryPhoneNumber: z.string().max(64).optional(),
  mobilePhoneNumber: z.string().max(64).optional(),
  extension: z.string().max(32).optional(),
  language: z.string().max(16).optional(),
  timezone: z.string().max(64).optional(),
});

const responseXml = (body: Record<string, unknown>, trackingId: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build({ provisioningResponse: { '@version': '1.0', ...body, trackingId } })}`;
const failureBody = (errors: WebexErrorItem[]) => ({ status: 'failed', error: errors.map((e) => ({ errorCode: e.errorCode, description: e.description, ...(e.fieldName ? { fieldName: e.fieldName } : {}) })) });
const failureCode = (status: number) => (status === 401 ? 1401 : status === 403 ? 1403 : status >= 500 ? 1500 : 1003);

function answer(reply: FastifyReply, request: FastifyRequest, status: number, body: Record<string, unknown>) {
  return reply.status(status).type('application/xml; charset=utf-8').header('TrackingID', request.id).send(responseXml(body, request.id));
}

function failure(reply: FastifyReply, request: FastifyRequest, status: number, errors: WebexErrorItem[]) {
  return answer(reply, request, status, failureBody(errors));
}

/**
 * Errors met before the route's own handler (a URL that does not decode, an unknown method or path
 * under the bridge, headers too large) in the bridge's XML, as its adapter reads every answer.
 */
export const provisioningBridgeErrorDialect: ErrorDialect = {
  prefix: '/provisioning-bridge/',
  schema: z.string().meta({ id: 'ProvisioningResponse' }),
  contentType: 'application/xml; charset=utf-8',
  body: (error, trackingId) => responseXml(failureBody([{ errorCode: failureCode(error.status), description: error.message }]), trackingId),
};

function basicCredentials(request: FastifyRequest): { account: string; password: string } | null {
  const header = request.headers.authorization;
  if (!header?.toLowerCase().startsWith('basic ')) return null;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : { account: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function registerFlowThroughRoutes(app: HttpApp, services: PlatformServices, partner: Partner) {
  return app.register(async (scope) => {
    const fastify = scope as unknown as FastifyInstance;
    fastify.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'string' }, (_request, body, done) => done(null, body));
    fastify.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
      const status = error instanceof AppError ? error.status : error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
      if (status >= 500) request.log.error({ err: error }, 'provisioning bridge failed');
      const given = error instanceof AppError ? (error.details as { webexErrors?: WebexErrorItem[] } | undefined)?.webexErrors : undefined;
      return failure(reply, request, status, given ?? [{ errorCode: failureCode(status), description: status >= 500 ? 'Provisioning bridge failure; quote the tracking ID.' : error.message }]);
    });

    (scope as HttpApp).route({
      method: 'POST',
      // Outside /api and /v1 on purpose: the adapter authenticates with HTTP Basic (the template's
      // provisioning account), which the platform's bearer/session hook for those prefixes refuses.
      url: '/provisioning-bridge/:provisioningId',
      schema: {
        tags: ['BroadWorks Provisioning Bridge'],
        summary: 'Flow-through provisioning from the BroadWorks Integrated IM&P adapter (XML, HTTP Basic = template provisioning account)',
        params: z.strictObject({ provisioningId: z.string().min(1).max(255) }),
        body: z.string().max(64 * 1024),
        // XML both ways, errors included (a provisioningResponse with status failed): the document
        // says so, rather than the JSON it would assume.
        consumes: ['application/xml', 'text/xml'],
        produces: ['application/xml'],
        response: Object.fromEntries([200, 400, 401, 403, 409, 413, 415].map((status) => [status, z.string().describe('provisioningResponse (XML)')])),
      },
      handler: async (request, reply) => {
        const { provisioningId } = request.params;
        const credentials = basicCredentials(request);
        const refuse = () => {
          reply.header('WWW-Authenticate', 'Basic realm="BroadWorks Provisioning Bridge"');
          return failure(reply, request, 401, [{ errorCode: 1401, description: 'Unknown provisioning URL or wrong provisioning account name or password.' }]);
        };
        if (!credentials) return refuse();
        // The account of an `add` is checked inside the accept batch (its one read of the templates);
        // every other request checks it here, before anything about the request is answered.
        const authenticated = async () => Boolean(await partner.templates.checkProvisioningAccount(provisioningId, credentials.account, credentials.password));
        let parsed: unknown;
        try {
          parsed = parser.parse(request.body, true);
        } catch (error) {
          if (!(await authenticated())) return refuse();
          return failure(reply, request, 400, [{ errorCode: 1003, description: `The body is not well-formed XML: ${(error as Error).message}` }]);
        }
        const user = bridgeUser.safeParse((parsed as { provisioningRequest?: { user?: unknown } })?.provisioningRequest?.user);
        if (!user.success) {
          if (!(await authenticated())) return refuse();
          const issue = user.error.issues[0]!;
          const missing = issue.code === 'invalid_type' && /undefined/.test(issue.message);
          const fieldName = issue.path.join('.').replace(/^@/, '') || 'user';
          return failure(reply, request, 400, [{ errorCode: missing ? 1001 : 1003, description: `${missing ? 'Null Parameter' : 'Invalid Parameter'}: ${fieldName}`, fieldName }]);
        }
        const u = user.data;
        if (u['@action'] !== 'add') {
          if (!(await authenticated())) return refuse();
          const actor = systemActor(`provisioning-bridge:${credentials.account}`);
          const existing = await repo.findSubscriberByUserId(services.database.db, u.userId);
          if (u['@action'] === 'delete') {
            if (existing) await partner.subscribers.remove(existing.id, actor, request.id);
            return answer(reply, request, 200, { status: existing ? 'accepted' : 'noop', userId: u.userId });
          }
          if (existing) {
            const { '@action': _a, serviceProviderId: _s, groupId: _g, email: _e, ...change } = u;
            const updated = await partner.subscribers.update(existing.id, change, actor, request.id);
            return answer(reply, request, 200, { status: 'accepted', subscriberId: toWebexId('SUBSCRIBER', updated.id), subscriberStatus: updated.status });
          }
          // A modify of a user we do not know provisions it, like an add.
        }
        const outcome = await partner.subscribers.acceptBridgeAdd(
          {
            provisioningId,
            userId: u.userId,
            spEnterpriseId: `${u.serviceProviderId}+${u.groupId}`,
            firstName: u.firstName ?? '',
            lastName: u.lastName ?? '',
            primaryPhoneNumber: u.primaryPhoneNumber,
            mobilePhoneNumber: u.mobilePhoneNumber,
            extension: u.extension,
            email: u.email,
            language: u.language,
            timezone: u.timezone,
          },
          credentials,
          request.id,
        );
        if (!outcome) return refuse();
        // Success means "started", as with Webex: the job finishes it. A user ID already known is a noop.
        return answer(reply, request, 200, { status: outcome.status, subscriberId: toWebexId('SUBSCRIBER', outcome.row.id), subscriberStatus: outcome.row.status });
      },
    });
  });
}
