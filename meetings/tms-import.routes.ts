import { z } from 'zod';
import { requireActor } from '../platform/auth/auth.plugin.ts';
import { tmsBaseUrl } from './tms-import.connector.ts';
import { mappingLine, type TmsImportJobs } from './tms-import.jobs.ts';
import type { ErrorCode } from '../platform/errors.ts';
import type { HttpApp } from '../platform/http/app-types.ts';
import type { PlatformServices } from '../platform/services.ts';
import type { TmsImport } from './tms-import.service.ts';

// #16 part 2: the TMS import over REST — the dry run, the import job, one round of --follow.
// Importing every booking of a TMS is an administrator's act (bridges.manage), not a booker's.

const P = '/api/v1/meetings/tms-import';
const tags = ['Meetings'];
const UPSTREAM: ErrorCode[] = ['UPSTREAM_FAILED', 'UPSTREAM_UNREACHABLE', 'UPSTREAM_REFUSED_CREDENTIALS'];

const source = {
  url: z.string().trim().min(1).max(2000).describe('The TMS, e.g. https://tms.example.com'),
  username: z.string().min(1).max(255),
  password: z.string().min(1).max(255),
  insecureTls: z.boolean().optional().describe('Accept a self-signed certificate'),
  mapping: z.array(mappingLine).max(10_000).optional().describe('TMS systems (SystemId or SystemName) to bridges (id, name or address), or ignored'),
  horizonDays: z.number().int().min(1).max(400).optional().describe('How far ahead to import (default 400 days)'),
};

const system = z.object({
  systemId: z.number(), name: z.string(), type: z.string(), address: z.string(),
  mappedAs: z.enum(['bridge', 'dial-out', 'ignored', 'unmappable']),
  bridgeId: z.string().optional(), bridgeName: z.string().optional(), dialOut: z.string().optional(),
  by: z.enum(['address', 'mapping file', 'SIP URI']).optional(), reason: z.string().optional(),
});
const action = z.enum(['create', 'update', 'unchanged', 'conflict', 'unmappable', 'skipped']);
const item = z.object({
  conferenceId: z.number(), title: z.string(), start: z.string(), end: z.string(), series: z.boolean(),
  externalSourceId: z.string(), externalPrimaryKey: z.string(), action, reason: z.string().optional(),
  bookingId: z.string().optional(), bridgeId: z.string().optional(),
});
export const importReport = z.object({
  tms: z.string(), readAt: z.string(), horizonEnd: z.string(), cursor: z.number(),
  systems: z.array(system), items: z.array(item), totals: z.record(action, z.number()),
});
const outcome = importReport.extend({ outcomes: z.record(z.enum(['created', 'updated', 'unchanged', 'cancelled', 'conflict', 'failed', 'not imported']), z.number()) });

export function registerTmsImportRoutes(app: HttpApp, services: PlatformServices, deps: { tmsImport: TmsImport; jobs: TmsImportJobs }) {
  const { tmsImport, jobs } = deps;
  const sourceOf = (b: { url: string; username: string; password: string; insecureTls?: boolean }) => ({ url: b.url, username: b.username, password: b.password, insecureTls: b.insecureTls });

  app.route({
    method: 'POST', url: `${P}/dry-run`, config: { access: 'bridges.manage', errors: UPSTREAM },
    schema: { tags, summary: 'Dry run of a TMS import: what would be imported, what conflicts, what cannot be mapped and why (#16)', body: z.strictObject(source), response: { 200: importReport } },
    handler: async (request) => tmsImport.dryRun(sourceOf(request.body), request.body, requireActor(request)),
  });
  app.route({
    method: 'POST', url: P, config: { access: 'bridges.manage', errors: ['CONFLICT'] },
    schema: { tags, summary: 'Import the TMS\'s future bookings (job; re-running it updates, never duplicates)', body: z.strictObject(source), response: { 202: z.object({ jobId: z.string() }) } },
    handler: async (request, reply) => {
      const b = request.body;
      const url = tmsBaseUrl(b.url);
      const actor = requireActor(request);
      const sent = await services.jobs.send(jobs.importTms, {
        url, username: b.username, passwordSealed: services.secrets.seal(b.password), insecureTls: b.insecureTls, mapping: b.mapping, horizonDays: b.horizonDays,
        actor: { type: actor.type, id: actor.id, name: actor.name, role: actor.role, customerOrgId: actor.customerOrgId ?? null },
      }, { actor, singletonKey: new URL(url).host });
      return reply.code(202).send({ jobId: sent.id });
    },
  });
  app.route({
    method: 'POST', url: `${P}/follow`, config: { access: 'bridges.manage', errors: UPSTREAM },
    schema: {
      tags, summary: 'One round of following a TMS until cut-over: its changes since the cursor (GetTransactionsSince), imported',
      body: z.strictObject({ ...source, cursor: z.number().int().min(0).max(2_147_483_647) }),
      response: { 200: outcome },
    },
    handler: async (request) => tmsImport.follow(sourceOf(request.body), request.body, requireActor(request)),
  });
}
