import { z } from 'zod';
import { requireActor } from '../platform/auth/auth.plugin.ts';
import { timestampText } from '../platform/http/inputs.ts';
import { errorResponses, parseInstant } from './subscribers.routes.ts';
import { fromWebexId, toWebexId, webexCodes, webexError } from './webex-errors.ts';
import type { HttpApp } from '../platform/http/app-types.ts';
import type { Organizations } from './organizations.service.ts';
import type { WorkspaceRow } from './directory.repository.ts';

// The Webex-compatible BroadWorks Enterprises (directory sync) and BroadWorks Workspaces APIs
// (https://webexapis.com/v1/broadworks/enterprises, …/workspaces): same paths, fields and limits.

const syncStatusSchema = z.object({
  lastSyncStartTime: z.string().optional(),
  lastSyncEndTime: z.string().optional(),
  syncStatus: z.string(),
  usersAdded: z.number().optional(),
  usersUpdated: z.number().optional(),
  usersDeleted: z.number().optional(),
  machinesAdded: z.number().optional(),
  machinesUpdated: z.number().optional(),
  machinesDeleted: z.number().optional(),
  totalExternalUsersInCI: z.number().optional(),
  totalExternalMachinesInCI: z.number().optional(),
  lastSuccessfulSyncTime: z.string().optional(),
  lastSyncTrackingId: z.string().optional(),
  errors: z.array(z.object({ errorCode: z.number(), description: z.string() })).optional(),
});
const directorySyncSchema = z.object({ enableDirSync: z.boolean(), directorySyncStatus: syncStatusSchema }).meta({ id: 'BroadWorksDirectorySync' });
const enterpriseSchema = z
  .object({ id: z.string(), orgId: z.string(), provisioningId: z.string(), spEnterpriseId: z.string(), broadworksDirectorySync: directorySyncSchema })
  .meta({ id: 'BroadWorksEnterprise' });
const workspaceSchema = z
  .object({ id: z.string(), provisioningId: z.string(), userId: z.string(), spEnterpriseId: z.string(), displayName: z.string(), primaryPhoneNumber: z.string().optional(), extension: z.string().optional(), created: z.string() })
  .meta({ id: 'BroadWorksWorkspace' });

const text = (max = 255) => z.string().max(max);

const syncStatuses = ['NOT_SYNCED', 'IN_PROGRESS', 'COMPLETE', 'FAILED'] as const;
/** The beta list filter: "supports multiple comma separated values", e.g. failed,in_progress,not_synced. */
function parseSyncStatuses(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const wanted = value.split(',').map((v) => v.trim().toUpperCase());
  const unknown = wanted.find((v) => !(syncStatuses as readonly string[]).includes(v));
  if (unknown !== undefined) throw webexError('VALIDATION_FAILED', webexCodes.INVALID_PARAMETER, `syncStatus must be among ${syncStatuses.join(', ')} (any case, comma separated); got "${unknown}".`, 'syncStatus');
  return wanted;
}
const enterpriseParams = z.strictObject({ id: z.string().min(1).max(256) });
const workspaceParams = z.strictObject({ workspaceId: z.string().min(1).max(256) });

function enterpriseId(param: string) {
  const id = fromWebexId('ENTERPRISE', param);
  if (!id) throw webexError('NOT_FOUND', webexCodes.ENTERPRISE_NOT_FOUND, `Enterprise ${param} does not exist.`);
  return id;
}
function workspaceId(param: string) {
  const id = fromWebexId('PLACE', param);
  if (!id) throw webexError('NOT_FOUND', webexCodes.WORKSPACE_NOT_FOUND, `Workspace ${param} does not exist.`);
  return id;
}

export function workspaceView(row: WorkspaceRow): z.infer<typeof workspaceSchema> {
  return {
    id: toWebexId('PLACE', row.id),
    provisioningId: row.provisioningId,
    userId: row.userId,
    spEnterpriseId: row.spEnterpriseId,
    displayName: row.displayName,
    ...(row.primaryPhoneNumber ? { primaryPhoneNumber: row.primaryPhoneNumber } : {}),
    ...(row.extension ? { extension: row.extension } : {}),
    created: row.created.toISOString(),
  };
}

