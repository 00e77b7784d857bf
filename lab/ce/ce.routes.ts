import { z } from 'zod';
import { AppError } from '../../platform/errors.ts';
import type { HttpApp } from '../../platform/http/app-types.ts';
import type { PlatformServices } from '../../platform/services.ts';
import type { Lab } from '../lab.area.ts';

// The Lab's room codecs (#17): each room's touch panel (the bookings pushed to it), its calls, the
// Join button, and faults.

const faults = z
  .strictObject({
    down: z.boolean().optional().describe('The codec does not answer (connections refused)'),
    unauthorized: z.boolean().optional().describe('Every request gets 401 (the admin password was changed on the codec)'),
    slowMs: z.number().int().min(0).max(600_000).optional(),
    failNext: z.array(z.strictObject({ path: z.string().min(1).max(200), count: z.number().int().min(1).max(10_000), status: z.number().int().min(400).max(599) })).max(20).optional(),
  })
  .meta({ id: 'CeFaults' });
const booking = z.object({ id: z.string(), title: z.string(), organizer: z.string(), privacy: z.string(), startTime: z.string(), endTime: z.string(), startTimeBuffer: z.number(), endTimeBuffer: z.number(), number: z.string(), protocol: z.string(), connectMode: z.string() });
const call = z.object({ id: z.number(), number: z.string(), bookingId: z.string(), status: z.string(), reason: z.string().optional() });
const codec = z.object({
  name: z.string(), url: z.string(), username: z.string(), productId: z.string(), version: z.string(), webexRegistered: z.boolean(), sipUri: z.string(),
  lastUpdated: z.string().nullable(), pushes: z.array(z.object({ method: z.string(), count: z.number(), at: z.string() })), bookings: z.array(booking), calls: z.array(call), faults,
}).meta({ id: 'LabCeCodec' });
const params = z.strictObject({ codec: z.string().min(1).max(100) });

export function registerLabCeRoutes(app: HttpApp, services: PlatformServices, lab: Lab) {
  const find = (name: string) => {
    const found = lab.ceCodecs.find((c) => c.name === name);
    if (!found) throw new AppError('NOT_FOUND', `The lab has no codec ${name}.`, { codec: name });
    return found;
  };
  const describe = (c: Lab['ceCodecs'][number]) => ({
    name: c.name, url: c.url, username: c.username, productId: c.productId, version: c.version, webexRegistered: c.webexRegistered, sipUri: c.sipUri,
    lastUpdated: c.lastUpdated(), pushes: c.pushes().slice(-10), bookings: c.bookings(), calls: c.calls().map(({ remote: _r, ...rest }) => rest), faults: c.getFaults(),
  });

  app.route({
    method: 'GET', url: '/api/v1/lab/ce', config: { access: 'lab.read' },
    schema: { tags: ['Lab'], summary: 'Simulated room codecs: each touch panel\'s bookings, calls and faults', response: { 200: z.object({ items: z.array(codec) }) } },
    handler: async () => ({ items: lab.ceCodecs.map(describe) }),
  });
  app.route({
    method: 'POST', url: '/api/v1/lab/ce/:codec/join', config: { access: 'lab.manage' },
    schema: {
      tags: ['Lab'], summary: 'Press Join on a booking of a simulated codec: it dials the booking\'s number (the space on a Lab CMS)', params,
      body: z.strictObject({ bookingId: z.string().min(1).max(200) }),
      response: { 200: z.object({ joined: z.boolean(), reason: z.string().optional(), call: call.optional() }) },
    },
    handler: async (request) => {
      const c = find(request.params.codec);
      const result = await c.join(request.body.bookingId);
      await services.audit.record({ actor: request.actor!, action: 'lab.ce.join', entityType: 'lab_ce_codec', entityId: c.name, after: { bookingId: request.body.bookingId, joined: result.joined, reason: result.reason }, trackingId: request.id });
      const { remote: _r, ...rest } = result.call ?? ({} as never);
      return { joined: result.joined, reason: result.reason, call: result.call ? rest : undefined };
    },
  });
  app.route({
    method: 'PUT', url: '/api/v1/lab/ce/:codec/faults', config: { access: 'lab.manage' },
    schema: { tags: ['Lab'], summary: 'Inject faults into a simulated codec; omitted fields keep their value', params, body: faults, response: { 200: faults } },
    handler: async (request) => {
      const c = find(request.params.codec);
      const before = c.getFaults();
      const after = await c.setFaults(request.body);
      await services.audit.record({ actor: request.actor!, action: 'lab.faults.set', entityType: 'lab_ce_codec', entityId: c.name, before, after, trackingId: request.id });
      return after;
    },
  });
  app.route({
    method: 'DELETE', url: '/api/v1/lab/ce/:codec/faults', config: { access: 'lab.manage' },
    schema: { tags: ['Lab'], summary: 'Clear every fault of a simulated codec', params, response: { 200: faults } },
    handler: async (request) => {
      const c = find(request.params.codec);
      const before = c.getFaults();
      const after = await c.setFaults({ down: undefined, unauthorized: undefined, slowMs: undefined, failNext: undefined });
      await services.audit.record({ actor: request.actor!, action: 'lab.faults.clear', entityType: 'lab_ce_codec', entityId: c.name, before, after, trackingId: request.id });
      return after;
    },
  });
}
