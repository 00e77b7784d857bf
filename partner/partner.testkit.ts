import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import AjvModule from 'ajv';
import { sql } from 'drizzle-orm';
import type { TestSwitchboard } from '../test/support/test-switchboard.ts';
import { gate, waitFor } from '../test/support/wait-for.ts';

/** The platform's test poller, here too so partner tests import their helpers from one place. */
export { waitFor };
import { customerTemplates } from './partner.schema.ts';

// Helpers for the partner tests: a cluster + template in one call, polling with a deadline (no
// fixed sleeps), and the Webex OpenAPI schemas as validators (contract tests).

export async function createClusterAndTemplate(t: TestSwitchboard, options: { name?: string; template?: Record<string, unknown> } = {}) {
  const name = options.name ?? `c${Math.random().toString(36).slice(2, 8)}`;
  const cluster = await t.api('POST', '/api/v1/partner/clusters', {
    name,
    xsiActionsUrl: 'https://xsp.example.com/com.broadsoft.xsi-actions/v2.0/',
    xsiEventsUrl: 'https://xsp.example.com/com.broadsoft.xsi-events/v2.0/',
    authServiceUrl: 'https://xsp.example.com/authService',
  });
  assert.equal(cluster.status, 201, JSON.stringify(cluster.body));
  const template = await t.api('POST', '/api/v1/partner/templates', {
    name: `${name}-template`,
    clusterId: cluster.body.id,
    provisioningAccount: 'prov-admin',
    provisioningPassword: 'prov-secret-1',
    partnerAdminEmail: 'partner.admin@partner.example',
    ...options.template,
  });
  assert.equal(template.status, 201, JSON.stringify(template.body));
  return { cluster: cluster.body, template: template.body };
}


export async function waitForStatus(t: TestSwitchboard, id: string, statuses: string[]) {
  return waitFor(`subscriber ${id} in ${statuses.join('/')}`, async () => {
    const res = await t.api('GET', `/v1/broadworks/subscribers/${id}`);
    return statuses.includes(res.body?.status) ? res.body : undefined;
  });
}

const Ajv = (AjvModule as unknown as { default: typeof AjvModule }).default ?? AjvModule;
const referenceDir = process.env.SWITCHBOARD_REFERENCE_DIR ?? path.resolve(import.meta.dirname, '../../shared/reference');

/** Validators for the Webex BroadWorks OpenAPI component schemas (null when the spec is absent). */
export function webexContract() {
  const file = path.join(referenceDir, 'webex-broadworks.openapi.json');
  if (!fs.existsSync(file)) return null;
  const spec = JSON.parse(fs.readFileSync(file, 'utf8'));
  const ajv = new (Ajv as any)({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ $id: 'webex-broadworks', components: spec.components });
  // The documented error body (Webex developer guide; the spec file carries no schema for it).
  ajv.addSchema({
    $id: 'webex-error',
    type: 'object',
    required: ['message', 'errors', 'trackingId'],
    properties: {
      message: { type: 'string' },
      trackingId: { type: 'string', minLength: 1 },
      errors: { type: 'array', minItems: 1, items: { type: 'object', required: ['errorCode', 'description'], properties: { errorCode: { type: 'number' }, description: { type: 'string' }, fieldName: { type: 'string' } } } },
    },
  });
  const check = (ref: string) => {
    const validate = ajv.getSchema(ref) ?? ajv.compile({ $ref: ref });
    return (body: unknown) => {
      const ok = validate(body);
      assert.ok(ok, `${ref}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`);
    };
  };
  return {
    subscriber: check('webex-broadworks#/components/schemas/Subscriber'),
    subscriberList: check('webex-broadworks#/components/schemas/SubscriberListResponse'),
    precheck: check('webex-broadworks#/components/schemas/SubscriberProvisioningPrecheckResponse'),
    error: check('webex-error'),
  };
}

let counter = 0;
export function subscriberBody(provisioningId: string, overrides: Record<string, unknown> = {}) {
  counter += 1;
  const n = `${process.pid}${counter}`;
  return {
    provisioningId,
    userId: `${n}@sp.example`,
    spEnterpriseId: 'SP1+acme',
    firstName: 'John',
    lastName: `Andersen${counter}`,
    package: 'standard',
    primaryPhoneNumber: `+1-240-555-${String(counter).padStart(4, '0')}`,
    email: `user${n}@acme.example`,
    ...overrides,
  };
}

/**
 * Runs `send` while accept transactions are held on a lock of the templates table: the batches
 * already started (one embedded, up to two on PostgreSQL, each of one request) wait on it and every
 * later request queues behind them. Released once all `count` are in, so the queued ones are decided
 * as one batch. `send` starts its requests at once (they arrive in any order), or, given one starter
 * per request, each after the one before has arrived. Resolves with what was started and how many
 * requests were decided alone first.
 */
export async function holdAcceptsTogether<T>(t: TestSwitchboard, count: number, send: (() => Promise<T>[]) | (() => Promise<T>)[]): Promise<{ results: T[]; alone: number }> {
  const locked = gate();
  const release = gate();
  const holder = t.sb.services.database.transaction(async (tx) => {
    await tx.execute(sql`lock table ${customerTemplates} in access exclusive mode`);
    locked.open();
    await release.promise;
  });
  await locked.promise;
  const gauge = async (name: string) => (await t.sb.services.metrics.registry.getSingleMetric(name)!.get()).values[0]?.value ?? 0;
  let alone = 0;
  const arrived = (n: number) =>
    waitFor(`${n} requests running or queued behind the held batches`, async () => {
      alone = await gauge('switchboard_partner_accept_batches_running');
      return alone + (await gauge('switchboard_partner_accept_waiting')) === n;
    });
  const pending: Promise<T>[] = [];
  try {
    if (typeof send === 'function') pending.push(...send());
    else
      for (const start of send) {
        pending.push(start());
        await arrived(pending.length);
      }
    await arrived(count);
  } finally {
    release.open();
    await holder;
  }
  return { results: await Promise.all(pending), alone };
}
