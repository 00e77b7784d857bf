import { z } from 'zod';
import { pageOf, pageQuery } from '../http/paging.ts';
import { timestampInput } from '../http/inputs.ts';
import type { HttpApp } from '../http/app-types.ts';
import type { PlatformServices } from '../services.ts';

const auditEvent = z
  .object({
    id: z.number().int(),
    at: z.date(),
    actorType: z.string(),
    actorId: z.string().nullable(),
    actorName: z.string(),
    action: z.string(),
    entityType: z.string(),
    entityId: z.string().nullable(),
    before: z.unknown(),
    after: z.unknown(),
    trackingId: z.string().nullable(),
  })
  .meta({ id: 'AuditEvent' });

export function registerAuditRoutes(app: HttpApp, { audit }: PlatformServices) {
  app.route({
    method: 'GET',
    url: '/api/v1/audit',
    config: { access: 'audit.read' },
    schema: {
      tags: ['Audit'],
      summary: 'The audit log, newest first',
      querystring: z.strictObject({
        ...pageQuery,
        entityType: z.string().max(100).optional(),
        entityId: z.string().max(200).optional(),
        action: z.string().max(100).optional(),
        actor: z.string().max(200).optional(),
        from: timestampInput().optional().describe('ISO 8601 time, inclusive'),
        to: timestampInput().optional().describe('ISO 8601 time, inclusive'),
      }),
      response: { 200: pageOf(auditEvent) },
    },
    handler: async (request) => {
      const { offset, limit, ...filter } = request.query;
      return { ...(await audit.find(filter, { offset, limit })), offset, limit };
    },
  });
}
