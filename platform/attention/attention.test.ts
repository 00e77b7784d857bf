import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { z } from 'zod';
import { startTestSwitchboard, type TestSwitchboard } from '../../test/support/test-switchboard.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import { defineJob } from '../jobs/define-job.ts';
import { AppError } from '../errors.ts';
import { systemActor } from '../auth/actor.ts';
import { labArea } from '../../lab/lab.area.ts';
import { createMeetingsArea } from '../../meetings/meetings.area.ts';
import { licensingArea } from '../../licensing/licensing.area.ts';
import { partnerArea } from '../../partner/partner.area.ts';
import { smartAccounts } from '../../licensing/licensing.schema.ts';

// GET /api/v1/attention: the home page's one call. Counts follow what happens in the areas, and a
// role sees only the areas it may read.

const failing = defineJob({
  queue: 'test.attention-fails',
  input: z.object({ n: z.number() }),
  title: (input) => `Doomed job ${input.n}`,
  retryLimit: 0,
  async run() {
    throw new AppError('UPSTREAM_UNREACHABLE', 'It never works.');
  },
});

type Item = { key: string; count: number; acknowledged?: number; href: string; entries: Array<{ id: string; label: string; acknowledge?: string }> };
type Report = { items: Item[]; firstSteps: Array<{ key: string; done: boolean }>; unavailable: unknown[] };

