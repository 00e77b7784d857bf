import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestSwitchboard, type TestSwitchboard } from '../test/support/test-switchboard.ts';
import { partnerArea } from './partner.area.ts';
import { createClusterAndTemplate, subscriberBody, waitForStatus } from './partner.testkit.ts';

// What the Partner console's customer pages read (P1, P9): customers searched and paged by the
// server, one customer with its package counts and its subscribers' states; and the console's
// "Provision subscriber" form, which takes the /v1 API's fields and names a refused field.
describe('Partner customers and console provisioning API', () => {
  let t: TestSwitchboard;
  let provisioningId: string;
  const ids: Record<string, string> = {};
  before(async () => {
    t = await startTestSwitchboard({ areas: [partnerArea], config: { jobPollSeconds: 0.5 } });
    provisioningId = (await createClusterAndTemplate(t, { name: 'cust' })).template.provisioningId;
    for (const [enterprise, pkg] of [['SP1+alpha', 'premium'], ['SP1+beta', 'basic'], ['SP1+gamma_1', 'basic'], ['SP1+gammaX1', 'standard']] as const) {
      const made = await t.api('POST', '/v1/broadworks/subscribers', subscriberBody(provisioningId, { spEnterpriseId: enterprise, package: pkg }));
      assert.equal(made.status, 200, JSON.stringify(made.body));
      await waitForStatus(t, made.body.id, ['provisioned']);
    }
    for (const c of (await t.api('GET', '/api/v1/partner/customers')).body.items) ids[c.spEnterpriseId] = c.id;
  });
  after(async () => t?.close());

  test('P1: customers are searched by name or enterprise ID (any case, % and _ as themselves) and paged by the server', async () => {
    const all = await t.api('GET', '/api/v1/partner/customers');
    assert.equal(all.body.total, 4);
    const found = await t.api('GET', '/api/v1/partner/customers?q=BETA');
    assert.deepEqual(found.body.items.map((c: any) => c.spEnterpriseId), ['SP1+beta']);
    assert.deepEqual(found.body.items[0].packages, { softphone: 0, basic: 1, standard: 0, premium: 0 });
    assert.deepEqual((await t.api('GET', '/api/v1/partner/customers?q=gamma_')).body.items.map((c: any) => c.spEnterpriseId), ['SP1+gamma_1'], 'an underscore is not a wildcard');
    const first = await t.api('GET', '/api/v1/partner/customers?limit=2');
    const second = await t.api('GET', '/api/v1/partner/customers?limit=2&offset=2');
    assert.deepEqual([first.body.total, first.body.items.length, second.body.items.length], [4, 2, 2]);
    assert.equal(new Set([...first.body.items, ...second.body.items].map((c: any) => c.id)).size, 4, 'two pages, no repeat');
    assert.equal((await t.api('GET', '/api/v1/partner/customers?q=nothing-like-it')).body.total, 0);
    assert.equal((await t.api('GET', '/api/v1/partner/customers?limit=0')).status, 400);
  });

  test('a customer and its subscribers with their states; an unknown customer is a 404', async () => {
    const one = await t.api('GET', `/api/v1/partner/customers/${ids['SP1+alpha']}`);
    assert.equal(one.status, 200);
    assert.equal(one.body.packages.premium, 1);
    const subs = await t.api('GET', `/api/v1/partner/customers/${ids['SP1+alpha']}/subscribers`);
    assert.deepEqual(subs.body.items.map((s: any) => [s.spEnterpriseId, s.status]), [['SP1+alpha', 'provisioned']]);
    assert.equal((await t.api('GET', `/api/v1/partner/customers/${ids['SP1+alpha']}/subscribers?excludeProvisioned=true`)).body.total, 0);
    assert.equal((await t.api('GET', '/api/v1/partner/customers/00000000-0000-4000-8000-000000000000')).status, 404);
  });

  test("console provisioning: the /v1 fields, answered as a status row; a refused field is named in the platform's error", async () => {
    const made = await t.api('POST', '/api/v1/partner/subscribers', subscriberBody(provisioningId, { spEnterpriseId: 'SP1+alpha', userId: 'console@sp.example' }));
    assert.equal(made.status, 200, JSON.stringify(made.body));
    assert.equal(made.body.status, 'provisioning');
    assert.equal(made.body.userId, 'console@sp.example');
    const sub = (await t.api('GET', `/api/v1/partner/customers/${ids['SP1+alpha']}/subscribers`)).body.items.find((s: any) => s.userId === 'console@sp.example');
    assert.ok(sub, 'listed under its customer');
    assert.equal((await t.api('GET', `/api/v1/partner/subscribers/${made.body.id}`)).body.userId, 'console@sp.example');
    assert.equal((await t.api('GET', '/api/v1/partner/subscribers/00000000-0000-4000-8000-000000000000')).status, 404);

    const noPhone = await t.api('POST', '/api/v1/partner/subscribers', subscriberBody(provisioningId, { primaryPhoneNumber: undefined, userId: 'nophone@sp.example' }));
    assert.equal(noPhone.status, 400);
    assert.ok(noPhone.body.error.trackingId);
    assert.deepEqual(noPhone.body.error.details.issues.map((i: any) => i.path), ['primaryPhoneNumber']);
    const again = await t.api('POST', '/api/v1/partner/subscribers', subscriberBody(provisioningId, { userId: 'console@sp.example' }));
    assert.equal(again.status, 409);
    assert.equal(again.body.error.details.issues[0].path, 'userId');
    const badPackage = await t.api('POST', '/api/v1/partner/subscribers', subscriberBody(provisioningId, { package: 'gold' }));
    assert.equal(badPackage.status, 400);
    assert.equal(badPackage.body.error.details.issues[0].path, 'package');
    const unknown = await t.api('POST', '/api/v1/partner/subscribers', subscriberBody('no-such-template'));
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error.details.issues[0].path, 'provisioningId');
  });
});