export function registerEnterpriseRoutes(app: HttpApp, orgs: Organizations) {
  return app.register(async (scope) => {
    const v1 = scope as HttpApp;

    v1.route({
      method: 'GET',
      url: '/v1/broadworks/enterprises',
      config: { access: 'partner.read' },
      schema: {
        tags: ['BroadWorks Enterprises'],
        summary: 'List BroadWorks Enterprises',
        querystring: z.strictObject({
          spEnterpriseId: text().optional(),
          startsWith: text().optional().describe('The starting string of the enterprise identifiers to match against'),
          max: z.coerce.number().int().min(1).max(1000).default(100).describe('Up to 1000 (default 100)'),
          syncStatus: text(200).optional().describe('Beta: directory sync statuses, comma separated, any case (not_synced, in_progress, complete, failed)'),
          lastSyncEndTime: timestampText().optional().describe('Beta: only enterprises whose last directory sync ended at or after this time (epoch ms or ISO 8601)'),
          after: timestampText().optional().describe('Beta: only enterprises whose organisation was created after this time (epoch ms or ISO 8601)'),
        }),
        response: { 200: z.object({ items: z.array(enterpriseSchema) }), ...errorResponses },
      },
      handler: async (request) => {
        const q = request.query;
        const rows = await orgs.enterprises.list(
          { spEnterpriseId: q.spEnterpriseId, startsWith: q.startsWith, syncStatuses: parseSyncStatuses(q.syncStatus), lastSyncEndFrom: parseInstant('lastSyncEndTime', q.lastSyncEndTime), createdAfter: parseInstant('after', q.after) },
          q.max,
        );
        const items = [];
        for (const row of rows) {
          if (row.org.state !== 'active') continue;
          const external = row.sync ? await orgs.enterprises.externalUsers(row.org.id) : [];
          items.push({ id: toWebexId('ENTERPRISE', row.org.id), orgId: toWebexId('ORGANIZATION', row.org.id), provisioningId: row.provisioningId, spEnterpriseId: row.org.spEnterpriseId, broadworksDirectorySync: orgs.enterprises.syncView(row.sync ?? undefined, external) });
        }
        return { items };
      },
    });

    v1.route({
      method: 'GET',
      url: '/v1/broadworks/enterprises/:id/broadworksDirectorySync',
      config: { access: 'partner.read' },
      schema: { tags: ['BroadWorks Enterprises'], summary: 'Get Directory Sync Status for an Enterprise', params: enterpriseParams, response: { 200: directorySyncSchema, ...errorResponses } },
      handler: async (request) => orgs.enterprises.directorySyncStatus(enterpriseId(request.params.id)),
    });

    v1.route({
      method: 'PUT',
      url: '/v1/broadworks/enterprises/:id/broadworksDirectorySync',
      config: { access: 'partner.manage' },
      schema: {
        tags: ['BroadWorks Enterprises'],
        summary: 'Update Directory Sync for a BroadWorks Enterprise (turning it off removes the synced external users)',
        params: enterpriseParams,
        body: z.strictObject({ enableDirSync: z.boolean() }),
        response: { 200: z.object({ enableDirSync: z.boolean(), directorySyncStatus: z.object({ syncStatus: z.string() }) }), ...errorResponses },
      },
      handler: async (request) => orgs.enterprises.setDirectorySync(enterpriseId(request.params.id), request.body.enableDirSync, requireActor(request), request.id),
    });

    v1.route({
      method: 'POST',
      url: '/v1/broadworks/enterprises/:id/broadworksDirectorySync',
      config: { access: 'partner.manage' },
      schema: {
        tags: ['BroadWorks Enterprises'],
        summary: 'Trigger Directory Sync for an Enterprise (answers IN_PROGRESS; a job syncs)',
        params: enterpriseParams,
        body: z.strictObject({ syncStatus: z.literal('SYNC_NOW').describe('The only value allowed') }),
        response: { 200: z.object({ enableDirSync: z.boolean(), directorySyncStatus: z.object({ syncStatus: z.string() }) }), ...errorResponses },
      },
      handler: async (request) => orgs.enterprises.triggerDirectorySync(enterpriseId(request.params.id), requireActor(request), request.id),
    });

    v1.route({
      method: 'POST',
      url: '/v1/broadworks/enterprises/:id/broadworksDirectorySync/externalUser',
      config: { access: 'partner.manage' },
      schema: {
        tags: ['BroadWorks Enterprises'],
        summary: 'Trigger Directory Sync for a User (an external, non-Webex BroadWorks user)',
        params: enterpriseParams,
        body: z.strictObject({ userId: text().min(1) }),
        response: {
          200: z.object({
            userResponse: z.object({ userId: z.string(), firstName: z.string().optional(), lastName: z.string().optional(), extension: z.string().optional(), number: z.string().optional(), mobile: z.string().optional() }),
            status: z.enum(['ADD', 'UPDATE', 'DELETE', 'NO_OPERATION']),
          }),
          ...errorResponses,
        },
      },
      handler: async (request) => orgs.enterprises.syncExternalUser(enterpriseId(request.params.id), request.body.userId, requireActor(request), request.id),
    });

    v1.route({
      method: 'POST',
      url: '/v1/broadworks/workspaces',
      config: { access: 'partner.manage' },
      schema: {
        tags: ['BroadWorks Workspaces'],
        summary: 'Provision a BroadWorks Workspace (for an existing customer)',
        body: z.strictObject({ provisioningId: text(), userId: text().min(1), spEnterpriseId: text().min(1), displayName: text().min(1), primaryPhoneNumber: text(64).optional(), extension: text(32).optional() }),
        response: { 200: workspaceSchema, ...errorResponses },
      },
      handler: async (request) => workspaceView(await orgs.workspaces.create(request.body, requireActor(request), request.id)),
    });

    // Not in Webex's list of operations, but its PUT answers the same object; scripts check their work with it.
    v1.route({
      method: 'GET',
      url: '/v1/broadworks/workspaces/:workspaceId',
      config: { access: 'partner.read' },
      schema: { tags: ['BroadWorks Workspaces'], summary: 'Get a BroadWorks Workspace (ours; Webex documents create, update and remove)', params: workspaceParams, response: { 200: workspaceSchema, ...errorResponses } },
      handler: async (request) => workspaceView(await orgs.workspaces.get(workspaceId(request.params.workspaceId))),
    });

    v1.route({
      method: 'PUT',
      url: '/v1/broadworks/workspaces/:workspaceId',
      config: { access: 'partner.manage' },
      schema: {
        tags: ['BroadWorks Workspaces'],
        summary: 'Update a Broadworks Workspace',
        params: workspaceParams,
        body: z.strictObject({ userId: text().min(1).optional(), primaryPhoneNumber: text(64).optional(), extension: text(32).optional() }),
        response: { 200: workspaceSchema, ...errorResponses },
      },
      handler: async (request) => {
        if (!Object.keys(request.body).length) throw webexError('VALIDATION_FAILED', webexCodes.NULL_PARAMETER, 'Nothing to update.', 'userId');
        return workspaceView(await orgs.workspaces.update(workspaceId(request.params.workspaceId), request.body, requireActor(request), request.id));
      },
    });

    v1.route({
      method: 'DELETE',
      url: '/v1/broadworks/workspaces/:workspaceId',
      config: { access: 'partner.manage' },
      schema: { tags: ['BroadWorks Workspaces'], summary: 'Remove a BroadWorks Workspace', params: workspaceParams, response: { 204: z.null(), ...errorResponses } },
      handler: async (request, reply) => {
        await orgs.workspaces.remove(workspaceId(request.params.workspaceId), requireActor(request), request.id);
        return reply.status(204).send(null);
      },
    });
  });
}