describe('attention API (home page)', () => {
  let t: TestSwitchboard;
  let booker: string;
  let readOnly: string;
  const attention = async (token?: string) => {
    const res = await t.api<Report>('GET', '/api/v1/attention', undefined, token ? { token } : {});
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };
  const item = (report: Report, key: string) => report.items.find((i) => i.key === key);

  before(async () => {
    // Lab on: its CMS clusters become Meetings bridges, and its faults are what Lab counts.
    t = await startTestSwitchboard({ areas: [labArea, createMeetingsArea({ scheduler: false }), licensingArea, partnerArea], jobs: [failing], config: { lab: 'true', jobPollSeconds: 0.5 } as never });
    booker = await t.tokenFor('booker');
    readOnly = await t.tokenFor('read_only_admin');
  });
  after(async () => t?.close());

  test('an admin sees every area with its link; nothing is unavailable', async () => {
    const report = await attention();
    assert.deepEqual(report.unavailable, []);
    for (const key of ['jobs.failed', 'jobs.stuck', 'meetings.tickets', 'licensing.alerts', 'partner.subscribers-error', 'lab.faults']) assert.ok(item(report, key), `no ${key}`);
    assert.equal(item(report, 'jobs.failed')!.href, '/jobs?state=failed');
    assert.ok(report.firstSteps.some((s) => s.key === 'partner.subscriber' && !s.done));
  });

  test('a failed job is counted, with a link to it', async () => {
    const before = item(await attention(), 'jobs.failed')!.count;
    const { id } = await t.sb.services.jobs.send(failing, { n: 1 }, { actor: systemActor('attention-test') });
    const after = await waitFor('the failed job counted', async () => {
      const found = item(await attention(), 'jobs.failed')!;
      return found.count === before + 1 ? found : null;
    });
    assert.ok(after.entries.some((e) => e.id === id && e.label === 'Doomed job 1'));
  });

  test('an opened bridge ticket is counted; acknowledging takes it off the count', async () => {
    const bridge = await waitFor('a Lab bridge registered', async () => (await t.api('GET', '/api/v1/meetings/bridges')).body.items?.[0]);
    const before = item(await attention(), 'meetings.tickets')!.count;
    const opened = await t.api('POST', `/api/v1/meetings/bridges/${bridge.id}/tickets`, { title: 'Rack power check', detail: 'PDU B alarm' });
    assert.equal(opened.status, 201, JSON.stringify(opened.body));
    const report = await attention();
    const tickets = item(report, 'meetings.tickets')!;
    assert.equal(tickets.count, before + 1);
    const entry = tickets.entries.find((e) => e.id === String(opened.body.id))!;
    assert.match(entry.label, /Rack power check/);
    assert.equal(entry.acknowledge, `/api/v1/meetings/bridges/${bridge.id}/tickets/${opened.body.id}/acknowledge`);

    // A booker reads meetings but may not manage bridges: the ticket without the acknowledge.
    const asBooker = item(await attention(booker), 'meetings.tickets')!;
    assert.equal(asBooker.count, before + 1);
    assert.equal(asBooker.entries.find((e) => e.id === String(opened.body.id))!.acknowledge, undefined);

    assert.equal((await t.api('POST', entry.acknowledge!)).status, 200);
    const acknowledged = item(await attention(), 'meetings.tickets')!;
    assert.equal(acknowledged.count, before);
    assert.ok((acknowledged.acknowledged ?? 0) >= 1);
  });

  test('a Lab fault is counted while set; a role without Lab access does not see the Lab', async () => {
    const lab = (await t.api('GET', '/api/v1/lab')).body;
    const cluster = lab.cms[0];
    const node = cluster.nodes[0];
    assert.equal(item(await attention(), 'lab.faults')!.count, 0);
    assert.equal((await t.api('PUT', `/api/v1/lab/cms/${cluster.name}/nodes/${node.name}/faults`, { busy: true })).status, 200);
    const faults = item(await attention(), 'lab.faults')!;
    assert.equal(faults.count, 1);
    assert.match(faults.entries[0].label, new RegExp(node.name));
    assert.equal(faults.href, '/lab');

    const asBooker = await attention(booker);
    for (const key of ['lab.faults', 'licensing.alerts', 'partner.subscribers-error']) assert.equal(item(asBooker, key), undefined, `a booker sees ${key}`);
    assert.ok(item(asBooker, 'jobs.failed'));
    assert.ok(item(await attention(readOnly), 'lab.faults'), 'a read-only admin reads the Lab');

    assert.equal((await t.api('DELETE', `/api/v1/lab/cms/${cluster.name}/nodes/${node.name}/faults`)).status, 200);
    assert.equal(item(await attention(), 'lab.faults')!.count, 0);
  });

  test('licensing alerts are counted until acknowledged; a read-only admin may not acknowledge', async () => {
    const id = crypto.randomUUID();
    const now = new Date();
    await t.sb.services.database.db.insert(smartAccounts).values({
      id, domain: 'alerts.example.com', name: 'Alerts Inc', clientId: 'client', clientSecret: 'sealed', status: 'error',
      authGatewayUrl: 'https://cloudsso.example.com', cssmServerUrl: 'https://swapi.example.com', deviceRegistrationUrl: 'https://tools.example.com',
      alerts: [{ severity: 'Major', message: 'CSSM refused the client credentials.', at: now.toISOString() }], createdAt: now, updatedAt: now,
    } as never);
    const alerts = item(await attention(), 'licensing.alerts')!;
    assert.equal(alerts.count, 1);
    assert.equal(alerts.entries[0].acknowledge, `/api/v1/licensing/smart-accounts/${id}/alerts/acknowledge`);
    const asReadOnly = item(await attention(readOnly), 'licensing.alerts')!;
    assert.equal(asReadOnly.entries[0].acknowledge, undefined);
    assert.equal((await t.api('POST', alerts.entries[0].acknowledge!, undefined, { token: readOnly })).status, 403);

    const acknowledged = await t.api('POST', alerts.entries[0].acknowledge!);
    assert.deepEqual([acknowledged.status, acknowledged.body], [200, { acknowledged: 1 }]);
    const after = item(await attention(), 'licensing.alerts')!;
    assert.deepEqual([after.count, after.acknowledged], [0, 1]);
    const audit = await t.api('GET', '/api/v1/audit?action=licensing.smart-account.alerts.acknowledge');
    assert.equal(audit.body.total, 1);
  });
});
